/*
 * conf_file: the loose INI reader for pgbackrest.conf and its includes (not the strict INI of info files).
 * Whitespace around sections, keys and values is trimmed; blank lines and lines starting with '#' are
 * skipped; a key may repeat (list and hash options).
 */
#ifndef GAIAREST_CONFIG_CONF_FILE_H
#define GAIAREST_CONFIG_CONF_FILE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ConfEntry {
    char *section; /* "global", "demo:backup", ... */
    char *key;
    char *value;
    char *file;    /* the file it came from */
} ConfEntry;

typedef struct ConfFile {
    ConfEntry *entries; /* in file order, files in load order */
    size_t count;
    size_t cap;
} ConfFile;

/* Append the entries of the text of file `path` (used in messages). ERR_CONFIG naming file and line on a
 * line that is neither a section, a key=value nor a comment, or a key before any section. */
int conf_file_parse(ConfFile *conf, const char *path, const char *text);

/* Read a file and parse it. When `required` is false a missing file is not an error (*found = false). */
int conf_file_load(ConfFile *conf, const char *path, bool required, bool *found);

void conf_file_free(ConfFile *conf);

#endif
