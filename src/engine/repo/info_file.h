/*
 * info_file: the container shared by archive.info, backup.info and backup.manifest (spec 2.1, 2.3, 2.4).
 *
 * Text: strict INI. `[section]` lines, `key=value` lines whose value is JSON (the split is at the first `=`
 * after which the rest is valid JSON), empty lines ignored, nothing trimmed. The first section is
 * [backrest] with backrest-format=5 and backrest-version; the last is a second [backrest] holding only
 * backrest-checksum, the SHA-1 of the compact document {"section":{"key":value,...},...} built from the
 * raw value text in file order.
 *
 * Three layers:
 *   - InfoParser: push text in chunks, get one callback per entry (raw value text), then finish() checks the
 *     format and the checksum. Used by the manifest, which must not keep the text of 100k lines around.
 *   - InfoWriter: emits sections and entries, computing the checksum on the way, and appends the final
 *     [backrest] section.
 *   - InfoFile: a generic ordered model (sections, entries with raw values) for small files and tests;
 *     rendering a parsed file gives back the same bytes.
 * Loading from storage with the `.copy` fallback and optional decryption, and saving both copies, are at
 * the end of this header.
 *
 * Errors (pgBackRest's wording, without the file name; the storage loader adds the names):
 *   ERR_FORMAT   "missing '=' in key/value at line N: <line>", "invalid JSON value at line N '<line>': ...",
 *                "expected format 5 but found X"
 *   ERR_CHECKSUM "invalid checksum, actual 'A' but expected 'B'" / "... but no checksum found"
 */
#ifndef GAIAREST_ENGINE_REPO_INFO_FILE_H
#define GAIAREST_ENGINE_REPO_INFO_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/json.h"
#include "storage/filter/cipher.h"
#include "storage/storage.h"

#define INFO_FORMAT 5
#define INFO_BACKREST_VERSION "2.45" /* written into every file gaiarest saves (see doc/design.md) */
#define INFO_SECTION_BACKREST "backrest"
#define INFO_KEY_FORMAT "backrest-format"
#define INFO_KEY_VERSION "backrest-version"
#define INFO_KEY_CHECKSUM "backrest-checksum"
#define INFO_COPY_EXT ".copy"

/* Called once per key/value line except backrest-checksum, in file order. `value` is the raw JSON text
 * (NUL-terminated, `value_size` bytes). Return 0 to go on, -1 to stop with the error record set. */
typedef int (*InfoEntryCallback)(void *context, const char *section, const char *key, const char *value,
                                 size_t value_size);

/* --- streaming parser --- */
typedef struct InfoParser InfoParser;

InfoParser *info_parser_new(InfoEntryCallback callback, void *context);

/* Feed the next bytes of the text (any chunking). */
int info_parser_push(InfoParser *parser, const uint8_t *data, size_t size);

/* End of text: parse the last line, then check backrest-format (5) and the checksum. */
int info_parser_finish(InfoParser *parser);

/* The checksum found in the file (valid after a successful finish). */
const char *info_parser_checksum(const InfoParser *parser);

void info_parser_free(InfoParser *parser);

/* One-shot: parse a whole text. */
int info_parse(const char *text, size_t size, InfoEntryCallback callback, void *context);

/* Parse a raw value into a JSON tree; a failure is ERR_FORMAT naming [section] and key. */
int info_value_parse(const char *section, const char *key, const char *value, size_t value_size, JsonValue **out);

/* --- writer --- */
typedef struct InfoWriter InfoWriter;

/* A writer that appends to `out` and starts with the [backrest] section (format 5, `version`; NULL means
 * INFO_BACKREST_VERSION). Sections must then be added in byte order of their names. */
InfoWriter *info_writer_new(Buf *out, const char *version);

/* Start a section; its header is written with its first entry (a section without entries is not written). */
void info_writer_section(InfoWriter *writer, const char *name);

/* Add an entry with a raw JSON value (written as is). */
void info_writer_raw(InfoWriter *writer, const char *key, const char *value, size_t value_size);

/* Add an entry with an encoded value. */
void info_writer_json(InfoWriter *writer, const char *key, const JsonValue *value);
void info_writer_string(InfoWriter *writer, const char *key, const char *value);
void info_writer_bool(InfoWriter *writer, const char *key, bool value);
void info_writer_uint(InfoWriter *writer, const char *key, uint64_t value);
void info_writer_int(InfoWriter *writer, const char *key, int64_t value);

/* Append the final [backrest] checksum section and free the writer. */
void info_writer_finish(InfoWriter *writer);

/* Free a writer without finishing (after an error). */
void info_writer_free(InfoWriter *writer);

/* --- generic model --- */
typedef struct InfoEntry {
    char *key;
    char *value; /* raw JSON text */
    size_t value_size;
} InfoEntry;

typedef struct InfoSection {
    char *name;
    InfoEntry *entries;
    size_t count;
    size_t cap;
} InfoSection;

typedef struct InfoFile {
    InfoSection *sections; /* in file order; the first is [backrest] with format and version */
    size_t count;
    size_t cap;
} InfoFile;

#define INFO_FILE_INIT {NULL, 0, 0}

/* Parse a whole text into `file` (which must be empty); on failure `file` is left empty. */
int info_file_parse(const char *text, size_t size, InfoFile *file);

/* The section called `name`, NULL when absent. */
const InfoSection *info_file_section(const InfoFile *file, const char *name);

/* The raw value of section/key, NULL when absent. */
const char *info_file_get(const InfoFile *file, const char *section, const char *key);

/* Set section/key to a raw value: replaces the value in place, or appends the key to the section (created
 * at its byte-order position when new). */
void info_file_set(InfoFile *file, const char *section, const char *key, const char *value);

/* Render the sections in order plus the checksum section (byte-identical for a file parsed unchanged). */
void info_file_render(const InfoFile *file, Buf *out);

/* The parsed value of section/key: *out = NULL when absent (an ERR_FORMAT error when `required`). */
int info_file_get_json(const InfoFile *file, const char *section, const char *key, bool required, JsonValue **out);

void info_file_free(InfoFile *file);

/* --- storage --- */

/* Turns the plain text of one candidate file into the caller's model. Called for `<file>` and, when that
 * fails, again for `<file>.copy`; on failure it must leave nothing half-built (the next call starts fresh). */
typedef int (*InfoLoadCallback)(void *context, const char *text, size_t size);

/* Read `path` (decrypting with `pass` when cipher_type != CIPHER_NONE), and hand the text to `load`. When
 * the file is missing, cannot be decrypted, or `load` fails, the same is tried with `path`.copy (logged at
 * detail level, as pgBackRest is silent about it). When both fail the error is
 * "unable to load info file '<full path>' or '<full path>.copy':\n<ErrName>: <msg>\n<ErrName>: <msg>" with
 * the code of both failures when equal, the other one when one file is merely missing, else ERR_FILE_OPEN
 * (as pgBackRest 2.45 does). */
int info_file_load(Storage *storage, const char *path, CipherType cipher_type, const char *pass,
                   InfoLoadCallback load, void *context);

/* Encrypt `text` once (when cipher_type != CIPHER_NONE) and write it atomically to `path` then `path`.copy
 * (info files), or to `path`.copy then `path` when `copy_first` (manifests). */
int info_file_save(Storage *storage, const char *path, CipherType cipher_type, const char *pass, const Buf *text,
                   bool copy_first);

#endif
