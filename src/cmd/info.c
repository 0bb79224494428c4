/*
 * cmd/info: the info command: options -> ops/info gathering -> text or JSON on stdout.
 */
#include "cmd/info.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/command.h"
#include "cmd/info_prometheus.h"
#include "common/error.h"
#include "common/json.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/repo/repo.h"

/* ------------------------------------------------------------------------------------------------------------------ */
/* Sizes and times                                                                                                  */
/* ------------------------------------------------------------------------------------------------------------------ */
void
info_size_format(uint64_t size, Buf *out)
{
    /* 2.45 has no unit above GB: a petabyte prints as "1048576GB". */
    static const char *const units[] = {"KB", "MB", "GB"};
    if (size < 1024) {
        buf_printf(out, "%" PRIu64 "B", size);
        return;
    }
    uint64_t unit = 1024;
    size_t index = 0;
    while (index + 1 < sizeof(units) / sizeof(units[0]) && size >= unit * 1024) {
        unit *= 1024;
        index++;
    }
    /* The first decimal decides, truncated; the printed value is rounded. */
    if ((uint64_t)((double)size / ((double)unit / 10)) % 10 != 0)
        buf_printf(out, "%.1f%s", (double)size / (double)unit, units[index]);
    else
        buf_printf(out, "%" PRIu64 "%s", size / unit, units[index]);
}

static void
time_format(int64_t epoch, Buf *out)
{
    time_t value = (time_t)epoch;
    struct tm local;
    char text[64];
    localtime_r(&value, &local);
    strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &local);
    buf_append_str(out, text);
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Helpers over the report                                                                                          */
/* ------------------------------------------------------------------------------------------------------------------ */
typedef struct BackupRef {
    const InfoRepoState *repo;
    const InfoBackupEntry *entry;
} BackupRef;

static int
backup_ref_compare(const void *a, const void *b)
{
    const BackupRef *left = a, *right = b;
    if (left->entry->timestamp_start != right->entry->timestamp_start)
        return left->entry->timestamp_start < right->entry->timestamp_start ? -1 : 1;
    int result = strcmp(left->entry->label, right->entry->label);
    if (result != 0)
        return result;
    return (left->repo->key > right->repo->key) - (left->repo->key < right->repo->key);
}

/* Every listed backup of the stanza over all repos, by start time, label, repo key (caller frees). */
static BackupRef *
stanza_backups(const InfoReport *report, const InfoStanza *stanza, size_t *count)
{
    BackupRef *refs = NULL;
    *count = 0;
    for (size_t r = 0; r < stanza->repo_count; r++) {
        const InfoRepoState *repo = &stanza->repos[r];
        if (!repo->loaded || (repo->code != INFO_STATUS_OK))
            continue;
        for (size_t b = 0; b < repo->backup.backup_count; b++) {
            if (!info_backup_included(report->request, &repo->backup.backups[b]))
                continue;
            refs = mem_realloc(refs, (*count + 1) * sizeof(BackupRef));
            refs[(*count)++] = (BackupRef){repo, &repo->backup.backups[b]};
        }
    }
    if (*count > 1)
        qsort(refs, *count, sizeof(BackupRef), backup_ref_compare);
    return refs;
}

static const char *
cipher_name(CipherType cipher)
{
    return cipher == CIPHER_NONE ? "none" : "aes-256-cbc";
}

static bool
cipher_mixed(const InfoStanza *stanza)
{
    for (size_t r = 1; r < stanza->repo_count; r++)
        if (stanza->repos[r].cipher != stanza->repos[0].cipher)
            return true;
    return false;
}

static bool
db_listed(const ManifestDb *db)
{
    return strcmp(db->name, "template0") != 0 && strcmp(db->name, "template1") != 0;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Text                                                                                                             */
/* ------------------------------------------------------------------------------------------------------------------ */
static void
text_error_lines(const char *text, const char *indent, Buf *out)
{
    const char *line = text;
    while (*line != '\0') {
        const char *end = strchr(line, '\n');
        size_t length = end != NULL ? (size_t)(end - line) : strlen(line);
        buf_append_str(out, indent);
        buf_append(out, line, length);
        buf_append_char(out, '\n');
        line += length + (end != NULL ? 1 : 0);
    }
}

static void
text_status(const InfoStanza *stanza, InfoStatusCode code, Buf *out)
{
    /* "ok", "error (<why>)"; a running backup or expire goes inside the parentheses, with its progress:
     * "ok (backup/expire running - 42.10% complete)", "error (no valid backups, backup/expire running)". */
    char running[96] = "";
    if (stanza->lock_held && stanza->lock_percent_complete >= 0)
        snprintf(running, sizeof(running), "backup/expire running - %d.%02d%% complete",
                 stanza->lock_percent_complete / 100, stanza->lock_percent_complete % 100);
    else if (stanza->lock_held)
        snprintf(running, sizeof(running), "backup/expire running");
    buf_append_str(out, "    status: ");
    if (code == INFO_STATUS_MIXED || code == INFO_STATUS_OK) {
        buf_append_str(out, code == INFO_STATUS_OK ? "ok" : "mixed");
        if (running[0] != '\0')
            buf_printf(out, " (%s)", running);
    } else if (running[0] != '\0') {
        buf_printf(out, "error (%s, %s)", info_status_message(code), running);
    } else {
        buf_printf(out, "error (%s)", info_status_message(code));
    }
    buf_append_char(out, '\n');

    if (code == INFO_STATUS_MIXED || code == INFO_STATUS_DB_MISMATCH) {
        for (size_t r = 0; r < stanza->repo_count; r++) {
            const InfoRepoState *repo = &stanza->repos[r];
            if (repo->code == INFO_STATUS_OK)
                buf_printf(out, "        repo%u: ok\n", repo->key);
            else
                buf_printf(out, "        repo%u: error (%s)\n", repo->key, info_status_message(repo->code));
            if (repo->code == INFO_STATUS_OTHER && repo->error_text != NULL)
                text_error_lines(repo->error_text, "               ", out); /* 15 spaces under a repo line */
        }
    } else if (code == INFO_STATUS_OTHER && stanza->repo_count > 0 && stanza->repos[0].error_text != NULL) {
        text_error_lines(stanza->repos[0].error_text, "            ", out);
    }
}

static void
text_cipher(const InfoStanza *stanza, Buf *out)
{
    if (!cipher_mixed(stanza)) {
        buf_printf(out, "    cipher: %s\n", cipher_name(stanza->repo_count > 0 ? stanza->repos[0].cipher : CIPHER_NONE));
        return;
    }
    buf_append_str(out, "    cipher: mixed\n");
    for (size_t r = 0; r < stanza->repo_count; r++)
        buf_printf(out, "        repo%u: %s\n", stanza->repos[r].key, cipher_name(stanza->repos[r].cipher));
}

/* One database of the stanza: a (system id, version) pair found in the db history of a reported repo. */
typedef struct DbKey {
    uint64_t system_id;
    const char *version;
} DbKey;

static bool
db_key_equal(DbKey key, uint64_t system_id, const char *version)
{
    return key.system_id == system_id && strcmp(key.version, version) == 0;
}

/* The databases of the stanza in order of first appearance (repos in key order, each history oldest first);
 * *current is the index of the current database of the first reported repo. Caller frees. */
static DbKey *
stanza_dbs(const InfoStanza *stanza, size_t *count, size_t *current)
{
    DbKey *keys = NULL;
    bool have_current = false;
    *count = 0;
    *current = 0;
    for (size_t r = 0; r < stanza->repo_count; r++) {
        const InfoRepoState *repo = &stanza->repos[r];
        if (!info_repo_reported(repo))
            continue;
        const InfoBackupHistory *repo_current = info_backup_current(&repo->backup);
        for (size_t h = 0; h < repo->backup.history_count; h++) {
            const InfoBackupHistory *history = &repo->backup.history[h];
            size_t index = 0;
            while (index < *count && !db_key_equal(keys[index], history->system_id, history->version))
                index++;
            if (index == *count) {
                keys = mem_realloc(keys, (*count + 1) * sizeof(DbKey));
                keys[(*count)++] = (DbKey){history->system_id, history->version};
            }
            if (!have_current && history == repo_current) {
                *current = index;
                have_current = true;
            }
        }
    }
    return keys;
}

/* The WAL min/max of one database over the reported repos (min NULL when none). */
static void
db_wal_range(const InfoStanza *stanza, DbKey key, const char **min, const char **max)
{
    *min = NULL;
    *max = NULL;
    for (size_t r = 0; r < stanza->repo_count; r++) {
        const InfoRepoState *repo = &stanza->repos[r];
        if (!info_repo_reported(repo))
            continue;
        for (size_t w = 0; w < repo->wal_count; w++) {
            const InfoArchiveHistory *history = NULL;
            for (size_t h = 0; h < repo->archive.history_count; h++)
                if (repo->archive.history[h].id == repo->wal[w].history_id)
                    history = &repo->archive.history[h];
            if (history == NULL || repo->wal[w].min == NULL || !db_key_equal(key, history->system_id, history->version))
                continue;
            if (*min == NULL || strcmp(repo->wal[w].min, *min) < 0)
                *min = repo->wal[w].min;
            if (*max == NULL || strcmp(repo->wal[w].max, *max) > 0)
                *max = repo->wal[w].max;
        }
    }
}

/* Whether a listed backup was taken from database `key` (its db-id in its repo's backup.info history). */
static bool
backup_of_db(const BackupRef *ref, DbKey key)
{
    const InfoBackup *backup = &ref->repo->backup;
    for (size_t h = 0; h < backup->history_count; h++)
        if (backup->history[h].id == ref->entry->db_id)
            return db_key_equal(key, backup->history[h].system_id, backup->history[h].version);
    return false;
}

static void text_backup(const BackupRef *ref, bool detail, Buf *out);

/* One "db (prior)" / "db (current)" block: WAL range and the backups of that database. A prior database with
 * neither WAL nor listed backups is left out; with --set, every database without the backup is. */
static void
text_db_block(const InfoStanza *stanza, DbKey key, bool current, const BackupRef *refs, size_t ref_count,
              bool detail, Buf *out)
{
    const char *min, *max;
    db_wal_range(stanza, key, &min, &max);
    size_t backups = 0;
    for (size_t i = 0; i < ref_count; i++)
        backups += backup_of_db(&refs[i], key) ? 1 : 0;
    if ((detail || !current) && backups == 0 && (detail || min == NULL))
        return;
    buf_printf(out, "\n    db (%s)\n", current ? "current" : "prior");
    if (min != NULL)
        buf_printf(out, "        wal archive min/max (%s): %s/%s\n", key.version, min, max);
    else
        buf_printf(out, "        wal archive min/max (%s): none present\n", key.version);
    for (size_t i = 0; i < ref_count; i++)
        if (backup_of_db(&refs[i], key))
            text_backup(&refs[i], detail, out);
}

/* Prior databases in order of appearance, then the current one. */
static void
text_dbs(const InfoReport *report, const InfoStanza *stanza, Buf *out)
{
    size_t db_count = 0, current = 0, ref_count = 0;
    DbKey *dbs = stanza_dbs(stanza, &db_count, &current);
    BackupRef *refs = stanza_backups(report, stanza, &ref_count);
    bool detail = report->request->set != NULL;
    for (size_t d = 0; d < db_count; d++)
        if (d != current)
            text_db_block(stanza, dbs[d], false, refs, ref_count, detail, out);
    if (db_count > 0)
        text_db_block(stanza, dbs[current], true, refs, ref_count, detail, out);
    free(refs);
    free(dbs);
}

static bool
target_is_tablespace(const ManifestTarget *target)
{
    return target->tablespace_id != NULL;
}

/* A link of pg_data other than a tablespace (a directory or file symlink). */
static bool
target_is_link(const ManifestTarget *target)
{
    return target->type != NULL && strcmp(target->type, "link") == 0 && target->tablespace_id == NULL;
}

/* The link name as 2.45 shows it: the target name without "pg_data/". */
static const char *
target_link_name(const ManifestTarget *target)
{
    return strncmp(target->name, "pg_data/", 8) == 0 ? target->name + 8 : target->name;
}

/* The link destination: the path, plus "/<file>" for a link to a file (owned by the caller). */
static char *
target_destination(const ManifestTarget *target)
{
    return target->file != NULL ? mem_printf("%s/%s", target->path, target->file) : mem_strdup(target->path);
}

static void
text_targets(const Manifest *manifest, bool tablespaces, Buf *out)
{
    bool header = false;
    for (size_t t = 0; t < manifest->target_count; t++) {
        const ManifestTarget *target = &manifest->targets[t];
        if (tablespaces ? !target_is_tablespace(target) : !target_is_link(target))
            continue;
        if (!header) {
            buf_append_str(out, tablespaces ? "            tablespaces:\n" : "            symlinks:\n");
            header = true;
        }
        char *destination = target_destination(target);
        if (tablespaces)
            buf_printf(out, "                %s (%s) => %s\n", target->tablespace_name, target->tablespace_id,
                       destination);
        else
            buf_printf(out, "                %s => %s\n", target_link_name(target), destination);
        free(destination);
    }
}

static void
text_backup_detail(const InfoRepoState *repo, Buf *out)
{
    const Manifest *manifest = &repo->manifest;
    buf_append_str(out, "            database list: ");
    size_t listed = 0;
    for (size_t d = 0; d < manifest->db_count; d++) {
        if (!db_listed(&manifest->dbs[d]))
            continue;
        buf_printf(out, "%s%s (%" PRIu64 ")", listed > 0 ? ", " : "", manifest->dbs[d].name, manifest->dbs[d].id);
        listed++;
    }
    if (listed == 0)
        buf_append_str(out, "none");
    buf_append_char(out, '\n');
    text_targets(manifest, false, out);
    text_targets(manifest, true, out);
    if (manifest->annotation != NULL && manifest->annotation->type == JSON_OBJECT &&
        manifest->annotation->u.object.count > 0) {
        buf_append_str(out, "            annotation(s)\n");
        for (size_t a = 0; a < manifest->annotation->u.object.count; a++) {
            const JsonValue *value = manifest->annotation->u.object.values[a];
            buf_printf(out, "                %s: %s\n", manifest->annotation->u.object.keys[a],
                       value->type == JSON_STRING ? value->u.string.data : "");
        }
    }
}

static void
text_backup(const BackupRef *ref, bool detail, Buf *out)
{
    const InfoBackupEntry *entry = ref->entry;
    buf_printf(out, "\n        %s backup: %s\n", backup_type_name(entry->type), entry->label);
    buf_append_str(out, "            timestamp start/stop: ");
    time_format(entry->timestamp_start, out);
    buf_append_str(out, " / ");
    time_format(entry->timestamp_stop, out);
    buf_printf(out, "\n            wal start/stop: %s / %s\n", entry->archive_start ? entry->archive_start : "n/a",
               entry->archive_stop ? entry->archive_stop : "n/a");
    if (detail && entry->lsn_start != NULL)
        buf_printf(out, "            lsn start/stop: %s / %s\n", entry->lsn_start, entry->lsn_stop);
    buf_append_str(out, "            database size: ");
    info_size_format(entry->size, out);
    buf_append_str(out, ", database backup size: ");
    info_size_format(entry->size_delta, out);
    buf_printf(out, "\n            repo%u: backup set size: ", ref->repo->key);
    info_size_format(entry->repo_size, out);
    buf_append_str(out, ", backup size: ");
    info_size_format(entry->repo_size_delta, out);
    buf_append_char(out, '\n');
    if (entry->reference != NULL && entry->reference_count > 0) {
        buf_append_str(out, "            backup reference list: ");
        for (size_t i = 0; i < entry->reference_count; i++)
            buf_printf(out, "%s%s", i > 0 ? ", " : "", entry->reference[i]);
        buf_append_char(out, '\n');
    }
    if (detail && ref->repo->has_manifest)
        text_backup_detail(ref->repo, out);
}

static void
text_stanza(const InfoReport *report, const InfoStanza *stanza, Buf *out)
{
    InfoStatusCode code = info_stanza_status(stanza);
    buf_printf(out, "stanza: %s\n", stanza->name);
    text_status(stanza, code, out);
    if (code == INFO_STATUS_MISSING_STANZA_PATH)
        return;
    text_cipher(stanza, out);
    if (code == INFO_STATUS_MISSING_STANZA_DATA || code == INFO_STATUS_BACKUP_MISSING || code == INFO_STATUS_OTHER)
        return;
    text_dbs(report, stanza, out);
}

void
info_render_text(const InfoReport *report, Buf *out)
{
    for (size_t s = 0; s < report->stanza_count; s++) {
        if (s > 0)
            buf_append_char(out, '\n');
        text_stanza(report, &report->stanzas[s], out);
    }
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* JSON                                                                                                             */
/* ------------------------------------------------------------------------------------------------------------------ */
static JsonValue *
json_string_or_null(const char *text)
{
    return text != NULL ? json_string(text) : json_null();
}

static JsonValue *
json_pair(const char *key1, JsonValue *value1, const char *key2, JsonValue *value2)
{
    JsonValue *object = json_object();
    json_object_set(object, key1, value1);
    json_object_set(object, key2, value2);
    return object;
}

static JsonValue *
json_database(unsigned id, unsigned key)
{
    return json_pair("id", json_uint(id), "repo-key", json_uint(key));
}

static JsonValue *
json_copy(const JsonValue *value)
{
    char *text = json_to_string(value);
    JsonValue *copy = NULL;
    if (json_parse(text, strlen(text), &copy) < 0) {
        err_clear();
        copy = json_null();
    }
    free(text);
    return copy;
}

/* "link" / "tablespace" of a backup with --set: an array, or null when the manifest has none. */
static JsonValue *
json_targets(const Manifest *manifest, bool tablespaces)
{
    JsonValue *list = NULL;
    for (size_t t = 0; t < manifest->target_count; t++) {
        const ManifestTarget *target = &manifest->targets[t];
        if (tablespaces ? !target_is_tablespace(target) : !target_is_link(target))
            continue;
        if (list == NULL)
            list = json_array();
        JsonValue *item = json_object();
        char *destination = target_destination(target);
        json_object_set(item, "destination", json_string(destination));
        free(destination);
        if (tablespaces) {
            json_object_set(item, "name", json_string(target->tablespace_name));
            json_object_set(item, "oid", json_uint(strtoull(target->tablespace_id, NULL, 10)));
        } else {
            json_object_set(item, "name", json_string(target_link_name(target)));
        }
        json_array_add(list, item);
    }
    return list != NULL ? list : json_null();
}

static JsonValue *
json_backup(const BackupRef *ref, bool detail)
{
    const InfoBackupEntry *entry = ref->entry;
    JsonValue *backup = json_object();
    if (entry->annotation != NULL)
        json_object_set(backup, "annotation", json_copy(entry->annotation));
    json_object_set(backup, "archive", json_pair("start", json_string_or_null(entry->archive_start), "stop",
                                                 json_string_or_null(entry->archive_stop)));
    json_object_set(backup, "backrest", json_pair("format", json_uint(entry->backrest_format), "version",
                                                  json_string_or_null(entry->backrest_version)));
    json_object_set(backup, "database", json_database(entry->db_id, ref->repo->key));
    if (detail && ref->repo->has_manifest) {
        JsonValue *dbs = json_array();
        for (size_t d = 0; d < ref->repo->manifest.db_count; d++) {
            const ManifestDb *db = &ref->repo->manifest.dbs[d];
            if (db_listed(db))
                json_array_add(dbs, json_pair("name", json_string(db->name), "oid", json_uint(db->id)));
        }
        json_object_set(backup, "database-ref", dbs);
    }
    json_object_set(backup, "error", json_bool(entry->has_error && entry->error));
    JsonValue *info = json_object();
    json_object_set(info, "delta", json_uint(entry->size_delta));
    json_object_set(info, "repository",
                    json_pair("delta", json_uint(entry->repo_size_delta), "size", json_uint(entry->repo_size)));
    json_object_set(info, "size", json_uint(entry->size));
    json_object_set(backup, "info", info);
    json_object_set(backup, "label", json_string(entry->label));
    if (detail && ref->repo->has_manifest)
        json_object_set(backup, "link", json_targets(&ref->repo->manifest, false));
    json_object_set(backup, "lsn",
                    json_pair("start", json_string_or_null(entry->lsn_start), "stop", json_string_or_null(entry->lsn_stop)));
    json_object_set(backup, "prior", json_string_or_null(entry->prior));
    if (entry->reference != NULL) {
        JsonValue *references = json_array();
        for (size_t i = 0; i < entry->reference_count; i++)
            json_array_add(references, json_string(entry->reference[i]));
        json_object_set(backup, "reference", references);
    } else {
        json_object_set(backup, "reference", json_null());
    }
    if (detail && ref->repo->has_manifest)
        json_object_set(backup, "tablespace", json_targets(&ref->repo->manifest, true));
    json_object_set(backup, "timestamp",
                    json_pair("start", json_int(entry->timestamp_start), "stop", json_int(entry->timestamp_stop)));
    json_object_set(backup, "type", json_string(backup_type_name(entry->type)));
    return backup;
}

/* An archive id is listed when it holds WAL, or when it is the repo's current database (backup.info). */
static bool
wal_listed(const InfoRepoState *repo, const InfoWalRange *wal)
{
    if (wal->min != NULL)
        return true;
    const InfoBackupHistory *current = info_backup_current(&repo->backup);
    if (current == NULL)
        return false;
    for (size_t h = 0; h < repo->archive.history_count; h++) {
        const InfoArchiveHistory *history = &repo->archive.history[h];
        if (history->id == wal->history_id)
            return history->system_id == current->system_id && strcmp(history->version, current->version) == 0;
    }
    return false;
}

static JsonValue *
json_stanza(const InfoReport *report, const InfoStanza *stanza)
{
    InfoStatusCode code = info_stanza_status(stanza);
    JsonValue *object = json_object();
    JsonValue *archive = json_array(), *db = json_array(), *repos = json_array();

    for (size_t r = 0; r < stanza->repo_count; r++) {
        const InfoRepoState *repo = &stanza->repos[r];
        if (info_repo_reported(repo)) {
            for (size_t w = 0; w < repo->wal_count; w++) {
                if (!wal_listed(repo, &repo->wal[w]))
                    continue;
                JsonValue *range = json_object();
                json_object_set(range, "database", json_database(repo->wal[w].history_id, repo->key));
                json_object_set(range, "id", json_string(repo->wal[w].archive_id));
                json_object_set(range, "max", json_string_or_null(repo->wal[w].max));
                json_object_set(range, "min", json_string_or_null(repo->wal[w].min));
                json_array_add(archive, range);
            }
            for (size_t h = 0; h < repo->backup.history_count; h++) {
                const InfoBackupHistory *history = &repo->backup.history[h];
                JsonValue *entry = json_object();
                json_object_set(entry, "id", json_uint(history->id));
                json_object_set(entry, "repo-key", json_uint(repo->key));
                json_object_set(entry, "system-id", json_uint(history->system_id));
                json_object_set(entry, "version", json_string(history->version));
                json_array_add(db, entry);
            }
        }
        JsonValue *repo_object = json_object();
        json_object_set(repo_object, "cipher", json_string(cipher_name(repo->cipher)));
        json_object_set(repo_object, "key", json_uint(repo->key));
        json_object_set(repo_object, "status",
                        json_pair("code", json_uint(repo->code), "message",
                                  json_string(repo->code == INFO_STATUS_OTHER && repo->error_text != NULL
                                                  ? repo->error_text
                                                  : info_status_message(repo->code))));
        json_array_add(repos, repo_object);
    }

    JsonValue *backups = json_array();
    size_t count = 0;
    BackupRef *refs = stanza_backups(report, stanza, &count);
    for (size_t i = 0; i < count; i++)
        json_array_add(backups, json_backup(&refs[i], report->request->set != NULL));
    free(refs);

    json_object_set(object, "archive", archive);
    json_object_set(object, "backup", backups);
    json_object_set(object, "cipher",
                    json_string(cipher_mixed(stanza) ? "mixed"
                                                      : cipher_name(stanza->repo_count > 0 ? stanza->repos[0].cipher
                                                                                           : CIPHER_NONE)));
    json_object_set(object, "db", db);
    json_object_set(object, "name", json_string(stanza->name));
    json_object_set(object, "repo", repos);
    JsonValue *status = json_object();
    json_object_set(status, "code", json_uint(code));
    JsonValue *held = json_object();
    json_object_set(held, "held", json_bool(stanza->lock_held));
    JsonValue *lock = json_object();
    json_object_set(lock, "backup", held);
    json_object_set(status, "lock", lock);
    json_object_set(status, "message", json_string(info_status_message(code)));
    json_object_set(object, "status", status);
    return object;
}

void
info_render_json(const InfoReport *report, Buf *out)
{
    JsonValue *root = json_array();
    for (size_t s = 0; s < report->stanza_count; s++)
        json_array_add(root, json_stanza(report, &report->stanzas[s]));
    json_write(out, root);
    json_free(root);
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* The command                                                                                                      */
/* ------------------------------------------------------------------------------------------------------------------ */
static int
write_all(const Buf *buf)
{
    size_t done = 0;
    while (done < buf->size) {
        ssize_t written = write(STDOUT_FILENO, buf->data + done, buf->size - done);
        if (written < 0)
            return err_set_errno(ERR_FILE_WRITE, errno, "unable to write info output to stdout");
        done += (size_t)written;
    }
    return 0;
}

int
cmd_info(void)
{
    unsigned total = cfg_index_count(OPT_GROUP_REPO);
    bool one_repo = cfg_has(OPT_REPO);
    size_t repo_count = one_repo ? 1 : total;
    InfoRepoConfig *repos = mem_calloc(repo_count > 0 ? repo_count : 1, sizeof(InfoRepoConfig));
    int result = 0;

    for (size_t r = 0; r < repo_count && result == 0; r++) {
        unsigned index = one_repo ? cfg_repo_index() : (unsigned)r;
        const char *cipher = cfg_str_idx(OPT_REPO_CIPHER_TYPE, index);
        int cipher_type = cipher != NULL ? cipher_type_parse(cipher) : CIPHER_NONE;
        if (cipher_type < 0) {
            result = err_set(ERR_OPTION_INVALID_VALUE, "invalid repo cipher type '%s'", cipher);
            break;
        }
        repos[r].key = cfg_index_key(OPT_GROUP_REPO, index);
        repos[r].cipher = (CipherType)cipher_type;
        repos[r].pass = cfg_str_idx(OPT_REPO_CIPHER_PASS, index);
        Repo repo; /* posix or s3, as repoN-type says */
        if ((result = repo_open(index, false, &repo)) < 0)
            break;
        repos[r].storage = repo.storage;
    }

    InfoRequest request = {
        .repos = repos,
        .repo_count = repo_count,
        .stanza = cfg_has(OPT_STANZA) ? cfg_str(OPT_STANZA) : NULL,
        .set = cfg_has(OPT_SET) ? cfg_str(OPT_SET) : NULL,
        .type_filter = cfg_has(OPT_TYPE) ? backup_type_parse(cfg_str(OPT_TYPE)) : -1,
        .lock_path = cfg_str(OPT_LOCK_PATH),
    };
    InfoReport report;
    if (result == 0 && (result = info_gather(&request, &report)) == 0) {
        Buf out = BUF_INIT;
        const char *output = cfg_str(OPT_OUTPUT);
        if (output != NULL && strcmp(output, "json") == 0) {
            info_render_json(&report, &out);
        } else if (output != NULL && strcmp(output, "prometheus") == 0) {
            info_prometheus_output(&report, &out);
        } else {
            info_render_text(&report, &out);
        }
        result = write_all(&out);
        buf_free(&out);
        info_report_free(&report);
    }
    for (size_t r = 0; r < repo_count; r++)
        if (repos[r].storage != NULL)
            storage_free(repos[r].storage);
    free(repos);
    return result;
}
