/* Unit tests for engine/repo/info_file, info_archive and info_backup on files written by pgBackRest 2.45. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "engine/repo/info_archive.h"
#include "engine/repo/info_backup.h"
#include "engine/repo/info_file.h"

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
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
