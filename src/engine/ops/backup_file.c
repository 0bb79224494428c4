/* backup_file: copy one data-directory file into a backup in one pass (see backup_file.h). */
#include "engine/ops/backup_file.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/pg/page.h"
#include "engine/pg/page_check.h"
#include "storage/filter/hash.h"
#include "storage/posix.h"

/* Filters whose results are read after the copy (borrowed from the pipeline). */
typedef struct BackupPipeline {
    Pipeline *pipeline;
    Filter *page_check;
    Filter *sha1;
    bool sha1_threaded; /* sha1 is a hash_thread filter */
    Filter *size;
    Filter *repo_size;
    Filter *repo_sha1;
} BackupPipeline;

typedef struct RereadContext {
    Storage *storage;
    const char *path;
} RereadContext;

/* Read one page again from the data directory (page_check's second look at a mismatch). */
static int
backup_file_reread(void *context, uint64_t offset, uint8_t *page, bool *complete)
{
    RereadContext *reread = context;
    StorageRead *read = NULL;
    *complete = false;
    TRY(storage_open_read(reread->storage, reread->path, offset, PG_PAGE_SIZE, true, &read));
    if (read == NULL)
        return 0;
    size_t total = 0;
    int result = storage_read_full(read, page, PG_PAGE_SIZE, &total);
    storage_read_free(read);
    *complete = result == 0 && total == PG_PAGE_SIZE;
    return result;
}

/* Decrypt and decompress what is read from a repository file (the cipher comes first: files are compressed then
 * encrypted). */
static void
backup_pipeline_decode(Pipeline *pipeline, CompressType compress_type, CipherType cipher_type, const char *pass)
{
    if (cipher_type != CIPHER_NONE && pass != NULL)
        pipeline_add(pipeline, filter_cipher_new(CIPHER_DECRYPT, pass, strlen(pass), false));
    if (compress_type != COMPRESS_NONE)
        pipeline_add(pipeline, filter_decompress_new(compress_type, false));
}

static void
backup_pipeline_build(const BackupFileShared *shared, const BackupFileJob *job, RereadContext *reread,
                      const BackupFileSource *source, HashThread *hasher, BackupPipeline *out)
{
    memset(out, 0, sizeof(*out));
    out->pipeline = pipeline_new();
    if (source != NULL)
        backup_pipeline_decode(out->pipeline, source->compress_type, source->cipher_pass != NULL ? shared->cipher_type
                                                                                                : CIPHER_NONE,
                               source->cipher_pass);
    if (job != NULL && job->page_check)
        out->page_check =
            pipeline_add(out->pipeline, filter_page_check_new(job->segment_no, backup_file_reread, reread));
    out->sha1_threaded = hasher != NULL;
    out->sha1 = pipeline_add(out->pipeline, hasher != NULL ? hash_thread_filter_new(hasher) : filter_hash_new(HASH_SHA1));
    out->size = pipeline_add(out->pipeline, filter_size_new());
    bool transformed = false;
    if (shared->compress_type != COMPRESS_NONE) {
        /* the SHA-1 above is recorded in the manifest: no second checksum inside the lz4 frame */
        bool threaded = job != NULL && shared->compress_threads > 1 && job->size_hint >= BACKUP_FILE_THREADED_SIZE;
        Filter *compress;
        if (threaded && shared->compress_type == COMPRESS_LZ4)
            compress = filter_lz4_parallel_new(shared->compress_level, shared->compress_threads, false);
        else {
            compress = filter_compress_new(shared->compress_type, shared->compress_level, false);
            filter_compress_set_checksummed(compress);
            if (threaded)
                filter_compress_set_threads(compress, shared->compress_threads);
        }
        pipeline_add(out->pipeline, compress);
        transformed = true;
    }
    if (shared->cipher_type != CIPHER_NONE) {
        pipeline_add(out->pipeline,
                     filter_cipher_new(CIPHER_ENCRYPT, shared->cipher_pass, strlen(shared->cipher_pass), false));
        transformed = true;
    }
    if (transformed) {
        out->repo_size = pipeline_add(out->pipeline, filter_size_new());
        out->repo_sha1 = pipeline_add(out->pipeline, filter_hash_new(HASH_SHA1));
    }
}

/* Move the filters' results into the job. */
static void
backup_pipeline_results(const BackupPipeline *bp, BackupFileJob *job)
{
    job->size = filter_size_bytes(bp->size);
    memcpy(job->result_checksum, bp->sha1_threaded ? hash_thread_filter_hex(bp->sha1) : filter_hash_hex(bp->sha1),
           sizeof(job->result_checksum));
    if (bp->repo_size != NULL) {
        job->repo_size = filter_size_bytes(bp->repo_size);
        memcpy(job->repo_checksum, filter_hash_hex(bp->repo_sha1), sizeof(job->repo_checksum));
    } else {
        job->repo_size = job->size;
        job->repo_checksum[0] = '\0';
    }
    if (bp->page_check != NULL) {
        PageCheckResult page = filter_page_check_result(bp->page_check);
        job->page_checked = true;
        job->page_valid = page.valid;
        job->page_aligned = page.aligned;
        free(job->page_errors);
        job->page_errors = NULL;
        job->page_error_count = page.invalid_count;
        if (page.invalid_count > 0) {
            job->page_errors = mem_alloc(page.invalid_count * sizeof(uint32_t));
            memcpy(job->page_errors, page.invalid_blocks, page.invalid_count * sizeof(uint32_t));
        }
    }
}

static StorageWriteOptions
backup_write_options(void)
{
    StorageWriteOptions options = storage_write_options_default();
    options.atomic = false;   /* backup files are written in place; the manifest says what is complete */
    options.sync_file = false; /* one syncfs() for the whole backup (backup.c) instead of one journal commit per file */
    options.sync_path = false;
    options.writeback = true;  /* so that the final syncfs() finds little left to write */
    return options;
}

/* Delta: checksum the file; *same when it equals the prior's. */
static int
backup_file_delta(Storage *pg, BackupFileJob *job, size_t buffer_size, bool *same, bool *missing)
{
    StorageRead *read = NULL;
    *same = false;
    TRY(storage_open_read(pg, job->pg_file, 0, -1, true, &read));
    if (read == NULL) {
        *missing = true;
        return 0;
    }
    Pipeline *pipeline = pipeline_new();
    Filter *sha1 = pipeline_add(pipeline, filter_hash_new(HASH_SHA1));
    int result = storage_copy(read, pipeline, NULL, buffer_size);
    if (result == 0)
        *same = strcmp(filter_hash_hex(sha1), job->checksum) == 0;
    pipeline_free(pipeline);
    storage_read_free(read);
    return result;
}

/* Resume: read the copy already in the repository back; *same when its checksum and size are the resumed
 * manifest's (the job's results are then filled from it). A missing or unreadable copy is not an error: the file
 * is copied again. */
static int
backup_file_resume_check(const BackupFileShared *shared, BackupFileJob *job, bool *same)
{
    *same = false;
    StorageRead *read = NULL;
    if (storage_open_read(shared->repo, job->repo_file, 0, -1, true, &read) < 0) {
        err_clear();
        return 0;
    }
    if (read == NULL)
        return 0;
    Pipeline *pipeline = pipeline_new();
    bool transformed = shared->compress_type != COMPRESS_NONE || shared->cipher_type != CIPHER_NONE;
    Filter *repo_size = transformed ? pipeline_add(pipeline, filter_size_new()) : NULL;
    Filter *repo_sha1 = transformed ? pipeline_add(pipeline, filter_hash_new(HASH_SHA1)) : NULL;
    backup_pipeline_decode(pipeline, shared->compress_type, shared->cipher_type, shared->cipher_pass);
    Filter *sha1 = pipeline_add(pipeline, filter_hash_new(HASH_SHA1));
    Filter *size = pipeline_add(pipeline, filter_size_new());
    if (storage_copy(read, pipeline, NULL, shared->buffer_size) < 0) {
        err_clear(); /* a truncated or corrupt copy: copy the file again */
    } else if (filter_size_bytes(size) == job->resume_size && strcmp(filter_hash_hex(sha1), job->checksum) == 0) {
        *same = true;
        job->size = filter_size_bytes(size);
        memcpy(job->result_checksum, filter_hash_hex(sha1), sizeof(job->result_checksum));
        if (transformed) {
            job->repo_size = filter_size_bytes(repo_size);
            memcpy(job->repo_checksum, filter_hash_hex(repo_sha1), sizeof(job->repo_checksum));
        } else {
            job->repo_size = job->size;
            job->repo_checksum[0] = '\0';
        }
    }
    pipeline_free(pipeline);
    storage_read_free(read);
    return 0;
}

/* Decide what a job needs before anything is written: resume (the copy already in the repository checks out),
 * delta (the content equals the prior's) or a file removed since the manifest was built settle it with *read left
 * NULL; otherwise *read is the open data-directory file to store. */
static int
backup_file_open_source(const BackupFileShared *shared, Storage *pg, BackupFileJob *job, StorageRead **read)
{
    *read = NULL;
    job->status = BACKUP_FILE_COPIED;
    if (job->resume_check) {
        bool same = false;
        TRY(backup_file_resume_check(shared, job, &same));
        if (same) {
            job->status = BACKUP_FILE_RESUMED;
            return 0;
        }
    }
    if (job->delta_check) {
        bool same = false, missing = false;
        TRY(backup_file_delta(pg, job, shared->buffer_size, &same, &missing));
        if (same || missing) {
            job->status = missing ? BACKUP_FILE_MISSING : BACKUP_FILE_UNCHANGED;
            return 0;
        }
    }
    TRY(storage_open_read(pg, job->pg_file, 0, -1, true, read));
    if (*read == NULL)
        job->status = BACKUP_FILE_MISSING;
    return 0;
}

/* Read, check, hash, compress and encrypt an open data-directory file onto the end of `write`; fill the job's
 * results. */
static int
backup_file_store(const BackupFileShared *shared, HashThread *hasher, Storage *pg, BackupFileJob *job,
                  StorageRead *read, StorageWrite *write)
{
    RereadContext reread = {pg, job->pg_file};
    BackupPipeline bp;
    backup_pipeline_build(shared, job, &reread, NULL, hasher, &bp);
    int result = storage_copy(read, bp.pipeline, write, shared->buffer_size);
    if (result == 0)
        backup_pipeline_results(&bp, job);
    pipeline_free(bp.pipeline);
    return result;
}

int
backup_file_run(const BackupFileShared *shared, HashThread *hasher, BackupFileJob *job)
{
    Storage *pg = storage_posix_new("/", false);
    StorageRead *read = NULL;
    StorageWrite *write = NULL;
    int result = backup_file_open_source(shared, pg, job, &read);
    if (result == 0 && read != NULL) {
        StorageWriteOptions options = backup_write_options();
        result = storage_open_write(shared->repo, job->repo_file, &options, &write);
        if (result == 0)
            result = backup_file_store(shared, hasher, pg, job, read, write);
        if (result == 0)
            result = storage_write_close(write);
    }
    if (result < 0)
        err_context("unable to back up '%s'", job->pg_file);
    storage_write_free(write);
    storage_read_free(read);
    storage_free(pg);
    return result;
}

int
backup_file_bundle_run(const BackupFileShared *shared, HashThread *hasher, const char *bundle_file,
                       uint64_t bundle_id, BackupFileJob *const *jobs, size_t count)
{
    Storage *pg = storage_posix_new("/", false);
    StorageWrite *write = NULL; /* opened with the first file to store: no empty bundle */
    uint64_t offset = 0;
    int result = 0;
    for (size_t i = 0; i < count && result == 0; i++) {
        BackupFileJob *job = jobs[i];
        StorageRead *read = NULL;
        result = backup_file_open_source(shared, pg, job, &read);
        if (result == 0 && read != NULL && write == NULL) {
            StorageWriteOptions options = backup_write_options();
            result = storage_open_write(shared->repo, bundle_file, &options, &write);
        }
        if (result == 0 && read != NULL) {
            result = backup_file_store(shared, hasher, pg, job, read, write);
            if (result == 0) {
                job->bundle_id = bundle_id;
                job->bundle_offset = offset;
                offset += job->repo_size;
            }
        }
        if (result < 0)
            err_context("unable to back up '%s' into bundle %" PRIu64, job->pg_file, bundle_id);
        storage_read_free(read);
    }
    if (result == 0 && write != NULL)
        result = storage_write_close(write);
    storage_write_free(write);
    storage_free(pg);
    return result;
}

typedef struct PutSink {
    StorageWrite *write;
} PutSink;

static int
put_sink(void *context, const uint8_t *data, size_t size)
{
    return storage_write(((PutSink *)context)->write, data, size);
}

int
backup_file_put(const BackupFileShared *shared, const char *repo_file, const uint8_t *data, size_t size,
                BackupFileJob *result)
{
    BackupPipeline bp;
    backup_pipeline_build(shared, NULL, NULL, NULL, NULL, &bp);
    StorageWriteOptions options = backup_write_options();
    PutSink sink = {NULL};
    int status = storage_open_write(shared->repo, repo_file, &options, &sink.write);
    if (status == 0 && size > 0)
        status = pipeline_push(bp.pipeline, data, size, put_sink, &sink);
    if (status == 0)
        status = pipeline_finish(bp.pipeline, put_sink, &sink);
    if (status == 0)
        status = storage_write_close(sink.write);
    if (status == 0) {
        result->status = BACKUP_FILE_COPIED;
        backup_pipeline_results(&bp, result);
    }
    storage_write_free(sink.write);
    pipeline_free(bp.pipeline);
    return status;
}

int
backup_file_copy_repo(const BackupFileShared *shared, const BackupFileSource *source, const char *repo_file,
                      BackupFileJob *result)
{
    StorageRead *read = NULL;
    TRY(storage_open_read(shared->repo, source->path, 0, -1, false, &read));
    BackupPipeline bp;
    backup_pipeline_build(shared, NULL, NULL, source, NULL, &bp);
    StorageWriteOptions options = backup_write_options();
    StorageWrite *write = NULL;
    int status = storage_open_write(shared->repo, repo_file, &options, &write);
    if (status == 0)
        status = storage_copy(read, bp.pipeline, write, shared->buffer_size);
    if (status == 0)
        status = storage_write_close(write);
    if (status == 0) {
        result->status = BACKUP_FILE_COPIED;
        backup_pipeline_results(&bp, result);
    } else
        err_context("unable to copy '%s' into the backup", source->path);
    storage_write_free(write);
    pipeline_free(bp.pipeline);
    storage_read_free(read);
    return status;
}

void
backup_file_job_free(BackupFileJob *job)
{
    if (job == NULL)
        return;
    free(job->pg_file);
    free(job->repo_file);
    free(job->page_errors);
    free(job);
}
