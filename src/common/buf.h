/*
 * buf: a growable byte buffer (also used as a string builder; the bytes are always NUL-terminated past
 * `size`, so buf.data can be passed where a C string is expected when no NUL is inside).
 *
 * A Buf is a plain struct owned by whoever declared it: initialise with BUF_INIT or buf_init(), release
 * with buf_free(). Growth never fails (see mem.h).
 */
#ifndef GAIAREST_COMMON_BUF_H
#define GAIAREST_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Buf {
    uint8_t *data; /* NULL until the first byte is added */
    size_t size;   /* bytes used */
    size_t cap;    /* bytes allocated (excluding the terminating NUL) */
} Buf;

#define BUF_INIT {NULL, 0, 0}

void buf_init(Buf *buf);

/* Make room for at least `extra` more bytes beyond size. */
void buf_reserve(Buf *buf, size_t extra);

void buf_append(Buf *buf, const void *data, size_t length);
void buf_append_str(Buf *buf, const char *text);
void buf_append_char(Buf *buf, char c);
void buf_printf(Buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(Buf *buf, const char *fmt, va_list args);

/* Drop all bytes but keep the allocation. */
void buf_clear(Buf *buf);

/* Remove the first `length` bytes. */
void buf_consume(Buf *buf, size_t length);

/* The content as a C string ("" for an empty buffer); valid until the next change. */
const char *buf_str(const Buf *buf);

/* Hand the allocation to the caller (NUL-terminated; free() it) and leave the Buf empty. */
char *buf_detach(Buf *buf);

void buf_free(Buf *buf);

#endif
