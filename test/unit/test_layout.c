/* Unit tests for engine/repo/layout: the names pgBackRest 2.45 uses in a repository (spec section 1). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/repo/layout.h"

#define CHECK_STRING(expression, expected)                                                                             \
    do {                                                                                                               \
        char *actual = (expression);                                                                                   \
        ck_assert_str_eq(actual, expected);                                                                            \
        free(actual);                                                                                                  \
    } while (0)

START_TEST(test_archive_paths)
{
    const char *sha1 = "7e70c5acc3d4bef33a6ad95ddf5d1b6aecc1dd57";
    CHECK_STRING(layout_archive_id("15", 1), "15-1");
    CHECK_STRING(layout_archive_id("9.6", 2), "9.6-2");
    CHECK_STRING(layout_wal_stored_name("000000010000000000000003", sha1, COMPRESS_GZ),
                 "000000010000000000000003-7e70c5acc3d4bef33a6ad95ddf5d1b6aecc1dd57.gz");
    CHECK_STRING(layout_wal_stored_name("000000010000000000000014", sha1, COMPRESS_NONE),
                 "000000010000000000000014-7e70c5acc3d4bef33a6ad95ddf5d1b6aecc1dd57");
    CHECK_STRING(layout_wal_stored_name("000000010000000000000023.partial", sha1, COMPRESS_ZST),
                 "000000010000000000000023.partial-7e70c5acc3d4bef33a6ad95ddf5d1b6aecc1dd57.zst");
    /* Backup history and timeline history files are stored as they are. */
    CHECK_STRING(layout_wal_stored_name("000000010000000000000003.00000028.backup", sha1, COMPRESS_LZ4),
                 "000000010000000000000003.00000028.backup");
    CHECK_STRING(layout_wal_stored_name("00000002.history", sha1, COMPRESS_LZ4), "00000002.history");

    CHECK_STRING(layout_wal_path("demo", "15-1", "000000010000000000000003-7e70c5acc3d4bef33a6ad95ddf5d1b6aecc1dd57.gz"),
                 "archive/demo/15-1/0000000100000000/000000010000000000000003-7e70c5acc3d4bef33a6ad95ddf5d1b6aecc1dd57.gz");
    CHECK_STRING(layout_wal_path("demo", "15-1", "000000010000000000000003.00000028.backup"),
                 "archive/demo/15-1/0000000100000000/000000010000000000000003.00000028.backup");
    CHECK_STRING(layout_wal_path("demo", "15-1", "00000002.history"), "archive/demo/15-1/00000002.history");
    CHECK_STRING(layout_wal_segment_regex("000000010000000000000003"),
                 "^000000010000000000000003(\\.partial)?-[0-9a-f]{40}(\\.(gz|lz4|zst|bz2|xz))?$");
    /* Exact: a segment's pattern does not take its partial, nor the reverse. */
    CHECK_STRING(layout_wal_stored_regex("000000010000000000000003"),
                 "^000000010000000000000003-[0-9a-f]{40}(\\.(gz|lz4|zst|bz2|xz))?$");
    CHECK_STRING(layout_wal_stored_regex("000000010000000000000003.partial"),
                 "^000000010000000000000003\\.partial-[0-9a-f]{40}(\\.(gz|lz4|zst|bz2|xz))?$");
}
END_TEST

START_TEST(test_labels)
{
    setenv("TZ", "UTC0", 1);
    tzset();
    time_t start = 1795516173; /* 2026-11-24 10:29:33 UTC */
    CHECK_STRING(layout_backup_label(BACKUP_TYPE_FULL, NULL, start), "20261124-102933F");
    CHECK_STRING(layout_backup_label(BACKUP_TYPE_DIFF, "20261124-102933F", start + 18),
                 "20261124-102933F_20261124-102951D");
    CHECK_STRING(layout_backup_label(BACKUP_TYPE_INCR, "20261124-102933F_20261124-102951D", start + 22),
                 "20261124-102933F_20261124-102955I");
    /* Labels are local time. */
    setenv("TZ", "CET-1", 1); /* POSIX form: UTC+1, needs no tzdata */
    tzset();
    CHECK_STRING(layout_backup_label(BACKUP_TYPE_FULL, NULL, start), "20261124-112933F");

    ck_assert(layout_is_backup_label("20261124-102933F"));
    ck_assert(layout_is_backup_label("20261124-102933F_20261124-102951D"));
    ck_assert(layout_is_backup_label("20261124-102933F_20261124-102955I"));
    ck_assert(!layout_is_backup_label("20261124-102933D"));
    ck_assert(!layout_is_backup_label("20261124-102933F_20261124-102955X"));
    ck_assert(!layout_is_backup_label("backup.info"));
    ck_assert_int_eq(layout_backup_label_type("20261124-102933F_20261124-102955I"), BACKUP_TYPE_INCR);
    ck_assert_int_eq(layout_backup_label_type("20261124-102933F"), BACKUP_TYPE_FULL);
    ck_assert_int_eq(backup_type_parse("diff"), BACKUP_TYPE_DIFF);
    ck_assert_int_eq(backup_type_parse("differential"), -1);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("layout");
    TCase *tcase = tcase_create("layout");
    tcase_add_test(tcase, test_archive_paths);
    tcase_add_test(tcase, test_labels);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
