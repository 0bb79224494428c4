/* manifest: backup.manifest load and save (see manifest.h). */
#include "engine/repo/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/pg/version.h"
#include "engine/pg/wal.h"
#include "engine/repo/info_file.h"
#include "engine/repo/layout.h"

#define SECTION_BACKUP "backup"
#define SECTION_BACKUP_DB "backup:db"
#define SECTION_BACKUP_OPTION "backup:option"
#define SECTION_BACKUP_TARGET "backup:target"
#define SECTION_CIPHER "cipher"
#define SECTION_DB "db"
#define SECTION_METADATA "metadata"
#define SECTION_FILE "target:file"
#define SECTION_FILE_DEFAULT "target:file:default"
#define SECTION_LINK "target:link"
#define SECTION_LINK_DEFAULT "target:link:default"
#define SECTION_PATH "target:path"
#define SECTION_PATH_DEFAULT "target:path:default"

/* --- small helpers --- */

const char *
manifest_intern(Manifest *manifest, const char *text)
{
    for (size_t i = 0; i < manifest->string_count; i++)
        if (strcmp(manifest->strings[i], text) == 0)
            return manifest->strings[i];
    manifest->strings = mem_realloc(manifest->strings, (manifest->string_count + 1) * sizeof(char *));
    manifest->strings[manifest->string_count] = mem_strdup(text);
    return manifest->strings[manifest->string_count++];
}

static void *
array_grow(void *array, size_t count, size_t size)
{
    /* Grow by doubling at powers of two: count is the number of elements already present. */
    if (count == 0 || (count & (count - 1)) == 0)
        return mem_realloc(array, (count == 0 ? 1 : count * 2) * size);
    return array;
}

static int
value_string(const JsonValue *value, const char *key, char **out)
{
    const char *text = NULL;
    TRY(json_get_string(value, key, &text));
    free(*out);
    *out = mem_strdup(text);
    return 0;
}

static int
value_owner(Manifest *manifest, const JsonValue *value, const char *key, ManifestOwner *owner)
{
    if (value == NULL) {
        owner->kind = MANIFEST_OWNER_DEFAULT;
        owner->name = NULL;
        return 0;
    }
    if (value->type == JSON_BOOL && !value->u.boolean) {
        owner->kind = MANIFEST_OWNER_UNKNOWN;
        owner->name = NULL;
        return 0;
    }
    const char *name = NULL;
    TRY(json_get_string(value, key, &name));
    owner->kind = MANIFEST_OWNER_NAME;
    owner->name = manifest_intern(manifest, name);
    return 0;
}

static int
value_mode(const JsonValue *value, int *mode)
{
    if (value == NULL) {
        *mode = MANIFEST_MODE_DEFAULT;
        return 0;
    }
    const char *text = NULL;
    TRY(json_get_string(value, "mode", &text));
    char *end = NULL;
    long parsed = strtol(text, &end, 8);
    if (*text == '\0' || *end != '\0' || parsed < 0 || parsed > 07777)
        return err_set(ERR_FORMAT, "invalid mode '%s'", text);
    *mode = (int)parsed;
    return 0;
}

static int
value_checksum(const JsonValue *value, const char *key, char out[41], bool *present)
{
    const char *text = NULL;
    TRY(json_get_string(value, key, &text));
    if (strlen(text) != 40)
        return err_set(ERR_FORMAT, "'%s' must be 40 hex characters", key);
    memcpy(out, text, 41);
    *present = true;
    return 0;
}

/* --- load: one handler per section --- */

/* A manifest name must stay inside the backup's targets: restore writes it under pg1-path (or a tablespace) and reads
 * it under the backup's directory, so "pg_data/../../etc/x" or an empty, "." or ".." component is refused (the
 * parser's context names the entry and its section). */
static int
check_name(const char *name)
{
    bool in_target = strcmp(name, "pg_data") == 0 || strcmp(name, "pg_tblspc") == 0 ||
                     strncmp(name, "pg_data/", 8) == 0 || strncmp(name, "pg_tblspc/", 10) == 0;
    for (const char *component = name; in_target; component++) {
        size_t length = strcspn(component, "/");
        if (length == 0 || (length == 1 && component[0] == '.') ||
            (length == 2 && component[0] == '.' && component[1] == '.'))
            in_target = false;
        component += length;
        if (*component == '\0')
            break;
    }
    if (!in_target)
        return err_set(ERR_FORMAT, "not a path inside pg_data or pg_tblspc");
    return 0;
}

/* A label the manifest names (its own, its prior, a reference) must be a backup label: it becomes a directory name. */
static int
check_label(const char *what, const char *label)
{
    if (!layout_is_backup_label(label))
        return err_set(ERR_FORMAT, "%s '%s' is not a backup label", what, label);
    return 0;
}

/* backup-archive-start/stop: the WAL range a backup needs, which expire keeps and archive-copy reads. */
static int
check_segment(const char *what, const char *segment)
{
    if (segment != NULL && !wal_is_segment_name(segment))
        return err_set(ERR_FORMAT, "%s '%s' is not a WAL segment name", what, segment);
    return 0;
}

/* backup-reference: labels joined by ','. */
static int
check_reference_list(const char *list)
{
    char *copy = mem_strdup(list);
    int result = 0;
    for (char *label = copy, *next; result == 0 && label != NULL; label = next) {
        next = strchr(label, ',');
        if (next != NULL)
            *next++ = '\0';
        result = check_label("backup-reference", label);
    }
    free(copy);
    return result;
}

static int
parse_backup(Manifest *manifest, const char *key, const JsonValue *value)
{
    ManifestBackup *backup = &manifest->backup;
    if (strcmp(key, "backup-archive-start") == 0) {
        TRY(value_string(value, key, &backup->archive_start));
        return check_segment(key, backup->archive_start);
    }
    if (strcmp(key, "backup-archive-stop") == 0) {
        TRY(value_string(value, key, &backup->archive_stop));
        return check_segment(key, backup->archive_stop);
    }
    if (strcmp(key, "backup-block-incr") == 0)
        return json_get_bool(value, key, &backup->block_incr);
    if (strcmp(key, "backup-bundle") == 0)
        return json_get_bool(value, key, &backup->bundle);
    if (strcmp(key, "backup-bundle-raw") == 0)
        return json_get_bool(value, key, &backup->bundle_raw);
    if (strcmp(key, "backup-label") == 0) {
        TRY(value_string(value, key, &backup->label));
        return check_label(key, backup->label);
    }
    if (strcmp(key, "backup-lsn-start") == 0)
        return value_string(value, key, &backup->lsn_start);
    if (strcmp(key, "backup-lsn-stop") == 0)
        return value_string(value, key, &backup->lsn_stop);
    if (strcmp(key, "backup-prior") == 0) {
        TRY(value_string(value, key, &backup->prior));
        return check_label(key, backup->prior);
    }
    if (strcmp(key, "backup-reference") == 0) {
        TRY(value_string(value, key, &backup->reference));
        return check_reference_list(backup->reference);
    }
    if (strcmp(key, "backup-timestamp-copy-start") == 0)
        return json_get_int64(value, key, &backup->timestamp_copy_start);
    if (strcmp(key, "backup-timestamp-start") == 0)
        return json_get_int64(value, key, &backup->timestamp_start);
    if (strcmp(key, "backup-timestamp-stop") == 0)
        return json_get_int64(value, key, &backup->timestamp_stop);
    if (strcmp(key, "backup-type") == 0) {
        const char *text = NULL;
        TRY(json_get_string(value, key, &text));
        int type = backup_type_parse(text);
        if (type < 0)
            return err_set(ERR_FORMAT, "invalid backup-type '%s'", text);
        backup->type = (BackupType)type;
    }
    return 0;
}

static int
parse_backup_db(Manifest *manifest, const char *key, const JsonValue *value)
{
    ManifestBackupDb *db = &manifest->db_info;
    uint64_t number = 0;
    if (strcmp(key, "db-catalog-version") == 0)
        return json_get_uint64(value, key, &db->catalog_version);
    if (strcmp(key, "db-control-version") == 0) {
        TRY(json_get_uint64(value, key, &number));
        db->control_version = (uint32_t)number;
    } else if (strcmp(key, "db-id") == 0) {
        TRY(json_get_uint64(value, key, &number));
        db->id = (unsigned)number;
    } else if (strcmp(key, "db-system-id") == 0) {
        return json_get_uint64(value, key, &db->system_id);
    } else if (strcmp(key, "db-version") == 0) {
        return value_string(value, key, &db->version);
    }
    return 0;
}

static int
parse_option(Manifest *manifest, const char *key, const JsonValue *value)
{
    ManifestOptions *options = &manifest->options;
    if (strcmp(key, "option-archive-check") == 0)
        return json_get_bool(value, key, &options->archive_check);
    if (strcmp(key, "option-archive-copy") == 0)
        return json_get_bool(value, key, &options->archive_copy);
    if (strcmp(key, "option-backup-standby") == 0) {
        options->has_backup_standby = true;
        return json_get_bool(value, key, &options->backup_standby);
    }
    if (strcmp(key, "option-buffer-size") == 0) {
        options->has_buffer_size = true;
        return json_get_uint64(value, key, &options->buffer_size);
    }
    if (strcmp(key, "option-checksum-page") == 0) {
        options->has_checksum_page = true;
        return json_get_bool(value, key, &options->checksum_page);
    }
    if (strcmp(key, "option-compress") == 0)
        return json_get_bool(value, key, &options->compress);
    if (strcmp(key, "option-compress-level") == 0) {
        options->has_compress_level = true;
        return json_get_int64(value, key, &options->compress_level);
    }
    if (strcmp(key, "option-compress-level-network") == 0) {
        options->has_compress_level_network = true;
        return json_get_int64(value, key, &options->compress_level_network);
    }
    if (strcmp(key, "option-compress-type") == 0)
        return value_string(value, key, &options->compress_type);
    if (strcmp(key, "option-delta") == 0) {
        options->has_delta = true;
        return json_get_bool(value, key, &options->delta);
    }
    if (strcmp(key, "option-hardlink") == 0)
        return json_get_bool(value, key, &options->hardlink);
    if (strcmp(key, "option-online") == 0)
        return json_get_bool(value, key, &options->online);
    if (strcmp(key, "option-process-max") == 0) {
        options->has_process_max = true;
        return json_get_uint64(value, key, &options->process_max);
    }
    return 0;
}

static int
parse_target(Manifest *manifest, const char *key, const JsonValue *value)
{
    TRY(check_name(key));
    manifest->targets = array_grow(manifest->targets, manifest->target_count, sizeof(ManifestTarget));
    ManifestTarget *target = &manifest->targets[manifest->target_count++];
    memset(target, 0, sizeof(*target));
    target->name = mem_strdup(key);
    const JsonValue *field;
    if ((field = json_object_get(value, "file")) != NULL)
        TRY(value_string(field, "file", &target->file));
    TRY(value_string(json_object_get(value, "path"), "path", &target->path));
    if ((field = json_object_get(value, "tablespace-id")) != NULL) {
        TRY(value_string(field, "tablespace-id", &target->tablespace_id));
        size_t digits = strspn(target->tablespace_id, "0123456789");
        if (digits == 0 || target->tablespace_id[digits] != '\0')
            return err_set(ERR_FORMAT, "tablespace-id '%s' is not an oid", target->tablespace_id);
    }
    if ((field = json_object_get(value, "tablespace-name")) != NULL)
        TRY(value_string(field, "tablespace-name", &target->tablespace_name));
    return value_string(json_object_get(value, "type"), "type", &target->type);
}

static int
parse_db(Manifest *manifest, const char *key, const JsonValue *value)
{
    manifest->dbs = array_grow(manifest->dbs, manifest->db_count, sizeof(ManifestDb));
    ManifestDb *db = &manifest->dbs[manifest->db_count++];
    memset(db, 0, sizeof(*db));
    db->name = mem_strdup(key);
    TRY(json_get_uint64(json_object_get(value, "db-id"), "db-id", &db->id));
    return json_get_uint64(json_object_get(value, "db-last-system-id"), "db-last-system-id", &db->last_system_id);
}

static int
parse_file_optional(Manifest *manifest, const JsonValue *value, ManifestFile *file)
{
    const JsonValue *field;
    if ((field = json_object_get(value, "bi")) != NULL)
        TRY(json_get_uint64(field, "bi", &file->block_incr_size));
    if ((field = json_object_get(value, "bic")) != NULL)
        TRY(json_get_uint64(field, "bic", &file->block_incr_checksum_size));
    if ((field = json_object_get(value, "bim")) != NULL)
        TRY(json_get_uint64(field, "bim", &file->block_incr_map_size));
    if ((field = json_object_get(value, "bni")) != NULL)
        TRY(json_get_uint64(field, "bni", &file->bundle_id));
    if ((field = json_object_get(value, "bno")) != NULL)
        TRY(json_get_uint64(field, "bno", &file->bundle_offset));
    if ((field = json_object_get(value, "checksum")) != NULL)
        TRY(value_checksum(field, "checksum", file->checksum, &file->has_checksum));
    if ((field = json_object_get(value, "checksum-page")) != NULL) {
        file->checksum_page_checked = true;
        TRY(json_get_bool(field, "checksum-page", &file->checksum_page));
    }
    if ((field = json_object_get(value, "checksum-page-error")) != NULL) {
        if (field->type != JSON_ARRAY)
            return err_set(ERR_FORMAT, "'checksum-page-error' must be an array");
        char *text = json_to_string(field);
        int result = json_parse(text, strlen(text), &file->checksum_page_error);
        free(text);
        TRY(result);
    }
    TRY(value_owner(manifest, json_object_get(value, "group"), "group", &file->group));
    TRY(value_mode(json_object_get(value, "mode"), &file->mode));
    if ((field = json_object_get(value, "rck")) != NULL)
        TRY(value_checksum(field, "rck", file->repo_checksum, &file->has_repo_checksum));
    if ((field = json_object_get(value, "reference")) != NULL) {
        const char *label = NULL;
        TRY(json_get_string(field, "reference", &label));
        TRY(check_label("reference", label));
        file->reference = manifest_intern(manifest, label);
    }
    if ((field = json_object_get(value, "szo")) != NULL)
        TRY(json_get_uint64(field, "szo", &file->size_original));
    return value_owner(manifest, json_object_get(value, "user"), "user", &file->user);
}

static int
parse_file(Manifest *manifest, const char *key, const JsonValue *value)
{
    TRY(check_name(key));
    ManifestFile *file = manifest_file_add(manifest, key);
    TRY(json_get_uint64(json_object_get(value, "size"), "size", &file->size));
    TRY(json_get_int64(json_object_get(value, "timestamp"), "timestamp", &file->timestamp));
    file->repo_size = file->size;
    const JsonValue *repo_size = json_object_get(value, "repo-size");
    if (repo_size != NULL)
        TRY(json_get_uint64(repo_size, "repo-size", &file->repo_size));
    return parse_file_optional(manifest, value, file);
}

static int
parse_path(Manifest *manifest, const char *key, const JsonValue *value)
{
    TRY(check_name(key));
    manifest->paths = array_grow(manifest->paths, manifest->path_count, sizeof(ManifestPath));
    ManifestPath *path = &manifest->paths[manifest->path_count++];
    memset(path, 0, sizeof(*path));
    path->name = mem_strdup(key);
    TRY(value_owner(manifest, json_object_get(value, "group"), "group", &path->group));
    TRY(value_mode(json_object_get(value, "mode"), &path->mode));
    return value_owner(manifest, json_object_get(value, "user"), "user", &path->user);
}

static int
parse_link(Manifest *manifest, const char *key, const JsonValue *value)
{
    TRY(check_name(key));
    manifest->links = array_grow(manifest->links, manifest->link_count, sizeof(ManifestLink));
    ManifestLink *link = &manifest->links[manifest->link_count++];
    memset(link, 0, sizeof(*link));
    link->name = mem_strdup(key);
    TRY(value_string(json_object_get(value, "destination"), "destination", &link->destination));
    TRY(value_owner(manifest, json_object_get(value, "group"), "group", &link->group));
    return value_owner(manifest, json_object_get(value, "user"), "user", &link->user);
}

static int
parse_default(Manifest *manifest, ManifestDefaults *defaults, const char *key, const JsonValue *value)
{
    /* other keys are ignored and do not make the section present: a section without group, mode or user renders
     * as no section at all, and a manifest must read back as it was written */
    if (strcmp(key, "group") != 0 && strcmp(key, "user") != 0 && strcmp(key, "mode") != 0)
        return 0;
    if (!defaults->present) {
        defaults->present = true;
        defaults->mode = MANIFEST_MODE_DEFAULT;
    }
    if (strcmp(key, "group") == 0)
        return value_owner(manifest, value, key, &defaults->group);
    if (strcmp(key, "user") == 0)
        return value_owner(manifest, value, key, &defaults->user);
    if (strcmp(key, "mode") == 0)
        return value_mode(value, &defaults->mode);
    return 0;
}

static int
parse_entry_value(Manifest *manifest, const char *section, const char *key, const JsonValue *value)
{
    if (strcmp(section, SECTION_FILE) == 0)
        return parse_file(manifest, key, value);
    if (strcmp(section, SECTION_PATH) == 0)
        return parse_path(manifest, key, value);
    if (strcmp(section, SECTION_BACKUP) == 0)
        return parse_backup(manifest, key, value);
    if (strcmp(section, SECTION_BACKUP_DB) == 0)
        return parse_backup_db(manifest, key, value);
    if (strcmp(section, SECTION_BACKUP_OPTION) == 0)
        return parse_option(manifest, key, value);
    if (strcmp(section, SECTION_BACKUP_TARGET) == 0)
        return parse_target(manifest, key, value);
    if (strcmp(section, SECTION_CIPHER) == 0 && strcmp(key, "cipher-pass") == 0)
        return value_string(value, key, &manifest->cipher_pass);
    if (strcmp(section, SECTION_DB) == 0)
        return parse_db(manifest, key, value);
    if (strcmp(section, SECTION_METADATA) == 0 && strcmp(key, "annotation") == 0) {
        char *text = json_to_string(value);
        int result = json_parse(text, strlen(text), &manifest->annotation);
        free(text);
        return result;
    }
    if (strcmp(section, SECTION_LINK) == 0)
        return parse_link(manifest, key, value);
    if (strcmp(section, SECTION_FILE_DEFAULT) == 0)
        return parse_default(manifest, &manifest->file_default, key, value);
    if (strcmp(section, SECTION_PATH_DEFAULT) == 0)
        return parse_default(manifest, &manifest->path_default, key, value);
    if (strcmp(section, SECTION_LINK_DEFAULT) == 0)
        return parse_default(manifest, &manifest->link_default, key, value);
    if (strcmp(section, INFO_SECTION_BACKREST) == 0 && strcmp(key, INFO_KEY_VERSION) == 0)
        return value_string(value, key, &manifest->backrest_version);
    return 0;
}

static int
parse_entry(void *context, const char *section, const char *key, const char *value, size_t value_size)
{
    Manifest *manifest = context;
    JsonValue *json = NULL;
    TRY(info_value_parse(section, key, value, value_size, &json));
    int result = parse_entry_value(manifest, section, key, json);
    json_free(json);
    if (result < 0)
        return err_context("'%s' in section [%s]", key, section);
    return 0;
}

static int
manifest_parse_check(const Manifest *manifest)
{
    if (manifest->backup.label == NULL || manifest->backup.reference == NULL)
        return err_set(ERR_FORMAT, "section [%s] lacks backup-label or backup-reference", SECTION_BACKUP);
    if (manifest->db_info.version == NULL)
        return err_set(ERR_FORMAT, "section [%s] lacks db-version", SECTION_BACKUP_DB);
    if (!manifest->file_default.present || !manifest->path_default.present)
        return err_set(ERR_FORMAT, "sections [%s] and [%s] are required", SECTION_FILE_DEFAULT, SECTION_PATH_DEFAULT);
    return 0;
}

int
manifest_parse(const char *text, size_t size, Manifest *manifest)
{
    memset(manifest, 0, sizeof(*manifest));
    int result = info_parse(text, size, parse_entry, manifest);
    if (result == 0)
        result = manifest_parse_check(manifest);
    if (result < 0)
        manifest_free(manifest);
    return result;
}

/* --- save --- */

static void
json_set_owner(JsonValue *object, const char *key, ManifestOwner owner)
{
    if (owner.kind == MANIFEST_OWNER_NAME)
        json_object_set(object, key, json_string(owner.name));
    else if (owner.kind == MANIFEST_OWNER_UNKNOWN)
        json_object_set(object, key, json_bool(false));
}

static void
json_set_mode(JsonValue *object, int mode)
{
    if (mode != MANIFEST_MODE_DEFAULT) {
        char text[16];
        snprintf(text, sizeof(text), "%04o", (unsigned)mode & 07777);
        json_object_set(object, "mode", json_string(text));
    }
}

static void
render_backup(InfoWriter *writer, const ManifestBackup *backup)
{
    info_writer_section(writer, SECTION_BACKUP);
    if (backup->archive_start != NULL)
        info_writer_string(writer, "backup-archive-start", backup->archive_start);
    if (backup->archive_stop != NULL)
        info_writer_string(writer, "backup-archive-stop", backup->archive_stop);
    if (backup->block_incr)
        info_writer_bool(writer, "backup-block-incr", true);
    if (backup->bundle)
        info_writer_bool(writer, "backup-bundle", true);
    if (backup->bundle && backup->bundle_raw)
        info_writer_bool(writer, "backup-bundle-raw", true);
    info_writer_string(writer, "backup-label", backup->label);
    if (backup->lsn_start != NULL)
        info_writer_string(writer, "backup-lsn-start", backup->lsn_start);
    if (backup->lsn_stop != NULL)
        info_writer_string(writer, "backup-lsn-stop", backup->lsn_stop);
    if (backup->prior != NULL)
        info_writer_string(writer, "backup-prior", backup->prior);
    info_writer_string(writer, "backup-reference", backup->reference);
    info_writer_int(writer, "backup-timestamp-copy-start", backup->timestamp_copy_start);
    info_writer_int(writer, "backup-timestamp-start", backup->timestamp_start);
    info_writer_int(writer, "backup-timestamp-stop", backup->timestamp_stop);
    info_writer_string(writer, "backup-type", backup_type_name(backup->type));
}

static void
render_backup_db(InfoWriter *writer, const ManifestBackupDb *db)
{
    uint32_t control = pg_version_control_version(db->version);
    info_writer_section(writer, SECTION_BACKUP_DB);
    info_writer_uint(writer, "db-catalog-version", db->catalog_version);
    info_writer_uint(writer, "db-control-version", control != 0 ? control : db->control_version);
    info_writer_uint(writer, "db-id", db->id);
    info_writer_uint(writer, "db-system-id", db->system_id);
    info_writer_string(writer, "db-version", db->version);
}

static void
render_options(InfoWriter *writer, const ManifestOptions *options)
{
    info_writer_section(writer, SECTION_BACKUP_OPTION);
    info_writer_bool(writer, "option-archive-check", options->archive_check);
    info_writer_bool(writer, "option-archive-copy", options->archive_copy);
    if (options->has_backup_standby)
        info_writer_bool(writer, "option-backup-standby", options->backup_standby);
    if (options->has_buffer_size)
        info_writer_uint(writer, "option-buffer-size", options->buffer_size);
    if (options->has_checksum_page)
        info_writer_bool(writer, "option-checksum-page", options->checksum_page);
    info_writer_bool(writer, "option-compress", options->compress);
    if (options->has_compress_level)
        info_writer_int(writer, "option-compress-level", options->compress_level);
    if (options->has_compress_level_network)
        info_writer_int(writer, "option-compress-level-network", options->compress_level_network);
    if (options->compress_type != NULL)
        info_writer_string(writer, "option-compress-type", options->compress_type);
    if (options->has_delta)
        info_writer_bool(writer, "option-delta", options->delta);
    info_writer_bool(writer, "option-hardlink", options->hardlink);
    info_writer_bool(writer, "option-online", options->online);
    if (options->has_process_max)
        info_writer_uint(writer, "option-process-max", options->process_max);
}

static void
render_targets(InfoWriter *writer, const Manifest *manifest)
{
    info_writer_section(writer, SECTION_BACKUP_TARGET);
    for (size_t i = 0; i < manifest->target_count; i++) {
        const ManifestTarget *target = &manifest->targets[i];
        JsonValue *json = json_object();
        if (target->file != NULL)
            json_object_set(json, "file", json_string(target->file));
        json_object_set(json, "path", json_string(target->path));
        if (target->tablespace_id != NULL)
            json_object_set(json, "tablespace-id", json_string(target->tablespace_id));
        if (target->tablespace_name != NULL)
            json_object_set(json, "tablespace-name", json_string(target->tablespace_name));
        json_object_set(json, "type", json_string(target->type));
        info_writer_json(writer, target->name, json);
        json_free(json);
    }
}

static void
render_dbs(InfoWriter *writer, const Manifest *manifest)
{
    info_writer_section(writer, SECTION_DB);
    for (size_t i = 0; i < manifest->db_count; i++) {
        JsonValue *json = json_object();
        json_object_set(json, "db-id", json_uint(manifest->dbs[i].id));
        json_object_set(json, "db-last-system-id", json_uint(manifest->dbs[i].last_system_id));
        info_writer_json(writer, manifest->dbs[i].name, json);
        json_free(json);
    }
}

/* One file line, keys in the order of spec 3.9 (already byte order). Written into `out` directly. */
static void
render_file_value(const ManifestFile *file, Buf *out)
{
    JsonValue *json = json_object();
    if (file->block_incr_size != 0)
        json_object_set(json, "bi", json_uint(file->block_incr_size));
    if (file->block_incr_checksum_size != 0)
        json_object_set(json, "bic", json_uint(file->block_incr_checksum_size));
    if (file->block_incr_map_size != 0)
        json_object_set(json, "bim", json_uint(file->block_incr_map_size));
    if (file->bundle_id != 0)
        json_object_set(json, "bni", json_uint(file->bundle_id));
    if (file->bundle_offset != 0)
        json_object_set(json, "bno", json_uint(file->bundle_offset));
    if (file->has_checksum)
        json_object_set(json, "checksum", json_string(file->checksum));
    if (file->checksum_page_checked)
        json_object_set(json, "checksum-page", json_bool(file->checksum_page));
    if (file->checksum_page_error != NULL) {
        char *text = json_to_string(file->checksum_page_error);
        JsonValue *copy = NULL;
        if (json_parse(text, strlen(text), &copy) == 0)
            json_object_set(json, "checksum-page-error", copy);
        free(text);
    }
    json_set_owner(json, "group", file->group);
    json_set_mode(json, file->mode);
    if (file->has_repo_checksum)
        json_object_set(json, "rck", json_string(file->repo_checksum));
    if (file->reference != NULL)
        json_object_set(json, "reference", json_string(file->reference));
    if (file->repo_size != file->size)
        json_object_set(json, "repo-size", json_uint(file->repo_size));
    json_object_set(json, "size", json_uint(file->size));
    json_object_set(json, "timestamp", json_int(file->timestamp));
    json_set_owner(json, "user", file->user);
    json_write(out, json);
    json_free(json);
}

static void
render_files(InfoWriter *writer, const Manifest *manifest)
{
    Buf value = BUF_INIT;
    info_writer_section(writer, SECTION_FILE);
    for (size_t i = 0; i < manifest->file_count; i++) {
        buf_clear(&value);
        render_file_value(&manifest->files[i], &value);
        info_writer_raw(writer, manifest->files[i].name, (const char *)value.data, value.size);
    }
    buf_free(&value);
}

static void
render_default(InfoWriter *writer, const char *section, const ManifestDefaults *defaults)
{
    if (!defaults->present)
        return;
    info_writer_section(writer, section);
    JsonValue *json = json_object();
    json_set_owner(json, "group", defaults->group);
    json_set_mode(json, defaults->mode);
    json_set_owner(json, "user", defaults->user);
    for (size_t i = 0; i < json->u.object.count; i++)
        info_writer_json(writer, json->u.object.keys[i], json->u.object.values[i]);
    json_free(json);
}

static void
render_links_paths(InfoWriter *writer, const Manifest *manifest)
{
    info_writer_section(writer, SECTION_LINK);
    for (size_t i = 0; i < manifest->link_count; i++) {
        const ManifestLink *link = &manifest->links[i];
        JsonValue *json = json_object();
        json_object_set(json, "destination", json_string(link->destination));
        json_set_owner(json, "group", link->group);
        json_set_owner(json, "user", link->user);
        info_writer_json(writer, link->name, json);
        json_free(json);
    }
    render_default(writer, SECTION_LINK_DEFAULT, &manifest->link_default);

    info_writer_section(writer, SECTION_PATH);
    for (size_t i = 0; i < manifest->path_count; i++) {
        const ManifestPath *path = &manifest->paths[i];
        JsonValue *json = json_object();
        json_set_owner(json, "group", path->group);
        json_set_mode(json, path->mode);
        json_set_owner(json, "user", path->user);
        info_writer_json(writer, path->name, json);
        json_free(json);
    }
    render_default(writer, SECTION_PATH_DEFAULT, &manifest->path_default);
}

void
manifest_render(const Manifest *manifest, Buf *out)
{
    InfoWriter *writer = info_writer_new(out, manifest->backrest_version);
    render_backup(writer, &manifest->backup);
    render_backup_db(writer, &manifest->db_info);
    render_options(writer, &manifest->options);
    render_targets(writer, manifest);
    if (manifest->cipher_pass != NULL) {
        info_writer_section(writer, SECTION_CIPHER);
        info_writer_string(writer, "cipher-pass", manifest->cipher_pass);
    }
    render_dbs(writer, manifest);
    if (manifest->annotation != NULL) {
        info_writer_section(writer, SECTION_METADATA);
        info_writer_json(writer, "annotation", manifest->annotation);
    }
    render_files(writer, manifest);
    render_default(writer, SECTION_FILE_DEFAULT, &manifest->file_default);
    render_links_paths(writer, manifest);
    info_writer_finish(writer);
}

/* --- files, sorting --- */

ManifestFile *
manifest_file_add(Manifest *manifest, const char *name)
{
    if (manifest->file_count == manifest->file_cap) {
        manifest->file_cap = manifest->file_cap ? manifest->file_cap * 2 : 256;
        manifest->files = mem_realloc(manifest->files, manifest->file_cap * sizeof(ManifestFile));
    }
    ManifestFile *file = &manifest->files[manifest->file_count++];
    memset(file, 0, sizeof(*file));
    file->name = mem_strdup(name);
    file->mode = MANIFEST_MODE_DEFAULT;
    return file;
}

static int
compare_file(const void *a, const void *b)
{
    return strcmp(((const ManifestFile *)a)->name, ((const ManifestFile *)b)->name);
}

static int
compare_path(const void *a, const void *b)
{
    return strcmp(((const ManifestPath *)a)->name, ((const ManifestPath *)b)->name);
}

static int
compare_link(const void *a, const void *b)
{
    return strcmp(((const ManifestLink *)a)->name, ((const ManifestLink *)b)->name);
}

void
manifest_sort(Manifest *manifest)
{
    if (manifest->file_count > 1)
        qsort(manifest->files, manifest->file_count, sizeof(ManifestFile), compare_file);
    if (manifest->path_count > 1)
        qsort(manifest->paths, manifest->path_count, sizeof(ManifestPath), compare_path);
    if (manifest->link_count > 1)
        qsort(manifest->links, manifest->link_count, sizeof(ManifestLink), compare_link);
}

const ManifestFile *
manifest_file_find(const Manifest *manifest, const char *name)
{
    if (manifest->file_count == 0)
        return NULL;
    ManifestFile key = {.name = (char *)name};
    return bsearch(&key, manifest->files, manifest->file_count, sizeof(ManifestFile), compare_file);
}

int
manifest_file_page_errors(const ManifestFile *file, uint64_t **pages, size_t *count)
{
    *pages = NULL;
    *count = 0;
    if (file->checksum_page_error == NULL)
        return 0;
    size_t cap = 0;
    const JsonValue *list = file->checksum_page_error;
    for (size_t i = 0; i < list->u.array.count; i++) {
        const JsonValue *item = list->u.array.items[i];
        uint64_t first = 0, last = 0;
        if (item->type == JSON_ARRAY && item->u.array.count == 2) {
            if (json_get_uint64(item->u.array.items[0], "checksum-page-error", &first) < 0 ||
                json_get_uint64(item->u.array.items[1], "checksum-page-error", &last) < 0 || last < first)
                goto fail;
        } else if (json_get_uint64(item, "checksum-page-error", &first) == 0) {
            last = first;
        } else {
            goto fail;
        }
        for (uint64_t page = first; page <= last; page++) {
            if (*count == cap) {
                cap = cap ? cap * 2 : 8;
                *pages = mem_realloc(*pages, cap * sizeof(uint64_t));
            }
            (*pages)[(*count)++] = page;
        }
    }
    return 0;

fail:
    free(*pages);
    *pages = NULL;
    *count = 0;
    return err_set(ERR_FORMAT, "invalid checksum-page-error of '%s'", file->name);
}

/* --- free --- */

static void
manifest_free_lists(Manifest *manifest)
{
    for (size_t i = 0; i < manifest->target_count; i++) {
        ManifestTarget *target = &manifest->targets[i];
        free(target->name);
        free(target->path);
        free(target->file);
        free(target->tablespace_id);
        free(target->tablespace_name);
        free(target->type);
    }
    free(manifest->targets);
    for (size_t i = 0; i < manifest->db_count; i++)
        free(manifest->dbs[i].name);
    free(manifest->dbs);
    for (size_t i = 0; i < manifest->file_count; i++) {
        free(manifest->files[i].name);
        json_free(manifest->files[i].checksum_page_error);
    }
    free(manifest->files);
    for (size_t i = 0; i < manifest->link_count; i++) {
        free(manifest->links[i].name);
        free(manifest->links[i].destination);
    }
    free(manifest->links);
    for (size_t i = 0; i < manifest->path_count; i++)
        free(manifest->paths[i].name);
    free(manifest->paths);
    for (size_t i = 0; i < manifest->string_count; i++)
        free(manifest->strings[i]);
    free(manifest->strings);
}

void
manifest_free(Manifest *manifest)
{
    manifest_free_lists(manifest);
    free(manifest->backrest_version);
    ManifestBackup *backup = &manifest->backup;
    free(backup->archive_start);
    free(backup->archive_stop);
    free(backup->label);
    free(backup->lsn_start);
    free(backup->lsn_stop);
    free(backup->prior);
    free(backup->reference);
    free(manifest->db_info.version);
    free(manifest->options.compress_type);
    free(manifest->cipher_pass);
    json_free(manifest->annotation);
    memset(manifest, 0, sizeof(*manifest));
}

/* --- storage --- */

static int
manifest_load_text(void *context, const char *text, size_t size)
{
    return manifest_parse(text, size, context);
}

int
manifest_load(Storage *storage, const char *path, CipherType cipher_type, const char *pass, Manifest *manifest)
{
    memset(manifest, 0, sizeof(*manifest));
    return info_file_load(storage, path, cipher_type, pass, manifest_load_text, manifest);
}

int
manifest_save(Storage *storage, const char *path, CipherType cipher_type, const char *pass, const Manifest *manifest)
{
    Buf text = BUF_INIT;
    manifest_render(manifest, &text);
    int result = info_file_save(storage, path, cipher_type, pass, &text, true);
    buf_free(&text);
    return result;
}
