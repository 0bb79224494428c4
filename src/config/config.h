/*
 * config: the resolved configuration of this run, drop-in compatible with pgBackRest 2.45.
 *
 * cfg_load() reads, in increasing precedence: defaults, the config file(s) (--config, --config-path,
 * --config-include-path; sections [global], [global:<command>], [<stanza>], [<stanza>:<command>]), the
 * Gaia .env file (--env-file) and environment (PGBACKREST_R2_* and friends, mapped onto repo1-s3-* etc.),
 * PGBACKREST_<OPTION> environment variables, and the command line (--opt=val, --no-opt, --reset-opt).
 * Every value is checked against the option table (config/option.h): type, range, allowed values, the
 * commands it is valid for. Options are identified by OptionId (OPT_<NAME> with '-' as '_'; indexed
 * options such as repo1-path / pg2-port are one id, OPT_REPO_PATH / OPT_PG_PORT, plus a 0-based index:
 * repo1 is index 0).
 *
 * Values are owned by the configuration and live until cfg_free().
 */
#ifndef GAIAREST_CONFIG_CONFIG_H
#define GAIAREST_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/option.h"

typedef enum ConfigSource {
    CFG_SOURCE_DEFAULT,
    CFG_SOURCE_CONFIG, /* config file */
    CFG_SOURCE_ENV,    /* PGBACKREST_* or the Gaia .env mapping */
    CFG_SOURCE_PARAM,  /* command line */
} ConfigSource;

/* Parse argv (the program name first) and everything it points to. On failure the error record holds
 * the code (ERR_OPTION_INVALID, ERR_OPTION_INVALID_VALUE, ERR_OPTION_REQUIRED, ERR_COMMAND_INVALID,
 * ERR_CONFIG, ...) and a message naming the option and where it came from. */
int cfg_load(int argc, char **argv);

/* Release everything cfg_load() built. */
void cfg_free(void);

CommandId cfg_command(void);
const char *cfg_command_name(void);
/* Switch the loaded configuration to another command (backup's expire-auto runs expire in the same process, as
 * pgBackRest does): the values stay, and the "command begin" line then shows only the options valid for `id`. */
void cfg_command_set(CommandId id);
/* Positional parameters after the command (e.g. archive-push's WAL path, help's command). */
size_t cfg_param_count(void);
const char *cfg_param(size_t index);

/* True when the option has a value (set anywhere or by default). */
bool cfg_has(OptionId id);
bool cfg_has_idx(OptionId id, unsigned index);

/* Typed values. For an option without a value: NULL / 0 / false. Sizes are in bytes; times are in
 * milliseconds (pgBackRest's time options are seconds, possibly fractional). */
const char *cfg_str(OptionId id);
const char *cfg_str_idx(OptionId id, unsigned index);
int64_t cfg_int(OptionId id);
int64_t cfg_int_idx(OptionId id, unsigned index);
bool cfg_bool(OptionId id);
bool cfg_bool_idx(OptionId id, unsigned index);

/* List and hash options: the values in the order given ("key=value" strings for hashes). */
size_t cfg_list(OptionId id, const char *const **values);

/* Where the value came from. */
ConfigSource cfg_source(OptionId id);
ConfigSource cfg_source_idx(OptionId id, unsigned index);

/* Indexed groups: how many indexes are configured and the user-facing number of each (repo1 -> 1). */
unsigned cfg_index_count(OptionGroup group);
unsigned cfg_index_key(OptionGroup group, unsigned index);
/* The index selected by --repo (or the only/first repo). */
unsigned cfg_repo_index(void);

/* The options as pgBackRest shows them in the "command begin" log line: `--opt=value` for every option
 * that was set (not defaults), secrets as `<redacted>`, in name order. Owned by the caller. */
char *cfg_options_for_log(void);

#endif
