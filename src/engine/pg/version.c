/* version: the table of PostgreSQL versions (see version.h). */
#include "engine/pg/version.h"

#include <stddef.h>
#include <string.h>

static const PgVersion pg_versions[] = {
    {90600, "9.6", 960, 201608131, 0xD093},
    {100000, "10", 1002, 201707211, 0xD097},
    {110000, "11", 1100, 201809051, 0xD098},
    {120000, "12", 1201, 201909212, 0xD101},
    {130000, "13", 1300, 202007201, 0xD106},
    {140000, "14", 1300, 202107181, 0xD10D},
    {150000, "15", 1300, 202209061, 0xD110},
    {160000, "16", 1300, 202307071, 0xD113},
    {170000, "17", 1700, 202406281, 0xD116},
};

#define PG_VERSION_COUNT (sizeof(pg_versions) / sizeof(pg_versions[0]))

const PgVersion *
pg_version_by_num(unsigned num)
{
    for (size_t i = 0; i < PG_VERSION_COUNT; i++)
        if (pg_versions[i].num == num)
            return &pg_versions[i];
    return NULL;
}

const PgVersion *
pg_version_by_name(const char *name)
{
    for (size_t i = 0; i < PG_VERSION_COUNT; i++)
        if (strcmp(pg_versions[i].name, name) == 0)
            return &pg_versions[i];
    return NULL;
}

bool
pg_version_name_valid(const char *name)
{
    size_t major = strspn(name, "0123456789");
    if (major == 0 || major > 4)
        return false;
    if (name[major] == '\0')
        return true;
    size_t minor = name[major] == '.' ? strspn(name + major + 1, "0123456789") : 0;
    return minor > 0 && minor <= 4 && name[major + 1 + minor] == '\0';
}

const PgVersion *
pg_version_by_control(uint32_t control_version, uint32_t catalog_version)
{
    for (size_t i = 0; i < PG_VERSION_COUNT; i++)
        if (pg_versions[i].control_version == control_version && pg_versions[i].catalog_version == catalog_version)
            return &pg_versions[i];

    const PgVersion *newest = &pg_versions[PG_VERSION_COUNT - 1];
    uint32_t cycle_end = (newest->catalog_version / 100000 + 1) * 100000;
    if (control_version == newest->control_version && catalog_version >= newest->catalog_version &&
        catalog_version < cycle_end)
        return newest;
    return NULL;
}

const PgVersion *
pg_version_by_wal_magic(uint16_t wal_magic)
{
    for (size_t i = 0; i < PG_VERSION_COUNT; i++)
        if (pg_versions[i].wal_magic == wal_magic)
            return &pg_versions[i];
    return NULL;
}

uint32_t
pg_version_control_version(const char *name)
{
    const PgVersion *version = pg_version_by_name(name);
    return version != NULL ? version->control_version : 0;
}
