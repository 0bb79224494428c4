/* option_table: the single definition of every command and option gaiarest understands (see option.h).
 * Defaults, ranges and command sets follow pgBackRest 2.45's observed behaviour. */
#include <stdio.h>
#include <string.h>

#include "config/option.h"

#define B(c) CMD_BIT(CMD_##c)

/* Command sets. */
/* repo-get and repo-ls: the repository tools (no stanza needed, no lock) */
#define CMDS_REPO_TOOLS (B(REPO_GET) | B(REPO_LS))
/* commands that work on the repository with a stanza but without the cluster: annotate (no lock, as 2.45) */
#define CMDS_REPO_ONLY (CMDS_REPO_TOOLS | B(ANNOTATE))
#define CMDS_ALL_RUN                                                                                                   \
    (B(ARCHIVE_GET) | B(ARCHIVE_PUSH) | B(BACKUP) | B(CHECK) | B(EXPIRE) | B(INFO) | B(RESTORE) | B(STANZA_CREATE) |  \
     B(STANZA_DELETE) | B(STANZA_UPGRADE) | B(START) | B(STOP) | B(VERIFY) | CMDS_REPO_ONLY)
#define CMDS_REPO                                                                                                      \
    (B(ARCHIVE_GET) | B(ARCHIVE_PUSH) | B(BACKUP) | B(CHECK) | B(EXPIRE) | B(INFO) | B(RESTORE) | B(STANZA_CREATE) |  \
     B(STANZA_DELETE) | B(STANZA_UPGRADE) | B(VERIFY) | CMDS_REPO_ONLY)
#define CMDS_REMOTE (CMDS_REPO & ~B(EXPIRE))
#define CMDS_REPO_SELECT                                                                                               \
    (B(ARCHIVE_GET) | B(BACKUP) | B(EXPIRE) | B(INFO) | B(RESTORE) | B(STANZA_DELETE) | B(VERIFY) | CMDS_REPO_ONLY)
#define CMDS_PG_PATH                                                                                                   \
    (B(ARCHIVE_GET) | B(ARCHIVE_PUSH) | B(BACKUP) | B(CHECK) | B(RESTORE) | B(STANZA_CREATE) | B(STANZA_DELETE) |     \
     B(STANZA_UPGRADE))
#define CMDS_PG_DB (B(BACKUP) | B(CHECK) | B(STANZA_CREATE) | B(STANZA_DELETE) | B(STANZA_UPGRADE))
#define CMDS_DB_TIMEOUT (CMDS_PG_DB | B(ARCHIVE_GET) | B(ARCHIVE_PUSH))
/* info reads pg1 only for --output=prometheus (archiver state); pgBackRest 2.45 ignores these for info. */
#define CMDS_PG_DB_INFO (CMDS_PG_DB | B(INFO))
#define CMDS_DB_TIMEOUT_INFO (CMDS_DB_TIMEOUT | B(INFO))
#define CMDS_LOCK (CMDS_ALL_RUN & ~(B(CHECK) | B(VERIFY) | CMDS_REPO_TOOLS))
#define CMDS_STANZA_REQUIRED (CMDS_REPO & ~(B(INFO) | CMDS_REPO_TOOLS))
#define CMDS_PROCESS (B(ARCHIVE_GET) | B(ARCHIVE_PUSH) | B(BACKUP) | B(RESTORE) | B(VERIFY))
#define CMDS_COMPRESS (B(ARCHIVE_PUSH) | B(BACKUP))
#define CMDS_ARCHIVE_CHECK (B(ARCHIVE_PUSH) | B(BACKUP) | B(CHECK))
#define CMDS_RETENTION (B(BACKUP) | B(EXPIRE))
#define CMDS_LOG_SUB (CMDS_REMOTE | B(START) | B(STOP))

#define SECONDS(s) ((int64_t)(s) * 1000)
#define KIB(n) ((int64_t)(n) * 1024)
#define MIB(n) (KIB(n) * 1024)
#define GIB(n) (MIB(n) * 1024)
#define TIB(n) (GIB(n) * 1024)
#define PIB(n) (TIB(n) * 1024)

#define RANGE(lo, hi) .has_range = true, .range_min = (lo), .range_max = (hi)
#define NO_DEPEND .depend = OPT_COUNT

static const char *const values_log_level[] = {"off", "error", "warn", "info", "detail", "debug", "trace", NULL};
static const char *const values_compress_type[] = {"none", "bz2", "gz", "lz4", "zst", NULL};
static const char *const values_buffer_size[] = {"16KiB", "32KiB", "64KiB", "128KiB", "256KiB", "512KiB",
                                                 "1MiB",  "2MiB",  "4MiB",  "8MiB",   "16MiB",  NULL};
static const char *const values_cipher_type[] = {"none", "aes-256-cbc", NULL};
static const char *const values_cipher_on[] = {"aes-256-cbc", NULL};
static const char *const values_repo_type[] = {"azure", "cifs", "gcs", "posix", "s3", NULL};
static const char *const values_s3[] = {"s3", NULL};
static const char *const values_s3_key_type[] = {"auto", "shared", "web-id", NULL};
static const char *const values_uri_style[] = {"host", "path", NULL};
static const char *const values_full_type[] = {"count", "time", NULL};
static const char *const values_archive_type[] = {"full", "diff", "incr", NULL};
static const char *const values_archive_mode[] = {"off", "preserve", NULL};
static const char *const values_target_action[] = {"pause", "promote", "shutdown", NULL};
static const char *const values_restore_target_types[] = {"immediate", "lsn", "name", "time", "xid", NULL};
static const char *const values_restore_time_xid_name[] = {"lsn", "name", "time", "xid", NULL};
static const char *const values_backup_type[] = {"full", "diff", "incr", NULL};
static const char *const values_restore_type[] = {"default", "immediate", "lsn", "name", "preserve", "standby",
                                                  "time",    "xid",       "none", NULL};
static const char *const values_info_output[] = {"text", "json", "prometheus", NULL};
static const char *const values_verify_output[] = {"none", "text", NULL};
static const char *const values_repo_ls_output[] = {"text", "json", NULL};
static const char *const values_sort[] = {"asc", "desc", "none", NULL};

static const OptionCommandRule rules_type[] = {
    {CMD_BACKUP, "incr", values_backup_type},
    {CMD_INFO, NULL, values_backup_type},
    {CMD_RESTORE, "default", values_restore_type},
    {CMD_NONE, NULL, NULL},
};
static const OptionCommandRule rules_output[] = {
    {CMD_INFO, "text", values_info_output},
    {CMD_VERIFY, "none", values_verify_output},
    {CMD_REPO_LS, "text", values_repo_ls_output},
    {CMD_NONE, NULL, NULL},
};

static const OptionDef option_table[OPT_COUNT] = {
    [OPT_ANNOTATION] = {"annotation", OPT_TYPE_HASH, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(ANNOTATE) | B(BACKUP),
                        B(ANNOTATE), NULL, NULL, NO_DEPEND,
                        .summary = "key=value notes stored with the backup (annotate: key= removes a key)"},
    [OPT_ARCHIVE_ASYNC] = {"archive-async", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                           B(ARCHIVE_GET) | B(ARCHIVE_PUSH), 0, "n", NULL, NO_DEPEND,
                           .summary = "queue WAL through the spool path and a background process"},
    [OPT_ARCHIVE_CHECK] = {"archive-check", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_ARCHIVE_CHECK, 0,
                           "y", NULL, NO_DEPEND, .summary = "wait until the WAL a backup needs is archived"},
    [OPT_ARCHIVE_COPY] = {"archive-copy", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(BACKUP), 0, "n", NULL,
                          .depend = OPT_ARCHIVE_CHECK, .summary = "store the WAL a backup needs inside the backup"},
    [OPT_ARCHIVE_GET_QUEUE_MAX] = {"archive-get-queue-max", OPT_TYPE_SIZE, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                                   B(ARCHIVE_GET), 0, "128MiB", NULL, RANGE(0, PIB(4)), NO_DEPEND,
                                   .summary = "bytes of WAL prefetched into the spool by async archive-get"},
    [OPT_ARCHIVE_HEADER_CHECK] = {"archive-header-check", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                                  B(ARCHIVE_PUSH), 0, "y", NULL, NO_DEPEND,
                                  .summary = "compare the WAL header's system id with the stanza"},
    [OPT_ARCHIVE_MISSING_RETRY] = {"archive-missing-retry", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                                   B(ARCHIVE_GET), 0, "y", NULL, NO_DEPEND,
                                   .summary = "look again for WAL that async archive-get found missing"},
    [OPT_ARCHIVE_MODE] = {"archive-mode", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(RESTORE), 0,
                          "preserve", values_archive_mode, NO_DEPEND,
                          .summary = "keep archive_mode as is or switch it off in the restored cluster"},
    [OPT_ARCHIVE_MODE_CHECK] = {"archive-mode-check", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                                CMDS_ARCHIVE_CHECK, 0, "y", NULL, NO_DEPEND,
                                .summary = "refuse to run when archive_mode=always"},
    [OPT_ARCHIVE_PUSH_QUEUE_MAX] = {"archive-push-queue-max", OPT_TYPE_SIZE, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                                    B(ARCHIVE_PUSH), 0, NULL, NULL, RANGE(0, PIB(4)), NO_DEPEND,
                                    .summary = "drop WAL instead of filling pg_wal beyond this many bytes"},
    [OPT_ARCHIVE_TIMEOUT] = {"archive-timeout", OPT_TYPE_TIME, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                             B(ARCHIVE_GET) | B(ARCHIVE_PUSH) | B(BACKUP) | B(CHECK), 0, "60", NULL,
                             RANGE(100, SECONDS(86400)), NO_DEPEND,
                             .summary = "seconds to wait for a WAL segment to reach the archive"},
    [OPT_BACKUP_STANDBY] = {"backup-standby", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                            B(BACKUP) | B(CHECK), 0, "n", NULL, NO_DEPEND,
                            .summary = "copy files from a standby (not supported by gaiarest)"},
    [OPT_BETA] = {"beta", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_ALL_RUN, 0, "n", NULL, NO_DEPEND,
                  .summary = "permit features still marked beta (such as block incremental)"},
    [OPT_BUFFER_SIZE] = {"buffer-size", OPT_TYPE_SIZE, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_REPO, 0, "1MiB",
                         values_buffer_size, NO_DEPEND, .summary = "size of each I/O buffer"},
    [OPT_CHECKSUM_PAGE] = {"checksum-page", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(BACKUP), 0, NULL,
                           NULL, NO_DEPEND, .summary = "verify page checksums while copying (default: when enabled)"},
    [OPT_COMPRESS] = {"compress", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_COMPRESS, 0, "y", NULL,
                      NO_DEPEND, .summary = "deprecated switch for compression (use compress-type)"},
    [OPT_COMPRESS_LEVEL] = {"compress-level", OPT_TYPE_INTEGER, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_COMPRESS, 0,
                            NULL, NULL, NO_DEPEND, .summary = "compression level (default depends on compress-type)"},
    [OPT_CMD] = {"cmd", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_REMOTE & ~B(ANNOTATE), 0, NULL, NULL,
                 NO_DEPEND,
                 .summary = "program that remote hosts run (accepted; gaiarest has no remote hosts)"},
    [OPT_CMD_SSH] = {"cmd-ssh", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_REMOTE & ~B(ANNOTATE), 0,
                     "ssh", NULL, NO_DEPEND, .summary = "SSH client for remote hosts (accepted; gaiarest has no remote hosts)"},
    [OPT_COMPRESS_LEVEL_NETWORK] = {"compress-level-network", OPT_TYPE_INTEGER, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                                    CMDS_REMOTE, 0, "3", NULL, RANGE(0, 9), NO_DEPEND,
                                    .summary = "compression level of remote traffic"},
    [OPT_COMPRESS_TYPE] = {"compress-type", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_COMPRESS, 0, "gz",
                           values_compress_type, NO_DEPEND, .summary = "algorithm for files stored in the repository"},
    [OPT_CONFIG] = {"config", OPT_TYPE_PATH, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, CMDS_ALL_RUN | B(HELP), 0,
                    "/etc/pgbackrest/pgbackrest.conf", NULL, NO_DEPEND, .summary = "main configuration file"},
    [OPT_CONFIG_INCLUDE_PATH] = {"config-include-path", OPT_TYPE_PATH, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE,
                                 CMDS_ALL_RUN | B(HELP), 0, "/etc/pgbackrest/conf.d", NULL, NO_DEPEND,
                                 .summary = "directory whose *.conf files are read after the main file"},
    [OPT_CONFIG_PATH] = {"config-path", OPT_TYPE_PATH, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, CMDS_ALL_RUN | B(HELP),
                         0, "/etc/pgbackrest", NULL, NO_DEPEND,
                         .summary = "base directory of pgbackrest.conf and conf.d"},
    [OPT_DB_EXCLUDE] = {"db-exclude", OPT_TYPE_LIST, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(RESTORE), 0, NULL, NULL,
                        NO_DEPEND, .summary = "database to leave out of a restore (repeatable)"},
    [OPT_DB_INCLUDE] = {"db-include", OPT_TYPE_LIST, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(RESTORE), 0, NULL, NULL,
                        NO_DEPEND, .summary = "restore only this database (repeatable)"},
    [OPT_DB_TIMEOUT] = {"db-timeout", OPT_TYPE_TIME, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                        CMDS_DB_TIMEOUT_INFO | CMDS_REPO_TOOLS, 0,
                        "1800", NULL, RANGE(100, SECONDS(604800)), NO_DEPEND,
                        .summary = "seconds a database query may take"},
    [OPT_DELTA] = {"delta", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(BACKUP) | B(RESTORE), 0, "n", NULL,
                   NO_DEPEND, .summary = "compare files by checksum instead of by size and time"},
    [OPT_DRY_RUN] = {"dry-run", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, B(EXPIRE), 0, "n", NULL,
                     NO_DEPEND, .summary = "report what expire would remove without removing it"},
    [OPT_ENV_FILE] = {"env-file", OPT_TYPE_PATH, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, CMDS_ALL_RUN | B(HELP), 0,
                      NULL, NULL, NO_DEPEND,
                      .summary = "gaiarest: KEY=VALUE file with PGBACKREST_* and Gaia R2 variables"},
    [OPT_EXCLUDE] = {"exclude", OPT_TYPE_LIST, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(BACKUP), 0, NULL, NULL, NO_DEPEND,
                     .summary = "path under the data directory to skip (repeatable)"},
    [OPT_EXEC_ID] = {"exec-id", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, CMDS_ALL_RUN, 0, NULL, NULL,
                     NO_DEPEND, .summary = "identifier of this run (generated)"},
    [OPT_EXPIRE_AUTO] = {"expire-auto", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(BACKUP), 0, "y", NULL,
                         NO_DEPEND, .summary = "apply retention right after a successful backup"},
    [OPT_FILTER] = {"filter", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, B(REPO_LS), 0, NULL, NULL,
                    NO_DEPEND, .summary = "only the names that match this regular expression"},
    [OPT_FORCE] = {"force", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE,
                   B(BACKUP) | B(RESTORE) | B(STANZA_CREATE) | B(STANZA_DELETE) | B(STOP), 0, "n", NULL, NO_DEPEND,
                   .summary = "proceed past the safety check the command would otherwise stop at"},
    [OPT_IGNORE_MISSING] = {"ignore-missing", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, B(REPO_GET),
                            0, "n", NULL, NO_DEPEND, .summary = "a missing file is not an error (exit status 1)"},
    [OPT_IO_TIMEOUT] = {"io-timeout", OPT_TYPE_TIME, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_REPO, 0, "60", NULL,
                        RANGE(100, SECONDS(3600)), NO_DEPEND, .summary = "seconds a read or write may stall"},
    [OPT_LINK_ALL] = {"link-all", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(RESTORE), 0, "n", NULL,
                      NO_DEPEND, .summary = "recreate every symlink of the backup"},
    [OPT_LINK_MAP] = {"link-map", OPT_TYPE_HASH, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(RESTORE), 0, NULL, NULL,
                      NO_DEPEND, .summary = "link=destination to restore a link elsewhere (repeatable)"},
    [OPT_LOCK_PATH] = {"lock-path", OPT_TYPE_PATH, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_LOCK, 0, "/tmp/pgbackrest",
                       NULL, NO_DEPEND, .summary = "directory of lock and stop files"},
    [OPT_LOG_LEVEL_CONSOLE] = {"log-level-console", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_ALL_RUN,
                               0, "warn", values_log_level, NO_DEPEND, .summary = "lowest level written to stdout"},
    [OPT_LOG_LEVEL_FILE] = {"log-level-file", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_ALL_RUN, 0,
                            "info", values_log_level, NO_DEPEND, .summary = "lowest level written to the log file"},
    [OPT_LOG_LEVEL_STDERR] = {"log-level-stderr", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_ALL_RUN, 0,
                              "warn", values_log_level, NO_DEPEND, .summary = "lowest level written to stderr"},
    [OPT_LOG_PATH] = {"log-path", OPT_TYPE_PATH, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_ALL_RUN, 0,
                      "/var/log/pgbackrest", NULL, NO_DEPEND, .summary = "directory of <stanza>-<command>.log"},
    [OPT_LOG_SUBPROCESS] = {"log-subprocess", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_LOG_SUB, 0,
                            "n", NULL, NO_DEPEND, .summary = "also log from worker processes"},
    [OPT_LOG_TIMESTAMP] = {"log-timestamp", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_ALL_RUN, 0, "y",
                           NULL, NO_DEPEND, .summary = "prefix log lines with date and time"},
    [OPT_MANIFEST_SAVE_THRESHOLD] = {"manifest-save-threshold", OPT_TYPE_SIZE, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                                     B(BACKUP), 0, "1GiB", NULL, RANGE(1, TIB(1)), NO_DEPEND,
                                     .summary = "bytes copied between saves of the in-progress manifest"},
    [OPT_NEUTRAL_UMASK] = {"neutral-umask", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                           CMDS_ALL_RUN & ~B(INFO), 0, "y", NULL, NO_DEPEND,
                           .summary = "run with umask 0000 so modes come from the code"},
    [OPT_ONLINE] = {"online", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE,
                    B(BACKUP) | B(STANZA_CREATE) | B(STANZA_UPGRADE), 0, "y", NULL, NO_DEPEND,
                    .summary = "talk to the running cluster (n: it is stopped)"},
    [OPT_OUTPUT] = {"output", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, B(INFO) | B(VERIFY) | B(REPO_LS),
                    0, NULL,
                    NULL, NO_DEPEND, .command_rules = rules_output, .summary = "output format"},
    [OPT_PG_DATABASE] = {"pg-database", OPT_TYPE_STRING, OPT_GROUP_PG, OPT_SECTION_STANZA, CMDS_PG_DB_INFO, 0,
                         "postgres", NULL, NO_DEPEND, .summary = "database to connect to"},
    [OPT_PG_PATH] = {"pg-path", OPT_TYPE_PATH, OPT_GROUP_PG, OPT_SECTION_STANZA, CMDS_PG_PATH | B(INFO),
                     CMDS_PG_PATH & ~B(ARCHIVE_PUSH), NULL, NULL, NO_DEPEND,
                     .summary = "PostgreSQL data directory"},
    [OPT_PG_PORT] = {"pg-port", OPT_TYPE_INTEGER, OPT_GROUP_PG, OPT_SECTION_STANZA, CMDS_PG_DB_INFO, 0, "5432", NULL,
                     RANGE(0, 65535), NO_DEPEND, .summary = "PostgreSQL port"},
    [OPT_PG_SOCKET_PATH] = {"pg-socket-path", OPT_TYPE_PATH, OPT_GROUP_PG, OPT_SECTION_STANZA, CMDS_PG_DB_INFO, 0, NULL,
                            NULL, NO_DEPEND, .summary = "directory of the PostgreSQL socket (libpq default)"},
    [OPT_PG_USER] = {"pg-user", OPT_TYPE_STRING, OPT_GROUP_PG, OPT_SECTION_STANZA, CMDS_PG_DB_INFO, 0, NULL, NULL,
                     NO_DEPEND, .summary = "database user (libpq default)"},
    [OPT_PROCESS_MAX] = {"process-max", OPT_TYPE_INTEGER, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_PROCESS, 0, "1",
                         NULL, RANGE(1, 999), NO_DEPEND, .summary = "worker threads for copying and compression"},
    [OPT_PROTOCOL_TIMEOUT] = {"protocol-timeout", OPT_TYPE_TIME, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_REMOTE, 0,
                              "1830", NULL, RANGE(100, SECONDS(604800)), NO_DEPEND,
                              .summary = "seconds to wait for a remote or worker answer"},
    [OPT_RAW] = {"raw", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, B(REPO_GET), 0, "n", NULL,
                 NO_DEPEND, .summary = "the bytes as stored (not decrypted)"},
    [OPT_RECOVERY_OPTION] = {"recovery-option", OPT_TYPE_HASH, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(RESTORE), 0, NULL,
                             NULL, NO_DEPEND, .summary = "name=value added to the recovery settings (repeatable)"},
    [OPT_RECURSE] = {"recurse", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, B(REPO_LS), 0, "n", NULL,
                     NO_DEPEND, .summary = "list the subdirectories too"},
    [OPT_REPO] = {"repo", OPT_TYPE_INTEGER, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, CMDS_REPO_SELECT, 0, NULL, NULL,
                  RANGE(1, OPTION_INDEX_MAX), NO_DEPEND, .summary = "number of the repository to work on"},
    [OPT_REPO_BLOCK] = {"repo-block", OPT_TYPE_BOOLEAN, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, B(BACKUP), 0, "n", NULL,
                        NO_DEPEND, .summary = "block incremental backup (beta)"},
    [OPT_REPO_BUNDLE] = {"repo-bundle", OPT_TYPE_BOOLEAN, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, B(BACKUP), 0, "n", NULL,
                         NO_DEPEND, .summary = "pack small files into bundle objects"},
    [OPT_REPO_BUNDLE_LIMIT] = {"repo-bundle-limit", OPT_TYPE_SIZE, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, B(BACKUP), 0,
                               "2MiB", NULL, RANGE(KIB(8), PIB(1)), .depend = OPT_REPO_BUNDLE,
                               .summary = "largest file that goes into a bundle"},
    [OPT_REPO_BUNDLE_SIZE] = {"repo-bundle-size", OPT_TYPE_SIZE, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, B(BACKUP), 0,
                              "20MiB", NULL, RANGE(MIB(1), PIB(1)), .depend = OPT_REPO_BUNDLE,
                              .summary = "size a bundle grows to before a new one starts"},
    [OPT_REPO_CIPHER_PASS] = {"repo-cipher-pass", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO,
                              CMDS_REPO, NULL, NULL, .secret = true, .depend = OPT_REPO_CIPHER_TYPE,
                              .depend_values = values_cipher_on, .summary = "passphrase of the repository"},
    [OPT_REPO_CIPHER_TYPE] = {"repo-cipher-type", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, 0,
                              "none", values_cipher_type, NO_DEPEND, .summary = "encryption of the repository"},
    [OPT_REPO_HARDLINK] = {"repo-hardlink", OPT_TYPE_BOOLEAN, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, B(BACKUP), 0, "n",
                           NULL, NO_DEPEND, .summary = "hardlink unchanged files to the prior backup"},
    [OPT_REPO_PATH] = {"repo-path", OPT_TYPE_PATH, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, 0,
                       "/var/lib/pgbackrest", NULL, NO_DEPEND, .summary = "root of the repository"},
    [OPT_REPO_RETENTION_ARCHIVE] = {"repo-retention-archive", OPT_TYPE_INTEGER, OPT_GROUP_REPO, OPT_SECTION_GLOBAL,
                                    CMDS_RETENTION, 0, NULL, NULL, RANGE(1, 9999999), NO_DEPEND,
                                    .summary = "backups whose WAL stream is kept"},
    [OPT_REPO_RETENTION_ARCHIVE_TYPE] = {"repo-retention-archive-type", OPT_TYPE_STRING, OPT_GROUP_REPO,
                                         OPT_SECTION_GLOBAL, CMDS_RETENTION, 0, "full", values_archive_type, NO_DEPEND,
                                         .summary = "kind of backup retention-archive counts"},
    [OPT_REPO_RETENTION_DIFF] = {"repo-retention-diff", OPT_TYPE_INTEGER, OPT_GROUP_REPO, OPT_SECTION_GLOBAL,
                                 CMDS_RETENTION, 0, NULL, NULL, RANGE(1, 9999999), NO_DEPEND,
                                 .summary = "differential backups kept"},
    [OPT_REPO_RETENTION_FULL] = {"repo-retention-full", OPT_TYPE_INTEGER, OPT_GROUP_REPO, OPT_SECTION_GLOBAL,
                                 CMDS_RETENTION, 0, NULL, NULL, RANGE(1, 9999999), NO_DEPEND,
                                 .summary = "full backups kept (count) or days kept (time)"},
    [OPT_REPO_RETENTION_FULL_TYPE] = {"repo-retention-full-type", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL,
                                      CMDS_RETENTION, 0, "count", values_full_type, NO_DEPEND,
                                      .summary = "whether retention-full is a count or days"},
    [OPT_REPO_RETENTION_HISTORY] = {"repo-retention-history", OPT_TYPE_INTEGER, OPT_GROUP_REPO, OPT_SECTION_GLOBAL,
                                    CMDS_RETENTION, 0, NULL, NULL, RANGE(0, 9999999), NO_DEPEND,
                                    .summary = "days of backup.history manifests kept"},
    [OPT_REPO_S3_BUCKET] = {"repo-s3-bucket", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, CMDS_REPO,
                            NULL, NULL, .depend = OPT_REPO_TYPE, .depend_values = values_s3,
                            .summary = "bucket holding the repository"},
    [OPT_REPO_S3_ENDPOINT] = {"repo-s3-endpoint", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO,
                              CMDS_REPO, NULL, NULL, .depend = OPT_REPO_TYPE, .depend_values = values_s3,
                              .summary = "S3 service host name"},
    [OPT_REPO_S3_KEY] = {"repo-s3-key", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, CMDS_REPO, NULL,
                         NULL, .secret = true, .depend = OPT_REPO_TYPE, .depend_values = values_s3,
                         .summary = "access key id"},
    [OPT_REPO_S3_KEY_SECRET] = {"repo-s3-key-secret", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO,
                                CMDS_REPO, NULL, NULL, .secret = true, .depend = OPT_REPO_TYPE,
                                .depend_values = values_s3, .summary = "secret access key"},
    [OPT_REPO_S3_KEY_TYPE] = {"repo-s3-key-type", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, 0,
                              "shared", values_s3_key_type, .depend = OPT_REPO_TYPE, .depend_values = values_s3,
                              .summary = "where credentials come from"},
    [OPT_REPO_S3_KMS_KEY_ID] = {"repo-s3-kms-key-id", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, 0,
                                NULL, NULL, .depend = OPT_REPO_TYPE, .depend_values = values_s3,
                                .summary = "KMS key for server-side encryption"},
    [OPT_REPO_S3_REGION] = {"repo-s3-region", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, CMDS_REPO,
                            NULL, NULL, .depend = OPT_REPO_TYPE, .depend_values = values_s3,
                            .summary = "region used in request signatures"},
    [OPT_REPO_S3_ROLE] = {"repo-s3-role", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, 0, NULL, NULL,
                          .depend = OPT_REPO_TYPE, .depend_values = values_s3,
                          .summary = "role for auto / web-id credentials"},
    [OPT_REPO_S3_TOKEN] = {"repo-s3-token", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, 0, NULL,
                           NULL, .secret = true, .depend = OPT_REPO_TYPE, .depend_values = values_s3,
                           .summary = "session token"},
    [OPT_REPO_S3_URI_STYLE] = {"repo-s3-uri-style", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, 0,
                               "host", values_uri_style, .depend = OPT_REPO_TYPE, .depend_values = values_s3,
                               .summary = "bucket in the host name or in the path"},
    [OPT_REPO_STORAGE_CA_FILE] = {"repo-storage-ca-file", OPT_TYPE_PATH, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO,
                                  0, NULL, NULL, NO_DEPEND, .summary = "CA bundle for TLS"},
    [OPT_REPO_STORAGE_CA_PATH] = {"repo-storage-ca-path", OPT_TYPE_PATH, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO,
                                  0, NULL, NULL, NO_DEPEND, .summary = "CA directory for TLS"},
    [OPT_REPO_STORAGE_HOST] = {"repo-storage-host", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, 0,
                               NULL, NULL, NO_DEPEND, .summary = "host to connect to instead of the endpoint"},
    [OPT_REPO_STORAGE_PORT] = {"repo-storage-port", OPT_TYPE_INTEGER, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, 0,
                               "443", NULL, RANGE(1, 65535), NO_DEPEND, .summary = "TCP port of the storage service"},
    [OPT_REPO_STORAGE_UPLOAD_CHUNK_SIZE] = {"repo-storage-upload-chunk-size", OPT_TYPE_SIZE, OPT_GROUP_REPO,
                                            OPT_SECTION_GLOBAL, CMDS_REPO, 0, NULL, NULL, NO_DEPEND,
                                            .summary = "part size of multipart uploads"},
    [OPT_REPO_STORAGE_VERIFY_TLS] = {"repo-storage-verify-tls", OPT_TYPE_BOOLEAN, OPT_GROUP_REPO, OPT_SECTION_GLOBAL,
                                     CMDS_REPO, 0, "y", NULL, NO_DEPEND, .summary = "check the server certificate"},
    [OPT_REPO_TYPE] = {"repo-type", OPT_TYPE_STRING, OPT_GROUP_REPO, OPT_SECTION_GLOBAL, CMDS_REPO, 0, "posix",
                       values_repo_type, NO_DEPEND, .summary = "storage kind of the repository"},
    [OPT_RESUME] = {"resume", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(BACKUP), 0, "y", NULL, NO_DEPEND,
                    .summary = "continue an interrupted backup of the same kind"},
    [OPT_SCK_KEEP_ALIVE] = {"sck-keep-alive", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_REPO, 0, "y",
                            NULL, NO_DEPEND, .summary = "TCP keep-alive on the connections to object storage"},
    [OPT_SET] = {"set", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE,
                 B(ANNOTATE) | B(EXPIRE) | B(INFO) | B(RESTORE) | B(VERIFY), B(ANNOTATE), NULL, NULL, NO_DEPEND,
                 .summary = "backup label to act on (restore: latest by default; verify: accepted as by pgBackRest "
                            "2.45, which verifies the whole repository all the same)"},
    [OPT_SORT] = {"sort", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, B(REPO_LS), 0, "asc", values_sort,
                  NO_DEPEND, .summary = "order of the names: asc, desc or none (as listed)"},
    [OPT_SPOOL_PATH] = {"spool-path", OPT_TYPE_PATH, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                        B(ARCHIVE_GET) | B(ARCHIVE_PUSH) | B(RESTORE), 0, "/var/spool/pgbackrest", NULL, NO_DEPEND,
                        .summary = "directory of the async WAL queue"},
    [OPT_STANZA] = {"stanza", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, CMDS_ALL_RUN,
                    CMDS_STANZA_REQUIRED, NULL, NULL, NO_DEPEND, .summary = "name of the cluster configuration"},
    [OPT_START_FAST] = {"start-fast", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(BACKUP), 0, "n", NULL,
                        NO_DEPEND, .summary = "ask for an immediate checkpoint"},
    [OPT_STOP_AUTO] = {"stop-auto", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(BACKUP), 0, "n", NULL,
                       NO_DEPEND, .summary = "end a backup left running by a failed run"},
    [OPT_TABLESPACE_MAP] = {"tablespace-map", OPT_TYPE_HASH, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(RESTORE), 0, NULL,
                            NULL, NO_DEPEND, .summary = "tablespace=path to restore a tablespace elsewhere"},
    [OPT_TABLESPACE_MAP_ALL] = {"tablespace-map-all", OPT_TYPE_PATH, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, B(RESTORE), 0,
                                NULL, NULL, NO_DEPEND, .summary = "directory under which all tablespaces go"},
    [OPT_TARGET] = {"target", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, B(RESTORE), 0, NULL, NULL,
                    .depend = OPT_TYPE, .depend_values = values_restore_time_xid_name,
                    .summary = "recovery target (time, xid, name or lsn)"},
    [OPT_TARGET_ACTION] = {"target-action", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, B(RESTORE), 0,
                           "pause", values_target_action, .depend = OPT_TYPE,
                           .depend_values = values_restore_target_types, .summary = "what recovery does at the target"},
    [OPT_TARGET_EXCLUSIVE] = {"target-exclusive", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE,
                              B(RESTORE), 0, "n", NULL, .depend = OPT_TYPE, .depend_values = values_restore_time_xid_name,
                              .summary = "stop just before the target"},
    [OPT_TARGET_TIMELINE] = {"target-timeline", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, B(RESTORE),
                             0, NULL, NULL, NO_DEPEND, .summary = "timeline to recover along"},
    [OPT_TCP_KEEP_ALIVE_COUNT] = {"tcp-keep-alive-count", OPT_TYPE_INTEGER, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                                  CMDS_REPO, 0, NULL, NULL, RANGE(1, 32), .depend = OPT_SCK_KEEP_ALIVE,
                                  .summary = "keep-alive probes lost before a connection is dead (system default)"},
    [OPT_TCP_KEEP_ALIVE_IDLE] = {"tcp-keep-alive-idle", OPT_TYPE_INTEGER, OPT_GROUP_NONE, OPT_SECTION_GLOBAL, CMDS_REPO,
                                 0, NULL, NULL, RANGE(1, 3600), .depend = OPT_SCK_KEEP_ALIVE,
                                 .summary = "idle seconds before the first keep-alive probe (system default)"},
    [OPT_TCP_KEEP_ALIVE_INTERVAL] = {"tcp-keep-alive-interval", OPT_TYPE_INTEGER, OPT_GROUP_NONE, OPT_SECTION_GLOBAL,
                                     CMDS_REPO, 0, NULL, NULL, RANGE(1, 900), .depend = OPT_SCK_KEEP_ALIVE,
                                     .summary = "seconds between unanswered keep-alive probes (system default)"},
    [OPT_TYPE] = {"type", OPT_TYPE_STRING, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE,
                  B(BACKUP) | B(INFO) | B(RESTORE), 0, NULL, NULL, NO_DEPEND, .command_rules = rules_type,
                  .summary = "backup type (backup, info) or recovery type (restore)"},
    [OPT_VERBOSE] = {"verbose", OPT_TYPE_BOOLEAN, OPT_GROUP_NONE, OPT_SECTION_COMMAND_LINE, B(VERIFY), 0, "n", NULL,
                     NO_DEPEND, .summary = "report every file verify checks"},
};

typedef struct CommandDef {
    const char *name;
    bool logs;
    const char *summary;
} CommandDef;

static const CommandDef command_table[CMD_COUNT] = {
    [CMD_ANNOTATE] = {"annotate", true, "add, change or remove the annotations of a backup"},
    [CMD_ARCHIVE_GET] = {"archive-get", true, "fetch a WAL segment for PostgreSQL's restore_command"},
    [CMD_ARCHIVE_PUSH] = {"archive-push", true, "store a WAL segment from PostgreSQL's archive_command"},
    [CMD_BACKUP] = {"backup", true, "take a full, differential or incremental backup"},
    [CMD_CHECK] = {"check", true, "confirm that archiving and the repository work"},
    [CMD_EXPIRE] = {"expire", true, "remove backups and WAL beyond the retention settings"},
    [CMD_HELP] = {"help", false, "show commands, options and their current values"},
    [CMD_INFO] = {"info", true, "list stanzas, backups and archived WAL"},
    [CMD_REPO_GET] = {"repo-get", true, "print a file of the repository (decrypted, not decompressed)"},
    [CMD_REPO_LS] = {"repo-ls", true, "list files of the repository"},
    [CMD_RESTORE] = {"restore", true, "rebuild a data directory from a backup"},
    [CMD_STANZA_CREATE] = {"stanza-create", true, "initialise a stanza in the repository"},
    [CMD_STANZA_DELETE] = {"stanza-delete", true, "remove a stopped stanza and all its data"},
    [CMD_STANZA_UPGRADE] = {"stanza-upgrade", true, "record a PostgreSQL major upgrade in the stanza"},
    [CMD_START] = {"start", true, "let commands run again after stop"},
    [CMD_STOP] = {"stop", true, "keep commands from running (and end running ones with --force)"},
    [CMD_VERIFY] = {"verify", true, "check the checksums of everything in the repository"},
    [CMD_VERSION] = {"version", false, "print the version"},
};

static const char *const group_prefix[OPT_GROUP_COUNT] = {[OPT_GROUP_REPO] = "repo", [OPT_GROUP_PG] = "pg"};

const OptionDef *
option_def(OptionId id)
{
    return &option_table[id];
}

/* Split "repo12-path" into key 12 and base "repo-path" (written to base). False when the name has no
 * index (or index 0, which is no valid key). */
static bool
option_split_index(const char *name, char *base, size_t size, unsigned *key, bool *key_too_big)
{
    for (int group = 0; group < OPT_GROUP_COUNT; group++) {
        const char *prefix = group_prefix[group];
        size_t prefix_len = strlen(prefix);
        if (strncmp(name, prefix, prefix_len) != 0)
            continue;
        const char *digits = name + prefix_len;
        size_t ndigits = strspn(digits, "0123456789");
        if (ndigits == 0 || digits[ndigits] != '-' || ndigits > 6)
            continue;
        unsigned long value = 0;
        for (size_t i = 0; i < ndigits; i++)
            value = value * 10 + (unsigned long)(digits[i] - '0');
        if (value == 0)
            return false;
        if (value > OPTION_INDEX_MAX)
            *key_too_big = true;
        *key = (unsigned)value;
        snprintf(base, size, "%s%s", prefix, digits + ndigits);
        return true;
    }
    return false;
}

static OptionId
option_find_base(const char *name)
{
    for (int id = 0; id < OPT_COUNT; id++)
        if (strcmp(option_table[id].name, name) == 0)
            return (OptionId)id;
    return OPT_COUNT;
}

OptionId
option_find(const char *name, unsigned *key, bool *key_too_big)
{
    char base[128];
    *key = 0;
    *key_too_big = false;
    if (strlen(name) >= sizeof(base))
        return OPT_COUNT;
    if (option_split_index(name, base, sizeof(base), key, key_too_big)) {
        OptionId id = option_find_base(base);
        if (id == OPT_COUNT || option_table[id].group == OPT_GROUP_NONE) {
            *key_too_big = false;
            return OPT_COUNT;
        }
        return id;
    }
    OptionId id = option_find_base(name);
    if (id != OPT_COUNT && option_table[id].group != OPT_GROUP_NONE)
        *key = 1; /* "repo-path" means repo1-path */
    return id;
}

const char *
option_name(OptionId id, unsigned key, char *buf, size_t size)
{
    const OptionDef *def = &option_table[id];
    if (def->group == OPT_GROUP_NONE) {
        snprintf(buf, size, "%s", def->name);
    } else {
        const char *prefix = group_prefix[def->group];
        snprintf(buf, size, "%s%u%s", prefix, key, def->name + strlen(prefix));
    }
    return buf;
}

static const OptionCommandRule *
option_rule(OptionId id, CommandId command)
{
    const OptionCommandRule *rule = option_table[id].command_rules;
    for (; rule != NULL && rule->command != CMD_NONE; rule++)
        if (rule->command == command)
            return rule;
    return NULL;
}

const char *
option_default(OptionId id, CommandId command)
{
    const OptionCommandRule *rule = option_rule(id, command);
    return rule != NULL ? rule->default_value : option_table[id].default_value;
}

const char *const *
option_allowed(OptionId id, CommandId command)
{
    const OptionCommandRule *rule = option_rule(id, command);
    return rule != NULL ? rule->allowed : option_table[id].allowed;
}

bool
option_compress_level_range(const char *compress_type, int64_t *min, int64_t *max, int64_t *default_level)
{
    static const struct {
        const char *type;
        int64_t min, max, level;
    } ranges[] = {{"gz", -1, 9, 6}, {"lz4", -5, 12, 1}, {"zst", -7, 22, 3}, {"bz2", 1, 9, 9}};
    for (size_t i = 0; compress_type != NULL && i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        if (strcmp(ranges[i].type, compress_type) == 0) {
            *min = ranges[i].min;
            *max = ranges[i].max;
            *default_level = ranges[i].level;
            return true;
        }
    }
    return false;
}

CommandId
command_find(const char *name)
{
    for (int id = 0; id < CMD_COUNT; id++)
        if (strcmp(command_table[id].name, name) == 0)
            return (CommandId)id;
    return CMD_NONE;
}

const char *
command_name(CommandId id)
{
    return id >= 0 && id < CMD_COUNT ? command_table[id].name : "";
}

const char *
command_summary(CommandId id)
{
    return id >= 0 && id < CMD_COUNT ? command_table[id].summary : "";
}

bool
command_logs(CommandId id)
{
    return id >= 0 && id < CMD_COUNT && command_table[id].logs;
}
