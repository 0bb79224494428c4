/* Unit tests for engine/ops/stanza and engine/ops/check: info files as pgBackRest 2.45 writes them, the
 * create/upgrade/delete decisions with their exact codes and messages, archive settings, the WAL wait. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "engine/ops/check.h"
#include "engine/ops/lock.h"
#include "engine/ops/stanza.h"
#include "storage/posix.h"

/* The cluster of the 2.45 run that gave the expected checksums below. */
#define SYSTEM_ID 7711695025038413986ULL
#define ARCHIVE_INFO_CHECKSUM "f1c701d7a004d9f440c144dff6b38961d5a2e1c2"
#define BACKUP_INFO_CHECKSUM "a9eef8b03a4e5b4d8f197ae861e658b9fa61a4df"

static char root[64];
static char repo_path[128];
static char lock_path[128];
static char pg_path[128];
static Repo repo;

static StanzaPg
pg_facts(uint64_t system_id)
{
    StanzaPg pg = {system_id, pg_version_by_name("15"), 202209061, 1300};
    return pg;
}

static void
setup(void)
{
    strcpy(root, "/tmp/gaiarest-test-stanza-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    snprintf(repo_path, sizeof(repo_path), "%s/repo", root);
    snprintf(lock_path, sizeof(lock_path), "%s/lock", root);
    snprintf(pg_path, sizeof(pg_path), "%s/pg", root);
    ck_assert_int_eq(mkdir(repo_path, 0750), 0);
    ck_assert_int_eq(mkdir(pg_path, 0750), 0);
    memset(&repo, 0, sizeof(repo));
    repo.key = 1;
    repo.storage = storage_posix_new(repo_path, true);
    repo.cipher_type = CIPHER_NONE;
}

static void
teardown(void)
{
    storage_free(repo.storage);
    char command[256];
    snprintf(command, sizeof(command), "rm -rf %s", root);
    ck_assert_int_eq(system(command), 0);
}

static char *
read_file(const char *relative)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", repo_path, relative);
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return NULL;
    static char content[2][4096];
    static int slot;
    slot ^= 1;
    size_t length = fread(content[slot], 1, sizeof(content[slot]) - 1, file);
    content[slot][length] = '\0';
    fclose(file);
    return content[slot];
}

static bool
repo_exists(const char *relative)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", repo_path, relative);
    return access(path, F_OK) == 0;
}

static void
repo_touch(const char *relative)
{
    char command[512];
    snprintf(command, sizeof(command), "mkdir -p \"$(dirname %s/%s)\" && touch %s/%s", repo_path, relative, repo_path,
             relative);
    ck_assert_int_eq(system(command), 0);
}

static void
repo_remove(const char *relative)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", repo_path, relative);
    ck_assert_int_eq(unlink(path), 0);
}

static void
create_ok(StanzaCreateResult expected)
{
    StanzaPg pg = pg_facts(SYSTEM_ID);
    StanzaCreateResult result = STANZA_CREATE_NEW;
    ck_assert_int_eq(stanza_create_repo(&repo, "demo", &pg, &result), 0);
    ck_assert_int_eq(result, expected);
}

START_TEST(test_create_as_stock)
{
    create_ok(STANZA_CREATE_NEW);
    const char *archive =
        "[backrest]\nbackrest-format=5\nbackrest-version=\"2.45\"\n\n"
        "[db]\ndb-id=1\ndb-system-id=7711695025038413986\ndb-version=\"15\"\n\n"
        "[db:history]\n1={\"db-id\":7711695025038413986,\"db-version\":\"15\"}\n\n"
        "[backrest]\nbackrest-checksum=\"" ARCHIVE_INFO_CHECKSUM "\"\n";
    const char *backup =
        "[backrest]\nbackrest-format=5\nbackrest-version=\"2.45\"\n\n"
        "[db]\ndb-catalog-version=202209061\ndb-control-version=1300\ndb-id=1\ndb-system-id=7711695025038413986\n"
        "db-version=\"15\"\n\n"
        "[db:history]\n1={\"db-catalog-version\":202209061,\"db-control-version\":1300,"
        "\"db-system-id\":7711695025038413986,\"db-version\":\"15\"}\n\n"
        "[backrest]\nbackrest-checksum=\"" BACKUP_INFO_CHECKSUM "\"\n";
    ck_assert_str_eq(read_file("archive/demo/archive.info"), archive);
    ck_assert_str_eq(read_file("archive/demo/archive.info.copy"), archive);
    ck_assert_str_eq(read_file("backup/demo/backup.info"), backup);
    ck_assert_str_eq(read_file("backup/demo/backup.info.copy"), backup);

    /* a second run finds a valid stanza and writes nothing */
    create_ok(STANZA_CREATE_VALID);
    ck_assert_str_eq(read_file("archive/demo/archive.info"), archive);
}
END_TEST

START_TEST(test_create_mismatch)
{
    create_ok(STANZA_CREATE_NEW);
    char before[4096];
    strcpy(before, read_file("backup/demo/backup.info"));

    StanzaPg other = pg_facts(SYSTEM_ID + 1);
    StanzaCreateResult result;
    ck_assert_int_eq(stanza_create_repo(&repo, "demo", &other, &result), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_INVALID);
    ck_assert_str_eq(err_message(), "backup and archive info files exist but do not match the database");
    ck_assert_str_eq(err_hint_text(), "is this the correct stanza?\nHINT: did an error occur during stanza-upgrade?");
    ck_assert_str_eq(read_file("backup/demo/backup.info"), before);
}
END_TEST

START_TEST(test_create_half_made)
{
    create_ok(STANZA_CREATE_NEW);
    repo_remove("backup/demo/backup.info");
    repo_remove("backup/demo/backup.info.copy");
    StanzaPg pg = pg_facts(SYSTEM_ID);
    StanzaCreateResult result;
    ck_assert_int_eq(stanza_create_repo(&repo, "demo", &pg, &result), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    ck_assert_str_eq(err_message(), "archive.info exists but backup.info is missing on repo1");
    ck_assert_str_eq(err_hint_text(), "this may be a symptom of repository corruption!");
}
END_TEST

START_TEST(test_create_backup_only)
{
    create_ok(STANZA_CREATE_NEW);
    repo_remove("archive/demo/archive.info");
    repo_remove("archive/demo/archive.info.copy");
    repo_remove("backup/demo/backup.info");
    StanzaPg pg = pg_facts(SYSTEM_ID);
    StanzaCreateResult result;
    ck_assert_int_eq(stanza_create_repo(&repo, "demo", &pg, &result), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    ck_assert_str_eq(err_message(), "backup.info exists but archive.info is missing on repo1");
}
END_TEST

START_TEST(test_create_not_empty)
{
    repo_touch("archive/demo/15-1/0000000100000000/x");
    StanzaPg pg = pg_facts(SYSTEM_ID);
    StanzaCreateResult result;
    ck_assert_int_eq(stanza_create_repo(&repo, "demo", &pg, &result), -1);
    ck_assert_int_eq(err_code(), ERR_PATH_NOT_EMPTY);
    ck_assert_str_eq(err_message(), "archive directory not empty");
    ck_assert(!repo_exists("archive/demo/archive.info"));

    char command[256];
    snprintf(command, sizeof(command), "rm -rf %s/archive", repo_path);
    ck_assert_int_eq(system(command), 0);
    repo_touch("backup/demo/junk");
    ck_assert_int_eq(stanza_create_repo(&repo, "demo", &pg, &result), -1);
    ck_assert_int_eq(err_code(), ERR_PATH_NOT_EMPTY);
    ck_assert_str_eq(err_message(), "backup directory not empty");
}
END_TEST

START_TEST(test_create_repairs_missing_copy)
{
    create_ok(STANZA_CREATE_NEW);
    char expected[4096];
    strcpy(expected, read_file("archive/demo/archive.info"));
    repo_remove("archive/demo/archive.info");
    repo_remove("backup/demo/backup.info.copy");
    create_ok(STANZA_CREATE_REPAIRED);
    ck_assert_str_eq(read_file("archive/demo/archive.info"), expected);
    ck_assert_str_eq(read_file("backup/demo/backup.info.copy"), read_file("backup/demo/backup.info"));
}
END_TEST

START_TEST(test_create_encrypted)
{
    repo.cipher_type = CIPHER_AES_256_CBC;
    repo.cipher_pass = "repo-secret";
    create_ok(STANZA_CREATE_NEW);
    /* the stored files are ciphertext ("Salted__" magic), and both copies are the same bytes */
    ck_assert(strncmp(read_file("archive/demo/archive.info"), "Salted__", 8) == 0);

    InfoArchive archive;
    InfoBackup backup;
    ck_assert_int_eq(stanza_info_load(&repo, "demo", &archive, &backup), 0);
    ck_assert_ptr_nonnull(archive.cipher_pass);
    ck_assert_ptr_nonnull(backup.cipher_pass);
    ck_assert_uint_eq(strlen(archive.cipher_pass), 64);
    ck_assert_uint_eq(strlen(backup.cipher_pass), 64);
    ck_assert_str_ne(archive.cipher_pass, backup.cipher_pass);
    ck_assert_uint_eq(archive.db_system_id, SYSTEM_ID);
    info_archive_free(&archive);
    info_backup_free(&backup);

    /* the wrong passphrase cannot read them */
    repo.cipher_pass = "wrong";
    ck_assert_int_eq(stanza_info_load(&repo, "demo", &archive, &backup), -1);
    repo.cipher_pass = "repo-secret";
    create_ok(STANZA_CREATE_VALID);
}
END_TEST

START_TEST(test_upgrade)
{
    create_ok(STANZA_CREATE_NEW);
    StanzaPg pg = pg_facts(SYSTEM_ID);
    bool upgraded = true;
    ck_assert_int_eq(stanza_upgrade_repo(&repo, "demo", &pg, &upgraded), 0);
    ck_assert(!upgraded);

    StanzaPg other = pg_facts(SYSTEM_ID + 5);
    ck_assert_int_eq(stanza_upgrade_repo(&repo, "demo", &other, &upgraded), 0);
    ck_assert(upgraded);
    InfoArchive archive;
    InfoBackup backup;
    ck_assert_int_eq(stanza_info_load(&repo, "demo", &archive, &backup), 0);
    ck_assert_uint_eq(archive.db_id, 2);
    ck_assert_uint_eq(archive.history_count, 2);
    ck_assert_uint_eq(archive.history[1].system_id, SYSTEM_ID + 5);
    ck_assert_uint_eq(archive.history[0].system_id, SYSTEM_ID);
    ck_assert_uint_eq(backup.db_id, 2);
    ck_assert_uint_eq(backup.history_count, 2);
    ck_assert_int_eq(stanza_info_validate(&archive, &backup, &other), 0);
    info_archive_free(&archive);
    info_backup_free(&backup);
    ck_assert_str_eq(read_file("archive/demo/archive.info.copy"), read_file("archive/demo/archive.info"));

    /* the stanza now matches the new cluster */
    ck_assert_int_eq(stanza_upgrade_repo(&repo, "demo", &other, &upgraded), 0);
    ck_assert(!upgraded);
}
END_TEST

START_TEST(test_upgrade_missing)
{
    StanzaPg pg = pg_facts(SYSTEM_ID);
    bool upgraded;
    ck_assert_int_eq(stanza_upgrade_repo(&repo, "demo", &pg, &upgraded), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    ck_assert_ptr_nonnull(strstr(err_hint_text(), "has a stanza-create been performed?"));
}
END_TEST

START_TEST(test_validate_pair_mismatch)
{
    InfoArchive archive;
    InfoBackup backup;
    memset(&archive, 0, sizeof(archive));
    memset(&backup, 0, sizeof(backup));
    info_archive_history_add(&archive, SYSTEM_ID + 1, "15");
    info_backup_history_add(&backup, SYSTEM_ID, "15", 202209061, 1300);
    StanzaPg pg = pg_facts(SYSTEM_ID);
    ck_assert_int_eq(stanza_info_validate(&archive, &backup, &pg), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_INVALID);
    ck_assert_str_eq(err_message(), "backup info file and archive info file do not match\n"
                                    "archive: id = 1, version = 15, system-id = 7711695025038413987\n"
                                    "backup : id = 1, version = 15, system-id = 7711695025038413986");
    ck_assert_str_eq(err_hint_text(), "this may be a symptom of repository corruption!");
    info_archive_free(&archive);
    info_backup_free(&backup);
}
END_TEST

static int
delete_demo(bool force, bool *deleted)
{
    StanzaDeleteOptions options = {lock_path, pg_path, force};
    return stanza_delete_repo(&repo, "demo", &options, deleted);
}

START_TEST(test_delete)
{
    bool deleted = true;
    /* nothing to delete: success without a stop file */
    ck_assert_int_eq(delete_demo(false, &deleted), 0);
    ck_assert(!deleted);

    create_ok(STANZA_CREATE_NEW);
    repo_touch("archive/demo/15-1/0000000100000000/000000010000000000000001-x");
    ck_assert_int_eq(delete_demo(false, &deleted), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    ck_assert_str_eq(err_message(), "stop file does not exist for stanza 'demo'");
    ck_assert_str_eq(err_hint_text(), "has the pgbackrest stop command been run on this server for this stanza?");

    /* all.stop is not enough */
    bool already;
    ck_assert_int_eq(stop_create(lock_path, NULL, &already), 0);
    ck_assert_int_eq(delete_demo(false, &deleted), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);

    ck_assert_int_eq(stop_create(lock_path, "demo", &already), 0);
    char pid_file[256];
    snprintf(pid_file, sizeof(pid_file), "%s/postmaster.pid", pg_path);
    FILE *file = fopen(pid_file, "w");
    ck_assert_ptr_nonnull(file);
    fclose(file);
    ck_assert_int_eq(delete_demo(false, &deleted), -1);
    ck_assert_int_eq(err_code(), ERR_PG_RUNNING);
    ck_assert_str_eq(err_message(), "postmaster.pid exists - looks like PostgreSQL is running. To delete stanza 'demo' "
                                    "on repo1, shut down PostgreSQL for stanza 'demo' and try again, or use --force.");
    ck_assert(repo_exists("archive/demo/archive.info"));

    ck_assert_int_eq(delete_demo(true, &deleted), 0);
    ck_assert(deleted);
    ck_assert(!repo_exists("archive/demo"));
    ck_assert(!repo_exists("backup/demo"));
    char *stop = stop_file_path(lock_path, "demo");
    ck_assert(access(stop, F_OK) != 0);
    free(stop);
}
END_TEST

START_TEST(test_archive_settings)
{
    ck_assert_int_eq(check_archive_settings("on", "pgbackrest --stanza=demo archive-push %p"), 0);
    ck_assert_int_eq(check_archive_settings("always", "/usr/bin/gaiarest --stanza=demo archive-push %p"), 0);
    ck_assert_int_eq(check_archive_settings("off", "pgbackrest archive-push %p"), -1);
    ck_assert_int_eq(err_code(), ERR_ARCHIVE_DISABLED);
    ck_assert_str_eq(err_message(), "archive_mode must be enabled");
    ck_assert_int_eq(check_archive_settings("on", "/bin/false"), -1);
    ck_assert_int_eq(err_code(), ERR_ARCHIVE_COMMAND_INVALID);
    ck_assert_str_eq(err_message(), "archive_command '/bin/false' must contain pgbackrest");
    ck_assert_int_eq(check_archive_settings("on", ""), -1);
    ck_assert_str_eq(err_message(), "archive_command '' must contain pgbackrest");
}
END_TEST

START_TEST(test_wal_wait)
{
    const char *segment = "000000010000000000000004";
    char *path = NULL;
    ck_assert_int_eq(check_wal_archived(&repo, "demo", "15-1", segment, 250, &path), -1);
    ck_assert_int_eq(err_code(), ERR_ARCHIVE_TIMEOUT);
    ck_assert_str_eq(err_message(), "WAL segment 000000010000000000000004 was not archived before the 250ms timeout");
    ck_assert_str_eq(err_hint_text(), "check the archive_command to ensure that all options are correct (especially "
                                      "--stanza).\nHINT: check the PostgreSQL server log for errors.\nHINT: run the "
                                      "'start' command if the stanza was previously stopped.");
    ck_assert_ptr_null(path);

    /* another segment and another archive id do not count */
    repo_touch("archive/demo/15-1/0000000100000000/000000010000000000000005-9b1fcf899808abfb11311d5b34a343ec6fcd7ded.gz");
    repo_touch("archive/demo/15-2/0000000100000000/000000010000000000000004-9b1fcf899808abfb11311d5b34a343ec6fcd7ded.gz");
    ck_assert_int_eq(check_wal_archived(&repo, "demo", "15-1", segment, 100, &path), -1);

    const char *stored = "archive/demo/15-1/0000000100000000/"
                         "000000010000000000000004-9b1fcf899808abfb11311d5b34a343ec6fcd7ded.gz";
    repo_touch(stored);
    ck_assert_int_eq(check_wal_archived(&repo, "demo", "15-1", segment, 1000, &path), 0);
    char expected[512];
    snprintf(expected, sizeof(expected), "%s/%s", repo_path, stored);
    ck_assert_str_eq(path, expected);
    free(path);
}
END_TEST

static Suite *
stanza_suite(void)
{
    Suite *suite = suite_create("stanza");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_create_as_stock);
    tcase_add_test(tc, test_create_mismatch);
    tcase_add_test(tc, test_create_half_made);
    tcase_add_test(tc, test_create_backup_only);
    tcase_add_test(tc, test_create_not_empty);
    tcase_add_test(tc, test_create_repairs_missing_copy);
    tcase_add_test(tc, test_create_encrypted);
    tcase_add_test(tc, test_upgrade);
    tcase_add_test(tc, test_upgrade_missing);
    tcase_add_test(tc, test_validate_pair_mismatch);
    tcase_add_test(tc, test_delete);
    tcase_add_test(tc, test_archive_settings);
    tcase_add_test(tc, test_wal_wait);
    suite_add_tcase(suite, tc);
    return suite;
}

int
main(void)
{
    SRunner *runner = srunner_create(stanza_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
