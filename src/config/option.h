/*
 * option: the closed sets of the configuration (commands, options, groups, types) and the one option
 * table from which parsing, validation, help and the "command begin" log line are all derived
 * (config/option_table.c).
 *
 * Indexed options (repo1-path, pg2-port) are one OptionId each; the table names them without the
 * index ("repo-path") and OptionDef.group says which prefix takes the index.
 */
#ifndef GAIAREST_CONFIG_OPTION_H
#define GAIAREST_CONFIG_OPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum CommandId {
    CMD_NONE = -1,
    CMD_ANNOTATE = 0,
    CMD_ARCHIVE_GET,
    CMD_ARCHIVE_PUSH,
    CMD_BACKUP,
    CMD_CHECK,
    CMD_EXPIRE,
    CMD_HELP,
    CMD_INFO,
    CMD_REPO_GET,
    CMD_REPO_LS,
    CMD_RESTORE,
    CMD_STANZA_CREATE,
    CMD_STANZA_DELETE,
    CMD_STANZA_UPGRADE,
    CMD_START,
    CMD_STOP,
    CMD_VERIFY,
    CMD_VERSION,
    CMD_COUNT
} CommandId;

/* Options, in name order (the order of the table, of validation and of help). */
typedef enum OptionId {
    OPT_ANNOTATION,
    OPT_ARCHIVE_ASYNC,
    OPT_ARCHIVE_CHECK,
    OPT_ARCHIVE_COPY,
    OPT_ARCHIVE_GET_QUEUE_MAX,
    OPT_ARCHIVE_HEADER_CHECK,
    OPT_ARCHIVE_MISSING_RETRY,
    OPT_ARCHIVE_MODE,
    OPT_ARCHIVE_MODE_CHECK,
    OPT_ARCHIVE_PUSH_QUEUE_MAX,
    OPT_ARCHIVE_TIMEOUT,
    OPT_BACKUP_STANDBY,
    OPT_BETA,
    OPT_BUFFER_SIZE,
    OPT_CHECKSUM_PAGE,
    OPT_CMD,
    OPT_CMD_SSH,
    OPT_COMPRESS,
    OPT_COMPRESS_LEVEL,
    OPT_COMPRESS_LEVEL_NETWORK,
    OPT_COMPRESS_TYPE,
    OPT_CONFIG,
    OPT_CONFIG_INCLUDE_PATH,
    OPT_CONFIG_PATH,
    OPT_DB_EXCLUDE,
    OPT_DB_INCLUDE,
    OPT_DB_TIMEOUT,
    OPT_DELTA,
    OPT_DRY_RUN,
    OPT_ENV_FILE,
    OPT_EXCLUDE,
    OPT_EXEC_ID,
    OPT_EXPIRE_AUTO,
    OPT_FILTER,
    OPT_FORCE,
    OPT_IGNORE_MISSING,
    OPT_IO_TIMEOUT,
    OPT_LINK_ALL,
    OPT_LINK_MAP,
    OPT_LOCK_PATH,
    OPT_LOG_LEVEL_CONSOLE,
    OPT_LOG_LEVEL_FILE,
    OPT_LOG_LEVEL_STDERR,
    OPT_LOG_PATH,
    OPT_LOG_SUBPROCESS,
    OPT_LOG_TIMESTAMP,
    OPT_MANIFEST_SAVE_THRESHOLD,
    OPT_NEUTRAL_UMASK,
    OPT_ONLINE,
    OPT_OUTPUT,
    OPT_PG_DATABASE,
    OPT_PG_PATH,
    OPT_PG_PORT,
    OPT_PG_SOCKET_PATH,
    OPT_PG_USER,
    OPT_PROCESS_MAX,
    OPT_PROTOCOL_TIMEOUT,
    OPT_RAW,
    OPT_RECOVERY_OPTION,
    OPT_RECURSE,
    OPT_REPO,
    OPT_REPO_BLOCK,
    OPT_REPO_BUNDLE,
    OPT_REPO_BUNDLE_LIMIT,
    OPT_REPO_BUNDLE_SIZE,
    OPT_REPO_CIPHER_PASS,
    OPT_REPO_CIPHER_TYPE,
    OPT_REPO_HARDLINK,
    OPT_REPO_PATH,
    OPT_REPO_RETENTION_ARCHIVE,
    OPT_REPO_RETENTION_ARCHIVE_TYPE,
    OPT_REPO_RETENTION_DIFF,
    OPT_REPO_RETENTION_FULL,
    OPT_REPO_RETENTION_FULL_TYPE,
    OPT_REPO_RETENTION_HISTORY,
    OPT_REPO_S3_BUCKET,
    OPT_REPO_S3_ENDPOINT,
    OPT_REPO_S3_KEY,
    OPT_REPO_S3_KEY_SECRET,
    OPT_REPO_S3_KEY_TYPE,
    OPT_REPO_S3_KMS_KEY_ID,
    OPT_REPO_S3_REGION,
    OPT_REPO_S3_ROLE,
    OPT_REPO_S3_TOKEN,
    OPT_REPO_S3_URI_STYLE,
    OPT_REPO_STORAGE_CA_FILE,
    OPT_REPO_STORAGE_CA_PATH,
    OPT_REPO_STORAGE_HOST,
    OPT_REPO_STORAGE_PORT,
    OPT_REPO_STORAGE_UPLOAD_CHUNK_SIZE,
    OPT_REPO_STORAGE_VERIFY_TLS,
    OPT_REPO_TYPE,
    OPT_RESUME,
    OPT_SCK_KEEP_ALIVE,
    OPT_SET,
    OPT_SORT,
    OPT_SPOOL_PATH,
    OPT_STANZA,
    OPT_START_FAST,
    OPT_STOP_AUTO,
    OPT_TABLESPACE_MAP,
    OPT_TABLESPACE_MAP_ALL,
    OPT_TARGET,
    OPT_TARGET_ACTION,
    OPT_TARGET_EXCLUSIVE,
    OPT_TARGET_TIMELINE,
    OPT_TCP_KEEP_ALIVE_COUNT,
    OPT_TCP_KEEP_ALIVE_IDLE,
    OPT_TCP_KEEP_ALIVE_INTERVAL,
    OPT_TYPE,
    OPT_VERBOSE,
    OPT_COUNT
} OptionId;

typedef enum OptionGroup {
    OPT_GROUP_NONE = -1,
    OPT_GROUP_REPO = 0,
    OPT_GROUP_PG,
    OPT_GROUP_COUNT
} OptionGroup;

/* Highest index key of an indexed group (repo256-path). */
#define OPTION_INDEX_MAX 256

typedef enum OptionType {
    OPT_TYPE_BOOLEAN, /* y / n */
    OPT_TYPE_INTEGER, /* signed integer */
    OPT_TYPE_SIZE,    /* bytes, with an optional unit: b, kb/KiB, mb/MiB, gb/GiB, tb/TiB, pb/PiB */
    OPT_TYPE_TIME,    /* seconds, possibly fractional; stored in milliseconds */
    OPT_TYPE_STRING,
    OPT_TYPE_PATH,    /* a string that must begin with / */
    OPT_TYPE_LIST,    /* repeatable */
    OPT_TYPE_HASH,    /* repeatable key=value */
} OptionType;

/* Where an option may be set. */
typedef enum OptionSection {
    OPT_SECTION_GLOBAL,      /* [global], [stanza], env, command line */
    OPT_SECTION_STANZA,      /* not in [global] sections (pg* options) */
    OPT_SECTION_COMMAND_LINE /* command line and environment only */
} OptionSection;

/* A command's bit in OptionDef.commands. */
#define CMD_BIT(cmd) (UINT32_C(1) << (cmd))

/* A value rule that holds for one command only (type's default and allowed values differ per command). */
typedef struct OptionCommandRule {
    CommandId command;
    const char *default_value;
    const char *const *allowed;
} OptionCommandRule;

typedef struct OptionDef {
    const char *name;             /* without index: "repo-path" */
    OptionType type;
    OptionGroup group;            /* OPT_GROUP_NONE unless indexed */
    OptionSection section;
    uint32_t commands;            /* CMD_BIT() of the commands it is valid for */
    uint32_t required;            /* CMD_BIT() of the commands that need a value */
    const char *default_value;    /* as the user would write it; NULL for none */
    const char *const *allowed;   /* NULL-terminated allowed values; NULL for any */
    bool has_range;
    int64_t range_min, range_max; /* in the option's unit (bytes, ms, number) */
    bool secret;                  /* refused on the command line, redacted in logs */
    OptionId depend;              /* valid only when this option ... (OPT_COUNT for none) */
    const char *const *depend_values; /* ... has one of these values (NULL: is true) */
    const OptionCommandRule *command_rules; /* per-command default/allowed, ended by CMD_NONE */
    const char *summary;          /* one line for help */
} OptionDef;

/* The definition of an option. */
const OptionDef *option_def(OptionId id);

/* Look an option name up as written by the user ("repo2-path", "stanza"). Indexed options return the
 * key (1..) in *key, others 0; *key_too_big is set when the index exceeds OPTION_INDEX_MAX. Returns
 * OPT_COUNT when the name is unknown. "repo-path" is accepted as repo1-path. */
OptionId option_find(const char *name, unsigned *key, bool *key_too_big);

/* The user-facing name of an option ("repo2-path" for key 2; key is ignored for unindexed options).
 * Returns a pointer to buf. */
const char *option_name(OptionId id, unsigned key, char *buf, size_t size);

/* Default and allowed values for a command (the command rules override the option's own). */
const char *option_default(OptionId id, CommandId command);
const char *const *option_allowed(OptionId id, CommandId command);

/* compress-level's range for a compress type ("gz", "lz4", "zst", "bz2"); false for none/unknown.
 * *default_level is the type's default level. */
bool option_compress_level_range(const char *compress_type, int64_t *min, int64_t *max, int64_t *default_level);

/* Commands. */
CommandId command_find(const char *name);
const char *command_name(CommandId id);
/* One line describing the command (help). */
const char *command_summary(CommandId id);
/* Whether the command logs "command begin/end" and takes a log file. */
bool command_logs(CommandId id);

#endif
