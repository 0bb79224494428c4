/*
 * archive_async: the spool queue of `archive-async=y`, as pgBackRest 2.45 lays it out, and the background
 * processes that fill it.
 *
 *   <spool-path>/archive/<stanza>/out/<wal>.ok      pushed (empty), or dropped ("0\n<warning>")
 *   <spool-path>/archive/<stanza>/out/<wal>.error   "<code>\n<message>": the push failed, PostgreSQL retries
 *   <spool-path>/archive/<stanza>/in/<wal>          a prefetched, verified WAL segment
 *   <spool-path>/archive/<stanza>/in/<wal>.ok       the segment is in no repository (archive-get exits 1)
 *   <spool-path>/archive/<stanza>/in/<wal>.error    fetching it failed
 *   <dir>/global.error                              the background process failed as a whole
 *
 * Status files and spooled segments are written under a temp name and renamed, so a reader never sees half of
 * one. A segment is reported pushed (.ok) only after archive_push_file() stored it in every repository.
 *
 * The background process is a fork of the command (double fork + setsid: it outlives the archive_command call and
 * has no terminal); it holds the stanza's archive lock (lock.h, pgBackRest's name) for as long as it runs, so at
 * most one runs per stanza and mode, gaiarest's or stock pgBackRest's.
 */
#ifndef GAIAREST_ENGINE_OPS_ARCHIVE_ASYNC_H
#define GAIAREST_ENGINE_OPS_ARCHIVE_ASYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/ops/archive_get.h"
#include "engine/ops/archive_push.h"
#include "engine/ops/lock.h"

typedef enum ArchiveMode {
    ARCHIVE_MODE_GET,  /* spool "in" */
    ARCHIVE_MODE_PUSH, /* spool "out" */
} ArchiveMode;

typedef enum ArchiveStatus {
    ARCHIVE_STATUS_NONE,  /* no status file yet */
    ARCHIVE_STATUS_OK,    /* <wal>.ok */
    ARCHIVE_STATUS_ERROR, /* <wal>.error or global.error */
} ArchiveStatus;

#define ARCHIVE_STATUS_GLOBAL "global"

/* <spool-path>/archive/<stanza>: the stanza's spool, both queues (owned by the caller). */
char *archive_spool_stanza_dir(const char *spool_path, const char *stanza);

/* <spool-path>/archive/<stanza>/in or /out (owned by the caller). */
char *archive_spool_dir(const char *spool_path, const char *stanza, ArchiveMode mode);

/* The path of a status file: "<dir>/<name>.ok" (ok) or "<dir>/<name>.error" (owned by the caller). */
char *archive_status_path(const char *dir, const char *name, bool ok);

/* The content of a status file: empty for a plain .ok, else "<code>\n<message>" (owned by the caller). */
char *archive_status_format(int code, const char *message);

/* Parse a status file's content: empty gives code 0 and *message NULL; "<code>\n<message>" gives both (message
 * owned by the caller). Anything else is ERR_FORMAT naming `file`. */
int archive_status_parse(const char *content, size_t size, const char *file, int *code, char **message);

/* Write the status of `name` into `dir` atomically: ok with message NULL (empty file) or a warning, or an error
 * with its code and message. */
int archive_status_write(const char *dir, const char *name, bool ok, int code, const char *message);

/* Read the status of `name` in `dir`: <name>.ok, else <name>.error, else global.error. *code and *message (owned)
 * come from the file (0 / NULL for an empty .ok). */
int archive_status_read(const char *dir, const char *name, ArchiveStatus *status, int *code, char **message);

/* Remove <name>.error and global.error from `dir` (a fresh attempt is about to start). */
int archive_status_error_clear(const char *dir, const char *name);

/* Whether WAL files of `sizes` (in queue order) exceed `queue_max` bytes in total, as archive-push-queue-max
 * counts: the running total is compared after each file. */
bool archive_push_queue_exceeded(const uint64_t *sizes, size_t count, uint64_t queue_max);

/* The segments async archive-get keeps in the spool: `queue_max` / `segment_size` of them (at least 2), starting
 * at segment `first` (a 24-character name). Owned array of owned names (storage_names_free). */
int archive_get_queue(const char *first, uint64_t queue_max, uint32_t segment_size, char ***names, size_t *count);

/* Monotonic milliseconds (to measure archive-timeout). */
long long archive_async_now_ms(void);

/* Looking at the spool costs a few stat calls: look often, so that a call returns soon after its segment is done. */
#define ARCHIVE_ASYNC_POLL_FIRST_US 1000L
#define ARCHIVE_ASYNC_POLL_MAX_US 20000L

/* Sleep between two looks at the spool: *sleep_us (start with ARCHIVE_ASYNC_POLL_FIRST_US), doubled after each call
 * up to ARCHIVE_ASYNC_POLL_MAX_US. */
void archive_async_poll_sleep(long *sleep_us);

/* Milliseconds as pgBackRest prints a time option in seconds ("60", "0.5"). */
void archive_async_seconds_format(long long milliseconds, char *out, size_t size);

/* The body of a background process: its exit status is 0 when it returns 0. */
typedef int (*ArchiveAsyncBody)(void *context);

/* Take the stanza's archive lock for a new background process: *lock NULL (and 0) when another process holds it;
 * any other failure (lock-path unusable) is returned. */
int archive_async_lock_try(const char *lock_path, const char *stanza, Lock **lock);

/* Start `body` in a detached background process that takes over `lock` (taken by the caller): standard streams on
 * /dev/null, its own session, the lock file rewritten with its pid and released when the body returns. The caller's
 * handle on the lock is closed (without removing the file) in every case; *lock is NULL on return. */
int archive_async_start(Lock **lock, ArchiveAsyncBody body, void *context);

/* ---------------------------------------------------------------------------------------------------------------
 * The background processes
 * --------------------------------------------------------------------------------------------------------------- */

typedef struct ArchivePushAsyncOptions {
    const ArchivePushOptions *push;
    const char *spool_dir;      /* the "out" directory */
    const char *wal_dir;        /* pg_wal: the ready files are in <wal_dir>/archive_status */
    unsigned process_max;
    bool queue_max_set;         /* archive-push-queue-max given */
    uint64_t queue_max;
    const char *queue_max_text; /* as the warning shows it ("32.0MB") */
} ArchivePushAsyncOptions;

/* Push every WAL file with a .ready status that has no .ok yet, over process_max workers (each with its own
 * handles on every repository), writing .ok / .error per file; scan again until a scan finds nothing new. Stale
 * .error files are removed first, and .ok files of files no longer ready. When the files to push exceed the queue
 * maximum they are not pushed: each gets an .ok carrying the "dropped WAL file" warning, logged as WARN. A failure
 * of the run itself is written to global.error and returned. */
int archive_push_async(const ArchivePushAsyncOptions *options);

typedef struct ArchiveGetAsyncOptions {
    const ArchiveGetOptions *get;
    const char *spool_dir; /* the "in" directory */
    unsigned process_max;
    char *const *segments; /* in order */
    size_t count;
} ArchiveGetAsyncOptions;

/* Fetch `segments` into the spool (verified, atomic) over process_max workers, in order until the first one that
 * is in no repository: that one gets an empty .ok (missing). A segment that fails gets an .error; a failure of the
 * run itself goes to global.error and is returned. */
int archive_get_async(const ArchiveGetAsyncOptions *options);

#endif
