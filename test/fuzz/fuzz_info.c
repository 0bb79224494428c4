/*
 * fuzz_info: the repository's info files and manifests (archive.info, backup.info, backup.manifest), as read from
 * a repository that may hold anything.
 *
 * The first byte picks the parser, the rest is the text. A text whose only fault is its backrest-checksum is
 * sealed again with the checksum the parser computed, so that mutations reach what lies behind the check. Property:
 * what a parser accepts renders to a text it accepts again, and that renders to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "engine/repo/info_archive.h"
#include "engine/repo/info_backup.h"
#include "engine/repo/info_file.h"
#include "engine/repo/manifest.h"
#include "fuzz.h"

typedef enum InfoKind {
    INFO_KIND_FILE,
    INFO_KIND_ARCHIVE,
    INFO_KIND_BACKUP,
    INFO_KIND_MANIFEST,
    INFO_KIND_COUNT,
} InfoKind;

/* Parse `text` as `kind`; on success render it into `out`. */
static int
info_kind_parse_render(InfoKind kind, const char *text, size_t size, Buf *out)
{
    int result = -1;
    switch (kind) {
    case INFO_KIND_FILE: {
        InfoFile file = INFO_FILE_INIT;
        result = info_file_parse(text, size, &file);
        if (result == 0)
            info_file_render(&file, out);
        info_file_free(&file);
        break;
    }
    case INFO_KIND_ARCHIVE: {
        InfoArchive info;
        result = info_archive_parse(text, size, &info);
        if (result == 0) {
            info_archive_render(&info, out);
            info_archive_free(&info);
        }
        break;
    }
    case INFO_KIND_BACKUP: {
        InfoBackup info;
        result = info_backup_parse(text, size, &info);
        if (result == 0) {
            info_backup_render(&info, out);
            info_backup_free(&info);
        }
        break;
    }
    case INFO_KIND_MANIFEST: {
        Manifest manifest;
        result = manifest_parse(text, size, &manifest);
        if (result == 0) {
            manifest_render(&manifest, out);
            manifest_free(&manifest);
        }
        break;
    }
    case INFO_KIND_COUNT:
        break;
    }
    return result;
}

/* When the last error is a checksum mismatch, a copy of `text` with the checksum the parser computed in place of
 * the stored one (NULL otherwise). */
static char *
info_reseal(const char *text, size_t size, size_t *sealed_size)
{
    if (err_code() != ERR_CHECKSUM)
        return NULL;
    const char *actual = strstr(err_message(), "actual '");
    const char *stored = strstr(text, "backrest-checksum=\"");
    if (actual == NULL || stored == NULL)
        return NULL;
    actual += strlen("actual '");
    stored += strlen("backrest-checksum=\"");
    const char *stored_end = strchr(stored, '"');
    if (stored_end == NULL || strlen(actual) < 40)
        return NULL;
    size_t head = (size_t)(stored - text), tail = size - (size_t)(stored_end - text);
    char *sealed = malloc(head + 40 + tail + 1);
    if (sealed == NULL)
        abort();
    memcpy(sealed, text, head);
    memcpy(sealed + head, actual, 40);
    memcpy(sealed + head + 40, stored_end, tail);
    sealed[head + 40 + tail] = '\0';
    *sealed_size = head + 40 + tail;
    return sealed;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    InfoKind kind = (InfoKind)(data[0] % INFO_KIND_COUNT);
    char *text = fuzz_text(data + 1, size - 1);
    size_t text_size = size - 1;

    Buf first = BUF_INIT;
    int result = info_kind_parse_render(kind, text, text_size, &first);
    if (result < 0) {
        size_t sealed_size = 0;
        char *sealed = info_reseal(text, text_size, &sealed_size);
        if (sealed != NULL) {
            free(text);
            text = sealed;
            text_size = sealed_size;
            buf_free(&first);
            result = info_kind_parse_render(kind, text, text_size, &first);
        }
    }
    if (result == 0) {
        Buf second = BUF_INIT;
        if (info_kind_parse_render(kind, buf_str(&first), first.size, &second) != 0)
            fuzz_fail(err_message());
        if (second.size != first.size || memcmp(second.data, first.data, first.size) != 0)
            fuzz_fail("a rendered info file renders differently once parsed again");
        buf_free(&second);
    }
    buf_free(&first);
    err_clear();
    free(text);
    return 0;
}
