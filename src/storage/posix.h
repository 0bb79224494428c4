/*
 * posix: the storage driver for local file systems (see storage.h for the contract).
 */
#ifndef GAIAREST_STORAGE_POSIX_H
#define GAIAREST_STORAGE_POSIX_H

#include <stdbool.h>

#include "storage/storage.h"

/* A posix storage rooted at `base_path` (absolute). Writes are refused unless `writable`. */
Storage *storage_posix_new(const char *base_path, bool writable);

/* A read-only view of a local file taken a window at a time, for a caller that hands the bytes to other threads
 * (hashing, compression) without copying them: in POSIX_VIEW_MAP mode each window is mapped from the page cache,
 * so the file's bytes are never copied into the process (when the file system refuses the mapping, the view reads
 * instead); in POSIX_VIEW_READ mode windows of at most POSIX_VIEW_READ_MAX bytes are read into a buffer of the
 * view's own. A mapped file must not shrink while viewed (a page past its end would fault): meant for WAL segments,
 * which PostgreSQL neither truncates nor rewrites while they wait to be archived. Should a mapped file shrink anyway
 * (or its storage fail), the bus error ends the process with ERR_FILE_READ and a message naming the file. */
typedef enum PosixViewMode {
    POSIX_VIEW_MAP,
    POSIX_VIEW_READ,
} PosixViewMode;

#define POSIX_VIEW_READ_MAX ((size_t)1 << 20)

typedef struct PosixView PosixView;

/* Open `path` of a posix storage for viewing in windows of `window_size` bytes (a multiple of the page size);
 * errors are those of storage_open_read (ERR_FILE_MISSING, ERR_FILE_OPEN naming the file). */
int posix_view_open(Storage *storage, const char *path, size_t window_size, PosixViewMode mode, PosixView **view);

/* The next window of the file in *data / *size (*size 0 at the end). The previous window is released: its bytes
 * must no longer be in use anywhere. */
int posix_view_next(PosixView *view, const uint8_t **data, size_t *size);

/* Release the current window and close the file (NULL is allowed). */
void posix_view_free(PosixView *view);

#endif
