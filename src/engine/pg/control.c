/* control: pg_control reader (see control.h). */
#include "engine/pg/control.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"

#define PG_CONTROL_OFFSET_SYSTEM_ID 0
#define PG_CONTROL_OFFSET_CONTROL_VERSION 8
#define PG_CONTROL_OFFSET_CATALOG_VERSION 12
#define PG_CONTROL_OFFSET_TIMELINE 48
#define PG_CONTROL_OFFSET_PAGE_SIZE 216
#define PG_CONTROL_OFFSET_WAL_SEGMENT_SIZE 228
#define PG_CONTROL_OFFSET_DATA_CHECKSUM 252
#define PG_CONTROL_OFFSET_CRC 288 /* PostgreSQL 12-17 */
#define PG_CONTROL_PAGE_SIZE 8192
#define PG_CONTROL_VERSION_MIN 120000
#define PG_CONTROL_VERSION_MAX 170000

/* Little-endian reads (pg_control is in host order; gaiarest supports little-endian hosts). */
static uint32_t
read_u32(const uint8_t *data, size_t offset)
{
    return (uint32_t)data[offset] | (uint32_t)data[offset + 1] << 8 | (uint32_t)data[offset + 2] << 16 |
           (uint32_t)data[offset + 3] << 24;
}

static uint64_t
read_u64(const uint8_t *data, size_t offset)
{
    return (uint64_t)read_u32(data, offset) | (uint64_t)read_u32(data, offset + 4) << 32;
}

uint32_t
pg_crc32c(const uint8_t *data, size_t size)
{
    /* Bitwise (reflected polynomial 0x82F63B78): pg_control is 288 bytes, a table is not worth its state. */
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; i++) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return crc ^ 0xFFFFFFFFu;
}

static bool
wal_segment_size_valid(uint32_t size)
{
    return size >= 1024u * 1024 && size <= 1024u * 1024 * 1024 && (size & (size - 1)) == 0;
}

int
pg_control_parse(const uint8_t *data, size_t size, const char *file, PgControl *control)
{
    memset(control, 0, sizeof(*control));
    if (size < PG_CONTROL_OFFSET_CRC + 4)
        return err_set(ERR_FORMAT, "'%s' is too short to be pg_control (%zu bytes)", file, size);

    control->system_id = read_u64(data, PG_CONTROL_OFFSET_SYSTEM_ID);
    control->control_version = read_u32(data, PG_CONTROL_OFFSET_CONTROL_VERSION);
    control->catalog_version = read_u32(data, PG_CONTROL_OFFSET_CATALOG_VERSION);

    const PgVersion *version = pg_version_by_control(control->control_version, control->catalog_version);
    if (version == NULL || version->num < PG_CONTROL_VERSION_MIN || version->num > PG_CONTROL_VERSION_MAX) {
        err_set(ERR_VERSION_NOT_SUPPORTED, "unexpected control version = %u and catalog version = %u in '%s'",
                control->control_version, control->catalog_version, file);
        return err_hint("is this version of PostgreSQL supported?");
    }
    control->version = version;

    uint32_t crc_stored = read_u32(data, PG_CONTROL_OFFSET_CRC);
    uint32_t crc_actual = pg_crc32c(data, PG_CONTROL_OFFSET_CRC);
    if (crc_stored != crc_actual)
        return err_set(ERR_CHECKSUM, "invalid CRC in '%s': computed %08x but the file holds %08x", file, crc_actual,
                       crc_stored);

    control->timeline = read_u32(data, PG_CONTROL_OFFSET_TIMELINE);
    control->page_size = read_u32(data, PG_CONTROL_OFFSET_PAGE_SIZE);
    control->wal_segment_size = read_u32(data, PG_CONTROL_OFFSET_WAL_SEGMENT_SIZE);
    control->data_checksum_version = read_u32(data, PG_CONTROL_OFFSET_DATA_CHECKSUM);

    if (control->page_size != PG_CONTROL_PAGE_SIZE)
        return err_set(ERR_FORMAT, "page size in '%s' is %u but only %u is supported", file, control->page_size,
                       PG_CONTROL_PAGE_SIZE);
    if (!wal_segment_size_valid(control->wal_segment_size))
        return err_set(ERR_FORMAT, "WAL segment size in '%s' is %u, not a power of two between 1MB and 1GB", file,
                       control->wal_segment_size);
    return 0;
}

int
pg_control_load(Storage *pg_storage, PgControl *control)
{
    Buf data = BUF_INIT;
    bool found = false;
    int result = storage_get(pg_storage, PG_CONTROL_FILE, NULL, false, &found, &data);
    if (result == 0) {
        char *full = storage_path(pg_storage, PG_CONTROL_FILE);
        result = pg_control_parse(data.data, data.size, full, control);
        free(full);
    }
    buf_free(&data);
    return result;
}
