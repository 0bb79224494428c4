/*
 * ops/info: gather what `info` reports, per stanza and per repository (doc/info-output.md is the spec).
 *
 * For each requested stanza and repository: the status (ok, missing stanza path, no valid backups,
 * missing stanza data, requested backup not found, other), archive.info and backup.info as loaded, the
 * WAL min/max of every archive id, and with a --set label the manifest of that backup. Nothing is
 * rendered here: cmd/info.c turns an InfoReport into text or JSON.
 */
#ifndef GAIAREST_ENGINE_OPS_INFO_H
#define GAIAREST_ENGINE_OPS_INFO_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/repo/info_archive.h"
#include "engine/repo/info_backup.h"
#include "engine/repo/manifest.h"
#include "storage/filter/cipher.h"
#include "storage/storage.h"

typedef enum InfoStatusCode {
    INFO_STATUS_OK = 0,
    INFO_STATUS_MISSING_STANZA_PATH = 1,
    INFO_STATUS_NO_BACKUP = 2,
    INFO_STATUS_MISSING_STANZA_DATA = 3,
    INFO_STATUS_MIXED = 4,
    INFO_STATUS_DB_MISMATCH = 5,
    INFO_STATUS_BACKUP_MISSING = 6,
    INFO_STATUS_OTHER = 99,
} InfoStatusCode;

/* pgBackRest's message for a status code ("ok", "missing stanza path", ..., "other"). */
const char *info_status_message(InfoStatusCode code);

/* One repository as configured for the run. */
typedef struct InfoRepoConfig {
    unsigned key;        /* user-facing number: repo1 -> 1 */
    Storage *storage;    /* rooted at the repo path; not owned */
    CipherType cipher;
    const char *pass;    /* repo cipher pass, NULL when not encrypted */
} InfoRepoConfig;

typedef struct InfoRequest {
    const InfoRepoConfig *repos;
    size_t repo_count;
    const char *stanza;    /* NULL: every stanza found */
    const char *set;       /* NULL: no backup detail */
    int type_filter;       /* -1, or a BackupType */
    const char *lock_path; /* where <stanza>-backup.lock lives; NULL: never held */
} InfoRequest;

/* The WAL range found under one archive id (min/max NULL when the archive id holds no segment). */
typedef struct InfoWalRange {
    unsigned history_id;
    char *archive_id; /* "15-1" */
    char *min;
    char *max;
} InfoWalRange;

typedef struct InfoRepoState {
    unsigned key;
    CipherType cipher;
    InfoStatusCode code;
    char *error_text;      /* INFO_STATUS_OTHER: "[ErrorName] message\nHINT: ..." */
    bool loaded;           /* archive and backup below are valid */
    InfoArchive archive;
    InfoBackup backup;
    InfoWalRange *wal;     /* one per archive.info history entry */
    size_t wal_count;
    bool has_manifest;     /* --set found in this repo */
    Manifest manifest;
} InfoRepoState;

typedef struct InfoStanza {
    char *name;
    InfoRepoState *repos;  /* one per requested repo, in key order */
    size_t repo_count;
    bool lock_held;            /* a backup or expire holds the stanza's backup lock */
    int lock_percent_complete; /* its progress, percent x 100; -1 when not recorded */
} InfoStanza;

typedef struct InfoReport {
    InfoStanza *stanzas;   /* sorted by name */
    size_t stanza_count;
    const InfoRequest *request;
} InfoReport;

/* Gather the report. Repository problems are reported inside it (statuses); -1 only for failures that
 * stop the whole command (listing the repository itself failed). */
int info_gather(const InfoRequest *request, InfoReport *report);

/* The repo's backup.info and archive.info are reported (status ok or no valid backups). */
bool info_repo_reported(const InfoRepoState *repo);

/* The stanza status across its repos: INFO_STATUS_DB_MISMATCH when reported repos disagree on the current
 * database (system id and version), else the common code, or INFO_STATUS_MIXED when the codes differ. */
InfoStatusCode info_stanza_status(const InfoStanza *stanza);

/* True when the backup passes the --set and --type filters of the request. */
bool info_backup_included(const InfoRequest *request, const InfoBackupEntry *entry);

void info_report_free(InfoReport *report);

#endif
