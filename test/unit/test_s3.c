/*
 * Integration tests of the S3 driver against a real local S3 server (s3rver over TLS, started by
 * test/s3/s3rver-start.sh). Skipped (exit 77) when s3rver is not installed. With GAIAREST_S3RVER_PORT and
 * GAIAREST_S3RVER_CA set, an already running server is used instead.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/repo/repo.h"
#include "storage/s3/s3.h"
#include "storage/s3/sigv4.h"

#define BUCKET "gaiarest"

static char server_dir[256];
static char ca_file[300];
static unsigned server_port;
static pid_t server_pid;

/* --- server --- */

static bool server_start(void)
{
    const char *port = getenv("GAIAREST_S3RVER_PORT");
    const char *ca = getenv("GAIAREST_S3RVER_CA");
    if (port != NULL && ca != NULL) {
        server_port = (unsigned)atoi(port);
        snprintf(ca_file, sizeof(ca_file), "%s", ca);
        return true;
    }
    char script[512];
    snprintf(script, sizeof(script), "%s/test/s3/s3rver-start.sh", TEST_SRCDIR);
    char module[512];
    snprintf(module, sizeof(module), "%s/test/s3/node_modules/s3rver/bin/s3rver.js", TEST_SRCDIR);
    if (access(module, R_OK) != 0)
        return false;
    snprintf(server_dir, sizeof(server_dir), "/tmp/gaiarest-test-s3-XXXXXX");
    if (mkdtemp(server_dir) == NULL)
        return false;
    char command[1024];
    snprintf(command, sizeof(command), "%s %s " BUCKET, script, server_dir);
    FILE *pipe = popen(command, "r");
    if (pipe == NULL)
        return false;
    int pid = 0;
    int matched = fscanf(pipe, "%u %d", &server_port, &pid);
    pclose(pipe);
    if (matched != 2)
        return false;
    server_pid = (pid_t)pid;
    snprintf(ca_file, sizeof(ca_file), "%s/cert.pem", server_dir);
    return true;
}

static void server_stop(void)
{
    if (server_pid > 0)
        kill(server_pid, SIGTERM);
    if (server_dir[0] != '\0') {
        char command[512];
        snprintf(command, sizeof(command), "sleep 0.2; rm -rf '%s'", server_dir);
        if (system(command) != 0)
            fprintf(stderr, "unable to remove %s\n", server_dir);
    }
}

/* --- helpers --- */

static Storage *s3_open_as(const char *key, const char *secret, size_t chunk, const char *base)
{
    StorageS3Options options = {
        .bucket = BUCKET,
        .endpoint = "localhost",
        .region = "us-east-1",
        .key = key,
        .key_secret = secret,
        .uri_style = STORAGE_S3_URI_STYLE_PATH,
        .host = "127.0.0.1",
        .port = server_port,
        .verify_tls = true,
        .ca_file = ca_file,
        .upload_chunk_size = chunk,
        .timeout_ms = 5000,
        .base_path = base,
        .writable = true,
    };
    return storage_s3_new(&options);
}

static Storage *s3_open(const char *secret, size_t chunk, const char *base)
{
    return s3_open_as("S3RVER", secret, chunk, base);
}

static void s3_close(Storage *storage)
{
    storage_free(storage);
}

typedef struct Trace {
    unsigned parts;
    size_t part_sizes[64];
    unsigned puts;
    unsigned initiates;
    unsigned completes;
    unsigned aborts;
    unsigned lists;
    unsigned batch_deletes;
} Trace;

static void trace_request(void *context, const char *verb, const char *path, size_t body_size)
{
    Trace *trace = context;
    const char *query = strchr(path, '?');
    if (strcmp(verb, "PUT") == 0 && query != NULL && strstr(query, "partNumber=") != NULL) {
        if (trace->parts < 64)
            trace->part_sizes[trace->parts] = body_size;
        trace->parts++;
    } else if (strcmp(verb, "PUT") == 0) {
        trace->puts++;
    } else if (strcmp(verb, "POST") == 0 && query != NULL && strstr(query, "uploads=") != NULL) {
        trace->initiates++;
    } else if (strcmp(verb, "POST") == 0 && query != NULL && strstr(query, "uploadId=") != NULL) {
        trace->completes++;
    } else if (strcmp(verb, "DELETE") == 0 && query != NULL && strstr(query, "uploadId=") != NULL) {
        trace->aborts++;
    } else if (strcmp(verb, "GET") == 0 && query != NULL && strstr(query, "list-type=2") != NULL) {
        trace->lists++;
    } else if (strcmp(verb, "POST") == 0 && query != NULL && strstr(query, "delete=") != NULL) {
        trace->batch_deletes++;
    }
}

static void put(Storage *storage, const char *path, const uint8_t *data, size_t size)
{
    StorageWrite *write = NULL;
    ck_assert_int_eq(storage->driver->open_write(storage, path, NULL, &write), 0);
    /* Feed in uneven pieces to exercise the chunking. */
    size_t done = 0;
    while (done < size) {
        size_t piece = size - done < 7777 ? size - done : 7777;
        ck_assert_msg(write->ops->write(write, data + done, piece) == 0, "%s", err_message());
        done += piece;
    }
    ck_assert_msg(write->ops->close(write) == 0, "%s", err_message());
    write->ops->free(write);
}

static uint8_t *get(Storage *storage, const char *path, uint64_t offset, int64_t limit, size_t *size)
{
    StorageRead *read = NULL;
    ck_assert_msg(storage->driver->open_read(storage, path, offset, limit, false, &read) == 0, "%s", err_message());
    ck_assert_ptr_nonnull(read);
    Buf out = BUF_INIT;
    uint8_t buffer[10000];
    size_t got;
    do {
        ck_assert_msg(read->ops->read(read, buffer, sizeof(buffer), &got) == 0, "%s", err_message());
        buf_append(&out, buffer, got);
    } while (got > 0);
    read->ops->free(read);
    *size = out.size;
    return (uint8_t *)buf_detach(&out);
}

static uint8_t *pattern(size_t size)
{
    uint8_t *data = mem_alloc(size);
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t)((i * 31 + i / 251) & 0xff);
    return data;
}

typedef struct Names {
    char *names[2048];
    StorageType types[2048];
    size_t count;
} Names;

static int collect(void *context, const StorageInfo *info)
{
    Names *names = context;
    if (names->count < 2048) {
        names->types[names->count] = info->type;
        names->names[names->count] = mem_strdup(info->name);
    }
    names->count++;
    return 0;
}

static void names_free(Names *names)
{
    for (size_t i = 0; i < names->count && i < 2048; i++)
        free(names->names[i]);
    names->count = 0;
}

static int names_find(const Names *names, const char *name)
{
    for (size_t i = 0; i < names->count && i < 2048; i++)
        if (strcmp(names->names[i], name) == 0)
            return (int)i;
    return -1;
}

/* --- tests --- */

START_TEST(test_small_round_trip)
{
    Storage *storage = s3_open("S3RVER", 0, "/pgbackrest");
    const char *text = "[backrest]\nbackrest-format=5\n";
    put(storage, "archive/demo/archive.info", (const uint8_t *)text, strlen(text));

    StorageInfo info;
    ck_assert_int_eq(storage->driver->info(storage, "archive/demo/archive.info", false, &info), 0);
    ck_assert(info.exists);
    ck_assert_int_eq(info.type, STORAGE_TYPE_FILE);
    ck_assert_uint_eq(info.size, strlen(text));
    ck_assert_int_gt(info.mtime, 1600000000);
    /* A prefix with objects under it is a path; a prefix of a key name is not. */
    ck_assert_int_eq(storage->driver->info(storage, "archive/demo", false, &info), 0);
    ck_assert(info.exists);
    ck_assert_int_eq(info.type, STORAGE_TYPE_PATH);
    ck_assert_int_eq(storage->driver->info(storage, "archive", false, &info), 0);
    ck_assert(info.exists);
    ck_assert_int_eq(info.type, STORAGE_TYPE_PATH);
    ck_assert_int_eq(storage->driver->info(storage, "archive/dem", false, &info), 0);
    ck_assert(!info.exists);

    size_t size;
    uint8_t *data = get(storage, "archive/demo/archive.info", 0, -1, &size);
    ck_assert_uint_eq(size, strlen(text));
    ck_assert_mem_eq(data, text, size);
    free(data);

    /* The key has no leading '/' and includes the base path: visible under that name in s3rver's store. */
    if (server_dir[0] != '\0') {
        char path[512];
        snprintf(path, sizeof(path), "%s/data/" BUCKET "/pgbackrest/archive/demo/archive.info._S3rver_object",
                 server_dir);
        ck_assert_msg(access(path, R_OK) == 0, "missing %s", path);
    }

    /* An empty object. */
    put(storage, "empty", (const uint8_t *)"", 0);
    data = get(storage, "empty", 0, -1, &size);
    ck_assert_uint_eq(size, 0);
    free(data);

    ck_assert_int_eq(storage->driver->remove(storage, "archive/demo/archive.info", true), 0);
    ck_assert_int_eq(storage->driver->info(storage, "archive/demo/archive.info", false, &info), 0);
    ck_assert(!info.exists);
    ck_assert_int_eq(storage->driver->remove(storage, "archive/demo/archive.info", true), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_REMOVE);
    ck_assert_int_eq(storage->driver->remove(storage, "archive/demo/archive.info", false), 0);
    s3_close(storage);
}
END_TEST

/* An S3 storage's HTTP client belongs to the first thread that sends with it: another thread's request is refused
 * (every time, with a message naming the object), a storage of its own works in any thread, and a storage handed
 * over (storage_hand_over) belongs to the next thread that sends. */
typedef struct ThreadUse {
    Storage *storage;
    int result;
    ErrorCode code;
    char message[512];
    bool exists;
    bool hand_back; /* storage_hand_over at the end */
} ThreadUse;

static void *thread_info(void *context)
{
    ThreadUse *use = context;
    StorageInfo info;
    use->result = use->storage->driver->info(use->storage, "thread/object", false, &info);
    use->exists = use->result == 0 && info.exists;
    if (use->result == 0)
        storage_info_clear(&info);
    use->code = err_code();
    snprintf(use->message, sizeof(use->message), "%s", use->result < 0 ? err_message() : "");
    if (use->hand_back)
        storage_hand_over(use->storage);
    return NULL;
}

START_TEST(test_client_one_thread)
{
    Storage *storage = s3_open("S3RVER", 0, "/pgbackrest");
    put(storage, "thread/object", (const uint8_t *)"x", 1);

    ThreadUse shared = {.storage = storage};
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, thread_info, &shared), 0);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    ck_assert_int_eq(shared.result, -1);
    ck_assert_int_eq(shared.code, ERR_ASSERT);
    ck_assert_msg(strstr(shared.message, "thread/object") != NULL && strstr(shared.message, "another thread") != NULL,
                  "%s", shared.message);

    ThreadUse own = {.storage = s3_open("S3RVER", 0, "/pgbackrest")};
    ck_assert_int_eq(pthread_create(&thread, NULL, thread_info, &own), 0);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    ck_assert_msg(own.result == 0 && own.exists, "%s", own.message);
    s3_close(own.storage);

    /* handed over (storage_hand_over): the storage works in the thread that takes it and, once that thread hands it
     * back at its end (archive-push's preamble thread), in this one again */
    storage_hand_over(storage);
    ThreadUse handed = {.storage = storage, .hand_back = true};
    ck_assert_int_eq(pthread_create(&thread, NULL, thread_info, &handed), 0);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    ck_assert_msg(handed.result == 0 && handed.exists, "%s", handed.message);
    /* a thread that does not hand it back keeps it */
    Storage *kept = s3_open("S3RVER", 0, "/pgbackrest");
    ThreadUse keeper = {.storage = kept};
    ck_assert_int_eq(pthread_create(&thread, NULL, thread_info, &keeper), 0);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    ck_assert_msg(keeper.result == 0 && keeper.exists, "%s", keeper.message);
    StorageInfo info;
    ck_assert_int_eq(kept->driver->info(kept, "thread/object", false, &info), -1);
    ck_assert_int_eq(err_code(), ERR_ASSERT);
    err_clear();
    s3_close(kept);

    ck_assert_int_eq(storage->driver->remove(storage, "thread/object", true), 0);
    s3_close(storage);
}
END_TEST

/* One multipart upload of `size` bytes (300 KiB + a little) in 64 KiB chunks: 4 equal parts and a smaller last one. */
static void assert_five_parts(const Trace *trace, size_t size)
{
    ck_assert_uint_eq(trace->initiates, 1);
    ck_assert_uint_eq(trace->parts, 5);
    for (unsigned i = 0; i < 4; i++)
        ck_assert_uint_eq(trace->part_sizes[i], 64 * 1024);
    ck_assert_uint_eq(trace->part_sizes[4], size - 4 * 64 * 1024);
    ck_assert_uint_eq(trace->completes, 1);
}

START_TEST(test_multipart)
{
    Storage *storage = s3_open("S3RVER", 64 * 1024, "/");
    Trace trace = {0};
    storage_s3_trace(storage, trace_request, &trace);

    size_t size = 300 * 1024 + 5;
    uint8_t *data = pattern(size);
    put(storage, "backup/demo/big", data, size);
    assert_five_parts(&trace, size);
    ck_assert_uint_eq(trace.puts, 0);

    size_t got_size;
    uint8_t *got = get(storage, "backup/demo/big", 0, -1, &got_size);
    ck_assert_uint_eq(got_size, size);
    ck_assert_mem_eq(got, data, size);
    free(got);

    /* Exactly one chunk is a single PUT. */
    memset(&trace, 0, sizeof(trace));
    put(storage, "backup/demo/one-chunk", data, 64 * 1024);
    ck_assert_uint_eq(trace.puts, 1);
    ck_assert_uint_eq(trace.initiates, 0);

    /* Freed without close: the upload is aborted and nothing appears. */
    memset(&trace, 0, sizeof(trace));
    StorageWrite *write = NULL;
    ck_assert_int_eq(storage->driver->open_write(storage, "backup/demo/aborted", NULL, &write), 0);
    ck_assert_int_eq(write->ops->write(write, data, size), 0);
    write->ops->free(write);
    ck_assert_uint_eq(trace.aborts, 1);
    StorageInfo info;
    ck_assert_int_eq(storage->driver->info(storage, "backup/demo/aborted", false, &info), 0);
    ck_assert(!info.exists);
    free(data);
    s3_close(storage);
}
END_TEST

/* Write data[0..size) in pieces of `piece` bytes. */
static void write_pieces(StorageWrite *write, const uint8_t *data, size_t size, size_t piece)
{
    for (size_t done = 0; done < size; done += piece)
        ck_assert_int_eq(storage_write(write, data + done, size - done < piece ? size - done : piece), 0);
}

/* hold_chunks: up to that many chunks are held and sent with one PUT under the name set last; beyond, the held
 * bytes go up as equal parts. */
START_TEST(test_write_hold)
{
    Storage *storage = s3_open("S3RVER", 64 * 1024, "/");
    Trace trace = {0};
    storage_s3_trace(storage, trace_request, &trace);
    StorageWriteOptions options = storage_write_options_default();
    options.hold_chunks = 4;
    size_t size = 300 * 1024 + 5;
    uint8_t *data = pattern(size);

    /* 200 KiB written in 7 KiB pieces, renamed before close: one PUT under the final name, nothing else */
    StorageWrite *write = NULL;
    ck_assert_int_eq(storage_open_write(storage, "archive/demo/held.tmp", &options, &write), 0);
    write_pieces(write, data, 200 * 1024, 7 * 1024);
    ck_assert_int_eq(storage_write_set_name(write, "held-final"), 0);
    ck_assert_msg(storage_write_close(write) == 0, "%s", err_message());
    storage_write_free(write);
    ck_assert_uint_eq(trace.puts, 1);
    ck_assert_uint_eq(trace.initiates + trace.parts + trace.completes, 0);
    size_t got_size;
    uint8_t *got = get(storage, "archive/demo/held-final", 0, -1, &got_size);
    ck_assert_uint_eq(got_size, 200 * 1024);
    ck_assert_mem_eq(got, data, got_size);
    free(got);

    /* 300 KiB: more than 4 chunks, a multipart upload of equal 64 KiB parts and a smaller last one */
    memset(&trace, 0, sizeof(trace));
    ck_assert_int_eq(storage_open_write(storage, "archive/demo/beyond", &options, &write), 0);
    write_pieces(write, data, size, 7 * 1024);
    ck_assert_msg(storage_write_close(write) == 0, "%s", err_message());
    storage_write_free(write);
    assert_five_parts(&trace, size);
    got = get(storage, "archive/demo/beyond", 0, -1, &got_size);
    ck_assert_uint_eq(got_size, size);
    ck_assert_mem_eq(got, data, size);
    free(got);
    free(data);
    s3_close(storage);
}
END_TEST

/* The digest headers (content-md5, x-amz-content-sha256) of every PUT written, in order. */
#define DIGEST_LOG_MAX 16
typedef struct DigestLog {
    size_t count;
    char md5[DIGEST_LOG_MAX][64];
    char sha256[DIGEST_LOG_MAX][80];
} DigestLog;

static void header_value(const char *headers, size_t size, const char *name, char *value, size_t value_size)
{
    size_t name_length = strlen(name);
    const char *end = headers + size;
    for (const char *line = headers; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t length = eol != NULL ? (size_t)(eol - line) : (size_t)(end - line);
        if (length > name_length && strncasecmp(line, name, name_length) == 0 && line[name_length] == ':') {
            const char *start = line + name_length + 1;
            while (*start == ' ')
                start++;
            size_t copy = (size_t)(line + length - start);
            while (copy > 0 && (start[copy - 1] == '\r' || start[copy - 1] == ' '))
                copy--;
            snprintf(value, value_size, "%.*s", (int)copy, start);
        }
        line += length + 1;
    }
}

static void trace_digests(void *context, const char *headers, size_t size)
{
    DigestLog *log = context;
    if (size >= 4 && strncmp(headers, "PUT ", 4) == 0 && log->count < DIGEST_LOG_MAX) {
        header_value(headers, size, "content-md5", log->md5[log->count], sizeof(log->md5[0]));
        header_value(headers, size, "x-amz-content-sha256", log->sha256[log->count], sizeof(log->sha256[0]));
        log->count++;
    }
}

/* PUT number `index` of the log carried the digests of data[0..size). */
static void assert_digests(const DigestLog *log, size_t index, const uint8_t *data, size_t size)
{
    char sha256[SIGV4_SHA256_HEX_SIZE];
    sigv4_sha256_hex(data, size, sha256);
    uint8_t md5_bytes[16];
    unsigned int md5_length = 0;
    EVP_Digest(data, size, md5_bytes, &md5_length, EVP_md5(), NULL);
    char md5[32];
    EVP_EncodeBlock((unsigned char *)md5, md5_bytes, 16);
    ck_assert_uint_lt(index, log->count);
    ck_assert_str_eq(log->sha256[index], sha256);
    ck_assert_str_eq(log->md5[index], md5);
}

/* Write `size` bytes of a pattern in pieces of 3001 bytes, close, and read the object back whole. */
static uint8_t *write_digested(Storage *storage, const char *path, const StorageWriteOptions *options, size_t size)
{
    uint8_t *data = pattern(size);
    StorageWrite *write = NULL;
    ck_assert_int_eq(storage_open_write(storage, path, options, &write), 0);
    write_pieces(write, data, size, 3001);
    ck_assert_msg(storage_write_close(write) == 0, "%s", err_message());
    storage_write_free(write);
    size_t got_size;
    uint8_t *got = get(storage, path, 0, -1, &got_size);
    ck_assert_uint_eq(got_size, size);
    ck_assert_mem_eq(got, data, size);
    free(got);
    return data;
}

/* Bodies written in many pieces go up with the MD5 and SHA-256 of their bytes, taken as they arrived: a held object's
 * single PUT, each part of a multipart upload (equal chunks and the last one), the parts of a hold that outgrew
 * itself and those after them; the headers equal the digests computed here (s3rver does not check them; R2 and AWS do). */
START_TEST(test_write_hold_digests)
{
    const size_t chunk = 64 * 1024;
    Storage *storage = s3_open("S3RVER", chunk, "/");
    DigestLog log = {0};
    storage_s3_trace_headers(storage, trace_digests, &log);
    StorageWriteOptions options = storage_write_options_default();
    options.hold_chunks = 4;
    size_t size = 150 * 1024 + 77;
    uint8_t *data = write_digested(storage, "archive/demo/digests", &options, size);
    ck_assert_uint_eq(log.count, 1);
    assert_digests(&log, 0, data, size);
    free(data);

    /* no hold: a part per chunk, the digests of each taken as it filled */
    memset(&log, 0, sizeof(log));
    size = 3 * chunk + 1000;
    data = write_digested(storage, "archive/demo/parts", NULL, size);
    ck_assert_uint_eq(log.count, 4);
    for (size_t part = 0; part < 4; part++)
        assert_digests(&log, part, data + part * chunk, part < 3 ? chunk : 1000);
    free(data);

    /* a hold outgrown: its chunks go up as parts with digests computed for each, the parts after it digested as they
     * fill */
    memset(&log, 0, sizeof(log));
    size = 6 * chunk + 5000;
    data = write_digested(storage, "archive/demo/outgrown", &options, size);
    ck_assert_uint_eq(log.count, 7);
    for (size_t part = 0; part < 7; part++)
        assert_digests(&log, part, data + part * chunk, part < 6 ? chunk : 5000);
    free(data);
    s3_close(storage);
}
END_TEST

START_TEST(test_range_and_missing)
{
    Storage *storage = s3_open("S3RVER", 0, "/");
    size_t size = 100000;
    uint8_t *data = pattern(size);
    put(storage, "range/file", data, size);

    size_t got_size;
    uint8_t *got = get(storage, "range/file", 1000, 50, &got_size);
    ck_assert_uint_eq(got_size, 50);
    ck_assert_mem_eq(got, data + 1000, 50);
    free(got);
    got = get(storage, "range/file", 99990, -1, &got_size);
    ck_assert_uint_eq(got_size, 10);
    ck_assert_mem_eq(got, data + 99990, 10);
    free(got);
    free(data);

    StorageInfo info;
    ck_assert_int_eq(storage->driver->info(storage, "range/nothing", false, &info), 0);
    ck_assert(!info.exists);
    StorageRead *read = (StorageRead *)1;
    ck_assert_int_eq(storage->driver->open_read(storage, "range/nothing", 0, -1, false, &read), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    ck_assert_ptr_nonnull(strstr(err_message(), "range/nothing"));
    ck_assert_int_eq(storage->driver->open_read(storage, "range/nothing", 0, -1, true, &read), 0);
    ck_assert_ptr_null(read);
    s3_close(storage);
}
END_TEST

START_TEST(test_list)
{
    Storage *storage = s3_open("S3RVER", 0, "/repo");
    put(storage, "list/a", (const uint8_t *)"a", 1);
    put(storage, "list/sub/b", (const uint8_t *)"bb", 2);
    put(storage, "list/sub/c/d", (const uint8_t *)"ddd", 3);
    put(storage, "listing-not-inside", (const uint8_t *)"x", 1);

    Names names = {0};
    ck_assert_int_eq(storage->driver->list(storage, "list", NULL, false, false, collect, &names), 0);
    ck_assert_uint_eq(names.count, 2);
    int a = names_find(&names, "a");
    int sub = names_find(&names, "sub");
    ck_assert(a >= 0 && sub >= 0);
    ck_assert_int_eq(names.types[a], STORAGE_TYPE_FILE);
    ck_assert_int_eq(names.types[sub], STORAGE_TYPE_PATH);
    names_free(&names);

    ck_assert_int_eq(storage->driver->list(storage, "list", NULL, true, false, collect, &names), 0);
    ck_assert_uint_eq(names.count, 3);
    ck_assert(names_find(&names, "sub/b") >= 0);
    ck_assert(names_find(&names, "sub/c/d") >= 0);
    names_free(&names);

    ck_assert_int_eq(storage->driver->list(storage, "nothing-here", NULL, false, true, collect, &names), 0);
    ck_assert_uint_eq(names.count, 0);
    s3_close(storage);
}
END_TEST

START_TEST(test_many_keys)
{
    Storage *storage = s3_open("S3RVER", 0, "/");
    char name[64];
    for (unsigned i = 0; i < 1001; i++) {
        snprintf(name, sizeof(name), "many/f%04u", i);
        put(storage, name, (const uint8_t *)name, strlen(name));
    }
    Trace trace = {0};
    storage_s3_trace(storage, trace_request, &trace);
    Names names = {0};
    ck_assert_msg(storage->driver->list(storage, "many", NULL, false, false, collect, &names) == 0, "%s", err_message());
    ck_assert_uint_eq(names.count, 1001);
    ck_assert(names_find(&names, "f0000") >= 0);
    ck_assert(names_find(&names, "f1000") >= 0);
    ck_assert_uint_eq(trace.lists, 2);
    names_free(&names);

    memset(&trace, 0, sizeof(trace));
    ck_assert_msg(storage->driver->path_remove(storage, "many", true) == 0, "%s", err_message());
    ck_assert_uint_eq(trace.batch_deletes, 2);
    ck_assert_int_eq(storage->driver->list(storage, "many", NULL, true, true, collect, &names), 0);
    ck_assert_uint_eq(names.count, 0);
    s3_close(storage);
}
END_TEST

/* s3rver 3.7.1 does not verify V4 signatures, only the access key id (the signature itself is checked by
 * test_s3_sigv4 against AWS's vectors), so the credential error here is InvalidAccessKeyId. */
START_TEST(test_wrong_credentials)
{
    Storage *storage = s3_open_as("WRONGKEY", "NotTheSecret42", 0, "/");
    StorageInfo info;
    StorageWrite *write = NULL;
    ck_assert_int_eq(storage->driver->open_write(storage, "secret/file", NULL, &write), 0);
    ck_assert_int_eq(write->ops->write(write, (const uint8_t *)"x", 1), 0);
    ck_assert_int_eq(write->ops->close(write), -1);
    write->ops->free(write);
    ck_assert_int_eq(err_code(), ERR_PROTOCOL);
    const char *message = err_message();
    ck_assert_ptr_nonnull(strstr(message, "403"));
    ck_assert_ptr_nonnull(strstr(message, "InvalidAccessKeyId"));
    ck_assert_ptr_nonnull(strstr(message, "secret/file"));
    ck_assert_ptr_nonnull(strstr(message, BUCKET));
    ck_assert_ptr_null(strstr(message, "NotTheSecret42"));
    ck_assert_ptr_nonnull(err_hint_text());
    ck_assert_ptr_null(strstr(err_hint_text(), "NotTheSecret42"));
    /* HEAD has no body to explain itself, but still fails as a protocol error. */
    ck_assert_int_eq(storage->driver->info(storage, "secret/file", false, &info), -1);
    ck_assert_int_eq(err_code(), ERR_PROTOCOL);
    s3_close(storage);
}
END_TEST

/* Through the storage dispatch layer: put/get whole files, sorted names, missing handling. */
START_TEST(test_dispatch)
{
    Storage *storage = s3_open("S3RVER", 0, "/dispatch");
    ck_assert_msg(storage_put(storage, "backup/demo/backup.info", NULL, (const uint8_t *)"abc", 3) == 0, "%s",
                  err_message());
    ck_assert_int_eq(storage_put(storage, "backup/demo/backup.info.copy", NULL, (const uint8_t *)"abcd", 4), 0);
    Buf out = BUF_INIT;
    bool found = false;
    ck_assert_int_eq(storage_get(storage, "backup/demo/backup.info.copy", NULL, false, &found, &out), 0);
    ck_assert(found);
    ck_assert_str_eq(buf_str(&out), "abcd");
    buf_clear(&out);
    ck_assert_int_eq(storage_get(storage, "backup/demo/none", NULL, true, &found, &out), 0);
    ck_assert(!found);
    buf_free(&out);

    char **names = NULL;
    size_t count = 0;
    ck_assert_int_eq(storage_list_names(storage, "backup/demo", "^backup\\.info", false, &names, &count), 0);
    ck_assert_uint_eq(count, 2);
    ck_assert_str_eq(names[0], "backup.info");
    ck_assert_str_eq(names[1], "backup.info.copy");
    storage_names_free(names, count);
    ck_assert(!storage_feature(storage, STORAGE_FEATURE_PATH));
    ck_assert_int_eq(storage_path_create(storage, "backup/demo/x", 0750, true, false), 0);
    ck_assert_int_eq(storage_path_remove(storage, "backup", true), 0);
    ck_assert_int_eq(storage_list_names(storage, "backup/demo", NULL, true, &names, &count), 0);
    ck_assert_uint_eq(count, 0);
    storage_names_free(names, count);
    storage_free(storage);
}
END_TEST

START_TEST(test_tls_untrusted)
{
    StorageS3Options options = {
        .bucket = BUCKET, .endpoint = "localhost", .region = "us-east-1", .key = "S3RVER", .key_secret = "S3RVER",
        .uri_style = STORAGE_S3_URI_STYLE_PATH, .host = "127.0.0.1", .port = server_port, .verify_tls = true,
        .ca_file = "/etc/ssl/certs/ca-certificates.crt", .timeout_ms = 2000, .base_path = "/", .writable = true,
    };
    Storage *storage = storage_s3_new(&options);
    StorageInfo info;
    ck_assert_int_eq(storage->driver->info(storage, "x", false, &info), -1);
    ck_assert_int_eq(err_code(), ERR_HOST_CONNECT);
    ck_assert_ptr_nonnull(strstr(err_message(), "localhost"));
    s3_close(storage);
}
END_TEST


/* --- headers on the wire --- */

typedef struct HeaderLog {
    unsigned requests;
    unsigned with_body;      /* PUT and POST requests */
    unsigned with_md5;       /* ... of which carried Content-MD5 */
    unsigned forbidden;      /* requests carrying a header R2 rejects or that we never send */
    char first_forbidden[256];
    char authorization[512]; /* the last Authorization header */
} HeaderLog;

static bool header_forbidden(const char *line, size_t length)
{
    static const char *const prefixes[] = {"x-amz-tagging:", "x-amz-server-side-encryption", "x-amz-request-payer:",
                                           "x-amz-checksum-", "expect:", "transfer-encoding:"};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t prefix = strlen(prefixes[i]);
        if (length >= prefix && strncasecmp(line, prefixes[i], prefix) == 0)
            return true;
    }
    return false;
}

static void trace_headers(void *context, const char *headers, size_t size)
{
    HeaderLog *log = context;
    log->requests++;
    bool body = size >= 4 && (strncmp(headers, "PUT ", 4) == 0 || strncmp(headers, "POST", 4) == 0);
    bool md5 = false;
    const char *end = headers + size;
    for (const char *line = headers; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t length = eol != NULL ? (size_t)(eol - line) : (size_t)(end - line);
        if (length >= 12 && strncasecmp(line, "content-md5:", 12) == 0)
            md5 = true;
        if (header_forbidden(line, length) && log->forbidden++ == 0)
            snprintf(log->first_forbidden, sizeof(log->first_forbidden), "%.*s", (int)length, line);
        if (length >= 14 && strncasecmp(line, "authorization:", 14) == 0)
            snprintf(log->authorization, sizeof(log->authorization), "%.*s", (int)length, line);
        line += length + 1;
    }
    if (body) {
        log->with_body++;
        log->with_md5 += md5 ? 1 : 0;
    }
}

/* Every request of a full workload, as curl wrote it: no header R2 rejects, Content-MD5 on every body. */
START_TEST(test_headers_on_wire)
{
    Storage *storage = s3_open("S3RVER", 64 * 1024, "/headers");
    HeaderLog log = {0};
    storage_s3_trace_headers(storage, trace_headers, &log);

    size_t size = 200 * 1024;
    uint8_t *data = pattern(size);
    put(storage, "big", data, size);                      /* initiate, 4 parts, complete */
    put(storage, "small", data, 100);                     /* single PUT */
    put(storage, "empty", data, 0);                       /* empty PUT */
    size_t got_size;
    free(get(storage, "big", 10, 1000, &got_size));       /* ranged GET */
    StorageInfo info;
    ck_assert_int_eq(storage->driver->info(storage, "small", false, &info), 0); /* HEAD */
    StorageWrite *write = NULL;                           /* aborted multipart */
    ck_assert_int_eq(storage->driver->open_write(storage, "aborted", NULL, &write), 0);
    ck_assert_int_eq(write->ops->write(write, data, size), 0);
    write->ops->free(write);
    ck_assert_int_eq(storage->driver->remove(storage, "small", false), 0);     /* DELETE */
    ck_assert_int_eq(storage->driver->path_remove(storage, "/headers", true), 0); /* list + batch delete */
    free(data);

    ck_assert_uint_ge(log.requests, 15);
    ck_assert_msg(log.forbidden == 0, "forbidden header sent: %s", log.first_forbidden);
    ck_assert_uint_ge(log.with_body, 10);
    ck_assert_uint_eq(log.with_md5, log.with_body);
    ck_assert_ptr_nonnull(strstr(log.authorization, "/us-east-1/s3/aws4_request"));
    s3_close(storage);
}
END_TEST

/* --- repo_open with repo1-type=s3 --- */

static char *repo_args[32];
static int repo_argc;

static void repo_args_reset(void)
{
    for (int i = 0; i < repo_argc; i++)
        free(repo_args[i]);
    repo_argc = 0;
    repo_args[repo_argc++] = mem_strdup("gaiarest");
    repo_args[repo_argc++] = mem_strdup("--config=/dev/null");
    repo_args[repo_argc++] = mem_strdup("--stanza=demo");
    repo_args[repo_argc++] = mem_strdup("--repo1-type=s3");
    repo_args[repo_argc++] = mem_strdup("--repo1-s3-bucket=" BUCKET);
}

static void repo_arg(const char *format, const char *value)
{
    repo_args[repo_argc++] = mem_printf(format, value);
}

static int repo_load(void)
{
    repo_args[repo_argc++] = mem_strdup("info");
    repo_args[repo_argc] = NULL;
    setenv("PGBACKREST_REPO1_S3_KEY", "S3RVER", 1);
    setenv("PGBACKREST_REPO1_S3_KEY_SECRET", "S3RVER", 1);
    return cfg_load(repo_argc, repo_args);
}

static void repo_args_local(const char *endpoint, const char *uri_style)
{
    char port[16];
    snprintf(port, sizeof(port), "%u", server_port);
    repo_args_reset();
    repo_arg("--repo1-s3-endpoint=%s", endpoint);
    repo_arg("--repo1-s3-region=%s", "us-east-1");
    repo_arg("--repo1-s3-uri-style=%s", uri_style);
    repo_arg("--repo1-storage-host=%s", "127.0.0.1");
    repo_arg("--repo1-storage-port=%s", port);
    repo_arg("--repo1-storage-ca-file=%s", ca_file);
    repo_arg("--io-timeout=%s", "5");
}

START_TEST(test_repo_open_s3)
{
    repo_args_local("localhost", "path");
    repo_arg("--repo1-path=%s", "/repo-open/sub");
    repo_arg("--repo1-storage-upload-chunk-size=%s", "64KiB");
    ck_assert_msg(repo_load() == 0, "%s", err_message());
    Repo repo;
    ck_assert_msg(repo_open(0, true, &repo) == 0, "%s", err_message());
    ck_assert_str_eq(repo.storage->driver->name, "s3");
    Trace trace = {0};
    storage_s3_trace(repo.storage, trace_request, &trace);
    size_t size = 130 * 1024;
    uint8_t *data = pattern(size);
    ck_assert_msg(storage_put(repo.storage, "archive/demo/file", NULL, data, size) == 0, "%s", err_message());
    ck_assert_uint_eq(trace.parts, 3); /* 64 KiB chunks from repo1-storage-upload-chunk-size */
    ck_assert_uint_eq(trace.part_sizes[0], 64 * 1024);
    free(data);
    /* repo1-path is the key prefix without its leading '/'. */
    if (server_dir[0] != '\0') {
        char path[512];
        snprintf(path, sizeof(path), "%s/data/" BUCKET "/repo-open/sub/archive/demo/file._S3rver_object", server_dir);
        ck_assert_msg(access(path, R_OK) == 0, "missing %s", path);
    }
    repo_close(&repo);
    cfg_free();

    /* Host style (the default): Host is <bucket>.<endpoint>, the connection still goes to storage-host, and the
     * certificate is checked against <bucket>.<endpoint> (s3rver's test certificate names *.s3.amazonaws.com). */
    repo_args_local("s3.amazonaws.com", "host");
    repo_arg("--repo1-path=%s", "/repo-open");
    ck_assert_msg(repo_load() == 0, "%s", err_message());
    ck_assert_int_eq(repo_open(0, false, &repo), 0);
    HeaderLog log = {0};
    storage_s3_trace_headers(repo.storage, trace_headers, &log);
    StorageInfo info;
    ck_assert_msg(storage_info(repo.storage, "sub/archive/demo/file", false, &info) == 0, "%s", err_message());
    ck_assert(info.exists);
    ck_assert_uint_eq(info.size, size);
    ck_assert_uint_eq(log.requests, 1);
    repo_close(&repo);
    cfg_free();

}
END_TEST

/* sck-keep-alive and tcp-keep-alive-*: the kernel's view of the connection the storage opened (getsockopt). */
START_TEST(test_keep_alive)
{
    repo_args_local("localhost", "path");
    repo_arg("--repo1-path=%s", "/keep-alive");
    repo_arg("--tcp-keep-alive-count=%s", "4");
    repo_arg("--tcp-keep-alive-idle=%s", "17");
    repo_arg("--tcp-keep-alive-interval=%s", "5");
    ck_assert_msg(repo_load() == 0, "%s", err_message());
    Repo repo;
    ck_assert_msg(repo_open(0, false, &repo) == 0, "%s", err_message());
    HttpKeepAlive seen;
    ck_assert(!storage_s3_socket_keep_alive(repo.storage, &seen)); /* no connection yet */
    StorageInfo info;
    ck_assert_msg(storage_info(repo.storage, "missing", false, &info) == 0, "%s", err_message());
    ck_assert(storage_s3_socket_keep_alive(repo.storage, &seen));
    ck_assert(seen.enabled);
    ck_assert_uint_eq(seen.count, 4);
    ck_assert_uint_eq(seen.idle, 17);
    ck_assert_uint_eq(seen.interval, 5);
    repo_close(&repo);
    cfg_free();

    /* on by default (pgBackRest's sck-keep-alive=y), with the system's timers */
    repo_args_local("localhost", "path");
    ck_assert_msg(repo_load() == 0, "%s", err_message());
    ck_assert_msg(repo_open(0, false, &repo) == 0, "%s", err_message());
    ck_assert_msg(storage_info(repo.storage, "missing", false, &info) == 0, "%s", err_message());
    ck_assert(storage_s3_socket_keep_alive(repo.storage, &seen));
    ck_assert(seen.enabled);
    repo_close(&repo);
    cfg_free();

    repo_args_local("localhost", "path");
    repo_arg("--%s", "no-sck-keep-alive");
    ck_assert_msg(repo_load() == 0, "%s", err_message());
    ck_assert_msg(repo_open(0, false, &repo) == 0, "%s", err_message());
    ck_assert_msg(storage_info(repo.storage, "missing", false, &info) == 0, "%s", err_message());
    ck_assert(storage_s3_socket_keep_alive(repo.storage, &seen));
    ck_assert(!seen.enabled);
    repo_close(&repo);
    cfg_free();
}
END_TEST

START_TEST(test_repo_open_r2)
{
    /* R2 endpoint: kms-key-id refused before any request, with a hint. */
    repo_args_reset();
    repo_arg("--repo1-s3-endpoint=%s", "0123abcd.r2.cloudflarestorage.com");
    repo_arg("--repo1-s3-region=%s", "auto");
    repo_arg("--repo1-s3-kms-key-id=%s", "arn:aws:kms:key");
    ck_assert_msg(repo_load() == 0, "%s", err_message());
    Repo repo;
    ck_assert_int_eq(repo_open(0, false, &repo), -1);
    ck_assert_int_eq(err_code(), ERR_OPTION_INVALID);
    ck_assert_ptr_nonnull(strstr(err_message(), "repo1-s3-kms-key-id"));
    ck_assert_ptr_nonnull(strstr(err_message(), "R2"));
    ck_assert_ptr_nonnull(err_hint_text());
    ck_assert_ptr_nonnull(strstr(err_hint_text(), "x-amz-server-side-encryption"));
    repo_close(&repo);
    cfg_free();

    /* Other credential sources are refused too. */
    repo_args_reset();
    repo_arg("--repo1-s3-endpoint=%s", "0123abcd.r2.cloudflarestorage.com");
    repo_arg("--repo1-s3-region=%s", "auto");
    repo_arg("--repo1-s3-key-type=%s", "auto");
    ck_assert_msg(repo_load() == 0, "%s", err_message());
    ck_assert_int_eq(repo_open(0, false, &repo), -1);
    ck_assert_int_eq(err_code(), ERR_OPTION_INVALID);
    ck_assert_ptr_nonnull(strstr(err_message(), "repo1-s3-key-type"));
    repo_close(&repo);
    cfg_free();

    /* An R2 endpoint name (served here by s3rver through storage-host) signs with region "auto". */
    char port[16];
    snprintf(port, sizeof(port), "%u", server_port);
    repo_args_reset();
    repo_arg("--repo1-s3-endpoint=%s", "0123abcd.r2.cloudflarestorage.com");
    repo_arg("--repo1-s3-region=%s", "auto");
    repo_arg("--repo1-s3-uri-style=%s", "path");
    repo_arg("--repo1-storage-host=%s", "127.0.0.1");
    repo_arg("--repo1-storage-port=%s", port);
    repo_arg("--repo1-storage-verify-tls=%s", "n");
    repo_arg("--repo1-path=%s", "/r2");
    ck_assert_msg(repo_load() == 0, "%s", err_message());
    ck_assert_msg(repo_open(0, true, &repo) == 0, "%s", err_message());
    HeaderLog log = {0};
    storage_s3_trace_headers(repo.storage, trace_headers, &log);
    ck_assert_msg(storage_put(repo.storage, "x", NULL, (const uint8_t *)"r2", 2) == 0, "%s", err_message());
    ck_assert_ptr_nonnull(strstr(log.authorization, "/auto/s3/aws4_request"));
    ck_assert_uint_eq(log.forbidden, 0);
    ck_assert_uint_eq(log.with_md5, 1);
    repo_close(&repo);
    cfg_free();
    ck_assert(repo_s3_endpoint_is_r2("ACCT.R2.cloudflarestorage.com"));
    ck_assert(!repo_s3_endpoint_is_r2("s3.us-east-1.amazonaws.com"));
    ck_assert(!repo_s3_endpoint_is_r2(".r2.cloudflarestorage.com"));
}
END_TEST


/* Write `size` bytes of data to `path`, renamed to `name` (storage_write_set_name) before close. */
static void put_renamed(Storage *storage, const char *path, const char *name, const uint8_t *data, size_t size)
{
    StorageWrite *write = NULL;
    ck_assert_int_eq(storage_open_write(storage, path, NULL, &write), 0);
    size_t done = 0;
    while (done < size) {
        size_t piece = size - done < 7777 ? size - done : 7777;
        ck_assert_msg(storage_write(write, data + done, piece) == 0, "%s", err_message());
        done += piece;
    }
    ck_assert_msg(storage_write_set_name(write, name) == 0, "%s", err_message());
    ck_assert_msg(storage_write_close(write) == 0, "%s", err_message());
    /* Renaming a completed upload is refused. */
    ck_assert_int_eq(storage_write_set_name(write, "late"), -1);
    ck_assert_int_eq(err_code(), ERR_ASSERT);
    err_clear();
    storage_write_free(write);
}

START_TEST(test_write_set_name)
{
    Storage *storage = s3_open("S3RVER", 64 * 1024, "/renamed");
    Trace trace = {0};
    storage_s3_trace(storage, trace_request, &trace);
    size_t size = 200 * 1024 + 3;
    uint8_t *data = pattern(size);
    StorageInfo info;

    /* Less than a chunk: one PUT, under the final name only. */
    put_renamed(storage, "wal/000000010000000000000001", "000000010000000000000001-aa", data, 1000);
    ck_assert_uint_eq(trace.puts, 1);
    ck_assert_uint_eq(trace.initiates, 0);
    ck_assert_int_eq(storage->driver->info(storage, "wal/000000010000000000000001", false, &info), 0);
    ck_assert(!info.exists);
    size_t got_size;
    uint8_t *got = get(storage, "wal/000000010000000000000001-aa", 0, -1, &got_size);
    ck_assert_uint_eq(got_size, 1000);
    ck_assert_mem_eq(got, data, 1000);
    free(got);

    /* Several chunks: the multipart upload was created under the open name; at close it is copied to the final
     * name (one copy PUT) and the provisional object removed. */
    memset(&trace, 0, sizeof(trace));
    put_renamed(storage, "wal/000000010000000000000002", "000000010000000000000002-bb", data, size);
    ck_assert_uint_eq(trace.initiates, 1);
    ck_assert_uint_eq(trace.parts, 4);
    ck_assert_uint_eq(trace.completes, 1);
    ck_assert_uint_eq(trace.puts, 1);
    ck_assert_int_eq(storage->driver->info(storage, "wal/000000010000000000000002", false, &info), 0);
    ck_assert(!info.exists);
    got = get(storage, "wal/000000010000000000000002-bb", 0, -1, &got_size);
    ck_assert_uint_eq(got_size, size);
    ck_assert_mem_eq(got, data, size);
    free(got);

    Names names = {0};
    ck_assert_int_eq(storage->driver->list(storage, "wal", NULL, true, false, collect, &names), 0);
    ck_assert_uint_eq(names.count, 2);
    names_free(&names);
    free(data);
    s3_close(storage);
}
END_TEST


typedef struct ListTrace {
    unsigned lists;
    char last_query[512];
} ListTrace;

static void trace_list_query(void *context, const char *verb, const char *path, size_t body_size)
{
    (void)body_size;
    ListTrace *trace = context;
    const char *query = strchr(path, '?');
    if (strcmp(verb, "GET") == 0 && query != NULL && strstr(query, "list-type=2") != NULL) {
        trace->lists++;
        snprintf(trace->last_query, sizeof(trace->last_query), "%s", query);
    }
}

/* storage_list with an anchored regex asks S3 for the regex's literal prefix only; results are the same. */
START_TEST(test_list_regex_prefix)
{
    Storage *storage = s3_open("S3RVER", 0, "/prefixed");
    const char *keys[] = {"dir/000000010000000000000001-aa", "dir/000000010000000000000001.partial-bb",
                          "dir/000000010000000000000002-cc", "dir/other", "dir/sub/000000010000000000000001-dd"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        put(storage, keys[i], (const uint8_t *)"x", 1);
    ListTrace trace = {0};
    storage_s3_trace(storage, trace_list_query, &trace);

    char **names = NULL;
    size_t count = 0;
    ck_assert_int_eq(storage_list_names(storage, "dir", "^000000010000000000000001-[0-9a-f]+$", false, &names, &count), 0);
    ck_assert_uint_eq(count, 1);
    ck_assert_str_eq(names[0], "000000010000000000000001-aa");
    storage_names_free(names, count);
    ck_assert_uint_eq(trace.lists, 1);
    ck_assert_msg(strstr(trace.last_query, "000000010000000000000001-") != NULL, "%s", trace.last_query);

    /* A repeated last character is not part of the prefix: "^0000000100000000000000001*" still finds "...01-aa"
     * (00..0 then '1' repeated zero or more times, then anything). */
    ck_assert_int_eq(storage_list_names(storage, "dir", "^00000001000000000000000?1", false, &names, &count), 0);
    ck_assert_uint_eq(count, 2);
    storage_names_free(names, count);
    ck_assert_msg(strstr(trace.last_query, "000000010000000000000001") == NULL, "%s", trace.last_query);

    /* A top-level alternation: no prefix, every branch found. */
    ck_assert_int_eq(storage_list_names(storage, "dir", "^000000010000000000000002-|^other$", false, &names, &count), 0);
    ck_assert_uint_eq(count, 2);
    storage_names_free(names, count);

    /* No anchor: no prefix; recursion keeps names relative to the listed path. */
    Names all = {0};
    ck_assert_int_eq(storage_list(storage, "dir", "01-", true, false, false, collect, &all), 0);
    ck_assert_uint_eq(all.count, 2);
    ck_assert_int_ge(names_find(&all, "sub/000000010000000000000001-dd"), 0);
    names_free(&all);
    ck_assert_int_eq(storage_list(storage, "dir", "^sub/0000", true, false, false, collect, &all), 0);
    ck_assert_uint_eq(all.count, 1);
    names_free(&all);
    s3_close(storage);
}
END_TEST

int main(void)
{
    if (!server_start()) {
        /* test/run installs s3rver and sets GAIAREST_REQUIRE_S3: there a missing server is a failure. */
        const char *required = getenv("GAIAREST_REQUIRE_S3");
        if (required != NULL && strcmp(required, "1") == 0) {
            fprintf(stderr, "s3rver could not be started (see test/s3/README.md)\n");
            return 1;
        }
        fprintf(stderr, "s3rver not available: skipping (npm install s3rver@3.7.1 in test/s3)\n");
        return 77;
    }
    Suite *suite = suite_create("s3");
    TCase *tc = tcase_create("s3rver");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_small_round_trip);
    tcase_add_test(tc, test_multipart);
    tcase_add_test(tc, test_write_hold);
    tcase_add_test(tc, test_write_hold_digests);
    tcase_add_test(tc, test_client_one_thread);
    tcase_add_test(tc, test_write_set_name);
    tcase_add_test(tc, test_list_regex_prefix);
    tcase_add_test(tc, test_range_and_missing);
    tcase_add_test(tc, test_list);
    tcase_add_test(tc, test_many_keys);
    tcase_add_test(tc, test_wrong_credentials);
    tcase_add_test(tc, test_dispatch);
    tcase_add_test(tc, test_tls_untrusted);
    tcase_add_test(tc, test_headers_on_wire);
    tcase_add_test(tc, test_repo_open_s3);
    tcase_add_test(tc, test_keep_alive);
    tcase_add_test(tc, test_repo_open_r2);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    server_stop();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
