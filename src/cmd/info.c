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
#include "storage/posix.h"

/* ------------------------------------------------------------------------------------------------------------------ */
/* Sizes and times                                                                                                  */
/* ------------------------------------------------------------------------------------------------------------------ */
void
info_size_format(uint64_t size, Buf *out)
{
    static const char *const units[] = {"KB", "MB", "GB", "TB"};
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
text_error_lines(const char *text, Buf *out)
{
    const char *line = text;
    while (*line != '\0') {
        const char *end = strchr(line, '\n');
        size_t length = end != NULL ? (size_t)(end - line) : strlen(line);
        buf_append_str(out, "            ");
        buf_append(out, line, length);
        buf_append_char(out, '\n');
        line += length + (end != NULL ? 1 : 0);
    }
}

static void
text_status(const InfoStanza *stanza, InfoStatusCode code, Buf *out)
{
    buf_append_str(out, "    status: ");
    if (code == INFO_STATUS_MIXED)
        buf_append_str(out, "mixed");
    else if (code == INFO_STATUS_OK)
        buf_append_str(out, "ok");
    else
        buf_printf(out, "error (%s)", info_status_message(code));
    if (stanza->lock_held)
        buf_append_str(out, " (backup/expire running)");
    buf_append_char(out, '\n');

    if (code == INFO_STATUS_MIXED) {
        for (size_t r = 0; r < stanza->repo_count; r++) {
            const InfoRepoState *repo = &stanza->repos[r];
            if (repo->code == INFO_STATUS_OK)
                buf_printf(out, "        repo%u: ok\n", repo->key);
            else
                buf_printf(out, "        repo%u: error (%s)\n", repo->key, info_status_message(repo->code));
            if (repo->code == INFO_STATUS_OTHER && repo->error_text != NULL)
                text_error_lines(repo->error_text, out);
        }
    } else if (code == INFO_STATUS_OTHER && stanza->repo_count > 0 && stanza->repos[0].error_text != NULL) {
        text_error_lines(stanza->repos[0].error_text, out);
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

/* WAL min/max of the current archive id over all loaded repos. */
static void
text_wal(const InfoStanza *stanza, Buf *out)
{
    const char *version = NULL, *min = NULL, *max = NULL;
    for (size_t r = 0; r < stanza->repo_count; r++) {
        const InfoRepoState *repo = &stanza->repos[r];
        if (!repo->loaded)
            continue;
        const InfoArchiveHistory *current = info_archive_current(&repo->archive);
        if (current == NULL)
            continue;
        if (version == NULL)
            version = current->version;
        for (size_t w = 0; w < repo->wal_count; w++) {
            if (repo->wal[w].history_id != current->id || repo->wal[w].min == NULL)
                continue;
            if (min == NULL || strcmp(repo->wal[w].min, min) < 0)
                min = repo->wal[w].min;
            if (max == NULL || strcmp(repo->wal[w].max, max) > 0)
                max = repo->wal[w].max;
        }
    }
    if (version == NULL)
        return;
    buf_append_str(out, "\n    db (current)\n");
    if (min != NULL)
        buf_printf(out, "        wal archive min/max (%s): %s/%s\n", version, min, max);
    else
        buf_printf(out, "        wal archive min/max (%s): none present\n", version);
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
    text_wal(stanza, out);
    size_t count = 0;
    BackupRef *refs = stanza_backups(report, stanza, &count);
    for (size_t i = 0; i < count; i++)
        text_backup(&refs[i], report->request->set != NULL, out);
    free(refs);
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
        json_object_set(backup, "link", json_null());
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
        json_object_set(backup, "tablespace", json_null());
    json_object_set(backup, "timestamp",
                    json_pair("start", json_int(entry->timestamp_start), "stop", json_int(entry->timestamp_stop)));
    json_object_set(backup, "type", json_string(backup_type_name(entry->type)));
    return backup;
}

static JsonValue *
json_stanza(const InfoReport *report, const InfoStanza *stanza)
{
    InfoStatusCode code = info_stanza_status(stanza);
    JsonValue *object = json_object();
    JsonValue *archive = json_array(), *db = json_array(), *repos = json_array();

    for (size_t r = 0; r < stanza->repo_count; r++) {
        const InfoRepoState *repo = &stanza->repos[r];
        if (repo->loaded && (repo->code == INFO_STATUS_OK || repo->code == INFO_STATUS_NO_BACKUP)) {
            for (size_t w = 0; w < repo->wal_count; w++) {
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
        repos[r].storage = storage_posix_new(cfg_str_idx(OPT_REPO_PATH, index), false);
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
