/* backup: online backup into a repository (see backup.h). */
#include "engine/ops/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/strlist.h"
#include "engine/ops/backup_file.h"
#include "engine/ops/lock.h"
#include "engine/ops/progress.h"
#include "engine/pg/control.h"
#include "engine/pg/db.h"
#include "engine/pg/page_check.h"
#include "engine/pg/wal.h"
#include "engine/repo/info_archive.h"
#include "engine/repo/info_backup.h"
#include "engine/repo/info_file.h"
#include "engine/repo/manifest.h"
#include "engine/repo/layout.h"
#include "engine/repo/manifest_build.h"
#include "engine/repo/repo.h"
#include "protocol/pool.h"
#include "storage/filter/hash.h"
#include "storage/posix.h"

#define BACKUP_LABEL_FILE "backup_label"
#define TABLESPACE_MAP_FILE "tablespace_map"

/* Everything one backup run holds; released by backup_state_free. */
typedef struct BackupState {
    const BackupOptions *options;
    Lock *lock;
    Repo repo;
    bool repo_open;
    InfoArchive archive_info;
    InfoBackup backup_info;
    char *archive_id;
    Storage *pg_root;          /* rooted at "/" (data directory, tablespaces, links) */
    PgControl control;
    PgDb *db;
    bool backup_started;
    PgDbBackupStart start;
    const InfoBackupEntry *prior_entry;
    Manifest prior;
    bool has_prior;
    BackupType type;
    CompressType compress_type;
    int compress_level;
    bool delta;
    time_t timestamp_start;
    char *label;
    char *backup_path;         /* backup/<stanza>/<label> */
    Manifest manifest;
    bool checksum_page;
    char *tablespace_dir;
    char cipher_subpass[65];
    uint64_t size_total;
    uint64_t size_done;
    unsigned progress_last;    /* percent x 100 written to the lock file */
    Progress meter;            /* terminal status line and detail-level progress */
    uint64_t saved_at;         /* size_done at the last .copy save */
    bool *file_removed;        /* per manifest file: vanished during the backup */
    uint64_t bundle_last;      /* repo-bundle: the id of the last bundle started (bundle/1, bundle/2, ...) */
    /* resume */
    char *resume_label;        /* the leftover directory being resumed, NULL when none */
    Manifest resumed;          /* its manifest (.copy) */
    const ManifestFile **resume_from; /* per manifest file: its entry in `resumed` when the copy is kept */
    bool succeeded;
} BackupState;

/* --- small helpers --- */

static char *
stanza_backup_path(const BackupState *state, const char *file)
{
    return mem_printf("backup/%s/%s", state->options->stanza, file);
}

static void
sleep_ms(unsigned ms)
{
    struct timespec wait = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&wait, NULL);
}

static int64_t
now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* --- preparation: lock, info files, cluster --- */

static int
backup_open(BackupState *state)
{
    const BackupOptions *options = state->options;
    TRY(stop_check(options->lock_path, options->stanza));
    char *exec_id = options->exec_id == NULL ? lock_exec_id_new() : NULL;
    int result = lock_acquire(options->lock_path, options->stanza, LOCK_TYPE_BACKUP,
                              exec_id != NULL ? exec_id : options->exec_id, &state->lock);
    free(exec_id);
    TRY(result);
    TRY(repo_open(options->repo_index, true, &state->repo));
    state->repo_open = true;
    if (!options->retention_full_set)
        LOG_WARN("option 'repo%u-retention-full' is not set for 'repo%u-retention-full-type=count', the repository "
                 "may run out of space\nHINT: to retain full backups indefinitely (without warning), set option "
                 "'repo%u-retention-full' to the maximum.", state->repo.key, state->repo.key, state->repo.key);

    char *path = mem_printf("archive/%s/" INFO_ARCHIVE_FILE, options->stanza);
    result = info_archive_load(state->repo.storage, path, state->repo.cipher_type, state->repo.cipher_pass,
                               &state->archive_info);
    free(path);
    TRY(result);
    path = stanza_backup_path(state, INFO_BACKUP_FILE);
    result = info_backup_load(state->repo.storage, path, state->repo.cipher_type, state->repo.cipher_pass,
                              &state->backup_info);
    free(path);
    TRY(result);

    const InfoArchiveHistory *archive = info_archive_current(&state->archive_info);
    const InfoBackupHistory *backup = info_backup_current(&state->backup_info);
    if (archive == NULL || backup == NULL || archive->system_id != backup->system_id ||
        strcmp(archive->version, backup->version) != 0 || archive->id != backup->id)
        return err_set(ERR_FILE_INVALID, "backup info file and archive info file do not match\n"
                       "HINT: this may be a symptom of repository corruption!");
    state->archive_id = info_archive_id(archive);
    return 0;
}

static int
backup_cluster_open(BackupState *state)
{
    const BackupOptions *options = state->options;
    Storage *pg_data = storage_posix_new(options->pg_path, false);
    int result = pg_control_load(pg_data, &state->control);
    storage_free(pg_data);
    TRY(result);

    const InfoBackupHistory *history = info_backup_current(&state->backup_info);
    if (state->control.system_id != history->system_id || strcmp(state->control.version->name, history->version) != 0)
        return err_set(ERR_BACKUP_MISMATCH, "PostgreSQL version %s, system-id %" PRIu64 " do not match stanza version "
                       "%s, system-id %" PRIu64 "\nHINT: is this the correct stanza?", state->control.version->name,
                       state->control.system_id, history->version, history->system_id);

    state->pg_root = storage_posix_new("/", false);
    if (!options->online) {
        /* offline: the cluster must be stopped (no postmaster.pid), and nothing is asked of it */
        char *pid_file = mem_printf("%s/postmaster.pid", options->pg_path);
        StorageInfo info;
        memset(&info, 0, sizeof(info));
        int result = storage_info(state->pg_root, pid_file, false, &info);
        bool running = result == 0 && info.exists;
        storage_info_clear(&info);
        free(pid_file);
        TRY(result);
        if (running && !options->force)
            return err_set(ERR_PG_RUNNING, "--no-online passed but postmaster.pid exists - looks like PostgreSQL is "
                           "running. Shut down PostgreSQL and try again, or use --force.");
        /* 2.45 checks pages only when asked to, offline */
        state->checksum_page = options->checksum_page_set && options->checksum_page;
    } else {
        PgDbOptions db_options = {options->pg_path, options->pg_port, options->pg_socket_path, options->pg_user,
                                  options->pg_database, options->db_timeout_ms, "backup",
                                  state->control.version->num};
        TRY(pg_db_connect(&db_options, &state->db));
        if (pg_db_facts(state->db)->in_recovery)
            return err_set(ERR_FEATURE_NOT_SUPPORTED, "backup from a standby is not supported by gaiarest (pg1-path '%s' "
                           "is in recovery)", options->pg_path);
        state->checksum_page = options->checksum_page_set ? options->checksum_page
                                                          : state->control.data_checksum_version != 0;
    }
    state->tablespace_dir = manifest_build_tablespace_dir(state->control.version->name,
                                                          state->control.catalog_version);
    return 0;
}

/* --- prior backup, option inheritance --- */

static int
backup_prior_find(BackupState *state)
{
    const BackupOptions *options = state->options;
    state->type = options->type;
    state->compress_type = options->compress_type;
    state->compress_level = options->compress_level_set ? options->compress_level
                                                        : compress_level_default(options->compress_type);
    state->delta = options->delta;
    if (state->type == BACKUP_TYPE_FULL)
        return 0;

    const InfoBackup *info = &state->backup_info;
    for (size_t i = info->backup_count; i > 0; i--) {
        const InfoBackupEntry *entry = &info->backups[i - 1];
        if (entry->db_id != info->db_id)
            continue;
        if (state->type == BACKUP_TYPE_DIFF && entry->type != BACKUP_TYPE_FULL)
            continue;
        state->prior_entry = entry;
        break;
    }
    if (state->prior_entry == NULL) {
        LOG_WARN("no prior backup exists, %s backup has been changed to full", backup_type_name(state->type));
        state->type = BACKUP_TYPE_FULL;
        return 0;
    }

    char *path = mem_printf("backup/%s/%s/" MANIFEST_FILE, options->stanza, state->prior_entry->label);
    int result = manifest_load(state->repo.storage, path, state->repo.cipher_type, state->backup_info.cipher_pass,
                               &state->prior);
    free(path);
    TRY(result);
    state->has_prior = true;
    LOG_INFO("last backup label = %s, version = %s", state->prior.backup.label,
             state->prior.backrest_version != NULL ? state->prior.backrest_version : INFO_BACKREST_VERSION);

    const char *prior_type = state->prior.options.compress_type;
    int inherited = prior_type != NULL ? compress_type_parse(prior_type)
                                       : (state->prior.options.compress ? COMPRESS_GZ : COMPRESS_NONE);
    if (inherited < 0)
        return err_set(ERR_FORMAT, "backup '%s' has an unknown compress-type '%s'", state->prior.backup.label,
                       prior_type);
    if ((CompressType)inherited != state->compress_type)
        LOG_WARN("%s backup cannot alter compress-type option to '%s', reset to value in %s",
                 backup_type_name(state->type), compress_type_name(state->compress_type), state->prior.backup.label);
    state->compress_type = (CompressType)inherited;
    state->compress_level = state->prior.options.has_compress_level ? (int)state->prior.options.compress_level
                                                                    : compress_level_default(state->compress_type);
    if (state->prior.options.hardlink)
        return err_set(ERR_FEATURE_NOT_SUPPORTED, "backup '%s' uses repo hardlinks, which gaiarest does not write",
                       state->prior.backup.label);
    if (state->prior.backup.block_incr)
        return err_set(ERR_FEATURE_NOT_SUPPORTED, "backup '%s' is block incremental, which gaiarest does not continue; "
                       "take a full backup", state->prior.backup.label);
    return 0;
}

/* --- leftovers of interrupted backups: resume the newest or remove them --- */

/* Why the leftover `label` (its manifest loaded into `resumed`) cannot be resumed by this backup, NULL when it can
 * (into `why`). */
static const char *
backup_resume_mismatch(const BackupState *state, const Manifest *resumed, char *why, size_t size)
{
    const char *version = resumed->backrest_version != NULL ? resumed->backrest_version : "<undef>";
    if (strcmp(version, INFO_BACKREST_VERSION) != 0) {
        snprintf(why, size, "new pgBackRest version '%s' does not match resumable pgBackRest version '%s'",
                 INFO_BACKREST_VERSION, version);
        return why;
    }
    if (resumed->backup.type != state->type) {
        snprintf(why, size, "new backup type '%s' does not match resumable backup type '%s'",
                 backup_type_name(state->type), backup_type_name(resumed->backup.type));
        return why;
    }
    const char *prior = state->has_prior ? state->prior.backup.label : NULL;
    const char *resumed_prior = resumed->backup.prior;
    if ((prior == NULL) != (resumed_prior == NULL) || (prior != NULL && strcmp(prior, resumed_prior) != 0)) {
        snprintf(why, size, "new prior backup label '%s' does not match resumable prior backup label '%s'",
                 prior != NULL ? prior : "<undef>", resumed_prior != NULL ? resumed_prior : "<undef>");
        return why;
    }
    const char *compress = compress_type_name(state->compress_type);
    const char *resumed_compress = resumed->options.compress_type != NULL ? resumed->options.compress_type
                                   : resumed->options.compress ? "gz" : "none";
    if (strcmp(compress, resumed_compress) != 0) {
        snprintf(why, size, "new compression '%s' does not match resumable compression '%s'", compress,
                 resumed_compress);
        return why;
    }
    /* a bundle holds many files at offsets only its final manifest records: its pieces cannot be kept */
    if (state->options->bundle || resumed->backup.bundle) {
        snprintf(why, size, "bundled backups are not resumed");
        return why;
    }
    return NULL;
}

/* Decide about the directories of backups that are not in backup.info: the newest one (newer than every backup in
 * backup.info) is resumed when resume=y and it matches; every other one is removed. */
static int
backup_resume_find(BackupState *state)
{
    char *stanza_path = mem_printf("backup/%s", state->options->stanza);
    char **names = NULL;
    size_t count = 0;
    int result = storage_list_names(state->repo.storage, stanza_path, BACKUP_LABEL_REGEX, true, &names, &count);
    const char *newest_info = state->backup_info.backup_count > 0
                              ? state->backup_info.backups[state->backup_info.backup_count - 1].label : NULL;
    bool candidate_seen = false;
    for (size_t i = count; i > 0 && result == 0; i--) {
        const char *label = names[i - 1];
        if (info_backup_find(&state->backup_info, label) != NULL)
            continue;
        bool candidate = !candidate_seen && (newest_info == NULL || strcmp(label, newest_info) > 0);
        candidate_seen = true;
        if (candidate) {
            if (!state->options->resume) {
                LOG_INFO("backup '%s' cannot be resumed: resume is disabled", label);
            } else {
                char *path = mem_printf("%s/%s/" MANIFEST_FILE, stanza_path, label);
                Manifest resumed;
                memset(&resumed, 0, sizeof(resumed));
                if (manifest_load(state->repo.storage, path, state->repo.cipher_type, state->backup_info.cipher_pass,
                                  &resumed) < 0) {
                    LOG_WARN("backup '%s' cannot be resumed: unable to read %s" INFO_COPY_EXT, label, path);
                    err_clear();
                } else {
                    char why[512];
                    if (backup_resume_mismatch(state, &resumed, why, sizeof(why)) != NULL) {
                        LOG_WARN("backup '%s' cannot be resumed: %s", label, why);
                        manifest_free(&resumed);
                    } else {
                        LOG_WARN("resumable backup %s of same type exists -- invalid files will be removed then the "
                                 "backup will resume", label);
                        state->resume_label = mem_strdup(label);
                        state->resumed = resumed;
                        free(path);
                        continue;
                    }
                }
                free(path);
            }
        }
        char *path = mem_printf("%s/%s", stanza_path, label);
        result = storage_path_remove(state->repo.storage, path, true);
        free(path);
    }
    storage_names_free(names, count);
    free(stanza_path);
    return result;
}

/* A storage_list callback: the files (not the directories) into a StrList. */
static int
backup_resume_list_add(void *context, const StorageInfo *info)
{
    if (info->type == STORAGE_TYPE_FILE)
        strlist_add(context, info->name);
    return 0;
}

/* Why a file of the resumed directory cannot be kept, NULL when it can (*index: its place in the new manifest). */
static const char *
backup_resume_file_check(BackupState *state, const char *stored, size_t *index, const ManifestFile **from)
{
    const char *ext = compress_type_ext(state->compress_type);
    size_t length = strlen(stored), ext_length = strlen(ext);
    if (ext_length > 0) {
        if (length <= ext_length + 1 || stored[length - ext_length - 1] != '.' ||
            strcmp(stored + length - ext_length, ext) != 0)
            return "missing in manifest";
        length -= ext_length + 1;
    }
    char *name = mem_strndup(stored, length);
    const ManifestFile *file = manifest_file_find(&state->manifest, name);
    const ManifestFile *old = manifest_file_find(&state->resumed, name);
    free(name);
    if (file == NULL)
        return "missing in manifest";
    if (file->reference != NULL)
        return "reference in manifest";
    if (old == NULL || !old->has_checksum || old->reference != NULL)
        return "no checksum in resumed manifest";
    if (old->size != file->size)
        return "mismatched size";
    if (old->timestamp != file->timestamp)
        return "mismatched timestamp";
    *index = (size_t)(file - state->manifest.files);
    *from = old;
    return NULL;
}

/* Go through the files of the resumed directory: keep those the new backup can reuse (verified later by the
 * workers), remove the others. */
static int
backup_resume_clean(BackupState *state)
{
    state->resume_from = mem_calloc(state->manifest.file_count + 1, sizeof(ManifestFile *));
    StrList list = STRLIST_INIT;
    int result = storage_list(state->repo.storage, state->backup_path, NULL, true, true, true, backup_resume_list_add,
                              &list);
    for (size_t i = 0; i < list.count && result == 0; i++) {
        const char *stored = list.items[i];
        if (strcmp(stored, MANIFEST_FILE INFO_COPY_EXT) == 0)
            continue;
        char *path = mem_printf("%s/%s", state->backup_path, stored);
        if (strcmp(stored, MANIFEST_FILE) == 0) {
            result = storage_remove(state->repo.storage, path, false);
            free(path);
            continue;
        }
        size_t index = 0;
        const ManifestFile *from = NULL;
        const char *why = backup_resume_file_check(state, stored, &index, &from);
        if (why == NULL) {
            state->resume_from[index] = from;
        } else {
            char *full = storage_path(state->repo.storage, path);
            LOG_DETAIL("remove file '%s' from resumed backup (%s)", full != NULL ? full : path, why);
            free(full);
            result = storage_remove(state->repo.storage, path, false);
        }
        free(path);
    }
    strlist_free(&list);
    return result;
}

/* --- label --- */

/* The newest label among backup directories, backup.info and the newest backup.history year. */
static int
backup_label_latest(BackupState *state, char **latest)
{
    *latest = NULL;
    char *stanza_path = mem_printf("backup/%s", state->options->stanza);
    char **names = NULL;
    size_t count = 0;
    int result = storage_list_names(state->repo.storage, stanza_path, BACKUP_LABEL_REGEX, true, &names, &count);
    if (result == 0 && count > 0)
        *latest = mem_strdup(names[count - 1]);
    storage_names_free(names, count);
    if (state->backup_info.backup_count > 0) {
        const char *label = state->backup_info.backups[state->backup_info.backup_count - 1].label;
        if (*latest == NULL || strcmp(label, *latest) > 0) {
            free(*latest);
            *latest = mem_strdup(label);
        }
    }

    char *history = mem_printf("%s/" BACKUP_HISTORY_PATH, stanza_path);
    char **years = NULL;
    size_t year_count = 0;
    if (result == 0)
        result = storage_list_names(state->repo.storage, history, "^2[0-9]{3}$", true, &years, &year_count);
    if (result == 0 && year_count > 0) {
        char *year_path = mem_printf("%s/%s", history, years[year_count - 1]);
        char **files = NULL;
        size_t file_count = 0;
        result = storage_list_names(state->repo.storage, year_path,
                                    "^[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}(D|I))?\\.manifest\\.gz$", true, &files,
                                    &file_count);
        if (result == 0 && file_count > 0) {
            char *label = mem_strndup(files[file_count - 1], strlen(files[file_count - 1]) - strlen(".manifest.gz"));
            if (*latest == NULL || strcmp(label, *latest) > 0) {
                free(*latest);
                *latest = label;
            } else
                free(label);
        }
        storage_names_free(files, file_count);
        free(year_path);
    }
    storage_names_free(years, year_count);
    free(history);
    free(stanza_path);
    return result;
}

static int
backup_label_make(BackupState *state)
{
    if (state->resume_label != NULL) {
        state->label = mem_strdup(state->resume_label);
        state->backup_path = mem_printf("backup/%s/%s", state->options->stanza, state->label);
        return 0;
    }
    char *latest = NULL;
    TRY(backup_label_latest(state, &latest));
    const char *prior_label = state->has_prior ? state->prior.backup.label : NULL;
    state->label = layout_backup_label(state->type, prior_label, state->timestamp_start);
    if (latest != NULL && strcmp(state->label, latest) <= 0) {
        free(state->label);
        state->timestamp_start++;
        state->label = layout_backup_label(state->type, prior_label, state->timestamp_start);
        if (strcmp(state->label, latest) <= 0) {
            err_set(ERR_FORMAT, "new backup label '%s' is not later than latest backup label '%s'\n"
                    "HINT: has the timezone changed?\nHINT: is there clock skew?", state->label, latest);
            free(latest);
            return -1;
        }
    }
    free(latest);
    state->backup_path = mem_printf("backup/%s/%s", state->options->stanza, state->label);
    return 0;
}

/* --- manifest --- */

static int
backup_manifest_build(BackupState *state)
{
    const BackupOptions *options = state->options;
    PgDbTablespaceList tablespaces = {NULL, 0};
    if (state->db != NULL)
        TRY(pg_db_tablespace_list(state->db, &tablespaces));
    ManifestBuildTablespace *names = mem_calloc(tablespaces.count + 1, sizeof(ManifestBuildTablespace));
    for (size_t i = 0; i < tablespaces.count; i++) {
        names[i].oid = tablespaces.items[i].oid;
        names[i].name = tablespaces.items[i].name;
    }
    ManifestBuildOptions build = {options->pg_path, state->control.version->name, state->control.catalog_version,
                                  options->online, names, tablespaces.count, options->excludes,
                                  options->exclude_count};
    Manifest *manifest = &state->manifest;
    int result = manifest_build(state->pg_root, &build, manifest);
    free(names);
    pg_db_tablespace_list_free(&tablespaces);
    TRY(result);

    PgDbDatabaseList databases = {NULL, 0};
    if (state->db != NULL) /* offline: no [db] section, as 2.45 */
        TRY(pg_db_database_list(state->db, &databases));
    manifest->dbs = mem_calloc(databases.count + 1, sizeof(ManifestDb));
    manifest->db_count = databases.count;
    for (size_t i = 0; i < databases.count; i++) {
        manifest->dbs[i].name = mem_strdup(databases.items[i].name);
        manifest->dbs[i].id = databases.items[i].oid;
        manifest->dbs[i].last_system_id = databases.items[i].last_system_id;
    }
    pg_db_database_list_free(&databases);

    manifest->backrest_version = mem_strdup(INFO_BACKREST_VERSION);
    ManifestBackup *backup = &manifest->backup;
    backup->archive_start = options->online ? mem_strdup(state->start.wal_file) : NULL;
    backup->label = mem_strdup(state->label);
    backup->lsn_start = options->online ? mem_strdup(state->start.lsn) : NULL;
    backup->timestamp_start = (int64_t)state->timestamp_start;
    backup->type = state->type;
    backup->bundle = options->bundle;
    if (state->has_prior) {
        backup->prior = mem_strdup(state->prior.backup.label);
        backup->reference = mem_printf("%s,%s", state->prior.backup.reference, state->label);
    } else
        backup->reference = mem_strdup(state->label);

    const InfoBackupHistory *history = info_backup_current(&state->backup_info);
    manifest->db_info.catalog_version = state->control.catalog_version;
    manifest->db_info.control_version = state->control.control_version;
    manifest->db_info.id = history->id;
    manifest->db_info.system_id = state->control.system_id;
    manifest->db_info.version = mem_strdup(state->control.version->name);

    ManifestOptions *option = &manifest->options;
    option->archive_check = options->online && options->archive_check;
    option->archive_copy = options->archive_copy;
    option->has_backup_standby = true;
    option->has_buffer_size = true;
    option->buffer_size = options->buffer_size;
    option->has_checksum_page = true;
    option->checksum_page = state->checksum_page;
    option->compress = state->compress_type != COMPRESS_NONE;
    option->has_compress_level = true;
    option->compress_level = state->compress_level;
    option->has_compress_level_network = true;
    option->compress_level_network = options->compress_level_network;
    option->compress_type = mem_strdup(compress_type_name(state->compress_type));
    option->has_delta = true;
    option->online = options->online;
    option->has_process_max = true;
    option->process_max = options->process_max;

    if (options->annotation_json != NULL)
        TRY(json_parse(options->annotation_json, strlen(options->annotation_json), &manifest->annotation));

    if (state->repo.cipher_type != CIPHER_NONE) {
        if (state->resume_label != NULL && state->resumed.cipher_pass != NULL)
            snprintf(state->cipher_subpass, sizeof(state->cipher_subpass), "%s", state->resumed.cipher_pass);
        else if (state->has_prior && state->prior.cipher_pass != NULL)
            snprintf(state->cipher_subpass, sizeof(state->cipher_subpass), "%s", state->prior.cipher_pass);
        else
            TRY(cipher_subpass_generate(state->cipher_subpass));
        manifest->cipher_pass = mem_strdup(state->cipher_subpass);
    }

    if (state->has_prior)
        manifest_build_incr(manifest, &state->prior, &state->delta);
    option->delta = state->delta;
    return 0;
}

/* Render and encrypt the manifest into `out`. */
static int
backup_manifest_bytes(BackupState *state, Buf *out, bool gz)
{
    Buf text = BUF_INIT;
    manifest_render(&state->manifest, &text);
    Pipeline *pipeline = pipeline_new();
    if (gz)
        pipeline_add(pipeline, filter_compress_new(COMPRESS_GZ, 9, false));
    if (state->repo.cipher_type != CIPHER_NONE)
        pipeline_add(pipeline, filter_cipher_new(CIPHER_ENCRYPT, state->backup_info.cipher_pass,
                                                 strlen(state->backup_info.cipher_pass), false));
    int result = pipeline_run_buffer(pipeline, text.data, text.size, out);
    pipeline_free(pipeline);
    buf_free(&text);
    return result;
}

/* Save backup.manifest.copy only (while the backup runs). */
static int
backup_manifest_save_copy(BackupState *state)
{
    Buf bytes = BUF_INIT;
    int result = backup_manifest_bytes(state, &bytes, false);
    char *path = mem_printf("%s/" MANIFEST_FILE INFO_COPY_EXT, state->backup_path);
    if (result == 0)
        result = storage_put(state->repo.storage, path, NULL, bytes.data, bytes.size);
    free(path);
    buf_free(&bytes);
    return result;
}

/* --- copying files --- */

static char *
backup_repo_file(const BackupState *state, const char *name)
{
    const char *ext = compress_type_ext(state->compress_type);
    return ext[0] != '\0' ? mem_printf("%s/%s.%s", state->backup_path, name, ext)
                          : mem_printf("%s/%s", state->backup_path, name);
}

/* Small files travel in batches, so that a cluster of many small files does not pay a thread hand-off per file. */
#define BACKUP_BATCH_BYTES ((uint64_t)4 << 20)
#define BACKUP_BATCH_FILES 128

typedef struct BackupBatch {
    BackupFileJob **jobs;
    size_t count;
    size_t capacity;
    uint64_t bundle_id;  /* repo-bundle: the jobs go into this bundle (1, 2, ...); 0: each to a file of its own */
    char *bundle_file;   /* backup/<stanza>/<label>/bundle/<bundle_id> */
} BackupBatch;

/* Whether each copy worker hashes on a thread of its own: when the cores outnumber the workers (process-max 1 on
 * two cores), the SHA-1 of the data files runs beside page checks and compression instead of after them. */
static bool
backup_hash_threads(int64_t process_max)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 && process_max > 0 && cores > process_max;
}

/* Threads for the compression of one large file: every core, so that the last large files, which otherwise keep one
 * core busy while the others have run out of work, finish sooner (zst: libzstd's workers). */
static unsigned
backup_compress_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 1 ? (unsigned)(cores < 8 ? cores : 8) : 0;
}

/* A copy worker: the shared settings with a repository storage of its own (opened in its thread, used by it alone)
 * and, when the cores outnumber the workers, its own hashing thread. */
typedef struct BackupWorker {
    BackupFileShared shared;
    Repo repo;
    HashThread *hasher;
} BackupWorker;

static void
backup_worker_free(void *context)
{
    BackupWorker *worker = context;
    if (worker == NULL)
        return;
    hash_thread_free(worker->hasher);
    repo_close(&worker->repo);
    free(worker);
}

static int
backup_worker_init(void *shared, unsigned worker_index, void **context)
{
    (void)worker_index;
    BackupWorker *worker = mem_calloc(1, sizeof(BackupWorker));
    worker->shared = *(const BackupFileShared *)shared;
    if (repo_open(worker->shared.repo_index, true, &worker->repo) < 0) {
        free(worker);
        return -1;
    }
    worker->shared.repo = worker->repo.storage;
    if (worker->shared.hash_threads && hash_thread_start(&worker->hasher) < 0) {
        backup_worker_free(worker);
        return -1;
    }
    *context = worker;
    return 0;
}

/* Run every job of a batch in turn (a PoolJobRun); stops at the first failure. */
static int
backup_batch_run(void *context, void *batch_pointer)
{
    BackupWorker *worker = context;
    BackupBatch *batch = batch_pointer;
    if (batch->bundle_id != 0)
        return backup_file_bundle_run(&worker->shared, worker->hasher, batch->bundle_file, batch->bundle_id,
                                      batch->jobs, batch->count);
    for (size_t i = 0; i < batch->count; i++)
        TRY(backup_file_run(&worker->shared, worker->hasher, batch->jobs[i]));
    return 0;
}

static void
backup_batch_free(BackupBatch *batch)
{
    for (size_t i = 0; i < batch->count; i++)
        backup_file_job_free(batch->jobs[i]);
    free(batch->jobs);
    free(batch->bundle_file);
    free(batch);
}

/* The files to copy, largest first (indexes only: jobs are made when submitted, so their memory follows the jobs
 * in flight, not the number of files). */
typedef struct JobSort {
    size_t index;
    uint64_t size;
    const char *name;
} JobSort;

static int
job_sort_compare(const void *a, const void *b)
{
    const JobSort *left = a;
    const JobSort *right = b;
    if (left->size != right->size)
        return left->size > right->size ? -1 : 1;
    return strcmp(right->name, left->name);
}

static void
backup_progress(BackupState *state)
{
    unsigned percent = state->size_total > 0 ? (unsigned)(state->size_done * 10000 / state->size_total) : 10000;
    if (percent > 10000)
        percent = 10000;
    if (percent >= state->progress_last + 10 || (percent == 10000 && state->progress_last != 10000)) {
        state->progress_last = percent;
        if (lock_progress(state->lock, percent) < 0)
            err_clear();
    }
    if (state->size_done > state->meter.done)
        progress_advance(&state->meter, state->size_done - state->meter.done);
}

static void
backup_page_result(BackupState *state, ManifestFile *file, const BackupFileJob *job)
{
    file->checksum_page_checked = job->page_checked;
    file->checksum_page = job->page_valid;
    json_free(file->checksum_page_error);
    file->checksum_page_error = NULL;
    if (!job->page_checked || job->page_valid)
        return;
    if (!job->page_aligned) {
        LOG_WARN("page misalignment in file %s: file size %" PRIu64 " is not divisible by page size %u", job->pg_file,
                 job->size, 8192u);
        return;
    }
    Buf json = BUF_INIT, text = BUF_INIT;
    page_check_error_json(job->page_errors, job->page_error_count, &json);
    page_check_error_text(job->page_errors, job->page_error_count, &text);
    if (json_parse((const char *)json.data, json.size, &file->checksum_page_error) < 0)
        err_clear();
    buf_append(&text, (const uint8_t *)"", 1);
    LOG_WARN("invalid page checksum%s found in file %s at page%s %s", job->page_error_count > 1 ? "s" : "",
             job->pg_file, job->page_error_count > 1 || strchr((const char *)text.data, '-') != NULL ? "s" : "",
             (const char *)text.data);
    buf_free(&json);
    buf_free(&text);
    (void)state;
}

/* Record what a copy stored (sizes, SHA-1 of the content and of the stored bytes) in its manifest entry. */
static void
backup_file_record(ManifestFile *file, const BackupFileJob *job)
{
    file->size = job->size;
    file->repo_size = job->repo_size;
    file->has_checksum = job->size > 0;
    memcpy(file->checksum, job->result_checksum, sizeof(file->checksum));
    file->has_repo_checksum = job->repo_checksum[0] != '\0';
    memcpy(file->repo_checksum, job->repo_checksum, sizeof(file->repo_checksum));
    file->bundle_id = job->bundle_id;
    file->bundle_offset = job->bundle_offset;
}

/* Move a finished job's result into the manifest (coordinator only). */
static int
backup_job_done(BackupState *state, BackupFileJob *job)
{
    ManifestFile *file = &state->manifest.files[job->file_index];
    char size_text[32];
    if (job->status == BACKUP_FILE_MISSING) {
        LOG_DETAIL("skip file removed by database %s", job->pg_file);
        state->file_removed[job->file_index] = true;
        state->size_done += file->size;
        backup_progress(state);
        return 0;
    }
    if (job->status == BACKUP_FILE_UNCHANGED) {
        state->size_done += file->size;
        progress_size_format(file->size, size_text, sizeof(size_text));
        LOG_DETAIL("match file from prior backup %s (%s, %.2f%%) checksum %s", job->pg_file, size_text,
                   state->size_total ? (double)state->size_done * 100.0 / (double)state->size_total : 100.0,
                   file->checksum);
        backup_progress(state);
        return 0;
    }
    if (job->status == BACKUP_FILE_RESUMED) {
        const ManifestFile *from = state->resume_from[job->file_index];
        file->checksum_page_checked = from->checksum_page_checked;
        file->checksum_page = from->checksum_page;
        json_free(file->checksum_page_error);
        file->checksum_page_error = NULL;
        if (from->checksum_page_error != NULL) {
            char *text = json_to_string(from->checksum_page_error);
            if (json_parse(text, strlen(text), &file->checksum_page_error) < 0)
                err_clear();
            free(text);
        }
    }
    file->reference = NULL;
    backup_file_record(file, job);
    if (job->status != BACKUP_FILE_RESUMED)
        backup_page_result(state, file, job);
    state->size_done += job->size;
    progress_size_format(job->size, size_text, sizeof(size_text));
    if (log_enabled(LOG_DETAIL)) {
        double percent = state->size_total ? (double)state->size_done * 100.0 / (double)state->size_total : 100.0;
        if (percent > 100.0)
            percent = 100.0;
        if (job->status == BACKUP_FILE_RESUMED)
            LOG_DETAIL("checksum resumed file %s (%s, %.2f%%) checksum %s", job->pg_file, size_text, percent,
                       file->checksum);
        else if (job->bundle_id != 0)
            LOG_DETAIL("backup file %s (bundle %" PRIu64 "/%" PRIu64 ", %s, %.2f%%)%s%s", job->pg_file, job->bundle_id,
                       job->bundle_offset, size_text, percent, job->size > 0 ? " checksum " : "",
                       job->size > 0 ? file->checksum : "");
        else if (job->size > 0)
            LOG_DETAIL("backup file %s (%s, %.2f%%) checksum %s", job->pg_file, size_text, percent, file->checksum);
        else
            LOG_DETAIL("backup file %s (%s, %.2f%%)", job->pg_file, size_text, percent);
    }
    backup_progress(state);
    if (state->options->manifest_save_threshold > 0 &&
        state->size_done - state->saved_at >= state->options->manifest_save_threshold) {
        state->saved_at = state->size_done;
        TRY(backup_manifest_save_copy(state));
    }
    return 0;
}

/* Whether a file of the manifest goes into a bundle (repo-bundle, and no larger than repo-bundle-limit). */
static bool
backup_bundled(const BackupState *state, const ManifestFile *file)
{
    return state->options->bundle && file->size <= state->options->bundle_limit;
}

/* An empty file of a bundled backup is not stored at all, as pgBackRest: the manifest entry (size 0, no checksum)
 * is all a restore needs. A reference to a prior backup is kept (the prior's entry says the same). */
static void
backup_empty_bundled(BackupState *state, ManifestFile *file)
{
    if (file->reference != NULL)
        return;
    BackupFileJob empty = {0};
    backup_file_record(file, &empty);
    bool page_candidate = state->checksum_page && manifest_build_page_candidate(file->name, state->tablespace_dir);
    file->checksum_page_checked = page_candidate;
    file->checksum_page = page_candidate; /* no page, so no invalid one */
}

/* The files to copy, sorted largest first; adds their sizes to size_total. */
static size_t *
backup_files_order(BackupState *state, size_t *count)
{
    Manifest *manifest = &state->manifest;
    JobSort *sort = mem_calloc(manifest->file_count + 1, sizeof(JobSort));
    size_t n = 0;
    for (size_t i = 0; i < manifest->file_count; i++) {
        ManifestFile *file = &manifest->files[i];
        if (file->reference != NULL && !state->delta)
            continue;
        if (backup_bundled(state, file) && file->size == 0) {
            backup_empty_bundled(state, file);
            continue;
        }
        state->size_total += file->size;
        sort[n++] = (JobSort){i, file->size, file->name};
    }
    qsort(sort, n, sizeof(JobSort), job_sort_compare);
    size_t *order = mem_calloc(n + 1, sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        order[i] = sort[i].index;
    free(sort);
    *count = n;
    return order;
}

static BackupFileJob *
backup_job_new(BackupState *state, size_t index)
{
    const ManifestFile *file = &state->manifest.files[index];
    BackupFileJob *job = mem_calloc(1, sizeof(BackupFileJob));
    job->file_index = index;
    job->pg_file = manifest_build_pg_file(state->options->pg_path, file->name);
    job->repo_file = backup_bundled(state, file) ? NULL : backup_repo_file(state, file->name);
    job->page_check = state->checksum_page && manifest_build_page_candidate(file->name, state->tablespace_dir);
    job->segment_no = manifest_build_segment_no(file->name);
    job->size_hint = file->size;
    if (file->reference != NULL) {
        job->delta_check = true;
        memcpy(job->checksum, file->has_checksum ? file->checksum : MANIFEST_SHA1_EMPTY, sizeof(job->checksum));
    } else if (state->resume_from != NULL && state->resume_from[index] != NULL) {
        const ManifestFile *from = state->resume_from[index];
        job->resume_check = true;
        job->resume_size = from->size;
        memcpy(job->checksum, from->checksum, sizeof(job->checksum));
    }
    return job;
}

static int
backup_result_take(BackupState *state, PoolResult *result, int *status)
{
    BackupBatch *batch = result->job;
    if (result->status != 0) {
        if (*status == 0) {
            err_set(result->code, "%s", result->message != NULL ? result->message : "backup file job failed");
            *status = -1;
        }
    } else {
        for (size_t i = 0; i < batch->count && *status == 0; i++)
            if (backup_job_done(state, batch->jobs[i]) < 0)
                *status = -1;
    }
    pool_result_clear(result);
    backup_batch_free(batch);
    return *status;
}

static void
backup_batch_add(BackupBatch *batch, BackupFileJob *job)
{
    if (batch->count == batch->capacity) {
        batch->capacity = batch->capacity > 0 ? batch->capacity * 2 : 16;
        batch->jobs = mem_realloc(batch->jobs, batch->capacity * sizeof(BackupFileJob *));
    }
    batch->jobs[batch->count++] = job;
}

/* The next batch from order[*next]: one large file, or small files up to BACKUP_BATCH_BYTES / BACKUP_BATCH_FILES;
 * with repo-bundle, the files of one bundle, up to repo-bundle-size (the order is largest first, so the files
 * that are bundled come last). */
static BackupBatch *
backup_batch_next(BackupState *state, const size_t *order, size_t count, size_t *next)
{
    BackupBatch *batch = mem_calloc(1, sizeof(BackupBatch));
    bool bundle = backup_bundled(state, &state->manifest.files[order[*next]]);
    uint64_t limit_bytes = bundle ? state->options->bundle_size : BACKUP_BATCH_BYTES;
    size_t limit_files = bundle ? SIZE_MAX : BACKUP_BATCH_FILES;
    if (bundle) {
        batch->bundle_id = ++state->bundle_last;
        batch->bundle_file = mem_printf("%s/bundle/%" PRIu64, state->backup_path, batch->bundle_id);
    }
    uint64_t bytes = 0;
    while (*next < count && batch->count < limit_files) {
        const ManifestFile *file = &state->manifest.files[order[*next]];
        if (batch->count > 0 && (bytes + file->size > limit_bytes || backup_bundled(state, file) != bundle))
            break;
        uint64_t size = file->size;
        backup_batch_add(batch, backup_job_new(state, order[*next]));
        bytes += size;
        (*next)++;
    }
    return batch;
}

static int
backup_copy_files(BackupState *state, const BackupFileShared *shared)
{
    size_t count = 0;
    size_t *order = backup_files_order(state, &count);
    state->file_removed = mem_calloc(state->manifest.file_count + 1, sizeof(bool));
    progress_start(&state->meter, "backup", state->size_total);

    PoolConfig config = {state->options->process_max > 0 ? state->options->process_max : 1, 0, (void *)shared,
                         backup_worker_init, backup_worker_free, backup_batch_run};
    Pool *pool = NULL;
    if (pool_new(&config, &pool) < 0) {
        free(order);
        return -1;
    }
    int status = 0;
    PoolResult result;
    size_t next = 0;
    while (next < count && status == 0) {
        pool_submit(pool, backup_batch_next(state, order, count, &next));
        while (pool_result_try(pool, &result))
            if (backup_result_take(state, &result, &status) < 0)
                pool_cancel(pool);
    }
    pool_close(pool);
    while (pool_result_wait(pool, &result))
        if (backup_result_take(state, &result, &status) < 0)
            pool_cancel(pool);
    pool_free(pool);
    free(order);
    progress_finish(&state->meter);
    return status;
}

/* Drop the files that vanished during the copy. */
static void
backup_removed_files_drop(BackupState *state)
{
    Manifest *manifest = &state->manifest;
    size_t kept = 0;
    for (size_t i = 0; i < manifest->file_count; i++) {
        if (state->file_removed[i]) {
            free(manifest->files[i].name);
            json_free(manifest->files[i].checksum_page_error);
            continue;
        }
        manifest->files[kept++] = manifest->files[i];
    }
    manifest->file_count = kept;
}

/* Make every file of the backup durable at once: the workers write without fsync, and one syncfs() of the
 * repository's file system costs one journal commit instead of one per file. Only for local repositories (object
 * stores make an upload durable when it completes). */
static int
backup_repo_sync(BackupState *state)
{
    if (!storage_feature(state->repo.storage, STORAGE_FEATURE_PATH_SYNC))
        return 0;
    char *path = storage_path(state->repo.storage, state->backup_path);
    if (path == NULL)
        return -1;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int result = 0;
    if (fd < 0 || syncfs(fd) != 0)
        result = err_set_errno(ERR_PATH_SYNC, errno, "unable to sync the file system of path '%s'", path);
    if (fd >= 0)
        close(fd);
    free(path);
    return result;
}

/* --- stop, backup_label, archive --- */

static int
backup_store_stop_file(BackupState *state, const BackupFileShared *shared, const char *file_name, const char *content)
{
    char *name = mem_printf("pg_data/%s", file_name);
    char *repo_file = backup_repo_file(state, name);
    BackupFileJob result = {0};
    int status = backup_file_put(shared, repo_file, (const uint8_t *)content, strlen(content), &result);
    if (status == 0) {
        ManifestFile *file = manifest_file_add(&state->manifest, name);
        backup_file_record(file, &result);
        file->timestamp = state->manifest.backup.timestamp_stop;
        LOG_DETAIL("wrote '%s' file returned from backup stop function", file_name);
    }
    free(result.page_errors);
    free(repo_file);
    free(name);
    return status;
}

static int
backup_stop(BackupState *state, const BackupFileShared *shared)
{
    LOG_INFO("execute non-exclusive backup stop and wait for all WAL segments to archive");
    PgDbBackupStop stop = {0};
    TRY(pg_db_backup_stop(state->db, &stop));
    state->backup_started = false;
    state->manifest.backup.timestamp_stop = (int64_t)time(NULL);
    LOG_INFO("backup stop archive = %s, lsn = %s", stop.wal_file, stop.lsn);
    state->manifest.backup.archive_stop = mem_strdup(stop.wal_file);
    state->manifest.backup.lsn_stop = mem_strdup(stop.lsn);
    int result = backup_store_stop_file(state, shared, BACKUP_LABEL_FILE, stop.backup_label);
    if (result == 0 && stop.tablespace_map != NULL)
        result = backup_store_stop_file(state, shared, TABLESPACE_MAP_FILE, stop.tablespace_map);
    pg_db_backup_stop_free(&stop);
    if (result == 0)
        manifest_sort(&state->manifest);
    return result;
}

/* Whether a segment is in the archive. */
static int
backup_segment_archived(BackupState *state, const char *segment, bool *found)
{
    char *dir = mem_printf("archive/%s/%s/%.16s", state->options->stanza, state->archive_id, segment);
    char *regex = layout_wal_stored_regex(segment);
    char **names = NULL;
    size_t count = 0;
    int result = storage_list_names(state->repo.storage, dir, regex, true, &names, &count);
    *found = result == 0 && count > 0;
    storage_names_free(names, count);
    free(regex);
    free(dir);
    return result;
}

static int
backup_archive_wait(BackupState *state)
{
    const char *first = state->manifest.backup.archive_start;
    const char *last = state->manifest.backup.archive_stop;
    LOG_INFO("check archive for segment(s) %s:%s", first, last);
    WalSegment segment, stop;
    TRY(wal_segment_parse(first, &segment));
    TRY(wal_segment_parse(last, &stop));
    uint32_t segment_size = state->control.wal_segment_size;
    int64_t deadline = now_ms() + state->options->archive_timeout_ms;
    unsigned wait = 1;
    for (;;) {
        char name[WAL_SEGMENT_NAME_SIZE + 1];
        wal_segment_format(&segment, name);
        bool found = false;
        TRY(backup_segment_archived(state, name, &found));
        if (found) {
            if (segment.log == stop.log && segment.segment == stop.segment)
                return 0;
            segment = wal_segment_next(segment, segment_size);
            wait = 1;
            continue;
        }
        if (now_ms() >= deadline)
            return err_set(ERR_ARCHIVE_TIMEOUT, "WAL segment %s was not archived before the %" PRId64 "ms timeout\n"
                           "HINT: check the archive_command to ensure that all options are correct (especially "
                           "--stanza).\nHINT: check the PostgreSQL server log for errors.\nHINT: run the 'start' "
                           "command if the stanza was previously stopped.", name, state->options->archive_timeout_ms);
        sleep_ms(wait);
        wait = wait < 50 ? wait * 2 : 100;
    }
}

/* archive-copy: store the WAL segments archive-start..archive-stop in the backup (pg_data/pg_wal/<segment>), read
 * from the archive (decrypted, decompressed, SHA-1 checked against the stored name) and written with the backup's
 * compression and cipher, so that the backup can reach consistency without the archive. */
static int
backup_archive_copy(BackupState *state, const BackupFileShared *shared)
{
    WalSegment segment, stop;
    TRY(wal_segment_parse(state->manifest.backup.archive_start, &segment));
    TRY(wal_segment_parse(state->manifest.backup.archive_stop, &stop));
    for (;;) {
        char name[WAL_SEGMENT_NAME_SIZE + 1];
        wal_segment_format(&segment, name);
        char *dir = mem_printf("archive/%s/%s/%.16s", state->options->stanza, state->archive_id, name);
        char *regex = layout_wal_stored_regex(name);
        char **stored = NULL;
        size_t count = 0;
        int result = storage_list_names(state->repo.storage, dir, regex, true, &stored, &count);
        free(regex);
        if (result == 0 && count == 0)
            result = err_set(ERR_ARCHIVE_TIMEOUT, "WAL segment %s is not in the archive", name);
        else if (result == 0 && count > 1)
            result = err_set(ERR_ARCHIVE_DUPLICATE, "duplicates found in archive for WAL segment %s: %s, %s", name,
                             stored[0], stored[1]);
        if (result == 0) {
            LOG_DETAIL("copy segment %s to backup", name);
            char *source_path = mem_printf("%s/%s", dir, stored[0]);
            BackupFileSource source = {source_path, compress_type_from_name(stored[0]),
                                       state->archive_info.cipher_pass};
            char *manifest_name = mem_printf("pg_data/pg_wal/%s", name);
            char *repo_file = backup_repo_file(state, manifest_name);
            BackupFileJob copied = {0};
            result = backup_file_copy_repo(shared, &source, repo_file, &copied);
            /* the stored name carries the segment's SHA-1: "<segment>-<sha1>[.ext]" */
            if (result == 0 && strncmp(stored[0] + WAL_SEGMENT_NAME_SIZE + 1, copied.result_checksum, 40) != 0)
                result = err_set(ERR_CHECKSUM, "WAL segment %s in the archive has checksum %s, not the %.40s of its "
                                 "name", name, copied.result_checksum, stored[0] + WAL_SEGMENT_NAME_SIZE + 1);
            if (result == 0) {
                ManifestFile *file = manifest_file_add(&state->manifest, manifest_name);
                backup_file_record(file, &copied);
                file->timestamp = state->manifest.backup.timestamp_stop;
                file->has_repo_checksum = false; /* no rck: 2.45 records none for the segments it copies */
            }
            free(copied.page_errors);
            free(repo_file);
            free(manifest_name);
            free(source_path);
        }
        storage_names_free(stored, count);
        free(dir);
        TRY(result);
        if (segment.log == stop.log && segment.segment == stop.segment)
            break;
        segment = wal_segment_next(segment, state->control.wal_segment_size);
    }
    manifest_sort(&state->manifest);
    return 0;
}

/* --- completion: manifest, backup.info, history, latest --- */

static void
backup_info_entry(BackupState *state, InfoBackupEntry *entry)
{
    const Manifest *manifest = &state->manifest;
    memset(entry, 0, sizeof(*entry));
    entry->label = mem_strdup(state->label);
    entry->backrest_format = 5;
    entry->backrest_version = mem_strdup(INFO_BACKREST_VERSION);
    if (manifest->annotation != NULL) {
        char *text = json_to_string(manifest->annotation);
        if (json_parse(text, strlen(text), &entry->annotation) < 0)
            err_clear();
        free(text);
    }
    entry->archive_start = manifest->backup.archive_start != NULL ? mem_strdup(manifest->backup.archive_start) : NULL;
    entry->archive_stop = manifest->backup.archive_stop != NULL ? mem_strdup(manifest->backup.archive_stop) : NULL;
    entry->has_error = true;
    for (size_t i = 0; i < manifest->file_count; i++) {
        const ManifestFile *file = &manifest->files[i];
        uint64_t repo_size = file->repo_size != 0 ? file->repo_size : file->size;
        entry->size += file->size;
        entry->repo_size += repo_size;
        if (file->reference == NULL) {
            entry->size_delta += file->size;
            entry->repo_size_delta += repo_size;
        }
        if (file->checksum_page_checked && !file->checksum_page)
            entry->error = true;
    }
    entry->lsn_start = manifest->backup.lsn_start != NULL ? mem_strdup(manifest->backup.lsn_start) : NULL;
    entry->lsn_stop = manifest->backup.lsn_stop != NULL ? mem_strdup(manifest->backup.lsn_stop) : NULL;
    if (manifest->backup.prior != NULL) {
        entry->prior = mem_strdup(manifest->backup.prior);
        /* the manifest's comma list without the own label, sorted */
        char *list = mem_strdup(manifest->backup.reference);
        size_t cap = 8;
        entry->reference = mem_calloc(cap, sizeof(char *));
        for (char *save = NULL, *item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
            if (strcmp(item, state->label) == 0)
                continue;
            if (entry->reference_count == cap) {
                cap *= 2;
                entry->reference = mem_realloc(entry->reference, cap * sizeof(char *));
            }
            entry->reference[entry->reference_count++] = mem_strdup(item);
        }
        free(list);
        for (size_t i = 1; i < entry->reference_count; i++)
            for (size_t j = i; j > 0 && strcmp(entry->reference[j - 1], entry->reference[j]) > 0; j--) {
                char *swap = entry->reference[j];
                entry->reference[j] = entry->reference[j - 1];
                entry->reference[j - 1] = swap;
            }
    }
    entry->timestamp_start = manifest->backup.timestamp_start;
    entry->timestamp_stop = manifest->backup.timestamp_stop;
    entry->type = manifest->backup.type;
    entry->db_id = manifest->db_info.id;
    entry->option_archive_check = manifest->options.archive_check;
    entry->option_archive_copy = manifest->options.archive_copy;
    entry->option_backup_standby = false;
    entry->option_checksum_page = manifest->options.checksum_page;
    entry->option_compress = manifest->options.compress;
    entry->option_hardlink = false;
    entry->option_online = manifest->options.online;
}

static int
backup_finish(BackupState *state)
{
    Storage *repo = state->repo.storage;
    char *path = mem_printf("%s/" MANIFEST_FILE, state->backup_path);
    int result = manifest_save(repo, path, state->repo.cipher_type, state->backup_info.cipher_pass, &state->manifest);
    free(path);
    TRY(result);

    InfoBackupEntry entry;
    backup_info_entry(state, &entry);
    info_backup_add(&state->backup_info, &entry);
    path = stanza_backup_path(state, INFO_BACKUP_FILE);
    result = info_backup_save(repo, path, state->repo.cipher_type, state->repo.cipher_pass, &state->backup_info);
    free(path);
    TRY(result);

    Buf bytes = BUF_INIT;
    result = backup_manifest_bytes(state, &bytes, true);
    path = mem_printf("backup/%s/" BACKUP_HISTORY_PATH "/%.4s/%s.manifest.gz", state->options->stanza, state->label,
                      state->label);
    if (result == 0)
        result = storage_put(repo, path, NULL, bytes.data, bytes.size);
    free(path);
    buf_free(&bytes);
    TRY(result);

    if (storage_feature(repo, STORAGE_FEATURE_LINK)) {
        path = stanza_backup_path(state, BACKUP_LATEST_LINK);
        result = storage_remove(repo, path, false);
        if (result == 0)
            result = storage_link_create(repo, state->label, path);
        free(path);
        TRY(result);
    }
    return 0;
}

/* --- the run --- */

static void
backup_state_free(BackupState *state)
{
    if (state->backup_started) {
        PgDbBackupStop stop = {0};
        if (pg_db_backup_stop(state->db, &stop) == 0)
            pg_db_backup_stop_free(&stop);
    }
    pg_db_free(state->db);
    storage_free(state->pg_root);
    manifest_free(&state->manifest);
    if (state->has_prior)
        manifest_free(&state->prior);
    free(state->file_removed);
    free(state->resume_from);
    if (state->resume_label != NULL)
        manifest_free(&state->resumed);
    free(state->resume_label);
    free(state->label);
    free(state->backup_path);
    free(state->archive_id);
    free(state->tablespace_dir);
    info_archive_free(&state->archive_info);
    info_backup_free(&state->backup_info);
    if (state->repo_open)
        repo_close(&state->repo);
    if (state->succeeded && state->options->lock_keep != NULL)
        *state->options->lock_keep = state->lock;
    else
        lock_release(state->lock);
}

static int
backup_execute(BackupState *state)
{
    TRY(backup_open(state));
    TRY(backup_cluster_open(state));
    TRY(backup_prior_find(state));

    state->timestamp_start = time(NULL);
    if (state->options->online) {
        LOG_INFO("execute non-exclusive backup start: backup begins after the %s checkpoint completes",
                 state->options->start_fast ? "requested immediate" : "next regular");
        TRY(pg_db_backup_start(state->db, NULL, state->options->start_fast, &state->start));
        state->backup_started = true;
        LOG_INFO("backup start archive = %s, lsn = %s", state->start.wal_file, state->start.lsn);
    }

    TRY(backup_resume_find(state));
    TRY(backup_label_make(state));
    TRY(backup_manifest_build(state));
    TRY(storage_path_create(state->repo.storage, state->backup_path, 0750, true, false));
    if (state->resume_label != NULL)
        TRY(backup_resume_clean(state));
    state->manifest.backup.timestamp_copy_start = (int64_t)time(NULL);
    TRY(backup_manifest_save_copy(state));

    BackupFileShared shared = {state->repo.storage, state->options->repo_index, state->compress_type,
                               state->compress_level, state->repo.cipher_type, state->manifest.cipher_pass,
                               state->options->buffer_size, backup_hash_threads(state->options->process_max),
                               backup_compress_threads()};
    TRY(backup_copy_files(state, &shared));
    backup_removed_files_drop(state);
    if (state->options->online) {
        TRY(backup_stop(state, &shared));
        if (state->options->archive_check)
            TRY(backup_archive_wait(state));
        if (state->options->archive_copy)
            TRY(backup_archive_copy(state, &shared));
    } else {
        state->manifest.backup.timestamp_stop = (int64_t)time(NULL);
        manifest_sort(&state->manifest);
    }
    TRY(backup_repo_sync(state));
    TRY(backup_finish(state));

    LOG_INFO("new backup label = %s", state->label);
    char size_text[32];
    uint64_t size = 0;
    for (size_t i = 0; i < state->manifest.file_count; i++)
        if (state->manifest.files[i].reference == NULL)
            size += state->manifest.files[i].size;
    progress_size_format(size, size_text, sizeof(size_text));
    LOG_INFO("%s backup size = %s, file total = %zu", backup_type_name(state->type), size_text,
             state->manifest.file_count);
    state->succeeded = true;
    return 0;
}

int
backup_run(const BackupOptions *options)
{
    BackupState state;
    memset(&state, 0, sizeof(state));
    state.options = options;
    int result = backup_execute(&state);
    if (result < 0) {
        /* keep the error record across the cleanup (stopping the backup may log or fail on its own) */
        ErrorSaved saved;
        err_save(&saved);
        backup_state_free(&state);
        err_restore(&saved);
        err_saved_free(&saved);
        return -1;
    }
    backup_state_free(&state);
    return 0;
}
