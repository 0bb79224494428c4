/* stanza-create: create the stanza's info files on every configured repository (engine/ops/stanza.h). */
#include "cmd/command.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "engine/ops/lock.h"
#include "engine/ops/stanza.h"
#include "engine/repo/repo.h"

static int
stanza_create_one(unsigned index, const char *stanza, const StanzaPg *pg)
{
    Repo repo;
    TRY(repo_open(index, true, &repo));
    LOG_INFO("stanza-create for stanza '%s' on repo%u", stanza, repo.key);
    StanzaCreateResult result = STANZA_CREATE_NEW;
    int status = stanza_create_repo(&repo, stanza, pg, &result);
    if (status == 0 && result == STANZA_CREATE_VALID)
        LOG_INFO("stanza '%s' already exists on repo%u and is valid", stanza, repo.key);
    repo_close(&repo);
    return status;
}

static int
stanza_create_locked(const char *stanza)
{
    TRY(stop_check(cfg_str(OPT_LOCK_PATH), stanza));
    StanzaPg pg;
    TRY(stanza_pg_open(cfg_bool(OPT_ONLINE), "stanza-create", &pg, NULL));
    for (unsigned index = 0; index < repo_count(); index++)
        TRY(stanza_create_one(index, stanza, &pg));
    return 0;
}

int
cmd_stanza_create(void)
{
    Lock *lock = NULL;
    TRY(stanza_lock(&lock));
    int result = stanza_create_locked(cfg_str(OPT_STANZA));
    lock_release(lock);
    return result;
}
