/*
 * repo: a configured repository (repoN-* options) as the engine uses it: its storage (posix or s3) rooted at
 * repoN-path, and its cipher settings. Every command opens repositories through here, so that the storage
 * type, path and cipher are interpreted in one place.
 */
#ifndef GAIAREST_ENGINE_REPO_REPO_H
#define GAIAREST_ENGINE_REPO_REPO_H

#include <stdbool.h>

#include "storage/filter/cipher.h"
#include "storage/storage.h"

typedef struct Repo {
    unsigned index;       /* 0-based position among the configured repos */
    unsigned key;         /* the N of repoN */
    Storage *storage;     /* owned */
    CipherType cipher_type;
    const char *cipher_pass; /* repoN-cipher-pass (owned by the configuration), NULL when none */
} Repo;

/* Open the repository at configured index `index` (see cfg_index_count(OPT_GROUP_REPO)). */
int repo_open(unsigned index, bool writable, Repo *repo);

/* Release the repository's storage. */
void repo_close(Repo *repo);

/* The number of configured repositories (at least 1: repo1 with its defaults). */
unsigned repo_count(void);

#endif
