/*
 * lazylib: shared libraries opened on first use instead of at program start.
 *
 * libpq, libcurl and libxml2 (with the libraries they pull in: Kerberos, LDAP, GnuTLS, ICU, ...) cost several
 * milliseconds to load and relocate, which every `archive-push %p` call would pay although most never connect to
 * PostgreSQL or to S3. The gaiarest binary is linked without them; small forwarding functions with the libraries'
 * own names and prototypes (src/engine/pg/libpq_lazy.c, src/storage/s3/curl_lazy.c, src/storage/s3/xml_lazy.c)
 * resolve the real function here the first time it is called. Unit tests link the libraries directly.
 *
 * A library that cannot be loaded is a broken installation: the error is logged ("[041]: unable to load library
 * ..." with the Debian package to install) and the process exits with that code.
 */
#ifndef GAIAREST_COMMON_LAZYLIB_H
#define GAIAREST_COMMON_LAZYLIB_H

#include <pthread.h>

typedef struct LazyLib {
    const char *soname;  /* "libpq.so.5" */
    const char *package; /* the Debian package that provides it, for the hint */
    const char *purpose; /* what it is needed for, for the message */
    pthread_mutex_t mutex;
    void *handle;        /* NULL until loaded */
} LazyLib;

#define LAZYLIB_INIT(soname, package, purpose) {soname, package, purpose, PTHREAD_MUTEX_INITIALIZER, NULL}

/* The address of `symbol` in `lib`, loading the library on first use (thread-safe). Never returns NULL: a
 * library or symbol that cannot be found ends the process with a logged error. */
void *lazylib_symbol(LazyLib *lib, const char *symbol);

/* Declare `name`'s cached pointer in a forwarding function and resolve it once:
 *   PGresult *PQexec(PGconn *conn, const char *query) { LAZYLIB_RESOLVE(libpq, PQexec); return PQexec_real(conn, query); }
 */
#define LAZYLIB_RESOLVE(lib, name)                                                                               \
    static __typeof__(&name) name##_cached;                                                                      \
    __typeof__(&name) name##_real = __atomic_load_n(&name##_cached, __ATOMIC_ACQUIRE);                           \
    if (name##_real == NULL) {                                                                                   \
        name##_real = (__typeof__(&name))lazylib_symbol(&(lib), #name);                                          \
        __atomic_store_n(&name##_cached, name##_real, __ATOMIC_RELEASE);                                         \
    }

#endif
