/*
 * manifest_build: the manifest of a new backup from the data directory (spec 3.10-3.13).
 *
 * manifest_build() walks PGDATA and every tablespace (through the pg_tblspc/<oid> links) and fills the
 * targets, paths, links, files and the three default sections of a manifest, with pgBackRest 2.45's
 * exclusions: the PGDATA root files that must not be restored (postmaster.pid, backup_label, ...), the content
 * of the transient directories (pg_wal when online, pg_stat_tmp, pg_replslot, ...), temporary relations and
 * pgsql_tmp directories, pg_internal.init, unlogged relations except their init fork, and the `exclude`
 * option. Each file gets size, mtime, mode/user/group when they differ from the defaults (taken from PGDATA).
 * The caller fills [backup], [backup:db], [backup:option], [cipher] and [db].
 *
 * manifest_build_incr() applies the differential/incremental rules against the prior backup's manifest:
 * unchanged files are referenced (with the prior's checksums and sizes) instead of being copied again, and
 * delta checking is switched on when timestamps cannot be trusted (with 2.45's warnings).
 */
#ifndef GAIAREST_ENGINE_REPO_MANIFEST_BUILD_H
#define GAIAREST_ENGINE_REPO_MANIFEST_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/repo/manifest.h"
#include "storage/storage.h"

typedef struct ManifestBuildTablespace {
    uint32_t oid;
    const char *name;
} ManifestBuildTablespace;

typedef struct ManifestBuildOptions {
    const char *pg_path;          /* absolute path of PGDATA (pg1-path) */
    const char *pg_version;       /* "15" */
    uint32_t catalog_version;     /* from pg_control, for the tablespace directory PG_<ver>_<catalog> */
    bool online;                  /* the content of pg_wal is skipped for an online backup */
    const ManifestBuildTablespace *tablespaces; /* names of the tablespaces by oid (may be NULL) */
    size_t tablespace_count;
    const char *const *excludes;  /* exclude option: "dir/" skips a directory's content, "name" one entry */
    size_t exclude_count;
} ManifestBuildOptions;

/* Walk the data directory through `pg_storage` (a posix storage rooted at "/") into `manifest` (targets, paths,
 * links, files, defaults; sorted). On failure the manifest may hold a part of the walk (manifest_free it). */
int manifest_build(Storage *pg_storage, const ManifestBuildOptions *options, Manifest *manifest);

/* The tablespace version directory "PG_<version>_<catalog>" (owned by the caller). */
char *manifest_build_tablespace_dir(const char *pg_version, uint32_t catalog_version);

/* Whether a file is verified for page checksums (spec 3.12): in pg_data/global, pg_data/base/<oid> or
 * pg_tblspc/<oid>/<tablespace_dir>/<oid>, except pg_filenode.map, PG_VERSION and pg_control. */
bool manifest_build_page_candidate(const char *name, const char *tablespace_dir);

/* The segment number of a relation file (the ".N" suffix, 0 without one). */
uint32_t manifest_build_segment_no(const char *name);

/* The absolute path in the data directory of a manifest name ("pg_data/x" -> <pg_path>/x, "pg_tblspc/..." ->
 * <pg_path>/pg_tblspc/..., through the links). Owned by the caller. */
char *manifest_build_pg_file(const char *pg_path, const char *name);

/* Differential/incremental against `prior`: files whose size is unchanged and whose timestamp is unchanged (or
 * any timestamp when *delta) get the prior's checksum, sizes, page results and a reference to the backup that
 * holds them. *delta is switched on (with a warning) after a timeline switch, an online change, a timestamp
 * older than the prior's, or an equal timestamp with a different size. Logs "reference <name> to <label>" at
 * detail level. */
void manifest_build_incr(Manifest *manifest, const Manifest *prior, bool *delta);

#endif
