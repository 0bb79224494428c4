/* Unit tests for common/error: the thread-local record, and an error kept aside and made current again
 * (err_save / err_restore), across other failures and across threads. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

START_TEST(test_save_restore)
{
    err_set(ERR_FILE_MISSING, "unable to open missing file '%s' for read", "/wal/000000010000000000000001");
    err_hint("is archive_command right?");
    ErrorSaved saved;
    err_save(&saved);
    ck_assert_int_eq(saved.code, ERR_FILE_MISSING);
    ck_assert_str_eq(saved.message, "unable to open missing file '/wal/000000010000000000000001' for read");
    ck_assert_str_eq(saved.hint, "is archive_command right?");

    /* another failure (cleanup) replaces the record; the kept one comes back whole */
    err_set(ERR_FILE_READ, "something else");
    ck_assert_int_eq(err_restore(&saved), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    ck_assert_str_eq(err_message(), "unable to open missing file '/wal/000000010000000000000001' for read");
    ck_assert_str_eq(err_hint_text(), "is archive_command right?");
    err_saved_free(&saved);
    ck_assert_ptr_null(saved.message);

    /* no hint kept: none restored (a hint set meanwhile does not survive) */
    err_set(ERR_FORMAT, "bad");
    err_save(&saved);
    ck_assert_ptr_null(saved.hint);
    err_set(ERR_FILE_READ, "other");
    err_hint("other hint");
    err_restore(&saved);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
    ck_assert_ptr_null(err_hint_text());
    err_saved_free(&saved);

    /* a failure that set nothing is kept as an assertion error */
    err_clear();
    err_save(&saved);
    ck_assert_int_eq(saved.code, ERR_ASSERT);
    err_saved_free(&saved);
    ErrorSaved empty = {0};
    err_saved_free(&empty);
}
END_TEST

static void *
thread_fail(void *argument)
{
    err_set(ERR_PROTOCOL, "unable to GET archive.info in bucket '%s'", "gaia");
    err_hint("check the key");
    err_save(argument);
    return NULL;
}

/* The record is per thread: another thread's error reaches this one only through an ErrorSaved. */
START_TEST(test_thread_hand_off)
{
    err_clear();
    ErrorSaved saved = {0};
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, thread_fail, &saved), 0);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    ck_assert_int_eq(err_code(), ERR_NONE);
    err_restore(&saved);
    ck_assert_int_eq(err_code(), ERR_PROTOCOL);
    ck_assert_str_eq(err_message(), "unable to GET archive.info in bucket 'gaia'");
    ck_assert_str_eq(err_hint_text(), "check the key");
    err_saved_free(&saved);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("error");
    TCase *tc = tcase_create("error");
    tcase_add_test(tc, test_save_restore);
    tcase_add_test(tc, test_thread_hand_off);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
