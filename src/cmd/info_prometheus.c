/*
 * cmd/info_prometheus: info as Prometheus metrics (see info_prometheus.h).
 *
 * Every metric family collects its samples in its own buffer while the report is walked once; the families
 * are then written in a fixed order, each with its HELP and TYPE lines and all its samples together, as the
 * text format requires. Families without a sample are left out.
 */
#include "cmd/info_prometheus.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/pg/wal.h"

/* ------------------------------------------------------------------------------------------------------------------ */
/* Metric families                                                                                                  */
/* ------------------------------------------------------------------------------------------------------------------ */
typedef enum MetricId {
    M_GENERATED,
    M_STANZA_STATUS,
    M_STANZA_OK,
    M_STANZA_LOCK,
    M_REPO_STATUS,
    M_REPO_OK,
    M_BACKUPS,
    M_LAST_COMPLETION,
    M_LAST_START,
    M_LAST_DURATION,
    M_LAST_AGE,
    M_LAST_SIZE,
    M_LAST_DELTA,
    M_LAST_REPO_SIZE,
    M_LAST_REPO_DELTA,
    M_LAST_ERROR,
    M_GOOD_COMPLETION,
    M_GOOD_AGE,
    M_WAL_INFO,
    M_WAL_PRESENT,
    M_PG_UP,
    M_PG_RECOVERY,
    M_ARCHIVED,
    M_FAILED,
    M_LAST_ARCHIVED,
    M_LAST_FAILED,
    M_LAG_SEGMENTS,
    M_LAG_BYTES,
    M_COUNT
} MetricId;

typedef struct MetricDef {
    const char *name;
    const char *type;
    const char *help;
} MetricDef;

static const MetricDef metric_defs[M_COUNT] = {
    [M_GENERATED] = {"gaiarest_info_generated_timestamp_seconds", "gauge",
                     "When gaiarest read the repositories for these metrics (the reference of every *_age_seconds)."},
    [M_STANZA_STATUS] = {"gaiarest_stanza_status_code", "gauge",
                         "Stanza status code as info reports it: 0 ok, 1 missing stanza path, 2 no valid backups, "
                         "3 missing stanza data, 4 different across repos, 6 requested backup not found, 99 other."},
    [M_STANZA_OK] = {"gaiarest_stanza_ok", "gauge", "1 when the stanza status is ok on every repository, else 0."},
    [M_STANZA_LOCK] = {"gaiarest_stanza_backup_lock_held", "gauge",
                       "1 while a backup or expire holds the stanza's backup lock on this host."},
    [M_REPO_STATUS] = {"gaiarest_repo_status_code", "gauge",
                       "Status code of the stanza on one repository (same codes as gaiarest_stanza_status_code)."},
    [M_REPO_OK] = {"gaiarest_repo_ok", "gauge", "1 when the stanza is ok on this repository, else 0."},
    [M_BACKUPS] = {"gaiarest_backups", "gauge", "Backups of this type currently held in the repository."},
    [M_LAST_COMPLETION] = {"gaiarest_backup_last_completion_timestamp_seconds", "gauge",
                           "When the newest backup of this type finished (epoch seconds)."},
    [M_LAST_START] = {"gaiarest_backup_last_start_timestamp_seconds", "gauge",
                      "When the newest backup of this type started (epoch seconds)."},
    [M_LAST_DURATION] = {"gaiarest_backup_last_duration_seconds", "gauge",
                         "How long the newest backup of this type took."},
    [M_LAST_AGE] = {"gaiarest_backup_last_age_seconds", "gauge",
                    "Seconds from the end of the newest backup of this type to "
                    "gaiarest_info_generated_timestamp_seconds."},
    [M_LAST_SIZE] = {"gaiarest_backup_last_size_bytes", "gauge",
                     "Size of the database as copied by the newest backup of this type."},
    [M_LAST_DELTA] = {"gaiarest_backup_last_delta_bytes", "gauge",
                      "Database bytes the newest backup of this type had to copy (changed since its prior backup)."},
    [M_LAST_REPO_SIZE] = {"gaiarest_backup_last_repo_size_bytes", "gauge",
                          "Repository bytes needed to restore the newest backup of this type (after compression)."},
    [M_LAST_REPO_DELTA] = {"gaiarest_backup_last_repo_delta_bytes", "gauge",
                           "Repository bytes the newest backup of this type added (after compression)."},
    [M_LAST_ERROR] = {"gaiarest_backup_last_error", "gauge",
                      "1 when the newest backup of this type found page checksum errors or other file errors."},
    [M_GOOD_COMPLETION] = {"gaiarest_backup_last_good_completion_timestamp_seconds", "gauge",
                           "When the newest backup of any type without errors finished (epoch seconds)."},
    [M_GOOD_AGE] = {"gaiarest_backup_last_good_age_seconds", "gauge",
                    "Seconds since the newest backup of any type without errors finished."},
    [M_WAL_INFO] = {"gaiarest_archive_wal_info", "gauge",
                    "Oldest and newest WAL segment held for one archive id (labels min and max; empty when none)."},
    [M_WAL_PRESENT] = {"gaiarest_archive_wal_present", "gauge",
                       "1 when the archive id holds at least one WAL segment, else 0."},
    [M_PG_UP] = {"gaiarest_pg_up", "gauge",
                 "1 when gaiarest could connect to the stanza's PostgreSQL cluster (pg1) and read its archiver state."},
    [M_PG_RECOVERY] = {"gaiarest_pg_in_recovery", "gauge", "1 when the cluster is a standby (in recovery)."},
    [M_ARCHIVED] = {"gaiarest_archive_archived_total", "counter",
                    "WAL files the cluster archived successfully (pg_stat_archiver.archived_count)."},
    [M_FAILED] = {"gaiarest_archive_failed_total", "counter",
                  "Failed attempts of the cluster's archive_command (pg_stat_archiver.failed_count)."},
    [M_LAST_ARCHIVED] = {"gaiarest_archive_last_archived_timestamp_seconds", "gauge",
                         "When the cluster last archived a WAL file (epoch seconds; 0 when never)."},
    [M_LAST_FAILED] = {"gaiarest_archive_last_failure_timestamp_seconds", "gauge",
                       "When the cluster's archive_command last failed (epoch seconds; 0 when never)."},
    [M_LAG_SEGMENTS] = {"gaiarest_archive_lag_segments", "gauge",
                        "Completed WAL segments not archived yet (current WAL segment less last archived, less one)."},
    [M_LAG_BYTES] = {"gaiarest_archive_lag_bytes", "gauge",
                     "gaiarest_archive_lag_segments times the cluster's WAL segment size."},
};

typedef struct Metrics {
    Buf samples[M_COUNT];
} Metrics;

void
info_prometheus_escape_label(const char *value, Buf *out)
{
    for (const char *c = value; *c != '\0'; c++) {
        if (*c == '\\')
            buf_append_str(out, "\\\\");
        else if (*c == '"')
            buf_append_str(out, "\\\"");
        else if (*c == '\n')
            buf_append_str(out, "\\n");
        else
            buf_append_char(out, *c);
    }
}

static void
help_escape(const char *text, Buf *out)
{
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == '\\')
            buf_append_str(out, "\\\\");
        else if (*c == '\n')
            buf_append_str(out, "\\n");
        else
            buf_append_char(out, *c);
    }
}

/* The common labels of a sample (values are escaped when written). */
typedef struct Labels {
    const char *stanza;
    const char *repo;   /* NULL: no repo label */
    const char *type;   /* NULL: no type label */
} Labels;

static void
sample_begin(Metrics *metrics, MetricId id, const Labels *labels, Buf **line)
{
    Buf *out = &metrics->samples[id];
    buf_append_str(out, metric_defs[id].name);
    if (labels != NULL) {
        buf_append_str(out, "{stanza=\"");
        info_prometheus_escape_label(labels->stanza, out);
        buf_append_char(out, '"');
        if (labels->repo != NULL) {
            buf_append_str(out, ",repo=\"");
            info_prometheus_escape_label(labels->repo, out);
            buf_append_char(out, '"');
        }
        if (labels->type != NULL) {
            buf_append_str(out, ",type=\"");
            info_prometheus_escape_label(labels->type, out);
            buf_append_char(out, '"');
        }
    }
    *line = out;
}

/* Extra label pairs (name, value, ..., NULL) after the common ones; closes the label set. */
static void
sample_extra(Buf *out, bool has_labels, va_list args)
{
    bool first = !has_labels;
    const char *name;
    while ((name = va_arg(args, const char *)) != NULL) {
        const char *value = va_arg(args, const char *);
        buf_append_str(out, first ? "{" : ",");
        first = false;
        buf_printf(out, "%s=\"", name);
        info_prometheus_escape_label(value, out);
        buf_append_char(out, '"');
    }
    if (!first)
        buf_append_char(out, '}');
}

static void
sample_i64(Metrics *metrics, MetricId id, const Labels *labels, int64_t value, ...)
{
    Buf *out;
    sample_begin(metrics, id, labels, &out);
    va_list args;
    va_start(args, value);
    sample_extra(out, labels != NULL, args);
    va_end(args);
    buf_printf(out, " %" PRId64 "\n", value);
}

static void
sample_u64(Metrics *metrics, MetricId id, const Labels *labels, uint64_t value)
{
    Buf *out;
    sample_begin(metrics, id, labels, &out);
    if (labels != NULL)
        buf_append_char(out, '}');
    buf_printf(out, " %" PRIu64 "\n", value);
}

static void
metrics_write(Metrics *metrics, Buf *out)
{
    for (int id = 0; id < M_COUNT; id++) {
        if (metrics->samples[id].size == 0)
            continue;
        buf_printf(out, "# HELP %s ", metric_defs[id].name);
        help_escape(metric_defs[id].help, out);
        buf_printf(out, "\n# TYPE %s %s\n", metric_defs[id].name, metric_defs[id].type);
        buf_append(out, metrics->samples[id].data, metrics->samples[id].size);
    }
}

static void
metrics_free(Metrics *metrics)
{
    for (int id = 0; id < M_COUNT; id++)
        buf_free(&metrics->samples[id]);
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Backups                                                                                                          */
/* ------------------------------------------------------------------------------------------------------------------ */
#define BACKUP_TYPE_COUNT 3

/* True when `entry` comes after `than` in info's listing order (start time, then label). */
static bool
backup_later(const InfoBackupEntry *entry, const InfoBackupEntry *than)
{
    if (than == NULL)
        return true;
    if (entry->timestamp_start != than->timestamp_start)
        return entry->timestamp_start > than->timestamp_start;
    return strcmp(entry->label, than->label) > 0;
}

static bool
backup_failed(const InfoBackupEntry *entry)
{
    return entry->has_error && entry->error;
}

static void
backup_last_metrics(Metrics *metrics, const Labels *labels, const InfoBackupEntry *last, int64_t now)
{
    sample_i64(metrics, M_LAST_COMPLETION, labels, last->timestamp_stop, NULL);
    sample_i64(metrics, M_LAST_START, labels, last->timestamp_start, NULL);
    sample_i64(metrics, M_LAST_DURATION, labels, last->timestamp_stop - last->timestamp_start, NULL);
    sample_i64(metrics, M_LAST_AGE, labels, now - last->timestamp_stop, NULL);
    sample_u64(metrics, M_LAST_SIZE, labels, last->size);
    sample_u64(metrics, M_LAST_DELTA, labels, last->size_delta);
    sample_u64(metrics, M_LAST_REPO_SIZE, labels, last->repo_size);
    sample_u64(metrics, M_LAST_REPO_DELTA, labels, last->repo_size_delta);
    sample_i64(metrics, M_LAST_ERROR, labels, backup_failed(last) ? 1 : 0, NULL);
}

/* Counts and newest backup per type, and the newest good backup, of one stanza on one repository. Only the
 * backups info lists (the --set and --type filters apply) of a repository whose status is ok count. */
static void
repo_backup_metrics(Metrics *metrics, const InfoReport *report, const char *stanza, const char *repo_key,
                    const InfoRepoState *repo, int64_t now)
{
    uint64_t count[BACKUP_TYPE_COUNT] = {0};
    const InfoBackupEntry *last[BACKUP_TYPE_COUNT] = {NULL};
    const InfoBackupEntry *good = NULL;
    if (repo->code == INFO_STATUS_OK) {
        for (size_t b = 0; b < repo->backup.backup_count; b++) {
            const InfoBackupEntry *entry = &repo->backup.backups[b];
            if (!info_backup_included(report->request, entry) || (int)entry->type >= BACKUP_TYPE_COUNT)
                continue;
            count[entry->type]++;
            if (backup_later(entry, last[entry->type]))
                last[entry->type] = entry;
            if (!backup_failed(entry) && backup_later(entry, good))
                good = entry;
        }
    }
    for (int type = 0; type < BACKUP_TYPE_COUNT; type++) {
        if (report->request->type_filter >= 0 && report->request->type_filter != type)
            continue;
        Labels labels = {stanza, repo_key, backup_type_name((BackupType)type)};
        sample_u64(metrics, M_BACKUPS, &labels, count[type]);
        if (last[type] != NULL)
            backup_last_metrics(metrics, &labels, last[type], now);
    }
    if (good != NULL) {
        Labels labels = {stanza, repo_key, NULL};
        sample_i64(metrics, M_GOOD_COMPLETION, &labels, good->timestamp_stop, NULL);
        sample_i64(metrics, M_GOOD_AGE, &labels, now - good->timestamp_stop, NULL);
    }
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Stanzas and repositories                                                                                         */
/* ------------------------------------------------------------------------------------------------------------------ */
static void
repo_wal_metrics(Metrics *metrics, const char *stanza, const char *repo_key, const InfoRepoState *repo)
{
    Labels labels = {stanza, repo_key, NULL};
    for (size_t w = 0; w < repo->wal_count; w++) {
        const InfoWalRange *range = &repo->wal[w];
        sample_i64(metrics, M_WAL_INFO, &labels, 1, "archive_id", range->archive_id, "min",
                   range->min != NULL ? range->min : "", "max", range->max != NULL ? range->max : "", NULL);
        sample_i64(metrics, M_WAL_PRESENT, &labels, range->min != NULL ? 1 : 0, "archive_id", range->archive_id,
                   NULL);
    }
}

static void
stanza_metrics(Metrics *metrics, const InfoReport *report, const InfoStanza *stanza, int64_t now)
{
    InfoStatusCode code = info_stanza_status(stanza);
    Labels labels = {stanza->name, NULL, NULL};
    sample_i64(metrics, M_STANZA_STATUS, &labels, (int64_t)code, NULL);
    sample_i64(metrics, M_STANZA_OK, &labels, code == INFO_STATUS_OK ? 1 : 0, NULL);
    sample_i64(metrics, M_STANZA_LOCK, &labels, stanza->lock_held ? 1 : 0, NULL);

    for (size_t r = 0; r < stanza->repo_count; r++) {
        const InfoRepoState *repo = &stanza->repos[r];
        char key[16];
        snprintf(key, sizeof(key), "%u", repo->key);
        Labels repo_labels = {stanza->name, key, NULL};
        sample_i64(metrics, M_REPO_STATUS, &repo_labels, (int64_t)repo->code, NULL);
        sample_i64(metrics, M_REPO_OK, &repo_labels, repo->code == INFO_STATUS_OK ? 1 : 0, NULL);
        /* As in info's JSON: backups and WAL ranges of repositories whose files loaded and hold data. */
        if (!repo->loaded || (repo->code != INFO_STATUS_OK && repo->code != INFO_STATUS_NO_BACKUP))
            continue;
        repo_backup_metrics(metrics, report, stanza->name, key, repo, now);
        repo_wal_metrics(metrics, stanza->name, key, repo);
    }
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* The cluster                                                                                                      */
/* ------------------------------------------------------------------------------------------------------------------ */
bool
info_prometheus_archive_lag(const InfoPgArchive *pg, uint64_t *segments)
{
    if (!pg->up || !pg->has_current || pg->wal_segment_size == 0)
        return false;
    WalFileKind kind = wal_file_kind(pg->archiver.last_archived_wal);
    if (kind != WAL_FILE_SEGMENT && kind != WAL_FILE_PARTIAL && kind != WAL_FILE_BACKUP_HISTORY)
        return false;
    WalSegment archived;
    if (wal_segment_parse(pg->archiver.last_archived_wal, &archived) < 0) {
        err_clear();
        return false;
    }
    /* Segment numbers over the whole LSN space: a log holds 4 GiB of WAL. */
    uint64_t per_log = (UINT64_C(1) << 32) / pg->wal_segment_size;
    uint64_t archived_pos = (uint64_t)archived.log * per_log + archived.segment;
    uint64_t writing_pos = pg->current_lsn / pg->wal_segment_size; /* the first segment not complete yet */
    *segments = writing_pos > archived_pos + 1 ? writing_pos - archived_pos - 1 : 0;
    return true;
}

static void
pg_metrics(Metrics *metrics, const InfoPgArchive *pg)
{
    Labels labels = {pg->stanza, NULL, NULL};
    sample_i64(metrics, M_PG_UP, &labels, pg->up ? 1 : 0, NULL);
    if (!pg->up)
        return;
    sample_i64(metrics, M_PG_RECOVERY, &labels, pg->in_recovery ? 1 : 0, NULL);
    sample_u64(metrics, M_ARCHIVED, &labels, pg->archiver.archived_count);
    sample_u64(metrics, M_FAILED, &labels, pg->archiver.failed_count);
    sample_i64(metrics, M_LAST_ARCHIVED, &labels, pg->archiver.last_archived_time, NULL);
    sample_i64(metrics, M_LAST_FAILED, &labels, pg->archiver.last_failed_time, NULL);
    uint64_t lag = 0;
    if (info_prometheus_archive_lag(pg, &lag)) {
        sample_u64(metrics, M_LAG_SEGMENTS, &labels, lag);
        sample_u64(metrics, M_LAG_BYTES, &labels, lag * pg->wal_segment_size);
    }
}

bool
info_prometheus_pg_read(const char *stanza, InfoPgArchive *pg)
{
    if (cfg_index_count(OPT_GROUP_PG) == 0 || !cfg_has_idx(OPT_PG_PATH, 0))
        return false;
    memset(pg, 0, sizeof(*pg));
    pg->stanza = stanza;

    PgDbOptions options;
    memset(&options, 0, sizeof(options));
    options.path = cfg_str_idx(OPT_PG_PATH, 0);
    options.port = cfg_has_idx(OPT_PG_PORT, 0) ? (unsigned)cfg_int_idx(OPT_PG_PORT, 0) : 0;
    options.socket_path = cfg_str_idx(OPT_PG_SOCKET_PATH, 0);
    options.user = cfg_str_idx(OPT_PG_USER, 0);
    options.database = cfg_str_idx(OPT_PG_DATABASE, 0);
    options.timeout_ms = cfg_int(OPT_DB_TIMEOUT);
    options.command = "info";

    PgDb *db = NULL;
    int result = pg_db_connect(&options, &db);
    if (result == 0) {
        const PgDbFacts *facts = pg_db_facts(db);
        pg->in_recovery = facts->in_recovery;
        pg->wal_segment_size = facts->wal_segment_size;
        result = pg_db_archiver_stat(db, &pg->archiver);
        pg->up = result == 0;
        if (result == 0 && !facts->in_recovery) {
            char lsn[PG_DB_LSN_SIZE], wal_file[WAL_SEGMENT_NAME_SIZE + 1];
            result = pg_db_current_wal(db, lsn, wal_file);
            if (result == 0)
                result = wal_lsn_parse(lsn, &pg->current_lsn);
            pg->has_current = result == 0;
        }
    }
    if (result < 0) {
        LOG_DETAIL("archiver state of pg1 not read: [%03d] %s", (int)err_code(), err_message());
        err_clear();
    }
    pg_db_free(db);
    return true;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Rendering                                                                                                        */
/* ------------------------------------------------------------------------------------------------------------------ */
void
info_render_prometheus(const InfoReport *report, const InfoPgArchive *pg, int64_t now, Buf *out)
{
    Metrics metrics;
    for (int id = 0; id < M_COUNT; id++)
        buf_init(&metrics.samples[id]);

    sample_i64(&metrics, M_GENERATED, NULL, now, NULL);
    for (size_t s = 0; s < report->stanza_count; s++)
        stanza_metrics(&metrics, report, &report->stanzas[s], now);
    if (pg != NULL)
        pg_metrics(&metrics, pg);

    metrics_write(&metrics, out);
    metrics_free(&metrics);
}

void
info_prometheus_output(const InfoReport *report, Buf *out)
{
    InfoPgArchive pg;
    const char *stanza = report->request->stanza;
    bool configured = stanza != NULL && info_prometheus_pg_read(stanza, &pg);
    info_render_prometheus(report, configured ? &pg : NULL, (int64_t)time(NULL), out);
}
