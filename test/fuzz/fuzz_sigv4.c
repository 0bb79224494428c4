/*
 * fuzz_sigv4: the parts of an S3 request built from repository paths and options (storage/s3/sigv4.h): object keys
 * of any bytes URI-encoded, query strings of any names and values, canonical requests and their headers.
 *
 * Input: a control byte (bit 0: keep '/' in keys), then NUL-separated strings: a key, query names and values, and
 * header values. Properties: an encoded key holds only unreserved characters, '%XX' escapes and (when kept) '/',
 * and decodes to the original; a query string decodes to the same pairs, sorted; a canonical request lists each
 * header once, lowercased, with values trimmed, and its signed header list matches.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "storage/s3/sigv4.h"
#include "fuzz.h"

#define MAX_PIECES 9

static bool
unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1; /* lower-case hex is not what SigV4 wants */
}

/* Check the encoding of `encoded` and decode it into a new string (the caller frees it). */
static char *
check_decode(const char *encoded, bool keep_slash)
{
    size_t length = strlen(encoded);
    char *decoded = malloc(length + 1);
    size_t out = 0;
    for (size_t index = 0; index < length; index++) {
        unsigned char c = (unsigned char)encoded[index];
        if (c == '%') {
            if (index + 2 >= length)
                fuzz_fail("a cut %XX escape");
            int high = hex_value(encoded[index + 1]), low = hex_value(encoded[index + 2]);
            if (high < 0 || low < 0)
                fuzz_fail("a bad %XX escape");
            unsigned char byte = (unsigned char)(high * 16 + low);
            if (unreserved(byte) || (keep_slash && byte == '/'))
                fuzz_fail("an escaped character that should have been kept");
            decoded[out++] = (char)byte;
            index += 2;
        } else if (unreserved(c) || (keep_slash && c == '/')) {
            decoded[out++] = (char)c;
        } else {
            fuzz_fail("a character left unescaped");
        }
    }
    decoded[out] = '\0';
    return decoded;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool keep_slash = (data[0] & 1) != 0;
    char *text = fuzz_text(data + 1, size - 1);
    const char *pieces[MAX_PIECES] = {text};
    size_t piece_count = 1;
    for (const char *at = text + strlen(text) + 1; piece_count < MAX_PIECES && at <= text + size - 1;
         at += strlen(at) + 1)
        pieces[piece_count++] = at;

    /* the key */
    char *encoded = sigv4_uri_encode(pieces[0], keep_slash);
    char *decoded = check_decode(encoded, keep_slash);
    if (strcmp(decoded, pieces[0]) != 0)
        fuzz_fail("an encoded key does not decode to itself");
    free(decoded);

    /* a query of the next pieces as name/value pairs */
    SigV4Query query[MAX_PIECES / 2];
    size_t query_count = 0;
    for (size_t index = 1; index + 1 < piece_count && query_count < MAX_PIECES / 2; index += 2)
        query[query_count++] = (SigV4Query){pieces[index], pieces[index + 1]};
    char *query_string = sigv4_query_string(query, query_count);
    /* a copy taken apart: each pair's '&' and '=' become NULs */
    char *pairs_text = fuzz_text((const uint8_t *)query_string, strlen(query_string));
    size_t pairs = 0;
    const char *previous_name = NULL, *previous_value = NULL;
    for (char *pair = *pairs_text != '\0' ? pairs_text : NULL; pair != NULL; pairs++) {
        char *next = strchr(pair, '&');
        if (next != NULL)
            *next = '\0';
        char *equals = strchr(pair, '=');
        if (equals == NULL)
            fuzz_fail("a query pair without '='");
        *equals = '\0';
        free(check_decode(pair, false));
        free(check_decode(equals + 1, false));
        /* sorted by encoded name, then by encoded value */
        if (previous_name != NULL) {
            int order = strcmp(previous_name, pair);
            if (order > 0 || (order == 0 && strcmp(previous_value, equals + 1) > 0))
                fuzz_fail("query pairs out of order");
        }
        previous_name = pair;
        previous_value = equals + 1;
        pair = next != NULL ? next + 1 : NULL;
    }
    if (pairs != query_count)
        fuzz_fail("a query string with another number of pairs");
    free(pairs_text);

    /* a canonical request with header values from the input */
    SigV4Header headers[] = {
        {"Host", "bucket.example.com"},
        {"X-Amz-Date", piece_count > 1 ? pieces[1] : ""},
        {"x-amz-content-sha256", piece_count > 2 ? pieces[2] : ""},
        {"Content-MD5", piece_count > 3 ? pieces[3] : ""},
    };
    char *signed_headers = NULL;
    char *canonical = sigv4_canonical_request("PUT", encoded, query_string, headers, 4, "UNSIGNED-PAYLOAD",
                                              &signed_headers);
    if (strcmp(signed_headers, "content-md5;host;x-amz-content-sha256;x-amz-date") != 0)
        fuzz_fail("signed headers not lowercased, sorted and complete");
    if (strstr(canonical, "\nhost:bucket.example.com\n") == NULL)
        fuzz_fail("the host header is missing from the canonical request");
    SigV4Signer *signer = sigv4_signer_new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "auto", "s3");
    char *authorization = sigv4_authorization(signer, "PUT", encoded, query_string, headers, 4, "UNSIGNED-PAYLOAD",
                                              "20261130T000000Z");
    static const char prefix[] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/auto/s3/aws4_request,";
    if (strncmp(authorization, prefix, sizeof(prefix) - 1) != 0)
        fuzz_fail("an authorization header of another form");
    free(authorization);
    sigv4_signer_free(signer);
    free(canonical);
    free(signed_headers);
    free(query_string);
    free(encoded);
    free(text);
    return 0;
}
