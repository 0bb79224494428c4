/* compress: gz, lz4, zst and bz2 compression and decompression filters (see compress.h). */
#include "storage/filter/compress.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <bzlib.h>
#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include "common/error.h"
#include "common/mem.h"

/* zlib and libbz2 count in unsigned int: larger inputs are fed in pieces of at most this many bytes. */
#define COMPRESS_LIBRARY_CHUNK_MAX ((size_t)1 << 30)
/* The least free space offered to a library call that produces output of unknown size. */
#define COMPRESS_OUT_MIN ((size_t)64 * 1024)
/* The space offered to LZ4F_decompress: it decodes a block straight into the caller's buffer only when that can take
 * the frame's largest block (1 MiB in the frames gaiarest writes, 64 KiB in stock pgBackRest's); with less it decodes
 * into a buffer of its own and copies every byte out. */
#define LZ4_DECOMPRESS_OUT_MIN ((size_t)1 << 20)

/***********************************************************************************************************************
 * Type names, extensions and levels
 **********************************************************************************************************************/
typedef struct CompressTypeInfo {
    const char *name;
    const char *ext;
    int level_default;
    int level_min;
    int level_max;
} CompressTypeInfo;

static const CompressTypeInfo compress_type_info[] = {
    [COMPRESS_NONE] = {"none", "", 0, 0, 0},
    [COMPRESS_GZ] = {"gz", "gz", 6, -1, 9},
    [COMPRESS_LZ4] = {"lz4", "lz4", 1, -5, 12},
    [COMPRESS_ZST] = {"zst", "zst", 3, -7, 22},
    [COMPRESS_BZ2] = {"bz2", "bz2", 9, 1, 9},
};

#define COMPRESS_TYPE_COUNT (sizeof(compress_type_info) / sizeof(compress_type_info[0]))

static bool
compress_type_valid(CompressType type)
{
    return (unsigned)type < COMPRESS_TYPE_COUNT;
}

const char *
compress_type_name(CompressType type)
{
    return compress_type_valid(type) ? compress_type_info[type].name : "unknown";
}

int
compress_type_parse(const char *name)
{
    for (size_t type = 0; type < COMPRESS_TYPE_COUNT; type++) {
        if (strcmp(name, compress_type_info[type].name) == 0)
            return (int)type;
    }
    return -1;
}

const char *
compress_type_ext(CompressType type)
{
    return compress_type_valid(type) ? compress_type_info[type].ext : "";
}

CompressType
compress_type_from_name(const char *file_name)
{
    const char *dot = strrchr(file_name, '.');
    if (dot == NULL)
        return COMPRESS_NONE;
    for (size_t type = COMPRESS_GZ; type < COMPRESS_TYPE_COUNT; type++) {
        if (strcmp(dot + 1, compress_type_info[type].ext) == 0)
            return (CompressType)type;
    }
    return COMPRESS_NONE;
}

int
compress_level_default(CompressType type)
{
    return compress_type_valid(type) ? compress_type_info[type].level_default : 0;
}

int
compress_level_check(CompressType type, int level)
{
    if (!compress_type_valid(type))
        return err_set(ERR_ASSERT, "invalid compress type %d", (int)type);
    /* With no compression the level is recorded but never used. */
    if (type == COMPRESS_NONE)
        return 0;

    const CompressTypeInfo *info = &compress_type_info[type];
    if (level < info->level_min || level > info->level_max) {
        err_set(ERR_OPTION_INVALID_VALUE, "'%d' is out of range for 'compress-level' option", level);
        return err_hint("compress-type '%s' allows levels %d to %d", info->name, info->level_min, info->level_max);
    }
    return 0;
}

/***********************************************************************************************************************
 * Shared state and output helpers
 **********************************************************************************************************************/
/* Bytes per zstd job when compression runs on worker threads (see filter_compress_set_threads). */
#define ZST_THREAD_JOB_SIZE (2 << 20)

typedef struct CompressState {
    CompressType type;
    bool raw;
    bool started;          /* lz4 compress: the frame header was written */
    bool ended;            /* decompress: the end of the stream was reached */
    bool skip_checksum;    /* lz4 decompress: the caller verifies the content itself */
    bool threaded;         /* zst compress on libzstd's threads: its buffers are not kept in the context cache */
    const char *init_error; /* set when the library could not be initialised: every call then fails */
    union {
        z_stream zlib;
        bz_stream bzip2;
        LZ4F_cctx *lz4_compress;
        LZ4F_dctx *lz4_decompress;
        ZSTD_CCtx *zst_compress;
        ZSTD_DCtx *zst_decompress;
    } lib;
    LZ4F_preferences_t lz4_prefs;
} CompressState;

/* Make sure `out` has at least `want` free bytes and return where the next byte goes. */
static uint8_t *
out_space(Buf *out, size_t want, size_t *avail)
{
    if (out->data == NULL || out->cap - out->size < want)
        buf_reserve(out, want);
    *avail = out->cap - out->size;
    return out->data + out->size;
}

/* Account for `produced` bytes written at out_space(). */
static void
out_commit(Buf *out, size_t produced)
{
    out->size += produced;
    out->data[out->size] = '\0';
}

static unsigned int
clamp_uint(size_t value)
{
    return value > UINT_MAX ? UINT_MAX : (unsigned int)value;
}

static int
compress_check_init(const Filter *filter)
{
    const CompressState *state = filter->state;
    if (state->init_error != NULL)
        return err_set(ERR_ASSERT, "%s: unable to initialise: %s", filter->ops->name, state->init_error);
    return 0;
}

static int
decompress_error_corrupt(const Filter *filter, const char *detail)
{
    const CompressState *state = filter->state;
    return err_set(ERR_FORMAT, "unable to decompress %s data: it is corrupt (%s)", compress_type_name(state->type),
                   detail != NULL ? detail : "invalid data");
}

static int
decompress_error_truncated(const Filter *filter)
{
    const CompressState *state = filter->state;
    return err_set(ERR_FORMAT, "unable to decompress %s data: it is truncated (the compressed stream does not end)",
                   compress_type_name(state->type));
}

static int
decompress_error_trailing(const Filter *filter)
{
    const CompressState *state = filter->state;
    return err_set(ERR_FORMAT, "unable to decompress %s data: unexpected bytes after the end of the compressed stream",
                   compress_type_name(state->type));
}

/* A decompressor's finish: the stream must have ended. */
static int
decompress_finish(Filter *filter, Buf *out)
{
    (void)out;
    TRY(compress_check_init(filter));
    if (!((CompressState *)filter->state)->ended)
        return decompress_error_truncated(filter);
    return 0;
}

/***********************************************************************************************************************
 * Per-thread context cache: a backup or restore worker goes through thousands of files, and a new lz4 or zstd
 * context per file touches a fresh megabyte or more each time (its block buffer or workspace: about 260
 * page faults per file). Each thread keeps the context of its last finished stream of each kind and the next
 * stream of that kind starts from it (reset first). Freed when the thread exits; the main thread's stay
 * reachable until the process ends.
 **********************************************************************************************************************/
typedef struct ContextCache {
    LZ4F_cctx *lz4_compress;
    LZ4F_dctx *lz4_decompress;
    ZSTD_CCtx *zst_compress;
    ZSTD_DCtx *zst_decompress;
} ContextCache;

static __thread ContextCache context_cache;
static pthread_key_t context_cache_key;
static pthread_once_t context_cache_once = PTHREAD_ONCE_INIT;

static void
context_cache_destroy(void *value)
{
    ContextCache *cache = value;
    LZ4F_freeCompressionContext(cache->lz4_compress);
    LZ4F_freeDecompressionContext(cache->lz4_decompress);
    ZSTD_freeCCtx(cache->zst_compress);
    ZSTD_freeDCtx(cache->zst_decompress);
    memset(cache, 0, sizeof(*cache));
}

static void
context_cache_key_create(void)
{
    (void)pthread_key_create(&context_cache_key, context_cache_destroy);
}

/* This thread's cache, with its destructor registered (a failed registration only means no free at thread exit). */
static ContextCache *
context_cache_get(void)
{
    (void)pthread_once(&context_cache_once, context_cache_key_create);
    if (pthread_getspecific(context_cache_key) == NULL)
        (void)pthread_setspecific(context_cache_key, &context_cache);
    return &context_cache;
}

/* Take a cached context (the slot is emptied) or NULL. */
static void *
context_cache_take(void **slot)
{
    void *context = *slot;
    *slot = NULL;
    return context;
}

static CompressState *
compress_state_new(CompressType type, bool raw)
{
    CompressState *state = mem_calloc(1, sizeof(*state));
    state->type = type;
    state->raw = raw;
    return state;
}

/***********************************************************************************************************************
 * gz (zlib): gzip wrapper, or a zlib stream when raw
 **********************************************************************************************************************/
static int
gz_window_bits(bool raw)
{
    return raw ? MAX_WBITS : MAX_WBITS + 16;
}

static int
gz_compress_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    TRY(compress_check_init(filter));
    z_stream *stream = &((CompressState *)filter->state)->lib.zlib;

    for (size_t offset = 0; offset < in_size;) {
        size_t chunk = in_size - offset < COMPRESS_LIBRARY_CHUNK_MAX ? in_size - offset : COMPRESS_LIBRARY_CHUNK_MAX;
        stream->next_in = (Bytef *)(in + offset);
        stream->avail_in = (uInt)chunk;
        size_t want = deflateBound(stream, (uLong)chunk);

        while (stream->avail_in > 0) {
            size_t avail;
            stream->next_out = out_space(out, want, &avail);
            stream->avail_out = clamp_uint(avail);
            uInt before = stream->avail_out;
            int result = deflate(stream, Z_NO_FLUSH);
            out_commit(out, before - stream->avail_out);
            if (result != Z_OK && result != Z_BUF_ERROR)
                return err_set(ERR_ASSERT, "unable to compress gz data: zlib error %d", result);
            want = COMPRESS_OUT_MIN;
        }
        offset += chunk;
    }
    return 0;
}

static int
gz_compress_finish(Filter *filter, Buf *out)
{
    TRY(compress_check_init(filter));
    z_stream *stream = &((CompressState *)filter->state)->lib.zlib;
    stream->next_in = NULL;
    stream->avail_in = 0;

    for (;;) {
        size_t avail;
        stream->next_out = out_space(out, COMPRESS_OUT_MIN, &avail);
        stream->avail_out = clamp_uint(avail);
        uInt before = stream->avail_out;
        int result = deflate(stream, Z_FINISH);
        out_commit(out, before - stream->avail_out);
        if (result == Z_STREAM_END)
            return 0;
        if (result != Z_OK && result != Z_BUF_ERROR)
            return err_set(ERR_ASSERT, "unable to finish gz data: zlib error %d", result);
    }
}

static void
gz_compress_free_state(Filter *filter)
{
    CompressState *state = filter->state;
    if (state->init_error == NULL)
        deflateEnd(&state->lib.zlib);
    free(state);
}

static int
gz_decompress_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    TRY(compress_check_init(filter));
    CompressState *state = filter->state;
    z_stream *stream = &state->lib.zlib;
    if (in_size > 0 && state->ended)
        return decompress_error_trailing(filter);

    for (size_t offset = 0; offset < in_size;) {
        size_t chunk = in_size - offset < COMPRESS_LIBRARY_CHUNK_MAX ? in_size - offset : COMPRESS_LIBRARY_CHUNK_MAX;
        stream->next_in = (Bytef *)(in + offset);
        stream->avail_in = (uInt)chunk;
        size_t want = chunk * 2 > COMPRESS_OUT_MIN ? chunk * 2 : COMPRESS_OUT_MIN;

        for (;;) {
            size_t avail;
            stream->next_out = out_space(out, want, &avail);
            stream->avail_out = clamp_uint(avail);
            uInt before = stream->avail_out;
            int result = inflate(stream, Z_NO_FLUSH);
            out_commit(out, before - stream->avail_out);
            if (out->size >= FILTER_FLUSH_SIZE)
                TRY(filter_flush(filter, out));

            if (result == Z_STREAM_END) {
                state->ended = true;
                if (stream->avail_in > 0 || offset + chunk < in_size)
                    return decompress_error_trailing(filter);
                return 0;
            }
            if (result != Z_OK && result != Z_BUF_ERROR)
                return decompress_error_corrupt(filter, stream->msg);
            if (stream->avail_in == 0 && stream->avail_out > 0)
                break;
            want = COMPRESS_OUT_MIN;
        }
        offset += chunk;
    }
    return 0;
}

static void
gz_decompress_free_state(Filter *filter)
{
    CompressState *state = filter->state;
    if (state->init_error == NULL)
        inflateEnd(&state->lib.zlib);
    free(state);
}

static const FilterOps gz_compress_ops = {
    .name = "gz-compress", .transforms = true, .process = gz_compress_process, .finish = gz_compress_finish,
    .free_state = gz_compress_free_state,
};

static const FilterOps gz_decompress_ops = {
    .name = "gz-decompress", .transforms = true, .process = gz_decompress_process, .finish = decompress_finish,
    .free_state = gz_decompress_free_state,
};

static Filter *
gz_compress_new(int level, bool raw)
{
    CompressState *state = compress_state_new(COMPRESS_GZ, raw);
    if (deflateInit2(&state->lib.zlib, level, Z_DEFLATED, gz_window_bits(raw), 9, Z_DEFAULT_STRATEGY) != Z_OK)
        state->init_error = "deflateInit2 failed (invalid level?)";
    return filter_new(&gz_compress_ops, state);
}

static Filter *
gz_decompress_new(bool raw)
{
    CompressState *state = compress_state_new(COMPRESS_GZ, raw);
    if (inflateInit2(&state->lib.zlib, gz_window_bits(raw)) != Z_OK)
        state->init_error = "inflateInit2 failed";
    return filter_new(&gz_decompress_ops, state);
}

/***********************************************************************************************************************
 * lz4: LZ4 frame, content checksum unless raw
 **********************************************************************************************************************/
static int
lz4_compress_begin(Filter *filter, Buf *out)
{
    CompressState *state = filter->state;
    if (state->started)
        return 0;
    size_t avail;
    uint8_t *dst = out_space(out, LZ4F_HEADER_SIZE_MAX, &avail);
    size_t written = LZ4F_compressBegin(state->lib.lz4_compress, dst, avail, &state->lz4_prefs);
    if (LZ4F_isError(written))
        return err_set(ERR_ASSERT, "unable to begin lz4 frame: %s", LZ4F_getErrorName(written));
    out_commit(out, written);
    state->started = true;
    return 0;
}

static int
lz4_compress_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    TRY(compress_check_init(filter));
    CompressState *state = filter->state;
    TRY(lz4_compress_begin(filter, out));
    if (in_size == 0)
        return 0;

    size_t avail;
    uint8_t *dst = out_space(out, LZ4F_compressBound(in_size, &state->lz4_prefs), &avail);
    size_t written = LZ4F_compressUpdate(state->lib.lz4_compress, dst, avail, in, in_size, NULL);
    if (LZ4F_isError(written))
        return err_set(ERR_ASSERT, "unable to compress lz4 data: %s", LZ4F_getErrorName(written));
    out_commit(out, written);
    return 0;
}

static int
lz4_compress_finish(Filter *filter, Buf *out)
{
    TRY(compress_check_init(filter));
    CompressState *state = filter->state;
    TRY(lz4_compress_begin(filter, out));

    size_t avail;
    uint8_t *dst = out_space(out, LZ4F_compressBound(0, &state->lz4_prefs), &avail);
    size_t written = LZ4F_compressEnd(state->lib.lz4_compress, dst, avail, NULL);
    if (LZ4F_isError(written))
        return err_set(ERR_ASSERT, "unable to end lz4 frame: %s", LZ4F_getErrorName(written));
    out_commit(out, written);
    return 0;
}

static void
lz4_compress_free_state(Filter *filter)
{
    CompressState *state = filter->state;
    ContextCache *cache = context_cache_get();
    if (cache->lz4_compress == NULL)
        cache->lz4_compress = state->lib.lz4_compress; /* compressBegin resets it for the next frame */
    else
        LZ4F_freeCompressionContext(state->lib.lz4_compress);
    free(state);
}

static int
lz4_decompress_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    TRY(compress_check_init(filter));
    CompressState *state = filter->state;
    if (in_size > 0 && state->ended)
        return decompress_error_trailing(filter);

    size_t offset = 0;
    bool out_full;
    do {
        size_t avail;
        uint8_t *dst = out_space(out, LZ4_DECOMPRESS_OUT_MIN, &avail);
        size_t dst_size = avail;
        size_t src_size = in_size - offset;
        LZ4F_decompressOptions_t options = {.skipChecksums = state->skip_checksum ? 1 : 0};
        size_t hint = LZ4F_decompress(state->lib.lz4_decompress, dst, &dst_size, in + offset, &src_size, &options);
        if (LZ4F_isError(hint))
            return decompress_error_corrupt(filter, LZ4F_getErrorName(hint));
        out_commit(out, dst_size);
        if (out->size >= FILTER_FLUSH_SIZE)
            TRY(filter_flush(filter, out));
        offset += src_size;
        if (hint == 0) {
            state->ended = true;
            if (offset < in_size)
                return decompress_error_trailing(filter);
            return 0;
        }
        out_full = dst_size == avail;
    } while (offset < in_size || out_full);
    return 0;
}

static void
lz4_decompress_free_state(Filter *filter)
{
    CompressState *state = filter->state;
    ContextCache *cache = context_cache_get();
    if (cache->lz4_decompress == NULL && state->lib.lz4_decompress != NULL)
        cache->lz4_decompress = state->lib.lz4_decompress;
    else
        LZ4F_freeDecompressionContext(state->lib.lz4_decompress);
    free(state);
}

static const FilterOps lz4_compress_ops = {
    .name = "lz4-compress", .transforms = true, .process = lz4_compress_process, .finish = lz4_compress_finish,
    .free_state = lz4_compress_free_state,
};

static const FilterOps lz4_decompress_ops = {
    .name = "lz4-decompress", .transforms = true, .process = lz4_decompress_process, .finish = decompress_finish,
    .free_state = lz4_decompress_free_state,
};

static Filter *
lz4_compress_new(int level, bool raw)
{
    CompressState *state = compress_state_new(COMPRESS_LZ4, raw);
    /* Default preferences (64 KiB linked blocks, no content size) except the level and the checksum, as
     * pgBackRest writes them (FLG 0x44); filter_compress_set_checksummed changes the blocks and the checksum. */
    state->lz4_prefs.compressionLevel = level;
    state->lz4_prefs.frameInfo.contentChecksumFlag = raw ? LZ4F_noContentChecksum : LZ4F_contentChecksumEnabled;
    state->lib.lz4_compress = context_cache_take((void **)&context_cache_get()->lz4_compress);
    if (state->lib.lz4_compress == NULL &&
        LZ4F_isError(LZ4F_createCompressionContext(&state->lib.lz4_compress, LZ4F_VERSION)))
        state->init_error = "LZ4F_createCompressionContext failed";
    return filter_new(&lz4_compress_ops, state);
}

static Filter *
lz4_decompress_new(bool raw)
{
    CompressState *state = compress_state_new(COMPRESS_LZ4, raw);
    state->lib.lz4_decompress = context_cache_take((void **)&context_cache_get()->lz4_decompress);
    if (state->lib.lz4_decompress != NULL)
        LZ4F_resetDecompressionContext(state->lib.lz4_decompress);
    else if (LZ4F_isError(LZ4F_createDecompressionContext(&state->lib.lz4_decompress, LZ4F_VERSION)))
        state->init_error = "LZ4F_createDecompressionContext failed";
    return filter_new(&lz4_decompress_ops, state);
}

/***********************************************************************************************************************
 * zst: Zstandard stream with default parameters (raw makes no difference)
 **********************************************************************************************************************/
static int
zst_compress_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    TRY(compress_check_init(filter));
    CompressState *state = filter->state;
    ZSTD_inBuffer input = {in, in_size, 0};
    size_t want = ZSTD_compressBound(in_size) + ZSTD_CStreamOutSize();

    while (input.pos < input.size) {
        size_t avail;
        ZSTD_outBuffer output = {out_space(out, want, &avail), 0, 0};
        output.size = avail;
        /* ZSTD_e_continue only: the content size stays out of the frame header, as pgBackRest writes it. */
        size_t result = ZSTD_compressStream2(state->lib.zst_compress, &output, &input, ZSTD_e_continue);
        if (ZSTD_isError(result))
            return err_set(ERR_ASSERT, "unable to compress zst data: %s", ZSTD_getErrorName(result));
        out_commit(out, output.pos);
        want = ZSTD_CStreamOutSize();
    }
    return 0;
}

static int
zst_compress_finish(Filter *filter, Buf *out)
{
    TRY(compress_check_init(filter));
    CompressState *state = filter->state;
    ZSTD_inBuffer input = {NULL, 0, 0};
    size_t remaining;

    do {
        size_t avail;
        ZSTD_outBuffer output = {out_space(out, ZSTD_CStreamOutSize(), &avail), 0, 0};
        output.size = avail;
        remaining = ZSTD_compressStream2(state->lib.zst_compress, &output, &input, ZSTD_e_end);
        if (ZSTD_isError(remaining))
            return err_set(ERR_ASSERT, "unable to finish zst data: %s", ZSTD_getErrorName(remaining));
        out_commit(out, output.pos);
    } while (remaining > 0);
    return 0;
}

static void
zst_compress_free_state(Filter *filter)
{
    CompressState *state = filter->state;
    ContextCache *cache = context_cache_get();
    if (cache->zst_compress == NULL && !state->threaded)
        cache->zst_compress = state->lib.zst_compress;
    else
        ZSTD_freeCCtx(state->lib.zst_compress);
    free(state);
}

static int
zst_decompress_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    TRY(compress_check_init(filter));
    CompressState *state = filter->state;
    if (in_size > 0 && state->ended)
        return decompress_error_trailing(filter);

    ZSTD_inBuffer input = {in, in_size, 0};
    size_t want = in_size * 2 > ZSTD_DStreamOutSize() ? in_size * 2 : ZSTD_DStreamOutSize();
    for (;;) {
        size_t avail;
        ZSTD_outBuffer output = {out_space(out, want, &avail), 0, 0};
        output.size = avail;
        size_t result = ZSTD_decompressStream(state->lib.zst_decompress, &output, &input);
        if (ZSTD_isError(result))
            return decompress_error_corrupt(filter, ZSTD_getErrorName(result));
        out_commit(out, output.pos);
        if (out->size >= FILTER_FLUSH_SIZE)
            TRY(filter_flush(filter, out));
        if (result == 0) {
            state->ended = true;
            if (input.pos < input.size)
                return decompress_error_trailing(filter);
            return 0;
        }
        if (input.pos == input.size && output.pos < output.size)
            return 0;
        want = ZSTD_DStreamOutSize();
    }
}

static void
zst_decompress_free_state(Filter *filter)
{
    CompressState *state = filter->state;
    ContextCache *cache = context_cache_get();
    if (cache->zst_decompress == NULL)
        cache->zst_decompress = state->lib.zst_decompress;
    else
        ZSTD_freeDCtx(state->lib.zst_decompress);
    free(state);
}

static const FilterOps zst_compress_ops = {
    .name = "zst-compress", .transforms = true, .process = zst_compress_process, .finish = zst_compress_finish,
    .free_state = zst_compress_free_state,
};

static const FilterOps zst_decompress_ops = {
    .name = "zst-decompress", .transforms = true, .process = zst_decompress_process, .finish = decompress_finish,
    .free_state = zst_decompress_free_state,
};

static Filter *
zst_compress_new(int level)
{
    CompressState *state = compress_state_new(COMPRESS_ZST, false);
    state->lib.zst_compress = context_cache_take((void **)&context_cache_get()->zst_compress);
    if (state->lib.zst_compress != NULL)
        ZSTD_CCtx_reset(state->lib.zst_compress, ZSTD_reset_session_and_parameters);
    else
        state->lib.zst_compress = ZSTD_createCCtx();
    if (state->lib.zst_compress == NULL)
        state->init_error = "ZSTD_createCCtx failed";
    else if (ZSTD_isError(ZSTD_CCtx_setParameter(state->lib.zst_compress, ZSTD_c_compressionLevel, level)))
        state->init_error = "invalid zst compression level";
    return filter_new(&zst_compress_ops, state);
}

static Filter *
zst_decompress_new(void)
{
    CompressState *state = compress_state_new(COMPRESS_ZST, false);
    state->lib.zst_decompress = context_cache_take((void **)&context_cache_get()->zst_decompress);
    if (state->lib.zst_decompress != NULL)
        ZSTD_DCtx_reset(state->lib.zst_decompress, ZSTD_reset_session_and_parameters);
    else
        state->lib.zst_decompress = ZSTD_createDCtx();
    if (state->lib.zst_decompress == NULL)
        state->init_error = "ZSTD_createDCtx failed";
    return filter_new(&zst_decompress_ops, state);
}

/***********************************************************************************************************************
 * bz2: libbz2 stream with block size `level` (raw makes no difference)
 **********************************************************************************************************************/
static int
bz2_compress_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    TRY(compress_check_init(filter));
    bz_stream *stream = &((CompressState *)filter->state)->lib.bzip2;

    for (size_t offset = 0; offset < in_size;) {
        size_t chunk = in_size - offset < COMPRESS_LIBRARY_CHUNK_MAX ? in_size - offset : COMPRESS_LIBRARY_CHUNK_MAX;
        stream->next_in = (char *)(in + offset);
        stream->avail_in = (unsigned int)chunk;
        /* libbz2 emits a whole block (up to 900 kB, slightly larger when incompressible) at a time. */
        size_t want = chunk + chunk / 100 + COMPRESS_OUT_MIN;

        while (stream->avail_in > 0) {
            size_t avail;
            stream->next_out = (char *)out_space(out, want, &avail);
            stream->avail_out = clamp_uint(avail);
            unsigned int before = stream->avail_out;
            int result = BZ2_bzCompress(stream, BZ_RUN);
            out_commit(out, before - stream->avail_out);
            if (result != BZ_RUN_OK)
                return err_set(ERR_ASSERT, "unable to compress bz2 data: libbz2 error %d", result);
            want = COMPRESS_OUT_MIN;
        }
        offset += chunk;
    }
    return 0;
}

static int
bz2_compress_finish(Filter *filter, Buf *out)
{
    TRY(compress_check_init(filter));
    bz_stream *stream = &((CompressState *)filter->state)->lib.bzip2;
    stream->next_in = NULL;
    stream->avail_in = 0;

    for (;;) {
        size_t avail;
        stream->next_out = (char *)out_space(out, COMPRESS_OUT_MIN, &avail);
        stream->avail_out = clamp_uint(avail);
        unsigned int before = stream->avail_out;
        int result = BZ2_bzCompress(stream, BZ_FINISH);
        out_commit(out, before - stream->avail_out);
        if (result == BZ_STREAM_END)
            return 0;
        if (result != BZ_FINISH_OK)
            return err_set(ERR_ASSERT, "unable to finish bz2 data: libbz2 error %d", result);
    }
}

static void
bz2_compress_free_state(Filter *filter)
{
    CompressState *state = filter->state;
    if (state->init_error == NULL)
        BZ2_bzCompressEnd(&state->lib.bzip2);
    free(state);
}

static const char *
bz2_error_text(int result)
{
    switch (result) {
        case BZ_DATA_ERROR_MAGIC:
            return "not a bz2 stream";
        case BZ_DATA_ERROR:
            return "data integrity error";
        case BZ_MEM_ERROR:
            return "out of memory";
        default:
            return "libbz2 error";
    }
}

static int
bz2_decompress_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    TRY(compress_check_init(filter));
    CompressState *state = filter->state;
    bz_stream *stream = &state->lib.bzip2;
    if (in_size > 0 && state->ended)
        return decompress_error_trailing(filter);

    for (size_t offset = 0; offset < in_size;) {
        size_t chunk = in_size - offset < COMPRESS_LIBRARY_CHUNK_MAX ? in_size - offset : COMPRESS_LIBRARY_CHUNK_MAX;
        stream->next_in = (char *)(in + offset);
        stream->avail_in = (unsigned int)chunk;
        size_t want = chunk * 2 > COMPRESS_OUT_MIN ? chunk * 2 : COMPRESS_OUT_MIN;

        for (;;) {
            size_t avail;
            stream->next_out = (char *)out_space(out, want, &avail);
            stream->avail_out = clamp_uint(avail);
            unsigned int before = stream->avail_out;
            int result = BZ2_bzDecompress(stream);
            out_commit(out, before - stream->avail_out);
            if (out->size >= FILTER_FLUSH_SIZE)
                TRY(filter_flush(filter, out));

            if (result == BZ_STREAM_END) {
                state->ended = true;
                if (stream->avail_in > 0 || offset + chunk < in_size)
                    return decompress_error_trailing(filter);
                return 0;
            }
            if (result != BZ_OK)
                return decompress_error_corrupt(filter, bz2_error_text(result));
            if (stream->avail_in == 0 && stream->avail_out > 0)
                break;
            want = COMPRESS_OUT_MIN;
        }
        offset += chunk;
    }
    return 0;
}

static void
bz2_decompress_free_state(Filter *filter)
{
    CompressState *state = filter->state;
    if (state->init_error == NULL)
        BZ2_bzDecompressEnd(&state->lib.bzip2);
    free(state);
}

static const FilterOps bz2_compress_ops = {
    .name = "bz2-compress", .transforms = true, .process = bz2_compress_process, .finish = bz2_compress_finish,
    .free_state = bz2_compress_free_state,
};

static const FilterOps bz2_decompress_ops = {
    .name = "bz2-decompress", .transforms = true, .process = bz2_decompress_process, .finish = decompress_finish,
    .free_state = bz2_decompress_free_state,
};

static Filter *
bz2_compress_new(int level)
{
    CompressState *state = compress_state_new(COMPRESS_BZ2, false);
    if (BZ2_bzCompressInit(&state->lib.bzip2, level, 0, 0) != BZ_OK)
        state->init_error = "BZ2_bzCompressInit failed (invalid level?)";
    return filter_new(&bz2_compress_ops, state);
}

static Filter *
bz2_decompress_new(void)
{
    CompressState *state = compress_state_new(COMPRESS_BZ2, false);
    if (BZ2_bzDecompressInit(&state->lib.bzip2, 0, 0) != BZ_OK)
        state->init_error = "BZ2_bzDecompressInit failed";
    return filter_new(&bz2_decompress_ops, state);
}

/***********************************************************************************************************************
 * Constructors
 **********************************************************************************************************************/
Filter *
filter_compress_new(CompressType type, int level, bool raw)
{
    switch (type) {
        case COMPRESS_GZ:
            return gz_compress_new(level, raw);
        case COMPRESS_LZ4:
            return lz4_compress_new(level, raw);
        case COMPRESS_ZST:
            return zst_compress_new(level);
        case COMPRESS_BZ2:
            return bz2_compress_new(level);
        case COMPRESS_NONE:
            break;
    }
    abort(); /* a caller bug: no filter exists for "none" */
}

Filter *
filter_decompress_new(CompressType type, bool raw)
{
    switch (type) {
        case COMPRESS_GZ:
            return gz_decompress_new(raw);
        case COMPRESS_LZ4:
            return lz4_decompress_new(raw);
        case COMPRESS_ZST:
            return zst_decompress_new();
        case COMPRESS_BZ2:
            return bz2_decompress_new();
        case COMPRESS_NONE:
            break;
    }
    abort(); /* a caller bug: no filter exists for "none" */
}

void
filter_decompress_skip_checksum(Filter *filter)
{
    CompressState *state = filter->state;
    state->skip_checksum = true;
}

void
filter_compress_set_checksummed(Filter *filter)
{
    CompressState *state = filter->state;
    if (state->type != COMPRESS_LZ4)
        return;
    state->lz4_prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    state->lz4_prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    state->lz4_prefs.frameInfo.blockSizeID = LZ4F_max1MB;
}

void
filter_compress_set_threads(Filter *filter, unsigned threads)
{
    CompressState *state = filter->state;
    if (state->type != COMPRESS_ZST || threads == 0 || state->init_error != NULL || state->lib.zst_compress == NULL)
        return;
    /* a libzstd built without threads refuses nbWorkers: compression then stays on the calling thread */
    if (ZSTD_isError(ZSTD_CCtx_setParameter(state->lib.zst_compress, ZSTD_c_nbWorkers, (int)threads)))
        return;
    /* refused only out of range: the library's own job size is then kept, which is as valid */
    state->threaded = true;
    (void)ZSTD_CCtx_setParameter(state->lib.zst_compress, ZSTD_c_jobSize, ZST_THREAD_JOB_SIZE);
}
