/* stanza-delete: remove a stopped stanza from one repository (engine/ops/stanza.h). With more than one
 * repository configured, --repo must say which. */
#include <stdbool.h>

#include "cmd/command.h"
#include "common/error.h"
#include "config/config.h"
#include "engine/ops/lock.h"
#include "engine/ops/stanza.h"
#include "engine/repo/repo.h"

static int
stanza_delete_locked(const char *stanza)
{
    if (repo_count() > 1 && !cfg_has(OPT_REPO)) {
        err_set(ERR_OPTION_REQUIRED, "stanza-delete command requires option: repo");
        return err_hint("this command requires a specific repository to operate on");
    }
    StanzaDeleteOptions options = {
        .lock_path = cfg_str(OPT_LOCK_PATH),
        .pg_path = cfg_str_idx(OPT_PG_PATH, 0),
        .force = cfg_bool(OPT_FORCE),
    };
    Repo repo;
    TRY(repo_open(cfg_repo_index(), true, &repo));
    bool deleted = false;
    int result = stanza_delete_repo(&repo, stanza, &options, &deleted);
    repo_close(&repo);
    return result;
}

int
cmd_stanza_delete(void)
{
    Lock *lock = NULL;
    TRY(stanza_lock(&lock));
    int result = stanza_delete_locked(cfg_str(OPT_STANZA));
    lock_release(lock);
    return result;
}
