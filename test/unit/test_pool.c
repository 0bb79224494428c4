/* Unit tests for protocol/pool: results, error propagation, per-worker contexts, bounded queue, cancel. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "protocol/pool.h"

typedef struct SquareJob {
    int input;
    int output;
    unsigned ran_on;
} SquareJob;

typedef struct WorkerContext {
    unsigned index;
} WorkerContext;

static int
worker_init(void *shared, unsigned worker_index, void **context)
{
    (void)shared;
    WorkerContext *worker = malloc(sizeof(WorkerContext));
    worker->index = worker_index;
    *context = worker;
    return 0;
}

static void
worker_free(void *context)
{
    free(context);
}

static int
square_run(void *context, void *job_pointer)
{
    SquareJob *job = job_pointer;
    job->ran_on = ((WorkerContext *)context)->index;
    if (job->input % 97 == 13)
        return err_set(ERR_FILE_READ, "unable to read input %d", job->input);
    job->output = job->input * job->input;
    return 0;
}

START_TEST(test_results_and_errors)
{
    enum { JOB_COUNT = 1000 };
    SquareJob *jobs = calloc(JOB_COUNT, sizeof(SquareJob));
    PoolConfig config = {.workers = 2, .queue_max = 4, .worker_init = worker_init, .worker_free = worker_free,
                         .run = square_run};
    Pool *pool = NULL;
    ck_assert_int_eq(pool_new(&config, &pool), 0);

    int results = 0, failures = 0;
    long long sum = 0;
    PoolResult result;
    for (int index = 0; index < JOB_COUNT; index++) {
        jobs[index].input = index;
        pool_submit(pool, &jobs[index]);
        while (pool_result_try(pool, &result)) {
            results++;
            if (result.status != 0) {
                failures++;
                ck_assert_int_eq(result.code, ERR_FILE_READ);
                ck_assert_ptr_nonnull(strstr(result.message, "unable to read input"));
            } else {
                sum += ((SquareJob *)result.job)->output;
            }
            pool_result_clear(&result);
        }
    }
    pool_close(pool);
    while (pool_result_wait(pool, &result)) {
        results++;
        if (result.status != 0)
            failures++;
        else
            sum += ((SquareJob *)result.job)->output;
        pool_result_clear(&result);
    }
    pool_free(pool);

    long long expected_sum = 0;
    int expected_failures = 0;
    bool used[2] = {false, false};
    for (int index = 0; index < JOB_COUNT; index++) {
        if (index % 97 == 13)
            expected_failures++;
        else
            expected_sum += (long long)index * index;
        ck_assert_uint_lt(jobs[index].ran_on, 2);
        used[jobs[index].ran_on] = true;
    }
    ck_assert_int_eq(results, JOB_COUNT);
    ck_assert_int_eq(failures, expected_failures);
    ck_assert_int_eq(sum, expected_sum);
    ck_assert(used[0] || used[1]);
    free(jobs);
}
END_TEST

/* Jobs that wait on a gate, to see how many the pool accepts while its workers are busy. */
static pthread_mutex_t gate_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open = false;
static atomic_int submitted = 0;

static int
gated_run(void *context, void *job)
{
    (void)context;
    (void)job;
    pthread_mutex_lock(&gate_mutex);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_mutex);
    pthread_mutex_unlock(&gate_mutex);
    return 0;
}

static void *
submitter(void *argument)
{
    Pool *pool = argument;
    static int dummy[100];
    for (int index = 0; index < 100; index++) {
        pool_submit(pool, &dummy[index]);
        atomic_fetch_add(&submitted, 1);
    }
    pool_close(pool);
    return NULL;
}

START_TEST(test_bounded_queue)
{
    PoolConfig config = {.workers = 2, .queue_max = 4, .run = gated_run};
    Pool *pool = NULL;
    ck_assert_int_eq(pool_new(&config, &pool), 0);
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, submitter, pool), 0);

    /* 2 jobs running in the workers + 4 waiting: the 7th submit blocks. Wait (up to 30 s on a loaded machine)
     * until the workers have taken their jobs, then check that the count stays at the bound. */
    for (int wait = 0; wait < 3000 && atomic_load(&submitted) < 6; wait++)
        usleep(10 * 1000);
    ck_assert_int_eq(atomic_load(&submitted), 6);
    usleep(200 * 1000);
    ck_assert_int_eq(atomic_load(&submitted), 6);

    pthread_mutex_lock(&gate_mutex);
    gate_open = true;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_mutex);

    int results = 0;
    PoolResult result;
    while (pool_result_wait(pool, &result)) {
        ck_assert_int_eq(result.status, 0);
        results++;
    }
    pthread_join(thread, NULL);
    ck_assert_int_eq(results, 100);
    pool_free(pool);
}
END_TEST

static int
failing_init(void *shared, unsigned worker_index, void **context)
{
    (void)shared;
    (void)context;
    if (worker_index == 1)
        return err_set(ERR_HOST_CONNECT, "worker %u cannot reach the repository", worker_index);
    *context = NULL;
    return 0;
}

START_TEST(test_worker_init_failure)
{
    PoolConfig config = {.workers = 3, .worker_init = failing_init, .run = gated_run};
    Pool *pool = NULL;
    ck_assert_int_eq(pool_new(&config, &pool), -1);
    ck_assert_int_eq(err_code(), ERR_HOST_CONNECT);
    ck_assert_str_eq(err_message(), "worker 1 cannot reach the repository");
}
END_TEST

START_TEST(test_cancel)
{
    gate_open = true;
    PoolConfig config = {.workers = 1, .queue_max = 8, .run = gated_run};
    Pool *pool = NULL;
    ck_assert_int_eq(pool_new(&config, &pool), 0);
    pool_cancel(pool);
    int dummy[5];
    for (int index = 0; index < 5; index++)
        pool_submit(pool, &dummy[index]);
    pool_close(pool);
    PoolResult result;
    int cancelled = 0;
    while (pool_result_wait(pool, &result)) {
        ck_assert_int_eq(result.status, -1);
        ck_assert_int_eq(result.code, ERR_TERM);
        cancelled++;
        pool_result_clear(&result);
    }
    ck_assert_int_eq(cancelled, 5);
    pool_free(pool);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("pool");
    TCase *tcase = tcase_create("pool");
    tcase_set_timeout(tcase, 60);
    tcase_add_test(tcase, test_results_and_errors);
    tcase_add_test(tcase, test_bounded_queue);
    tcase_add_test(tcase, test_worker_init_failure);
    tcase_add_test(tcase, test_cancel);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
