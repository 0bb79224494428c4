/*
 * strlist: a growable list of C strings that owns them.
 *
 * A StrList is a plain struct owned by whoever declared it: initialise with STRLIST_INIT, release with
 * strlist_free(). `items` is kept NULL-terminated once anything was added, so it can be handed on as a
 * NULL-terminated array (items[count] == NULL). Growth never fails (see mem.h).
 */
#ifndef GAIAREST_COMMON_STRLIST_H
#define GAIAREST_COMMON_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct StrList {
    char **items; /* NULL until the first string is added */
    size_t count;
    size_t cap;   /* slots allocated, the terminating NULL's included */
} StrList;

#define STRLIST_INIT {NULL, 0, 0}

/* Append a copy of `text`. */
void strlist_add(StrList *list, const char *text);

/* Append `text` itself: the list takes ownership (it must come from mem.h's allocator or malloc). */
void strlist_add_owned(StrList *list, char *text);

/* Whether a string equal to `text` is in the list (a linear search). */
bool strlist_has(const StrList *list, const char *text);

/* Free every string and the array; the list is empty again. */
void strlist_free(StrList *list);

#endif
