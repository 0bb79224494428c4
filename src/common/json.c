/* json: pgBackRest's JSON dialect (see json.h). */
#include "common/json.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"

#define JSON_DEPTH_MAX 256

/* --- constructors --- */

static JsonValue *
json_new(JsonType type)
{
    JsonValue *value = mem_calloc(1, sizeof(JsonValue));
    value->type = type;
    return value;
}

JsonValue *
json_null(void)
{
    return json_new(JSON_NULL);
}

JsonValue *
json_bool(bool flag)
{
    JsonValue *value = json_new(JSON_BOOL);
    value->u.boolean = flag;
    return value;
}

JsonValue *
json_int(int64_t number)
{
    JsonValue *value = json_new(JSON_INT);
    value->u.integer = number;
    return value;
}

JsonValue *
json_uint(uint64_t number)
{
    JsonValue *value = json_new(JSON_UINT);
    value->u.uinteger = number;
    return value;
}

JsonValue *
json_string_n(const char *data, size_t size)
{
    JsonValue *value = json_new(JSON_STRING);
    value->u.string.data = mem_strndup(data, size);
    value->u.string.size = size;
    return value;
}

JsonValue *
json_string(const char *text)
{
    return json_string_n(text, strlen(text));
}

JsonValue *
json_array(void)
{
    return json_new(JSON_ARRAY);
}

JsonValue *
json_object(void)
{
    return json_new(JSON_OBJECT);
}

JsonValue *
json_array_add(JsonValue *array, JsonValue *item)
{
    if (array->u.array.count == array->u.array.cap) {
        array->u.array.cap = array->u.array.cap ? array->u.array.cap * 2 : 4;
        array->u.array.items = mem_realloc(array->u.array.items, array->u.array.cap * sizeof(JsonValue *));
    }
    array->u.array.items[array->u.array.count++] = item;
    return item;
}

static JsonValue *
json_object_append(JsonValue *object, char *key, JsonValue *value)
{
    if (object->u.object.count == object->u.object.cap) {
        object->u.object.cap = object->u.object.cap ? object->u.object.cap * 2 : 4;
        object->u.object.keys = mem_realloc(object->u.object.keys, object->u.object.cap * sizeof(char *));
        object->u.object.values = mem_realloc(object->u.object.values, object->u.object.cap * sizeof(JsonValue *));
    }
    object->u.object.keys[object->u.object.count] = key;
    object->u.object.values[object->u.object.count] = value;
    object->u.object.count++;
    return value;
}

JsonValue *
json_object_set(JsonValue *object, const char *key, JsonValue *value)
{
    for (size_t i = 0; i < object->u.object.count; i++) {
        if (strcmp(object->u.object.keys[i], key) == 0) {
            json_free(object->u.object.values[i]);
            object->u.object.values[i] = value;
            return value;
        }
    }
    return json_object_append(object, mem_strdup(key), value);
}

void
json_object_remove(JsonValue *object, const char *key)
{
    for (size_t i = 0; i < object->u.object.count; i++) {
        if (strcmp(object->u.object.keys[i], key) != 0)
            continue;
        free(object->u.object.keys[i]);
        json_free(object->u.object.values[i]);
        size_t after = object->u.object.count - i - 1;
        memmove(&object->u.object.keys[i], &object->u.object.keys[i + 1], after * sizeof(char *));
        memmove(&object->u.object.values[i], &object->u.object.values[i + 1], after * sizeof(JsonValue *));
        object->u.object.count--;
        return;
    }
}

const JsonValue *
json_object_get(const JsonValue *object, const char *key)
{
    if (object == NULL || object->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < object->u.object.count; i++)
        if (strcmp(object->u.object.keys[i], key) == 0)
            return object->u.object.values[i];
    return NULL;
}

void
json_object_sort(JsonValue *object, bool recurse)
{
    if (object == NULL)
        return;
    if (object->type == JSON_ARRAY) {
        if (recurse)
            for (size_t i = 0; i < object->u.array.count; i++)
                json_object_sort(object->u.array.items[i], true);
        return;
    }
    if (object->type != JSON_OBJECT)
        return;

    /* Insertion sort: objects are small and often already sorted. */
    char **keys = object->u.object.keys;
    JsonValue **values = object->u.object.values;
    for (size_t i = 1; i < object->u.object.count; i++) {
        char *key = keys[i];
        JsonValue *value = values[i];
        size_t j = i;
        while (j > 0 && strcmp(keys[j - 1], key) > 0) {
            keys[j] = keys[j - 1];
            values[j] = values[j - 1];
            j--;
        }
        keys[j] = key;
        values[j] = value;
    }
    if (recurse)
        for (size_t i = 0; i < object->u.object.count; i++)
            json_object_sort(values[i], true);
}

void
json_free(JsonValue *value)
{
    if (value == NULL)
        return;
    switch (value->type) {
    case JSON_STRING:
        free(value->u.string.data);
        break;
    case JSON_ARRAY:
        for (size_t i = 0; i < value->u.array.count; i++)
            json_free(value->u.array.items[i]);
        free(value->u.array.items);
        break;
    case JSON_OBJECT:
        for (size_t i = 0; i < value->u.object.count; i++) {
            free(value->u.object.keys[i]);
            json_free(value->u.object.values[i]);
        }
        free(value->u.object.keys);
        free(value->u.object.values);
        break;
    default:
        break;
    }
    free(value);
}

/* --- typed reads --- */

static const char *
json_type_name(const JsonValue *value)
{
    if (value == NULL)
        return "missing";
    switch (value->type) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return "bool";
    case JSON_INT:
    case JSON_UINT: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "unknown";
}

int
json_get_bool(const JsonValue *value, const char *what, bool *out)
{
    if (value == NULL || value->type != JSON_BOOL)
        return err_set(ERR_JSON_FORMAT, "'%s' must be a bool but is %s", what, json_type_name(value));
    *out = value->u.boolean;
    return 0;
}

int
json_get_int64(const JsonValue *value, const char *what, int64_t *out)
{
    if (value != NULL && value->type == JSON_INT) {
        *out = value->u.integer;
        return 0;
    }
    if (value != NULL && value->type == JSON_UINT && value->u.uinteger <= (uint64_t)INT64_MAX) {
        *out = (int64_t)value->u.uinteger;
        return 0;
    }
    return err_set(ERR_JSON_FORMAT, "'%s' must be a signed 64-bit integer but is %s", what, json_type_name(value));
}

int
json_get_uint64(const JsonValue *value, const char *what, uint64_t *out)
{
    if (value == NULL || value->type != JSON_UINT)
        return err_set(ERR_JSON_FORMAT, "'%s' must be an unsigned integer but is %s", what, json_type_name(value));
    *out = value->u.uinteger;
    return 0;
}

int
json_get_string(const JsonValue *value, const char *what, const char **out)
{
    if (value == NULL || value->type != JSON_STRING)
        return err_set(ERR_JSON_FORMAT, "'%s' must be a string but is %s", what, json_type_name(value));
    *out = value->u.string.data;
    return 0;
}

/* --- parser --- */

typedef struct JsonParser {
    const char *text;
    size_t size;
    size_t pos;
    bool build;  /* false: validate only, no values are allocated */
    bool quiet;  /* true: do not touch the error record */
} JsonParser;

static int json_parse_value(JsonParser *parser, unsigned depth, JsonValue **out);

static int
json_fail(JsonParser *parser, const char *what)
{
    if (parser->quiet)
        return -1;
    if (parser->pos >= parser->size)
        return err_set(ERR_JSON_FORMAT, "invalid JSON: %s at position %zu (end of input)", what, parser->pos);
    return err_set(ERR_JSON_FORMAT, "invalid JSON: %s at position %zu ('%c')", what, parser->pos,
                   parser->text[parser->pos]);
}

static void
json_skip_space(JsonParser *parser)
{
    while (parser->pos < parser->size) {
        char c = parser->text[parser->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        parser->pos++;
    }
}

static bool
json_peek_is(JsonParser *parser, char c)
{
    return parser->pos < parser->size && parser->text[parser->pos] == c;
}

static int
json_parse_literal(JsonParser *parser, const char *literal, JsonValue *built, JsonValue **out)
{
    size_t length = strlen(literal);
    if (parser->size - parser->pos < length || memcmp(parser->text + parser->pos, literal, length) != 0) {
        json_free(built);
        return json_fail(parser, "unknown literal");
    }
    parser->pos += length;
    *out = built;
    return 0;
}

static int
json_hex4(JsonParser *parser, unsigned *code)
{
    if (parser->size - parser->pos < 4)
        return json_fail(parser, "truncated \\u escape");
    unsigned value = 0;
    for (int i = 0; i < 4; i++) {
        char c = parser->text[parser->pos];
        value <<= 4;
        if (c >= '0' && c <= '9')
            value |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            value |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            value |= (unsigned)(c - 'A' + 10);
        else
            return json_fail(parser, "invalid hex digit in \\u escape");
        parser->pos++;
    }
    *code = value;
    return 0;
}

static void
json_append_utf8(Buf *out, unsigned code)
{
    if (code < 0x80) {
        buf_append_char(out, (char)code);
    } else if (code < 0x800) {
        buf_append_char(out, (char)(0xC0 | (code >> 6)));
        buf_append_char(out, (char)(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
        buf_append_char(out, (char)(0xE0 | (code >> 12)));
        buf_append_char(out, (char)(0x80 | ((code >> 6) & 0x3F)));
        buf_append_char(out, (char)(0x80 | (code & 0x3F)));
    } else {
        buf_append_char(out, (char)(0xF0 | (code >> 18)));
        buf_append_char(out, (char)(0x80 | ((code >> 12) & 0x3F)));
        buf_append_char(out, (char)(0x80 | ((code >> 6) & 0x3F)));
        buf_append_char(out, (char)(0x80 | (code & 0x3F)));
    }
}

static int
json_parse_unicode_escape(JsonParser *parser, Buf *out)
{
    unsigned code;
    TRY(json_hex4(parser, &code));
    if (code >= 0xD800 && code <= 0xDBFF) {
        unsigned low;
        if (parser->size - parser->pos < 2 || parser->text[parser->pos] != '\\' || parser->text[parser->pos + 1] != 'u')
            return json_fail(parser, "unpaired surrogate in \\u escape");
        parser->pos += 2;
        TRY(json_hex4(parser, &low));
        if (low < 0xDC00 || low > 0xDFFF)
            return json_fail(parser, "invalid low surrogate in \\u escape");
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    } else if (code >= 0xDC00 && code <= 0xDFFF) {
        return json_fail(parser, "unpaired surrogate in \\u escape");
    }
    json_append_utf8(out, code);
    return 0;
}

static int
json_parse_escape(JsonParser *parser, Buf *out)
{
    if (parser->pos >= parser->size)
        return json_fail(parser, "unterminated string");
    char c = parser->text[parser->pos++];
    switch (c) {
    case '"': buf_append_char(out, '"'); return 0;
    case '\\': buf_append_char(out, '\\'); return 0;
    case '/': buf_append_char(out, '/'); return 0;
    case 'n': buf_append_char(out, '\n'); return 0;
    case 'r': buf_append_char(out, '\r'); return 0;
    case 't': buf_append_char(out, '\t'); return 0;
    case 'b': buf_append_char(out, '\b'); return 0;
    case 'f': buf_append_char(out, '\f'); return 0;
    case 'u': return json_parse_unicode_escape(parser, out);
    default:
        parser->pos--;
        return json_fail(parser, "invalid escape");
    }
}

/* Parse a string at the opening quote into `out` (always decoded, also when validating). */
static int
json_parse_string_raw(JsonParser *parser, Buf *out)
{
    if (!json_peek_is(parser, '"'))
        return json_fail(parser, "expected '\"'");
    parser->pos++;
    for (;;) {
        size_t start = parser->pos;
        while (parser->pos < parser->size && parser->text[parser->pos] != '"' && parser->text[parser->pos] != '\\')
            parser->pos++;
        buf_append(out, parser->text + start, parser->pos - start);
        if (parser->pos >= parser->size)
            return json_fail(parser, "unterminated string");
        if (parser->text[parser->pos++] == '"')
            return 0;
        TRY(json_parse_escape(parser, out));
    }
}

static int
json_parse_string(JsonParser *parser, JsonValue **out)
{
    Buf text = BUF_INIT;
    if (json_parse_string_raw(parser, &text) < 0) {
        buf_free(&text);
        return -1;
    }
    if (parser->build) {
        JsonValue *value = json_new(JSON_STRING);
        value->u.string.size = text.size;
        value->u.string.data = buf_detach(&text);
        *out = value;
    }
    buf_free(&text);
    return 0;
}

static int
json_parse_number(JsonParser *parser, JsonValue **out)
{
    bool negative = false;
    if (json_peek_is(parser, '-')) {
        negative = true;
        parser->pos++;
    }
    if (parser->pos >= parser->size || parser->text[parser->pos] < '0' || parser->text[parser->pos] > '9')
        return json_fail(parser, "expected digit");

    uint64_t magnitude = 0;
    while (parser->pos < parser->size && parser->text[parser->pos] >= '0' && parser->text[parser->pos] <= '9') {
        unsigned digit = (unsigned)(parser->text[parser->pos] - '0');
        if (magnitude > (UINT64_MAX - digit) / 10)
            return json_fail(parser, "number out of range");
        magnitude = magnitude * 10 + digit;
        parser->pos++;
    }
    if (parser->pos < parser->size &&
        (parser->text[parser->pos] == '.' || parser->text[parser->pos] == 'e' || parser->text[parser->pos] == 'E'))
        return json_fail(parser, "floating point numbers are not supported");

    if (negative && magnitude > (uint64_t)INT64_MAX + 1)
        return json_fail(parser, "number out of range");
    if (parser->build) {
        if (negative)
            *out = json_int(magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude);
        else
            *out = json_uint(magnitude);
    }
    return 0;
}

static int
json_parse_array(JsonParser *parser, unsigned depth, JsonValue **out)
{
    parser->pos++; /* '[' */
    JsonValue *array = parser->build ? json_array() : NULL;
    json_skip_space(parser);
    if (json_peek_is(parser, ']')) {
        parser->pos++;
        *out = array;
        return 0;
    }
    for (;;) {
        JsonValue *item = NULL;
        if (json_parse_value(parser, depth + 1, &item) < 0) {
            json_free(array);
            return -1;
        }
        if (array != NULL)
            json_array_add(array, item);
        json_skip_space(parser);
        if (json_peek_is(parser, ',')) {
            parser->pos++;
            continue;
        }
        if (json_peek_is(parser, ']')) {
            parser->pos++;
            *out = array;
            return 0;
        }
        json_free(array);
        return json_fail(parser, "expected ',' or ']'");
    }
}

static int
json_parse_member(JsonParser *parser, unsigned depth, JsonValue *object)
{
    Buf key = BUF_INIT;
    JsonValue *value = NULL;

    json_skip_space(parser);
    if (json_parse_string_raw(parser, &key) < 0)
        goto fail;
    json_skip_space(parser);
    if (!json_peek_is(parser, ':')) {
        json_fail(parser, "expected ':'");
        goto fail;
    }
    parser->pos++;
    if (json_parse_value(parser, depth + 1, &value) < 0)
        goto fail;
    if (object != NULL)
        json_object_append(object, buf_detach(&key), value);
    buf_free(&key);
    return 0;

fail:
    buf_free(&key);
    return -1;
}

static int
json_parse_object(JsonParser *parser, unsigned depth, JsonValue **out)
{
    parser->pos++; /* '{' */
    JsonValue *object = parser->build ? json_object() : NULL;
    json_skip_space(parser);
    if (json_peek_is(parser, '}')) {
        parser->pos++;
        *out = object;
        return 0;
    }
    for (;;) {
        if (json_parse_member(parser, depth, object) < 0) {
            json_free(object);
            return -1;
        }
        json_skip_space(parser);
        if (json_peek_is(parser, ',')) {
            parser->pos++;
            continue;
        }
        if (json_peek_is(parser, '}')) {
            parser->pos++;
            *out = object;
            return 0;
        }
        json_free(object);
        return json_fail(parser, "expected ',' or '}'");
    }
}

static int
json_parse_value(JsonParser *parser, unsigned depth, JsonValue **out)
{
    *out = NULL;
    if (depth > JSON_DEPTH_MAX)
        return json_fail(parser, "nesting too deep");
    json_skip_space(parser);
    if (parser->pos >= parser->size)
        return json_fail(parser, "expected a value");

    char c = parser->text[parser->pos];
    switch (c) {
    case '{': return json_parse_object(parser, depth, out);
    case '[': return json_parse_array(parser, depth, out);
    case '"': return json_parse_string(parser, out);
    case 't': return json_parse_literal(parser, "true", parser->build ? json_bool(true) : NULL, out);
    case 'f': return json_parse_literal(parser, "false", parser->build ? json_bool(false) : NULL, out);
    case 'n': return json_parse_literal(parser, "null", parser->build ? json_null() : NULL, out);
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return json_parse_number(parser, out);
        return json_fail(parser, "expected a value");
    }
}

static int
json_parse_document(JsonParser *parser, JsonValue **out)
{
    JsonValue *value = NULL;
    TRY(json_parse_value(parser, 0, &value));
    json_skip_space(parser);
    if (parser->pos != parser->size) {
        json_free(value);
        return json_fail(parser, "unexpected characters after the value");
    }
    *out = value;
    return 0;
}

int
json_parse(const char *text, size_t size, JsonValue **out)
{
    JsonParser parser = {.text = text, .size = size, .pos = 0, .build = true, .quiet = false};
    *out = NULL;
    return json_parse_document(&parser, out);
}

bool
json_valid(const char *text, size_t size)
{
    JsonParser parser = {.text = text, .size = size, .pos = 0, .build = false, .quiet = true};
    JsonValue *unused = NULL;
    return json_parse_document(&parser, &unused) == 0;
}

/* --- writer --- */

void
json_write_string(Buf *out, const char *data, size_t size)
{
    buf_reserve(out, size + 2);
    buf_append_char(out, '"');
    size_t start = 0;
    for (size_t i = 0; i < size; i++) {
        const char *escape;
        switch (data[i]) {
        case '"': escape = "\\\""; break;
        case '\\': escape = "\\\\"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        case '\t': escape = "\\t"; break;
        case '\b': escape = "\\b"; break;
        case '\f': escape = "\\f"; break;
        default: continue;
        }
        buf_append(out, data + start, i - start);
        buf_append_str(out, escape);
        start = i + 1;
    }
    buf_append(out, data + start, size - start);
    buf_append_char(out, '"');
}

void
json_write(Buf *out, const JsonValue *value)
{
    switch (value->type) {
    case JSON_NULL:
        buf_append_str(out, "null");
        break;
    case JSON_BOOL:
        buf_append_str(out, value->u.boolean ? "true" : "false");
        break;
    case JSON_INT:
        buf_printf(out, "%" PRId64, value->u.integer);
        break;
    case JSON_UINT:
        buf_printf(out, "%" PRIu64, value->u.uinteger);
        break;
    case JSON_STRING:
        json_write_string(out, value->u.string.data, value->u.string.size);
        break;
    case JSON_ARRAY:
        buf_append_char(out, '[');
        for (size_t i = 0; i < value->u.array.count; i++) {
            if (i > 0)
                buf_append_char(out, ',');
            json_write(out, value->u.array.items[i]);
        }
        buf_append_char(out, ']');
        break;
    case JSON_OBJECT:
        buf_append_char(out, '{');
        for (size_t i = 0; i < value->u.object.count; i++) {
            if (i > 0)
                buf_append_char(out, ',');
            json_write_string(out, value->u.object.keys[i], strlen(value->u.object.keys[i]));
            buf_append_char(out, ':');
            json_write(out, value->u.object.values[i]);
        }
        buf_append_char(out, '}');
        break;
    }
}

char *
json_to_string(const JsonValue *value)
{
    Buf out = BUF_INIT;
    json_write(&out, value);
    char *text = buf_detach(&out);
    buf_free(&out);
    return text;
}
