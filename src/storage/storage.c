/* storage: dispatch to the driver and the helpers common to every driver (see storage.h). */
#include "storage/storage.h"

#include <inttypes.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "common/strlist.h"

/* --- info --- */

void
storage_info_clear(StorageInfo *info)
{
    if (info == NULL)
        return;
    free(info->name);
    free(info->user);
    free(info->group);
    free(info->link_dest);
    info->name = NULL;
    info->user = NULL;
    info->group = NULL;
    info->link_dest = NULL;
}

/* A deep copy of `from` into `to` (every string duplicated). */
static void
storage_info_copy(StorageInfo *to, const StorageInfo *from)
{
    *to = *from;
    to->name = from->name != NULL ? mem_strdup(from->name) : NULL;
    to->user = from->user != NULL ? mem_strdup(from->user) : NULL;
    to->group = from->group != NULL ? mem_strdup(from->group) : NULL;
    to->link_dest = from->link_dest != NULL ? mem_strdup(from->link_dest) : NULL;
}

StorageWriteOptions
storage_write_options_default(void)
{
    return (StorageWriteOptions){
        .atomic = true,
        .sync_file = true,
        .sync_path = true,
        .create_path = true,
        .mode_file = 0640,
        .mode_path = 0750,
        .user = NULL,
        .group = NULL,
        .mtime = 0,
    };
}

/* --- paths --- */

char *
storage_path(const Storage *storage, const char *path)
{
    const char *base = storage->base_path;
    size_t base_length = strlen(base);

    if (path == NULL || path[0] == '\0' || strcmp(path, ".") == 0)
        return mem_strdup(base);

    if (path[0] == '/') {
        bool base_is_root = strcmp(base, "/") == 0;
        if (base_is_root || (strncmp(path, base, base_length) == 0 &&
                             (path[base_length] == '\0' || path[base_length] == '/')))
            return mem_strdup(path);
        err_set(ERR_PARAM_INVALID, "absolute path '%s' is not in base path '%s'", path, base);
        return NULL;
    }

    if (strncmp(path, "./", 2) == 0)
        path += 2;
    if (strcmp(base, "/") == 0)
        return mem_printf("/%s", path);
    return mem_printf("%s/%s", base, path);
}

/* The full path for messages about a refused change, falling back to the path as given. */
static int
storage_refuse_read_only(const Storage *storage, const char *what, const char *path)
{
    char *full = storage_path(storage, path);
    err_set(ERR_FILE_WRITE, "unable to %s '%s': the storage is read-only", what, full != NULL ? full : path);
    free(full);
    return -1;
}

/* --- dispatch --- */

int
storage_info(Storage *storage, const char *path, bool follow_link, StorageInfo *info)
{
    return storage->driver->info(storage, path, follow_link, info);
}

bool
storage_feature(const Storage *storage, StorageFeature feature)
{
    return (storage->driver->features & (unsigned)feature) != 0;
}

int
storage_open_read(Storage *storage, const char *path, uint64_t offset, int64_t limit, bool ignore_missing,
                  StorageRead **read)
{
    *read = NULL;
    return storage->driver->open_read(storage, path, offset, limit, ignore_missing, read);
}

int
storage_read(StorageRead *read, uint8_t *buffer, size_t size, size_t *got)
{
    int result = read->ops->read(read, buffer, size, got);
    if (result == 0)
        read->consumed += *got;
    return result;
}

int
storage_read_full(StorageRead *read, uint8_t *buffer, size_t size, size_t *got)
{
    *got = 0;
    while (*got < size) {
        size_t part = 0;
        TRY(storage_read(read, buffer + *got, size - *got, &part));
        if (part == 0)
            break;
        *got += part;
    }
    return 0;
}

void
storage_read_free(StorageRead *read)
{
    if (read != NULL)
        read->ops->free(read);
}

int
storage_open_write(Storage *storage, const char *path, const StorageWriteOptions *options, StorageWrite **write)
{
    *write = NULL;
    if (!storage->writable)
        return storage_refuse_read_only(storage, "open file for write", path);

    StorageWriteOptions defaults = storage_write_options_default();
    return storage->driver->open_write(storage, path, options != NULL ? options : &defaults, write);
}

int
storage_write(StorageWrite *write, const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    return write->ops->write(write, data, size);
}

int
storage_write_set_name(StorageWrite *write, const char *name)
{
    if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return err_set(ERR_PARAM_INVALID, "invalid new name '%s' for '%s'", name, write->path);
    const char *slash = strrchr(write->path, '/');
    size_t dir_size = slash != NULL ? (size_t)(slash - write->path) + 1 : 0;
    char *full = mem_printf("%.*s%s", (int)dir_size, write->path, name);
    if (write->ops->set_path != NULL && write->ops->set_path(write, full) < 0) {
        free(full);
        return -1;
    }
    free(write->path);
    write->path = full;
    return 0;
}

int
storage_write_close(StorageWrite *write)
{
    return write->ops->close(write);
}

void
storage_write_free(StorageWrite *write)
{
    if (write != NULL)
        write->ops->free(write);
}

int
storage_path_create(Storage *storage, const char *path, mode_t mode, bool parents, bool error_on_exists)
{
    if (!storage->writable)
        return storage_refuse_read_only(storage, "create path", path);
    if (storage->driver->path_create == NULL)
        return 0; /* object stores have no directories to create */
    return storage->driver->path_create(storage, path, mode, parents, error_on_exists);
}

int
storage_path_remove(Storage *storage, const char *path, bool recurse)
{
    if (!storage->writable)
        return storage_refuse_read_only(storage, "remove path", path);
    return storage->driver->path_remove(storage, path, recurse);
}

int
storage_path_sync(Storage *storage, const char *path)
{
    if (storage->driver->path_sync == NULL)
        return 0;
    return storage->driver->path_sync(storage, path);
}

int
storage_remove(Storage *storage, const char *path, bool error_on_missing)
{
    if (!storage->writable)
        return storage_refuse_read_only(storage, "remove file", path);
    return storage->driver->remove(storage, path, error_on_missing);
}

int
storage_move(Storage *storage, const char *from, const char *to)
{
    if (!storage->writable)
        return storage_refuse_read_only(storage, "move file", from);
    if (storage->driver->move == NULL)
        return err_set(ERR_FEATURE_NOT_SUPPORTED, "%s storage cannot move '%s' to '%s'", storage->driver->name, from, to);
    return storage->driver->move(storage, from, to);
}

int
storage_link_create(Storage *storage, const char *target, const char *path)
{
    if (!storage->writable)
        return storage_refuse_read_only(storage, "create link", path);
    if (storage->driver->link_create == NULL)
        return err_set(ERR_FEATURE_NOT_SUPPORTED, "unable to create link '%s': storage '%s' has no links", path,
                       storage->driver->name);
    return storage->driver->link_create(storage, target, path);
}

void
storage_free(Storage *storage)
{
    if (storage == NULL)
        return;
    if (storage->driver->free != NULL)
        storage->driver->free(storage);
    free(storage->base_path);
    free(storage);
}

void
storage_hand_over(Storage *storage)
{
    if (storage->driver->hand_over != NULL)
        storage->driver->hand_over(storage);
}

/* --- list: filter, sort --- */

typedef struct ListFilter {
    regex_t *regex;          /* NULL: every entry */
    bool collect;            /* true: keep matching entries for sorting instead of calling cb */
    StorageInfo *entries;    /* collected entries (owned) */
    size_t count;
    size_t cap;
    StorageListCallback cb;
    void *context;
} ListFilter;

static int
storage_list_filter(void *context, const StorageInfo *info)
{
    ListFilter *filter = context;

    if (filter->regex != NULL && regexec(filter->regex, info->name != NULL ? info->name : "", 0, NULL, 0) != 0)
        return 0;

    if (!filter->collect)
        return filter->cb(filter->context, info);

    if (filter->count == filter->cap) {
        filter->cap = filter->cap == 0 ? 64 : filter->cap * 2;
        filter->entries = mem_realloc(filter->entries, filter->cap * sizeof(*filter->entries));
    }
    storage_info_copy(&filter->entries[filter->count++], info);
    return 0;
}

/* The literal text every match of `regex` starts with ("" when none can be told): after a leading '^', the
 * characters up to the first special one; a character followed by a quantifier is not part of it, and a
 * top-level alternation means no prefix at all. */
static char *
storage_regex_prefix(const char *regex)
{
    if (regex == NULL || regex[0] != '^')
        return mem_strdup("");
    int depth = 0;
    bool bracket = false;
    for (const char *p = regex; *p != '\0'; p++) {
        if (*p == '\\' && p[1] != '\0')
            p++;
        else if (bracket)
            bracket = *p != ']';
        else if (*p == '[')
            bracket = true;
        else if (*p == '(')
            depth++;
        else if (*p == ')')
            depth--;
        else if (*p == '|' && depth == 0)
            return mem_strdup("");
    }
    const char *start = regex + 1;
    const char *end = start;
    while (*end != '\0' && strchr(".[]()*+?{}|\\^$", *end) == NULL)
        end++;
    if (end > start && (*end == '*' || *end == '?' || *end == '{' || *end == '+'))
        end--; /* the last character is repeated or optional: not part of every match */
    return mem_strndup(start, (size_t)(end - start));
}

static int
storage_info_compare_name(const void *a, const void *b)
{
    const StorageInfo *left = a;
    const StorageInfo *right = b;
    return strcmp(left->name != NULL ? left->name : "", right->name != NULL ? right->name : "");
}

int
storage_list(Storage *storage, const char *path, const char *regex, bool recurse, bool ignore_missing, bool sorted,
             StorageListCallback cb, void *context)
{
    regex_t compiled;
    ListFilter filter = {.regex = NULL, .collect = sorted, .cb = cb, .context = context};

    if (regex != NULL) {
        int result = regcomp(&compiled, regex, REG_EXTENDED | REG_NOSUB);
        if (result != 0) {
            char text[256];
            regerror(result, &compiled, text, sizeof(text));
            return err_set(ERR_PARAM_INVALID, "invalid regular expression '%s': %s", regex, text);
        }
        filter.regex = &compiled;
    }

    char *prefix = storage_regex_prefix(regex);
    int result = storage->driver->list(storage, path, prefix[0] != '\0' ? prefix : NULL, recurse, ignore_missing,
                                       storage_list_filter, &filter);
    free(prefix);

    if (result == 0 && sorted) {
        if (filter.count > 1)
            qsort(filter.entries, filter.count, sizeof(*filter.entries), storage_info_compare_name);
        for (size_t i = 0; i < filter.count && result == 0; i++)
            result = cb(context, &filter.entries[i]);
    }

    for (size_t i = 0; i < filter.count; i++)
        storage_info_clear(&filter.entries[i]);
    free(filter.entries);
    if (filter.regex != NULL)
        regfree(&compiled);
    return result;
}

static int
storage_list_names_add(void *context, const StorageInfo *info)
{
    strlist_add(context, info->name != NULL ? info->name : "");
    return 0;
}

int
storage_list_names(Storage *storage, const char *path, const char *regex, bool ignore_missing, char ***names,
                   size_t *count)
{
    StrList list = STRLIST_INIT;

    *names = NULL;
    *count = 0;
    if (storage_list(storage, path, regex, false, ignore_missing, true, storage_list_names_add, &list) < 0) {
        strlist_free(&list);
        return -1;
    }
    if (list.items == NULL) /* an empty list is still a NULL-terminated array */
        list.items = mem_calloc(1, sizeof(*list.items));
    *names = list.items;
    *count = list.count;
    return 0;
}

void
storage_names_free(char **names, size_t count)
{
    if (names == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* --- the copy loop --- */

/* Sink that hands pipeline output to a storage write (NULL write: discard). */
static int
storage_copy_sink(void *context, const uint8_t *data, size_t size)
{
    StorageWrite *write = context;
    if (write == NULL)
        return 0;
    return storage_write(write, data, size);
}

/* The copy loop: to the end of `read` (STORAGE_COPY_ALL) or exactly `bytes` bytes of it, the pipeline's output to
 * `sink`. */
static int
storage_copy_loop(StorageRead *read, Pipeline *pipeline, FilterSink sink, void *context, size_t buffer_size,
                  uint64_t bytes)
{
    if (buffer_size == 0)
        return err_set(ERR_PARAM_INVALID, "buffer size must be greater than zero to copy '%s'", read->path);

    uint8_t *buffer = mem_alloc(buffer_size);
    int result = 0;
    uint64_t left = bytes;

    while (left > 0) {
        size_t want = left < buffer_size ? (size_t)left : buffer_size;
        size_t got = 0;
        result = storage_read(read, buffer, want, &got);
        if (result < 0)
            break;
        if (got == 0) {
            if (bytes != STORAGE_COPY_ALL)
                result = err_set(ERR_FILE_READ, "unexpected end of '%s': %" PRIu64 " of %" PRIu64 " bytes missing",
                                 read->path, left, bytes);
            break;
        }
        if (bytes != STORAGE_COPY_ALL)
            left -= got;
        if (pipeline != NULL)
            result = pipeline_push(pipeline, buffer, got, sink, context);
        else
            result = sink(context, buffer, got);
        if (result < 0)
            break;
    }

    if (result == 0 && pipeline != NULL)
        result = pipeline_finish(pipeline, sink, context);

    free(buffer);
    return result;
}

int
storage_copy(StorageRead *read, Pipeline *pipeline, StorageWrite *write, size_t buffer_size)
{
    return storage_copy_loop(read, pipeline, storage_copy_sink, write, buffer_size, STORAGE_COPY_ALL);
}

int
storage_copy_part(StorageRead *read, Pipeline *pipeline, StorageWrite *write, size_t buffer_size, uint64_t bytes)
{
    return storage_copy_loop(read, pipeline, storage_copy_sink, write, buffer_size, bytes);
}

int
storage_copy_to(StorageRead *read, Pipeline *pipeline, FilterSink sink, void *context, size_t buffer_size)
{
    return storage_copy_loop(read, pipeline, sink, context, buffer_size, STORAGE_COPY_ALL);
}

/* Skip what is left of `read` before byte `target` (counted from the start of the read). */
static int
storage_read_skip_to(StorageRead *read, uint64_t target, size_t buffer_size)
{
    if (read->consumed > target)
        return err_set(ERR_ASSERT, "read of '%s' is past byte %" PRIu64 " (at %" PRIu64 ")", read->path, target,
                       read->consumed);
    return target > read->consumed ? storage_copy_part(read, NULL, NULL, buffer_size, target - read->consumed) : 0;
}

int
storage_read_slices(Storage *storage, const char *path, const StorageSlice *slices, size_t count, uint64_t gap_max,
                    size_t buffer_size, bool ignore_missing, bool *found, StorageSliceReader reader, void *context)
{
    *found = true;
    int result = 0;
    for (size_t first = 0; first < count && result == 0;) {
        uint64_t start = slices[first].offset;
        uint64_t end = start + slices[first].size;
        size_t last = first;
        while (last + 1 < count && slices[last + 1].offset >= end && slices[last + 1].offset - end <= gap_max) {
            last++;
            end = slices[last].offset + slices[last].size;
        }
        StorageRead *read = NULL;
        result = storage_open_read(storage, path, start, (int64_t)(end - start), ignore_missing, &read);
        if (result == 0 && read == NULL) {
            *found = false;
            return 0;
        }
        for (size_t index = first; index <= last && result == 0; index++) {
            result = storage_read_skip_to(read, slices[index].offset - start, buffer_size);
            if (result == 0)
                result = reader(context, index, read, slices[index].size);
            if (result == 0)
                result = storage_read_skip_to(read, slices[index].offset + slices[index].size - start, buffer_size);
        }
        storage_read_free(read);
        first = last + 1;
    }
    return result;
}

/* Sink that appends pipeline output to a Buf. */
static int
storage_get_sink(void *context, const uint8_t *data, size_t size)
{
    buf_append(context, data, size);
    return 0;
}

#define STORAGE_GET_CHUNK (64 * 1024)

int
storage_get(Storage *storage, const char *path, Pipeline *pipeline, bool ignore_missing, bool *found, Buf *out)
{
    StorageRead *read = NULL;

    if (found != NULL)
        *found = false;
    TRY(storage_open_read(storage, path, 0, -1, ignore_missing, &read));
    if (read == NULL)
        return 0;
    if (found != NULL)
        *found = true;

    uint8_t *chunk = mem_alloc(STORAGE_GET_CHUNK);
    int result = 0;
    for (;;) {
        size_t got = 0;
        result = storage_read(read, chunk, STORAGE_GET_CHUNK, &got);
        if (result < 0 || got == 0)
            break;
        if (pipeline != NULL)
            result = pipeline_push(pipeline, chunk, got, storage_get_sink, out);
        else
            buf_append(out, chunk, got);
        if (result < 0)
            break;
    }
    if (result == 0 && pipeline != NULL)
        result = pipeline_finish(pipeline, storage_get_sink, out);

    free(chunk);
    storage_read_free(read);
    return result;
}

int
storage_put(Storage *storage, const char *path, Pipeline *pipeline, const uint8_t *data, size_t size)
{
    StorageWrite *write = NULL;
    StorageWriteOptions options = storage_write_options_default();

    TRY(storage_open_write(storage, path, &options, &write));

    int result;
    if (pipeline != NULL) {
        result = pipeline_push(pipeline, data, size, storage_copy_sink, write);
        if (result == 0)
            result = pipeline_finish(pipeline, storage_copy_sink, write);
    } else {
        result = storage_write(write, data, size);
    }
    if (result == 0)
        result = storage_write_close(write);

    storage_write_free(write);
    return result;
}
