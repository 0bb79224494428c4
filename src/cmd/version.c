/* version: print the gaiarest version and the repository format it shares with pgBackRest. */
#include <stdio.h>

#include "cmd/command.h"
#include "gaiarest/version.h"

int
cmd_version(void)
{
    printf("gaiarest %s (pgBackRest repository format %d, compatible with %s)\n", GAIAREST_VERSION,
           GAIAREST_REPO_FORMAT, GAIAREST_REPO_VERSION);
    return 0;
}
