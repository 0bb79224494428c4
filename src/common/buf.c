/* buf: growable byte buffer (see buf.h). */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

void
buf_init(Buf *buf)
{
    buf->data = NULL;
    buf->size = 0;
    buf->cap = 0;
}

void
buf_reserve(Buf *buf, size_t extra)
{
    size_t needed = buf->size + extra;
    if (buf->data != NULL && needed <= buf->cap)
        return;

    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < needed)
        cap *= 2;
    buf->data = mem_realloc(buf->data, cap + 1);
    buf->cap = cap;
    buf->data[buf->size] = '\0';
}

void
buf_append(Buf *buf, const void *data, size_t length)
{
    buf_reserve(buf, length);
    if (length > 0)
        memcpy(buf->data + buf->size, data, length);
    buf->size += length;
    buf->data[buf->size] = '\0';
}

void
buf_append_str(Buf *buf, const char *text)
{
    buf_append(buf, text, strlen(text));
}

void
buf_append_char(Buf *buf, char c)
{
    buf_append(buf, &c, 1);
}

void
buf_vprintf(Buf *buf, const char *fmt, va_list args)
{
    va_list copy;
    va_copy(copy, args);
    int length = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (length <= 0)
        return;
    buf_reserve(buf, (size_t)length);
    vsnprintf((char *)buf->data + buf->size, (size_t)length + 1, fmt, args);
    buf->size += (size_t)length;
}

void
buf_printf(Buf *buf, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    buf_vprintf(buf, fmt, args);
    va_end(args);
}

void
buf_clear(Buf *buf)
{
    buf->size = 0;
    if (buf->data != NULL)
        buf->data[0] = '\0';
}

void
buf_consume(Buf *buf, size_t length)
{
    if (length >= buf->size) {
        buf_clear(buf);
        return;
    }
    memmove(buf->data, buf->data + length, buf->size - length);
    buf->size -= length;
    buf->data[buf->size] = '\0';
}

const char *
buf_str(const Buf *buf)
{
    return buf->data != NULL ? (const char *)buf->data : "";
}

char *
buf_detach(Buf *buf)
{
    if (buf->data == NULL)
        buf_reserve(buf, 0);
    char *result = (char *)buf->data;
    buf_init(buf);
    return result;
}

void
buf_free(Buf *buf)
{
    free(buf->data);
    buf_init(buf);
}
