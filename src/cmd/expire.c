/* expire: apply retention on every configured repository, or the one --repo names (engine/ops/expire.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/command.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "engine/ops/expire.h"
#include "engine/ops/lock.h"
#include "engine/repo/repo.h"

static unsigned
option_uint(OptionId id, unsigned index)
{
    return cfg_has_idx(id, index) ? (unsigned)cfg_int_idx(id, index) : 0;
}

static void
expire_settings_load(unsigned index, unsigned key, ExpireSettings *settings)
{
    memset(settings, 0, sizeof(*settings));
    settings->repo_key = key;
    settings->retention_full = option_uint(OPT_REPO_RETENTION_FULL, index);
    const char *full_type = cfg_str_idx(OPT_REPO_RETENTION_FULL_TYPE, index);
    settings->retention_full_time = full_type != NULL && strcmp(full_type, "time") == 0;
    settings->retention_diff = option_uint(OPT_REPO_RETENTION_DIFF, index);
    settings->retention_archive = option_uint(OPT_REPO_RETENTION_ARCHIVE, index);
    const char *archive_type = cfg_str_idx(OPT_REPO_RETENTION_ARCHIVE_TYPE, index);
    int type = archive_type != NULL ? backup_type_parse(archive_type) : -1;
    settings->retention_archive_type = type >= 0 ? (BackupType)type : BACKUP_TYPE_FULL;
    settings->has_retention_history = cfg_has_idx(OPT_REPO_RETENTION_HISTORY, index);
    settings->retention_history = option_uint(OPT_REPO_RETENTION_HISTORY, index);
    settings->set = cfg_str(OPT_SET);
    settings->dry_run = cfg_bool(OPT_DRY_RUN);
    settings->now = (int64_t)time(NULL);
}

static int
expire_one(unsigned index, const char *stanza)
{
    Repo repo;
    TRY(repo_open(index, true, &repo));
    ExpireSettings settings;
    expire_settings_load(index, repo.key, &settings);
    int result = expire_repo(repo.storage, stanza, repo.cipher_type, repo.cipher_pass, &settings);
    repo_close(&repo);
    return result;
}

static int
expire_locked(const char *stanza)
{
    TRY(stop_check(cfg_str(OPT_LOCK_PATH), stanza));
    unsigned first = 0, last = repo_count();
    if (cfg_has(OPT_REPO)) {
        first = cfg_repo_index();
        last = first + 1;
    }
    /* 2.45 checks the settings of every repository before expiring any. */
    for (unsigned index = first; index < last; index++) {
        ExpireSettings settings;
        expire_settings_load(index, cfg_index_count(OPT_GROUP_REPO) > 0 ? cfg_index_key(OPT_GROUP_REPO, index) : 1,
                             &settings);
        expire_settings_warn(&settings);
    }
    /* A repository that fails is logged and the others still run; the command then fails as 2.45 does. */
    unsigned errors = 0;
    for (unsigned index = first; index < last; index++) {
        if (expire_one(index, stanza) < 0) {
            LOG_ERROR("[%03d]: %s", (int)err_code(), err_message());
            errors++;
        }
    }
    if (errors > 0)
        return err_set(ERR_COMMAND, "expire command encountered %u error(s), check the log file for details", errors);
    return 0;
}

int
cmd_expire(void)
{
    /* after a backup (expire-auto): its lock is still held */
    Lock *kept = cmd_backup_lock_take();
    if (kept != NULL) {
        int status = expire_locked(cfg_str(OPT_STANZA));
        lock_release(kept);
        return status;
    }
    const char *exec_id = cfg_str(OPT_EXEC_ID);
    char *generated = exec_id == NULL ? lock_exec_id_new() : NULL;
    Lock *lock = NULL;
    int result = lock_acquire(cfg_str(OPT_LOCK_PATH), cfg_str(OPT_STANZA), LOCK_TYPE_BACKUP,
                              generated != NULL ? generated : exec_id, &lock);
    free(generated);
    TRY(result);
    result = expire_locked(cfg_str(OPT_STANZA));
    lock_release(lock);
    return result;
}
