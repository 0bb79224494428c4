/*
 * backup: an online backup of a PostgreSQL cluster into a repository, compatible with pgBackRest 2.45
 * (spec 1.3, 1.4, 2.6, 3, 7.2, 9.1).
 *
 * Order of events (what a crash at any point leaves behind is in brackets):
 *   lock, load archive.info/backup.info, check the cluster against them, pick the prior (diff/incr),
 *   pg_backup_start, look at leftover directories of interrupted backups (the newest is resumed when allowed, the
 *   others removed), label, build the manifest, [resume: remove the files of the resumed directory that cannot be
 *   kept], save <label>/backup.manifest.copy [a directory with only .copy: not a backup for info/restore/expire;
 *   the next backup resumes or removes it], copy the files with process-max workers (.copy saved again every
 *   manifest-save-threshold bytes, with the checksums so far), pg_backup_stop, store backup_label/tablespace_map,
 *   wait for the WAL range in the archive, [archive-copy: copy that range into pg_data/pg_wal], save
 *   backup.manifest(.copy) [still not in backup.info: resumed or removed by the next backup], add the backup.info
 *   entry [the backup exists], backup.history/<year>/<label>.manifest.gz, the `latest` link.
 *
 * Resume (resume=y, as pgBackRest 2.45): the newest leftover is resumed when its type, prior, compression and
 * version are those of the new backup ("resumable backup ... of same type exists"); it keeps its label. Each file
 * already there is kept when the resumed manifest has its checksum and the same size and timestamp as the new
 * manifest, and is then read back and verified by a worker ("checksum resumed file ..."); every other file is
 * removed ("remove file ... from resumed backup (<reason>)") and copied again. Bundled backups are not resumed.
 *
 * Bundles (repo-bundle=y): the small files are stored one after the other in bundle objects, each file a complete
 * compressed (and encrypted) stream at the offset its manifest entry records (bni, bno, repo-size); empty files are
 * not stored. A diff/incr on a bundled prior references the prior's bundles.
 */
#ifndef GAIAREST_ENGINE_OPS_BACKUP_H
#define GAIAREST_ENGINE_OPS_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/ops/lock.h"
#include "engine/repo/layout.h"
#include "storage/filter/compress.h"

typedef struct BackupOptions {
    const char *stanza;
    BackupType type;
    unsigned repo_index;          /* 0-based configured repo */
    /* the cluster */
    const char *pg_path;
    unsigned pg_port;
    const char *pg_socket_path;
    const char *pg_user;
    const char *pg_database;
    int64_t db_timeout_ms;
    bool start_fast;
    bool online;                  /* false: the cluster is stopped; no backup start/stop, pg_wal copied as it is */
    bool force;                   /* offline: go on even with a postmaster.pid */
    /* behaviour */
    bool archive_check;
    bool archive_copy;
    int64_t archive_timeout_ms;
    bool checksum_page_set;       /* false: follow the cluster's data checksums */
    bool checksum_page;
    CompressType compress_type;
    bool compress_level_set;
    int compress_level;
    int compress_level_network;
    bool delta;
    bool resume;
    unsigned process_max;
    size_t buffer_size;
    uint64_t manifest_save_threshold;
    bool bundle;                  /* repo-bundle: files of bundle_limit bytes or less are packed into bundle objects of
                                   * about bundle_size bytes (backup/<stanza>/<label>/bundle/<n>); empty ones are not
                                   * stored */
    uint64_t bundle_limit;
    uint64_t bundle_size;
    const char *const *excludes;
    size_t exclude_count;
    const char *lock_path;
    bool retention_full_set;      /* repoN-retention-full given (else 2.45's warning) */
    const char *annotation_json;  /* {"key":"value",...} sorted, NULL when none */
    const char *exec_id;          /* for the lock file; NULL: a new one */
    Lock **lock_keep;             /* non-NULL: on success the backup lock is handed over here, not released (the
                                   * expire that follows runs under it) */
} BackupOptions;

/* Run a backup. 0, or -1 with the error record set (the cluster's backup is stopped on every path). */
int backup_run(const BackupOptions *options);

#endif
