/* info_archive: archive.info (see info_archive.h). */
#include "engine/repo/info_archive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/json.h"
#include "common/mem.h"
#include "engine/pg/version.h"
#include "engine/repo/info_file.h"

#define SECTION_CIPHER "cipher"
#define SECTION_DB "db"
#define SECTION_DB_HISTORY "db:history"

/* Parse a history key ("1", "2", ...) as an id. */
static int
info_history_id_parse(const char *key, unsigned *id)
{
    char *end = NULL;
    errno = 0;
    unsigned long value = strtoul(key, &end, 10);
    if (key[0] < '0' || key[0] > '9' || *end != '\0' || errno != 0 || value == 0 || value > 0xFFFFFFFFul)
        return err_set(ERR_FORMAT, "invalid history id '%s' in section [%s]", key, SECTION_DB_HISTORY);
    *id = (unsigned)value;
    return 0;
}

static int
info_archive_parse_history(const InfoFile *file, InfoArchive *info)
{
    const InfoSection *section = info_file_section(file, SECTION_DB_HISTORY);
    if (section == NULL || section->count == 0)
        return err_set(ERR_FORMAT, "section [%s] is missing or empty", SECTION_DB_HISTORY);
    info->history = mem_calloc(section->count, sizeof(InfoArchiveHistory));
    for (size_t i = 0; i < section->count; i++) {
        const InfoEntry *entry = &section->entries[i];
        InfoArchiveHistory *history = &info->history[i];
        info->history_count = i + 1;
        JsonValue *json = NULL;
        const char *version = NULL;
        TRY(info_history_id_parse(entry->key, &history->id));
        TRY(info_value_parse(SECTION_DB_HISTORY, entry->key, entry->value, entry->value_size, &json));
        int result = json_get_uint64(json_object_get(json, "db-id"), "db-id", &history->system_id);
        if (result == 0)
            result = json_get_string(json_object_get(json, "db-version"), "db-version", &version);
        if (result == 0 && !pg_version_name_valid(version))
            result = err_set(ERR_FORMAT, "db-version '%s' of history id %s is not a PostgreSQL version", version,
                             entry->key);
        if (result == 0)
            history->version = mem_strdup(version);
        json_free(json);
        TRY(result);
    }
    return 0;
}

static int
info_archive_parse_file(const InfoFile *file, InfoArchive *info)
{
    JsonValue *json = NULL;
    const char *text = NULL;
    uint64_t number = 0;
    int result = 0;

    TRY(info_file_get_json(file, SECTION_CIPHER, "cipher-pass", false, &json));
    if (json != NULL) {
        result = json_get_string(json, "cipher-pass", &text);
        if (result == 0)
            info->cipher_pass = mem_strdup(text);
        json_free(json);
        TRY(result);
    }

    TRY(info_file_get_json(file, SECTION_DB, "db-id", true, &json));
    result = json_get_uint64(json, "db-id", &number);
    info->db_id = (unsigned)number;
    json_free(json);
    TRY(result);

    TRY(info_file_get_json(file, SECTION_DB, "db-system-id", true, &json));
    result = json_get_uint64(json, "db-system-id", &info->db_system_id);
    json_free(json);
    TRY(result);

    TRY(info_file_get_json(file, SECTION_DB, "db-version", true, &json));
    result = json_get_string(json, "db-version", &text);
    if (result == 0 && !pg_version_name_valid(text))
        result = err_set(ERR_FORMAT, "db-version '%s' in section [%s] is not a PostgreSQL version", text, SECTION_DB);
    if (result == 0)
        info->db_version = mem_strdup(text);
    json_free(json);
    TRY(result);

    return info_archive_parse_history(file, info);
}

int
info_archive_parse(const char *text, size_t size, InfoArchive *info)
{
    memset(info, 0, sizeof(*info));
    InfoFile file = INFO_FILE_INIT;
    TRY(info_file_parse(text, size, &file));
    int result = info_archive_parse_file(&file, info);
    info_file_free(&file);
    if (result < 0)
        info_archive_free(info);
    return result;
}

void
info_archive_render(const InfoArchive *info, Buf *out)
{
    InfoWriter *writer = info_writer_new(out, NULL);
    if (info->cipher_pass != NULL) {
        info_writer_section(writer, SECTION_CIPHER);
        info_writer_string(writer, "cipher-pass", info->cipher_pass);
    }
    info_writer_section(writer, SECTION_DB);
    info_writer_uint(writer, "db-id", info->db_id);
    info_writer_uint(writer, "db-system-id", info->db_system_id);
    info_writer_string(writer, "db-version", info->db_version);

    info_writer_section(writer, SECTION_DB_HISTORY);
    for (size_t i = 0; i < info->history_count; i++) {
        const InfoArchiveHistory *history = &info->history[i];
        JsonValue *json = json_object();
        json_object_set(json, "db-id", json_uint(history->system_id));
        json_object_set(json, "db-version", json_string(history->version));
        char key[16];
        snprintf(key, sizeof(key), "%u", history->id);
        info_writer_json(writer, key, json);
        json_free(json);
    }
    info_writer_finish(writer);
}

const InfoArchiveHistory *
info_archive_current(const InfoArchive *info)
{
    for (size_t i = info->history_count; i > 0; i--)
        if (info->history[i - 1].id == info->db_id)
            return &info->history[i - 1];
    return NULL;
}

char *
info_archive_id(const InfoArchiveHistory *history)
{
    return mem_printf("%s-%u", history->version, history->id);
}

void
info_archive_history_add(InfoArchive *info, uint64_t system_id, const char *version)
{
    unsigned id = info->history_count > 0 ? info->history[info->history_count - 1].id + 1 : 1;
    info->history = mem_realloc(info->history, (info->history_count + 1) * sizeof(InfoArchiveHistory));
    InfoArchiveHistory *history = &info->history[info->history_count++];
    history->id = id;
    history->system_id = system_id;
    history->version = mem_strdup(version);
    info->db_id = id;
    info->db_system_id = system_id;
    free(info->db_version);
    info->db_version = mem_strdup(version);
}

void
info_archive_free(InfoArchive *info)
{
    free(info->cipher_pass);
    free(info->db_version);
    for (size_t i = 0; i < info->history_count; i++)
        free(info->history[i].version);
    free(info->history);
    memset(info, 0, sizeof(*info));
}

/* --- storage --- */

static int
info_archive_load_text(void *context, const char *text, size_t size)
{
    return info_archive_parse(text, size, context);
}

int
info_archive_load(Storage *storage, const char *path, CipherType cipher_type, const char *pass, InfoArchive *info)
{
    memset(info, 0, sizeof(*info));
    if (info_file_load(storage, path, cipher_type, pass, info_archive_load_text, info) < 0)
        return err_hint("archive.info cannot be opened but is required to push/get WAL segments.\n"
                        "HINT: is archive_command configured correctly in postgresql.conf?\n"
                        "HINT: has a stanza-create been performed?\n"
                        "HINT: use --no-archive-check to disable archive checks during backup if you have an "
                        "alternate archiving scheme.");
    return 0;
}

int
info_archive_save(Storage *storage, const char *path, CipherType cipher_type, const char *pass,
                  const InfoArchive *info)
{
    Buf text = BUF_INIT;
    info_archive_render(info, &text);
    int result = info_file_save(storage, path, cipher_type, pass, &text, false);
    buf_free(&text);
    return result;
}
