/*
 * command: the dispatch table of gaiarest commands and the run wrapper that writes pgBackRest's
 * "command begin" / "command end" log lines and turns the error record into `ERROR: [NNN]: ...`.
 *
 * Every command is `int cmd_<name>(void)` returning 0 or -1 with the error record set; it reads its
 * options through config/config.h. A command whose entry in command.c is still NULL is reported as not
 * implemented yet (ERR_COMMAND_INVALID).
 */
#ifndef GAIAREST_CMD_COMMAND_H
#define GAIAREST_CMD_COMMAND_H

#include "config/option.h"
#include "engine/ops/lock.h"

typedef int (*CommandFunction)(void);

int cmd_annotate(void);
int cmd_archive_get(void);
int cmd_archive_push(void);
int cmd_backup(void);
int cmd_check(void);
int cmd_expire(void);
int cmd_help(void);
int cmd_info(void);
int cmd_repo_get(void);
int cmd_repo_ls(void);
int cmd_restore(void);
int cmd_stanza_create(void);
int cmd_stanza_delete(void);
int cmd_stanza_upgrade(void);
int cmd_start(void);
int cmd_stop(void);
int cmd_verify(void);
int cmd_version(void);

/* The backup lock that a successful backup kept for the expire-auto run that follows (NULL when none); the caller
 * takes ownership. */
Lock *cmd_backup_lock_take(void);

/* The function of a command, NULL when not implemented yet. */
CommandFunction command_function(CommandId id);

/* Set up logging from the loaded configuration (levels, timestamp, <log-path>/<stanza>-<command>.log). */
int command_log_init(void);

/* Run the loaded command: begin line, the command, end line; on failure log the error. Returns the exit
 * status (0, or the error code). */
int command_run(void);

/* The exit status of a command that completes without error (0 by default): archive-get exits with 1 when the
 * WAL file is not in the archive, while its end line still says "completed successfully", as pgBackRest does. */
void command_exit_status_set(int status);

/* In a background process forked by archive-push/archive-get (archive-async=y): log to
 * <log-path>/<stanza>-<command>-async.log only (no console, no stderr), with "<command>:async command begin" /
 * "command end" lines around `body` as pgBackRest's async role writes them; `params` is shown in brackets
 * before the options. Returns body's result (its error, if any, logged). */
int command_run_async(const char *params, int (*body)(void *context), void *context);

/* Log the current error record as pgBackRest does ("[NNN]: message" + "HINT: ..." lines) and return its
 * code as exit status. */
int command_report_error(void);

#endif
