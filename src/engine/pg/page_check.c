/* page_check: page checksum verification as an observer filter (see page_check.h). */
#include "engine/pg/page_check.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/pg/page.h"

typedef struct PageCheckState {
    uint32_t segment_no;
    PageRereadFn reread;
    void *reread_context;
    uint64_t pages_seen;          /* complete pages verified so far */
    uint8_t partial[PG_PAGE_SIZE]; /* a page split across pushes */
    size_t partial_size;
    uint32_t *invalid_blocks;
    size_t invalid_count;
    size_t invalid_capacity;
    bool aligned;
} PageCheckState;

static void
record_invalid(PageCheckState *state, uint32_t block_no)
{
    if (state->invalid_count == state->invalid_capacity) {
        state->invalid_capacity = state->invalid_capacity ? state->invalid_capacity * 2 : 16;
        state->invalid_blocks = mem_realloc(state->invalid_blocks, state->invalid_capacity * sizeof(uint32_t));
    }
    state->invalid_blocks[state->invalid_count++] = block_no;
}

/* Verify one complete page at page index `page_index` of this segment file. */
static int
check_page(PageCheckState *state, const uint8_t *page, uint64_t page_index)
{
    uint32_t block_no = (uint32_t)(state->segment_no * (uint64_t)PG_SEGMENT_PAGES + page_index);
    if (page_verify(page, block_no) != PAGE_INVALID)
        return 0;

    if (state->reread != NULL) {
        uint8_t again[PG_PAGE_SIZE];
        bool complete = false;
        TRY(state->reread(state->reread_context, page_index * PG_PAGE_SIZE, again, &complete));
        /* Changed (or gone) since it was read: PostgreSQL is writing it, WAL replay repairs it. */
        if (!complete || memcmp(again, page, PG_PAGE_SIZE) != 0)
            return 0;
    }
    record_invalid(state, block_no);
    return 0;
}

static int
page_check_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    (void)out;
    PageCheckState *state = filter->state;

    /* Complete a page left over from the previous push. */
    if (state->partial_size > 0) {
        size_t needed = PG_PAGE_SIZE - state->partial_size;
        size_t taken = in_size < needed ? in_size : needed;
        memcpy(state->partial + state->partial_size, in, taken);
        state->partial_size += taken;
        in += taken;
        in_size -= taken;
        if (state->partial_size < PG_PAGE_SIZE)
            return 0;
        TRY(check_page(state, state->partial, state->pages_seen++));
        state->partial_size = 0;
    }

    while (in_size >= PG_PAGE_SIZE) {
        TRY(check_page(state, in, state->pages_seen++));
        in += PG_PAGE_SIZE;
        in_size -= PG_PAGE_SIZE;
    }

    memcpy(state->partial, in, in_size);
    state->partial_size = in_size;
    return 0;
}

static int
page_check_finish(Filter *filter, Buf *out)
{
    (void)out;
    PageCheckState *state = filter->state;
    state->aligned = state->partial_size == 0;
    return 0;
}

static void
page_check_free_state(Filter *filter)
{
    PageCheckState *state = filter->state;
    free(state->invalid_blocks);
    free(state);
}

static const FilterOps page_check_ops = {
    .name = "page-check",
    .transforms = false,
    .process = page_check_process,
    .finish = page_check_finish,
    .free_state = page_check_free_state,
};

Filter *
filter_page_check_new(uint32_t segment_no, PageRereadFn reread, void *reread_context)
{
    PageCheckState *state = mem_calloc(1, sizeof(PageCheckState));
    state->segment_no = segment_no;
    state->reread = reread;
    state->reread_context = reread_context;
    state->aligned = true;
    return filter_new(&page_check_ops, state);
}

PageCheckResult
filter_page_check_result(const Filter *filter)
{
    const PageCheckState *state = filter->state;
    PageCheckResult result = {
        .aligned = state->aligned,
        .valid = state->aligned && state->invalid_count == 0,
        /* A misaligned file has no page list (as pgBackRest reports it). */
        .invalid_blocks = state->aligned ? state->invalid_blocks : NULL,
        .invalid_count = state->aligned ? state->invalid_count : 0,
    };
    return result;
}

/* Walk runs of consecutive block numbers: call emit(first, last) for each. */
static void
for_each_run(const uint32_t *blocks, size_t count, void (*emit)(Buf *, uint32_t, uint32_t, bool), Buf *out)
{
    size_t index = 0;
    bool first_run = true;
    while (index < count) {
        size_t end = index;
        while (end + 1 < count && blocks[end + 1] == blocks[end] + 1)
            end++;
        emit(out, blocks[index], blocks[end], first_run);
        first_run = false;
        index = end + 1;
    }
}

static void
emit_json(Buf *out, uint32_t first, uint32_t last, bool first_run)
{
    if (!first_run)
        buf_append_char(out, ',');
    if (first == last)
        buf_printf(out, "%u", first);
    else
        buf_printf(out, "[%u,%u]", first, last);
}

static void
emit_text(Buf *out, uint32_t first, uint32_t last, bool first_run)
{
    if (!first_run)
        buf_append_str(out, ", ");
    if (first == last)
        buf_printf(out, "%u", first);
    else
        buf_printf(out, "%u-%u", first, last);
}

void
page_check_error_json(const uint32_t *blocks, size_t count, Buf *out)
{
    buf_append_char(out, '[');
    for_each_run(blocks, count, emit_json, out);
    buf_append_char(out, ']');
}

void
page_check_error_text(const uint32_t *blocks, size_t count, Buf *out)
{
    for_each_run(blocks, count, emit_text, out);
}
