/*
 * s3: the storage driver for S3-compatible object stores (AWS S3, Cloudflare R2), spec sections 1.5 and 8.
 *
 * Keys are the repository paths under the base path with the leading '/' removed. There are no directories
 * (features = 0): info on a key with no object reports a path (STORAGE_TYPE_PATH) when some object's key
 * starts with "<key>/" (one extra one-key listing after the 404), path_create and path_sync do nothing, links
 * and move are not supported (NULL), listing a path that has no objects gives no entries rather than ERR_PATH_MISSING, and a recursive list reports
 * files only. Writes of at most one chunk are a single PUT; larger ones are multipart uploads whose parts
 * are all exactly one chunk except the last, completed at close and aborted when freed unclosed.
 *
 * Headers: host, x-amz-content-sha256, x-amz-date, authorization, content-md5 on every request with a body,
 * x-amz-security-token with a token, range on partial reads; never x-amz-tagging, x-amz-server-side-encryption*,
 * x-amz-request-payer, x-amz-checksum-* or Expect: 100-continue (Cloudflare R2 rejects or ignores them).
 *
 * Request failures are ERR_PROTOCOL (as pgBackRest reports HTTP failures) with the HTTP status, S3 error
 * code and message, request id, the key and bucket; the secret never appears in a message.
 */
#ifndef GAIAREST_STORAGE_S3_S3_H
#define GAIAREST_STORAGE_S3_S3_H

#include <stdbool.h>
#include <stddef.h>

#include "storage/s3/http.h"
#include "storage/storage.h"

typedef enum StorageS3UriStyle {
    STORAGE_S3_URI_STYLE_HOST, /* Host: <bucket>.<endpoint>, path /<key> */
    STORAGE_S3_URI_STYLE_PATH, /* Host: <endpoint>, path /<bucket>/<key> */
} StorageS3UriStyle;

typedef struct StorageS3Options {
    const char *bucket;
    const char *endpoint;      /* e.g. s3.us-east-1.amazonaws.com */
    const char *region;
    const char *key;           /* access key id */
    const char *key_secret;
    const char *token;         /* session token, NULL when none */
    StorageS3UriStyle uri_style;
    const char *host;          /* storage-host: connect here instead of the endpoint, NULL: endpoint */
    unsigned port;             /* storage-port, 0: 443 */
    bool verify_tls;
    const char *ca_file;
    const char *ca_path;
    size_t upload_chunk_size;  /* 0: 5 MiB */
    unsigned timeout_ms;       /* io-timeout, 0: 60 s */
    HttpKeepAlive keep_alive;  /* sck-keep-alive, tcp-keep-alive-* */
    const char *base_path;     /* repo path, e.g. "/" or "/pgbackrest" */
    bool writable;
} StorageS3Options;

/* Create an S3 storage (strings copied). No request is made until the first operation. */
Storage *storage_s3_new(const StorageS3Options *options);

/* The keep-alive settings of the last connection the storage's client opened (http_client_socket_keep_alive);
 * false before any. For tests. */
bool storage_s3_socket_keep_alive(Storage *storage, HttpKeepAlive *seen);

/* Trace every HTTP request this storage sends (tests: count UploadPart, delete batches). */
void storage_s3_trace(Storage *storage, HttpTraceCallback callback, void *context);

/* Capture every request's header block as sent on the wire (tests: forbidden headers, Content-MD5). */
void storage_s3_trace_headers(Storage *storage, HttpHeaderTraceCallback callback, void *context);

#endif
