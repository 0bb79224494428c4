/*
 * log: pgBackRest-style log lines to the console (stdout), stderr and a log file.
 *
 * Line format, as pgBackRest writes it:
 *   [<YYYY-MM-DD HH:MM:SS.mmm> ]P<NN> <LEVEL padded to 6>: <message>
 * e.g. "2026-11-24 10:29:33.123 P00   INFO: archive-push command begin 2.45: ..." (the timestamp only with
 * log-timestamp=y). P00 is the main process; worker threads log as P01, P02, ... (log_set_process_id).
 * Each destination has its own level (log-level-console, log-level-stderr, log-level-file); a line goes
 * to every destination whose level admits it. The file is <log-path>/<stanza>-<command>.log.
 * Thread-safe: one line is written with one write() per destination.
 */
#ifndef GAIAREST_COMMON_LOG_H
#define GAIAREST_COMMON_LOG_H

#include <stdbool.h>

typedef enum LogLevel {
    LOG_OFF = 0,
    LOG_ERROR,
    LOG_WARN,
    LOG_INFO,
    LOG_DETAIL,
    LOG_DEBUG,
    LOG_TRACE,
} LogLevel;

typedef struct LogSettings {
    LogLevel console;     /* log-level-console (default warn) */
    LogLevel std_err;     /* log-level-stderr (default warn) */
    LogLevel file;        /* log-level-file (default info); LOG_OFF when no file is wanted */
    bool timestamp;       /* log-timestamp (default y) */
    const char *file_path; /* full path of the log file, NULL for none */
} LogSettings;

/* Apply settings (copied). Before the first call: console off, stderr at warn, no file, timestamps on. */
int log_init(const LogSettings *settings);

/* Close the log file. */
void log_close(void);

/* The process number shown as P<NN> for lines written by the calling thread (0 = main). */
void log_set_process_id(unsigned process_id);

/* Parse a level name ("off", "error", "warn", "info", "detail", "debug", "trace"); -1 when unknown. */
int log_level_parse(const char *name);
const char *log_level_name(LogLevel level);

/* True when a line at `level` would be written somewhere (to skip building expensive messages). */
bool log_enabled(LogLevel level);

void log_write(LogLevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True when stderr is an interactive terminal, where a status line (progress) can be shown. */
bool log_status_available(void);

/* Show `text` as the terminal's status line (one line on stderr, redrawn in place), or clear it (NULL).
 * Log lines written to the terminal while a status line is shown appear above it. No-op without a terminal. */
void log_status_set(const char *text);

#define LOG_ERROR(...) log_write(LOG_ERROR, __VA_ARGS__)
#define LOG_WARN(...) log_write(LOG_WARN, __VA_ARGS__)
#define LOG_INFO(...) log_write(LOG_INFO, __VA_ARGS__)
#define LOG_DETAIL(...) log_write(LOG_DETAIL, __VA_ARGS__)
#define LOG_DEBUG(...) log_write(LOG_DEBUG, __VA_ARGS__)

#endif
