/* Unit tests for common/json: pgBackRest's JSON dialect (parse, write, escaping, errors). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/json.h"

static char *
roundtrip(const char *text)
{
    JsonValue *value = NULL;
    ck_assert_int_eq(json_parse(text, strlen(text), &value), 0);
    char *out = json_to_string(value);
    json_free(value);
    return out;
}

START_TEST(test_roundtrip_compact)
{
    const char *cases[] = {
        "{\"backrest-format\":5,\"backup-reference\":[\"20261124-102933F\",\"x\"],\"backup-error\":false}",
        "[1,[3,5]]",
        "{}",
        "[]",
        "null",
        "true",
        "18446744073709551615",
        "-9223372036854775808",
        "\"a/b \xc3\xa9 \\\" \\\\ \\n \\r \\t \\b \\f\"",
        "{\"a\":{\"b\":{\"c\":[null,true,false,0,-1]}}}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = roundtrip(cases[i]);
        ck_assert_str_eq(out, cases[i]);
        free(out);
    }
}
END_TEST

START_TEST(test_parse_whitespace_and_unicode)
{
    char *out = roundtrip(" { \"k\" : [ 1 , 2 ] , \"u\" : \"\\u0041\\u00e9\\ud83d\\ude00\\/\" } ");
    ck_assert_str_eq(out, "{\"k\":[1,2],\"u\":\"A\xc3\xa9\xf0\x9f\x98\x80/\"}");
    free(out);

    /* Control characters other than the seven escaped ones are written raw. */
    JsonValue *value = json_string_n("\x01\x1f\0x", 4);
    char *text = json_to_string(value);
    ck_assert_int_eq(memcmp(text, "\"\x01\x1f\0x\"", 6), 0);
    free(text);
    json_free(value);
}
END_TEST

START_TEST(test_parse_types)
{
    JsonValue *value = NULL;
    const char *text = "{\"db-id\":7711683191021474611,\"neg\":-5,\"s\":\"15\",\"b\":true,\"n\":null}";
    ck_assert_int_eq(json_parse(text, strlen(text), &value), 0);
    uint64_t u = 0;
    int64_t i = 0;
    bool b = false;
    const char *s = NULL;
    ck_assert_int_eq(json_get_uint64(json_object_get(value, "db-id"), "db-id", &u), 0);
    ck_assert(u == UINT64_C(7711683191021474611));
    ck_assert_int_eq(json_get_int64(json_object_get(value, "db-id"), "db-id", &i), 0);
    ck_assert_int_eq(json_get_int64(json_object_get(value, "neg"), "neg", &i), 0);
    ck_assert_int_eq(i, -5);
    ck_assert_int_eq(json_get_uint64(json_object_get(value, "neg"), "neg", &u), -1);
    ck_assert_int_eq(err_code(), ERR_JSON_FORMAT);
    ck_assert_int_eq(json_get_string(json_object_get(value, "s"), "s", &s), 0);
    ck_assert_str_eq(s, "15");
    ck_assert_int_eq(json_get_bool(json_object_get(value, "b"), "b", &b), 0);
    ck_assert(b);
    ck_assert_int_eq(json_get_bool(json_object_get(value, "s"), "s", &b), -1);
    ck_assert_ptr_null(json_object_get(value, "missing"));
    ck_assert_int_eq(json_object_get(value, "n")->type, JSON_NULL);
    json_free(value);
}
END_TEST

START_TEST(test_parse_errors)
{
    const char *bad[] = {
        "", "x", "[", "{\"a\"}", "{\"a\":1,}", "[1,]", "1.5", "1e3", "\"abc", "\"\\x\"", "tru", "1 2",
        "18446744073709551616", "-9223372036854775809", "\"\\ud800\"", "{a:1}", "[1 2]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        JsonValue *value = NULL;
        err_clear();
        ck_assert_msg(json_parse(bad[i], strlen(bad[i]), &value) == -1, "accepted '%s'", bad[i]);
        ck_assert_ptr_null(value);
        ck_assert_int_eq(err_code(), ERR_JSON_FORMAT);
        ck_assert_ptr_nonnull(strstr(err_message(), "position"));
        ck_assert(!json_valid(bad[i], strlen(bad[i])));
    }
    JsonValue *value = NULL;
    ck_assert_int_eq(json_parse("[1,x]", 5, &value), -1);
    ck_assert_ptr_nonnull(strstr(err_message(), "position 3"));

    /* Deep nesting is refused, not a stack overflow. */
    char deep[2001];
    memset(deep, '[', 1000);
    memset(deep + 1000, ']', 1000);
    deep[2000] = '\0';
    ck_assert(!json_valid(deep, 2000));
}
END_TEST

START_TEST(test_build_and_sort)
{
    JsonValue *object = json_object();
    json_object_set(object, "option-online", json_bool(true));
    json_object_set(object, "backup-type", json_string("full"));
    json_object_set(object, "backrest-format", json_uint(5));
    JsonValue *nested = json_object_set(object, "backup-annotation", json_object());
    json_object_set(nested, "z", json_string("1"));
    json_object_set(nested, "a", json_string("tab\there"));
    json_object_set(object, "backup-type", json_string("diff")); /* replaced in place */
    JsonValue *array = json_object_set(object, "arr", json_array());
    json_array_add(array, json_int(-3));

    char *text = json_to_string(object);
    ck_assert_str_eq(text, "{\"option-online\":true,\"backup-type\":\"diff\",\"backrest-format\":5,"
                           "\"backup-annotation\":{\"z\":\"1\",\"a\":\"tab\\there\"},\"arr\":[-3]}");
    free(text);

    json_object_sort(object, false);
    text = json_to_string(object);
    ck_assert_str_eq(text, "{\"arr\":[-3],\"backrest-format\":5,\"backup-annotation\":{\"z\":\"1\",\"a\":\"tab\\there\"},"
                           "\"backup-type\":\"diff\",\"option-online\":true}");
    free(text);

    json_object_sort(object, true);
    text = json_to_string(object);
    ck_assert_ptr_nonnull(strstr(text, "{\"a\":\"tab\\there\",\"z\":\"1\"}"));
    free(text);

    /* removal keeps the order of the others; a missing key is left alone */
    json_object_remove(object, "backup-annotation");
    json_object_remove(object, "arr");
    json_object_remove(object, "missing");
    text = json_to_string(object);
    ck_assert_str_eq(text, "{\"backrest-format\":5,\"backup-type\":\"diff\",\"option-online\":true}");
    free(text);
    json_free(object);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("json");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, test_roundtrip_compact);
    tcase_add_test(tc, test_parse_whitespace_and_unicode);
    tcase_add_test(tc, test_parse_types);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_build_and_sort);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
