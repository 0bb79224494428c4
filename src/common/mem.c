/* mem: allocation wrappers that stop the process on exhaustion (see mem.h). */
#include "common/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void __attribute__((noreturn))
mem_exhausted(size_t size)
{
    char line[128];
    int length = snprintf(line, sizeof(line), "ERROR: [094]: unable to allocate %zu bytes\n", size);
    if (length > 0 && write(STDERR_FILENO, line, (size_t)length) < 0) {
        /* nothing more can be done */
    }
    _exit(94);
}

void *
mem_alloc(size_t size)
{
    void *result = malloc(size ? size : 1);
    if (result == NULL)
        mem_exhausted(size);
    return result;
}

void *
mem_calloc(size_t count, size_t size)
{
    void *result = calloc(count ? count : 1, size ? size : 1);
    if (result == NULL)
        mem_exhausted(count * size);
    return result;
}

void *
mem_realloc(void *ptr, size_t size)
{
    void *result = realloc(ptr, size ? size : 1);
    if (result == NULL)
        mem_exhausted(size);
    return result;
}

char *
mem_strdup(const char *text)
{
    return mem_strndup(text, strlen(text));
}

char *
mem_strndup(const char *text, size_t length)
{
    char *result = mem_alloc(length + 1);
    memcpy(result, text, length);
    result[length] = '\0';
    return result;
}

char *
mem_printf(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int length = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    if (length < 0)
        length = 0;

    char *result = mem_alloc((size_t)length + 1);
    va_start(args, fmt);
    vsnprintf(result, (size_t)length + 1, fmt, args);
    va_end(args);
    return result;
}
