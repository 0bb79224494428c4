/*
 * fuzz_filter: the streaming filters every stored byte goes through (storage/filter): decompressors and the
 * decrypting cipher over whatever a repository file may hold, and round trips through compressor + decompressor
 * and cipher + decipher pushed in pieces of every size.
 *
 * Input: a mode byte (bits 0-1: decompress, compress round trip, decrypt, encrypt round trip; bits 2-4: the
 * compression variant; bit 5: raw framing), a piece-size byte, then the data. Properties: a decompressor or
 * decipher given bad bytes fails with an error and never crashes; every round trip gives back the input exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "storage/filter/cipher.h"
#include "storage/filter/compress.h"
#include "storage/filter/filter.h"
#include "fuzz.h"

#define FUZZ_PASS "fuzz-cipher-pass"

typedef enum FuzzMode {
    FUZZ_MODE_DECOMPRESS,
    FUZZ_MODE_COMPRESS_ROUND_TRIP,
    FUZZ_MODE_DECRYPT,
    FUZZ_MODE_ENCRYPT_ROUND_TRIP,
} FuzzMode;

/* The compression variants: each type as the repository writes it, and lz4's other two layouts. */
typedef enum FuzzVariant {
    FUZZ_VARIANT_GZ,
    FUZZ_VARIANT_LZ4,
    FUZZ_VARIANT_ZST,
    FUZZ_VARIANT_BZ2,
    FUZZ_VARIANT_LZ4_CHECKSUMMED, /* backup's: 1 MiB independent blocks, no content checksum */
    FUZZ_VARIANT_LZ4_PARALLEL,    /* archive-push's: blocks compressed on two threads, input pushed stable */
    FUZZ_VARIANT_ZST_THREADED,    /* libzstd's workers */
    FUZZ_VARIANT_COUNT,
} FuzzVariant;

static const CompressType variant_type[FUZZ_VARIANT_COUNT] = {
    COMPRESS_GZ, COMPRESS_LZ4, COMPRESS_ZST, COMPRESS_BZ2, COMPRESS_LZ4, COMPRESS_LZ4, COMPRESS_ZST,
};

static int
sink_append(void *context, const uint8_t *data, size_t size)
{
    buf_append(context, data, size);
    return 0;
}

/* Push `data` through `pipeline` in pieces of `piece` bytes (stable pushes when asked), then finish; the output is
 * appended to `out`. */
static int
run_pieces(Pipeline *pipeline, const uint8_t *data, size_t size, size_t piece, bool stable, Buf *out)
{
    for (size_t offset = 0; offset < size; offset += piece) {
        size_t length = size - offset < piece ? size - offset : piece;
        if (stable) {
            TRY(pipeline_push_stable(pipeline, data + offset, length, sink_append, out));
            TRY(pipeline_settle(pipeline, sink_append, out));
        } else {
            TRY(pipeline_push(pipeline, data + offset, length, sink_append, out));
        }
    }
    return pipeline_finish(pipeline, sink_append, out);
}

static Filter *
compressor_new(FuzzVariant variant, bool raw)
{
    CompressType type = variant_type[variant];
    int level = compress_level_default(type);
    if (variant == FUZZ_VARIANT_LZ4_PARALLEL)
        return filter_lz4_parallel_new(level, 2, !raw);
    Filter *filter = filter_compress_new(type, level, raw);
    if (variant == FUZZ_VARIANT_LZ4_CHECKSUMMED)
        filter_compress_set_checksummed(filter);
    if (variant == FUZZ_VARIANT_ZST_THREADED)
        filter_compress_set_threads(filter, 2);
    return filter;
}

/* Bytes from a repository file through one reading filter: an error is a fine answer, a crash or a leak is not. */
static void
run_untrusted(Filter *filter, const uint8_t *data, size_t size, size_t piece)
{
    Pipeline *pipeline = pipeline_new();
    pipeline_add(pipeline, filter);
    Buf out = BUF_INIT;
    (void)run_pieces(pipeline, data, size, piece, false, &out);
    pipeline_free(pipeline);
    buf_free(&out);
}

/* data -> first filter -> second filter must give back data. */
static void
round_trip(Filter *forward, Filter *backward, const uint8_t *data, size_t size, size_t piece, bool stable)
{
    Pipeline *first = pipeline_new();
    pipeline_add(first, forward);
    Buf middle = BUF_INIT, back = BUF_INIT;
    if (run_pieces(first, data, size, piece, stable, &middle) != 0)
        fuzz_fail(err_message());
    Pipeline *second = pipeline_new();
    pipeline_add(second, backward);
    if (run_pieces(second, middle.data, middle.size, piece, false, &back) != 0)
        fuzz_fail(err_message());
    if (back.size != size || (size > 0 && memcmp(back.data, data, size) != 0))
        fuzz_fail("a round trip changed the data");
    pipeline_free(first);
    pipeline_free(second);
    buf_free(&middle);
    buf_free(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    FuzzMode mode = (FuzzMode)(data[0] & 3);
    FuzzVariant variant = (FuzzVariant)(((unsigned)data[0] >> 2 & 7) % FUZZ_VARIANT_COUNT);
    bool raw = (data[0] & 0x20) != 0;
    /* pieces of 1 byte to 64 KiB: every boundary a stream may be cut at */
    size_t piece = data[1] == 0 ? 65536 : (size_t)data[1] * (data[0] & 0x40 ? 97 : 1);
    data += 2;
    size -= 2;

    switch (mode) {
    case FUZZ_MODE_DECOMPRESS:
        run_untrusted(filter_decompress_new(variant_type[variant], raw), data, size, piece);
        break;
    case FUZZ_MODE_COMPRESS_ROUND_TRIP:
        round_trip(compressor_new(variant, raw), filter_decompress_new(variant_type[variant], raw), data, size, piece,
                   variant == FUZZ_VARIANT_LZ4_PARALLEL);
        break;
    case FUZZ_MODE_DECRYPT:
        run_untrusted(filter_cipher_new(CIPHER_DECRYPT, FUZZ_PASS, strlen(FUZZ_PASS), raw), data, size, piece);
        break;
    case FUZZ_MODE_ENCRYPT_ROUND_TRIP:
        round_trip(filter_cipher_new(CIPHER_ENCRYPT, FUZZ_PASS, strlen(FUZZ_PASS), raw),
                   filter_cipher_new(CIPHER_DECRYPT, FUZZ_PASS, strlen(FUZZ_PASS), raw), data, size, piece, false);
        break;
    }
    err_clear();
    return 0;
}
