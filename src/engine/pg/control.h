/*
 * control: read PostgreSQL's global/pg_control (spec 6.1) for PostgreSQL 12 to 17.
 *
 * The version is found by matching the control and catalog versions against engine/pg/version.h; then the
 * CRC-32C over the struct is checked, and the page size (8192) and WAL segment size (a power of two from
 * 1 MiB to 1 GiB) are validated.
 * Errors: ERR_FILE_MISSING / ERR_FILE_OPEN / ERR_FILE_READ for the file itself; ERR_VERSION_NOT_SUPPORTED
 * for an unknown control/catalog pair or a version outside 12-17; ERR_CHECKSUM when the CRC does not match
 * (pgBackRest's code for checksum mismatches); ERR_FORMAT for a short file or an invalid page/segment size.
 * Every message names the file.
 */
#ifndef GAIAREST_ENGINE_PG_CONTROL_H
#define GAIAREST_ENGINE_PG_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/pg/version.h"
#include "storage/storage.h"

#define PG_CONTROL_FILE "global/pg_control"
#define PG_CONTROL_SIZE 8192

typedef struct PgControl {
    uint64_t system_id;
    uint32_t control_version;
    uint32_t catalog_version;
    const PgVersion *version; /* the matched version (version->name is db-version) */
    uint32_t page_size;
    uint32_t wal_segment_size;
    uint32_t data_checksum_version; /* 0: data checksums off */
    uint32_t timeline;              /* of the latest checkpoint */
} PgControl;

/* Parse the first `size` bytes of a pg_control file; `file` names it in messages. */
int pg_control_parse(const uint8_t *data, size_t size, const char *file, PgControl *control);


/* Read and parse global/pg_control from a storage rooted at the data directory. */
int pg_control_load(Storage *pg_storage, PgControl *control);

/* CRC-32C (Castagnoli) as PostgreSQL computes it (init and final xor 0xFFFFFFFF). */
uint32_t pg_crc32c(const uint8_t *data, size_t size);

#endif
