/* strlist: a growable list of owned C strings (see strlist.h). */
#include "common/strlist.h"

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

void
strlist_add_owned(StrList *list, char *text)
{
    if (list->count + 1 >= list->cap) { /* one slot stays free for the terminating NULL */
        list->cap = list->cap == 0 ? 16 : list->cap * 2;
        list->items = mem_realloc(list->items, list->cap * sizeof(*list->items));
    }
    list->items[list->count++] = text;
    list->items[list->count] = NULL;
}

void
strlist_add(StrList *list, const char *text)
{
    strlist_add_owned(list, mem_strdup(text));
}

bool
strlist_has(const StrList *list, const char *text)
{
    for (size_t index = 0; index < list->count; index++)
        if (strcmp(list->items[index], text) == 0)
            return true;
    return false;
}

void
strlist_free(StrList *list)
{
    for (size_t index = 0; index < list->count; index++)
        free(list->items[index]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
    list->cap = 0;
}
