/*
 * backup_file: the job that copies one data-directory file into a backup, run by a pool worker.
 *
 * One pass over the file: read -> [page check] -> sha1 -> size -> [compress] -> [cipher] -> size(repo) ->
 * sha1(repo) -> write. The worker fills the job's result; the coordinator alone moves it into the manifest.
 * Small files may instead be packed one after the other into a bundle object (repo-bundle), each with its offset.
 * In delta mode a file that the manifest references from a prior backup is first only checksummed: when the
 * checksum is the prior's, nothing is written and the reference stays. A file kept from a resumed backup is first
 * read back from the repository (decrypted, decompressed): when its checksum and size are the ones the resumed
 * manifest recorded, it is kept as it is; otherwise it is copied again.
 */
#ifndef GAIAREST_ENGINE_OPS_BACKUP_FILE_H
#define GAIAREST_ENGINE_OPS_BACKUP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/filter/cipher.h"
#include "storage/filter/compress.h"
#include "engine/ops/hash_thread.h"
#include "storage/storage.h"

/* What every job of one backup shares (read-only while the workers run). */
typedef struct BackupFileShared {
    Storage *repo;             /* repository storage; used by one thread only (an S3 storage's HTTP client is not
                                * shared): each copy worker has its own, opened from repo_index */
    unsigned repo_index;
    CompressType compress_type;
    int compress_level;
    CipherType cipher_type;
    const char *cipher_pass;   /* the manifest subpass, NULL when not encrypted */
    size_t buffer_size;
    bool hash_threads;         /* each worker hashes data files on a thread of its own */
    unsigned compress_threads; /* > 1: files of BACKUP_FILE_THREADED_SIZE or more are compressed on this many
                                * threads (one frame, as a single thread writes it) */
} BackupFileShared;

/* Files at least this large (by their size in the manifest) may be compressed on several threads. */
#define BACKUP_FILE_THREADED_SIZE ((uint64_t)64 << 20)

typedef enum BackupFileStatus {
    BACKUP_FILE_COPIED,    /* written to the repository */
    BACKUP_FILE_UNCHANGED, /* delta: the checksum equals the prior's, nothing written */
    BACKUP_FILE_MISSING,   /* removed from the data directory since the manifest was built */
    BACKUP_FILE_RESUMED,   /* resume: the copy already in the repository checks out, nothing written */
} BackupFileStatus;

typedef struct BackupFileJob {
    size_t file_index;       /* index in the manifest's file array */
    char *pg_file;           /* absolute path in the data directory (owned) */
    char *repo_file;         /* repository path "backup/<stanza>/<label>/<name>[.<ext>]" (owned) */
    bool page_check;         /* verify page checksums */
    uint32_t segment_no;     /* relation segment (".N") for block numbers */
    uint64_t size_hint;      /* its size when the manifest was built (the copy may find another) */
    bool delta_check;        /* compare with `checksum` first */
    char checksum[41];       /* delta: the prior's checksum; resume: the resumed manifest's */
    bool resume_check;       /* verify the copy already at repo_file against `checksum` and resume_size first */
    uint64_t resume_size;
    /* results */
    BackupFileStatus status;
    uint64_t bundle_id;      /* the bundle it was stored in (bni), 0 when stored as a file of its own */
    uint64_t bundle_offset;  /* its offset in the bundle (bno) */
    uint64_t size;           /* bytes copied */
    uint64_t repo_size;
    char result_checksum[41];
    char repo_checksum[41];
    bool page_checked;
    bool page_valid;
    bool page_aligned;
    uint32_t *page_errors;   /* invalid block numbers (owned) */
    size_t page_error_count;
} BackupFileJob;

/* Run one job. `hasher`, when not NULL, is the calling worker's hashing thread: the file's SHA-1 is computed there
 * while this thread checks pages and compresses (used when the cores outnumber the workers). */
int backup_file_run(const BackupFileShared *shared, HashThread *hasher, BackupFileJob *job);

/* Run the jobs of one bundle (repo-bundle): the files that need storing are written one after the other into
 * `bundle_file` ("backup/<stanza>/<label>/bundle/<bundle_id>"), each a complete compressed and encrypted stream of
 * its own; each stored job gets bundle_id and its offset, its length being repo_size. Jobs settled without a copy
 * (delta, removed) take no space; when none is stored the bundle is not created. */
int backup_file_bundle_run(const BackupFileShared *shared, HashThread *hasher, const char *bundle_file,
                           uint64_t bundle_id, BackupFileJob *const *jobs, size_t count);

/* Store `size` bytes from memory (backup_label, tablespace_map) through the same pipeline into `repo_file`;
 * fills the job's result fields. */
int backup_file_put(const BackupFileShared *shared, const char *repo_file, const uint8_t *data, size_t size,
                    BackupFileJob *result);

/* Where a repository file to copy into a backup comes from (archive-copy: a WAL segment in the archive). */
typedef struct BackupFileSource {
    const char *path;          /* repository path of the stored file */
    CompressType compress_type; /* from its extension */
    const char *cipher_pass;   /* archive.info's subpass, NULL when not encrypted */
} BackupFileSource;

/* Copy a file of the same repository into the backup at `repo_file`: decrypted and decompressed, then through the
 * backup's pipeline (sha1, size, compress, cipher); fills the result fields of `result`. */
int backup_file_copy_repo(const BackupFileShared *shared, const BackupFileSource *source, const char *repo_file,
                          BackupFileJob *result);

/* Release a job and its strings (NULL is allowed). */
void backup_file_job_free(BackupFileJob *job);

#endif
