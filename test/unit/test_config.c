/* Unit tests: configuration parsing (config/config.h) and log line shape (common/log.h). */
#include <check.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "config/config.h"

extern char **environ;

static char tmp_dir[64];
static char conf_path[128];

static void
clear_pgbackrest_env(void)
{
    for (;;) {
        char **entry = environ;
        while (*entry != NULL && strncmp(*entry, "PGBACKREST_", 11) != 0)
            entry++;
        if (*entry == NULL)
            return;
        char *name = strndup(*entry, (size_t)(strchr(*entry, '=') - *entry));
        unsetenv(name);
        free(name);
    }
}

static void
setup(void)
{
    strcpy(tmp_dir, "/tmp/test_config.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
    snprintf(conf_path, sizeof(conf_path), "%s/pgbackrest.conf", tmp_dir);
    clear_pgbackrest_env();
    log_init(&(LogSettings){LOG_OFF, LOG_OFF, LOG_OFF, false, NULL});
}

static void
teardown(void)
{
    cfg_free();
    clear_pgbackrest_env();
    char command[128];
    snprintf(command, sizeof(command), "rm -rf '%s'", tmp_dir);
    ck_assert_int_eq(system(command), 0);
}

static void
write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    ck_assert_ptr_nonnull(file);
    fputs(text, file);
    fclose(file);
}

/* cfg_load with "--config=<conf_path>" added first; arguments end with NULL. */
static int
load(const char *first, ...)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = "gaiarest";
    char config_arg[160];
    snprintf(config_arg, sizeof(config_arg), "--config=%s", conf_path);
    argv[argc++] = config_arg;
    va_list args;
    va_start(args, first);
    for (const char *arg = first; arg != NULL && argc < 63; arg = va_arg(args, const char *))
        argv[argc++] = (char *)arg;
    va_end(args);
    argv[argc] = NULL;
    return cfg_load(argc, argv);
}

static void
assert_error(ErrorCode code, const char *message)
{
    ck_assert_int_eq(err_code(), code);
    ck_assert_str_eq(err_message(), message);
}

START_TEST(test_precedence)
{
    write_file(conf_path, "[global]\nrepo1-path=/file\nprocess-max=3\nlog-path=/file-log\n");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--pg1-path=/pg", NULL), 0);
    ck_assert_str_eq(cfg_str(OPT_REPO_PATH), "/file");
    ck_assert_int_eq(cfg_source(OPT_REPO_PATH), CFG_SOURCE_CONFIG);
    ck_assert_int_eq(cfg_int(OPT_PROCESS_MAX), 3);
    ck_assert_str_eq(cfg_str(OPT_LOCK_PATH), "/tmp/pgbackrest");
    ck_assert_int_eq(cfg_source(OPT_LOCK_PATH), CFG_SOURCE_DEFAULT);

    setenv("PGBACKREST_REPO1_PATH", "/env", 1);
    ck_assert_int_eq(load("--stanza=demo", "backup", "--pg1-path=/pg", NULL), 0);
    ck_assert_str_eq(cfg_str(OPT_REPO_PATH), "/env");
    ck_assert_int_eq(cfg_source(OPT_REPO_PATH), CFG_SOURCE_ENV);

    ck_assert_int_eq(load("--stanza=demo", "backup", "--pg1-path=/pg", "--repo1-path=/cli", NULL), 0);
    ck_assert_str_eq(cfg_str(OPT_REPO_PATH), "/cli");
    ck_assert_int_eq(cfg_source(OPT_REPO_PATH), CFG_SOURCE_PARAM);

    /* --reset goes back to the default whatever the file and environment say */
    ck_assert_int_eq(load("--stanza=demo", "backup", "--pg1-path=/pg", "--reset-repo1-path", "--reset-process-max",
                          NULL),
                     0);
    ck_assert_str_eq(cfg_str(OPT_REPO_PATH), "/var/lib/pgbackrest");
    ck_assert_int_eq(cfg_int(OPT_PROCESS_MAX), 1);
    char *line = cfg_options_for_log();
    ck_assert_ptr_nonnull(strstr(line, "--reset-process-max"));
    free(line);

    /* "--opt value" form */
    ck_assert_int_eq(load("--stanza", "demo", "backup", "--pg1-path", "/pg", NULL), 0);
    ck_assert_str_eq(cfg_str(OPT_STANZA), "demo");
    ck_assert_str_eq(cfg_command_name(), "backup");
}
END_TEST

START_TEST(test_sections)
{
    write_file(conf_path, "[global]\nprocess-max=2\ncompress-type=lz4\nstart-fast=y\n"
                          "[global:backup]\nprocess-max=4\n"
                          "[demo]\npg1-path=/pg\ncompress-type=zst\n"
                          "[demo:backup]\nprocess-max=5\n"
                          "[other]\nprocess-max=9\n");
    ck_assert_int_eq(load("--stanza=demo", "backup", NULL), 0);
    ck_assert_int_eq(cfg_int(OPT_PROCESS_MAX), 5);
    ck_assert_str_eq(cfg_str(OPT_COMPRESS_TYPE), "zst");
    ck_assert_int_eq(cfg_int(OPT_COMPRESS_LEVEL), 3); /* zst's default level */
    ck_assert(cfg_bool(OPT_START_FAST));
    ck_assert_str_eq(cfg_str(OPT_PG_PATH), "/pg");

    ck_assert_int_eq(load("--stanza=other", "backup", "--pg1-path=/pg", NULL), 0);
    ck_assert_int_eq(cfg_int(OPT_PROCESS_MAX), 9);
    ck_assert_str_eq(cfg_str(OPT_COMPRESS_TYPE), "lz4");

    ck_assert_int_eq(load("--stanza=demo", "restore", NULL), 0);
    ck_assert_int_eq(cfg_int(OPT_PROCESS_MAX), 2);
    ck_assert_str_eq(cfg_str(OPT_TYPE), "default");
    ck_assert(!cfg_has(OPT_START_FAST)); /* not a restore option: ignored */
}
END_TEST

START_TEST(test_indexed)
{
    write_file(conf_path, "[global]\nrepo1-path=/r1\nrepo3-path=/r3\nrepo3-type=s3\nrepo3-s3-bucket=b\n"
                          "repo3-s3-endpoint=e\nrepo3-s3-region=r\nrepo3-s3-key=k\nrepo3-s3-key-secret=s\n");
    ck_assert_int_eq(load("--stanza=demo", "info", "--repo=3", NULL), 0);
    ck_assert_uint_eq(cfg_index_count(OPT_GROUP_REPO), 2);
    ck_assert_uint_eq(cfg_index_key(OPT_GROUP_REPO, 0), 1);
    ck_assert_uint_eq(cfg_index_key(OPT_GROUP_REPO, 1), 3);
    ck_assert_str_eq(cfg_str_idx(OPT_REPO_PATH, 1), "/r3");
    ck_assert_str_eq(cfg_str_idx(OPT_REPO_TYPE, 0), "posix");
    ck_assert_str_eq(cfg_str_idx(OPT_REPO_S3_BUCKET, 1), "b");
    ck_assert(!cfg_has_idx(OPT_REPO_S3_BUCKET, 0));
    ck_assert(!cfg_has_idx(OPT_REPO_S3_URI_STYLE, 0)); /* depends on repo-type=s3 */
    ck_assert_str_eq(cfg_str_idx(OPT_REPO_S3_URI_STYLE, 1), "host");
    ck_assert_uint_eq(cfg_repo_index(), 1);

    ck_assert_int_eq(load("--stanza=demo", "info", "--repo2-path=/r2", NULL), 0);
    ck_assert_uint_eq(cfg_index_count(OPT_GROUP_REPO), 3);
    ck_assert_str_eq(cfg_str_idx(OPT_REPO_PATH, 1), "/r2");

    ck_assert_int_eq(load("--stanza=demo", "info", "--repo257-path=/x", NULL), -1);
    assert_error(ERR_OPTION_INVALID, "option 'repo257-path' key exceeds maximum of 256");
}
END_TEST

START_TEST(test_env_file)
{
    char env_path[160], env_arg[180];
    snprintf(env_path, sizeof(env_path), "%s/gaia.env", tmp_dir);
    snprintf(env_arg, sizeof(env_arg), "--env-file=%s", env_path);
    write_file(conf_path, "[global]\nrepo1-path=/repo\nrepo1-s3-bucket=from-file\n");
    write_file(env_path, "# Gaia settings\n"
                         "export PGBACKREST_STANZA_NAME=gaia\n"
                         "PGBACKREST_R2_BUCKET=\"bucket-1\"\n"
                         "PGBACKREST_R2_ENDPOINT=https://acct.r2.cloudflarestorage.com/\n"
                         "PGBACKREST_R2_ACCESS_KEY_ID='AKID'\n"
                         "PGBACKREST_R2_SECRET_ACCESS_KEY=secret # comment\n"
                         "PGBACKREST_PGDATA=/var/lib/postgresql/15/main\n"
                         "PGBACKREST_PGPORT=5433\n"
                         "PGBACKREST_PGUSER=postgres\n"
                         "OTHER=ignored\n");
    ck_assert_int_eq(load(env_arg, "backup", NULL), 0);
    ck_assert_str_eq(cfg_str(OPT_STANZA), "gaia");
    ck_assert_int_eq(cfg_source(OPT_STANZA), CFG_SOURCE_ENV);
    ck_assert_str_eq(cfg_str(OPT_REPO_TYPE), "s3");
    ck_assert_str_eq(cfg_str(OPT_REPO_S3_BUCKET), "bucket-1");
    ck_assert_str_eq(cfg_str(OPT_REPO_S3_ENDPOINT), "acct.r2.cloudflarestorage.com");
    ck_assert_str_eq(cfg_str(OPT_REPO_S3_KEY), "AKID");
    ck_assert_str_eq(cfg_str(OPT_REPO_S3_KEY_SECRET), "secret");
    ck_assert_str_eq(cfg_str(OPT_REPO_S3_REGION), "auto");
    ck_assert_str_eq(cfg_str(OPT_PG_PATH), "/var/lib/postgresql/15/main");
    ck_assert_int_eq(cfg_int(OPT_PG_PORT), 5433);
    ck_assert_str_eq(cfg_str(OPT_PG_USER), "postgres");
    ck_assert_str_eq(cfg_str(OPT_REPO_PATH), "/repo");

    /* process environment over the file; an endpoint without https:// is kept; a standard name wins */
    setenv("PGBACKREST_R2_ENDPOINT", "host.example", 1);
    setenv("PGBACKREST_R2_REGION", "weur", 1);
    setenv("PGBACKREST_STANZA", "std", 1);
    ck_assert_int_eq(load(env_arg, "backup", NULL), 0);
    ck_assert_str_eq(cfg_str(OPT_REPO_S3_ENDPOINT), "host.example");
    ck_assert_str_eq(cfg_str(OPT_REPO_S3_REGION), "weur");
    ck_assert_str_eq(cfg_str(OPT_STANZA), "std");
    /* the command line stays on top */
    ck_assert_int_eq(load(env_arg, "backup", "--stanza=cli", "--repo1-type=posix", NULL), 0);
    ck_assert_str_eq(cfg_str(OPT_STANZA), "cli");
    ck_assert(!cfg_has(OPT_REPO_S3_BUCKET));
}
END_TEST

START_TEST(test_include_path)
{
    char inc[100], inc_arg[200], path[200];
    snprintf(inc, sizeof(inc), "%s/conf.d", tmp_dir);
    ck_assert_int_eq(mkdir(inc, 0700), 0);
    snprintf(inc_arg, sizeof(inc_arg), "--config-include-path=%s", inc);
    snprintf(path, sizeof(path), "%s/b.conf", inc);
    write_file(path, "[global]\nlog-path=/from-b\n");
    snprintf(path, sizeof(path), "%s/a.conf", inc);
    write_file(path, "[global]\nlock-path=/from-a\n");
    snprintf(path, sizeof(path), "%s/c.txt", inc);
    write_file(path, "[global]\nspool-path=/ignored\n");
    write_file(conf_path, "[global]\nrepo1-path=/main\n");

    ck_assert_int_eq(load(inc_arg, "--stanza=demo", "archive-push", NULL), 0);
    ck_assert_str_eq(cfg_str(OPT_REPO_PATH), "/main");
    ck_assert_str_eq(cfg_str(OPT_LOCK_PATH), "/from-a");
    ck_assert_str_eq(cfg_str(OPT_LOG_PATH), "/from-b");
    ck_assert_str_eq(cfg_str(OPT_SPOOL_PATH), "/var/spool/pgbackrest");

    /* --config alone: no include directory */
    ck_assert_int_eq(load("--stanza=demo", "archive-push", NULL), 0);
    ck_assert_str_eq(cfg_str(OPT_LOCK_PATH), "/tmp/pgbackrest");

    /* --config-path: <path>/pgbackrest.conf and <path>/conf.d */
    char *argv[] = {"gaiarest", mem_printf("--config-path=%s", tmp_dir), "--stanza=demo", "archive-push", NULL};
    ck_assert_int_eq(cfg_load(4, argv), 0);
    ck_assert_str_eq(cfg_str(OPT_REPO_PATH), "/main");
    ck_assert_str_eq(cfg_str(OPT_LOCK_PATH), "/from-a");
    free(argv[1]);

    ck_assert_int_eq(load("--config-include-path=/nonexistent-dir", "--stanza=demo", "archive-push", NULL), -1);
    assert_error(ERR_PATH_MISSING, "unable to list file info for missing path '/nonexistent-dir'");
}
END_TEST

START_TEST(test_bad_values)
{
    write_file(conf_path, "[global]\nrepo1-path=/repo\n[demo]\npg1-path=/pg\n");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--start-fast=yes", NULL), -1);
    assert_error(ERR_OPTION_INVALID_VALUE, "boolean option '--start-fast' argument must be 'y' or 'n'");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--process-max=0", NULL), -1);
    assert_error(ERR_OPTION_INVALID_VALUE, "'0' is out of range for 'process-max' option");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--process-max=1.5", NULL), -1);
    assert_error(ERR_OPTION_INVALID_VALUE, "'1.5' is not valid for 'process-max' option");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--buffer-size=4x", NULL), -1);
    assert_error(ERR_OPTION_INVALID_VALUE, "'4x' is not valid for 'buffer-size' option");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--buffer-size=3000000", NULL), -1);
    assert_error(ERR_OPTION_INVALID_VALUE, "'3000000' is not allowed for 'buffer-size' option");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--io-timeout=0.01", NULL), -1);
    assert_error(ERR_OPTION_INVALID_VALUE, "'0.01' is out of range for 'io-timeout' option");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--type=weekly", NULL), -1);
    assert_error(ERR_OPTION_INVALID_VALUE, "'weekly' is not allowed for 'type' option");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--repo1-path=relative", NULL), -1);
    assert_error(ERR_OPTION_INVALID_VALUE, "'relative' must begin with / for 'repo1-path' option");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--compress-type=bz2", "--compress-level=0", NULL), -1);
    assert_error(ERR_OPTION_INVALID_VALUE,
                 "'0' is out of range for 'compress-level' option when 'compress-type' option = 'bz2'");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--bogus", NULL), -1);
    assert_error(ERR_OPTION_INVALID, "invalid option '--bogus'");
    ck_assert_int_eq(load("--stanza=demo", "info", "--start-fast", NULL), -1);
    assert_error(ERR_OPTION_INVALID, "option 'start-fast' not valid for command 'info'");
    ck_assert_int_eq(load("--stanza=demo", "info", "--repo1-cipher-pass=x", NULL), -1);
    assert_error(ERR_OPTION_INVALID, "option 'repo1-cipher-pass' is not allowed on the command-line");
    ck_assert_ptr_nonnull(err_hint_text());
    ck_assert_int_eq(load("--stanza=demo", "info", "--repo1-s3-key-secret=x", NULL), -1);
    assert_error(ERR_OPTION_INVALID, "option 'repo1-s3-key-secret' is not allowed on the command-line");
    ck_assert_int_eq(load("backup", NULL), -1);
    assert_error(ERR_OPTION_REQUIRED, "backup command requires option: stanza");
    ck_assert_int_eq(load("--stanza=nopg", "backup", NULL), -1);
    assert_error(ERR_OPTION_REQUIRED, "backup command requires option: pg1-path");
    ck_assert_int_eq(load("--stanza=demo", "info", "--repo1-cipher-type=aes-256-cbc", NULL), -1);
    assert_error(ERR_OPTION_REQUIRED, "info command requires option: repo1-cipher-pass");
    ck_assert_int_eq(load("--stanza=demo", "info", "--repo1-s3-bucket=b", NULL), -1);
    assert_error(ERR_OPTION_INVALID, "option 'repo1-s3-bucket' not valid without option 'repo1-type' = 's3'");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--process-max=2", "--process-max=3", NULL), -1);
    assert_error(ERR_OPTION_INVALID, "option 'process-max' cannot be set multiple times");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--process-max=2", "--reset-process-max", NULL), -1);
    assert_error(ERR_OPTION_INVALID, "option 'process-max' cannot be set and reset");
    ck_assert_int_eq(load("--stanza=demo", "backup", "--no-process-max", NULL), -1);
    assert_error(ERR_OPTION_INVALID, "option 'no-process-max' cannot be negated");
    /* remote hosts: refused wherever they are set, not warned about and ignored */
    ck_assert_int_eq(load("--stanza=demo", "info", "--repo1-host=backup.example", NULL), -1);
    assert_error(ERR_FEATURE_NOT_SUPPORTED,
                 "option 'repo1-host' (command line) names a remote host, which gaiarest does not support");
    ck_assert_ptr_nonnull(err_hint_text());
    setenv("PGBACKREST_REPO_HOST_USER", "pgbackrest", 1);
    ck_assert_int_eq(load("--stanza=demo", "info", NULL), -1);
    assert_error(ERR_FEATURE_NOT_SUPPORTED,
                 "option 'repo-host-user' (environment) names a remote host, which gaiarest does not support");
    unsetenv("PGBACKREST_REPO_HOST_USER");
    ck_assert_int_eq(load("--stanza=demo", "bogus", NULL), -1);
    assert_error(ERR_COMMAND_INVALID, "invalid command 'bogus'");
    ck_assert_int_eq(load("--stanza=demo", NULL), -1);
    assert_error(ERR_COMMAND_REQUIRED, "no command found");

    setenv("PGBACKREST_START_FAST", "x", 1);
    ck_assert_int_eq(load("--stanza=demo", "backup", NULL), -1);
    assert_error(ERR_OPTION_INVALID_VALUE, "environment boolean option 'start-fast' must be 'y' or 'n'");
    unsetenv("PGBACKREST_START_FAST");

    write_file(conf_path, "[global]\nrepo1-path=/repo\n[demo]\npg1-path=/pg\npg2-host=standby\n");
    ck_assert_int_eq(load("--stanza=demo", "backup", NULL), -1);
    assert_error(ERR_FEATURE_NOT_SUPPORTED,
                 "option 'pg2-host' (configuration file) names a remote host, which gaiarest does not support");
    /* an option that only starts like one is not taken for it */
    write_file(conf_path, "[global]\nrepo1-path=/repo\nrepo1-hostile=1\n[demo]\npg1-path=/pg\n");
    ck_assert_int_eq(load("--stanza=demo", "backup", NULL), 0);

    write_file(conf_path, "[global]\nprocess-max=2\nprocess-max=3\n[demo]\npg1-path=/pg\n");
    ck_assert_int_eq(load("--stanza=demo", "backup", NULL), -1);
    assert_error(ERR_OPTION_INVALID, "option 'process-max' cannot be set multiple times");

    char *argv[] = {"gaiarest", "--config=/nonexistent.conf", "--stanza=demo", "backup", NULL};
    ck_assert_int_eq(cfg_load(4, argv), -1);
    assert_error(ERR_FILE_MISSING, "unable to open missing file '/nonexistent.conf' for read");
}
END_TEST

START_TEST(test_types_and_lists)
{
    write_file(conf_path, "[global]\nrepo1-path=/repo\nbuffer-size=4MiB\narchive-get-queue-max=2GB\n"
                          "[demo]\npg1-path=/pg\nrecovery-option=primary_conninfo=host=x\nrecovery-option=a=b\n"
                          "db-include=db1\ndb-include=db2\n");
    setenv("PGBACKREST_EXCLUDE", "x:y", 1);
    ck_assert_int_eq(load("--stanza=demo", "restore", "--io-timeout=1.5", NULL), 0);
    ck_assert_int_eq(cfg_int(OPT_BUFFER_SIZE), 4 * 1024 * 1024);
    ck_assert_int_eq(cfg_int(OPT_IO_TIMEOUT), 1500);
    ck_assert(!cfg_has(OPT_DB_TIMEOUT)); /* not a restore option */
    ck_assert_int_eq(load("--stanza=demo", "restore", "--db-timeout=90", NULL), -1);
    assert_error(ERR_OPTION_INVALID, "option 'db-timeout' not valid for command 'restore'");
    ck_assert_int_eq(load("--stanza=demo", "restore", NULL), 0);
    const char *const *values;
    ck_assert_uint_eq(cfg_list(OPT_RECOVERY_OPTION, &values), 2);
    ck_assert_str_eq(values[0], "primary_conninfo=host=x");
    ck_assert_str_eq(values[1], "a=b");
    ck_assert_uint_eq(cfg_list(OPT_DB_INCLUDE, &values), 2);
    ck_assert_str_eq(values[1], "db2");

    ck_assert_int_eq(load("--stanza=demo", "archive-get", "000000010000000000000001", "pg_wal/RECOVERYXLOG",
                          "--archive-timeout=0.5", NULL),
                     0);
    ck_assert_int_eq(cfg_int(OPT_ARCHIVE_GET_QUEUE_MAX), 2LL * 1024 * 1024 * 1024);
    ck_assert_int_eq(cfg_int(OPT_ARCHIVE_TIMEOUT), 500);
    ck_assert_uint_eq(cfg_param_count(), 2);
    ck_assert_str_eq(cfg_param(1), "pg_wal/RECOVERYXLOG");

    ck_assert_int_eq(load("--stanza=demo", "backup", "--exclude=a", "--exclude=b", "--manifest-save-threshold=1k",
                          NULL),
                     0);
    ck_assert_uint_eq(cfg_list(OPT_EXCLUDE, &values), 2);
    ck_assert_int_eq(cfg_int(OPT_MANIFEST_SAVE_THRESHOLD), 1024);
    unsetenv("PGBACKREST_EXCLUDE");
    ck_assert_int_eq(load("--stanza=demo", "backup", NULL), 0);
    ck_assert_int_eq(cfg_int(OPT_BUFFER_SIZE), 4 * 1024 * 1024);
    ck_assert_int_eq(cfg_int(OPT_MANIFEST_SAVE_THRESHOLD), 1024LL * 1024 * 1024);
}
END_TEST

START_TEST(test_options_for_log)
{
    write_file(conf_path, "[global]\nrepo1-path=/repo\nrepo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=topsecret\n"
                          "[demo]\npg1-path=/pg\n");
    setenv("PGBACKREST_REPO1_S3_KEY", "AKIDSECRET", 1);
    ck_assert_int_eq(load("--stanza=demo", "backup", "--no-log-timestamp", "--start-fast", "--exclude=a",
                          "--exclude=b", NULL),
                     0);
    char *line = cfg_options_for_log();
    ck_assert_ptr_null(strstr(line, "topsecret"));
    ck_assert_ptr_null(strstr(line, "AKIDSECRET"));
    ck_assert_ptr_nonnull(strstr(line, "--repo1-cipher-pass=<redacted>"));
    ck_assert_ptr_nonnull(strstr(line, "--exclude=a --exclude=b"));
    ck_assert_ptr_nonnull(strstr(line, " --no-log-timestamp --pg1-path=/pg "));
    ck_assert_ptr_nonnull(strstr(line, "--stanza=demo --start-fast"));
    ck_assert_ptr_nonnull(strstr(line, "--exec-id="));
    ck_assert_int_eq(strncmp(line, "--config=", 9), 0);
    free(line);

    /* Positional parameters come first, in brackets. */
    ck_assert_int_eq(load("--stanza=demo", "archive-get", "000000010000000000000001", "pg_wal/RECOVERYXLOG", NULL), 0);
    line = cfg_options_for_log();
    ck_assert_int_eq(strncmp(line, "[000000010000000000000001, pg_wal/RECOVERYXLOG] --config=", 57), 0);
    free(line);
}
END_TEST

START_TEST(test_log_format)
{
    char log_path[160];
    snprintf(log_path, sizeof(log_path), "%s/sub/dir/demo-backup.log", tmp_dir);
    LogSettings settings = {LOG_OFF, LOG_OFF, LOG_INFO, true, log_path};
    ck_assert_int_eq(log_init(&settings), 0);
    LOG_INFO("backup command begin %s: --stanza=demo", "0.1.0");
    LOG_DEBUG("not written");
    LOG_ERROR("[055]: first line\nHINT: second line");
    log_close();
    ck_assert_int_eq(log_init(&settings), 0);
    LOG_WARN("again");
    log_close();

    FILE *file = fopen(log_path, "r");
    ck_assert_ptr_nonnull(file);
    char text[4096];
    size_t size = fread(text, 1, sizeof(text) - 1, file);
    fclose(file);
    text[size] = '\0';
    regex_t re;
    ck_assert_int_eq(
        regcomp(&re,
                "^-------------------PROCESS START-------------------\n"
                "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} P00   INFO: backup command begin "
                "0\\.1\\.0: --stanza=demo\n"
                "[0-9-]{10} [0-9:.]{12} P00  ERROR: \\[055\\]: first line\n"
                " {36}HINT: second line\n"
                "\n-------------------PROCESS START-------------------\n"
                "[0-9-]{10} [0-9:.]{12} P00   WARN: again\n$",
                REG_EXTENDED),
        0);
    ck_assert_msg(regexec(&re, text, 0, NULL, 0) == 0, "unexpected log file:\n%s", text);
    regfree(&re);

    ck_assert_int_eq(log_level_parse("detail"), LOG_DETAIL);
    ck_assert_int_eq(log_level_parse("loud"), -1);
    ck_assert_str_eq(log_level_name(LOG_WARN), "warn");
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_precedence);
    tcase_add_test(tc, test_sections);
    tcase_add_test(tc, test_indexed);
    tcase_add_test(tc, test_env_file);
    tcase_add_test(tc, test_include_path);
    tcase_add_test(tc, test_bad_values);
    tcase_add_test(tc, test_types_and_lists);
    tcase_add_test(tc, test_options_for_log);
    tcase_add_test(tc, test_log_format);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
