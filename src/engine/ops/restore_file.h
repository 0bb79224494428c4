/*
 * restore_file: the job a restore worker runs for one file of the manifest.
 *
 * A job is one of
 *   - copy: read the stored bytes (a whole repository file, or a bundle slice at offset/limit), push them
 *     through [decrypt] -> [decompress] -> sha1 -> size into "<dest>.pgbackrest.tmp", check size and SHA-1
 *     against the manifest, then rename into place (a mismatch fails naming the repository file and leaves
 *     nothing behind);
 *   - empty: a zero-length file, created directly (the repository is never read);
 *   - zeroed: a file of an excluded database (--db-exclude/--db-include), created as a sparse file of the
 *     manifest size.
 * The files of one bundle are read together: one ranged read for slices that lie close together.
 * With delta, an existing file of the right size is compared first (SHA-1 of its content, or only its
 * timestamp with force) and kept when it matches; only its mode, owner and time are then fixed.
 * Files are not fsynced one by one: the restore syncs the file systems once at the end (see restore.h).
 */
#ifndef GAIAREST_ENGINE_OPS_RESTORE_FILE_H
#define GAIAREST_ENGINE_OPS_RESTORE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "storage/filter/compress.h"
#include "storage/storage.h"

typedef enum RestoreFileResult {
    RESTORE_FILE_COPIED,  /* written from the repository (or created empty) */
    RESTORE_FILE_MATCHED, /* delta: the existing file already matched */
    RESTORE_FILE_ZEROED,  /* selective restore: sparse file of zeros */
} RestoreFileResult;

/* What every job of one restore shares (read-only while the workers run). */
typedef struct RestoreFileSettings {
    CompressType compress_type; /* the manifest's option-compress-type */
    const char *cipher_pass;    /* the manifest's [cipher] pass, NULL when not encrypted */
    bool bundle_raw;            /* backup-bundle-raw: bundled files use raw framing */
    size_t buffer_size;         /* buffer-size */
    bool delta;                 /* --delta (or --force) */
    bool force;                 /* --force: with delta, size and timestamp decide */
} RestoreFileSettings;

typedef struct RestoreFileJob {
    /* in */
    const char *name;      /* manifest name, for messages (borrowed) */
    char *dest;            /* full destination path (owned) */
    char *repo_path;       /* path of the stored bytes in the repository storage (owned); NULL when not read */
    uint64_t repo_offset;  /* bundle offset (0 otherwise) */
    int64_t repo_limit;    /* bundle slice length, -1 for the whole file */
    bool bundled;
    uint64_t size;
    const char *checksum;  /* expected SHA-1 hex (borrowed) */
    int64_t mtime;
    mode_t mode;
    bool set_owner;        /* chown to uid/gid (only when running as root) */
    uid_t uid;
    gid_t gid;
    bool zeroed;
    /* out */
    RestoreFileResult result;
} RestoreFileJob;

/* Run one job with the worker's storages: `repo` (the repository) and `pg` (rooted at "/"). */
int restore_file_run(const RestoreFileSettings *settings, Storage *repo, Storage *pg, RestoreFileJob *job);

/* Run the jobs of files stored in one bundle (same repo_path, in offset order): the files settled without the
 * repository (delta matches, empty, zeroed) first, then the others from one ranged read per run of nearby slices
 * instead of one per file. */
int restore_file_bundle_run(const RestoreFileSettings *settings, Storage *repo, Storage *pg, RestoreFileJob **jobs,
                            size_t count);

/* Free the job's owned strings (not the struct). */
void restore_file_job_clear(RestoreFileJob *job);

#endif
