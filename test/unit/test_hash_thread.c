/* Unit tests for engine/ops/hash_thread: the digest equals the one-shot SHA-1 whatever the chunking, the ring
 * wraps many times, an empty stream and an abandoned stream. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "engine/ops/hash_thread.h"
#include "storage/filter/filter.h"
#include "storage/filter/hash.h"

/* Deterministic test data. */
static uint8_t *
make_data(size_t size)
{
    uint8_t *data = malloc(size);
    uint32_t state = 12345;
    for (size_t index = 0; index < size; index++) {
        state = state * 1103515245u + 12345u;
        data[index] = (uint8_t)(state >> 16);
    }
    return data;
}

/* Stream `size` bytes in pieces of `piece` bytes (at most a chunk) and return the thread's digest. */
static void
stream_digest(const uint8_t *data, size_t size, size_t piece, char hex[HASH_SHA1_HEX_SIZE])
{
    HashThread *thread = NULL;
    ck_assert_int_eq(hash_thread_start(&thread), 0);
    for (size_t offset = 0; offset < size; offset += piece) {
        size_t part = size - offset < piece ? size - offset : piece;
        uint8_t *slot = hash_thread_slot(thread);
        memcpy(slot, data + offset, part);
        hash_thread_publish(thread, part);
    }
    ck_assert_int_eq(hash_thread_finish(thread, hex), 0);
    hash_thread_free(thread);
}

START_TEST(test_known_vector)
{
    char hex[HASH_SHA1_HEX_SIZE];
    stream_digest((const uint8_t *)"abc", 3, 3, hex);
    ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    stream_digest((const uint8_t *)"", 0, 1, hex);
    ck_assert_str_eq(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}
END_TEST

START_TEST(test_chunkings_match_one_shot)
{
    /* 16 MiB + a tail: the ring (8 slots) wraps many times */
    size_t size = (size_t)16 * 1024 * 1024 + 12345;
    uint8_t *data = make_data(size);
    char expected[HASH_SHA1_HEX_SIZE];
    hash_hex(HASH_SHA1, data, size, expected);

    const size_t pieces[] = {HASH_THREAD_CHUNK_SIZE, HASH_THREAD_CHUNK_SIZE - 1, 4096, 1000003 % HASH_THREAD_CHUNK_SIZE};
    for (size_t index = 0; index < sizeof(pieces) / sizeof(pieces[0]); index++) {
        char actual[HASH_SHA1_HEX_SIZE];
        stream_digest(data, size, pieces[index], actual);
        ck_assert_str_eq(actual, expected);
    }
    free(data);
}
END_TEST

START_TEST(test_slot_stays_with_the_caller_until_next)
{
    /* the caller may read its slot after publishing it (the compressor does); contents must be intact */
    HashThread *thread = NULL;
    ck_assert_int_eq(hash_thread_start(&thread), 0);
    uint8_t *previous = NULL;
    for (int round = 0; round < 64; round++) {
        uint8_t *slot = hash_thread_slot(thread);
        ck_assert_ptr_ne(slot, previous);
        memset(slot, round, HASH_THREAD_CHUNK_SIZE);
        hash_thread_publish(thread, HASH_THREAD_CHUNK_SIZE);
        for (size_t offset = 0; offset < HASH_THREAD_CHUNK_SIZE; offset += 4096)
            ck_assert_uint_eq(slot[offset], (uint8_t)round);
        previous = slot;
    }
    char hex[HASH_SHA1_HEX_SIZE];
    ck_assert_int_eq(hash_thread_finish(thread, hex), 0);
    ck_assert_uint_eq(strlen(hex), 40);
    hash_thread_free(thread);
}
END_TEST

START_TEST(test_abandoned)
{
    /* freed without finish, with chunks in flight: no hang, no leak (checked under the sanitizers) */
    HashThread *thread = NULL;
    ck_assert_int_eq(hash_thread_start(&thread), 0);
    for (int round = 0; round < 3; round++) {
        memset(hash_thread_slot(thread), 1, HASH_THREAD_CHUNK_SIZE);
        hash_thread_publish(thread, HASH_THREAD_CHUNK_SIZE);
    }
    hash_thread_free(thread);
    hash_thread_free(NULL);
}
END_TEST

static int
sink_ignore(void *context, const uint8_t *data, size_t size)
{
    (void)context, (void)data, (void)size;
    return 0;
}

/* One SHA-1 of `data` computed in one go. */
static void
one_shot_digest(const uint8_t *data, size_t size, char hex[HASH_SHA1_HEX_SIZE])
{
    Pipeline *pipeline = pipeline_new();
    Filter *hash = pipeline_add(pipeline, filter_hash_new(HASH_SHA1));
    Buf out = BUF_INIT;
    ck_assert_int_eq(pipeline_run_buffer(pipeline, data, size, &out), 0);
    snprintf(hex, HASH_SHA1_HEX_SIZE, "%s", filter_hash_hex(hash));
    buf_free(&out);
    pipeline_free(pipeline);
}

/* The observer filter on one thread reused for many streams (a backup worker's files), including an abandoned one
 * in the middle: every finished stream's digest is its own. */
START_TEST(test_filter_streams_reuse_the_thread)
{
    size_t size = 3 * HASH_THREAD_CHUNK_SIZE + 4321;
    uint8_t *data = make_data(size);
    HashThread *thread = NULL;
    ck_assert_int_eq(hash_thread_start(&thread), 0);
    const size_t sizes[] = {0, 1, 8192, size, HASH_THREAD_CHUNK_SIZE * HASH_THREAD_SLOTS / 2};
    for (size_t round = 0; round < 3; round++) {
        for (size_t index = 0; index < sizeof(sizes) / sizeof(sizes[0]); index++) {
            size_t length = sizes[index] < size ? sizes[index] : size;
            Pipeline *pipeline = pipeline_new();
            Filter *hash = pipeline_add(pipeline, hash_thread_filter_new(thread));
            Buf out = BUF_INIT;
            ck_assert_int_eq(pipeline_run_buffer(pipeline, data + index, length - (length > index ? index : 0), &out), 0);
            char expected[HASH_SHA1_HEX_SIZE];
            one_shot_digest(data + index, length - (length > index ? index : 0), expected);
            ck_assert_str_eq(hash_thread_filter_hex(hash), expected);
            buf_free(&out);
            pipeline_free(pipeline);
        }
        /* a stream abandoned half-way (the copy failed): its chunks do not leak into the next digest */
        Pipeline *abandoned = pipeline_new();
        pipeline_add(abandoned, hash_thread_filter_new(thread));
        Buf ignored = BUF_INIT;
        ck_assert_int_eq(pipeline_push(abandoned, data, size / 2, sink_ignore, &ignored), 0);
        buf_free(&ignored);
        pipeline_free(abandoned);
    }
    char hex[HASH_SHA1_HEX_SIZE], expected[HASH_SHA1_HEX_SIZE];
    memcpy(hash_thread_slot(thread), data, 1000);
    hash_thread_publish(thread, 1000);
    ck_assert_int_eq(hash_thread_digest(thread, hex), 0);
    one_shot_digest(data, 1000, expected);
    ck_assert_str_eq(hex, expected);
    hash_thread_free(thread);
    free(data);
}
END_TEST

/* Lent bytes (a mapped file) hashed where they are, in pieces of any size (larger than a chunk, more pieces than the
 * ring has slots before a wait), mixed with ring chunks: the digest is the one-shot SHA-1; after hash_thread_wait()
 * the lent bytes can change without changing it. */
START_TEST(test_lend)
{
    size_t size = 5 * HASH_THREAD_CHUNK_SIZE + 777;
    uint8_t *data = make_data(size);
    char expected[HASH_SHA1_HEX_SIZE];
    hash_hex(HASH_SHA1, data, size, expected);
    const size_t pieces[] = {size, 3 * HASH_THREAD_CHUNK_SIZE + 1, 4096, 100};
    for (size_t index = 0; index < sizeof(pieces) / sizeof(pieces[0]); index++) {
        uint8_t *copy = malloc(size);
        memcpy(copy, data, size);
        HashThread *thread = NULL;
        ck_assert_int_eq(hash_thread_start(&thread), 0);
        /* the first 1000 bytes through the ring, the rest lent */
        memcpy(hash_thread_slot(thread), copy, 1000);
        hash_thread_publish(thread, 1000);
        for (size_t offset = 1000; offset < size; offset += pieces[index]) {
            size_t part = size - offset < pieces[index] ? size - offset : pieces[index];
            hash_thread_lend(thread, copy + offset, part);
        }
        hash_thread_wait(thread);
        memset(copy, 0x5A, size);
        char actual[HASH_SHA1_HEX_SIZE];
        ck_assert_int_eq(hash_thread_finish(thread, actual), 0);
        ck_assert_str_eq(actual, expected);
        hash_thread_free(thread);
        free(copy);
    }
    free(data);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("hash_thread");
    TCase *tcase = tcase_create("hash_thread");
    tcase_set_timeout(tcase, 60);
    tcase_add_test(tcase, test_known_vector);
    tcase_add_test(tcase, test_chunkings_match_one_shot);
    tcase_add_test(tcase, test_slot_stays_with_the_caller_until_next);
    tcase_add_test(tcase, test_abandoned);
    tcase_add_test(tcase, test_filter_streams_reuse_the_thread);
    tcase_add_test(tcase, test_lend);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
