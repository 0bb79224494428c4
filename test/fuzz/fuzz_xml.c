/*
 * fuzz_xml: the S3 response bodies gaiarest parses (storage/s3/xml.h): ListObjectsV2 pages, multipart upload ids,
 * DeleteObjects results and error bodies, as a server or anything between it and gaiarest may send them.
 *
 * The first byte picks the parser. Property: whatever comes back is complete (every listed object has a key, every
 * prefix a value, a parsed upload id a value) and freed without a leak.
 */
#include <stdlib.h>

#include "common/error.h"
#include "storage/s3/xml.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t body_size = size - 1;
    switch (data[0] % 4) {
    case 0: {
        S3ListPage page;
        if (s3_xml_list_parse(body, body_size, &page) == 0) {
            for (size_t index = 0; index < page.object_count; index++)
                if (page.objects[index].key == NULL)
                    fuzz_fail("a listed object without a key");
            for (size_t index = 0; index < page.prefix_count; index++)
                if (page.prefixes[index] == NULL)
                    fuzz_fail("a NULL common prefix");
        }
        s3_list_page_free(&page);
        break;
    }
    case 1: {
        char *upload_id = NULL;
        if (s3_xml_upload_id_parse(body, body_size, &upload_id) == 0 && upload_id == NULL)
            fuzz_fail("an upload id parsed as NULL");
        free(upload_id);
        break;
    }
    case 2: {
        S3DeleteError *errors = NULL;
        size_t count = 0;
        /* an error may name no key (the driver then deletes the whole batch again, see s3.c) */
        if (s3_xml_delete_result_parse(body, body_size, &errors, &count) == 0 && count > 0 && errors == NULL)
            fuzz_fail("delete errors counted but not returned");
        s3_delete_errors_free(errors, count);
        break;
    }
    default: {
        S3ErrorBody error;
        s3_xml_error_parse(body, body_size, &error);
        s3_error_body_clear(&error);
        break;
    }
    }
    err_clear();
    return 0;
}
