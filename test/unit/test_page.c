/* Unit tests for engine/pg/page: checksums of every page of a real PostgreSQL 15 cluster made with data checksums. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/pg/page.h"

static char cluster_dir[64];

static void
cluster_create(void)
{
    strcpy(cluster_dir, "/tmp/gaiarest-test-page-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(cluster_dir));
    char command[1024];
    snprintf(command, sizeof(command),
             "chmod 0777 %s && %s/usr/lib/postgresql/15/bin/initdb -k -D %s/data -A trust -U postgres >/dev/null 2>&1",
             cluster_dir, geteuid() == 0 ? "runuser -u postgres -- " : "", cluster_dir);
    ck_assert_int_eq(system(command), 0);
}

static void
cluster_remove(void)
{
    char command[256];
    snprintf(command, sizeof(command), "rm -rf %s", cluster_dir);
    ck_assert_int_eq(system(command), 0);
}

typedef struct PageCounts {
    unsigned files;
    unsigned valid;
    unsigned new_pages;
    unsigned invalid;
} PageCounts;

/* Relation files only: digits, optionally _fsm/_vm, optionally .N (the page-checksum candidates of a db path). */
static bool
is_relation_file(const char *name)
{
    const char *cursor = name;
    if (*cursor < '0' || *cursor > '9')
        return false;
    while (*cursor >= '0' && *cursor <= '9')
        cursor++;
    if (strncmp(cursor, "_fsm", 4) == 0)
        cursor += 4;
    else if (strncmp(cursor, "_vm", 3) == 0)
        cursor += 3;
    if (*cursor == '.') {
        cursor++;
        while (*cursor >= '0' && *cursor <= '9')
            cursor++;
    }
    return *cursor == '\0';
}

static void
verify_file(const char *path, PageCounts *counts)
{
    FILE *file = fopen(path, "rb");
    ck_assert_ptr_nonnull(file);
    uint8_t page[PG_PAGE_SIZE];
    uint32_t block_no = 0;
    while (fread(page, 1, sizeof(page), file) == sizeof(page)) {
        switch (page_verify(page, block_no)) {
        case PAGE_VALID: counts->valid++; break;
        case PAGE_NEW: counts->new_pages++; break;
        case PAGE_INVALID: counts->invalid++; break;
        }
        block_no++;
    }
    fclose(file);
    counts->files++;
}

static void
verify_dir(const char *path, PageCounts *counts)
{
    DIR *dir = opendir(path);
    ck_assert_ptr_nonnull(dir);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (!is_relation_file(entry->d_name))
            continue;
        char file_path[1024];
        snprintf(file_path, sizeof(file_path), "%s/%s", path, entry->d_name);
        verify_file(file_path, counts);
    }
    closedir(dir);
}

START_TEST(test_every_page_of_a_real_cluster)
{
    PageCounts counts = {0};
    char path[512];
    snprintf(path, sizeof(path), "%s/data/global", cluster_dir);
    verify_dir(path, &counts);
    const char *databases[] = {"1", "4", "5"};
    for (size_t index = 0; index < 3; index++) {
        snprintf(path, sizeof(path), "%s/data/base/%s", cluster_dir, databases[index]);
        verify_dir(path, &counts);
    }
    ck_assert_uint_gt(counts.files, 500);
    ck_assert_uint_gt(counts.valid, 1000);
    ck_assert_uint_eq(counts.invalid, 0);
}
END_TEST

START_TEST(test_corruption_and_new_pages)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/data/global/1260", cluster_dir); /* pg_authid */
    FILE *file = fopen(path, "rb");
    ck_assert_ptr_nonnull(file);
    uint8_t page[PG_PAGE_SIZE];
    ck_assert_uint_eq(fread(page, 1, sizeof(page), file), sizeof(page));
    fclose(file);

    ck_assert_int_eq(page_verify(page, 0), PAGE_VALID);
    ck_assert_uint_eq(page_checksum(page, 0), page_stored_checksum(page));
    /* The block number is part of the checksum: the same page at another block is invalid. */
    ck_assert_int_eq(page_verify(page, 1), PAGE_INVALID);
    ck_assert_int_eq(page_verify(page, PG_SEGMENT_PAGES), PAGE_INVALID);

    /* A flipped byte in the tuple area. */
    page[PG_PAGE_SIZE - 100] ^= 0x01;
    ck_assert_int_eq(page_verify(page, 0), PAGE_INVALID);

    uint8_t zero_page[PG_PAGE_SIZE] = {0};
    ck_assert_int_eq(page_verify(zero_page, 7), PAGE_NEW);
    zero_page[4000] = 1; /* pd_upper == 0 but not all zero */
    ck_assert_int_eq(page_verify(zero_page, 7), PAGE_INVALID);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("page");
    TCase *tcase = tcase_create("page");
    tcase_add_unchecked_fixture(tcase, cluster_create, cluster_remove);
    tcase_set_timeout(tcase, 120);
    tcase_add_test(tcase, test_every_page_of_a_real_cluster);
    tcase_add_test(tcase, test_corruption_and_new_pages);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
