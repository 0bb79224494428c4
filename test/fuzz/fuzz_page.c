/*
 * fuzz_page: the page-checksum check a backup runs over every relation file it copies (engine/pg/page_check.h),
 * over file contents of any kind, cut into pieces of any size.
 *
 * Input: a control byte (bits 0-1: what a re-read of a bad page finds: no re-read, the same bytes, other bytes, a
 * file cut short; bits 2-3: the relation segment number), a byte whose bit i gives page i a correct checksum, a
 * piece-size byte, then the file. Oracle: the invalid blocks are exactly the pages page_verify() calls invalid and
 * the re-read does not excuse, numbered over the whole relation; a file whose size is not a multiple of the page
 * size has no list and is not valid; the manifest's JSON list and the log's text list both give back the blocks.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/pg/page.h"
#include "engine/pg/page_check.h"
#include "fuzz.h"

typedef enum RereadMode {
    REREAD_NONE,
    REREAD_SAME,
    REREAD_CHANGED,
    REREAD_SHORT,
} RereadMode;

typedef struct FuzzFile {
    const uint8_t *data;
    size_t size;
    RereadMode mode;
} FuzzFile;

static int
reread_page(void *context, uint64_t offset, uint8_t *page, bool *complete)
{
    const FuzzFile *file = context;
    if (file->mode == REREAD_SHORT || offset + PG_PAGE_SIZE > file->size) {
        *complete = false;
        return 0;
    }
    memcpy(page, file->data + offset, PG_PAGE_SIZE);
    if (file->mode == REREAD_CHANGED)
        page[PG_PAGE_SIZE - 1] ^= 0x5a;
    *complete = true;
    return 0;
}

static int
sink_discard(void *context, const uint8_t *data, size_t size)
{
    (void)context;
    (void)data;
    (void)size;
    return 0;
}

/* The block list of a "checksum-page-error" value ([1,[3,5]]) into `blocks` (at most `cap`); the count, or -1. */
static long
json_blocks(const char *text, size_t size, uint32_t *blocks, size_t cap)
{
    JsonValue *value = NULL;
    if (json_parse(text, size, &value) != 0 || value->type != JSON_ARRAY) {
        json_free(value);
        return -1;
    }
    size_t count = 0;
    for (size_t index = 0; index < value->u.array.count; index++) {
        const JsonValue *item = value->u.array.items[index];
        uint64_t first = 0, last = 0;
        /* a run [first,last] with first < last, or a single block */
        bool run = item->type == JSON_ARRAY && item->u.array.count == 2 &&
                   json_get_uint64(item->u.array.items[0], "first", &first) == 0 &&
                   json_get_uint64(item->u.array.items[1], "last", &last) == 0 && first < last;
        if (!run && json_get_uint64(item, "block", &first) != 0) {
            json_free(value);
            return -1;
        }
        if (!run)
            last = first;
        for (uint64_t block = first; block <= last && count < cap; block++)
            blocks[count++] = (uint32_t)block;
    }
    json_free(value);
    return (long)count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    RereadMode mode = (RereadMode)(data[0] & 3);
    uint32_t segment_no = (uint32_t)(data[0] >> 2 & 3);
    uint8_t seal_mask = data[1];
    size_t piece = data[2] == 0 ? 65536 : data[2] * (size_t)97;
    size_t file_size = size - 3;
    uint8_t *file = malloc(file_size > 0 ? file_size : 1);
    if (file == NULL)
        abort();
    if (file_size > 0)
        memcpy(file, data + 3, file_size);

    /* the expected list, sealing the chosen pages with their right checksum first */
    size_t pages = file_size / PG_PAGE_SIZE;
    uint32_t *expected = malloc((pages + 1) * sizeof(uint32_t));
    size_t expected_count = 0;
    for (size_t index = 0; index < pages; index++) {
        uint8_t *page = file + index * PG_PAGE_SIZE;
        uint32_t block_no = segment_no * PG_SEGMENT_PAGES + (uint32_t)index;
        if (index < 8 && (seal_mask >> index & 1) != 0) {
            uint16_t checksum = page_checksum(page, block_no);
            memcpy(page + 8, &checksum, sizeof(checksum));
        }
        if (page_verify(page, block_no) == PAGE_INVALID && (mode == REREAD_NONE || mode == REREAD_SAME))
            expected[expected_count++] = block_no;
    }

    FuzzFile reread = {file, file_size, mode};
    Pipeline *pipeline = pipeline_new();
    Filter *check = pipeline_add(pipeline, filter_page_check_new(segment_no, mode == REREAD_NONE ? NULL : reread_page,
                                                                 &reread));
    for (size_t offset = 0; offset < file_size; offset += piece)
        if (pipeline_push(pipeline, file + offset, file_size - offset < piece ? file_size - offset : piece,
                          sink_discard, NULL) != 0)
            fuzz_fail(err_message());
    if (pipeline_finish(pipeline, sink_discard, NULL) != 0)
        fuzz_fail(err_message());
    PageCheckResult result = filter_page_check_result(check);

    bool aligned = file_size % PG_PAGE_SIZE == 0;
    if (result.aligned != aligned)
        fuzz_fail("alignment misjudged");
    if (!aligned && (result.valid || result.invalid_count != 0))
        fuzz_fail("a misaligned file with a page list or called valid");
    if (aligned) {
        if (result.invalid_count != expected_count ||
            (expected_count > 0 && memcmp(result.invalid_blocks, expected, expected_count * sizeof(uint32_t)) != 0))
            fuzz_fail("the invalid blocks are not the pages that fail verification");
        if (result.valid != (expected_count == 0))
            fuzz_fail("valid does not match the list");
        Buf json = BUF_INIT, text = BUF_INIT;
        page_check_error_json(result.invalid_blocks, result.invalid_count, &json);
        page_check_error_text(result.invalid_blocks, result.invalid_count, &text);
        uint32_t *listed = malloc((expected_count + 1) * sizeof(uint32_t));
        if (expected_count > 0) { /* the manifest has no list when every page is valid */
            long listed_count = json_blocks(buf_str(&json), json.size, listed, expected_count + 1);
            if (listed_count != (long)expected_count || memcmp(listed, expected, expected_count * sizeof(uint32_t)) != 0)
                fuzz_fail("checksum-page-error does not list the invalid blocks");
        }
        if ((text.size == 0) != (expected_count == 0))
            fuzz_fail("the log's list is empty while blocks are invalid, or the reverse");
        free(listed);
        buf_free(&json);
        buf_free(&text);
    }
    pipeline_free(pipeline);
    free(expected);
    free(file);
    err_clear();
    return 0;
}
