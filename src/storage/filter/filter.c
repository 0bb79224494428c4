/* filter: the Filter object and the Pipeline that pushes bytes through a chain of filters (see filter.h). */
#include "storage/filter/filter.h"

#include <stdlib.h>

#include "common/error.h"
#include "common/mem.h"

/*
 * Data moves through the stages in slices of at most this many bytes (pointers into the caller's buffer, no
 * copy): a transformer's output Buf then stays bounded (about the worst-case output of one slice) and is
 * handed down the pipeline before the next slice is processed, and a slice read by an observer (sha1) is
 * still in cache when the compressor reads it. A 16 MiB WAL segment pushed in one call is 16 slices.
 */
#define PIPELINE_SLICE_SIZE ((size_t)1 << 20)

typedef struct PipelineStage {
    Filter *filter;
    Buf out; /* the transformer's output, reused for every slice; unused for observers */
} PipelineStage;

struct Pipeline {
    PipelineStage *stages;
    size_t count;
    size_t capacity;
    bool finished;
};

Filter *
filter_new(const FilterOps *ops, void *state)
{
    Filter *filter = mem_alloc(sizeof(*filter));
    filter->ops = ops;
    filter->state = state;
    filter->flush = NULL;
    filter->flush_context = NULL;
    return filter;
}

void
filter_free(Filter *filter)
{
    if (filter == NULL)
        return;
    if (filter->ops->free_state != NULL)
        filter->ops->free_state(filter);
    free(filter);
}

Pipeline *
pipeline_new(void)
{
    return mem_calloc(1, sizeof(Pipeline));
}

Filter *
pipeline_add(Pipeline *pipeline, Filter *filter)
{
    if (pipeline->count == pipeline->capacity) {
        pipeline->capacity = pipeline->capacity ? pipeline->capacity * 2 : 8;
        pipeline->stages = mem_realloc(pipeline->stages, pipeline->capacity * sizeof(*pipeline->stages));
    }
    PipelineStage *stage = &pipeline->stages[pipeline->count++];
    stage->filter = filter;
    buf_init(&stage->out);
    return filter;
}

/* How a stage is called: process(), process_stable(), settle() or finish(). */
typedef enum StageCall {
    STAGE_PROCESS,
    STAGE_PROCESS_STABLE,
    STAGE_SETTLE,
    STAGE_FINISH,
} StageCall;

static int pipeline_push_from(Pipeline *pipeline, size_t first, const uint8_t *data, size_t size, bool stable,
                              FilterSink sink, void *context);

/* Where a stage's mid-call flush goes: the rest of the pipeline after that stage. */
typedef struct PipelineFlush {
    Pipeline *pipeline;
    size_t next;
    FilterSink sink;
    void *context;
} PipelineFlush;

static int
pipeline_flush_downstream(void *flush_context, const uint8_t *data, size_t size)
{
    PipelineFlush *flush = flush_context;
    return pipeline_push_from(flush->pipeline, flush->next, data, size, false, flush->sink, flush->context);
}

int
filter_flush(Filter *filter, Buf *out)
{
    if (filter->flush == NULL || out->size == 0)
        return 0;
    TRY(filter->flush(filter->flush_context, out->data, out->size));
    buf_clear(out);
    return 0;
}

/* Call a transformer's process(), process_stable(), settle() or finish() with its flush hook pointing downstream. */
static int
pipeline_stage_call(Pipeline *pipeline, size_t index, const uint8_t *data, size_t size, StageCall call,
                    FilterSink sink, void *context)
{
    PipelineStage *stage = &pipeline->stages[index];
    const FilterOps *ops = stage->filter->ops;
    PipelineFlush flush = {pipeline, index + 1, sink, context};
    stage->filter->flush = pipeline_flush_downstream;
    stage->filter->flush_context = &flush;
    int result = 0;
    switch (call) {
    case STAGE_PROCESS:
        result = ops->process(stage->filter, data, size, &stage->out);
        break;
    case STAGE_PROCESS_STABLE:
        result = ops->process_stable(stage->filter, data, size, &stage->out);
        break;
    case STAGE_SETTLE:
        result = ops->settle(stage->filter, &stage->out);
        break;
    case STAGE_FINISH:
        result = ops->finish(stage->filter, &stage->out);
        break;
    }
    stage->filter->flush = NULL;
    stage->filter->flush_context = NULL;
    return result;
}

/* Push bytes into the pipeline starting at stage `first`: observers see the bytes in place, a transformer's
 * output (slice by slice) continues recursively from the next stage, and what leaves the last stage goes to
 * the sink. `stable`: the bytes are the caller's from pipeline_push_stable() (never a stage's output). */
static int
pipeline_push_from(Pipeline *pipeline, size_t first, const uint8_t *data, size_t size, bool stable, FilterSink sink,
                   void *context)
{
    for (size_t index = first; index < pipeline->count; index++) {
        PipelineStage *stage = &pipeline->stages[index];
        const FilterOps *ops = stage->filter->ops;

        if (!ops->transforms) {
            TRY(ops->process(stage->filter, data, size, NULL));
            continue;
        }

        StageCall call = stable && ops->process_stable != NULL ? STAGE_PROCESS_STABLE : STAGE_PROCESS;
        size_t offset = 0;
        do {
            size_t slice = size - offset < PIPELINE_SLICE_SIZE ? size - offset : PIPELINE_SLICE_SIZE;
            buf_clear(&stage->out);
            TRY(pipeline_stage_call(pipeline, index, data + offset, slice, call, sink, context));
            if (stage->out.size > 0)
                TRY(pipeline_push_from(pipeline, index + 1, stage->out.data, stage->out.size, false, sink, context));
            offset += slice;
        } while (offset < size);
        return 0;
    }

    if (size == 0)
        return 0;
    return sink(context, data, size);
}

static int
pipeline_push_slices(Pipeline *pipeline, const uint8_t *data, size_t size, bool stable, FilterSink sink,
                     void *context)
{
    if (pipeline->finished)
        return err_set(ERR_ASSERT, "pipeline: push after finish");
    /* Slice by slice through every stage, so that each slice is still in cache when the next stage reads it. */
    for (size_t offset = 0; offset < size; offset += PIPELINE_SLICE_SIZE) {
        size_t slice = size - offset < PIPELINE_SLICE_SIZE ? size - offset : PIPELINE_SLICE_SIZE;
        TRY(pipeline_push_from(pipeline, 0, data + offset, slice, stable, sink, context));
    }
    return 0;
}

int
pipeline_push(Pipeline *pipeline, const uint8_t *data, size_t size, FilterSink sink, void *context)
{
    return pipeline_push_slices(pipeline, data, size, false, sink, context);
}

int
pipeline_push_stable(Pipeline *pipeline, const uint8_t *data, size_t size, FilterSink sink, void *context)
{
    return pipeline_push_slices(pipeline, data, size, true, sink, context);
}

int
pipeline_settle(Pipeline *pipeline, FilterSink sink, void *context)
{
    /* only the first transformer ever sees the caller's bytes (the observers before it do not keep them) */
    for (size_t index = 0; index < pipeline->count; index++) {
        PipelineStage *stage = &pipeline->stages[index];
        if (!stage->filter->ops->transforms)
            continue;
        if (stage->filter->ops->settle == NULL || pipeline->finished)
            return 0;
        buf_clear(&stage->out);
        TRY(pipeline_stage_call(pipeline, index, NULL, 0, STAGE_SETTLE, sink, context));
        if (stage->out.size > 0)
            TRY(pipeline_push_from(pipeline, index + 1, stage->out.data, stage->out.size, false, sink, context));
        return 0;
    }
    return 0;
}

int
pipeline_finish(Pipeline *pipeline, FilterSink sink, void *context)
{
    if (pipeline->finished)
        return err_set(ERR_ASSERT, "pipeline: finished twice");
    pipeline->finished = true;

    for (size_t index = 0; index < pipeline->count; index++) {
        PipelineStage *stage = &pipeline->stages[index];
        const FilterOps *ops = stage->filter->ops;
        if (ops->finish == NULL)
            continue;

        if (!ops->transforms) {
            TRY(ops->finish(stage->filter, NULL));
            continue;
        }

        buf_clear(&stage->out);
        TRY(pipeline_stage_call(pipeline, index, NULL, 0, STAGE_FINISH, sink, context));
        if (stage->out.size > 0)
            TRY(pipeline_push_from(pipeline, index + 1, stage->out.data, stage->out.size, false, sink, context));
        /* The finished stage produces nothing more: give its buffer back. */
        buf_free(&stage->out);
    }

    /* Nothing at the end of the pipeline is buffered, so the sink has had everything. */
    return 0;
}

static int
pipeline_sink_buf(void *context, const uint8_t *data, size_t size)
{
    buf_append(context, data, size);
    return 0;
}

int
pipeline_run_buffer(Pipeline *pipeline, const uint8_t *data, size_t size, Buf *out)
{
    TRY(pipeline_push(pipeline, data, size, pipeline_sink_buf, out));
    return pipeline_finish(pipeline, pipeline_sink_buf, out);
}

void
pipeline_free(Pipeline *pipeline)
{
    if (pipeline == NULL)
        return;
    for (size_t index = 0; index < pipeline->count; index++) {
        filter_free(pipeline->stages[index].filter);
        buf_free(&pipeline->stages[index].out);
    }
    free(pipeline->stages);
    free(pipeline);
}
