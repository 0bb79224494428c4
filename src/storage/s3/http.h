/*
 * http: HTTPS requests for the S3 driver over libcurl.
 *
 * An HttpClient belongs to one Storage (one thread): it keeps idle curl easy handles so that connections are
 * reused (keep-alive). Every request goes to https://<host>:<port> with the caller's headers (the signed
 * `host` header among them); when connect_host is set the TCP/TLS connection goes there instead while the
 * URL, SNI, certificate check and Host header stay on `host`. TLS peers are verified unless verify_tls is
 * off. `Expect: 100-continue` is never sent and curl adds no Content-Type.
 *
 * Retries: a request that fails to connect, is reset, times out, or is answered 408, 429 or 5xx is sent
 * again after an exponential backoff with jitter (at least Retry-After when the server gives one), until
 * `timeout_ms` (io-timeout) has passed since the first try. Other statuses are returned to the caller.
 */
#ifndef GAIAREST_STORAGE_S3_HTTP_H
#define GAIAREST_STORAGE_S3_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "storage/s3/sigv4.h"

/* TCP keep-alive of the connections (sck-keep-alive, tcp-keep-alive-count/-idle/-interval); 0: the system's value. */
typedef struct HttpKeepAlive {
    bool enabled;
    unsigned count;    /* probes lost before the connection is dead (TCP_KEEPCNT) */
    unsigned idle;     /* seconds idle before the first probe (TCP_KEEPIDLE) */
    unsigned interval; /* seconds between probes (TCP_KEEPINTVL) */
} HttpKeepAlive;

typedef struct HttpClientOptions {
    const char *host;         /* host name in the URL and certificate */
    const char *connect_host; /* connect here instead (storage-host), NULL: host */
    unsigned port;            /* 443 unless set */
    bool verify_tls;
    const char *ca_file;      /* NULL: system default */
    const char *ca_path;
    unsigned timeout_ms;      /* io-timeout: connect/stall limit and total retry window */
    HttpKeepAlive keep_alive;
} HttpClientOptions;

typedef struct HttpClient HttpClient;

/* Called for each request sent (after retries too), for tests and tracing. */
typedef void (*HttpTraceCallback)(void *context, const char *verb, const char *path, size_t body_size);

typedef struct HttpRequest {
    const char *verb;            /* GET HEAD PUT POST DELETE */
    const char *path;            /* encoded path plus "?query" when there is one */
    const SigV4Header *headers;  /* sent as given (host, authorization, x-amz-*, content-md5, range) */
    size_t header_count;
    const uint8_t *body;         /* NULL: no body */
    size_t body_size;
} HttpRequest;

typedef struct HttpResponseHeader {
    char *name;  /* as received */
    char *value; /* trimmed */
} HttpResponseHeader;

typedef struct HttpResponse {
    long status;
    HttpResponseHeader *headers;
    size_t header_count;
    Buf body;
} HttpResponse;

typedef struct HttpStream HttpStream;

/* Create a client (strings copied). ERR_HOST_CONNECT when curl cannot be initialised. */
int http_client_new(const HttpClientOptions *options, HttpClient **client);
void http_client_free(HttpClient *client);

/* Called with each request's header block exactly as written to the connection (request line, headers, blank
 * line), for tests that check which headers go out, curl's own included. */
typedef void (*HttpHeaderTraceCallback)(void *context, const char *headers, size_t size);

/* Install a trace callback (NULL to remove). */
void http_client_trace(HttpClient *client, HttpTraceCallback callback, void *context);

/* The keep-alive settings the kernel reports (getsockopt) for the last connection the client opened; false when it
 * has opened none. For tests. */
bool http_client_socket_keep_alive(const HttpClient *client, HttpKeepAlive *seen);

/* The owning thread is done with the client: the next thread to send owns it (see storage_hand_over). */
void http_client_hand_over(HttpClient *client);

/* Install a header trace callback (NULL to remove). */
void http_client_trace_headers(HttpClient *client, HttpHeaderTraceCallback callback, void *context);

/* Send a request and read the whole response into *response (zeroed first; free with
 * http_response_clear). Returns 0 whenever a final status arrived (the caller judges it), -1 with
 * ERR_HOST_CONNECT (or ERR_FILE_READ for a TLS/protocol failure) when no response came within the timeout. */
int http_request(HttpClient *client, const HttpRequest *request, HttpResponse *response);

/* Send a bodiless request (GET) and stop when the response headers are in. A 2xx response's body is then
 * read with http_stream_read() through a bounded buffer (the object is never held whole) and *stream is
 * set; for any other status the (small) body is read into response->body and *stream is NULL. Retries as
 * http_request() until the body starts. */
int http_stream_open(HttpClient *client, const HttpRequest *request, HttpResponse *response, HttpStream **stream);

/* Read up to size body bytes; *got = 0 at the end. ERR_FILE_READ when the transfer breaks. */
int http_stream_read(HttpStream *stream, uint8_t *buffer, size_t size, size_t *got);

/* Release the stream (its connection is kept for reuse when the body was read to the end). */
void http_stream_free(HttpStream *stream);

/* Value of the first response header called name (case-insensitive), NULL when absent. */
const char *http_response_header(const HttpResponse *response, const char *name);

void http_response_clear(HttpResponse *response);

#endif
