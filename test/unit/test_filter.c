/* Unit tests for the filter pipeline: digests, compression, encryption and the pipeline itself. */
#include <check.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/mem.h"
#include "storage/filter/cipher.h"
#include "storage/filter/compress.h"
#include "storage/filter/filter.h"
#include "storage/filter/hash.h"

#ifndef SPEC_EXAMPLES_DIR
#error "SPEC_EXAMPLES_DIR must point at test/data/repo-format (the 2.45 examples kept in the repository)"
#endif

#define EXAMPLE(name) SPEC_EXAMPLES_DIR "/encrypted/" name
#define USER_PASS "SpecTestPassphrase123"
#define MANIFEST_SUBPASS "O74Cguwn9kwLBCaxz6DPvkMmDLel9RMVm1QzmGD1jHvmYXt8mj3qmTLSG4kebyle"

/***********************************************************************************************************************
 * Helpers: a per-test temp directory, files, test data, running a pipeline
 **********************************************************************************************************************/
/* Every test's directory lives under one root made by main() and removed by it even when a test fails (a
 * failing Check test exits before its teardown runs). */
static char temp_root[256];
static char temp_dir[512];

static int
temp_remove_entry(const char *path, const struct stat *info, int flag, struct FTW *ftw)
{
    (void)info, (void)flag, (void)ftw;
    return remove(path);
}

static void
temp_remove(const char *path)
{
    nftw(path, temp_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
temp_setup(void)
{
    snprintf(temp_dir, sizeof(temp_dir), "%s/test.XXXXXX", temp_root);
    ck_assert_ptr_nonnull(mkdtemp(temp_dir));
}

static void
temp_teardown(void)
{
    temp_remove(temp_dir);
}

static char *
temp_path(const char *name)
{
    return mem_printf("%s/%s", temp_dir, name);
}

static void
file_write(const char *path, const void *data, size_t size)
{
    FILE *file = fopen(path, "wb");
    ck_assert_ptr_nonnull(file);
    ck_assert_uint_eq(fwrite(data, 1, size, file), size);
    ck_assert_int_eq(fclose(file), 0);
}

static void
file_read(const char *path, Buf *out)
{
    FILE *file = fopen(path, "rb");
    ck_assert_msg(file != NULL, "cannot open %s", path);
    uint8_t chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), file)) > 0)
        buf_append(out, chunk, got);
    ck_assert_int_eq(ferror(file), 0);
    fclose(file);
}

static void
run_shell(const char *command)
{
    int status = system(command);
    ck_assert_msg(status == 0, "command failed (%d): %s", status, command);
}

/* Deterministic test data: runs of text mixed with pseudo-random bytes, so it compresses but not trivially. */
static uint8_t *
data_make(size_t size, uint32_t seed)
{
    uint8_t *data = mem_alloc(size > 0 ? size : 1);
    static const char text[] = "PostgreSQL WAL record: relation 1663/5/16384 block 42 heap insert; ";
    uint32_t state = seed * 2654435761u + 1;
    for (size_t index = 0; index < size; index++) {
        state = state * 1664525u + 1013904223u;
        if ((index / 512) % 3 == 2)
            data[index] = (uint8_t)(state >> 24);
        else
            data[index] = (uint8_t)text[index % (sizeof(text) - 1)];
    }
    return data;
}

static int
sink_buf(void *context, const uint8_t *data, size_t size)
{
    buf_append(context, data, size);
    return 0;
}

/* Push `size` bytes through the pipeline in pieces of `chunk` and finish; the output goes to out. Returns 0/-1. */
static int
pipeline_run_chunked(Pipeline *pipeline, const uint8_t *data, size_t size, size_t chunk, Buf *out)
{
    for (size_t offset = 0; offset < size; offset += chunk) {
        size_t piece = size - offset < chunk ? size - offset : chunk;
        if (pipeline_push(pipeline, data + offset, piece, sink_buf, out) < 0)
            return -1;
    }
    return pipeline_finish(pipeline, sink_buf, out);
}

/* Run one filter over data in chunks; returns 0/-1 and the output in out. */
static int
filter_run(Filter *filter, const uint8_t *data, size_t size, size_t chunk, Buf *out)
{
    Pipeline *pipeline = pipeline_new();
    pipeline_add(pipeline, filter);
    int result = pipeline_run_chunked(pipeline, data, size, chunk, out);
    pipeline_free(pipeline);
    return result;
}

static void
compress_ok(CompressType type, int level, bool raw, const uint8_t *data, size_t size, size_t chunk, Buf *out)
{
    int result = filter_run(filter_compress_new(type, level, raw), data, size, chunk, out);
    ck_assert_msg(result == 0, "%s level %d compress failed: %s", compress_type_name(type), level, err_message());
}

static void
decompress_ok(CompressType type, bool raw, const uint8_t *data, size_t size, size_t chunk, Buf *out)
{
    int result = filter_run(filter_decompress_new(type, raw), data, size, chunk, out);
    ck_assert_msg(result == 0, "%s decompress failed: %s", compress_type_name(type), err_message());
}

/* Decompression of data must fail with ERR_FORMAT. */
static void
decompress_fails(CompressType type, bool raw, const uint8_t *data, size_t size, size_t chunk, const char *what)
{
    Buf out = BUF_INIT;
    err_clear();
    int result = filter_run(filter_decompress_new(type, raw), data, size, chunk, &out);
    ck_assert_msg(result == -1, "%s %s: decompress succeeded", compress_type_name(type), what);
    ck_assert_msg(err_code() == ERR_FORMAT, "%s %s: code %d (%s)", compress_type_name(type), what, err_code(),
                  err_message());
    buf_free(&out);
}

static const CompressType compress_types[] = {COMPRESS_GZ, COMPRESS_LZ4, COMPRESS_ZST, COMPRESS_BZ2};
#define COMPRESS_TYPES_COUNT (sizeof(compress_types) / sizeof(compress_types[0]))

/***********************************************************************************************************************
 * Hash and size
 **********************************************************************************************************************/
static const char *
hash_of(HashType type, const uint8_t *data, size_t size, size_t chunk)
{
    static char hex[HASH_SHA256_HEX_SIZE];
    Pipeline *pipeline = pipeline_new();
    Filter *hash = pipeline_add(pipeline, filter_hash_new(type));
    Buf out = BUF_INIT;
    ck_assert_int_eq(pipeline_run_chunked(pipeline, data, size, chunk, &out), 0);
    /* Observers pass the bytes on unchanged. */
    ck_assert_uint_eq(out.size, size);
    ck_assert(size == 0 || memcmp(out.data, data, size) == 0);
    snprintf(hex, sizeof(hex), "%s", filter_hash_hex(hash));
    pipeline_free(pipeline);
    buf_free(&out);
    return hex;
}

START_TEST(test_hash_vectors)
{
    const uint8_t *abc = (const uint8_t *)"abc";
    ck_assert_str_eq(hash_of(HASH_SHA1, abc, 3, 3), "a9993e364706816aba3e25717850c26c9cd0d89d");
    ck_assert_str_eq(hash_of(HASH_SHA1, abc, 3, 1), "a9993e364706816aba3e25717850c26c9cd0d89d");
    ck_assert_str_eq(hash_of(HASH_SHA1, abc, 0, 1), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    ck_assert_str_eq(hash_of(HASH_SHA256, abc, 3, 2),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_str_eq(hash_of(HASH_SHA256, abc, 0, 1),
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    char hex[HASH_SHA256_HEX_SIZE];
    hash_hex(HASH_SHA1, "abc", 3, hex);
    ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    hash_hex(HASH_SHA256, "", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    /* the stream outside a pipeline (info files): FIPS 180 two-block vector, fed in three pieces */
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    Sha1Stream *stream = sha1_stream_new();
    sha1_stream_update(stream, two_blocks, 5);
    sha1_stream_update(stream, two_blocks + 5, 0);
    sha1_stream_update(stream, two_blocks + 5, strlen(two_blocks) - 5);
    sha1_stream_finish(stream, hex);
    ck_assert_str_eq(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    sha1_stream_free(sha1_stream_new()); /* abandoned unfinished: freed (the leak check of ASAN builds) */
    sha1_stream_free(NULL);
}
END_TEST

/* 1 MiB of data in odd-sized chunks against the sha1sum / sha256sum tools. */
START_TEST(test_hash_large_chunked)
{
    size_t size = 1 << 20;
    uint8_t *data = data_make(size, 7);
    char *path = temp_path("data");
    file_write(path, data, size);

    const struct {
        HashType type;
        const char *tool;
    } cases[] = {{HASH_SHA1, "sha1sum"}, {HASH_SHA256, "sha256sum"}};

    for (size_t index = 0; index < 2; index++) {
        char *command = mem_printf("%s %s", cases[index].tool, path);
        FILE *pipe = popen(command, "r");
        ck_assert_ptr_nonnull(pipe);
        char expect[HASH_SHA256_HEX_SIZE] = "";
        ck_assert_int_eq(fscanf(pipe, "%64s", expect), 1);
        ck_assert_int_eq(pclose(pipe), 0);

        ck_assert_str_eq(hash_of(cases[index].type, data, size, 4099), expect);
        ck_assert_str_eq(hash_of(cases[index].type, data, size, 1 << 19 | 1), expect);
        ck_assert_str_eq(hash_of(cases[index].type, data, size, size), expect);
        char hex[HASH_SHA256_HEX_SIZE];
        hash_hex(cases[index].type, data, size, hex);
        ck_assert_str_eq(hex, expect);
        free(command);
    }

    /* The size filter counts every byte. */
    Pipeline *pipeline = pipeline_new();
    Filter *counter = pipeline_add(pipeline, filter_size_new());
    Buf out = BUF_INIT;
    ck_assert_int_eq(pipeline_run_chunked(pipeline, data, size, 777, &out), 0);
    ck_assert_uint_eq(filter_size_bytes(counter), size);
    pipeline_free(pipeline);
    buf_free(&out);
    free(path);
    free(data);
}
END_TEST

/***********************************************************************************************************************
 * Compression
 **********************************************************************************************************************/
START_TEST(test_compress_helpers)
{
    ck_assert_str_eq(compress_type_name(COMPRESS_NONE), "none");
    ck_assert_str_eq(compress_type_name(COMPRESS_ZST), "zst");
    ck_assert_int_eq(compress_type_parse("gz"), COMPRESS_GZ);
    ck_assert_int_eq(compress_type_parse("lz4"), COMPRESS_LZ4);
    ck_assert_int_eq(compress_type_parse("bz2"), COMPRESS_BZ2);
    ck_assert_int_eq(compress_type_parse("none"), COMPRESS_NONE);
    ck_assert_int_eq(compress_type_parse("xz"), -1);
    ck_assert_int_eq(compress_type_parse("GZ"), -1);
    ck_assert_str_eq(compress_type_ext(COMPRESS_NONE), "");
    ck_assert_str_eq(compress_type_ext(COMPRESS_LZ4), "lz4");
    ck_assert_int_eq(compress_type_from_name("000000010000000000000001-abc.gz"), COMPRESS_GZ);
    ck_assert_int_eq(compress_type_from_name("pg_data/base/5/16384.zst"), COMPRESS_ZST);
    ck_assert_int_eq(compress_type_from_name("a.bz2"), COMPRESS_BZ2);
    ck_assert_int_eq(compress_type_from_name("a.lz4"), COMPRESS_LZ4);
    ck_assert_int_eq(compress_type_from_name("PG_VERSION"), COMPRESS_NONE);
    ck_assert_int_eq(compress_type_from_name("file.gzip"), COMPRESS_NONE);

    ck_assert_int_eq(compress_level_default(COMPRESS_GZ), 6);
    ck_assert_int_eq(compress_level_default(COMPRESS_LZ4), 1);
    ck_assert_int_eq(compress_level_default(COMPRESS_ZST), 3);
    ck_assert_int_eq(compress_level_default(COMPRESS_BZ2), 9);
    ck_assert_int_eq(compress_level_default(COMPRESS_NONE), 0);

    const struct {
        CompressType type;
        int min, max;
    } ranges[] = {{COMPRESS_GZ, -1, 9}, {COMPRESS_LZ4, -5, 12}, {COMPRESS_ZST, -7, 22}, {COMPRESS_BZ2, 1, 9}};
    for (size_t index = 0; index < 4; index++) {
        ck_assert_int_eq(compress_level_check(ranges[index].type, ranges[index].min), 0);
        ck_assert_int_eq(compress_level_check(ranges[index].type, ranges[index].max), 0);
        err_clear();
        ck_assert_int_eq(compress_level_check(ranges[index].type, ranges[index].min - 1), -1);
        ck_assert_int_eq(err_code(), ERR_OPTION_INVALID_VALUE);
        ck_assert_int_eq(compress_level_check(ranges[index].type, ranges[index].max + 1), -1);
        ck_assert_int_eq(err_code(), ERR_OPTION_INVALID_VALUE);
        ck_assert_ptr_nonnull(strstr(err_message(), "compress-level"));
    }
    ck_assert_int_eq(compress_level_check(COMPRESS_GZ, 0), 0);
}
END_TEST

static void
round_trip(CompressType type, int level, bool raw, const uint8_t *data, size_t size, size_t chunk)
{
    Buf packed = BUF_INIT;
    Buf unpacked = BUF_INIT;
    compress_ok(type, level, raw, data, size, chunk, &packed);
    ck_assert_uint_gt(packed.size, 0);
    decompress_ok(type, raw, packed.data, packed.size, chunk, &unpacked);
    ck_assert_msg(unpacked.size == size, "%s level %d chunk %zu: %zu bytes back, expected %zu", compress_type_name(type),
                  level, chunk, unpacked.size, size);
    ck_assert(size == 0 || memcmp(unpacked.data, data, size) == 0);
    buf_free(&packed);
    buf_free(&unpacked);
}

START_TEST(test_compress_round_trip)
{
    CompressType type = compress_types[_i];
    size_t size = 300 * 1024 + 17;
    uint8_t *data = data_make(size, 11);

    int levels[4] = {compress_level_default(type), 1, 1, 1};
    switch (type) {
        case COMPRESS_GZ:
            levels[1] = -1, levels[2] = 0, levels[3] = 9;
            break;
        case COMPRESS_LZ4:
            levels[1] = -5, levels[2] = 9, levels[3] = 12;
            break;
        case COMPRESS_ZST:
            levels[1] = -7, levels[2] = 1, levels[3] = 19;
            break;
        default:
            levels[1] = 1, levels[2] = 5, levels[3] = 9;
            break;
    }

    for (size_t level = 0; level < 4; level++) {
        round_trip(type, levels[level], false, data, size, size);
        round_trip(type, levels[level], false, data, size, 4097);
    }
    round_trip(type, levels[0], false, data, size, 65536);
    round_trip(type, levels[0], false, data, size, (1 << 20) + 1);
    round_trip(type, levels[0], true, data, size, 1000);
    /* One byte at a time, both ways (headers and trailers split across pushes). */
    round_trip(type, levels[0], false, data, 5000, 1);
    round_trip(type, levels[0], true, data, 3000, 1);
    /* Empty input still makes a valid stream that decompresses to nothing. */
    round_trip(type, levels[0], false, data, 0, 1);
    round_trip(type, levels[0], true, data, 0, 1);
    /* Large pushes, incompressible data (output larger than input). */
    size_t large = (3 << 20) + 5;
    uint8_t *random = mem_alloc(large);
    uint32_t state = 99;
    for (size_t index = 0; index < large; index++) {
        state = state * 1103515245u + 12345u;
        random[index] = (uint8_t)(state >> 16);
    }
    round_trip(type, levels[0], false, random, large, large);
    free(random);
    free(data);
}
END_TEST

static const char *
tool_name(CompressType type)
{
    switch (type) {
        case COMPRESS_GZ:
            return "gzip";
        case COMPRESS_LZ4:
            return "lz4";
        case COMPRESS_ZST:
            return "zstd";
        default:
            return "bzip2";
    }
}

/* Our output decompresses with the command-line tool and the tool's output decompresses with our filter. */
START_TEST(test_compress_interop)
{
    CompressType type = compress_types[_i];
    size_t size = 700 * 1024 + 3;
    uint8_t *data = data_make(size, 23);
    char *plain = temp_path("plain");
    char *packed_path = temp_path("packed");
    char *unpacked_path = temp_path("unpacked");
    file_write(plain, data, size);

    Buf packed = BUF_INIT;
    compress_ok(type, compress_level_default(type), false, data, size, 65536, &packed);
    file_write(packed_path, packed.data, packed.size);
    char *command = mem_printf("%s -dc < %s > %s", tool_name(type), packed_path, unpacked_path);
    run_shell(command);
    free(command);
    Buf unpacked = BUF_INIT;
    file_read(unpacked_path, &unpacked);
    ck_assert_uint_eq(unpacked.size, size);
    ck_assert(memcmp(unpacked.data, data, size) == 0);

    /* And the other way, at the tool's default and a high level. */
    const char *tool_options[] = {"", "-9"};
    for (size_t index = 0; index < 2; index++) {
        command = mem_printf("%s -c %s < %s > %s", tool_name(type), tool_options[index], plain, packed_path);
        run_shell(command);
        free(command);
        buf_clear(&packed);
        file_read(packed_path, &packed);
        buf_clear(&unpacked);
        decompress_ok(type, false, packed.data, packed.size, 10007, &unpacked);
        ck_assert_uint_eq(unpacked.size, size);
        ck_assert(memcmp(unpacked.data, data, size) == 0);
    }

    buf_free(&packed);
    buf_free(&unpacked);
    free(plain);
    free(packed_path);
    free(unpacked_path);
    free(data);
}
END_TEST

/* The command-line tool (`decode`: "lz4 -dc", ...) turns `packed` back into data[0..size). */
static void
assert_tool_decodes(const char *decode, const Buf *packed, const uint8_t *data, size_t size)
{
    char *packed_path = temp_path("tool.in");
    char *unpacked_path = temp_path("tool.out");
    file_write(packed_path, packed->data, packed->size);
    char *command = mem_printf("%s < %s > %s", decode, packed_path, unpacked_path);
    run_shell(command);
    free(command);
    Buf tool = BUF_INIT;
    file_read(unpacked_path, &tool);
    ck_assert_uint_eq(tool.size, size);
    ck_assert(memcmp(tool.data, data, size) == 0);
    buf_free(&tool);
    free(packed_path);
    free(unpacked_path);
}

/* `packed` decodes to data[0..size) with this program's decompressor and with the type's command-line tool. */
static void
assert_decodes(CompressType type, const Buf *packed, const uint8_t *data, size_t size)
{
    Buf unpacked = BUF_INIT;
    decompress_ok(type, false, packed->data, packed->size, 10007, &unpacked);
    ck_assert_uint_eq(unpacked.size, size);
    ck_assert(memcmp(unpacked.data, data, size) == 0);
    buf_free(&unpacked);
    assert_tool_decodes(type == COMPRESS_ZST ? "zstd -q -dc" : "lz4 -q -dc", packed, data, size);
}

/* The parallel lz4 compressor: any size (empty, one byte, exact and split 256 KiB blocks, many blocks with the ring
 * wrapping), any push size, incompressible blocks stored raw, the fast and the HC levels, 1 to 4 workers: the
 * frame decodes with the LZ4F decompressor (header and content checksums verified) and with the lz4 tool. */
START_TEST(test_lz4_parallel)
{
    const size_t mib = (size_t)1 << 20;
    size_t size = 9 * mib + 12345;
    uint8_t *data = data_make(size, 31);
    /* an incompressible stretch covering a whole block */
    uint32_t state = 7;
    for (size_t index = 2 * mib; index < 3 * mib + 100; index++) {
        state = state * 1103515245u + 12345u;
        data[index] = (uint8_t)(state >> 16);
    }
    const size_t sizes[] = {0, 1, 4096, mib - 1, mib, mib + 1, 2 * mib, size};
    const size_t chunks[] = {1 << 18, 7777, mib + 3};
    const int levels[] = {1, -3, 9};
    const unsigned workers[] = {1, 2, 4};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
            size_t variant = (s + c) % 3; /* spread levels and worker counts over the cases, keep the test short */
            if (sizes[s] > 2 * mib && c != 0)
                continue;
            Buf packed = BUF_INIT, unpacked = BUF_INIT;
            int result = filter_run(filter_lz4_parallel_new(levels[variant], workers[variant], true), data, sizes[s],
                                    chunks[c] < 1 ? 1 : chunks[c], &packed);
            ck_assert_msg(result == 0, "size %zu: %s", sizes[s], err_message());
            decompress_ok(COMPRESS_LZ4, false, packed.data, packed.size, 65536, &unpacked);
            ck_assert_msg(unpacked.size == sizes[s], "size %zu chunk %zu level %d workers %u: %zu bytes back",
                          sizes[s], chunks[c], levels[variant], workers[variant], unpacked.size);
            ck_assert(sizes[s] == 0 || memcmp(unpacked.data, data, sizes[s]) == 0);
            if (sizes[s] == size) { /* the large one compresses, and the lz4 tool agrees */
                ck_assert_uint_lt(packed.size, size / 2);
                assert_tool_decodes("lz4 -dc", &packed, data, size);
            }
            buf_free(&packed);
            buf_free(&unpacked);
        }
    }
    /* Exact multiples of the 256 KiB block size with a slow worker (HC level 12, one worker: 5 slots): at the end,
     * the slot after the last block still holds a block in flight, which must not be taken for a last partial
     * block. */
    for (size_t blocks = 3; blocks <= 8; blocks += 5) {
        Buf packed = BUF_INIT, unpacked = BUF_INIT;
        ck_assert_int_eq(filter_run(filter_lz4_parallel_new(12, 1, true), data, blocks * mib, 1 << 18, &packed), 0);
        /* the frame holds exactly `blocks` blocks, none empty (a slot taken twice showed as an extra empty block) */
        size_t at = 7, found = 0;
        for (;;) {
            ck_assert_uint_le(at + 4, packed.size);
            uint32_t header = (uint32_t)packed.data[at] | (uint32_t)packed.data[at + 1] << 8 |
                              (uint32_t)packed.data[at + 2] << 16 | (uint32_t)packed.data[at + 3] << 24;
            at += 4;
            if (header == 0)
                break;
            ck_assert_uint_ne(header & 0x7fffffffu, 0);
            at += header & 0x7fffffffu;
            found++;
        }
        ck_assert_uint_eq(found, blocks * 4);
        ck_assert_uint_eq(at + 4, packed.size); /* then only the content checksum */
        decompress_ok(COMPRESS_LZ4, false, packed.data, packed.size, 65536, &unpacked);
        ck_assert_uint_eq(unpacked.size, blocks * mib);
        ck_assert(memcmp(unpacked.data, data, blocks * mib) == 0);
        buf_free(&packed);
        buf_free(&unpacked);
    }
    /* a flipped content byte is caught by the frame's content checksum */
    Buf packed = BUF_INIT, unpacked = BUF_INIT;
    ck_assert_int_eq(filter_run(filter_lz4_parallel_new(1, 2, true), data, 3 * mib + 100, 1 << 18, &packed), 0);
    /* the last block holds the last 100 (random) bytes stored raw, before the end mark and the checksum */
    ck_assert_uint_gt(packed.size, 8 + 100);
    packed.data[packed.size - 8 - 50] ^= 0x01;
    err_clear();
    ck_assert_int_eq(filter_run(filter_decompress_new(COMPRESS_LZ4, false), packed.data, packed.size, 65536, &unpacked),
                     -1);
    buf_free(&packed);
    buf_free(&unpacked);
    /* freed before finish, with blocks in flight: no hang, no leak (sanitizer build) */
    Filter *abandoned = filter_lz4_parallel_new(1, 2, true);
    Pipeline *pipeline = pipeline_new();
    pipeline_add(pipeline, abandoned);
    Buf partial = BUF_INIT;
    ck_assert_int_eq(pipeline_push(pipeline, data, 5 * mib, sink_buf, &partial), 0);
    pipeline_free(pipeline);
    buf_free(&partial);
    free(data);
}
END_TEST

/* Stable input (pipeline_push_stable, as archive-push pushes a mapped segment): whole blocks are compressed where
 * they are, a block already partly filled by an ordinary push and a last partial block are copied. Windows of many
 * sizes, the ring wrapping, an observer before the compressor and a cipher after it: the output decodes to the input;
 * once pipeline_settle() has returned, the window's bytes can change (reused, unmapped) without changing the output. */
START_TEST(test_lz4_parallel_stable)
{
    const size_t kib = 1024;
    size_t size = 9 * 1024 * kib + 4321;
    uint8_t *data = data_make(size, 41);
    const size_t leads[] = {0, 1, 100 * kib + 7, 256 * kib};      /* pushed first with pipeline_push */
    const size_t windows[] = {256 * kib, 1024 * kib + 3, 4096 * kib, size}; /* then the rest in stable windows */
    for (size_t l = 0; l < sizeof(leads) / sizeof(leads[0]); l++) {
        for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
            bool encrypted = (l + w) % 2 == 1;
            Pipeline *pipeline = pipeline_new();
            Filter *counter = pipeline_add(pipeline, filter_size_new());
            pipeline_add(pipeline, filter_lz4_parallel_new(1, 1 + (unsigned)(w % 2), true));
            if (encrypted)
                pipeline_add(pipeline, filter_cipher_new(CIPHER_ENCRYPT, "stable", 6, false));
            Buf packed = BUF_INIT;
            ck_assert_int_eq(pipeline_push(pipeline, data, leads[l], sink_buf, &packed), 0);
            uint8_t *window = mem_alloc(windows[w]);
            for (size_t offset = leads[l]; offset < size; offset += windows[w]) {
                size_t part = size - offset < windows[w] ? size - offset : windows[w];
                memcpy(window, data + offset, part);
                ck_assert_int_eq(pipeline_push_stable(pipeline, window, part, sink_buf, &packed), 0);
                ck_assert_int_eq(pipeline_settle(pipeline, sink_buf, &packed), 0);
                memset(window, 0xA5, part); /* the compressor must hold no reference to it any more */
            }
            ck_assert_int_eq(pipeline_finish(pipeline, sink_buf, &packed), 0);
            ck_assert_uint_eq(filter_size_bytes(counter), size);
            pipeline_free(pipeline);
            free(window);

            Buf plain = BUF_INIT, unpacked = BUF_INIT;
            if (encrypted) {
                ck_assert_int_eq(filter_run(filter_cipher_new(CIPHER_DECRYPT, "stable", 6, false), packed.data,
                                            packed.size, 65536, &plain), 0);
            } else {
                buf_append(&plain, packed.data, packed.size);
            }
            decompress_ok(COMPRESS_LZ4, false, plain.data, plain.size, 65536, &unpacked);
            ck_assert_msg(unpacked.size == size && memcmp(unpacked.data, data, size) == 0,
                          "lead %zu window %zu: %zu bytes back", leads[l], windows[w], unpacked.size);
            if (l == 0 && w == 3)
                assert_tool_decodes("lz4 -dc", &plain, data, size);
            buf_free(&plain);
            buf_free(&unpacked);
            buf_free(&packed);
        }
    }
    /* a compressor without stable support (zst) takes stable input as ordinary input; settle has nothing to do */
    Pipeline *pipeline = pipeline_new();
    pipeline_add(pipeline, filter_compress_new(COMPRESS_ZST, 3, false));
    Buf packed = BUF_INIT, unpacked = BUF_INIT;
    ck_assert_int_eq(pipeline_push_stable(pipeline, data, size, sink_buf, &packed), 0);
    ck_assert_int_eq(pipeline_settle(pipeline, sink_buf, &packed), 0);
    ck_assert_int_eq(pipeline_finish(pipeline, sink_buf, &packed), 0);
    ck_assert_int_eq(pipeline_settle(pipeline, sink_buf, &packed), 0); /* after finish: nothing held */
    pipeline_free(pipeline);
    decompress_ok(COMPRESS_ZST, false, packed.data, packed.size, 65536, &unpacked);
    ck_assert(unpacked.size == size && memcmp(unpacked.data, data, size) == 0);
    buf_free(&packed);
    buf_free(&unpacked);
    free(data);
}
END_TEST

/* zst on libzstd's worker threads: the frame decodes with our decompressor and with the zstd tool; other types
 * ignore the setting. */
START_TEST(test_zst_threads)
{
    size_t size = (5 << 20) + 333;
    uint8_t *data = data_make(size, 17);
    Buf packed = BUF_INIT, unpacked = BUF_INIT;
    Filter *threaded = filter_compress_new(COMPRESS_ZST, 3, false);
    filter_compress_set_threads(threaded, 2);
    ck_assert_int_eq(filter_run(threaded, data, size, 1 << 18, &packed), 0);
    ck_assert_uint_lt(packed.size, size / 2);
    assert_decodes(COMPRESS_ZST, &packed, data, size);
    /* gz ignores it */
    buf_clear(&packed);
    buf_clear(&unpacked);
    Filter *gz = filter_compress_new(COMPRESS_GZ, 6, false);
    filter_compress_set_threads(gz, 2);
    ck_assert_int_eq(filter_run(gz, data, 100000, 4096, &packed), 0);
    decompress_ok(COMPRESS_GZ, false, packed.data, packed.size, 4096, &unpacked);
    ck_assert_uint_eq(unpacked.size, 100000);
    buf_free(&packed);
    buf_free(&unpacked);
    free(data);
}
END_TEST

/* Backup's lz4 frames (filter_compress_set_checksummed): independent 1 MiB blocks, no content checksum (FLG 0x60,
 * BD 0x60), decoded by the LZ4F decompressor and by the lz4 tool; other types are unchanged by the call. */
START_TEST(test_compress_checksummed)
{
    size_t size = (3 << 20) + 4321;
    uint8_t *data = data_make(size, 41);
    Buf packed = BUF_INIT, plain = BUF_INIT;
    Filter *lz4 = filter_compress_new(COMPRESS_LZ4, 1, false);
    filter_compress_set_checksummed(lz4);
    ck_assert_int_eq(filter_run(lz4, data, size, 65536, &packed), 0);
    const uint8_t magic[] = {0x04, 0x22, 0x4d, 0x18};
    ck_assert(memcmp(packed.data, magic, sizeof(magic)) == 0);
    ck_assert_uint_eq(packed.data[4], 0x60); /* version 01, independent blocks, no content checksum */
    ck_assert_uint_eq(packed.data[5], 0x60); /* 1 MiB maximum block */
    /* the default frame is pgBackRest's: linked blocks with the content checksum (FLG 0x44, BD 0x40) */
    compress_ok(COMPRESS_LZ4, 1, false, data, size, 65536, &plain);
    ck_assert_uint_eq(plain.data[4], 0x44);
    ck_assert_uint_eq(plain.data[5], 0x40);
    assert_decodes(COMPRESS_LZ4, &packed, data, size);

    /* the parallel compressor without the content checksum (backup's large files): the same frame flags, in
     * 256 KiB blocks */
    Buf parallel = BUF_INIT;
    ck_assert_int_eq(filter_run(filter_lz4_parallel_new(1, 2, false), data, size, 65536, &parallel), 0);
    ck_assert(memcmp(parallel.data, packed.data, 5) == 0);
    ck_assert_uint_eq(parallel.data[5], 0x50); /* 256 KiB maximum block */
    ck_assert_uint_eq(parallel.data[4] & 0x04, 0); /* no content checksum */
    assert_decodes(COMPRESS_LZ4, &parallel, data, size);
    buf_free(&parallel);

    /* zst: the same bytes with or without the call */
    buf_clear(&packed);
    buf_clear(&plain);
    Filter *zst = filter_compress_new(COMPRESS_ZST, 3, false);
    filter_compress_set_checksummed(zst);
    ck_assert_int_eq(filter_run(zst, data, size, 65536, &packed), 0);
    compress_ok(COMPRESS_ZST, 3, false, data, size, 65536, &plain);
    ck_assert_uint_eq(packed.size, plain.size);
    ck_assert(memcmp(packed.data, plain.data, plain.size) == 0);
    buf_free(&packed);
    buf_free(&plain);
    free(data);
}
END_TEST

/* Output of one compression per type in a thread that has used no compressor yet. */
typedef struct FreshCompress {
    CompressType type;
    const uint8_t *data;
    size_t size;
    Buf out;
    int result;
} FreshCompress;

static void *
fresh_compress_thread(void *context)
{
    FreshCompress *fresh = context;
    fresh->result = filter_run(filter_compress_new(fresh->type, compress_level_default(fresh->type), false),
                               fresh->data, fresh->size, 65536, &fresh->out);
    return NULL;
}

/* Contexts are reused from one stream to the next in a thread: after a stream abandoned half-way (compressor) or
 * failed (decompressor), the next one gives exactly the bytes a fresh thread gives, and decodes. */
START_TEST(test_compress_context_reuse)
{
    const CompressType types[] = {COMPRESS_LZ4, COMPRESS_ZST};
    size_t size = (2 << 20) + 777;
    uint8_t *data = data_make(size, 43);
    for (size_t index = 0; index < sizeof(types) / sizeof(types[0]); index++) {
        CompressType type = types[index];
        FreshCompress fresh = {.type = type, .data = data, .size = size, .out = BUF_INIT};
        pthread_t thread;
        ck_assert_int_eq(pthread_create(&thread, NULL, fresh_compress_thread, &fresh), 0);
        ck_assert_int_eq(pthread_join(thread, NULL), 0);
        ck_assert_int_eq(fresh.result, 0);

        /* abandon a compression half-way: its context goes back to this thread's cache */
        Pipeline *abandoned = pipeline_new();
        pipeline_add(abandoned, filter_compress_new(type, compress_level_default(type), false));
        Buf partial = BUF_INIT;
        for (size_t offset = 0; offset < size / 2; offset += 65536)
            ck_assert_int_eq(pipeline_push(abandoned, data + offset, 65536, sink_buf, &partial), 0);
        ck_assert_uint_gt(partial.size, 0); /* no finish: the frame stays open */
        pipeline_free(abandoned);
        buf_free(&partial);

        Buf again = BUF_INIT;
        compress_ok(type, compress_level_default(type), false, data, size, 65536, &again);
        ck_assert_uint_eq(again.size, fresh.out.size);
        ck_assert(memcmp(again.data, fresh.out.data, again.size) == 0);

        /* a decompression that fails on a damaged stream, then a good one in the same thread */
        Buf damaged = BUF_INIT, unpacked = BUF_INIT;
        buf_append(&damaged, again.data, again.size / 2);
        for (size_t offset = 64; offset < damaged.size; offset += 997)
            damaged.data[offset] ^= 0x5a;
        err_clear();
        ck_assert_int_eq(filter_run(filter_decompress_new(type, false), damaged.data, damaged.size, 4096, &unpacked),
                         -1);
        err_clear();
        buf_clear(&unpacked);
        decompress_ok(type, false, again.data, again.size, 4096, &unpacked);
        ck_assert_uint_eq(unpacked.size, size);
        ck_assert(memcmp(unpacked.data, data, size) == 0);
        buf_free(&damaged);
        buf_free(&unpacked);
        buf_free(&again);
        buf_free(&fresh.out);
    }
    free(data);
}
END_TEST

/* A caller that hashes the output itself can skip lz4's content checksum: a frame whose stored XXH32 is wrong
 * fails the normal decompressor and passes the skipping one (with the right bytes: the caller's SHA-1 decides). */
START_TEST(test_decompress_skip_checksum)
{
    size_t size = 200 * 1024 + 9;
    uint8_t *data = data_make(size, 5);
    Buf packed = BUF_INIT, unpacked = BUF_INIT;
    compress_ok(COMPRESS_LZ4, 1, false, data, size, 65536, &packed);
    packed.data[packed.size - 1] ^= 0xff; /* the last byte belongs to the content checksum */
    err_clear();
    ck_assert_int_eq(filter_run(filter_decompress_new(COMPRESS_LZ4, false), packed.data, packed.size, 4096, &unpacked),
                     -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
    buf_clear(&unpacked);
    Filter *skipping = filter_decompress_new(COMPRESS_LZ4, false);
    filter_decompress_skip_checksum(skipping);
    ck_assert_int_eq(filter_run(skipping, packed.data, packed.size, 4096, &unpacked), 0);
    ck_assert_uint_eq(unpacked.size, size);
    ck_assert(memcmp(unpacked.data, data, size) == 0);
    /* no effect on other types: zst still decodes normally */
    buf_clear(&packed);
    buf_clear(&unpacked);
    compress_ok(COMPRESS_ZST, 3, false, data, size, 65536, &packed);
    skipping = filter_decompress_new(COMPRESS_ZST, false);
    filter_decompress_skip_checksum(skipping);
    ck_assert_int_eq(filter_run(skipping, packed.data, packed.size, 4096, &unpacked), 0);
    ck_assert_uint_eq(unpacked.size, size);
    buf_free(&packed);
    buf_free(&unpacked);
    free(data);
}
END_TEST

/* The first bytes are those of spec section 4's magic table. */
START_TEST(test_compress_headers)
{
    const uint8_t *data = (const uint8_t *)"15\n";
    Buf out = BUF_INIT;

    compress_ok(COMPRESS_GZ, 6, false, data, 3, 3, &out);
    const uint8_t gz_header[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03};
    ck_assert_mem_eq(out.data, gz_header, sizeof(gz_header));
    ck_assert_uint_eq(out.size, 23); /* 23-byte gzip of "15\n" (spec 5.1) */
    buf_clear(&out);
    compress_ok(COMPRESS_GZ, 9, false, data, 3, 3, &out);
    ck_assert_uint_eq(out.data[8], 0x02); /* XFL at level 9 */
    buf_clear(&out);

    /* gz raw: a zlib stream (RFC 1950 header: deflate, 32 KiB window, header checksum) */
    compress_ok(COMPRESS_GZ, 6, true, data, 3, 3, &out);
    ck_assert_uint_eq(out.data[0], 0x78);
    ck_assert_uint_eq((out.data[0] * 256u + out.data[1]) % 31u, 0);
    buf_clear(&out);

    compress_ok(COMPRESS_LZ4, 1, false, data, 3, 3, &out);
    const uint8_t lz4_header[] = {0x04, 0x22, 0x4d, 0x18, 0x44, 0x40};
    ck_assert_mem_eq(out.data, lz4_header, sizeof(lz4_header));
    buf_clear(&out);
    compress_ok(COMPRESS_LZ4, 1, true, data, 3, 3, &out);
    ck_assert_uint_eq(out.data[4], 0x40); /* raw: no content checksum flag */
    ck_assert_uint_eq(out.data[5], 0x40);
    buf_clear(&out);

    compress_ok(COMPRESS_ZST, 3, false, data, 3, 3, &out);
    const uint8_t zst_header[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00};
    ck_assert_mem_eq(out.data, zst_header, sizeof(zst_header));
    buf_clear(&out);

    compress_ok(COMPRESS_BZ2, 9, false, data, 3, 3, &out);
    ck_assert_mem_eq(out.data, "BZh9", 4);
    buf_clear(&out);
    compress_ok(COMPRESS_BZ2, 1, false, data, 3, 3, &out);
    ck_assert_mem_eq(out.data, "BZh1", 4);
    buf_free(&out);
}
END_TEST

START_TEST(test_decompress_bad_input)
{
    CompressType type = compress_types[_i];
    size_t size = 200 * 1024;
    uint8_t *data = data_make(size, 5);
    Buf packed = BUF_INIT;
    compress_ok(type, compress_level_default(type), false, data, size, size, &packed);
    uint8_t *bad = mem_alloc(packed.size + 16);

    /* Not a stream of this type at all. */
    memcpy(bad, packed.data, packed.size);
    bad[1] ^= 0xff;
    decompress_fails(type, false, bad, packed.size, packed.size, "bad magic");

    /* Corrupt inside the stream: zstd frames carry no checksum, so break a block header there. */
    memcpy(bad, packed.data, packed.size);
    if (type == COMPRESS_ZST)
        bad[6] = bad[7] = bad[8] = 0xff;
    else
        for (size_t index = packed.size / 2; index < packed.size / 2 + 8; index++)
            bad[index] ^= 0x5a;
    decompress_fails(type, false, bad, packed.size, 4096, "corrupt");

    /* Truncated: the end of the stream never comes. */
    decompress_fails(type, false, packed.data, packed.size - 1, packed.size, "truncated by 1");
    decompress_fails(type, false, packed.data, packed.size / 2, 1000, "truncated by half");
    decompress_fails(type, false, packed.data, 3, 1, "truncated header");
    decompress_fails(type, false, packed.data, 0, 1, "empty");

    /* Trailing garbage, in the same push and in a later one. */
    memcpy(bad, packed.data, packed.size);
    memcpy(bad + packed.size, "garbage!", 8);
    decompress_fails(type, false, bad, packed.size + 8, packed.size + 8, "trailing garbage");
    decompress_fails(type, false, bad, packed.size + 1, packed.size, "trailing byte in a later push");
    /* A second complete stream is trailing data too. */
    Buf twice = BUF_INIT;
    buf_append(&twice, packed.data, packed.size);
    buf_append(&twice, packed.data, packed.size);
    decompress_fails(type, false, twice.data, twice.size, 3333, "two streams");

    /* The good stream still decompresses. */
    Buf out = BUF_INIT;
    decompress_ok(type, false, packed.data, packed.size, 3333, &out);
    ck_assert_uint_eq(out.size, size);

    buf_free(&twice);
    buf_free(&out);
    buf_free(&packed);
    free(bad);
    free(data);
}
END_TEST

START_TEST(test_decompress_raw_gz_is_zlib)
{
    /* A zlib stream is not a gzip stream and the other way round. */
    size_t size = 10000;
    uint8_t *data = data_make(size, 3);
    Buf zlib_stream = BUF_INIT;
    Buf gzip_stream = BUF_INIT;
    compress_ok(COMPRESS_GZ, 6, true, data, size, size, &zlib_stream);
    compress_ok(COMPRESS_GZ, 6, false, data, size, size, &gzip_stream);
    decompress_fails(COMPRESS_GZ, false, zlib_stream.data, zlib_stream.size, 100, "zlib read as gzip");
    decompress_fails(COMPRESS_GZ, true, gzip_stream.data, gzip_stream.size, 100, "gzip read as zlib");
    buf_free(&zlib_stream);
    buf_free(&gzip_stream);
    free(data);
}
END_TEST

/***********************************************************************************************************************
 * Cipher
 **********************************************************************************************************************/
static int
cipher_run(CipherMode mode, const char *pass, bool raw, const uint8_t *data, size_t size, size_t chunk, Buf *out)
{
    return filter_run(filter_cipher_new(mode, pass, strlen(pass), raw), data, size, chunk, out);
}

START_TEST(test_cipher_helpers)
{
    ck_assert_str_eq(cipher_type_name(CIPHER_NONE), "none");
    ck_assert_str_eq(cipher_type_name(CIPHER_AES_256_CBC), "aes-256-cbc");
    ck_assert_int_eq(cipher_type_parse("none"), CIPHER_NONE);
    ck_assert_int_eq(cipher_type_parse("aes-256-cbc"), CIPHER_AES_256_CBC);
    ck_assert_int_eq(cipher_type_parse("aes-128-cbc"), -1);

    char first[65], second[65];
    ck_assert_int_eq(cipher_subpass_generate(first), 0);
    ck_assert_int_eq(cipher_subpass_generate(second), 0);
    ck_assert_uint_eq(strlen(first), 64);
    ck_assert_uint_eq(strspn(first, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"), 64);
    ck_assert_str_ne(first, second);
}
END_TEST

/* Real files written by pgBackRest 2.45 (spec Appendix A). */
START_TEST(test_cipher_decrypt_examples)
{
    Buf encrypted = BUF_INIT;
    Buf expect = BUF_INIT;
    file_read(EXAMPLE("archive.info.enc"), &encrypted);
    file_read(EXAMPLE("archive.info.decrypted"), &expect);

    const size_t chunks[] = {encrypted.size, 1, 5, 17};
    for (size_t index = 0; index < 4; index++) {
        Buf plain = BUF_INIT;
        int result = cipher_run(CIPHER_DECRYPT, USER_PASS, false, encrypted.data, encrypted.size, chunks[index], &plain);
        ck_assert_msg(result == 0, "decrypt failed: %s", err_message());
        ck_assert_uint_eq(plain.size, expect.size);
        ck_assert_mem_eq(plain.data, expect.data, expect.size);
        buf_free(&plain);
    }

    /* Wrong passphrase. */
    Buf plain = BUF_INIT;
    err_clear();
    ck_assert_int_eq(cipher_run(CIPHER_DECRYPT, "WrongPassphrase", false, encrypted.data, encrypted.size, 64, &plain),
                     -1);
    ck_assert_int_eq(err_code(), ERR_CRYPTO);
    ck_assert_ptr_nonnull(strstr(err_message(), "passphrase"));
    buf_free(&plain);

    /* PG_VERSION slice: manifest subpass, then gz: decrypt -> decompress in one pipeline. */
    buf_clear(&encrypted);
    file_read(EXAMPLE("PG_VERSION.gz.enc"), &encrypted);
    ck_assert_uint_eq(encrypted.size, 48);
    Pipeline *pipeline = pipeline_new();
    pipeline_add(pipeline, filter_cipher_new(CIPHER_DECRYPT, MANIFEST_SUBPASS, strlen(MANIFEST_SUBPASS), false));
    pipeline_add(pipeline, filter_decompress_new(COMPRESS_GZ, false));
    Filter *sha1 = pipeline_add(pipeline, filter_hash_new(HASH_SHA1));
    ck_assert_int_eq(pipeline_run_chunked(pipeline, encrypted.data, encrypted.size, 7, &plain), 0);
    ck_assert_uint_eq(plain.size, 3);
    ck_assert_mem_eq(plain.data, "15\n", 3);
    char hex[HASH_SHA1_HEX_SIZE];
    hash_hex(HASH_SHA1, "15\n", 3, hex);
    ck_assert_str_eq(filter_hash_hex(sha1), hex);
    pipeline_free(pipeline);

    buf_free(&plain);
    buf_free(&encrypted);
    buf_free(&expect);
}
END_TEST

START_TEST(test_cipher_round_trip)
{
    const size_t sizes[] = {0, 1, 15, 16, 17, (1 << 20) + 3};
    uint8_t *data = data_make((1 << 20) + 3, 13);
    const char *pass = "HdaGcbsfumuC9P/NVUvUHQmmbxOE6deito9HMxqMbexcEQu6vvgqLI/F055InBb1";

    for (size_t index = 0; index < sizeof(sizes) / sizeof(sizes[0]); index++) {
        size_t size = sizes[index];
        for (int raw = 0; raw <= 1; raw++) {
            Buf encrypted = BUF_INIT;
            Buf plain = BUF_INIT;
            ck_assert_int_eq(cipher_run(CIPHER_ENCRYPT, pass, raw, data, size, 4093, &encrypted), 0);
            size_t header = raw ? 8 : 16;
            ck_assert_uint_eq(encrypted.size, header + 16 * (size / 16 + 1));
            ck_assert(raw || memcmp(encrypted.data, "Salted__", 8) == 0);
            ck_assert_int_eq(cipher_run(CIPHER_DECRYPT, pass, raw, encrypted.data, encrypted.size, 3, &plain), 0);
            ck_assert_uint_eq(plain.size, size);
            ck_assert(size == 0 || memcmp(plain.data, data, size) == 0);

            /* Truncated by one byte, and cut inside the header. */
            buf_clear(&plain);
            err_clear();
            ck_assert_int_eq(cipher_run(CIPHER_DECRYPT, pass, raw, encrypted.data, encrypted.size - 1, 1000, &plain),
                             -1);
            ck_assert_int_eq(err_code(), ERR_CRYPTO);
            buf_clear(&plain);
            ck_assert_int_eq(cipher_run(CIPHER_DECRYPT, pass, raw, encrypted.data, header - 1, 1000, &plain), -1);
            ck_assert_int_eq(err_code(), ERR_CRYPTO);
            buf_free(&encrypted);
            buf_free(&plain);
        }
    }

    /* Two encryptions of the same data differ (random salt). */
    Buf first = BUF_INIT, second = BUF_INIT;
    ck_assert_int_eq(cipher_run(CIPHER_ENCRYPT, pass, false, data, 100, 100, &first), 0);
    ck_assert_int_eq(cipher_run(CIPHER_ENCRYPT, pass, false, data, 100, 100, &second), 0);
    ck_assert(memcmp(first.data + 8, second.data + 8, 8) != 0);

    /* Not "Salted__": refused. */
    first.data[0] = 'X';
    Buf plain = BUF_INIT;
    ck_assert_int_eq(cipher_run(CIPHER_DECRYPT, pass, false, first.data, first.size, 100, &plain), -1);
    ck_assert_int_eq(err_code(), ERR_CRYPTO);

    buf_free(&first);
    buf_free(&second);
    buf_free(&plain);
    free(data);
}
END_TEST

/* Our encryption is what `openssl enc -d -aes-256-cbc -md sha1` expects. */
START_TEST(test_cipher_openssl_interop)
{
    size_t size = 100003;
    uint8_t *data = data_make(size, 17);
    char *encrypted_path = temp_path("encrypted");
    char *plain_path = temp_path("plain");
    Buf encrypted = BUF_INIT;
    ck_assert_int_eq(cipher_run(CIPHER_ENCRYPT, USER_PASS, false, data, size, 8191, &encrypted), 0);
    file_write(encrypted_path, encrypted.data, encrypted.size);

    char *command = mem_printf("openssl enc -d -aes-256-cbc -md sha1 -pass pass:" USER_PASS " -in %s -out %s "
                               "2>/dev/null",
                               encrypted_path, plain_path);
    run_shell(command);
    free(command);
    Buf plain = BUF_INIT;
    file_read(plain_path, &plain);
    ck_assert_uint_eq(plain.size, size);
    ck_assert(memcmp(plain.data, data, size) == 0);

    /* And openssl's output decrypts with the filter. */
    command = mem_printf("openssl enc -e -aes-256-cbc -md sha1 -pass pass:" USER_PASS " -in %s -out %s 2>/dev/null",
                         plain_path, encrypted_path);
    run_shell(command);
    free(command);
    buf_clear(&encrypted);
    file_read(encrypted_path, &encrypted);
    buf_clear(&plain);
    ck_assert_int_eq(cipher_run(CIPHER_DECRYPT, USER_PASS, false, encrypted.data, encrypted.size, 1 << 20, &plain), 0);
    ck_assert_uint_eq(plain.size, size);
    ck_assert(memcmp(plain.data, data, size) == 0);

    buf_free(&plain);
    buf_free(&encrypted);
    free(encrypted_path);
    free(plain_path);
    free(data);
}
END_TEST

/***********************************************************************************************************************
 * Pipeline
 **********************************************************************************************************************/
typedef struct ProbeState {
    const uint8_t *first_in;
    size_t calls;
    bool out_was_null;
    bool finished;
} ProbeState;

static int
probe_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    (void)in_size;
    ProbeState *state = filter->state;
    if (state->calls++ == 0)
        state->first_in = in;
    state->out_was_null = out == NULL;
    return 0;
}

static int
probe_finish(Filter *filter, Buf *out)
{
    (void)out;
    ((ProbeState *)filter->state)->finished = true;
    return 0;
}

static void
probe_free_state(Filter *filter)
{
    (void)filter; /* the state lives on the test's stack */
}

static const FilterOps probe_ops = {
    .name = "probe", .transforms = false, .process = probe_process, .finish = probe_finish,
    .free_state = probe_free_state,
};

static int
sink_fail(void *context, const uint8_t *data, size_t size)
{
    (void)context, (void)data, (void)size;
    return err_set(ERR_FILE_WRITE, "unable to write to the test sink");
}

START_TEST(test_pipeline_observer_no_copy)
{
    ProbeState probe = {0};
    Pipeline *pipeline = pipeline_new();
    pipeline_add(pipeline, filter_new(&probe_ops, &probe));
    pipeline_add(pipeline, filter_size_new());
    uint8_t data[100] = {1, 2, 3};
    Buf out = BUF_INIT;
    ck_assert_int_eq(pipeline_run_buffer(pipeline, data, sizeof(data), &out), 0);
    ck_assert_ptr_eq(probe.first_in, data);
    ck_assert(probe.out_was_null);
    ck_assert(probe.finished);
    ck_assert_uint_eq(out.size, sizeof(data));

    /* Push after finish is a caller bug. */
    ck_assert_int_eq(pipeline_push(pipeline, data, 1, sink_buf, &out), -1);
    ck_assert_int_eq(err_code(), ERR_ASSERT);
    pipeline_free(pipeline);
    buf_free(&out);

    /* A failing sink fails the push. */
    pipeline = pipeline_new();
    ck_assert_int_eq(pipeline_push(pipeline, data, sizeof(data), sink_fail, NULL), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_WRITE);
    pipeline_free(pipeline);
    pipeline_free(NULL);

    Filter *unused = filter_compress_new(COMPRESS_LZ4, 1, false);
    filter_free(unused);
}
END_TEST

/* The backup chain and its mirror: each stage's remaining output flows down before the next stage finishes. */
START_TEST(test_pipeline_backup_restore_chain)
{
    size_t size = (5 << 20) + 11;
    uint8_t *data = data_make(size, 31);
    const char *pass = MANIFEST_SUBPASS;

    for (size_t type_index = 0; type_index < COMPRESS_TYPES_COUNT; type_index++) {
        CompressType type = compress_types[type_index];
        Pipeline *backup = pipeline_new();
        Filter *sha1 = pipeline_add(backup, filter_hash_new(HASH_SHA1));
        Filter *size_plain = pipeline_add(backup, filter_size_new());
        pipeline_add(backup, filter_compress_new(type, compress_level_default(type), false));
        pipeline_add(backup, filter_cipher_new(CIPHER_ENCRYPT, pass, strlen(pass), false));
        Filter *size_repo = pipeline_add(backup, filter_size_new());
        Filter *sha1_repo = pipeline_add(backup, filter_hash_new(HASH_SHA1));
        Buf stored = BUF_INIT;
        ck_assert_int_eq(pipeline_run_chunked(backup, data, size, 1 << 20, &stored), 0);

        char expect[HASH_SHA1_HEX_SIZE], stored_sha1[HASH_SHA1_HEX_SIZE];
        hash_hex(HASH_SHA1, data, size, expect);
        hash_hex(HASH_SHA1, stored.data, stored.size, stored_sha1);
        ck_assert_str_eq(filter_hash_hex(sha1), expect);
        ck_assert_uint_eq(filter_size_bytes(size_plain), size);
        ck_assert_uint_eq(filter_size_bytes(size_repo), stored.size);
        ck_assert_str_eq(filter_hash_hex(sha1_repo), stored_sha1);
        pipeline_free(backup);

        Pipeline *restore = pipeline_new();
        pipeline_add(restore, filter_cipher_new(CIPHER_DECRYPT, pass, strlen(pass), false));
        pipeline_add(restore, filter_decompress_new(type, false));
        Filter *sha1_restored = pipeline_add(restore, filter_hash_new(HASH_SHA1));
        Filter *size_restored = pipeline_add(restore, filter_size_new());
        Buf restored = BUF_INIT;
        ck_assert_int_eq(pipeline_run_chunked(restore, stored.data, stored.size, 65536, &restored), 0);
        ck_assert_uint_eq(restored.size, size);
        ck_assert(memcmp(restored.data, data, size) == 0);
        ck_assert_str_eq(filter_hash_hex(sha1_restored), expect);
        ck_assert_uint_eq(filter_size_bytes(size_restored), size);
        pipeline_free(restore);
        buf_free(&stored);
        buf_free(&restored);
    }

    /* Two transformers in a row, finished in order: gz output compressed again by lz4 still unwinds. */
    Pipeline *twice = pipeline_new();
    pipeline_add(twice, filter_compress_new(COMPRESS_GZ, 1, false));
    pipeline_add(twice, filter_compress_new(COMPRESS_LZ4, 1, false));
    Buf packed = BUF_INIT;
    ck_assert_int_eq(pipeline_run_buffer(twice, data, size, &packed), 0);
    pipeline_free(twice);
    Pipeline *untwice = pipeline_new();
    pipeline_add(untwice, filter_decompress_new(COMPRESS_LZ4, false));
    pipeline_add(untwice, filter_decompress_new(COMPRESS_GZ, false));
    Buf unpacked = BUF_INIT;
    ck_assert_int_eq(pipeline_run_buffer(untwice, packed.data, packed.size, &unpacked), 0);
    ck_assert_uint_eq(unpacked.size, size);
    ck_assert(memcmp(unpacked.data, data, size) == 0);
    pipeline_free(untwice);

    buf_free(&packed);
    buf_free(&unpacked);
    free(data);
}
END_TEST


/* What the sink of the bounded-memory test saw. */
typedef struct BoundedSink {
    uint64_t total;
    size_t largest_chunk;
    bool all_zero;
} BoundedSink;

static int
bounded_sink(void *context, const uint8_t *data, size_t size)
{
    BoundedSink *seen = context;
    seen->total += size;
    if (size > seen->largest_chunk)
        seen->largest_chunk = size;
    for (size_t index = 0; index < size && seen->all_zero; index += 4096)
        seen->all_zero = data[index] == 0;
    return 0;
}

static long
max_rss_kib(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

/* 256 MiB of zeros compress to a few hundred KiB; decompressing them through a pipeline must hand the output on
 * in bounded chunks instead of expanding a whole input slice in memory. */
START_TEST(test_decompress_memory_bounded)
{
    CompressType type = compress_types[_i];
    const uint64_t plain_size = (uint64_t)256 << 20;
    uint8_t *zeros = calloc(1, 1 << 20);

    Buf packed = BUF_INIT;
    Pipeline *pack = pipeline_new();
    pipeline_add(pack, filter_compress_new(type, compress_level_default(type), false));
    for (uint64_t offset = 0; offset < plain_size; offset += 1 << 20)
        ck_assert_int_eq(pipeline_push(pack, zeros, 1 << 20, sink_buf, &packed), 0);
    ck_assert_int_eq(pipeline_finish(pack, sink_buf, &packed), 0);
    pipeline_free(pack);
    free(zeros);

    long rss_before = max_rss_kib();
    BoundedSink seen = {0, 0, true};
    Pipeline *unpack = pipeline_new();
    pipeline_add(unpack, filter_decompress_new(type, false));
    ck_assert_int_eq(pipeline_push(unpack, packed.data, packed.size, bounded_sink, &seen), 0);
    ck_assert_int_eq(pipeline_finish(unpack, bounded_sink, &seen), 0);
    pipeline_free(unpack);

    ck_assert_uint_eq(seen.total, plain_size);
    ck_assert(seen.all_zero);
    ck_assert_uint_le(seen.largest_chunk, 2 * FILTER_FLUSH_SIZE);
    /* Peak memory grew by far less than the output (which never existed in memory as a whole). */
    ck_assert_int_lt(max_rss_kib() - rss_before, 64 * 1024);
    buf_free(&packed);
}
END_TEST

static Suite *
filter_suite(void)
{
    Suite *suite = suite_create("filter");

    TCase *hash = tcase_create("hash");
    tcase_add_checked_fixture(hash, temp_setup, temp_teardown);
    tcase_add_test(hash, test_hash_vectors);
    tcase_add_test(hash, test_hash_large_chunked);
    suite_add_tcase(suite, hash);

    TCase *compress = tcase_create("compress");
    tcase_set_timeout(compress, 120);
    tcase_add_checked_fixture(compress, temp_setup, temp_teardown);
    tcase_add_test(compress, test_compress_helpers);
    tcase_add_loop_test(compress, test_compress_round_trip, 0, COMPRESS_TYPES_COUNT);
    tcase_add_loop_test(compress, test_compress_interop, 0, COMPRESS_TYPES_COUNT);
    tcase_add_test(compress, test_compress_headers);
    tcase_add_test(compress, test_lz4_parallel);
    tcase_add_test(compress, test_lz4_parallel_stable);
    tcase_add_test(compress, test_decompress_skip_checksum);
    tcase_add_test(compress, test_zst_threads);
    tcase_add_test(compress, test_compress_checksummed);
    tcase_add_test(compress, test_compress_context_reuse);
    tcase_add_loop_test(compress, test_decompress_bad_input, 0, COMPRESS_TYPES_COUNT);
    tcase_add_test(compress, test_decompress_raw_gz_is_zlib);
    tcase_add_loop_test(compress, test_decompress_memory_bounded, 0, COMPRESS_TYPES_COUNT);
    suite_add_tcase(suite, compress);

    TCase *cipher = tcase_create("cipher");
    tcase_set_timeout(cipher, 60);
    tcase_add_checked_fixture(cipher, temp_setup, temp_teardown);
    tcase_add_test(cipher, test_cipher_helpers);
    tcase_add_test(cipher, test_cipher_decrypt_examples);
    tcase_add_test(cipher, test_cipher_round_trip);
    tcase_add_test(cipher, test_cipher_openssl_interop);
    suite_add_tcase(suite, cipher);

    TCase *pipeline = tcase_create("pipeline");
    tcase_set_timeout(pipeline, 120);
    tcase_add_test(pipeline, test_pipeline_observer_no_copy);
    tcase_add_test(pipeline, test_pipeline_backup_restore_chain);
    suite_add_tcase(suite, pipeline);

    return suite;
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    snprintf(temp_root, sizeof(temp_root), "%s/test_filter.XXXXXX", tmp);
    if (mkdtemp(temp_root) == NULL) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }

    SRunner *runner = srunner_create(filter_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    temp_remove(temp_root);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
