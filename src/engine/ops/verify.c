/* verify: check every WAL segment and backup file of a repository on worker threads (see verify.h). */
#include "engine/ops/verify.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "engine/repo/info_archive.h"
#include "engine/repo/info_backup.h"
#include "engine/repo/layout.h"
#include "engine/repo/manifest.h"
#include "engine/repo/repo.h"
#include "protocol/pool.h"
#include "storage/filter/cipher.h"
#include "storage/filter/compress.h"
#include "storage/filter/hash.h"

#define VERIFY_BUFFER_SIZE ((size_t)256 * 1024)
#define SEGMENT_DIR_REGEX "^[0-9A-F]{16}$"
#define SEGMENT_STORED_REGEX "^[0-9A-F]{24}(\\.partial)?-[0-9a-f]{40}(\\.(gz|lz4|zst|bz2|xz))?$"

typedef enum VerifyResult {
    VERIFY_OK,
    VERIFY_MISSING,
    VERIFY_CHECKSUM,
    VERIFY_SIZE,
    VERIFY_OTHER,
} VerifyResult;

/* One stored file to read and check (a WAL segment or a backup file, read once even when referenced). */
typedef struct VerifyJob {
    char *path;           /* relative to the repository root */
    char *display;        /* relative to archive/<stanza> or backup/<stanza>, for the log */
    uint64_t offset;      /* bundles */
    int64_t limit;        /* -1: to the end */
    CompressType compress;
    bool raw;
    const char *pass;     /* subpass (borrowed from the info file or manifest), NULL when not encrypted */
    char checksum[HASH_SHA1_HEX_SIZE];
    bool check_size;
    uint64_t size;
    bool check_repo_size;
    uint64_t repo_size;
    VerifyResult result;
} VerifyJob;

typedef struct VerifyCounts {
    size_t checked;
    size_t valid;
    size_t by_result[VERIFY_OTHER + 1];
} VerifyCounts;

/* ------------------------------------------------------------------------------------------------------------------ */
/* Workers                                                                                                            */
/* ------------------------------------------------------------------------------------------------------------------ */
static int
verify_worker_init(void *shared, unsigned worker_index, void **context)
{
    log_set_process_id(worker_index + 1);
    Repo *repo = mem_calloc(1, sizeof(Repo));
    if (repo_open(*(unsigned *)shared, false, repo) < 0) {
        free(repo);
        return -1;
    }
    *context = repo;
    return 0;
}

static void
verify_worker_free(void *context)
{
    repo_close(context);
    free(context);
}

/* Check what `read` holds for the job: its next `part` bytes (a slice of a bundle), or to its end with
 * STORAGE_COPY_ALL. */
static VerifyResult
verify_check(StorageRead *read, const VerifyJob *job, uint64_t part)
{
    Pipeline *pipeline = pipeline_new();
    Filter *repo_size = pipeline_add(pipeline, filter_size_new());
    if (job->pass != NULL)
        pipeline_add(pipeline, filter_cipher_new(CIPHER_DECRYPT, job->pass, strlen(job->pass), job->raw));
    if (job->compress != COMPRESS_NONE)
        filter_decompress_skip_checksum(pipeline_add(pipeline, filter_decompress_new(job->compress, job->raw)));
    Filter *sha1 = pipeline_add(pipeline, filter_hash_new(HASH_SHA1));
    Filter *size = pipeline_add(pipeline, filter_size_new());
    /* Bytes that do not decrypt or decompress cannot have the right checksum: 2.45 reports them so too. */
    VerifyResult result = VERIFY_CHECKSUM;
    if (storage_copy_part(read, pipeline, NULL, VERIFY_BUFFER_SIZE, part) == 0) {
        if (job->check_repo_size && filter_size_bytes(repo_size) != job->repo_size)
            result = VERIFY_SIZE;
        else if (strcmp(filter_hash_hex(sha1), job->checksum) != 0)
            result = VERIFY_CHECKSUM;
        else if (job->check_size && filter_size_bytes(size) != job->size)
            result = VERIFY_SIZE;
        else
            result = VERIFY_OK;
    } else
        err_clear();
    pipeline_free(pipeline);
    return result;
}

static VerifyResult
verify_read(Storage *storage, VerifyJob *job)
{
    StorageRead *read = NULL;
    if (storage_open_read(storage, job->path, job->offset, job->limit, true, &read) < 0)
        return VERIFY_OTHER;
    if (read == NULL)
        return VERIFY_MISSING;
    VerifyResult result = verify_check(read, job, STORAGE_COPY_ALL);
    storage_read_free(read);
    return result;
}

/* What a worker is given at a time: a WAL segment or backup file, or the files of one bundle in offset order. */
typedef struct VerifyUnit {
    VerifyJob **jobs;
    size_t count;
    bool bundle;
} VerifyUnit;

static int
verify_slice_reader(void *context, size_t index, StorageRead *read, uint64_t size)
{
    VerifyJob *job = ((VerifyUnit *)context)->jobs[index];
    job->result = verify_check(read, job, size);
    return 0; /* a bad slice is this file's problem: the read goes on with the next one */
}

/* One read per run of nearby slices (storage_read_slices); a missing bundle makes every file in it missing, a
 * read that breaks leaves the files it did not reach as "other". */
static void
verify_bundle(Storage *storage, VerifyUnit *unit)
{
    StorageSlice *slices = mem_calloc(unit->count + 1, sizeof(*slices));
    for (size_t index = 0; index < unit->count; index++) {
        slices[index] = (StorageSlice){unit->jobs[index]->offset, (uint64_t)unit->jobs[index]->limit};
        unit->jobs[index]->result = VERIFY_OTHER;
    }
    bool found = true;
    if (storage_read_slices(storage, unit->jobs[0]->path, slices, unit->count, STORAGE_SLICE_GAP_MAX,
                            VERIFY_BUFFER_SIZE, true, &found, verify_slice_reader, unit) < 0)
        err_clear();
    else if (!found)
        for (size_t index = 0; index < unit->count; index++)
            unit->jobs[index]->result = VERIFY_MISSING;
    free(slices);
}

static void
verify_job_log(const VerifyJob *job)
{
    switch (job->result) {
    case VERIFY_MISSING:
        LOG_INFO("file missing '%s'", job->display);
        break;
    case VERIFY_CHECKSUM:
        LOG_INFO("invalid checksum '%s'", job->display);
        break;
    case VERIFY_SIZE:
        LOG_INFO("invalid size '%s'", job->display);
        break;
    case VERIFY_OTHER:
        LOG_INFO("invalid verify '%s'", job->display);
        break;
    case VERIFY_OK:
        break;
    }
}

static int
verify_unit_run(void *context, void *unit_pointer)
{
    VerifyUnit *unit = unit_pointer;
    Storage *storage = ((Repo *)context)->storage;
    if (unit->bundle)
        verify_bundle(storage, unit);
    else
        unit->jobs[0]->result = verify_read(storage, unit->jobs[0]);
    for (size_t index = 0; index < unit->count; index++)
        verify_job_log(unit->jobs[index]);
    return 0;
}

static void
verify_unit_free(VerifyUnit *unit)
{
    if (unit == NULL)
        return;
    free(unit->jobs);
    free(unit);
}

static void
verify_job_free(VerifyJob *job)
{
    if (job == NULL)
        return;
    free(job->path);
    free(job->display);
    free(job);
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* The work list                                                                                                      */
/* ------------------------------------------------------------------------------------------------------------------ */
typedef struct VerifyArchive {
    char *archive_id;
    VerifyJob **jobs;
    size_t job_count;
} VerifyArchive;

typedef struct VerifyBackup {
    const char *label;
    Manifest manifest;
    bool loaded;
    VerifyJob **jobs;      /* parallel to manifest.files; NULL: nothing to read (empty file) */
    bool *owned;           /* jobs[i] created for this backup (not borrowed from a referenced one) */
} VerifyBackup;

typedef struct VerifyWork {
    Pool *pool;
    VerifyArchive *archives;
    size_t archive_count;
    VerifyBackup *backups;
    size_t backup_count;
} VerifyWork;

/* Hand a unit to the workers (it is freed when its result comes back; its jobs are not). */
static void
verify_submit_unit(VerifyWork *work, VerifyUnit *unit)
{
    pool_submit(work->pool, unit);
    PoolResult result;
    while (pool_result_try(work->pool, &result)) {
        verify_unit_free(result.job);
        pool_result_clear(&result);
    }
}

static void
verify_submit(VerifyWork *work, VerifyJob *job)
{
    VerifyUnit *unit = mem_calloc(1, sizeof(VerifyUnit));
    unit->jobs = mem_calloc(1, sizeof(VerifyJob *));
    unit->jobs[0] = job;
    unit->count = 1;
    verify_submit_unit(work, unit);
}

/* Bundled files of one backup (in `jobs`), submitted as one unit per bundle, in offset order. */
static int
verify_bundle_order(const void *a, const void *b)
{
    const VerifyJob *left = *(VerifyJob *const *)a;
    const VerifyJob *right = *(VerifyJob *const *)b;
    int path = strcmp(left->path, right->path);
    if (path != 0)
        return path;
    return left->offset < right->offset ? -1 : left->offset > right->offset;
}

static void
verify_submit_bundles(VerifyWork *work, VerifyJob **jobs, size_t count)
{
    qsort(jobs, count, sizeof(*jobs), verify_bundle_order);
    for (size_t first = 0; first < count;) {
        size_t last = first;
        while (last + 1 < count && strcmp(jobs[last + 1]->path, jobs[first]->path) == 0)
            last++;
        VerifyUnit *unit = mem_calloc(1, sizeof(VerifyUnit));
        unit->count = last - first + 1;
        unit->jobs = mem_calloc(unit->count, sizeof(VerifyJob *));
        memcpy(unit->jobs, &jobs[first], unit->count * sizeof(VerifyJob *));
        unit->bundle = true;
        verify_submit_unit(work, unit);
        first = last + 1;
    }
}

static int
verify_archive_dir(VerifyWork *work, Storage *storage, const char *stanza, VerifyArchive *archive, const char *dir,
                   const char *pass)
{
    char *dir_path = mem_printf("archive/%s/%s/%s", stanza, archive->archive_id, dir);
    char **names = NULL;
    size_t count = 0;
    int result = storage_list_names(storage, dir_path, SEGMENT_STORED_REGEX, true, &names, &count);
    if (result == 0) {
        archive->jobs = mem_realloc(archive->jobs, (archive->job_count + count + 1) * sizeof(VerifyJob *));
        for (size_t index = 0; index < count; index++) {
            VerifyJob *job = mem_calloc(1, sizeof(VerifyJob));
            job->path = mem_printf("%s/%s", dir_path, names[index]);
            job->display = mem_printf("%s/%s/%s", archive->archive_id, dir, names[index]);
            job->limit = -1;
            job->compress = compress_type_from_name(names[index]);
            job->pass = pass;
            const char *dash = strchr(names[index], '-');
            memcpy(job->checksum, dash + 1, 40);
            archive->jobs[archive->job_count++] = job;
            verify_submit(work, job);
        }
    }
    storage_names_free(names, count);
    free(dir_path);
    return result;
}

static int
verify_archive_plan(VerifyWork *work, Storage *storage, const char *stanza, const char *pass)
{
    char *archive_path = layout_archive_stanza_path(stanza);
    char **ids = NULL;
    size_t id_count = 0;
    int result = storage_list_names(storage, archive_path, ARCHIVE_ID_REGEX, true, &ids, &id_count);
    work->archives = mem_calloc(id_count + 1, sizeof(VerifyArchive));
    for (size_t index = 0; result == 0 && index < id_count; index++) {
        VerifyArchive *archive = &work->archives[work->archive_count++];
        archive->archive_id = mem_strdup(ids[index]);
        char *id_path = mem_printf("%s/%s", archive_path, ids[index]);
        char **dirs = NULL;
        size_t dir_count = 0;
        result = storage_list_names(storage, id_path, SEGMENT_DIR_REGEX, true, &dirs, &dir_count);
        for (size_t dir = 0; result == 0 && dir < dir_count; dir++)
            result = verify_archive_dir(work, storage, stanza, archive, dirs[dir], pass);
        storage_names_free(dirs, dir_count);
        free(id_path);
    }
    storage_names_free(ids, id_count);
    free(archive_path);
    return result;
}

static VerifyBackup *
verify_backup_find(VerifyWork *work, const char *label)
{
    for (size_t index = 0; index < work->backup_count; index++)
        if (strcmp(work->backups[index].label, label) == 0)
            return &work->backups[index];
    return NULL;
}

static CompressType
manifest_compress(const Manifest *manifest)
{
    if (manifest->options.compress_type != NULL) {
        int type = compress_type_parse(manifest->options.compress_type);
        return type >= 0 ? (CompressType)type : COMPRESS_NONE;
    }
    return manifest->options.compress ? COMPRESS_GZ : COMPRESS_NONE;
}

static VerifyJob *
verify_backup_job(const char *stanza, const char *label, const Manifest *manifest, const ManifestFile *file)
{
    VerifyJob *job = mem_calloc(1, sizeof(VerifyJob));
    CompressType compress = manifest_compress(manifest);
    const char *ext = compress_type_ext(compress);
    if (file->bundle_id != 0) {
        job->path = mem_printf("backup/%s/%s/bundle/%llu", stanza, label, (unsigned long long)file->bundle_id);
        job->display = mem_printf("%s/bundle/%llu/%s", label, (unsigned long long)file->bundle_id, file->name);
        job->offset = file->bundle_offset;
        job->limit = (int64_t)file->repo_size;
    } else {
        job->path = mem_printf("backup/%s/%s/%s%s%s", stanza, label, file->name, ext[0] != '\0' ? "." : "", ext);
        job->display = mem_printf("%s/%s%s%s", label, file->name, ext[0] != '\0' ? "." : "", ext);
        job->limit = -1;
    }
    job->compress = compress;
    job->raw = manifest->backup.bundle_raw;
    job->pass = manifest->cipher_pass;
    memcpy(job->checksum, file->has_checksum ? file->checksum : MANIFEST_SHA1_EMPTY, 40);
    job->check_size = true;
    job->size = file->size;
    job->check_repo_size = file->repo_size != 0;
    job->repo_size = file->repo_size;
    return job;
}

static int
verify_backup_plan_one(VerifyWork *work, Storage *storage, const char *stanza, const InfoBackup *info,
                       CipherType cipher_type, VerifyBackup *backup)
{
    char *path = mem_printf("backup/%s/%s/%s", stanza, backup->label, MANIFEST_FILE);
    int result = manifest_load(storage, path, cipher_type, info->cipher_pass, &backup->manifest);
    free(path);
    if (result < 0) {
        LOG_INFO("unable to load manifest of backup %s: %s", backup->label, err_message());
        return 0;
    }
    backup->loaded = true;
    const Manifest *manifest = &backup->manifest;
    backup->jobs = mem_calloc(manifest->file_count + 1, sizeof(VerifyJob *));
    backup->owned = mem_calloc(manifest->file_count + 1, sizeof(bool));
    VerifyJob **bundled = mem_calloc(manifest->file_count + 1, sizeof(VerifyJob *));
    size_t bundled_count = 0;
    for (size_t index = 0; index < manifest->file_count; index++) {
        const ManifestFile *file = &manifest->files[index];
        if (file->size == 0 || file->block_incr_size != 0)
            continue; /* nothing stored to read (or a block map gaiarest does not read) */
        if (file->reference != NULL) {
            VerifyBackup *prior = verify_backup_find(work, file->reference);
            const ManifestFile *found = prior != NULL && prior->loaded ? manifest_file_find(&prior->manifest, file->name)
                                                                       : NULL;
            if (found != NULL && found->reference == NULL) {
                backup->jobs[index] = prior->jobs[found - prior->manifest.files];
                continue;
            }
        }
        VerifyJob *job = verify_backup_job(stanza, file->reference != NULL ? file->reference : backup->label,
                                           manifest, file);
        backup->jobs[index] = job;
        backup->owned[index] = true;
        if (file->bundle_id != 0)
            bundled[bundled_count++] = job;
        else
            verify_submit(work, job);
    }
    verify_submit_bundles(work, bundled, bundled_count);
    free(bundled);
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Summary                                                                                                            */
/* ------------------------------------------------------------------------------------------------------------------ */
static void
counts_add(VerifyCounts *counts, const VerifyJob *job)
{
    counts->checked++;
    VerifyResult result = job != NULL ? job->result : VERIFY_OK;
    counts->by_result[result]++;
    if (result == VERIFY_OK)
        counts->valid++;
}

static void
counts_render(const VerifyCounts *counts, bool verbose, Buf *out)
{
    static const char *const names[] = {NULL, "missing", "checksum invalid", "size invalid", "other"};
    static const VerifyResult order[] = {VERIFY_MISSING, VERIFY_CHECKSUM, VERIFY_SIZE, VERIFY_OTHER};
    buf_append_str(out, "    ");
    bool first = true;
    for (size_t index = 0; index < sizeof(order) / sizeof(order[0]); index++) {
        size_t value = counts->by_result[order[index]];
        if (!verbose && value == 0)
            continue;
        buf_printf(out, "%s%s: %zu", first ? "" : ", ", names[order[index]], value);
        first = false;
    }
    buf_append_char(out, '\n');
}

static bool
verify_summary(const VerifyWork *work, const char *stanza, bool verbose, Buf *summary)
{
    Buf body;
    buf_init(&body);
    bool ok = true;
    for (size_t index = 0; index < work->archive_count; index++) {
        const VerifyArchive *archive = &work->archives[index];
        VerifyCounts counts = {0};
        for (size_t job = 0; job < archive->job_count; job++)
            counts_add(&counts, archive->jobs[job]);
        if (archive->job_count > 0)
            LOG_DETAIL("archiveId: %s, wal start: %.24s, wal stop: %.24s", archive->archive_id,
                       strrchr(archive->jobs[0]->path, '/') + 1,
                       strrchr(archive->jobs[archive->job_count - 1]->path, '/') + 1);
        bool valid = counts.valid == counts.checked;
        ok = ok && valid;
        if (valid && !verbose)
            continue;
        buf_printf(&body, "  archiveId: %s, total WAL checked: %zu, total valid WAL: %zu\n", archive->archive_id,
                   counts.checked, counts.valid);
        counts_render(&counts, verbose, &body);
    }
    for (size_t index = 0; index < work->backup_count; index++) {
        const VerifyBackup *backup = &work->backups[index];
        VerifyCounts counts = {0};
        if (backup->loaded)
            for (size_t file = 0; file < backup->manifest.file_count; file++)
                counts_add(&counts, backup->jobs[file]);
        bool valid = backup->loaded && counts.valid == counts.checked;
        ok = ok && valid;
        if (valid && !verbose)
            continue;
        buf_printf(&body, "  backup: %s, status: %s, total files checked: %zu, total valid files: %zu\n",
                   backup->label, !backup->loaded ? "manifest missing" : valid ? "valid" : "invalid", counts.checked,
                   counts.valid);
        counts_render(&counts, verbose, &body);
    }
    if (!ok || verbose)
        buf_printf(summary, "stanza: %s\nstatus: %s\n%s", stanza, ok ? "ok" : "error", buf_str(&body));
    buf_free(&body);
    return ok;
}

static void
verify_work_free(VerifyWork *work)
{
    for (size_t index = 0; index < work->archive_count; index++) {
        for (size_t job = 0; job < work->archives[index].job_count; job++)
            verify_job_free(work->archives[index].jobs[job]);
        free(work->archives[index].jobs);
        free(work->archives[index].archive_id);
    }
    free(work->archives);
    for (size_t index = 0; index < work->backup_count; index++) {
        VerifyBackup *backup = &work->backups[index];
        if (backup->loaded) {
            for (size_t file = 0; file < backup->manifest.file_count; file++)
                if (backup->owned[file])
                    verify_job_free(backup->jobs[file]);
            manifest_free(&backup->manifest);
        }
        free(backup->jobs);
        free(backup->owned);
    }
    free(work->backups);
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Entry                                                                                                              */
/* ------------------------------------------------------------------------------------------------------------------ */
static int
verify_plan(VerifyWork *work, Repo *repo, const char *stanza, const InfoArchive *archive_info,
            const InfoBackup *backup_info)
{
    TRY(verify_archive_plan(work, repo->storage, stanza, archive_info->cipher_pass));
    work->backups = mem_calloc(backup_info->backup_count + 1, sizeof(VerifyBackup));
    for (size_t index = 0; index < backup_info->backup_count; index++) {
        VerifyBackup *backup = &work->backups[work->backup_count++];
        backup->label = backup_info->backups[index].label;
        TRY(verify_backup_plan_one(work, repo->storage, stanza, backup_info, repo->cipher_type, backup));
    }
    return 0;
}

static int
verify_loaded(Repo *repo, unsigned repo_index, const char *stanza, unsigned process_max, bool verbose,
              const InfoArchive *archive_info, const InfoBackup *backup_info, Buf *summary, bool *ok)
{
    VerifyWork work;
    memset(&work, 0, sizeof(work));
    PoolConfig config = {.workers = process_max > 0 ? process_max : 1, .shared = &repo_index,
                         .worker_init = verify_worker_init, .worker_free = verify_worker_free, .run = verify_unit_run};
    TRY(pool_new(&config, &work.pool));
    int result = verify_plan(&work, repo, stanza, archive_info, backup_info);
    pool_close(work.pool);
    PoolResult pool_result;
    while (pool_result_wait(work.pool, &pool_result)) {
        verify_unit_free(pool_result.job);
        pool_result_clear(&pool_result);
    }
    pool_free(work.pool);
    if (result == 0)
        *ok = verify_summary(&work, stanza, verbose, summary);
    verify_work_free(&work);
    return result;
}

int
verify_repo(unsigned repo_index, const char *stanza, unsigned process_max, bool verbose, Buf *summary, bool *ok)
{
    *ok = true;
    Repo repo;
    TRY(repo_open(repo_index, false, &repo));
    char *archive_path = mem_printf("archive/%s/%s", stanza, INFO_ARCHIVE_FILE);
    char *backup_path = mem_printf("backup/%s/%s", stanza, INFO_BACKUP_FILE);
    InfoArchive archive_info;
    InfoBackup backup_info;
    memset(&archive_info, 0, sizeof(archive_info));
    memset(&backup_info, 0, sizeof(backup_info));
    int result = info_archive_load(repo.storage, archive_path, repo.cipher_type, repo.cipher_pass, &archive_info);
    if (result == 0)
        result = info_backup_load(repo.storage, backup_path, repo.cipher_type, repo.cipher_pass, &backup_info);
    if (result == 0)
        result = verify_loaded(&repo, repo_index, stanza, process_max, verbose, &archive_info, &backup_info, summary,
                               ok);
    info_backup_free(&backup_info);
    info_archive_free(&archive_info);
    free(backup_path);
    free(archive_path);
    repo_close(&repo);
    return result;
}
