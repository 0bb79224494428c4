/*
 * wal: PostgreSQL WAL facts: segment file names, segment arithmetic and the long page header at the start
 * of every segment (spec section 6.2).
 */
#ifndef GAIAREST_ENGINE_PG_WAL_H
#define GAIAREST_ENGINE_PG_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WAL_SEGMENT_NAME_SIZE 24 /* 8 hex timeline + 8 hex log + 8 hex segment */
#define WAL_LONG_HEADER_SIZE 40
#define WAL_SEGMENT_SIZE_DEFAULT (16u * 1024 * 1024)

typedef enum WalFileKind {
    WAL_FILE_SEGMENT,        /* 000000010000000000000003 */
    WAL_FILE_PARTIAL,        /* 000000010000000000000003.partial */
    WAL_FILE_BACKUP_HISTORY, /* 000000010000000000000003.00000028.backup */
    WAL_FILE_TIMELINE_HISTORY, /* 00000002.history */
    WAL_FILE_OTHER,
} WalFileKind;

/* Classify a file name as PostgreSQL hands it to archive_command / restore_command. */
WalFileKind wal_file_kind(const char *name);

/* True when `name` is exactly 24 uppercase hex characters. */
bool wal_is_segment_name(const char *name);

typedef struct WalSegment {
    uint32_t timeline;
    uint32_t log;     /* high 32 bits of the LSN */
    uint32_t segment; /* segment number within the log */
} WalSegment;

/* Parse the first 24 characters of `name`; -1 with ERR_FORMAT when they are not a segment name. */
int wal_segment_parse(const char *name, WalSegment *segment);

/* Write the 24-character name (plus NUL) into `name`. */
void wal_segment_format(const WalSegment *segment, char name[WAL_SEGMENT_NAME_SIZE + 1]);

/* The segment after `segment` for a cluster with `wal_segment_size` (the segment number wraps into the log
 * after 0xFFFFFFFF / wal_segment_size). */
WalSegment wal_segment_next(WalSegment segment, uint32_t wal_segment_size);

/* The segment that holds `lsn` on `timeline`. */
WalSegment wal_segment_from_lsn(uint32_t timeline, uint64_t lsn, uint32_t wal_segment_size);

/* Parse an LSN written as "%X/%X"; -1 with ERR_FORMAT when malformed. */
int wal_lsn_parse(const char *text, uint64_t *lsn);

typedef struct WalHeader {
    uint16_t magic;
    unsigned pg_version_num; /* 150000 for PostgreSQL 15, 0 when the magic is unknown */
    uint32_t timeline;
    uint64_t system_id;
    uint32_t segment_size;
    uint32_t block_size;
} WalHeader;

/* Read the long page header from the first bytes of a segment (at least WAL_LONG_HEADER_SIZE). Fails with
 * ERR_FORMAT when the buffer is short or the long-header flag is missing, and with
 * ERR_VERSION_NOT_SUPPORTED when the magic is not one of a known PostgreSQL version. `file` names the
 * segment in messages. */
int wal_header_read(const uint8_t *data, size_t size, const char *file, WalHeader *header);

#endif
