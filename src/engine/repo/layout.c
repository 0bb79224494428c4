/* layout: repository paths, archive ids and labels (see layout.h). */
#include "engine/repo/layout.h"

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "engine/pg/wal.h"

const char *
backup_type_name(BackupType type)
{
    switch (type) {
    case BACKUP_TYPE_FULL: return "full";
    case BACKUP_TYPE_DIFF: return "diff";
    case BACKUP_TYPE_INCR: return "incr";
    }
    return "full";
}

int
backup_type_parse(const char *name)
{
    if (strcmp(name, "full") == 0)
        return BACKUP_TYPE_FULL;
    if (strcmp(name, "diff") == 0)
        return BACKUP_TYPE_DIFF;
    if (strcmp(name, "incr") == 0)
        return BACKUP_TYPE_INCR;
    return -1;
}

char *
layout_archive_stanza_path(const char *stanza)
{
    return mem_printf("archive/%s", stanza);
}

char *
layout_backup_stanza_path(const char *stanza)
{
    return mem_printf("backup/%s", stanza);
}

char *
layout_archive_id(const char *pg_version, unsigned history_id)
{
    return mem_printf("%s-%u", pg_version, history_id);
}

static bool
starts_with_segment(const char *name)
{
    if (strlen(name) < WAL_SEGMENT_NAME_SIZE)
        return false;
    for (size_t index = 0; index < WAL_SEGMENT_NAME_SIZE; index++) {
        char c = name[index];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

char *
layout_wal_directory(const char *wal_file)
{
    return starts_with_segment(wal_file) ? mem_strndup(wal_file, 16) : NULL;
}

char *
layout_wal_stored_name(const char *wal_file, const char *sha1_hex, CompressType compress_type)
{
    WalFileKind kind = wal_file_kind(wal_file);
    if (kind != WAL_FILE_SEGMENT && kind != WAL_FILE_PARTIAL)
        return mem_strdup(wal_file);
    if (compress_type == COMPRESS_NONE)
        return mem_printf("%s-%s", wal_file, sha1_hex);
    return mem_printf("%s-%s.%s", wal_file, sha1_hex, compress_type_ext(compress_type));
}

char *
layout_wal_path(const char *stanza, const char *archive_id, const char *stored_name)
{
    char *directory = layout_wal_directory(stored_name);
    char *path = directory != NULL ? mem_printf("archive/%s/%s/%s/%s", stanza, archive_id, directory, stored_name)
                                   : mem_printf("archive/%s/%s/%s", stanza, archive_id, stored_name);
    free(directory);
    return path;
}

char *
layout_wal_segment_regex(const char *segment)
{
    return mem_printf("^%.24s(\\.partial)?-[0-9a-f]{40}(\\.(gz|lz4|zst|bz2|xz))?$", segment);
}

char *
layout_wal_stored_regex(const char *wal_file)
{
    bool partial = wal_file_kind(wal_file) == WAL_FILE_PARTIAL;
    return mem_printf("^%.24s%s-[0-9a-f]{40}(\\.(gz|lz4|zst|bz2|xz))?$", wal_file, partial ? "\\.partial" : "");
}

char *
layout_backup_label(BackupType type, const char *prior_label, time_t start)
{
    struct tm local;
    localtime_r(&start, &local);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &local);
    if (type == BACKUP_TYPE_FULL || prior_label == NULL)
        return mem_printf("%sF", stamp);
    return mem_printf("%.16s_%s%c", prior_label, stamp, type == BACKUP_TYPE_DIFF ? 'D' : 'I');
}

static bool
is_digits(const char *text, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        if (text[index] < '0' || text[index] > '9')
            return false;
    }
    return true;
}

/* "YYYYMMDD-HHMMSS" */
static bool
is_stamp(const char *text)
{
    return is_digits(text, 8) && text[8] == '-' && is_digits(text + 9, 6);
}

bool
layout_is_backup_label(const char *name)
{
    size_t length = strlen(name);
    if (length == 16)
        return is_stamp(name) && name[15] == 'F';
    if (length == 33)
        return is_stamp(name) && name[15] == 'F' && name[16] == '_' && is_stamp(name + 17) &&
               (name[32] == 'D' || name[32] == 'I');
    return false;
}

BackupType
layout_backup_label_type(const char *label)
{
    size_t length = strlen(label);
    if (length == 33)
        return label[32] == 'D' ? BACKUP_TYPE_DIFF : BACKUP_TYPE_INCR;
    return BACKUP_TYPE_FULL;
}
