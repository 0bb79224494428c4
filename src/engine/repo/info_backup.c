/* info_backup: backup.info (see info_backup.h). */
#include "engine/repo/info_backup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/pg/version.h"
#include "engine/pg/wal.h"
#include "engine/repo/info_file.h"
#include "engine/repo/layout.h"

#define SECTION_CURRENT "backup:current"
#define SECTION_CIPHER "cipher"
#define SECTION_DB "db"
#define SECTION_DB_HISTORY "db:history"

/* --- typed field reads from a JSON object (optional ones leave the output alone when absent) --- */

static int
field_uint(const JsonValue *object, const char *key, bool required, bool *present, uint64_t *out)
{
    const JsonValue *value = json_object_get(object, key);
    if (present != NULL)
        *present = value != NULL;
    if (value == NULL)
        return required ? err_set(ERR_FORMAT, "missing key '%s'", key) : 0;
    return json_get_uint64(value, key, out);
}

static int
field_u32(const JsonValue *object, const char *key, unsigned *out)
{
    uint64_t value = 0;
    TRY(field_uint(object, key, true, NULL, &value));
    if (value > 0xFFFFFFFFu)
        return err_set(ERR_FORMAT, "'%s' is out of range", key);
    *out = (unsigned)value;
    return 0;
}

static int
field_int(const JsonValue *object, const char *key, int64_t *out)
{
    const JsonValue *value = json_object_get(object, key);
    if (value == NULL)
        return err_set(ERR_FORMAT, "missing key '%s'", key);
    return json_get_int64(value, key, out);
}

static int
field_bool(const JsonValue *object, const char *key, bool required, bool *present, bool *out)
{
    const JsonValue *value = json_object_get(object, key);
    if (present != NULL)
        *present = value != NULL;
    if (value == NULL)
        return required ? err_set(ERR_FORMAT, "missing key '%s'", key) : 0;
    return json_get_bool(value, key, out);
}

static int
field_string(const JsonValue *object, const char *key, bool required, char **out)
{
    const JsonValue *value = json_object_get(object, key);
    const char *text = NULL;
    if (value == NULL)
        return required ? err_set(ERR_FORMAT, "missing key '%s'", key) : 0;
    if (value->type == JSON_NULL && !required)
        return 0; /* backup-archive-start/stop of an offline backup */
    TRY(json_get_string(value, key, &text));
    *out = mem_strdup(text);
    return 0;
}

static int
field_reference(const JsonValue *object, InfoBackupEntry *entry)
{
    const JsonValue *value = json_object_get(object, "backup-reference");
    if (value == NULL)
        return 0;
    if (value->type != JSON_ARRAY)
        return err_set(ERR_FORMAT, "'backup-reference' must be an array");
    entry->reference = mem_calloc(value->u.array.count + 1, sizeof(char *));
    for (size_t i = 0; i < value->u.array.count; i++) {
        const char *label = NULL;
        TRY(json_get_string(value->u.array.items[i], "backup-reference", &label));
        entry->reference[i] = mem_strdup(label);
        entry->reference_count = i + 1;
    }
    return 0;
}

static int
entry_parse_options(const JsonValue *object, InfoBackupEntry *entry)
{
    TRY(field_bool(object, "option-archive-check", true, NULL, &entry->option_archive_check));
    TRY(field_bool(object, "option-archive-copy", true, NULL, &entry->option_archive_copy));
    TRY(field_bool(object, "option-backup-standby", true, NULL, &entry->option_backup_standby));
    TRY(field_bool(object, "option-checksum-page", true, NULL, &entry->option_checksum_page));
    TRY(field_bool(object, "option-compress", true, NULL, &entry->option_compress));
    TRY(field_bool(object, "option-hardlink", true, NULL, &entry->option_hardlink));
    TRY(field_bool(object, "option-online", true, NULL, &entry->option_online));
    return 0;
}

static int
entry_parse_fields(const JsonValue *object, InfoBackupEntry *entry)
{
    if (object->type != JSON_OBJECT)
        return err_set(ERR_FORMAT, "value is not an object");
    TRY(field_u32(object, "backrest-format", &entry->backrest_format));
    TRY(field_string(object, "backrest-version", true, &entry->backrest_version));
    const JsonValue *annotation = json_object_get(object, "backup-annotation");
    if (annotation != NULL) {
        char *text = json_to_string(annotation);
        int result = json_parse(text, strlen(text), &entry->annotation); /* a deep copy */
        free(text);
        TRY(result);
    }
    TRY(field_string(object, "backup-archive-start", false, &entry->archive_start));
    TRY(field_string(object, "backup-archive-stop", false, &entry->archive_stop));
    TRY(field_bool(object, "backup-error", false, &entry->has_error, &entry->error));
    TRY(field_uint(object, "backup-info-repo-size", true, NULL, &entry->repo_size));
    TRY(field_uint(object, "backup-info-repo-size-delta", true, NULL, &entry->repo_size_delta));
    TRY(field_uint(object, "backup-info-repo-size-map", false, &entry->has_repo_size_map, &entry->repo_size_map));
    if (entry->has_repo_size_map)
        TRY(field_uint(object, "backup-info-repo-size-map-delta", true, NULL, &entry->repo_size_map_delta));
    TRY(field_uint(object, "backup-info-size", true, NULL, &entry->size));
    TRY(field_uint(object, "backup-info-size-delta", true, NULL, &entry->size_delta));
    TRY(field_string(object, "backup-lsn-start", false, &entry->lsn_start));
    TRY(field_string(object, "backup-lsn-stop", false, &entry->lsn_stop));
    TRY(field_string(object, "backup-prior", false, &entry->prior));
    TRY(field_reference(object, entry));
    TRY(field_int(object, "backup-timestamp-start", &entry->timestamp_start));
    TRY(field_int(object, "backup-timestamp-stop", &entry->timestamp_stop));
    char *type = NULL;
    TRY(field_string(object, "backup-type", true, &type));
    int parsed = backup_type_parse(type);
    free(type);
    if (parsed < 0)
        return err_set(ERR_FORMAT, "invalid 'backup-type'");
    entry->type = (BackupType)parsed;
    TRY(field_u32(object, "db-id", &entry->db_id));
    return entry_parse_options(object, entry);
}

/* The labels of a backup (its own, its prior, its references) become directory names that expire removes and restore
 * reads: each must be a backup label; its WAL range must be made of segment names. */
static int
entry_check_labels(const InfoBackupEntry *entry)
{
    const char *bad = !layout_is_backup_label(entry->label) ? entry->label : NULL;
    if (bad == NULL && entry->prior != NULL && !layout_is_backup_label(entry->prior))
        bad = entry->prior;
    for (size_t i = 0; bad == NULL && i < entry->reference_count; i++)
        if (!layout_is_backup_label(entry->reference[i]))
            bad = entry->reference[i];
    if (bad != NULL)
        return err_set(ERR_FORMAT, "'%s' is not a backup label", bad);
    /* the WAL range a backup needs: expire keeps it, archive-copy reads it */
    if (entry->archive_start != NULL && !wal_is_segment_name(entry->archive_start))
        bad = entry->archive_start;
    if (entry->archive_stop != NULL && !wal_is_segment_name(entry->archive_stop))
        bad = entry->archive_stop;
    if (bad != NULL)
        return err_set(ERR_FORMAT, "'%s' is not a WAL segment name", bad);
    return 0;
}

static int
info_backup_parse_current(const InfoFile *file, InfoBackup *info)
{
    const InfoSection *section = info_file_section(file, SECTION_CURRENT);
    if (section == NULL)
        return 0;
    info->backups = mem_calloc(section->count, sizeof(InfoBackupEntry));
    for (size_t i = 0; i < section->count; i++) {
        const InfoEntry *line = &section->entries[i];
        InfoBackupEntry *entry = &info->backups[i];
        info->backup_count = i + 1;
        entry->label = mem_strdup(line->key);
        JsonValue *json = NULL;
        TRY(info_value_parse(SECTION_CURRENT, line->key, line->value, line->value_size, &json));
        int result = entry_parse_fields(json, entry);
        json_free(json);
        if (result == 0)
            result = entry_check_labels(entry);
        if (result < 0)
            return err_context("backup '%s' in section [%s]", line->key, SECTION_CURRENT);
    }
    return 0;
}

static int
history_id_parse(const char *key, unsigned *id)
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
history_parse_fields(const JsonValue *json, InfoBackupHistory *history)
{
    unsigned control = 0;
    TRY(field_uint(json, "db-catalog-version", true, NULL, &history->catalog_version));
    TRY(field_u32(json, "db-control-version", &control));
    history->control_version = control;
    TRY(field_uint(json, "db-system-id", true, NULL, &history->system_id));
    TRY(field_string(json, "db-version", true, &history->version));
    if (!pg_version_name_valid(history->version))
        return err_set(ERR_FORMAT, "db-version '%s' is not a PostgreSQL version", history->version);
    return 0;
}

static int
info_backup_parse_history(const InfoFile *file, InfoBackup *info)
{
    const InfoSection *section = info_file_section(file, SECTION_DB_HISTORY);
    if (section == NULL || section->count == 0)
        return err_set(ERR_FORMAT, "section [%s] is missing or empty", SECTION_DB_HISTORY);
    info->history = mem_calloc(section->count, sizeof(InfoBackupHistory));
    for (size_t i = 0; i < section->count; i++) {
        const InfoEntry *line = &section->entries[i];
        InfoBackupHistory *history = &info->history[i];
        info->history_count = i + 1;
        TRY(history_id_parse(line->key, &history->id));
        JsonValue *json = NULL;
        TRY(info_value_parse(SECTION_DB_HISTORY, line->key, line->value, line->value_size, &json));
        int result = history_parse_fields(json, history);
        json_free(json);
        if (result < 0)
            return err_context("history id %s in section [%s]", line->key, SECTION_DB_HISTORY);
    }
    return 0;
}

/* [db]: the section's values gathered into one object, then read like a backup entry. */
static int
info_backup_parse_db(const InfoFile *file, InfoBackup *info)
{
    const InfoSection *section = info_file_section(file, SECTION_DB);
    if (section == NULL)
        return err_set(ERR_FORMAT, "section [%s] is missing", SECTION_DB);
    JsonValue *object = json_object();
    int result = 0;
    for (size_t i = 0; i < section->count && result == 0; i++) {
        JsonValue *value = NULL;
        result = info_value_parse(SECTION_DB, section->entries[i].key, section->entries[i].value,
                                  section->entries[i].value_size, &value);
        if (result == 0)
            json_object_set(object, section->entries[i].key, value);
    }
    unsigned control = 0;
    if (result == 0)
        result = field_uint(object, "db-catalog-version", true, NULL, &info->db_catalog_version);
    if (result == 0)
        result = field_u32(object, "db-control-version", &control);
    info->db_control_version = control;
    if (result == 0)
        result = field_u32(object, "db-id", &info->db_id);
    if (result == 0)
        result = field_uint(object, "db-system-id", true, NULL, &info->db_system_id);
    if (result == 0)
        result = field_string(object, "db-version", true, &info->db_version);
    if (result == 0 && !pg_version_name_valid(info->db_version))
        result = err_set(ERR_FORMAT, "db-version '%s' is not a PostgreSQL version", info->db_version);
    json_free(object);
    if (result < 0)
        return err_context("section [%s]", SECTION_DB);
    return 0;
}

static int
info_backup_parse_file(const InfoFile *file, InfoBackup *info)
{
    TRY(info_backup_parse_current(file, info));
    JsonValue *json = NULL;
    TRY(info_file_get_json(file, SECTION_CIPHER, "cipher-pass", false, &json));
    if (json != NULL) {
        const char *pass = NULL;
        int result = json_get_string(json, "cipher-pass", &pass);
        if (result == 0)
            info->cipher_pass = mem_strdup(pass);
        json_free(json);
        TRY(result);
    }
    TRY(info_backup_parse_db(file, info));
    return info_backup_parse_history(file, info);
}

int
info_backup_parse(const char *text, size_t size, InfoBackup *info)
{
    memset(info, 0, sizeof(*info));
    InfoFile file = INFO_FILE_INIT;
    TRY(info_file_parse(text, size, &file));
    int result = info_backup_parse_file(&file, info);
    info_file_free(&file);
    if (result < 0)
        info_backup_free(info);
    return result;
}

/* --- render --- */

static JsonValue *
entry_to_json(const InfoBackupEntry *entry)
{
    JsonValue *json = json_object();
    json_object_set(json, "backrest-format", json_uint(entry->backrest_format));
    json_object_set(json, "backrest-version", json_string(entry->backrest_version));
    if (entry->annotation != NULL) {
        char *text = json_to_string(entry->annotation);
        JsonValue *copy = NULL;
        if (json_parse(text, strlen(text), &copy) == 0) {
            json_object_sort(copy, true);
            json_object_set(json, "backup-annotation", copy);
        }
        free(text);
    }
    /* 2.45 writes null for an offline backup, which has no WAL range */
    json_object_set(json, "backup-archive-start",
                    entry->archive_start != NULL ? json_string(entry->archive_start) : json_null());
    json_object_set(json, "backup-archive-stop",
                    entry->archive_stop != NULL ? json_string(entry->archive_stop) : json_null());
    if (entry->has_error)
        json_object_set(json, "backup-error", json_bool(entry->error));
    json_object_set(json, "backup-info-repo-size", json_uint(entry->repo_size));
    json_object_set(json, "backup-info-repo-size-delta", json_uint(entry->repo_size_delta));
    if (entry->has_repo_size_map) {
        json_object_set(json, "backup-info-repo-size-map", json_uint(entry->repo_size_map));
        json_object_set(json, "backup-info-repo-size-map-delta", json_uint(entry->repo_size_map_delta));
    }
    json_object_set(json, "backup-info-size", json_uint(entry->size));
    json_object_set(json, "backup-info-size-delta", json_uint(entry->size_delta));
    if (entry->lsn_start != NULL)
        json_object_set(json, "backup-lsn-start", json_string(entry->lsn_start));
    if (entry->lsn_stop != NULL)
        json_object_set(json, "backup-lsn-stop", json_string(entry->lsn_stop));
    if (entry->prior != NULL)
        json_object_set(json, "backup-prior", json_string(entry->prior));
    if (entry->reference != NULL) {
        JsonValue *array = json_object_set(json, "backup-reference", json_array());
        for (size_t i = 0; i < entry->reference_count; i++)
            json_array_add(array, json_string(entry->reference[i]));
    }
    json_object_set(json, "backup-timestamp-start", json_int(entry->timestamp_start));
    json_object_set(json, "backup-timestamp-stop", json_int(entry->timestamp_stop));
    json_object_set(json, "backup-type", json_string(backup_type_name(entry->type)));
    json_object_set(json, "db-id", json_uint(entry->db_id));
    json_object_set(json, "option-archive-check", json_bool(entry->option_archive_check));
    json_object_set(json, "option-archive-copy", json_bool(entry->option_archive_copy));
    json_object_set(json, "option-backup-standby", json_bool(entry->option_backup_standby));
    json_object_set(json, "option-checksum-page", json_bool(entry->option_checksum_page));
    json_object_set(json, "option-compress", json_bool(entry->option_compress));
    json_object_set(json, "option-hardlink", json_bool(entry->option_hardlink));
    json_object_set(json, "option-online", json_bool(entry->option_online));
    json_object_sort(json, false);
    return json;
}

static uint32_t
control_version_for(const char *version, uint32_t stored)
{
    uint32_t derived = pg_version_control_version(version);
    return derived != 0 ? derived : stored;
}

void
info_backup_render(const InfoBackup *info, Buf *out)
{
    InfoWriter *writer = info_writer_new(out, NULL);
    info_writer_section(writer, SECTION_CURRENT);
    for (size_t i = 0; i < info->backup_count; i++) {
        JsonValue *json = entry_to_json(&info->backups[i]);
        info_writer_json(writer, info->backups[i].label, json);
        json_free(json);
    }
    if (info->cipher_pass != NULL) {
        info_writer_section(writer, SECTION_CIPHER);
        info_writer_string(writer, "cipher-pass", info->cipher_pass);
    }
    info_writer_section(writer, SECTION_DB);
    info_writer_uint(writer, "db-catalog-version", info->db_catalog_version);
    info_writer_uint(writer, "db-control-version", control_version_for(info->db_version, info->db_control_version));
    info_writer_uint(writer, "db-id", info->db_id);
    info_writer_uint(writer, "db-system-id", info->db_system_id);
    info_writer_string(writer, "db-version", info->db_version);

    info_writer_section(writer, SECTION_DB_HISTORY);
    for (size_t i = 0; i < info->history_count; i++) {
        const InfoBackupHistory *history = &info->history[i];
        JsonValue *json = json_object();
        json_object_set(json, "db-catalog-version", json_uint(history->catalog_version));
        json_object_set(json, "db-control-version",
                        json_uint(control_version_for(history->version, history->control_version)));
        json_object_set(json, "db-system-id", json_uint(history->system_id));
        json_object_set(json, "db-version", json_string(history->version));
        char key[16];
        snprintf(key, sizeof(key), "%u", history->id);
        info_writer_json(writer, key, json);
        json_free(json);
    }
    info_writer_finish(writer);
}

/* --- edits --- */

const InfoBackupEntry *
info_backup_find(const InfoBackup *info, const char *label)
{
    for (size_t i = 0; i < info->backup_count; i++)
        if (strcmp(info->backups[i].label, label) == 0)
            return &info->backups[i];
    return NULL;
}

void
info_backup_add(InfoBackup *info, InfoBackupEntry *entry)
{
    size_t index = 0;
    while (index < info->backup_count && strcmp(info->backups[index].label, entry->label) < 0)
        index++;
    if (index < info->backup_count && strcmp(info->backups[index].label, entry->label) == 0) {
        info_backup_entry_free(&info->backups[index]);
        info->backups[index] = *entry;
    } else {
        info->backups = mem_realloc(info->backups, (info->backup_count + 1) * sizeof(InfoBackupEntry));
        memmove(&info->backups[index + 1], &info->backups[index],
                (info->backup_count - index) * sizeof(InfoBackupEntry));
        info->backups[index] = *entry;
        info->backup_count++;
    }
    memset(entry, 0, sizeof(*entry));
}

bool
info_backup_remove(InfoBackup *info, const char *label)
{
    for (size_t i = 0; i < info->backup_count; i++) {
        if (strcmp(info->backups[i].label, label) == 0) {
            info_backup_entry_free(&info->backups[i]);
            memmove(&info->backups[i], &info->backups[i + 1], (info->backup_count - i - 1) * sizeof(InfoBackupEntry));
            info->backup_count--;
            return true;
        }
    }
    return false;
}

const InfoBackupHistory *
info_backup_current(const InfoBackup *info)
{
    for (size_t i = info->history_count; i > 0; i--)
        if (info->history[i - 1].id == info->db_id)
            return &info->history[i - 1];
    return NULL;
}

void
info_backup_history_add(InfoBackup *info, uint64_t system_id, const char *version, uint64_t catalog_version,
                        uint32_t control_version)
{
    unsigned id = info->history_count > 0 ? info->history[info->history_count - 1].id + 1 : 1;
    info->history = mem_realloc(info->history, (info->history_count + 1) * sizeof(InfoBackupHistory));
    InfoBackupHistory *history = &info->history[info->history_count++];
    history->id = id;
    history->catalog_version = catalog_version;
    history->control_version = control_version;
    history->system_id = system_id;
    history->version = mem_strdup(version);
    info->db_id = id;
    info->db_catalog_version = catalog_version;
    info->db_control_version = control_version;
    info->db_system_id = system_id;
    free(info->db_version);
    info->db_version = mem_strdup(version);
}

void
info_backup_entry_free(InfoBackupEntry *entry)
{
    free(entry->label);
    free(entry->backrest_version);
    json_free(entry->annotation);
    free(entry->archive_start);
    free(entry->archive_stop);
    free(entry->lsn_start);
    free(entry->lsn_stop);
    free(entry->prior);
    for (size_t i = 0; i < entry->reference_count; i++)
        free(entry->reference[i]);
    free(entry->reference);
    memset(entry, 0, sizeof(*entry));
}

void
info_backup_free(InfoBackup *info)
{
    for (size_t i = 0; i < info->backup_count; i++)
        info_backup_entry_free(&info->backups[i]);
    free(info->backups);
    free(info->cipher_pass);
    free(info->db_version);
    for (size_t i = 0; i < info->history_count; i++)
        free(info->history[i].version);
    free(info->history);
    memset(info, 0, sizeof(*info));
}

/* --- storage --- */

static int
info_backup_load_text(void *context, const char *text, size_t size)
{
    return info_backup_parse(text, size, context);
}

int
info_backup_load(Storage *storage, const char *path, CipherType cipher_type, const char *pass, InfoBackup *info)
{
    memset(info, 0, sizeof(*info));
    if (info_file_load(storage, path, cipher_type, pass, info_backup_load_text, info) < 0)
        return err_hint("backup.info cannot be opened and is required to perform a backup.\n"
                        "HINT: has a stanza-create been performed?");
    return 0;
}

int
info_backup_save(Storage *storage, const char *path, CipherType cipher_type, const char *pass,
                 const InfoBackup *info)
{
    Buf text = BUF_INIT;
    info_backup_render(info, &text);
    int result = info_file_save(storage, path, cipher_type, pass, &text, false);
    buf_free(&text);
    return result;
}
