/* restore: the restore operation (see restore.h for the steps). */
#include "engine/ops/restore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/ops/archive_async.h"
#include "engine/ops/progress.h"
#include "engine/ops/restore_file.h"
#include "engine/ops/restore_recovery.h"
#include "engine/repo/info_backup.h"
#include "engine/repo/layout.h"
#include "engine/repo/manifest.h"
#include "engine/repo/repo.h"
#include "protocol/pool.h"
#include "storage/posix.h"

#define RESTORE_PG_CONTROL "pg_data/global/pg_control"
#define RESTORE_TABLESPACE_MAP "pg_data/tablespace_map"
#define RESTORE_TEMP_SUFFIX ".pgbackrest.tmp"
#define RESTORE_USER_OID_MIN 16384 /* PostgreSQL's FirstNormalObjectId: lower oids are system databases */

/* A link of the manifest and what this restore does with it. */
typedef struct RestoreLink {
    const ManifestLink *link;
    const ManifestTarget *target; /* its [backup:target] entry (NULL when none) */
    char *destination;            /* mapped destination (owned) */
    bool keep;                    /* created as a link (tablespaces always) */
    bool tablespace;
    bool created;
} RestoreLink;

typedef struct Restore {
    Repo repo;
    bool repo_open;
    InfoBackup info;
    Manifest manifest;
    const char *stanza;
    const char *label;
    char *pg_path;
    bool delta;
    bool force;
    RecoveryType type;
    RestoreLink *links;
    size_t link_count;
    char **zero_dbs; /* oids (as strings) whose files are zeroed */
    size_t zero_db_count;
    bool as_root;
    uid_t default_uid;
    gid_t default_gid;
    RestoreFileSettings settings;
} Restore;

/* ---------------------------------------------------------------------------------------------------------------
 * small helpers
 * --------------------------------------------------------------------------------------------------------------- */

void
restore_size_format(uint64_t bytes, char *out, size_t size)
{
    static const char *const units[] = {"KB", "MB", "GB", "TB", "PB"};
    if (bytes < 1024) {
        snprintf(out, size, "%lluB", (unsigned long long)bytes);
        return;
    }
    double divisor = 1024;
    size_t unit = 0;
    while (unit + 1 < sizeof(units) / sizeof(units[0]) && bytes >= (uint64_t)(divisor * 1024)) {
        divisor *= 1024;
        unit++;
    }
    /* One decimal unless it would be .0 (pgBackRest checks the first decimal digit). */
    if ((uint64_t)((double)bytes / (divisor / 10)) % 10 != 0)
        snprintf(out, size, "%.1f%s", (double)bytes / divisor, units[unit]);
    else
        snprintf(out, size, "%llu%s", (unsigned long long)(bytes / (uint64_t)divisor), units[unit]);
}

static bool
starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Where a manifest name lands: "pg_data" -> pg_path, "pg_data/x" -> pg_path/x, "pg_tblspc/..." through the
 * pg_tblspc links. */
static char *
restore_dest(const Restore *restore, const char *name)
{
    if (strcmp(name, "pg_data") == 0)
        return mem_strdup(restore->pg_path);
    if (starts_with(name, "pg_data/"))
        return mem_printf("%s/%s", restore->pg_path, name + strlen("pg_data/"));
    return mem_printf("%s/%s", restore->pg_path, name);
}

static const ManifestPath *
restore_path_find(const Manifest *manifest, const char *name)
{
    size_t low = 0, high = manifest->path_count;
    while (low < high) {
        size_t middle = (low + high) / 2;
        int cmp = strcmp(manifest->paths[middle].name, name);
        if (cmp == 0)
            return &manifest->paths[middle];
        if (cmp < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return NULL;
}

static RestoreLink *
restore_link_find(const Restore *restore, const char *name)
{
    for (size_t index = 0; index < restore->link_count; index++)
        if (strcmp(restore->links[index].link->name, name) == 0)
            return &restore->links[index];
    return NULL;
}

static const ManifestTarget *
restore_target_find(const Manifest *manifest, const char *name)
{
    for (size_t index = 0; index < manifest->target_count; index++)
        if (strcmp(manifest->targets[index].name, name) == 0)
            return &manifest->targets[index];
    return NULL;
}

/* A user or group name of the manifest as an id (as root); falls back to the owner of the data directory. */
static uid_t
restore_uid(const Restore *restore, ManifestOwner owner, const ManifestDefaults *defaults)
{
    if (owner.kind == MANIFEST_OWNER_DEFAULT)
        owner = defaults->user;
    if (owner.kind == MANIFEST_OWNER_NAME) {
        struct passwd *entry = getpwnam(owner.name);
        if (entry != NULL)
            return entry->pw_uid;
    }
    return restore->default_uid;
}

static gid_t
restore_gid(const Restore *restore, ManifestOwner owner, const ManifestDefaults *defaults)
{
    if (owner.kind == MANIFEST_OWNER_DEFAULT)
        owner = defaults->group;
    if (owner.kind == MANIFEST_OWNER_NAME) {
        struct group *entry = getgrnam(owner.name);
        if (entry != NULL)
            return entry->gr_gid;
    }
    return restore->default_gid;
}

static mode_t
restore_mode(int mode, const ManifestDefaults *defaults, mode_t fallback)
{
    if (mode != MANIFEST_MODE_DEFAULT)
        return (mode_t)mode;
    if (defaults->mode != MANIFEST_MODE_DEFAULT)
        return (mode_t)defaults->mode;
    return fallback;
}

/* ---------------------------------------------------------------------------------------------------------------
 * step 1: options, running cluster, backup set
 * --------------------------------------------------------------------------------------------------------------- */

static int
restore_options_check(RecoveryType type)
{
    bool target_type = type == RECOVERY_TYPE_TIME || type == RECOVERY_TYPE_XID || type == RECOVERY_TYPE_LSN ||
                       type == RECOVERY_TYPE_NAME;
    if (cfg_bool(OPT_TARGET_EXCLUSIVE) && type == RECOVERY_TYPE_NAME)
        return err_set(ERR_OPTION_INVALID,
                       "option 'target-exclusive' not valid without option 'type' in ('lsn', 'time', 'xid')");
    if (cfg_str(OPT_TARGET_TIMELINE) != NULL &&
        (type == RECOVERY_TYPE_IMMEDIATE || type == RECOVERY_TYPE_NONE || type == RECOVERY_TYPE_PRESERVE))
        return err_set(ERR_OPTION_INVALID, "option 'target-timeline' not valid without option 'type' in ('default', "
                                           "'lsn', 'name', 'standby', 'time', 'xid')");
    if (target_type && cfg_str(OPT_TARGET) == NULL)
        return err_set(ERR_OPTION_REQUIRED, "restore command requires option: target");
    return 0;
}

static int
restore_check_not_running(const char *pg_path)
{
    char *pid_file = mem_printf("%s/postmaster.pid", pg_path);
    struct stat st;
    bool running = lstat(pid_file, &st) == 0;
    free(pid_file);
    if (!running)
        return 0;
    err_set(ERR_PG_RUNNING, "unable to restore while PostgreSQL is running");
    return err_hint("presence of 'postmaster.pid' in '%s' indicates PostgreSQL is running.\n"
                    "HINT: remove 'postmaster.pid' only if PostgreSQL is not running.",
                    pg_path);
}

/* Parse "YYYY-MM-DD HH:MM:SS[.fff][+|-HH[[:]MM]]" (local time without a zone) into epoch seconds. */
static int
restore_time_parse(const char *text, int64_t *epoch)
{
    struct tm tm = {0};
    int consumed = 0;
    if (sscanf(text, "%d-%d-%d %d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &consumed) != 6)
        return err_set(ERR_FORMAT, "automatic backup set selection cannot be performed with provided time '%s'",
                       text);
    const char *rest = text + consumed;
    if (*rest == '.')
        for (rest++; *rest >= '0' && *rest <= '9'; rest++)
            ;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    if (*rest == '\0') {
        tm.tm_isdst = -1;
        *epoch = (int64_t)mktime(&tm);
        return 0;
    }
    int sign = *rest == '-' ? -1 : 1;
    int hours = 0, minutes = 0;
    if ((*rest != '+' && *rest != '-') || sscanf(rest + 1, "%2d", &hours) != 1)
        return err_set(ERR_FORMAT, "automatic backup set selection cannot be performed with provided time '%s'",
                       text);
    const char *minute_text = rest + 3;
    if (*minute_text == ':')
        minute_text++;
    if (*minute_text != '\0')
        sscanf(minute_text, "%2d", &minutes);
    *epoch = (int64_t)timegm(&tm) - sign * (hours * 3600 + minutes * 60);
    return 0;
}

static int
restore_select_set(Restore *restore)
{
    const char *set = cfg_str(OPT_SET);
    if (set != NULL && strcmp(set, "latest") != 0) {
        if (info_backup_find(&restore->info, set) == NULL)
            return err_set(ERR_BACKUP_SET_INVALID, "backup set %s is not valid", set);
        restore->label = set;
        return 0;
    }
    if (restore->info.backup_count == 0)
        return err_set(ERR_BACKUP_SET_INVALID, "no backup set found to restore");
    if (restore->type == RECOVERY_TYPE_TIME) {
        int64_t target = 0;
        TRY(restore_time_parse(cfg_str(OPT_TARGET), &target));
        for (size_t index = restore->info.backup_count; index > 0; index--) {
            if (restore->info.backups[index - 1].timestamp_stop < target) {
                restore->label = restore->info.backups[index - 1].label;
                return 0;
            }
        }
        return err_set(ERR_BACKUP_SET_INVALID, "unable to find backup set with stop time less than '%s'",
                       cfg_str(OPT_TARGET));
    }
    restore->label = restore->info.backups[restore->info.backup_count - 1].label;
    return 0;
}

static int
restore_load(Restore *restore)
{
    TRY(repo_open(cfg_repo_index(), false, &restore->repo));
    restore->repo_open = true;

    char *stanza_path = layout_backup_stanza_path(restore->stanza);
    char *info_path = mem_printf("%s/%s", stanza_path, INFO_BACKUP_FILE);
    int result = info_backup_load(restore->repo.storage, info_path, restore->repo.cipher_type,
                                  restore->repo.cipher_pass, &restore->info);
    free(info_path);
    if (result < 0) {
        LOG_WARN("repo%u: [%s] %s", restore->repo.key, err_code_name(err_code()), err_message());
        free(stanza_path);
        return err_set(ERR_BACKUP_SET_INVALID, "no backup set found to restore");
    }
    if (restore_select_set(restore) < 0) {
        free(stanza_path);
        return -1;
    }

    const InfoBackupEntry *entry = info_backup_find(&restore->info, restore->label);
    char start[32];
    time_t start_time = (time_t)entry->timestamp_start;
    struct tm local;
    localtime_r(&start_time, &local);
    strftime(start, sizeof(start), "%Y-%m-%d %H:%M:%S", &local);
    LOG_INFO("repo%u: restore backup set %s, recovery will start at %s", restore->repo.key, restore->label, start);

    char *manifest_path = mem_printf("%s/%s/%s", stanza_path, restore->label, MANIFEST_FILE);
    result = manifest_load(restore->repo.storage, manifest_path, restore->repo.cipher_type, restore->info.cipher_pass,
                           &restore->manifest);
    free(manifest_path);
    free(stanza_path);
    TRY(result);
    manifest_sort(&restore->manifest);

    for (size_t index = 0; index < restore->manifest.file_count; index++)
        if (restore->manifest.files[index].block_incr_size != 0)
            return err_set(ERR_FEATURE_NOT_SUPPORTED,
                           "backup set %s holds block incremental files (first: '%s'), which gaiarest cannot "
                           "restore yet",
                           restore->label, restore->manifest.files[index].name);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * step 3: remapping and selective restore
 * --------------------------------------------------------------------------------------------------------------- */

/* The value of key `key` in a hash option ("key=value" entries), NULL when absent; marks it used. */
static const char *
restore_hash_get(const char *const *values, size_t count, bool *used, const char *key)
{
    size_t key_length = strlen(key);
    for (size_t index = 0; index < count; index++) {
        if (strncmp(values[index], key, key_length) == 0 && values[index][key_length] == '=') {
            used[index] = true;
            return values[index] + key_length + 1;
        }
    }
    return NULL;
}

/* Tablespace destinations: --tablespace-map (by name or id), --tablespace-map-all, or the original path. */
static int
restore_map_tablespace(RestoreLink *link, const char *const *map, size_t map_count, bool *used)
{
    const ManifestTarget *target = link->target;
    const char *mapped = NULL;
    if (target->tablespace_name != NULL)
        mapped = restore_hash_get(map, map_count, used, target->tablespace_name);
    if (mapped == NULL && target->tablespace_id != NULL)
        mapped = restore_hash_get(map, map_count, used, target->tablespace_id);
    const char *map_all = cfg_str(OPT_TABLESPACE_MAP_ALL);
    if (mapped != NULL)
        link->destination = mem_strdup(mapped);
    else if (map_all != NULL)
        link->destination = mem_printf("%s/%s", map_all,
                                       target->tablespace_name != NULL ? target->tablespace_name : target->tablespace_id);
    else
        link->destination = mem_strdup(link->link->destination);
    if (strcmp(link->destination, link->link->destination) != 0)
        LOG_INFO("map tablespace '%s' to '%s'", target->name, link->destination);
    link->keep = true;
    link->tablespace = true;
    return 0;
}

/* Other links: kept with --link-all or --link-map, otherwise restored as a plain directory or file. */
static void
restore_map_link(RestoreLink *link, const char *const *map, size_t map_count, bool *used)
{
    const char *relative = starts_with(link->link->name, "pg_data/") ? link->link->name + strlen("pg_data/")
                                                                      : link->link->name;
    const char *mapped = restore_hash_get(map, map_count, used, relative);
    bool is_file = link->target != NULL && link->target->file != NULL;
    if (mapped != NULL) {
        link->destination = mem_strdup(mapped);
        link->keep = true;
        LOG_INFO("map link '%s' to '%s'", relative, mapped);
    } else if (cfg_bool(OPT_LINK_ALL)) {
        link->destination = mem_strdup(link->link->destination);
        link->keep = true;
    } else {
        link->destination = mem_strdup(link->link->destination);
        if (is_file)
            LOG_WARN("file link '%s' will be restored as a file at the same location", relative);
        else
            LOG_WARN("contents of directory link '%s' will be restored in a directory at the same location", relative);
    }
}

static int
restore_map(Restore *restore)
{
    const ManifestTarget *data = restore_target_find(&restore->manifest, "pg_data");
    if (data != NULL && strcmp(data->path, restore->pg_path) != 0)
        LOG_INFO("remap data directory to '%s'", restore->pg_path);

    const char *const *ts_map = NULL;
    size_t ts_count = cfg_list(OPT_TABLESPACE_MAP, &ts_map);
    const char *const *link_map = NULL;
    size_t link_count = cfg_list(OPT_LINK_MAP, &link_map);
    bool *ts_used = mem_calloc(ts_count + 1, sizeof(bool));
    bool *link_used = mem_calloc(link_count + 1, sizeof(bool));

    restore->link_count = restore->manifest.link_count;
    restore->links = mem_calloc(restore->link_count + 1, sizeof(RestoreLink));
    for (size_t index = 0; index < restore->link_count; index++) {
        RestoreLink *link = &restore->links[index];
        link->link = &restore->manifest.links[index];
        const char *name = link->link->name;
        /* pg_data/pg_tblspc/<oid> is the link of target pg_tblspc/<oid>; other links are their own target. */
        const char *target_name = starts_with(name, "pg_data/pg_tblspc/") ? name + strlen("pg_data/") : name;
        link->target = restore_target_find(&restore->manifest, target_name);
        if (link->target != NULL && link->target->tablespace_id != NULL)
            restore_map_tablespace(link, ts_map, ts_count, ts_used);
        else
            restore_map_link(link, link_map, link_count, link_used);
    }

    int result = 0;
    for (size_t index = 0; index < ts_count && result == 0; index++)
        if (!ts_used[index])
            result = err_set(ERR_TABLESPACE_MAP, "unable to remap invalid tablespace '%.*s'",
                             (int)strcspn(ts_map[index], "="), ts_map[index]);
    for (size_t index = 0; index < link_count && result == 0; index++)
        if (!link_used[index])
            result = err_set(ERR_LINK_MAP, "unable to remap invalid link '%.*s'", (int)strcspn(link_map[index], "="),
                             link_map[index]);
    free(ts_used);
    free(link_used);
    return result;
}

/* The database oid a file belongs to ("pg_data/base/<oid>/..." or "pg_tblspc/<id>/<dir>/<oid>/..."), copied into
 * `oid`; false when it is not in a database directory. */
static bool
restore_file_db(const char *name, char *oid, size_t size)
{
    const char *rest = NULL;
    if (starts_with(name, "pg_data/base/")) {
        rest = name + strlen("pg_data/base/");
    } else if (starts_with(name, "pg_tblspc/")) {
        rest = name + strlen("pg_tblspc/");
        for (int skip = 0; skip < 2 && rest != NULL; skip++) {
            rest = strchr(rest, '/');
            if (rest != NULL)
                rest++;
        }
    }
    if (rest == NULL)
        return false;
    size_t length = strspn(rest, "0123456789");
    if (length == 0 || rest[length] != '/' || length >= size)
        return false;
    memcpy(oid, rest, length);
    oid[length] = '\0';
    return true;
}

static int
restore_string_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append `text` to a set of strings when not there yet. */
static void
restore_set_add(char ***set, size_t *count, const char *text)
{
    for (size_t index = 0; index < *count; index++)
        if (strcmp((*set)[index], text) == 0)
            return;
    *set = mem_realloc(*set, (*count + 1) * sizeof(**set));
    (*set)[(*count)++] = mem_strdup(text);
}

static void
restore_set_free(char **set, size_t count)
{
    for (size_t index = 0; index < count; index++)
        free(set[index]);
    free(set);
}

/* "a, b, c" */
static char *
restore_set_join(char **set, size_t count)
{
    Buf out = BUF_INIT;
    for (size_t index = 0; index < count; index++)
        buf_printf(&out, "%s%s", index > 0 ? ", " : "", set[index]);
    return buf_detach(&out);
}

/* The oid of a database given by name or oid among those found; NULL when unknown. */
static const char *
restore_db_resolve(const Restore *restore, char **found, size_t found_count, const char *given, char *buffer,
                   size_t size)
{
    for (size_t index = 0; index < restore->manifest.db_count; index++) {
        if (strcmp(restore->manifest.dbs[index].name, given) == 0) {
            snprintf(buffer, size, "%llu", (unsigned long long)restore->manifest.dbs[index].id);
            given = buffer;
            break;
        }
    }
    for (size_t index = 0; index < found_count; index++)
        if (strcmp(found[index], given) == 0)
            return found[index];
    return NULL;
}

static int
restore_select_dbs(Restore *restore)
{
    const char *const *include = NULL;
    const char *const *exclude = NULL;
    size_t include_count = cfg_list(OPT_DB_INCLUDE, &include);
    size_t exclude_count = cfg_list(OPT_DB_EXCLUDE, &exclude);
    if (include_count == 0 && exclude_count == 0)
        return 0;

    char **found = NULL;
    size_t found_count = 0;
    char oid[32];
    for (size_t index = 0; index < restore->manifest.file_count; index++)
        if (restore_file_db(restore->manifest.files[index].name, oid, sizeof(oid)))
            restore_set_add(&found, &found_count, oid);
    qsort(found, found_count, sizeof(*found), restore_string_compare);
    char *list = restore_set_join(found, found_count);
    LOG_DETAIL("databases found for selective restore (%s)", list);
    free(list);

    int result = 0;
    char buffer[32];
    char **included = NULL;
    size_t included_count = 0;
    for (size_t pass = 0; pass < 2 && result == 0; pass++) {
        const char *const *given = pass == 0 ? include : exclude;
        size_t given_count = pass == 0 ? include_count : exclude_count;
        for (size_t index = 0; index < given_count && result == 0; index++) {
            const char *db = restore_db_resolve(restore, found, found_count, given[index], buffer, sizeof(buffer));
            if (db == NULL)
                result = err_set(ERR_DB_MISSING, "database to %s '%s' does not exist", pass == 0 ? "include" : "exclude",
                                 given[index]);
            else if (strtoull(db, NULL, 10) < RESTORE_USER_OID_MIN)
                result = err_set(ERR_DB_INVALID, "system databases (template0, postgres, etc.) are included by default");
            else if (pass == 0)
                restore_set_add(&included, &included_count, db);
            else
                restore_set_add(&restore->zero_dbs, &restore->zero_db_count, db);
        }
    }
    if (result == 0 && include_count > 0) {
        for (size_t index = 0; index < found_count; index++) {
            bool is_included = false;
            for (size_t inc = 0; inc < included_count; inc++)
                is_included = is_included || strcmp(included[inc], found[index]) == 0;
            if (!is_included && strtoull(found[index], NULL, 10) >= RESTORE_USER_OID_MIN)
                restore_set_add(&restore->zero_dbs, &restore->zero_db_count, found[index]);
        }
    }
    if (result == 0 && restore->zero_db_count > 0) {
        qsort(restore->zero_dbs, restore->zero_db_count, sizeof(char *), restore_string_compare);
        list = restore_set_join(restore->zero_dbs, restore->zero_db_count);
        LOG_DETAIL("databases excluded (zeroed) from selective restore (%s)", list);
        free(list);
    }
    restore_set_free(found, found_count);
    restore_set_free(included, included_count);
    return result;
}

static bool
restore_file_zeroed(const Restore *restore, const char *name)
{
    if (restore->zero_db_count == 0)
        return false;
    const char *base = strrchr(name, '/');
    if (base != NULL && strcmp(base + 1, "PG_VERSION") == 0)
        return false;
    char oid[32];
    if (!restore_file_db(name, oid, sizeof(oid)))
        return false;
    for (size_t index = 0; index < restore->zero_db_count; index++)
        if (strcmp(restore->zero_dbs[index], oid) == 0)
            return true;
    return false;
}

/* ---------------------------------------------------------------------------------------------------------------
 * step 4: destination checks and delta clean
 * --------------------------------------------------------------------------------------------------------------- */

/* Whether a directory exists and has entries (*exists tells whether it exists). */
static int
restore_dir_has_entries(const char *path, bool *exists, bool *has_entries)
{
    *exists = false;
    *has_entries = false;
    DIR *dir = opendir(path);
    if (dir == NULL) {
        if (errno == ENOENT)
            return 0;
        return err_set_errno(ERR_PATH_OPEN, errno, "unable to open path '%s'", path);
    }
    *exists = true;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
            *has_entries = true;
            break;
        }
    }
    closedir(dir);
    return 0;
}

/* The tablespace version directory of a tablespace link ("PG_15_202209061"), from the manifest paths. */
static const char *
restore_tablespace_version_dir(const Restore *restore, const RestoreLink *link)
{
    char *prefix = mem_printf("%s/", link->target->name);
    const char *found = NULL;
    for (size_t index = 0; index < restore->manifest.path_count && found == NULL; index++) {
        const char *name = restore->manifest.paths[index].name;
        if (starts_with(name, prefix) && strchr(name + strlen(prefix), '/') == NULL)
            found = name + strlen(prefix);
    }
    free(prefix);
    return found;
}

static int
restore_not_empty_error(const char *path)
{
    err_set(ERR_PATH_NOT_EMPTY, "unable to restore to path '%s' because it contains files", path);
    return err_hint("try using --delta if this is what you intended.");
}

static int
restore_check_destinations(Restore *restore)
{
    bool exists = false, has_entries = false;
    if (restore->delta || restore->force) {
        char *version = mem_printf("%s/PG_VERSION", restore->pg_path);
        struct stat st;
        bool valid = stat(version, &st) == 0;
        free(version);
        if (!valid) {
            LOG_WARN("--delta or --force specified but unable to find 'PG_VERSION' or 'backup.manifest' in '%s' to "
                     "confirm that this is a valid $PGDATA directory. --delta and --force have been disabled and if "
                     "any files exist in the destination directories the restore will be aborted.",
                     restore->pg_path);
            restore->delta = false;
            restore->force = false;
        }
    }
    bool clean = restore->delta || restore->force;

    LOG_DETAIL("check '%s' exists", restore->pg_path);
    TRY(restore_dir_has_entries(restore->pg_path, &exists, &has_entries));
    if (has_entries && !clean)
        return restore_not_empty_error(restore->pg_path);
    for (size_t index = 0; index < restore->link_count; index++) {
        RestoreLink *link = &restore->links[index];
        if (!link->tablespace)
            continue;
        const char *version_dir = restore_tablespace_version_dir(restore, link);
        char *path = version_dir != NULL ? mem_printf("%s/%s", link->destination, version_dir)
                                         : mem_strdup(link->destination);
        LOG_DETAIL("check '%s' exists", path);
        int result = restore_dir_has_entries(path, &exists, &has_entries);
        if (result == 0 && has_entries && !clean)
            result = restore_not_empty_error(path);
        free(path);
        TRY(result);
    }
    if (restore->link_count > 0 && manifest_file_find(&restore->manifest, RESTORE_TABLESPACE_MAP) != NULL)
        LOG_DETAIL("skip 'tablespace_map' -- tablespace links will be created based on mappings");
    return 0;
}

/* Remove a file, link or (recursively) directory. */
static int
restore_remove_entry(const char *path, bool is_dir)
{
    if (!is_dir) {
        if (unlink(path) != 0 && errno != ENOENT)
            return err_set_errno(ERR_FILE_REMOVE, errno, "unable to remove '%s'", path);
        return 0;
    }
    Storage *storage = storage_posix_new("/", true);
    int result = storage_path_remove(storage, path, true);
    storage_free(storage);
    return result;
}

/* Whether an entry of the destination belongs to the manifest with the same kind. */
static bool
restore_entry_valid(const Restore *restore, const char *name, unsigned char type)
{
    if (type == DT_LNK) {
        RestoreLink *link = restore_link_find(restore, name);
        return link != NULL && link->keep;
    }
    if (type == DT_DIR) {
        RestoreLink *link = restore_link_find(restore, name);
        return restore_path_find(&restore->manifest, name) != NULL && (link == NULL || !link->keep);
    }
    if (type == DT_REG) {
        if (restore->type == RECOVERY_TYPE_PRESERVE &&
            (strcmp(name, "pg_data/recovery.signal") == 0 || strcmp(name, "pg_data/standby.signal") == 0))
            return true;
        return manifest_file_find(&restore->manifest, name) != NULL;
    }
    return false;
}

/* Remove from `path` (manifest name `name`) everything the manifest does not have. */
static int
restore_clean_dir(const Restore *restore, const char *path, const char *name)
{
    DIR *dir = opendir(path);
    if (dir == NULL)
        return errno == ENOENT ? 0 : err_set_errno(ERR_PATH_OPEN, errno, "unable to open path '%s'", path);
    int result = 0;
    struct dirent *entry;
    while (result == 0 && (entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        char *child_path = mem_printf("%s/%s", path, entry->d_name);
        char *child_name = mem_printf("%s/%s", name, entry->d_name);
        unsigned char type = entry->d_type;
        struct stat st;
        if (type == DT_UNKNOWN && lstat(child_path, &st) == 0)
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        if (restore_entry_valid(restore, child_name, type)) {
            if (type == DT_DIR)
                result = restore_clean_dir(restore, child_path, child_name);
        } else {
            LOG_DETAIL("remove invalid %s '%s'", type == DT_DIR ? "path" : type == DT_LNK ? "link" : "file", child_path);
            result = restore_remove_entry(child_path, type == DT_DIR);
        }
        free(child_path);
        free(child_name);
    }
    closedir(dir);
    return result;
}

static int
restore_clean(Restore *restore)
{
    if (!restore->delta && !restore->force)
        return 0;
    char *control = mem_printf("%s/global/pg_control", restore->pg_path);
    struct stat st;
    if (lstat(control, &st) == 0) {
        LOG_DETAIL("remove 'global/pg_control' so cluster will not start if restore does not complete");
        if (unlink(control) != 0) {
            int result = err_set_errno(ERR_FILE_REMOVE, errno, "unable to remove '%s'", control);
            free(control);
            return result;
        }
    }
    free(control);

    LOG_INFO("remove invalid files/links/paths from '%s'", restore->pg_path);
    TRY(restore_clean_dir(restore, restore->pg_path, "pg_data"));
    for (size_t index = 0; index < restore->link_count; index++) {
        RestoreLink *link = &restore->links[index];
        const char *version_dir = link->tablespace ? restore_tablespace_version_dir(restore, link) : NULL;
        if (version_dir == NULL)
            continue;
        char *path = mem_printf("%s/%s", link->destination, version_dir);
        char *name = mem_printf("%s/%s", link->target->name, version_dir);
        LOG_INFO("remove invalid files/links/paths from '%s'", path);
        int result = restore_clean_dir(restore, path, name);
        free(path);
        free(name);
        TRY(result);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * step 5: directories and links
 * --------------------------------------------------------------------------------------------------------------- */

static int
restore_path_apply(const Restore *restore, const ManifestPath *path, const char *dest, bool created)
{
    const ManifestDefaults *defaults = &restore->manifest.path_default;
    mode_t mode = restore_mode(path->mode, defaults, 0700);
    struct stat st;
    if (stat(dest, &st) != 0)
        return err_set_errno(ERR_PATH_OPEN, errno, "unable to get info for path '%s'", dest);
    if ((st.st_mode & 07777) != mode) {
        if (!created)
            LOG_DETAIL("update mode for '%s' to %04o", dest, (unsigned)mode);
        if (chmod(dest, mode) != 0)
            return err_set_errno(ERR_PATH_OPEN, errno, "unable to set mode for '%s'", dest);
    }
    if (restore->as_root && chown(dest, restore_uid(restore, path->user, defaults),
                                  restore_gid(restore, path->group, defaults)) != 0)
        return err_set_errno(ERR_FILE_OWNER, errno, "unable to set ownership for '%s'", dest);
    return 0;
}

static int
restore_link_create(const Restore *restore, RestoreLink *link)
{
    char *dest = restore_dest(restore, link->link->name);
    struct stat st;
    int result = 0;
    if (lstat(dest, &st) == 0) {
        char current[4096];
        ssize_t length = readlink(dest, current, sizeof(current) - 1);
        bool same = S_ISLNK(st.st_mode) && length > 0 && (current[length] = '\0', strcmp(current, link->destination) == 0);
        if (!same)
            result = restore_remove_entry(dest, S_ISDIR(st.st_mode));
        else
            link->created = true;
    }
    if (result == 0 && !link->created) {
        bool is_file = link->target != NULL && link->target->file != NULL;
        if (!is_file) {
            Storage *root = storage_posix_new("/", true);
            result = storage_path_create(root, link->destination, 0700, true, false);
            storage_free(root);
        }
        LOG_DETAIL("create symlink '%s' to '%s'", dest, link->destination);
        if (result == 0 && symlink(link->destination, dest) != 0)
            result = err_set_errno(ERR_FILE_OPEN, errno, "unable to create symlink '%s' to '%s'", dest,
                                   link->destination);
        link->created = result == 0;
    }
    if (result == 0 && restore->as_root &&
        lchown(dest, restore_uid(restore, link->link->user, &restore->manifest.link_default),
               restore_gid(restore, link->link->group, &restore->manifest.link_default)) != 0)
        result = err_set_errno(ERR_FILE_OWNER, errno, "unable to set ownership for '%s'", dest);
    free(dest);
    return result;
}

/* Create one directory of the manifest (or the link that replaces it). */
static int
restore_path_create(Restore *restore, const ManifestPath *path)
{
    RestoreLink *link = restore_link_find(restore, path->name);
    if (link != NULL && link->keep)
        return restore_link_create(restore, link);
    char *dest = restore_dest(restore, path->name);
    int result = 0;
    bool created = false;
    struct stat st;
    if (lstat(dest, &st) != 0) {
        LOG_DETAIL("create path '%s'", dest);
        if (mkdir(dest, 0700) != 0)
            result = err_set_errno(ERR_PATH_CREATE, errno, "unable to create path '%s'", dest);
        created = true;
    }
    if (result == 0)
        result = restore_path_apply(restore, path, dest, created);
    free(dest);
    return result;
}

static int
restore_create_paths(Restore *restore)
{
    const ManifestPath *data = restore_path_find(&restore->manifest, "pg_data");
    struct stat st;
    if (stat(restore->pg_path, &st) != 0) {
        Storage *root = storage_posix_new("/", true);
        int result = storage_path_create(root, restore->pg_path, 0700, true, false);
        storage_free(root);
        TRY(result);
    }
    if (data != NULL)
        TRY(restore_path_apply(restore, data, restore->pg_path, false));

    /* pg_data paths first (they hold pg_tblspc), then the remaining links, then the tablespace paths. */
    for (size_t index = 0; index < restore->manifest.path_count; index++) {
        const ManifestPath *path = &restore->manifest.paths[index];
        if (starts_with(path->name, "pg_data/"))
            TRY(restore_path_create(restore, path));
    }
    for (size_t index = 0; index < restore->link_count; index++)
        if (restore->links[index].keep && !restore->links[index].created)
            TRY(restore_link_create(restore, &restore->links[index]));
    for (size_t index = 0; index < restore->manifest.path_count; index++) {
        const ManifestPath *path = &restore->manifest.paths[index];
        if (!starts_with(path->name, "pg_tblspc/"))
            continue;
        const char *rest = path->name + strlen("pg_tblspc/");
        if (strchr(rest, '/') == NULL) /* pg_tblspc/<oid> is the link itself */
            continue;
        TRY(restore_path_create(restore, path));
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * step 6: files
 * --------------------------------------------------------------------------------------------------------------- */

typedef struct RestoreWorker {
    Repo repo;
    Storage *pg;
    const RestoreFileSettings *settings;
} RestoreWorker;

static int
restore_worker_init(void *shared, unsigned worker_index, void **worker_context)
{
    (void)worker_index;
    RestoreWorker *worker = mem_calloc(1, sizeof(*worker));
    worker->settings = shared;
    if (repo_open(cfg_repo_index(), false, &worker->repo) < 0) {
        free(worker);
        return -1;
    }
    worker->pg = storage_posix_new("/", true);
    *worker_context = worker;
    return 0;
}

static void
restore_worker_free(void *worker_context)
{
    RestoreWorker *worker = worker_context;
    repo_close(&worker->repo);
    storage_free(worker->pg);
    free(worker);
}

/* What a worker is given at a time: one file, or the files of one bundle in offset order (read together). */
typedef struct RestoreUnit {
    RestoreFileJob **jobs;
    size_t count;
    bool bundle;
    uint64_t size;    /* the sum of the files' sizes */
} RestoreUnit;

static int
restore_worker_run(void *worker_context, void *unit_pointer)
{
    RestoreWorker *worker = worker_context;
    RestoreUnit *unit = unit_pointer;
    if (unit->bundle)
        return restore_file_bundle_run(worker->settings, worker->repo.storage, worker->pg, unit->jobs, unit->count);
    return restore_file_run(worker->settings, worker->repo.storage, worker->pg, unit->jobs[0]);
}

/* The repository path of a file's stored bytes. */
static char *
restore_repo_path(const Restore *restore, const ManifestFile *file)
{
    const char *label = file->reference != NULL ? file->reference : restore->label;
    if (file->bundle_id != 0)
        return mem_printf("backup/%s/%s/bundle/%llu", restore->stanza, label, (unsigned long long)file->bundle_id);
    const char *ext = compress_type_ext(restore->settings.compress_type);
    return mem_printf("backup/%s/%s/%s%s%s", restore->stanza, label, file->name, ext[0] != '\0' ? "." : "", ext);
}

static void
restore_job_build(const Restore *restore, const ManifestFile *file, RestoreFileJob *job)
{
    const ManifestDefaults *defaults = &restore->manifest.file_default;
    memset(job, 0, sizeof(*job));
    job->name = file->name;
    char *dest = restore_dest(restore, file->name);
    if (strcmp(file->name, RESTORE_PG_CONTROL) == 0) {
        job->dest = mem_printf("%s" RESTORE_TEMP_SUFFIX, dest);
        free(dest);
    } else {
        job->dest = dest;
    }
    job->size = file->size;
    job->checksum = file->has_checksum ? file->checksum : MANIFEST_SHA1_EMPTY;
    job->zeroed = restore_file_zeroed(restore, file->name);
    if (file->size > 0 && !job->zeroed) {
        job->repo_path = restore_repo_path(restore, file);
        job->bundled = file->bundle_id != 0;
        job->repo_offset = file->bundle_offset;
        job->repo_limit = job->bundled ? (int64_t)file->repo_size : -1;
    }
    job->mtime = file->timestamp;
    job->mode = restore_mode(file->mode, defaults, 0600);
    if (restore->as_root) {
        job->set_owner = true;
        job->uid = restore_uid(restore, file->user, defaults);
        job->gid = restore_gid(restore, file->group, defaults);
    }
}

/* Units largest first; equal sizes in reverse name order (as 2.45 orders its queue). */
static int
restore_unit_compare(const void *a, const void *b)
{
    const RestoreUnit *left = a;
    const RestoreUnit *right = b;
    if (left->size != right->size)
        return left->size > right->size ? -1 : 1;
    return strcmp(right->jobs[0]->name, left->jobs[0]->name);
}

/* Bundled files grouped by bundle, in offset order; the others after them. */
static int
restore_bundle_order_compare(const void *a, const void *b)
{
    const RestoreFileJob *left = *(RestoreFileJob *const *)a;
    const RestoreFileJob *right = *(RestoreFileJob *const *)b;
    if (left->bundled != right->bundled)
        return left->bundled ? -1 : 1;
    if (!left->bundled)
        return 0;
    int path = strcmp(left->repo_path, right->repo_path);
    if (path != 0)
        return path;
    return left->repo_offset < right->repo_offset ? -1 : left->repo_offset > right->repo_offset;
}

/* The units of work: each bundle's files together, every other file alone (`order` is reordered). */
static RestoreUnit *
restore_units(RestoreFileJob **order, size_t count, size_t *unit_count)
{
    qsort(order, count, sizeof(*order), restore_bundle_order_compare);
    RestoreUnit *units = mem_calloc(count + 1, sizeof(*units));
    size_t units_made = 0;
    for (size_t index = 0; index < count;) {
        RestoreUnit *unit = &units[units_made++];
        unit->jobs = &order[index];
        unit->bundle = order[index]->bundled;
        do {
            unit->size += order[index]->size;
            unit->count++;
            index++;
        } while (unit->bundle && index < count && order[index]->bundled &&
                 strcmp(order[index]->repo_path, unit->jobs[0]->repo_path) == 0);
    }
    qsort(units, units_made, sizeof(*units), restore_unit_compare);
    *unit_count = units_made;
    return units;
}

static void
restore_log_result(const RestoreFileJob *job, uint64_t done, uint64_t total)
{
    if (!log_enabled(LOG_DETAIL))
        return;
    char size[32];
    restore_size_format(job->size, size, sizeof(size));
    double percent = total > 0 ? (double)done * 100.0 / (double)total : 100.0;
    char checksum[64] = "";
    if (job->size > 0 && job->result != RESTORE_FILE_ZEROED)
        snprintf(checksum, sizeof(checksum), " checksum %s", job->checksum);
    if (job->result == RESTORE_FILE_ZEROED)
        LOG_DETAIL("restore zeroed file %s (%s, %.2f%%)", job->dest, size, percent);
    else if (job->result == RESTORE_FILE_MATCHED)
        LOG_DETAIL("restore file %s - exists and matches backup (%s, %.2f%%)%s", job->dest, size, percent, checksum);
    else
        LOG_DETAIL("restore file %s (%s, %.2f%%)%s", job->dest, size, percent, checksum);
}

typedef struct RestoreProgress {
    Progress meter; /* terminal status line and detail-level progress */
    uint64_t done;
    uint64_t total;
    size_t copied;
    size_t matched;
    size_t zeroed;
    ErrorCode error_code;
    char *error_message;
} RestoreProgress;

static void
restore_take_result(Pool *pool, PoolResult *result, RestoreProgress *progress)
{
    RestoreUnit *unit = result->job;
    if (result->status != 0) {
        if (progress->error_message == NULL && result->code != ERR_TERM) {
            progress->error_code = result->code;
            progress->error_message = mem_strdup(result->message);
            pool_cancel(pool);
        }
    } else {
        for (size_t index = 0; index < unit->count; index++) {
            const RestoreFileJob *job = unit->jobs[index];
            progress->done += job->size;
            progress->copied += job->result == RESTORE_FILE_COPIED;
            progress->matched += job->result == RESTORE_FILE_MATCHED;
            progress->zeroed += job->result == RESTORE_FILE_ZEROED;
            log_set_process_id(result->worker_index + 1);
            restore_log_result(job, progress->done, progress->total);
            log_set_process_id(0);
            progress_advance(&progress->meter, job->size);
        }
    }
    pool_result_clear(result);
}

static int
restore_files(Restore *restore, size_t *file_total, uint64_t *size_total)
{
    size_t count = 0;
    RestoreFileJob *jobs = mem_calloc(restore->manifest.file_count + 1, sizeof(*jobs));
    RestoreFileJob **order = mem_calloc(restore->manifest.file_count + 1, sizeof(*order));
    RestoreProgress progress = {0};
    for (size_t index = 0; index < restore->manifest.file_count; index++) {
        const ManifestFile *file = &restore->manifest.files[index];
        if (strcmp(file->name, RESTORE_TABLESPACE_MAP) == 0 && restore->link_count > 0)
            continue;
        restore_job_build(restore, file, &jobs[count]);
        progress.total += file->size;
        order[count] = &jobs[count];
        count++;
    }
    size_t unit_count = 0;
    RestoreUnit *units = restore_units(order, count, &unit_count);
    progress_start(&progress.meter, "restore", progress.total);

    int64_t workers = cfg_int(OPT_PROCESS_MAX);
    PoolConfig config = {
        .workers = workers > 0 ? (unsigned)workers : 1,
        .shared = &restore->settings,
        .worker_init = restore_worker_init,
        .worker_free = restore_worker_free,
        .run = restore_worker_run,
    };
    Pool *pool = NULL;
    int result = pool_new(&config, &pool);
    if (result == 0) {
        PoolResult pool_result;
        for (size_t index = 0; index < unit_count; index++) {
            pool_submit(pool, &units[index]);
            while (pool_result_try(pool, &pool_result))
                restore_take_result(pool, &pool_result, &progress);
        }
        pool_close(pool);
        while (pool_result_wait(pool, &pool_result))
            restore_take_result(pool, &pool_result, &progress);
        pool_free(pool);
        progress_finish(&progress.meter);
        if (progress.error_message != NULL)
            result = err_set(progress.error_code, "%s", progress.error_message);
    }
    if (result == 0 && restore->delta)
        LOG_DETAIL("delta: %zu file(s) restored, %zu matched, %zu zeroed", progress.copied, progress.matched,
                   progress.zeroed);
    free(progress.error_message);
    for (size_t index = 0; index < count; index++)
        restore_file_job_clear(&jobs[index]);
    free(jobs);
    free(units);
    free(order);
    *file_total = count;
    *size_total = progress.total;
    return result;
}

/* ---------------------------------------------------------------------------------------------------------------
 * steps 7 and 8: recovery settings, durability, pg_control
 * --------------------------------------------------------------------------------------------------------------- */

static int
restore_recovery(const Restore *restore)
{
    const char *const *options = NULL;
    size_t option_count = cfg_list(OPT_RECOVERY_OPTION, &options);
    char *command = restore_recovery_command();
    RestoreRecovery recovery = {
        .type = restore->type,
        .target = cfg_str(OPT_TARGET),
        .exclusive = cfg_bool(OPT_TARGET_EXCLUSIVE),
        .action = cfg_str(OPT_TARGET_ACTION),
        .timeline = cfg_str(OPT_TARGET_TIMELINE),
        .options = options,
        .option_count = option_count,
        .restore_command = command,
        .backup_online = restore->manifest.options.online,
    };
    int result = restore_recovery_write(restore->pg_path, &recovery);
    free(command);
    return result;
}

/* syncfs() once per file system holding restored data (instead of one fsync per file). */
static int
restore_sync(const Restore *restore)
{
    dev_t seen[64];
    size_t seen_count = 0;
    for (size_t index = 0; index <= restore->link_count; index++) {
        const char *path = index == 0 ? restore->pg_path : restore->links[index - 1].destination;
        if (index > 0 && !restore->links[index - 1].keep)
            continue;
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        bool done = false;
        for (size_t dev = 0; dev < seen_count; dev++)
            done = done || seen[dev] == st.st_dev;
        if (done)
            continue;
        if (seen_count < sizeof(seen) / sizeof(seen[0]))
            seen[seen_count++] = st.st_dev;
        LOG_DETAIL("sync file system of '%s'", path);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return err_set_errno(ERR_PATH_SYNC, errno, "unable to open path '%s' to sync", path);
        int failed = syncfs(fd) != 0 ? errno : 0;
        close(fd);
        if (failed != 0)
            return err_set_errno(ERR_PATH_SYNC, failed, "unable to sync file system of '%s'", path);
    }
    return 0;
}

static int
restore_pg_control(const Restore *restore)
{
    if (manifest_file_find(&restore->manifest, RESTORE_PG_CONTROL) == NULL)
        return 0;
    LOG_INFO("restore global/pg_control (performed last to ensure aborted restores cannot be started)");
    char *global = mem_printf("%s/global", restore->pg_path);
    char *temp = mem_printf("%s/pg_control" RESTORE_TEMP_SUFFIX, global);
    char *final = mem_printf("%s/pg_control", global);
    int result = 0;
    if (rename(temp, final) != 0)
        result = err_set_errno(ERR_FILE_MOVE, errno, "unable to move '%s' to '%s'", temp, final);
    if (result == 0) {
        int fd = open(global, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0)
            result = err_set_errno(ERR_PATH_SYNC, errno, "unable to sync path '%s'", global);
        if (fd >= 0)
            close(fd);
    }
    free(global);
    free(temp);
    free(final);
    return result;
}

/* ---------------------------------------------------------------------------------------------------------------
 * the operation
 * --------------------------------------------------------------------------------------------------------------- */

static void
restore_free(Restore *restore)
{
    for (size_t index = 0; index < restore->link_count; index++)
        free(restore->links[index].destination);
    free(restore->links);
    restore_set_free(restore->zero_dbs, restore->zero_db_count);
    manifest_free(&restore->manifest);
    info_backup_free(&restore->info);
    if (restore->repo_open)
        repo_close(&restore->repo);
    free(restore->pg_path);
}

static int
restore_prepare(Restore *restore)
{
    restore->stanza = cfg_str(OPT_STANZA);
    const char *pg_path = cfg_str_idx(OPT_PG_PATH, 0);
    if (restore->stanza == NULL)
        return err_set(ERR_OPTION_REQUIRED, "restore command requires option: stanza");
    if (pg_path == NULL)
        return err_set(ERR_OPTION_REQUIRED, "restore command requires option: pg1-path");
    restore->pg_path = mem_strdup(pg_path);
    size_t length = strlen(restore->pg_path);
    while (length > 1 && restore->pg_path[length - 1] == '/')
        restore->pg_path[--length] = '\0';
    int type = recovery_type_parse(cfg_str(OPT_TYPE));
    if (type < 0)
        return err_set(ERR_OPTION_INVALID_VALUE, "'%s' is not allowed for 'type' option", cfg_str(OPT_TYPE));
    restore->type = (RecoveryType)type;
    restore->delta = cfg_bool(OPT_DELTA);
    restore->force = cfg_bool(OPT_FORCE);
    restore->as_root = geteuid() == 0;
    TRY(restore_options_check(restore->type));
    return restore_check_not_running(restore->pg_path);
}

static void
restore_settings_init(Restore *restore)
{
    const ManifestOptions *options = &restore->manifest.options;
    int compress = options->compress_type != NULL ? compress_type_parse(options->compress_type)
                                                  : (options->compress ? COMPRESS_GZ : COMPRESS_NONE);
    int64_t buffer_size = cfg_int(OPT_BUFFER_SIZE);
    restore->settings = (RestoreFileSettings){
        .compress_type = compress >= 0 ? (CompressType)compress : COMPRESS_NONE,
        .cipher_pass = restore->manifest.cipher_pass,
        .bundle_raw = restore->manifest.backup.bundle_raw,
        .buffer_size = buffer_size > 0 ? (size_t)buffer_size : (size_t)1 << 20,
        .delta = restore->delta || restore->force,
        .force = restore->force,
    };
    struct stat st;
    restore->default_uid = stat(restore->pg_path, &st) == 0 ? st.st_uid : geteuid();
    restore->default_gid = stat(restore->pg_path, &st) == 0 ? st.st_gid : getegid();
}

/* The stanza's archive spool (<spool-path>/archive/<stanza>: async push acknowledgements and the prefetched WAL
 * queue) belongs to the cluster being replaced: removed, as pgBackRest's restore does, so that an old acknowledgement
 * cannot make the new cluster skip archiving a segment, nor a prefetched segment or "missing" answer from before
 * feed its recovery (archive-missing-retry=n relies on this). Other stanzas' spools stay; a missing one is fine. */
static int
restore_spool_clean(const Restore *restore)
{
    const char *spool_path = cfg_str(OPT_SPOOL_PATH);
    if (spool_path == NULL)
        return 0;
    char *dir = archive_spool_stanza_dir(spool_path, restore->stanza);
    Storage *local = storage_posix_new("/", true);
    int result = storage_path_remove(local, dir, true);
    if (result == 0)
        LOG_DETAIL("remove archive spool path '%s'", dir);
    storage_free(local);
    free(dir);
    return result;
}

static int
restore_execute(Restore *restore)
{
    TRY(restore_prepare(restore));
    TRY(restore_load(restore));
    TRY(restore_map(restore));
    TRY(restore_select_dbs(restore));
    TRY(restore_check_destinations(restore));
    TRY(restore_spool_clean(restore));
    TRY(restore_clean(restore));
    /* Only the delta comparisons depend on --delta/--force; a forced restore without delta copies everything. */
    bool compare = restore->delta;
    restore_settings_init(restore);
    restore->settings.delta = compare;
    TRY(restore_create_paths(restore));

    size_t file_total = 0;
    uint64_t size_total = 0;
    TRY(restore_files(restore, &file_total, &size_total));
    TRY(restore_recovery(restore));
    TRY(restore_sync(restore));
    TRY(restore_pg_control(restore));

    char size[32];
    restore_size_format(size_total, size, sizeof(size));
    LOG_INFO("restore size = %s, file total = %zu", size, file_total);
    return 0;
}

int
restore_run(void)
{
    Restore restore;
    memset(&restore, 0, sizeof(restore));
    int result = restore_execute(&restore);
    restore_free(&restore);
    return result;
}
