/* archive-push: PostgreSQL's archive_command (`gaiarest --stanza=<s> archive-push %p`).
 * Synchronous mode: the options of the run, then engine/ops/archive_push.c for every configured repository.
 * archive-async=y: wait for the segment's status in the spool, starting the background process
 * (engine/ops/archive_async.c) that pushes every ready segment when none runs. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "cmd/info.h"
#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/ops/archive_async.h"
#include "engine/ops/archive_push.h"
#include "engine/ops/lock.h"
#include "engine/repo/repo.h"
#include "storage/posix.h"

/* lz4 threads compressing one segment in a synchronous push (beside the reading and the hashing threads). */
#define ARCHIVE_PUSH_COMPRESS_THREADS 2u

/* The push options from the configuration. */
static int
archive_push_options(ArchivePushOptions *options)
{
    const char *compress_name = cfg_str(OPT_COMPRESS_TYPE);
    int compress_type = compress_type_parse(compress_name != NULL ? compress_name : "gz");
    if (compress_type < 0)
        return err_set(ERR_OPTION_INVALID_VALUE, "'%s' is not allowed for 'compress-type' option", compress_name);

    *options = (ArchivePushOptions){
        .stanza = cfg_str(OPT_STANZA),
        .pg_path = cfg_has_idx(OPT_PG_PATH, 0) ? cfg_str_idx(OPT_PG_PATH, 0) : NULL,
        .lock_path = cfg_str(OPT_LOCK_PATH),
        .header_check = cfg_bool(OPT_ARCHIVE_HEADER_CHECK),
        .compress_type = (CompressType)compress_type,
        .compress_level = cfg_has(OPT_COMPRESS_LEVEL) ? (int)cfg_int(OPT_COMPRESS_LEVEL)
                                                      : compress_level_default((CompressType)compress_type),
        /* one segment on the critical path: the compressor, its longest stage, is spread over two threads */
        .compress_threads = ARCHIVE_PUSH_COMPRESS_THREADS,
    };
    if (options->compress_type != COMPRESS_NONE)
        TRY(compress_level_check(options->compress_type, options->compress_level));
    return 0;
}

static const char *
wal_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* ------------------------------------------------------------------------------------------------------------------
 * archive-async=y
 * ------------------------------------------------------------------------------------------------------------------ */

static int
push_async_work(void *context)
{
    return archive_push_async(context);
}

static int
push_async_body(void *context)
{
    const ArchivePushAsyncOptions *options = context;
    return command_run_async(options->wal_dir, push_async_work, context);
}

/* Start the background process unless one runs (the archive lock is taken). *started when it was. */
static int
push_async_start(ArchivePushAsyncOptions *async, const char *wal_file, bool *started)
{
    *started = false;
    Lock *lock = NULL;
    TRY(archive_async_lock_try(cfg_str(OPT_LOCK_PATH), cfg_str(OPT_STANZA), &lock));
    if (lock == NULL) /* one is running: it, or the next one, pushes this segment */
        return 0;
    /* the spool must be usable before the background process depends on it; a failure reported earlier is
     * retried now: wait for the new result, not the old one */
    Storage *local = storage_posix_new("/", true);
    int result = storage_path_create(local, async->spool_dir, 0750, true, false);
    storage_free(local);
    if (result == 0)
        result = archive_status_error_clear(async->spool_dir, wal_file);
    if (result < 0) {
        lock_release(lock);
        return -1;
    }
    TRY(archive_async_start(&lock, push_async_body, async));
    *started = true;
    return 0;
}

/* Wait up to archive-timeout for the segment's .ok or .error, starting the background process when needed. */
static int
push_async_wait(ArchivePushAsyncOptions *async, const char *wal_file)
{
    long long timeout_ms = cfg_int(OPT_ARCHIVE_TIMEOUT);
    long long start = archive_async_now_ms();
    long sleep_us = ARCHIVE_ASYNC_POLL_FIRST_US;
    bool throw_error = false; /* the first look ignores an old error: the background process retries it */
    bool forked = false;
    for (;;) {
        ArchiveStatus status;
        int code = 0;
        char *message = NULL;
        TRY(archive_status_read(async->spool_dir, wal_file, &status, &code, &message));
        if (status == ARCHIVE_STATUS_OK) {
            if (message != NULL)
                LOG_WARN("%s", message);
            free(message);
            return 0;
        }
        if (status == ARCHIVE_STATUS_ERROR && throw_error) {
            err_set(code > 0 ? (ErrorCode)code : ERR_UNKNOWN, "%s", message != NULL ? message : "");
            free(message);
            return -1;
        }
        free(message);
        if (!forked)
            TRY(push_async_start(async, wal_file, &forked));
        throw_error = true;
        if (archive_async_now_ms() - start >= timeout_ms)
            break;
        archive_async_poll_sleep(&sleep_us);
    }
    char seconds[32];
    archive_async_seconds_format(timeout_ms, seconds, sizeof(seconds));
    err_set(ERR_ARCHIVE_TIMEOUT, "unable to push WAL file '%s' to the archive asynchronously after %s second(s)",
            wal_file, seconds);
    return err_hint("check '%s/%s-archive-push-async.log' for errors.", cfg_str(OPT_LOG_PATH), cfg_str(OPT_STANZA));
}

static int
archive_push_async_run(const char *wal_path, const ArchivePushOptions *options)
{
    char *wal_full = NULL;
    TRY(archive_wal_path_resolve(options->pg_path, wal_path, &wal_full));
    const char *slash = strrchr(wal_full, '/');
    char *wal_dir = mem_strndup(wal_full, slash > wal_full ? (size_t)(slash - wal_full) : 1);
    char *spool_dir = archive_spool_dir(cfg_str(OPT_SPOOL_PATH), options->stanza, ARCHIVE_MODE_PUSH);
    Buf queue_max_text = BUF_INIT;
    if (cfg_has(OPT_ARCHIVE_PUSH_QUEUE_MAX))
        info_size_format((uint64_t)cfg_int(OPT_ARCHIVE_PUSH_QUEUE_MAX), &queue_max_text);
    int64_t process_max = cfg_int(OPT_PROCESS_MAX);
    /* several segments at once over process-max workers: each is compressed by its own worker alone */
    ArchivePushOptions worker_options = *options;
    if (process_max > 1)
        worker_options.compress_threads = 0;
    ArchivePushAsyncOptions async = {
        .push = &worker_options,
        .spool_dir = spool_dir,
        .wal_dir = wal_dir,
        .process_max = process_max > 0 ? (unsigned)process_max : 1,
        .queue_max_set = cfg_has(OPT_ARCHIVE_PUSH_QUEUE_MAX),
        .queue_max = (uint64_t)cfg_int(OPT_ARCHIVE_PUSH_QUEUE_MAX),
        .queue_max_text = buf_str(&queue_max_text),
    };
    int result = stop_check(options->lock_path, options->stanza);
    if (result == 0)
        result = push_async_wait(&async, slash + 1);
    if (result == 0)
        LOG_INFO("pushed WAL file '%s' to the archive asynchronously", slash + 1);
    buf_free(&queue_max_text);
    free(spool_dir);
    free(wal_dir);
    free(wal_full);
    return result;
}

int
cmd_archive_push(void)
{
    if (cfg_param_count() != 1)
        return err_set(ERR_PARAM_REQUIRED, "WAL segment to push required");
    const char *wal_path = cfg_param(0);

    ArchivePushOptions options;
    TRY(archive_push_options(&options));
    if (cfg_bool(OPT_ARCHIVE_ASYNC))
        return archive_push_async_run(wal_path, &options);

    for (unsigned index = 0; index < repo_count(); index++) {
        Repo repo;
        int result = repo_open(index, true, &repo);
        if (result == 0)
            result = archive_push_file(&repo, wal_path, &options);
        repo_close(&repo);
        TRY(result);
    }
    LOG_INFO("pushed WAL file '%s' to the archive", wal_base_name(wal_path));
    return 0;
}
