/* stanza: create, upgrade and delete a stanza in a repository (see stanza.h). */
#include "engine/ops/stanza.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/ops/lock.h"
#include "engine/pg/control.h"
#include "engine/pg/db.h"
#include "engine/repo/layout.h"
#include "storage/filter/cipher.h"
#include "storage/posix.h"

#define POSTMASTER_PID_FILE "postmaster.pid"

/* ---------------------------------------------------------------------------------------------------------------- */
/* The cluster */

int
stanza_lock(Lock **lock)
{
    const char *exec_id = cfg_str(OPT_EXEC_ID);
    char *generated = exec_id == NULL ? lock_exec_id_new() : NULL;
    int result = lock_acquire(cfg_str(OPT_LOCK_PATH), cfg_str(OPT_STANZA), LOCK_TYPE_BACKUP,
                              generated != NULL ? generated : exec_id, lock);
    free(generated);
    return result;
}

int
stanza_pg_from_control(const char *pg_path, StanzaPg *pg)
{
    memset(pg, 0, sizeof(*pg));
    Storage *storage = storage_posix_new(pg_path, false);
    PgControl control;
    int result = pg_control_load(storage, &control);
    storage_free(storage);
    TRY(result);
    pg->system_id = control.system_id;
    pg->version = control.version;
    pg->catalog_version = control.catalog_version;
    pg->control_version = control.control_version;
    return 0;
}

/* The libpq options of pg1 from the configuration. */
static PgDbOptions
stanza_db_options(const char *command)
{
    PgDbOptions options;
    memset(&options, 0, sizeof(options));
    options.path = cfg_str_idx(OPT_PG_PATH, 0);
    options.port = cfg_has_idx(OPT_PG_PORT, 0) ? (unsigned)cfg_int_idx(OPT_PG_PORT, 0) : 0;
    options.socket_path = cfg_str_idx(OPT_PG_SOCKET_PATH, 0);
    options.user = cfg_str_idx(OPT_PG_USER, 0);
    options.database = cfg_str_idx(OPT_PG_DATABASE, 0);
    options.timeout_ms = cfg_int(OPT_DB_TIMEOUT);
    options.command = command;
    return options;
}

/* pgBackRest looks for a primary among the configured clusters: a cluster it cannot reach is a warning, and
 * having no primary at all is the error. */
static int
stanza_no_primary(void)
{
    err_set(ERR_DB_CONNECT, "unable to find primary cluster - cannot proceed");
    return err_hint("are all available clusters in recovery?");
}

int
stanza_pg_open(bool online, const char *command, StanzaPg *pg, PgDb **db)
{
    if (db != NULL)
        *db = NULL;
    const char *pg_path = cfg_str_idx(OPT_PG_PATH, 0);
    if (pg_path == NULL)
        return err_set(ERR_OPTION_REQUIRED, "%s command requires option: pg1-path", command);

    if (!online)
        return stanza_pg_from_control(pg_path, pg);

    /* pg_control first: the server must then report the same version and data directory */
    TRY(stanza_pg_from_control(pg_path, pg));
    PgDbOptions options = stanza_db_options(command);
    options.version_num_expected = pg->version->num;
    PgDb *session = NULL;
    if (pg_db_connect(&options, &session) < 0) {
        if (err_code() != ERR_DB_CONNECT)
            return -1;
        LOG_WARN("unable to check pg1: [%s] %s", err_code_name(err_code()), err_message());
        return stanza_no_primary();
    }
    if (pg_db_facts(session)->in_recovery) {
        pg_db_free(session);
        return stanza_no_primary();
    }
    if (db != NULL)
        *db = session;
    else
        pg_db_free(session);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Info files */

typedef struct StanzaPaths {
    char *archive_dir; /* archive/<stanza> */
    char *backup_dir;  /* backup/<stanza> */
    char *archive_info;
    char *archive_copy;
    char *backup_info;
    char *backup_copy;
} StanzaPaths;

static void
stanza_paths_init(StanzaPaths *paths, const char *stanza)
{
    paths->archive_dir = layout_archive_stanza_path(stanza);
    paths->backup_dir = layout_backup_stanza_path(stanza);
    paths->archive_info = mem_printf("%s/" INFO_ARCHIVE_FILE, paths->archive_dir);
    paths->archive_copy = mem_printf("%s" INFO_COPY_EXT, paths->archive_info);
    paths->backup_info = mem_printf("%s/" INFO_BACKUP_FILE, paths->backup_dir);
    paths->backup_copy = mem_printf("%s" INFO_COPY_EXT, paths->backup_info);
}

static void
stanza_paths_free(StanzaPaths *paths)
{
    free(paths->archive_dir);
    free(paths->backup_dir);
    free(paths->archive_info);
    free(paths->archive_copy);
    free(paths->backup_info);
    free(paths->backup_copy);
}

int
stanza_info_load(const Repo *repo, const char *stanza, InfoArchive *archive, InfoBackup *backup)
{
    StanzaPaths paths;
    stanza_paths_init(&paths, stanza);
    int result = info_archive_load(repo->storage, paths.archive_info, repo->cipher_type, repo->cipher_pass, archive);
    if (result == 0) {
        result = info_backup_load(repo->storage, paths.backup_info, repo->cipher_type, repo->cipher_pass, backup);
        if (result < 0)
            info_archive_free(archive);
    }
    stanza_paths_free(&paths);
    return result;
}

/* The current entries of both files, or ERR_FORMAT when a file's db-id has no history entry. */
static int
stanza_info_current(const InfoArchive *archive, const InfoBackup *backup, const InfoArchiveHistory **archive_current,
                    const InfoBackupHistory **backup_current)
{
    *archive_current = info_archive_current(archive);
    *backup_current = info_backup_current(backup);
    if (*archive_current == NULL)
        return err_set(ERR_FORMAT, "archive.info has no history entry for its current db-id %u", archive->db_id);
    if (*backup_current == NULL)
        return err_set(ERR_FORMAT, "backup.info has no history entry for its current db-id %u", backup->db_id);
    return 0;
}

static bool
stanza_archive_matches(const InfoArchiveHistory *history, const StanzaPg *pg)
{
    return history->system_id == pg->system_id && strcmp(history->version, pg->version->name) == 0;
}

static bool
stanza_backup_matches(const InfoBackupHistory *history, const StanzaPg *pg)
{
    return history->system_id == pg->system_id && strcmp(history->version, pg->version->name) == 0;
}

/* Both files agree on the current cluster (id, version, system id). */
static int
stanza_info_pair_check(const InfoArchive *archive, const InfoBackup *backup)
{
    const InfoArchiveHistory *archive_current;
    const InfoBackupHistory *backup_current;
    TRY(stanza_info_current(archive, backup, &archive_current, &backup_current));
    if (archive_current->id == backup_current->id && archive_current->system_id == backup_current->system_id &&
        strcmp(archive_current->version, backup_current->version) == 0)
        return 0;
    err_set(ERR_FILE_INVALID,
            "backup info file and archive info file do not match\n"
            "archive: id = %u, version = %s, system-id = %llu\n"
            "backup : id = %u, version = %s, system-id = %llu",
            archive_current->id, archive_current->version, (unsigned long long)archive_current->system_id,
            backup_current->id, backup_current->version, (unsigned long long)backup_current->system_id);
    return err_hint("this may be a symptom of repository corruption!");
}

int
stanza_info_validate(const InfoArchive *archive, const InfoBackup *backup, const StanzaPg *pg)
{
    TRY(stanza_info_pair_check(archive, backup));
    const InfoArchiveHistory *archive_current;
    const InfoBackupHistory *backup_current;
    TRY(stanza_info_current(archive, backup, &archive_current, &backup_current));
    if (stanza_archive_matches(archive_current, pg) && stanza_backup_matches(backup_current, pg))
        return 0;
    err_set(ERR_FILE_INVALID, "backup and archive info files exist but do not match the database");
    return err_hint("is this the correct stanza?\nHINT: did an error occur during stanza-upgrade?");
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* stanza-create */

static int
stanza_file_exists(Storage *storage, const char *path, bool *exists)
{
    StorageInfo info;
    memset(&info, 0, sizeof(info));
    TRY(storage_info(storage, path, true, &info));
    *exists = info.exists;
    storage_info_clear(&info);
    return 0;
}

/* Whether a stanza directory exists: a real directory (posix) or any object under it (object stores). */
static int
stanza_dir_exists(Storage *storage, const char *path, bool *exists)
{
    if (storage_feature(storage, STORAGE_FEATURE_PATH))
        return stanza_file_exists(storage, path, exists);
    char **names = NULL;
    size_t count = 0;
    TRY(storage_list_names(storage, path, NULL, true, &names, &count));
    storage_names_free(names, count);
    *exists = count > 0;
    return 0;
}

/* ERR_PATH_NOT_EMPTY when the directory holds anything. */
static int
stanza_dir_empty_check(Storage *storage, const char *path, const char *what)
{
    char **names = NULL;
    size_t count = 0;
    TRY(storage_list_names(storage, path, NULL, true, &names, &count));
    storage_names_free(names, count);
    if (count > 0)
        return err_set(ERR_PATH_NOT_EMPTY, "%s directory not empty", what);
    return 0;
}

/* A fresh subpass for an encrypted repository, NULL otherwise. */
static int
stanza_subpass(const Repo *repo, char **subpass)
{
    *subpass = NULL;
    if (repo->cipher_type == CIPHER_NONE)
        return 0;
    char pass[65];
    TRY(cipher_subpass_generate(pass));
    *subpass = mem_strdup(pass);
    return 0;
}

/* Write both info files with history id 1: archive.info (+ .copy) first, then backup.info (+ .copy). */
static int
stanza_info_create(const Repo *repo, const StanzaPaths *paths, const StanzaPg *pg)
{
    InfoArchive archive;
    InfoBackup backup;
    memset(&archive, 0, sizeof(archive));
    memset(&backup, 0, sizeof(backup));
    int result = stanza_subpass(repo, &archive.cipher_pass);
    if (result == 0)
        result = stanza_subpass(repo, &backup.cipher_pass);
    if (result == 0) {
        info_archive_history_add(&archive, pg->system_id, pg->version->name);
        info_backup_history_add(&backup, pg->system_id, pg->version->name, pg->catalog_version,
                                pg->control_version);
        result = info_archive_save(repo->storage, paths->archive_info, repo->cipher_type, repo->cipher_pass,
                                   &archive);
    }
    if (result == 0)
        result = info_backup_save(repo->storage, paths->backup_info, repo->cipher_type, repo->cipher_pass, &backup);
    info_archive_free(&archive);
    info_backup_free(&backup);
    return result;
}

/* Copy the bytes of `from` to `to` (a main file or .copy that went missing; the bytes, even encrypted, are the
 * same in both). */
static int
stanza_file_restore(Storage *storage, const char *from, const char *to)
{
    Buf content = BUF_INIT;
    bool found = false;
    int result = storage_get(storage, from, NULL, false, &found, &content);
    if (result == 0)
        result = storage_put(storage, to, NULL, content.data, content.size);
    buf_free(&content);
    return result;
}

/* Write back whichever of the main file and its .copy is missing. */
static int
stanza_pair_restore(Storage *storage, const char *main, bool main_exists, const char *copy, bool copy_exists)
{
    if (!main_exists)
        return stanza_file_restore(storage, copy, main);
    if (!copy_exists)
        return stanza_file_restore(storage, main, copy);
    return 0;
}

/* Both info files exist (at least one of each pair): they must be valid and match the cluster. */
static int
stanza_create_existing(const Repo *repo, const char *stanza, const StanzaPaths *paths, const StanzaPg *pg,
                       const bool exists[4], StanzaCreateResult *result)
{
    InfoArchive archive;
    InfoBackup backup;
    TRY(stanza_info_load(repo, stanza, &archive, &backup));
    int status = stanza_info_validate(&archive, &backup, pg);
    info_archive_free(&archive);
    info_backup_free(&backup);
    TRY(status);

    if (exists[0] && exists[1] && exists[2] && exists[3]) {
        *result = STANZA_CREATE_VALID;
        return 0;
    }
    TRY(stanza_pair_restore(repo->storage, paths->archive_info, exists[0], paths->archive_copy, exists[1]));
    TRY(stanza_pair_restore(repo->storage, paths->backup_info, exists[2], paths->backup_copy, exists[3]));
    *result = STANZA_CREATE_REPAIRED;
    return 0;
}

static int
stanza_create_paths(const Repo *repo, const char *stanza, const StanzaPaths *paths, const StanzaPg *pg,
                    StanzaCreateResult *result)
{
    bool exists[4]; /* archive.info, archive.info.copy, backup.info, backup.info.copy */
    const char *files[4] = {paths->archive_info, paths->archive_copy, paths->backup_info, paths->backup_copy};
    for (size_t index = 0; index < 4; index++)
        TRY(stanza_file_exists(repo->storage, files[index], &exists[index]));
    bool archive_exists = exists[0] || exists[1];
    bool backup_exists = exists[2] || exists[3];

    if (archive_exists && backup_exists)
        return stanza_create_existing(repo, stanza, paths, pg, exists, result);
    if (archive_exists || backup_exists) {
        err_set(ERR_FILE_MISSING, "%s exists but %s is missing on repo%u",
                archive_exists ? INFO_ARCHIVE_FILE : INFO_BACKUP_FILE,
                archive_exists ? INFO_BACKUP_FILE : INFO_ARCHIVE_FILE, repo->key);
        return err_hint("this may be a symptom of repository corruption!");
    }
    TRY(stanza_dir_empty_check(repo->storage, paths->archive_dir, "archive"));
    TRY(stanza_dir_empty_check(repo->storage, paths->backup_dir, "backup"));
    TRY(stanza_info_create(repo, paths, pg));
    *result = STANZA_CREATE_NEW;
    return 0;
}

int
stanza_create_repo(const Repo *repo, const char *stanza, const StanzaPg *pg, StanzaCreateResult *result)
{
    StanzaPaths paths;
    stanza_paths_init(&paths, stanza);
    int status = stanza_create_paths(repo, stanza, &paths, pg, result);
    stanza_paths_free(&paths);
    return status;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* stanza-upgrade */

static int
stanza_upgrade_loaded(const Repo *repo, const StanzaPaths *paths, InfoArchive *archive, InfoBackup *backup,
                      const StanzaPg *pg, bool *upgraded)
{
    const InfoArchiveHistory *archive_current;
    const InfoBackupHistory *backup_current;
    TRY(stanza_info_current(archive, backup, &archive_current, &backup_current));
    bool archive_upgrade = !stanza_archive_matches(archive_current, pg);
    bool backup_upgrade = !stanza_backup_matches(backup_current, pg);
    if (archive_upgrade)
        info_archive_history_add(archive, pg->system_id, pg->version->name);
    if (backup_upgrade)
        info_backup_history_add(backup, pg->system_id, pg->version->name, pg->catalog_version, pg->control_version);
    /* after the upgrade both files must describe the same cluster, or one of them was changed by hand */
    TRY(stanza_info_pair_check(archive, backup));

    if (archive_upgrade)
        TRY(info_archive_save(repo->storage, paths->archive_info, repo->cipher_type, repo->cipher_pass, archive));
    if (backup_upgrade)
        TRY(info_backup_save(repo->storage, paths->backup_info, repo->cipher_type, repo->cipher_pass, backup));
    *upgraded = archive_upgrade || backup_upgrade;
    return 0;
}

int
stanza_upgrade_repo(const Repo *repo, const char *stanza, const StanzaPg *pg, bool *upgraded)
{
    *upgraded = false;
    InfoArchive archive;
    InfoBackup backup;
    TRY(stanza_info_load(repo, stanza, &archive, &backup));
    StanzaPaths paths;
    stanza_paths_init(&paths, stanza);
    int result = stanza_upgrade_loaded(repo, &paths, &archive, &backup, pg, upgraded);
    stanza_paths_free(&paths);
    info_archive_free(&archive);
    info_backup_free(&backup);
    return result;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* stanza-delete */

static int
stanza_delete_allowed(const char *stanza, const StanzaDeleteOptions *options, unsigned repo_key)
{
    char *stop_path = stop_file_path(options->lock_path, stanza);
    Storage *root = storage_posix_new("/", false);
    bool stopped = false;
    int result = stanza_file_exists(root, stop_path, &stopped);
    storage_free(root);
    free(stop_path);
    TRY(result);
    if (!stopped) {
        err_set(ERR_FILE_MISSING, "stop file does not exist for stanza '%s'", stanza);
        return err_hint("has the pgbackrest stop command been run on this server for this stanza?");
    }
    if (options->force || options->pg_path == NULL)
        return 0;

    Storage *pg = storage_posix_new(options->pg_path, false);
    bool running = false;
    result = stanza_file_exists(pg, POSTMASTER_PID_FILE, &running);
    storage_free(pg);
    TRY(result);
    if (running)
        return err_set(ERR_PG_RUNNING, POSTMASTER_PID_FILE " exists - looks like PostgreSQL is running. To delete stanza "
                       "'%s' on repo%u, shut down PostgreSQL for stanza '%s' and try again, or use --force.", stanza,
                       repo_key, stanza);
    return 0;
}

static int
stanza_delete_paths(const Repo *repo, const StanzaPaths *paths)
{
    const char *files[4] = {paths->archive_info, paths->archive_copy, paths->backup_info, paths->backup_copy};
    for (size_t index = 0; index < 4; index++)
        TRY(storage_remove(repo->storage, files[index], false));
    TRY(storage_path_remove(repo->storage, paths->archive_dir, true));
    TRY(storage_path_remove(repo->storage, paths->backup_dir, true));
    return 0;
}

int
stanza_delete_repo(const Repo *repo, const char *stanza, const StanzaDeleteOptions *options, bool *deleted)
{
    *deleted = false;
    StanzaPaths paths;
    stanza_paths_init(&paths, stanza);
    bool archive_exists = false;
    bool backup_exists = false;
    int result = stanza_dir_exists(repo->storage, paths.archive_dir, &archive_exists);
    if (result == 0)
        result = stanza_dir_exists(repo->storage, paths.backup_dir, &backup_exists);
    if (result == 0 && (archive_exists || backup_exists)) {
        result = stanza_delete_allowed(stanza, options, repo->key);
        if (result == 0)
            result = stanza_delete_paths(repo, &paths);
        if (result == 0) {
            bool existed = false;
            result = stop_remove(options->lock_path, stanza, &existed);
            *deleted = result == 0;
        }
    }
    stanza_paths_free(&paths);
    return result;
}
