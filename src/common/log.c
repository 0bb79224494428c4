/* log: pgBackRest-style log lines (see log.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"

static const char *const log_level_names[] = {"off", "error", "warn", "info", "detail", "debug", "trace"};
static const char *const log_level_labels[] = {"OFF", "ERROR", "WARN", "INFO", "DETAIL", "DEBUG", "TRACE"};

static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static LogSettings log_settings = {LOG_OFF, LOG_WARN, LOG_OFF, true, NULL};
static int log_fd = -1;
static _Thread_local unsigned log_process_id;
static int log_status_tty = -1; /* isatty(stderr), -1 until asked */
static char *log_status_text;   /* the status line shown on the terminal, NULL for none */

#define LOG_SEPARATOR "-------------------PROCESS START-------------------\n"
/* Back to the start of the terminal line and erase it. */
#define LOG_STATUS_CLEAR "\r\033[K"

int
log_level_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++)
        if (strcmp(log_level_names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *
log_level_name(LogLevel level)
{
    return level <= LOG_TRACE ? log_level_names[level] : "unknown";
}

/* Create every missing directory above path (mode 0750). */
static void
log_make_parents(const char *path)
{
    char *copy = mem_strdup(path);
    for (char *slash = strchr(copy + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(copy, 0750) != 0 && errno != EEXIST)
            break;
        *slash = '/';
    }
    free(copy);
}

static void
log_write_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t written = write(fd, data, size);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        data += written;
        size -= (size_t)written;
    }
}

/* Open the log file for appending and write the process separator (after a blank line when the file
 * already has content). On failure: a warning and no file log, as pgBackRest does. */
static void
log_open_file(void)
{
    log_make_parents(log_settings.file_path);
    int fd = open(log_settings.file_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        int errnum = errno;
        char *path = mem_strdup(log_settings.file_path);
        log_settings.file = LOG_OFF;
        log_write(LOG_WARN, "unable to open log file '%s': %s\nNOTE: process will continue without log file.", path,
                  strerror(errnum));
        free(path);
        return;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        log_write_all(fd, "\n", 1);
    log_write_all(fd, LOG_SEPARATOR, strlen(LOG_SEPARATOR));
    log_fd = fd;
}

int
log_init(const LogSettings *settings)
{
    pthread_mutex_lock(&log_mutex);
    if (log_fd >= 0) {
        close(log_fd);
        log_fd = -1;
    }
    free((void *)log_settings.file_path);
    log_settings = *settings;
    log_settings.file_path = settings->file_path != NULL ? mem_strdup(settings->file_path) : NULL;
    if (log_settings.file_path == NULL)
        log_settings.file = LOG_OFF;
    pthread_mutex_unlock(&log_mutex);
    if (log_settings.file != LOG_OFF)
        log_open_file();
    return 0;
}

void
log_close(void)
{
    pthread_mutex_lock(&log_mutex);
    if (log_fd >= 0) {
        close(log_fd);
        log_fd = -1;
    }
    log_settings.file = LOG_OFF;
    free((void *)log_settings.file_path);
    log_settings.file_path = NULL;
    if (log_status_text != NULL) { /* a status line left by an interrupted job */
        log_write_all(STDERR_FILENO, LOG_STATUS_CLEAR, strlen(LOG_STATUS_CLEAR));
        free(log_status_text);
        log_status_text = NULL;
    }
    pthread_mutex_unlock(&log_mutex);
}

void
log_set_process_id(unsigned process_id)
{
    log_process_id = process_id;
}

bool
log_enabled(LogLevel level)
{
    return level != LOG_OFF && (level <= log_settings.console || level <= log_settings.std_err ||
                                (level <= log_settings.file && log_fd >= 0));
}

/* Append message to line, indenting every line after the first by indent spaces, then a newline. */
static void
log_append_message(Buf *line, const char *message, size_t indent)
{
    const char *start = message;
    for (;;) {
        const char *newline = strchr(start, '\n');
        size_t len = newline != NULL ? (size_t)(newline - start) : strlen(start);
        buf_append(line, start, len);
        buf_append(line, "\n", 1);
        if (newline == NULL)
            break;
        for (size_t i = 0; i < indent; i++)
            buf_append(line, " ", 1);
        start = newline + 1;
    }
}

/* "[YYYY-MM-DD HH:MM:SS.mmm ]P<NN> <LEVEL>: " */
static void
log_prefix(Buf *line, LogLevel level, bool timestamp)
{
    char text[64];
    int len;
    if (timestamp) {
        struct timeval now;
        struct tm tm;
        gettimeofday(&now, NULL);
        localtime_r(&now.tv_sec, &tm);
        char date[32];
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        len = snprintf(text, sizeof(text), "%s.%03d ", date, (int)(now.tv_usec / 1000));
        buf_append(line, text, (size_t)len);
    }
    len = snprintf(text, sizeof(text), "P%02u %6s: ", log_process_id, log_level_labels[level]);
    buf_append(line, text, (size_t)len);
}

void
log_write(LogLevel level, const char *fmt, ...)
{
    if (level == LOG_OFF || level > LOG_TRACE || !log_enabled(level))
        return;

    va_list args;
    va_start(args, fmt);
    char *message = NULL;
    int rc = vasprintf(&message, fmt, args);
    va_end(args);
    if (rc < 0)
        return;

    Buf line_buf = BUF_INIT;
    Buf *line = &line_buf;
    pthread_mutex_lock(&log_mutex);
    bool status_shown = log_status_text != NULL;
    if (status_shown)
        log_write_all(STDERR_FILENO, LOG_STATUS_CLEAR, strlen(LOG_STATUS_CLEAR));
    if (level <= log_settings.std_err) {
        buf_clear(line);
        buf_append(line, log_level_labels[level], strlen(log_level_labels[level]));
        buf_append(line, ": ", 2);
        log_append_message(line, message, line->size);
        log_write_all(STDERR_FILENO, (const char *)line->data, line->size);
    } else if (level <= log_settings.console) {
        buf_clear(line);
        log_prefix(line, level, log_settings.timestamp);
        log_append_message(line, message, line->size);
        log_write_all(STDOUT_FILENO, (const char *)line->data, line->size);
    }
    if (log_fd >= 0 && level <= log_settings.file) {
        buf_clear(line);
        log_prefix(line, level, log_settings.timestamp);
        log_append_message(line, message, line->size);
        log_write_all(log_fd, (const char *)line->data, line->size);
    }
    if (status_shown)
        log_write_all(STDERR_FILENO, log_status_text, strlen(log_status_text));
    pthread_mutex_unlock(&log_mutex);
    buf_free(line);
    free(message);
}

bool
log_status_available(void)
{
    pthread_mutex_lock(&log_mutex);
    if (log_status_tty < 0)
        log_status_tty = isatty(STDERR_FILENO) ? 1 : 0;
    bool available = log_status_tty == 1;
    pthread_mutex_unlock(&log_mutex);
    return available;
}

void
log_status_set(const char *text)
{
    if (!log_status_available())
        return;
    pthread_mutex_lock(&log_mutex);
    free(log_status_text);
    log_status_text = NULL;
    log_write_all(STDERR_FILENO, LOG_STATUS_CLEAR, strlen(LOG_STATUS_CLEAR));
    if (text != NULL) {
        log_status_text = mem_strdup(text);
        log_write_all(STDERR_FILENO, log_status_text, strlen(log_status_text));
    }
    pthread_mutex_unlock(&log_mutex);
}
