/* Unit tests for engine/ops/archive_async: spool names, status files, queue sizes and the background start with
 * the lock handed over to the child. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "engine/ops/archive_async.h"
#include "storage/storage.h"

static char spool_dir[64];

static void
setup(void)
{
    strcpy(spool_dir, "/tmp/gaiarest-test-spool-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(spool_dir));
}

static void
teardown(void)
{
    char command[256];
    snprintf(command, sizeof(command), "rm -rf %s", spool_dir);
    ck_assert_int_eq(system(command), 0);
}

static char *
read_text(const char *path)
{
    FILE *file = fopen(path, "r");
    ck_assert_ptr_nonnull(file);
    static char content[512];
    size_t length = fread(content, 1, sizeof(content) - 1, file);
    content[length] = '\0';
    fclose(file);
    return content;
}

START_TEST(test_spool_names)
{
    char *dir = archive_spool_dir("/var/spool/pgbackrest", "demo", ARCHIVE_MODE_PUSH);
    ck_assert_str_eq(dir, "/var/spool/pgbackrest/archive/demo/out");
    free(dir);
    dir = archive_spool_dir("/s", "main", ARCHIVE_MODE_GET);
    ck_assert_str_eq(dir, "/s/archive/main/in");
    char *path = archive_status_path(dir, "000000010000000000000003", true);
    ck_assert_str_eq(path, "/s/archive/main/in/000000010000000000000003.ok");
    free(path);
    path = archive_status_path(dir, ARCHIVE_STATUS_GLOBAL, false);
    ck_assert_str_eq(path, "/s/archive/main/in/global.error");
    free(path);
    free(dir);
}
END_TEST

START_TEST(test_status_content)
{
    char *text = archive_status_format(0, NULL);
    ck_assert_str_eq(text, "");
    free(text);
    text = archive_status_format(0, "dropped WAL file 'x' because archive queue exceeded 32.0MB");
    ck_assert_str_eq(text, "0\ndropped WAL file 'x' because archive queue exceeded 32.0MB");
    free(text);
    text = archive_status_format(104, "line one\nline two");
    ck_assert_str_eq(text, "104\nline one\nline two");

    int code = -1;
    char *message = NULL;
    ck_assert_int_eq(archive_status_parse(text, strlen(text), "f.error", &code, &message), 0);
    ck_assert_int_eq(code, 104);
    ck_assert_str_eq(message, "line one\nline two");
    free(message);
    free(text);

    ck_assert_int_eq(archive_status_parse("", 0, "f.ok", &code, &message), 0);
    ck_assert_int_eq(code, 0);
    ck_assert_ptr_null(message);

    /* a trailing newline is not part of the message */
    ck_assert_int_eq(archive_status_parse("45\nduplicate\n", 13, "f.error", &code, &message), 0);
    ck_assert_str_eq(message, "duplicate");
    free(message);

    ck_assert_int_eq(archive_status_parse("garbage", 7, "f.error", &code, &message), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err_message(), "f.error"));
    ck_assert_int_eq(archive_status_parse("1x\nm", 4, "f.error", &code, &message), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
}
END_TEST

START_TEST(test_status_files)
{
    const char *segment = "000000010000000000000007";
    ArchiveStatus status;
    int code = 0;
    char *message = NULL;
    ck_assert_int_eq(archive_status_read(spool_dir, segment, &status, &code, &message), 0);
    ck_assert_int_eq(status, ARCHIVE_STATUS_NONE);

    /* a global error applies to every segment */
    ck_assert_int_eq(archive_status_write(spool_dir, ARCHIVE_STATUS_GLOBAL, false, 103, "repo gone"), 0);
    ck_assert_int_eq(archive_status_read(spool_dir, segment, &status, &code, &message), 0);
    ck_assert_int_eq(status, ARCHIVE_STATUS_ERROR);
    ck_assert_int_eq(code, 103);
    ck_assert_str_eq(message, "repo gone");
    free(message);

    /* the segment's own error comes before the global one */
    ck_assert_int_eq(archive_status_write(spool_dir, segment, false, 45, "duplicate"), 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s.error", spool_dir, segment);
    ck_assert_str_eq(read_text(path), "45\nduplicate");
    ck_assert_int_eq(archive_status_read(spool_dir, segment, &status, &code, &message), 0);
    ck_assert_int_eq(code, 45);
    free(message);

    /* .ok wins over errors */
    ck_assert_int_eq(archive_status_write(spool_dir, segment, true, 0, NULL), 0);
    snprintf(path, sizeof(path), "%s/%s.ok", spool_dir, segment);
    ck_assert_str_eq(read_text(path), "");
    ck_assert_int_eq(archive_status_read(spool_dir, segment, &status, &code, &message), 0);
    ck_assert_int_eq(status, ARCHIVE_STATUS_OK);
    ck_assert_ptr_null(message);
    ck_assert_int_eq(unlink(path), 0);

    /* clearing removes the segment's error and the global one, nothing else */
    ck_assert_int_eq(archive_status_write(spool_dir, "000000010000000000000008", false, 45, "other"), 0);
    ck_assert_int_eq(archive_status_error_clear(spool_dir, segment), 0);
    ck_assert_int_eq(archive_status_read(spool_dir, segment, &status, &code, &message), 0);
    ck_assert_int_eq(status, ARCHIVE_STATUS_NONE);
    ck_assert_int_eq(archive_status_read(spool_dir, "000000010000000000000008", &status, &code, &message), 0);
    ck_assert_int_eq(status, ARCHIVE_STATUS_ERROR);
    free(message);
    /* clearing what is not there is fine */
    ck_assert_int_eq(archive_status_error_clear(spool_dir, segment), 0);

    /* no temp file is left behind */
    char command[256];
    snprintf(command, sizeof(command), "ls %s | grep -q tmp", spool_dir);
    ck_assert_int_ne(system(command), 0);
}
END_TEST

START_TEST(test_push_queue)
{
    const uint64_t mib16 = 16u * 1024 * 1024;
    uint64_t sizes[] = {mib16, mib16, mib16, mib16};
    ck_assert(!archive_push_queue_exceeded(sizes, 0, 0));
    ck_assert(archive_push_queue_exceeded(sizes, 1, 0));
    /* equal is not exceeded; one byte less is */
    ck_assert(!archive_push_queue_exceeded(sizes, 2, 2 * mib16));
    ck_assert(archive_push_queue_exceeded(sizes, 2, 2 * mib16 - 1));
    ck_assert(archive_push_queue_exceeded(sizes, 4, 32u * 1024 * 1024 - 1));
    ck_assert(!archive_push_queue_exceeded(sizes, 4, 64u * 1024 * 1024));
    uint64_t mixed[] = {300, mib16, 2};
    ck_assert(!archive_push_queue_exceeded(mixed, 3, mib16 + 302));
    ck_assert(archive_push_queue_exceeded(mixed, 3, mib16 + 301));
}
END_TEST

START_TEST(test_get_queue)
{
    char **names = NULL;
    size_t count = 0;
    const uint32_t mib16 = 16u * 1024 * 1024;
    ck_assert_int_eq(archive_get_queue("000000010000000000000003", 64u * 1024 * 1024, mib16, &names, &count), 0);
    ck_assert_uint_eq(count, 4);
    ck_assert_str_eq(names[0], "000000010000000000000003");
    ck_assert_str_eq(names[3], "000000010000000000000006");
    storage_names_free(names, count);

    /* at least two, and the segment number wraps into the next log */
    ck_assert_int_eq(archive_get_queue("0000000200000001000000FF", 0, mib16, &names, &count), 0);
    ck_assert_uint_eq(count, 2);
    ck_assert_str_eq(names[0], "0000000200000001000000FF");
    ck_assert_str_eq(names[1], "000000020000000200000000");
    storage_names_free(names, count);

    /* 64 MiB segments: 0x3F is the last of a log; a partial segment's worth rounds down */
    ck_assert_int_eq(archive_get_queue("00000001000000000000003F", 200u * 1024 * 1024, 64u * 1024 * 1024, &names,
                                       &count), 0);
    ck_assert_uint_eq(count, 3);
    ck_assert_str_eq(names[1], "000000010000000100000000");
    ck_assert_str_eq(names[2], "000000010000000100000001");
    storage_names_free(names, count);

    ck_assert_int_eq(archive_get_queue("00000001.history", 0, mib16, &names, &count), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
}
END_TEST

START_TEST(test_seconds_format)
{
    char text[32];
    archive_async_seconds_format(60000, text, sizeof(text));
    ck_assert_str_eq(text, "60");
    archive_async_seconds_format(500, text, sizeof(text));
    ck_assert_str_eq(text, "0.5");
    archive_async_seconds_format(1250, text, sizeof(text));
    ck_assert_str_eq(text, "1.25");
}
END_TEST

/* The background body: wait until the test lets it finish (a file appears), then write a marker. */
static int
body_wait(void *context)
{
    const char *dir = context;
    char go[256], done[256];
    snprintf(go, sizeof(go), "%s/go", dir);
    snprintf(done, sizeof(done), "%s/done", dir);
    for (int tries = 0; tries < 2000 && access(go, F_OK) != 0; tries++)
        usleep(5000);
    FILE *file = fopen(done, "w");
    if (file == NULL)
        return -1;
    fprintf(file, "%d", (int)getpid());
    fclose(file);
    return 0;
}

START_TEST(test_async_start_hands_over_lock)
{
    char *exec_id = lock_exec_id_new();
    Lock *lock = NULL;
    ck_assert_int_eq(lock_acquire(spool_dir, "demo", LOCK_TYPE_ARCHIVE, exec_id, &lock), 0);
    ck_assert_int_eq(archive_async_start(&lock, body_wait, spool_dir), 0);
    ck_assert_ptr_null(lock);

    /* the parent has let go of its handle, yet the lock is held: by the background process, which wrote its pid */
    pid_t holder = 0;
    for (int tries = 0; tries < 400; tries++) {
        if (lock_held(spool_dir, "demo", LOCK_TYPE_ARCHIVE, &holder) && holder != getpid() && holder != 0)
            break;
        usleep(5000);
    }
    ck_assert(lock_held(spool_dir, "demo", LOCK_TYPE_ARCHIVE, &holder));
    ck_assert_int_ne(holder, getpid());
    pid_t background = holder;
    Lock *second = NULL;
    ck_assert_int_eq(lock_acquire(spool_dir, "demo", LOCK_TYPE_ARCHIVE, exec_id, &second), -1);
    ck_assert_int_eq(err_code(), ERR_LOCK_ACQUIRE);

    /* let it finish: it wrote its marker and released the lock */
    char path[256];
    snprintf(path, sizeof(path), "%s/go", spool_dir);
    FILE *file = fopen(path, "w");
    ck_assert_ptr_nonnull(file);
    fclose(file);
    snprintf(path, sizeof(path), "%s/done", spool_dir);
    bool released = false;
    for (int tries = 0; tries < 1000 && !released; tries++) {
        released = access(path, F_OK) == 0 && !lock_held(spool_dir, "demo", LOCK_TYPE_ARCHIVE, &holder);
        if (!released)
            usleep(5000);
    }
    ck_assert(released);
    ck_assert_int_eq(atoi(read_text(path)), background); /* the process that held the lock ran the body */
    ck_assert_int_eq(lock_acquire(spool_dir, "demo", LOCK_TYPE_ARCHIVE, exec_id, &second), 0);
    lock_release(second);
    free(exec_id);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("archive_async");
    TCase *tcase = tcase_create("archive_async");
    tcase_add_checked_fixture(tcase, setup, teardown);
    tcase_set_timeout(tcase, 60);
    tcase_add_test(tcase, test_spool_names);
    tcase_add_test(tcase, test_status_content);
    tcase_add_test(tcase, test_status_files);
    tcase_add_test(tcase, test_push_queue);
    tcase_add_test(tcase, test_get_queue);
    tcase_add_test(tcase, test_seconds_format);
    tcase_add_test(tcase, test_async_start_hands_over_lock);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
