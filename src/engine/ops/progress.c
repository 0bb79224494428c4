/* progress: percent, rate and time left of a long copy (see progress.h). */
#include "engine/ops/progress.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "common/log.h"

/* Seconds between two redraws of the terminal status line. */
#define PROGRESS_DRAW_INTERVAL 0.5
/* The rate is not shown before this much time has passed (the first files say little about the rest). */
#define PROGRESS_RATE_MIN_SECONDS 0.2

static double
progress_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

void
progress_size_format(uint64_t size, char *out, size_t out_size)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    if (size < 1024) {
        snprintf(out, out_size, "%" PRIu64 "B", size);
        return;
    }
    size_t unit = 0;
    uint64_t divisor = 1;
    while (unit + 1 < sizeof(units) / sizeof(units[0]) && size >= divisor * 1024) {
        divisor *= 1024;
        unit++;
    }
    uint64_t tenths = (size * 10 + divisor / 2) / divisor;
    if (tenths % 10 == 0)
        snprintf(out, out_size, "%" PRIu64 "%s", tenths / 10, units[unit]);
    else
        snprintf(out, out_size, "%" PRIu64 ".%" PRIu64 "%s", tenths / 10, tenths % 10, units[unit]);
}

static void
progress_duration_format(double seconds, char *out, size_t out_size)
{
    uint64_t whole = seconds > 0 ? (uint64_t)(seconds + 0.5) : 0;
    if (whole >= 3600)
        snprintf(out, out_size, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, whole / 3600, whole / 60 % 60, whole % 60);
    else
        snprintf(out, out_size, "%" PRIu64 ":%02" PRIu64, whole / 60, whole % 60);
}

int
progress_format(const Progress *progress, double now, char *out, size_t out_size)
{
    uint64_t done = progress->done < progress->total ? progress->done : progress->total;
    double percent = progress->total > 0 ? (double)done * 100.0 / (double)progress->total : 100.0;
    char done_text[32], total_text[32];
    progress_size_format(done, done_text, sizeof(done_text));
    progress_size_format(progress->total, total_text, sizeof(total_text));
    double elapsed = now - progress->started;
    if (elapsed < PROGRESS_RATE_MIN_SECONDS || done == 0)
        return snprintf(out, out_size, "%s: %.1f%% (%s of %s)", progress->label, percent, done_text, total_text);

    double rate = (double)done / elapsed;
    char rate_text[32], eta_text[32];
    progress_size_format((uint64_t)rate, rate_text, sizeof(rate_text));
    progress_duration_format((double)(progress->total - done) / rate, eta_text, sizeof(eta_text));
    return snprintf(out, out_size, "%s: %.1f%% (%s of %s), %s/s, ETA %s", progress->label, percent, done_text,
                    total_text, rate_text, eta_text);
}

void
progress_start(Progress *progress, const char *label, uint64_t total)
{
    *progress = (Progress){.label = label, .total = total, .started = progress_now(), .terminal = log_status_available()};
}

void
progress_advance(Progress *progress, uint64_t bytes)
{
    progress->done += bytes;
    bool draw = progress->terminal;
    unsigned tenths = progress->total > 0 ? (unsigned)(progress->done * 10 / progress->total) : 10;
    bool log_due = tenths > progress->tenths_logged && tenths < 10 && log_enabled(LOG_DETAIL);
    if (!draw && !log_due)
        return;

    double now = progress_now();
    char text[160];
    if (draw && now - progress->drawn_at >= PROGRESS_DRAW_INTERVAL) {
        progress_format(progress, now, text, sizeof(text));
        log_status_set(text);
        progress->drawn_at = now;
    }
    if (log_due) {
        progress->tenths_logged = tenths;
        progress_format(progress, now, text, sizeof(text));
        LOG_DETAIL("%s", text);
    }
}

void
progress_finish(Progress *progress)
{
    if (progress->terminal)
        log_status_set(NULL);
    if (!log_enabled(LOG_DETAIL))
        return;
    double elapsed = progress_now() - progress->started;
    char done_text[32], rate_text[32], time_text[32];
    progress_size_format(progress->done, done_text, sizeof(done_text));
    progress_size_format(elapsed > 0 ? (uint64_t)((double)progress->done / elapsed) : 0, rate_text, sizeof(rate_text));
    progress_duration_format(elapsed, time_text, sizeof(time_text));
    LOG_DETAIL("%s: %s done in %s (%.3fs), %s/s", progress->label, done_text, time_text, elapsed, rate_text);
}
