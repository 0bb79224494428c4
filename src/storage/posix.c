/* posix: the storage driver for local file systems (see posix.h and storage.h). */
#include "storage/posix.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/error.h"
#include "common/mem.h"
#include "common/strlist.h"

#define POSIX_TEMP_SUFFIX ".pgbackrest.tmp"

/* ------------------------------------------------------------------------------------------------------------------
 * Driver state: a cache of user and group names (lookups through NSS can be slow and are repeated for every
 * file of a listing).
 * ------------------------------------------------------------------------------------------------------------------ */

typedef struct IdName {
    unsigned id;
    char *name; /* NULL when the id has no name; owned */
} IdName;

typedef struct IdNameCache {
    IdName *entries;
    size_t count;
    size_t cap;
} IdNameCache;

typedef struct PosixState {
    pthread_mutex_t lock; /* guards both caches */
    IdNameCache users;
    IdNameCache groups;
} PosixState;

static void
id_name_cache_free(IdNameCache *cache)
{
    for (size_t i = 0; i < cache->count; i++)
        free(cache->entries[i].name);
    free(cache->entries);
}

static const IdName *
id_name_cache_find(const IdNameCache *cache, unsigned id)
{
    for (size_t i = 0; i < cache->count; i++)
        if (cache->entries[i].id == id)
            return &cache->entries[i];
    return NULL;
}

static void
id_name_cache_add(IdNameCache *cache, unsigned id, char *name)
{
    if (cache->count == cache->cap) {
        cache->cap = cache->cap == 0 ? 8 : cache->cap * 2;
        cache->entries = mem_realloc(cache->entries, cache->cap * sizeof(*cache->entries));
    }
    cache->entries[cache->count++] = (IdName){id, name};
}

static size_t
nss_buffer_size(int which)
{
    long size = sysconf(which);
    return size > 0 ? (size_t)size : 16384;
}

/* The name of a uid (NULL when it has none), looked up without the cache. */
static char *
user_name_lookup(uid_t uid)
{
    size_t size = nss_buffer_size(_SC_GETPW_R_SIZE_MAX);
    char *name = NULL;
    for (;;) {
        char *buffer = mem_alloc(size);
        struct passwd entry;
        struct passwd *found = NULL;
        int result = getpwuid_r(uid, &entry, buffer, size, &found);
        if (result == ERANGE) {
            free(buffer);
            size *= 2;
            continue;
        }
        if (result == 0 && found != NULL)
            name = mem_strdup(found->pw_name);
        free(buffer);
        return name;
    }
}

static char *
group_name_lookup(gid_t gid)
{
    size_t size = nss_buffer_size(_SC_GETGR_R_SIZE_MAX);
    char *name = NULL;
    for (;;) {
        char *buffer = mem_alloc(size);
        struct group entry;
        struct group *found = NULL;
        int result = getgrgid_r(gid, &entry, buffer, size, &found);
        if (result == ERANGE) {
            free(buffer);
            size *= 2;
            continue;
        }
        if (result == 0 && found != NULL)
            name = mem_strdup(found->gr_name);
        free(buffer);
        return name;
    }
}

/* A copy of the user (group) name for uid (gid), NULL when it has none. */
static char *
posix_user_name(PosixState *state, uid_t uid)
{
    pthread_mutex_lock(&state->lock);
    const IdName *cached = id_name_cache_find(&state->users, (unsigned)uid);
    if (cached == NULL) {
        id_name_cache_add(&state->users, (unsigned)uid, user_name_lookup(uid));
        cached = &state->users.entries[state->users.count - 1];
    }
    char *name = cached->name != NULL ? mem_strdup(cached->name) : NULL;
    pthread_mutex_unlock(&state->lock);
    return name;
}

static char *
posix_group_name(PosixState *state, gid_t gid)
{
    pthread_mutex_lock(&state->lock);
    const IdName *cached = id_name_cache_find(&state->groups, (unsigned)gid);
    if (cached == NULL) {
        id_name_cache_add(&state->groups, (unsigned)gid, group_name_lookup(gid));
        cached = &state->groups.entries[state->groups.count - 1];
    }
    char *name = cached->name != NULL ? mem_strdup(cached->name) : NULL;
    pthread_mutex_unlock(&state->lock);
    return name;
}

/* uid of a user name (for chown); ERR_USER_MISSING when unknown. */
static int
posix_user_id(const char *user, uid_t *uid)
{
    size_t size = nss_buffer_size(_SC_GETPW_R_SIZE_MAX);
    for (;;) {
        char *buffer = mem_alloc(size);
        struct passwd entry;
        struct passwd *found = NULL;
        int result = getpwnam_r(user, &entry, buffer, size, &found);
        if (result == ERANGE) {
            free(buffer);
            size *= 2;
            continue;
        }
        if (found != NULL)
            *uid = found->pw_uid;
        free(buffer);
        if (found == NULL)
            return err_set(ERR_USER_MISSING, "unable to find user '%s'", user);
        return 0;
    }
}

static int
posix_group_id(const char *group, gid_t *gid)
{
    size_t size = nss_buffer_size(_SC_GETGR_R_SIZE_MAX);
    for (;;) {
        char *buffer = mem_alloc(size);
        struct group entry;
        struct group *found = NULL;
        int result = getgrnam_r(group, &entry, buffer, size, &found);
        if (result == ERANGE) {
            free(buffer);
            size *= 2;
            continue;
        }
        if (found != NULL)
            *gid = found->gr_gid;
        free(buffer);
        if (found == NULL)
            return err_set(ERR_USER_MISSING, "unable to find group '%s'", group);
        return 0;
    }
}

/* ------------------------------------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------------------------------------ */

/* The directory part of a full path ("/" for "/x"); owned by the caller. */
static char *
path_parent(const char *full)
{
    const char *slash = strrchr(full, '/');
    if (slash == NULL)
        return mem_strdup(".");
    if (slash == full)
        return mem_strdup("/");
    return mem_strndup(full, (size_t)(slash - full));
}

static char *
path_join(const char *dir, const char *name)
{
    if (strcmp(dir, "/") == 0)
        return mem_printf("/%s", name);
    return mem_printf("%s/%s", dir, name);
}

/* The target of a symlink; owned by the caller. */
static int
read_link(const char *full, size_t size_hint, char **dest)
{
    size_t size = size_hint > 0 ? size_hint + 1 : 256;
    for (;;) {
        char *buffer = mem_alloc(size);
        ssize_t length = readlink(full, buffer, size);
        if (length < 0) {
            int error = errno;
            free(buffer);
            return err_set_errno(ERR_FILE_READ, error, "unable to get destination for link '%s'", full);
        }
        if ((size_t)length < size) {
            buffer[length] = '\0';
            *dest = buffer;
            return 0;
        }
        free(buffer);
        size *= 2;
    }
}

/* Fill `info` from a stat result (info->name is left alone). */
static int
posix_info_from_stat(PosixState *state, const char *full, const struct stat *st, StorageInfo *info)
{
    info->exists = true;
    info->size = 0;
    if (S_ISREG(st->st_mode)) {
        info->type = STORAGE_TYPE_FILE;
        info->size = (uint64_t)st->st_size;
    } else if (S_ISDIR(st->st_mode)) {
        info->type = STORAGE_TYPE_PATH;
    } else if (S_ISLNK(st->st_mode)) {
        info->type = STORAGE_TYPE_LINK;
    } else {
        info->type = STORAGE_TYPE_SPECIAL;
    }
    info->mtime = (int64_t)st->st_mtime;
    info->mode = st->st_mode & 07777;
    info->uid = st->st_uid;
    info->gid = st->st_gid;
    info->user = posix_user_name(state, st->st_uid);
    info->group = posix_group_name(state, st->st_gid);
    info->link_dest = NULL;
    if (info->type == STORAGE_TYPE_LINK)
        return read_link(full, (size_t)st->st_size, &info->link_dest);
    return 0;
}

/* open() retried on EINTR. */
static int
open_retry(const char *path, int flags, mode_t mode)
{
    int fd;
    do
        fd = open(path, flags, mode);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* fsync a directory; a missing directory is ERR_PATH_MISSING. */
static int
posix_sync_dir(const char *full)
{
    int fd = open_retry(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) {
        int error = errno;
        if (error == ENOENT)
            return err_set(ERR_PATH_MISSING, "unable to sync missing path '%s'", full);
        return err_set_errno(ERR_PATH_OPEN, error, "unable to open path '%s' for sync", full);
    }
    int result = 0;
    if (fsync(fd) != 0)
        result = err_set_errno(ERR_PATH_SYNC, errno, "unable to sync path '%s'", full);
    close(fd);
    return result;
}

/* mkdir with the exact mode (not cut by the umask), creating parents when asked. */
static int
posix_mkdir(const char *full, mode_t mode, bool parents, bool error_on_exists)
{
    if (mkdir(full, mode) == 0) {
        if (chmod(full, mode) != 0)
            return err_set_errno(ERR_PATH_CREATE, errno, "unable to set mode of path '%s'", full);
        return 0;
    }

    int error = errno;
    if (error == EEXIST) {
        if (error_on_exists)
            return err_set(ERR_PATH_CREATE, "unable to create path '%s' because it already exists", full);
        return 0;
    }
    if (error == ENOENT && parents) {
        char *parent = path_parent(full);
        int result = strcmp(parent, full) == 0
                         ? err_set(ERR_PATH_CREATE, "unable to create path '%s' because its root is missing", full)
                         : posix_mkdir(parent, mode, true, false);
        free(parent);
        TRY(result);
        /* another process may have created it meanwhile: that is fine unless the caller said otherwise */
        return posix_mkdir(full, mode, false, error_on_exists);
    }
    if (error == ENOENT)
        return err_set(ERR_PATH_MISSING, "unable to create path '%s' because its parent is missing", full);
    return err_set_errno(ERR_PATH_CREATE, error, "unable to create path '%s'", full);
}

static PosixState *
posix_state(Storage *storage)
{
    return storage->driver_state;
}

/* ------------------------------------------------------------------------------------------------------------------
 * info
 * ------------------------------------------------------------------------------------------------------------------ */

static int
posix_info(Storage *storage, const char *path, bool follow_link, StorageInfo *info)
{
    *info = (StorageInfo){0};
    char *full = storage_path(storage, path);
    if (full == NULL)
        return -1;

    struct stat st;
    int result = follow_link ? stat(full, &st) : lstat(full, &st);
    if (result != 0) {
        int error = errno;
        if (error == ENOENT || error == ENOTDIR) {
            free(full);
            return 0;
        }
        err_set_errno(ERR_FILE_OPEN, error, "unable to get info for path/file '%s'", full);
        free(full);
        return -1;
    }

    result = posix_info_from_stat(posix_state(storage), full, &st, info);
    if (result < 0)
        storage_info_clear(info);
    free(full);
    return result;
}

/* ------------------------------------------------------------------------------------------------------------------
 * list
 * ------------------------------------------------------------------------------------------------------------------ */

static int
posix_open_dir(const char *full, bool ignore_missing, DIR **dir)
{
    *dir = opendir(full);
    if (*dir != NULL)
        return 0;
    int error = errno;
    if (error == ENOENT) {
        if (ignore_missing)
            return 0;
        return err_set(ERR_PATH_MISSING, "unable to list file info for missing path '%s'", full);
    }
    return err_set_errno(ERR_PATH_OPEN, error, "unable to open path '%s' for read", full);
}

/* Report one directory entry; remembers sub-directories in `subdirs` when recursing. */
static int
posix_list_entry(PosixState *state, const char *full_dir, const char *prefix, const char *entry_name, bool recurse,
                 StrList *subdirs, StorageListCallback cb, void *context)
{
    char *full = path_join(full_dir, entry_name);
    struct stat st;
    if (lstat(full, &st) != 0) {
        int error = errno;
        int result = 0;
        if (error != ENOENT) /* an entry removed since readdir() is simply not there any more */
            result = err_set_errno(ERR_FILE_OPEN, error, "unable to get info for path/file '%s'", full);
        free(full);
        return result;
    }

    StorageInfo info = {0};
    int result = posix_info_from_stat(state, full, &st, &info);
    free(full);
    if (result == 0) {
        info.name = prefix != NULL ? mem_printf("%s/%s", prefix, entry_name) : mem_strdup(entry_name);
        result = cb(context, &info);
        if (result == 0 && recurse && info.type == STORAGE_TYPE_PATH) {
            strlist_add_owned(subdirs, info.name);
            info.name = NULL;
        }
    }
    storage_info_clear(&info);
    return result;
}

/* List `full_dir`, whose entries are named "<prefix>/<entry>" (just "<entry>" when prefix is NULL). `name_prefix`
 * (NULL: none; only without recursion) skips the entries whose name does not start with it before they cost an
 * lstat(): finding one WAL segment among the 256 of its directory reads no other inode. */
static int
posix_list_dir(PosixState *state, const char *full_dir, const char *prefix, const char *name_prefix, bool recurse,
               bool ignore_missing, StorageListCallback cb, void *context)
{
    DIR *dir;
    TRY(posix_open_dir(full_dir, ignore_missing, &dir));
    if (dir == NULL)
        return 0;

    StrList subdirs = STRLIST_INIT;
    int result = 0;
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(dir);
        if (entry == NULL) {
            if (errno != 0)
                result = err_set_errno(ERR_PATH_OPEN, errno, "unable to read path '%s'", full_dir);
            break;
        }
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (name_prefix != NULL && strncmp(entry->d_name, name_prefix, strlen(name_prefix)) != 0)
            continue;
        result = posix_list_entry(state, full_dir, prefix, entry->d_name, recurse, &subdirs, cb, context);
        if (result < 0)
            break;
    }
    closedir(dir);

    /* Recurse after closing, so that deep trees do not hold one descriptor per level. A sub-directory that vanished
     * meanwhile is not an error. */
    for (size_t i = 0; i < subdirs.count && result == 0; i++) {
        const char *entry_name = subdirs.items[i] + (prefix != NULL ? strlen(prefix) + 1 : 0);
        char *sub_full = path_join(full_dir, entry_name);
        result = posix_list_dir(state, sub_full, subdirs.items[i], NULL, true, true, cb, context);
        free(sub_full);
    }
    strlist_free(&subdirs);
    return result;
}

static int
posix_list(Storage *storage, const char *path, const char *name_prefix, bool recurse, bool ignore_missing,
           StorageListCallback cb, void *context)
{
    char *full = storage_path(storage, path);
    if (full == NULL)
        return -1;
    /* with recursion the hint would have to follow sub-directory names: the tree is read whole */
    int result = posix_list_dir(posix_state(storage), full, NULL, recurse ? NULL : name_prefix, recurse, ignore_missing,
                                cb, context);
    free(full);
    return result;
}

/* ------------------------------------------------------------------------------------------------------------------
 * read
 * ------------------------------------------------------------------------------------------------------------------ */

typedef struct PosixRead {
    int fd;
    int64_t remaining; /* bytes left to read; < 0: no limit */
} PosixRead;


static int
posix_read(StorageRead *reader, uint8_t *buffer, size_t size, size_t *got)
{
    PosixRead *state = reader->state;
    *got = 0;
    if (state->remaining >= 0 && (uint64_t)state->remaining < size)
        size = (size_t)state->remaining;
    if (size == 0)
        return 0;

    ssize_t length;
    do
        length = read(state->fd, buffer, size);
    while (length < 0 && errno == EINTR);
    if (length < 0)
        return err_set_errno(ERR_FILE_READ, errno, "unable to read file '%s'", reader->path);

    *got = (size_t)length;
    if (state->remaining >= 0)
        state->remaining -= length;
    return 0;
}

static void
posix_read_free(StorageRead *reader)
{
    PosixRead *state = reader->state;
    if (state->fd >= 0)
        close(state->fd);
    free(state);
    free(reader->path);
    free(reader);
}

static const StorageReadOps posix_read_ops = {
    .read = posix_read,
    .free = posix_read_free,
};

static int
posix_open_read(Storage *storage, const char *path, uint64_t offset, int64_t limit, bool ignore_missing,
                StorageRead **result)
{
    *result = NULL;
    char *full = storage_path(storage, path);
    if (full == NULL)
        return -1;

    int fd = open_retry(full, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        int error = errno;
        if (error == ENOENT && ignore_missing) {
            free(full);
            return 0;
        }
        if (error == ENOENT)
            err_set(ERR_FILE_MISSING, "unable to open missing file '%s' for read", full);
        else
            err_set_errno(ERR_FILE_OPEN, error, "unable to open file '%s' for read", full);
        free(full);
        return -1;
    }

    if (offset > 0 && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
        err_set_errno(ERR_FILE_READ, errno, "unable to seek to %llu in file '%s'", (unsigned long long)offset, full);
        close(fd);
        free(full);
        return -1;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    (void)posix_fadvise(fd, (off_t)offset, 0, POSIX_FADV_SEQUENTIAL);
#endif

    PosixRead *state = mem_alloc(sizeof(*state));
    state->fd = fd;
    state->remaining = limit < 0 ? -1 : limit;

    StorageRead *reader = mem_calloc(1, sizeof(*reader));
    reader->ops = &posix_read_ops;
    reader->path = full;
    reader->state = state;
    *result = reader;
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------------
 * view: a file a window at a time, mapped or read (see posix.h)
 * ------------------------------------------------------------------------------------------------------------------ */

/* A bus error inside a mapped window means the file shrank under the view or its storage failed: the process cannot
 * read on, and ends as a read error naming the file (exit code ERR_FILE_READ) instead of a crash. The windows in use
 * are registered in a fixed table that the signal handler reads without locks; a bus error anywhere else takes the
 * default action. */
#define VIEW_GUARD_MAX 16

typedef struct ViewGuard {
    atomic_uintptr_t start;  /* 0: slot free */
    atomic_uintptr_t end;
    atomic_bool taken;       /* the slot is being filled or in use */
    char message[PATH_MAX + 160];
    size_t message_size;
} ViewGuard;

static ViewGuard view_guards[VIEW_GUARD_MAX];
static pthread_once_t view_guard_once = PTHREAD_ONCE_INIT;

static void
view_bus_error(int signal_number, siginfo_t *info, void *context)
{
    (void)context;
    uintptr_t address = (uintptr_t)info->si_addr;
    for (size_t slot = 0; slot < VIEW_GUARD_MAX; slot++) {
        uintptr_t start = atomic_load(&view_guards[slot].start);
        if (start != 0 && address >= start && address < atomic_load(&view_guards[slot].end)) {
            if (write(STDERR_FILENO, view_guards[slot].message, view_guards[slot].message_size) < 0) {
                /* nothing more can be done */
            }
            _exit(ERR_FILE_READ);
        }
    }
    /* not a view's page: returning re-runs the access, which now takes the default action */
    struct sigaction fallback = {.sa_handler = SIG_DFL};
    sigemptyset(&fallback.sa_mask);
    sigaction(signal_number, &fallback, NULL);
}

static void
view_guard_install(void)
{
    struct sigaction action = {.sa_sigaction = view_bus_error, .sa_flags = SA_SIGINFO};
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, NULL);
}

/* Register [start, start + size) as a window of `path`; the slot index, or -1 when the table is full (the window
 * then has no guard: a bus error in it is a crash, as it would be without this table). */
static int
view_guard_add(const void *start, size_t size, const char *path)
{
    pthread_once(&view_guard_once, view_guard_install);
    for (int slot = 0; slot < VIEW_GUARD_MAX; slot++) {
        bool expected = false;
        if (!atomic_compare_exchange_strong(&view_guards[slot].taken, &expected, true))
            continue;
        ViewGuard *guard = &view_guards[slot];
        int length = snprintf(guard->message, sizeof(guard->message),
                              "ERROR: [%03d]: unable to read file '%s': bus error in its mapped bytes (the file shrank "
                              "while it was read, or its storage failed)\n", ERR_FILE_READ, path);
        guard->message_size = length < 0 ? 0 : (size_t)length < sizeof(guard->message) ? (size_t)length
                                                                                        : sizeof(guard->message) - 1;
        atomic_store(&guard->end, (uintptr_t)start + size);
        atomic_store(&guard->start, (uintptr_t)start);
        return slot;
    }
    return -1;
}

static void
view_guard_remove(int slot)
{
    if (slot < 0)
        return;
    atomic_store(&view_guards[slot].start, 0);
    atomic_store(&view_guards[slot].taken, false);
}

struct PosixView {
    StorageRead *read;   /* the open file; its path names it in errors */
    PosixViewMode mode;
    size_t window_size;
    uint64_t file_size;  /* at open: what map mode shows */
    uint64_t offset;     /* where the next mapped window starts */
    void *map;           /* the current mapped window, NULL when none */
    size_t map_size;
    int guard;           /* its slot in view_guards, -1 when none */
    uint8_t *buffer;     /* read mode: POSIX_VIEW_READ_MAX bytes, allocated at the first window */
};

int
posix_view_open(Storage *storage, const char *path, size_t window_size, PosixViewMode mode, PosixView **result)
{
    *result = NULL;
    StorageRead *read = NULL;
    TRY(storage_open_read(storage, path, 0, -1, false, &read));
    if (read->ops != &posix_read_ops) {
        storage_read_free(read);
        return err_set(ERR_ASSERT, "a file view needs a posix storage ('%s')", path);
    }
    struct stat status;
    if (fstat(((PosixRead *)read->state)->fd, &status) != 0) {
        err_set_errno(ERR_FILE_READ, errno, "unable to get info for file '%s'", read->path);
        storage_read_free(read);
        return -1;
    }
    PosixView *view = mem_calloc(1, sizeof(*view));
    view->read = read;
    view->mode = mode;
    view->window_size = window_size;
    view->file_size = (uint64_t)status.st_size;
    view->guard = -1;
    *result = view;
    return 0;
}

static void
posix_view_release(PosixView *view)
{
    view_guard_remove(view->guard);
    view->guard = -1;
    if (view->map != NULL)
        munmap(view->map, view->map_size);
    view->map = NULL;
    view->map_size = 0;
}

/* Read mode: the next window read into the view's buffer (short only at the end of the file). */
static int
posix_view_read(PosixView *view, const uint8_t **data, size_t *size)
{
    if (view->buffer == NULL)
        view->buffer = mem_alloc(POSIX_VIEW_READ_MAX);
    size_t want = view->window_size < POSIX_VIEW_READ_MAX ? view->window_size : POSIX_VIEW_READ_MAX;
    *data = view->buffer;
    return storage_read_full(view->read, view->buffer, want, size);
}

int
posix_view_next(PosixView *view, const uint8_t **data, size_t *size)
{
    posix_view_release(view);
    *data = NULL;
    *size = 0;
    if (view->mode == POSIX_VIEW_READ)
        return posix_view_read(view, data, size);
    if (view->offset >= view->file_size)
        return 0;

    size_t length = view->file_size - view->offset < view->window_size ? (size_t)(view->file_size - view->offset)
                                                                         : view->window_size;
    void *map = mmap(NULL, length, PROT_READ, MAP_SHARED | MAP_POPULATE, ((PosixRead *)view->read->state)->fd,
                     (off_t)view->offset);
    if (map == MAP_FAILED) {
        int error = errno;
        /* a file system that cannot map files: read it instead (nothing was read yet, the offset is 0) */
        if (view->offset == 0 && (error == ENODEV || error == EINVAL || error == EACCES)) {
            view->mode = POSIX_VIEW_READ;
            return posix_view_read(view, data, size);
        }
        return err_set_errno(ERR_FILE_READ, error, "unable to map file '%s' at offset %llu", view->read->path,
                             (unsigned long long)view->offset);
    }
    view->map = map;
    view->map_size = length;
    view->guard = view_guard_add(map, length, view->read->path);
    view->offset += length;
    *data = map;
    *size = length;
    return 0;
}

void
posix_view_free(PosixView *view)
{
    if (view == NULL)
        return;
    posix_view_release(view);
    storage_read_free(view->read);
    free(view->buffer);
    free(view);
}

/* ------------------------------------------------------------------------------------------------------------------
 * write
 * ------------------------------------------------------------------------------------------------------------------ */

typedef struct PosixWrite {
    int fd;              /* -1 once closed */
    char *path_temp;     /* the temp name while atomic, NULL otherwise; owned */
    bool committed;      /* close() succeeded (or the temp file was renamed) */
    bool sync_file;
    bool sync_path;
    bool writeback;      /* start writeback every POSIX_WRITEBACK_STEP bytes and at close */
    off_t written;       /* bytes written so far */
    off_t writeback_done; /* bytes whose writeback was started */
    char *user;          /* owned copies of the options */
    char *group;
    int64_t mtime;
} PosixWrite;

/* Writeback is started in steps of this size (and for the rest at close). */
#define POSIX_WRITEBACK_STEP ((off_t)1024 * 1024)

/* Ask the kernel to start writing what was written since the last call, without waiting for it. Advisory: a file
 * system that refuses it (EINVAL, ENOSYS, ESPIPE) only loses the head start, so errors are ignored. */
static void
posix_writeback_start(PosixWrite *state)
{
    if (state->written > state->writeback_done) {
        (void)sync_file_range(state->fd, state->writeback_done, state->written - state->writeback_done,
                              SYNC_FILE_RANGE_WRITE);
        state->writeback_done = state->written;
    }
}

static int
posix_write(StorageWrite *writer, const uint8_t *data, size_t size)
{
    PosixWrite *state = writer->state;
    const char *name = state->path_temp != NULL ? state->path_temp : writer->path;

    while (size > 0) {
        ssize_t written = write(state->fd, data, size);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return err_set_errno(ERR_FILE_WRITE, errno, "unable to write '%s'", name);
        }
        if (written == 0) /* should not happen for files; avoid spinning */
            return err_set_errno(ERR_FILE_WRITE, ENOSPC, "unable to write '%s'", name);
        data += written;
        size -= (size_t)written;
        state->written += written;
    }
    if (state->writeback && state->written - state->writeback_done >= POSIX_WRITEBACK_STEP)
        posix_writeback_start(state);
    return 0;
}

/* Apply owner and mtime to the open file. */
static int
posix_write_apply_attributes(PosixWrite *state, const char *name)
{
    if (state->user != NULL || state->group != NULL) {
        uid_t uid = (uid_t)-1;
        gid_t gid = (gid_t)-1;
        if (state->user != NULL)
            TRY(posix_user_id(state->user, &uid));
        if (state->group != NULL)
            TRY(posix_group_id(state->group, &gid));
        if (fchown(state->fd, uid, gid) != 0)
            return err_set_errno(ERR_FILE_OWNER, errno, "unable to set ownership for '%s'", name);
    }
    if (state->mtime != 0) {
        struct timespec times[2] = {{.tv_sec = (time_t)state->mtime, .tv_nsec = 0},
                                    {.tv_sec = (time_t)state->mtime, .tv_nsec = 0}};
        if (futimens(state->fd, times) != 0)
            return err_set_errno(ERR_FILE_WRITE, errno, "unable to set time for '%s'", name);
    }
    return 0;
}

static int
posix_write_close(StorageWrite *writer)
{
    PosixWrite *state = writer->state;
    const char *name = state->path_temp != NULL ? state->path_temp : writer->path;

    if (state->committed)
        return 0;
    if (state->fd < 0)
        return err_set(ERR_FILE_CLOSE, "unable to close '%s': it was closed after an earlier failure", name);

    TRY(posix_write_apply_attributes(state, name));
    if (state->sync_file && fsync(state->fd) != 0 && errno != EINVAL) /* EINVAL: special files cannot sync */
        return err_set_errno(ERR_FILE_SYNC, errno, "unable to sync file '%s'", name);
    if (state->writeback && !state->sync_file)
        posix_writeback_start(state); /* (with sync_file the fsync above wrote everything) */

    int fd = state->fd;
    state->fd = -1;
    if (close(fd) != 0)
        return err_set_errno(ERR_FILE_CLOSE, errno, "unable to close file '%s'", name);

    if (state->path_temp != NULL) {
        if (rename(state->path_temp, writer->path) != 0)
            return err_set_errno(ERR_FILE_MOVE, errno, "unable to move '%s' to '%s'", state->path_temp,
                                 writer->path);
        free(state->path_temp);
        state->path_temp = NULL;
    }
    state->committed = true;

    if (state->sync_path) {
        char *parent = path_parent(writer->path);
        int result = posix_sync_dir(parent);
        free(parent);
        TRY(result);
    }
    return 0;
}

static void
posix_write_free(StorageWrite *writer)
{
    PosixWrite *state = writer->state;
    if (state->fd >= 0)
        close(state->fd);
    if (!state->committed && state->path_temp != NULL)
        unlink(state->path_temp);
    free(state->path_temp);
    free(state->user);
    free(state->group);
    free(state);
    free(writer->path);
    free(writer);
}

/* A new final name is fine while the data goes to a temp name (renamed at close), not for a non-atomic write
 * or after the commit. */
static int
posix_write_set_path(StorageWrite *writer, const char *full_path)
{
    PosixWrite *state = writer->state;
    if (state->path_temp == NULL || state->committed)
        return err_set(ERR_ASSERT, "unable to rename '%s' to '%s' before close: the write is not atomic or is "
                       "already committed", writer->path, full_path);
    return 0;
}

static const StorageWriteOps posix_write_ops = {
    .write = posix_write,
    .close = posix_write_close,
    .free = posix_write_free,
    .set_path = posix_write_set_path,
};

/* Open (creating) the file to write; creates the parent directory when missing and allowed. */
static int
posix_open_write_fd(const char *full, const char *target, const StorageWriteOptions *options, int *fd)
{
    int flags = O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC;
    *fd = open_retry(target, flags, options->mode_file);
    if (*fd < 0 && errno == ENOENT && options->create_path) {
        char *parent = path_parent(full);
        int result = posix_mkdir(parent, options->mode_path, true, false);
        free(parent);
        TRY(result);
        *fd = open_retry(target, flags, options->mode_file);
    }
    if (*fd < 0) {
        int error = errno;
        if (error == ENOENT) {
            char *parent = path_parent(full);
            err_set(ERR_PATH_MISSING, "unable to open file '%s' for write in missing path '%s'", target, parent);
            free(parent);
            return -1;
        }
        return err_set_errno(ERR_FILE_OPEN, error, "unable to open file '%s' for write", target);
    }

    /* The mode given to open() is cut by the umask and ignored for an existing file: set it exactly. */
    struct stat st;
    if (fstat(*fd, &st) != 0 || (S_ISREG(st.st_mode) && (st.st_mode & 07777) != options->mode_file &&
                                 fchmod(*fd, options->mode_file) != 0)) {
        err_set_errno(ERR_FILE_MODE, errno, "unable to set mode of file '%s'", target);
        close(*fd);
        *fd = -1;
        return -1;
    }
    return 0;
}

static int
posix_open_write(Storage *storage, const char *path, const StorageWriteOptions *options, StorageWrite **result)
{
    *result = NULL;
    char *full = storage_path(storage, path);
    if (full == NULL)
        return -1;

    char *temp = options->atomic ? mem_printf("%s" POSIX_TEMP_SUFFIX, full) : NULL;
    int fd;
    if (posix_open_write_fd(full, temp != NULL ? temp : full, options, &fd) < 0) {
        free(temp);
        free(full);
        return -1;
    }

    PosixWrite *state = mem_alloc(sizeof(*state));
    *state = (PosixWrite){
        .fd = fd,
        .path_temp = temp,
        .committed = false,
        .sync_file = options->sync_file,
        .sync_path = options->sync_path,
        .writeback = options->writeback,
        .user = options->user != NULL ? mem_strdup(options->user) : NULL,
        .group = options->group != NULL ? mem_strdup(options->group) : NULL,
        .mtime = options->mtime,
    };

    StorageWrite *writer = mem_alloc(sizeof(*writer));
    writer->ops = &posix_write_ops;
    writer->path = full;
    writer->state = state;
    *result = writer;
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------------
 * paths and files
 * ------------------------------------------------------------------------------------------------------------------ */

static int
posix_path_create(Storage *storage, const char *path, mode_t mode, bool parents, bool error_on_exists)
{
    char *full = storage_path(storage, path);
    if (full == NULL)
        return -1;
    int result = posix_mkdir(full, mode, parents, error_on_exists);
    free(full);
    return result;
}

/* Remove everything below and including `full` (a directory); a missing path is fine. */
static int
posix_remove_tree(const char *full)
{
    DIR *dir = opendir(full);
    if (dir == NULL) {
        int error = errno;
        if (error == ENOENT)
            return 0;
        return err_set_errno(ERR_PATH_OPEN, error, "unable to open path '%s' for remove", full);
    }

    int result = 0;
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(dir);
        if (entry == NULL) {
            if (errno != 0)
                result = err_set_errno(ERR_PATH_OPEN, errno, "unable to read path '%s'", full);
            break;
        }
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;

        char *child = path_join(full, entry->d_name);
        struct stat st;
        if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
            result = posix_remove_tree(child);
        else if (unlink(child) != 0 && errno != ENOENT)
            result = err_set_errno(ERR_FILE_REMOVE, errno, "unable to remove file '%s'", child);
        free(child);
        if (result < 0)
            break;
    }
    closedir(dir);

    if (result == 0 && rmdir(full) != 0 && errno != ENOENT)
        result = err_set_errno(ERR_PATH_REMOVE, errno, "unable to remove path '%s'", full);
    return result;
}

static int
posix_path_remove(Storage *storage, const char *path, bool recurse)
{
    char *full = storage_path(storage, path);
    if (full == NULL)
        return -1;

    int result = 0;
    if (recurse)
        result = posix_remove_tree(full);
    else if (rmdir(full) != 0 && errno != ENOENT)
        result = err_set_errno(ERR_PATH_REMOVE, errno, "unable to remove path '%s'", full);
    free(full);
    return result;
}

static int
posix_path_sync(Storage *storage, const char *path)
{
    char *full = storage_path(storage, path);
    if (full == NULL)
        return -1;
    int result = posix_sync_dir(full);
    free(full);
    return result;
}

static int
posix_remove(Storage *storage, const char *path, bool error_on_missing)
{
    char *full = storage_path(storage, path);
    if (full == NULL)
        return -1;

    int result = 0;
    if (unlink(full) != 0) {
        int error = errno;
        if (error != ENOENT)
            result = err_set_errno(ERR_FILE_REMOVE, error, "unable to remove file '%s'", full);
        else if (error_on_missing)
            result = err_set(ERR_FILE_MISSING, "unable to remove missing file '%s'", full);
    }
    free(full);
    return result;
}

/* Copy `from` to `to` (atomically) and remove `from`: the cross-device fallback of move. */
static int
posix_move_copy(Storage *storage, const char *from, const char *to)
{
    StorageRead *reader = NULL;
    StorageWrite *writer = NULL;
    StorageWriteOptions options = storage_write_options_default();

    TRY(posix_open_read(storage, from, 0, -1, false, &reader));
    struct stat st;
    if (fstat(((PosixRead *)reader->state)->fd, &st) == 0)
        options.mode_file = st.st_mode & 07777;

    int result = posix_open_write(storage, to, &options, &writer);
    if (result == 0)
        result = storage_copy(reader, NULL, writer, 64 * 1024);
    if (result == 0)
        result = storage_write_close(writer);
    storage_write_free(writer);
    storage_read_free(reader);

    if (result == 0)
        result = posix_remove(storage, from, true);
    return result;
}

static int
posix_move(Storage *storage, const char *from, const char *to)
{
    char *full_from = storage_path(storage, from);
    char *full_to = full_from != NULL ? storage_path(storage, to) : NULL;
    if (full_to == NULL) {
        free(full_from);
        return -1;
    }

    int result = 0;
    int error = rename(full_from, full_to) == 0 ? 0 : errno;
    if (error == ENOENT) {
        struct stat st;
        if (lstat(full_from, &st) != 0) {
            result = err_set(ERR_FILE_MISSING, "unable to move missing source '%s'", full_from);
        } else {
            /* the destination directory is missing: create it and try again */
            char *parent = path_parent(full_to);
            result = posix_mkdir(parent, 0750, true, false);
            free(parent);
            if (result == 0)
                error = rename(full_from, full_to) == 0 ? 0 : errno;
        }
    }
    if (result == 0 && error == EXDEV)
        result = posix_move_copy(storage, full_from, full_to);
    else if (result == 0 && error != 0)
        result = err_set_errno(ERR_FILE_MOVE, error, "unable to move '%s' to '%s'", full_from, full_to);

    if (result == 0) {
        char *parent_to = path_parent(full_to);
        char *parent_from = path_parent(full_from);
        result = posix_sync_dir(parent_to);
        if (result == 0 && strcmp(parent_to, parent_from) != 0)
            result = posix_sync_dir(parent_from);
        free(parent_to);
        free(parent_from);
    }
    free(full_from);
    free(full_to);
    return result;
}

static int
posix_link_create(Storage *storage, const char *target, const char *path)
{
    char *full = storage_path(storage, path);
    if (full == NULL)
        return -1;

    int result = 0;
    if (symlink(target, full) != 0) {
        int error = errno;
        if (error == EEXIST)
            result = err_set(ERR_FILE_EXISTS, "unable to create link '%s' to '%s' because it already exists", full,
                             target);
        else if (error == ENOENT)
            result = err_set(ERR_PATH_MISSING, "unable to create link '%s' to '%s' in a missing path", full,
                             target);
        else
            result = err_set_errno(ERR_FILE_OPEN, error, "unable to create link '%s' to '%s'", full, target);
    }
    free(full);
    return result;
}

static void
posix_free(Storage *storage)
{
    PosixState *state = posix_state(storage);
    if (state == NULL)
        return;
    id_name_cache_free(&state->users);
    id_name_cache_free(&state->groups);
    pthread_mutex_destroy(&state->lock);
    free(state);
    storage->driver_state = NULL;
}

static const StorageDriver posix_driver = {
    .name = "posix",
    .features = STORAGE_FEATURE_PATH | STORAGE_FEATURE_LINK | STORAGE_FEATURE_PATH_SYNC |
                STORAGE_FEATURE_INFO_DETAIL,
    .info = posix_info,
    .list = posix_list,
    .open_read = posix_open_read,
    .open_write = posix_open_write,
    .path_create = posix_path_create,
    .path_remove = posix_path_remove,
    .path_sync = posix_path_sync,
    .remove = posix_remove,
    .move = posix_move,
    .link_create = posix_link_create,
    .free = posix_free,
};

Storage *
storage_posix_new(const char *base_path, bool writable)
{
    PosixState *state = mem_calloc(1, sizeof(*state));
    pthread_mutex_init(&state->lock, NULL);

    /* keep the base without a trailing slash (except the root itself) */
    size_t length = strlen(base_path);
    while (length > 1 && base_path[length - 1] == '/')
        length--;

    Storage *storage = mem_alloc(sizeof(*storage));
    storage->driver = &posix_driver;
    storage->base_path = length == 0 ? mem_strdup("/") : mem_strndup(base_path, length);
    storage->writable = writable;
    storage->driver_state = state;
    return storage;
}
