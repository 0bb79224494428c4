/* gaiarest: entry point. Parses the configuration and dispatches to the command (src/cmd/). */
#include "cmd/command.h"
#include "common/log.h"
#include "config/config.h"

int
main(int argc, char **argv)
{
    int status;
    if (cfg_load(argc, argv) < 0)
        status = command_report_error();
    else if (command_log_init() < 0)
        status = command_report_error();
    else
        status = command_run();
    log_close();
    cfg_free();
    return status;
}
