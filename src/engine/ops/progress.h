/*
 * progress: how far a long copy (backup, restore) has gone, shown to the person waiting for it.
 *
 * The caller says how many bytes the whole job holds and adds each finished file's bytes. On an interactive
 * terminal (stderr is a tty) a status line is redrawn at most twice a second:
 *   "backup: 42.0% (812MB of 1.9GB), 96.3MB/s, ETA 0:12"
 * and cleared before any log line is written and at the end. In the log, the same figures are written at
 * `detail` level each time another tenth of the bytes is done, and once at the end with the average rate.
 * Coordinator thread only.
 */
#ifndef GAIAREST_ENGINE_OPS_PROGRESS_H
#define GAIAREST_ENGINE_OPS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Progress {
    const char *label;        /* "backup", "restore": not owned, must outlive the meter */
    uint64_t total;           /* bytes of the whole job */
    uint64_t done;            /* bytes finished so far */
    double started;           /* monotonic seconds at progress_start */
    double drawn_at;          /* monotonic seconds of the last status line, 0 for none */
    unsigned tenths_logged;   /* how many tenths of the job the detail log has reported */
    bool terminal;            /* stderr is a terminal: the status line is drawn */
} Progress;

/* Start measuring a job of `total` bytes. */
void progress_start(Progress *progress, const char *label, uint64_t total);

/* Add `bytes` finished bytes; redraws the terminal status line and writes the detail log line when due. */
void progress_advance(Progress *progress, uint64_t bytes);

/* End of the job: clears the status line and logs the total and average rate at detail level. */
void progress_finish(Progress *progress);

/* The figures as shown, computed at monotonic time `now` (seconds): percent, done and total sizes, rate, and the
 * estimated time left once a rate is known ("ETA" omitted before). Returns the length (snprintf rules). */
int progress_format(const Progress *progress, double now, char *out, size_t out_size);

/* Bytes as backup's log lines show them: "812B", "1.5KB", "96.3MB", "2GB" (one decimal, rounded, dropped when
 * it is 0; into `out`, at least 32 bytes). Shared by the progress figures and the backup log. */
void progress_size_format(uint64_t bytes, char *out, size_t out_size);

#endif
