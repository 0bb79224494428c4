/*
 * libpq_lazy: the libpq functions gaiarest calls, forwarded to libpq.so.5 loaded on first use (see
 * common/lazylib.h). Linked into the gaiarest binary only; a function added to engine/pg/db.c's calls needs its
 * forwarder here (the link fails otherwise).
 */
#include <libpq-fe.h>

#include "common/lazylib.h"

static LazyLib libpq = LAZYLIB_INIT("libpq.so.5", "libpq5", "to connect to PostgreSQL");

PGconn *
PQconnectdbParams(const char *const *keywords, const char *const *values, int expand_dbname)
{
    LAZYLIB_RESOLVE(libpq, PQconnectdbParams);
    return PQconnectdbParams_real(keywords, values, expand_dbname);
}

void
PQfinish(PGconn *conn)
{
    LAZYLIB_RESOLVE(libpq, PQfinish);
    PQfinish_real(conn);
}

ConnStatusType
PQstatus(const PGconn *conn)
{
    LAZYLIB_RESOLVE(libpq, PQstatus);
    return PQstatus_real(conn);
}

char *
PQerrorMessage(const PGconn *conn)
{
    LAZYLIB_RESOLVE(libpq, PQerrorMessage);
    return PQerrorMessage_real(conn);
}

int
PQserverVersion(const PGconn *conn)
{
    LAZYLIB_RESOLVE(libpq, PQserverVersion);
    return PQserverVersion_real(conn);
}

PGresult *
PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues,
             const int *paramLengths, const int *paramFormats, int resultFormat)
{
    LAZYLIB_RESOLVE(libpq, PQexecParams);
    return PQexecParams_real(conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat);
}

ExecStatusType
PQresultStatus(const PGresult *res)
{
    LAZYLIB_RESOLVE(libpq, PQresultStatus);
    return PQresultStatus_real(res);
}

char *
PQresultErrorMessage(const PGresult *res)
{
    LAZYLIB_RESOLVE(libpq, PQresultErrorMessage);
    return PQresultErrorMessage_real(res);
}

int
PQntuples(const PGresult *res)
{
    LAZYLIB_RESOLVE(libpq, PQntuples);
    return PQntuples_real(res);
}

int
PQnfields(const PGresult *res)
{
    LAZYLIB_RESOLVE(libpq, PQnfields);
    return PQnfields_real(res);
}

char *
PQgetvalue(const PGresult *res, int tup_num, int field_num)
{
    LAZYLIB_RESOLVE(libpq, PQgetvalue);
    return PQgetvalue_real(res, tup_num, field_num);
}

int
PQgetisnull(const PGresult *res, int tup_num, int field_num)
{
    LAZYLIB_RESOLVE(libpq, PQgetisnull);
    return PQgetisnull_real(res, tup_num, field_num);
}

void
PQclear(PGresult *res)
{
    LAZYLIB_RESOLVE(libpq, PQclear);
    PQclear_real(res);
}
