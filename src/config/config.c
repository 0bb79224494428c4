/*
 * config: parse the command line, environment, Gaia .env file and configuration files into one resolved
 * configuration (see config.h). Every rule comes from the option table (option.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "config/conf_file.h"
#include "config/config.h"

extern char **environ;

#define NAME_MAX_LEN 128

/* pgBackRest looks for its files under /etc whatever the install prefix. */
#define GAIAREST_SYSCONFDIR_DEFAULT "/etc"

/* One setting as written somewhere, before resolution. */
typedef enum RawKind { RAW_SET, RAW_NEGATE, RAW_RESET } RawKind;

typedef struct RawOption {
    OptionId id;
    unsigned key; /* 1.. for indexed options, 0 otherwise */
    RawKind kind;
    char **values; /* one, or several for list/hash */
    size_t value_count;
} RawOption;

typedef struct RawList {
    RawOption *items;
    size_t count;
    size_t cap;
} RawList;

/* A resolved value. */
typedef struct ConfigValue {
    bool set;
    bool reset; /* --reset-<option> given (shown in the log line) */
    ConfigSource source;
    char **values;
    size_t value_count;
    int64_t number; /* integer, size (bytes), time (ms), boolean (0/1) */
} ConfigValue;

typedef struct Config {
    CommandId command;
    char **params;
    size_t param_count;
    unsigned index_keys[OPT_GROUP_COUNT][OPTION_INDEX_MAX];
    unsigned index_count[OPT_GROUP_COUNT];
    ConfigValue *values[OPT_COUNT]; /* per option: index_count (or 1) entries */
} Config;

static Config cfg;

/* ---------------------------------------------------------------------------------------------------------------- */
/* Raw lists */

static RawOption *
raw_find(RawList *list, OptionId id, unsigned key)
{
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].id == id && list->items[i].key == key)
            return &list->items[i];
    return NULL;
}

static RawOption *
raw_add(RawList *list, OptionId id, unsigned key, RawKind kind)
{
    if (list->count == list->cap) {
        list->cap = list->cap == 0 ? 32 : list->cap * 2;
        list->items = mem_realloc(list->items, list->cap * sizeof(RawOption));
    }
    RawOption *raw = &list->items[list->count++];
    *raw = (RawOption){id, key, kind, NULL, 0};
    return raw;
}

static void
raw_add_value(RawOption *raw, const char *value)
{
    raw->values = mem_realloc(raw->values, (raw->value_count + 1) * sizeof(char *));
    raw->values[raw->value_count++] = mem_strdup(value);
}

static void
raw_list_free(RawList *list)
{
    for (size_t i = 0; i < list->count; i++) {
        for (size_t v = 0; v < list->items[i].value_count; v++)
            free(list->items[i].values[v]);
        free(list->items[i].values);
    }
    free(list->items);
    *list = (RawList){0};
}

static bool
option_multi(OptionId id)
{
    OptionType type = option_def(id)->type;
    return type == OPT_TYPE_LIST || type == OPT_TYPE_HASH;
}

static bool
option_valid_for(OptionId id, CommandId command)
{
    return command >= 0 && (option_def(id)->commands & CMD_BIT(command)) != 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Command line */

typedef struct Sources {
    RawList param;
    RawList env;
    RawList config;
} Sources;

static int
parse_boolean_text(const char *text, bool *value)
{
    if (strcmp(text, "y") == 0)
        *value = true;
    else if (strcmp(text, "n") == 0)
        *value = false;
    else
        return -1;
    return 0;
}

/* pgBackRest's remote-host options (repoN-host, pgN-host and their -cmd, -port, -user, ... companions). gaiarest
 * reads and writes repositories and data directories only from where it runs, so a configuration that names a
 * remote host is refused, never half obeyed: archive-push would otherwise store WAL in a local directory that no
 * backup host ever sees, and PostgreSQL would recycle the segments. */
static int
remote_host_refuse(const char *name, const char *where)
{
    const char *rest = NULL;
    if (strncmp(name, "repo", 4) == 0)
        rest = name + 4;
    else if (strncmp(name, "pg", 2) == 0)
        rest = name + 2;
    if (rest == NULL)
        return 0;
    while (*rest >= '0' && *rest <= '9')
        rest++;
    if (strncmp(rest, "-host", 5) != 0 || (rest[5] != '\0' && rest[5] != '-'))
        return 0;
    err_set(ERR_FEATURE_NOT_SUPPORTED, "option '%s' (%s) names a remote host, which gaiarest does not support", name,
            where);
    return err_hint("run gaiarest on the host that holds the data directory, with the repository as a local path "
                    "(repo1-type=posix) or an object store (repo1-type=s3).");
}

/* One "--name[=value]" argument; *consumed_next is set when the value was the next argument. */
static int
parse_argument(RawList *list, const char *arg, const char *next, bool *consumed_next)
{
    char name[NAME_MAX_LEN];
    const char *equal = strchr(arg, '=');
    size_t name_len = equal != NULL ? (size_t)(equal - arg) : strlen(arg);
    if (name_len >= sizeof(name))
        return err_set(ERR_OPTION_INVALID, "invalid option '--%s'", arg);
    memcpy(name, arg, name_len);
    name[name_len] = '\0';

    RawKind kind = RAW_SET;
    unsigned key;
    bool key_too_big;
    OptionId id = option_find(name, &key, &key_too_big);
    const char *base = name;
    if (id == OPT_COUNT && strncmp(name, "no-", 3) == 0) {
        base = name + 3;
        id = option_find(base, &key, &key_too_big);
        kind = RAW_NEGATE;
    }
    if (id == OPT_COUNT && strncmp(name, "reset-", 6) == 0) {
        base = name + 6;
        id = option_find(base, &key, &key_too_big);
        kind = RAW_RESET;
    }
    if (id == OPT_COUNT) {
        TRY(remote_host_refuse(name, "command line"));
        return err_set(ERR_OPTION_INVALID, "invalid option '--%s'", arg);
    }
    if (key_too_big)
        return err_set(ERR_OPTION_INVALID, "option '%s' key exceeds maximum of %d", base, OPTION_INDEX_MAX);

    const OptionDef *def = option_def(id);
    if (kind == RAW_NEGATE && def->type != OPT_TYPE_BOOLEAN && id != OPT_CONFIG)
        return err_set(ERR_OPTION_INVALID, "option '%s' cannot be negated", name);
    if (kind != RAW_SET && equal != NULL)
        return err_set(ERR_OPTION_INVALID, "option '%s' does not allow an argument", name);
    if (def->secret)
        return err_set(ERR_OPTION_INVALID, "option '%s' is not allowed on the command-line", base),
               err_hint("this option could expose secrets in the process list.\n"
                        "HINT: specify the option in a configuration file or an environment variable instead.");

    const char *value = NULL;
    if (kind == RAW_SET) {
        if (equal != NULL) {
            value = equal + 1;
        } else if (def->type == OPT_TYPE_BOOLEAN) {
            value = "y";
        } else if (next != NULL) {
            value = next;
            *consumed_next = true;
        } else {
            return err_set(ERR_OPTION_INVALID, "option '--%s' requires an argument", name);
        }
        if (def->type == OPT_TYPE_BOOLEAN) {
            bool flag;
            if (parse_boolean_text(value, &flag) < 0)
                return err_set(ERR_OPTION_INVALID_VALUE, "boolean option '--%s' argument must be 'y' or 'n'", name);
        }
    }

    RawOption *raw = raw_find(list, id, key);
    if (raw != NULL) {
        if (raw->kind != kind && (raw->kind == RAW_RESET || kind == RAW_RESET))
            return err_set(ERR_OPTION_INVALID, "option '%s' cannot be set and reset", base);
        if (raw->kind != kind)
            return err_set(ERR_OPTION_INVALID, "option '%s' cannot be set and negated", base);
        if (kind != RAW_SET || !option_multi(id))
            return err_set(ERR_OPTION_INVALID, "option '%s' cannot be set multiple times", base);
    } else {
        raw = raw_add(list, id, key, kind);
    }
    if (value != NULL)
        raw_add_value(raw, value);
    return 0;
}

static int
parse_command_line(int argc, char **argv, RawList *list)
{
    bool command_seen = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) == 0 && arg[2] != '\0') {
            bool consumed = false;
            TRY(parse_argument(list, arg + 2, i + 1 < argc ? argv[i + 1] : NULL, &consumed));
            if (consumed)
                i++;
        } else if (!command_seen) {
            command_seen = true;
            cfg.command = command_find(arg);
            if (cfg.command == CMD_NONE)
                return err_set(ERR_COMMAND_INVALID, "invalid command '%s'", arg);
        } else {
            cfg.params = mem_realloc(cfg.params, (cfg.param_count + 1) * sizeof(char *));
            cfg.params[cfg.param_count++] = mem_strdup(arg);
        }
    }
    if (!command_seen)
        return err_set(ERR_COMMAND_REQUIRED, "no command found");
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Environment and the Gaia .env file */

typedef struct EnvVar {
    char *name;
    char *value;
} EnvVar;

typedef struct EnvSet {
    EnvVar *vars;
    size_t count;
} EnvSet;

static void
env_set_put(EnvSet *set, const char *name, size_t name_len, const char *value)
{
    for (size_t i = 0; i < set->count; i++) {
        if (strlen(set->vars[i].name) == name_len && strncmp(set->vars[i].name, name, name_len) == 0) {
            free(set->vars[i].value);
            set->vars[i].value = mem_strdup(value);
            return;
        }
    }
    set->vars = mem_realloc(set->vars, (set->count + 1) * sizeof(EnvVar));
    set->vars[set->count++] = (EnvVar){mem_strndup(name, name_len), mem_strdup(value)};
}

static const char *
env_set_get(const EnvSet *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->vars[i].name, name) == 0)
            return set->vars[i].value;
    return NULL;
}

static void
env_set_free(EnvSet *set)
{
    for (size_t i = 0; i < set->count; i++) {
        free(set->vars[i].name);
        free(set->vars[i].value);
    }
    free(set->vars);
    *set = (EnvSet){0};
}

/* Parse one .env line: [export ]KEY=VALUE, VALUE optionally in single or double quotes, # comments. */
static void
env_file_line(EnvSet *set, char *line)
{
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line == '#' || *line == '\0')
        return;
    if (strncmp(line, "export ", 7) == 0)
        line += 7;
    while (*line == ' ' || *line == '\t')
        line++;
    char *equal = strchr(line, '=');
    if (equal == NULL)
        return;
    size_t name_len = (size_t)(equal - line);
    while (name_len > 0 && (line[name_len - 1] == ' ' || line[name_len - 1] == '\t'))
        name_len--;
    char *value = equal + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (*value == '"' || *value == '\'') {
        char quote = *value++;
        char *end = strchr(value, quote);
        if (end != NULL)
            *end = '\0';
    } else {
        char *comment = strstr(value, " #");
        if (comment != NULL)
            *comment = '\0';
        size_t len = strlen(value);
        while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t' || value[len - 1] == '\r'))
            value[--len] = '\0';
    }
    if (name_len > 0)
        env_set_put(set, line, name_len, value);
}

static int
env_file_load(EnvSet *set, const char *path)
{
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        if (errno == ENOENT)
            return err_set(ERR_FILE_MISSING, "unable to open missing file '%s' for read", path);
        return err_set_errno(ERR_FILE_OPEN, errno, "unable to open file '%s' for read", path);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, file)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[len - 1] = '\0';
        env_file_line(set, line);
    }
    free(line);
    fclose(file);
    return 0;
}

/* The Gaia names and the option each one sets. */
typedef struct GaiaEnvMap {
    const char *name;
    OptionId id;
    unsigned key;
    bool r2;
} GaiaEnvMap;

static const GaiaEnvMap gaia_env_map[] = {
    {"PGBACKREST_STANZA_NAME", OPT_STANZA, 0, false},
    {"PGBACKREST_R2_BUCKET", OPT_REPO_S3_BUCKET, 1, true},
    {"PGBACKREST_R2_ENDPOINT", OPT_REPO_S3_ENDPOINT, 1, true},
    {"PGBACKREST_R2_ACCESS_KEY_ID", OPT_REPO_S3_KEY, 1, true},
    {"PGBACKREST_R2_SECRET_ACCESS_KEY", OPT_REPO_S3_KEY_SECRET, 1, true},
    {"PGBACKREST_R2_REGION", OPT_REPO_S3_REGION, 1, true},
    {"PGBACKREST_PGDATA", OPT_PG_PATH, 1, false},
    {"PGBACKREST_PGPORT", OPT_PG_PORT, 1, false},
    {"PGBACKREST_PGUSER", OPT_PG_USER, 1, false},
};
#define GAIA_ENV_COUNT (sizeof(gaia_env_map) / sizeof(gaia_env_map[0]))

static const GaiaEnvMap *
gaia_env_find(const char *name)
{
    for (size_t i = 0; i < GAIA_ENV_COUNT; i++)
        if (strcmp(gaia_env_map[i].name, name) == 0)
            return &gaia_env_map[i];
    return NULL;
}

/* "https://acct.r2.cloudflarestorage.com/" -> "acct.r2.cloudflarestorage.com" */
static char *
gaia_endpoint(const char *value)
{
    if (strncmp(value, "https://", 8) == 0)
        value += 8;
    char *host = mem_strdup(value);
    size_t len = strlen(host);
    while (len > 0 && host[len - 1] == '/')
        host[--len] = '\0';
    return host;
}

static void
env_add_value(RawList *list, OptionId id, unsigned key, const char *value)
{
    RawOption *raw = raw_find(list, id, key);
    if (raw != NULL)
        return; /* a standard PGBACKREST_<OPTION> variable wins over a Gaia name */
    raw = raw_add(list, id, key, RAW_SET);
    if (option_multi(id)) {
        const char *start = value;
        for (;;) {
            const char *colon = strchr(start, ':');
            char *part = mem_strndup(start, colon != NULL ? (size_t)(colon - start) : strlen(start));
            raw_add_value(raw, part);
            free(part);
            if (colon == NULL)
                break;
            start = colon + 1;
        }
    } else {
        raw_add_value(raw, value);
    }
}

/* One standard PGBACKREST_<OPTION> variable. */
static int
env_standard(RawList *list, const char *name, const char *value)
{
    char option[NAME_MAX_LEN];
    const char *suffix = name + strlen("PGBACKREST_");
    size_t len = strlen(suffix);
    if (len >= sizeof(option))
        len = sizeof(option) - 1;
    for (size_t i = 0; i < len; i++)
        option[i] = suffix[i] == '_' ? '-' : (char)(suffix[i] >= 'A' && suffix[i] <= 'Z' ? suffix[i] + 32 : suffix[i]);
    option[len] = '\0';

    unsigned key;
    bool key_too_big;
    OptionId id = option_find(option, &key, &key_too_big);
    if (id == OPT_COUNT || key_too_big) {
        TRY(remote_host_refuse(option, "environment"));
        LOG_WARN("environment contains invalid option '%s'", option);
        return 0;
    }
    if (option_def(id)->type == OPT_TYPE_BOOLEAN) {
        bool flag;
        if (parse_boolean_text(value, &flag) < 0)
            return err_set(ERR_OPTION_INVALID_VALUE, "environment boolean option '%s' must be 'y' or 'n'", option);
    }
    /* standard names replace what a Gaia name may have put there */
    RawOption *raw = raw_find(list, id, key);
    if (raw != NULL) {
        for (size_t v = 0; v < raw->value_count; v++)
            free(raw->values[v]);
        free(raw->values);
        *raw = list->items[--list->count];
    }
    env_add_value(list, id, key, value);
    return 0;
}

static void
env_gaia(RawList *list, const EnvSet *set)
{
    bool r2 = false;
    for (size_t i = 0; i < GAIA_ENV_COUNT; i++) {
        const char *value = env_set_get(set, gaia_env_map[i].name);
        if (value == NULL)
            continue;
        r2 = r2 || gaia_env_map[i].r2;
        if (gaia_env_map[i].id == OPT_REPO_S3_ENDPOINT) {
            char *host = gaia_endpoint(value);
            env_add_value(list, gaia_env_map[i].id, gaia_env_map[i].key, host);
            free(host);
        } else {
            env_add_value(list, gaia_env_map[i].id, gaia_env_map[i].key, value);
        }
    }
    if (r2) {
        env_add_value(list, OPT_REPO_TYPE, 1, "s3");
        env_add_value(list, OPT_REPO_S3_REGION, 1, "auto");
    }
}

/* The .env file first, then the process environment over it. */
static int
parse_environment(const char *env_file, RawList *list)
{
    EnvSet set = {0};
    if (env_file != NULL && env_file_load(&set, env_file) < 0) {
        env_set_free(&set);
        return -1;
    }
    for (char **entry = environ; entry != NULL && *entry != NULL; entry++) {
        const char *equal = strchr(*entry, '=');
        if (equal != NULL && strncmp(*entry, "PGBACKREST_", 11) == 0)
            env_set_put(&set, *entry, (size_t)(equal - *entry), equal + 1);
    }
    int rc = 0;
    for (size_t i = 0; i < set.count && rc == 0; i++) {
        if (strncmp(set.vars[i].name, "PGBACKREST_", 11) != 0 || gaia_env_find(set.vars[i].name) != NULL)
            continue;
        rc = env_standard(list, set.vars[i].name, set.vars[i].value);
    }
    if (rc == 0)
        env_gaia(list, &set);
    env_set_free(&set);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Configuration files */

/* The value a command-line (or environment) option has before files are read. */
static const RawOption *
early_value(Sources *src, OptionId id)
{
    const RawOption *raw = raw_find(&src->param, id, 0);
    if (raw == NULL)
        raw = raw_find(&src->env, id, 0);
    return raw;
}

static int
compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load every *.conf of dir, sorted by name. */
static int
config_load_include(ConfFile *conf, const char *dir, bool required)
{
    DIR *handle = opendir(dir);
    if (handle == NULL) {
        if (errno == ENOENT && !required)
            return 0;
        if (errno == ENOENT)
            return err_set(ERR_PATH_MISSING, "unable to list file info for missing path '%s'", dir);
        return err_set_errno(ERR_PATH_OPEN, errno, "unable to open path '%s'", dir);
    }
    char **names = NULL;
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(handle)) != NULL) {
        size_t len = strlen(entry->d_name);
        if (len > 5 && strcmp(entry->d_name + len - 5, ".conf") == 0) {
            names = mem_realloc(names, (count + 1) * sizeof(char *));
            names[count++] = mem_strdup(entry->d_name);
        }
    }
    closedir(handle);
    qsort(names, count, sizeof(char *), compare_strings);
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        if (rc == 0) {
            char *path = mem_printf("%s/%s", dir, names[i]);
            bool found;
            rc = conf_file_load(conf, path, true, &found);
            free(path);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Which files to read (pgBackRest's rules for --config, --config-path, --config-include-path). */
static int
config_load_files(Sources *src, ConfFile *conf)
{
    const RawOption *config = early_value(src, OPT_CONFIG);
    const RawOption *config_path = early_value(src, OPT_CONFIG_PATH);
    const RawOption *include_path = early_value(src, OPT_CONFIG_INCLUDE_PATH);
    const char *base = config_path != NULL && config_path->kind == RAW_SET ? config_path->values[0] : NULL;
    bool found;

    if (config != NULL && config->kind == RAW_NEGATE) {
        /* --no-config: no main file */
    } else if (config != NULL && config->kind == RAW_SET) {
        TRY(conf_file_load(conf, config->values[0], true, &found));
    } else if (base != NULL) {
        char *path = mem_printf("%s/pgbackrest.conf", base);
        int rc = conf_file_load(conf, path, false, &found);
        free(path);
        TRY(rc);
    } else {
        TRY(conf_file_load(conf, GAIAREST_SYSCONFDIR_DEFAULT "/pgbackrest/pgbackrest.conf", false, &found));
        if (!found)
            TRY(conf_file_load(conf, GAIAREST_SYSCONFDIR_DEFAULT "/pgbackrest.conf", false, &found));
    }

    if (include_path != NULL && include_path->kind == RAW_SET)
        return config_load_include(conf, include_path->values[0], true);
    if (config != NULL && config->kind == RAW_SET && base == NULL)
        return 0;
    char *dir = mem_printf("%s/conf.d", base != NULL ? base : GAIAREST_SYSCONFDIR_DEFAULT "/pgbackrest");
    int rc = config_load_include(conf, dir, false);
    free(dir);
    return rc;
}

/* Take the entries of one section (in precedence order) into the config list. */
static int
config_take_section(ConfFile *conf, const char *section, bool global, bool command_section, RawList *list,
                    RawList *section_list)
{
    for (size_t i = 0; i < conf->count; i++) {
        ConfEntry *entry = &conf->entries[i];
        if (strcmp(entry->section, section) != 0)
            continue;
        unsigned key;
        bool key_too_big;
        OptionId id = option_find(entry->key, &key, &key_too_big);
        if (id == OPT_COUNT || key_too_big) {
            TRY(remote_host_refuse(entry->key, "configuration file"));
            LOG_WARN("configuration file contains invalid option '%s'", entry->key);
            continue;
        }
        const OptionDef *def = option_def(id);
        if (def->section == OPT_SECTION_COMMAND_LINE) {
            LOG_WARN("configuration file contains command-line only option '%s'", entry->key);
            continue;
        }
        if (!option_valid_for(id, cfg.command)) {
            if (command_section)
                LOG_WARN("configuration file contains option '%s' invalid for section '%s'", entry->key, section);
            continue;
        }
        if (global && def->section == OPT_SECTION_STANZA) {
            LOG_WARN("configuration file contains stanza-only option '%s' in global section '%s'", entry->key,
                     section);
            continue;
        }
        if (def->type == OPT_TYPE_BOOLEAN) {
            bool flag;
            if (parse_boolean_text(entry->value, &flag) < 0)
                return err_set(ERR_OPTION_INVALID_VALUE, "boolean option '%s' must be 'y' or 'n'", entry->key);
        }
        if (raw_find(list, id, key) != NULL)
            continue; /* set by a section of higher precedence */
        RawOption *raw = raw_find(section_list, id, key);
        if (raw != NULL && !option_multi(id))
            return err_set(ERR_OPTION_INVALID, "option '%s' cannot be set multiple times", entry->key);
        if (raw == NULL)
            raw = raw_add(section_list, id, key, RAW_SET);
        raw_add_value(raw, entry->value);
    }
    return 0;
}

static int
parse_config(Sources *src)
{
    ConfFile conf = {0};
    int rc = config_load_files(src, &conf);
    const RawOption *stanza = early_value(src, OPT_STANZA);
    const char *stanza_name = stanza != NULL && stanza->kind == RAW_SET ? stanza->values[0] : NULL;
    const char *cmd = command_name(cfg.command);
    char *sections[4] = {NULL, NULL, NULL, NULL};
    if (stanza_name != NULL) {
        sections[0] = mem_printf("%s:%s", stanza_name, cmd);
        sections[1] = mem_strdup(stanza_name);
    }
    sections[2] = mem_printf("global:%s", cmd);
    sections[3] = mem_strdup("global");
    for (int i = 0; i < 4 && rc == 0; i++) {
        if (sections[i] == NULL)
            continue;
        RawList section_list = {0};
        rc = config_take_section(&conf, sections[i], i >= 2, i == 0 || i == 2, &src->config, &section_list);
        for (size_t r = 0; r < section_list.count; r++) {
            RawOption *raw = raw_add(&src->config, section_list.items[r].id, section_list.items[r].key, RAW_SET);
            raw->values = section_list.items[r].values;
            raw->value_count = section_list.items[r].value_count;
        }
        free(section_list.items);
    }
    for (int i = 0; i < 4; i++)
        free(sections[i]);
    conf_file_free(&conf);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Value conversion */

/* Integer: optional sign and digits only. */
static bool
convert_integer(const char *text, int64_t *out)
{
    char *end;
    if (*text == '\0')
        return false;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = value;
    return true;
}

/* Size: digits with an optional unit (b, k/kb/kib, m/mb/mib, g/gb/gib, t/tb/tib, p/pb/pib), case-insensitive. */
static bool
convert_size(const char *text, int64_t *out)
{
    char *end;
    if (*text < '0' || *text > '9')
        return false;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0)
        return false;
    static const char *const units[] = {"b", "k", "m", "g", "t", "p"};
    int shift = -1;
    if (*end == '\0') {
        shift = 0;
    } else {
        char unit[8];
        size_t len = strlen(end);
        if (len >= sizeof(unit))
            return false;
        for (size_t i = 0; i <= len; i++)
            unit[i] = (char)(end[i] >= 'A' && end[i] <= 'Z' ? end[i] + 32 : end[i]);
        for (int u = 0; u < 6 && shift < 0; u++) {
            if (unit[0] != units[u][0])
                continue;
            const char *rest = unit + 1;
            if (*rest == '\0' || (u > 0 && (strcmp(rest, "b") == 0 || strcmp(rest, "ib") == 0)))
                shift = u * 10;
        }
    }
    if (shift < 0 || (shift > 0 && value > (UINT64_C(1) << (63 - shift))))
        return false;
    *out = (int64_t)(value << shift);
    return true;
}

/* Time: seconds, possibly fractional, to milliseconds. */
static bool
convert_time(const char *text, int64_t *out)
{
    char *end;
    if (*text == '\0' || *text == '-' || *text == '+' || *text == ' ')
        return false;
    errno = 0;
    double value = strtod(text, &end);
    if (errno != 0 || *end != '\0' || value != value || value > 9.2e15)
        return false;
    *out = (int64_t)(value * 1000.0 + 0.5);
    return true;
}

static int
value_error_invalid(const char *value, const char *name)
{
    return err_set(ERR_OPTION_INVALID_VALUE, "'%s' is not valid for '%s' option", value, name);
}

static int
value_error_range(const char *value, const char *name)
{
    return err_set(ERR_OPTION_INVALID_VALUE, "'%s' is out of range for '%s' option", value, name);
}

static int
value_error_allowed(const char *value, const char *name)
{
    return err_set(ERR_OPTION_INVALID_VALUE, "'%s' is not allowed for '%s' option", value, name);
}

/* Check a size against its allowed list by value (16KiB equals 16384). */
static bool
size_allowed(int64_t size, const char *const *allowed)
{
    for (; *allowed != NULL; allowed++) {
        int64_t candidate;
        if (convert_size(*allowed, &candidate) && candidate == size)
            return true;
    }
    return false;
}

static bool
string_allowed(const char *value, const char *const *allowed)
{
    for (; *allowed != NULL; allowed++)
        if (strcmp(*allowed, value) == 0)
            return true;
    return false;
}

/* Convert and check one value of option id; *number receives the numeric form. */
static int
value_check(OptionId id, const char *name, const char *value, int64_t *number)
{
    const OptionDef *def = option_def(id);
    const char *const *allowed = option_allowed(id, cfg.command);
    *number = 0;
    switch (def->type) {
    case OPT_TYPE_BOOLEAN: {
        bool flag;
        if (parse_boolean_text(value, &flag) < 0)
            return err_set(ERR_OPTION_INVALID_VALUE, "boolean option '%s' must be 'y' or 'n'", name);
        *number = flag;
        return 0;
    }
    case OPT_TYPE_INTEGER:
        if (!convert_integer(value, number))
            return value_error_invalid(value, name);
        break;
    case OPT_TYPE_SIZE:
        if (!convert_size(value, number))
            return value_error_invalid(value, name);
        if (allowed != NULL && !size_allowed(*number, allowed))
            return value_error_allowed(value, name);
        break;
    case OPT_TYPE_TIME:
        if (!convert_time(value, number))
            return value_error_invalid(value, name);
        break;
    case OPT_TYPE_PATH:
        if (*value != '/' && *value != '\0')
            return err_set(ERR_OPTION_INVALID_VALUE, "'%s' must begin with / for '%s' option", value, name);
        /* fall through */
    case OPT_TYPE_STRING:
    case OPT_TYPE_LIST:
    case OPT_TYPE_HASH:
        if (*value == '\0')
            return err_set(ERR_OPTION_INVALID_VALUE, "'' must be >= 1 character for '%s' option", name);
        if (def->type == OPT_TYPE_HASH && strchr(value, '=') == NULL)
            return err_set(ERR_OPTION_INVALID_VALUE, "key/value '%s' not valid for '%s' option", value, name);
        if (allowed != NULL && !string_allowed(value, allowed))
            return value_error_allowed(value, name);
        return 0;
    }
    if (def->has_range && (*number < def->range_min || *number > def->range_max))
        return value_error_range(value, name);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Resolution */

/* Record a key of an indexed group as configured. */
static void
index_note(OptionGroup group, unsigned key)
{
    for (unsigned i = 0; i < cfg.index_count[group]; i++)
        if (cfg.index_keys[group][i] == key)
            return;
    unsigned pos = cfg.index_count[group]++;
    while (pos > 0 && cfg.index_keys[group][pos - 1] > key) {
        cfg.index_keys[group][pos] = cfg.index_keys[group][pos - 1];
        pos--;
    }
    cfg.index_keys[group][pos] = key;
}

static void
index_collect(const RawList *list)
{
    for (size_t i = 0; i < list->count; i++) {
        OptionGroup group = option_def(list->items[i].id)->group;
        if (group != OPT_GROUP_NONE && list->items[i].kind != RAW_RESET &&
            option_valid_for(list->items[i].id, cfg.command))
            index_note(group, list->items[i].key);
    }
}

static unsigned
option_value_count(OptionId id)
{
    OptionGroup group = option_def(id)->group;
    return group == OPT_GROUP_NONE ? 1 : cfg.index_count[group];
}

static void
value_assign(ConfigValue *value, const RawOption *raw, ConfigSource source)
{
    value->set = true;
    value->source = source;
    value->values = mem_alloc(raw->value_count * sizeof(char *));
    for (size_t i = 0; i < raw->value_count; i++)
        value->values[i] = mem_strdup(raw->values[i]);
    value->value_count = raw->value_count;
}

static void
value_assign_text(ConfigValue *value, const char *text, ConfigSource source)
{
    value->set = true;
    value->source = source;
    value->values = mem_alloc(sizeof(char *));
    value->values[0] = mem_strdup(text);
    value->value_count = 1;
}

static void
value_clear(ConfigValue *value)
{
    for (size_t i = 0; i < value->value_count; i++)
        free(value->values[i]);
    free(value->values);
    bool reset = value->reset;
    *value = (ConfigValue){0};
    value->reset = reset;
}

/* Pick the winning source of one option/key: command line, environment, configuration file. */
static int
resolve_one(Sources *src, OptionId id, unsigned key, ConfigValue *value)
{
    char name[NAME_MAX_LEN];
    option_name(id, key, name, sizeof(name));
    const RawOption *raw = raw_find(&src->param, id, key);
    if (raw != NULL && !option_valid_for(id, cfg.command) && cfg.command != CMD_HELP) {
        return err_set(ERR_OPTION_INVALID, "option '%s' not valid for command '%s'", option_def(id)->name,
                       command_name(cfg.command));
    }
    if (!option_valid_for(id, cfg.command))
        return 0;
    if (raw != NULL && raw->kind == RAW_RESET) {
        value->reset = true;
    } else if (raw != NULL) {
        if (raw->kind == RAW_NEGATE) {
            if (id == OPT_CONFIG) {
                value->set = false;
                value->source = CFG_SOURCE_PARAM;
                value->reset = true; /* no value, but shown as --no-config */
                return 0;
            }
            value_assign_text(value, "n", CFG_SOURCE_PARAM);
        } else {
            value_assign(value, raw, CFG_SOURCE_PARAM);
        }
    } else if ((raw = raw_find(&src->env, id, key)) != NULL) {
        value_assign(value, raw, CFG_SOURCE_ENV);
    } else if ((raw = raw_find(&src->config, id, key)) != NULL) {
        value_assign(value, raw, CFG_SOURCE_CONFIG);
    }
    if (!value->set) {
        const char *dflt = option_default(id, cfg.command);
        if (dflt != NULL)
            value_assign_text(value, dflt, CFG_SOURCE_DEFAULT);
    }
    return 0;
}

static ConfigValue *
value_at(OptionId id, unsigned index)
{
    if (index >= option_value_count(id) || cfg.values[id] == NULL)
        return NULL;
    return &cfg.values[id][index];
}

/* Does the value of the option this one depends on allow it? */
static bool
depend_met(OptionId id, unsigned index, char *describe, size_t size)
{
    const OptionDef *def = option_def(id);
    if (def->depend == OPT_COUNT)
        return true;
    unsigned depend_index = option_def(def->depend)->group == def->group ? index : 0;
    ConfigValue *depend = value_at(def->depend, depend_index);
    char depend_name[NAME_MAX_LEN];
    OptionGroup depend_group = option_def(def->depend)->group;
    option_name(def->depend, depend_group == OPT_GROUP_NONE ? 0 : cfg.index_keys[depend_group][depend_index],
                depend_name, sizeof(depend_name));
    Buf text = BUF_INIT;
    if (def->depend_values == NULL) {
        buf_printf(&text, "option '%s'", depend_name);
    } else if (def->depend_values[1] == NULL) {
        buf_printf(&text, "option '%s' = '%s'", depend_name, def->depend_values[0]);
    } else {
        buf_printf(&text, "option '%s' in (", depend_name);
        for (size_t i = 0; def->depend_values[i] != NULL; i++)
            buf_printf(&text, "%s'%s'", i > 0 ? ", " : "", def->depend_values[i]);
        buf_append_str(&text, ")");
    }
    snprintf(describe, size, "%s", buf_str(&text));
    buf_free(&text);

    if (depend == NULL || !depend->set)
        return false;
    /* a boolean dependency: values are converted after this check, so read the text ("y"/"n") */
    if (def->depend_values == NULL)
        return depend->value_count > 0 && strcmp(depend->values[0], "y") == 0;
    return string_allowed(depend->values[0], def->depend_values);
}

/* Convert every value of the option; compress-level gets its per-type range and default. */
static int
validate_values(OptionId id, unsigned index, ConfigValue *value)
{
    char name[NAME_MAX_LEN];
    unsigned key = option_def(id)->group == OPT_GROUP_NONE ? 0 : cfg.index_keys[option_def(id)->group][index];
    option_name(id, key, name, sizeof(name));
    if (id == OPT_COMPRESS_LEVEL) {
        ConfigValue *type = value_at(OPT_COMPRESS_TYPE, 0);
        int64_t min, max, level;
        bool ranged = type != NULL && type->set && option_compress_level_range(type->values[0], &min, &max, &level);
        if (!value->set && ranged) {
            char text[32];
            snprintf(text, sizeof(text), "%lld", (long long)level);
            value_assign_text(value, text, CFG_SOURCE_DEFAULT);
        }
        if (!value->set)
            return 0;
        if (!convert_integer(value->values[0], &value->number))
            return value_error_invalid(value->values[0], name);
        if (ranged && (value->number < min || value->number > max))
            return err_set(ERR_OPTION_INVALID_VALUE,
                           "'%s' is out of range for '%s' option when 'compress-type' option = '%s'", value->values[0],
                           name, type->values[0]);
        return 0;
    }
    for (size_t i = 0; i < value->value_count; i++)
        TRY(value_check(id, name, value->values[i], &value->number));
    return 0;
}

static int
resolve_all(Sources *src)
{
    index_collect(&src->param);
    index_collect(&src->env);
    index_collect(&src->config);
    for (int group = 0; group < OPT_GROUP_COUNT; group++)
        if (cfg.index_count[group] == 0)
            index_note((OptionGroup)group, 1);

    /* values, types and ranges */
    for (int id = 0; id < OPT_COUNT; id++) {
        unsigned count = option_value_count((OptionId)id);
        cfg.values[id] = mem_calloc(count, sizeof(ConfigValue));
        OptionGroup group = option_def((OptionId)id)->group;
        for (unsigned index = 0; index < count; index++) {
            unsigned key = group == OPT_GROUP_NONE ? 0 : cfg.index_keys[group][index];
            TRY(resolve_one(src, (OptionId)id, key, &cfg.values[id][index]));
        }
    }
    /* dependencies: a value set where its dependency does not hold is an error on the command line and
     * silently dropped elsewhere (defaults included) */
    for (int id = 0; id < OPT_COUNT; id++) {
        for (unsigned index = 0; index < option_value_count((OptionId)id); index++) {
            ConfigValue *value = &cfg.values[id][index];
            char describe[256];
            if (depend_met((OptionId)id, index, describe, sizeof(describe)))
                continue;
            if (value->set && value->source == CFG_SOURCE_PARAM) {
                char name[NAME_MAX_LEN];
                OptionGroup group = option_def((OptionId)id)->group;
                option_name((OptionId)id, group == OPT_GROUP_NONE ? 0 : cfg.index_keys[group][index], name,
                            sizeof(name));
                return err_set(ERR_OPTION_INVALID, "option '%s' not valid without %s", name, describe);
            }
            value_clear(value);
        }
    }
    for (int id = 0; id < OPT_COUNT; id++)
        for (unsigned index = 0; index < option_value_count((OptionId)id); index++)
            TRY(validate_values((OptionId)id, index, &cfg.values[id][index]));
    return 0;
}

/* Required options of the command that have no value. */
static int
check_required(void)
{
    if ((option_def(OPT_STANZA)->required & CMD_BIT(cfg.command)) != 0 && !cfg_has(OPT_STANZA))
        return err_set(ERR_OPTION_REQUIRED, "%s command requires option: stanza", command_name(cfg.command));
    for (int id = 0; id < OPT_COUNT; id++) {
        const OptionDef *def = option_def((OptionId)id);
        if ((def->required & CMD_BIT(cfg.command)) == 0)
            continue;
        for (unsigned index = 0; index < option_value_count((OptionId)id); index++) {
            ConfigValue *value = &cfg.values[id][index];
            char describe[256];
            if (value->set || !depend_met((OptionId)id, index, describe, sizeof(describe)))
                continue;
            /* S3 credentials come from elsewhere unless the key type is shared */
            if ((id == OPT_REPO_S3_KEY || id == OPT_REPO_S3_KEY_SECRET)) {
                ConfigValue *key_type = value_at(OPT_REPO_S3_KEY_TYPE, index);
                if (key_type != NULL && key_type->set && strcmp(key_type->values[0], "shared") != 0)
                    continue;
            }
            char name[NAME_MAX_LEN];
            option_name((OptionId)id, def->group == OPT_GROUP_NONE ? 0 : cfg.index_keys[def->group][index], name,
                        sizeof(name));
            return err_set(ERR_OPTION_REQUIRED, "%s command requires option: %s", command_name(cfg.command), name);
        }
    }
    return 0;
}

/* exec-id: "<pid>-<8 hex digits>" unless given. */
static void
set_exec_id(void)
{
    ConfigValue *value = value_at(OPT_EXEC_ID, 0);
    if (value == NULL || value->set || !command_logs(cfg.command))
        return;
    unsigned random = 0;
    FILE *urandom = fopen("/dev/urandom", "r");
    if (urandom == NULL || fread(&random, sizeof(random), 1, urandom) != 1)
        random = (unsigned)getpid() * 2654435761u;
    if (urandom != NULL)
        fclose(urandom);
    char text[48];
    snprintf(text, sizeof(text), "%d-%08x", (int)getpid(), random);
    value_assign_text(value, text, CFG_SOURCE_PARAM);
}

int
cfg_load(int argc, char **argv)
{
    cfg_free();
    Sources src = {0};
    int rc = parse_command_line(argc, argv, &src.param);
    if (rc == 0) {
        const RawOption *env_file = raw_find(&src.param, OPT_ENV_FILE, 0);
        rc = parse_environment(env_file != NULL && env_file->kind == RAW_SET ? env_file->values[0] : NULL, &src.env);
    }
    if (rc == 0)
        rc = parse_config(&src);
    if (rc == 0)
        rc = resolve_all(&src);
    if (rc == 0)
        rc = check_required();
    if (rc == 0)
        set_exec_id();
    raw_list_free(&src.param);
    raw_list_free(&src.env);
    raw_list_free(&src.config);
    return rc;
}

void
cfg_free(void)
{
    for (int id = 0; id < OPT_COUNT; id++) {
        if (cfg.values[id] == NULL)
            continue;
        for (unsigned index = 0; index < option_value_count((OptionId)id); index++)
            value_clear(&cfg.values[id][index]);
        free(cfg.values[id]);
    }
    for (size_t i = 0; i < cfg.param_count; i++)
        free(cfg.params[i]);
    free(cfg.params);
    cfg = (Config){0};
    cfg.command = CMD_NONE;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Accessors */

CommandId
cfg_command(void)
{
    return cfg.command;
}

void
cfg_command_set(CommandId id)
{
    cfg.command = id;
}

const char *
cfg_command_name(void)
{
    return command_name(cfg.command);
}

size_t
cfg_param_count(void)
{
    return cfg.param_count;
}

const char *
cfg_param(size_t index)
{
    return index < cfg.param_count ? cfg.params[index] : NULL;
}

bool
cfg_has_idx(OptionId id, unsigned index)
{
    ConfigValue *value = value_at(id, index);
    return value != NULL && value->set;
}

bool
cfg_has(OptionId id)
{
    return cfg_has_idx(id, 0);
}

const char *
cfg_str_idx(OptionId id, unsigned index)
{
    ConfigValue *value = value_at(id, index);
    return value != NULL && value->set ? value->values[0] : NULL;
}

const char *
cfg_str(OptionId id)
{
    return cfg_str_idx(id, 0);
}

int64_t
cfg_int_idx(OptionId id, unsigned index)
{
    ConfigValue *value = value_at(id, index);
    return value != NULL && value->set ? value->number : 0;
}

int64_t
cfg_int(OptionId id)
{
    return cfg_int_idx(id, 0);
}

bool
cfg_bool_idx(OptionId id, unsigned index)
{
    return cfg_int_idx(id, index) != 0;
}

bool
cfg_bool(OptionId id)
{
    return cfg_bool_idx(id, 0);
}

size_t
cfg_list(OptionId id, const char *const **values)
{
    ConfigValue *value = value_at(id, 0);
    if (value == NULL || !value->set) {
        *values = NULL;
        return 0;
    }
    *values = (const char *const *)value->values;
    return value->value_count;
}

ConfigSource
cfg_source_idx(OptionId id, unsigned index)
{
    ConfigValue *value = value_at(id, index);
    return value != NULL ? value->source : CFG_SOURCE_DEFAULT;
}

ConfigSource
cfg_source(OptionId id)
{
    return cfg_source_idx(id, 0);
}

unsigned
cfg_index_count(OptionGroup group)
{
    return group >= 0 && group < OPT_GROUP_COUNT ? cfg.index_count[group] : 0;
}

unsigned
cfg_index_key(OptionGroup group, unsigned index)
{
    return group >= 0 && group < OPT_GROUP_COUNT && index < cfg.index_count[group] ? cfg.index_keys[group][index] : 0;
}

unsigned
cfg_repo_index(void)
{
    if (cfg_has(OPT_REPO)) {
        unsigned key = (unsigned)cfg_int(OPT_REPO);
        for (unsigned i = 0; i < cfg.index_count[OPT_GROUP_REPO]; i++)
            if (cfg.index_keys[OPT_GROUP_REPO][i] == key)
                return i;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* The "command begin" option list */

typedef struct LogOption {
    char name[NAME_MAX_LEN];
    OptionId id;
    ConfigValue *value;
} LogOption;

static int
compare_log_options(const void *a, const void *b)
{
    return strcmp(((const LogOption *)a)->name, ((const LogOption *)b)->name);
}

static void
log_option_append(Buf *out, const LogOption *item)
{
    const OptionDef *def = option_def(item->id);
    const ConfigValue *value = item->value;
    if (value->reset) {
        buf_printf(out, " --%s%s", item->id == OPT_CONFIG ? "no-" : "reset-", item->name);
        return;
    }
    if (def->type == OPT_TYPE_BOOLEAN) {
        buf_printf(out, " --%s%s", value->number ? "" : "no-", item->name);
        return;
    }
    for (size_t i = 0; i < value->value_count; i++) {
        const char *text = def->secret ? "<redacted>" : value->values[i];
        if (strchr(text, ' ') != NULL)
            buf_printf(out, " --%s=\"%s\"", item->name, text);
        else
            buf_printf(out, " --%s=%s", item->name, text);
    }
}

char *
cfg_options_for_log(void)
{
    LogOption *items = NULL;
    size_t count = 0;
    for (int id = 0; id < OPT_COUNT; id++) {
        const OptionDef *def = option_def((OptionId)id);
        for (unsigned index = 0; index < option_value_count((OptionId)id); index++) {
            ConfigValue *value = value_at((OptionId)id, index);
            if (value == NULL || (value->source == CFG_SOURCE_DEFAULT && !value->reset) ||
                !option_valid_for((OptionId)id, cfg.command))
                continue;
            items = mem_realloc(items, (count + 1) * sizeof(LogOption));
            items[count].id = (OptionId)id;
            items[count].value = value;
            option_name((OptionId)id, def->group == OPT_GROUP_NONE ? 0 : cfg.index_keys[def->group][index],
                        items[count].name, sizeof(items[count].name));
            count++;
        }
    }
    qsort(items, count, sizeof(LogOption), compare_log_options);
    Buf out = BUF_INIT;
    buf_append_str(&out, "");
    /* Positional parameters first, as pgBackRest shows them: "[000000010000000000000001, pg_wal/RECOVERYXLOG]". */
    if (cfg_param_count() > 0) {
        buf_append_str(&out, " [");
        for (size_t i = 0; i < cfg_param_count(); i++)
            buf_printf(&out, "%s%s", i > 0 ? ", " : "", cfg_param(i));
        buf_append_char(&out, ']');
    }
    for (size_t i = 0; i < count; i++)
        log_option_append(&out, &items[i]);
    free(items);
    char *text = buf_detach(&out);
    if (text == NULL)
        return mem_strdup("");
    /* drop the leading space */
    if (text[0] == ' ')
        memmove(text, text + 1, strlen(text));
    return text;
}
