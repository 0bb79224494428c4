/* test_metrics: info --output=prometheus rendering (cmd/info_prometheus) on a report built in memory: label
 * escaping, family grouping with HELP/TYPE, per-type newest backup, the --type filter, the newest good backup,
 * the cluster series and the archive lag arithmetic. The comparison with real repositories and promtool is
 * test/integration/test_metrics.sh. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/info_prometheus.h"

#define MIB16 (16u * 1024 * 1024)

static InfoBackupEntry test_entries[3];
static InfoWalRange test_wal;
static InfoRepoState test_repo;
static InfoStanza test_stanza;
static InfoRequest test_request;
static InfoReport test_report;

static void
entry_set(InfoBackupEntry *entry, const char *label, BackupType type, int64_t start, int64_t stop, uint64_t size,
          bool error)
{
    memset(entry, 0, sizeof(*entry));
    entry->label = (char *)label;
    entry->type = type;
    entry->timestamp_start = start;
    entry->timestamp_stop = stop;
    entry->size = size;
    entry->size_delta = size / 2;
    entry->repo_size = size / 4;
    entry->repo_size_delta = size / 8;
    entry->has_error = error;
    entry->error = error;
}

/* One stanza with a name that needs escaping, repo1 with a full, an incr and a newer incr that had errors. */
static void
report_setup(void)
{
    entry_set(&test_entries[0], "20240101-000000F", BACKUP_TYPE_FULL, 100, 160, 8000, false);
    entry_set(&test_entries[1], "20240101-000000F_20240102-000000I", BACKUP_TYPE_INCR, 200, 230, 800, false);
    entry_set(&test_entries[2], "20240101-000000F_20240103-000000I", BACKUP_TYPE_INCR, 300, 310, 400, true);
    test_wal = (InfoWalRange){1, (char *)"15-1", (char *)"000000010000000000000001",
                              (char *)"000000010000000000000009"};
    memset(&test_repo, 0, sizeof(test_repo));
    test_repo.key = 1;
    test_repo.code = INFO_STATUS_OK;
    test_repo.loaded = true;
    test_repo.backup.backups = test_entries;
    test_repo.backup.backup_count = 3;
    test_repo.wal = &test_wal;
    test_repo.wal_count = 1;
    test_stanza = (InfoStanza){(char *)"we\"ird\\na\nme", &test_repo, 1, true};
    test_request = (InfoRequest){.repo_count = 1, .type_filter = -1};
    test_report = (InfoReport){&test_stanza, 1, &test_request};
}

static char *
render(const InfoPgArchive *pg)
{
    Buf out = BUF_INIT;
    info_render_prometheus(&test_report, pg, 1000, &out);
    return buf_detach(&out);
}

static size_t
occurrences(const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle))
        count++;
    return count;
}

#define S "stanza=\"we\\\"ird\\\\na\\nme\""
#define R1 S ",repo=\"1\""

START_TEST(test_escape_label)
{
    Buf out = BUF_INIT;
    info_prometheus_escape_label("a\\b\"c\nd", &out);
    ck_assert_str_eq(buf_str(&out), "a\\\\b\\\"c\\nd");
    buf_free(&out);
}
END_TEST

START_TEST(test_render_stanza_and_repo)
{
    report_setup();
    char *text = render(NULL);
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_info_generated_timestamp_seconds 1000\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_stanza_status_code{" S "} 0\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_stanza_ok{" S "} 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_stanza_backup_lock_held{" S "} 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_repo_status_code{" R1 "} 0\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_archive_wal_info{" R1 ",archive_id=\"15-1\","
                                       "min=\"000000010000000000000001\",max=\"000000010000000000000009\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_archive_wal_present{" R1 ",archive_id=\"15-1\"} 1\n"));
    /* no cluster configured: no pg series */
    ck_assert_ptr_null(strstr(text, "gaiarest_pg_up"));
    free(text);
}
END_TEST

START_TEST(test_render_backups)
{
    report_setup();
    char *text = render(NULL);
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backups{" R1 ",type=\"full\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backups{" R1 ",type=\"diff\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backups{" R1 ",type=\"incr\"} 2\n"));
    /* the newest incr is the one with errors */
    ck_assert_ptr_nonnull(
        strstr(text, "gaiarest_backup_last_completion_timestamp_seconds{" R1 ",type=\"incr\"} 310\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backup_last_duration_seconds{" R1 ",type=\"full\"} 60\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backup_last_age_seconds{" R1 ",type=\"full\"} 840\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backup_last_size_bytes{" R1 ",type=\"full\"} 8000\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backup_last_delta_bytes{" R1 ",type=\"full\"} 4000\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backup_last_repo_size_bytes{" R1 ",type=\"full\"} 2000\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backup_last_repo_delta_bytes{" R1 ",type=\"full\"} 1000\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backup_last_error{" R1 ",type=\"incr\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backup_last_error{" R1 ",type=\"full\"} 0\n"));
    /* no diff: only its count */
    ck_assert_uint_eq(occurrences(text, "type=\"diff\""), 1);
    /* the newest good backup skips the failed incr */
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backup_last_good_completion_timestamp_seconds{" R1 "} 230\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backup_last_good_age_seconds{" R1 "} 770\n"));
    free(text);
}
END_TEST

START_TEST(test_render_families_grouped)
{
    report_setup();
    char *text = render(NULL);
    /* each family once, HELP then TYPE then its samples together */
    ck_assert_uint_eq(occurrences(text, "# TYPE gaiarest_backups gauge\n"), 1);
    ck_assert_uint_eq(occurrences(text, "# HELP gaiarest_backups "), 1);
    const char *type = strstr(text, "# TYPE gaiarest_backups gauge\n");
    const char *help = strstr(text, "# HELP gaiarest_backups ");
    ck_assert(help < type);
    const char *first = strstr(text, "\ngaiarest_backups{");
    ck_assert(first > type);
    const char *after = strstr(type + 1, "# HELP");
    const char *last = first;
    for (const char *at = first; at != NULL; at = strstr(at + 1, "\ngaiarest_backups{"))
        last = at;
    ck_assert(last < after);
    ck_assert_str_eq(text + strlen(text) - 1, "\n");
    free(text);
}
END_TEST

START_TEST(test_render_type_filter)
{
    report_setup();
    test_request.type_filter = BACKUP_TYPE_FULL;
    char *text = render(NULL);
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backups{" R1 ",type=\"full\"} 1\n"));
    ck_assert_ptr_null(strstr(text, "type=\"incr\""));
    ck_assert_ptr_null(strstr(text, "type=\"diff\""));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_backup_last_good_completion_timestamp_seconds{" R1 "} 160\n"));
    free(text);
}
END_TEST

START_TEST(test_render_repo_not_loaded)
{
    report_setup();
    test_repo.code = INFO_STATUS_MISSING_STANZA_DATA;
    test_repo.loaded = false;
    char *text = render(NULL);
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_stanza_ok{" S "} 0\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_stanza_status_code{" S "} 3\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_repo_ok{" R1 "} 0\n"));
    ck_assert_ptr_null(strstr(text, "gaiarest_backups"));
    ck_assert_ptr_null(strstr(text, "gaiarest_archive_wal_info"));
    free(text);
}
END_TEST

START_TEST(test_render_pg)
{
    report_setup();
    InfoPgArchive pg = {.stanza = "main"};
    char *text = render(&pg);
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_pg_up{stanza=\"main\"} 0\n"));
    ck_assert_ptr_null(strstr(text, "gaiarest_archive_archived_total"));
    free(text);

    pg.up = true;
    pg.has_current = true;
    pg.wal_segment_size = MIB16;
    pg.archiver.archived_count = 42;
    pg.archiver.failed_count = 3;
    pg.archiver.last_archived_time = 900;
    pg.archiver.last_failed_time = 950;
    strcpy(pg.archiver.last_archived_wal, "000000010000000000000005");
    pg.current_lsn = (uint64_t)9 * MIB16 + 1;
    text = render(&pg);
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_pg_up{stanza=\"main\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_pg_in_recovery{stanza=\"main\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(text, "# TYPE gaiarest_archive_archived_total counter\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_archive_archived_total{stanza=\"main\"} 42\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_archive_failed_total{stanza=\"main\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_archive_last_archived_timestamp_seconds{stanza=\"main\"} 900\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_archive_last_failure_timestamp_seconds{stanza=\"main\"} 950\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_archive_lag_segments{stanza=\"main\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(text, "gaiarest_archive_lag_bytes{stanza=\"main\"} 50331648\n"));
    free(text);
}
END_TEST

START_TEST(test_archive_lag)
{
    InfoPgArchive pg = {.stanza = "main", .up = true, .has_current = true, .wal_segment_size = MIB16};
    uint64_t lag = 99;
    /* log 2, segment 5 archived; writing in segment 8 of log 2: 6 and 7 are complete and waiting */
    strcpy(pg.archiver.last_archived_wal, "000000010000000200000005");
    pg.current_lsn = ((uint64_t)2 << 32) + (uint64_t)8 * MIB16 + 100;
    ck_assert(info_prometheus_archive_lag(&pg, &lag));
    ck_assert_uint_eq(lag, 2);
    /* right after switching segment 5 (write position at the start of 6): nothing waiting */
    pg.current_lsn = ((uint64_t)2 << 32) + (uint64_t)6 * MIB16;
    ck_assert(info_prometheus_archive_lag(&pg, &lag));
    ck_assert_uint_eq(lag, 0);
    /* across a log boundary: 256 segments of 16 MiB per log */
    strcpy(pg.archiver.last_archived_wal, "0000000100000001000000FF");
    pg.current_lsn = ((uint64_t)2 << 32) + (uint64_t)2 * MIB16;
    ck_assert(info_prometheus_archive_lag(&pg, &lag));
    ck_assert_uint_eq(lag, 2);
    /* 64 MiB segments: 64 per log */
    pg.wal_segment_size = 4 * MIB16;
    strcpy(pg.archiver.last_archived_wal, "00000001000000010000003F");
    pg.current_lsn = ((uint64_t)2 << 32) + (uint64_t)1 * 4 * MIB16;
    ck_assert(info_prometheus_archive_lag(&pg, &lag));
    ck_assert_uint_eq(lag, 1);
    pg.wal_segment_size = MIB16;
    /* a .partial and a backup history file name the segment they belong to */
    strcpy(pg.archiver.last_archived_wal, "000000010000000200000005.partial");
    pg.current_lsn = ((uint64_t)2 << 32) + (uint64_t)7 * MIB16;
    ck_assert(info_prometheus_archive_lag(&pg, &lag));
    ck_assert_uint_eq(lag, 1);
    strcpy(pg.archiver.last_archived_wal, "000000010000000200000005.00000028.backup");
    ck_assert(info_prometheus_archive_lag(&pg, &lag));
    ck_assert_uint_eq(lag, 1);
    /* unknowable: a timeline history file, nothing archived, a standby, no connection */
    strcpy(pg.archiver.last_archived_wal, "00000002.history");
    ck_assert(!info_prometheus_archive_lag(&pg, &lag));
    strcpy(pg.archiver.last_archived_wal, "");
    ck_assert(!info_prometheus_archive_lag(&pg, &lag));
    strcpy(pg.archiver.last_archived_wal, "000000010000000200000005");
    pg.has_current = false;
    ck_assert(!info_prometheus_archive_lag(&pg, &lag));
    pg.has_current = true;
    pg.up = false;
    ck_assert(!info_prometheus_archive_lag(&pg, &lag));
}
END_TEST

static Suite *
metrics_suite(void)
{
    Suite *suite = suite_create("metrics");
    TCase *tc = tcase_create("prometheus");
    tcase_add_test(tc, test_escape_label);
    tcase_add_test(tc, test_render_stanza_and_repo);
    tcase_add_test(tc, test_render_backups);
    tcase_add_test(tc, test_render_families_grouped);
    tcase_add_test(tc, test_render_type_filter);
    tcase_add_test(tc, test_render_repo_not_loaded);
    tcase_add_test(tc, test_render_pg);
    tcase_add_test(tc, test_archive_lag);
    suite_add_tcase(suite, tc);
    return suite;
}

int
main(void)
{
    SRunner *runner = srunner_create(metrics_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
