/*
 * version: the PostgreSQL versions gaiarest knows, with the facts tied to each (spec 6.1-6.3, 14 item 12):
 * the version string stored in info files ("9.6", "15"), pg_control's control and catalog versions, and the
 * WAL page magic.
 */
#ifndef GAIAREST_ENGINE_PG_VERSION_H
#define GAIAREST_ENGINE_PG_VERSION_H

#include <stdbool.h>
#include <stdint.h>

typedef struct PgVersion {
    unsigned num;             /* 150000 */
    const char *name;         /* "15", as in db-version */
    uint32_t control_version; /* pg_control_version, also written as db-control-version */
    uint32_t catalog_version; /* catalog_version_no of the release */
    uint16_t wal_magic;       /* xlp_magic of WAL pages */
} PgVersion;

/* The entry for a version number (150000), a version string ("15") or NULL when unknown. */
const PgVersion *pg_version_by_num(unsigned num);
const PgVersion *pg_version_by_name(const char *name);

/* Whether `name` has the form of a db-version ("15", "9.6"): digits, then at most one '.' and digits. Info files
 * name archive ids after it ("15-1"), so anything else (a '/', "..") is refused, known version or not. */
bool pg_version_name_valid(const char *name);

/* The version whose pg_control has this control and catalog version. The newest major accepts any catalog
 * version of its development cycle (catalog .. next multiple of 100000), as pgBackRest does for betas. */
const PgVersion *pg_version_by_control(uint32_t control_version, uint32_t catalog_version);

/* The version whose WAL pages carry this magic, NULL when unknown. */
const PgVersion *pg_version_by_wal_magic(uint16_t wal_magic);

/* db-control-version for a version string ("15" -> 1300); 0 when unknown. */
uint32_t pg_version_control_version(const char *name);

#endif
