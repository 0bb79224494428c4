/* manifest_build: the manifest of a new backup from the data directory (see manifest_build.h). */
#include "engine/repo/manifest_build.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"

#define PG_DATA "pg_data"
#define PG_TBLSPC "pg_tblspc"

/* Files of the PGDATA root that are never backed up (backup_label and tablespace_map come from backup stop). */
static const char *const root_file_excludes[] = {
    "backup_label.old", "backup_manifest", "backup_manifest.tmp", "postgresql.auto.conf.tmp", "postmaster.opts",
    "postmaster.pid", "recovery.signal", "standby.signal", "recovery.conf", "recovery.done",
};

/* Directories of the PGDATA root whose content is never backed up (the directory itself is kept). */
static const char *const root_content_excludes[] = {
    "pg_dynshmem", "pg_notify", "pg_replslot", "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans",
};

typedef struct BuildState {
    Storage *storage;
    const ManifestBuildOptions *options;
    Manifest *manifest;
    char *tablespace_dir; /* PG_<ver>_<catalog> */
    const char *default_user;
    const char *default_group;
    size_t path_cap;
    size_t link_cap;
    size_t target_cap;
} BuildState;

/* One directory's entries, collected before recursing. */
typedef struct EntryList {
    StorageInfo *items;
    size_t count;
    size_t cap;
} EntryList;

static int
entry_collect(void *context, const StorageInfo *info)
{
    EntryList *list = context;
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 32;
        list->items = mem_realloc(list->items, list->cap * sizeof(StorageInfo));
    }
    StorageInfo *copy = &list->items[list->count++];
    *copy = *info;
    copy->name = info->name != NULL ? mem_strdup(info->name) : NULL;
    copy->user = info->user != NULL ? mem_strdup(info->user) : NULL;
    copy->group = info->group != NULL ? mem_strdup(info->group) : NULL;
    copy->link_dest = info->link_dest != NULL ? mem_strdup(info->link_dest) : NULL;
    return 0;
}

static void
entry_list_free(EntryList *list)
{
    for (size_t i = 0; i < list->count; i++)
        storage_info_clear(&list->items[i]);
    free(list->items);
}

/* --- owners, modes --- */

static ManifestOwner
owner_of(BuildState *state, const char *name, const char *default_name)
{
    ManifestOwner owner = {MANIFEST_OWNER_DEFAULT, NULL};
    if (name == NULL) {
        if (default_name != NULL)
            owner.kind = MANIFEST_OWNER_UNKNOWN;
    } else if (default_name == NULL || strcmp(name, default_name) != 0) {
        owner.kind = MANIFEST_OWNER_NAME;
        owner.name = manifest_intern(state->manifest, name);
    }
    return owner;
}

static ManifestOwner
owner_default(BuildState *state, const char *name)
{
    ManifestOwner owner = {MANIFEST_OWNER_UNKNOWN, NULL};
    if (name != NULL) {
        owner.kind = MANIFEST_OWNER_NAME;
        owner.name = manifest_intern(state->manifest, name);
    }
    return owner;
}

static int
mode_of(mode_t mode, int default_mode)
{
    return (int)(mode & 07777) == default_mode ? MANIFEST_MODE_DEFAULT : (int)(mode & 07777);
}

/* --- adding entries --- */

static void
path_add(BuildState *state, const char *name, const StorageInfo *info)
{
    Manifest *manifest = state->manifest;
    if (manifest->path_count == state->path_cap) {
        state->path_cap = state->path_cap ? state->path_cap * 2 : 64;
        manifest->paths = mem_realloc(manifest->paths, state->path_cap * sizeof(ManifestPath));
    }
    ManifestPath *path = &manifest->paths[manifest->path_count++];
    path->name = mem_strdup(name);
    path->user = owner_of(state, info->user, state->default_user);
    path->group = owner_of(state, info->group, state->default_group);
    path->mode = mode_of(info->mode, manifest->path_default.mode);
}

static void
link_add(BuildState *state, const char *name, const StorageInfo *info)
{
    Manifest *manifest = state->manifest;
    if (manifest->link_count == state->link_cap) {
        state->link_cap = state->link_cap ? state->link_cap * 2 : 8;
        manifest->links = mem_realloc(manifest->links, state->link_cap * sizeof(ManifestLink));
    }
    ManifestLink *link = &manifest->links[manifest->link_count++];
    link->name = mem_strdup(name);
    link->destination = mem_strdup(info->link_dest != NULL ? info->link_dest : "");
    link->user = owner_of(state, info->user, state->default_user);
    link->group = owner_of(state, info->group, state->default_group);
    if (!manifest->link_default.present) {
        manifest->link_default.present = true;
        manifest->link_default.user = owner_default(state, state->default_user);
        manifest->link_default.group = owner_default(state, state->default_group);
        manifest->link_default.mode = MANIFEST_MODE_DEFAULT;
    }
}

static ManifestTarget *
target_add(BuildState *state, const char *name, const char *path, const char *type)
{
    Manifest *manifest = state->manifest;
    if (manifest->target_count == state->target_cap) {
        state->target_cap = state->target_cap ? state->target_cap * 2 : 4;
        manifest->targets = mem_realloc(manifest->targets, state->target_cap * sizeof(ManifestTarget));
    }
    ManifestTarget *target = &manifest->targets[manifest->target_count++];
    memset(target, 0, sizeof(*target));
    target->name = mem_strdup(name);
    target->path = mem_strdup(path);
    target->type = mem_strdup(type);
    return target;
}

static void
file_add(BuildState *state, const char *name, const StorageInfo *info)
{
    ManifestFile *file = manifest_file_add(state->manifest, name);
    file->size = info->size;
    file->repo_size = info->size;
    file->timestamp = info->mtime;
    file->user = owner_of(state, info->user, state->default_user);
    file->group = owner_of(state, info->group, state->default_group);
    file->mode = mode_of(info->mode, state->manifest->file_default.mode);
}

/* --- exclusions --- */

static bool
all_digits(const char *text, size_t length)
{
    if (length == 0)
        return false;
    for (size_t i = 0; i < length; i++)
        if (!isdigit((unsigned char)text[i]))
            return false;
    return true;
}

/* A relation file: [0-9]+(_(fsm|vm|init))?(\.[0-9]+)?; *node_length is the length of the relfilenode digits. */
static bool
relation_name(const char *name, size_t *node_length, bool *init_fork)
{
    size_t digits = strspn(name, "0123456789");
    if (digits == 0)
        return false;
    const char *rest = name + digits;
    *init_fork = false;
    if (strncmp(rest, "_fsm", 4) == 0)
        rest += 4;
    else if (strncmp(rest, "_vm", 3) == 0)
        rest += 3;
    else if (strncmp(rest, "_init", 5) == 0) {
        rest += 5;
        *init_fork = true;
    }
    if (*rest == '.') {
        if (!all_digits(rest + 1, strlen(rest + 1)))
            return false;
    } else if (*rest != '\0')
        return false;
    *node_length = digits;
    return true;
}

/* Temporary relation "t<digits>_<digits>..." */
static bool
temp_relation(const char *name)
{
    if (name[0] != 't')
        return false;
    size_t backend = strspn(name + 1, "0123456789");
    if (backend == 0 || name[1 + backend] != '_')
        return false;
    size_t node = 0;
    bool init = false;
    return relation_name(name + 2 + backend, &node, &init);
}

static bool
pg_internal_init(const char *name)
{
    if (strncmp(name, "pg_internal.init", 16) != 0)
        return false;
    return name[16] == '\0' || (name[16] == '.' && all_digits(name + 17, strlen(name + 17)));
}

/* The exclude option: "dir/" matches a directory whose content is skipped, "name" an entry (relative to
 * PGDATA). *content_only is set for the "dir/" form. */
static bool
option_excluded(const BuildState *state, const char *relative, bool is_dir, bool *content_only)
{
    *content_only = false;
    for (size_t i = 0; i < state->options->exclude_count; i++) {
        const char *exclude = state->options->excludes[i];
        size_t length = strlen(exclude);
        if (length > 0 && exclude[length - 1] == '/') {
            if (is_dir && strncmp(relative, exclude, length - 1) == 0 && relative[length - 1] == '\0') {
                *content_only = true;
                return false;
            }
        } else if (strcmp(relative, exclude) == 0)
            return true;
    }
    return false;
}

static bool
in_list(const char *name, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(name, list[i]) == 0)
            return true;
    return false;
}

/* --- the walk --- */

typedef struct WalkDir {
    const char *pg_dir;     /* absolute directory on disk */
    const char *name;       /* manifest name of the directory ("pg_data", "pg_data/base/1", "pg_tblspc/16385/...") */
    const char *relative;   /* path relative to PGDATA ("" for the root), for the exclude option */
    bool db_dir;            /* pg_data/base/<oid>, pg_data/global or a tablespace database directory */
    bool root;              /* PGDATA itself */
    bool tablespace_root;   /* the tablespace's destination directory */
} WalkDir;

static int walk_dir(BuildState *state, const WalkDir *dir);

static char *
join(const char *a, const char *b)
{
    return a[0] == '\0' ? mem_strdup(b) : mem_printf("%s/%s", a, b);
}

/* pg_tblspc/<oid> link: a link entry, a target, the paths of the tablespace and its version directory. */
static int
walk_tablespace(BuildState *state, const StorageInfo *entry, const char *link_name)
{
    const char *oid = entry->name;
    const char *destination = entry->link_dest != NULL ? entry->link_dest : "";
    link_add(state, link_name, entry);

    char *name = mem_printf(PG_TBLSPC "/%s", oid);
    ManifestTarget *target = target_add(state, name, destination, "link");
    target->tablespace_id = mem_strdup(oid);
    for (size_t i = 0; i < state->options->tablespace_count; i++) {
        char number[16];
        snprintf(number, sizeof(number), "%" PRIu32, state->options->tablespaces[i].oid);
        if (strcmp(number, oid) == 0 && state->options->tablespaces[i].name != NULL)
            target->tablespace_name = mem_strdup(state->options->tablespaces[i].name);
    }

    StorageInfo info = {0};
    TRY(storage_info(state->storage, destination, true, &info));
    if (!info.exists || info.type != STORAGE_TYPE_PATH) {
        storage_info_clear(&info);
        free(name);
        return err_set(ERR_LINK_DESTINATION, "tablespace link '%s' destination '%s' is not a directory", link_name,
                       destination);
    }
    path_add(state, name, &info);
    storage_info_clear(&info);

    WalkDir dir = {destination, name, NULL, false, false, true};
    int result = walk_dir(state, &dir);
    free(name);
    return result;
}

/* A symlink inside PGDATA other than a tablespace: a link entry and a target; a directory destination is walked
 * under the link's name, a file destination becomes a file entry. */
static int
walk_link(BuildState *state, const WalkDir *parent, const StorageInfo *entry, const char *name, const char *relative)
{
    const char *destination = entry->link_dest != NULL ? entry->link_dest : "";
    char *full = mem_printf("%s/%s", parent->pg_dir, entry->name);
    StorageInfo info = {0};
    int result = storage_info(state->storage, full, true, &info);
    if (result == 0 && !info.exists)
        result = err_set(ERR_LINK_DESTINATION, "link '%s' destination '%s' does not exist", full, destination);
    if (result == 0) {
        link_add(state, name, entry);
        if (info.type == STORAGE_TYPE_PATH) {
            target_add(state, name, destination, "link");
            path_add(state, name, &info);
            WalkDir dir = {full, name, relative, false, false, false};
            result = walk_dir(state, &dir);
        } else if (info.type == STORAGE_TYPE_FILE) {
            const char *slash = strrchr(destination, '/');
            char *dest_dir = slash != NULL ? mem_strndup(destination, (size_t)(slash - destination)) : mem_strdup(".");
            ManifestTarget *target = target_add(state, name, dest_dir, "link");
            target->file = mem_strdup(slash != NULL ? slash + 1 : destination);
            free(dest_dir);
            file_add(state, name, &info);
        }
    }
    storage_info_clear(&info);
    free(full);
    return result;
}

/* Whether an entry of a directory is skipped entirely. */
static bool
entry_skipped(BuildState *state, const WalkDir *dir, const StorageInfo *entry, const char *relative)
{
    const char *name = entry->name;
    bool content_only = false;
    if (relative != NULL && option_excluded(state, relative, entry->type == STORAGE_TYPE_PATH, &content_only))
        return true;
    if (dir->root && entry->type != STORAGE_TYPE_PATH) {
        if (in_list(name, root_file_excludes, sizeof(root_file_excludes) / sizeof(root_file_excludes[0])))
            return true;
        if (state->options->online && (strcmp(name, "backup_label") == 0 || strcmp(name, "tablespace_map") == 0))
            return true;
    }
    if (entry->type == STORAGE_TYPE_PATH && strncmp(name, "pgsql_tmp", 9) == 0)
        return true;
    if (entry->type == STORAGE_TYPE_FILE && pg_internal_init(name))
        return true;
    if (dir->db_dir && entry->type == STORAGE_TYPE_FILE && temp_relation(name))
        return true;
    if (dir->tablespace_root && strcmp(name, state->tablespace_dir) != 0)
        return true;
    return false;
}

/* Whether the content of a sub-directory is skipped (the directory itself is kept). */
static bool
content_skipped(BuildState *state, const WalkDir *dir, const char *name, const char *relative)
{
    bool content_only = false;
    if (relative != NULL)
        option_excluded(state, relative, true, &content_only);
    if (content_only)
        return true;
    if (!dir->root)
        return false;
    if (in_list(name, root_content_excludes, sizeof(root_content_excludes) / sizeof(root_content_excludes[0])))
        return true;
    return state->options->online && (strcmp(name, "pg_wal") == 0 || strcmp(name, "pg_xlog") == 0);
}

/* Whether a sub-directory is a database directory (its files are relations). */
static bool
db_dir_of(const WalkDir *dir, const char *entry_name)
{
    if (dir->root)
        return strcmp(entry_name, "global") == 0;
    if (strcmp(dir->name, PG_DATA "/base") == 0)
        return all_digits(entry_name, strlen(entry_name));
    /* pg_tblspc/<oid>/PG_<ver>_<catalog>/<db oid> */
    if (strncmp(dir->name, PG_TBLSPC "/", strlen(PG_TBLSPC) + 1) == 0 && strchr(dir->name + 10, '/') != NULL &&
        strchr(strchr(dir->name + 10, '/') + 1, '/') == NULL)
        return all_digits(entry_name, strlen(entry_name));
    return false;
}

/* Unlogged relations: every fork and segment of a relfilenode that has an _init fork is skipped, except the
 * _init fork itself. */
static bool
unlogged_skipped(const EntryList *list, const char *name)
{
    size_t node_length = 0;
    bool init = false;
    if (!relation_name(name, &node_length, &init) || init)
        return false;
    for (size_t i = 0; i < list->count; i++) {
        const char *other = list->items[i].name;
        if (strncmp(other, name, node_length) == 0 && strncmp(other + node_length, "_init", 5) == 0)
            return true;
    }
    return false;
}

/* Add <wal dir>/archive_status when it exists. */
static int
walk_wal_status(BuildState *state, const WalkDir *dir, const char *wal_dir, const char *wal_name)
{
    char *full = mem_printf("%s/%s/archive_status", dir->pg_dir, wal_dir);
    StorageInfo info = {0};
    int result = storage_info(state->storage, full, false, &info);
    if (result == 0 && info.exists && info.type == STORAGE_TYPE_PATH) {
        char *name = mem_printf("%s/archive_status", wal_name);
        path_add(state, name, &info);
        free(name);
    }
    storage_info_clear(&info);
    free(full);
    return result;
}

static int
walk_entry(BuildState *state, const WalkDir *dir, const EntryList *list, const StorageInfo *entry)
{
    char *name = mem_printf("%s/%s", dir->name, entry->name);
    char *relative = dir->relative != NULL ? join(dir->relative, entry->name) : NULL;
    int result = 0;

    if (entry_skipped(state, dir, entry, relative))
        goto done;

    switch (entry->type) {
    case STORAGE_TYPE_FILE:
        if (dir->db_dir && unlogged_skipped(list, entry->name))
            break;
        file_add(state, name, entry);
        break;
    case STORAGE_TYPE_PATH: {
        path_add(state, name, entry);
        if (content_skipped(state, dir, entry->name, relative)) {
            /* PostgreSQL needs pg_wal/archive_status to start: the one directory kept inside skipped WAL */
            if (dir->root && (strcmp(entry->name, "pg_wal") == 0 || strcmp(entry->name, "pg_xlog") == 0))
                result = walk_wal_status(state, dir, entry->name, name);
            break;
        }
        char *pg_dir = mem_printf("%s/%s", dir->pg_dir, entry->name);
        bool db_dir = db_dir_of(dir, entry->name);
        WalkDir sub = {pg_dir, name, relative, db_dir, false, false};
        result = walk_dir(state, &sub);
        free(pg_dir);
        break;
    }
    case STORAGE_TYPE_LINK:
        if (strcmp(dir->name, PG_DATA "/" PG_TBLSPC) == 0)
            result = walk_tablespace(state, entry, name);
        else
            result = walk_link(state, dir, entry, name, relative);
        break;
    case STORAGE_TYPE_SPECIAL:
        LOG_WARN("exclude special file '%s/%s' from backup", dir->pg_dir, entry->name);
        break;
    }
done:
    free(relative);
    free(name);
    return result;
}

static int
walk_dir(BuildState *state, const WalkDir *dir)
{
    EntryList list = {NULL, 0, 0};
    int result = storage_list(state->storage, dir->pg_dir, NULL, false, true, false, entry_collect, &list);
    for (size_t i = 0; i < list.count && result == 0; i++)
        result = walk_entry(state, dir, &list, &list.items[i]);
    entry_list_free(&list);
    return result;
}

char *
manifest_build_tablespace_dir(const char *pg_version, uint32_t catalog_version)
{
    return mem_printf("PG_%s_%" PRIu32, pg_version, catalog_version);
}

int
manifest_build(Storage *pg_storage, const ManifestBuildOptions *options, Manifest *manifest)
{
    StorageInfo root = {0};
    TRY(storage_info(pg_storage, options->pg_path, true, &root));
    if (!root.exists || root.type != STORAGE_TYPE_PATH) {
        storage_info_clear(&root);
        return err_set(ERR_PATH_MISSING, "unable to list file info for missing path '%s'", options->pg_path);
    }

    BuildState state = {pg_storage, options, manifest, NULL, NULL, NULL, 0, 0, 0};
    state.tablespace_dir = manifest_build_tablespace_dir(options->pg_version, options->catalog_version);

    manifest->path_default.present = true;
    manifest->path_default.user = owner_default(&state, root.user);
    manifest->path_default.group = owner_default(&state, root.group);
    manifest->path_default.mode = (int)(root.mode & 07777);
    manifest->file_default = manifest->path_default;
    manifest->file_default.mode = (int)(root.mode & 0640);
    state.default_user = manifest->path_default.user.name;
    state.default_group = manifest->path_default.group.name;

    target_add(&state, PG_DATA, options->pg_path, "path");
    path_add(&state, PG_DATA, &root);
    storage_info_clear(&root);

    WalkDir dir = {options->pg_path, PG_DATA, "", false, true, false};
    int result = walk_dir(&state, &dir);

    /* pg_tblspc: present once tablespaces exist, with the info of pg_data/pg_tblspc */
    if (result == 0) {
        bool has_tablespace = false;
        for (size_t i = 0; i < manifest->target_count; i++)
            has_tablespace |= manifest->targets[i].tablespace_id != NULL;
        if (has_tablespace) {
            const ManifestPath *pg_tblspc = NULL;
            for (size_t i = 0; i < manifest->path_count; i++)
                if (strcmp(manifest->paths[i].name, PG_DATA "/" PG_TBLSPC) == 0)
                    pg_tblspc = &manifest->paths[i];
            ManifestPath copy = pg_tblspc != NULL ? *pg_tblspc : (ManifestPath){NULL, {0, NULL}, {0, NULL}, -1};
            if (manifest->path_count == state.path_cap) {
                state.path_cap = state.path_cap ? state.path_cap * 2 : 64;
                manifest->paths = mem_realloc(manifest->paths, state.path_cap * sizeof(ManifestPath));
            }
            copy.name = mem_strdup(PG_TBLSPC);
            manifest->paths[manifest->path_count++] = copy;
        }
        manifest_sort(manifest);
        /* targets: pg_data first, then by name */
        if (manifest->target_count > 2) {
            for (size_t i = 1; i < manifest->target_count; i++)
                for (size_t j = i + 1; j < manifest->target_count; j++)
                    if (strcmp(manifest->targets[j].name, manifest->targets[i].name) < 0) {
                        ManifestTarget swap = manifest->targets[i];
                        manifest->targets[i] = manifest->targets[j];
                        manifest->targets[j] = swap;
                    }
        }
    }
    free(state.tablespace_dir);
    return result;
}

/* --- file facts --- */

bool
manifest_build_page_candidate(const char *name, const char *tablespace_dir)
{
    const char *slash = strrchr(name, '/');
    if (slash == NULL)
        return false;
    const char *base = slash + 1;
    if (strcmp(base, "pg_filenode.map") == 0 || strcmp(base, "PG_VERSION") == 0 ||
        strcmp(name, PG_DATA "/global/pg_control") == 0)
        return false;
    size_t dir_length = (size_t)(slash - name);
    if (dir_length == strlen(PG_DATA "/global") && strncmp(name, PG_DATA "/global", dir_length) == 0)
        return true;
    const char *base_prefix = PG_DATA "/base/";
    if (strncmp(name, base_prefix, strlen(base_prefix)) == 0) {
        const char *oid = name + strlen(base_prefix);
        return all_digits(oid, (size_t)(slash - oid));
    }
    const char *tblspc_prefix = PG_TBLSPC "/";
    if (strncmp(name, tblspc_prefix, strlen(tblspc_prefix)) == 0) {
        const char *oid = name + strlen(tblspc_prefix);
        const char *after = strchr(oid, '/');
        if (after == NULL || !all_digits(oid, (size_t)(after - oid)))
            return false;
        size_t dir_name_length = strlen(tablespace_dir);
        if (strncmp(after + 1, tablespace_dir, dir_name_length) != 0 || after[1 + dir_name_length] != '/')
            return false;
        const char *db = after + 2 + dir_name_length;
        return db < slash && all_digits(db, (size_t)(slash - db));
    }
    return false;
}

uint32_t
manifest_build_segment_no(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash != NULL ? slash : name, '.');
    if (dot == NULL || !all_digits(dot + 1, strlen(dot + 1)))
        return 0;
    return (uint32_t)strtoul(dot + 1, NULL, 10);
}

char *
manifest_build_pg_file(const char *pg_path, const char *name)
{
    if (strncmp(name, PG_DATA "/", strlen(PG_DATA) + 1) == 0)
        return mem_printf("%s/%s", pg_path, name + strlen(PG_DATA) + 1);
    if (strcmp(name, PG_DATA) == 0)
        return mem_strdup(pg_path);
    return mem_printf("%s/%s", pg_path, name);
}

/* --- differential / incremental --- */

static uint32_t
timeline_of(const char *segment)
{
    if (segment == NULL || strlen(segment) < 8)
        return 0;
    char text[9];
    memcpy(text, segment, 8);
    text[8] = '\0';
    return (uint32_t)strtoul(text, NULL, 16);
}

/* Delta is needed when the timestamps of the data directory cannot be trusted against the prior's. */
static void
incr_delta_check(const Manifest *manifest, const Manifest *prior, bool *delta)
{
    if (*delta)
        return;
    if (manifest->backup.archive_start != NULL && prior->backup.archive_stop != NULL &&
        timeline_of(manifest->backup.archive_start) != timeline_of(prior->backup.archive_stop)) {
        LOG_WARN("a timeline switch has occurred since the %s backup, enabling delta checksum\n"
                 "HINT: this is normal after restoring from backup or promoting a standby.",
                 prior->backup.label);
        *delta = true;
        return;
    }
    if (manifest->options.online != prior->options.online) {
        LOG_WARN("the online option has changed since the %s backup, enabling delta checksum", prior->backup.label);
        *delta = true;
        return;
    }
    for (size_t i = 0; i < manifest->file_count; i++) {
        const ManifestFile *file = &manifest->files[i];
        const ManifestFile *old = manifest_file_find(prior, file->name);
        if (old == NULL)
            continue;
        if (file->timestamp < old->timestamp) {
            LOG_WARN("file '%s' has timestamp earlier than prior backup (prior %" PRId64 ", current %" PRId64
                     "), enabling delta checksum", file->name, old->timestamp, file->timestamp);
            *delta = true;
            return;
        }
        if (file->timestamp == old->timestamp && file->size != old->size) {
            LOG_WARN("file '%s' has same timestamp (%" PRId64 ") as prior but different size (prior %" PRIu64
                     ", current %" PRIu64 "), enabling delta checksum", file->name, file->timestamp, old->size,
                     file->size);
            *delta = true;
            return;
        }
    }
}

void
manifest_build_incr(Manifest *manifest, const Manifest *prior, bool *delta)
{
    incr_delta_check(manifest, prior, delta);
    for (size_t i = 0; i < manifest->file_count; i++) {
        ManifestFile *file = &manifest->files[i];
        const ManifestFile *old = manifest_file_find(prior, file->name);
        if (old == NULL || old->block_incr_size != 0)
            continue;
        if (file->size != old->size || !(*delta || file->size == 0 || file->timestamp == old->timestamp))
            continue;
        file->repo_size = old->repo_size;
        file->has_checksum = old->has_checksum;
        memcpy(file->checksum, old->checksum, sizeof(file->checksum));
        file->has_repo_checksum = old->has_repo_checksum;
        memcpy(file->repo_checksum, old->repo_checksum, sizeof(file->repo_checksum));
        file->checksum_page_checked = old->checksum_page_checked;
        file->checksum_page = old->checksum_page;
        if (old->checksum_page_error != NULL) {
            char *text = json_to_string(old->checksum_page_error);
            json_parse(text, strlen(text), &file->checksum_page_error);
            free(text);
        }
        file->bundle_id = old->bundle_id;
        file->bundle_offset = old->bundle_offset;
        file->reference = manifest_intern(manifest, old->reference != NULL ? old->reference : prior->backup.label);
        if (!*delta)
            LOG_DETAIL("reference %s to %s", file->name, file->reference);
    }
}
