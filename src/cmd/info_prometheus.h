/*
 * cmd/info_prometheus: `info --output=prometheus`, the info report in Prometheus' text exposition format
 * (version 0.0.4), ready for node_exporter's textfile collector.
 *
 * The numbers come from the same InfoReport that the text and JSON outputs render (engine/ops/info.h), so
 * a value here always equals the one `info --output=json` prints for the same repository state; the
 * metric list and its meaning are documented in doc/user-guide.md ("Monitoring").
 * When the configuration names a PostgreSQL cluster for the requested stanza (pg1-path), the archiver
 * state of that cluster (pg_stat_archiver and the current WAL) is added; a cluster that cannot be reached
 * only sets gaiarest_pg_up to 0.
 */
#ifndef GAIAREST_CMD_INFO_PROMETHEUS_H
#define GAIAREST_CMD_INFO_PROMETHEUS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "engine/ops/info.h"
#include "engine/pg/db.h"

/* What the cluster of one stanza said about WAL archiving (see info_prometheus_pg_read). */
typedef struct InfoPgArchive {
    const char *stanza;        /* the stanza the cluster belongs to (label value); not owned */
    bool up;                   /* connected and queried */
    bool in_recovery;
    PgDbArchiverStat archiver; /* valid when up */
    bool has_current;          /* current_lsn is valid (a primary) */
    uint64_t current_lsn;      /* the current write position (pg_current_wal_lsn) */
    uint32_t wal_segment_size; /* bytes, valid when up */
} InfoPgArchive;

/* Render the report as Prometheus metrics into `out`. `pg` is NULL when no cluster is configured (the
 * pg/archiver series are then left out). `now` (epoch seconds) is the reference of the *_age_seconds
 * series and is reported as gaiarest_info_generated_timestamp_seconds. */
void info_render_prometheus(const InfoReport *report, const InfoPgArchive *pg, int64_t now, Buf *out);

/* Escape a label value as the text format wants it (backslash, double quote and line feed). */
void info_prometheus_escape_label(const char *value, Buf *out);

/* Segments of WAL completed by the cluster but not yet archived: the segments wholly before the current write
 * position that come after the last archived one (never negative). A segment is complete once the write
 * position reaches its end, so right after a WAL switch the switched segment counts. False when it cannot be
 * known (no primary, nothing archived yet, the last archived file is a timeline history file). */
bool info_prometheus_archive_lag(const InfoPgArchive *pg, uint64_t *segments);

/* Read the archiver state of pg1 for `stanza` from the configuration: false when pg1-path is not
 * configured (pg then untouched). A cluster that cannot be reached or queried gives true with pg->up false;
 * the reason is logged at detail level, never on the console at the default level, so that stdout stays
 * valid exposition text. */
bool info_prometheus_pg_read(const char *stanza, InfoPgArchive *pg);

/* The whole --output=prometheus rendering of cmd_info: reads the cluster when configured for the requested
 * stanza, then renders with the current time. */
void info_prometheus_output(const InfoReport *report, Buf *out);

#endif
