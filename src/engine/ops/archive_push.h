/*
 * archive_push: store one WAL file in a repository's archive, as pgBackRest 2.45's archive-push does in
 * synchronous mode (spec 1.2, 2.5, 5.3, 6.2).
 *
 * Segments and partial segments are stored as archive/<stanza>/<archive id>/<16 chars>/<name>-<sha1>[.<ext>]
 * (SHA-1 of the plain bytes, compressed with compress-type, encrypted with archive.info's subpass in an
 * encrypted repo). The segment is read once: the SHA-1 runs on a second thread over the same buffers while
 * the calling thread compresses and writes; the file is written under a temp name and renamed to its final,
 * checksum-bearing name when the digest is known. A segment that is already stored with the same checksum is
 * a success with a warning; with another checksum it is refused and never overwritten. Other files (.history,
 * .backup) are stored as they are (encrypted when the repo is), replacing an older copy.
 *
 * Also holds what archive-push and archive-get share: resolving a WAL path given by PostgreSQL, and loading
 * archive.info with pgBackRest's wording for failures.
 */
#ifndef GAIAREST_ENGINE_OPS_ARCHIVE_PUSH_H
#define GAIAREST_ENGINE_OPS_ARCHIVE_PUSH_H

#include <stdbool.h>

#include "engine/repo/info_archive.h"
#include "engine/repo/repo.h"
#include "storage/filter/compress.h"

typedef struct ArchivePushOptions {
    const char *stanza;
    const char *pg_path;   /* pg1-path, NULL when not configured (then no pg_control check) */
    const char *lock_path; /* for the stop-file check */
    bool header_check;     /* archive-header-check */
    CompressType compress_type;
    int compress_level;
    unsigned compress_threads; /* lz4, zst: threads that compress one segment (0: the calling thread does) */
} ArchivePushOptions;

/* Push the WAL file at `wal_path` (as PostgreSQL gives %p: absolute, or relative to pg1-path, which must then
 * be the working directory). Errors as 2.45: ERR_STOP (stop file), ERR_REPO_INVALID wrapping the archive.info
 * load failure or a pg_control mismatch, ERR_ARCHIVE_MISMATCH (segment header from another cluster; nothing is
 * written), ERR_ARCHIVE_DUPLICATE (stored with another checksum), ERR_COMMAND (duplicates already in the
 * archive), ERR_FILE_MISSING for a missing WAL file. A same-checksum duplicate logs its warning here. */
int archive_push_file(const Repo *repo, const char *wal_path, const ArchivePushOptions *options);

/* The absolute path of a WAL path given by PostgreSQL: absolute as is; relative needs `pg_path`
 * (ERR_OPTION_REQUIRED otherwise, with `command`'s hint) and the working directory to be pg_path
 * (ERR_OPTION_INVALID_VALUE otherwise). Owned by the caller. */
int archive_wal_path_resolve(const char *pg_path, const char *wal_path, char **full);

/* Load archive/<stanza>/archive.info of `repo` (with .copy fallback and decryption; the loader's code, message
 * and hints on failure). */
int archive_info_load(const Repo *repo, const char *stanza, InfoArchive *info);

/* Wrap the current error as 2.45 reports a failed repository: ERR_REPO_INVALID with
 * "unable to find a valid repository:\nrepo<N>: [<ErrName>] <message>" (the hint is kept). Returns -1. */
int archive_repo_invalid(const Repo *repo);

#endif
