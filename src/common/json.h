/*
 * json: pgBackRest's exact JSON dialect (spec 2.2) as a small value tree.
 *
 * Values: null, bool, signed and unsigned 64-bit integers, strings (bytes, may hold NUL), arrays and
 * objects whose keys keep the order in which they were added (the writer emits them in that order; call
 * json_object_sort() to get the byte order pgBackRest requires). No floats.
 *
 * Writer: compact (no whitespace at all); in strings only `"` `\` LF CR TAB BS FF are escaped, every other
 * byte (UTF-8, `/`, other control characters) is written raw. Parser: accepts standard JSON without floats
 * (whitespace between tokens, `\uXXXX` escapes decoded to UTF-8); anything else fails with ERR_JSON_FORMAT
 * and a message giving the byte position. A number with a leading '-' is an int, otherwise a uint.
 *
 * Ownership: every JsonValue is owned by its parent (array/object) or by the caller for the root;
 * json_free() releases a value and everything below it.
 */
#ifndef GAIAREST_COMMON_JSON_H
#define GAIAREST_COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

typedef enum JsonType {
    JSON_NULL,
    JSON_BOOL,
    JSON_INT,  /* negative numbers (and values built with json_int) */
    JSON_UINT, /* non-negative numbers */
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} JsonType;

typedef struct JsonValue JsonValue;

struct JsonValue {
    JsonType type;
    union {
        bool boolean;
        int64_t integer;
        uint64_t uinteger;
        struct {
            char *data; /* NUL-terminated, `size` bytes */
            size_t size;
        } string;
        struct {
            JsonValue **items;
            size_t count;
            size_t cap;
        } array;
        struct {
            char **keys; /* NUL-terminated */
            JsonValue **values;
            size_t count;
            size_t cap;
        } object;
    } u;
};

/* --- constructors (the result is owned by the caller until added to a container) --- */
JsonValue *json_null(void);
JsonValue *json_bool(bool value);
JsonValue *json_int(int64_t value);
JsonValue *json_uint(uint64_t value);
JsonValue *json_string(const char *text);
JsonValue *json_string_n(const char *data, size_t size);
JsonValue *json_array(void);
JsonValue *json_object(void);

/* Append `item` to an array (takes ownership); returns item. */
JsonValue *json_array_add(JsonValue *array, JsonValue *item);

/* Set `key` in an object (takes ownership of value): replaces an existing key in place, else appends. */
JsonValue *json_object_set(JsonValue *object, const char *key, JsonValue *value);

/* Remove `key` and its value from an object (freed); nothing when absent. The other keys keep their order. */
void json_object_remove(JsonValue *object, const char *key);

/* The value of `key` in an object, NULL when absent (or when `object` is not an object). */
const JsonValue *json_object_get(const JsonValue *object, const char *key);

/* Sort an object's keys by byte order (strcmp), recursively into nested objects and arrays when asked. */
void json_object_sort(JsonValue *object, bool recurse);

/* Release a value and its children (NULL is allowed). */
void json_free(JsonValue *value);

/* --- typed reads: return 0, or -1 with ERR_JSON_FORMAT naming `what` when the type does not fit --- */
int json_get_bool(const JsonValue *value, const char *what, bool *out);
int json_get_int64(const JsonValue *value, const char *what, int64_t *out);   /* int, or uint <= INT64_MAX */
int json_get_uint64(const JsonValue *value, const char *what, uint64_t *out); /* uint only */
int json_get_string(const JsonValue *value, const char *what, const char **out);

/* --- parser --- */

/* Parse exactly one value from `text` (whitespace around it allowed; trailing characters are an error). */
int json_parse(const char *text, size_t size, JsonValue **out);

/* True when `text` is exactly one valid value (nothing recorded in the error record). */
bool json_valid(const char *text, size_t size);

/* --- writer --- */

/* Append the compact encoding of `value` to `out`. */
void json_write(Buf *out, const JsonValue *value);

/* Append a quoted, escaped string. */
void json_write_string(Buf *out, const char *data, size_t size);

/* The compact encoding as a new string (free() it). */
char *json_to_string(const JsonValue *value);

#endif
