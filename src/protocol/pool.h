/*
 * pool: `process-max` worker threads fed through a bounded job queue.
 *
 * The coordinator (the command's main thread) submits jobs; workers run them and hand back results; the
 * coordinator alone consumes the results (and so alone edits manifests and info files). Memory is bounded
 * by the jobs in flight: pool_submit() blocks while `queue_max` jobs wait, so a backup of a large cluster
 * never holds more than queue_max + workers jobs at once. The coordinator interleaves submitting and
 * collecting (pool_result_try) or submits everything from another loop.
 *
 * Each worker has its own context (created by `worker_init` in the worker's thread: its storage handles,
 * compressor contexts and buffers), so nothing is shared between workers but the queues. A job that fails
 * returns -1; its error record (code and message, thread-local in the worker) is copied into the result.
 */
#ifndef GAIAREST_PROTOCOL_POOL_H
#define GAIAREST_PROTOCOL_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Build a worker's private context; `worker_index` counts from 0 (it logs as P<index+1>). */
typedef int (*PoolWorkerInit)(void *shared, unsigned worker_index, void **worker_context);
/* Release a worker's context. */
typedef void (*PoolWorkerFree)(void *worker_context);
/* Run one job in a worker; 0 or -1 with the error record set. */
typedef int (*PoolJobRun)(void *worker_context, void *job);

typedef struct PoolConfig {
    unsigned workers;      /* process-max (at least 1) */
    size_t queue_max;      /* jobs waiting at most (0: 2 x workers) */
    void *shared;          /* handed to worker_init */
    PoolWorkerInit worker_init; /* may be NULL: worker_context is then `shared` */
    PoolWorkerFree worker_free; /* may be NULL */
    PoolJobRun run;
} PoolConfig;

typedef struct PoolResult {
    void *job;          /* the submitted job, back to its owner */
    int status;         /* 0 or -1 */
    ErrorCode code;     /* when status is -1 */
    char *message;      /* when status is -1; owned by the result: pool_result_clear() */
    unsigned worker_index;
} PoolResult;

typedef struct Pool Pool;

/* Start the workers. Fails (with the error of the first worker_init that failed) when a worker cannot start. */
int pool_new(const PoolConfig *config, Pool **pool);

/* Queue a job (blocks while the queue is full). The job pointer comes back in a PoolResult. */
void pool_submit(Pool *pool, void *job);

/* No more jobs will be submitted. */
void pool_close(Pool *pool);

/* Wait for the next result. Returns false when the pool is closed and every result has been returned. */
bool pool_result_wait(Pool *pool, PoolResult *result);

/* Take a result if one is ready (never blocks). */
bool pool_result_try(Pool *pool, PoolResult *result);

/* Ask workers to skip the jobs still queued (they come back with status -1, ERR_TERM) — after a fatal error. */
void pool_cancel(Pool *pool);

/* Release a result's message. */
void pool_result_clear(PoolResult *result);

/* Stop and join the workers (closing the pool first if needed) and free everything. */
void pool_free(Pool *pool);

#endif
