/* archive_get: fetch one WAL file from the repository archive (see archive_get.h). */
#include "engine/ops/archive_get.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/ops/archive_push.h"
#include "engine/ops/hash_thread.h"
#include "engine/pg/control.h"
#include "engine/pg/wal.h"
#include "engine/repo/info_archive.h"
#include "engine/repo/layout.h"
#include "storage/filter/cipher.h"
#include "storage/filter/compress.h"
#include "storage/filter/hash.h"
#include "storage/posix.h"

/* Compressed bytes read per pipeline push. Small on purpose: WAL compresses up to 16:1, and the decompressor's
 * output for one push is held in one buffer, which should stay in cache for the copy that follows. */
#define GET_BUFFER_SIZE ((size_t)16 * 1024)

void
archive_get_match_free(ArchiveGetMatch *match)
{
    free(match->archive_id);
    free(match->path);
    free(match->cipher_pass);
    memset(match, 0, sizeof(*match));
}

/* ------------------------------------------------------------------------------------------------------------------
 * Find
 * ------------------------------------------------------------------------------------------------------------------ */

/* The stored names of `wal_file` in one archive id (sorted): segments and partials by their checksum-bearing
 * names, other files by their own name. */
static int
get_find_in_archive_id(const Repo *repo, const char *stanza, const char *archive_id, const char *wal_file,
                       char ***names, size_t *count)
{
    *names = NULL;
    *count = 0;
    WalFileKind kind = wal_file_kind(wal_file);
    char *directory = layout_wal_directory(wal_file);
    char *path = directory != NULL ? mem_printf("archive/%s/%s/%s", stanza, archive_id, directory)
                                   : mem_printf("archive/%s/%s", stanza, archive_id);
    free(directory);

    int result;
    if (kind == WAL_FILE_SEGMENT || kind == WAL_FILE_PARTIAL) {
        char *regex = layout_wal_stored_regex(wal_file);
        result = storage_list_names(repo->storage, path, regex, true, names, count);
        free(regex);
    } else {
        char *file = mem_printf("%s/%s", path, wal_file);
        StorageInfo info;
        memset(&info, 0, sizeof(info));
        result = storage_info(repo->storage, file, true, &info);
        if (result == 0 && info.exists && info.type == STORAGE_TYPE_FILE) {
            *names = mem_calloc(2, sizeof(char *));
            (*names)[0] = mem_strdup(wal_file);
            *count = 1;
        }
        storage_info_clear(&info);
        free(file);
    }
    free(path);
    return result;
}

static int
get_duplicates_error(const Repo *repo, const char *wal_file, const char *archive_id, char **names, size_t count)
{
    char *directory = layout_wal_directory(wal_file);
    Buf list = BUF_INIT;
    for (size_t index = 0; index < count; index++)
        buf_printf(&list, "%s%s/%s%s%s", index > 0 ? ", " : "", archive_id, directory != NULL ? directory : "",
                   directory != NULL ? "/" : "", names[index]);
    err_set(ERR_ARCHIVE_DUPLICATE, "duplicates found for WAL segment %s:\nrepo%u: %s", wal_file, repo->key,
            buf_str(&list));
    err_hint("are multiple primaries archiving to this stanza?");
    buf_free(&list);
    free(directory);
    return -1;
}

/* Search the matching archive ids, newest first. */
static int
get_find_with_info(const Repo *repo, const char *wal_file, const ArchiveGetOptions *options, const InfoArchive *info,
                   const PgControl *control, bool *found, ArchiveGetMatch *match)
{
    bool any_archive_id = false;
    for (size_t index = info->history_count; index > 0 && !*found; index--) {
        const InfoArchiveHistory *history = &info->history[index - 1];
        if (history->system_id != control->system_id || strcmp(history->version, control->version->name) != 0)
            continue;
        any_archive_id = true;

        char *archive_id = info_archive_id(history);
        char **names = NULL;
        size_t count = 0;
        int result = get_find_in_archive_id(repo, options->stanza, archive_id, wal_file, &names, &count);
        if (result == 0 && count > 1)
            result = get_duplicates_error(repo, wal_file, archive_id, names, count);
        if (result == 0 && count == 1) {
            *found = true;
            match->path = layout_wal_path(options->stanza, archive_id, names[0]);
            match->archive_id = archive_id;
            match->cipher_pass = info->cipher_pass != NULL ? mem_strdup(info->cipher_pass) : NULL;
            archive_id = NULL;
        }
        storage_names_free(names, count);
        free(archive_id);
        TRY(result);
    }
    if (!any_archive_id)
        return err_set(ERR_ARCHIVE_MISMATCH,
                       "unable to retrieve the archive id for database version '%s' and system-id '%llu'",
                       control->version->name, (unsigned long long)control->system_id);
    return 0;
}

int
archive_get_find(const Repo *repo, const char *wal_file, const ArchiveGetOptions *options, bool *found,
                 ArchiveGetMatch *match)
{
    *found = false;
    memset(match, 0, sizeof(*match));

    InfoArchive info;
    memset(&info, 0, sizeof(info));
    TRY(archive_info_load(repo, options->stanza, &info));

    PgControl control;
    Storage *pg_storage = storage_posix_new(options->pg_path, false);
    int result = pg_control_load(pg_storage, &control);
    storage_free(pg_storage);

    if (result == 0)
        result = get_find_with_info(repo, wal_file, options, &info, &control, found, match);
    if (result < 0)
        archive_get_match_free(match);
    info_archive_free(&info);
    return result;
}

/* ------------------------------------------------------------------------------------------------------------------
 * Copy
 * ------------------------------------------------------------------------------------------------------------------ */

/* The checksum in a segment's stored name ("<name>-<sha1>[.<ext>]"), NULL for other files. */
static const char *
get_stored_sha1(const char *wal_file, const char *stored_name)
{
    WalFileKind kind = wal_file_kind(wal_file);
    if (kind != WAL_FILE_SEGMENT && kind != WAL_FILE_PARTIAL)
        return NULL;
    return stored_name + strlen(wal_file) + 1;
}

static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* Where the plain bytes go: copied into the hashing thread's chunks, each written to the destination when full
 * and then handed to the thread (without a thread: written directly). */
typedef struct GetSink {
    StorageWrite *write;
    HashThread *hasher; /* NULL when the file has no checksum to verify */
    uint8_t *chunk;     /* the chunk being filled, NULL when none */
    size_t filled;
} GetSink;

static int
get_sink_flush(GetSink *sink)
{
    if (sink->chunk == NULL || sink->filled == 0)
        return 0;
    TRY(storage_write(sink->write, sink->chunk, sink->filled));
    hash_thread_publish(sink->hasher, sink->filled);
    sink->chunk = NULL;
    sink->filled = 0;
    return 0;
}

static int
get_sink(void *context, const uint8_t *data, size_t size)
{
    GetSink *sink = context;
    if (sink->hasher == NULL)
        return storage_write(sink->write, data, size);
    while (size > 0) {
        if (sink->chunk == NULL)
            sink->chunk = hash_thread_slot(sink->hasher);
        size_t part = HASH_THREAD_CHUNK_SIZE - sink->filled < size ? HASH_THREAD_CHUNK_SIZE - sink->filled : size;
        memcpy(sink->chunk + sink->filled, data, part);
        sink->filled += part;
        data += part;
        size -= part;
        if (sink->filled == HASH_THREAD_CHUNK_SIZE)
            TRY(get_sink_flush(sink));
    }
    return 0;
}

/* Read the stored file through decrypt + decompress into the sink. */
static int
get_copy_pipeline(StorageRead *read, Pipeline *pipeline, GetSink *sink)
{
    TRY(storage_copy_to(read, pipeline, get_sink, sink, GET_BUFFER_SIZE));
    return get_sink_flush(sink);
}

/* Decrypt, decompress, write, with the SHA-1 of a segment on a second thread; verify before the destination is
 * committed. */
static int
get_copy_stream(const Repo *repo, const char *wal_file, const ArchiveGetMatch *match, Storage *local,
                const char *destination)
{
    const char *stored_name = base_name(match->path);
    const char *expected_sha1 = get_stored_sha1(wal_file, stored_name);

    StorageRead *read = NULL;
    TRY(storage_open_read(repo->storage, match->path, 0, -1, false, &read));

    StorageWriteOptions write_options = storage_write_options_default();
    write_options.create_path = false;
    write_options.sync_file = false; /* PostgreSQL reads it at once; pgBackRest does not sync it either */
    write_options.sync_path = false;
    GetSink sink = {0};
    int result = storage_open_write(local, destination, &write_options, &sink.write);
    if (result == 0 && expected_sha1 != NULL)
        result = hash_thread_start(&sink.hasher);

    Pipeline *pipeline = pipeline_new();
    if (match->cipher_pass != NULL)
        pipeline_add(pipeline, filter_cipher_new(CIPHER_DECRYPT, match->cipher_pass, strlen(match->cipher_pass), false));
    CompressType compress_type = compress_type_from_name(stored_name);
    if (compress_type != COMPRESS_NONE) {
        Filter *decompress = pipeline_add(pipeline, filter_decompress_new(compress_type, false));
        if (expected_sha1 != NULL) /* the segment's SHA-1 is checked: no second checksum over the same bytes */
            filter_decompress_skip_checksum(decompress);
    }

    if (result == 0)
        result = get_copy_pipeline(read, pipeline, &sink);
    char actual_sha1[HASH_SHA1_HEX_SIZE];
    if (result == 0 && sink.hasher != NULL) {
        result = hash_thread_finish(sink.hasher, actual_sha1);
        if (result == 0 && strncmp(actual_sha1, expected_sha1, 40) != 0)
            result = err_set(ERR_CHECKSUM, "checksum of the restored data '%s' does not match the checksum '%.40s' "
                             "in the file name", actual_sha1, expected_sha1);
    }
    if (result == 0)
        result = storage_write_close(sink.write);

    hash_thread_free(sink.hasher);
    pipeline_free(pipeline);
    storage_write_free(sink.write); /* removes the temp file unless committed */
    storage_read_free(read);
    return result;
}

int
archive_get_copy(const Repo *repo, const char *wal_file, const ArchiveGetMatch *match, const char *destination)
{
    Storage *local = storage_posix_new("/", true);
    int result = get_copy_stream(repo, wal_file, match, local, destination);
    storage_free(local);
    if (result < 0) {
        char message[4096];
        snprintf(message, sizeof(message), "%s", err_message());
        ErrorCode code = err_code();
        const char *stored = match->path + strlen("archive/") + strcspn(match->path + strlen("archive/"), "/") + 1;
        err_set(ERR_FILE_READ, "unable to get %s:\nrepo%u: %s [%s] %s", wal_file, repo->key, stored,
                err_code_name(code), message);
    }
    return result;
}
