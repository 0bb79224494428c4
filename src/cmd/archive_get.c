/* archive-get: PostgreSQL's restore_command (`gaiarest --stanza=<s> archive-get %f "%p"`).
 * Synchronous mode: find the WAL file in the configured repositories (in order) and copy it to %p. Exit status 1
 * when it is in none of them, as pgBackRest.
 * archive-async=y (WAL segments only; other files are fetched synchronously): take the segment from the spool,
 * where a background process (engine/ops/archive_async.c) prefetches the following segments up to
 * archive-get-queue-max; when it is not there, start that process and wait up to archive-timeout. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/ops/archive_async.h"
#include "engine/ops/archive_get.h"
#include "engine/ops/archive_push.h"
#include "engine/ops/lock.h"
#include "engine/pg/control.h"
#include "engine/pg/wal.h"
#include "engine/repo/repo.h"
#include "storage/posix.h"

/* Try one repository: 1 when found and copied, 0 when not there, -1 on a failure of the copy (fatal);
 * a repository-level failure is logged as a warning and counted in *invalid. */
static int
archive_get_repo(unsigned index, const char *wal_file, const char *destination, const ArchiveGetOptions *options,
                 unsigned *invalid)
{
    Repo repo;
    bool found = false;
    ArchiveGetMatch match = {0};
    int result = repo_open(index, false, &repo);
    if (result == 0)
        result = archive_get_find(&repo, wal_file, options, &found, &match);
    if (result < 0) {
        ErrorCode code = err_code();
        if (code == ERR_ARCHIVE_DUPLICATE) {
            repo_close(&repo);
            return -1;
        }
        char *message = err_message_full();
        LOG_WARN("repo%u: [%s] %s", repo.key, err_code_name(code), message);
        free(message);
        err_clear();
        (*invalid)++;
        repo_close(&repo);
        return 0;
    }
    if (found) {
        result = archive_get_copy(&repo, wal_file, &match, destination);
        if (result == 0)
            LOG_INFO("found %s in the repo%u: %s archive", wal_file, repo.key, match.archive_id);
    }
    archive_get_match_free(&match);
    repo_close(&repo);
    if (result < 0)
        return -1;
    return found ? 1 : 0;
}

/* ------------------------------------------------------------------------------------------------------------------
 * archive-async=y
 * ------------------------------------------------------------------------------------------------------------------ */

typedef struct GetAsync {
    ArchiveGetAsyncOptions options; /* segments: the ones to fetch */
    char **queue;                   /* the segments the spool should hold */
    size_t queue_count;
    uint32_t segment_size;
    Storage *local;
} GetAsync;

static int
get_async_work(void *context)
{
    return archive_get_async(context);
}

static int
get_async_body(void *context)
{
    const ArchiveGetAsyncOptions *options = context;
    Buf params = BUF_INIT;
    for (size_t index = 0; index < options->count; index++)
        buf_printf(&params, "%s%s", index > 0 ? ", " : "", options->segments[index]);
    int result = command_run_async(buf_str(&params), get_async_work, context);
    buf_free(&params);
    return result;
}

/* With the lock held: remove what the spool holds besides the queue's segments from `first` on (segments beyond
 * the queue, status files, temp files), and list the queue's segments not spooled yet into get->options.segments. */
static int
get_async_queue_plan(GetAsync *get, const char *first)
{
    storage_names_free(get->queue, get->queue_count);
    get->queue = NULL;
    get->queue_count = 0;
    TRY(archive_get_queue(first, (uint64_t)cfg_int(OPT_ARCHIVE_GET_QUEUE_MAX), get->segment_size, &get->queue,
                          &get->queue_count));
    char **names = NULL;
    size_t count = 0;
    TRY(storage_list_names(get->local, get->options.spool_dir, NULL, true, &names, &count));
    int result = 0;
    bool *present = mem_calloc(get->queue_count + 1, sizeof(bool));
    for (size_t index = 0; index < count && result == 0; index++) {
        /* keep the queue's segments; status files and leftovers go (what is not spooled is fetched again) */
        bool kept = false;
        for (size_t queued = 0; queued < get->queue_count && !kept; queued++) {
            if (strcmp(get->queue[queued], names[index]) == 0) {
                present[queued] = true;
                kept = true;
            }
        }
        if (!kept) {
            char *path = mem_printf("%s/%s", get->options.spool_dir, names[index]);
            result = storage_remove(get->local, path, false);
            free(path);
        }
    }
    storage_names_free(names, count);
    char **need = mem_calloc(get->queue_count + 1, sizeof(char *));
    size_t need_count = 0;
    for (size_t index = 0; index < get->queue_count; index++)
        if (!present[index])
            need[need_count++] = get->queue[index];
    free(present);
    free((void *)get->options.segments);
    get->options.segments = need;
    get->options.count = need_count;
    return result;
}

/* Start the background process for the queue from `first` unless one runs; *started when it was. */
static int
get_async_start(GetAsync *get, const char *first, const char *wal_file, bool *started)
{
    *started = false;
    Lock *lock = NULL;
    TRY(archive_async_lock_try(cfg_str(OPT_LOCK_PATH), get->options.get->stanza, &lock));
    if (lock == NULL) /* one is running (this one's segments come next time) */
        return 0;
    int result = get_async_queue_plan(get, first);
    if (result == 0 && wal_file != NULL)
        result = archive_status_error_clear(get->options.spool_dir, wal_file);
    if (result < 0 || get->options.count == 0) {
        lock_release(lock);
        return result;
    }
    TRY(archive_async_start(&lock, get_async_body, &get->options));
    *started = true;
    return 0;
}

/* The segment is in the spool: move it to the destination (rename, or copy across file systems). */
static int
get_async_take(GetAsync *get, const char *wal_file, const char *destination, bool *found)
{
    *found = false;
    char *spooled = mem_printf("%s/%s", get->options.spool_dir, wal_file);
    StorageInfo info;
    memset(&info, 0, sizeof(info));
    int result = storage_info(get->local, spooled, true, &info);
    if (result == 0 && info.exists) {
        result = storage_move(get->local, spooled, destination);
        *found = result == 0;
    }
    storage_info_clear(&info);
    free(spooled);
    return result;
}

/* 1 found, 0 missing, -1 error. */
static int
get_async_wait(GetAsync *get, const char *wal_file, const char *destination)
{
    long long timeout_ms = cfg_int(OPT_ARCHIVE_TIMEOUT);
    long long start = archive_async_now_ms();
    long sleep_us = ARCHIVE_ASYNC_POLL_FIRST_US;
    bool throw_error = false;
    bool forked = false;
    for (;;) {
        bool found = false;
        TRY(get_async_take(get, wal_file, destination, &found));
        if (found) {
            if (!forked) { /* a prefetched segment: top the queue up for the next calls */
                WalSegment segment;
                TRY(wal_segment_parse(wal_file, &segment));
                segment = wal_segment_next(segment, get->segment_size);
                char next[WAL_SEGMENT_NAME_SIZE + 1];
                wal_segment_format(&segment, next);
                TRY(get_async_start(get, next, NULL, &forked));
            }
            return 1;
        }
        ArchiveStatus status;
        int code = 0;
        char *message = NULL;
        TRY(archive_status_read(get->options.spool_dir, wal_file, &status, &code, &message));
        if (status == ARCHIVE_STATUS_OK) { /* in no repository */
            if (message != NULL)
                LOG_WARN("%s", message);
            free(message);
            /* archive-missing-retry=y: report it once and look again next time; n: the answer stands until the
             * spool is emptied (restore does it), so that PostgreSQL sees the end of the archive and streams */
            if (!cfg_bool(OPT_ARCHIVE_MISSING_RETRY))
                return 0;
            char *path = archive_status_path(get->options.spool_dir, wal_file, true);
            int result = storage_remove(get->local, path, false);
            free(path);
            return result < 0 ? -1 : 0;
        }
        if (status == ARCHIVE_STATUS_ERROR && throw_error) {
            err_set(code > 0 ? (ErrorCode)code : ERR_UNKNOWN, "%s", message != NULL ? message : "");
            free(message);
            return -1;
        }
        free(message);
        if (!forked)
            TRY(get_async_start(get, wal_file, wal_file, &forked));
        throw_error = true;
        if (archive_async_now_ms() - start >= timeout_ms)
            break;
        archive_async_poll_sleep(&sleep_us);
    }
    char seconds[32];
    archive_async_seconds_format(timeout_ms, seconds, sizeof(seconds));
    err_set(ERR_ARCHIVE_TIMEOUT, "unable to get WAL file '%s' from the archive asynchronously after %s second(s)",
            wal_file, seconds);
    return err_hint("check '%s/%s-archive-get-async.log' for errors.", cfg_str(OPT_LOG_PATH),
                    get->options.get->stanza);
}

static int
archive_get_async_run(const char *wal_file, const char *destination, const ArchiveGetOptions *options)
{
    int64_t process_max = cfg_int(OPT_PROCESS_MAX);
    GetAsync get = {
        .options = {
            .get = options,
            .spool_dir = archive_spool_dir(cfg_str(OPT_SPOOL_PATH), options->stanza, ARCHIVE_MODE_GET),
            .process_max = process_max > 0 ? (unsigned)process_max : 1,
        },
        .local = storage_posix_new("/", true),
    };
    PgControl control;
    Storage *pg_storage = storage_posix_new(options->pg_path, false);
    int result = pg_control_load(pg_storage, &control);
    storage_free(pg_storage);
    if (result == 0) {
        get.segment_size = control.wal_segment_size;
        result = storage_path_create(get.local, get.options.spool_dir, 0750, true, false);
    }
    if (result == 0)
        result = get_async_wait(&get, wal_file, destination);
    if (result == 1)
        LOG_INFO("found %s in the archive asynchronously", wal_file);
    else if (result == 0) {
        LOG_INFO("unable to find %s in the archive asynchronously", wal_file);
        command_exit_status_set(1);
    }
    storage_names_free(get.queue, get.queue_count);
    free((void *)get.options.segments);
    free((void *)get.options.spool_dir);
    storage_free(get.local);
    return result < 0 ? -1 : 0;
}

int
cmd_archive_get(void)
{
    if (cfg_param_count() < 1)
        return err_set(ERR_PARAM_REQUIRED, "WAL segment to get required");
    if (cfg_param_count() < 2)
        return err_set(ERR_PARAM_REQUIRED, "path to copy WAL segment required");
    const char *wal_file = cfg_param(0);

    ArchiveGetOptions options = {
        .stanza = cfg_str(OPT_STANZA),
        .pg_path = cfg_str_idx(OPT_PG_PATH, 0),
    };
    char *destination = NULL;
    TRY(archive_wal_path_resolve(options.pg_path, cfg_param(1), &destination));
    /* 2.45 refuses archive-get while a stop file exists (later versions allow it) */
    if (stop_check(cfg_str(OPT_LOCK_PATH), options.stanza) < 0) {
        free(destination);
        return -1;
    }

    if (cfg_bool(OPT_ARCHIVE_ASYNC) && wal_is_segment_name(wal_file)) {
        int result = archive_get_async_run(wal_file, destination, &options);
        free(destination);
        return result;
    }

    unsigned count = repo_count();
    unsigned invalid = 0;
    int result = 0;
    for (unsigned index = 0; index < count && result == 0; index++)
        result = archive_get_repo(index, wal_file, destination, &options, &invalid);
    free(destination);
    if (result < 0)
        return -1;
    if (result == 0) {
        if (invalid == count)
            return err_set(ERR_REPO_INVALID, "unable to find a valid repository");
        LOG_INFO("unable to find %s in the archive", wal_file);
        command_exit_status_set(1);
    }
    return 0;
}
