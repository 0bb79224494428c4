/* Unit tests of engine/ops/expire: which backups the retention settings remove (in memory) and why. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/ops/expire.h"

/* A backup.info with fulls F1..F3, a diff and an incr on F1, an incr on F3. */
static const char *const LABELS[] = {
    "20260101-000000F", "20260101-000000F_20260102-000000D", "20260101-000000F_20260102-010000I",
    "20260103-000000F", "20260105-000000F", "20260105-000000F_20260106-000000I",
};

static void
add(InfoBackup *info, const char *label, const char *prior, const char *const *refs, size_t ref_count,
    int64_t stop)
{
    InfoBackupEntry entry;
    memset(&entry, 0, sizeof(entry));
    entry.label = mem_strdup(label);
    entry.backrest_version = mem_strdup("2.45");
    entry.type = layout_backup_label_type(label);
    entry.prior = prior != NULL ? mem_strdup(prior) : NULL;
    if (ref_count > 0) {
        entry.reference = mem_calloc(ref_count, sizeof(char *));
        for (size_t index = 0; index < ref_count; index++)
            entry.reference[index] = mem_strdup(refs[index]);
        entry.reference_count = ref_count;
    }
    entry.timestamp_start = stop - 10;
    entry.timestamp_stop = stop;
    entry.db_id = 1;
    info_backup_add(info, &entry);
}

static void
fixture(InfoBackup *info)
{
    memset(info, 0, sizeof(*info));
    const char *f1[] = {LABELS[0]}, *f1d[] = {LABELS[0], LABELS[1]}, *f3[] = {LABELS[4]};
    add(info, LABELS[0], NULL, NULL, 0, 1000);
    add(info, LABELS[1], LABELS[0], f1, 1, 2000);
    add(info, LABELS[2], LABELS[1], f1d, 2, 3000);
    add(info, LABELS[3], NULL, NULL, 0, 4000);
    add(info, LABELS[4], NULL, NULL, 0, 5000);
    add(info, LABELS[5], LABELS[4], f3, 1, 6000);
}

static ExpireSettings
settings(void)
{
    ExpireSettings s;
    memset(&s, 0, sizeof(s));
    s.repo_key = 1;
    s.retention_archive_type = BACKUP_TYPE_FULL;
    s.now = 100000;
    return s;
}

START_TEST(test_dependents)
{
    InfoBackup info;
    fixture(&info);
    size_t count = 0;
    char **labels = expire_dependents(&info, LABELS[0], &count);
    ck_assert_uint_eq(count, 3);
    ck_assert_str_eq(labels[0], LABELS[0]);
    ck_assert_str_eq(labels[2], LABELS[2]);
    for (size_t index = 0; index < count; index++)
        free(labels[index]);
    free(labels);
    labels = expire_dependents(&info, LABELS[1], &count);
    ck_assert_uint_eq(count, 2); /* the diff and the incr on it, not the full */
    for (size_t index = 0; index < count; index++)
        free(labels[index]);
    free(labels);
    info_backup_free(&info);
}
END_TEST

START_TEST(test_full_count)
{
    InfoBackup info;
    fixture(&info);
    ExpireSettings s = settings();
    s.retention_full = 2;
    size_t removed = 0;
    ck_assert_int_eq(expire_backups(&info, &s, &removed), 0);
    ck_assert_uint_eq(removed, 3); /* F1 with its diff and incr */
    ck_assert_uint_eq(info.backup_count, 3);
    ck_assert_str_eq(info.backups[0].label, LABELS[3]);
    s.retention_full = 3;
    ck_assert_int_eq(expire_backups(&info, &s, &removed), 0);
    ck_assert_uint_eq(removed, 0);
    info_backup_free(&info);
}
END_TEST

START_TEST(test_full_time)
{
    InfoBackup info;
    fixture(&info);
    ExpireSettings s = settings();
    s.retention_full_time = true;
    s.retention_full = 1;
    s.now = 4500 + 86400; /* F2 (stop 4000) is the newest full older than a day: F1 goes */
    size_t removed = 0;
    ck_assert_int_eq(expire_backups(&info, &s, &removed), 0);
    ck_assert_uint_eq(removed, 3);
    ck_assert_ptr_null(info_backup_find(&info, LABELS[0]));
    ck_assert_ptr_nonnull(info_backup_find(&info, LABELS[3]));
    s.now = 1000; /* nothing older than a day: nothing goes */
    ck_assert_int_eq(expire_backups(&info, &s, &removed), 0);
    ck_assert_uint_eq(removed, 0);
    info_backup_free(&info);
}
END_TEST

START_TEST(test_diff)
{
    InfoBackup info;
    fixture(&info);
    ExpireSettings s = settings();
    s.retention_full = 9;
    s.retention_diff = 1; /* newest of fulls+diffs is F3: the diff on F1 goes with its incr; fulls stay */
    size_t removed = 0;
    ck_assert_int_eq(expire_backups(&info, &s, &removed), 0);
    ck_assert_uint_eq(removed, 2);
    ck_assert_ptr_nonnull(info_backup_find(&info, LABELS[0]));
    ck_assert_ptr_null(info_backup_find(&info, LABELS[2]));
    info_backup_free(&info);
}
END_TEST

START_TEST(test_adhoc)
{
    InfoBackup info;
    fixture(&info);
    ExpireSettings s = settings();
    s.set = LABELS[1];
    size_t removed = 0;
    ck_assert_int_eq(expire_backups(&info, &s, &removed), 0);
    ck_assert_uint_eq(removed, 2);
    s.set = "20990101-000000F"; /* absent: a warning, nothing removed */
    ck_assert_int_eq(expire_backups(&info, &s, &removed), 0);
    ck_assert_uint_eq(removed, 0);
    s.set = LABELS[0];
    ck_assert_int_eq(expire_backups(&info, &s, &removed), 0);
    s.set = LABELS[3];
    ck_assert_int_eq(expire_backups(&info, &s, &removed), 0);
    s.set = LABELS[4]; /* the only full left */
    ck_assert_int_eq(expire_backups(&info, &s, &removed), -1);
    ck_assert_int_eq(err_code(), ERR_BACKUP_SET_INVALID);
    ck_assert_uint_eq(info.backup_count, 2);
    info_backup_free(&info);
}
END_TEST

START_TEST(test_archive_default)
{
    ExpireSettings s = settings();
    s.retention_full = 3;
    ck_assert_uint_eq(expire_archive_retention_default(&s), 3);
    s.retention_archive_type = BACKUP_TYPE_DIFF;
    ck_assert_uint_eq(expire_archive_retention_default(&s), 0);
    s.retention_diff = 2;
    ck_assert_uint_eq(expire_archive_retention_default(&s), 2);
    s.retention_archive = 5;
    ck_assert_uint_eq(expire_archive_retention_default(&s), 5);
    s.retention_archive = 0;
    s.retention_archive_type = BACKUP_TYPE_INCR;
    ck_assert_uint_eq(expire_archive_retention_default(&s), 0);
}
END_TEST

static Suite *
expire_suite(void)
{
    Suite *suite = suite_create("expire");
    TCase *tc = tcase_create("retention");
    tcase_add_test(tc, test_dependents);
    tcase_add_test(tc, test_full_count);
    tcase_add_test(tc, test_full_time);
    tcase_add_test(tc, test_diff);
    tcase_add_test(tc, test_adhoc);
    tcase_add_test(tc, test_archive_default);
    suite_add_tcase(suite, tc);
    return suite;
}

int
main(void)
{
    SRunner *runner = srunner_create(expire_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
