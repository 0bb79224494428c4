/* lock: pgBackRest-compatible lock and stop files (see lock.h). */
#include "engine/ops/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common/error.h"
#include "common/json.h"
#include "common/mem.h"

struct Lock {
    int fd;
    char *path;
    char *exec_id;
};

static const char *
lock_type_name(LockType type)
{
    return type == LOCK_TYPE_ARCHIVE ? "archive" : "backup";
}

char *
lock_file_path(const char *lock_path, const char *stanza, LockType type)
{
    return mem_printf("%s/%s-%s.lock", lock_path, stanza, lock_type_name(type));
}

char *
stop_file_path(const char *lock_path, const char *stanza)
{
    return stanza != NULL ? mem_printf("%s/%s.stop", lock_path, stanza) : mem_printf("%s/all.stop", lock_path);
}

char *
lock_exec_id_new(void)
{
    unsigned char random_bytes[4];
    if (RAND_bytes(random_bytes, sizeof(random_bytes)) != 1) {
        /* Fall back to time-derived bytes: the exec id only has to differ between runs. */
        unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL);
        memcpy(random_bytes, &seed, sizeof(random_bytes));
    }
    return mem_printf("%d-%02x%02x%02x%02x", (int)getpid(), random_bytes[0], random_bytes[1], random_bytes[2],
                      random_bytes[3]);
}

/* Create lock-path (and its parents) when it does not exist yet. */
static int
lock_path_create(const char *lock_path)
{
    char *path = mem_strdup(lock_path);
    for (char *slash = strchr(path + 1, '/');; slash = strchr(slash + 1, '/')) {
        if (slash != NULL)
            *slash = '\0';
        if (mkdir(path, 0770) != 0 && errno != EEXIST) {
            int saved = errno;
            err_set_errno(ERR_PATH_CREATE, saved, "unable to create lock path '%s'", path);
            free(path);
            return -1;
        }
        if (slash == NULL)
            break;
        *slash = '/';
    }
    free(path);
    return 0;
}

/* Replace the content of the lock file with `content`. */
static int
lock_write_content(Lock *lock, const char *content)
{
    size_t length = strlen(content);
    if (ftruncate(lock->fd, 0) != 0)
        return err_set_errno(ERR_FILE_WRITE, errno, "unable to truncate lock file '%s'", lock->path);
    if (pwrite(lock->fd, content, length, 0) != (ssize_t)length)
        return err_set_errno(ERR_FILE_WRITE, errno, "unable to write lock file '%s'", lock->path);
    return 0;
}

int
lock_acquire(const char *lock_path, const char *stanza, LockType type, const char *exec_id, Lock **lock_out)
{
    *lock_out = NULL;
    TRY(lock_path_create(lock_path));

    char *path = lock_file_path(lock_path, stanza, type);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        err_set_errno(ERR_LOCK_ACQUIRE, errno, "unable to acquire lock on file '%s'", path);
        free(path);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int saved = errno;
        err_set(ERR_LOCK_ACQUIRE, "unable to acquire lock on file '%s': %s", path, strerror(saved));
        err_hint("is another pgBackRest process running?");
        close(fd);
        free(path);
        return -1;
    }

    Lock *lock = mem_calloc(1, sizeof(Lock));
    lock->fd = fd;
    lock->path = path;
    lock->exec_id = mem_strdup(exec_id);

    char content[256];
    snprintf(content, sizeof(content), "{\"execId\":\"%s\",\"pid\":%d}", exec_id, (int)getpid());
    if (lock_write_content(lock, content) != 0) {
        lock_release(lock);
        return -1;
    }
    *lock_out = lock;
    return 0;
}

int
lock_progress(Lock *lock, unsigned percent_complete)
{
    char content[256];
    snprintf(content, sizeof(content), "{\"execId\":\"%s\",\"pctCplt\":%u,\"pid\":%d}", lock->exec_id,
             percent_complete, (int)getpid());
    return lock_write_content(lock, content);
}

int
lock_owner_refresh(Lock *lock)
{
    char content[256];
    snprintf(content, sizeof(content), "{\"execId\":\"%s\",\"pid\":%d}", lock->exec_id, (int)getpid());
    return lock_write_content(lock, content);
}

void
lock_detach(Lock *lock)
{
    if (lock == NULL)
        return;
    close(lock->fd);
    free(lock->path);
    free(lock->exec_id);
    free(lock);
}

void
lock_release(Lock *lock)
{
    if (lock == NULL)
        return;
    /* Unlink while still holding the lock, so that no other process locks a file that is about to vanish. */
    unlink(lock->path);
    close(lock->fd);
    free(lock->path);
    free(lock->exec_id);
    free(lock);
}

bool
lock_holder_read(const char *lock_path, const char *stanza, LockType type, LockHolder *holder)
{
    *holder = (LockHolder){.percent_complete = -1};
    char *path = lock_file_path(lock_path, stanza, type);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return false;

    bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    if (held) {
        char content[4096];
        ssize_t length = pread(fd, content, sizeof(content) - 1, 0);
        while (length > 0 && (content[length - 1] == '\n' || content[length - 1] == ' '))
            length--;
        if (length > 0 && content[0] == '{' && json_valid(content, (size_t)length)) {
            content[length] = '\0';
            holder->has_record = true;
            const char *pid_key = strstr(content, "\"pid\":");
            if (pid_key != NULL)
                holder->pid = (pid_t)strtol(pid_key + strlen("\"pid\":"), NULL, 10);
            const char *percent_key = strstr(content, "\"pctCplt\":");
            if (percent_key != NULL) {
                long percent = strtol(percent_key + strlen("\"pctCplt\":"), NULL, 10);
                holder->percent_complete = percent < 0 ? 0 : percent > 10000 ? 10000 : (int)percent;
            }
        }
    }
    close(fd);
    return held;
}

bool
lock_held(const char *lock_path, const char *stanza, LockType type, pid_t *pid)
{
    LockHolder holder;
    bool held = lock_holder_read(lock_path, stanza, type, &holder);
    *pid = holder.pid;
    return held;
}

int
stop_check(const char *lock_path, const char *stanza)
{
    char *all_path = stop_file_path(lock_path, NULL);
    bool all_stopped = access(all_path, F_OK) == 0;
    free(all_path);
    if (all_stopped)
        return err_set(ERR_STOP, "stop file exists for all stanzas");

    if (stanza != NULL) {
        char *stanza_path = stop_file_path(lock_path, stanza);
        bool stanza_stopped = access(stanza_path, F_OK) == 0;
        free(stanza_path);
        if (stanza_stopped)
            return err_set(ERR_STOP, "stop file exists for stanza %s", stanza);
    }
    return 0;
}

int
stop_create(const char *lock_path, const char *stanza, bool *already)
{
    *already = false;
    TRY(lock_path_create(lock_path));
    char *path = stop_file_path(lock_path, stanza);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        int saved = errno;
        if (saved == EEXIST) {
            *already = true;
            free(path);
            return 0;
        }
        err_set_errno(ERR_FILE_OPEN, saved, "unable to create stop file '%s'", path);
        free(path);
        return -1;
    }
    close(fd);
    free(path);
    return 0;
}

int
stop_remove(const char *lock_path, const char *stanza, bool *existed)
{
    *existed = false;
    char *path = stop_file_path(lock_path, stanza);
    if (unlink(path) == 0) {
        *existed = true;
    } else if (errno != ENOENT) {
        err_set_errno(ERR_FILE_REMOVE, errno, "unable to remove stop file '%s'", path);
        free(path);
        return -1;
    }
    free(path);
    return 0;
}
