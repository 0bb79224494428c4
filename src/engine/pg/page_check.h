/*
 * page_check: an observer filter that verifies the page checksums of a relation file while it is copied
 * into a backup (spec section 7.2), so that the file is read only once.
 *
 * A page whose checksum does not match is read again from the data directory (through the caller's
 * reread callback): if its bytes changed, PostgreSQL is writing it and WAL replay will repair it, so it is
 * accepted; otherwise its block number is recorded. A file whose size is not a multiple of the page size is
 * "misaligned": no page list, and the file is reported invalid.
 */
#ifndef GAIAREST_ENGINE_PG_PAGE_CHECK_H
#define GAIAREST_ENGINE_PG_PAGE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "storage/filter/filter.h"

/* Read the PG_PAGE_SIZE bytes at `offset` of the file being checked into `page`; *complete is false when the
 * file no longer has a full page there. Return 0, or -1 with the error record set. */
typedef int (*PageRereadFn)(void *context, uint64_t offset, uint8_t *page, bool *complete);

/* A page-check filter for segment `segment_no` of a relation (the ".N" suffix, 0 for none). `reread` may be
 * NULL (a mismatch is then recorded without a second look). */
Filter *filter_page_check_new(uint32_t segment_no, PageRereadFn reread, void *reread_context);

typedef struct PageCheckResult {
    bool valid;              /* every page valid and the file aligned ("checksum-page") */
    bool aligned;            /* the size is a multiple of the page size */
    const uint32_t *invalid_blocks; /* sorted block numbers of invalid pages (owned by the filter) */
    size_t invalid_count;
} PageCheckResult;

/* The result after pipeline_finish(). */
PageCheckResult filter_page_check_result(const Filter *filter);

/* The manifest's "checksum-page-error" value: single blocks as numbers, runs as [first,last] -> "[1,[3,5]]". */
void page_check_error_json(const uint32_t *blocks, size_t count, Buf *out);

/* The same list for a log line: "1, 3-5". */
void page_check_error_text(const uint32_t *blocks, size_t count, Buf *out);

#endif
