/* archive_async: the spool queue and the background processes of archive-async=y (see archive_async.h). */
#include "engine/ops/archive_async.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/strlist.h"
#include "engine/pg/wal.h"
#include "engine/repo/repo.h"
#include "protocol/pool.h"
#include "storage/posix.h"

#define STATUS_EXT_OK ".ok"
#define STATUS_EXT_ERROR ".error"
#define READY_EXT ".ready"

/* ------------------------------------------------------------------------------------------------------------------
 * Spool names and status files
 * ------------------------------------------------------------------------------------------------------------------ */

char *
archive_spool_stanza_dir(const char *spool_path, const char *stanza)
{
    return mem_printf("%s/archive/%s", spool_path, stanza);
}

char *
archive_spool_dir(const char *spool_path, const char *stanza, ArchiveMode mode)
{
    char *stanza_dir = archive_spool_stanza_dir(spool_path, stanza);
    char *dir = mem_printf("%s/%s", stanza_dir, mode == ARCHIVE_MODE_GET ? "in" : "out");
    free(stanza_dir);
    return dir;
}

char *
archive_status_path(const char *dir, const char *name, bool ok)
{
    return mem_printf("%s/%s%s", dir, name, ok ? STATUS_EXT_OK : STATUS_EXT_ERROR);
}

char *
archive_status_format(int code, const char *message)
{
    if (code == 0 && message == NULL)
        return mem_strdup("");
    return mem_printf("%d\n%s", code, message != NULL ? message : "");
}

int
archive_status_parse(const char *content, size_t size, const char *file, int *code, char **message)
{
    *code = 0;
    *message = NULL;
    if (size == 0)
        return 0;
    const char *newline = memchr(content, '\n', size);
    if (newline == NULL || newline == content)
        return err_set(ERR_FORMAT, "%s content must have at least two lines", file);
    int value = 0;
    for (const char *digit = content; digit < newline; digit++) {
        if (*digit < '0' || *digit > '9' || value > 100000)
            return err_set(ERR_FORMAT, "%s first line must be a numeric error code", file);
        value = value * 10 + (*digit - '0');
    }
    size_t rest = size - (size_t)(newline + 1 - content);
    while (rest > 0 && newline[rest] == '\n') /* a trailing newline is not part of the message */
        rest--;
    *code = value;
    *message = mem_strndup(newline + 1, rest);
    return 0;
}

/* Write a small file atomically (temp name + rename), without fsync: a status lost in a crash only means a segment
 * is pushed again, which the duplicate check accepts. */
static int
spool_put(const char *path, const char *content)
{
    Storage *local = storage_posix_new("/", true);
    StorageWriteOptions options = storage_write_options_default();
    options.sync_file = false;
    options.sync_path = false;
    StorageWrite *write = NULL;
    int result = storage_open_write(local, path, &options, &write);
    if (result == 0)
        result = storage_write(write, (const uint8_t *)content, strlen(content));
    if (result == 0)
        result = storage_write_close(write);
    storage_write_free(write);
    storage_free(local);
    return result;
}

int
archive_status_write(const char *dir, const char *name, bool ok, int code, const char *message)
{
    char *path = archive_status_path(dir, name, ok);
    char *content = archive_status_format(ok ? 0 : code, message);
    int result = spool_put(path, content);
    free(content);
    free(path);
    return result;
}

/* Read one status file: *exists false when it is not there. */
static int
status_file_read(Storage *local, const char *path, bool *exists, int *code, char **message)
{
    Buf content = BUF_INIT;
    int result = storage_get(local, path, NULL, true, exists, &content);
    if (result == 0 && *exists)
        result = archive_status_parse(buf_str(&content), content.size, path, code, message);
    buf_free(&content);
    return result;
}

int
archive_status_read(const char *dir, const char *name, ArchiveStatus *status, int *code, char **message)
{
    *status = ARCHIVE_STATUS_NONE;
    *code = 0;
    *message = NULL;
    Storage *local = storage_posix_new("/", false);
    char *paths[3] = {
        archive_status_path(dir, name, true),
        archive_status_path(dir, name, false),
        archive_status_path(dir, ARCHIVE_STATUS_GLOBAL, false),
    };
    int result = 0;
    for (size_t index = 0; index < 3 && result == 0 && *status == ARCHIVE_STATUS_NONE; index++) {
        bool exists = false;
        result = status_file_read(local, paths[index], &exists, code, message);
        if (result == 0 && exists)
            *status = index == 0 ? ARCHIVE_STATUS_OK : ARCHIVE_STATUS_ERROR;
    }
    for (size_t index = 0; index < 3; index++)
        free(paths[index]);
    storage_free(local);
    return result;
}

int
archive_status_error_clear(const char *dir, const char *name)
{
    Storage *local = storage_posix_new("/", true);
    char *own = archive_status_path(dir, name, false);
    char *global = archive_status_path(dir, ARCHIVE_STATUS_GLOBAL, false);
    int result = storage_remove(local, own, false);
    if (result == 0)
        result = storage_remove(local, global, false);
    free(global);
    free(own);
    storage_free(local);
    return result;
}

/* ------------------------------------------------------------------------------------------------------------------
 * Queues
 * ------------------------------------------------------------------------------------------------------------------ */

bool
archive_push_queue_exceeded(const uint64_t *sizes, size_t count, uint64_t queue_max)
{
    uint64_t total = 0;
    for (size_t index = 0; index < count; index++) {
        total += sizes[index];
        if (total > queue_max)
            return true;
    }
    return false;
}

int
archive_get_queue(const char *first, uint64_t queue_max, uint32_t segment_size, char ***names, size_t *count)
{
    *names = NULL;
    *count = 0;
    WalSegment segment;
    TRY(wal_segment_parse(first, &segment));
    if (segment_size == 0)
        return err_set(ERR_ASSERT, "WAL segment size must not be zero");
    uint64_t total = queue_max / segment_size;
    if (total < 2)
        total = 2;
    if (total > 1024 * 1024)
        total = 1024 * 1024;
    *names = mem_calloc((size_t)total + 1, sizeof(char *));
    for (uint64_t index = 0; index < total; index++) {
        char name[WAL_SEGMENT_NAME_SIZE + 1];
        wal_segment_format(&segment, name);
        (*names)[index] = mem_strdup(name);
        segment = wal_segment_next(segment, segment_size);
    }
    *count = (size_t)total;
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------------
 * Waiting
 * ------------------------------------------------------------------------------------------------------------------ */

long long
archive_async_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void
archive_async_poll_sleep(long *sleep_us)
{
    struct timespec delay = {*sleep_us / 1000000, (*sleep_us % 1000000) * 1000};
    nanosleep(&delay, NULL);
    *sleep_us = *sleep_us * 2 < ARCHIVE_ASYNC_POLL_MAX_US ? *sleep_us * 2 : ARCHIVE_ASYNC_POLL_MAX_US;
}

void
archive_async_seconds_format(long long milliseconds, char *out, size_t size)
{
    if (milliseconds % 1000 == 0)
        snprintf(out, size, "%lld", milliseconds / 1000);
    else
        snprintf(out, size, "%g", (double)milliseconds / 1000.0);
}

/* ------------------------------------------------------------------------------------------------------------------
 * Background process
 * ------------------------------------------------------------------------------------------------------------------ */

/* In the detached process: streams to /dev/null, own the lock, run, release. Never returns. */
static void
async_child_run(Lock *lock, ArchiveAsyncBody body, void *context)
{
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
        dup2(null_fd, STDIN_FILENO);
        dup2(null_fd, STDOUT_FILENO);
        dup2(null_fd, STDERR_FILENO);
        if (null_fd > STDERR_FILENO)
            close(null_fd);
    }
    int status = lock_owner_refresh(lock) == 0 && body(context) == 0 ? 0 : 1;
    lock_release(lock);
    log_close();
    _exit(status);
}

int
archive_async_lock_try(const char *lock_path, const char *stanza, Lock **lock)
{
    *lock = NULL;
    char *exec_id = lock_exec_id_new();
    int result = lock_acquire(lock_path, stanza, LOCK_TYPE_ARCHIVE, exec_id, lock);
    free(exec_id);
    if (result < 0 && lock_held(lock_path, stanza, LOCK_TYPE_ARCHIVE, &(pid_t){0})) {
        err_clear(); /* a background process runs */
        return 0;
    }
    return result;
}

int
archive_async_start(Lock **lock, ArchiveAsyncBody body, void *context)
{
    fflush(NULL); /* buffered output must not be written twice */
    pid_t child = fork();
    if (child < 0) {
        int saved = errno;
        lock_release(*lock);
        *lock = NULL;
        return err_set_errno(ERR_EXECUTE, saved, "unable to fork the asynchronous process");
    }
    if (child == 0) {
        /* first child: new session, then the process that does the work, so that nothing waits for it */
        if (setsid() < 0)
            _exit(1);
        pid_t worker = fork();
        if (worker == 0)
            async_child_run(*lock, body, context);
        _exit(worker < 0 ? 1 : 0);
    }

    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    lock_detach(*lock);
    *lock = NULL;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return err_set(ERR_EXECUTE, "unable to start the asynchronous process");
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------------
 * Helpers of both processes
 * ------------------------------------------------------------------------------------------------------------------ */

/* Record a failure of the whole run in global.error (the error record is kept for the caller). */
static int
async_global_error(const char *spool_dir)
{
    ErrorCode code = err_code();
    char *message = err_message_full();
    archive_status_write(spool_dir, ARCHIVE_STATUS_GLOBAL, false, (int)code, message);
    err_set(code, "%s", message);
    free(message);
    return -1;
}

/* "first...last" or "first" for a log line. */
static void
async_range_log(const char *verb, const char *direction, char *const *names, size_t count)
{
    if (count == 1)
        LOG_INFO("%s 1 WAL file(s) %s archive: %s", verb, direction, names[0]);
    else
        LOG_INFO("%s %zu WAL file(s) %s archive: %s...%s", verb, count, direction, names[0], names[count - 1]);
}

/* Open every configured repository (writable for push). */
static int
async_repos_open(bool writable, Repo **repos, unsigned *count)
{
    *count = repo_count();
    *repos = mem_calloc(*count, sizeof(Repo));
    for (unsigned index = 0; index < *count; index++) {
        if (repo_open(index, writable, &(*repos)[index]) < 0) {
            for (unsigned opened = 0; opened < index; opened++)
                repo_close(&(*repos)[opened]);
            free(*repos);
            *repos = NULL;
            return -1;
        }
    }
    return 0;
}

static void
async_repos_close(Repo *repos, unsigned count)
{
    for (unsigned index = 0; index < count && repos != NULL; index++)
        repo_close(&repos[index]);
    free(repos);
}

typedef struct AsyncWorker {
    Repo *repos;
    unsigned repo_count;
    const void *options; /* ArchivePushAsyncOptions or ArchiveGetAsyncOptions */
} AsyncWorker;

static int
async_worker_init(void *shared, unsigned worker_index, bool writable, void **context)
{
    log_set_process_id(worker_index + 1);
    AsyncWorker *worker = mem_calloc(1, sizeof(AsyncWorker));
    worker->options = shared;
    if (async_repos_open(writable, &worker->repos, &worker->repo_count) < 0) {
        free(worker);
        return -1;
    }
    *context = worker;
    return 0;
}

static void
async_worker_free(void *context)
{
    AsyncWorker *worker = context;
    async_repos_close(worker->repos, worker->repo_count);
    free(worker);
}

/* ------------------------------------------------------------------------------------------------------------------
 * archive-push:async
 * ------------------------------------------------------------------------------------------------------------------ */

static int
push_worker_init(void *shared, unsigned worker_index, void **context)
{
    return async_worker_init(shared, worker_index, true, context);
}

/* Push one file to every repository, then its status into the spool. */
static int
push_worker_run(void *context, void *job)
{
    AsyncWorker *worker = context;
    const ArchivePushAsyncOptions *options = worker->options;
    const char *name = job;
    char *full = mem_printf("%s/%s", options->wal_dir, name);
    int result = 0;
    for (unsigned index = 0; index < worker->repo_count && result == 0; index++)
        result = archive_push_file(&worker->repos[index], full, options->push);
    free(full);

    if (result == 0) {
        LOG_DETAIL("pushed WAL file '%s' to the archive", name);
        return archive_status_write(options->spool_dir, name, true, 0, NULL);
    }
    ErrorCode code = err_code();
    char *message = err_message_full();
    LOG_WARN("could not push WAL file '%s' to the archive (will be retried): [%d] %s", name, (int)code, message);
    archive_status_write(options->spool_dir, name, false, (int)code, message);
    err_set(code, "%s", message);
    free(message);
    return -1;
}

/* The ready WAL files (names without ".ready"), sorted. */
static int
push_ready_list(Storage *local, const char *wal_dir, StrList *ready)
{
    char *status_dir = mem_printf("%s/archive_status", wal_dir);
    char **names = NULL;
    size_t count = 0;
    int result = storage_list_names(local, status_dir, "\\.ready$", false, &names, &count);
    free(status_dir);
    TRY(result);
    for (size_t index = 0; index < count; index++) {
        names[index][strlen(names[index]) - strlen(READY_EXT)] = '\0';
        strlist_add(ready, names[index]);
    }
    storage_names_free(names, count);
    return 0;
}

/* Read the spool: collect the .ok names; on the first scan remove every other entry (old errors, temp files);
 * remove the .ok of files that are no longer ready. */
static int
push_spool_scan(Storage *local, const char *spool_dir, const StrList *ready, bool first, StrList *ok)
{
    char **names = NULL;
    size_t count = 0;
    TRY(storage_list_names(local, spool_dir, NULL, false, &names, &count));
    int result = 0;
    for (size_t index = 0; index < count && result == 0; index++) {
        char *path = mem_printf("%s/%s", spool_dir, names[index]);
        size_t length = strlen(names[index]);
        bool is_ok = length > strlen(STATUS_EXT_OK) &&
                     strcmp(names[index] + length - strlen(STATUS_EXT_OK), STATUS_EXT_OK) == 0;
        if (is_ok) {
            names[index][length - strlen(STATUS_EXT_OK)] = '\0';
            if (strlist_has(ready, names[index]))
                strlist_add(ok, names[index]);
            else
                result = storage_remove(local, path, false);
        } else if (first) {
            result = storage_remove(local, path, false);
        }
        free(path);
    }
    storage_names_free(names, count);
    return result;
}

/* Drop the files of one scan (queue maximum exceeded): an .ok with the warning each. */
static int
push_drop(const ArchivePushAsyncOptions *options, const StrList *process)
{
    for (size_t index = 0; index < process->count; index++) {
        char *message = mem_printf("dropped WAL file '%s' because archive queue exceeded %s", process->items[index],
                                   options->queue_max_text);
        LOG_WARN("%s", message);
        int result = archive_status_write(options->spool_dir, process->items[index], true, 0, message);
        free(message);
        TRY(result);
    }
    return 0;
}

/* Whether the files to push exceed archive-push-queue-max. */
static int
push_queue_exceeded(Storage *local, const ArchivePushAsyncOptions *options, const StrList *process, bool *exceeded)
{
    *exceeded = false;
    if (!options->queue_max_set)
        return 0;
    uint64_t *sizes = mem_calloc(process->count + 1, sizeof(uint64_t));
    int result = 0;
    for (size_t index = 0; index < process->count && result == 0; index++) {
        char *path = mem_printf("%s/%s", options->wal_dir, process->items[index]);
        StorageInfo info;
        memset(&info, 0, sizeof(info));
        result = storage_info(local, path, true, &info);
        sizes[index] = info.exists ? info.size : 0;
        storage_info_clear(&info);
        free(path);
    }
    if (result == 0)
        *exceeded = archive_push_queue_exceeded(sizes, process->count, options->queue_max);
    free(sizes);
    return result;
}

/* Push one scan's files over the pool; failures are in their .error files, not returned. */
static void
push_pool_run(Pool *pool, const StrList *process)
{
    size_t pending = 0;
    PoolResult result;
    for (size_t index = 0; index < process->count; index++) {
        pool_submit(pool, process->items[index]);
        pending++;
        while (pool_result_try(pool, &result)) {
            pool_result_clear(&result);
            pending--;
        }
    }
    while (pending > 0 && pool_result_wait(pool, &result)) {
        pool_result_clear(&result);
        pending--;
    }
}

/* One scan: *handled counts the files handed to the pool or dropped (0: nothing left). */
static int
push_scan(Storage *local, const ArchivePushAsyncOptions *options, bool first, StrList *attempted, Pool **pool,
          size_t *handled)
{
    *handled = 0;
    StrList ready = STRLIST_INIT, ok = STRLIST_INIT, process = STRLIST_INIT;
    int result = push_ready_list(local, options->wal_dir, &ready);
    if (result == 0)
        result = push_spool_scan(local, options->spool_dir, &ready, first, &ok);
    for (size_t index = 0; index < ready.count && result == 0; index++)
        if (!strlist_has(&ok, ready.items[index]) && !strlist_has(attempted, ready.items[index]))
            strlist_add(&process, ready.items[index]);

    bool exceeded = false;
    if (result == 0 && process.count > 0) {
        for (size_t index = 0; index < process.count; index++)
            strlist_add(attempted, process.items[index]);
        *handled = process.count;
        async_range_log("push", "to", process.items, process.count);
        result = push_queue_exceeded(local, options, &process, &exceeded);
    }
    if (result == 0 && exceeded)
        result = push_drop(options, &process);
    else if (result == 0 && process.count > 0) {
        if (*pool == NULL) {
            PoolConfig config = {
                .workers = options->process_max > 0 ? options->process_max : 1,
                .shared = (void *)options,
                .worker_init = push_worker_init,
                .worker_free = async_worker_free,
                .run = push_worker_run,
            };
            result = pool_new(&config, pool);
        }
        if (result == 0)
            push_pool_run(*pool, &process);
    }
    strlist_free(&process);
    strlist_free(&ok);
    strlist_free(&ready);
    return result;
}

int
archive_push_async(const ArchivePushAsyncOptions *options)
{
    Storage *local = storage_posix_new("/", true);
    int result = storage_path_create(local, options->spool_dir, 0750, true, false);
    StrList attempted = STRLIST_INIT;
    Pool *pool = NULL;
    for (bool first = true; result == 0; first = false) {
        size_t handled = 0;
        result = push_scan(local, options, first, &attempted, &pool, &handled);
        if (handled == 0)
            break;
    }
    if (pool != NULL)
        pool_free(pool);
    strlist_free(&attempted);
    storage_free(local);
    if (result < 0)
        return async_global_error(options->spool_dir);
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------------
 * archive-get:async
 * ------------------------------------------------------------------------------------------------------------------ */

typedef struct GetJob {
    const char *segment;
    unsigned repo_index;
    unsigned repo_key;
    ArchiveGetMatch match;
} GetJob;

static int
get_worker_init(void *shared, unsigned worker_index, void **context)
{
    return async_worker_init(shared, worker_index, false, context);
}

static int
get_worker_run(void *context, void *job_pointer)
{
    AsyncWorker *worker = context;
    const ArchiveGetAsyncOptions *options = worker->options;
    GetJob *job = job_pointer;
    char *destination = mem_printf("%s/%s", options->spool_dir, job->segment);
    int result = archive_get_copy(&worker->repos[job->repo_index], job->segment, &job->match, destination);
    free(destination);
    if (result == 0) {
        LOG_DETAIL("found %s in the repo%u: %s archive", job->segment, job->repo_key, job->match.archive_id);
        return 0;
    }
    ErrorCode code = err_code();
    char *message = err_message_full();
    LOG_WARN("could not get WAL file '%s' from the archive: [%d] %s", job->segment, (int)code, message);
    archive_status_write(options->spool_dir, job->segment, false, (int)code, message);
    err_set(code, "%s", message);
    free(message);
    return -1;
}

/* Find `segment` in the repositories in order: *found with *job filled, or not found (an error of a repository is
 * kept in *error_code and *error_message when no repository has it). */
static int
get_find(Repo *repos, unsigned repo_total, const ArchiveGetAsyncOptions *options, const char *segment, bool *found,
         GetJob *job, ErrorCode *error_code, char **error_message)
{
    *found = false;
    for (unsigned index = 0; index < repo_total && !*found; index++) {
        if (archive_get_find(&repos[index], segment, options->get, found, &job->match) < 0) {
            if (err_code() == ERR_ARCHIVE_DUPLICATE)
                return -1;
            if (*error_message == NULL) {
                *error_code = err_code();
                char *full = err_message_full();
                *error_message = mem_printf("repo%u: [%s] %s", repos[index].key, err_code_name(err_code()), full);
                free(full);
            }
            LOG_WARN("repo%u: [%s] %s", repos[index].key, err_code_name(err_code()), err_message());
            err_clear();
            continue;
        }
        if (*found) {
            job->segment = segment;
            job->repo_index = index;
            job->repo_key = repos[index].key;
        }
    }
    return 0;
}

/* Find the segments in order and hand the found ones to the pool; stop at the first missing one. */
static int
get_dispatch(Pool *pool, Repo *repos, unsigned repo_total, const ArchiveGetAsyncOptions *options, GetJob *jobs,
             size_t *submitted)
{
    *submitted = 0;
    for (size_t index = 0; index < options->count; index++) {
        const char *segment = options->segments[index];
        bool found = false;
        ErrorCode error_code = ERR_NONE;
        char *error_message = NULL;
        int result = get_find(repos, repo_total, options, segment, &found, &jobs[index], &error_code, &error_message);
        if (result == 0 && !found && error_message != NULL) {
            result = archive_status_write(options->spool_dir, segment, false, (int)error_code, error_message);
            free(error_message);
            return result;
        }
        free(error_message);
        if (result < 0) {
            ErrorCode code = err_code();
            char *message = err_message_full();
            result = archive_status_write(options->spool_dir, segment, false, (int)code, message);
            free(message);
            return result;
        }
        if (!found) {
            LOG_DETAIL("unable to find %s in the archive", segment);
            return archive_status_write(options->spool_dir, segment, true, 0, NULL);
        }
        pool_submit(pool, &jobs[index]); /* never blocks: the queue holds every segment */
        (*submitted)++;
    }
    return 0;
}

int
archive_get_async(const ArchiveGetAsyncOptions *options)
{
    Storage *local = storage_posix_new("/", true);
    int result = storage_path_create(local, options->spool_dir, 0750, true, false);
    storage_free(local);
    if (result < 0)
        return async_global_error(options->spool_dir);
    if (options->count == 0)
        return 0;
    async_range_log("get", "from", options->segments, options->count);

    Repo *repos = NULL;
    unsigned repo_total = 0;
    result = async_repos_open(false, &repos, &repo_total);
    Pool *pool = NULL;
    if (result == 0) {
        PoolConfig config = {
            .workers = options->process_max > 0 ? options->process_max : 1,
            .queue_max = options->count,
            .shared = (void *)options,
            .worker_init = get_worker_init,
            .worker_free = async_worker_free,
            .run = get_worker_run,
        };
        result = pool_new(&config, &pool);
    }
    GetJob *jobs = mem_calloc(options->count, sizeof(GetJob));
    if (result == 0) {
        size_t submitted = 0;
        result = get_dispatch(pool, repos, repo_total, options, jobs, &submitted);
        pool_close(pool);
        PoolResult pool_result;
        while (pool_result_wait(pool, &pool_result))
            pool_result_clear(&pool_result);
    }
    if (pool != NULL)
        pool_free(pool);
    for (size_t index = 0; index < options->count; index++)
        archive_get_match_free(&jobs[index].match);
    free(jobs);
    async_repos_close(repos, repo_total);
    if (result < 0)
        return async_global_error(options->spool_dir);
    return 0;
}
