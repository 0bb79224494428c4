/* db: libpq session and queries (see db.h). */
#include "engine/pg/db.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/mem.h"

#define SQL_SHOWN_MAX 160       /* characters of a statement quoted in an error message */
#define RESTORE_POINT_NAME "gaiarest Archive Check"

struct PgDb {
    PGconn *conn;
    char *description; /* "dbname='postgres' port=5432 host='/tmp'" for messages */
    PgDbFacts facts;
};

/* ---------------------------------------------------------------------------------------------------------------
 * Query helpers
 * ------------------------------------------------------------------------------------------------------------- */

/* The statement on one line, cut to SQL_SHOWN_MAX characters. */
static void
sql_shorten(const char *sql, char *out, size_t out_size)
{
    size_t used = 0;
    bool space = false;
    for (const char *cursor = sql; *cursor != '\0'; cursor++) {
        bool is_space = *cursor == ' ' || *cursor == '\n' || *cursor == '\t' || *cursor == '\r';
        if (is_space) {
            space = used > 0;
            continue;
        }
        if (used + (space ? 2 : 1) + 4 > out_size || used >= SQL_SHOWN_MAX) {
            memcpy(out + used, "...", 4);
            return;
        }
        if (space)
            out[used++] = ' ';
        space = false;
        out[used++] = *cursor;
    }
    out[used] = '\0';
}

/* libpq's message without its trailing newline(s). */
static void
pq_message_trim(const char *message, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s", message != NULL && message[0] != '\0' ? message : "no message from libpq");
    size_t length = strlen(out);
    while (length > 0 && (out[length - 1] == '\n' || out[length - 1] == '\r' || out[length - 1] == ' '))
        out[--length] = '\0';
}

static int
query_error(const char *sql, const char *message)
{
    char shown[SQL_SHOWN_MAX + 8];
    char text[2048];
    sql_shorten(sql, shown, sizeof(shown));
    pq_message_trim(message, text, sizeof(text));
    return err_set(ERR_DB_QUERY, "unable to execute query '%s': %s", shown, text);
}

static int
query_result_error(const char *sql, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
query_result_error(const char *sql, const char *fmt, ...)
{
    char shown[SQL_SHOWN_MAX + 8];
    char text[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof(text), fmt, args);
    va_end(args);
    sql_shorten(sql, shown, sizeof(shown));
    return err_set(ERR_DB_QUERY, "query '%s' %s", shown, text);
}

/*
 * Run `sql` with text parameters. A statement that returns rows must return exactly `columns` columns and,
 * when rows >= 0, exactly `rows` rows. On success the result goes to *result (the caller clears it) or is
 * cleared here when result is NULL.
 */
static int
db_query(PgDb *db, const char *sql, int param_count, const char *const *params, int columns, int rows,
         PGresult **result)
{
    PGresult *res = PQexecParams(db->conn, sql, param_count, NULL, params, NULL, NULL, 0);
    if (res == NULL)
        return query_error(sql, PQerrorMessage(db->conn));

    ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        query_error(sql, PQresultErrorMessage(res)[0] != '\0' ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
        PQclear(res);
        return -1;
    }
    if (status == PGRES_TUPLES_OK) {
        if (PQnfields(res) != columns) {
            query_result_error(sql, "returned %d columns, expected %d", PQnfields(res), columns);
            PQclear(res);
            return -1;
        }
        if (rows >= 0 && PQntuples(res) != rows) {
            query_result_error(sql, "returned %d rows, expected %d", PQntuples(res), rows);
            PQclear(res);
            return -1;
        }
    }
    if (result != NULL)
        *result = res;
    else
        PQclear(res);
    return 0;
}

/* Column `column` of `row` as text; NULL when SQL NULL. */
static const char *
value_text(PGresult *res, int row, int column)
{
    return PQgetisnull(res, row, column) ? NULL : PQgetvalue(res, row, column);
}

static int
value_u64(const char *sql, PGresult *res, int row, int column, uint64_t *out)
{
    const char *text = value_text(res, row, column);
    if (text == NULL || text[0] < '0' || text[0] > '9')
        return query_result_error(sql, "returned '%s' in column %d, expected an unsigned number",
                                  text != NULL ? text : "NULL", column + 1);
    errno = 0;
    char *end;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return query_result_error(sql, "returned '%s' in column %d, expected an unsigned number", text, column + 1);
    *out = value;
    return 0;
}

static int
value_u32(const char *sql, PGresult *res, int row, int column, uint32_t *out)
{
    uint64_t value;
    TRY(value_u64(sql, res, row, column, &value));
    if (value > UINT32_MAX)
        return query_result_error(sql, "returned %" PRIu64 " in column %d, out of range", value, column + 1);
    *out = (uint32_t)value;
    return 0;
}

static int
value_i64(const char *sql, PGresult *res, int row, int column, int64_t *out)
{
    const char *text = value_text(res, row, column);
    if (text == NULL)
        return query_result_error(sql, "returned NULL in column %d, expected a number", column + 1);
    errno = 0;
    char *end;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0')
        return query_result_error(sql, "returned '%s' in column %d, expected a number", text, column + 1);
    *out = value;
    return 0;
}

static int
value_bool(const char *sql, PGresult *res, int row, int column, bool *out)
{
    const char *text = value_text(res, row, column);
    if (text != NULL && (strcmp(text, "t") == 0 || strcmp(text, "on") == 0 || strcmp(text, "true") == 0)) {
        *out = true;
        return 0;
    }
    if (text != NULL && (strcmp(text, "f") == 0 || strcmp(text, "off") == 0 || strcmp(text, "false") == 0)) {
        *out = false;
        return 0;
    }
    return query_result_error(sql, "returned '%s' in column %d, expected a boolean", text != NULL ? text : "NULL",
                              column + 1);
}

/* Copy a text column into a fixed buffer; NULL becomes "" only when allow_null. */
static int
value_copy(const char *sql, PGresult *res, int row, int column, bool allow_null, char *out, size_t out_size)
{
    const char *text = value_text(res, row, column);
    if (text == NULL) {
        if (!allow_null)
            return query_result_error(sql, "returned NULL in column %d", column + 1);
        text = "";
    }
    if (strlen(text) >= out_size)
        return query_result_error(sql, "returned '%s' in column %d, longer than expected", text, column + 1);
    memcpy(out, text, strlen(text) + 1);
    return 0;
}

static char *
value_strdup(PGresult *res, int row, int column)
{
    const char *text = value_text(res, row, column);
    return mem_strdup(text != NULL ? text : "");
}

/* A segment name column: 24 hex characters. */
static int
value_wal_name(const char *sql, PGresult *res, int row, int column, char out[WAL_SEGMENT_NAME_SIZE + 1])
{
    TRY(value_copy(sql, res, row, column, false, out, WAL_SEGMENT_NAME_SIZE + 1));
    if (!wal_is_segment_name(out))
        return query_result_error(sql, "returned '%s' in column %d, expected a WAL segment name", out, column + 1);
    return 0;
}

/* An LSN column, as text and as a number. */
static int
value_lsn(const char *sql, PGresult *res, int row, int column, char out[PG_DB_LSN_SIZE], uint64_t *lsn)
{
    TRY(value_copy(sql, res, row, column, false, out, PG_DB_LSN_SIZE));
    uint64_t value;
    if (wal_lsn_parse(out, &value) < 0)
        return query_result_error(sql, "returned '%s' in column %d, expected an LSN", out, column + 1);
    if (lsn != NULL)
        *lsn = value;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Connect
 * ------------------------------------------------------------------------------------------------------------- */

int
pg_db_version_check(unsigned version_num)
{
    if (version_num < PG_DB_VERSION_MIN || version_num > PG_DB_VERSION_MAX) {
        err_set(ERR_VERSION_NOT_SUPPORTED, "PostgreSQL version %u (server_version_num %u) is not supported",
                version_num >= 100000 ? version_num / 10000 : version_num / 100, version_num);
        return err_hint("gaiarest supports PostgreSQL %u to %u", PG_DB_VERSION_MIN / 10000,
                        PG_DB_VERSION_MAX / 10000);
    }
    return 0;
}

/* "dbname='postgres' port=5432 host='/tmp' user='x'", as shown in connection errors. */
static char *
connect_description(const char *database, unsigned port, const char *socket_path, const char *user)
{
    Buf text = BUF_INIT;
    buf_printf(&text, "dbname='%s' port=%u", database, port);
    if (socket_path != NULL)
        buf_printf(&text, " host='%s'", socket_path);
    if (user != NULL)
        buf_printf(&text, " user='%s'", user);
    return buf_detach(&text);
}

static int
connect_open(PgDb *db, const PgDbOptions *options, unsigned port, const char *database)
{
    char port_text[16];
    char timeout_text[32];
    snprintf(port_text, sizeof(port_text), "%u", port);
    char *application_name =
        options->command != NULL ? mem_printf("gaiarest [%s]", options->command) : mem_strdup("gaiarest");

    const char *keywords[8];
    const char *values[8];
    int count = 0;
    if (options->socket_path != NULL) {
        keywords[count] = "host";
        values[count++] = options->socket_path;
    }
    keywords[count] = "port";
    values[count++] = port_text;
    if (options->user != NULL) {
        keywords[count] = "user";
        values[count++] = options->user;
    }
    keywords[count] = "dbname";
    values[count++] = database;
    keywords[count] = "application_name";
    values[count++] = application_name;
    keywords[count] = "client_encoding";
    values[count++] = "UTF8";
    if (options->timeout_ms > 0) {
        /* libpq counts whole seconds and treats anything below 2 as 2. */
        snprintf(timeout_text, sizeof(timeout_text), "%" PRId64, (options->timeout_ms + 999) / 1000);
        keywords[count] = "connect_timeout";
        values[count++] = timeout_text;
    }
    keywords[count] = NULL;
    values[count] = NULL;

    db->conn = PQconnectdbParams(keywords, values, 0);
    free(application_name);

    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
        char message[2048];
        pq_message_trim(db->conn != NULL ? PQerrorMessage(db->conn) : "out of memory", message, sizeof(message));
        err_set(ERR_DB_CONNECT, "unable to connect to '%s': %s", db->description, message);
        return err_hint("is PostgreSQL running on port %u%s%s? check pg1-port / pg1-socket-path", port,
                        options->socket_path != NULL ? " with its socket in " : "",
                        options->socket_path != NULL ? options->socket_path : "");
    }
    return 0;
}

/* Session settings: queries bounded by db-timeout, catalog names resolved in pg_catalog first. */
static int
session_setup(PgDb *db, int64_t timeout_ms)
{
    char sql[96];
    snprintf(sql, sizeof(sql), "set statement_timeout = %" PRId64, timeout_ms > 0 ? timeout_ms : 0);
    TRY(db_query(db, sql, 0, NULL, 0, -1, NULL));
    return db_query(db, "set search_path = 'pg_catalog'", 0, NULL, 0, -1, NULL);
}

static const char FACTS_SQL[] =
    "select current_setting('data_directory'), current_setting('archive_mode'),"
    " current_setting('archive_command'),"
    " (select setting from pg_catalog.pg_settings where name = 'wal_segment_size'),"
    " (select unit from pg_catalog.pg_settings where name = 'wal_segment_size'),"
    " current_setting('data_checksums'), pg_catalog.pg_is_in_recovery(),"
    " (select system_identifier from pg_catalog.pg_control_system()),"
    " (select timeline_id from pg_catalog.pg_control_checkpoint())";

/* Bytes per unit of a pg_settings size unit ("B", "kB", "8kB", "MB"); 0 when unknown. */
static uint64_t
setting_unit_bytes(const char *unit)
{
    if (unit == NULL || strcmp(unit, "B") == 0)
        return 1;
    if (strcmp(unit, "kB") == 0)
        return 1024;
    if (strcmp(unit, "8kB") == 0)
        return 8192;
    if (strcmp(unit, "MB") == 0)
        return 1024 * 1024;
    return 0;
}

static int
facts_parse(PGresult *res, PgDbFacts *facts)
{
    const char *sql = FACTS_SQL;
    facts->data_directory = value_strdup(res, 0, 0);
    facts->archive_mode = value_strdup(res, 0, 1);
    facts->archive_command = value_strdup(res, 0, 2);

    uint64_t segment_units;
    TRY(value_u64(sql, res, 0, 3, &segment_units));
    uint64_t unit_bytes = setting_unit_bytes(value_text(res, 0, 4));
    if (unit_bytes == 0)
        return query_result_error(sql, "returned unknown unit '%s' for wal_segment_size", value_text(res, 0, 4));
    uint64_t segment_size = segment_units * unit_bytes;
    if (segment_size == 0 || segment_size > UINT32_MAX || (segment_size & (segment_size - 1)) != 0)
        return query_result_error(sql, "returned invalid wal_segment_size %" PRIu64, segment_size);
    facts->wal_segment_size = (uint32_t)segment_size;

    TRY(value_bool(sql, res, 0, 5, &facts->data_checksums));
    TRY(value_bool(sql, res, 0, 6, &facts->in_recovery));
    TRY(value_u64(sql, res, 0, 7, &facts->system_id));
    return value_u32(sql, res, 0, 8, &facts->timeline);
}

static int
facts_read(PgDb *db)
{
    PgDbFacts *facts = &db->facts;
    facts->version_num = (unsigned)PQserverVersion(db->conn);
    TRY(pg_db_version_check(facts->version_num));
    snprintf(facts->version, sizeof(facts->version), "%u", facts->version_num / 10000);

    PGresult *res;
    TRY(db_query(db, FACTS_SQL, 0, NULL, 9, 1, &res));
    int rc = facts_parse(res, facts);
    PQclear(res);
    return rc;
}

/* The canonical form of a path when it resolves, else the path as given (into a PATH_MAX buffer). */
static void
path_resolve(const char *path, char *out)
{
    if (realpath(path, out) == NULL)
        snprintf(out, PATH_MAX, "%s", path);
}

/* The data directory must be pg1-path and the major version the one in pg_control. */
static int
facts_check(const PgDb *db, const PgDbOptions *options)
{
    const PgDbFacts *facts = &db->facts;
    bool version_differs =
        options->version_num_expected != 0 && options->version_num_expected / 10000 != facts->version_num / 10000;
    bool path_differs = false;
    if (options->path != NULL) {
        char server_path[PATH_MAX];
        char config_path[PATH_MAX];
        path_resolve(facts->data_directory, server_path);
        path_resolve(options->path, config_path);
        path_differs = strcmp(server_path, config_path) != 0;
    }
    if (!version_differs && !path_differs)
        return 0;

    if (options->version_num_expected != 0 && options->path != NULL)
        err_set(ERR_DB_MISMATCH,
                "version '%s' and path '%s' queried from cluster do not match version '%u' and '%s' read from"
                " '%s/global/pg_control'",
                facts->version, facts->data_directory, options->version_num_expected / 10000, options->path,
                options->path);
    else if (path_differs)
        err_set(ERR_DB_MISMATCH, "version '%s' and path '%s' queried from cluster do not match pg1-path '%s'",
                facts->version, facts->data_directory, options->path);
    else
        err_set(ERR_DB_MISMATCH, "version '%s' queried from cluster does not match version '%u' read from pg_control",
                facts->version, options->version_num_expected / 10000);
    return err_hint("the pg1-path and pg1-port settings likely reference different clusters.");
}

int
pg_db_connect(const PgDbOptions *options, PgDb **db_out)
{
    unsigned port = options->port != 0 ? options->port : PG_DB_PORT_DEFAULT;
    const char *database = options->database != NULL ? options->database : PG_DB_DATABASE_DEFAULT;

    PgDb *db = mem_calloc(1, sizeof(*db));
    db->description = connect_description(database, port, options->socket_path, options->user);

    if (connect_open(db, options, port, database) < 0 || session_setup(db, options->timeout_ms) < 0 ||
        facts_read(db) < 0 || facts_check(db, options) < 0) {
        pg_db_free(db);
        return -1;
    }
    *db_out = db;
    return 0;
}

void
pg_db_free(PgDb *db)
{
    if (db == NULL)
        return;
    if (db->conn != NULL)
        PQfinish(db->conn);
    free(db->description);
    free(db->facts.data_directory);
    free(db->facts.archive_mode);
    free(db->facts.archive_command);
    free(db);
}

const PgDbFacts *
pg_db_facts(const PgDb *db)
{
    return &db->facts;
}

/* ---------------------------------------------------------------------------------------------------------------
 * WAL
 * ------------------------------------------------------------------------------------------------------------- */

int
pg_db_switch_wal(PgDb *db, char wal_file[WAL_SEGMENT_NAME_SIZE + 1])
{
    /* The restore point writes a record, so the switch below always closes a segment. */
    const char *restore_point_sql = "select pg_catalog.pg_create_restore_point($1)::text";
    const char *params[] = {RESTORE_POINT_NAME};
    TRY(db_query(db, restore_point_sql, 1, params, 1, 1, NULL));

    const char *sql = "select pg_catalog.pg_walfile_name(pg_catalog.pg_switch_wal())::text";
    PGresult *res;
    TRY(db_query(db, sql, 0, NULL, 1, 1, &res));
    int rc = value_wal_name(sql, res, 0, 0, wal_file);
    PQclear(res);
    return rc;
}

int
pg_db_current_wal(PgDb *db, char lsn[PG_DB_LSN_SIZE], char wal_file[WAL_SEGMENT_NAME_SIZE + 1])
{
    const char *sql = "select lsn::text, pg_catalog.pg_walfile_name(lsn)::text from pg_catalog.pg_current_wal_lsn() lsn";
    PGresult *res;
    TRY(db_query(db, sql, 0, NULL, 2, 1, &res));
    char lsn_text[PG_DB_LSN_SIZE];
    int rc = value_lsn(sql, res, 0, 0, lsn_text, NULL);
    if (rc == 0)
        rc = value_wal_name(sql, res, 0, 1, wal_file);
    PQclear(res);
    if (rc == 0 && lsn != NULL)
        memcpy(lsn, lsn_text, PG_DB_LSN_SIZE);
    return rc;
}

int
pg_db_wal_file_name(PgDb *db, const char *lsn, char wal_file[WAL_SEGMENT_NAME_SIZE + 1])
{
    const char *sql = "select pg_catalog.pg_walfile_name($1::pg_catalog.pg_lsn)::text";
    const char *params[] = {lsn};
    PGresult *res;
    TRY(db_query(db, sql, 1, params, 1, 1, &res));
    int rc = value_wal_name(sql, res, 0, 0, wal_file);
    PQclear(res);
    return rc;
}

int
pg_db_archiver_stat(PgDb *db, PgDbArchiverStat *stat)
{
    const char *sql =
        "select archived_count, coalesce(last_archived_wal, ''),"
        " coalesce(floor(extract(epoch from last_archived_time))::int8, 0),"
        " failed_count, coalesce(last_failed_wal, ''),"
        " coalesce(floor(extract(epoch from last_failed_time))::int8, 0)"
        " from pg_catalog.pg_stat_archiver";
    PGresult *res;
    TRY(db_query(db, sql, 0, NULL, 6, 1, &res));
    PgDbArchiverStat row = {0};
    int rc = value_u64(sql, res, 0, 0, &row.archived_count);
    if (rc == 0)
        rc = value_copy(sql, res, 0, 1, true, row.last_archived_wal, sizeof(row.last_archived_wal));
    if (rc == 0)
        rc = value_i64(sql, res, 0, 2, &row.last_archived_time);
    if (rc == 0)
        rc = value_u64(sql, res, 0, 3, &row.failed_count);
    if (rc == 0)
        rc = value_copy(sql, res, 0, 4, true, row.last_failed_wal, sizeof(row.last_failed_wal));
    if (rc == 0)
        rc = value_i64(sql, res, 0, 5, &row.last_failed_time);
    PQclear(res);
    if (rc == 0)
        *stat = row;
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Backup start / stop
 * ------------------------------------------------------------------------------------------------------------- */

int
pg_db_backup_start(PgDb *db, const char *label, bool start_fast, PgDbBackupStart *start)
{
    char default_label[96];
    if (label == NULL) {
        time_t now = time(NULL);
        struct tm local;
        localtime_r(&now, &local);
        strftime(default_label, sizeof(default_label), "gaiarest backup started at %Y-%m-%d %H:%M:%S", &local);
        label = default_label;
    }

    const char *sql = db->facts.version_num >= 150000
                          ? "select lsn::text, pg_catalog.pg_walfile_name(lsn)::text"
                            " from pg_catalog.pg_backup_start($1, $2::boolean) lsn"
                          : "select lsn::text, pg_catalog.pg_walfile_name(lsn)::text"
                            " from pg_catalog.pg_start_backup($1, $2::boolean, false) lsn";
    const char *params[] = {label, start_fast ? "true" : "false"};
    PGresult *res;
    TRY(db_query(db, sql, 2, params, 2, 1, &res));
    PgDbBackupStart result = {0};
    int rc = value_lsn(sql, res, 0, 0, result.lsn, &result.lsn_value);
    if (rc == 0)
        rc = value_wal_name(sql, res, 0, 1, result.wal_file);
    PQclear(res);
    if (rc == 0)
        *start = result;
    return rc;
}

int
pg_db_backup_stop(PgDb *db, PgDbBackupStop *stop)
{
    const char *sql = db->facts.version_num >= 150000
                          ? "select lsn::text, pg_catalog.pg_walfile_name(lsn)::text, labelfile::text, spcmapfile::text"
                            " from pg_catalog.pg_backup_stop(false)"
                          : "select lsn::text, pg_catalog.pg_walfile_name(lsn)::text, labelfile::text, spcmapfile::text"
                            " from pg_catalog.pg_stop_backup(false, false)";
    PGresult *res;
    TRY(db_query(db, sql, 0, NULL, 4, 1, &res));
    PgDbBackupStop result = {0};
    int rc = value_lsn(sql, res, 0, 0, result.lsn, &result.lsn_value);
    if (rc == 0)
        rc = value_wal_name(sql, res, 0, 1, result.wal_file);
    if (rc == 0 && value_text(res, 0, 2) == NULL)
        rc = query_result_error(sql, "returned no backup label");
    if (rc == 0) {
        result.backup_label = value_strdup(res, 0, 2);
        const char *map = value_text(res, 0, 3);
        result.tablespace_map = map != NULL && map[0] != '\0' ? mem_strdup(map) : NULL;
        *stop = result;
    }
    PQclear(res);
    return rc;
}

void
pg_db_backup_stop_free(PgDbBackupStop *stop)
{
    if (stop == NULL)
        return;
    free(stop->backup_label);
    free(stop->tablespace_map);
    stop->backup_label = NULL;
    stop->tablespace_map = NULL;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Catalog lists
 * ------------------------------------------------------------------------------------------------------------- */

int
pg_db_tablespace_list(PgDb *db, PgDbTablespaceList *list)
{
    const char *sql = "select oid::int8, spcname::text, pg_catalog.pg_tablespace_location(oid)::text"
                      " from pg_catalog.pg_tablespace where spcname not in ('pg_default', 'pg_global') order by oid";
    PGresult *res;
    TRY(db_query(db, sql, 0, NULL, 3, -1, &res));
    PgDbTablespaceList result = {mem_calloc((size_t)PQntuples(res) + 1, sizeof(PgDbTablespace)), 0};
    int rc = 0;
    for (int row = 0; row < PQntuples(res) && rc == 0; row++) {
        PgDbTablespace *item = &result.items[row];
        rc = value_u32(sql, res, row, 0, &item->oid);
        if (rc == 0) {
            item->name = value_strdup(res, row, 1);
            item->location = value_strdup(res, row, 2);
            result.count++;
        }
    }
    PQclear(res);
    if (rc < 0) {
        pg_db_tablespace_list_free(&result);
        return -1;
    }
    *list = result;
    return 0;
}

void
pg_db_tablespace_list_free(PgDbTablespaceList *list)
{
    if (list == NULL)
        return;
    for (size_t index = 0; index < list->count; index++) {
        free(list->items[index].name);
        free(list->items[index].location);
    }
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

int
pg_db_database_list(PgDb *db, PgDbDatabaseList *list)
{
    const char *sql = "select oid::int8, datname::text,"
                      " (select oid::int8 from pg_catalog.pg_database where datname = 'template0')"
                      " from pg_catalog.pg_database order by datname";
    PGresult *res;
    TRY(db_query(db, sql, 0, NULL, 3, -1, &res));
    PgDbDatabaseList result = {mem_calloc((size_t)PQntuples(res) + 1, sizeof(PgDbDatabase)), 0};
    int rc = 0;
    for (int row = 0; row < PQntuples(res) && rc == 0; row++) {
        PgDbDatabase *item = &result.items[row];
        rc = value_u32(sql, res, row, 0, &item->oid);
        if (rc == 0)
            rc = value_u32(sql, res, row, 2, &item->last_system_id);
        if (rc == 0) {
            item->name = value_strdup(res, row, 1);
            result.count++;
        }
    }
    PQclear(res);
    if (rc < 0) {
        pg_db_database_list_free(&result);
        return -1;
    }
    *list = result;
    return 0;
}

void
pg_db_database_list_free(PgDbDatabaseList *list)
{
    if (list == NULL)
        return;
    for (size_t index = 0; index < list->count; index++)
        free(list->items[index].name);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Misc
 * ------------------------------------------------------------------------------------------------------------- */

int
pg_db_time_ms(PgDb *db, int64_t *time_ms)
{
    const char *sql = "select floor(extract(epoch from pg_catalog.clock_timestamp()) * 1000)::int8";
    PGresult *res;
    TRY(db_query(db, sql, 0, NULL, 1, 1, &res));
    int rc = value_i64(sql, res, 0, 0, time_ms);
    PQclear(res);
    return rc;
}

int
pg_db_checkpoint(PgDb *db)
{
    return db_query(db, "checkpoint", 0, NULL, 0, -1, NULL);
}
