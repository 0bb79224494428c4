/* restore: copy a backup from the repository back into pg1-path (see engine/ops/restore.h). */
#include "cmd/command.h"
#include "engine/ops/restore.h"

int
cmd_restore(void)
{
    return restore_run();
}
