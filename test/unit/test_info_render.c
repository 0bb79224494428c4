/*
 * Unit tests for cmd/info's renderers: the size formatter (values checked against stock pgBackRest 2.45 through
 * a scratch repository, see test_info.sh "sizes B to GB") and the text/JSON output of hand-made reports.
 */
#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/info.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/mem.h"

/* ------------------------------------------------------------------------------------------------------------------ */
/* Sizes: every pair printed by stock 2.45 for that size in `info` text output.                                        */
/* ------------------------------------------------------------------------------------------------------------------ */
static const struct {
    uint64_t size;
    const char *text;
} size_cases[] = {
    {0, "0B"},
    {1, "1B"},
    {1023, "1023B"},
    {1024, "1KB"},
    {1075, "1KB"},
    {1126, "1KB"},    /* 1.0996: first decimal truncated is 0 */
    {1127, "1.1KB"},  /* 1.1006 */
    {1536, "1.5KB"},
    {1945, "1.9KB"},  /* 1.899: decimal 8 truncated, printed rounded */
    {10239, "10.0KB"}, /* 9.999: decimal 9, rounded up to 10.0 */
    {10240, "10KB"},
    {102399, "100.0KB"},
    {976578, "953.7KB"},
    {1048063, "1023.5KB"},
    {1048575, "1024.0KB"},
    {1048576, "1MB"},
    {1088351, "1MB"},
    {1153433, "1MB"},
    {39801360, "38.0MB"},
    {1073741823, "1024.0MB"},
    {1073741824, "1GB"},
    {1181116006, "1GB"},
    {1181116007, "1.1GB"},
    {1610612736, "1.5GB"},
    {1099511627775ULL, "1024.0GB"},
    {1099511627776ULL, "1024GB"}, /* no TB unit */
    {1209462790553ULL, "1126.4GB"},
    {5497558138880ULL, "5120GB"},
    {1125899906842624ULL, "1048576GB"},
    {1152921504606846976ULL, "1073741824GB"},
    {UINT64_MAX, "17179869183GB"},
};

START_TEST(test_size_format)
{
    for (size_t i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
        Buf out = BUF_INIT;
        buf_append_str(&out, "<");
        info_size_format(size_cases[i].size, &out);
        buf_append_char(&out, '\0');
        char expected[64];
        snprintf(expected, sizeof(expected), "<%s", size_cases[i].text);
        ck_assert_msg(strcmp((const char *)out.data, expected) == 0, "size %" PRIu64 ": expected %s, got %s",
                      size_cases[i].size, expected, (const char *)out.data);
        buf_free(&out);
    }
}
END_TEST

/* ------------------------------------------------------------------------------------------------------------------ */
/* Hand-made reports                                                                                                   */
/* ------------------------------------------------------------------------------------------------------------------ */
#define SYSTEM_A 7000000000000000001ULL
#define SYSTEM_B 7000000000000000002ULL

static InfoBackupEntry
backup_entry(const char *label, BackupType type, const char *prior, unsigned db_id, int64_t start)
{
    InfoBackupEntry entry;
    memset(&entry, 0, sizeof(entry));
    entry.label = mem_strdup(label);
    entry.backrest_format = 5;
    entry.backrest_version = mem_strdup("2.45");
    entry.archive_start = mem_strdup("000000010000000000000003");
    entry.archive_stop = mem_strdup("000000010000000000000004");
    entry.lsn_start = mem_strdup("0/3000028");
    entry.lsn_stop = mem_strdup("0/4000100");
    entry.size = 46137344;       /* 44MB */
    entry.size_delta = type == BACKUP_TYPE_FULL ? 46137344 : 1153434; /* 1.1MB */
    entry.repo_size = 5033165;   /* 4.8MB */
    entry.repo_size_delta = type == BACKUP_TYPE_FULL ? 5033165 : 512;
    entry.timestamp_start = start;
    entry.timestamp_stop = start + 12;
    entry.type = type;
    entry.db_id = db_id;
    if (prior != NULL) {
        entry.prior = mem_strdup(prior);
        entry.reference = mem_calloc(1, sizeof(char *));
        entry.reference[0] = mem_strdup(prior);
        entry.reference_count = 1;
    }
    return entry;
}

/* A loaded repo: history A/15 (id 1) then `current_system`/15 (id 2) when it differs from A; WAL of each. */
static void
repo_loaded(InfoRepoState *repo, unsigned key, uint64_t current_system)
{
    repo->key = key;
    repo->cipher = CIPHER_NONE;
    repo->code = INFO_STATUS_OK;
    repo->loaded = true;
    info_archive_history_add(&repo->archive, SYSTEM_A, "15");
    info_backup_history_add(&repo->backup, SYSTEM_A, "15", 202209061, 1300);
    if (current_system != SYSTEM_A) {
        info_archive_history_add(&repo->archive, current_system, "15");
        info_backup_history_add(&repo->backup, current_system, "15", 202209061, 1300);
    }
    repo->wal_count = repo->archive.history_count;
    repo->wal = mem_calloc(repo->wal_count, sizeof(InfoWalRange));
    for (size_t h = 0; h < repo->wal_count; h++) {
        repo->wal[h].history_id = repo->archive.history[h].id;
        repo->wal[h].archive_id = info_archive_id(&repo->archive.history[h]);
        repo->wal[h].min = mem_printf("0000000100000000000000%02zX", 1 + h * 16);
        repo->wal[h].max = mem_printf("0000000100000000000000%02zX", 8 + h * 16);
    }
}

static void
stanza_init(InfoStanza *stanza, const char *name, size_t repo_count)
{
    memset(stanza, 0, sizeof(*stanza));
    stanza->name = mem_strdup(name);
    stanza->repos = mem_calloc(repo_count, sizeof(InfoRepoState));
    stanza->repo_count = repo_count;
}

static char *
render(const InfoReport *report, bool json)
{
    Buf out = BUF_INIT;
    if (json)
        info_render_json(report, &out);
    else
        info_render_text(report, &out);
    buf_append_char(&out, '\0');
    return (char *)buf_detach(&out);
}

static void
setup(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
}

/* One repo, a full and an incr, annotation on the full. */
START_TEST(test_render_one_repo)
{
    InfoRequest request = {.repo_count = 1, .type_filter = -1};
    InfoReport report = {.request = &request, .stanza_count = 1};
    report.stanzas = mem_calloc(1, sizeof(InfoStanza));
    stanza_init(&report.stanzas[0], "demo", 1);
    InfoRepoState *repo = &report.stanzas[0].repos[0];
    repo_loaded(repo, 1, SYSTEM_A);
    InfoBackupEntry full = backup_entry("20261124-103049F", BACKUP_TYPE_FULL, NULL, 1, 1795516249);
    full.annotation = json_object();
    json_object_set(full.annotation, "owner", json_string("ci \"x\""));
    info_backup_add(&repo->backup, &full);
    InfoBackupEntry incr = backup_entry("20261124-103049F_20261124-103101I", BACKUP_TYPE_INCR, "20261124-103049F", 1,
                                        1795516261);
    info_backup_add(&repo->backup, &incr);

    char *text = render(&report, false);
    ck_assert_str_eq(text, "stanza: demo\n"
                           "    status: ok\n"
                           "    cipher: none\n"
                           "\n"
                           "    db (current)\n"
                           "        wal archive min/max (15): 000000010000000000000001/000000010000000000000008\n"
                           "\n"
                           "        full backup: 20261124-103049F\n"
                           "            timestamp start/stop: 2026-11-24 10:30:49 / 2026-11-24 10:31:01\n"
                           "            wal start/stop: 000000010000000000000003 / 000000010000000000000004\n"
                           "            database size: 44MB, database backup size: 44MB\n"
                           "            repo1: backup set size: 4.8MB, backup size: 4.8MB\n"
                           "\n"
                           "        incr backup: 20261124-103049F_20261124-103101I\n"
                           "            timestamp start/stop: 2026-11-24 10:31:01 / 2026-11-24 10:31:13\n"
                           "            wal start/stop: 000000010000000000000003 / 000000010000000000000004\n"
                           "            database size: 44MB, database backup size: 1.1MB\n"
                           "            repo1: backup set size: 4.8MB, backup size: 512B\n"
                           "            backup reference list: 20261124-103049F\n");
    free(text);

    char *json = render(&report, true);
    ck_assert_str_eq(
        json,
        "[{\"archive\":[{\"database\":{\"id\":1,\"repo-key\":1},\"id\":\"15-1\",\"max\":\"000000010000000000000008\","
        "\"min\":\"000000010000000000000001\"}],"
        "\"backup\":[{\"annotation\":{\"owner\":\"ci \\\"x\\\"\"},"
        "\"archive\":{\"start\":\"000000010000000000000003\",\"stop\":\"000000010000000000000004\"},"
        "\"backrest\":{\"format\":5,\"version\":\"2.45\"},\"database\":{\"id\":1,\"repo-key\":1},\"error\":false,"
        "\"info\":{\"delta\":46137344,\"repository\":{\"delta\":5033165,\"size\":5033165},\"size\":46137344},"
        "\"label\":\"20261124-103049F\",\"lsn\":{\"start\":\"0/3000028\",\"stop\":\"0/4000100\"},\"prior\":null,"
        "\"reference\":null,\"timestamp\":{\"start\":1795516249,\"stop\":1795516261},\"type\":\"full\"},"
        "{\"archive\":{\"start\":\"000000010000000000000003\",\"stop\":\"000000010000000000000004\"},"
        "\"backrest\":{\"format\":5,\"version\":\"2.45\"},\"database\":{\"id\":1,\"repo-key\":1},\"error\":false,"
        "\"info\":{\"delta\":1153434,\"repository\":{\"delta\":512,\"size\":5033165},\"size\":46137344},"
        "\"label\":\"20261124-103049F_20261124-103101I\",\"lsn\":{\"start\":\"0/3000028\",\"stop\":\"0/4000100\"},"
        "\"prior\":\"20261124-103049F\",\"reference\":[\"20261124-103049F\"],"
        "\"timestamp\":{\"start\":1795516261,\"stop\":1795516273},\"type\":\"incr\"}],"
        "\"cipher\":\"none\",\"db\":[{\"id\":1,\"repo-key\":1,\"system-id\":7000000000000000001,\"version\":\"15\"}],"
        "\"name\":\"demo\",\"repo\":[{\"cipher\":\"none\",\"key\":1,\"status\":{\"code\":0,\"message\":\"ok\"}}],"
        "\"status\":{\"code\":0,\"lock\":{\"backup\":{\"held\":false}},\"message\":\"ok\"}}]");
    free(json);

    /* --type=full keeps the full only. */
    request.type_filter = BACKUP_TYPE_FULL;
    text = render(&report, false);
    ck_assert_ptr_null(strstr(text, "incr backup"));
    ck_assert_ptr_nonnull(strstr(text, "full backup: 20261124-103049F\n"));
    free(text);
    info_report_free(&report);
}
END_TEST

/* Two repos whose current databases differ (status 5, prior block), then a repo in error (mixed). */
START_TEST(test_render_two_repos)
{
    InfoRequest request = {.repo_count = 2, .type_filter = -1};
    InfoReport report = {.request = &request, .stanza_count = 2};
    report.stanzas = mem_calloc(2, sizeof(InfoStanza));

    InfoStanza *first = &report.stanzas[0];
    stanza_init(first, "alpha", 2);
    repo_loaded(&first->repos[0], 1, SYSTEM_B); /* current B, prior A */
    repo_loaded(&first->repos[1], 2, SYSTEM_A); /* current A */
    InfoBackupEntry old = backup_entry("20261124-103049F", BACKUP_TYPE_FULL, NULL, 1, 1795516249);
    info_backup_add(&first->repos[1].backup, &old);
    InfoBackupEntry new = backup_entry("20261125-103049F", BACKUP_TYPE_FULL, NULL, 2, 1795602649);
    info_backup_add(&first->repos[0].backup, &new);
    ck_assert_int_eq(info_stanza_status(first), INFO_STATUS_DB_MISMATCH);

    InfoStanza *second = &report.stanzas[1];
    stanza_init(second, "beta", 2);
    repo_loaded(&second->repos[0], 1, SYSTEM_A);
    second->repos[0].code = INFO_STATUS_NO_BACKUP;
    second->repos[1].key = 2;
    second->repos[1].cipher = CIPHER_AES_256_CBC;
    second->repos[1].code = INFO_STATUS_OTHER;
    second->repos[1].error_text = mem_strdup("[ChecksumError] unable to load\nChecksumError: invalid");
    second->lock_held = true;
    second->lock_percent_complete = -1; /* held, no progress recorded: no percent shown */
    ck_assert_int_eq(info_stanza_status(second), INFO_STATUS_MIXED);

    char *text = render(&report, false);
    ck_assert_str_eq(text, "stanza: alpha\n"
                           "    status: error (database mismatch across repos)\n"
                           "        repo1: ok\n"
                           "        repo2: ok\n"
                           "    cipher: none\n"
                           "\n"
                           "    db (prior)\n"
                           "        wal archive min/max (15): 000000010000000000000001/000000010000000000000008\n"
                           "\n"
                           "        full backup: 20261124-103049F\n"
                           "            timestamp start/stop: 2026-11-24 10:30:49 / 2026-11-24 10:31:01\n"
                           "            wal start/stop: 000000010000000000000003 / 000000010000000000000004\n"
                           "            database size: 44MB, database backup size: 44MB\n"
                           "            repo2: backup set size: 4.8MB, backup size: 4.8MB\n"
                           "\n"
                           "    db (current)\n"
                           "        wal archive min/max (15): 000000010000000000000011/000000010000000000000018\n"
                           "\n"
                           "        full backup: 20261125-103049F\n"
                           "            timestamp start/stop: 2026-11-25 10:30:49 / 2026-11-25 10:31:01\n"
                           "            wal start/stop: 000000010000000000000003 / 000000010000000000000004\n"
                           "            database size: 44MB, database backup size: 44MB\n"
                           "            repo1: backup set size: 4.8MB, backup size: 4.8MB\n"
                           "\n"
                           "stanza: beta\n"
                           "    status: mixed (backup/expire running)\n"
                           "        repo1: error (no valid backups)\n"
                           "        repo2: error (other)\n"
                           "               [ChecksumError] unable to load\n"
                           "               ChecksumError: invalid\n"
                           "    cipher: mixed\n"
                           "        repo1: none\n"
                           "        repo2: aes-256-cbc\n"
                           "\n"
                           "    db (current)\n"
                           "        wal archive min/max (15): 000000010000000000000001/000000010000000000000008\n");
    free(text);

    char *json = render(&report, true);
    JsonValue *root = NULL;
    ck_assert_int_eq(json_parse(json, strlen(json), &root), 0);
    free(json);
    ck_assert_int_eq(root->u.array.count, 2);
    const JsonValue *alpha = root->u.array.items[0], *beta = root->u.array.items[1];
    char *status = json_to_string(json_object_get(alpha, "status"));
    ck_assert_str_eq(status, "{\"code\":5,\"lock\":{\"backup\":{\"held\":false}},"
                             "\"message\":\"database mismatch across repos\"}");
    free(status);
    char *archive = json_to_string(json_object_get(alpha, "archive"));
    ck_assert_str_eq(archive,
                     "[{\"database\":{\"id\":1,\"repo-key\":1},\"id\":\"15-1\",\"max\":\"000000010000000000000008\","
                     "\"min\":\"000000010000000000000001\"},"
                     "{\"database\":{\"id\":2,\"repo-key\":1},\"id\":\"15-2\",\"max\":\"000000010000000000000018\","
                     "\"min\":\"000000010000000000000011\"},"
                     "{\"database\":{\"id\":1,\"repo-key\":2},\"id\":\"15-1\",\"max\":\"000000010000000000000008\","
                     "\"min\":\"000000010000000000000001\"}]");
    free(archive);
    char *repos = json_to_string(json_object_get(beta, "repo"));
    ck_assert_str_eq(repos, "[{\"cipher\":\"none\",\"key\":1,\"status\":{\"code\":2,\"message\":\"no valid backups\"}},"
                            "{\"cipher\":\"aes-256-cbc\",\"key\":2,\"status\":{\"code\":99,\"message\":"
                            "\"[ChecksumError] unable to load\\nChecksumError: invalid\"}}]");
    free(repos);
    status = json_to_string(json_object_get(beta, "status"));
    ck_assert_str_eq(status, "{\"code\":4,\"lock\":{\"backup\":{\"held\":true}},\"message\":\"different across repos\"}");
    free(status);
    char *cipher = json_to_string(json_object_get(beta, "cipher"));
    ck_assert_str_eq(cipher, "\"mixed\"");
    free(cipher);
    json_free(root);
    info_report_free(&report);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("info_render");
    TCase *tcase = tcase_create("info_render");
    tcase_add_checked_fixture(tcase, setup, NULL);
    tcase_add_test(tcase, test_size_format);
    tcase_add_test(tcase, test_render_one_repo);
    tcase_add_test(tcase, test_render_two_repos);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
