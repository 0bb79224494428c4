/*
 * storage: the one interface every repository and data-directory access goes through.
 *
 * A Storage is a driver (posix, s3) rooted at a base path; every path given to these functions is
 * relative to that base (or absolute, for posix only when it lies inside the base). The driver is a
 * table of functions (StorageDriver); the storage_* functions below dispatch to it and add what is common
 * (copy through a filter pipeline, reading small files whole). Drivers report:
 *   - a missing file as ERR_FILE_MISSING, a missing directory as ERR_PATH_MISSING (unless the caller said
 *     missing is fine, see the ignore_missing flags),
 *   - permission problems as ERR_FILE_OPEN / ERR_PATH_OPEN with a message that says so,
 *   - a full disk as ERR_FILE_WRITE with a message that says so,
 * and every message names the path at fault.
 *
 * Writes are atomic by default: posix writes "<name>.pgbackrest.tmp", fsyncs it, renames it over the final
 * name and fsyncs the directory; S3 only makes an object visible when its upload is complete. A write that
 * is freed without storage_write_close() leaves nothing behind (the temp file is removed, the multipart
 * upload aborted).
 */
#ifndef GAIAREST_STORAGE_STORAGE_H
#define GAIAREST_STORAGE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "storage/filter/filter.h"

typedef enum StorageType {
    STORAGE_TYPE_FILE,
    STORAGE_TYPE_PATH,
    STORAGE_TYPE_LINK,
    STORAGE_TYPE_SPECIAL,
} StorageType;

/* What a driver can do beyond files (posix: all; s3: none). */
typedef enum StorageFeature {
    STORAGE_FEATURE_PATH = 1 << 0,      /* real directories that must be created */
    STORAGE_FEATURE_LINK = 1 << 1,      /* symlinks */
    STORAGE_FEATURE_PATH_SYNC = 1 << 2, /* directories can be fsynced */
    STORAGE_FEATURE_INFO_DETAIL = 1 << 3, /* mode, owner and group are known */
} StorageFeature;

typedef struct StorageInfo {
    char *name;        /* name relative to the listed path (list) or NULL (storage_info); owned */
    bool exists;
    StorageType type;
    uint64_t size;
    int64_t mtime;     /* seconds since the epoch */
    mode_t mode;       /* permission bits only (07777) */
    uid_t uid;
    gid_t gid;
    char *user;        /* owner name, NULL when the uid has no name; owned */
    char *group;       /* group name, NULL when the gid has no name; owned */
    char *link_dest;   /* link target for STORAGE_TYPE_LINK; owned */
} StorageInfo;

/* Release the strings of an info (not the struct itself). */
void storage_info_clear(StorageInfo *info);

typedef struct Storage Storage;
typedef struct StorageRead StorageRead;
typedef struct StorageWrite StorageWrite;

typedef struct StorageWriteOptions {
    bool atomic;       /* default true: write a temp name and rename when closed */
    bool sync_file;    /* default true: fsync the file before close */
    bool sync_path;    /* default true: fsync the parent directory after rename (posix) */
    bool writeback;    /* default false: start writing the data to disk as it is written (posix: sync_file_range
                        * every MiB without waiting), so that little is left for the fsync at close (sync_file) or
                        * for a caller that makes many files durable at once later (syncfs) */
    bool create_path;  /* default true: create missing parent directories */
    mode_t mode_file;  /* default 0640 */
    mode_t mode_path;  /* default 0750 */
    const char *user;  /* chown to this user when set (posix, as root) */
    const char *group;
    int64_t mtime;     /* set the modification time when != 0 */
    unsigned hold_chunks; /* object stores: keep up to this many upload chunks in memory before turning to a
                           * multipart upload (0 or 1: one chunk), so that a file up to that size goes up with one
                           * request under the name it has at close (storage_write_set_name) */
} StorageWriteOptions;

/* The defaults described above. */
StorageWriteOptions storage_write_options_default(void);

/* Called once per entry by storage_list(); return 0 to go on, -1 to stop with the error record set. */
typedef int (*StorageListCallback)(void *context, const StorageInfo *info);

typedef struct StorageDriver {
    const char *name; /* "posix", "s3" */
    unsigned features; /* StorageFeature bits */

    /* Fill *info (exists=false when missing, with 0 returned). follow_link: stat instead of lstat. */
    int (*info)(Storage *storage, const char *path, bool follow_link, StorageInfo *info);
    /* Call cb for each entry under path (names relative to path, "a/b" when recursing); `.` and `..`
     * never appear. A missing path: ERR_PATH_MISSING unless ignore_missing (then no entries). Entries
     * come in no particular order; storage_list() sorts when asked. name_prefix (NULL: none) is a hint: only
     * names starting with it are wanted, so a driver may leave the others out (s3 lists that key prefix
     * only); the caller filters anyway. */
    int (*list)(Storage *storage, const char *path, const char *name_prefix, bool recurse, bool ignore_missing,
                StorageListCallback cb, void *context);
    /* Open for reading from `offset`, at most `limit` bytes (limit < 0: to the end). A missing file:
     * ERR_FILE_MISSING, or 0 with *read = NULL when ignore_missing. */
    int (*open_read)(Storage *storage, const char *path, uint64_t offset, int64_t limit, bool ignore_missing,
                     StorageRead **read);
    int (*open_write)(Storage *storage, const char *path, const StorageWriteOptions *options,
                      StorageWrite **write);
    int (*path_create)(Storage *storage, const char *path, mode_t mode, bool parents, bool error_on_exists);
    /* Remove a directory (recursively when asked); a missing path is not an error. */
    int (*path_remove)(Storage *storage, const char *path, bool recurse);
    /* fsync a directory (drivers without STORAGE_FEATURE_PATH_SYNC may leave it NULL). */
    int (*path_sync)(Storage *storage, const char *path);
    /* Remove a file; a missing file is an error only when error_on_missing. */
    int (*remove)(Storage *storage, const char *path, bool error_on_missing);
    /* Rename within the storage (posix: rename(2), falling back to copy+remove across devices). */
    int (*move)(Storage *storage, const char *from, const char *to);
    /* Create a symlink at `path` pointing to `target` (NULL when the driver has no links). */
    int (*link_create)(Storage *storage, const char *target, const char *path);
    /* Release driver state. */
    void (*free)(Storage *storage);
    /* The calling thread is done with the storage: the next thread to use it owns it (NULL: a driver whose storage
     * is not tied to a thread). */
    void (*hand_over)(Storage *storage);
} StorageDriver;

struct Storage {
    const StorageDriver *driver;
    char *base_path; /* owned */
    bool writable;
    void *driver_state;
};

typedef struct StorageReadOps {
    /* Read up to `size` bytes into `buffer`; *got = 0 means end of file. */
    int (*read)(StorageRead *read, uint8_t *buffer, size_t size, size_t *got);
    void (*free)(StorageRead *read);
} StorageReadOps;

struct StorageRead {
    const StorageReadOps *ops;
    char *path;        /* full path or key, for messages; owned */
    void *state;
    uint64_t consumed; /* bytes storage_read() has returned (drivers allocate the struct zeroed) */
};

typedef struct StorageWriteOps {
    int (*write)(StorageWrite *write, const uint8_t *data, size_t size);
    /* Commit: flush, sync, rename (posix) / complete the upload (s3). */
    int (*close)(StorageWrite *write);
    /* Free; when close() did not succeed, discard everything written (temp file, multipart upload). */
    void (*free)(StorageWrite *write);
    /* Optional: the final name changes to `full_path` (same directory) before close(); see
     * storage_write_set_name(). NULL: the driver reads write->path only at commit, so replacing it is enough. */
    int (*set_path)(StorageWrite *write, const char *full_path);
} StorageWriteOps;

struct StorageWrite {
    const StorageWriteOps *ops;
    char *path; /* final full path or key, for messages; owned */
    void *state;
};

/* --- dispatch (see StorageDriver for each contract) --- */
int storage_info(Storage *storage, const char *path, bool follow_link, StorageInfo *info);
bool storage_feature(const Storage *storage, StorageFeature feature);

/* List entries, optionally only names matching the POSIX extended `regex` (NULL: all), sorted by name
 * (byte order) when `sorted`. The callback sees each matching entry. The literal start of an anchored regex
 * ("^000000010000000000000003-..." -> "000000010000000000000003") is passed to the driver as its name_prefix. */
int storage_list(Storage *storage, const char *path, const char *regex, bool recurse, bool ignore_missing,
                 bool sorted, StorageListCallback cb, void *context);

/* Convenience: the matching names (sorted) as a NULL-terminated array owned by the caller
 * (free with storage_names_free). */
int storage_list_names(Storage *storage, const char *path, const char *regex, bool ignore_missing, char ***names,
                       size_t *count);
void storage_names_free(char **names, size_t count);

int storage_open_read(Storage *storage, const char *path, uint64_t offset, int64_t limit, bool ignore_missing,
                      StorageRead **read);
int storage_read(StorageRead *read, uint8_t *buffer, size_t size, size_t *got);
/* Read until `buffer` holds `size` bytes or the file ends: *got is short only at the end of the file. */
int storage_read_full(StorageRead *read, uint8_t *buffer, size_t size, size_t *got);
void storage_read_free(StorageRead *read);

int storage_open_write(Storage *storage, const char *path, const StorageWriteOptions *options,
                       StorageWrite **write);
int storage_write(StorageWrite *write, const uint8_t *data, size_t size);
int storage_write_close(StorageWrite *write);
/* Change the final file name of an open write (same directory; `name` has no '/') before it is closed: for
 * content-addressed names that are known only at the end (a WAL segment's "<seg>-<sha1>.<ext>"). The data
 * keeps going to the temp name chosen at open; close() commits it under the new name. A non-atomic posix
 * write (already writing the final name) refuses with ERR_ASSERT. S3: a single PUT goes to the new key at close; a
 * multipart upload already created under the open key is completed there, copied to the new key and removed. */
int storage_write_set_name(StorageWrite *write, const char *name);
void storage_write_free(StorageWrite *write);

int storage_path_create(Storage *storage, const char *path, mode_t mode, bool parents, bool error_on_exists);
int storage_path_remove(Storage *storage, const char *path, bool recurse);
int storage_path_sync(Storage *storage, const char *path);
int storage_remove(Storage *storage, const char *path, bool error_on_missing);
int storage_move(Storage *storage, const char *from, const char *to);
int storage_link_create(Storage *storage, const char *target, const char *path);

/* Full path of `path` in this storage (base + path), owned by the caller. "" and "." are the base itself; an
 * absolute path is returned as is when it lies inside the base, otherwise NULL with ERR_PARAM_INVALID set. */
char *storage_path(const Storage *storage, const char *path);

void storage_free(Storage *storage);

/* The calling thread, which used `storage` so far, is done with it: another thread may take it over once the two are
 * synchronized (a join, a mutex). A storage is otherwise used by one thread only (an S3 client refuses any other). */
void storage_hand_over(Storage *storage);

/* --- the one copy loop --- */

/* Read `read` to its end in buffers of `buffer_size`, push everything through `pipeline` (may be NULL) and
 * write the output to `write` (may be NULL: then the output is discarded, e.g. verify). Neither read nor
 * write is closed or freed here; the caller closes the write to commit it. */
int storage_copy(StorageRead *read, Pipeline *pipeline, StorageWrite *write, size_t buffer_size);

/* The `bytes` argument of storage_copy_part() that means "to the end of the read". */
#define STORAGE_COPY_ALL UINT64_MAX

/* The same for exactly the next `bytes` bytes of `read` (one piece of a longer read, e.g. a file in a bundle), or to
 * its end with STORAGE_COPY_ALL: the pipeline is finished after them and the read stays open at the byte that
 * follows. A read that ends before `bytes` fails (ERR_FILE_READ). */
int storage_copy_part(StorageRead *read, Pipeline *pipeline, StorageWrite *write, size_t buffer_size, uint64_t bytes);

/* The same loop to the end of `read`, the pipeline's output handed to `sink` instead of a storage write (stdout, the
 * hashing ring of archive-get). */
int storage_copy_to(StorageRead *read, Pipeline *pipeline, FilterSink sink, void *context, size_t buffer_size);

/* A piece of a stored object: a file in a bundle. */
typedef struct StorageSlice {
    uint64_t offset;
    uint64_t size;
} StorageSlice;

/* Called for slice `index` with `read` at its first byte: reads its `size` bytes (storage_copy_part). It may stop
 * short after a failure it keeps for itself (returning 0: the rest of the slice is skipped) or fail the whole read
 * (-1). */
typedef int (*StorageSliceReader)(void *context, size_t index, StorageRead *read, uint64_t size);

/* Slices (bundled files) this close together are worth reading through rather than opening a new read: the gap
 * restore and verify use. */
#define STORAGE_SLICE_GAP_MAX ((uint64_t)1 << 20)

/* Read slices of one object (sorted by offset, not overlapping) with one ranged read per run of slices less than
 * `gap_max` bytes apart, the bytes between them read and dropped: one request for a bundle's files instead of one
 * per file. With ignore_missing, a missing object returns 0 with *found = false and no reader call. */
int storage_read_slices(Storage *storage, const char *path, const StorageSlice *slices, size_t count, uint64_t gap_max,
                        size_t buffer_size, bool ignore_missing, bool *found, StorageSliceReader reader, void *context);

/* Read a whole (small) file through an optional pipeline (e.g. decrypt) into `out`. With ignore_missing,
 * a missing file returns 0 with *found = false. */
int storage_get(Storage *storage, const char *path, Pipeline *pipeline, bool ignore_missing, bool *found, Buf *out);

/* Write a whole buffer through an optional pipeline (e.g. encrypt) atomically with default options. */
int storage_put(Storage *storage, const char *path, Pipeline *pipeline, const uint8_t *data, size_t size);

#endif
