/* Unit tests for engine/repo/manifest_build: the PGDATA walk with 2.45's exclusions, links and tablespaces, the
 * page-checksum candidates, and the diff/incr reference rules. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/repo/manifest_build.h"
#include "storage/posix.h"

static char root[256];

static void
make_file(const char *relative, size_t size, mode_t mode)
{
    char *path = mem_printf("%s/%s", root, relative);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_int_ge(fd, 0);
    for (size_t i = 0; i < size; i++)
        ck_assert_int_eq(write(fd, "x", 1), 1);
    close(fd);
    chmod(path, mode);
    struct utimbuf times = {1700000000, 1700000000};
    utime(path, &times);
    free(path);
}

static void
make_dir(const char *relative, mode_t mode)
{
    char *path = mem_printf("%s/%s", root, relative);
    ck_assert_int_eq(mkdir(path, mode), 0);
    chmod(path, mode);
    free(path);
}

static void
make_link(const char *target, const char *relative)
{
    char *path = mem_printf("%s/%s", root, relative);
    char *dest = mem_printf("%s/%s", root, target);
    ck_assert_int_eq(symlink(dest, path), 0);
    free(dest);
    free(path);
}

/* A small data directory: root "pg", a tablespace "ts" (oid 16400) and a linked directory "ext". */
static void
build_tree(void)
{
    strcpy(root, "/tmp/gaia-mb-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    make_dir("pg", 0700);
    make_file("pg/PG_VERSION", 3, 0600);
    make_file("pg/postgresql.conf", 10, 0640); /* mode differs from the default 0600 */
    make_file("pg/postmaster.pid", 5, 0600);
    make_file("pg/postmaster.opts", 5, 0600);
    make_file("pg/backup_label", 5, 0600);
    make_file("pg/backup_label.old", 5, 0600);
    make_dir("pg/global", 0700);
    make_file("pg/global/pg_control", 8192, 0600);
    make_file("pg/global/1262", 8192, 0600);
    make_file("pg/global/pg_filenode.map", 512, 0600);
    make_file("pg/global/pg_internal.init", 100, 0600);
    make_dir("pg/base", 0700);
    make_dir("pg/base/5", 0700);
    make_file("pg/base/5/16384", 16384, 0600);
    make_file("pg/base/5/16384.1", 8192, 0600);
    make_file("pg/base/5/16384_fsm", 8192, 0600);
    make_file("pg/base/5/16390", 8192, 0600);      /* unlogged: main fork skipped */
    make_file("pg/base/5/16390_init", 0, 0600);    /* its init fork kept */
    make_file("pg/base/5/t3_16395", 8192, 0600);   /* temporary relation */
    make_file("pg/base/5/pg_internal.init.123", 10, 0600);
    make_file("pg/base/5/PG_VERSION", 3, 0600);
    make_dir("pg/base/5/pgsql_tmp", 0700);
    make_file("pg/base/5/pgsql_tmp/tmp1", 10, 0600);
    make_dir("pg/pg_wal", 0700);
    make_file("pg/pg_wal/000000010000000000000001", 100, 0600);
    make_dir("pg/pg_wal/archive_status", 0700);
    make_dir("pg/pg_stat_tmp", 0700);
    make_file("pg/pg_stat_tmp/global.stat", 10, 0600);
    make_dir("pg/pg_replslot", 0700);
    make_dir("pg/pg_xact", 0700);
    make_file("pg/pg_xact/0000", 8192, 0600);
    make_dir("pg/skipme", 0700);
    make_file("pg/skipme/a", 1, 0600);
    make_file("pg/skipfile", 1, 0600);
    make_dir("ext", 0755);
    make_file("ext/log.txt", 4, 0600);
    make_link("ext", "pg/log_ext");
    make_dir("pg/pg_tblspc", 0700);
    make_dir("ts", 0700);
    make_dir("ts/PG_15_202209061", 0700);
    make_dir("ts/PG_15_202209061/5", 0700);
    make_file("ts/PG_15_202209061/5/16401", 8192, 0600);
    make_dir("ts/other", 0700);
    make_file("ts/other/junk", 1, 0600);
    make_link("ts", "pg/pg_tblspc/16400");
}

static void
remove_tree(void)
{
    char *command = mem_printf("rm -rf '%s'", root);
    ck_assert_int_eq(system(command), 0);
    free(command);
}

static void
build(Manifest *manifest)
{
    char *pg = mem_printf("%s/pg", root);
    const char *excludes[] = {"skipme/", "skipfile"};
    ManifestBuildTablespace tablespaces[] = {{16400, "ts1"}};
    ManifestBuildOptions options = {pg, "15", 202209061, true, tablespaces, 1, excludes, 2};
    Storage *storage = storage_posix_new("/", false);
    memset(manifest, 0, sizeof(*manifest));
    int result = manifest_build(storage, &options, manifest);
    if (result != 0)
        ck_abort_msg("manifest_build: %s", err_message());
    storage_free(storage);
    free(pg);
}

static bool
has_file(const Manifest *manifest, const char *name)
{
    return manifest_file_find(manifest, name) != NULL;
}

static const ManifestPath *
find_path(const Manifest *manifest, const char *name)
{
    for (size_t i = 0; i < manifest->path_count; i++)
        if (strcmp(manifest->paths[i].name, name) == 0)
            return &manifest->paths[i];
    return NULL;
}

START_TEST(test_walk)
{
    build_tree();
    Manifest manifest;
    build(&manifest);

    const char *expected[] = {
        "pg_data/PG_VERSION", "pg_data/base/5/16384", "pg_data/base/5/16384.1", "pg_data/base/5/16384_fsm",
        "pg_data/base/5/16390_init", "pg_data/base/5/PG_VERSION", "pg_data/global/1262", "pg_data/global/pg_control",
        "pg_data/global/pg_filenode.map", "pg_data/log_ext/log.txt", "pg_data/pg_xact/0000",
        "pg_data/postgresql.conf", "pg_tblspc/16400/PG_15_202209061/5/16401",
    };
    ck_assert_uint_eq(manifest.file_count, sizeof(expected) / sizeof(expected[0]));
    for (size_t i = 0; i < manifest.file_count; i++)
        ck_assert_str_eq(manifest.files[i].name, expected[i]);

    const ManifestFile *conf = manifest_file_find(&manifest, "pg_data/postgresql.conf");
    ck_assert_int_eq(conf->mode, 0640);
    ck_assert_uint_eq(conf->size, 10);
    ck_assert_int_eq(conf->timestamp, 1700000000);
    ck_assert_int_eq(manifest_file_find(&manifest, "pg_data/PG_VERSION")->mode, MANIFEST_MODE_DEFAULT);
    ck_assert(!has_file(&manifest, "pg_data/postmaster.pid"));
    ck_assert(!has_file(&manifest, "pg_data/base/5/16390"));

    /* defaults from PGDATA: path 0700, file 0600; links present */
    ck_assert_int_eq(manifest.path_default.mode, 0700);
    ck_assert_int_eq(manifest.file_default.mode, 0600);
    ck_assert(manifest.link_default.present);

    /* paths: excluded content keeps its directory, the linked directory has its own mode */
    ck_assert_ptr_nonnull(find_path(&manifest, "pg_data/pg_wal"));
    ck_assert_ptr_nonnull(find_path(&manifest, "pg_data/pg_wal/archive_status"));
    ck_assert_ptr_nonnull(find_path(&manifest, "pg_data/pg_stat_tmp"));
    ck_assert_ptr_nonnull(find_path(&manifest, "pg_data/skipme"));
    ck_assert_ptr_null(find_path(&manifest, "pg_data/base/5/pgsql_tmp"));
    ck_assert_int_eq(find_path(&manifest, "pg_data/log_ext")->mode, 0755);
    ck_assert_ptr_nonnull(find_path(&manifest, "pg_tblspc"));
    ck_assert_ptr_nonnull(find_path(&manifest, "pg_tblspc/16400"));
    ck_assert_ptr_nonnull(find_path(&manifest, "pg_tblspc/16400/PG_15_202209061/5"));
    ck_assert_ptr_null(find_path(&manifest, "pg_tblspc/16400/other"));

    /* links and targets */
    ck_assert_uint_eq(manifest.link_count, 2);
    ck_assert_str_eq(manifest.links[0].name, "pg_data/log_ext");
    ck_assert_str_eq(manifest.links[1].name, "pg_data/pg_tblspc/16400");
    ck_assert_uint_eq(manifest.target_count, 3);
    ck_assert_str_eq(manifest.targets[0].name, "pg_data");
    ck_assert_str_eq(manifest.targets[0].type, "path");
    ck_assert_str_eq(manifest.targets[1].name, "pg_data/log_ext");
    ck_assert_str_eq(manifest.targets[1].type, "link");
    ck_assert_str_eq(manifest.targets[2].name, "pg_tblspc/16400");
    ck_assert_str_eq(manifest.targets[2].tablespace_id, "16400");
    ck_assert_str_eq(manifest.targets[2].tablespace_name, "ts1");

    manifest_free(&manifest);
    remove_tree();
}
END_TEST

START_TEST(test_file_facts)
{
    const char *dir = "PG_15_202209061";
    ck_assert(manifest_build_page_candidate("pg_data/base/5/16384", dir));
    ck_assert(manifest_build_page_candidate("pg_data/base/5/16384_fsm", dir));
    ck_assert(manifest_build_page_candidate("pg_data/global/1262", dir));
    ck_assert(!manifest_build_page_candidate("pg_data/global/pg_control", dir));
    ck_assert(!manifest_build_page_candidate("pg_data/global/pg_filenode.map", dir));
    ck_assert(!manifest_build_page_candidate("pg_data/base/5/PG_VERSION", dir));
    ck_assert(!manifest_build_page_candidate("pg_data/pg_xact/0000", dir));
    ck_assert(!manifest_build_page_candidate("pg_data/base/5x/1", dir));
    ck_assert(manifest_build_page_candidate("pg_tblspc/16400/PG_15_202209061/5/16401", dir));
    ck_assert(!manifest_build_page_candidate("pg_tblspc/16400/PG_14_202107181/5/16401", dir));
    ck_assert_uint_eq(manifest_build_segment_no("pg_data/base/5/16384.12"), 12);
    ck_assert_uint_eq(manifest_build_segment_no("pg_data/base/5/16384"), 0);
    ck_assert_uint_eq(manifest_build_segment_no("pg_data/postgresql.auto.conf"), 0);
    char *path = manifest_build_pg_file("/pg", "pg_data/base/1/2");
    ck_assert_str_eq(path, "/pg/base/1/2");
    free(path);
    path = manifest_build_pg_file("/pg", "pg_tblspc/1/PG/2");
    ck_assert_str_eq(path, "/pg/pg_tblspc/1/PG/2");
    free(path);
}
END_TEST

static void
add_file(Manifest *manifest, const char *name, uint64_t size, int64_t timestamp)
{
    ManifestFile *file = manifest_file_add(manifest, name);
    file->size = size;
    file->repo_size = size;
    file->timestamp = timestamp;
}

START_TEST(test_incr)
{
    Manifest prior, current;
    memset(&prior, 0, sizeof(prior));
    memset(&current, 0, sizeof(current));
    prior.backup.label = mem_strdup("20261124-102933F");
    prior.backup.archive_stop = mem_strdup("000000010000000000000004");
    prior.options.online = true;
    add_file(&prior, "pg_data/a", 10, 100);
    add_file(&prior, "pg_data/b", 10, 100);
    add_file(&prior, "pg_data/c", 0, 100);
    add_file(&prior, "pg_data/d", 10, 100);
    prior.files[0].has_checksum = true;
    strcpy(prior.files[0].checksum, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    prior.files[0].repo_size = 7;
    prior.files[3].reference = manifest_intern(&prior, "20261124-102900F");
    manifest_sort(&prior);

    current.backup.archive_start = mem_strdup("000000010000000000000006");
    current.options.online = true;
    add_file(&current, "pg_data/a", 10, 100); /* unchanged: referenced */
    add_file(&current, "pg_data/b", 11, 200); /* changed */
    add_file(&current, "pg_data/c", 0, 300);  /* empty: referenced whatever the time */
    add_file(&current, "pg_data/d", 10, 100); /* keeps the prior's reference */
    add_file(&current, "pg_data/e", 10, 100); /* new */
    manifest_sort(&current);

    bool delta = false;
    manifest_build_incr(&current, &prior, &delta);
    ck_assert(!delta);
    ck_assert_str_eq(current.files[0].reference, "20261124-102933F");
    ck_assert_str_eq(current.files[0].checksum, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    ck_assert_uint_eq(current.files[0].repo_size, 7);
    ck_assert_ptr_null(current.files[1].reference);
    ck_assert_str_eq(current.files[2].reference, "20261124-102933F");
    ck_assert_str_eq(current.files[3].reference, "20261124-102900F");
    ck_assert_ptr_null(current.files[4].reference);

    /* an older timestamp switches delta on: same-size files are referenced and re-checked by the copy */
    current.files[1].size = 10;
    current.files[1].timestamp = 50;
    delta = false;
    manifest_build_incr(&current, &prior, &delta);
    ck_assert(delta);
    ck_assert_str_eq(current.files[1].reference, "20261124-102933F");

    /* a timeline switch too */
    free(current.backup.archive_start);
    current.backup.archive_start = mem_strdup("000000020000000000000006");
    current.files[1].timestamp = 100;
    delta = false;
    manifest_build_incr(&current, &prior, &delta);
    ck_assert(delta);

    manifest_free(&prior);
    manifest_free(&current);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("manifest_build");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_walk);
    tcase_add_test(tc, test_file_facts);
    tcase_add_test(tc, test_incr);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
