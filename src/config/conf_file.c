/* conf_file: loose INI reader (see conf_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/mem.h"
#include "config/conf_file.h"

static char *
conf_trim(char *text)
{
    while (*text == ' ' || *text == '\t' || *text == '\r')
        text++;
    size_t len = strlen(text);
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r'))
        text[--len] = '\0';
    return text;
}

static void
conf_add(ConfFile *conf, const char *path, const char *section, const char *key, const char *value)
{
    if (conf->count == conf->cap) {
        conf->cap = conf->cap == 0 ? 32 : conf->cap * 2;
        conf->entries = mem_realloc(conf->entries, conf->cap * sizeof(ConfEntry));
    }
    conf->entries[conf->count++] = (ConfEntry){mem_strdup(section), mem_strdup(key), mem_strdup(value),
                                               mem_strdup(path)};
}

int
conf_file_parse(ConfFile *conf, const char *path, const char *text)
{
    char *copy = mem_strdup(text);
    char *section = NULL;
    unsigned line_no = 0;
    int rc = 0;
    for (char *line = copy; line != NULL && rc == 0;) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        line_no++;
        char *trimmed = conf_trim(line);
        if (*trimmed == '\0' || *trimmed == '#') {
            /* blank or comment */
        } else if (*trimmed == '[') {
            size_t len = strlen(trimmed);
            if (trimmed[len - 1] != ']') {
                rc = err_set(ERR_CONFIG, "invalid section at line %u of '%s': %s", line_no, path, trimmed);
            } else {
                trimmed[len - 1] = '\0';
                free(section);
                section = mem_strdup(conf_trim(trimmed + 1));
            }
        } else {
            char *equal = strchr(trimmed, '=');
            if (equal == NULL)
                rc = err_set(ERR_CONFIG, "missing '=' in key/value at line %u of '%s': %s", line_no, path, trimmed);
            else if (section == NULL)
                rc = err_set(ERR_CONFIG, "key/value found outside of section at line %u of '%s': %s", line_no, path,
                             trimmed);
            else {
                *equal = '\0';
                char *key = conf_trim(trimmed);
                if (*key == '\0')
                    rc = err_set(ERR_CONFIG, "key is zero-length at line %u of '%s'", line_no, path);
                else
                    conf_add(conf, path, section, key, conf_trim(equal + 1));
            }
        }
        line = next;
    }
    free(section);
    free(copy);
    return rc;
}

int
conf_file_load(ConfFile *conf, const char *path, bool required, bool *found)
{
    *found = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && !required)
            return 0;
        if (errno == ENOENT)
            return err_set(ERR_FILE_MISSING, "unable to open missing file '%s' for read", path);
        return err_set_errno(ERR_FILE_OPEN, errno, "unable to open file '%s' for read", path);
    }
    Buf text = BUF_INIT;
    char chunk[8192];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int errnum = errno;
            close(fd);
            buf_free(&text);
            return err_set_errno(ERR_FILE_READ, errnum, "unable to read file '%s'", path);
        }
        if (got == 0)
            break;
        buf_append(&text, chunk, (size_t)got);
    }
    close(fd);
    *found = true;
    int rc = conf_file_parse(conf, path, text.data != NULL ? (const char *)text.data : "");
    buf_free(&text);
    return rc;
}

void
conf_file_free(ConfFile *conf)
{
    for (size_t i = 0; i < conf->count; i++) {
        free(conf->entries[i].section);
        free(conf->entries[i].key);
        free(conf->entries[i].value);
        free(conf->entries[i].file);
    }
    free(conf->entries);
    *conf = (ConfFile){0};
}
