/*
 * posix: the storage driver for local file systems (see storage.h for the contract).
 */
#ifndef GAIAREST_STORAGE_POSIX_H
#define GAIAREST_STORAGE_POSIX_H

#include <stdbool.h>

#include "storage/storage.h"

/* A posix storage rooted at `base_path` (absolute). Writes are refused unless `writable`. */
Storage *storage_posix_new(const char *base_path, bool writable);

#endif
