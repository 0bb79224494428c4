/*
 * expire: apply the retention settings of one repository (spec section 11), with pgBackRest 2.45's decisions,
 * order of operations and log lines.
 *
 *   1. backups: an ad hoc label (--set) with its dependents, or else full retention (count or days) and
 *      differential retention; each removed from backup.info in memory ("expire full backup set ...");
 *   2. backup.info is saved without them, THEN every backup directory not in backup.info is removed
 *      ("remove expired backup ...", newest first; stray directories of aborted backups included);
 *   3. WAL per archive id: everything older than the archive-start of the oldest backup kept for archive
 *      retention goes, except archive-start..archive-stop of every older backup still kept (consistency);
 *      whole 16-character directories are removed when nothing in them is kept; .history files stay;
 *   4. backup.history manifests of backups no longer current, labelled before now - repo-retention-history days
 *      (when set): a whole year directory when all of it goes.
 * With dry_run every decision is logged (prefixed "[DRY-RUN] ") and nothing is written or removed.
 */
#ifndef GAIAREST_ENGINE_OPS_EXPIRE_H
#define GAIAREST_ENGINE_OPS_EXPIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "engine/repo/info_backup.h"
#include "storage/filter/cipher.h"
#include "storage/storage.h"

typedef struct ExpireSettings {
    unsigned repo_key;              /* N of repoN, for log lines */
    unsigned retention_full;        /* 0: not set */
    bool retention_full_time;       /* retention-full-type=time: retention_full counts days */
    unsigned retention_diff;        /* 0: not set */
    unsigned retention_archive;     /* 0: not set */
    BackupType retention_archive_type;
    bool has_retention_history;
    unsigned retention_history;     /* days */
    const char *set;                /* ad hoc label, NULL when none */
    bool dry_run;
    int64_t now;                    /* epoch seconds */
} ExpireSettings;

/* Log a line with the "[DRY-RUN] " prefix when `dry_run`. */
void expire_log(bool dry_run, LogLevel level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Log the warnings 2.45 gives about these settings (retention-full unset, archive retention that cannot apply). */
void expire_settings_warn(const ExpireSettings *settings);

/* The archive retention that applies after the settings' defaults: repo-retention-archive, else
 * retention-full (type full, count) or retention-diff (type diff); 0 when WAL is not to be expired. */
unsigned expire_archive_retention_default(const ExpireSettings *settings);

/* Step 1 on `info` in memory: remove the backups the settings expire and log each decision. *removed counts
 * them. */
int expire_backups(InfoBackup *info, const ExpireSettings *settings, size_t *removed);

/* The labels (with the backup itself, sorted) of `label` and every backup that references it; *count set. */
char **expire_dependents(const InfoBackup *info, const char *label, size_t *count);

/* The whole run on one repository (steps 1-4) for `stanza`. */
int expire_repo(Storage *storage, const char *stanza, CipherType cipher_type, const char *cipher_pass,
                const ExpireSettings *settings);

#endif
