/*
 * error: the error record every module reports through.
 *
 * Functions return 0 on success and -1 on failure. A failing function records what went wrong with
 * err_set() (a pgBackRest error code, a message that names the file, option or object at fault) and,
 * where the user can act, err_hint(). The record is thread-local: each worker thread has its own.
 * Callers may add context with err_context() ("while pushing WAL file X: ...") and pass -1 up.
 * The command layer prints the record as `ERROR: [code]: message` and exits with the code.
 *
 * The numeric codes are pgBackRest's, because scripts and monitoring match on them (and on exit status).
 */
#ifndef GAIAREST_COMMON_ERROR_H
#define GAIAREST_COMMON_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

typedef enum ErrorCode {
    ERR_NONE = 0,
    ERR_ASSERT = 25,
    ERR_CHECKSUM = 26,
    ERR_CONFIG = 27,
    ERR_FILE_INVALID = 28,
    ERR_FORMAT = 29,
    ERR_COMMAND_REQUIRED = 30,
    ERR_OPTION_INVALID = 31,
    ERR_OPTION_INVALID_VALUE = 32,
    ERR_OPTION_REQUIRED = 37,
    ERR_PG_RUNNING = 38,
    ERR_PROTOCOL = 39,
    ERR_PATH_NOT_EMPTY = 40,
    ERR_FILE_OPEN = 41,
    ERR_FILE_READ = 42,
    ERR_PARAM_REQUIRED = 43,
    ERR_ARCHIVE_MISMATCH = 44,
    ERR_ARCHIVE_DUPLICATE = 45,
    ERR_VERSION_NOT_SUPPORTED = 46,
    ERR_PATH_CREATE = 47,
    ERR_COMMAND_INVALID = 48,
    ERR_HOST_CONNECT = 49,
    ERR_LOCK_ACQUIRE = 50,
    ERR_BACKUP_MISMATCH = 51,
    ERR_FILE_SYNC = 52,
    ERR_PATH_OPEN = 53,
    ERR_PATH_SYNC = 54,
    ERR_FILE_MISSING = 55,
    ERR_DB_CONNECT = 56,
    ERR_DB_QUERY = 57,
    ERR_DB_MISMATCH = 58,
    ERR_FILE_REMOVE = 60,
    ERR_PATH_REMOVE = 61,
    ERR_STOP = 62,
    ERR_TERM = 63,
    ERR_FILE_WRITE = 64,
    ERR_FEATURE_NOT_SUPPORTED = 67,
    ERR_ARCHIVE_COMMAND_INVALID = 68,
    ERR_LINK_EXPECTED = 69,
    ERR_LINK_DESTINATION = 70,
    ERR_HOST_INVALID = 72,
    ERR_PATH_MISSING = 73,
    ERR_FILE_MOVE = 74,
    ERR_BACKUP_SET_INVALID = 75,
    ERR_TABLESPACE_MAP = 76,
    ERR_LINK_MAP = 78,
    ERR_FILE_CLOSE = 79,
    ERR_DB_MISSING = 80,
    ERR_DB_INVALID = 81,
    ERR_ARCHIVE_TIMEOUT = 82,
    ERR_FILE_MODE = 83,
    ERR_ARCHIVE_DISABLED = 87,
    ERR_FILE_OWNER = 88,
    ERR_USER_MISSING = 89,
    ERR_FILE_EXISTS = 93,
    ERR_MEMORY = 94,
    ERR_CRYPTO = 95,
    ERR_PARAM_INVALID = 96,
    ERR_PATH_CLOSE = 97,
    ERR_FILE_INFO = 98,
    ERR_JSON_FORMAT = 99,
    ERR_KERNEL = 100,
    ERR_SERVICE = 101,
    ERR_EXECUTE = 102,
    ERR_REPO_INVALID = 103,
    ERR_COMMAND = 104,
    ERR_ACCESS = 105,
    ERR_CLOCK = 106,
    ERR_RUNTIME = 122,
    ERR_UNHANDLED = 124,
    ERR_UNKNOWN = 125,
} ErrorCode;

/* Record an error (replacing any earlier one in this thread) and return -1. */
int err_set(ErrorCode code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Same as err_set() with a va_list. */
int err_setv(ErrorCode code, const char *fmt, va_list args);

/* Record an error from errno: the message is "<text>: <strerror(errnum)>" and the code is mapped from errnum
 * where it says more than `code` (ENOENT -> ERR_FILE_MISSING or ERR_PATH_MISSING is left to the caller). */
int err_set_errno(ErrorCode code, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Attach a hint (an action the user can take) to the current error; returns -1. */
int err_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prefix the current message with context ("context: message"); returns -1. */
int err_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The current error's code (ERR_NONE when none), message ("" when none) and hint (NULL when none). */
ErrorCode err_code(void);
const char *err_message(void);
const char *err_hint_text(void);

/* The current message followed by "\nHINT: <hint>" when there is one, as an error is printed; owned by the caller.
 * For an error handed to another process as text (the async archive spool's .error files), so that the hint is
 * printed by the process that reports it, as pgBackRest's foreground does. */
char *err_message_full(void);

/* An error record kept aside: another thread's error handed to the thread that reports it, or this thread's error
 * kept while cleanup or other checks run. The strings are owned; a zeroed ErrorSaved holds nothing. */
typedef struct ErrorSaved {
    ErrorCode code;
    char *message;
    char *hint; /* NULL when none */
} ErrorSaved;

/* Keep the current error in *saved (ERR_ASSERT when the record is empty: a failure that set none). */
void err_save(ErrorSaved *saved);

/* Make the error kept in *saved the current one again; returns -1. */
int err_restore(const ErrorSaved *saved);

/* Release what err_save kept (a zeroed ErrorSaved is allowed). */
void err_saved_free(ErrorSaved *saved);

/* Forget the current error (after it was handled, e.g. a fallback to a .copy file). */
void err_clear(void);

/* The pgBackRest name of an error code ("FileMissingError"), for logs and the JSON status. */
const char *err_code_name(ErrorCode code);

/* Return -1 from the calling function when expr fails (expr < 0); the error record is passed up as is. */
#define TRY(expr)                                                                                                      \
    do {                                                                                                               \
        if ((expr) < 0)                                                                                                \
            return -1;                                                                                                 \
    } while (0)

#endif
