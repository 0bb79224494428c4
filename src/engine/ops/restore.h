/*
 * restore: put a backup from the repository back into pg1-path, as pgBackRest 2.45's restore does (spec 12).
 *
 * The steps, in order:
 *   1. refuse a running cluster (postmaster.pid) and pick the backup set: --set, or for --type=time the newest
 *      backup that stopped before the target, or the newest in backup.info;
 *   2. load its manifest (decrypted with backup.info's pass); refuse block-incremental files;
 *   3. map the data directory, tablespaces (--tablespace-map, --tablespace-map-all) and links (--link-all,
 *      --link-map; other links become plain directories/files) and the databases to zero (--db-include,
 *      --db-exclude);
 *   4. refuse non-empty destinations unless --delta or --force; with them remove global/pg_control first and
 *      then everything that is not in the manifest;
 *   5. create directories ([target:path]) and links ([target:link]) with their modes (owners as root);
 *   6. restore the files on `process-max` worker threads, largest first (restore_file.h), logging each one at
 *      detail level with the share done; pg_control is written as global/pg_control.pgbackrest.tmp;
 *   7. write the recovery settings (restore_recovery.h);
 *   8. make everything durable with one syncfs() per file system instead of an fsync per file, then rename
 *      pg_control into place and sync its directory, so that an interrupted restore cannot be started.
 */
#ifndef GAIAREST_ENGINE_OPS_RESTORE_H
#define GAIAREST_ENGINE_OPS_RESTORE_H

#include <stddef.h>
#include <stdint.h>

/* Run a restore with the loaded configuration (the restore command's options). */
int restore_run(void);

/* pgBackRest's human size: "3B", "768KB", "12.8MB", "1.1GB" (into `out`, `size` bytes). */
void restore_size_format(uint64_t bytes, char *out, size_t size);

#endif
