/*
 * filter: one streaming pipeline for every byte gaiarest moves.
 *
 * A Filter is a small object with one interface. Data is pushed through a Pipeline of filters in
 * buffers of `buffer-size`; the last filter's output goes to a sink (usually a storage write).
 *
 *   read -> pagecheck -> sha1 -> size -> compress -> cipher -> size(repo) -> sha1(repo) -> sink
 *
 * Two kinds of filters:
 *   - observers (sha1, size, page checksum) look at the bytes and pass them on unchanged; they are called
 *     with out == NULL and cost no copy;
 *   - transformers (compress, decompress, cipher) append their output to `out`.
 * A filter's results (a checksum, a size, a list of bad pages) are read through its own module's
 * accessor after pipeline_finish(). Corrupt or truncated input makes process/finish fail with
 * ERR_FORMAT (or ERR_CRYPTO for the cipher), never crash or silently produce short output.
 *
 * Ownership: pipeline_add() takes ownership of the filter; pipeline_free() frees every filter in it.
 * A caller may keep a borrowed pointer to a filter it added to read its result before pipeline_free().
 */
#ifndef GAIAREST_STORAGE_FILTER_FILTER_H
#define GAIAREST_STORAGE_FILTER_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

typedef struct Filter Filter;

typedef struct FilterOps {
    const char *name; /* "sha1", "size", "gz-compress", ... for messages */
    bool transforms;  /* false: an observer, called with out == NULL */
    /* Consume all `in_size` bytes of `in`; a transformer appends what it can produce to `out`. */
    int (*process)(Filter *filter, const uint8_t *in, size_t in_size, Buf *out);
    /* End of input: a transformer appends its remaining output; a decompressor fails on truncated input. */
    int (*finish)(Filter *filter, Buf *out);
    /* Release the filter's state (not the Filter itself). */
    void (*free_state)(Filter *filter);
    /* Optional, for a transformer: process() of bytes the caller keeps unchanged until settle() or finish()
     * returns, so that the filter may work on them where they are (on other threads) instead of copying them. */
    int (*process_stable)(Filter *filter, const uint8_t *in, size_t in_size, Buf *out);
    /* With process_stable: return once the filter holds no reference to those bytes, appending what it produced. */
    int (*settle)(Filter *filter, Buf *out);
} FilterOps;

/* How a pipeline takes a transformer's output in the middle of a process() call (see filter_flush). */
typedef int (*FilterFlushFn)(void *flush_context, const uint8_t *data, size_t size);

struct Filter {
    const FilterOps *ops;
    void *state;
    FilterFlushFn flush;  /* set by the pipeline around each process() call; NULL outside a pipeline */
    void *flush_context;
};

/* A transformer whose output can grow far beyond its input (a decompressor) calls this whenever `out` holds
 * FILTER_FLUSH_SIZE bytes or more: the bytes go down the pipeline at once and `out` is cleared, so memory stays
 * bounded whatever the compression ratio. Outside a pipeline it does nothing. */
#define FILTER_FLUSH_SIZE ((size_t)4 << 20)
int filter_flush(Filter *filter, Buf *out);

/* Allocate a Filter with the given ops and state (used by filter constructors). */
Filter *filter_new(const FilterOps *ops, void *state);

/* Free a filter that was never added to a pipeline. */
void filter_free(Filter *filter);

/* Where the end of the pipeline goes: return 0, or -1 with the error record set. */
typedef int (*FilterSink)(void *context, const uint8_t *data, size_t size);

typedef struct Pipeline Pipeline;

Pipeline *pipeline_new(void);

/* Append a filter at the end of the pipeline (takes ownership). Returns the filter for convenience. */
Filter *pipeline_add(Pipeline *pipeline, Filter *filter);

/* Push bytes through every filter; whatever comes out the end is handed to sink. */
int pipeline_push(Pipeline *pipeline, const uint8_t *data, size_t size, FilterSink sink, void *context);

/* pipeline_push() of bytes the caller keeps unchanged until pipeline_settle() or pipeline_finish() returns (a file
 * mapped from the page cache): the first transformer, when it can, works on them where they are instead of copying
 * them. Every other stage sees them as pipeline_push() would show them. */
int pipeline_push_stable(Pipeline *pipeline, const uint8_t *data, size_t size, FilterSink sink, void *context);

/* Wait until no filter refers to the bytes of pipeline_push_stable() any more (the caller may then reuse or unmap
 * them); what the filters produce meanwhile goes down the pipeline to sink. */
int pipeline_settle(Pipeline *pipeline, FilterSink sink, void *context);

/* Signal end of input: each filter in turn is finished and its remaining output flows down the pipeline. */
int pipeline_finish(Pipeline *pipeline, FilterSink sink, void *context);

/* Push a whole in-memory buffer and finish, appending the output to `out` (for small files: info files). */
int pipeline_run_buffer(Pipeline *pipeline, const uint8_t *data, size_t size, Buf *out);

/* Free the pipeline and every filter in it (NULL is allowed). */
void pipeline_free(Pipeline *pipeline);

#endif
