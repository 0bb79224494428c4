/*
 * archive_get: fetch one WAL file from a repository's archive, as pgBackRest 2.45's archive-get does in
 * synchronous mode (PostgreSQL's restore_command).
 *
 * The file is looked for in the archive ids of every archive.info history entry whose version and system id
 * match pg1-path's pg_control, newest first; in the first archive id that has it, more than one stored copy is
 * an error. The stored file is decrypted (archive.info's subpass) and decompressed by its extension, the
 * SHA-1 in a segment's stored name is verified while writing, and the destination is written atomically
 * (a temp name in its directory, renamed at the end): a failed fetch leaves no file behind.
 */
#ifndef GAIAREST_ENGINE_OPS_ARCHIVE_GET_H
#define GAIAREST_ENGINE_OPS_ARCHIVE_GET_H

#include <stdbool.h>

#include "engine/repo/repo.h"

typedef struct ArchiveGetOptions {
    const char *stanza;
    const char *pg_path; /* pg1-path (required by the command) */
} ArchiveGetOptions;

/* Where a WAL file was found. */
typedef struct ArchiveGetMatch {
    char *archive_id; /* "15-1", owned */
    char *path;       /* repository path of the stored file, owned */
    char *cipher_pass; /* archive.info's subpass, NULL when not encrypted; owned */
} ArchiveGetMatch;

/* Look for `wal_file` (a segment, partial, .history or .backup name) in `repo`. *found is false when it is in
 * none of the matching archive ids (not an error). Repository-level failures (archive.info, pg_control
 * mismatch: "unable to retrieve the archive id for database version '<v>' and system-id '<id>'", ERR_ARCHIVE_MISMATCH)
 * and duplicates (ERR_ARCHIVE_DUPLICATE, "duplicates found for WAL segment ...") return -1. */
int archive_get_find(const Repo *repo, const char *wal_file, const ArchiveGetOptions *options, bool *found,
                     ArchiveGetMatch *match);

/* Copy the matched file to `destination` (absolute): decrypt, decompress, verify the SHA-1 of a segment,
 * write atomically. Any failure is ERR_FILE_READ "unable to get <wal file>:\nrepo<N>: <archive id>/<stored>
 * [<ErrName>] <message>" and leaves no destination file. */
int archive_get_copy(const Repo *repo, const char *wal_file, const ArchiveGetMatch *match, const char *destination);

void archive_get_match_free(ArchiveGetMatch *match);

#endif
