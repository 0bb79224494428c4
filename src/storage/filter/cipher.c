/* cipher: aes-256-cbc encryption and decryption filters in OpenSSL `enc` framing (see cipher.h). */
#include "storage/filter/cipher.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/error.h"
#include "common/mem.h"

#define CIPHER_MAGIC "Salted__"
#define CIPHER_MAGIC_SIZE 8
#define CIPHER_SALT_SIZE 8
#define CIPHER_HEADER_MAX (CIPHER_MAGIC_SIZE + CIPHER_SALT_SIZE)
#define CIPHER_BLOCK_SIZE 16
#define CIPHER_SUBPASS_RANDOM_SIZE 48
/* EVP_*Update count in int: larger inputs are fed in pieces. */
#define CIPHER_CHUNK_MAX ((size_t)1 << 30)

typedef struct CipherState {
    CipherMode mode;
    bool raw;
    uint8_t *pass;
    size_t pass_size;
    EVP_CIPHER_CTX *context;
    bool keyed;                        /* the key is derived and the context initialised */
    uint8_t header[CIPHER_HEADER_MAX]; /* decrypt: the header collected so far, possibly over several pushes */
    size_t header_size;
} CipherState;

const char *
cipher_type_name(CipherType type)
{
    return type == CIPHER_AES_256_CBC ? "aes-256-cbc" : "none";
}

int
cipher_type_parse(const char *name)
{
    if (strcmp(name, "none") == 0)
        return CIPHER_NONE;
    if (strcmp(name, "aes-256-cbc") == 0)
        return CIPHER_AES_256_CBC;
    return -1;
}

static size_t
cipher_header_size(const CipherState *state)
{
    return state->raw ? CIPHER_SALT_SIZE : CIPHER_HEADER_MAX;
}

/* Derive key and IV from the pass and salt (EVP_BytesToKey, SHA-1, one round) and initialise the context. */
static int
cipher_key(CipherState *state, const uint8_t *salt)
{
    const EVP_CIPHER *cipher = EVP_aes_256_cbc();
    unsigned char key[EVP_MAX_KEY_LENGTH];
    unsigned char iv[EVP_MAX_IV_LENGTH];

    if (state->pass_size > INT_MAX ||
        EVP_BytesToKey(cipher, EVP_sha1(), salt, state->pass, (int)state->pass_size, 1, key, iv) <= 0)
        return err_set(ERR_CRYPTO, "unable to derive the aes-256-cbc key from the passphrase");

    int result = EVP_CipherInit_ex(state->context, cipher, NULL, key, iv, state->mode == CIPHER_ENCRYPT ? 1 : 0);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(iv, sizeof(iv));
    if (result != 1)
        return err_set(ERR_CRYPTO, "unable to initialise aes-256-cbc");
    state->keyed = true;
    return 0;
}

/* Encrypt: on the first call, pick a salt, key the context and write the header. */
static int
cipher_encrypt_begin(CipherState *state, Buf *out)
{
    if (state->keyed)
        return 0;
    uint8_t salt[CIPHER_SALT_SIZE];
    if (RAND_bytes(salt, sizeof(salt)) != 1)
        return err_set(ERR_CRYPTO, "unable to generate a random salt");
    if (!state->raw)
        buf_append(out, CIPHER_MAGIC, CIPHER_MAGIC_SIZE);
    buf_append(out, salt, sizeof(salt));
    return cipher_key(state, salt);
}

/* Decrypt: collect the header from the front of the input; returns how many input bytes it took. */
static int
cipher_decrypt_header(CipherState *state, const uint8_t *in, size_t in_size, size_t *used)
{
    size_t header_size = cipher_header_size(state);
    size_t take = header_size - state->header_size;
    if (take > in_size)
        take = in_size;
    memcpy(state->header + state->header_size, in, take);
    state->header_size += take;
    *used = take;
    if (state->header_size < header_size)
        return 0;

    if (!state->raw && memcmp(state->header, CIPHER_MAGIC, CIPHER_MAGIC_SIZE) != 0)
        return err_set(ERR_CRYPTO, "unable to decrypt: the data does not start with the '" CIPHER_MAGIC
                                   "' header of aes-256-cbc encrypted data");
    return cipher_key(state, state->header + header_size - CIPHER_SALT_SIZE);
}

/* Run in through the cipher, appending to out. */
static int
cipher_update(CipherState *state, const uint8_t *in, size_t in_size, Buf *out)
{
    for (size_t offset = 0; offset < in_size;) {
        size_t chunk = in_size - offset < CIPHER_CHUNK_MAX ? in_size - offset : CIPHER_CHUNK_MAX;
        buf_reserve(out, chunk + CIPHER_BLOCK_SIZE);
        int produced = 0;
        if (EVP_CipherUpdate(state->context, out->data + out->size, &produced, in + offset, (int)chunk) != 1)
            return err_set(ERR_CRYPTO, "unable to %s aes-256-cbc data",
                           state->mode == CIPHER_ENCRYPT ? "encrypt" : "decrypt");
        out->size += (size_t)produced;
        out->data[out->size] = '\0';
        offset += chunk;
    }
    return 0;
}

static int
cipher_process(Filter *filter, const uint8_t *in, size_t in_size, Buf *out)
{
    CipherState *state = filter->state;

    if (state->mode == CIPHER_ENCRYPT) {
        TRY(cipher_encrypt_begin(state, out));
    } else if (!state->keyed) {
        size_t used;
        TRY(cipher_decrypt_header(state, in, in_size, &used));
        in += used;
        in_size -= used;
    }

    if (in_size == 0)
        return 0;
    return cipher_update(state, in, in_size, out);
}

static int
cipher_finish(Filter *filter, Buf *out)
{
    CipherState *state = filter->state;

    if (state->mode == CIPHER_ENCRYPT) {
        TRY(cipher_encrypt_begin(state, out));
    } else if (!state->keyed) {
        return err_set(ERR_CRYPTO, "unable to decrypt: the data is truncated (%zu bytes, shorter than the %zu-byte "
                                   "aes-256-cbc header)",
                       state->header_size, cipher_header_size(state));
    }

    buf_reserve(out, CIPHER_BLOCK_SIZE);
    int produced = 0;
    if (EVP_CipherFinal_ex(state->context, out->data + out->size, &produced) != 1) {
        if (state->mode == CIPHER_ENCRYPT)
            return err_set(ERR_CRYPTO, "unable to finish aes-256-cbc encryption");
        err_set(ERR_CRYPTO, "unable to decrypt aes-256-cbc data: the passphrase is wrong or the data is truncated or "
                            "corrupt (bad padding in the last block)");
        return err_hint("check that the cipher passphrase (repo cipher-pass) is the one the repository was written "
                        "with");
    }
    out->size += (size_t)produced;
    out->data[out->size] = '\0';
    return 0;
}

static void
cipher_free_state(Filter *filter)
{
    CipherState *state = filter->state;
    EVP_CIPHER_CTX_free(state->context);
    OPENSSL_cleanse(state->pass, state->pass_size);
    free(state->pass);
    free(state);
}

static const FilterOps cipher_encrypt_ops = {
    .name = "aes-256-cbc-encrypt", .transforms = true, .process = cipher_process, .finish = cipher_finish,
    .free_state = cipher_free_state,
};

static const FilterOps cipher_decrypt_ops = {
    .name = "aes-256-cbc-decrypt", .transforms = true, .process = cipher_process, .finish = cipher_finish,
    .free_state = cipher_free_state,
};

Filter *
filter_cipher_new(CipherMode mode, const char *pass, size_t pass_size, bool raw)
{
    CipherState *state = mem_calloc(1, sizeof(*state));
    state->mode = mode;
    state->raw = raw;
    state->pass = mem_alloc(pass_size > 0 ? pass_size : 1);
    if (pass_size > 0)
        memcpy(state->pass, pass, pass_size);
    state->pass_size = pass_size;
    state->context = EVP_CIPHER_CTX_new();
    if (state->context == NULL) {
        fprintf(stderr, "ERROR: [%03d]: unable to allocate a cipher context\n", ERR_MEMORY);
        exit(ERR_MEMORY);
    }
    return filter_new(mode == CIPHER_ENCRYPT ? &cipher_encrypt_ops : &cipher_decrypt_ops, state);
}

int
cipher_subpass_generate(char *out)
{
    unsigned char random[CIPHER_SUBPASS_RANDOM_SIZE];
    if (RAND_bytes(random, sizeof(random)) != 1)
        return err_set(ERR_CRYPTO, "unable to generate random bytes for a cipher passphrase");
    /* 48 bytes -> 64 base64 characters, no padding; EVP_EncodeBlock writes the NUL and no newline. */
    EVP_EncodeBlock((unsigned char *)out, random, sizeof(random));
    OPENSSL_cleanse(random, sizeof(random));
    return 0;
}
