/*
 * xml: the S3 XML bodies the driver reads (ListObjectsV2 results, multipart initiation, multi-object delete
 * results, error bodies) and writes (CompleteMultipartUpload, Delete). Element names are matched on their
 * local name, so the S3 namespace may or may not be present.
 */
#ifndef GAIAREST_STORAGE_S3_XML_H
#define GAIAREST_STORAGE_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

typedef struct S3ListObject {
    char *key;      /* full key; owned */
    uint64_t size;
    int64_t mtime;  /* seconds since the epoch (from LastModified) */
} S3ListObject;

/* One page of ListObjectsV2. */
typedef struct S3ListPage {
    S3ListObject *objects;
    size_t object_count;
    char **prefixes;       /* CommonPrefixes/Prefix values (ending in the delimiter); owned */
    size_t prefix_count;
    bool truncated;        /* IsTruncated */
    char *next_token;      /* NextContinuationToken, NULL when absent; owned */
} S3ListPage;

/* Parse a ListObjectsV2 result into *page (zeroed first). ERR_FORMAT when the body is not such a result. */
int s3_xml_list_parse(const char *data, size_t size, S3ListPage *page);
void s3_list_page_free(S3ListPage *page);

/* UploadId of an InitiateMultipartUploadResult (owned by the caller). ERR_FORMAT when missing. */
int s3_xml_upload_id_parse(const char *data, size_t size, char **upload_id);

/* One <Error> of a DeleteResult. */
typedef struct S3DeleteError {
    char *key;     /* NULL when the server named no key */
    char *code;
    char *message;
} S3DeleteError;

/* Collect the <Error> entries of a DeleteResult (none in quiet mode when all went well). ERR_FORMAT when the
 * body is not a DeleteResult. Free with s3_delete_errors_free(). */
int s3_xml_delete_result_parse(const char *data, size_t size, S3DeleteError **errors, size_t *count);
void s3_delete_errors_free(S3DeleteError *errors, size_t count);

/* The fields of an S3 <Error> body; every field NULL when absent or when the body is not XML. */
typedef struct S3ErrorBody {
    char *code;
    char *message;
    char *request_id;
    char *resource;
} S3ErrorBody;

/* Best-effort parse of an error body (never fails). Free the fields with s3_error_body_clear(). */
void s3_xml_error_parse(const char *data, size_t size, S3ErrorBody *error);
void s3_error_body_clear(S3ErrorBody *error);

/* Append `text` to out with XML escaping (& < > " '). */
void s3_xml_escape(Buf *out, const char *text);

/* Body of CompleteMultipartUpload for parts 1..count with the given ETags (as returned, quotes included). */
void s3_xml_complete_body(Buf *out, char *const *etags, size_t count);

/* Body of a quiet multi-object Delete for the given keys. */
void s3_xml_delete_body(Buf *out, char *const *keys, size_t count);

#endif
