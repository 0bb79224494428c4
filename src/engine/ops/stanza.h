/*
 * stanza: the life cycle of a stanza in a repository (spec 2.5, 2.6, 5.3): create its archive.info and
 * backup.info, add a PostgreSQL history entry after an upgrade, delete it; and the checks shared with the
 * check command (the two info files agree with each other and with the cluster).
 *
 * The functions here work on one opened repository (engine/repo/repo.h) and the facts of the cluster
 * (StanzaPg). Messages, codes and hints are those pgBackRest 2.45 shows for the same situation, because
 * scripts match on them.
 */
#ifndef GAIAREST_ENGINE_OPS_STANZA_H
#define GAIAREST_ENGINE_OPS_STANZA_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/pg/version.h"
#include "engine/repo/info_archive.h"
#include "engine/repo/info_backup.h"
#include "engine/repo/repo.h"

typedef struct PgDb PgDb;
typedef struct Lock Lock;

/* What the info files record about a cluster, read from its pg_control. */
typedef struct StanzaPg {
    uint64_t system_id;
    const PgVersion *version; /* version->name is db-version */
    uint32_t catalog_version;
    uint32_t control_version;
} StanzaPg;

/* Take the backup lock of the configured stanza in lock-path (as stanza-create/upgrade/delete do in 2.45, before
 * anything else), with the configured exec-id or a new one. Release with lock_release(). */
int stanza_lock(Lock **lock);

/* Read the facts from <pg_path>/global/pg_control. */
int stanza_pg_from_control(const char *pg_path, StanzaPg *pg);

/* The facts of the configured cluster (pg1-path/port/socket-path/user/database, db-timeout): pg_control is
 * read, and when `online` the server is connected to (it must be a primary whose data_directory and version
 * agree with pg_control). A connection failure is logged as pgBackRest does ("unable to check pg1: ...") and
 * reported as ERR_DB_CONNECT "unable to find primary cluster - cannot proceed". When `db` is not NULL and
 * online, the open session is handed over (the caller frees it with pg_db_free); otherwise it is closed. */
int stanza_pg_open(bool online, const char *command, StanzaPg *pg, PgDb **db);

/* Load archive.info then backup.info of the stanza from the repository (with their .copy fallback and the
 * repository passphrase). Errors carry pgBackRest's hints. On failure nothing is left allocated. */
int stanza_info_load(const Repo *repo, const char *stanza, InfoArchive *archive, InfoBackup *backup);

/* The two files describe the same current cluster (ERR_FILE_INVALID "backup info file and archive info file do
 * not match" with both sides), and that cluster is `pg` (ERR_FILE_INVALID "backup and archive info files exist
 * but do not match the database", hinting at the stanza or an unfinished upgrade). */
int stanza_info_validate(const InfoArchive *archive, const InfoBackup *backup, const StanzaPg *pg);

typedef enum StanzaCreateResult {
    STANZA_CREATE_NEW,      /* both files written with history id 1 */
    STANZA_CREATE_VALID,    /* all four files were there and match the cluster */
    STANZA_CREATE_REPAIRED, /* the files were valid but a main file or a .copy was missing: written again */
} StanzaCreateResult;

/* stanza-create on one repository: create both info files (+ .copy) with history id 1 (and fresh subpasses in
 * an encrypted repository), accept existing matching files, refuse a half-made or foreign stanza:
 * ERR_FILE_MISSING when only one of the two info files exists, ERR_PATH_NOT_EMPTY when the stanza's archive or
 * backup directory has files but no info file, the validate errors above otherwise. */
int stanza_create_repo(const Repo *repo, const char *stanza, const StanzaPg *pg, StanzaCreateResult *result);

/* stanza-upgrade on one repository: for each info file whose current cluster is not `pg`, add history id N+1
 * and save it; *upgraded tells whether anything was written. */
int stanza_upgrade_repo(const Repo *repo, const char *stanza, const StanzaPg *pg, bool *upgraded);

typedef struct StanzaDeleteOptions {
    const char *lock_path; /* where <stanza>.stop must be */
    const char *pg_path;   /* pg1-path: postmaster.pid there means PostgreSQL runs */
    bool force;            /* delete even when PostgreSQL runs */
} StanzaDeleteOptions;

/* stanza-delete on one repository. When the stanza has an archive or backup directory: the stop file of the
 * stanza must exist (ERR_FILE_MISSING), PostgreSQL must not run unless force (ERR_PG_RUNNING); the four info
 * files are removed first (so a failure leaves an invalid stanza that can be deleted again), then both
 * directories, then the stop file. *deleted tells whether there was anything to delete. */
int stanza_delete_repo(const Repo *repo, const char *stanza, const StanzaDeleteOptions *options, bool *deleted);

#endif
