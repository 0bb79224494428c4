/* Unit tests for engine/repo/info_file, info_archive and info_backup on files written by pgBackRest 2.45. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "engine/pg/version.h"
#include "engine/repo/info_archive.h"
#include "engine/repo/info_backup.h"
#include "engine/repo/info_file.h"
#include "engine/repo/manifest.h"
#include "storage/posix.h"

static const char *const example_files[] = {
    "plain/archive.info",
    "plain/backup.info",
    "plain/20261124-103049F.backup.manifest",
    "plain/20261124-103101F.backup.manifest",
    "plain/20261124-103301F.backup.manifest",
    "encrypted/archive.info.decrypted",
    "encrypted/backup.info.decrypted",
    "encrypted/20261124-102959F.backup.manifest.decrypted",
    "encrypted/20261124-102959F_20261124-103006D.backup.manifest.decrypted",
    "encrypted/20261124-102959F_20261124-103010I.backup.manifest.decrypted",
    "encrypted/20261124-103306F.backup.manifest.decrypted",
};
#define EXAMPLE_COUNT (sizeof(example_files) / sizeof(example_files[0]))

static void
read_example(const char *name, Buf *out)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", GAIA_EXAMPLES, name);
    FILE *file = fopen(path, "rb");
    ck_assert_msg(file != NULL, "cannot open %s", path);
    uint8_t chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), file)) > 0)
        buf_append(out, chunk, got);
    fclose(file);
}

/* The last line holds the checksum: backrest-checksum="<40 hex>". */
static const char *
stored_checksum(const Buf *text)
{
    const char *found = strstr((const char *)text->data, "backrest-checksum=\"");
    ck_assert_ptr_nonnull(found);
    return found + strlen("backrest-checksum=\"");
}

START_TEST(test_examples_roundtrip)
{
    const char *name = example_files[_i];
    Buf text = BUF_INIT;
    read_example(name, &text);

    InfoFile file = INFO_FILE_INIT;
    ck_assert_msg(info_file_parse((const char *)text.data, text.size, &file) == 0, "%s: %s", name, err_message());
    ck_assert_str_eq(file.sections[0].name, "backrest");

    Buf rendered = BUF_INIT;
    info_file_render(&file, &rendered);
    ck_assert_uint_eq(rendered.size, text.size);
    ck_assert_msg(memcmp(rendered.data, text.data, text.size) == 0, "%s differs after render", name);
    info_file_free(&file);

    /* The streaming parser gives the same result fed one byte at a time, and keeps the checksum. */
    InfoParser *parser = info_parser_new(NULL, NULL);
    for (size_t i = 0; i < text.size; i++)
        ck_assert_int_eq(info_parser_push(parser, text.data + i, 1), 0);
    ck_assert_int_eq(info_parser_finish(parser), 0);
    ck_assert_int_eq(strncmp(info_parser_checksum(parser), stored_checksum(&text), 40), 0);
    info_parser_free(parser);

    buf_free(&rendered);
    buf_free(&text);
}
END_TEST

/* Change one byte of a value (a digit of db-system-id): the checksum no longer matches. */
START_TEST(test_examples_corrupt)
{
    const char *name = example_files[_i];
    Buf text = BUF_INIT;
    read_example(name, &text);
    char *at = strstr((char *)text.data, "db-system-id=7711683191021474611");
    ck_assert_ptr_nonnull(at);
    at[strlen("db-system-id=")] = '8';

    InfoFile file = INFO_FILE_INIT;
    ck_assert_int_eq(info_file_parse((const char *)text.data, text.size, &file), -1);
    ck_assert_int_eq(err_code(), ERR_CHECKSUM);
    ck_assert_ptr_nonnull(strstr(err_message(), "invalid checksum, actual '"));
    ck_assert_ptr_nonnull(strstr(err_message(), "' but expected '"));
    ck_assert_uint_eq(file.count, 0);
    buf_free(&text);
}
END_TEST

static int
expect_parse_error(const char *text, ErrorCode code, const char *message)
{
    InfoFile file = INFO_FILE_INIT;
    int result = info_file_parse(text, strlen(text), &file);
    ck_assert_int_eq(result, -1);
    ck_assert_int_eq(err_code(), code);
    ck_assert_msg(strstr(err_message(), message) != NULL, "'%s' lacks '%s'", err_message(), message);
    return 0;
}

START_TEST(test_container_rules)
{
    /* A file written by the writer parses, and keys containing '=' survive. */
    Buf out = BUF_INIT;
    InfoWriter *writer = info_writer_new(&out, NULL);
    info_writer_section(writer, "empty"); /* never written */
    info_writer_section(writer, "target:file");
    info_writer_raw(writer, "pg_data/a=b", "{\"size\":1}", 10);
    info_writer_string(writer, "pg_data/q\"uote", "x\ny");
    info_writer_finish(writer);
    ck_assert_ptr_null(strstr((const char *)out.data, "[empty]"));
    ck_assert_ptr_nonnull(strstr((const char *)out.data, "\n\n[target:file]\npg_data/a=b={\"size\":1}\n"));

    InfoFile file = INFO_FILE_INIT;
    ck_assert_int_eq(info_file_parse((const char *)out.data, out.size, &file), 0);
    ck_assert_str_eq(info_file_get(&file, "target:file", "pg_data/a=b"), "{\"size\":1}");
    ck_assert_str_eq(info_file_get(&file, "target:file", "pg_data/q\"uote"), "\"x\\ny\"");
    ck_assert_str_eq(info_file_get(&file, "backrest", "backrest-version"), "\"2.45\"");
    ck_assert_ptr_null(info_file_get(&file, "backrest", "backrest-checksum"));

    /* Edits re-render with a fresh valid checksum; a new section lands at its byte-order place. */
    info_file_set(&file, "db", "db-id", "2");
    info_file_set(&file, "target:file", "pg_data/a=b", "{\"size\":2}");
    ck_assert_str_eq(file.sections[1].name, "db");
    Buf rendered = BUF_INIT;
    info_file_render(&file, &rendered);
    info_file_free(&file);
    ck_assert_int_eq(info_file_parse((const char *)rendered.data, rendered.size, &file), 0);
    ck_assert_str_eq(info_file_get(&file, "target:file", "pg_data/a=b"), "{\"size\":2}");
    info_file_free(&file);
    buf_free(&rendered);
    buf_free(&out);

    expect_parse_error("[backrest]\nbackrest-format=5\ndb-id\n", ERR_FORMAT, "missing '=' in key/value at line 3: db-id");
    expect_parse_error("[backrest]\nbackrest-format=5\n[db\n", ERR_FORMAT, "missing '=' in key/value at line 3: [db");
    expect_parse_error("[backrest]\nbackrest-format=5\n\n[db]\ndb-id=x\n", ERR_FORMAT,
                       "invalid JSON value at line 5 'db-id=x'");
    expect_parse_error("[backrest]\nbackrest-format=5\ndb-id=1.5\n", ERR_FORMAT, "invalid JSON value at line 3");
    expect_parse_error("x=1\n", ERR_FORMAT, "outside of section");
    expect_parse_error("[backrest]\nbackrest-format=6\nbackrest-version=\"2.45\"\n", ERR_FORMAT,
                       "expected format 5 but found 6");
    expect_parse_error("[backrest]\nbackrest-format=5\nbackrest-version=\"2.45\"\n", ERR_CHECKSUM,
                       "but no checksum found");
}
END_TEST

START_TEST(test_archive_info)
{
    const char *names[] = {"plain/archive.info", "encrypted/archive.info.decrypted"};
    for (int i = 0; i < 2; i++) {
        Buf text = BUF_INIT;
        read_example(names[i], &text);
        InfoArchive info;
        ck_assert_msg(info_archive_parse((const char *)text.data, text.size, &info) == 0, "%s", err_message());
        ck_assert_uint_eq(info.db_id, 1);
        ck_assert(info.db_system_id == UINT64_C(7711683191021474611));
        ck_assert_str_eq(info.db_version, "15");
        ck_assert_uint_eq(info.history_count, 1);
        ck_assert(info.history[0].system_id == UINT64_C(7711683191021474611));
        char *archive_id = info_archive_id(info_archive_current(&info));
        ck_assert_str_eq(archive_id, "15-1");
        free(archive_id);
        if (i == 1)
            ck_assert_str_eq(info.cipher_pass, "4HHMzkUNw1QVo6W3sbgbk4Jp95rpTHBgiVURiytlC6kcmTla6fg/qA1OdHgfApr/");
        else
            ck_assert_ptr_null(info.cipher_pass);

        Buf rendered = BUF_INIT;
        info_archive_render(&info, &rendered);
        ck_assert_uint_eq(rendered.size, text.size);
        ck_assert(memcmp(rendered.data, text.data, text.size) == 0);

        /* stanza-upgrade: a second history entry, id 2, current. */
        info_archive_history_add(&info, 42, "16");
        buf_clear(&rendered);
        info_archive_render(&info, &rendered);
        ck_assert_ptr_nonnull(strstr((const char *)rendered.data, "\n2={\"db-id\":42,\"db-version\":\"16\"}\n"));
        ck_assert_ptr_nonnull(strstr((const char *)rendered.data, "[db]\ndb-id=2\ndb-system-id=42\ndb-version=\"16\"\n"));
        InfoArchive again;
        ck_assert_int_eq(info_archive_parse((const char *)rendered.data, rendered.size, &again), 0);
        ck_assert_uint_eq(again.history_count, 2);
        info_archive_free(&again);

        info_archive_free(&info);
        buf_free(&rendered);
        buf_free(&text);
    }

    /* A required key missing: ERR_FORMAT naming it. */
    Buf out = BUF_INIT;
    InfoWriter *writer = info_writer_new(&out, NULL);
    info_writer_section(writer, "db");
    info_writer_uint(writer, "db-id", 1);
    info_writer_finish(writer);
    InfoArchive info;
    ck_assert_int_eq(info_archive_parse((const char *)out.data, out.size, &info), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err_message(), "db-system-id"));
    buf_free(&out);
}
END_TEST

START_TEST(test_backup_info)
{
    const char *names[] = {"plain/backup.info", "encrypted/backup.info.decrypted"};
    for (int i = 0; i < 2; i++) {
        Buf text = BUF_INIT;
        read_example(names[i], &text);
        InfoBackup info;
        ck_assert_msg(info_backup_parse((const char *)text.data, text.size, &info) == 0, "%s", err_message());
        Buf rendered = BUF_INIT;
        info_backup_render(&info, &rendered);
        ck_assert_uint_eq(rendered.size, text.size);
        ck_assert(memcmp(rendered.data, text.data, text.size) == 0);
        ck_assert_uint_eq(info.db_control_version, 1300);
        ck_assert_uint_eq(info.db_catalog_version, 202209061);
        ck_assert_uint_eq(info.history_count, 1);
        ck_assert_uint_eq(info.history[0].control_version, 1300);
        ck_assert_int_eq(info.cipher_pass != NULL, i == 1);
        buf_free(&rendered);

        if (i == 0) {
            ck_assert_uint_eq(info.backup_count, 9);
            const InfoBackupEntry *incr = info_backup_find(&info, "20261124-102933F_20261124-102955I");
            ck_assert_ptr_nonnull(incr);
            ck_assert_int_eq(incr->type, BACKUP_TYPE_INCR);
            ck_assert_str_eq(incr->prior, "20261124-102933F_20261124-102951D");
            ck_assert_uint_eq(incr->reference_count, 2);
            ck_assert_str_eq(incr->reference[1], "20261124-102933F_20261124-102951D");
            ck_assert(incr->repo_size_delta == 639242);
            ck_assert_str_eq(incr->lsn_start, "0/9000028");
            ck_assert(incr->timestamp_start == 1795516195);
            const InfoBackupEntry *block = info_backup_find(&info, "20261124-103101F");
            ck_assert(block->has_repo_size_map && block->repo_size_map == 24813);
            ck_assert(block->option_compress);
            ck_assert(info_backup_find(&info, "20261124-103301F")->error);
            ck_assert_ptr_null(info_backup_find(&info, "20261124-102933F")->reference);

            /* Expire one, add one with an annotation: order and key order stay right. */
            ck_assert(info_backup_remove(&info, "20261124-103049F"));
            ck_assert(!info_backup_remove(&info, "20261124-103049F"));
            InfoBackupEntry entry = {0};
            entry.label = strdup("20261124-103000F");
            entry.backrest_format = 5;
            entry.backrest_version = strdup("2.45");
            JsonValue *annotation = json_object();
            json_object_set(annotation, "z", json_string("last"));
            json_object_set(annotation, "a", json_string("first"));
            entry.annotation = annotation;
            entry.type = BACKUP_TYPE_FULL;
            entry.db_id = 1;
            info_backup_add(&info, &entry);
            ck_assert_str_eq(info.backups[3].label, "20261124-103000F");
            buf_init(&rendered);
            info_backup_render(&info, &rendered);
            ck_assert_ptr_nonnull(strstr((const char *)rendered.data,
                                         "20261124-103000F={\"backrest-format\":5,\"backrest-version\":\"2.45\","
                                         "\"backup-annotation\":{\"a\":\"first\",\"z\":\"last\"},"
                                         "\"backup-archive-start\":null,\"backup-archive-stop\":null,"
                                         "\"backup-info-repo-size\":0,"));
            ck_assert_ptr_null(strstr((const char *)rendered.data, "20261124-103049F"));
            InfoBackup again;
            ck_assert_int_eq(info_backup_parse((const char *)rendered.data, rendered.size, &again), 0);
            ck_assert_uint_eq(again.backup_count, 9);
            ck_assert_ptr_nonnull(info_backup_find(&again, "20261124-103000F")->annotation);
            info_backup_free(&again);
            buf_free(&rendered);
        }
        info_backup_free(&info);
        buf_free(&text);
    }
}
END_TEST

/* --- storage: .copy fallback, encryption, both-bad errors --- */

static char *
mem_test_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
mem_test_printf(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *out = NULL;
    ck_assert_int_ge(vasprintf(&out, fmt, args), 0);
    va_end(args);
    return out;
}

static char temp_root[] = "/tmp/gaiarest-test-info-XXXXXX";

static void
write_file(const char *dir, const char *name, const Buf *data)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *file = fopen(path, "wb");
    ck_assert_ptr_nonnull(file);
    ck_assert_uint_eq(fwrite(data->data, 1, data->size, file), data->size);
    fclose(file);
}

static void
read_file(const char *dir, const char *name, Buf *out)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *file = fopen(path, "rb");
    ck_assert_msg(file != NULL, "missing %s", path);
    uint8_t chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), file)) > 0)
        buf_append(out, chunk, got);
    fclose(file);
}

static char *
test_dir(const char *name)
{
    char *dir = mem_test_printf("%s/%s", temp_root, name);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    return dir;
}

START_TEST(test_storage_plain_fallback)
{
    char *dir = test_dir("plain");
    Storage *storage = storage_posix_new(dir, true);
    Buf good = BUF_INIT;
    read_example("plain/archive.info", &good);

    /* Save writes both files, byte-identical to what 2.45 wrote. */
    InfoArchive info;
    ck_assert_int_eq(info_archive_parse((const char *)good.data, good.size, &info), 0);
    ck_assert_int_eq(info_archive_save(storage, "archive.info", CIPHER_NONE, NULL, &info), 0);
    info_archive_free(&info);
    Buf main_bytes = BUF_INIT, copy_bytes = BUF_INIT;
    read_file(dir, "archive.info", &main_bytes);
    read_file(dir, "archive.info.copy", &copy_bytes);
    ck_assert(main_bytes.size == good.size && memcmp(main_bytes.data, good.data, good.size) == 0);
    ck_assert(copy_bytes.size == good.size && memcmp(copy_bytes.data, good.data, good.size) == 0);

    /* Main corrupt: the copy is used. */
    Buf bad = BUF_INIT;
    buf_append(&bad, good.data, good.size);
    char *at = strstr((char *)bad.data, "db-id=1");
    at[6] = '2';
    write_file(dir, "archive.info", &bad);
    char log_path[4096];
    snprintf(log_path, sizeof(log_path), "%s/warn.log", dir);
    LogSettings log_settings = {LOG_OFF, LOG_OFF, LOG_WARN, false, log_path};
    ck_assert_int_eq(log_init(&log_settings), 0);
    ck_assert_msg(info_archive_load(storage, "archive.info", CIPHER_NONE, NULL, &info) == 0, "%s", err_message());
    ck_assert_uint_eq(info.db_id, 1);
    info_archive_free(&info);
    log_close();
    /* ... with a warning that names both files and the reason. */
    Buf warning = BUF_INIT;
    read_file(dir, "warn.log", &warning);
    char *expected_warning = mem_test_printf("WARN: invalid info file '%s/archive.info', loaded '%s/archive.info.copy' "
                                             "instead: ChecksumError: invalid checksum", dir, dir);
    ck_assert_msg(strstr(buf_str(&warning), expected_warning) != NULL, "log: %s", buf_str(&warning));
    free(expected_warning);
    buf_free(&warning);

    /* Main missing: the copy is used. */
    char path[4096];
    snprintf(path, sizeof(path), "%s/archive.info", dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(info_archive_load(storage, "archive.info", CIPHER_NONE, NULL, &info), 0);
    info_archive_free(&info);

    /* Main missing, copy corrupt: the copy's code (checksum), both files named, the hint set. */
    write_file(dir, "archive.info.copy", &bad);
    ck_assert_int_eq(info_archive_load(storage, "archive.info", CIPHER_NONE, NULL, &info), -1);
    ck_assert_int_eq(err_code(), ERR_CHECKSUM);
    char *expected = mem_test_printf("unable to load info file '%s/archive.info' or '%s/archive.info.copy':\n"
                                     "FileMissingError: unable to open missing file '%s/archive.info' for read\n"
                                     "ChecksumError: invalid checksum, actual '", dir, dir, dir);
    ck_assert_msg(strncmp(err_message(), expected, strlen(expected)) == 0, "got: %s", err_message());
    free(expected);
    ck_assert_ptr_nonnull(strstr(err_message(), "' but expected '547a6b2a4b4daa22e2637f571a8313d3f81fc6d0'"));
    ck_assert_ptr_nonnull(err_hint_text());
    ck_assert_ptr_nonnull(strstr(err_hint_text(), "has a stanza-create been performed?"));
    ck_assert_uint_eq(info.history_count, 0);

    /* Both corrupt: checksum. */
    write_file(dir, "archive.info", &bad);
    ck_assert_int_eq(info_archive_load(storage, "archive.info", CIPHER_NONE, NULL, &info), -1);
    ck_assert_int_eq(err_code(), ERR_CHECKSUM);

    /* Checksum + format: FileOpenError, as 2.45. */
    Buf format = BUF_INIT;
    buf_append(&format, good.data, good.size);
    strstr((char *)format.data, "backrest-format=5")[16] = '6';
    write_file(dir, "archive.info.copy", &format);
    ck_assert_int_eq(info_archive_load(storage, "archive.info", CIPHER_NONE, NULL, &info), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_OPEN);
    ck_assert_ptr_nonnull(strstr(err_message(), "\nFormatError: expected format 5 but found 6"));

    /* Both missing. */
    ck_assert_int_eq(info_archive_load(storage, "nothing/archive.info", CIPHER_NONE, NULL, &info), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);

    buf_free(&format);
    buf_free(&bad);
    buf_free(&main_bytes);
    buf_free(&copy_bytes);
    buf_free(&good);
    storage_free(storage);
    free(dir);
}
END_TEST

START_TEST(test_storage_encrypted)
{
    char *dir = test_dir("enc");
    Storage *storage = storage_posix_new(dir, true);
    const char *pass = "SpecTestPassphrase123";
    Buf enc = BUF_INIT, plain = BUF_INIT;
    read_example("encrypted/backup.info.enc", &enc);
    read_example("encrypted/backup.info.decrypted", &plain);
    write_file(dir, "backup.info", &enc);
    write_file(dir, "backup.info.copy", &enc);

    InfoBackup info;
    ck_assert_msg(info_backup_load(storage, "backup.info", CIPHER_AES_256_CBC, pass, &info) == 0, "%s", err_message());
    ck_assert_str_eq(info.cipher_pass, "HdaGcbsfumuC9P/NVUvUHQmmbxOE6deito9HMxqMbexcEQu6vvgqLI/F055InBb1");

    /* Wrong passphrase: both fail to decrypt. */
    InfoBackup wrong;
    ck_assert_int_eq(info_backup_load(storage, "backup.info", CIPHER_AES_256_CBC, "nope", &wrong), -1);
    ck_assert_int_eq(err_code(), ERR_CRYPTO);

    /* Save encrypted: identical ciphertext in both files, decrypting to the 2.45 plaintext. */
    ck_assert_int_eq(info_backup_save(storage, "saved/backup.info", CIPHER_AES_256_CBC, pass, &info), 0);
    Buf main_bytes = BUF_INIT, copy_bytes = BUF_INIT;
    read_file(dir, "saved/backup.info", &main_bytes);
    read_file(dir, "saved/backup.info.copy", &copy_bytes);
    ck_assert(main_bytes.size == copy_bytes.size && memcmp(main_bytes.data, copy_bytes.data, main_bytes.size) == 0);
    ck_assert_int_eq(memcmp(main_bytes.data, "Salted__", 8), 0);
    InfoBackup again;
    ck_assert_int_eq(info_backup_load(storage, "saved/backup.info", CIPHER_AES_256_CBC, pass, &again), 0);
    Buf rendered = BUF_INIT;
    info_backup_render(&again, &rendered);
    ck_assert(rendered.size == plain.size && memcmp(rendered.data, plain.data, plain.size) == 0);
    info_backup_free(&again);

    /* An encrypted manifest, with the backup subpass; saved copy first, both present. */
    Buf manifest_enc = BUF_INIT, manifest_plain = BUF_INIT;
    read_example("encrypted/20261124-102959F.backup.manifest.enc", &manifest_enc);
    read_example("encrypted/20261124-102959F.backup.manifest.decrypted", &manifest_plain);
    write_file(dir, "backup.manifest", &manifest_enc);
    Manifest manifest;
    ck_assert_msg(manifest_load(storage, "backup.manifest", CIPHER_AES_256_CBC, info.cipher_pass, &manifest) == 0, "%s",
                  err_message());
    ck_assert_str_eq(manifest.backup.label, "20261124-102959F");
    ck_assert_int_eq(manifest_save(storage, "m/backup.manifest", CIPHER_AES_256_CBC, info.cipher_pass, &manifest), 0);
    manifest_free(&manifest);
    ck_assert_int_eq(manifest_load(storage, "m/backup.manifest", CIPHER_AES_256_CBC, info.cipher_pass, &manifest), 0);
    buf_clear(&rendered);
    manifest_render(&manifest, &rendered);
    ck_assert(rendered.size == manifest_plain.size && memcmp(rendered.data, manifest_plain.data, rendered.size) == 0);
    manifest_free(&manifest);
    buf_clear(&copy_bytes);
    read_file(dir, "m/backup.manifest.copy", &copy_bytes);

    info_backup_free(&info);
    buf_free(&manifest_enc);
    buf_free(&manifest_plain);
    buf_free(&rendered);
    buf_free(&main_bytes);
    buf_free(&copy_bytes);
    buf_free(&enc);
    buf_free(&plain);
    storage_free(storage);
    free(dir);
}
END_TEST

/* `text` with the first `old` (which must be there) replaced by `new`; the caller frees it. */
static char *
replace_first(const char *text, const char *old, const char *new)
{
    const char *at = strstr(text, old);
    ck_assert_msg(at != NULL, "'%s' not found in '%s'", old, text);
    Buf edited = BUF_INIT;
    buf_append(&edited, text, (size_t)(at - text));
    buf_append_str(&edited, new);
    buf_append_str(&edited, at + strlen(old));
    return buf_detach(&edited);
}

/* A db-version becomes part of an archive id, a directory name that archive-push writes under: one that is not a
 * version ("../../tmp/x") is refused in archive.info and backup.info, current or history. */
START_TEST(test_db_version_refused)
{
    ck_assert(pg_version_name_valid("15"));
    ck_assert(pg_version_name_valid("9.6"));
    ck_assert(pg_version_name_valid("17"));
    const char *bad[] = {"", "../../tmp/x", "15/..", "9.", ".6", "9.6.1", "15-1", "1 5", "123456", "x"};
    for (size_t index = 0; index < sizeof(bad) / sizeof(bad[0]); index++)
        ck_assert_msg(!pg_version_name_valid(bad[index]), "'%s' taken for a version", bad[index]);

    const char *files[] = {"plain/archive.info", "plain/backup.info"};
    const char *edits[][3] = {
        /* section, key, value */
        {"db", "db-version", "\"../../tmp/x\""},
        {"db:history", "1", NULL},
    };
    for (size_t file_index = 0; file_index < 2; file_index++)
        for (size_t edit = 0; edit < 2; edit++) {
            Buf text = BUF_INIT, changed = BUF_INIT;
            read_example(files[file_index], &text);
            InfoFile file = INFO_FILE_INIT;
            ck_assert_int_eq(info_file_parse((const char *)text.data, text.size, &file), 0);
            if (edits[edit][2] != NULL) {
                info_file_set(&file, edits[edit][0], edits[edit][1], edits[edit][2]);
            } else {
                /* the history entry with its "15" turned into a path */
                char *edited = replace_first(info_file_get(&file, "db:history", "1"), "\"db-version\":\"15\"",
                                             "\"db-version\":\"15/../../x\"");
                info_file_set(&file, "db:history", "1", edited);
                free(edited);
            }
            info_file_render(&file, &changed);
            info_file_free(&file);
            int result;
            if (file_index == 0) {
                InfoArchive info;
                result = info_archive_parse((const char *)changed.data, changed.size, &info);
            } else {
                InfoBackup info;
                result = info_backup_parse((const char *)changed.data, changed.size, &info);
            }
            ck_assert_msg(result == -1, "%s accepted with edit %zu", files[file_index], edit);
            ck_assert_int_eq(err_code(), ERR_FORMAT);
            ck_assert_msg(strstr(err_message(), "is not a PostgreSQL version") != NULL, "%s", err_message());
            buf_free(&changed);
            buf_free(&text);
        }
}
END_TEST

/* backup.info labels become directory names (expire removes them, restore reads them): a label, prior or reference
 * that is not a backup label is refused. */
START_TEST(test_backup_info_labels_refused)
{
    Buf text = BUF_INIT;
    read_example("plain/backup.info", &text);
    const char *cases[][3] = {
        /* key to add, text to replace in the copied full backup's value, replacement */
        {"../../escape", NULL, NULL},
        {"20261124-102933F_20261124-102999D", "\"backup-type\":\"full\"",
         "\"backup-prior\":\"../x\",\"backup-type\":\"diff\""},
        {"20261124-102933F_20261124-102998I", "\"backup-type\":\"full\"",
         "\"backup-reference\":[\"20261124-102933F\",\"/tmp\"],\"backup-type\":\"incr\""},
        {"20261124-102999F", "\"backup-archive-stop\":\"000000010000000000000004\"",
         "\"backup-archive-stop\":\"00000001000000000000000\""},
    };
    const char *bad[] = {"../../escape", "../x", "/tmp", "00000001000000000000000"};
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        InfoFile file = INFO_FILE_INIT;
        ck_assert_int_eq(info_file_parse((const char *)text.data, text.size, &file), 0);
        const char *full = info_file_get(&file, "backup:current", "20261124-102933F");
        ck_assert_ptr_nonnull(full);
        char *value = cases[index][1] != NULL ? replace_first(full, cases[index][1], cases[index][2]) : strdup(full);
        info_file_set(&file, "backup:current", cases[index][0], value);
        Buf changed = BUF_INIT;
        info_file_render(&file, &changed);
        info_file_free(&file);
        InfoBackup info;
        ck_assert_int_eq(info_backup_parse((const char *)changed.data, changed.size, &info), -1);
        ck_assert_int_eq(err_code(), ERR_FORMAT);
        char expected[128];
        snprintf(expected, sizeof(expected), "'%s' is not a %s", bad[index],
                 index == 3 ? "WAL segment name" : "backup label");
        ck_assert_msg(strstr(err_message(), expected) != NULL, "%s", err_message());
        buf_free(&changed);
        free(value);
    }
    buf_free(&text);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("info");
    TCase *tc = tcase_create("info");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_examples_roundtrip, 0, EXAMPLE_COUNT);
    tcase_add_loop_test(tc, test_examples_corrupt, 0, EXAMPLE_COUNT);
    tcase_add_test(tc, test_container_rules);
    tcase_add_test(tc, test_archive_info);
    tcase_add_test(tc, test_backup_info);
    tcase_add_test(tc, test_backup_info_labels_refused);
    tcase_add_test(tc, test_db_version_refused);
    tcase_add_test(tc, test_storage_plain_fallback);
    tcase_add_test(tc, test_storage_encrypted);
    suite_add_tcase(suite, tc);
    if (mkdtemp(temp_root) == NULL)
        return EXIT_FAILURE;
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    char command[256];
    snprintf(command, sizeof(command), "rm -rf %s", temp_root);
    if (system(command) != 0)
        failed++;
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
