/* backup: read the backup options and run the backup engine (engine/ops/backup.h). */
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/ops/backup.h"

/* --annotation key=value pairs as a sorted JSON object, NULL when none (owned by the caller). */
static char *
backup_annotation_json(void)
{
    const char *const *values = NULL;
    size_t count = cfg_list(OPT_ANNOTATION, &values);
    if (count == 0)
        return NULL;
    JsonValue *object = json_object();
    for (size_t i = 0; i < count; i++) {
        const char *equal = strchr(values[i], '=');
        if (equal == NULL)
            continue;
        char *key = mem_strndup(values[i], (size_t)(equal - values[i]));
        json_object_set(object, key, json_string(equal + 1));
        free(key);
    }
    json_object_sort(object, false);
    char *text = json_to_string(object);
    json_free(object);
    return text;
}

/* Kept by a successful backup when expire-auto follows (see command.h). */
static Lock *backup_lock_kept = NULL;

Lock *
cmd_backup_lock_take(void)
{
    Lock *lock = backup_lock_kept;
    backup_lock_kept = NULL;
    return lock;
}

int
cmd_backup(void)
{
    unsigned repo = cfg_repo_index();
    BackupOptions options;
    memset(&options, 0, sizeof(options));
    options.stanza = cfg_str(OPT_STANZA);
    const char *type = cfg_str(OPT_TYPE);
    int parsed = backup_type_parse(type != NULL ? type : "incr");
    if (parsed < 0)
        return err_set(ERR_OPTION_INVALID_VALUE, "'%s' is not allowed for 'type' option", type);
    options.type = (BackupType)parsed;
    options.repo_index = repo;
    options.pg_path = cfg_str_idx(OPT_PG_PATH, 0);
    options.pg_port = (unsigned)cfg_int_idx(OPT_PG_PORT, 0);
    options.pg_socket_path = cfg_str_idx(OPT_PG_SOCKET_PATH, 0);
    options.pg_user = cfg_str_idx(OPT_PG_USER, 0);
    options.pg_database = cfg_str_idx(OPT_PG_DATABASE, 0);
    options.db_timeout_ms = cfg_int(OPT_DB_TIMEOUT);
    options.start_fast = cfg_bool(OPT_START_FAST);
    options.archive_check = cfg_bool(OPT_ARCHIVE_CHECK);
    options.archive_copy = cfg_bool(OPT_ARCHIVE_COPY);
    options.archive_timeout_ms = cfg_int(OPT_ARCHIVE_TIMEOUT);
    options.checksum_page_set = cfg_has(OPT_CHECKSUM_PAGE);
    options.checksum_page = cfg_bool(OPT_CHECKSUM_PAGE);
    const char *compress = cfg_str(OPT_COMPRESS_TYPE);
    int compress_type = compress_type_parse(compress != NULL ? compress : "gz");
    if (compress_type < 0)
        return err_set(ERR_OPTION_INVALID_VALUE, "'%s' is not allowed for 'compress-type' option", compress);
    options.compress_type = (CompressType)compress_type;
    options.compress_level_set = cfg_has(OPT_COMPRESS_LEVEL);
    options.compress_level = (int)cfg_int(OPT_COMPRESS_LEVEL);
    if (options.compress_level_set)
        TRY(compress_level_check(options.compress_type, options.compress_level));
    options.compress_level_network = (int)cfg_int(OPT_COMPRESS_LEVEL_NETWORK);
    options.delta = cfg_bool(OPT_DELTA);
    options.resume = cfg_bool(OPT_RESUME);
    options.process_max = (unsigned)cfg_int(OPT_PROCESS_MAX);
    options.buffer_size = (size_t)cfg_int(OPT_BUFFER_SIZE);
    options.manifest_save_threshold = (uint64_t)cfg_int(OPT_MANIFEST_SAVE_THRESHOLD);
    const char *const *excludes = NULL;
    options.exclude_count = cfg_list(OPT_EXCLUDE, &excludes);
    options.excludes = excludes;
    options.lock_path = cfg_str(OPT_LOCK_PATH);
    options.retention_full_set = cfg_has_idx(OPT_REPO_RETENTION_FULL, repo);
    if (cfg_bool_idx(OPT_REPO_HARDLINK, repo) || cfg_bool_idx(OPT_REPO_BLOCK, repo))
        return err_set(ERR_FEATURE_NOT_SUPPORTED, "repo hardlink and block options are not supported by gaiarest "
                       "backup yet");
    options.bundle = cfg_bool_idx(OPT_REPO_BUNDLE, repo);
    options.bundle_limit = (uint64_t)cfg_int_idx(OPT_REPO_BUNDLE_LIMIT, repo);
    options.bundle_size = (uint64_t)cfg_int_idx(OPT_REPO_BUNDLE_SIZE, repo);
    /* refused rather than ignored: a backup taken from the primary instead would load the host it was meant to spare */
    if (cfg_bool(OPT_BACKUP_STANDBY)) {
        err_set(ERR_FEATURE_NOT_SUPPORTED, "option 'backup-standby' is not supported by gaiarest backup yet");
        return err_hint("take the backup from the primary (backup-standby=n).");
    }
    options.online = cfg_bool(OPT_ONLINE);
    options.force = cfg_bool(OPT_FORCE);
    char *annotation = backup_annotation_json();
    options.annotation_json = annotation;
    options.exec_id = cfg_str(OPT_EXEC_ID);
    Lock *lock = NULL;
    options.lock_keep = &lock;
    int result = backup_run(&options);
    free(annotation);
    /* expire-auto runs under the same lock (command.c); otherwise it goes now */
    if (result == 0 && cfg_bool(OPT_EXPIRE_AUTO))
        backup_lock_kept = lock;
    else
        lock_release(lock);
    return result;
}
