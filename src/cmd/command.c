/* command: dispatch table and run wrapper (see command.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/command.h"
#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "config/config.h"
#include "gaiarest/version.h"

/* One entry per command; helpers fill in theirs as the commands land. */
static const CommandFunction command_table[CMD_COUNT] = {
    [CMD_ANNOTATE] = cmd_annotate,
    [CMD_ARCHIVE_GET] = cmd_archive_get,
    [CMD_ARCHIVE_PUSH] = cmd_archive_push,
    [CMD_BACKUP] = cmd_backup,
    [CMD_CHECK] = cmd_check,
    [CMD_EXPIRE] = cmd_expire,
    [CMD_HELP] = cmd_help,
    [CMD_INFO] = cmd_info,
    [CMD_REPO_GET] = cmd_repo_get,
    [CMD_REPO_LS] = cmd_repo_ls,
    [CMD_RESTORE] = cmd_restore,
    [CMD_STANZA_CREATE] = cmd_stanza_create,
    [CMD_STANZA_DELETE] = cmd_stanza_delete,
    [CMD_STANZA_UPGRADE] = cmd_stanza_upgrade,
    [CMD_START] = cmd_start,
    [CMD_STOP] = cmd_stop,
    [CMD_VERIFY] = cmd_verify,
    [CMD_VERSION] = cmd_version,
};

/* Set by a command that succeeds with a non-zero exit status (command_exit_status_set). */
static int command_exit_status = 0;

void
command_exit_status_set(int status)
{
    command_exit_status = status;
}

CommandFunction
command_function(CommandId id)
{
    return id >= 0 && id < CMD_COUNT ? command_table[id] : NULL;
}

static LogLevel
command_level(OptionId id, LogLevel fallback)
{
    const char *name = cfg_str(id);
    int level = name != NULL ? log_level_parse(name) : -1;
    return level >= 0 ? (LogLevel)level : fallback;
}

int
command_log_init(void)
{
    LogSettings settings = {LOG_OFF, LOG_WARN, LOG_OFF, true, NULL};
    char *path = NULL;
    if (command_logs(cfg_command())) {
        settings.console = command_level(OPT_LOG_LEVEL_CONSOLE, LOG_WARN);
        settings.std_err = command_level(OPT_LOG_LEVEL_STDERR, LOG_WARN);
        settings.file = command_level(OPT_LOG_LEVEL_FILE, LOG_INFO);
        settings.timestamp = cfg_bool(OPT_LOG_TIMESTAMP);
        if (settings.file != LOG_OFF && cfg_str(OPT_LOG_PATH) != NULL) {
            const char *stanza = cfg_str(OPT_STANZA);
            path = mem_printf("%s/%s-%s.log", cfg_str(OPT_LOG_PATH), stanza != NULL ? stanza : "all",
                              cfg_command_name());
            settings.file_path = path;
        }
    }
    int rc = log_init(&settings);
    free(path);
    return rc;
}

int
command_report_error(void)
{
    ErrorCode code = err_code();
    if (code == ERR_NONE)
        code = ERR_UNKNOWN;
    char *message = err_message_full();
    LOG_ERROR("[%03d]: %s", (int)code, message);
    free(message);
    return (int)code;
}

static long long
command_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* One command between its begin and end lines; returns the exit status. */
static int
command_run_logged(CommandId id, CommandFunction function)
{
    /* Commands whose output is the point (info) keep their begin/end lines at debug, as pgBackRest does, so that
     * --output=json on stdout stays parseable at log-level-console=info. */
    LogLevel begin_end_level = id == CMD_INFO || id == CMD_REPO_GET || id == CMD_REPO_LS ? LOG_DEBUG : LOG_INFO;
    long long start = command_now_ms();
    /* expire --dry-run marks every line of the run, begin and end included, as 2.45 does. */
    const char *prefix = id == CMD_EXPIRE && cfg_bool(OPT_DRY_RUN) ? "[DRY-RUN] " : "";
    if (log_enabled(begin_end_level)) {
        char *options = cfg_options_for_log();
        log_write(begin_end_level, "%s%s command begin %s: %s", prefix, cfg_command_name(), GAIAREST_VERSION,
                  options);
        free(options);
    }
    int status = 0;
    if (function() < 0) {
        status = command_report_error();
        log_write(begin_end_level, "%s%s command end: aborted with exception [%03d]", prefix, cfg_command_name(),
                  status);
    } else {
        log_write(begin_end_level, "%s%s command end: completed successfully (%lldms)", prefix, cfg_command_name(),
                  command_now_ms() - start);
        status = command_exit_status;
    }
    return status;
}

int
command_run(void)
{
    CommandId id = cfg_command();
    CommandFunction function = command_function(id);
    if (function == NULL) {
        err_set(ERR_COMMAND_INVALID, "command '%s' is not implemented yet in gaiarest", cfg_command_name());
        return command_report_error();
    }
    if (!command_logs(id)) {
        if (function() < 0)
            return command_report_error();
        return command_exit_status;
    }
    int status = command_run_logged(id, function);
    /* expire-auto: a successful backup goes on as the expire command (its own begin/end lines and log file, the
     * same exec id and the backup lock that cmd_backup kept), as pgBackRest 2.45 does. */
    if (id == CMD_BACKUP && status == 0 && cfg_bool(OPT_EXPIRE_AUTO)) {
        cfg_command_set(CMD_EXPIRE);
        if (command_log_init() < 0) {
            lock_release(cmd_backup_lock_take());
            return command_report_error();
        }
        status = command_run_logged(CMD_EXPIRE, cmd_expire);
    }
    return status;
}

int
command_run_async(const char *params, int (*body)(void *context), void *context)
{
    LogSettings settings = {LOG_OFF, LOG_OFF, command_level(OPT_LOG_LEVEL_FILE, LOG_INFO), cfg_bool(OPT_LOG_TIMESTAMP),
                            NULL};
    char *path = NULL;
    if (settings.file != LOG_OFF && cfg_str(OPT_LOG_PATH) != NULL) {
        const char *stanza = cfg_str(OPT_STANZA);
        path = mem_printf("%s/%s-%s-async.log", cfg_str(OPT_LOG_PATH), stanza != NULL ? stanza : "all",
                          cfg_command_name());
        settings.file_path = path;
    }
    log_set_process_id(0);
    log_init(&settings);
    free(path);

    long long start = command_now_ms();
    if (log_enabled(LOG_INFO)) {
        char *options = cfg_options_for_log();
        /* the async process shows its own parameters instead of the command's "[<p1>, <p2>] " */
        size_t skip = 0;
        if (cfg_param_count() > 0) {
            skip = strlen("[] ");
            for (size_t index = 0; index < cfg_param_count(); index++)
                skip += strlen(cfg_param(index)) + (index > 0 ? strlen(", ") : 0);
        }
        LOG_INFO("%s:async command begin %s: [%s] %s", cfg_command_name(), GAIAREST_VERSION, params,
                 skip <= strlen(options) ? options + skip : options);
        free(options);
    }
    int result = body(context);
    if (result < 0) {
        int status = command_report_error();
        LOG_INFO("%s:async command end: aborted with exception [%03d]", cfg_command_name(), status);
    } else {
        LOG_INFO("%s:async command end: completed successfully (%lldms)", cfg_command_name(),
                 command_now_ms() - start);
    }
    return result;
}
