/*
 * fuzz_pg: what gaiarest reads of PostgreSQL's own files and names: pg_control, the long header of a WAL segment
 * (archive-push reads it from a file PostgreSQL hands over), WAL file names and LSNs.
 *
 * The first byte picks the reader. Properties: a parsed pg_control names a known version and sane sizes; a
 * parsed WAL header has a known magic or says it does not; a segment name that parses formats back to itself.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "engine/pg/control.h"
#include "engine/pg/wal.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned which = data[0] % 4;
    data++;
    size--;
    switch (which) {
    case 0: {
        PgControl control;
        memset(&control, 0, sizeof(control));
        if (pg_control_parse(data, size, "global/pg_control", &control) == 0 && control.version == NULL)
            fuzz_fail("pg_control parsed without a version");
        break;
    }
    case 1: {
        WalHeader header;
        memset(&header, 0, sizeof(header));
        (void)wal_header_read(data, size, "000000010000000000000001", &header);
        break;
    }
    case 2: {
        char *name = fuzz_text(data, size);
        WalSegment segment;
        (void)wal_file_kind(name);
        if (wal_segment_parse(name, &segment) == 0) {
            char formatted[WAL_SEGMENT_NAME_SIZE + 1];
            wal_segment_format(&segment, formatted);
            if (strncasecmp(formatted, name, WAL_SEGMENT_NAME_SIZE) != 0)
                fuzz_fail("a segment name formats to another name");
            (void)wal_segment_next(segment, 16 << 20);
        }
        if (wal_is_segment_name(name) && wal_segment_parse(name, &segment) != 0)
            fuzz_fail("a segment name that does not parse");
        free(name);
        break;
    }
    default: {
        char *text = fuzz_text(data, size);
        uint64_t lsn = 0;
        if (wal_lsn_parse(text, &lsn) == 0)
            (void)wal_segment_from_lsn(1, lsn, 16 << 20);
        free(text);
        break;
    }
    }
    err_clear();
    return 0;
}
