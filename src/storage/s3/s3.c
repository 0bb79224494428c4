/*
 * s3: S3-compatible storage driver (see s3.h).
 */
#include "storage/s3/s3.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "storage/s3/sigv4.h"
#include "storage/s3/xml.h"

#define S3_CHUNK_DEFAULT ((size_t)5 * 1024 * 1024)
#define S3_DELETE_BATCH 1000
#define S3_HEADER_MAX 8

typedef struct S3State {
    char *bucket;
    char *endpoint;
    char *host_header;     /* value of the Host header */
    char *key_prefix;      /* base path without leading '/', with a trailing '/' ("" for the root) */
    bool path_style;
    char *token;
    SigV4Signer *signer;
    HttpClientOptions http_options; /* strings owned below */
    char *connect_host;
    char *ca_file;
    char *ca_path;
    HttpClient *http;      /* created at the first request */
    HttpTraceCallback trace;
    void *trace_context;
    HttpHeaderTraceCallback header_trace;
    void *header_trace_context;
    size_t chunk_size;
} S3State;

/* A request as the driver builds it before signing. */
typedef struct S3Request {
    const char *verb;
    const char *key;             /* object key; NULL for the bucket root */
    const SigV4Query *query;
    size_t query_count;
    const SigV4Header *extra;    /* e.g. range */
    size_t extra_count;
    const uint8_t *body;         /* NULL: none */
    size_t body_size;
    const char *payload_hash;    /* the body's hex SHA-256 and base64 MD5 when already known (NULL: computed here) */
    const char *content_md5;
} S3Request;

static void s3_state_free(S3State *s3)
{
    free(s3->bucket);
    free(s3->endpoint);
    free(s3->host_header);
    free(s3->key_prefix);
    free(s3->token);
    sigv4_signer_free(s3->signer);
    free(s3->connect_host);
    free(s3->ca_file);
    free(s3->ca_path);
    http_client_free(s3->http);
    free(s3);
}

static S3State *s3_state(Storage *storage)
{
    return storage->driver_state;
}

/* --- keys --- */

/* Append path to out, dropping empty and "." components. */
static void key_append(Buf *out, const char *path)
{
    const char *p = path;
    while (*p != '\0') {
        while (*p == '/')
            p++;
        const char *end = strchr(p, '/');
        size_t length = end != NULL ? (size_t)(end - p) : strlen(p);
        if (length > 0 && !(length == 1 && p[0] == '.')) {
            if (out->size > 0 && out->data[out->size - 1] != '/')
                buf_append_char(out, '/');
            buf_append(out, p, length);
        }
        p += length;
    }
}

/* The object key of a storage path (owned by the caller): base prefix + path, no leading '/'. An absolute
 * path is taken as a full path inside the base. */
static char *s3_key(Storage *storage, const char *path)
{
    Buf key = BUF_INIT;
    if (path != NULL && path[0] == '/') {
        key_append(&key, path);
    } else {
        key_append(&key, storage->base_path);
        if (path != NULL)
            key_append(&key, path);
    }
    return buf_detach(&key);
}

/* --- requests --- */

static void md5_base64(const uint8_t *data, size_t size, char out[32])
{
    uint8_t digest[16];
    unsigned int length = 0;
    EVP_Digest(data, size, digest, &length, EVP_md5(), NULL);
    EVP_EncodeBlock((unsigned char *)out, digest, 16);
}

/* The SHA-256 and MD5 of a body taken as its bytes arrive, so that a large upload is not read once more, serially,
 * just before it is sent. Best effort: any failure drops the digests and the request computes them itself. */
typedef struct S3BodyDigest {
    EVP_MD_CTX *sha256; /* NULL: not (or no longer) digesting */
    EVP_MD_CTX *md5;
} S3BodyDigest;

static void body_digest_stop(S3BodyDigest *digest)
{
    EVP_MD_CTX_free(digest->sha256);
    EVP_MD_CTX_free(digest->md5);
    digest->sha256 = NULL;
    digest->md5 = NULL;
}

static void body_digest_start(S3BodyDigest *digest)
{
    digest->sha256 = EVP_MD_CTX_new();
    digest->md5 = EVP_MD_CTX_new();
    if (digest->sha256 == NULL || digest->md5 == NULL || EVP_DigestInit_ex(digest->sha256, EVP_sha256(), NULL) != 1 ||
        EVP_DigestInit_ex(digest->md5, EVP_md5(), NULL) != 1)
        body_digest_stop(digest);
}

static void body_digest_update(S3BodyDigest *digest, const uint8_t *data, size_t size)
{
    if (digest->sha256 != NULL &&
        (EVP_DigestUpdate(digest->sha256, data, size) != 1 || EVP_DigestUpdate(digest->md5, data, size) != 1))
        body_digest_stop(digest);
}

/* The digests of everything given to body_digest_update (false when they were dropped); digesting stops. */
static bool body_digest_final(S3BodyDigest *digest, char hash[SIGV4_SHA256_HEX_SIZE], char md5[32])
{
    uint8_t sha256_bytes[32], md5_bytes[16];
    unsigned int sha256_length = 0, md5_length = 0;
    bool done = digest->sha256 != NULL && EVP_DigestFinal_ex(digest->sha256, sha256_bytes, &sha256_length) == 1 &&
                EVP_DigestFinal_ex(digest->md5, md5_bytes, &md5_length) == 1 && sha256_length == 32 &&
                md5_length == 16;
    body_digest_stop(digest);
    if (done) {
        sigv4_sha256_digest_hex(sha256_bytes, hash);
        EVP_EncodeBlock((unsigned char *)md5, md5_bytes, 16);
    }
    return done;
}

static int s3_http(S3State *s3, HttpClient **client)
{
    if (s3->http == NULL) {
        TRY(http_client_new(&s3->http_options, &s3->http));
        http_client_trace(s3->http, s3->trace, s3->trace_context);
        http_client_trace_headers(s3->http, s3->header_trace, s3->header_trace_context);
    }
    *client = s3->http;
    return 0;
}

/* Build, sign and send a request; with stream != NULL a 2xx GET body is left to read from *stream. */
static int s3_send(S3State *s3, const S3Request *request, HttpResponse *response, HttpStream **stream)
{
    HttpClient *client;
    TRY(s3_http(s3, &client));

    char *raw_path = s3->path_style ? mem_printf("/%s/%s", s3->bucket, request->key != NULL ? request->key : "")
                                    : mem_printf("/%s", request->key != NULL ? request->key : "");
    char *path = sigv4_uri_encode(raw_path, true);
    free(raw_path);
    char *query = sigv4_query_string(request->query, request->query_count);

    char payload_hash[SIGV4_SHA256_HEX_SIZE];
    if (request->payload_hash != NULL)
        snprintf(payload_hash, sizeof(payload_hash), "%s", request->payload_hash);
    else
        sigv4_sha256_hex(request->body != NULL ? request->body : (const uint8_t *)"", request->body_size, payload_hash);
    char date[SIGV4_DATETIME_SIZE];
    sigv4_datetime(time(NULL), date);
    char md5[32];

    SigV4Header headers[S3_HEADER_MAX + 1];
    size_t count = 0;
    headers[count++] = (SigV4Header){"host", s3->host_header};
    headers[count++] = (SigV4Header){"x-amz-content-sha256", payload_hash};
    headers[count++] = (SigV4Header){"x-amz-date", date};
    if (request->body != NULL) {
        if (request->content_md5 != NULL)
            snprintf(md5, sizeof(md5), "%s", request->content_md5);
        else
            md5_base64(request->body, request->body_size, md5);
        headers[count++] = (SigV4Header){"content-md5", md5};
    }
    if (s3->token != NULL)
        headers[count++] = (SigV4Header){"x-amz-security-token", s3->token};
    for (size_t i = 0; i < request->extra_count && count < S3_HEADER_MAX; i++)
        headers[count++] = request->extra[i];

    char *authorization = sigv4_authorization(s3->signer, request->verb, path, query, headers, count, payload_hash, date);
    headers[count++] = (SigV4Header){"authorization", authorization};

    char *full_path = query[0] != '\0' ? mem_printf("%s?%s", path, query) : mem_strdup(path);
    HttpRequest http = {
        .verb = request->verb,
        .path = full_path,
        .headers = headers,
        .header_count = count,
        .body = request->body,
        .body_size = request->body_size,
    };
    int result = stream != NULL ? http_stream_open(client, &http, response, stream)
                                : http_request(client, &http, response);
    free(full_path);
    free(authorization);
    free(query);
    free(path);
    return result;
}

/* Record a failed request: ERR_PROTOCOL with everything the user needs to find the cause. */
static int s3_fail(S3State *s3, const char *operation, const char *key, const HttpResponse *response)
{
    S3ErrorBody body;
    s3_xml_error_parse((const char *)response->body.data, response->body.size, &body);
    const char *request_id = body.request_id != NULL ? body.request_id : http_response_header(response, "x-amz-request-id");
    err_set(ERR_PROTOCOL, "unable to %s '%s' in bucket '%s' at %s: HTTP %ld%s%s%s%s%s%s", operation,
            key != NULL ? key : "", s3->bucket, s3->endpoint, response->status, body.code != NULL ? " " : "",
            body.code != NULL ? body.code : "", body.message != NULL ? ": " : "",
            body.message != NULL ? body.message : "", request_id != NULL ? ", request id " : "",
            request_id != NULL ? request_id : "");
    if (response->status == 403 && body.code != NULL &&
        (strcmp(body.code, "InvalidAccessKeyId") == 0 || strcmp(body.code, "SignatureDoesNotMatch") == 0))
        err_hint("check the S3 key and key-secret options (and the region) for bucket '%s'", s3->bucket);
    s3_error_body_clear(&body);
    return -1;
}

static bool status_ok(const HttpResponse *response)
{
    return response->status >= 200 && response->status < 300;
}

/* --- info --- */

/* No object at key: it is a path when some object's key starts with "key/" (one-key listing). */
static int s3_info_path(S3State *s3, const char *key, StorageInfo *info)
{
    info->exists = false;
    char *prefix = key[0] != '\0' ? mem_printf("%s/", key) : mem_strdup("");
    SigV4Query query[] = {{"list-type", "2"}, {"max-keys", "1"}, {"prefix", prefix}};
    S3Request request = {.verb = "GET", .query = query, .query_count = 3};
    HttpResponse response;
    int result = s3_send(s3, &request, &response, NULL);
    if (result == 0 && !status_ok(&response))
        result = s3_fail(s3, "list", prefix, &response);
    S3ListPage page;
    if (result == 0 && (result = s3_xml_list_parse((const char *)response.body.data, response.body.size, &page)) == 0) {
        if (page.object_count > 0 || page.prefix_count > 0) {
            info->exists = true;
            info->type = STORAGE_TYPE_PATH;
            info->mode = 0750;
        }
        s3_list_page_free(&page);
    }
    http_response_clear(&response);
    free(prefix);
    return result;
}

static int s3_info(Storage *storage, const char *path, bool follow_link, StorageInfo *info)
{
    (void)follow_link;
    S3State *s3 = s3_state(storage);
    memset(info, 0, sizeof(*info));
    char *key = s3_key(storage, path);
    HttpResponse response;
    S3Request request = {.verb = "HEAD", .key = key};
    int result = s3_send(s3, &request, &response, NULL);
    if (result == 0) {
        if (response.status == 404) {
            result = s3_info_path(s3, key, info);
        } else if (status_ok(&response)) {
            const char *length = http_response_header(&response, "content-length");
            const char *modified = http_response_header(&response, "last-modified");
            info->exists = true;
            info->type = STORAGE_TYPE_FILE;
            info->size = length != NULL ? strtoull(length, NULL, 10) : 0;
            info->mtime = modified != NULL ? (int64_t)curl_getdate(modified, NULL) : 0;
            info->mode = 0640;
        } else {
            result = s3_fail(s3, "get info of", key, &response);
        }
    }
    http_response_clear(&response);
    free(key);
    return result;
}

/* --- list --- */

/* Call page_cb for each page of a listing of prefix. */
typedef int (*S3PageCallback)(void *context, const S3ListPage *page);

static int s3_list_pages(S3State *s3, const char *prefix, bool recurse, S3PageCallback page_cb, void *context)
{
    char *token = NULL;
    int result = 0;
    do {
        SigV4Query query[4];
        size_t count = 0;
        query[count++] = (SigV4Query){"list-type", "2"};
        query[count++] = (SigV4Query){"prefix", prefix};
        if (!recurse)
            query[count++] = (SigV4Query){"delimiter", "/"};
        if (token != NULL)
            query[count++] = (SigV4Query){"continuation-token", token};
        S3Request request = {.verb = "GET", .query = query, .query_count = count};
        HttpResponse response;
        result = s3_send(s3, &request, &response, NULL);
        if (result == 0 && !status_ok(&response))
            result = s3_fail(s3, "list", prefix, &response);
        S3ListPage page;
        if (result == 0 && (result = s3_xml_list_parse((const char *)response.body.data, response.body.size, &page)) < 0)
            err_context("listing '%s' in bucket '%s'", prefix, s3->bucket);
        http_response_clear(&response);
        if (result < 0)
            break;
        result = page_cb(context, &page);
        free(token);
        token = page.truncated && result == 0 ? mem_strdup(page.next_token) : NULL;
        s3_list_page_free(&page);
    } while (result == 0 && token != NULL);
    free(token);
    return result;
}

typedef struct ListContext {
    const char *prefix;
    size_t prefix_length;
    StorageListCallback cb;
    void *context;
} ListContext;

static int list_page(void *context, const S3ListPage *page)
{
    ListContext *list = context;
    for (size_t i = 0; i < page->prefix_count; i++) {
        const char *name = page->prefixes[i] + list->prefix_length;
        size_t length = strlen(name);
        while (length > 0 && name[length - 1] == '/')
            length--;
        if (length == 0)
            continue;
        char *owned = mem_strndup(name, length);
        StorageInfo info = {.name = owned, .exists = true, .type = STORAGE_TYPE_PATH, .mode = 0750};
        int result = list->cb(list->context, &info);
        free(owned);
        TRY(result);
    }
    for (size_t i = 0; i < page->object_count; i++) {
        const S3ListObject *object = &page->objects[i];
        if (strncmp(object->key, list->prefix, list->prefix_length) != 0 || object->key[list->prefix_length] == '\0')
            continue;
        StorageInfo info = {
            .name = object->key + list->prefix_length,
            .exists = true,
            .type = STORAGE_TYPE_FILE,
            .size = object->size,
            .mtime = object->mtime,
            .mode = 0640,
        };
        TRY(list->cb(list->context, &info));
    }
    return 0;
}

/* The list prefix of a path: its key plus '/' ("" at the bucket root). */
static char *s3_prefix(Storage *storage, const char *path)
{
    char *key = s3_key(storage, path);
    char *prefix = key[0] != '\0' ? mem_printf("%s/", key) : mem_strdup("");
    free(key);
    return prefix;
}

static int s3_list(Storage *storage, const char *path, const char *name_prefix, bool recurse, bool ignore_missing,
                   StorageListCallback cb, void *context)
{
    (void)ignore_missing; /* no directories: an empty prefix is simply empty */
    char *prefix = s3_prefix(storage, path);
    ListContext list = {.prefix = prefix, .prefix_length = strlen(prefix), .cb = cb, .context = context};
    /* Only the wanted names: listing "<dir>/<segment>" returns one key where "<dir>/" returns up to 256. */
    char *request_prefix = name_prefix != NULL ? mem_printf("%s%s", prefix, name_prefix) : mem_strdup(prefix);
    int result = s3_list_pages(s3_state(storage), request_prefix, recurse, list_page, &list);
    free(request_prefix);
    free(prefix);
    return result;
}

/* --- read --- */

typedef struct S3Read {
    HttpStream *stream; /* NULL for an empty read (limit 0) */
} S3Read;

static int s3_read_read(StorageRead *read, uint8_t *buffer, size_t size, size_t *got)
{
    S3Read *state = read->state;
    *got = 0;
    if (state->stream == NULL)
        return 0;
    return http_stream_read(state->stream, buffer, size, got);
}

static void s3_read_free(StorageRead *read)
{
    if (read == NULL)
        return;
    S3Read *state = read->state;
    http_stream_free(state->stream);
    free(state);
    free(read->path);
    free(read);
}

static const StorageReadOps s3_read_ops = {.read = s3_read_read, .free = s3_read_free};

static int s3_open_read(Storage *storage, const char *path, uint64_t offset, int64_t limit, bool ignore_missing,
                        StorageRead **read)
{
    S3State *s3 = s3_state(storage);
    *read = NULL;
    char *key = s3_key(storage, path);
    char range[64];
    SigV4Header extra[1];
    size_t extra_count = 0;
    if (limit > 0)
        snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)offset,
                 (unsigned long long)(offset + (uint64_t)limit - 1));
    else
        snprintf(range, sizeof(range), "bytes=%llu-", (unsigned long long)offset);
    if (offset > 0 || limit > 0)
        extra[extra_count++] = (SigV4Header){"range", range};

    S3Request request = {.verb = limit == 0 ? "HEAD" : "GET", .key = key, .extra = extra, .extra_count = extra_count};
    HttpResponse response;
    HttpStream *stream = NULL;
    int result = s3_send(s3, &request, &response, limit == 0 ? NULL : &stream);
    if (result == 0 && response.status == 404) {
        if (!ignore_missing)
            result = err_set(ERR_FILE_MISSING, "unable to open missing file '%s' for read in bucket '%s'", key,
                             s3->bucket);
    } else if (result == 0 && !status_ok(&response)) {
        result = s3_fail(s3, "read", key, &response);
    } else if (result == 0) {
        S3Read *state = mem_calloc(1, sizeof(*state));
        state->stream = stream;
        stream = NULL;
        StorageRead *handle = mem_calloc(1, sizeof(*handle));
        handle->ops = &s3_read_ops;
        handle->path = key;
        handle->state = state;
        key = NULL;
        *read = handle;
    }
    http_stream_free(stream);
    http_response_clear(&response);
    free(key);
    return result;
}

/* --- write --- */

typedef struct S3Write {
    S3State *s3;
    size_t hold;      /* bytes kept before the upload turns multipart (hold_chunks x chunk_size, at least a chunk) */
    Buf chunk;        /* the part being filled (at most chunk_size bytes; up to `hold` before the first part) */
    S3BodyDigest digest; /* of `chunk` from its first byte (the body of the next PUT or part) */
    char *upload_id;  /* multipart upload in progress, NULL for a single PUT */
    char *upload_key; /* the key the multipart upload was created under (fixed by S3 at creation) */
    char **etags;     /* ETag of each uploaded part */
    size_t part_count;
    bool closed;
} S3Write;

static int s3_put_object(S3Write *state, const char *key)
{
    S3Request request = {.verb = "PUT", .key = key, .body = state->chunk.data ? state->chunk.data : (const uint8_t *)"",
                         .body_size = state->chunk.size};
    char payload_hash[SIGV4_SHA256_HEX_SIZE], md5[32];
    if (body_digest_final(&state->digest, payload_hash, md5)) {
        request.payload_hash = payload_hash;
        request.content_md5 = md5;
    }
    HttpResponse response;
    int result = s3_send(state->s3, &request, &response, NULL);
    if (result == 0 && !status_ok(&response))
        result = s3_fail(state->s3, "write", key, &response);
    http_response_clear(&response);
    return result;
}

static int s3_multipart_begin(S3Write *state, const char *key)
{
    SigV4Query query[] = {{"uploads", ""}};
    S3Request request = {.verb = "POST", .key = key, .query = query, .query_count = 1, .body = (const uint8_t *)"",
                         .body_size = 0};
    HttpResponse response;
    int result = s3_send(state->s3, &request, &response, NULL);
    if (result == 0 && !status_ok(&response))
        result = s3_fail(state->s3, "start multipart upload of", key, &response);
    if (result == 0)
        result = s3_xml_upload_id_parse((const char *)response.body.data, response.body.size, &state->upload_id);
    if (result == 0)
        state->upload_key = mem_strdup(key);
    http_response_clear(&response);
    return result;
}

/* Upload `size` bytes as the next part; the caller keeps them until the ETag is back. The first part creates the
 * upload under `key`; later parts go to the key it was created under. `payload_hash` and `content_md5`: the part's
 * digests when already taken (NULL: computed for the request). */
static int s3_multipart_send(S3Write *state, const char *key, const uint8_t *data, size_t size,
                             const char *payload_hash, const char *content_md5)
{
    if (state->upload_id == NULL)
        TRY(s3_multipart_begin(state, key));
    key = state->upload_key;
    char number[24];
    snprintf(number, sizeof(number), "%zu", state->part_count + 1);
    SigV4Query query[] = {{"partNumber", number}, {"uploadId", state->upload_id}};
    S3Request request = {.verb = "PUT", .key = key, .query = query, .query_count = 2, .body = data, .body_size = size,
                         .payload_hash = payload_hash, .content_md5 = content_md5};
    HttpResponse response;
    int result = s3_send(state->s3, &request, &response, NULL);
    if (result == 0 && !status_ok(&response))
        result = s3_fail(state->s3, "upload a part of", key, &response);
    const char *etag = result == 0 ? http_response_header(&response, "etag") : NULL;
    if (result == 0 && etag == NULL)
        result = err_set(ERR_PROTOCOL, "S3 returned no ETag for part %s of '%s' in bucket '%s'", number, key,
                         state->s3->bucket);
    if (result == 0) {
        state->etags = mem_realloc(state->etags, (state->part_count + 1) * sizeof(*state->etags));
        state->etags[state->part_count++] = mem_strdup(etag);
    }
    http_response_clear(&response);
    return result;
}

/* Upload the current chunk, the last part, with the digests taken as it filled (kept until its ETag is back). */
static int s3_multipart_part(S3Write *state, const char *key)
{
    char payload_hash[SIGV4_SHA256_HEX_SIZE], md5[32];
    bool digested = body_digest_final(&state->digest, payload_hash, md5);
    TRY(s3_multipart_send(state, key, state->chunk.data, state->chunk.size, digested ? payload_hash : NULL,
                          digested ? md5 : NULL));
    buf_clear(&state->chunk);
    return 0;
}

/* The buffer is full and more data follows: upload it as parts of chunk_size from the front (all equal, as R2
 * requires; several when a hold outgrew itself) and keep the rest, less than a chunk, as the start of the next part.
 * A buffer of exactly one chunk (every part after the first) goes up with the digests taken as it filled; the parts
 * of an outgrown hold have theirs computed, and the digests start again over what is kept. */
static int s3_multipart_full_parts(S3Write *state, const char *key)
{
    size_t chunk_size = state->s3->chunk_size;
    char payload_hash[SIGV4_SHA256_HEX_SIZE], md5[32];
    bool digested = false;
    if (state->chunk.size == chunk_size)
        digested = body_digest_final(&state->digest, payload_hash, md5);
    else
        body_digest_stop(&state->digest);
    size_t sent = 0;
    while (state->chunk.size - sent >= chunk_size) {
        TRY(s3_multipart_send(state, key, state->chunk.data + sent, chunk_size, digested ? payload_hash : NULL,
                              digested ? md5 : NULL));
        sent += chunk_size;
    }
    memmove(state->chunk.data, state->chunk.data + sent, state->chunk.size - sent);
    state->chunk.size -= sent;
    body_digest_start(&state->digest);
    body_digest_update(&state->digest, state->chunk.data, state->chunk.size);
    return 0;
}

/* A 200 answer may still carry an <Error> body (CompleteMultipartUpload, CopyObject fail late): an error then. */
static int s3_error_in_body(S3State *s3, const char *operation, const char *key, const HttpResponse *response)
{
    S3ErrorBody error;
    s3_xml_error_parse((const char *)response->body.data, response->body.size, &error);
    int result = 0;
    if (error.code != NULL)
        result = err_set(ERR_PROTOCOL, "unable to %s '%s' in bucket '%s' at %s: %s: %s", operation, key, s3->bucket,
                         s3->endpoint, error.code, error.message != NULL ? error.message : "");
    s3_error_body_clear(&error);
    return result;
}

static int s3_multipart_complete(S3Write *state, const char *key)
{
    Buf body = BUF_INIT;
    s3_xml_complete_body(&body, state->etags, state->part_count);
    SigV4Query query[] = {{"uploadId", state->upload_id}};
    S3Request request = {.verb = "POST", .key = key, .query = query, .query_count = 1, .body = body.data,
                         .body_size = body.size};
    HttpResponse response;
    int result = s3_send(state->s3, &request, &response, NULL);
    if (result == 0 && status_ok(&response))
        result = s3_error_in_body(state->s3, "complete multipart upload of", key, &response);
    else if (result == 0)
        result = s3_fail(state->s3, "complete multipart upload of", key, &response);
    http_response_clear(&response);
    buf_free(&body);
    return result;
}

static int s3_write_write(StorageWrite *write, const uint8_t *data, size_t size)
{
    S3Write *state = write->state;
    size_t chunk_size = state->s3->chunk_size;
    while (size > 0) {
        size_t limit = state->upload_id == NULL ? state->hold : chunk_size;
        if (state->chunk.size == limit) {
            TRY(s3_multipart_full_parts(state, write->path));
            continue;
        }
        size_t space = limit - state->chunk.size;
        size_t length = size < space ? size : space;
        buf_append(&state->chunk, data, length);
        body_digest_update(&state->digest, data, length);
        data += length;
        size -= length;
    }
    return 0;
}

/* Server-side copy of a whole object (CopyObject: objects up to 5 GiB, far above any WAL segment). */
static int s3_copy_object(S3State *s3, const char *from, const char *to)
{
    char *raw_source = mem_printf("/%s/%s", s3->bucket, from);
    char *source = sigv4_uri_encode(raw_source, true);
    free(raw_source);
    SigV4Header extra[] = {{"x-amz-copy-source", source}};
    S3Request request = {.verb = "PUT", .key = to, .extra = extra, .extra_count = 1, .body = (const uint8_t *)"",
                         .body_size = 0};
    HttpResponse response;
    int result = s3_send(s3, &request, &response, NULL);
    if (result == 0 && status_ok(&response))
        result = s3_error_in_body(s3, "copy an object to", to, &response);
    else if (result == 0)
        result = s3_fail(s3, "copy an object to", to, &response);
    if (result < 0)
        err_context("copying from '%s'", from);
    http_response_clear(&response);
    free(source);
    return result;
}

static int s3_delete_key(S3State *s3, const char *key);

/* The write was renamed (storage_write_set_name) after its multipart upload had been created under the old key:
 * the complete object is under the provisional key; copy it to the final key, then remove the provisional one.
 * The final key only ever names a whole object; a failed copy leaves at most the provisional object, which is
 * removed on a best-effort basis (a failed removal after a good copy is only a warning). */
static int s3_write_rename(S3Write *state, const char *final_key)
{
    int result = s3_copy_object(state->s3, state->upload_key, final_key);
    if (result < 0) {
        ErrorCode code = err_code();
        char *message = mem_strdup(err_message());
        if (s3_delete_key(state->s3, state->upload_key) < 0)
            err_clear();
        err_set(code, "%s", message);
        free(message);
        return -1;
    }
    if (s3_delete_key(state->s3, state->upload_key) < 0) {
        /* The object is complete under its final name: the write succeeded; only a stray copy is left. */
        LOG_WARN("unable to remove the provisional object '%s' in bucket '%s' (it is complete under '%s'; the "
                 "provisional one can be deleted): %s", state->upload_key, state->s3->bucket, final_key, err_message());
        err_clear();
    }
    return 0;
}

static int s3_write_close(StorageWrite *write)
{
    S3Write *state = write->state;
    if (state->closed)
        return 0;
    if (state->upload_id == NULL) {
        TRY(s3_put_object(state, write->path));
    } else {
        TRY(s3_multipart_part(state, write->path));
        TRY(s3_multipart_complete(state, state->upload_key));
        state->closed = true; /* the upload is complete: nothing left to abort */
        if (strcmp(state->upload_key, write->path) != 0)
            TRY(s3_write_rename(state, write->path));
    }
    state->closed = true;
    return 0;
}

/* A new final key before close: a single PUT (nothing sent yet) simply goes to the new key at close; a multipart
 * upload already created under the old key is completed there and copied over at close (s3_write_rename). Memory
 * stays bounded by the hold (hold_chunks upload chunks) either way. */
static int s3_write_set_path(StorageWrite *write, const char *full_path)
{
    S3Write *state = write->state;
    if (state->closed)
        return err_set(ERR_ASSERT, "unable to rename '%s' to '%s': the upload is already complete", write->path,
                       full_path);
    return 0;
}

static void s3_multipart_abort(S3Write *state, const char *key)
{
    SigV4Query query[] = {{"uploadId", state->upload_id}};
    S3Request request = {.verb = "DELETE", .key = key, .query = query, .query_count = 1};
    HttpResponse response;
    if (s3_send(state->s3, &request, &response, NULL) < 0)
        err_clear(); /* best effort: an abandoned upload is cleaned by the bucket's lifecycle rules */
    http_response_clear(&response);
}

static void s3_write_free(StorageWrite *write)
{
    if (write == NULL)
        return;
    S3Write *state = write->state;
    if (!state->closed && state->upload_id != NULL)
        s3_multipart_abort(state, state->upload_key);
    for (size_t i = 0; i < state->part_count; i++)
        free(state->etags[i]);
    free(state->etags);
    free(state->upload_id);
    free(state->upload_key);
    body_digest_stop(&state->digest);
    buf_free(&state->chunk);
    free(state);
    free(write->path);
    free(write);
}

static const StorageWriteOps s3_write_ops = {
    .write = s3_write_write,
    .close = s3_write_close,
    .free = s3_write_free,
    .set_path = s3_write_set_path,
};

static int s3_open_write(Storage *storage, const char *path, const StorageWriteOptions *options, StorageWrite **write)
{
    /* atomic by nature; sync, modes, owners and mtime do not apply */
    if (!storage->writable)
        return err_set(ERR_ASSERT, "S3 storage for bucket '%s' is read-only", s3_state(storage)->bucket);
    S3Write *state = mem_calloc(1, sizeof(*state));
    state->s3 = s3_state(storage);
    size_t chunks = options != NULL && options->hold_chunks > 1 ? options->hold_chunks : 1;
    state->hold = state->s3->chunk_size <= SIZE_MAX / chunks ? state->s3->chunk_size * chunks : SIZE_MAX;
    body_digest_start(&state->digest);
    StorageWrite *handle = mem_calloc(1, sizeof(*handle));
    handle->ops = &s3_write_ops;
    handle->path = s3_key(storage, path);
    handle->state = state;
    *write = handle;
    return 0;
}

/* --- remove --- */

static int s3_delete_key(S3State *s3, const char *key)
{
    S3Request request = {.verb = "DELETE", .key = key};
    HttpResponse response;
    int result = s3_send(s3, &request, &response, NULL);
    if (result == 0 && !status_ok(&response) && response.status != 404)
        result = s3_fail(s3, "remove", key, &response);
    http_response_clear(&response);
    return result;
}

static int s3_remove(Storage *storage, const char *path, bool error_on_missing)
{
    S3State *s3 = s3_state(storage);
    if (error_on_missing) {
        StorageInfo info;
        TRY(s3_info(storage, path, false, &info));
        if (!info.exists) {
            char *key = s3_key(storage, path);
            err_set(ERR_FILE_REMOVE, "unable to remove missing file '%s' in bucket '%s'", key, s3->bucket);
            free(key);
            return -1;
        }
    }
    char *key = s3_key(storage, path);
    int result = s3_delete_key(s3, key);
    free(key);
    return result;
}

typedef struct DeleteBatch {
    S3State *s3;
    char **keys;
    size_t count;
} DeleteBatch;

/* Whether one of a DeleteResult's errors names no key: the server said a delete failed without saying which. */
static bool delete_errors_keyless(const S3DeleteError *errors, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (errors[i].key == NULL)
            return true;
    return false;
}

/* Send one multi-object delete; keys the server reports as failed are retried one by one, and every key of the
 * batch when an error names none (deleting a key that is gone already succeeds). */
static int delete_batch_flush(DeleteBatch *batch)
{
    if (batch->count == 0)
        return 0;
    Buf body = BUF_INIT;
    s3_xml_delete_body(&body, batch->keys, batch->count);
    SigV4Query query[] = {{"delete", ""}};
    S3Request request = {.verb = "POST", .query = query, .query_count = 1, .body = body.data, .body_size = body.size};
    HttpResponse response;
    int result = s3_send(batch->s3, &request, &response, NULL);
    if (result == 0 && !status_ok(&response))
        result = s3_fail(batch->s3, "remove a batch of objects starting with", batch->keys[0], &response);
    S3DeleteError *errors = NULL;
    size_t error_count = 0;
    if (result == 0)
        result = s3_xml_delete_result_parse((const char *)response.body.data, response.body.size, &errors, &error_count);
    if (result == 0 && delete_errors_keyless(errors, error_count)) {
        LOG_DETAIL("the batch delete starting with '%s' reported a failure without naming its object: deleting "
                   "each of its %zu objects again", batch->keys[0], batch->count);
        for (size_t i = 0; result == 0 && i < batch->count; i++)
            result = s3_delete_key(batch->s3, batch->keys[i]);
    } else {
        for (size_t i = 0; result == 0 && i < error_count; i++)
            result = s3_delete_key(batch->s3, errors[i].key);
    }
    s3_delete_errors_free(errors, error_count);
    http_response_clear(&response);
    buf_free(&body);
    for (size_t i = 0; i < batch->count; i++)
        free(batch->keys[i]);
    batch->count = 0;
    return result;
}

static int delete_page(void *context, const S3ListPage *page)
{
    DeleteBatch *batch = context;
    for (size_t i = 0; i < page->object_count; i++) {
        batch->keys[batch->count++] = mem_strdup(page->objects[i].key);
        if (batch->count == S3_DELETE_BATCH)
            TRY(delete_batch_flush(batch));
    }
    return 0;
}

static int s3_path_remove(Storage *storage, const char *path, bool recurse)
{
    if (!recurse)
        return 0; /* no directories to remove */
    char *prefix = s3_prefix(storage, path);
    DeleteBatch batch = {.s3 = s3_state(storage), .keys = mem_calloc(S3_DELETE_BATCH, sizeof(char *))};
    int result = s3_list_pages(batch.s3, prefix, true, delete_page, &batch);
    if (result == 0)
        result = delete_batch_flush(&batch);
    for (size_t i = 0; i < batch.count; i++)
        free(batch.keys[i]);
    free(batch.keys);
    free(prefix);
    return result;
}

/* --- no directories --- */

static int s3_path_create(Storage *storage, const char *path, mode_t mode, bool parents, bool error_on_exists)
{
    (void)storage, (void)path, (void)mode, (void)parents, (void)error_on_exists;
    return 0;
}

static int s3_path_sync(Storage *storage, const char *path)
{
    (void)storage, (void)path;
    return 0;
}

static void s3_free(Storage *storage)
{
    s3_state_free(s3_state(storage));
    storage->driver_state = NULL;
}

static void s3_hand_over(Storage *storage)
{
    S3State *s3 = s3_state(storage);
    if (s3->http != NULL)
        http_client_hand_over(s3->http);
}

static const StorageDriver s3_driver = {
    .name = "s3",
    .features = 0,
    .info = s3_info,
    .list = s3_list,
    .open_read = s3_open_read,
    .open_write = s3_open_write,
    .path_create = s3_path_create,
    .path_remove = s3_path_remove,
    .path_sync = s3_path_sync,
    .remove = s3_remove,
    .move = NULL,        /* not needed: repository writes are atomic uploads */
    .link_create = NULL, /* no links (no `latest`) */
    .free = s3_free,
    .hand_over = s3_hand_over,
};

Storage *storage_s3_new(const StorageS3Options *options)
{
    S3State *s3 = mem_calloc(1, sizeof(*s3));
    s3->bucket = mem_strdup(options->bucket);
    s3->endpoint = mem_strdup(options->endpoint);
    s3->path_style = options->uri_style == STORAGE_S3_URI_STYLE_PATH;
    s3->host_header = s3->path_style ? mem_strdup(options->endpoint)
                                     : mem_printf("%s.%s", options->bucket, options->endpoint);
    s3->token = options->token != NULL && options->token[0] != '\0' ? mem_strdup(options->token) : NULL;
    s3->signer = sigv4_signer_new(options->key, options->key_secret, options->region, "s3");
    s3->connect_host = options->host != NULL ? mem_strdup(options->host) : NULL;
    s3->ca_file = options->ca_file != NULL ? mem_strdup(options->ca_file) : NULL;
    s3->ca_path = options->ca_path != NULL ? mem_strdup(options->ca_path) : NULL;
    s3->http_options = (HttpClientOptions){
        .host = s3->host_header,
        .connect_host = s3->connect_host,
        .port = options->port,
        .verify_tls = options->verify_tls,
        .ca_file = s3->ca_file,
        .ca_path = s3->ca_path,
        .timeout_ms = options->timeout_ms,
        .keep_alive = options->keep_alive,
    };
    s3->chunk_size = options->upload_chunk_size != 0 ? options->upload_chunk_size : S3_CHUNK_DEFAULT;

    Storage *storage = mem_calloc(1, sizeof(*storage));
    storage->driver = &s3_driver;
    storage->base_path = mem_strdup(options->base_path != NULL ? options->base_path : "/");
    storage->writable = options->writable;
    storage->driver_state = s3;
    s3->key_prefix = s3_key(storage, NULL);
    return storage;
}

bool storage_s3_socket_keep_alive(Storage *storage, HttpKeepAlive *seen)
{
    S3State *s3 = s3_state(storage);
    if (s3->http == NULL) {
        *seen = (HttpKeepAlive){0};
        return false;
    }
    return http_client_socket_keep_alive(s3->http, seen);
}

void storage_s3_trace(Storage *storage, HttpTraceCallback callback, void *context)
{
    S3State *s3 = s3_state(storage);
    s3->trace = callback;
    s3->trace_context = context;
    if (s3->http != NULL)
        http_client_trace(s3->http, callback, context);
}

void storage_s3_trace_headers(Storage *storage, HttpHeaderTraceCallback callback, void *context)
{
    S3State *s3 = s3_state(storage);
    s3->header_trace = callback;
    s3->header_trace_context = context;
    if (s3->http != NULL)
        http_client_trace_headers(s3->http, callback, context);
}
