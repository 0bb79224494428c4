/*
 * sigv4: AWS Signature Version 4 for the S3 driver (spec 8.2).
 *
 * The caller builds the request headers (host, x-amz-date, x-amz-content-sha256, content-md5, ...); the
 * signer lowercases and sorts them, leaves out `authorization` and `content-length`, builds the canonical
 * request and returns the `authorization` header value. The signing key is derived once per date and cached
 * in the signer. The service name is a parameter so that AWS's published test vectors (service "service")
 * can be checked; the S3 driver uses "s3".
 */
#ifndef GAIAREST_STORAGE_S3_SIGV4_H
#define GAIAREST_STORAGE_S3_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SIGV4_SHA256_HEX_SIZE 65 /* 64 hex digits + NUL */
#define SIGV4_DATETIME_SIZE 17   /* YYYYMMDDTHHMMSSZ + NUL */

/* One request header (name in any case; value used as given). */
typedef struct SigV4Header {
    const char *name;
    const char *value;
} SigV4Header;

/* One query parameter (unencoded name and value; value "" renders "name="). */
typedef struct SigV4Query {
    const char *name;
    const char *value;
} SigV4Query;

typedef struct SigV4Signer {
    char *access_key;
    char *secret;
    char *region;
    char *service;
    char key_date[9];       /* YYYYMMDD the cached key is for ("" when none yet) */
    uint8_t signing_key[32];
} SigV4Signer;

/* Create a signer (all strings copied). Free with sigv4_signer_free(). */
SigV4Signer *sigv4_signer_new(const char *access_key, const char *secret, const char *region, const char *service);
void sigv4_signer_free(SigV4Signer *signer);

/* URI-encode per RFC 3986: unreserved characters (A-Z a-z 0-9 - _ . ~) are kept, '/' too when keep_slash,
 * everything else becomes %XX (upper-case hex). Owned by the caller. */
char *sigv4_uri_encode(const char *text, bool keep_slash);

/* Canonical query string: parameters sorted by encoded name (then value), `name=value` joined by '&',
 * both encoded. "" for no parameters. Owned by the caller. */
char *sigv4_query_string(const SigV4Query *query, size_t count);

/* Hex SHA-256 of data into hex (SIGV4_SHA256_HEX_SIZE bytes). */
void sigv4_sha256_hex(const void *data, size_t size, char *hex);

/* Hex of a 32-byte SHA-256 digest taken elsewhere (a body hashed as it was built) into hex. */
void sigv4_sha256_digest_hex(const uint8_t digest[32], char *hex);

/* Format a time as x-amz-date (YYYYMMDDTHHMMSSZ, UTC) into out (SIGV4_DATETIME_SIZE bytes). */
void sigv4_datetime(time_t when, char *out);

/* The canonical request for a request whose path is already URI-encoded and whose query is canonical
 * (from sigv4_query_string). Also returns the signed header list (';'-joined) when signed_headers != NULL.
 * Both owned by the caller. */
char *sigv4_canonical_request(const char *verb, const char *path, const char *query, const SigV4Header *headers,
                              size_t header_count, const char *payload_hash, char **signed_headers);

/* The string to sign for a canonical request at `datetime` (YYYYMMDDTHHMMSSZ). Owned by the caller. */
char *sigv4_string_to_sign(const SigV4Signer *signer, const char *datetime, const char *canonical_request);

/* Sign a request: returns the authorization header value
 * `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request,SignedHeaders=<list>,Signature=<hex>`
 * (no space after the commas, as pgBackRest sends it). Owned by the caller. datetime must be the x-amz-date
 * header's value. */
char *sigv4_authorization(SigV4Signer *signer, const char *verb, const char *path, const char *query,
                          const SigV4Header *headers, size_t header_count, const char *payload_hash,
                          const char *datetime);

#endif
