/* start: remove the stop file written by `stop` (see engine/ops/lock.h). */
#include <stdbool.h>

#include "cmd/command.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "engine/ops/lock.h"

int
cmd_start(void)
{
    const char *stanza = cfg_str(OPT_STANZA);
    bool existed = false;

    TRY(stop_remove(cfg_str(OPT_LOCK_PATH), stanza, &existed));
    if (!existed) {
        if (stanza != NULL)
            LOG_WARN("stop file does not exist for stanza %s", stanza);
        else
            LOG_WARN("stop file does not exist");
    }
    return 0;
}
