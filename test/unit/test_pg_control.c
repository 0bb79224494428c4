/* Unit tests for engine/pg/control and version: real pg_control files from initdb of PostgreSQL 15. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "engine/pg/control.h"
#include "engine/pg/version.h"
#include "storage/posix.h"

#define PG_BIN "/usr/lib/postgresql/15/bin"

static char *
run_line(const char *command)
{
    FILE *pipe = popen(command, "r");
    ck_assert_ptr_nonnull(pipe);
    char line[1024] = "";
    if (fgets(line, sizeof(line), pipe) == NULL)
        line[0] = '\0';
    pclose(pipe);
    line[strcspn(line, "\n")] = '\0';
    return strdup(line);
}

static char *
controldata_field(const char *data_dir, const char *field)
{
    char command[2048];
    snprintf(command, sizeof(command), PG_BIN "/pg_controldata %s | sed -n 's/^%s: *//p'", data_dir, field);
    return run_line(command);
}

static size_t
read_control(const char *data_dir, uint8_t *buffer, size_t size)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/global/pg_control", data_dir);
    FILE *file = fopen(path, "rb");
    ck_assert_ptr_nonnull(file);
    size_t got = fread(buffer, 1, size, file);
    fclose(file);
    return got;
}

/* initdb into a fresh temp dir (as postgres when root), check the parsed fields against pg_controldata. */
static void
check_cluster(const char *initdb_options, uint32_t segment_size, bool checksums)
{
    char dir_template[] = "/tmp/gaiarest-test-control-XXXXXX";
    char *dir = mkdtemp(dir_template);
    ck_assert_ptr_nonnull(dir);
    char command[4096];
    const char *as_postgres = geteuid() == 0 ? "runuser -u postgres -- " : "";
    snprintf(command, sizeof(command), "chmod 0777 %s && %s" PG_BIN "/initdb %s -D %s/data -A trust -U postgres "
             ">/dev/null 2>&1 && echo ok", dir, as_postgres, initdb_options, dir);
    char *result = run_line(command);
    ck_assert_str_eq(result, "ok");
    free(result);

    char data_dir[1024];
    snprintf(data_dir, sizeof(data_dir), "%s/data", dir);
    uint8_t buffer[PG_CONTROL_SIZE];
    size_t size = read_control(data_dir, buffer, sizeof(buffer));
    ck_assert_uint_eq(size, PG_CONTROL_SIZE);

    PgControl control;
    ck_assert_msg(pg_control_parse(buffer, size, "pg_control", &control) == 0, "%s", err_message());
    char *system_id = controldata_field(data_dir, "Database system identifier");
    char text[32];
    snprintf(text, sizeof(text), "%" PRIu64, control.system_id);
    ck_assert_str_eq(text, system_id);
    free(system_id);
    ck_assert_str_eq(control.version->name, "15");
    ck_assert_uint_eq(control.version->num, 150000);
    ck_assert_uint_eq(control.control_version, 1300);
    ck_assert_uint_eq(control.catalog_version, 202209061);
    ck_assert_uint_eq(control.page_size, 8192);
    ck_assert_uint_eq(control.wal_segment_size, segment_size);
    ck_assert_uint_eq(control.timeline, 1);
    char *checksum_version = controldata_field(data_dir, "Data page checksum version");
    ck_assert_uint_eq(control.data_checksum_version, (unsigned)atoi(checksum_version));
    ck_assert_uint_eq(control.data_checksum_version, checksums ? 1 : 0);
    free(checksum_version);

    /* Through storage: the same result; a missing file is ERR_FILE_MISSING. */
    Storage *storage = storage_posix_new(data_dir, false);
    PgControl loaded;
    ck_assert_int_eq(pg_control_load(storage, &loaded), 0);
    ck_assert(loaded.system_id == control.system_id);
    storage_free(storage);
    storage = storage_posix_new(dir, false);
    ck_assert_int_eq(pg_control_load(storage, &loaded), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    storage_free(storage);

    /* One flipped byte inside the CRC-covered struct: a checksum error naming the file. */
    buffer[100] ^= 0x01;
    ck_assert_int_eq(pg_control_parse(buffer, size, "/x/global/pg_control", &control), -1);
    ck_assert_int_eq(err_code(), ERR_CHECKSUM);
    ck_assert_ptr_nonnull(strstr(err_message(), "/x/global/pg_control"));
    buffer[100] ^= 0x01;

    /* A flipped byte past the CRC offset (the padding up to 8192) is not covered. */
    buffer[4000] ^= 0xFF;
    ck_assert_int_eq(pg_control_parse(buffer, size, "pg_control", &control), 0);

    snprintf(command, sizeof(command), "rm -rf %s", dir);
    ck_assert_int_eq(system(command), 0);
}

START_TEST(test_real_default)
{
    check_cluster("", 16u * 1024 * 1024, false);
}
END_TEST

START_TEST(test_real_checksums_64mb)
{
    check_cluster("-k --wal-segsize=64", 64u * 1024 * 1024, true);
}
END_TEST

/* Build a synthetic pg_control with a valid CRC. */
static void
synthetic(uint8_t *buffer, uint32_t control_version, uint32_t catalog_version, uint32_t page_size, uint32_t seg_size)
{
    memset(buffer, 0, PG_CONTROL_SIZE);
    buffer[0] = 0x2A;
    memcpy(buffer + 8, &control_version, 4);
    memcpy(buffer + 12, &catalog_version, 4);
    memcpy(buffer + 216, &page_size, 4);
    memcpy(buffer + 228, &seg_size, 4);
    uint32_t crc = pg_crc32c(buffer, 288);
    memcpy(buffer + 288, &crc, 4);
}

START_TEST(test_versions_and_errors)
{
    uint8_t buffer[PG_CONTROL_SIZE];
    PgControl control;

    /* CRC-32C check value of "123456789". */
    ck_assert_uint_eq(pg_crc32c((const uint8_t *)"123456789", 9), 0xE3069283);

    const struct { uint32_t control, catalog; const char *name; } known[] = {
        {1201, 201909212, "12"}, {1300, 202007201, "13"}, {1300, 202107181, "14"}, {1300, 202209061, "15"},
        {1300, 202307071, "16"}, {1700, 202406281, "17"}, {1700, 202499999, "17"},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        synthetic(buffer, known[i].control, known[i].catalog, 8192, 16u * 1024 * 1024);
        ck_assert_int_eq(pg_control_parse(buffer, sizeof(buffer), "pg_control", &control), 0);
        ck_assert_str_eq(control.version->name, known[i].name);
        ck_assert_uint_eq(control.system_id, 0x2A);
    }

    /* 11 (known but not readable here), 18, and an unknown pair. */
    const uint32_t unsupported[][2] = {{1100, 201809051}, {1800, 202506291}, {1300, 202209062}, {1700, 202500000}};
    for (size_t i = 0; i < 4; i++) {
        synthetic(buffer, unsupported[i][0], unsupported[i][1], 8192, 16u * 1024 * 1024);
        ck_assert_int_eq(pg_control_parse(buffer, sizeof(buffer), "/pg/global/pg_control", &control), -1);
        ck_assert_int_eq(err_code(), ERR_VERSION_NOT_SUPPORTED);
        ck_assert_ptr_nonnull(strstr(err_message(), "/pg/global/pg_control"));
    }

    synthetic(buffer, 1300, 202209061, 4096, 16u * 1024 * 1024);
    ck_assert_int_eq(pg_control_parse(buffer, sizeof(buffer), "pg_control", &control), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
    synthetic(buffer, 1300, 202209061, 8192, 3u * 1024 * 1024);
    ck_assert_int_eq(pg_control_parse(buffer, sizeof(buffer), "pg_control", &control), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
    ck_assert_int_eq(pg_control_parse(buffer, 100, "pg_control", &control), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);

    /* Version table: db-control-version and WAL magic. */
    ck_assert_uint_eq(pg_version_control_version("15"), 1300);
    ck_assert_uint_eq(pg_version_control_version("12"), 1201);
    ck_assert_uint_eq(pg_version_control_version("17"), 1700);
    ck_assert_uint_eq(pg_version_control_version("16"), 1300);
    ck_assert_uint_eq(pg_version_control_version("8.4"), 0);
    ck_assert_uint_eq(pg_version_by_num(150000)->wal_magic, 0xD110);
    ck_assert_uint_eq(pg_version_by_name("9.6")->wal_magic, 0xD093);
    ck_assert_ptr_null(pg_version_by_num(180000));
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("pg_control");
    TCase *synthetic_case = tcase_create("synthetic");
    tcase_add_test(synthetic_case, test_versions_and_errors);
    suite_add_tcase(suite, synthetic_case);
    TCase *real = tcase_create("real-initdb");
    tcase_set_timeout(real, 180);
    tcase_add_test(real, test_real_default);
    tcase_add_test(real, test_real_checksums_64mb);
    suite_add_tcase(suite, real);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
