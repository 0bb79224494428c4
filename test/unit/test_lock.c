/* Unit tests for engine/ops/lock: exclusion, stale locks, progress, stop files, and interplay with stock pgBackRest. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "engine/ops/lock.h"

static char lock_dir[64];

static void
setup(void)
{
    strcpy(lock_dir, "/tmp/gaiarest-test-lock-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(lock_dir));
}

static void
teardown(void)
{
    char command[256];
    snprintf(command, sizeof(command), "rm -rf %s", lock_dir);
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

START_TEST(test_exclusion_and_content)
{
    char *exec_id = lock_exec_id_new();
    Lock *lock = NULL;
    ck_assert_int_eq(lock_acquire(lock_dir, "demo", LOCK_TYPE_BACKUP, exec_id, &lock), 0);

    char *path = lock_file_path(lock_dir, "demo", LOCK_TYPE_BACKUP);
    char expected[256];
    snprintf(expected, sizeof(expected), "{\"execId\":\"%s\",\"pid\":%d}", exec_id, (int)getpid());
    ck_assert_str_eq(read_text(path), expected);

    /* A second acquire (another open file description) is refused with pgBackRest's code and hint. */
    Lock *second = NULL;
    ck_assert_int_eq(lock_acquire(lock_dir, "demo", LOCK_TYPE_BACKUP, exec_id, &second), -1);
    ck_assert_int_eq(err_code(), ERR_LOCK_ACQUIRE);
    ck_assert_ptr_nonnull(strstr(err_message(), path));
    ck_assert_str_eq(err_hint_text(), "is another pgBackRest process running?");

    /* The archive lock is independent. */
    Lock *archive = NULL;
    ck_assert_int_eq(lock_acquire(lock_dir, "demo", LOCK_TYPE_ARCHIVE, exec_id, &archive), 0);
    lock_release(archive);

    ck_assert_int_eq(lock_progress(lock, 7381), 0);
    snprintf(expected, sizeof(expected), "{\"execId\":\"%s\",\"pctCplt\":7381,\"pid\":%d}", exec_id, (int)getpid());
    ck_assert_str_eq(read_text(path), expected);

    /* Stock pgBackRest sees the lock as taken. */
    char command[512];
    snprintf(command, sizeof(command),
             "pgbackrest --stanza=demo --lock-path=%s --repo1-path=%s/repo --repo1-retention-full=1 expire "
             ">/dev/null 2>&1", lock_dir, lock_dir);
    int status = system(command);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), ERR_LOCK_ACQUIRE);

    lock_release(lock);
    ck_assert_int_eq(access(path, F_OK), -1);
    free(path);
    free(exec_id);
}
END_TEST

START_TEST(test_stale_lock_taken_over)
{
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        Lock *lock = NULL;
        _exit(lock_acquire(lock_dir, "demo", LOCK_TYPE_ARCHIVE, "1-deadbeef", &lock) == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    ck_assert_int_eq(WEXITSTATUS(status), 0);

    char *path = lock_file_path(lock_dir, "demo", LOCK_TYPE_ARCHIVE);
    ck_assert_int_eq(access(path, F_OK), 0); /* the dead process left its file */
    pid_t holder = 0;
    ck_assert(!lock_held(lock_dir, "demo", LOCK_TYPE_ARCHIVE, &holder));

    Lock *lock = NULL;
    ck_assert_int_eq(lock_acquire(lock_dir, "demo", LOCK_TYPE_ARCHIVE, "2-cafebabe", &lock), 0);
    lock_release(lock);
    free(path);
}
END_TEST

START_TEST(test_lock_held_reports_pid)
{
    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        Lock *lock = NULL;
        char *exec_id = lock_exec_id_new();
        int result = lock_acquire(lock_dir, "demo", LOCK_TYPE_BACKUP, exec_id, &lock);
        if (write(ready[1], "x", 1) != 1)
            _exit(2);
        sleep(5);
        _exit(result == 0 ? 0 : 1);
    }
    char byte;
    ck_assert_int_eq(read(ready[0], &byte, 1), 1);
    pid_t holder = 0;
    ck_assert(lock_held(lock_dir, "demo", LOCK_TYPE_BACKUP, &holder));
    ck_assert_int_eq(holder, child);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    ck_assert(!lock_held(lock_dir, "demo", LOCK_TYPE_BACKUP, &holder));
    close(ready[0]);
    close(ready[1]);
}
END_TEST

START_TEST(test_stop_files)
{
    bool flag = false;
    ck_assert_int_eq(stop_check(lock_dir, "demo"), 0);

    ck_assert_int_eq(stop_create(lock_dir, "demo", &flag), 0);
    ck_assert(!flag);
    ck_assert_int_eq(stop_create(lock_dir, "demo", &flag), 0);
    ck_assert(flag);
    ck_assert_int_eq(stop_check(lock_dir, "demo"), -1);
    ck_assert_int_eq(err_code(), ERR_STOP);
    ck_assert_str_eq(err_message(), "stop file exists for stanza demo");
    ck_assert_int_eq(stop_check(lock_dir, "other"), 0);

    /* Stock pgBackRest honours our stop file ... */
    char command[512];
    snprintf(command, sizeof(command),
             "pgbackrest --stanza=demo --lock-path=%s --repo1-path=%s/repo --repo1-retention-full=1 expire "
             ">/dev/null 2>&1", lock_dir, lock_dir);
    int status = system(command);
    ck_assert_int_eq(WEXITSTATUS(status), ERR_STOP);

    ck_assert_int_eq(stop_remove(lock_dir, "demo", &flag), 0);
    ck_assert(flag);
    ck_assert_int_eq(stop_remove(lock_dir, "demo", &flag), 0);
    ck_assert(!flag);

    /* ... and we honour its all-stanzas stop file. */
    snprintf(command, sizeof(command), "pgbackrest --lock-path=%s stop >/dev/null 2>&1", lock_dir);
    ck_assert_int_eq(system(command), 0);
    ck_assert_int_eq(stop_check(lock_dir, "demo"), -1);
    ck_assert_str_eq(err_message(), "stop file exists for all stanzas");
    ck_assert_int_eq(stop_remove(lock_dir, NULL, &flag), 0);
    ck_assert(flag);
    ck_assert_int_eq(stop_check(lock_dir, "demo"), 0);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("lock");
    TCase *tcase = tcase_create("lock");
    tcase_add_checked_fixture(tcase, setup, teardown);
    tcase_set_timeout(tcase, 60);
    tcase_add_test(tcase, test_exclusion_and_content);
    tcase_add_test(tcase, test_stale_lock_taken_over);
    tcase_add_test(tcase, test_lock_held_reports_pid);
    tcase_add_test(tcase, test_stop_files);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
