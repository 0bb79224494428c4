/* stop: create the stop file that makes repository-changing commands refuse to run (see engine/ops/lock.h).
 * With --force, also terminate the processes that hold the stanza's locks. */
#include <signal.h>
#include <stdbool.h>

#include "cmd/command.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "engine/ops/lock.h"

/* Send SIGTERM to the holder of each lock of the stanza (--force). */
static void
stop_terminate_lock_holders(const char *lock_path, const char *stanza)
{
    const LockType types[] = {LOCK_TYPE_ARCHIVE, LOCK_TYPE_BACKUP};
    for (size_t index = 0; index < sizeof(types) / sizeof(types[0]); index++) {
        pid_t holder = 0;
        if (lock_held(lock_path, stanza, types[index], &holder) && holder > 0) {
            if (kill(holder, SIGTERM) == 0)
                LOG_INFO("sent term signal to process %d", (int)holder);
            else
                LOG_WARN("unable to send term signal to process %d", (int)holder);
        }
    }
}

int
cmd_stop(void)
{
    const char *lock_path = cfg_str(OPT_LOCK_PATH);
    const char *stanza = cfg_str(OPT_STANZA);
    bool already = false;

    TRY(stop_create(lock_path, stanza, &already));
    if (already) {
        if (stanza != NULL)
            LOG_WARN("stop file already exists for stanza %s", stanza);
        else
            LOG_WARN("stop file already exists for all stanzas");
    }
    if (cfg_bool(OPT_FORCE) && stanza != NULL)
        stop_terminate_lock_holders(lock_path, stanza);
    return 0;
}
