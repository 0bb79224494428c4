/*
 * Unit tests for src/storage/s3/sigv4.c: AWS's published SigV4 vectors and an independently computed S3 PUT.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "storage/s3/sigv4.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* AWS Signature V4 test suite, "get-vanilla". */
START_TEST(test_get_vanilla)
{
    SigV4Signer *signer = sigv4_signer_new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1",
                                           "service");
    SigV4Header headers[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};

    char *signed_headers = NULL;
    char *canonical = sigv4_canonical_request("GET", "/", "", headers, 2, EMPTY_SHA256, &signed_headers);
    ck_assert_str_eq(canonical, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                                "host;x-amz-date\n" EMPTY_SHA256);
    ck_assert_str_eq(signed_headers, "host;x-amz-date");

    char *to_sign = sigv4_string_to_sign(signer, "20150830T123600Z", canonical);
    ck_assert_str_eq(to_sign, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                              "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");

    char *auth = sigv4_authorization(signer, "GET", "/", "", headers, 2, EMPTY_SHA256, "20150830T123600Z");
    ck_assert_str_eq(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,"
                           "SignedHeaders=host;x-amz-date,"
                           "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    free(auth);
    /* Second signature with the cached key gives the same answer. */
    auth = sigv4_authorization(signer, "GET", "/", "", headers, 2, EMPTY_SHA256, "20150830T123600Z");
    ck_assert_ptr_nonnull(strstr(auth, "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
    free(auth);
    free(to_sign);
    free(canonical);
    free(signed_headers);
    sigv4_signer_free(signer);
}
END_TEST

/* AWS Signature V4 test suite, "get-vanilla-query-order-key-case": query keys are sorted. */
START_TEST(test_get_vanilla_query_order)
{
    SigV4Signer *signer = sigv4_signer_new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1",
                                           "service");
    SigV4Query query[] = {{"Param2", "value2"}, {"Param1", "value1"}};
    char *query_string = sigv4_query_string(query, 2);
    ck_assert_str_eq(query_string, "Param1=value1&Param2=value2");

    SigV4Header headers[] = {{"X-Amz-Date", "20150830T123600Z"}, {"Host", "example.amazonaws.com"}};
    char *auth = sigv4_authorization(signer, "GET", "/", query_string, headers, 2, EMPTY_SHA256, "20150830T123600Z");
    ck_assert_ptr_nonnull(strstr(auth, "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));
    free(auth);
    free(query_string);
    sigv4_signer_free(signer);
}
END_TEST

/* AWS S3 documentation example: GET /test.txt with a range header, service s3. */
START_TEST(test_s3_doc_get_range)
{
    SigV4Signer *signer = sigv4_signer_new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                           "us-east-1", "s3");
    SigV4Header headers[] = {
        {"Host", "examplebucket.s3.amazonaws.com"},
        {"Range", "bytes=0-9"},
        {"x-amz-content-sha256", EMPTY_SHA256},
        {"x-amz-date", "20130524T000000Z"},
    };
    char *auth = sigv4_authorization(signer, "GET", "/test.txt", "", headers, 4, EMPTY_SHA256, "20130524T000000Z");
    ck_assert_str_eq(auth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                           "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                           "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    free(auth);
    sigv4_signer_free(signer);
}
END_TEST

/* A PUT as the S3 driver sends it, checked against a signature computed independently (Python hmac/hashlib):
 * content-length and authorization are not signed, the path and query values are encoded, token signed. */
START_TEST(test_s3_put_computed)
{
    const char *body = "hello gaiarest\n";
    char sha[SIGV4_SHA256_HEX_SIZE];
    sigv4_sha256_hex(body, strlen(body), sha);
    ck_assert_str_eq(sha, "30d76d35bd9e0342c4f805bf532e38a39cac61fdd801e25b41d8ea29de7ce3d6");

    SigV4Signer *signer = sigv4_signer_new("KEY1", "secretKEY/123", "eu-west-1", "s3");
    char *path = sigv4_uri_encode("/repo/archive/demo/a b+c.txt", true);
    ck_assert_str_eq(path, "/repo/archive/demo/a%20b%2Bc.txt");
    SigV4Query query[] = {{"uploadId", "a/b="}, {"partNumber", "2"}};
    char *query_string = sigv4_query_string(query, 2);
    ck_assert_str_eq(query_string, "partNumber=2&uploadId=a%2Fb%3D");

    SigV4Header headers[] = {
        {"content-length", "15"},
        {"content-md5", "qQECS4WB3vnr0bkvBpwiLw=="},
        {"host", "bucket.s3.eu-west-1.amazonaws.com"},
        {"x-amz-content-sha256", sha},
        {"x-amz-date", "20240102T030405Z"},
        {"x-amz-security-token", "tok/en+1"},
        {"authorization", "ignored"},
    };
    char *auth = sigv4_authorization(signer, "PUT", path, query_string, headers, 7, sha, "20240102T030405Z");
    ck_assert_str_eq(auth, "AWS4-HMAC-SHA256 Credential=KEY1/20240102/eu-west-1/s3/aws4_request,"
                           "SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"
                           "Signature=a1445ece4ebf9cb515a43ca85d308fce782f5ebb4ed97f626173de10c700a100");
    free(auth);
    /* A different date re-derives the key: the signature changes. */
    auth = sigv4_authorization(signer, "PUT", path, query_string, headers, 7, sha, "20240103T030405Z");
    ck_assert_ptr_null(strstr(auth, "a1445ece4ebf9cb515a43ca85d308fce782f5ebb4ed97f626173de10c700a100"));
    ck_assert_ptr_nonnull(strstr(auth, "Credential=KEY1/20240103/"));
    free(auth);
    free(query_string);
    free(path);
    sigv4_signer_free(signer);
}
END_TEST

START_TEST(test_encode_and_date)
{
    char *encoded = sigv4_uri_encode("-._~AZaz09 /?=&%\xe1\x88\xb4", false);
    ck_assert_str_eq(encoded, "-._~AZaz09%20%2F%3F%3D%26%25%E1%88%B4");
    free(encoded);
    SigV4Query empty_value[] = {{"delete", ""}};
    char *query = sigv4_query_string(empty_value, 1);
    ck_assert_str_eq(query, "delete=");
    free(query);
    query = sigv4_query_string(NULL, 0);
    ck_assert_str_eq(query, "");
    free(query);
    char date[SIGV4_DATETIME_SIZE];
    sigv4_datetime(1440938160, date);
    ck_assert_str_eq(date, "20150830T123600Z");
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("s3_sigv4");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_get_vanilla);
    tcase_add_test(tc, test_get_vanilla_query_order);
    tcase_add_test(tc, test_s3_doc_get_range);
    tcase_add_test(tc, test_s3_put_computed);
    tcase_add_test(tc, test_encode_and_date);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
