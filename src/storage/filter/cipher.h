/*
 * cipher: aes-256-cbc encryption compatible with `openssl enc -aes-256-cbc -md sha1` (spec section 5):
 * "Salted__" + 8-byte salt + ciphertext with PKCS#7 padding; key and IV from EVP_BytesToKey(SHA-1, 1 round)
 * over the passphrase bytes exactly as given. `raw` omits the "Salted__" magic (bundle-raw, spec 5.2).
 * Decryption of bad input (wrong pass, truncated, bad padding) fails with ERR_CRYPTO.
 */
#ifndef GAIAREST_STORAGE_FILTER_CIPHER_H
#define GAIAREST_STORAGE_FILTER_CIPHER_H

#include <stdbool.h>
#include <stddef.h>

#include "storage/filter/filter.h"

typedef enum CipherType {
    CIPHER_NONE = 0,
    CIPHER_AES_256_CBC,
} CipherType;

typedef enum CipherMode {
    CIPHER_ENCRYPT,
    CIPHER_DECRYPT,
} CipherMode;

const char *cipher_type_name(CipherType type); /* "none", "aes-256-cbc" */
int cipher_type_parse(const char *name);        /* -1 when unknown */

Filter *filter_cipher_new(CipherMode mode, const char *pass, size_t pass_size, bool raw);

/* A new random subpass: 48 random bytes, base64 = 64 characters (into `out`, 65 bytes with the NUL). */
int cipher_subpass_generate(char *out);

#endif
