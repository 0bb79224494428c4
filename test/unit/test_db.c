/* Unit tests for engine/pg/db against a real PostgreSQL 15 cluster started for the suite. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "engine/pg/db.h"

#define PG_BIN "/usr/lib/postgresql/15/bin"

static char cluster_dir[64];
static char data_dir[128];
static unsigned cluster_port;

/* ---------------------------------------------------------------------------------------------------------------
 * Fixture: a cluster in a temp dir, unix socket in that dir, archive_command=/bin/true
 * ------------------------------------------------------------------------------------------------------------- */

static const char *
as_postgres(void)
{
    return geteuid() == 0 ? "runuser -u postgres -- " : "";
}

/* A TCP port nobody is bound to right now (the server only uses it to name its socket). */
static unsigned
free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&address, sizeof(address)), 0);
    socklen_t length = sizeof(address);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&address, &length), 0);
    close(fd);
    return ntohs(address.sin_port);
}

static void
run(const char *command)
{
    int status = system(command);
    if (status != 0)
        fprintf(stderr, "command failed (%d): %s\n", status, command);
    ck_assert_int_eq(status, 0);
}

/* Make `path` belong to the postgres user (when running as root). */
static void
chown_postgres(const char *path)
{
    if (geteuid() != 0)
        return;
    struct passwd *user = getpwnam("postgres");
    ck_assert_ptr_nonnull(user);
    ck_assert_int_eq(chown(path, user->pw_uid, user->pw_gid), 0);
}

static void
cluster_start(void)
{
    strcpy(cluster_dir, "/tmp/gaiarest-test-db-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(cluster_dir));
    ck_assert_int_eq(chmod(cluster_dir, 0777), 0);
    snprintf(data_dir, sizeof(data_dir), "%s/data", cluster_dir);
    cluster_port = free_port();

    char command[1024];
    snprintf(command, sizeof(command), "%s" PG_BIN "/initdb -k -D %s -A trust -U postgres >%s/initdb.log 2>&1",
             as_postgres(), data_dir, cluster_dir);
    run(command);

    char conf_path[256];
    snprintf(conf_path, sizeof(conf_path), "%s/postgresql.conf", data_dir);
    FILE *conf = fopen(conf_path, "a");
    ck_assert_ptr_nonnull(conf);
    fprintf(conf,
            "port = %u\nlisten_addresses = ''\nunix_socket_directories = '%s'\n"
            "archive_mode = on\narchive_command = '/bin/true'\nfsync = off\n",
            cluster_port, cluster_dir);
    ck_assert_int_eq(fclose(conf), 0);

    snprintf(command, sizeof(command), "%s" PG_BIN "/pg_ctl -D %s -l %s/server.log -w -t 60 start >/dev/null 2>&1",
             as_postgres(), data_dir, cluster_dir);
    run(command);
}

/* Stop the postmaster by the pid in postmaster.pid (fast shutdown, then harder) and remove the directory. */
static void
cluster_stop(void)
{
    char pid_path[256];
    snprintf(pid_path, sizeof(pid_path), "%s/postmaster.pid", data_dir);
    FILE *pid_file = fopen(pid_path, "r");
    if (pid_file != NULL) {
        long pid = 0;
        if (fscanf(pid_file, "%ld", &pid) == 1 && pid > 1) {
            kill((pid_t)pid, SIGINT);
            for (int wait = 0; wait < 300 && kill((pid_t)pid, 0) == 0; wait++)
                usleep(100 * 1000);
            if (kill((pid_t)pid, 0) == 0) {
                kill((pid_t)pid, SIGQUIT);
                usleep(1000 * 1000);
            }
        }
        fclose(pid_file);
    }
    char command[256];
    snprintf(command, sizeof(command), "rm -rf %s", cluster_dir);
    run(command);
}

/* ---------------------------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------------------------- */

static PgDbOptions
options_default(void)
{
    PgDbOptions options = {
        .path = data_dir,
        .port = cluster_port,
        .socket_path = cluster_dir,
        .user = "postgres",
        .timeout_ms = 60 * 1000,
        .command = "test",
    };
    return options;
}

static PgDb *
connect_default(void)
{
    PgDbOptions options = options_default();
    PgDb *db = NULL;
    int rc = pg_db_connect(&options, &db);
    if (rc != 0)
        fprintf(stderr, "connect failed: [%d] %s\n", err_code(), err_message());
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(db);
    return db;
}

/* Run SQL on a separate plain libpq session (for setup the module does not offer). */
static void
sql_exec(const char *sql)
{
    char conninfo[256];
    snprintf(conninfo, sizeof(conninfo), "host=%s port=%u user=postgres dbname=postgres", cluster_dir, cluster_port);
    PGconn *conn = PQconnectdb(conninfo);
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    PGresult *res = PQexec(conn, sql);
    ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    PQfinish(conn);
}

/* The "Database system identifier" line of pg_controldata. */
static unsigned long long
controldata_system_id(void)
{
    char command[512];
    snprintf(command, sizeof(command), "%s" PG_BIN "/pg_controldata -D %s", as_postgres(), data_dir);
    FILE *pipe = popen(command, "r");
    ck_assert_ptr_nonnull(pipe);
    char line[512];
    unsigned long long system_id = 0;
    while (fgets(line, sizeof(line), pipe) != NULL) {
        const char *prefix = "Database system identifier:";
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            system_id = strtoull(line + strlen(prefix), NULL, 10);
    }
    ck_assert_int_eq(pclose(pipe), 0);
    ck_assert_uint_ne(system_id, 0);
    return system_id;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------------------------------------------- */

START_TEST(test_connect_facts)
{
    PgDb *db = connect_default();
    const PgDbFacts *facts = pg_db_facts(db);
    ck_assert_uint_ge(facts->version_num, 150000);
    ck_assert_uint_lt(facts->version_num, 160000);
    ck_assert_str_eq(facts->version, "15");
    ck_assert_uint_eq(facts->system_id, controldata_system_id());
    ck_assert(facts->data_checksums);
    ck_assert(!facts->in_recovery);
    ck_assert_uint_eq(facts->wal_segment_size, 16u * 1024 * 1024);
    ck_assert_str_eq(facts->archive_mode, "on");
    ck_assert_str_eq(facts->archive_command, "/bin/true");
    ck_assert_str_eq(facts->data_directory, data_dir);
    ck_assert_uint_eq(facts->timeline, 1);
    pg_db_free(db);

    /* pg1-path through a symlink resolves to the same directory; the version from pg_control matches. */
    char link_path[256];
    snprintf(link_path, sizeof(link_path), "%s/link", cluster_dir);
    ck_assert_int_eq(symlink(data_dir, link_path), 0);
    PgDbOptions options = options_default();
    options.path = link_path;
    options.version_num_expected = 150000;
    ck_assert_int_eq(pg_db_connect(&options, &db), 0);
    pg_db_free(db);
    ck_assert_int_eq(unlink(link_path), 0);

    /* Defaults: no database and no command given. */
    options = options_default();
    options.database = NULL;
    options.command = NULL;
    options.timeout_ms = 0;
    ck_assert_int_eq(pg_db_connect(&options, &db), 0);
    pg_db_free(db);
}
END_TEST

START_TEST(test_connect_mismatch)
{
    PgDbOptions options = options_default();
    options.path = cluster_dir; /* the parent of the data directory */
    PgDb *db = NULL;
    ck_assert_int_eq(pg_db_connect(&options, &db), -1);
    ck_assert_ptr_null(db);
    ck_assert_int_eq(err_code(), ERR_DB_MISMATCH);
    ck_assert_ptr_nonnull(strstr(err_message(), "queried from cluster do not match"));
    ck_assert_ptr_nonnull(strstr(err_message(), data_dir));
    ck_assert_ptr_nonnull(err_hint_text());
    ck_assert_ptr_nonnull(strstr(err_hint_text(), "pg1-path"));

    /* With the pg_control version, the message has pgBackRest's shape. */
    options.version_num_expected = 150000;
    ck_assert_int_eq(pg_db_connect(&options, &db), -1);
    ck_assert_int_eq(err_code(), ERR_DB_MISMATCH);
    char expected[512];
    snprintf(expected, sizeof(expected),
             "version '15' and path '%s' queried from cluster do not match version '15' and '%s' read from "
             "'%s/global/pg_control'",
             data_dir, cluster_dir, cluster_dir);
    ck_assert_str_eq(err_message(), expected);

    /* Right path, wrong version. */
    options = options_default();
    options.version_num_expected = 140000;
    ck_assert_int_eq(pg_db_connect(&options, &db), -1);
    ck_assert_int_eq(err_code(), ERR_DB_MISMATCH);
    ck_assert_ptr_nonnull(strstr(err_message(), "version '14'"));
}
END_TEST

START_TEST(test_connect_wrong_port)
{
    PgDbOptions options = options_default();
    options.port = cluster_port == 65535 ? cluster_port - 1 : cluster_port + 1;
    PgDb *db = NULL;
    ck_assert_int_eq(pg_db_connect(&options, &db), -1);
    ck_assert_ptr_null(db);
    ck_assert_int_eq(err_code(), ERR_DB_CONNECT);
    char port_text[32];
    snprintf(port_text, sizeof(port_text), "port=%u", options.port);
    ck_assert_ptr_nonnull(strstr(err_message(), port_text));
    ck_assert_ptr_nonnull(strstr(err_message(), "dbname='postgres'"));
    ck_assert_ptr_nonnull(strstr(err_message(), cluster_dir));
    ck_assert_ptr_nonnull(strstr(err_message(), "No such file or directory")); /* libpq's own words */
    ck_assert_ptr_nonnull(err_hint_text());
    snprintf(port_text, sizeof(port_text), "port %u", options.port);
    ck_assert_ptr_nonnull(strstr(err_hint_text(), port_text));

    /* A database that does not exist: the server answers, the connection is still refused. */
    options = options_default();
    options.database = "no_such_db";
    ck_assert_int_eq(pg_db_connect(&options, &db), -1);
    ck_assert_int_eq(err_code(), ERR_DB_CONNECT);
    ck_assert_ptr_nonnull(strstr(err_message(), "no_such_db"));
}
END_TEST

START_TEST(test_version_check)
{
    ck_assert_int_eq(pg_db_version_check(120000), 0);
    ck_assert_int_eq(pg_db_version_check(150004), 0);
    ck_assert_int_eq(pg_db_version_check(170002), 0);
    ck_assert_int_eq(pg_db_version_check(110021), -1);
    ck_assert_int_eq(err_code(), ERR_VERSION_NOT_SUPPORTED);
    ck_assert_ptr_nonnull(strstr(err_message(), "version 11 "));
    ck_assert_int_eq(pg_db_version_check(90624), -1);
    ck_assert_int_eq(err_code(), ERR_VERSION_NOT_SUPPORTED);
    ck_assert_int_eq(pg_db_version_check(180000), -1);
    ck_assert_int_eq(err_code(), ERR_VERSION_NOT_SUPPORTED);
    ck_assert_ptr_nonnull(strstr(err_message(), "version 18 "));
}
END_TEST

START_TEST(test_switch_wal_archived)
{
    PgDb *db = connect_default();
    char wal_file[WAL_SEGMENT_NAME_SIZE + 1];
    ck_assert_int_eq(pg_db_switch_wal(db, wal_file), 0);
    ck_assert(wal_is_segment_name(wal_file));
    ck_assert_int_eq(strncmp(wal_file, "00000001", 8), 0);

    /* archive_command=/bin/true succeeds, so the server reports the segment archived shortly. */
    PgDbArchiverStat stat = {0};
    for (int wait = 0; wait < 100; wait++) {
        ck_assert_int_eq(pg_db_archiver_stat(db, &stat), 0);
        if (strcmp(stat.last_archived_wal, wal_file) >= 0 && stat.last_archived_wal[0] != '\0')
            break;
        usleep(100 * 1000);
    }
    ck_assert_str_eq(stat.last_archived_wal, wal_file);
    ck_assert_uint_ge(stat.archived_count, 1);
    ck_assert_int_gt(stat.last_archived_time, time(NULL) - 600);
    ck_assert_uint_eq(stat.failed_count, 0);
    ck_assert_str_eq(stat.last_failed_wal, "");
    ck_assert_int_eq(stat.last_failed_time, 0);

    /* With nothing written in between, a second switch still closes a new (later) segment. */
    char next_file[WAL_SEGMENT_NAME_SIZE + 1];
    ck_assert_int_eq(pg_db_switch_wal(db, next_file), 0);
    ck_assert_int_gt(strcmp(next_file, wal_file), 0);

    /* The current position is not before the segment just closed (right after a switch it is the boundary,
     * which PostgreSQL names by the segment it ends). */
    char lsn[PG_DB_LSN_SIZE];
    char current[WAL_SEGMENT_NAME_SIZE + 1];
    ck_assert_int_eq(pg_db_current_wal(db, lsn, current), 0);
    ck_assert_int_ge(strcmp(current, next_file), 0);
    ck_assert_ptr_nonnull(strchr(lsn, '/'));
    char named[WAL_SEGMENT_NAME_SIZE + 1];
    ck_assert_int_eq(pg_db_wal_file_name(db, lsn, named), 0);
    ck_assert_str_eq(named, current);
    ck_assert_int_eq(pg_db_current_wal(db, NULL, current), 0);
    pg_db_free(db);
}
END_TEST

START_TEST(test_backup_start_stop)
{
    PgDb *db = connect_default();
    PgDbBackupStart start;
    ck_assert_int_eq(pg_db_backup_start(db, NULL, true, &start), 0);
    ck_assert(wal_is_segment_name(start.wal_file));
    char named[WAL_SEGMENT_NAME_SIZE + 1];
    ck_assert_int_eq(pg_db_wal_file_name(db, start.lsn, named), 0);
    ck_assert_str_eq(named, start.wal_file);

    /* A second start on the same session is refused by the server. */
    PgDbBackupStart again;
    ck_assert_int_eq(pg_db_backup_start(db, "again", true, &again), -1);
    ck_assert_int_eq(err_code(), ERR_DB_QUERY);

    PgDbBackupStop stop;
    ck_assert_int_eq(pg_db_backup_stop(db, &stop), 0);
    ck_assert_uint_le(start.lsn_value, stop.lsn_value);
    ck_assert(wal_is_segment_name(stop.wal_file));
    ck_assert_int_le(strcmp(start.wal_file, stop.wal_file), 0);
    ck_assert_ptr_nonnull(stop.backup_label);
    ck_assert_ptr_nonnull(strstr(stop.backup_label, "START WAL LOCATION"));
    ck_assert_ptr_nonnull(strstr(stop.backup_label, start.wal_file));
    ck_assert_ptr_nonnull(strstr(stop.backup_label, start.lsn));
    ck_assert_ptr_nonnull(strstr(stop.backup_label, "LABEL: gaiarest backup started at "));
    ck_assert_ptr_nonnull(strstr(stop.backup_label, "BACKUP METHOD: streamed"));
    ck_assert_ptr_null(stop.tablespace_map);
    pg_db_backup_stop_free(&stop);
    pg_db_backup_stop_free(&stop); /* safe twice */

    /* Stop without a backup in progress. */
    ck_assert_int_eq(pg_db_backup_stop(db, &stop), -1);
    ck_assert_int_eq(err_code(), ERR_DB_QUERY);
    ck_assert_ptr_nonnull(strstr(err_message(), "pg_backup_stop(false)'"));
    ck_assert_ptr_nonnull(strstr(err_message(), "backup is not in progress"));

    /* A spread checkpoint with a given label. */
    ck_assert_int_eq(pg_db_backup_start(db, "my label", false, &start), 0);
    ck_assert_int_eq(pg_db_backup_stop(db, &stop), 0);
    ck_assert_ptr_nonnull(strstr(stop.backup_label, "LABEL: my label\n"));
    pg_db_backup_stop_free(&stop);
    pg_db_free(db);
}
END_TEST

START_TEST(test_database_list)
{
    PgDb *db = connect_default();
    PgDbDatabaseList list;
    ck_assert_int_eq(pg_db_database_list(db, &list), 0);
    ck_assert_uint_eq(list.count, 3);
    ck_assert_str_eq(list.items[0].name, "postgres");
    ck_assert_str_eq(list.items[1].name, "template0");
    ck_assert_str_eq(list.items[2].name, "template1");
    ck_assert_uint_eq(list.items[2].oid, 1);
    uint32_t template0 = list.items[1].oid;
    ck_assert_uint_eq(template0, 4); /* fixed by initdb in PostgreSQL 15 */
    ck_assert_uint_eq(list.items[0].oid, 5);
    for (size_t index = 0; index < list.count; index++)
        ck_assert_uint_eq(list.items[index].last_system_id, template0);
    pg_db_database_list_free(&list);
    ck_assert_ptr_null(list.items);
    pg_db_free(db);
}
END_TEST

START_TEST(test_tablespace_list)
{
    PgDb *db = connect_default();
    PgDbTablespaceList list;
    ck_assert_int_eq(pg_db_tablespace_list(db, &list), 0);
    ck_assert_uint_eq(list.count, 0);
    pg_db_tablespace_list_free(&list);

    char location[256];
    snprintf(location, sizeof(location), "%s/ts1", cluster_dir);
    ck_assert_int_eq(mkdir(location, 0700), 0);
    chown_postgres(location);
    char sql[512];
    snprintf(sql, sizeof(sql), "create tablespace ts1 location '%s'", location);
    sql_exec(sql);

    ck_assert_int_eq(pg_db_tablespace_list(db, &list), 0);
    ck_assert_uint_eq(list.count, 1);
    ck_assert_str_eq(list.items[0].name, "ts1");
    ck_assert_str_eq(list.items[0].location, location);
    ck_assert_uint_ge(list.items[0].oid, 16384);

    /* With a tablespace, backup stop returns a tablespace_map "<oid> <location>". */
    PgDbBackupStart start;
    PgDbBackupStop stop;
    ck_assert_int_eq(pg_db_backup_start(db, NULL, true, &start), 0);
    ck_assert_int_eq(pg_db_backup_stop(db, &stop), 0);
    ck_assert_ptr_nonnull(stop.tablespace_map);
    char map_line[512];
    snprintf(map_line, sizeof(map_line), "%u %s\n", list.items[0].oid, location);
    ck_assert_str_eq(stop.tablespace_map, map_line);
    pg_db_backup_stop_free(&stop);
    pg_db_tablespace_list_free(&list);
    pg_db_free(db);

    sql_exec("drop tablespace ts1");
}
END_TEST

START_TEST(test_query_error)
{
    PgDb *db = connect_default();
    char wal_file[WAL_SEGMENT_NAME_SIZE + 1];
    ck_assert_int_eq(pg_db_wal_file_name(db, "not-an-lsn", wal_file), -1);
    ck_assert_int_eq(err_code(), ERR_DB_QUERY);
    ck_assert_ptr_nonnull(strstr(err_message(), "unable to execute query 'select pg_catalog.pg_walfile_name("));
    ck_assert_ptr_nonnull(strstr(err_message(), "invalid input syntax for type pg_lsn"));
    ck_assert_int_ne(err_message()[strlen(err_message()) - 1], '\n');

    /* The session is still usable after a failed query. */
    ck_assert_int_eq(pg_db_wal_file_name(db, "0/3000028", wal_file), 0);
    ck_assert_str_eq(wal_file, "000000010000000000000003");
    pg_db_free(db);
}
END_TEST

START_TEST(test_time_and_checkpoint)
{
    PgDb *db = connect_default();
    int64_t server_ms = 0;
    struct timespec now;
    ck_assert_int_eq(pg_db_time_ms(db, &server_ms), 0);
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t local_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    ck_assert_int_le(server_ms, local_ms);
    ck_assert_int_gt(server_ms, local_ms - 5000);

    int64_t later_ms = 0;
    usleep(20 * 1000);
    ck_assert_int_eq(pg_db_time_ms(db, &later_ms), 0);
    ck_assert_int_ge(later_ms - server_ms, 20);

    ck_assert_int_eq(pg_db_checkpoint(db), 0);
    pg_db_free(db);
    pg_db_free(NULL);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("db");
    TCase *tcase = tcase_create("db");
    tcase_add_unchecked_fixture(tcase, cluster_start, cluster_stop);
    tcase_set_timeout(tcase, 120);
    tcase_add_test(tcase, test_version_check);
    tcase_add_test(tcase, test_connect_facts);
    tcase_add_test(tcase, test_connect_mismatch);
    tcase_add_test(tcase, test_connect_wrong_port);
    tcase_add_test(tcase, test_switch_wal_archived);
    tcase_add_test(tcase, test_backup_start_stop);
    tcase_add_test(tcase, test_database_list);
    tcase_add_test(tcase, test_tablespace_list);
    tcase_add_test(tcase, test_query_error);
    tcase_add_test(tcase, test_time_and_checkpoint);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
