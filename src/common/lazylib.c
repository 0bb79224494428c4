/* lazylib: shared libraries opened on first use (see lazylib.h). */
#include "common/lazylib.h"

#include <dlfcn.h>
#include <stdlib.h>

#include "common/error.h"
#include "common/log.h"

/* symbol NULL: the library itself could not be loaded. */
static _Noreturn void
lazylib_fail(const LazyLib *lib, const char *symbol, const char *detail)
{
    if (symbol == NULL)
        LOG_ERROR("[%03d]: unable to load library '%s' (needed %s): %s\nHINT: install the Debian package %s.",
                  (int)ERR_FILE_OPEN, lib->soname, lib->purpose, detail != NULL ? detail : "unknown error",
                  lib->package);
    else
        LOG_ERROR("[%03d]: unable to find function '%s' in library '%s' (needed %s): %s\n"
                  "HINT: install the Debian package %s at the version gaiarest was built with.",
                  (int)ERR_FILE_OPEN, symbol, lib->soname, lib->purpose, detail != NULL ? detail : "unknown error",
                  lib->package);
    log_close();
    exit((int)ERR_FILE_OPEN);
}

void *
lazylib_symbol(LazyLib *lib, const char *symbol)
{
    pthread_mutex_lock(&lib->mutex);
    if (lib->handle == NULL) {
        lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (lib->handle == NULL) {
            const char *detail = dlerror();
            pthread_mutex_unlock(&lib->mutex);
            lazylib_fail(lib, NULL, detail);
        }
    }
    void *handle = lib->handle;
    pthread_mutex_unlock(&lib->mutex);

    dlerror();
    void *address = dlsym(handle, symbol);
    if (address == NULL)
        lazylib_fail(lib, symbol, dlerror());
    return address;
}
