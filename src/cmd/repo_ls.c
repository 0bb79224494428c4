/* repo-ls: list files of a repository as pgBackRest 2.45's repo-ls does (text: one name per line; --output=json: an
 * object of name -> {type, size, time} or {type, destination}, with "." for the listed path itself), on posix and
 * S3 repositories alike. --filter (POSIX extended regular expression on the names), --recurse, --sort. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "cmd/repo_tool.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/repo/repo.h"

typedef struct RepoLsEntry {
    char *name;
    StorageType type;
    uint64_t size;
    int64_t mtime;
    char *link_dest;
} RepoLsEntry;

typedef struct RepoLsList {
    RepoLsEntry *entries;
    size_t count;
    size_t capacity;
} RepoLsList;

static void
repo_ls_add(RepoLsList *list, const char *name, const StorageInfo *info)
{
    if (list->count == list->capacity) {
        list->capacity = list->capacity > 0 ? list->capacity * 2 : 64;
        list->entries = mem_realloc(list->entries, list->capacity * sizeof(RepoLsEntry));
    }
    list->entries[list->count++] = (RepoLsEntry){mem_strdup(name), info->type, info->size, info->mtime,
                                                 info->link_dest != NULL ? mem_strdup(info->link_dest) : NULL};
}

static int
repo_ls_collect(void *context, const StorageInfo *info)
{
    repo_ls_add(context, info->name, info);
    return 0;
}

static void
repo_ls_list_free(RepoLsList *list)
{
    for (size_t index = 0; index < list->count; index++) {
        free(list->entries[index].name);
        free(list->entries[index].link_dest);
    }
    free(list->entries);
}

static JsonValue *
repo_ls_json_entry(const RepoLsEntry *entry)
{
    JsonValue *object = json_object();
    switch (entry->type) {
    case STORAGE_TYPE_FILE:
        json_object_set(object, "type", json_string("file"));
        json_object_set(object, "size", json_uint(entry->size));
        json_object_set(object, "time", json_int(entry->mtime));
        break;
    case STORAGE_TYPE_LINK:
        json_object_set(object, "type", json_string("link"));
        json_object_set(object, "destination", json_string(entry->link_dest != NULL ? entry->link_dest : ""));
        break;
    case STORAGE_TYPE_PATH:
        json_object_set(object, "type", json_string("path"));
        break;
    default:
        json_object_set(object, "type", json_string("special"));
        break;
    }
    return object;
}

/* Print the entries that pass the filter: entry 0 is "." (the listed path itself), shown in text only when the
 * path is a file. */
static void
repo_ls_print(const RepoLsList *list, const regex_t *filter, bool json, bool target_is_file)
{
    JsonValue *object = json ? json_object() : NULL;
    Buf text = BUF_INIT;
    for (size_t index = 0; index < list->count; index++) {
        const RepoLsEntry *entry = &list->entries[index];
        if (filter != NULL && regexec(filter, entry->name, 0, NULL, 0) != 0)
            continue;
        if (json)
            json_object_set(object, entry->name, repo_ls_json_entry(entry));
        else if (index > 0 || target_is_file)
            buf_printf(&text, "%s\n", entry->name);
    }
    if (json) {
        json_write(&text, object);
        buf_append_str(&text, "\n");
        json_free(object);
    }
    fwrite(text.data != NULL ? text.data : (const uint8_t *)"", 1, text.size, stdout);
    fflush(stdout);
    buf_free(&text);
}

static int
repo_ls_compare_asc(const void *a, const void *b)
{
    return strcmp(((const RepoLsEntry *)a)->name, ((const RepoLsEntry *)b)->name);
}

static int
repo_ls_compare_desc(const void *a, const void *b)
{
    return repo_ls_compare_asc(b, a);
}

static bool
repo_ls_has(const RepoLsEntry *sorted, size_t count, const char *name)
{
    RepoLsEntry key = {.name = (char *)name};
    return bsearch(&key, sorted, count, sizeof(RepoLsEntry), repo_ls_compare_asc) != NULL;
}

/* A recursive listing of an object store names only objects: add the directories above them ("a" and "a/b" for
 * "a/b/c"), as a posix listing (and stock's, level by level) shows them. Entries from index 1 on, sorted
 * ascending on return. */
static void
repo_ls_add_parents(RepoLsList *list)
{
    qsort(list->entries + 1, list->count - 1, sizeof(RepoLsEntry), repo_ls_compare_asc);
    size_t listed = list->count;
    StorageInfo path_info = {.type = STORAGE_TYPE_PATH};
    for (size_t index = 1; index < listed; index++) {
        char *name = mem_strdup(list->entries[index].name);
        for (char *slash = strchr(name, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
            *slash = '\0';
            if (!repo_ls_has(list->entries + 1, listed - 1, name))
                repo_ls_add(list, name, &path_info);
            *slash = '/';
        }
        free(name);
    }
    qsort(list->entries + 1, list->count - 1, sizeof(RepoLsEntry), repo_ls_compare_asc);
    /* a directory above several entries was added once per entry: keep one */
    size_t kept = 1;
    for (size_t index = 1; index < list->count; index++) {
        if (kept > 1 && strcmp(list->entries[kept - 1].name, list->entries[index].name) == 0) {
            free(list->entries[index].name);
            free(list->entries[index].link_dest);
            continue;
        }
        list->entries[kept++] = list->entries[index];
    }
    list->count = kept;
}

int
cmd_repo_ls(void)
{
    if (cfg_param_count() > 1)
        return err_set(ERR_PARAM_INVALID, "only one path may be specified");
    const char *filter_text = cfg_str(OPT_FILTER);
    regex_t filter;
    if (filter_text != NULL) {
        int error = regcomp(&filter, filter_text, REG_EXTENDED | REG_NOSUB);
        if (error != 0) {
            char message[256];
            regerror(error, &filter, message, sizeof(message));
            return err_set(ERR_FORMAT, "invalid regular expression '%s' (--filter): %s", filter_text, message);
        }
    }
    Repo repo = {0};
    int result = repo_open(cfg_repo_index(), false, &repo);
    char *path = NULL;
    if (result == 0)
        result = repo_tool_path(&repo, cfg_param_count() == 1 ? cfg_param(0) : NULL, &path);

    RepoLsList list = {0};
    StorageInfo self = {0};
    if (result == 0)
        result = storage_info(repo.storage, path, false, &self);
    bool target_is_file = result == 0 && self.exists && self.type != STORAGE_TYPE_PATH;
    if (result == 0) {
        /* "." first: the path itself (a missing path lists as an empty one, as 2.45) */
        if (!target_is_file)
            self.type = STORAGE_TYPE_PATH;
        repo_ls_add(&list, ".", &self);
        const char *sort = cfg_str(OPT_SORT);
        if (!target_is_file)
            result = storage_list(repo.storage, path, NULL, cfg_bool(OPT_RECURSE), true, strcmp(sort, "none") != 0,
                                  repo_ls_collect, &list);
        if (result == 0 && cfg_bool(OPT_RECURSE) && strcmp(sort, "none") != 0 && list.count > 1)
            repo_ls_add_parents(&list);
        if (result == 0 && strcmp(sort, "desc") == 0 && list.count > 2)
            qsort(list.entries + 1, list.count - 1, sizeof(RepoLsEntry), repo_ls_compare_desc);
    }
    if (result == 0)
        repo_ls_print(&list, filter_text != NULL ? &filter : NULL, strcmp(cfg_str(OPT_OUTPUT), "json") == 0,
                      target_is_file);

    repo_ls_list_free(&list);
    storage_info_clear(&self);
    free(path);
    if (filter_text != NULL)
        regfree(&filter);
    if (repo.storage != NULL)
        repo_close(&repo);
    return result;
}
