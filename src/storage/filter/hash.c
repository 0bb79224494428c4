/* hash: SHA-1 / SHA-256 digest and size observer filters (see hash.h). */
#include "storage/filter/hash.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/mem.h"

typedef struct HashState {
    EVP_MD_CTX *context;
    char hex[HASH_SHA256_HEX_SIZE]; /* "" until finished */
} HashState;

static const EVP_MD *
hash_md(HashType type)
{
    return type == HASH_SHA256 ? EVP_sha256() : EVP_sha1();
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

static int
hash_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    (void)out;
    HashState *state = filter->state;
    if (in_size > 0 && EVP_DigestUpdate(state->context, in, in_size) != 1)
        return err_set(ERR_CRYPTO, "unable to update %s digest", filter->ops->name);
    return 0;
}

static int
hash_finish(Filter *filter, Buf *out)
{
    (void)out;
    HashState *state = filter->state;
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
    state->context = EVP_MD_CTX_new();
    if (state->context == NULL || EVP_DigestInit_ex(state->context, hash_md(type), NULL) != 1) {
        /* Only an allocation failure inside OpenSSL gets here: treat it like any other. */
        fprintf(stderr, "ERROR: [%03d]: unable to initialise digest\n", ERR_MEMORY);
        exit(ERR_MEMORY);
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
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    if (EVP_Digest(data, size, digest, &digest_size, hash_md(type), NULL) != 1) {
        fprintf(stderr, "ERROR: [%03d]: unable to compute digest\n", ERR_MEMORY);
        exit(ERR_MEMORY);
    }
    hash_to_hex(digest, digest_size, hex);
}
