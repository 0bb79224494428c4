/* error: the thread-local error record (see error.h). */
#include "common/error.h"

#include "common/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_MESSAGE_MAX 4096

typedef struct ErrorRecord {
    ErrorCode code;
    char message[ERROR_MESSAGE_MAX];
    char hint[ERROR_MESSAGE_MAX];
    bool has_hint;
} ErrorRecord;

static _Thread_local ErrorRecord error_record;

int
err_setv(ErrorCode code, const char *fmt, va_list args)
{
    error_record.code = code;
    error_record.has_hint = false;
    error_record.hint[0] = '\0';
    vsnprintf(error_record.message, sizeof(error_record.message), fmt, args);
    return -1;
}

int
err_set(ErrorCode code, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    err_setv(code, fmt, args);
    va_end(args);
    return -1;
}

int
err_set_errno(ErrorCode code, int errnum, const char *fmt, ...)
{
    char text[ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof(text), fmt, args);
    va_end(args);

    if (errnum == ENOSPC || errnum == EDQUOT)
        return err_set(code, "%s: [%d] %s (the disk is full)", text, errnum, strerror(errnum));
    if (errnum == EACCES || errnum == EPERM)
        return err_set(code, "%s: [%d] %s (check the permissions of the file and its directories)", text, errnum,
                       strerror(errnum));
    return err_set(code, "%s: [%d] %s", text, errnum, strerror(errnum));
}

int
err_hint(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(error_record.hint, sizeof(error_record.hint), fmt, args);
    va_end(args);
    error_record.has_hint = true;
    return -1;
}

int
err_context(const char *fmt, ...)
{
    char context[ERROR_MESSAGE_MAX / 2];
    va_list args;
    va_start(args, fmt);
    vsnprintf(context, sizeof(context), fmt, args);
    va_end(args);

    /* Shift the message right to make room for "context: ", dropping its tail if it would not fit. */
    size_t prefix_length = strlen(context) + 2;
    size_t message_length = strlen(error_record.message);
    if (prefix_length + message_length >= ERROR_MESSAGE_MAX)
        message_length = ERROR_MESSAGE_MAX - 1 - prefix_length;
    memmove(error_record.message + prefix_length, error_record.message, message_length);
    error_record.message[prefix_length + message_length] = '\0';
    memcpy(error_record.message, context, prefix_length - 2);
    memcpy(error_record.message + prefix_length - 2, ": ", 2);
    return -1;
}

ErrorCode
err_code(void)
{
    return error_record.code;
}

const char *
err_message(void)
{
    return error_record.message;
}

char *
err_message_full(void)
{
    const char *hint = err_hint_text();
    return hint != NULL ? mem_printf("%s\nHINT: %s", err_message(), hint) : mem_strdup(err_message());
}

const char *
err_hint_text(void)
{
    return error_record.has_hint ? error_record.hint : NULL;
}

void
err_save(ErrorSaved *saved)
{
    saved->code = error_record.code != ERR_NONE ? error_record.code : ERR_ASSERT;
    saved->message = mem_strdup(error_record.message);
    saved->hint = error_record.has_hint ? mem_strdup(error_record.hint) : NULL;
}

int
err_restore(const ErrorSaved *saved)
{
    err_set(saved->code, "%s", saved->message != NULL ? saved->message : "");
    if (saved->hint != NULL)
        err_hint("%s", saved->hint);
    return -1;
}

void
err_saved_free(ErrorSaved *saved)
{
    free(saved->message);
    free(saved->hint);
    *saved = (ErrorSaved){0};
}

void
err_clear(void)
{
    error_record.code = ERR_NONE;
    error_record.message[0] = '\0';
    error_record.hint[0] = '\0';
    error_record.has_hint = false;
}

const char *
err_code_name(ErrorCode code)
{
    switch (code) {
    case ERR_NONE: return "NoError";
    case ERR_ASSERT: return "AssertError";
    case ERR_CHECKSUM: return "ChecksumError";
    case ERR_CONFIG: return "ConfigError";
    case ERR_FILE_INVALID: return "FileInvalidError";
    case ERR_FORMAT: return "FormatError";
    case ERR_COMMAND_REQUIRED: return "CommandRequiredError";
    case ERR_OPTION_INVALID: return "OptionInvalidError";
    case ERR_OPTION_INVALID_VALUE: return "OptionInvalidValueError";
    case ERR_OPTION_REQUIRED: return "OptionRequiredError";
    case ERR_PG_RUNNING: return "PgRunningError";
    case ERR_PROTOCOL: return "ProtocolError";
    case ERR_PATH_NOT_EMPTY: return "PathNotEmptyError";
    case ERR_FILE_OPEN: return "FileOpenError";
    case ERR_FILE_READ: return "FileReadError";
    case ERR_PARAM_REQUIRED: return "ParamRequiredError";
    case ERR_ARCHIVE_MISMATCH: return "ArchiveMismatchError";
    case ERR_ARCHIVE_DUPLICATE: return "ArchiveDuplicateError";
    case ERR_VERSION_NOT_SUPPORTED: return "VersionNotSupportedError";
    case ERR_PATH_CREATE: return "PathCreateError";
    case ERR_COMMAND_INVALID: return "CommandInvalidError";
    case ERR_HOST_CONNECT: return "HostConnectError";
    case ERR_LOCK_ACQUIRE: return "LockAcquireError";
    case ERR_BACKUP_MISMATCH: return "BackupMismatchError";
    case ERR_FILE_SYNC: return "FileSyncError";
    case ERR_PATH_OPEN: return "PathOpenError";
    case ERR_PATH_SYNC: return "PathSyncError";
    case ERR_FILE_MISSING: return "FileMissingError";
    case ERR_DB_CONNECT: return "DbConnectError";
    case ERR_DB_QUERY: return "DbQueryError";
    case ERR_DB_MISMATCH: return "DbMismatchError";
    case ERR_FILE_REMOVE: return "FileRemoveError";
    case ERR_PATH_REMOVE: return "PathRemoveError";
    case ERR_STOP: return "StopError";
    case ERR_TERM: return "TermError";
    case ERR_FILE_WRITE: return "FileWriteError";
    case ERR_FEATURE_NOT_SUPPORTED: return "FeatureNotSupportedError";
    case ERR_ARCHIVE_COMMAND_INVALID: return "ArchiveCommandInvalidError";
    case ERR_LINK_EXPECTED: return "LinkExpectedError";
    case ERR_LINK_DESTINATION: return "LinkDestinationError";
    case ERR_HOST_INVALID: return "HostInvalidError";
    case ERR_PATH_MISSING: return "PathMissingError";
    case ERR_FILE_MOVE: return "FileMoveError";
    case ERR_BACKUP_SET_INVALID: return "BackupSetInvalidError";
    case ERR_TABLESPACE_MAP: return "TablespaceMapError";
    case ERR_LINK_MAP: return "LinkMapError";
    case ERR_FILE_CLOSE: return "FileCloseError";
    case ERR_DB_MISSING: return "DbMissingError";
    case ERR_DB_INVALID: return "DbInvalidError";
    case ERR_ARCHIVE_TIMEOUT: return "ArchiveTimeoutError";
    case ERR_FILE_MODE: return "FileModeError";
    case ERR_ARCHIVE_DISABLED: return "ArchiveDisabledError";
    case ERR_FILE_OWNER: return "FileOwnerError";
    case ERR_USER_MISSING: return "UserMissingError";
    case ERR_FILE_EXISTS: return "FileExistsError";
    case ERR_MEMORY: return "MemoryError";
    case ERR_CRYPTO: return "CryptoError";
    case ERR_PARAM_INVALID: return "ParamInvalidError";
    case ERR_PATH_CLOSE: return "PathCloseError";
    case ERR_FILE_INFO: return "FileInfoError";
    case ERR_JSON_FORMAT: return "JsonFormatError";
    case ERR_KERNEL: return "KernelError";
    case ERR_SERVICE: return "ServiceError";
    case ERR_EXECUTE: return "ExecuteError";
    case ERR_REPO_INVALID: return "RepoInvalidError";
    case ERR_COMMAND: return "CommandError";
    case ERR_ACCESS: return "AccessError";
    case ERR_CLOCK: return "ClockError";
    case ERR_RUNTIME: return "RuntimeError";
    case ERR_UNHANDLED: return "UnhandledError";
    case ERR_UNKNOWN: return "UnknownError";
    }
    return "UnknownError";
}
