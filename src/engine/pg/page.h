/*
 * page: PostgreSQL data page checksums (spec section 7) and the page verification rules of a backup.
 */
#ifndef GAIAREST_ENGINE_PG_PAGE_H
#define GAIAREST_ENGINE_PG_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#define PG_PAGE_SIZE 8192
#define PG_SEGMENT_PAGES 131072 /* pages per 1 GiB relation segment */

/* PostgreSQL's checksum of a page (the pd_checksum field is treated as zero), for block number `block_no`
 * counted over the whole relation. Never 0. */
uint16_t page_checksum(const uint8_t *page, uint32_t block_no);

typedef enum PageState {
    PAGE_VALID,      /* stored checksum matches */
    PAGE_NEW,        /* an all-zero page (pd_upper == 0 and nothing else set) */
    PAGE_INVALID,    /* checksum mismatch, or pd_upper == 0 with non-zero bytes */
} PageState;

/* Verify one page against its stored checksum. */
PageState page_verify(const uint8_t *page, uint32_t block_no);

/* The stored pd_checksum of a page. */
uint16_t page_stored_checksum(const uint8_t *page);

#endif
