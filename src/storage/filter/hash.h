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

/* SHA-1 over a stream of bytes, for callers outside a pipeline (info files). Through OpenSSL's low-level SHA-1
 * where the library has it: no provider to load, so a command that needs nothing else from OpenSSL (archive-push and
 * archive-get on a posix repository) does not pay for loading them and openssl.cnf (about 1 ms). */
typedef struct Sha1Stream Sha1Stream;
Sha1Stream *sha1_stream_new(void);
void sha1_stream_update(Sha1Stream *stream, const void *data, size_t size);
/* Write the lowercase hex digest (HASH_SHA1_HEX_SIZE bytes) and free the stream. */
void sha1_stream_finish(Sha1Stream *stream, char *hex);
/* Free a stream that will not be finished (NULL: nothing). */
void sha1_stream_free(Sha1Stream *stream);

/* A digest filter. After pipeline_finish(), filter_hash_hex() gives the lowercase hex digest. */
Filter *filter_hash_new(HashType type);
const char *filter_hash_hex(const Filter *filter);

/* A size filter: counts the bytes that pass. */
Filter *filter_size_new(void);
uint64_t filter_size_bytes(const Filter *filter);

/* One-shot helpers over a buffer: write the lowercase hex digest into `hex` (HASH_*_HEX_SIZE bytes). */
void hash_hex(HashType type, const void *data, size_t size, char *hex);

#endif
