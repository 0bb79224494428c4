/*
 * info_backup: backup.info (spec 2.6): the list of current backups of a stanza, its PostgreSQL history and
 * the subpass that encrypts the manifests.
 *
 *   [backup:current]  <label>={...}  one per backup, sorted by label; every key of spec 2.6 is modelled
 *   [cipher]          cipher-pass (encrypted repos only)
 *   [db]              db-catalog-version, db-control-version, db-id, db-system-id, db-version
 *   [db:history]      <id>={"db-catalog-version":..,"db-control-version":..,"db-system-id":..,"db-version":".."}
 *
 * Keys that pgBackRest 2.45 does not know are dropped on load (as it does). db-control-version is written
 * from the version table (engine/pg/version.h) when the version is known, else as loaded.
 */
#ifndef GAIAREST_ENGINE_REPO_INFO_BACKUP_H
#define GAIAREST_ENGINE_REPO_INFO_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/json.h"
#include "engine/repo/layout.h"
#include "storage/filter/cipher.h"
#include "storage/storage.h"

#define INFO_BACKUP_FILE "backup.info"

/* BackupType, backup_type_name() and backup_type_parse() come from the layout module. */

typedef struct InfoBackupHistory {
    unsigned id;
    uint64_t catalog_version;
    uint32_t control_version;
    uint64_t system_id;
    char *version;
} InfoBackupHistory;

typedef struct InfoBackupEntry {
    char *label;
    unsigned backrest_format;
    char *backrest_version;
    JsonValue *annotation;       /* object, NULL when absent */
    char *archive_start;         /* NULL when absent */
    char *archive_stop;
    bool has_error;              /* backup-error present */
    bool error;
    uint64_t repo_size;
    uint64_t repo_size_delta;
    bool has_repo_size_map;      /* backup-info-repo-size-map(-delta) present (block incremental) */
    uint64_t repo_size_map;
    uint64_t repo_size_map_delta;
    uint64_t size;
    uint64_t size_delta;
    char *lsn_start;             /* NULL when absent */
    char *lsn_stop;
    char *prior;                 /* NULL for a full */
    char **reference;            /* NULL when absent (a full); else reference_count labels */
    size_t reference_count;
    int64_t timestamp_start;
    int64_t timestamp_stop;
    BackupType type;
    unsigned db_id;
    bool option_archive_check;
    bool option_archive_copy;
    bool option_backup_standby;
    bool option_checksum_page;
    bool option_compress;
    bool option_hardlink;
    bool option_online;
} InfoBackupEntry;

typedef struct InfoBackup {
    InfoBackupEntry *backups; /* sorted by label */
    size_t backup_count;
    char *cipher_pass;        /* manifest subpass, NULL when not encrypted */
    uint64_t db_catalog_version;
    uint32_t db_control_version;
    unsigned db_id;
    uint64_t db_system_id;
    char *db_version;
    InfoBackupHistory *history; /* oldest first */
    size_t history_count;
} InfoBackup;

/* Parse the plain text of backup.info into `info` (zeroed on failure). */
int info_backup_parse(const char *text, size_t size, InfoBackup *info);

/* Append the text of backup.info (with checksum) to `out`. */
void info_backup_render(const InfoBackup *info, Buf *out);

/* The backup with this label, NULL when absent. */
const InfoBackupEntry *info_backup_find(const InfoBackup *info, const char *label);

/* Insert (or replace) a backup, keeping label order; takes ownership of the entry's allocations. */
void info_backup_add(InfoBackup *info, InfoBackupEntry *entry);

/* Remove a backup by label (expire); false when absent. */
bool info_backup_remove(InfoBackup *info, const char *label);

/* The history entry of the current db-id (NULL when inconsistent). */
const InfoBackupHistory *info_backup_current(const InfoBackup *info);

/* Add a history entry (id = last + 1, or 1) and make it current. */
void info_backup_history_add(InfoBackup *info, uint64_t system_id, const char *version, uint64_t catalog_version,
                             uint32_t control_version);

/* Load <path> (e.g. "backup/demo/backup.info") with .copy fallback. */
int info_backup_load(Storage *storage, const char *path, CipherType cipher_type, const char *pass, InfoBackup *info);

/* Save <path> and <path>.copy. */
int info_backup_save(Storage *storage, const char *path, CipherType cipher_type, const char *pass,
                     const InfoBackup *info);

void info_backup_entry_free(InfoBackupEntry *entry);
void info_backup_free(InfoBackup *info);

#endif
