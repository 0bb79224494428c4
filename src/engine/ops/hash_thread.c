/* hash_thread: SHA-1 on a second thread over streamed chunks (see hash_thread.h). */
#include "engine/ops/hash_thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/error.h"
#include "common/mem.h"

#define HASH_THREAD_RING_SIZE (HASH_THREAD_CHUNK_SIZE * HASH_THREAD_SLOTS)

struct HashThread {
    pthread_t thread;
    bool running;                  /* the thread was started and not joined */
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    uint8_t *ring;                 /* HASH_THREAD_RING_SIZE bytes, mapped at the first hash_thread_slot() */
    bool ring_mapped;              /* ring came from mmap (else from the heap) */
    const uint8_t *chunks[HASH_THREAD_SLOTS]; /* each published chunk: a ring slot or the caller's bytes */
    size_t sizes[HASH_THREAD_SLOTS];
    unsigned long long published;  /* chunks handed to the thread */
    unsigned long long hashed;     /* chunks the thread is done with */
    bool end;                      /* no more chunks will come */
    bool hashing;                  /* a chunk is being hashed (by the thread or by the producer) */
    Filter *sha1;
    ErrorCode error_code;          /* the thread's failure, ERR_NONE when none */
    char error_message[512];
};

/* Keep the thread's failure for the producer (the error record is per thread). */
static void
hash_thread_keep_error(HashThread *thread)
{
    if (thread->error_code != ERR_NONE)
        return;
    thread->error_code = err_code() != ERR_NONE ? err_code() : ERR_CRYPTO;
    snprintf(thread->error_message, sizeof(thread->error_message), "%s", err_message());
}

/* Hash the next published chunk; called with the mutex held and `hashing` free, returns with it held. Either
 * thread may do it: the digest is sequential, and whoever is free takes the next chunk. */
static void
hash_thread_hash_next(HashThread *thread)
{
    thread->hashing = true;
    size_t slot = (size_t)(thread->hashed % HASH_THREAD_SLOTS);
    const uint8_t *chunk = thread->chunks[slot];
    size_t size = thread->sizes[slot];
    bool failed = thread->error_code != ERR_NONE;
    pthread_mutex_unlock(&thread->mutex);

    int result = failed ? 0 : thread->sha1->ops->process(thread->sha1, chunk, size, NULL);

    pthread_mutex_lock(&thread->mutex);
    if (result < 0)
        hash_thread_keep_error(thread);
    thread->hashed++;
    thread->hashing = false;
    pthread_cond_broadcast(&thread->changed);
}

static void *
hash_thread_main(void *argument)
{
    HashThread *thread = argument;
    pthread_mutex_lock(&thread->mutex);
    for (;;) {
        while ((thread->hashed == thread->published || thread->hashing) && !thread->end)
            pthread_cond_wait(&thread->changed, &thread->mutex);
        if (thread->end)
            break;
        hash_thread_hash_next(thread);
    }
    pthread_mutex_unlock(&thread->mutex);
    return NULL;
}

int
hash_thread_start(HashThread **result)
{
    *result = NULL;
    HashThread *thread = mem_calloc(1, sizeof(*thread));
    thread->sha1 = filter_hash_new(HASH_SHA1);
    pthread_mutex_init(&thread->mutex, NULL);
    pthread_cond_init(&thread->changed, NULL);

    int error = pthread_create(&thread->thread, NULL, hash_thread_main, thread);
    if (error != 0) {
        hash_thread_free(thread);
        return err_set_errno(ERR_KERNEL, error, "unable to start the hashing thread");
    }
    thread->running = true;
    *result = thread;
    return 0;
}

/* Wait until fewer than `pending` chunks are left to hash; the producer hashes a chunk itself whenever the thread
 * is not busy with one (so an overloaded machine that does not schedule the thread costs no more than hashing on
 * one thread). Called with the mutex held. */
static void
hash_thread_drain(HashThread *thread, unsigned long long pending)
{
    while (thread->published - thread->hashed >= pending) {
        if (!thread->hashing)
            hash_thread_hash_next(thread);
        else
            pthread_cond_wait(&thread->changed, &thread->mutex);
    }
}

/* The ring, at its first use (a producer that only lends its own bytes never needs it). Pre-faulted in one call:
 * the chunks are written at once by read() or memcpy, and a page fault per 4 KiB costs more than the hashing of it
 * on a virtual machine. Where the system refuses the mapping, the heap serves (faulted as it is written). */
static uint8_t *
hash_thread_ring(HashThread *thread)
{
    if (thread->ring == NULL) {
        void *ring = mmap(NULL, HASH_THREAD_RING_SIZE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        thread->ring_mapped = ring != MAP_FAILED;
        thread->ring = thread->ring_mapped ? ring : mem_alloc(HASH_THREAD_RING_SIZE);
    }
    return thread->ring;
}

uint8_t *
hash_thread_slot(HashThread *thread)
{
    uint8_t *ring = hash_thread_ring(thread);
    pthread_mutex_lock(&thread->mutex);
    hash_thread_drain(thread, HASH_THREAD_SLOTS);
    size_t slot = (size_t)(thread->published % HASH_THREAD_SLOTS);
    pthread_mutex_unlock(&thread->mutex);
    return ring + slot * HASH_THREAD_CHUNK_SIZE;
}

/* Queue a chunk (the mutex is not held; a slot is free: the producer drained the ring before filling or lending). */
static void
hash_thread_queue(HashThread *thread, const uint8_t *chunk, size_t size)
{
    pthread_mutex_lock(&thread->mutex);
    size_t slot = (size_t)(thread->published % HASH_THREAD_SLOTS);
    thread->chunks[slot] = chunk;
    thread->sizes[slot] = size;
    thread->published++;
    pthread_cond_broadcast(&thread->changed);
    pthread_mutex_unlock(&thread->mutex);
}

void
hash_thread_publish(HashThread *thread, size_t size)
{
    size_t slot = (size_t)(thread->published % HASH_THREAD_SLOTS); /* only the producer changes `published` */
    hash_thread_queue(thread, thread->ring + slot * HASH_THREAD_CHUNK_SIZE, size);
}

void
hash_thread_lend(HashThread *thread, const uint8_t *data, size_t size)
{
    pthread_mutex_lock(&thread->mutex);
    hash_thread_drain(thread, HASH_THREAD_SLOTS);
    pthread_mutex_unlock(&thread->mutex);
    hash_thread_queue(thread, data, size);
}

void
hash_thread_wait(HashThread *thread)
{
    pthread_mutex_lock(&thread->mutex);
    hash_thread_drain(thread, 1);
    pthread_mutex_unlock(&thread->mutex);
}

/* Tell the thread no more chunks come and wait for it (chunks not hashed yet are dropped). */
static void
hash_thread_join(HashThread *thread)
{
    if (!thread->running)
        return;
    pthread_mutex_lock(&thread->mutex);
    while (thread->hashing)
        pthread_cond_wait(&thread->changed, &thread->mutex);
    thread->end = true;
    pthread_cond_broadcast(&thread->changed);
    pthread_mutex_unlock(&thread->mutex);
    pthread_join(thread->thread, NULL);
    thread->running = false;
}

int
hash_thread_finish(HashThread *thread, char hex[HASH_SHA1_HEX_SIZE])
{
    int result = hash_thread_digest(thread, hex);
    hash_thread_join(thread);
    return result;
}

void
hash_thread_free(HashThread *thread)
{
    if (thread == NULL)
        return;
    hash_thread_join(thread);
    filter_free(thread->sha1);
    pthread_cond_destroy(&thread->changed);
    pthread_mutex_destroy(&thread->mutex);
    if (thread->ring_mapped)
        munmap(thread->ring, HASH_THREAD_RING_SIZE);
    else
        free(thread->ring);
    free(thread);
}

/* Wait until every published chunk is hashed, then close the stream: its digest into `hex` (when not NULL) and a
 * fresh SHA-1 for the next one. The thread keeps running. Returns the thread's failure, if any (and clears it). */
static int
hash_thread_stream_end(HashThread *thread, char *hex, ErrorCode *code, char *message, size_t message_size)
{
    pthread_mutex_lock(&thread->mutex);
    hash_thread_drain(thread, 1); /* all hashed: the thread waits for the next chunk and holds no reference */
    if (thread->error_code == ERR_NONE && thread->sha1->ops->finish(thread->sha1, NULL) < 0)
        hash_thread_keep_error(thread);
    *code = thread->error_code;
    snprintf(message, message_size, "%s", thread->error_message);
    if (thread->error_code == ERR_NONE && hex != NULL)
        snprintf(hex, HASH_SHA1_HEX_SIZE, "%s", filter_hash_hex(thread->sha1));
    filter_free(thread->sha1);
    thread->sha1 = filter_hash_new(HASH_SHA1);
    thread->error_code = ERR_NONE;
    thread->error_message[0] = '\0';
    pthread_mutex_unlock(&thread->mutex);
    return *code == ERR_NONE ? 0 : -1;
}

int
hash_thread_digest(HashThread *thread, char hex[HASH_SHA1_HEX_SIZE])
{
    ErrorCode code;
    char message[512];
    if (hash_thread_stream_end(thread, hex, &code, message, sizeof(message)) < 0)
        return err_set(code, "%s", message);
    return 0;
}

typedef struct HashThreadFilter {
    HashThread *thread;
    bool finished;
    char hex[HASH_SHA1_HEX_SIZE];
} HashThreadFilter;

static int
hash_thread_filter_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    (void)out;
    HashThreadFilter *state = filter->state;
    while (in_size > 0) {
        size_t take = in_size < HASH_THREAD_CHUNK_SIZE ? in_size : HASH_THREAD_CHUNK_SIZE;
        memcpy(hash_thread_slot(state->thread), in, take);
        hash_thread_publish(state->thread, take);
        in += take;
        in_size -= take;
    }
    return 0;
}

static int
hash_thread_filter_finish(Filter *filter, Buf *out)
{
    (void)out;
    HashThreadFilter *state = filter->state;
    state->finished = true;
    return hash_thread_digest(state->thread, state->hex);
}

static void
hash_thread_filter_free_state(Filter *filter)
{
    HashThreadFilter *state = filter->state;
    if (!state->finished) { /* abandoned (a failed copy): drop its chunks, keep the caller's error record */
        ErrorCode code;
        char message[512];
        hash_thread_stream_end(state->thread, NULL, &code, message, sizeof(message));
    }
    free(state);
}

static const FilterOps hash_thread_filter_ops = {
    .name = "sha1", .transforms = false, .process = hash_thread_filter_process, .finish = hash_thread_filter_finish,
    .free_state = hash_thread_filter_free_state,
};

Filter *
hash_thread_filter_new(HashThread *thread)
{
    HashThreadFilter *state = mem_calloc(1, sizeof(HashThreadFilter));
    state->thread = thread;
    return filter_new(&hash_thread_filter_ops, state);
}

const char *
hash_thread_filter_hex(const Filter *filter)
{
    const HashThreadFilter *state = filter->state;
    return state->hex;
}
