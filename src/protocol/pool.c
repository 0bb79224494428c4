/* pool: bounded job queue and worker threads (see pool.h). */
#include "protocol/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

typedef struct PoolQueue {
    void **items;
    size_t capacity;
    size_t head;
    size_t count;
} PoolQueue;

typedef struct PoolWorker {
    Pool *pool;
    unsigned index;
    pthread_t thread;
    bool started;
} PoolWorker;

typedef struct PoolResultNode {
    PoolResult result;
    struct PoolResultNode *next;
} PoolResultNode;

struct Pool {
    PoolConfig config;
    pthread_mutex_t mutex;
    pthread_cond_t job_available;  /* workers wait for jobs */
    pthread_cond_t space_available; /* the coordinator waits for queue space */
    pthread_cond_t result_available;
    PoolQueue jobs;
    PoolResultNode *results_head;
    PoolResultNode *results_tail;
    size_t jobs_outstanding; /* submitted and not yet returned as a result */
    bool closed;
    bool cancelled;
    PoolWorker *workers;

    /* Start-up: each worker reports whether its init succeeded. */
    unsigned workers_ready;
    int init_status;
    ErrorCode init_code;
    char *init_message;
};

static void
queue_push(PoolQueue *queue, void *item)
{
    queue->items[(queue->head + queue->count) % queue->capacity] = item;
    queue->count++;
}

static void *
queue_pop(PoolQueue *queue)
{
    void *item = queue->items[queue->head];
    queue->head = (queue->head + 1) % queue->capacity;
    queue->count--;
    return item;
}

/* Append a result (mutex held). */
static void
results_append(Pool *pool, const PoolResult *result)
{
    PoolResultNode *node = mem_calloc(1, sizeof(PoolResultNode));
    node->result = *result;
    if (pool->results_tail != NULL)
        pool->results_tail->next = node;
    else
        pool->results_head = node;
    pool->results_tail = node;
    pthread_cond_signal(&pool->result_available);
}

static void
worker_run_job(PoolWorker *worker, void *context, void *job, bool cancelled)
{
    Pool *pool = worker->pool;
    PoolResult result = {.job = job, .worker_index = worker->index};

    if (cancelled) {
        result.status = -1;
        result.code = ERR_TERM;
        result.message = mem_strdup("job cancelled after an earlier error");
    } else {
        err_clear();
        result.status = pool->config.run(context, job) == 0 ? 0 : -1;
        if (result.status != 0) {
            result.code = err_code() != ERR_NONE ? err_code() : ERR_ASSERT;
            result.message = mem_strdup(err_message());
        }
    }

    pthread_mutex_lock(&pool->mutex);
    results_append(pool, &result);
    pthread_mutex_unlock(&pool->mutex);
}

static void *
worker_main(void *argument)
{
    PoolWorker *worker = argument;
    Pool *pool = worker->pool;
    void *context = pool->config.shared;

    int init_status = 0;
    if (pool->config.worker_init != NULL)
        init_status = pool->config.worker_init(pool->config.shared, worker->index, &context);

    pthread_mutex_lock(&pool->mutex);
    if (init_status != 0 && pool->init_status == 0) {
        pool->init_status = -1;
        pool->init_code = err_code();
        pool->init_message = mem_strdup(err_message());
    }
    pool->workers_ready++;
    pthread_cond_broadcast(&pool->result_available);
    pthread_mutex_unlock(&pool->mutex);
    if (init_status != 0)
        return NULL;

    for (;;) {
        pthread_mutex_lock(&pool->mutex);
        while (pool->jobs.count == 0 && !pool->closed)
            pthread_cond_wait(&pool->job_available, &pool->mutex);
        if (pool->jobs.count == 0) {
            pthread_mutex_unlock(&pool->mutex);
            break;
        }
        void *job = queue_pop(&pool->jobs);
        bool cancelled = pool->cancelled;
        pthread_cond_signal(&pool->space_available);
        pthread_mutex_unlock(&pool->mutex);

        worker_run_job(worker, context, job, cancelled);
    }

    if (pool->config.worker_free != NULL)
        pool->config.worker_free(context);
    return NULL;
}

int
pool_new(const PoolConfig *config, Pool **pool_out)
{
    Pool *pool = mem_calloc(1, sizeof(Pool));
    pool->config = *config;
    if (pool->config.workers == 0)
        pool->config.workers = 1;
    if (pool->config.queue_max == 0)
        pool->config.queue_max = 2 * (size_t)pool->config.workers;
    pool->jobs.capacity = pool->config.queue_max;
    pool->jobs.items = mem_calloc(pool->jobs.capacity, sizeof(void *));
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->job_available, NULL);
    pthread_cond_init(&pool->space_available, NULL);
    pthread_cond_init(&pool->result_available, NULL);

    pool->workers = mem_calloc(pool->config.workers, sizeof(PoolWorker));
    unsigned started = 0;
    for (unsigned index = 0; index < pool->config.workers; index++) {
        PoolWorker *worker = &pool->workers[index];
        worker->pool = pool;
        worker->index = index;
        if (pthread_create(&worker->thread, NULL, worker_main, worker) != 0) {
            err_set(ERR_KERNEL, "unable to start worker thread %u of %u", index + 1, pool->config.workers);
            pool_free(pool);
            return -1;
        }
        worker->started = true;
        started++;
    }

    /* Wait until every worker has built its context, so that a failure is reported here and not per job. */
    pthread_mutex_lock(&pool->mutex);
    while (pool->workers_ready < started)
        pthread_cond_wait(&pool->result_available, &pool->mutex);
    int init_status = pool->init_status;
    pthread_mutex_unlock(&pool->mutex);
    if (init_status != 0) {
        ErrorCode code = pool->init_code;
        char *message = pool->init_message;
        pool->init_message = NULL;
        pool_free(pool);
        err_set(code != ERR_NONE ? code : ERR_ASSERT, "%s", message);
        free(message);
        return -1;
    }

    *pool_out = pool;
    return 0;
}

void
pool_submit(Pool *pool, void *job)
{
    pthread_mutex_lock(&pool->mutex);
    while (pool->jobs.count == pool->jobs.capacity)
        pthread_cond_wait(&pool->space_available, &pool->mutex);
    queue_push(&pool->jobs, job);
    pool->jobs_outstanding++;
    pthread_cond_signal(&pool->job_available);
    pthread_mutex_unlock(&pool->mutex);
}

void
pool_close(Pool *pool)
{
    pthread_mutex_lock(&pool->mutex);
    pool->closed = true;
    pthread_cond_broadcast(&pool->job_available);
    pthread_cond_broadcast(&pool->result_available);
    pthread_mutex_unlock(&pool->mutex);
}

void
pool_cancel(Pool *pool)
{
    pthread_mutex_lock(&pool->mutex);
    pool->cancelled = true;
    pthread_mutex_unlock(&pool->mutex);
}

/* Take the first result (mutex held); false when none is ready. */
static bool
results_take(Pool *pool, PoolResult *result)
{
    PoolResultNode *node = pool->results_head;
    if (node == NULL)
        return false;
    pool->results_head = node->next;
    if (pool->results_head == NULL)
        pool->results_tail = NULL;
    *result = node->result;
    free(node);
    pool->jobs_outstanding--;
    return true;
}

bool
pool_result_wait(Pool *pool, PoolResult *result)
{
    pthread_mutex_lock(&pool->mutex);
    for (;;) {
        if (results_take(pool, result)) {
            pthread_mutex_unlock(&pool->mutex);
            return true;
        }
        if (pool->closed && pool->jobs_outstanding == 0) {
            pthread_mutex_unlock(&pool->mutex);
            return false;
        }
        pthread_cond_wait(&pool->result_available, &pool->mutex);
    }
}

bool
pool_result_try(Pool *pool, PoolResult *result)
{
    pthread_mutex_lock(&pool->mutex);
    bool taken = results_take(pool, result);
    pthread_mutex_unlock(&pool->mutex);
    return taken;
}

void
pool_result_clear(PoolResult *result)
{
    free(result->message);
    result->message = NULL;
}

void
pool_free(Pool *pool)
{
    if (pool == NULL)
        return;
    pool_close(pool);
    for (unsigned index = 0; index < pool->config.workers; index++) {
        if (pool->workers[index].started)
            pthread_join(pool->workers[index].thread, NULL);
    }
    PoolResult result;
    while (results_take(pool, &result))
        pool_result_clear(&result);
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->job_available);
    pthread_cond_destroy(&pool->space_available);
    pthread_cond_destroy(&pool->result_available);
    free(pool->init_message);
    free(pool->jobs.items);
    free(pool->workers);
    free(pool);
}
