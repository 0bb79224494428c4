/* Unit tests for engine/pg/wal: names, segment arithmetic and the page header of a real PostgreSQL 15 segment. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "engine/pg/version.h"
#include "engine/pg/wal.h"

START_TEST(test_file_kind)
{
    ck_assert_int_eq(wal_file_kind("000000010000000000000003"), WAL_FILE_SEGMENT);
    ck_assert_int_eq(wal_file_kind("000000010000000000000003.partial"), WAL_FILE_PARTIAL);
    ck_assert_int_eq(wal_file_kind("000000010000000000000003.00000028.backup"), WAL_FILE_BACKUP_HISTORY);
    ck_assert_int_eq(wal_file_kind("00000002.history"), WAL_FILE_TIMELINE_HISTORY);
    ck_assert_int_eq(wal_file_kind("00000001000000000000000g"), WAL_FILE_OTHER);
    ck_assert_int_eq(wal_file_kind("000000010000000000000003.bak"), WAL_FILE_OTHER);
    ck_assert_int_eq(wal_file_kind("0000000100000000000000"), WAL_FILE_OTHER);
    ck_assert(wal_is_segment_name("0000000A000000FF000000FE"));
    ck_assert(!wal_is_segment_name("0000000a000000ff000000fe"));
}
END_TEST

START_TEST(test_segment_arithmetic)
{
    WalSegment segment;
    char name[WAL_SEGMENT_NAME_SIZE + 1];

    ck_assert_int_eq(wal_segment_parse("0000000100000000000000FF", &segment), 0);
    ck_assert_uint_eq(segment.timeline, 1);
    ck_assert_uint_eq(segment.segment, 0xFF);

    /* 16 MiB: 256 segments per log, so FF rolls into the next log. */
    segment = wal_segment_next(segment, 16u * 1024 * 1024);
    wal_segment_format(&segment, name);
    ck_assert_str_eq(name, "000000010000000100000000");

    /* 64 MiB: 64 segments per log. */
    ck_assert_int_eq(wal_segment_parse("00000002000000050000003F", &segment), 0);
    segment = wal_segment_next(segment, 64u * 1024 * 1024);
    wal_segment_format(&segment, name);
    ck_assert_str_eq(name, "000000020000000600000000");

    uint64_t lsn = 0;
    ck_assert_int_eq(wal_lsn_parse("1/D000028", &lsn), 0);
    ck_assert_uint_eq(lsn, 0x10D000028ULL);
    segment = wal_segment_from_lsn(3, lsn, 16u * 1024 * 1024);
    wal_segment_format(&segment, name);
    ck_assert_str_eq(name, "00000003000000010000000D");

    ck_assert_int_eq(wal_lsn_parse("1-D000028", &lsn), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
    ck_assert_int_eq(wal_segment_parse("XYZ", &segment), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
}
END_TEST

START_TEST(test_header_errors)
{
    uint8_t page[WAL_LONG_HEADER_SIZE] = {0};
    WalHeader header;

    ck_assert_int_eq(wal_header_read(page, 10, "short", &header), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err_message(), "short"));

    /* No long-header flag. */
    page[0] = 0x10;
    page[1] = 0xD1;
    ck_assert_int_eq(wal_header_read(page, sizeof(page), "seg", &header), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);

    /* Unknown magic. */
    page[0] = 0x34;
    page[1] = 0x12;
    page[2] = 0x02;
    ck_assert_int_eq(wal_header_read(page, sizeof(page), "seg", &header), -1);
    ck_assert_int_eq(err_code(), ERR_VERSION_NOT_SUPPORTED);
    ck_assert_uint_eq(pg_version_by_num(150000)->wal_magic, 0xD110);
}
END_TEST

/* Run a shell command and return its first output line (owned by the caller). */
static char *
run_line(const char *command)
{
    FILE *pipe = popen(command, "r");
    ck_assert_ptr_nonnull(pipe);
    char line[4096] = "";
    if (fgets(line, sizeof(line), pipe) == NULL)
        line[0] = '\0';
    pclose(pipe);
    line[strcspn(line, "\n")] = '\0';
    return strdup(line);
}

/* initdb a throwaway PostgreSQL 15 cluster (as the postgres user when run as root) and read its first segment. */
START_TEST(test_header_real_segment)
{
    char dir_template[] = "/tmp/gaiarest-test-wal-XXXXXX";
    char *dir = mkdtemp(dir_template);
    ck_assert_ptr_nonnull(dir);
    char command[8192];
    const char *as_postgres = geteuid() == 0 ? "runuser -u postgres -- " : "";
    snprintf(command, sizeof(command), "chmod 0777 %s && %s/usr/lib/postgresql/15/bin/initdb -k --wal-segsize=64 "
             "-D %s/data -A trust -U postgres >/dev/null 2>&1 && echo ok", dir, as_postgres, dir);
    char *result = run_line(command);
    ck_assert_str_eq(result, "ok");
    free(result);

    snprintf(command, sizeof(command),
             "/usr/lib/postgresql/15/bin/pg_controldata %s/data | sed -n 's/^Database system identifier: *//p'", dir);
    char *system_id_text = run_line(command);
    snprintf(command, sizeof(command), "ls %s/data/pg_wal | grep -E '^[0-9A-F]{24}$' | head -1", dir);
    char *segment_name = run_line(command);
    ck_assert_int_eq((int)strlen(segment_name), WAL_SEGMENT_NAME_SIZE);

    snprintf(command, sizeof(command), "%s/data/pg_wal/%s", dir, segment_name);
    FILE *file = fopen(command, "rb");
    ck_assert_ptr_nonnull(file);
    uint8_t page[8192];
    ck_assert_uint_eq(fread(page, 1, sizeof(page), file), sizeof(page));
    fclose(file);

    WalHeader header;
    ck_assert_int_eq(wal_header_read(page, sizeof(page), segment_name, &header), 0);
    ck_assert_uint_eq(header.magic, 0xD110);
    ck_assert_uint_eq(header.pg_version_num, 150000);
    ck_assert_uint_eq(header.segment_size, 64u * 1024 * 1024);
    ck_assert_uint_eq(header.block_size, 8192);
    ck_assert_uint_eq(header.timeline, 1);
    char system_id[32];
    snprintf(system_id, sizeof(system_id), "%" PRIu64, header.system_id);
    ck_assert_str_eq(system_id, system_id_text);

    free(system_id_text);
    free(segment_name);
    snprintf(command, sizeof(command), "rm -rf %s", dir);
    ck_assert_int_eq(system(command), 0);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("wal");
    TCase *names = tcase_create("names");
    tcase_add_test(names, test_file_kind);
    tcase_add_test(names, test_segment_arithmetic);
    tcase_add_test(names, test_header_errors);
    suite_add_tcase(suite, names);
    TCase *real = tcase_create("real-segment");
    tcase_set_timeout(real, 120);
    tcase_add_test(real, test_header_real_segment);
    suite_add_tcase(suite, real);

    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
