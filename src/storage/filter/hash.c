/* hash: SHA-1 / SHA-256 digest and size observer filters (see hash.h). */
#include "config.h"

/* SHA1_Init & co are deprecated in OpenSSL 3.0 but the fastest way to SHA-1 (see sha1_stream in hash.h) */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "storage/filter/hash.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "common/error.h"
#include "common/mem.h"

/* ------------------------------------------------------------------------------------------------------------------
 * SHA-1 stream
 * ------------------------------------------------------------------------------------------------------------------ */

struct Sha1Stream {
#ifdef HAVE_SHA1_INIT
    SHA_CTX context;
#else
    EVP_MD_CTX *context;
#endif
};

static void
hash_fail(const char *what)
{
    /* Only an allocation failure inside OpenSSL gets here: treat it like any other. */
    fprintf(stderr, "ERROR: [%03d]: unable to %s digest\n", ERR_MEMORY, what);
    exit(ERR_MEMORY);
}

static void
hash_to_hex(const unsigned char *digest, unsigned int digest_size, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned int index = 0; index < digest_size; index++) {
        hex[index * 2] = digits[digest[index] >> 4];
        hex[index * 2 + 1] = digits[digest[index] & 0xf];
    }
    hex[digest_size * 2] = '\0';
}

Sha1Stream *
sha1_stream_new(void)
{
    Sha1Stream *stream = mem_calloc(1, sizeof(*stream));
#ifdef HAVE_SHA1_INIT
    if (SHA1_Init(&stream->context) != 1)
        hash_fail("initialise");
#else
    stream->context = EVP_MD_CTX_new();
    if (stream->context == NULL || EVP_DigestInit_ex(stream->context, EVP_sha1(), NULL) != 1)
        hash_fail("initialise");
#endif
    return stream;
}

void
sha1_stream_update(Sha1Stream *stream, const void *data, size_t size)
{
    if (size == 0)
        return;
#ifdef HAVE_SHA1_INIT
    if (SHA1_Update(&stream->context, data, size) != 1)
        hash_fail("update");
#else
    if (EVP_DigestUpdate(stream->context, data, size) != 1)
        hash_fail("update");
#endif
}

void
sha1_stream_finish(Sha1Stream *stream, char *hex)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = SHA_DIGEST_LENGTH;
#ifdef HAVE_SHA1_INIT
    if (SHA1_Final(digest, &stream->context) != 1)
        hash_fail("finish");
#else
    if (EVP_DigestFinal_ex(stream->context, digest, &digest_size) != 1)
        hash_fail("finish");
    EVP_MD_CTX_free(stream->context);
#endif
    hash_to_hex(digest, digest_size, hex);
    free(stream);
}

void
sha1_stream_free(Sha1Stream *stream)
{
    if (stream == NULL)
        return;
#ifndef HAVE_SHA1_INIT
    EVP_MD_CTX_free(stream->context);
#endif
    free(stream);
}

/* ------------------------------------------------------------------------------------------------------------------
 * Digest filters: SHA-1 through the stream above, SHA-256 through EVP
 * ------------------------------------------------------------------------------------------------------------------ */

typedef struct HashState {
    Sha1Stream *sha1;               /* HASH_SHA1 */
    EVP_MD_CTX *context;            /* HASH_SHA256 */
    char hex[HASH_SHA256_HEX_SIZE]; /* "" until finished */
} HashState;

static int
hash_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    (void)out;
    HashState *state = filter->state;
    if (state->sha1 != NULL)
        sha1_stream_update(state->sha1, in, in_size);
    else if (in_size > 0 && EVP_DigestUpdate(state->context, in, in_size) != 1)
        return err_set(ERR_CRYPTO, "unable to update %s digest", filter->ops->name);
    return 0;
}

static int
hash_finish(Filter *filter, Buf *out)
{
    (void)out;
    HashState *state = filter->state;
    if (state->sha1 != NULL) {
        sha1_stream_finish(state->sha1, state->hex);
        state->sha1 = NULL;
        return 0;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    if (EVP_DigestFinal_ex(state->context, digest, &digest_size) != 1)
        return err_set(ERR_CRYPTO, "unable to finish digest");
    hash_to_hex(digest, digest_size, state->hex);
    return 0;
}

static void
hash_free_state(Filter *filter)
{
    HashState *state = filter->state;
    sha1_stream_free(state->sha1);
    EVP_MD_CTX_free(state->context);
    free(state);
}

static const FilterOps hash_sha1_ops = {
    .name = "sha1", .transforms = false, .process = hash_process, .finish = hash_finish,
    .free_state = hash_free_state,
};

static const FilterOps hash_sha256_ops = {
    .name = "sha256", .transforms = false, .process = hash_process, .finish = hash_finish,
    .free_state = hash_free_state,
};

Filter *
filter_hash_new(HashType type)
{
    HashState *state = mem_calloc(1, sizeof(*state));
    if (type == HASH_SHA1)
        state->sha1 = sha1_stream_new();
    else {
        state->context = EVP_MD_CTX_new();
        if (state->context == NULL || EVP_DigestInit_ex(state->context, EVP_sha256(), NULL) != 1)
            hash_fail("initialise");
    }
    return filter_new(type == HASH_SHA256 ? &hash_sha256_ops : &hash_sha1_ops, state);
}

const char *
filter_hash_hex(const Filter *filter)
{
    const HashState *state = filter->state;
    return state->hex;
}

typedef struct SizeState {
    uint64_t bytes;
} SizeState;

static int
size_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    (void)in;
    (void)out;
    ((SizeState *)filter->state)->bytes += in_size;
    return 0;
}

static void
size_free_state(Filter *filter)
{
    free(filter->state);
}

static const FilterOps size_ops = {
    .name = "size", .transforms = false, .process = size_process, .finish = NULL, .free_state = size_free_state,
};

Filter *
filter_size_new(void)
{
    return filter_new(&size_ops, mem_calloc(1, sizeof(SizeState)));
}

uint64_t
filter_size_bytes(const Filter *filter)
{
    return ((const SizeState *)filter->state)->bytes;
}

void
hash_hex(HashType type, const void *data, size_t size, char *hex)
{
    if (type == HASH_SHA1) {
        Sha1Stream *stream = sha1_stream_new();
        sha1_stream_update(stream, data, size);
        sha1_stream_finish(stream, hex);
        return;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    if (EVP_Digest(data, size, digest, &digest_size, EVP_sha256(), NULL) != 1)
        hash_fail("compute");
    hash_to_hex(digest, digest_size, hex);
}
