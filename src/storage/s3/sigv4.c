/*
 * sigv4: AWS Signature Version 4 (see sigv4.h).
 */
#include "storage/s3/sigv4.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/buf.h"
#include "common/mem.h"

static const char hex_digits[] = "0123456789abcdef";

static void hex_encode(const uint8_t *bytes, size_t size, char *out)
{
    for (size_t i = 0; i < size; i++) {
        out[i * 2] = hex_digits[bytes[i] >> 4];
        out[i * 2 + 1] = hex_digits[bytes[i] & 0x0f];
    }
    out[size * 2] = '\0';
}

void sigv4_sha256_hex(const void *data, size_t size, char *hex)
{
    uint8_t digest[32];
    unsigned int length = 0;
    /* EVP_Digest with SHA-256 on memory cannot fail short of memory exhaustion. */
    EVP_Digest(data, size, digest, &length, EVP_sha256(), NULL);
    hex_encode(digest, sizeof(digest), hex);
}

void sigv4_sha256_digest_hex(const uint8_t digest[32], char *hex)
{
    hex_encode(digest, 32, hex);
}

static void hmac_sha256(const uint8_t *key, size_t key_size, const char *data, uint8_t out[32])
{
    unsigned int length = 32;
    HMAC(EVP_sha256(), key, (int)key_size, (const unsigned char *)data, strlen(data), out, &length);
}

SigV4Signer *sigv4_signer_new(const char *access_key, const char *secret, const char *region, const char *service)
{
    SigV4Signer *signer = mem_calloc(1, sizeof(*signer));
    signer->access_key = mem_strdup(access_key);
    signer->secret = mem_strdup(secret);
    signer->region = mem_strdup(region);
    signer->service = mem_strdup(service);
    return signer;
}

void sigv4_signer_free(SigV4Signer *signer)
{
    if (signer == NULL)
        return;
    free(signer->access_key);
    if (signer->secret != NULL) {
        memset(signer->secret, 0, strlen(signer->secret));
        free(signer->secret);
    }
    free(signer->region);
    free(signer->service);
    memset(signer->signing_key, 0, sizeof(signer->signing_key));
    free(signer);
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

char *sigv4_uri_encode(const char *text, bool keep_slash)
{
    static const char upper_hex[] = "0123456789ABCDEF";
    Buf out = BUF_INIT;
    buf_reserve(&out, strlen(text));
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (is_unreserved(*p) || (keep_slash && *p == '/')) {
            buf_append_char(&out, (char)*p);
        } else {
            buf_append_char(&out, '%');
            buf_append_char(&out, upper_hex[*p >> 4]);
            buf_append_char(&out, upper_hex[*p & 0x0f]);
        }
    }
    return buf_detach(&out);
}

typedef struct EncodedPair {
    char *name;
    char *value;
} EncodedPair;

static int encoded_pair_compare(const void *a, const void *b)
{
    const EncodedPair *left = a;
    const EncodedPair *right = b;
    int result = strcmp(left->name, right->name);
    return result != 0 ? result : strcmp(left->value, right->value);
}

char *sigv4_query_string(const SigV4Query *query, size_t count)
{
    if (count == 0)
        return mem_strdup("");

    EncodedPair *pairs = mem_calloc(count, sizeof(*pairs));
    for (size_t i = 0; i < count; i++) {
        pairs[i].name = sigv4_uri_encode(query[i].name, false);
        pairs[i].value = sigv4_uri_encode(query[i].value != NULL ? query[i].value : "", false);
    }
    qsort(pairs, count, sizeof(*pairs), encoded_pair_compare);

    Buf out = BUF_INIT;
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            buf_append_char(&out, '&');
        buf_printf(&out, "%s=%s", pairs[i].name, pairs[i].value);
        free(pairs[i].name);
        free(pairs[i].value);
    }
    free(pairs);
    return buf_detach(&out);
}

void sigv4_datetime(time_t when, char *out)
{
    struct tm utc;
    gmtime_r(&when, &utc);
    strftime(out, SIGV4_DATETIME_SIZE, "%Y%m%dT%H%M%SZ", &utc);
}

typedef struct CanonicalHeader {
    char *name;  /* lowercase */
    char *value; /* trimmed, inner runs of spaces collapsed */
} CanonicalHeader;

static int canonical_header_compare(const void *a, const void *b)
{
    return strcmp(((const CanonicalHeader *)a)->name, ((const CanonicalHeader *)b)->name);
}

static char *header_name_lower(const char *name)
{
    char *lower = mem_strdup(name);
    for (char *p = lower; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return lower;
}

static char *header_value_trim(const char *value)
{
    Buf out = BUF_INIT;
    const char *p = value;
    while (*p == ' ' || *p == '\t')
        p++;
    bool pending_space = false;
    for (; *p != '\0'; p++) {
        if (*p == ' ' || *p == '\t') {
            pending_space = true;
            continue;
        }
        if (pending_space && out.size > 0)
            buf_append_char(&out, ' ');
        pending_space = false;
        buf_append_char(&out, *p);
    }
    return buf_detach(&out);
}

static bool header_is_signed(const char *lower_name)
{
    return strcmp(lower_name, "authorization") != 0 && strcmp(lower_name, "content-length") != 0;
}

char *sigv4_canonical_request(const char *verb, const char *path, const char *query, const SigV4Header *headers,
                              size_t header_count, const char *payload_hash, char **signed_headers)
{
    CanonicalHeader *list = mem_calloc(header_count > 0 ? header_count : 1, sizeof(*list));
    size_t count = 0;
    for (size_t i = 0; i < header_count; i++) {
        char *name = header_name_lower(headers[i].name);
        if (!header_is_signed(name)) {
            free(name);
            continue;
        }
        list[count].name = name;
        list[count].value = header_value_trim(headers[i].value);
        count++;
    }
    qsort(list, count, sizeof(*list), canonical_header_compare);

    Buf out = BUF_INIT;
    Buf names = BUF_INIT;
    buf_printf(&out, "%s\n%s\n%s\n", verb, path, query);
    for (size_t i = 0; i < count; i++) {
        buf_printf(&out, "%s:%s\n", list[i].name, list[i].value);
        if (i > 0)
            buf_append_char(&names, ';');
        buf_append_str(&names, list[i].name);
        free(list[i].name);
        free(list[i].value);
    }
    free(list);
    buf_printf(&out, "\n%s\n%s", buf_str(&names), payload_hash);

    if (signed_headers != NULL)
        *signed_headers = buf_detach(&names);
    else
        buf_free(&names);
    return buf_detach(&out);
}

char *sigv4_string_to_sign(const SigV4Signer *signer, const char *datetime, const char *canonical_request)
{
    char hash[SIGV4_SHA256_HEX_SIZE];
    sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash);
    return mem_printf("AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", datetime, datetime, signer->region,
                      signer->service, hash);
}

/* Derive (or reuse) the signing key for the date part of datetime. */
static const uint8_t *signing_key(SigV4Signer *signer, const char *datetime)
{
    if (strncmp(signer->key_date, datetime, 8) == 0 && signer->key_date[0] != '\0')
        return signer->signing_key;

    char date[9];
    memcpy(date, datetime, 8);
    date[8] = '\0';

    char *secret_key = mem_printf("AWS4%s", signer->secret);
    uint8_t date_key[32], region_key[32], service_key[32];
    hmac_sha256((const uint8_t *)secret_key, strlen(secret_key), date, date_key);
    memset(secret_key, 0, strlen(secret_key));
    free(secret_key);
    hmac_sha256(date_key, sizeof(date_key), signer->region, region_key);
    hmac_sha256(region_key, sizeof(region_key), signer->service, service_key);
    hmac_sha256(service_key, sizeof(service_key), "aws4_request", signer->signing_key);
    memcpy(signer->key_date, date, sizeof(date));
    return signer->signing_key;
}

char *sigv4_authorization(SigV4Signer *signer, const char *verb, const char *path, const char *query,
                          const SigV4Header *headers, size_t header_count, const char *payload_hash,
                          const char *datetime)
{
    char *signed_headers = NULL;
    char *canonical = sigv4_canonical_request(verb, path, query, headers, header_count, payload_hash, &signed_headers);
    char *to_sign = sigv4_string_to_sign(signer, datetime, canonical);

    uint8_t signature[32];
    hmac_sha256(signing_key(signer, datetime), 32, to_sign, signature);
    char signature_hex[SIGV4_SHA256_HEX_SIZE];
    hex_encode(signature, sizeof(signature), signature_hex);

    char *result = mem_printf("AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request,SignedHeaders=%s,Signature=%s",
                              signer->access_key, datetime, signer->region, signer->service, signed_headers,
                              signature_hex);
    free(signed_headers);
    free(canonical);
    free(to_sign);
    return result;
}
