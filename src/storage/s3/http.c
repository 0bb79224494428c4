/*
 * http: HTTPS over libcurl with retries (see http.h).
 */
#include "storage/s3/http.h"

#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/error.h"
#include "common/mem.h"

#define HTTP_IDLE_MAX 4                     /* idle handles (connections) kept per client */
#define HTTP_STREAM_BUFFER (256 * 1024)     /* body bytes buffered ahead of a stream's reader */
#define HTTP_BACKOFF_FIRST_MS 100
#define HTTP_BACKOFF_MAX_MS 10000

struct HttpClient {
    char *host;
    char *url_base;            /* https://host:port */
    struct curl_slist *connect_to;
    bool verify_tls;
    char *ca_file;
    char *ca_path;
    unsigned timeout_ms;
    HttpKeepAlive keep_alive;
    HttpKeepAlive socket_seen; /* what getsockopt reported for the last connection opened */
    bool socket_seen_set;
    unsigned random_state;
    CURL *idle[HTTP_IDLE_MAX];
    size_t idle_count;
    /* Connection cache (and TLS sessions) of every handle of this client. Without it a connection lives in the
     * cache of the multi handle that ran the transfer, and a stream's multi handle is freed with the stream: every
     * streamed GET would open a new TLS connection. One client is used by one thread, so no locks are needed. */
    CURLSH *share;
    pthread_t owner;           /* the thread of the first request: the only one that may send (client_owned) */
    bool owner_set;
    HttpTraceCallback trace;
    void *trace_context;
    HttpHeaderTraceCallback header_trace;
    void *header_trace_context;
};

/* State of one transfer attempt, shared by the curl callbacks. */
typedef struct Transfer {
    HttpResponse *response;
    bool headers_done;     /* final (non-1xx) header block complete */
    size_t pause_limit;    /* 0: never pause; else pause when this many unread bytes are buffered */
    size_t *unread;        /* unread bytes in response->body (stream), NULL for whole responses */
    bool paused;
    struct curl_slist *header_list;
    char error[CURL_ERROR_SIZE];
} Transfer;

struct HttpStream {
    HttpClient *client;
    CURL *handle;
    CURLM *multi;
    Transfer transfer;
    HttpResponse response; /* the stream's own response: body bytes not yet read start at body_pos */
    size_t body_pos;
    size_t unread;
    bool done;
    CURLcode result;
    char *path;
};

static pthread_once_t curl_init_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_OK;

static void curl_init(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

int http_client_new(const HttpClientOptions *options, HttpClient **client)
{
    *client = NULL;
    pthread_once(&curl_init_once, curl_init);
    if (curl_init_result != CURLE_OK)
        return err_set(ERR_HOST_CONNECT, "unable to initialise libcurl: %s", curl_easy_strerror(curl_init_result));

    HttpClient *result = mem_calloc(1, sizeof(*result));
    unsigned port = options->port != 0 ? options->port : 443;
    result->host = mem_strdup(options->host);
    result->url_base = mem_printf("https://%s:%u", options->host, port);
    if (options->connect_host != NULL && options->connect_host[0] != '\0') {
        char *mapping = mem_printf("%s:%u:%s:%u", options->host, port, options->connect_host, port);
        result->connect_to = curl_slist_append(NULL, mapping);
        free(mapping);
        if (result->connect_to == NULL) {
            http_client_free(result);
            return err_set(ERR_MEMORY, "unable to build the connect-to list for %s", options->host);
        }
    }
    result->verify_tls = options->verify_tls;
    result->ca_file = options->ca_file != NULL ? mem_strdup(options->ca_file) : NULL;
    result->ca_path = options->ca_path != NULL ? mem_strdup(options->ca_path) : NULL;
    result->timeout_ms = options->timeout_ms != 0 ? options->timeout_ms : 60000;
    result->keep_alive = options->keep_alive;
    result->random_state = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)result;
    result->share = curl_share_init();
    if (result->share == NULL || curl_share_setopt(result->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
        curl_share_setopt(result->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
        curl_share_setopt(result->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
        http_client_free(result);
        return err_set(ERR_HOST_CONNECT, "unable to create the curl connection cache for %s", options->host);
    }
    *client = result;
    return 0;
}

void http_client_free(HttpClient *client)
{
    if (client == NULL)
        return;
    for (size_t i = 0; i < client->idle_count; i++)
        curl_easy_cleanup(client->idle[i]);
    if (client->share != NULL)
        curl_share_cleanup(client->share); /* after the handles that use it */
    curl_slist_free_all(client->connect_to);
    free(client->host);
    free(client->url_base);
    free(client->ca_file);
    free(client->ca_path);
    free(client);
}

void http_client_trace(HttpClient *client, HttpTraceCallback callback, void *context)
{
    client->trace = callback;
    client->trace_context = context;
}

void http_client_trace_headers(HttpClient *client, HttpHeaderTraceCallback callback, void *context)
{
    client->header_trace = callback;
    client->header_trace_context = context;
}

static int on_debug(CURL *handle, curl_infotype type, char *data, size_t size, void *context)
{
    (void)handle;
    HttpClient *client = context;
    if (type == CURLINFO_HEADER_OUT && client->header_trace != NULL)
        client->header_trace(client->header_trace_context, data, size);
    return 0;
}

/* An easy handle from the idle pool (keeping its connection) or a new one; NULL only when curl fails. */
static CURL *handle_acquire(HttpClient *client)
{
    if (client->idle_count > 0)
        return client->idle[--client->idle_count];
    return curl_easy_init();
}

static void handle_release(HttpClient *client, CURL *handle, bool reusable)
{
    if (reusable && client->idle_count < HTTP_IDLE_MAX)
        client->idle[client->idle_count++] = handle;
    else
        curl_easy_cleanup(handle);
}

void http_response_clear(HttpResponse *response)
{
    for (size_t i = 0; i < response->header_count; i++) {
        free(response->headers[i].name);
        free(response->headers[i].value);
    }
    free(response->headers);
    buf_free(&response->body);
    memset(response, 0, sizeof(*response));
}

const char *http_response_header(const HttpResponse *response, const char *name)
{
    for (size_t i = 0; i < response->header_count; i++)
        if (strcasecmp(response->headers[i].name, name) == 0)
            return response->headers[i].value;
    return NULL;
}

static void response_headers_reset(HttpResponse *response)
{
    for (size_t i = 0; i < response->header_count; i++) {
        free(response->headers[i].name);
        free(response->headers[i].value);
    }
    free(response->headers);
    response->headers = NULL;
    response->header_count = 0;
}

static size_t on_header(char *data, size_t size, size_t count, void *context)
{
    Transfer *transfer = context;
    HttpResponse *response = transfer->response;
    size_t length = size * count;

    size_t end = length;
    while (end > 0 && (data[end - 1] == '\r' || data[end - 1] == '\n'))
        end--;

    if (length >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new header block (after 1xx or a redirect): start over. */
        response_headers_reset(response);
        const char *space = memchr(data, ' ', end);
        response->status = space != NULL ? strtol(space + 1, NULL, 10) : 0;
        return length;
    }
    if (end == 0) {
        if (response->status >= 200)
            transfer->headers_done = true;
        return length;
    }
    const char *colon = memchr(data, ':', end);
    if (colon == NULL)
        return length;
    const char *value = colon + 1;
    while (value < data + end && (*value == ' ' || *value == '\t'))
        value++;
    size_t value_length = (size_t)(data + end - value);
    while (value_length > 0 && isspace((unsigned char)value[value_length - 1]))
        value_length--;

    response->headers = mem_realloc(response->headers, (response->header_count + 1) * sizeof(*response->headers));
    HttpResponseHeader *header = &response->headers[response->header_count++];
    header->name = mem_strndup(data, (size_t)(colon - data));
    header->value = mem_strndup(value, value_length);
    return length;
}

static size_t on_body(char *data, size_t size, size_t count, void *context)
{
    Transfer *transfer = context;
    size_t length = size * count;
    bool success = transfer->response->status >= 200 && transfer->response->status < 300;
    if (transfer->pause_limit > 0 && success && *transfer->unread >= transfer->pause_limit) {
        transfer->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    buf_append(&transfer->response->body, data, length);
    if (transfer->unread != NULL)
        *transfer->unread += length;
    return length;
}

static unsigned
socket_option_get(curl_socket_t fd, int level, int name)
{
    int value = 0;
    socklen_t length = sizeof(value);
    return getsockopt(fd, level, name, &value, &length) == 0 && value > 0 ? (unsigned)value : 0;
}

static bool
socket_option_set(curl_socket_t fd, int level, int name, unsigned value)
{
    int set = (int)value;
    return value == 0 || setsockopt(fd, level, name, &set, sizeof(set)) == 0;
}

/* CURLOPT_SOCKOPTFUNCTION: TCP keep-alive on each new connection, set here rather than with CURLOPT_TCP_KEEPALIVE
 * and friends because libcurl before 8.9 has no option for the probe count. A refused setting fails the connection. */
static int
on_socket(void *context, curl_socket_t fd, curlsocktype purpose)
{
    HttpClient *client = context;
    if (purpose != CURLSOCKTYPE_IPCXN)
        return CURL_SOCKOPT_OK;
    const HttpKeepAlive *keep_alive = &client->keep_alive;
    if (keep_alive->enabled &&
        (!socket_option_set(fd, SOL_SOCKET, SO_KEEPALIVE, 1) ||
         !socket_option_set(fd, IPPROTO_TCP, TCP_KEEPCNT, keep_alive->count) ||
         !socket_option_set(fd, IPPROTO_TCP, TCP_KEEPIDLE, keep_alive->idle) ||
         !socket_option_set(fd, IPPROTO_TCP, TCP_KEEPINTVL, keep_alive->interval)))
        return CURL_SOCKOPT_ERROR;
    client->socket_seen = (HttpKeepAlive){
        .enabled = socket_option_get(fd, SOL_SOCKET, SO_KEEPALIVE) != 0,
        .count = socket_option_get(fd, IPPROTO_TCP, TCP_KEEPCNT),
        .idle = socket_option_get(fd, IPPROTO_TCP, TCP_KEEPIDLE),
        .interval = socket_option_get(fd, IPPROTO_TCP, TCP_KEEPINTVL),
    };
    client->socket_seen_set = true;
    return CURL_SOCKOPT_OK;
}

bool
http_client_socket_keep_alive(const HttpClient *client, HttpKeepAlive *seen)
{
    *seen = client->socket_seen;
    return client->socket_seen_set;
}

/* Configure handle for request; the header list is stored in transfer (freed by transfer_end). */
static int transfer_setup(HttpClient *client, CURL *handle, const HttpRequest *request, Transfer *transfer)
{
    curl_easy_reset(handle);
    char *url = mem_printf("%s%s", client->url_base, request->path);
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_URL, url);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(handle, CURLOPT_SHARE, client->share);
    free(url);

    struct curl_slist *list = NULL;
    for (size_t i = 0; i < request->header_count; i++) {
        char *line = mem_printf("%s: %s", request->headers[i].name, request->headers[i].value);
        list = curl_slist_append(list, line);
        free(line);
    }
    /* No Expect: 100-continue, no Content-Type or Accept added by curl. */
    list = curl_slist_append(list, "Expect:");
    list = curl_slist_append(list, "Content-Type:");
    list = curl_slist_append(list, "Accept:");
    if (request->body == NULL)
        list = curl_slist_append(list, "Content-Length: 0");
    transfer->header_list = list;

    long stall_seconds = (long)(client->timeout_ms + 999) / 1000;
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_HTTPHEADER, list);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, (long)client->timeout_ms);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, stall_seconds);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, client->verify_tls ? 1L : 0L);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, client->verify_tls ? 2L : 0L);
    if (client->ca_file != NULL)
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_CAINFO, client->ca_file);
    if (client->ca_path != NULL)
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_CAPATH, client->ca_path);
    if (client->connect_to != NULL)
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_CONNECT_TO, client->connect_to);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_SOCKOPTFUNCTION, on_socket);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_SOCKOPTDATA, client);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_HEADERDATA, transfer);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_WRITEDATA, transfer);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, transfer->error);
    if (client->header_trace != NULL) {
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, on_debug);
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_DEBUGDATA, client);
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_VERBOSE, 1L);
    }

    if (strcmp(request->verb, "HEAD") == 0) {
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
    } else if (strcmp(request->verb, "GET") == 0) {
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
    } else {
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request->verb);
        if (request->body != NULL) {
            rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                                                        (curl_off_t)request->body_size);
            rc = rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request->body);
        }
    }
    if (rc != CURLE_OK)
        return err_set(ERR_HOST_CONNECT, "unable to set up HTTP request %s %s%s: %s", request->verb, client->host,
                       request->path, curl_easy_strerror(rc));
    if (client->trace != NULL)
        client->trace(client->trace_context, request->verb, request->path, request->body != NULL ? request->body_size : 0);
    return 0;
}

static void transfer_end(Transfer *transfer)
{
    curl_slist_free_all(transfer->header_list);
    transfer->header_list = NULL;
}

/* Failures worth another try: everything but certificate/TLS setup problems and bad options. */
static bool curl_code_retryable(CURLcode code)
{
    switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_OUT_OF_MEMORY:
        return false;
    default:
        return true;
    }
}

static bool status_retryable(long status)
{
    return status >= 500 || status == 408 || status == 429;
}

/* Next sleep: exponential with jitter, at least Retry-After (seconds); negative when the deadline passed. */
static int64_t backoff_ms(HttpClient *client, unsigned attempt, const HttpResponse *response, int64_t deadline)
{
    int64_t delay = HTTP_BACKOFF_FIRST_MS;
    for (unsigned i = 0; i < attempt && delay < HTTP_BACKOFF_MAX_MS; i++)
        delay *= 2;
    if (delay > HTTP_BACKOFF_MAX_MS)
        delay = HTTP_BACKOFF_MAX_MS;
    delay = delay / 2 + (int64_t)(rand_r(&client->random_state) % (int)(delay / 2 + 1));

    const char *retry_after = response != NULL ? http_response_header(response, "retry-after") : NULL;
    if (retry_after != NULL && isdigit((unsigned char)retry_after[0])) {
        int64_t server_ms = strtoll(retry_after, NULL, 10) * 1000;
        if (server_ms > delay)
            delay = server_ms;
    }
    int64_t remaining = deadline - now_ms();
    return delay < remaining ? delay : -1;
}

static int transport_error(HttpClient *client, const HttpRequest *request, CURLcode code, const Transfer *transfer)
{
    const char *detail = transfer->error[0] != '\0' ? transfer->error : curl_easy_strerror(code);
    err_set(ERR_HOST_CONNECT, "unable to %s https://%s%s: %s", request->verb, client->host, request->path, detail);
    if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE)
        err_hint("check the storage CA file/path options, or the certificate of %s", client->host);
    return -1;
}

/* Nothing in a client (idle handles, the connection cache it shares without locks) may be used by two threads: the
 * first thread to send owns it, and a request from any other is refused, so that a client shared by mistake fails
 * every time, not once in a while. */
static int client_owned(HttpClient *client, const HttpRequest *request)
{
    if (!client->owner_set) {
        client->owner = pthread_self();
        client->owner_set = true;
        return 0;
    }
    if (pthread_equal(client->owner, pthread_self()))
        return 0;
    return err_set(ERR_ASSERT, "unable to %s https://%s%s: the HTTP client of this storage belongs to another thread "
                   "(each thread needs its own storage)", request->verb, client->host, request->path);
}

void http_client_hand_over(HttpClient *client)
{
    client->owner_set = false;
}

int http_request(HttpClient *client, const HttpRequest *request, HttpResponse *response)
{
    memset(response, 0, sizeof(*response));
    TRY(client_owned(client, request));
    int64_t deadline = now_ms() + client->timeout_ms;
    for (unsigned attempt = 0;; attempt++) {
        http_response_clear(response);
        CURL *handle = handle_acquire(client);
        if (handle == NULL)
            return err_set(ERR_HOST_CONNECT, "unable to create a curl handle for %s", client->host);
        Transfer transfer = {.response = response};
        if (transfer_setup(client, handle, request, &transfer) < 0) {
            transfer_end(&transfer);
            handle_release(client, handle, false);
            return -1;
        }
        CURLcode code = curl_easy_perform(handle);
        transfer_end(&transfer);
        handle_release(client, handle, code == CURLE_OK);

        bool retry = code != CURLE_OK ? curl_code_retryable(code) : status_retryable(response->status);
        if (!retry) {
            if (code != CURLE_OK)
                return transport_error(client, request, code, &transfer);
            return 0;
        }
        int64_t sleep = backoff_ms(client, attempt, code == CURLE_OK ? response : NULL, deadline);
        if (sleep < 0) {
            if (code != CURLE_OK)
                return transport_error(client, request, code, &transfer);
            return 0; /* the last status goes to the caller */
        }
        sleep_ms(sleep);
    }
}

/* One round of the multi loop: run transfers, note completion, wait for activity when idle. */
static void stream_step(HttpStream *stream)
{
    int running = 0;
    curl_multi_perform(stream->multi, &running);
    int queued = 0;
    CURLMsg *message;
    while ((message = curl_multi_info_read(stream->multi, &queued)) != NULL) {
        if (message->msg == CURLMSG_DONE) {
            stream->done = true;
            stream->result = message->data.result;
        }
    }
    if (!stream->done && !stream->transfer.paused)
        curl_multi_poll(stream->multi, NULL, 0, 1000, NULL);
}

static void stream_detach(HttpStream *stream, bool reusable)
{
    if (stream->handle != NULL) {
        curl_multi_remove_handle(stream->multi, stream->handle);
        handle_release(stream->client, stream->handle, reusable);
        stream->handle = NULL;
    }
    transfer_end(&stream->transfer);
}

/* Start one attempt and run it until the headers are in (or it ends). */
static int stream_attempt(HttpStream *stream, const HttpRequest *request)
{
    HttpResponse *response = &stream->response;
    http_response_clear(response);
    stream->handle = handle_acquire(stream->client);
    if (stream->handle == NULL)
        return err_set(ERR_HOST_CONNECT, "unable to create a curl handle for %s", stream->client->host);
    memset(&stream->transfer, 0, sizeof(stream->transfer));
    stream->transfer.response = response;
    stream->transfer.pause_limit = HTTP_STREAM_BUFFER;
    stream->transfer.unread = &stream->unread;
    stream->done = false;
    stream->result = CURLE_OK;
    stream->unread = 0;
    stream->body_pos = 0;
    TRY(transfer_setup(stream->client, stream->handle, request, &stream->transfer));
    curl_multi_add_handle(stream->multi, stream->handle);
    while (!stream->done && !stream->transfer.headers_done)
        stream_step(stream);
    return 0;
}

int http_stream_open(HttpClient *client, const HttpRequest *request, HttpResponse *response, HttpStream **result)
{
    memset(response, 0, sizeof(*response));
    *result = NULL;
    TRY(client_owned(client, request));
    HttpStream *stream = mem_calloc(1, sizeof(*stream));
    stream->client = client;
    stream->path = mem_printf("https://%s%s", client->host, request->path);
    stream->multi = curl_multi_init();
    if (stream->multi == NULL) {
        http_stream_free(stream);
        return err_set(ERR_HOST_CONNECT, "unable to create a curl multi handle for %s", client->host);
    }
    int64_t deadline = now_ms() + client->timeout_ms;
    for (unsigned attempt = 0;; attempt++) {
        if (stream_attempt(stream, request) < 0) {
            http_stream_free(stream);
            return -1;
        }
        bool failed = stream->done && stream->result != CURLE_OK;
        bool success = !failed && stream->response.status >= 200 && stream->response.status < 300;
        if (success) {
            /* The caller gets status and headers; the body stays with the stream. */
            response->status = stream->response.status;
            response->headers = stream->response.headers;
            response->header_count = stream->response.header_count;
            stream->response.headers = NULL;
            stream->response.header_count = 0;
            *result = stream;
            return 0;
        }
        /* Not a 2xx: read the (small) error body to the end. */
        while (!stream->done)
            stream_step(stream);
        failed = stream->result != CURLE_OK;
        Transfer ended = stream->transfer;
        stream_detach(stream, !failed);

        bool retry = failed ? curl_code_retryable(stream->result) : status_retryable(stream->response.status);
        int64_t sleep = retry ? backoff_ms(client, attempt, failed ? NULL : &stream->response, deadline) : -1;
        if (sleep < 0) {
            CURLcode code = stream->result;
            *response = stream->response;
            memset(&stream->response, 0, sizeof(stream->response));
            http_stream_free(stream);
            if (failed)
                return transport_error(client, request, code, &ended);
            return 0;
        }
        sleep_ms(sleep);
    }
}

int http_stream_read(HttpStream *stream, uint8_t *buffer, size_t size, size_t *got)
{
    *got = 0;
    HttpResponse *body = &stream->response;
    while (stream->unread == 0 && !stream->done) {
        if (stream->transfer.paused) {
            stream->transfer.paused = false;
            curl_easy_pause(stream->handle, CURLPAUSE_CONT);
        }
        stream_step(stream);
    }
    if (stream->unread > 0) {
        size_t length = stream->unread < size ? stream->unread : size;
        memcpy(buffer, body->body.data + stream->body_pos, length);
        stream->body_pos += length;
        stream->unread -= length;
        if (stream->unread == 0) {
            buf_clear(&body->body);
            stream->body_pos = 0;
        }
        *got = length;
        return 0;
    }
    if (stream->result != CURLE_OK) {
        const char *detail =
            stream->transfer.error[0] != '\0' ? stream->transfer.error : curl_easy_strerror(stream->result);
        return err_set(ERR_FILE_READ, "unable to read %s: %s", stream->path, detail);
    }
    return 0;
}

void http_stream_free(HttpStream *stream)
{
    if (stream == NULL)
        return;
    stream_detach(stream, stream->done && stream->result == CURLE_OK);
    if (stream->multi != NULL)
        curl_multi_cleanup(stream->multi);
    http_response_clear(&stream->response);
    free(stream->path);
    free(stream);
}
