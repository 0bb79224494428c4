/*
 * xml: S3 XML bodies with libxml2 (see xml.h).
 */
#include "storage/s3/xml.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/error.h"
#include "common/buf.h"
#include "common/mem.h"

static xmlDocPtr xml_parse(const char *data, size_t size)
{
    if (data == NULL || size == 0 || size > (size_t)INT32_MAX)
        return NULL;
    return xmlReadMemory(data, (int)size, "s3.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static bool node_is(const xmlNode *node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0;
}

/* Text content of an element: its text and CDATA children, in order (S3's elements that hold text hold nothing
 * else). Owned by the caller, "" when empty. */
static char *node_text(const xmlNode *node)
{
    Buf text = BUF_INIT;
    for (const xmlNode *child = node->children; child != NULL; child = child->next)
        if ((child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE) && child->content != NULL)
            buf_append(&text, child->content, strlen((const char *)child->content));
    char *result = mem_strndup(text.data != NULL ? (const char *)text.data : "", text.size);
    buf_free(&text);
    return result;
}

/* First child element called name, NULL when none. */
static xmlNode *child_find(const xmlNode *parent, const char *name)
{
    for (xmlNode *child = parent->children; child != NULL; child = child->next)
        if (node_is(child, name))
            return child;
    return NULL;
}

static char *child_text(const xmlNode *parent, const char *name)
{
    xmlNode *child = child_find(parent, name);
    return child != NULL ? node_text(child) : NULL;
}

/* "2009-10-12T17:50:30.000Z" -> epoch seconds (0 when unparseable). */
static int64_t iso8601_parse(const char *text)
{
    struct tm tm = {0};
    if (text == NULL || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                               &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

static void list_add_object(S3ListPage *page, const xmlNode *contents)
{
    char *key = child_text(contents, "Key");
    if (key == NULL)
        return;
    char *size = child_text(contents, "Size");
    char *modified = child_text(contents, "LastModified");
    page->objects = mem_realloc(page->objects, (page->object_count + 1) * sizeof(*page->objects));
    S3ListObject *object = &page->objects[page->object_count++];
    object->key = key;
    object->size = size != NULL ? strtoull(size, NULL, 10) : 0;
    object->mtime = iso8601_parse(modified);
    free(size);
    free(modified);
}

static void list_add_prefix(S3ListPage *page, const xmlNode *common)
{
    char *prefix = child_text(common, "Prefix");
    if (prefix == NULL)
        return;
    page->prefixes = mem_realloc(page->prefixes, (page->prefix_count + 1) * sizeof(*page->prefixes));
    page->prefixes[page->prefix_count++] = prefix;
}

int s3_xml_list_parse(const char *data, size_t size, S3ListPage *page)
{
    memset(page, 0, sizeof(*page));
    xmlDocPtr doc = xml_parse(data, size);
    xmlNode *root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    if (root == NULL || !node_is(root, "ListBucketResult")) {
        xmlFreeDoc(doc);
        return err_set(ERR_FORMAT, "S3 list response is not a ListBucketResult");
    }
    for (xmlNode *child = root->children; child != NULL; child = child->next) {
        if (node_is(child, "Contents")) {
            list_add_object(page, child);
        } else if (node_is(child, "CommonPrefixes")) {
            list_add_prefix(page, child);
        } else if (node_is(child, "IsTruncated")) {
            char *text = node_text(child);
            page->truncated = strcmp(text, "true") == 0;
            free(text);
        } else if (node_is(child, "NextContinuationToken")) {
            free(page->next_token);
            page->next_token = node_text(child);
        }
    }
    xmlFreeDoc(doc);
    if (page->truncated && (page->next_token == NULL || page->next_token[0] == '\0')) {
        s3_list_page_free(page);
        return err_set(ERR_FORMAT, "S3 list response is truncated but has no NextContinuationToken");
    }
    return 0;
}

void s3_list_page_free(S3ListPage *page)
{
    for (size_t i = 0; i < page->object_count; i++)
        free(page->objects[i].key);
    for (size_t i = 0; i < page->prefix_count; i++)
        free(page->prefixes[i]);
    free(page->objects);
    free(page->prefixes);
    free(page->next_token);
    memset(page, 0, sizeof(*page));
}

int s3_xml_upload_id_parse(const char *data, size_t size, char **upload_id)
{
    *upload_id = NULL;
    xmlDocPtr doc = xml_parse(data, size);
    xmlNode *root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    if (root != NULL && node_is(root, "InitiateMultipartUploadResult"))
        *upload_id = child_text(root, "UploadId");
    xmlFreeDoc(doc);
    if (*upload_id == NULL || (*upload_id)[0] == '\0') {
        free(*upload_id);
        *upload_id = NULL;
        return err_set(ERR_FORMAT, "S3 multipart initiation response has no UploadId");
    }
    return 0;
}

int s3_xml_delete_result_parse(const char *data, size_t size, S3DeleteError **errors, size_t *count)
{
    *errors = NULL;
    *count = 0;
    xmlDocPtr doc = xml_parse(data, size);
    xmlNode *root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    if (root == NULL || !node_is(root, "DeleteResult")) {
        xmlFreeDoc(doc);
        return err_set(ERR_FORMAT, "S3 delete response is not a DeleteResult");
    }
    for (xmlNode *child = root->children; child != NULL; child = child->next) {
        if (!node_is(child, "Error"))
            continue;
        *errors = mem_realloc(*errors, (*count + 1) * sizeof(**errors));
        S3DeleteError *error = &(*errors)[(*count)++];
        error->key = child_text(child, "Key");
        error->code = child_text(child, "Code");
        error->message = child_text(child, "Message");
    }
    xmlFreeDoc(doc);
    return 0;
}

void s3_delete_errors_free(S3DeleteError *errors, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(errors[i].key);
        free(errors[i].code);
        free(errors[i].message);
    }
    free(errors);
}

void s3_xml_error_parse(const char *data, size_t size, S3ErrorBody *error)
{
    memset(error, 0, sizeof(*error));
    xmlDocPtr doc = xml_parse(data, size);
    xmlNode *root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    if (root != NULL && node_is(root, "Error")) {
        error->code = child_text(root, "Code");
        error->message = child_text(root, "Message");
        error->request_id = child_text(root, "RequestId");
        error->resource = child_text(root, "Resource");
    }
    xmlFreeDoc(doc);
}

void s3_error_body_clear(S3ErrorBody *error)
{
    free(error->code);
    free(error->message);
    free(error->request_id);
    free(error->resource);
    memset(error, 0, sizeof(*error));
}

void s3_xml_escape(Buf *out, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        switch (*p) {
        case '&':
            buf_append_str(out, "&amp;");
            break;
        case '<':
            buf_append_str(out, "&lt;");
            break;
        case '>':
            buf_append_str(out, "&gt;");
            break;
        case '"':
            buf_append_str(out, "&quot;");
            break;
        case '\'':
            buf_append_str(out, "&apos;");
            break;
        default:
            buf_append_char(out, *p);
        }
    }
}

void s3_xml_complete_body(Buf *out, char *const *etags, size_t count)
{
    buf_append_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload>");
    for (size_t i = 0; i < count; i++) {
        buf_printf(out, "<Part><PartNumber>%zu</PartNumber><ETag>", i + 1);
        s3_xml_escape(out, etags[i]);
        buf_append_str(out, "</ETag></Part>");
    }
    buf_append_str(out, "</CompleteMultipartUpload>\n");
}

void s3_xml_delete_body(Buf *out, char *const *keys, size_t count)
{
    buf_append_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete><Quiet>true</Quiet>");
    for (size_t i = 0; i < count; i++) {
        buf_append_str(out, "<Object><Key>");
        s3_xml_escape(out, keys[i]);
        buf_append_str(out, "</Key></Object>");
    }
    buf_append_str(out, "</Delete>\n");
}
