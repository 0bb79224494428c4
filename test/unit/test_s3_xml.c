/*
 * Unit tests for src/storage/s3/xml.c: parsing S3 responses and building request bodies.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "storage/s3/xml.h"

#define S3_NS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

static const char list_page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult " S3_NS "><Name>bucket</Name><Prefix>repo/archive/</Prefix><KeyCount>3</KeyCount>"
    "<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "<Contents><Key>repo/archive/archive.info</Key><LastModified>2023-04-05T06:07:08.000Z</LastModified>"
    "<ETag>&quot;abc&quot;</ETag><Size>372</Size><StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>repo/archive/a&amp;b</Key><LastModified>1970-01-02T00:00:00Z</LastModified><Size>0</Size>"
    "</Contents>"
    "<CommonPrefixes><Prefix>repo/archive/15-1/</Prefix></CommonPrefixes>"
    "</ListBucketResult>";

START_TEST(test_list_parse)
{
    S3ListPage page;
    ck_assert_int_eq(s3_xml_list_parse(list_page, strlen(list_page), &page), 0);
    ck_assert_uint_eq(page.object_count, 2);
    ck_assert_str_eq(page.objects[0].key, "repo/archive/archive.info");
    ck_assert_uint_eq(page.objects[0].size, 372);
    ck_assert_int_eq(page.objects[0].mtime, 1680674828);
    ck_assert_str_eq(page.objects[1].key, "repo/archive/a&b");
    ck_assert_int_eq(page.objects[1].mtime, 86400);
    ck_assert_uint_eq(page.prefix_count, 1);
    ck_assert_str_eq(page.prefixes[0], "repo/archive/15-1/");
    ck_assert(page.truncated);
    ck_assert_str_eq(page.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    s3_list_page_free(&page);

    const char last[] = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
    ck_assert_int_eq(s3_xml_list_parse(last, strlen(last), &page), 0);
    ck_assert(!page.truncated);
    ck_assert_uint_eq(page.object_count, 0);
    ck_assert_ptr_null(page.next_token);
    s3_list_page_free(&page);
}
END_TEST

START_TEST(test_list_parse_errors)
{
    S3ListPage page;
    const char garbage[] = "this is not xml";
    ck_assert_int_eq(s3_xml_list_parse(garbage, strlen(garbage), &page), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
    const char other[] = "<Error><Code>x</Code></Error>";
    ck_assert_int_eq(s3_xml_list_parse(other, strlen(other), &page), -1);
    const char no_token[] = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
    ck_assert_int_eq(s3_xml_list_parse(no_token, strlen(no_token), &page), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
    ck_assert_int_eq(s3_xml_list_parse(NULL, 0, &page), -1);
}
END_TEST

START_TEST(test_upload_id)
{
    const char body[] = "<?xml version=\"1.0\"?><InitiateMultipartUploadResult " S3_NS "><Bucket>b</Bucket>"
                        "<Key>k</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>";
    char *id = NULL;
    ck_assert_int_eq(s3_xml_upload_id_parse(body, strlen(body), &id), 0);
    ck_assert_str_eq(id, "VXBsb2FkIElE");
    free(id);
    const char missing[] = "<InitiateMultipartUploadResult><Key>k</Key></InitiateMultipartUploadResult>";
    ck_assert_int_eq(s3_xml_upload_id_parse(missing, strlen(missing), &id), -1);
    ck_assert_ptr_null(id);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
}
END_TEST

START_TEST(test_delete_result)
{
    const char body[] = "<DeleteResult " S3_NS "><Deleted><Key>a</Key></Deleted>"
                        "<Error><Key>b/c</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                        "<Error><Key>d</Key><Code>InternalError</Code><Message>oops</Message></Error></DeleteResult>";
    S3DeleteError *errors = NULL;
    size_t count = 0;
    ck_assert_int_eq(s3_xml_delete_result_parse(body, strlen(body), &errors, &count), 0);
    ck_assert_uint_eq(count, 2);
    ck_assert_str_eq(errors[0].key, "b/c");
    ck_assert_str_eq(errors[0].code, "AccessDenied");
    ck_assert_str_eq(errors[1].message, "oops");
    s3_delete_errors_free(errors, count);

    const char quiet[] = "<DeleteResult " S3_NS "/>";
    ck_assert_int_eq(s3_xml_delete_result_parse(quiet, strlen(quiet), &errors, &count), 0);
    ck_assert_uint_eq(count, 0);
    s3_delete_errors_free(errors, count);
    ck_assert_int_eq(s3_xml_delete_result_parse("x", 1, &errors, &count), -1);
}
END_TEST

START_TEST(test_error_body)
{
    const char body[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
                        "<Message>The specified key does not exist.</Message><Resource>/b/k</Resource>"
                        "<RequestId>4442587FB7D0A2F9</RequestId></Error>";
    S3ErrorBody error;
    s3_xml_error_parse(body, strlen(body), &error);
    ck_assert_str_eq(error.code, "NoSuchKey");
    ck_assert_str_eq(error.message, "The specified key does not exist.");
    ck_assert_str_eq(error.resource, "/b/k");
    ck_assert_str_eq(error.request_id, "4442587FB7D0A2F9");
    s3_error_body_clear(&error);
    s3_xml_error_parse("<html>bad gateway</html>", 24, &error);
    ck_assert_ptr_null(error.code);
    s3_xml_error_parse(NULL, 0, &error);
    ck_assert_ptr_null(error.message);
}
END_TEST

START_TEST(test_bodies)
{
    char *etags[] = {"\"e1\"", "\"e<2>\""};
    Buf out = BUF_INIT;
    s3_xml_complete_body(&out, etags, 2);
    ck_assert_str_eq(buf_str(&out), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload>"
                                    "<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>"
                                    "<Part><PartNumber>2</PartNumber><ETag>&quot;e&lt;2&gt;&quot;</ETag></Part>"
                                    "</CompleteMultipartUpload>\n");
    buf_clear(&out);
    char *keys[] = {"repo/a&b", "repo/it's"};
    s3_xml_delete_body(&out, keys, 2);
    ck_assert_str_eq(buf_str(&out), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete><Quiet>true</Quiet>"
                                    "<Object><Key>repo/a&amp;b</Key></Object>"
                                    "<Object><Key>repo/it&apos;s</Key></Object></Delete>\n");
    buf_free(&out);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("s3_xml");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_list_parse);
    tcase_add_test(tc, test_list_parse_errors);
    tcase_add_test(tc, test_upload_id);
    tcase_add_test(tc, test_delete_result);
    tcase_add_test(tc, test_error_body);
    tcase_add_test(tc, test_bodies);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
