/* wal: WAL segment names, arithmetic and the long page header (see wal.h). */
#include "engine/pg/wal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "engine/pg/version.h"

#define XLP_LONG_HEADER 0x0002

static bool
is_upper_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static bool
has_hex_prefix(const char *name, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        if (!is_upper_hex(name[index]))
            return false;
    }
    return true;
}

bool
wal_is_segment_name(const char *name)
{
    return strlen(name) == WAL_SEGMENT_NAME_SIZE && has_hex_prefix(name, WAL_SEGMENT_NAME_SIZE);
}

WalFileKind
wal_file_kind(const char *name)
{
    size_t length = strlen(name);
    if (length >= WAL_SEGMENT_NAME_SIZE && has_hex_prefix(name, WAL_SEGMENT_NAME_SIZE)) {
        const char *rest = name + WAL_SEGMENT_NAME_SIZE;
        if (*rest == '\0')
            return WAL_FILE_SEGMENT;
        if (strcmp(rest, ".partial") == 0)
            return WAL_FILE_PARTIAL;
        /* ".XXXXXXXX.backup" */
        if (strlen(rest) == 16 && rest[0] == '.' && has_hex_prefix(rest + 1, 8) && strcmp(rest + 9, ".backup") == 0)
            return WAL_FILE_BACKUP_HISTORY;
        return WAL_FILE_OTHER;
    }
    if (length == 16 && has_hex_prefix(name, 8) && strcmp(name + 8, ".history") == 0)
        return WAL_FILE_TIMELINE_HISTORY;
    return WAL_FILE_OTHER;
}

static uint32_t
parse_hex8(const char *text)
{
    uint32_t value = 0;
    for (int index = 0; index < 8; index++) {
        char c = text[index];
        value = (value << 4) | (uint32_t)(c <= '9' ? c - '0' : c - 'A' + 10);
    }
    return value;
}

int
wal_segment_parse(const char *name, WalSegment *segment)
{
    if (strlen(name) < WAL_SEGMENT_NAME_SIZE || !has_hex_prefix(name, WAL_SEGMENT_NAME_SIZE))
        return err_set(ERR_FORMAT, "'%s' is not a WAL segment name (24 uppercase hex characters)", name);
    segment->timeline = parse_hex8(name);
    segment->log = parse_hex8(name + 8);
    segment->segment = parse_hex8(name + 16);
    return 0;
}

void
wal_segment_format(const WalSegment *segment, char name[WAL_SEGMENT_NAME_SIZE + 1])
{
    snprintf(name, WAL_SEGMENT_NAME_SIZE + 1, "%08X%08X%08X", segment->timeline, segment->log, segment->segment);
}

WalSegment
wal_segment_next(WalSegment segment, uint32_t wal_segment_size)
{
    uint32_t segments_per_log = (uint32_t)(0x100000000ULL / wal_segment_size);
    segment.segment++;
    if (segment.segment >= segments_per_log) {
        segment.segment = 0;
        segment.log++;
    }
    return segment;
}

WalSegment
wal_segment_from_lsn(uint32_t timeline, uint64_t lsn, uint32_t wal_segment_size)
{
    uint64_t segment_number = lsn / wal_segment_size;
    uint64_t segments_per_log = 0x100000000ULL / wal_segment_size;
    WalSegment segment = {
        .timeline = timeline,
        .log = (uint32_t)(segment_number / segments_per_log),
        .segment = (uint32_t)(segment_number % segments_per_log),
    };
    return segment;
}

int
wal_lsn_parse(const char *text, uint64_t *lsn)
{
    unsigned high = 0;
    unsigned low = 0;
    int consumed = 0;
    if (sscanf(text, "%X/%X%n", &high, &low, &consumed) != 2 || text[consumed] != '\0')
        return err_set(ERR_FORMAT, "'%s' is not an LSN (expected the form 0/4000028)", text);
    *lsn = ((uint64_t)high << 32) | low;
    return 0;
}

static uint16_t
read_u16(const uint8_t *data)
{
    return (uint16_t)(data[0] | (data[1] << 8));
}

static uint32_t
read_u32(const uint8_t *data)
{
    return (uint32_t)data[0] | ((uint32_t)data[1] << 8) | ((uint32_t)data[2] << 16) | ((uint32_t)data[3] << 24);
}

static uint64_t
read_u64(const uint8_t *data)
{
    return (uint64_t)read_u32(data) | ((uint64_t)read_u32(data + 4) << 32);
}

int
wal_header_read(const uint8_t *data, size_t size, const char *file, WalHeader *header)
{
    if (size < WAL_LONG_HEADER_SIZE)
        return err_set(ERR_FORMAT, "WAL file '%s' is too short (%zu bytes) to hold a WAL page header", file, size);

    uint16_t info = read_u16(data + 2);
    if ((info & XLP_LONG_HEADER) == 0)
        return err_set(ERR_FORMAT, "WAL file '%s' does not start with a long page header (xlp_info 0x%04X)", file,
                       info);

    header->magic = read_u16(data);
    const PgVersion *version = pg_version_by_wal_magic(header->magic);
    header->pg_version_num = version != NULL ? version->num : 0;
    if (version == NULL)
        return err_set(ERR_VERSION_NOT_SUPPORTED, "WAL file '%s' has unknown WAL magic 0x%04X", file, header->magic);

    header->timeline = read_u32(data + 4);
    header->system_id = read_u64(data + 24);
    header->segment_size = read_u32(data + 32);
    header->block_size = read_u32(data + 36);
    return 0;
}
