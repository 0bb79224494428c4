/* archive_push: push one WAL file to the repository archive (see archive_push.h). */
#include "engine/ops/archive_push.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "engine/ops/hash_thread.h"
#include "engine/ops/lock.h"
#include "engine/pg/control.h"
#include "engine/pg/version.h"
#include "engine/pg/wal.h"
#include "engine/repo/layout.h"
#include "storage/filter/cipher.h"
#include "storage/filter/hash.h"
#include "storage/posix.h"

/* Buffer size for files copied whole (.history, .backup) and for the duplicate check's hashing. */
#define PUSH_BUFFER_SIZE ((size_t)256 * 1024)

/* ------------------------------------------------------------------------------------------------------------------
 * Shared with archive-get
 * ------------------------------------------------------------------------------------------------------------------ */

/* Whether two paths name the same directory (same string, or same device and inode). */
static bool
same_directory(const char *left, const char *right)
{
    if (strcmp(left, right) == 0)
        return true;
    struct stat left_stat, right_stat;
    return stat(left, &left_stat) == 0 && stat(right, &right_stat) == 0 && left_stat.st_dev == right_stat.st_dev &&
           left_stat.st_ino == right_stat.st_ino;
}

int
archive_wal_path_resolve(const char *pg_path, const char *wal_path, char **full)
{
    *full = NULL;
    if (wal_path[0] == '/') {
        *full = mem_strdup(wal_path);
        return 0;
    }
    if (pg_path == NULL) {
        err_set(ERR_OPTION_REQUIRED, "option 'pg1-path' must be specified when relative wal paths are used");
        return err_hint("is %%f passed to archive-push instead of %%p?\nHINT: PostgreSQL may pass relative paths even "
                        "with %%p depending on the environment.");
    }

    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return err_set_errno(ERR_PATH_OPEN, errno, "unable to get the current working directory");
    if (!same_directory(cwd, pg_path)) {
        err_set(ERR_OPTION_INVALID_VALUE, "PostgreSQL working directory '%s' is not the same as option pg1-path '%s'",
                cwd, pg_path);
        return err_hint("is the PostgreSQL data_directory configured the same as the pg1-path option?");
    }
    size_t length = strlen(pg_path);
    bool slash = length > 0 && pg_path[length - 1] == '/';
    *full = mem_printf("%s%s%s", pg_path, slash ? "" : "/", wal_path);
    return 0;
}

int
archive_info_load(const Repo *repo, const char *stanza, InfoArchive *info)
{
    char *path = mem_printf("archive/%s/%s", stanza, INFO_ARCHIVE_FILE);
    int result = info_archive_load(repo->storage, path, repo->cipher_type, repo->cipher_pass, info);
    free(path);
    return result;
}

int
archive_repo_invalid(const Repo *repo)
{
    ErrorSaved saved;
    err_save(&saved);
    err_set(ERR_REPO_INVALID, "unable to find a valid repository:\nrepo%u: [%s] %s", repo->key,
            err_code_name(saved.code), saved.message);
    if (saved.hint != NULL)
        err_hint("%s", saved.hint);
    err_saved_free(&saved);
    return -1;
}

/* ------------------------------------------------------------------------------------------------------------------
 * Checks before anything is written
 * ------------------------------------------------------------------------------------------------------------------ */

/* pg_control of pg1-path must describe the stanza's current database. */
static int
push_check_pg_control(const Repo *repo, const char *pg_path, const InfoArchive *info)
{
    Storage *pg_storage = storage_posix_new(pg_path, false);
    PgControl control;
    int result = pg_control_load(pg_storage, &control);
    storage_free(pg_storage);
    TRY(result);

    if (control.system_id != info->db_system_id || strcmp(control.version->name, info->db_version) != 0) {
        err_set(ERR_ARCHIVE_MISMATCH,
                "PostgreSQL version %s, system-id %llu do not match repo%u stanza version %s, system-id %llu",
                control.version->name, (unsigned long long)control.system_id, repo->key, info->db_version,
                (unsigned long long)info->db_system_id);
        err_hint("are you archiving to the correct stanza?");
        return archive_repo_invalid(repo);
    }
    return 0;
}

/* The segment's long header must come from the stanza's database (version and system id). */
static int
push_check_header(const uint8_t *data, size_t size, const char *wal_full, const InfoArchive *info)
{
    WalHeader header;
    TRY(wal_header_read(data, size, wal_full, &header));
    const PgVersion *wal_version = pg_version_by_num(header.pg_version_num);
    const char *wal_version_name = wal_version != NULL ? wal_version->name : "unknown";
    if (header.system_id != info->db_system_id || strcmp(wal_version_name, info->db_version) != 0)
        return err_set(ERR_ARCHIVE_MISMATCH,
                       "WAL file '%s' version %s, system-id %llu do not match stanza version %s, system-id %llu",
                       wal_full, wal_version_name, (unsigned long long)header.system_id, info->db_version,
                       (unsigned long long)info->db_system_id);
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------------
 * Reading and storing a segment in one pass
 * ------------------------------------------------------------------------------------------------------------------ */

/* A segment is viewed in windows of this size (one for a 16 MiB segment), mapped from the page cache: the SHA-1
 * thread and the compressor read its bytes where they are, none are copied into the process. */
#define PUSH_WINDOW_SIZE ((size_t)16 << 20)

static int
push_sink_write(void *context, const uint8_t *data, size_t size)
{
    return storage_write(context, data, size);
}

/* Upload chunks a pushed segment may be held in before it turns multipart (StorageWriteOptions.hold_chunks). */
#define ARCHIVE_PUSH_HOLD_CHUNKS 8

typedef struct PushSegment {
    const Repo *repo;
    Storage *local; /* the local file system, rooted at / (the WAL file's side) */
    const ArchivePushOptions *options;
    const InfoArchive *info;
    const char *archive_id;
    const char *wal_file; /* base name: 000000010000000000000003 or ...partial */
    const char *wal_full; /* absolute path of the source */
} PushSegment;

/* The compress + encrypt pipeline of a stored segment (no hashing: that runs on the other thread); `cipher_pass`
 * is archive.info's, NULL in a plain repository. */
static Pipeline *
push_pipeline_new(const ArchivePushOptions *options, const char *cipher_pass)
{
    Pipeline *pipeline = pipeline_new();
    if (options->compress_type == COMPRESS_LZ4 && options->compress_threads > 0)
        pipeline_add(pipeline, filter_lz4_parallel_new(options->compress_level, options->compress_threads, true));
    else if (options->compress_type != COMPRESS_NONE)
        filter_compress_set_threads(
            pipeline_add(pipeline, filter_compress_new(options->compress_type, options->compress_level, false)),
            options->compress_threads);
    if (cipher_pass != NULL)
        pipeline_add(pipeline, filter_cipher_new(CIPHER_ENCRYPT, cipher_pass, strlen(cipher_pass), false));
    return pipeline;
}

/* The one pass: each window is lent to the hashing thread and pushed through the compressor (which works on it where
 * it is), and both are done with it before the next window replaces it. The first window is already in view (it
 * was checked). */
static int
push_segment_stream(PosixView *view, const uint8_t *window, size_t window_size, HashThread *hasher,
                    Pipeline *pipeline, FilterSink sink, void *sink_context)
{
    while (window_size > 0) {
        hash_thread_lend(hasher, window, window_size);
        int result = pipeline_push_stable(pipeline, window, window_size, sink, sink_context);
        if (result == 0)
            result = pipeline_settle(pipeline, sink, sink_context);
        hash_thread_wait(hasher);
        TRY(result);
        TRY(posix_view_next(view, &window, &window_size));
    }
    return pipeline_finish(pipeline, sink, sink_context);
}

/* The name the segment is written under until its SHA-1 is known: "<name>.<16 hex>", unique to this push, so that
 * two processes pushing the same segment at once (an async background process still running when archive_command
 * turns synchronous, two hosts of one system) never write into, complete, copy or remove each other's provisional
 * file or object. It matches no stored-segment pattern, so no reader ever takes it for a segment. */
static char *
push_provisional_path(const char *stanza, const char *archive_id, const char *wal_file)
{
    uint64_t unique = 0;
    if (getrandom(&unique, sizeof(unique), GRND_NONBLOCK) != (ssize_t)sizeof(unique)) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        unique = ((uint64_t)getpid() << 40) ^ ((uint64_t)now.tv_sec << 20) ^ (uint64_t)now.tv_nsec;
    }
    char *name = mem_printf("%s.%016" PRIx64, wal_file, unique);
    char *path = layout_wal_path(stanza, archive_id, name);
    free(name);
    return path;
}

/* Open the write of a segment under its provisional name. */
static int
push_write_open(const Repo *repo, const char *stanza, const char *archive_id, const char *wal_file,
                StorageWrite **write)
{
    char *temp_path = push_provisional_path(stanza, archive_id, wal_file);
    StorageWriteOptions options = storage_write_options_default();
    options.writeback = true; /* the disk starts on the first megabytes while the rest is compressed: less to sync */
    /* object stores: a segment that stores in up to ARCHIVE_PUSH_HOLD_CHUNKS upload chunks (40 MiB by default, so
     * every 16 MiB segment) goes up with one PUT under its final name, instead of a multipart upload under the
     * provisional name then a copy and a delete: 1 request instead of 5 or more */
    options.hold_chunks = ARCHIVE_PUSH_HOLD_CHUNKS;
    int result = storage_open_write(repo->storage, temp_path, &options, write);
    free(temp_path);
    return result;
}

/* Give the written segment its final name "<name>-<sha1>[.<ext>]" and complete it. */
static int
push_write_commit(StorageWrite *write, const char *wal_file, const char *sha1, CompressType compress_type)
{
    char *stored = layout_wal_stored_name(wal_file, sha1, compress_type);
    int result = storage_write_set_name(write, stored);
    free(stored);
    return result == 0 ? storage_write_close(write) : result;
}

/* The one pass over a segment whose first window is in view: SHA-1 on the hashing thread into `sha1`, compressed
 * (and encrypted with `cipher_pass` when not NULL) to `sink`. */
static int
push_segment_pass(const ArchivePushOptions *options, const char *cipher_pass, PosixView *view, const uint8_t *first,
                  size_t first_size, FilterSink sink, void *sink_context, char sha1[HASH_SHA1_HEX_SIZE])
{
    HashThread *hasher = NULL;
    int result = hash_thread_start(&hasher);
    Pipeline *pipeline = push_pipeline_new(options, cipher_pass);
    if (result == 0)
        result = push_segment_stream(view, first, first_size, hasher, pipeline, sink, sink_context);
    if (result == 0)
        result = hash_thread_finish(hasher, sha1);
    /* both hold the window until they are freed (a failed pass may leave work queued): before the view moves on */
    pipeline_free(pipeline);
    hash_thread_free(hasher);
    return result;
}

/* Store a segment whose first window is in view: written under a provisional name, then under the final name once
 * the digest is known. */
static int
push_segment_store(const PushSegment *push, PosixView *view, const uint8_t *first, size_t first_size)
{
    StorageWrite *write = NULL;
    TRY(push_write_open(push->repo, push->options->stanza, push->archive_id, push->wal_file, &write));
    char sha1[HASH_SHA1_HEX_SIZE];
    int result = push_segment_pass(push->options, push->info->cipher_pass, view, first, first_size, push_sink_write,
                                   write, sha1);
    if (result == 0)
        result = push_write_commit(write, push->wal_file, sha1, push->options->compress_type);
    storage_write_free(write); /* removes the temp file unless committed */
    return result;
}

/* SHA-1 of a whole local file (only for the duplicate check, when a copy is already stored). */
static int
push_file_sha1(Storage *storage, const char *full, char sha1[HASH_SHA1_HEX_SIZE])
{
    StorageRead *read = NULL;
    TRY(storage_open_read(storage, full, 0, -1, false, &read));
    Pipeline *pipeline = pipeline_new();
    Filter *hash = pipeline_add(pipeline, filter_hash_new(HASH_SHA1));
    int result = storage_copy(read, pipeline, NULL, PUSH_BUFFER_SIZE);
    if (result == 0)
        snprintf(sha1, HASH_SHA1_HEX_SIZE, "%s", filter_hash_hex(hash));
    pipeline_free(pipeline);
    storage_read_free(read);
    return result;
}

/* Look for the segment in its archive directory: *exists and *same (checksum equal) when stored once;
 * more than one stored copy is an error. */
/* The stored names of a segment in its archive directory (usually none or one). */
static int
push_stored_names(const Repo *repo, const char *stanza, const char *archive_id, const char *wal_file, char ***names,
                  size_t *count)
{
    char *directory = layout_wal_directory(wal_file);
    char *path = mem_printf("archive/%s/%s/%s", stanza, archive_id, directory);
    char *regex = layout_wal_stored_regex(wal_file);
    int result = storage_list_names(repo->storage, path, regex, true, names, count);
    free(regex);
    free(path);
    free(directory);
    return result;
}

static int
push_segment_existing(const PushSegment *push, bool *exists, bool *same)
{
    *exists = false;
    *same = false;
    char **names = NULL;
    size_t count = 0;
    int result = push_stored_names(push->repo, push->options->stanza, push->archive_id, push->wal_file, &names,
                                   &count);
    TRY(result);

    if (count > 1) {
        Buf list = BUF_INIT;
        for (size_t index = 0; index < count; index++)
            buf_printf(&list, "%s%s", index > 0 ? ", " : "", names[index]);
        err_set(ERR_COMMAND, "archive-push command encountered error(s):\nrepo%u: [ArchiveDuplicateError] duplicates "
                "found in archive for WAL segment %s: %s", push->repo->key, push->wal_file, buf_str(&list));
        err_hint("are multiple primaries archiving to this stanza?");
        buf_free(&list);
        storage_names_free(names, count);
        return -1;
    }
    if (count == 1) {
        *exists = true;
        char sha1[HASH_SHA1_HEX_SIZE];
        result = push_file_sha1(push->local, push->wal_full, sha1);
        /* stored name: <name>-<40 hex>[.ext]; the name part is as long as the WAL file name */
        if (result == 0)
            *same = strncmp(names[0] + strlen(push->wal_file) + 1, sha1, 40) == 0;
    }
    storage_names_free(names, count);
    return result;
}

/* Checks, then the single pass. The first window is viewed once: for the header check and as the start of the
 * stream. */
static int
push_segment_checked(const PushSegment *push, PosixView *view)
{
    const uint8_t *first = NULL;
    size_t first_size = 0;
    TRY(posix_view_next(view, &first, &first_size));
    if (push->options->header_check)
        TRY(push_check_header(first, first_size, push->wal_full, push->info));

    bool exists = false, same = false;
    TRY(push_segment_existing(push, &exists, &same));
    if (exists && same) {
        LOG_WARN("WAL file '%s' already exists in the repo%u archive with the same checksum\n"
                 "HINT: this is valid in some recovery scenarios but may also indicate a problem.",
                 push->wal_file, push->repo->key);
        return 0;
    }
    if (exists)
        return err_set(ERR_ARCHIVE_DUPLICATE, "WAL file '%s' already exists in the repo%u archive with a different "
                       "checksum", push->wal_file, push->repo->key);
    return push_segment_store(push, view, first, first_size);
}

static int
push_segment(const PushSegment *push)
{
    PosixView *view = NULL;
    TRY(posix_view_open(push->local, push->wal_full, PUSH_WINDOW_SIZE, POSIX_VIEW_MAP, &view));
    int result = push_segment_checked(push, view);
    posix_view_free(view);
    return result;
}

/* .history, .backup and other files: stored as they are (encrypted in an encrypted repo). */
static int
push_other(const PushSegment *push)
{
    StorageRead *read = NULL;
    TRY(storage_open_read(push->local, push->wal_full, 0, -1, false, &read));
    char *path = layout_wal_path(push->options->stanza, push->archive_id, push->wal_file);
    StorageWrite *write = NULL;
    int result = storage_open_write(push->repo->storage, path, NULL, &write);
    free(path);
    Pipeline *pipeline = NULL;
    if (result == 0) {
        pipeline = pipeline_new();
        if (push->info->cipher_pass != NULL)
            pipeline_add(pipeline, filter_cipher_new(CIPHER_ENCRYPT, push->info->cipher_pass,
                                                     strlen(push->info->cipher_pass), false));
        result = storage_copy(read, pipeline, write, PUSH_BUFFER_SIZE);
    }
    if (result == 0)
        result = storage_write_close(write);
    pipeline_free(pipeline);
    storage_write_free(write);
    storage_read_free(read);
    return result;
}

static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* The archive id segments go to: archive.info's current history entry ("15-1"). */
static int
push_archive_id(const InfoArchive *info, const char *stanza, char **archive_id)
{
    const InfoArchiveHistory *current = info_archive_current(info);
    if (current == NULL)
        return err_set(ERR_FORMAT, "archive.info of stanza '%s' has no history entry for db-id %u", stanza,
                       info->db_id);
    *archive_id = info_archive_id(current);
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------------
 * Object stores: the repository's round trips while the segment is compressed
 * ------------------------------------------------------------------------------------------------------------------ */

/* Compressed bytes kept in memory until the repository's answers are in (an S3 write holds as much anyway). */
#define PUSH_EARLY_PENDING_MAX ((size_t)32 << 20)

/* push_segment_early's result when the ordinary push must decide instead: nothing was written. */
#define PUSH_EARLY_DECLINED 1

/* What a push must learn from the repository before it may store a segment: archive.info and whether the segment is
 * stored already. On an object store these are round trips (connection, TLS, a GET, a listing) that take about as
 * long as compressing the segment, so a thread of their own makes them meanwhile; it hands the storage back when
 * done (storage_hand_over) and the pushing thread takes it over after the join. */
typedef struct PushPreamble {
    const Repo *repo;
    const char *stanza;
    const char *wal_file;
    InfoArchive info;
    char *archive_id;
    size_t stored;         /* stored copies of the segment found */
    int result;
    ErrorSaved error;      /* the thread's error record, carried over to the pushing thread */
} PushPreamble;

static void *
push_preamble_main(void *argument)
{
    PushPreamble *preamble = argument;
    int result = archive_info_load(preamble->repo, preamble->stanza, &preamble->info);
    if (result < 0)
        archive_repo_invalid(preamble->repo);
    if (result == 0)
        result = push_archive_id(&preamble->info, preamble->stanza, &preamble->archive_id);
    char **names = NULL;
    if (result == 0)
        result = push_stored_names(preamble->repo, preamble->stanza, preamble->archive_id, preamble->wal_file, &names,
                                   &preamble->stored);
    if (names != NULL)
        storage_names_free(names, preamble->stored);
    if (result < 0)
        err_save(&preamble->error);
    preamble->result = result;
    storage_hand_over(preamble->repo->storage);
    return NULL;
}

/* A segment pushed to an object store: compressed into memory while the preamble thread asks the repository, then
 * checked exactly as the ordinary push checks it, and written. */
typedef struct PushEarly {
    const Repo *repo;
    const ArchivePushOptions *options;
    const char *wal_full;
    PushPreamble preamble;
    pthread_t thread;
    bool joined;
    uint8_t header[8192];  /* the segment's first page, for the header check (WAL_LONG_HEADER_SIZE is enough) */
    size_t header_size;
    Buf pending;           /* compressed bytes while `write` is not open */
    StorageWrite *write;
    bool declined;         /* the segment is stored already: the ordinary push decides (same or different copy) */
} PushEarly;

/* Wait for the preamble and take its error over, if any. */
static int
push_early_join(PushEarly *early)
{
    if (!early->joined) {
        pthread_join(early->thread, NULL);
        early->joined = true;
    }
    return early->preamble.result == 0 ? 0 : err_restore(&early->preamble.error);
}

/* The preamble is needed: every check of the ordinary push, in its order, then the write opens and takes the pending
 * bytes. A segment already stored declines (-1 with `declined` set: the pass stops, nothing is written). */
static int
push_early_resolve(PushEarly *early)
{
    TRY(push_early_join(early));
    if (early->options->pg_path != NULL)
        TRY(push_check_pg_control(early->repo, early->options->pg_path, &early->preamble.info));
    if (early->options->header_check)
        TRY(push_check_header(early->header, early->header_size, early->wal_full, &early->preamble.info));
    if (early->preamble.stored > 0) {
        early->declined = true;
        return err_set(ERR_ASSERT, "the segment is stored already");
    }
    TRY(push_write_open(early->repo, early->options->stanza, early->preamble.archive_id, early->preamble.wal_file,
                        &early->write));
    int result = storage_write(early->write, (const uint8_t *)early->pending.data, early->pending.size);
    buf_free(&early->pending);
    return result;
}

/* Where the compressed segment goes: memory until the preamble is in (or the memory allowed is full), then the
 * write. */
static int
push_early_sink(void *context, const uint8_t *data, size_t size)
{
    PushEarly *early = context;
    if (early->write == NULL && early->pending.size + size <= PUSH_EARLY_PENDING_MAX) {
        buf_append(&early->pending, data, size);
        return 0;
    }
    if (early->write == NULL)
        TRY(push_early_resolve(early));
    return storage_write(early->write, data, size);
}

/* Hash and compress the viewed segment into the early sink (its first page kept for the header check); its SHA-1
 * into `sha1`. */
static int
push_early_pass(PushEarly *early, PosixView *view, char sha1[HASH_SHA1_HEX_SIZE])
{
    const uint8_t *first = NULL;
    size_t first_size = 0;
    TRY(posix_view_next(view, &first, &first_size));
    early->header_size = first_size < sizeof(early->header) ? first_size : sizeof(early->header);
    memcpy(early->header, first, early->header_size);
    return push_segment_pass(early->options, NULL, view, first, first_size, push_early_sink, early, sha1);
}

/* Push a segment to an object store with the repository's round trips overlapping the compression. Returns 0, -1,
 * or PUSH_EARLY_DECLINED when the ordinary push must run instead (the segment is stored already, or no thread). */
static int
push_segment_early(const Repo *repo, const char *wal_full, const ArchivePushOptions *options)
{
    PushEarly early = {.repo = repo, .options = options, .wal_full = wal_full};
    early.preamble = (PushPreamble){.repo = repo, .stanza = options->stanza, .wal_file = base_name(wal_full)};
    storage_hand_over(repo->storage); /* this thread (an async worker may have used it) lends it to the preamble */
    if (pthread_create(&early.thread, NULL, push_preamble_main, &early.preamble) != 0)
        return PUSH_EARLY_DECLINED;

    Storage *local = storage_posix_new("/", false);
    PosixView *view = NULL;
    char sha1[HASH_SHA1_HEX_SIZE];
    int result = posix_view_open(local, wal_full, PUSH_WINDOW_SIZE, POSIX_VIEW_MAP, &view);
    if (result == 0)
        result = push_early_pass(&early, view, sha1);
    posix_view_free(view);
    storage_free(local);

    if (result == 0 && early.write == NULL)
        result = push_early_resolve(&early);
    else if (result < 0 && !early.joined) {
        /* a local failure before the checks ran (a missing segment): the repository's error comes first, as in the
         * ordinary push (once they ran, the first failing check's error is the one) */
        ErrorSaved local_error;
        err_save(&local_error);
        if (push_early_join(&early) == 0 &&
            (options->pg_path == NULL || push_check_pg_control(repo, options->pg_path, &early.preamble.info) == 0))
            err_restore(&local_error);
        err_saved_free(&local_error);
    }
    if (result == 0)
        result = push_write_commit(early.write, early.preamble.wal_file, sha1, options->compress_type);
    if (early.declined) {
        err_clear();
        result = PUSH_EARLY_DECLINED;
    }

    storage_write_free(early.write);
    buf_free(&early.pending);
    if (!early.joined)
        pthread_join(early.thread, NULL);
    info_archive_free(&early.preamble.info);
    free(early.preamble.archive_id);
    err_saved_free(&early.preamble.error);
    return result;
}

/* ------------------------------------------------------------------------------------------------------------------
 * The command's core
 * ------------------------------------------------------------------------------------------------------------------ */

static int
push_with_info(const Repo *repo, const char *wal_full, const ArchivePushOptions *options, const InfoArchive *info)
{
    if (options->pg_path != NULL)
        TRY(push_check_pg_control(repo, options->pg_path, info));

    char *archive_id = NULL;
    TRY(push_archive_id(info, options->stanza, &archive_id));
    PushSegment push = {
        .repo = repo,
        .local = storage_posix_new("/", false),
        .options = options,
        .info = info,
        .archive_id = archive_id,
        .wal_file = base_name(wal_full),
        .wal_full = wal_full,
    };
    WalFileKind kind = wal_file_kind(push.wal_file);
    int result = kind == WAL_FILE_SEGMENT || kind == WAL_FILE_PARTIAL ? push_segment(&push) : push_other(&push);
    storage_free(push.local);
    free(archive_id);
    return result;
}

/* A plain repository on an object store, and a WAL segment: the early push applies (an encrypted repository needs
 * archive.info's passphrase before the first compressed byte is encrypted). */
static bool
push_early_applies(const Repo *repo, const char *wal_full)
{
    WalFileKind kind = wal_file_kind(base_name(wal_full));
    return repo->cipher_type == CIPHER_NONE && (repo->storage->driver->features & STORAGE_FEATURE_PATH) == 0 &&
           (kind == WAL_FILE_SEGMENT || kind == WAL_FILE_PARTIAL);
}

int
archive_push_file(const Repo *repo, const char *wal_path, const ArchivePushOptions *options)
{
    char *wal_full = NULL;
    TRY(archive_wal_path_resolve(options->pg_path, wal_path, &wal_full));
    int result = stop_check(options->lock_path, options->stanza);
    if (result == 0 && push_early_applies(repo, wal_full)) {
        result = push_segment_early(repo, wal_full, options);
        if (result != PUSH_EARLY_DECLINED) {
            free(wal_full);
            return result;
        }
        result = 0;
    }

    InfoArchive info;
    memset(&info, 0, sizeof(info));
    if (result == 0) {
        result = archive_info_load(repo, options->stanza, &info);
        if (result < 0)
            archive_repo_invalid(repo);
    }
    if (result == 0)
        result = push_with_info(repo, wal_full, options, &info);

    info_archive_free(&info);
    free(wal_full);
    return result;
}
