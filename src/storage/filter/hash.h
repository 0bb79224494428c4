/*
 * hash: observer filters that compute a digest (SHA-1 for pgBackRest checksums, SHA-256 for S3) and the
 * byte count of the data passing through.
 */
#ifndef GAIAREST_STORAGE_FILTER_HASH_H
#define GAIAREST_STORAGE_FILTER_HASH_H

#include <stdint.h>

#include "storage/filter/filter.h"

typedef enum HashType {
    HASH_SHA1,
    HASH_SHA256,
} HashType;

#define HASH_SHA1_HEX_SIZE 41   /* 40 hex chars + NUL */
#define HASH_SHA256_HEX_SIZE 65 /* 64 hex chars + NUL */

/* A digest filter. After pipeline_finish(), filter_hash_hex() gives the lowercase hex digest. */
Filter *filter_hash_new(HashType type);
const char *filter_hash_hex(const Filter *filter);

/* A size filter: counts the bytes that pass. */
Filter *filter_size_new(void);
uint64_t filter_size_bytes(const Filter *filter);

/* One-shot helpers over a buffer: write the lowercase hex digest into `hex` (HASH_*_HEX_SIZE bytes). */
void hash_hex(HashType type, const void *data, size_t size, char *hex);

#endif
