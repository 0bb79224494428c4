/* Unit tests for engine/pg/page_check: the page-verification filter, its re-read rule and its manifest output. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "engine/pg/page.h"
#include "engine/pg/page_check.h"

enum { PAGE_COUNT = 6 };

/* A page with content that depends on `seed` and a valid checksum for `block_no`. */
static void
make_page(uint8_t *page, unsigned seed, uint32_t block_no)
{
    for (size_t index = 0; index < PG_PAGE_SIZE; index++)
        page[index] = (uint8_t)((index * 31 + seed * 7) & 0xff);
    page[14] = 0x00; /* pd_upper = 0x1000 */
    page[15] = 0x10;
    uint16_t checksum = page_checksum(page, block_no);
    page[8] = (uint8_t)(checksum & 0xff);
    page[9] = (uint8_t)(checksum >> 8);
}

static uint8_t relation[PAGE_COUNT * PG_PAGE_SIZE + 600];

static void
make_relation(uint32_t segment_no)
{
    for (unsigned page = 0; page < PAGE_COUNT; page++)
        make_page(relation + page * PG_PAGE_SIZE, page, segment_no * PG_SEGMENT_PAGES + page);
}

static int
discard(void *context, const uint8_t *data, size_t size)
{
    (void)data;
    *(size_t *)context += size;
    return 0;
}

/* Push `size` bytes of the relation in chunks of `chunk` through a pipeline with the page-check filter. */
static PageCheckResult
run_check(Pipeline *pipeline, Filter *check, size_t size, size_t chunk)
{
    size_t passed = 0;
    for (size_t offset = 0; offset < size; offset += chunk) {
        size_t length = size - offset < chunk ? size - offset : chunk;
        ck_assert_int_eq(pipeline_push(pipeline, relation + offset, length, discard, &passed), 0);
    }
    ck_assert_int_eq(pipeline_finish(pipeline, discard, &passed), 0);
    ck_assert_uint_eq(passed, size); /* an observer passes every byte on */
    return filter_page_check_result(check);
}

START_TEST(test_valid_and_invalid_pages)
{
    make_relation(0);
    Pipeline *pipeline = pipeline_new();
    Filter *check = pipeline_add(pipeline, filter_page_check_new(0, NULL, NULL));
    PageCheckResult result = run_check(pipeline, check, PAGE_COUNT * PG_PAGE_SIZE, 1000);
    ck_assert(result.valid);
    ck_assert(result.aligned);
    ck_assert_uint_eq(result.invalid_count, 0);
    pipeline_free(pipeline);

    /* Corrupt pages 1, 3, 4 and 5 (as in the spec's example) and feed odd chunks. */
    const unsigned corrupt[] = {1, 3, 4, 5};
    for (size_t index = 0; index < 4; index++)
        relation[corrupt[index] * PG_PAGE_SIZE + 5000] ^= 0x55;
    pipeline = pipeline_new();
    check = pipeline_add(pipeline, filter_page_check_new(0, NULL, NULL));
    result = run_check(pipeline, check, PAGE_COUNT * PG_PAGE_SIZE, 8191);
    ck_assert(!result.valid);
    ck_assert_uint_eq(result.invalid_count, 4);

    Buf json = BUF_INIT;
    page_check_error_json(result.invalid_blocks, result.invalid_count, &json);
    ck_assert_str_eq(buf_str(&json), "[1,[3,5]]");
    Buf text = BUF_INIT;
    page_check_error_text(result.invalid_blocks, result.invalid_count, &text);
    ck_assert_str_eq(buf_str(&text), "1, 3-5");
    buf_free(&json);
    buf_free(&text);
    pipeline_free(pipeline);
}
END_TEST

START_TEST(test_block_numbers_of_later_segments)
{
    /* Segment 1 of a relation: its pages are blocks 131072.. and checksums depend on that. */
    make_relation(1);
    Pipeline *pipeline = pipeline_new();
    Filter *check = pipeline_add(pipeline, filter_page_check_new(1, NULL, NULL));
    PageCheckResult result = run_check(pipeline, check, PAGE_COUNT * PG_PAGE_SIZE, 65536);
    ck_assert(result.valid);
    pipeline_free(pipeline);

    /* The same bytes checked as segment 0 fail on every page. */
    pipeline = pipeline_new();
    check = pipeline_add(pipeline, filter_page_check_new(0, NULL, NULL));
    result = run_check(pipeline, check, PAGE_COUNT * PG_PAGE_SIZE, 65536);
    ck_assert_uint_eq(result.invalid_count, PAGE_COUNT);
    pipeline_free(pipeline);
}
END_TEST

/* Re-read: page 3 "changed on disk" since it was read; other pages read back the same bytes. */
static int
reread_page(void *context, uint64_t offset, uint8_t *page, bool *complete)
{
    unsigned *rereads = context;
    (*rereads)++;
    memcpy(page, relation + offset, PG_PAGE_SIZE);
    if (offset == 3 * PG_PAGE_SIZE)
        page[100] ^= 0xff;
    *complete = true;
    return 0;
}

START_TEST(test_reread_accepts_pages_being_written)
{
    make_relation(0);
    relation[1 * PG_PAGE_SIZE + 5000] ^= 0x55;
    relation[3 * PG_PAGE_SIZE + 5000] ^= 0x55;
    unsigned rereads = 0;
    Pipeline *pipeline = pipeline_new();
    Filter *check = pipeline_add(pipeline, filter_page_check_new(0, reread_page, &rereads));
    PageCheckResult result = run_check(pipeline, check, PAGE_COUNT * PG_PAGE_SIZE, 3000);
    ck_assert_uint_eq(rereads, 2);
    ck_assert_uint_eq(result.invalid_count, 1);
    ck_assert_uint_eq(result.invalid_blocks[0], 1);
    pipeline_free(pipeline);
}
END_TEST

START_TEST(test_new_and_misaligned)
{
    make_relation(0);
    memset(relation + 2 * PG_PAGE_SIZE, 0, PG_PAGE_SIZE); /* a new (all-zero) page is valid */
    Pipeline *pipeline = pipeline_new();
    Filter *check = pipeline_add(pipeline, filter_page_check_new(0, NULL, NULL));
    PageCheckResult result = run_check(pipeline, check, PAGE_COUNT * PG_PAGE_SIZE, 4096);
    ck_assert(result.valid);
    pipeline_free(pipeline);

    /* pd_upper == 0 with other bytes set is invalid. */
    relation[2 * PG_PAGE_SIZE + 7000] = 1;
    pipeline = pipeline_new();
    check = pipeline_add(pipeline, filter_page_check_new(0, NULL, NULL));
    result = run_check(pipeline, check, PAGE_COUNT * PG_PAGE_SIZE, 4096);
    ck_assert_uint_eq(result.invalid_count, 1);
    ck_assert_uint_eq(result.invalid_blocks[0], 2);
    pipeline_free(pipeline);

    /* A trailing fragment: not aligned, not valid, and no page list. */
    make_relation(0);
    pipeline = pipeline_new();
    check = pipeline_add(pipeline, filter_page_check_new(0, NULL, NULL));
    result = run_check(pipeline, check, sizeof(relation), 5000);
    ck_assert(!result.aligned);
    ck_assert(!result.valid);
    ck_assert_uint_eq(result.invalid_count, 0);
    pipeline_free(pipeline);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("page_check");
    TCase *tcase = tcase_create("page_check");
    tcase_add_test(tcase, test_valid_and_invalid_pages);
    tcase_add_test(tcase, test_block_numbers_of_later_segments);
    tcase_add_test(tcase, test_reread_accepts_pages_being_written);
    tcase_add_test(tcase, test_new_and_misaligned);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
