/*
 * layout: where things live in a repository (spec section 1): stanza paths, archive ids, the path of a WAL
 * file in the archive, backup labels and their directories. Pure string functions; every returned string
 * is owned by the caller.
 */
#ifndef GAIAREST_ENGINE_REPO_LAYOUT_H
#define GAIAREST_ENGINE_REPO_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "storage/filter/compress.h"

#define BACKUP_MANIFEST_FILE "backup.manifest"
#define INFO_COPY_EXT ".copy"
#define BACKUP_HISTORY_PATH "backup.history"
#define BACKUP_LATEST_LINK "latest"

/* Regular expression (POSIX ERE) of a backup label directory in backup/<stanza>/. */
#define BACKUP_LABEL_REGEX "^[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}(D|I))?$"

/* Regular expression of an archive id directory in archive/<stanza>/ ("15-1", "9.6-2"). */
#define ARCHIVE_ID_REGEX "^[0-9]+(\\.[0-9]+)?-[0-9]+$"

typedef enum BackupType {
    BACKUP_TYPE_FULL,
    BACKUP_TYPE_DIFF,
    BACKUP_TYPE_INCR,
} BackupType;

const char *backup_type_name(BackupType type); /* "full", "diff", "incr" */
int backup_type_parse(const char *name);       /* -1 when unknown */

/* "archive/<stanza>" and "backup/<stanza>". */
char *layout_archive_stanza_path(const char *stanza);
char *layout_backup_stanza_path(const char *stanza);

/* "<pg version>-<history id>", e.g. "15-1". */
char *layout_archive_id(const char *pg_version, unsigned history_id);

/* Directory of a WAL file inside an archive id: the first 16 characters of names that start with 24 hex
 * characters (segments, partials, backup history files), NULL (no sub-directory) for others (.history). */
char *layout_wal_directory(const char *wal_file);

/* The stored name of a segment or partial: "<name>-<sha1>[.<ext>]". Other files keep their name. */
char *layout_wal_stored_name(const char *wal_file, const char *sha1_hex, CompressType compress_type);

/* "archive/<stanza>/<archive id>/<dir>/<stored name>" (dir left out when there is none). */
char *layout_wal_path(const char *stanza, const char *archive_id, const char *stored_name);

/* POSIX ERE matching the stored names of one segment (or its partial): "^<seg>(\.partial)?-[0-9a-f]{40}(\.(gz|...))?$". */
char *layout_wal_segment_regex(const char *segment);

/* POSIX ERE matching the stored names of exactly this segment or partial (a segment's pattern does not match its
 * partial, nor the reverse): "^<name>-[0-9a-f]{40}(\.(gz|lz4|zst|bz2|xz))?$". */
char *layout_wal_stored_regex(const char *wal_file);

/* Labels: a full is "YYYYMMDD-HHMMSSF" of `start` in local time; a diff/incr is the first 16 characters of
 * `prior_full_label` + "_" + "YYYYMMDD-HHMMSS" + "D"/"I". */
char *layout_backup_label(BackupType type, const char *prior_label, time_t start);

/* Whether a name is a backup label, and the type it encodes. */
bool layout_is_backup_label(const char *name);
BackupType layout_backup_label_type(const char *label);

#endif
