/*
 * ops/info: gather the info report (see info.h and doc/info-output.md).
 */
#include "engine/ops/info.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/error.h"
#include "common/json.h"
#include "common/mem.h"
#include "engine/ops/lock.h"

const char *
info_status_message(InfoStatusCode code)
{
    switch (code) {
    case INFO_STATUS_OK:
        return "ok";
    case INFO_STATUS_MISSING_STANZA_PATH:
        return "missing stanza path";
    case INFO_STATUS_NO_BACKUP:
        return "no valid backups";
    case INFO_STATUS_MISSING_STANZA_DATA:
        return "missing stanza data";
    case INFO_STATUS_MIXED:
        return "different across repos";
    case INFO_STATUS_DB_MISMATCH:
        return "database mismatch across repos";
    case INFO_STATUS_BACKUP_MISSING:
        return "requested backup not found";
    case INFO_STATUS_OTHER:
        break;
    }
    return "other";
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Stanza names: every directory under backup/ and archive/ of every repo (or just the requested one).            */
/* ------------------------------------------------------------------------------------------------------------------ */
static void
names_add_unique(char ***names, size_t *count, const char *name)
{
    for (size_t i = 0; i < *count; i++)
        if (strcmp((*names)[i], name) == 0)
            return;
    *names = mem_realloc(*names, (*count + 1) * sizeof(char *));
    (*names)[(*count)++] = mem_strdup(name);
}

static int
name_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
stanza_names(const InfoRequest *request, char ***names, size_t *count)
{
    *names = NULL;
    *count = 0;
    if (request->stanza != NULL) {
        names_add_unique(names, count, request->stanza);
        return 0;
    }
    static const char *const roots[] = {"backup", "archive"};
    for (size_t r = 0; r < request->repo_count; r++) {
        for (size_t i = 0; i < 2; i++) {
            char **found = NULL;
            size_t found_count = 0;
            if (storage_list_names(request->repos[r].storage, roots[i], NULL, true, &found, &found_count) < 0) {
                storage_names_free(*names, *count);
                return -1;
            }
            for (size_t n = 0; n < found_count; n++)
                names_add_unique(names, count, found[n]);
            storage_names_free(found, found_count);
        }
    }
    if (*count > 1)
        qsort(*names, *count, sizeof(char *), name_compare);
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* WAL range of one archive id: first and last segment name (24 hex) over the sorted timeline/log directories.     */
/* ------------------------------------------------------------------------------------------------------------------ */
static int
wal_range(Storage *storage, const char *stanza, InfoWalRange *range)
{
    char *path = mem_printf("archive/%s/%s", stanza, range->archive_id);
    char **dirs = NULL;
    size_t dir_count = 0;
    int result = storage_list_names(storage, path, "^[0-9A-F]{16}$", true, &dirs, &dir_count);

    for (size_t d = 0; result == 0 && d < dir_count; d++) {
        char *dir = mem_printf("%s/%s", path, dirs[d]);
        char **files = NULL;
        size_t file_count = 0;
        result = storage_list_names(storage, dir, "^[0-9A-F]{24}-[0-9a-f]{40}(\\.[a-z0-9]+)?$", true, &files,
                                    &file_count);
        free(dir);
        if (result == 0 && file_count > 0) {
            if (range->min == NULL)
                range->min = mem_strndup(files[0], 24);
            free(range->max);
            range->max = mem_strndup(files[file_count - 1], 24);
        }
        storage_names_free(files, file_count);
    }
    storage_names_free(dirs, dir_count);
    free(path);
    return result;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* One stanza on one repo                                                                                           */
/* ------------------------------------------------------------------------------------------------------------------ */
static void
repo_state_error(InfoRepoState *state)
{
    ErrorCode code = err_code();
    if (code == ERR_FILE_MISSING && strstr(err_message(), "unable to load info file") != NULL &&
        strstr(err_message(), "backup.info") != NULL && !state->loaded) {
        state->code = INFO_STATUS_MISSING_STANZA_DATA;
    } else {
        char *message = err_message_full();
        state->code = INFO_STATUS_OTHER;
        state->error_text = mem_printf("[%s] %s", err_code_name(code), message);
        free(message);
    }
    err_clear();
}

static bool
backup_included(const InfoRequest *request, const InfoBackupEntry *entry)
{
    if (request->set != NULL && strcmp(entry->label, request->set) != 0)
        return false;
    return request->type_filter < 0 || (int)entry->type == request->type_filter;
}

static int
repo_state_gather(const InfoRequest *request, const InfoRepoConfig *repo, const char *stanza,
                  InfoRepoState *state)
{
    state->key = repo->key;
    state->cipher = repo->cipher;

    char *backup_path = mem_printf("backup/%s", stanza);
    StorageInfo path_info = {0};
    int result = storage_info(repo->storage, backup_path, true, &path_info);
    bool exists = path_info.exists;
    storage_info_clear(&path_info);
    free(backup_path);
    TRY(result);
    if (!exists) {
        state->code = INFO_STATUS_MISSING_STANZA_PATH;
        return 0;
    }

    char *archive_file = mem_printf("archive/%s/%s", stanza, INFO_ARCHIVE_FILE);
    char *backup_file = mem_printf("backup/%s/%s", stanza, INFO_BACKUP_FILE);
    /* backup.info first: its absence (with its copy) is "missing stanza data". */
    result = info_backup_load(repo->storage, backup_file, repo->cipher, repo->pass, &state->backup);
    if (result == 0) {
        result = info_archive_load(repo->storage, archive_file, repo->cipher, repo->pass, &state->archive);
        if (result < 0)
            info_backup_free(&state->backup);
    }
    free(archive_file);
    free(backup_file);
    if (result < 0) {
        repo_state_error(state);
        return 0;
    }
    state->loaded = true;

    state->wal_count = state->archive.history_count;
    state->wal = mem_calloc(state->wal_count, sizeof(InfoWalRange));
    for (size_t h = 0; h < state->archive.history_count; h++) {
        state->wal[h].history_id = state->archive.history[h].id;
        state->wal[h].archive_id = info_archive_id(&state->archive.history[h]);
        if (wal_range(repo->storage, stanza, &state->wal[h]) < 0) {
            repo_state_error(state);
            return 0;
        }
    }

    if (state->backup.backup_count == 0) {
        state->code = INFO_STATUS_NO_BACKUP;
        return 0;
    }
    if (request->set != NULL) {
        const InfoBackupEntry *entry = info_backup_find(&state->backup, request->set);
        if (entry == NULL) {
            state->code = INFO_STATUS_BACKUP_MISSING;
            return 0;
        }
        char *manifest_file = mem_printf("backup/%s/%s/%s", stanza, entry->label, MANIFEST_FILE);
        result = manifest_load(repo->storage, manifest_file, repo->cipher, state->backup.cipher_pass,
                               &state->manifest);
        free(manifest_file);
        if (result < 0) {
            repo_state_error(state);
            return 0;
        }
        state->has_manifest = true;
    }
    state->code = INFO_STATUS_OK;
    return 0;
}

/* --set: a repo without the backup is still ok when another repo holds it (status 6 only when none does). */
static void
set_found_anywhere(const InfoRequest *request, InfoStanza *stanza)
{
    if (request->set == NULL)
        return;
    bool found = false;
    for (size_t r = 0; r < stanza->repo_count; r++)
        found = found || stanza->repos[r].has_manifest;
    if (!found)
        return;
    for (size_t r = 0; r < stanza->repo_count; r++)
        if (stanza->repos[r].code == INFO_STATUS_BACKUP_MISSING)
            stanza->repos[r].code = INFO_STATUS_OK;
}

bool
info_repo_reported(const InfoRepoState *repo)
{
    return repo->loaded && (repo->code == INFO_STATUS_OK || repo->code == INFO_STATUS_NO_BACKUP);
}

/* Reported repos whose current databases (backup.info) differ in system id or version. */
static bool
db_mismatch(const InfoStanza *stanza)
{
    const InfoBackupHistory *first = NULL;
    for (size_t r = 0; r < stanza->repo_count; r++) {
        if (!info_repo_reported(&stanza->repos[r]))
            continue;
        const InfoBackupHistory *current = info_backup_current(&stanza->repos[r].backup);
        if (current == NULL)
            continue;
        if (first == NULL)
            first = current;
        else if (current->system_id != first->system_id || strcmp(current->version, first->version) != 0)
            return true;
    }
    return false;
}

InfoStatusCode
info_stanza_status(const InfoStanza *stanza)
{
    if (stanza->repo_count == 0)
        return INFO_STATUS_OK;
    if (db_mismatch(stanza))
        return INFO_STATUS_DB_MISMATCH;
    InfoStatusCode code = stanza->repos[0].code;
    for (size_t r = 1; r < stanza->repo_count; r++)
        if (stanza->repos[r].code != code)
            return INFO_STATUS_MIXED;
    return code;
}

int
info_gather(const InfoRequest *request, InfoReport *report)
{
    memset(report, 0, sizeof(*report));
    report->request = request;

    char **names = NULL;
    size_t count = 0;
    TRY(stanza_names(request, &names, &count));

    report->stanzas = mem_calloc(count, sizeof(InfoStanza));
    report->stanza_count = count;
    for (size_t s = 0; s < count; s++) {
        InfoStanza *stanza = &report->stanzas[s];
        stanza->name = names[s];
        stanza->repos = mem_calloc(request->repo_count, sizeof(InfoRepoState));
        stanza->repo_count = request->repo_count;
        for (size_t r = 0; r < request->repo_count; r++) {
            if (repo_state_gather(request, &request->repos[r], stanza->name, &stanza->repos[r]) < 0) {
                free(names);
                info_report_free(report);
                return -1;
            }
        }
        LockHolder holder = {.percent_complete = -1};
        /* held only when another process holds the flock and has written its JSON record */
        stanza->lock_held = request->lock_path != NULL &&
                            lock_holder_read(request->lock_path, stanza->name, LOCK_TYPE_BACKUP, &holder) &&
                            holder.has_record;
        stanza->lock_percent_complete = stanza->lock_held ? holder.percent_complete : -1;
        set_found_anywhere(request, stanza);
    }
    free(names);
    return 0;
}

bool
info_backup_included(const InfoRequest *request, const InfoBackupEntry *entry)
{
    return backup_included(request, entry);
}

void
info_report_free(InfoReport *report)
{
    for (size_t s = 0; s < report->stanza_count; s++) {
        InfoStanza *stanza = &report->stanzas[s];
        for (size_t r = 0; r < stanza->repo_count; r++) {
            InfoRepoState *state = &stanza->repos[r];
            free(state->error_text);
            if (state->loaded) {
                info_archive_free(&state->archive);
                info_backup_free(&state->backup);
            }
            for (size_t w = 0; w < state->wal_count; w++) {
                free(state->wal[w].archive_id);
                free(state->wal[w].min);
                free(state->wal[w].max);
            }
            free(state->wal);
            if (state->has_manifest)
                manifest_free(&state->manifest);
        }
        free(stanza->repos);
        free(stanza->name);
    }
    free(report->stanzas);
    memset(report, 0, sizeof(*report));
}
