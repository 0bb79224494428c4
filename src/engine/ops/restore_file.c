/* restore_file: one file of a restore (see restore_file.h). */
#include "engine/ops/restore_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/mem.h"
#include "storage/filter/cipher.h"
#include "storage/filter/filter.h"
#include "storage/filter/hash.h"

void
restore_file_job_clear(RestoreFileJob *job)
{
    free(job->dest);
    free(job->repo_path);
    job->dest = NULL;
    job->repo_path = NULL;
}

/* Mode, owner and time of a file that is already in place. */
static int
restore_file_attributes(const RestoreFileJob *job)
{
    if (chmod(job->dest, job->mode) != 0)
        return err_set_errno(ERR_FILE_MODE, errno, "unable to set mode for '%s'", job->dest);
    if (job->set_owner && lchown(job->dest, job->uid, job->gid) != 0)
        return err_set_errno(ERR_FILE_OWNER, errno, "unable to set ownership for '%s'", job->dest);
    struct timespec times[2] = {{.tv_sec = (time_t)job->mtime}, {.tv_sec = (time_t)job->mtime}};
    if (utimensat(AT_FDCWD, job->dest, times, AT_SYMLINK_NOFOLLOW) != 0)
        return err_set_errno(ERR_FILE_WRITE, errno, "unable to set time for '%s'", job->dest);
    return 0;
}

/* SHA-1 of an existing file (delta). */
static int
restore_file_hash_existing(const RestoreFileSettings *settings, Storage *pg, const RestoreFileJob *job, char *hex)
{
    StorageRead *read = NULL;
    TRY(storage_open_read(pg, job->dest, 0, (int64_t)job->size, false, &read));
    Pipeline *pipeline = pipeline_new();
    Filter *hash = pipeline_add(pipeline, filter_hash_new(HASH_SHA1));
    int result = storage_copy(read, pipeline, NULL, settings->buffer_size);
    if (result == 0)
        memcpy(hex, filter_hash_hex(hash), HASH_SHA1_HEX_SIZE);
    pipeline_free(pipeline);
    storage_read_free(read);
    return result;
}

/* Delta: whether the file in place already holds the backed-up content. */
static int
restore_file_matches(const RestoreFileSettings *settings, Storage *pg, const RestoreFileJob *job, bool *matches)
{
    *matches = false;
    struct stat st;
    if (lstat(job->dest, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return err_set_errno(ERR_FILE_OPEN, errno, "unable to get info for '%s'", job->dest);
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < job->size)
        return 0;
    if (settings->force) {
        *matches = (uint64_t)st.st_size == job->size && (int64_t)st.st_mtime == job->mtime;
        return 0;
    }
    /* A file that grew (e.g. postgresql.auto.conf with recovery settings appended) matches when its first
     * `size` bytes do; it is then cut back to the backed-up size, as 2.45 does. */
    if (job->size > 0) {
        char hex[HASH_SHA1_HEX_SIZE];
        TRY(restore_file_hash_existing(settings, pg, job, hex));
        if (strcmp(hex, job->checksum) != 0)
            return 0;
    }
    if ((uint64_t)st.st_size > job->size && truncate(job->dest, (off_t)job->size) != 0)
        return err_set_errno(ERR_FILE_WRITE, errno, "unable to truncate '%s'", job->dest);
    *matches = true;
    return 0;
}

/* A file of `size` bytes of zeros that takes no space (or an empty file). */
static int
restore_file_sparse(const RestoreFileJob *job)
{
    int fd = open(job->dest, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, job->mode);
    if (fd < 0)
        return err_set_errno(ERR_FILE_OPEN, errno, "unable to open file '%s' for write", job->dest);
    int result = 0;
    if (job->size > 0 && ftruncate(fd, (off_t)job->size) != 0)
        result = err_set_errno(ERR_FILE_WRITE, errno, "unable to size '%s'", job->dest);
    if (close(fd) != 0 && result == 0)
        result = err_set_errno(ERR_FILE_CLOSE, errno, "unable to close file '%s'", job->dest);
    TRY(result);
    return restore_file_attributes(job);
}

/* The read -> [decrypt] -> [decompress] -> sha1 -> size pipeline; *hash and *size point into it. */
static Pipeline *
restore_file_pipeline(const RestoreFileSettings *settings, const RestoreFileJob *job, Filter **hash, Filter **size)
{
    bool raw = settings->bundle_raw && job->bundled;
    Pipeline *pipeline = pipeline_new();
    if (settings->cipher_pass != NULL)
        pipeline_add(pipeline,
                     filter_cipher_new(CIPHER_DECRYPT, settings->cipher_pass, strlen(settings->cipher_pass), raw));
    if (settings->compress_type != COMPRESS_NONE)
        filter_decompress_skip_checksum(pipeline_add(pipeline, filter_decompress_new(settings->compress_type, raw)));
    *hash = pipeline_add(pipeline, filter_hash_new(HASH_SHA1));
    *size = pipeline_add(pipeline, filter_size_new());
    return pipeline;
}

/* Check what came out of the pipeline against the manifest. */
static int
restore_file_verify(const RestoreFileJob *job, Storage *repo, const Filter *hash, const Filter *size)
{
    uint64_t actual_size = filter_size_bytes(size);
    const char *actual = filter_hash_hex(hash);
    if (actual_size == job->size && strcmp(actual, job->checksum) == 0)
        return 0;
    char *repo_full = storage_path(repo, job->repo_path);
    if (actual_size != job->size)
        err_set(ERR_CHECKSUM,
                "error restoring '%s': actual size %llu does not match expected size %llu (repo file '%s')",
                job->name, (unsigned long long)actual_size, (unsigned long long)job->size,
                repo_full != NULL ? repo_full : job->repo_path);
    else
        err_set(ERR_CHECKSUM,
                "error restoring '%s': actual checksum '%s' does not match expected checksum '%s' (repo file '%s')",
                job->name, actual, job->checksum, repo_full != NULL ? repo_full : job->repo_path);
    free(repo_full);
    return -1;
}

/* Write what `read` holds for this file (its next `part` bytes, or to its end with STORAGE_COPY_ALL) into
 * "<dest>.pgbackrest.tmp" through the pipeline, verify, rename into place. */
static int
restore_file_write(const RestoreFileSettings *settings, Storage *repo, Storage *pg, RestoreFileJob *job,
                   StorageRead *read, uint64_t part)
{
    StorageWriteOptions options = storage_write_options_default();
    options.sync_file = false;
    options.sync_path = false;
    options.writeback = true; /* made durable by the final syncfs(): start writing now */
    options.mode_file = job->mode;
    options.mtime = job->mtime;
    StorageWrite *write = NULL;
    TRY(storage_open_write(pg, job->dest, &options, &write));

    Filter *hash = NULL;
    Filter *size = NULL;
    Pipeline *pipeline = restore_file_pipeline(settings, job, &hash, &size);
    int result = storage_copy_part(read, pipeline, write, settings->buffer_size, part);
    if (result < 0) {
        char *repo_full = storage_path(repo, job->repo_path);
        err_context("unable to restore '%s' from repo file '%s'", job->name,
                    repo_full != NULL ? repo_full : job->repo_path);
        free(repo_full);
    }
    if (result == 0)
        result = restore_file_verify(job, repo, hash, size);
    if (result == 0)
        result = storage_write_close(write);
    pipeline_free(pipeline);
    storage_write_free(write);
    TRY(result);

    if (job->set_owner && lchown(job->dest, job->uid, job->gid) != 0)
        return err_set_errno(ERR_FILE_OWNER, errno, "unable to set ownership for '%s'", job->dest);
    return 0;
}

/* Copy from the repository into "<dest>.pgbackrest.tmp", verify, rename into place. */
static int
restore_file_copy(const RestoreFileSettings *settings, Storage *repo, Storage *pg, RestoreFileJob *job)
{
    StorageRead *read = NULL;
    TRY(storage_open_read(repo, job->repo_path, job->repo_offset, job->repo_limit, false, &read));
    int result = restore_file_write(settings, repo, pg, job, read, STORAGE_COPY_ALL);
    storage_read_free(read);
    return result;
}

/* What can be settled without the repository: a zeroed file, a file that delta finds in place, an empty file.
 * *settled tells whether the job is done. */
static int
restore_file_settle(const RestoreFileSettings *settings, Storage *pg, RestoreFileJob *job, bool *settled)
{
    *settled = true;
    if (job->zeroed) {
        job->result = RESTORE_FILE_ZEROED;
        return restore_file_sparse(job);
    }
    if (settings->delta) {
        bool matches = false;
        TRY(restore_file_matches(settings, pg, job, &matches));
        if (matches) {
            job->result = RESTORE_FILE_MATCHED;
            return restore_file_attributes(job);
        }
    }
    job->result = RESTORE_FILE_COPIED;
    if (job->size == 0 || job->repo_path == NULL)
        return restore_file_sparse(job);
    *settled = false;
    return 0;
}

int
restore_file_run(const RestoreFileSettings *settings, Storage *repo, Storage *pg, RestoreFileJob *job)
{
    bool settled = false;
    TRY(restore_file_settle(settings, pg, job, &settled));
    return settled ? 0 : restore_file_copy(settings, repo, pg, job);
}

typedef struct RestoreBundleRead {
    const RestoreFileSettings *settings;
    Storage *repo;
    Storage *pg;
    RestoreFileJob **jobs; /* the files read from the bundle, in slice order */
} RestoreBundleRead;

static int
restore_bundle_reader(void *context, size_t index, StorageRead *read, uint64_t size)
{
    RestoreBundleRead *bundle = context;
    return restore_file_write(bundle->settings, bundle->repo, bundle->pg, bundle->jobs[index], read, size);
}

int
restore_file_bundle_run(const RestoreFileSettings *settings, Storage *repo, Storage *pg, RestoreFileJob **jobs,
                        size_t count)
{
    /* the files to read, in bundle order */
    RestoreFileJob **reads = mem_calloc(count + 1, sizeof(*reads));
    StorageSlice *slices = mem_calloc(count + 1, sizeof(*slices));
    size_t read_count = 0;
    int result = 0;
    for (size_t i = 0; i < count && result == 0; i++) {
        bool settled = false;
        result = restore_file_settle(settings, pg, jobs[i], &settled);
        if (result == 0 && !settled) {
            slices[read_count] = (StorageSlice){jobs[i]->repo_offset, (uint64_t)jobs[i]->repo_limit};
            reads[read_count++] = jobs[i];
        }
    }
    if (result == 0 && read_count > 0) {
        RestoreBundleRead bundle = {settings, repo, pg, reads};
        bool found = true;
        result = storage_read_slices(repo, reads[0]->repo_path, slices, read_count, STORAGE_SLICE_GAP_MAX,
                                     settings->buffer_size, false, &found, restore_bundle_reader, &bundle);
    }
    free(slices);
    free(reads);
    return result;
}
