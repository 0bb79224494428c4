/* replay: run a fuzz target over stored inputs (its seed corpus and the crashes found earlier), without
 * libFuzzer, so that make check and the sanitizer builds keep every one of them passing. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Replay one file; 0, or -1 when it cannot be read. */
static int
replay_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "replay: unable to open '%s'\n", path);
        return -1;
    }
    size_t cap = 4096, size = 0;
    uint8_t *data = malloc(cap);
    size_t got;
    while (data != NULL && (got = fread(data + size, 1, cap - size, file)) > 0) {
        size += got;
        if (size == cap) {
            cap *= 2;
            uint8_t *grown = realloc(data, cap);
            if (grown == NULL)
                free(data);
            data = grown;
        }
    }
    int failed = data == NULL || ferror(file);
    fclose(file);
    if (failed) {
        free(data);
        fprintf(stderr, "replay: unable to read '%s'\n", path);
        return -1;
    }
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int
name_compare(const void *left, const void *right)
{
    return strcmp(*(char *const *)left, *(char *const *)right);
}

/* Replay every regular file of a directory in name order; the count replayed goes to *count. */
static int
replay_directory(const char *path, unsigned *count)
{
    DIR *dir = opendir(path);
    if (dir == NULL) {
        fprintf(stderr, "replay: unable to open directory '%s'\n", path);
        return -1;
    }
    char **names = NULL;
    size_t name_count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        char **grown = realloc(names, (name_count + 1) * sizeof(char *));
        if (grown == NULL)
            abort();
        names = grown;
        names[name_count++] = strdup(entry->d_name);
    }
    closedir(dir);
    if (name_count > 0)
        qsort(names, name_count, sizeof(char *), name_compare);
    int result = 0;
    for (size_t index = 0; index < name_count; index++) {
        size_t length = strlen(path) + strlen(names[index]) + 2;
        char *file = malloc(length);
        snprintf(file, length, "%s/%s", path, names[index]);
        struct stat st;
        if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(file) != 0)
                result = -1;
            else
                (*count)++;
        }
        free(file);
        free(names[index]);
    }
    free(names);
    return result;
}

int
main(int argc, char **argv)
{
    /* no argument: the target's own corpus (make check) */
    const char *default_paths[] = {FUZZ_CORPUS_DIR};
    const char *const *paths = argc > 1 ? (const char *const *)argv + 1 : default_paths;
    int path_count = argc > 1 ? argc - 1 : 1;
    unsigned count = 0;
    int result = 0;
    for (int index = 0; index < path_count; index++) {
        struct stat st;
        if (stat(paths[index], &st) != 0) {
            fprintf(stderr, "replay: '%s' does not exist\n", paths[index]);
            result = -1;
        } else if (S_ISDIR(st.st_mode)) {
            if (replay_directory(paths[index], &count) != 0)
                result = -1;
        } else if (replay_file(paths[index]) != 0) {
            result = -1;
        } else {
            count++;
        }
    }
    if (count == 0) {
        fprintf(stderr, "replay: no input replayed\n");
        return 1;
    }
    printf("replayed %u inputs\n", count);
    return result == 0 ? 0 : 1;
}
