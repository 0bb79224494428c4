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

/* Build the S3 storage of configured repo index `index` (user-facing number `key`) from repoN-s3-*,
 * repoN-storage-*, io-timeout and repoN-path (the key prefix). Options the driver cannot honour
 * (repoN-s3-kms-key-id, key types other than shared, repoN-s3-role) are refused with ERR_OPTION_INVALID and a hint,
 * with wording specific to Cloudflare R2 endpoints; an R2 endpoint without a region signs with region "auto". */
int repo_open_s3(unsigned index, unsigned key, bool writable, Storage **storage);

/* True when endpoint is a Cloudflare R2 endpoint (ends with ".r2.cloudflarestorage.com"). */
bool repo_s3_endpoint_is_r2(const char *endpoint);

/* Release the repository's storage. */
void repo_close(Repo *repo);

/* The number of configured repositories (at least 1: repo1 with its defaults). */
unsigned repo_count(void);

#endif
