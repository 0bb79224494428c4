/*
 * db: the libpq connection to the PostgreSQL primary and the queries the commands need (stanza-create,
 * check, backup, metrics).
 *
 * A PgDb is one session. It is used by the coordinator thread only (libpq is never shared with workers).
 * Connecting reads the cluster's facts once (version, data directory, archive settings, WAL segment size,
 * checksums, recovery state, system identifier, timeline) and checks them against the configuration.
 * Every failing call returns -1 with ERR_DB_CONNECT (connection), ERR_DB_MISMATCH (the cluster is not the
 * one configured), ERR_VERSION_NOT_SUPPORTED or ERR_DB_QUERY (the SQL, shortened, and libpq's message).
 *
 * The session sets statement_timeout to db-timeout, so every query (including backup start/stop, which wait
 * for a checkpoint or for WAL) is bounded; libpq's connect_timeout bounds the connection.
 * A non-exclusive backup lives as long as its session: call pg_db_backup_start and pg_db_backup_stop on
 * the same PgDb. WAL switch, current WAL and backup start/stop need a primary (pg_walfile_name is refused
 * during recovery): check facts.in_recovery first.
 */
#ifndef GAIAREST_ENGINE_PG_DB_H
#define GAIAREST_ENGINE_PG_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pg/wal.h"

#define PG_DB_PORT_DEFAULT 5432
#define PG_DB_DATABASE_DEFAULT "postgres"
#define PG_DB_VERSION_MIN 120000 /* oldest server_version_num supported (PostgreSQL 12) */
#define PG_DB_VERSION_MAX 179999 /* newest (PostgreSQL 17.x) */
#define PG_DB_LSN_SIZE 18        /* "FFFFFFFF/FFFFFFFF" plus NUL */
#define PG_DB_WAL_NAME_SIZE 64   /* any archived file name: segment, .partial, .backup, .history, plus NUL */

typedef struct PgDb PgDb;

typedef struct PgDbOptions {
    const char *path;        /* pg1-path; NULL skips the data_directory check */
    unsigned port;           /* pg1-port; 0 means PG_DB_PORT_DEFAULT */
    const char *socket_path; /* pg1-socket-path; NULL: libpq's default */
    const char *user;        /* pg1-user; NULL: libpq's default (the OS user) */
    const char *database;    /* pg1-database; NULL means PG_DB_DATABASE_DEFAULT */
    int64_t timeout_ms;      /* db-timeout; 0 or less: no timeout */
    const char *command;     /* command name for application_name "gaiarest [<command>]"; NULL: "gaiarest" */
    unsigned version_num_expected; /* PG_VERSION_NUM read from pg_control (major * 10000), 0: not checked */
} PgDbOptions;

/* What the cluster said about itself when the session was opened. Owned by the PgDb. */
typedef struct PgDbFacts {
    unsigned version_num;     /* server_version_num, e.g. 150004 */
    char version[8];          /* major version as pgBackRest writes it: "15" */
    char *data_directory;     /* as the server reports it */
    char *archive_mode;       /* "off", "on" or "always" */
    char *archive_command;    /* "" when unset */
    uint32_t wal_segment_size; /* bytes */
    bool data_checksums;
    bool in_recovery;
    uint64_t system_id;
    uint32_t timeline;        /* of the latest checkpoint */
} PgDbFacts;

typedef struct PgDbBackupStart {
    char lsn[PG_DB_LSN_SIZE];                  /* "0/2000028" */
    uint64_t lsn_value;
    char wal_file[WAL_SEGMENT_NAME_SIZE + 1];  /* segment holding the start LSN */
} PgDbBackupStart;

typedef struct PgDbBackupStop {
    char lsn[PG_DB_LSN_SIZE];
    uint64_t lsn_value;
    char wal_file[WAL_SEGMENT_NAME_SIZE + 1];  /* segment holding the stop LSN */
    char *backup_label;                        /* content of backup_label (owned; pg_db_backup_stop_free) */
    char *tablespace_map;                      /* content of tablespace_map, NULL when none or empty */
} PgDbBackupStop;

typedef struct PgDbTablespace {
    uint32_t oid;
    char *name;
    char *location;
} PgDbTablespace;

typedef struct PgDbTablespaceList {
    PgDbTablespace *items; /* ordered by oid */
    size_t count;
} PgDbTablespaceList;

typedef struct PgDbDatabase {
    uint32_t oid;
    char *name;
    uint32_t last_system_id; /* the OID of template0, the same on every row (manifest db-last-system-id) */
} PgDbDatabase;

typedef struct PgDbDatabaseList {
    PgDbDatabase *items; /* ordered by name */
    size_t count;
} PgDbDatabaseList;

/* The pg_stat_archiver row. Names are "" and times 0 when the server has none yet. */
typedef struct PgDbArchiverStat {
    uint64_t archived_count;
    char last_archived_wal[PG_DB_WAL_NAME_SIZE];
    int64_t last_archived_time; /* epoch seconds */
    uint64_t failed_count;
    char last_failed_wal[PG_DB_WAL_NAME_SIZE];
    int64_t last_failed_time; /* epoch seconds */
} PgDbArchiverStat;

/* Connect, read the facts and check them: -1 with ERR_DB_CONNECT (naming socket/host, port and database, with
 * libpq's message and a hint), ERR_VERSION_NOT_SUPPORTED, ERR_DB_MISMATCH (data_directory is not pg1-path,
 * or the version is not the one in pg_control) or ERR_DB_QUERY. On success *db is owned by the caller. */
int pg_db_connect(const PgDbOptions *options, PgDb **db);

/* Close the session and free everything (NULL is ignored). */
void pg_db_free(PgDb *db);

/* The facts read at connect. */
const PgDbFacts *pg_db_facts(const PgDb *db);

/* 0 when server_version_num is supported, else -1 with ERR_VERSION_NOT_SUPPORTED. */
int pg_db_version_check(unsigned version_num);

/* Force a WAL switch (a named restore point first, so the switch happens even when nothing was written)
 * and return the name of the segment that was closed: the file that must reach the archive. */
int pg_db_switch_wal(PgDb *db, char wal_file[WAL_SEGMENT_NAME_SIZE + 1]);

/* Start a non-exclusive backup (pg_backup_start on 15+, pg_start_backup on 12-14). `label` NULL: a label
 * naming gaiarest and the local time. start_fast asks for an immediate checkpoint. */
int pg_db_backup_start(PgDb *db, const char *label, bool start_fast, PgDbBackupStart *start);

/* Stop the backup started on this session without waiting for archiving; on success *stop owns the label
 * and map contents (release with pg_db_backup_stop_free). */
int pg_db_backup_stop(PgDb *db, PgDbBackupStop *stop);
void pg_db_backup_stop_free(PgDbBackupStop *stop);

/* User tablespaces (pg_default and pg_global left out). Release with pg_db_tablespace_list_free. */
int pg_db_tablespace_list(PgDb *db, PgDbTablespaceList *list);
void pg_db_tablespace_list_free(PgDbTablespaceList *list);

/* Every database with template0's OID as last system id. Release with pg_db_database_list_free. */
int pg_db_database_list(PgDb *db, PgDbDatabaseList *list);
void pg_db_database_list_free(PgDbDatabaseList *list);

/* The current write LSN (lsn may be NULL) and the segment that holds it. */
int pg_db_current_wal(PgDb *db, char lsn[PG_DB_LSN_SIZE], char wal_file[WAL_SEGMENT_NAME_SIZE + 1]);

/* The pg_stat_archiver row. */
int pg_db_archiver_stat(PgDb *db, PgDbArchiverStat *stat);

/* The segment name the server computes for `lsn` ("%X/%X") on its current timeline. */
int pg_db_wal_file_name(PgDb *db, const char *lsn, char wal_file[WAL_SEGMENT_NAME_SIZE + 1]);

/* The server's clock (clock_timestamp()) in milliseconds since the epoch. */
int pg_db_time_ms(PgDb *db, int64_t *time_ms);

/* Run CHECKPOINT. */
int pg_db_checkpoint(PgDb *db);

#endif
