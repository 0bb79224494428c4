/*
 * xml_lazy: the libxml2 functions gaiarest calls, forwarded to libxml2.so.2 loaded on first use (see
 * common/lazylib.h): only S3 responses are XML, and libxml2 pulls in ICU and the C++ runtime. Linked into the
 * gaiarest binary only. (storage/s3/xml.c reads text nodes itself instead of using xmlNodeGetContent, whose
 * result must be freed through libxml2's xmlFree variable, which cannot be forwarded.)
 */
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/lazylib.h"

static LazyLib libxml2 = LAZYLIB_INIT("libxml2.so.2", "libxml2", "to read S3 responses");

xmlDocPtr
xmlReadMemory(const char *buffer, int size, const char *URL, const char *encoding, int options)
{
    LAZYLIB_RESOLVE(libxml2, xmlReadMemory);
    return xmlReadMemory_real(buffer, size, URL, encoding, options);
}

xmlNodePtr
xmlDocGetRootElement(const xmlDoc *doc)
{
    LAZYLIB_RESOLVE(libxml2, xmlDocGetRootElement);
    return xmlDocGetRootElement_real(doc);
}

void
xmlFreeDoc(xmlDocPtr doc)
{
    LAZYLIB_RESOLVE(libxml2, xmlFreeDoc);
    xmlFreeDoc_real(doc);
}
