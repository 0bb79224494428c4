/* gaiarest: entry point. Parses the configuration and dispatches to the command (src/cmd/). */
#include <stdio.h>

#include "gaiarest/version.h"

int
main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("gaiarest %s\n", GAIAREST_VERSION);
    return 0;
}
