/* info_file: the strict INI + JSON + checksum container (see info_file.h). */
#include "engine/repo/info_file.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "storage/filter/hash.h"

/* --- checksum: SHA-1 over {"section":{"key":value,...},...} built from the raw text in file order --- */

typedef struct InfoChecksum {
    Sha1Stream *sha;
    char *section; /* section of the previous hashed entry, NULL before the first */
} InfoChecksum;

static void
info_checksum_init(InfoChecksum *checksum)
{
    checksum->sha = sha1_stream_new();
    sha1_stream_update(checksum->sha, "{", 1);
    checksum->section = NULL;
}

static void
info_checksum_feed(InfoChecksum *checksum, const void *data, size_t size)
{
    sha1_stream_update(checksum->sha, data, size);
}

static void
info_checksum_entry(InfoChecksum *checksum, const char *section, const char *key, const char *value,
                    size_t value_size)
{
    if (checksum->section == NULL || strcmp(checksum->section, section) != 0) {
        if (checksum->section != NULL)
            info_checksum_feed(checksum, "},", 2);
        info_checksum_feed(checksum, "\"", 1);
        info_checksum_feed(checksum, section, strlen(section));
        info_checksum_feed(checksum, "\":{", 3);
        free(checksum->section);
        checksum->section = mem_strdup(section);
    } else {
        info_checksum_feed(checksum, ",", 1);
    }
    Buf quoted = BUF_INIT;
    json_write_string(&quoted, key, strlen(key));
    info_checksum_feed(checksum, quoted.data, quoted.size);
    buf_free(&quoted);
    info_checksum_feed(checksum, ":", 1);
    info_checksum_feed(checksum, value, value_size);
}

/* Finish into `hex` (41 bytes) and release. */
static void
info_checksum_finish(InfoChecksum *checksum, char *hex)
{
    info_checksum_feed(checksum, "}}", 2);
    sha1_stream_finish(checksum->sha, hex);
    checksum->sha = NULL;
    free(checksum->section);
    checksum->section = NULL;
}

static void
info_checksum_discard(InfoChecksum *checksum)
{
    sha1_stream_free(checksum->sha);
    checksum->sha = NULL;
    free(checksum->section);
    checksum->section = NULL;
}

/* --- parser --- */

struct InfoParser {
    InfoEntryCallback callback;
    void *context;
    Buf line;           /* the incomplete last line */
    char *section;      /* current section, NULL before the first header */
    unsigned line_no;
    InfoChecksum checksum;
    char *checksum_found; /* backrest-checksum value (decoded), NULL when not seen */
    char *format_found;   /* raw backrest-format value, NULL when not seen */
    bool failed;
};

InfoParser *
info_parser_new(InfoEntryCallback callback, void *context)
{
    InfoParser *parser = mem_calloc(1, sizeof(InfoParser));
    parser->callback = callback;
    parser->context = context;
    buf_init(&parser->line);
    info_checksum_init(&parser->checksum);
    return parser;
}

void
info_parser_free(InfoParser *parser)
{
    if (parser == NULL)
        return;
    buf_free(&parser->line);
    free(parser->section);
    free(parser->checksum_found);
    free(parser->format_found);
    info_checksum_discard(&parser->checksum);
    free(parser);
}

const char *
info_parser_checksum(const InfoParser *parser)
{
    return parser->checksum_found;
}

/* Find where the key ends: the first '=' after which the rest is valid JSON. */
static int
info_parser_split(InfoParser *parser, const char *line, size_t size, size_t *equals)
{
    const char *first = memchr(line, '=', size);
    if (first == NULL)
        return err_set(ERR_FORMAT, "missing '=' in key/value at line %u: %.*s", parser->line_no, (int)size, line);

    for (const char *eq = first; eq != NULL; eq = memchr(eq + 1, '=', size - (size_t)(eq + 1 - line))) {
        if (json_valid(eq + 1, size - (size_t)(eq + 1 - line))) {
            *equals = (size_t)(eq - line);
            return 0;
        }
    }

    /* None fits: report the JSON problem of the first split. */
    JsonValue *unused = NULL;
    json_parse(first + 1, size - (size_t)(first + 1 - line), &unused);
    json_free(unused);
    char *detail = mem_strdup(err_message());
    err_set(ERR_FORMAT, "invalid JSON value at line %u '%.*s': %s", parser->line_no, (int)size, line, detail);
    free(detail);
    return -1;
}

static int
info_parser_backrest_entry(InfoParser *parser, const char *key, const char *value, size_t value_size)
{
    if (strcmp(key, INFO_KEY_CHECKSUM) == 0) {
        JsonValue *json = NULL;
        const char *text = NULL;
        if (json_parse(value, value_size, &json) < 0 || json_get_string(json, INFO_KEY_CHECKSUM, &text) < 0) {
            json_free(json);
            return err_set(ERR_FORMAT, "invalid %s at line %u", INFO_KEY_CHECKSUM, parser->line_no);
        }
        free(parser->checksum_found);
        parser->checksum_found = mem_strdup(text);
        json_free(json);
        return 1; /* not hashed, not passed on */
    }
    if (strcmp(key, INFO_KEY_FORMAT) == 0) {
        free(parser->format_found);
        parser->format_found = mem_strndup(value, value_size);
    }
    return 0;
}

static int
info_parser_line(InfoParser *parser, char *line, size_t size)
{
    parser->line_no++;
    if (size == 0)
        return 0;

    if (line[0] == '[' && line[size - 1] == ']' && size >= 2) {
        free(parser->section);
        parser->section = mem_strndup(line + 1, size - 2);
        return 0;
    }

    size_t equals = 0;
    TRY(info_parser_split(parser, line, size, &equals));
    if (parser->section == NULL)
        return err_set(ERR_FORMAT, "key/value found outside of section at line %u: %.*s", parser->line_no, (int)size,
                       line);

    line[equals] = '\0';
    const char *key = line;
    const char *value = line + equals + 1;
    size_t value_size = size - equals - 1;

    if (strcmp(parser->section, INFO_SECTION_BACKREST) == 0) {
        int skip = info_parser_backrest_entry(parser, key, value, value_size);
        TRY(skip);
        if (skip)
            return 0;
    }
    info_checksum_entry(&parser->checksum, parser->section, key, value, value_size);
    if (parser->callback != NULL)
        TRY(parser->callback(parser->context, parser->section, key, value, value_size));
    return 0;
}

int
info_parser_push(InfoParser *parser, const uint8_t *data, size_t size)
{
    if (parser->failed)
        return err_set(ERR_ASSERT, "info parser used after a failure");

    size_t start = 0;
    for (size_t i = 0; i < size; i++) {
        if (data[i] != '\n')
            continue;
        buf_append(&parser->line, data + start, i - start);
        buf_reserve(&parser->line, 1); /* data is never NULL after this */
        int result = info_parser_line(parser, (char *)parser->line.data, parser->line.size);
        buf_clear(&parser->line);
        start = i + 1;
        if (result < 0) {
            parser->failed = true;
            return -1;
        }
    }
    buf_append(&parser->line, data + start, size - start);
    return 0;
}

static int
info_parser_check_format(InfoParser *parser)
{
    if (parser->format_found == NULL)
        return err_set(ERR_FORMAT, "expected format %d but found none", INFO_FORMAT);
    JsonValue *json = NULL;
    uint64_t format = 0;
    bool ok = json_parse(parser->format_found, strlen(parser->format_found), &json) == 0 &&
              json_get_uint64(json, INFO_KEY_FORMAT, &format) == 0;
    json_free(json);
    if (!ok || format != INFO_FORMAT)
        return err_set(ERR_FORMAT, "expected format %d but found %s", INFO_FORMAT, parser->format_found);
    return 0;
}

int
info_parser_finish(InfoParser *parser)
{
    if (parser->failed)
        return err_set(ERR_ASSERT, "info parser used after a failure");
    parser->failed = true; /* finish runs once */

    if (parser->line.size > 0) {
        buf_append_char(&parser->line, '\0');
        TRY(info_parser_line(parser, (char *)parser->line.data, parser->line.size - 1));
    }
    TRY(info_parser_check_format(parser));

    char actual[EVP_MAX_MD_SIZE * 2 + 1];
    info_checksum_finish(&parser->checksum, actual);
    if (parser->checksum_found == NULL)
        return err_set(ERR_CHECKSUM, "invalid checksum, actual '%s' but no checksum found", actual);
    if (strcmp(actual, parser->checksum_found) != 0)
        return err_set(ERR_CHECKSUM, "invalid checksum, actual '%s' but expected '%s'", actual, parser->checksum_found);
    return 0;
}

int
info_parse(const char *text, size_t size, InfoEntryCallback callback, void *context)
{
    InfoParser *parser = info_parser_new(callback, context);
    int result = info_parser_push(parser, (const uint8_t *)text, size);
    if (result == 0)
        result = info_parser_finish(parser);
    info_parser_free(parser);
    return result;
}

int
info_value_parse(const char *section, const char *key, const char *value, size_t value_size, JsonValue **out)
{
    if (json_parse(value, value_size, out) < 0)
        return err_context("invalid value of '%s' in section [%s]", key, section);
    return 0;
}

/* --- writer --- */

struct InfoWriter {
    Buf *out;
    InfoChecksum checksum;
    char *section;        /* current section */
    bool header_written;  /* the current section's header is out */
    bool any_section;     /* some section was written (blank line before the next header) */
};

InfoWriter *
info_writer_new(Buf *out, const char *version)
{
    InfoWriter *writer = mem_calloc(1, sizeof(InfoWriter));
    writer->out = out;
    info_checksum_init(&writer->checksum);
    info_writer_section(writer, INFO_SECTION_BACKREST);
    info_writer_uint(writer, INFO_KEY_FORMAT, INFO_FORMAT);
    info_writer_string(writer, INFO_KEY_VERSION, version != NULL ? version : INFO_BACKREST_VERSION);
    return writer;
}

void
info_writer_section(InfoWriter *writer, const char *name)
{
    free(writer->section);
    writer->section = mem_strdup(name);
    writer->header_written = false;
}

void
info_writer_raw(InfoWriter *writer, const char *key, const char *value, size_t value_size)
{
    if (!writer->header_written) {
        if (writer->any_section)
            buf_append_char(writer->out, '\n');
        buf_printf(writer->out, "[%s]\n", writer->section);
        writer->header_written = true;
        writer->any_section = true;
    }
    buf_append_str(writer->out, key);
    buf_append_char(writer->out, '=');
    buf_append(writer->out, value, value_size);
    buf_append_char(writer->out, '\n');
    info_checksum_entry(&writer->checksum, writer->section, key, value, value_size);
}

void
info_writer_json(InfoWriter *writer, const char *key, const JsonValue *value)
{
    Buf text = BUF_INIT;
    json_write(&text, value);
    info_writer_raw(writer, key, (const char *)text.data, text.size);
    buf_free(&text);
}

void
info_writer_string(InfoWriter *writer, const char *key, const char *value)
{
    Buf text = BUF_INIT;
    json_write_string(&text, value, strlen(value));
    info_writer_raw(writer, key, (const char *)text.data, text.size);
    buf_free(&text);
}

void
info_writer_bool(InfoWriter *writer, const char *key, bool value)
{
    info_writer_raw(writer, key, value ? "true" : "false", value ? 4 : 5);
}

void
info_writer_uint(InfoWriter *writer, const char *key, uint64_t value)
{
    char text[24];
    int length = snprintf(text, sizeof(text), "%" PRIu64, value);
    info_writer_raw(writer, key, text, (size_t)length);
}

void
info_writer_int(InfoWriter *writer, const char *key, int64_t value)
{
    char text[24];
    int length = snprintf(text, sizeof(text), "%" PRId64, value);
    info_writer_raw(writer, key, text, (size_t)length);
}

void
info_writer_finish(InfoWriter *writer)
{
    char hex[EVP_MAX_MD_SIZE * 2 + 1];
    info_checksum_finish(&writer->checksum, hex);
    buf_printf(writer->out, "\n[%s]\n%s=\"%s\"\n", INFO_SECTION_BACKREST, INFO_KEY_CHECKSUM, hex);
    info_writer_free(writer);
}

void
info_writer_free(InfoWriter *writer)
{
    if (writer == NULL)
        return;
    info_checksum_discard(&writer->checksum);
    free(writer->section);
    free(writer);
}

/* --- generic model --- */

static InfoSection *
info_file_section_insert(InfoFile *file, size_t index, const char *name)
{
    if (file->count == file->cap) {
        file->cap = file->cap ? file->cap * 2 : 8;
        file->sections = mem_realloc(file->sections, file->cap * sizeof(InfoSection));
    }
    memmove(file->sections + index + 1, file->sections + index, (file->count - index) * sizeof(InfoSection));
    file->count++;
    InfoSection *section = &file->sections[index];
    memset(section, 0, sizeof(*section));
    section->name = mem_strdup(name);
    return section;
}

static void
info_section_append(InfoSection *section, const char *key, const char *value, size_t value_size)
{
    if (section->count == section->cap) {
        section->cap = section->cap ? section->cap * 2 : 8;
        section->entries = mem_realloc(section->entries, section->cap * sizeof(InfoEntry));
    }
    InfoEntry *entry = &section->entries[section->count++];
    entry->key = mem_strdup(key);
    entry->value = mem_strndup(value, value_size);
    entry->value_size = value_size;
}

static int
info_file_parse_entry(void *context, const char *section, const char *key, const char *value, size_t value_size)
{
    InfoFile *file = context;
    InfoSection *last = file->count > 0 ? &file->sections[file->count - 1] : NULL;
    if (last == NULL || strcmp(last->name, section) != 0)
        last = info_file_section_insert(file, file->count, section);
    info_section_append(last, key, value, value_size);
    return 0;
}

int
info_file_parse(const char *text, size_t size, InfoFile *file)
{
    if (info_parse(text, size, info_file_parse_entry, file) < 0) {
        info_file_free(file);
        return -1;
    }
    return 0;
}

const InfoSection *
info_file_section(const InfoFile *file, const char *name)
{
    for (size_t i = 0; i < file->count; i++)
        if (strcmp(file->sections[i].name, name) == 0)
            return &file->sections[i];
    return NULL;
}

const char *
info_file_get(const InfoFile *file, const char *section_name, const char *key)
{
    const InfoSection *section = info_file_section(file, section_name);
    if (section == NULL)
        return NULL;
    for (size_t i = 0; i < section->count; i++)
        if (strcmp(section->entries[i].key, key) == 0)
            return section->entries[i].value;
    return NULL;
}

void
info_file_set(InfoFile *file, const char *section_name, const char *key, const char *value)
{
    InfoSection *section = (InfoSection *)info_file_section(file, section_name);
    if (section == NULL) {
        /* New section: keep byte order, but always after the leading [backrest]. */
        size_t index = file->count;
        for (size_t i = 1; i < file->count; i++) {
            if (strcmp(file->sections[i].name, section_name) > 0) {
                index = i;
                break;
            }
        }
        if (file->count == 0 && strcmp(section_name, INFO_SECTION_BACKREST) != 0)
            index = 0;
        section = info_file_section_insert(file, index, section_name);
    }
    for (size_t i = 0; i < section->count; i++) {
        if (strcmp(section->entries[i].key, key) == 0) {
            free(section->entries[i].value);
            section->entries[i].value = mem_strdup(value);
            section->entries[i].value_size = strlen(value);
            return;
        }
    }
    info_section_append(section, key, value, strlen(value));
}

int
info_file_get_json(const InfoFile *file, const char *section, const char *key, bool required, JsonValue **out)
{
    *out = NULL;
    const char *value = info_file_get(file, section, key);
    if (value == NULL) {
        if (required)
            return err_set(ERR_FORMAT, "missing key '%s' in section [%s]", key, section);
        return 0;
    }
    return info_value_parse(section, key, value, strlen(value), out);
}

void
info_file_render(const InfoFile *file, Buf *out)
{
    InfoChecksum checksum;
    info_checksum_init(&checksum);
    bool any_section = false;
    for (size_t i = 0; i < file->count; i++) {
        const InfoSection *section = &file->sections[i];
        if (section->count == 0)
            continue;
        if (any_section)
            buf_append_char(out, '\n');
        any_section = true;
        buf_printf(out, "[%s]\n", section->name);
        for (size_t j = 0; j < section->count; j++) {
            const InfoEntry *entry = &section->entries[j];
            buf_append_str(out, entry->key);
            buf_append_char(out, '=');
            buf_append(out, entry->value, entry->value_size);
            buf_append_char(out, '\n');
            info_checksum_entry(&checksum, section->name, entry->key, entry->value, entry->value_size);
        }
    }
    char hex[EVP_MAX_MD_SIZE * 2 + 1];
    info_checksum_finish(&checksum, hex);
    buf_printf(out, "\n[%s]\n%s=\"%s\"\n", INFO_SECTION_BACKREST, INFO_KEY_CHECKSUM, hex);
}

void
info_file_free(InfoFile *file)
{
    for (size_t i = 0; i < file->count; i++) {
        InfoSection *section = &file->sections[i];
        for (size_t j = 0; j < section->count; j++) {
            free(section->entries[j].key);
            free(section->entries[j].value);
        }
        free(section->entries);
        free(section->name);
    }
    free(file->sections);
    file->sections = NULL;
    file->count = 0;
    file->cap = 0;
}

/* --- storage: load with .copy fallback, save both copies --- */

/* A decrypting or encrypting pipeline for the repo cipher, NULL when not encrypted. */
static Pipeline *
info_cipher_pipeline(CipherType cipher_type, CipherMode mode, const char *pass)
{
    if (cipher_type == CIPHER_NONE)
        return NULL;
    Pipeline *pipeline = pipeline_new();
    pipeline_add(pipeline, filter_cipher_new(mode, pass != NULL ? pass : "", pass != NULL ? strlen(pass) : 0, false));
    return pipeline;
}

static int
info_file_load_one(Storage *storage, const char *path, CipherType cipher_type, const char *pass, InfoLoadCallback load,
                   void *context)
{
    Buf text = BUF_INIT;
    bool found = false;
    Pipeline *pipeline = info_cipher_pipeline(cipher_type, CIPHER_DECRYPT, pass);
    int result = storage_get(storage, path, pipeline, false, &found, &text);
    pipeline_free(pipeline);
    if (result == 0)
        result = load(context, (const char *)text.data, text.size);
    buf_free(&text);
    return result;
}

/* What went wrong with one candidate, kept while the other is tried. */
typedef struct InfoLoadFailure {
    ErrorCode code;
    char *message;
} InfoLoadFailure;

static void
info_load_failure_take(InfoLoadFailure *failure)
{
    failure->code = err_code();
    failure->message = mem_printf("%s: %s", err_code_name(failure->code), err_message());
    err_clear();
}

/* pgBackRest's rule: the shared code when equal, the other one when one file is merely missing, else FileOpen. */
static ErrorCode
info_load_failure_code(ErrorCode main_code, ErrorCode copy_code)
{
    if (main_code == copy_code)
        return main_code;
    if (main_code == ERR_FILE_MISSING)
        return copy_code;
    if (copy_code == ERR_FILE_MISSING)
        return main_code;
    return ERR_FILE_OPEN;
}

int
info_file_load(Storage *storage, const char *path, CipherType cipher_type, const char *pass, InfoLoadCallback load,
               void *context)
{
    if (info_file_load_one(storage, path, cipher_type, pass, load, context) == 0)
        return 0;
    InfoLoadFailure main_failure;
    info_load_failure_take(&main_failure);

    char *copy_path = mem_printf("%s%s", path, INFO_COPY_EXT);
    int result = info_file_load_one(storage, copy_path, cipher_type, pass, load, context);
    if (result < 0) {
        InfoLoadFailure copy_failure;
        info_load_failure_take(&copy_failure);
        char *full = storage_path(storage, path);
        err_set(info_load_failure_code(main_failure.code, copy_failure.code),
                "unable to load info file '%s' or '%s%s':\n%s\n%s", full, full, INFO_COPY_EXT, main_failure.message,
                copy_failure.message);
        free(full);
        free(copy_failure.message);
    } else if (main_failure.code != ERR_FILE_MISSING) {
        /* pgBackRest 2.45 switches to the copy silently; a damaged info file deserves the operator's attention. */
        char *full = storage_path(storage, path);
        LOG_WARN("invalid info file '%s', loaded '%s%s' instead: %s", full, full, INFO_COPY_EXT,
                 main_failure.message);
        free(full);
    }
    free(main_failure.message);
    free(copy_path);
    return result;
}

int
info_file_save(Storage *storage, const char *path, CipherType cipher_type, const char *pass, const Buf *text,
               bool copy_first)
{
    Buf encrypted = BUF_INIT;
    const uint8_t *data = text->data;
    size_t size = text->size;

    Pipeline *pipeline = info_cipher_pipeline(cipher_type, CIPHER_ENCRYPT, pass);
    if (pipeline != NULL) {
        int result = pipeline_run_buffer(pipeline, text->data, text->size, &encrypted);
        pipeline_free(pipeline);
        if (result < 0) {
            buf_free(&encrypted);
            return err_context("unable to encrypt '%s'", path);
        }
        data = encrypted.data;
        size = encrypted.size;
    }

    char *copy_path = mem_printf("%s%s", path, INFO_COPY_EXT);
    const char *first = copy_first ? copy_path : path;
    const char *second = copy_first ? path : copy_path;
    int result = storage_put(storage, first, NULL, data, size);
    if (result == 0)
        result = storage_put(storage, second, NULL, data, size);
    free(copy_path);
    buf_free(&encrypted);
    return result;
}
