/*
 * hash_thread: SHA-1 on a second thread over the bytes a caller streams, so that hashing a WAL segment overlaps
 * with compressing (archive-push) or decompressing (archive-get) it on the calling thread.
 *
 * The caller fills chunk buffers from a small ring (HASH_THREAD_SLOTS buffers of HASH_THREAD_CHUNK_SIZE bytes,
 * mapped and pre-faulted at the first use) and publishes each one in order, or lends the thread bytes of its own
 * (a file mapped from the page cache: no copy at all); the thread hashes chunks in the order they come.
 * A slot handed out by hash_thread_slot() stays the caller's until the next call to hash_thread_slot(): the caller
 * may keep reading it (to compress it, to write it) after publishing it. Memory is bounded by the ring.
 * When the ring is full and the thread is not busy (not scheduled on a loaded machine), the producer hashes the
 * next chunk itself, and at the end it hashes what is left: never slower than hashing on one thread.
 * One producer thread only.
 */
#ifndef GAIAREST_ENGINE_OPS_HASH_THREAD_H
#define GAIAREST_ENGINE_OPS_HASH_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include "storage/filter/hash.h"

#define HASH_THREAD_CHUNK_SIZE ((size_t)256 * 1024)
#define HASH_THREAD_SLOTS 8

typedef struct HashThread HashThread;

/* Allocate the ring and start the thread (ERR_KERNEL / ERR_MEMORY when the system refuses). */
int hash_thread_start(HashThread **thread);

/* The next chunk buffer to fill (HASH_THREAD_CHUNK_SIZE bytes); waits while the thread still hashes every slot. */
uint8_t *hash_thread_slot(HashThread *thread);

/* Hand the chunk from the last hash_thread_slot() (its first `size` bytes) to the thread. */
void hash_thread_publish(HashThread *thread, size_t size);

/* Hand the thread `size` bytes of the caller's own, hashed where they are (any size; waits while HASH_THREAD_SLOTS
 * chunks are still queued). The caller keeps them unchanged until hash_thread_wait(), hash_thread_digest() or
 * hash_thread_finish() returns. */
void hash_thread_lend(HashThread *thread, const uint8_t *data, size_t size);

/* Wait until every chunk handed to the thread is hashed: lent bytes are the caller's again. */
void hash_thread_wait(HashThread *thread);

/* End of data: wait for the thread and write the lowercase hex SHA-1 of everything published into `hex`. */
int hash_thread_finish(HashThread *thread, char hex[HASH_SHA1_HEX_SIZE]);

/* Stop the thread when still running (the digest is abandoned) and free everything (NULL is allowed). */
void hash_thread_free(HashThread *thread);

/* End of one stream without stopping the thread: wait until everything published is hashed, write its SHA-1 into
 * `hex`, and start a new stream on the same thread and ring (a backup worker keeps one thread for all its files). */
int hash_thread_digest(HashThread *thread, char hex[HASH_SHA1_HEX_SIZE]);

/* An observer filter that copies the bytes it sees into `thread`'s ring: the SHA-1 of a pipeline's bytes is computed
 * on the thread while the pipeline goes on (compression) on the caller's. The thread is borrowed and serves one
 * filter at a time; a filter freed before its pipeline finished drops its stream, so the next one starts clean. */
Filter *hash_thread_filter_new(HashThread *thread);

/* The filter's digest (lowercase hex), valid after pipeline_finish. */
const char *hash_thread_filter_hex(const Filter *filter);

#endif
