/* Unit tests for engine/repo/manifest on manifests written by pgBackRest 2.45. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "engine/repo/info_file.h"
#include "engine/repo/manifest.h"

static const char *const manifests[] = {
    "plain/20261124-103049F.backup.manifest",
    "plain/20261124-103101F.backup.manifest",
    "plain/20261124-103301F.backup.manifest",
    "encrypted/20261124-102959F.backup.manifest.decrypted",
    "encrypted/20261124-102959F_20261124-103006D.backup.manifest.decrypted",
    "encrypted/20261124-102959F_20261124-103010I.backup.manifest.decrypted",
    "encrypted/20261124-103306F.backup.manifest.decrypted",
};

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

static void
load(const char *name, Manifest *manifest, Buf *text)
{
    read_example(name, text);
    ck_assert_msg(manifest_parse((const char *)text->data, text->size, manifest) == 0, "%s: %s", name, err_message());
}

START_TEST(test_roundtrip)
{
    Buf text = BUF_INIT;
    Manifest manifest;
    load(manifests[_i], &manifest, &text);
    Buf rendered = BUF_INIT;
    manifest_render(&manifest, &rendered);
    if (rendered.size != text.size || memcmp(rendered.data, text.data, text.size) != 0) {
        size_t at = 0;
        while (at < text.size && at < rendered.size && text.data[at] == rendered.data[at])
            at++;
        ck_abort_msg("%s differs at byte %zu: ...%.80s", manifests[_i], at, (const char *)rendered.data + at);
    }
    /* Sorting an already sorted manifest changes nothing. */
    manifest_sort(&manifest);
    buf_clear(&rendered);
    manifest_render(&manifest, &rendered);
    ck_assert(rendered.size == text.size && memcmp(rendered.data, text.data, text.size) == 0);
    manifest_free(&manifest);
    buf_free(&rendered);
    buf_free(&text);
}
END_TEST

START_TEST(test_fields_plain)
{
    Buf text = BUF_INIT;
    Manifest manifest;
    load("plain/20261124-103301F.backup.manifest", &manifest, &text);
    ck_assert_str_eq(manifest.backup.label, "20261124-103301F");
    ck_assert_int_eq(manifest.backup.type, BACKUP_TYPE_FULL);
    ck_assert_str_eq(manifest.options.compress_type, "none");
    ck_assert(!manifest.options.compress);
    ck_assert_ptr_null(manifest.cipher_pass);
    ck_assert_str_eq(manifest.db_info.version, "15");
    ck_assert_uint_eq(manifest.db_info.control_version, 1300);
    ck_assert_uint_eq(manifest.target_count, 1);
    ck_assert_str_eq(manifest.targets[0].path, "/var/lib/postgresql/15/demo");
    ck_assert_uint_eq(manifest.db_count, 3);
    ck_assert_str_eq(manifest.dbs[1].name, "template0");
    ck_assert_uint_eq(manifest.dbs[1].id, 4);

    const ManifestFile *file = manifest_file_find(&manifest, "pg_data/base/5/16389");
    ck_assert_ptr_nonnull(file);
    ck_assert(file->checksum_page_checked && !file->checksum_page);
    ck_assert_uint_eq(file->size, 196608);
    ck_assert_str_eq(file->checksum, "f3e6b914b2ca0a5f5ce79dbd80efd4bf15bca61b");
    uint64_t *pages = NULL;
    size_t count = 0;
    ck_assert_int_eq(manifest_file_page_errors(file, &pages, &count), 0);
    ck_assert_uint_eq(count, 4);
    ck_assert(pages[0] == 1 && pages[1] == 3 && pages[2] == 4 && pages[3] == 5);
    free(pages);
    char *error_text = json_to_string(file->checksum_page_error);
    ck_assert_str_eq(error_text, "[1,[3,5]]");
    free(error_text);

    file = manifest_file_find(&manifest, "pg_data/base/1/13394");
    ck_assert_ptr_nonnull(file);
    ck_assert(!file->has_checksum);
    ck_assert_uint_eq(file->size, 0);
    ck_assert_uint_eq(file->repo_size, 0);
    ck_assert_int_eq(file->mode, MANIFEST_MODE_DEFAULT);
    ck_assert_int_eq(file->user.kind, MANIFEST_OWNER_DEFAULT);

    ck_assert_int_eq(manifest.file_default.mode, 0600);
    ck_assert_str_eq(manifest.file_default.user.name, "postgres");
    ck_assert_int_eq(manifest.path_default.mode, 0700);
    ck_assert(!manifest.link_default.present);
    ck_assert_ptr_null(manifest_file_find(&manifest, "pg_data/nope"));
    ck_assert_uint_gt(manifest.path_count, 10);
    manifest_free(&manifest);
    buf_free(&text);
}
END_TEST

START_TEST(test_fields_bundle_block)
{
    Buf text = BUF_INIT;
    Manifest manifest;
    load("plain/20261124-103101F.backup.manifest", &manifest, &text);
    ck_assert(manifest.backup.block_incr && manifest.backup.bundle && manifest.backup.bundle_raw);
    const ManifestFile *file = manifest_file_find(&manifest, "pg_data/PG_VERSION");
    ck_assert_uint_eq(file->bundle_id, 1);
    ck_assert_uint_eq(file->bundle_offset, 2769);
    ck_assert_uint_eq(file->repo_size, 12);
    ck_assert_uint_eq(file->size, 3);
    ck_assert(file->has_repo_checksum);
    ck_assert_str_eq(file->repo_checksum, "c763f3304da14f884b9fd5d320f41e8a2a8d0eb4");
    file = manifest_file_find(&manifest, "pg_data/base/1/1247");
    ck_assert_uint_eq(file->block_incr_size, 1);
    ck_assert_uint_eq(file->block_incr_map_size, 101);
    ck_assert_uint_eq(file->bundle_offset, 2522341);
    manifest_free(&manifest);
    buf_free(&text);

    buf_init(&text);
    load("encrypted/20261124-102959F_20261124-103010I.backup.manifest.decrypted", &manifest, &text);
    ck_assert_int_eq(manifest.backup.type, BACKUP_TYPE_INCR);
    ck_assert_str_eq(manifest.backup.prior, "20261124-102959F_20261124-103006D");
    ck_assert_str_eq(manifest.cipher_pass, "O74Cguwn9kwLBCaxz6DPvkMmDLel9RMVm1QzmGD1jHvmYXt8mj3qmTLSG4kebyle");
    file = manifest_file_find(&manifest, "pg_data/base/1/112");
    ck_assert_str_eq(file->reference, "20261124-102959F");
    ck_assert_uint_eq(file->repo_size, 112);
    /* References are interned: one string for all files of the same prior. */
    ck_assert_ptr_eq(file->reference, manifest_file_find(&manifest, "pg_data/base/1/113")->reference);
    manifest_free(&manifest);
    buf_free(&text);
}
END_TEST

START_TEST(test_build_and_newer_keys)
{
    /* A manifest built in memory, unsorted, with every optional file key, links and owners. */
    Manifest manifest;
    memset(&manifest, 0, sizeof(manifest));
    manifest.backup.label = strdup("20261124-110000F");
    manifest.backup.reference = strdup("20261124-110000F");
    manifest.backup.type = BACKUP_TYPE_FULL;
    manifest.db_info.version = strdup("15");
    manifest.db_info.control_version = 1; /* corrected from the version table on save */
    manifest.options.compress_type = strdup("gz");
    manifest.targets = calloc(1, sizeof(ManifestTarget));
    manifest.target_count = 1;
    manifest.targets[0].name = strdup("pg_tblspc/16385");
    manifest.targets[0].path = strdup("/srv/ts1");
    manifest.targets[0].tablespace_id = strdup("16385");
    manifest.targets[0].tablespace_name = strdup("ts1");
    manifest.targets[0].type = strdup("link");
    ManifestFile *b = manifest_file_add(&manifest, "pg_data/b");
    b->size = 5;
    b->repo_size = 5;
    b->timestamp = -1;
    b->user.kind = MANIFEST_OWNER_UNKNOWN;
    b->group.kind = MANIFEST_OWNER_NAME;
    b->group.name = manifest_intern(&manifest, "admin");
    b->mode = 0640;
    ManifestFile *a = manifest_file_add(&manifest, "pg_data/a=1");
    a->size = 1;
    a->repo_size = 1;
    a->block_incr_checksum_size = 7;
    manifest.file_default = (ManifestDefaults){true, {MANIFEST_OWNER_NAME, "postgres"}, {MANIFEST_OWNER_NAME, "postgres"}, 0600};
    manifest.path_default = (ManifestDefaults){true, {MANIFEST_OWNER_NAME, "postgres"}, {MANIFEST_OWNER_NAME, "postgres"}, 0700};
    manifest.link_default = (ManifestDefaults){true, {MANIFEST_OWNER_UNKNOWN, NULL}, {MANIFEST_OWNER_NAME, "postgres"}, MANIFEST_MODE_DEFAULT};
    manifest_sort(&manifest);
    ck_assert_str_eq(manifest.files[0].name, "pg_data/a=1");

    Buf out = BUF_INIT;
    manifest_render(&manifest, &out);
    const char *text = (const char *)out.data;
    ck_assert_ptr_nonnull(strstr(text, "db-control-version=1300\n"));
    ck_assert_ptr_nonnull(strstr(text, "pg_tblspc/16385={\"path\":\"/srv/ts1\",\"tablespace-id\":\"16385\","
                                       "\"tablespace-name\":\"ts1\",\"type\":\"link\"}\n"));
    ck_assert_ptr_nonnull(strstr(text, "pg_data/a=1={\"bic\":7,\"size\":1,\"timestamp\":0}\n"));
    ck_assert_ptr_nonnull(strstr(text, "pg_data/b={\"group\":\"admin\",\"mode\":\"0640\",\"size\":5,"
                                       "\"timestamp\":-1,\"user\":false}\n"));
    ck_assert_ptr_nonnull(strstr(text, "[target:link:default]\ngroup=\"postgres\"\nuser=false\n"));
    ck_assert_ptr_nonnull(strstr(text, "[backrest]\nbackrest-format=5\nbackrest-version=\"2.45\"\n"));

    /* Parse it back, with a 2.47+ szo key and an unknown key added to a line (checksum recomputed by re-render). */
    Manifest again;
    ck_assert_msg(manifest_parse(text, out.size, &again) == 0, "%s", err_message());
    ck_assert_int_eq(again.files[1].user.kind, MANIFEST_OWNER_UNKNOWN);
    ck_assert_str_eq(again.files[1].group.name, "admin");
    ck_assert_int_eq(again.files[1].mode, 0640);
    ck_assert_uint_eq(again.files[0].block_incr_checksum_size, 7);
    manifest_free(&again);
    manifest_free(&manifest);
    buf_free(&out);

    InfoFile file = INFO_FILE_INIT;
    Buf text2 = BUF_INIT;
    read_example("plain/20261124-103301F.backup.manifest", &text2);
    ck_assert_int_eq(info_file_parse((const char *)text2.data, text2.size, &file), 0);
    info_file_set(&file, "target:file", "pg_data/PG_VERSION",
                  "{\"checksum\":\"587b596f04f7db9c2cad3d6b87dd2b3a05de4f35\",\"size\":3,\"szo\":4,\"timestamp\":1,\"zzz\":1}");
    Buf newer = BUF_INIT;
    info_file_render(&file, &newer);
    info_file_free(&file);
    ck_assert_int_eq(manifest_parse((const char *)newer.data, newer.size, &again), 0);
    const ManifestFile *version = manifest_file_find(&again, "pg_data/PG_VERSION");
    ck_assert_uint_eq(version->size_original, 4);
    ck_assert_uint_eq(version->size, 3);
    manifest_free(&again);
    buf_free(&newer);
    buf_free(&text2);
}
END_TEST

START_TEST(test_errors)
{
    Buf text = BUF_INIT;
    read_example("plain/20261124-103049F.backup.manifest", &text);
    /* Corrupt one file's size: checksum error. */
    char *at = strstr((char *)text.data, "\"size\":8192");
    ck_assert_ptr_nonnull(at);
    at[8] = '3';
    Manifest manifest;
    ck_assert_int_eq(manifest_parse((const char *)text.data, text.size, &manifest), -1);
    ck_assert_int_eq(err_code(), ERR_CHECKSUM);
    ck_assert_ptr_null(manifest.files);
    buf_free(&text);

    /* A file without its required size: a format error naming the file. */
    InfoFile file = INFO_FILE_INIT;
    buf_init(&text);
    read_example("plain/20261124-103049F.backup.manifest", &text);
    ck_assert_int_eq(info_file_parse((const char *)text.data, text.size, &file), 0);
    info_file_set(&file, "target:file", "pg_data/PG_VERSION", "{\"timestamp\":1}");
    Buf bad = BUF_INIT;
    info_file_render(&file, &bad);
    info_file_free(&file);
    ck_assert_int_eq(manifest_parse((const char *)bad.data, bad.size, &manifest), -1);
    ck_assert_int_eq(err_code(), ERR_JSON_FORMAT);
    ck_assert_ptr_nonnull(strstr(err_message(), "pg_data/PG_VERSION"));
    buf_free(&bad);
    buf_free(&text);
}
END_TEST

/* A [target:file:default] section holding none of group, mode and user (found by test/fuzz/fuzz_info): it would
 * render as no section at all, so it is taken as missing and the manifest is refused, not accepted and later
 * rewritten into one that no longer loads. */
START_TEST(test_default_section_without_known_keys)
{
    Buf text = BUF_INIT;
    read_example("plain/20261124-103049F.backup.manifest", &text);
    InfoFile file = INFO_FILE_INIT;
    ck_assert_int_eq(info_file_parse((const char *)text.data, text.size, &file), 0);
    InfoSection *section = (InfoSection *)info_file_section(&file, "target:file:default");
    ck_assert_ptr_nonnull(section);
    ck_assert_uint_eq(section->count, 3); /* group, mode, user */
    for (size_t index = 0; index < section->count; index++) {
        free(section->entries[index].key);
        free(section->entries[index].value);
    }
    section->count = 0;
    info_file_set(&file, "target:file:default", "owner", "\"postgres\"");
    Buf changed = BUF_INIT;
    info_file_render(&file, &changed);
    info_file_free(&file);

    Manifest manifest;
    ck_assert_int_eq(manifest_parse((const char *)changed.data, changed.size, &manifest), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
    ck_assert_str_eq(err_message(), "sections [target:file:default] and [target:path:default] are required");

    /* with one known key back, the manifest loads, renders, and the rendering loads again */
    buf_clear(&changed);
    ck_assert_int_eq(info_file_parse((const char *)text.data, text.size, &file), 0);
    info_file_set(&file, "target:file:default", "owner", "\"postgres\"");
    info_file_render(&file, &changed);
    info_file_free(&file);
    ck_assert_msg(manifest_parse((const char *)changed.data, changed.size, &manifest) == 0, "%s", err_message());
    Buf rendered = BUF_INIT;
    manifest_render(&manifest, &rendered);
    manifest_free(&manifest);
    ck_assert_msg(manifest_parse((const char *)rendered.data, rendered.size, &manifest) == 0, "%s", err_message());
    manifest_free(&manifest);
    buf_free(&rendered);
    buf_free(&changed);
    buf_free(&text);
}
END_TEST

/* Parse the example manifest with one entry set (an InfoFile edit, re-rendered with a good checksum); the result. */
static int
parse_with_entry(const char *section, const char *key, const char *value)
{
    Buf text = BUF_INIT, changed = BUF_INIT;
    read_example("plain/20261124-103049F.backup.manifest", &text);
    InfoFile file = INFO_FILE_INIT;
    ck_assert_int_eq(info_file_parse((const char *)text.data, text.size, &file), 0);
    info_file_set(&file, section, key, value);
    info_file_render(&file, &changed);
    info_file_free(&file);
    Manifest manifest;
    int result = manifest_parse((const char *)changed.data, changed.size, &manifest);
    if (result == 0)
        manifest_free(&manifest);
    buf_free(&changed);
    buf_free(&text);
    return result;
}

/* Names become paths under pg1-path and the backup's directory, labels directory names: a manifest whose names
 * leave the targets ("..", ".", empty components, another root) or whose labels are not labels is refused, naming
 * the entry, before restore writes or reads anything. */
START_TEST(test_names_and_labels_refused)
{
    const char *bad_names[] = {"pg_data/../../etc/cron.d/x", "pg_data/base/..", "pg_data/./x", "pg_data//x",
                               "pg_data/x/", "pg_tblspc/16384/../../x", "etc/passwd", "/pg_data/x", "", "..",
                               "pg_data_other/x"};
    for (size_t index = 0; index < sizeof(bad_names) / sizeof(bad_names[0]); index++) {
        ck_assert_msg(parse_with_entry("target:file", bad_names[index], "{\"size\":0,\"timestamp\":1}") == -1,
                      "accepted '%s'", bad_names[index]);
        ck_assert_int_eq(err_code(), ERR_FORMAT);
        char expected[256];
        snprintf(expected, sizeof(expected), "'%s' in section [target:file]: not a path inside pg_data or pg_tblspc",
                 bad_names[index]);
        ck_assert_str_eq(err_message(), expected);
    }
    ck_assert_int_eq(parse_with_entry("target:path", "pg_tblspc/16384/..", "{}"), -1);
    ck_assert_str_eq(err_message(), "'pg_tblspc/16384/..' in section [target:path]: not a path inside pg_data or "
                                    "pg_tblspc");
    ck_assert_int_eq(parse_with_entry("target:link", "pg_data/../x", "{\"destination\":\"/tmp\"}"), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);

    ck_assert_int_eq(parse_with_entry("backup:target", "pg_tblspc/../../x", "{\"path\":\"/tmp\",\"type\":\"link\"}"), -1);
    ck_assert_str_eq(err_message(), "'pg_tblspc/../../x' in section [backup:target]: not a path inside pg_data or "
                                    "pg_tblspc");
    ck_assert_int_eq(parse_with_entry("backup:target", "pg_tblspc/16385", "{\"path\":\"/tmp\",\"tablespace-id\":"
                                                                          "\"../1\",\"type\":\"link\"}"), -1);
    ck_assert_ptr_nonnull(strstr(err_message(), "tablespace-id '../1' is not an oid"));

    /* names that only look odd are names */
    ck_assert_msg(parse_with_entry("target:file", "pg_data/..hidden", "{\"size\":0,\"timestamp\":1}") == 0, "%s",
                  err_message());
    ck_assert_msg(parse_with_entry("target:file", "pg_data/a..b/.c", "{\"size\":0,\"timestamp\":1}") == 0, "%s",
                  err_message());

    /* labels */
    ck_assert_int_eq(parse_with_entry("target:file", "pg_data/x", "{\"reference\":\"../../x\",\"size\":0,"
                                                                  "\"timestamp\":1}"), -1);
    ck_assert_ptr_nonnull(strstr(err_message(), "reference '../../x' is not a backup label"));
    ck_assert_int_eq(parse_with_entry("backup", "backup-prior", "\"20261124-103049F/..\""), -1);
    ck_assert_ptr_nonnull(strstr(err_message(), "backup-prior '20261124-103049F/..' is not a backup label"));
    ck_assert_int_eq(parse_with_entry("backup", "backup-reference", "\"20261124-103049F,..\""), -1);
    ck_assert_ptr_nonnull(strstr(err_message(), "backup-reference '..' is not a backup label"));
    ck_assert_int_eq(parse_with_entry("backup", "backup-archive-start", "\"../0000000100000000000000\""), -1);
    ck_assert_ptr_nonnull(strstr(err_message(), "backup-archive-start '../0000000100000000000000' is not a WAL segment"));
    ck_assert_int_eq(parse_with_entry("backup", "backup-label", "\"latest\""), -1);
    ck_assert_ptr_nonnull(strstr(err_message(), "backup-label 'latest' is not a backup label"));
    ck_assert_msg(parse_with_entry("backup", "backup-reference", "\"20261124-103049F,20261124-103049F_20261124-103101D\"")
                  == 0, "%s", err_message());
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("manifest");
    TCase *tc = tcase_create("manifest");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_roundtrip, 0, sizeof(manifests) / sizeof(manifests[0]));
    tcase_add_test(tc, test_fields_plain);
    tcase_add_test(tc, test_fields_bundle_block);
    tcase_add_test(tc, test_build_and_newer_keys);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_default_section_without_known_keys);
    tcase_add_test(tc, test_names_and_labels_refused);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
