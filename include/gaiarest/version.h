/* gaiarest version, and the pgBackRest repository format version it reads and writes. */
#ifndef GAIAREST_VERSION_H
#define GAIAREST_VERSION_H

#define GAIAREST_VERSION "0.1.0"

/* Info files and manifests carry backrest-version: gaiarest writes what pgBackRest 2.45 writes, so that
 * stock 2.45 treats the repository as its own (see doc/design.md). */
#define GAIAREST_REPO_VERSION "2.45"
#define GAIAREST_REPO_FORMAT 5

#endif
