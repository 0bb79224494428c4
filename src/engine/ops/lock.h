/*
 * lock: process locks and stop files in `lock-path`, with pgBackRest 2.45's names and contents so that
 * gaiarest and stock pgBackRest on the same host exclude each other (spec section 9).
 *
 *   <lock-path>/<stanza>-archive.lock   async archive-push / archive-get
 *   <lock-path>/<stanza>-backup.lock    backup, expire, stanza-create/upgrade/delete
 *   <lock-path>/<stanza>.stop           written by `stop --stanza`, removed by `start --stanza`
 *   <lock-path>/all.stop                written by `stop`, removed by `start`
 *
 * A lock is flock(LOCK_EX|LOCK_NB) on the file, which holds {"execId":"<pid>-<hex>","pid":<pid>} (plus
 * "pctCplt" during a backup). The kernel drops a flock when its process dies, so a lock file left by a dead
 * process is simply taken over.
 */
#ifndef GAIAREST_ENGINE_OPS_LOCK_H
#define GAIAREST_ENGINE_OPS_LOCK_H

#include <stdbool.h>
#include <sys/types.h>

typedef enum LockType {
    LOCK_TYPE_ARCHIVE,
    LOCK_TYPE_BACKUP,
} LockType;

typedef struct Lock Lock;

/* A new exec id "<pid>-<8 lowercase hex>" (owned by the caller). */
char *lock_exec_id_new(void);

/* Take the lock of `type` for `stanza`, creating lock-path when missing. A lock held by another process:
 * ERR_LOCK_ACQUIRE naming the file, with the hint "is another pgBackRest process running?". */
int lock_acquire(const char *lock_path, const char *stanza, LockType type, const char *exec_id, Lock **lock);

/* Record progress (percent x 100, 0..10000) in the lock file, as pgBackRest's "pctCplt". */
int lock_progress(Lock *lock, unsigned percent_complete);

/* Release the lock: remove the file and close it (NULL is allowed). */
void lock_release(Lock *lock);

/* Rewrite the lock file with the calling process's pid: the lock was handed to a forked child (the flock belongs
 * to the open file, which the child shares), and the child now owns it. */
int lock_owner_refresh(Lock *lock);

/* Close this process's handle without removing the file: a forked child that shares the open file keeps the lock
 * (NULL is allowed). */
void lock_detach(Lock *lock);

/* Whether another process holds the lock now; *pid is set from the file's content when known (else 0). */
bool lock_held(const char *lock_path, const char *stanza, LockType type, pid_t *pid);

/* What the holder of a lock has written in it. */
typedef struct LockHolder {
    pid_t pid;              /* 0 when not recorded */
    bool has_record;        /* the file holds a JSON object (a holder that has started writing nothing yet: false) */
    int percent_complete;   /* "pctCplt", percent x 100 (0..10000); -1 when not recorded */
} LockHolder;

/* Like lock_held(), and read the holder's record into *holder (zeroed, percent -1, when not held). */
bool lock_holder_read(const char *lock_path, const char *stanza, LockType type, LockHolder *holder);

/* ERR_STOP when a stop file exists for the stanza or for all stanzas ("stop file exists for stanza X" /
 * "stop file exists for all stanzas"). */
int stop_check(const char *lock_path, const char *stanza);

/* Create the stop file (stanza NULL: all.stop). *already is set when it existed. */
int stop_create(const char *lock_path, const char *stanza, bool *already);

/* Remove the stop file (stanza NULL: all.stop). *existed is set when it was there. */
int stop_remove(const char *lock_path, const char *stanza, bool *existed);

/* The path of a lock or stop file (owned by the caller). */
char *lock_file_path(const char *lock_path, const char *stanza, LockType type);
char *stop_file_path(const char *lock_path, const char *stanza);

#endif
