/*
 * mem: allocation with one failure policy.
 *
 * Running out of memory is not recoverable for a backup tool (a half-written repository is worse than a
 * stopped process), so these wrappers never return NULL: on failure they print `ERROR: [094]` and exit
 * with status 94 (MemoryError), as pgBackRest does. Everything they return is released with free().
 */
#ifndef GAIAREST_COMMON_MEM_H
#define GAIAREST_COMMON_MEM_H

#include <stddef.h>

void *mem_alloc(size_t size);
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *ptr, size_t size);
char *mem_strdup(const char *text);
char *mem_strndup(const char *text, size_t length);

/* printf into a newly allocated string (owned by the caller). */
char *mem_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
