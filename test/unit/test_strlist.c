/* Unit tests for common/strlist: growth, ownership, the NULL terminator, lookup, free. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/strlist.h"

START_TEST(test_add_has_free)
{
    StrList list = STRLIST_INIT;
    ck_assert_ptr_null(list.items);
    ck_assert(!strlist_has(&list, "a"));

    char text[32];
    for (int index = 0; index < 100; index++) { /* several growths */
        snprintf(text, sizeof(text), "name-%d", index);
        strlist_add(&list, text);
        ck_assert_uint_eq(list.count, (size_t)index + 1);
        ck_assert_ptr_null(list.items[list.count]); /* always NULL-terminated */
    }
    snprintf(text, sizeof(text), "name-%d", 7);
    text[0] = 'N'; /* the list holds copies: changing the caller's text changes nothing */
    ck_assert_str_eq(list.items[7], "name-7");
    ck_assert(strlist_has(&list, "name-0"));
    ck_assert(strlist_has(&list, "name-99"));
    ck_assert(!strlist_has(&list, "name-100"));
    ck_assert(!strlist_has(&list, "name-"));

    strlist_add_owned(&list, mem_strdup("owned")); /* freed by strlist_free (the ASAN build's leak check) */
    ck_assert_str_eq(list.items[100], "owned");
    ck_assert_ptr_null(list.items[101]);

    strlist_free(&list);
    ck_assert_ptr_null(list.items);
    ck_assert_uint_eq(list.count, 0);
    ck_assert(!strlist_has(&list, "owned"));
    strlist_add(&list, "again"); /* usable after a free */
    ck_assert_uint_eq(list.count, 1);
    strlist_free(&list);
    strlist_free(&list); /* freeing an empty list is a no-op */
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("strlist");
    TCase *tc = tcase_create("strlist");
    tcase_add_test(tc, test_add_has_free);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
