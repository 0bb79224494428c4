/* stanza-upgrade: record a new PostgreSQL (major upgrade, new system id) in the stanza's info files on every
 * configured repository (engine/ops/stanza.h). */
#include <stdbool.h>

#include "cmd/command.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "engine/ops/lock.h"
#include "engine/ops/stanza.h"
#include "engine/repo/repo.h"

static int
stanza_upgrade_one(unsigned index, const char *stanza, const StanzaPg *pg)
{
    Repo repo;
    TRY(repo_open(index, true, &repo));
    LOG_INFO("stanza-upgrade for stanza '%s' on repo%u", stanza, repo.key);
    bool upgraded = false;
    int status = stanza_upgrade_repo(&repo, stanza, pg, &upgraded);
    if (status == 0 && !upgraded)
        LOG_INFO("stanza '%s' on repo%u is already up to date", stanza, repo.key);
    repo_close(&repo);
    return status;
}

static int
stanza_upgrade_locked(const char *stanza)
{
    TRY(stop_check(cfg_str(OPT_LOCK_PATH), stanza));
    StanzaPg pg;
    TRY(stanza_pg_open(cfg_bool(OPT_ONLINE), "stanza-upgrade", &pg, NULL));
    for (unsigned index = 0; index < repo_count(); index++)
        TRY(stanza_upgrade_one(index, stanza, &pg));
    return 0;
}

int
cmd_stanza_upgrade(void)
{
    Lock *lock = NULL;
    TRY(stanza_lock(&lock));
    int result = stanza_upgrade_locked(cfg_str(OPT_STANZA));
    lock_release(lock);
    return result;
}
