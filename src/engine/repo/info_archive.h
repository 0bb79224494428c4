/*
 * info_archive: archive.info (spec 2.5): the PostgreSQL history of a stanza's WAL archive and the subpass
 * that encrypts its WAL.
 *
 *   [cipher]      cipher-pass (encrypted repos only)
 *   [db]          db-id, db-system-id, db-version
 *   [db:history]  <id>={"db-id":<system id>,"db-version":"<ver>"}  (oldest first; db-id holds the SYSTEM ID)
 *
 * Parsing and rendering are exact: a file written by pgBackRest 2.45 renders back byte for byte.
 */
#ifndef GAIAREST_ENGINE_REPO_INFO_ARCHIVE_H
#define GAIAREST_ENGINE_REPO_INFO_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "storage/filter/cipher.h"
#include "storage/storage.h"

#define INFO_ARCHIVE_FILE "archive.info"

typedef struct InfoArchiveHistory {
    unsigned id;        /* history id (1, 2, ...) */
    uint64_t system_id; /* pg_control system identifier */
    char *version;      /* "15" */
} InfoArchiveHistory;

typedef struct InfoArchive {
    char *cipher_pass;  /* WAL subpass, NULL when the repo is not encrypted */
    unsigned db_id;     /* current history id */
    uint64_t db_system_id;
    char *db_version;
    InfoArchiveHistory *history; /* oldest first */
    size_t history_count;
} InfoArchive;

/* Parse the plain text of archive.info into `info` (zeroed on failure). */
int info_archive_parse(const char *text, size_t size, InfoArchive *info);

/* Append the text of archive.info (with checksum) to `out`. */
void info_archive_render(const InfoArchive *info, Buf *out);

/* The history entry of the current db-id (NULL when the file is inconsistent). */
const InfoArchiveHistory *info_archive_current(const InfoArchive *info);

/* The archive id "<version>-<id>" of a history entry (e.g. "15-1"), owned by the caller. */
char *info_archive_id(const InfoArchiveHistory *history);

/* Add a history entry (id = last id + 1, or 1) and make it current (stanza-create, stanza-upgrade). */
void info_archive_history_add(InfoArchive *info, uint64_t system_id, const char *version);

/* Load <path> (e.g. "archive/demo/archive.info") with .copy fallback, decrypting with `pass` (the repo
 * passphrase) when cipher_type != CIPHER_NONE. */
int info_archive_load(Storage *storage, const char *path, CipherType cipher_type, const char *pass,
                      InfoArchive *info);

/* Save <path> and <path>.copy. */
int info_archive_save(Storage *storage, const char *path, CipherType cipher_type, const char *pass,
                      const InfoArchive *info);

void info_archive_free(InfoArchive *info);

#endif
