/* restore_recovery: recovery settings and signal files after a restore (see restore_recovery.h). */
#include "engine/ops/restore_recovery.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "config/config.h"
#include "storage/posix.h"

#define RECOVERY_AUTO_CONF "postgresql.auto.conf"

static const char *const recovery_type_names[] = {
    [RECOVERY_TYPE_DEFAULT] = "default", [RECOVERY_TYPE_IMMEDIATE] = "immediate", [RECOVERY_TYPE_LSN] = "lsn",
    [RECOVERY_TYPE_NAME] = "name",       [RECOVERY_TYPE_NONE] = "none",           [RECOVERY_TYPE_PRESERVE] = "preserve",
    [RECOVERY_TYPE_STANDBY] = "standby", [RECOVERY_TYPE_TIME] = "time",           [RECOVERY_TYPE_XID] = "xid",
};

int
recovery_type_parse(const char *name)
{
    if (name == NULL)
        return RECOVERY_TYPE_DEFAULT;
    for (size_t index = 0; index < sizeof(recovery_type_names) / sizeof(recovery_type_names[0]); index++)
        if (strcmp(name, recovery_type_names[index]) == 0)
            return (int)index;
    return -1;
}

/* Settings that an earlier restore (or a user) may have left and that this restore replaces. */
static const char *const recovery_setting_names[] = {
    "restore_command",         "recovery_target",          "recovery_target_action",
    "recovery_target_inclusive", "recovery_target_lsn",    "recovery_target_name",
    "recovery_target_time",    "recovery_target_timeline", "recovery_target_xid",
};

/* Whether a line of postgresql.auto.conf sets one of the recovery settings above. */
static bool
recovery_line_is_setting(const char *line, size_t length)
{
    size_t pos = 0;
    while (pos < length && (line[pos] == ' ' || line[pos] == '\t'))
        pos++;
    size_t start = pos;
    while (pos < length && (line[pos] == '_' || (line[pos] >= 'a' && line[pos] <= 'z')))
        pos++;
    size_t name_length = pos - start;
    while (pos < length && (line[pos] == ' ' || line[pos] == '\t'))
        pos++;
    if (name_length == 0 || pos >= length || line[pos] != '=')
        return false;
    for (size_t index = 0; index < sizeof(recovery_setting_names) / sizeof(recovery_setting_names[0]); index++)
        if (strlen(recovery_setting_names[index]) == name_length &&
            strncmp(line + start, recovery_setting_names[index], name_length) == 0)
            return true;
    return false;
}

static int
recovery_option_compare(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The user's --recovery-option entries as "key = 'value'" lines, sorted by key; *has_restore_command is set
 * when one of them is restore_command. */
static void
recovery_render_options(const RestoreRecovery *recovery, Buf *out, bool *has_restore_command)
{
    *has_restore_command = false;
    if (recovery->option_count == 0)
        return;
    const char **sorted = mem_calloc(recovery->option_count, sizeof(*sorted));
    memcpy(sorted, recovery->options, recovery->option_count * sizeof(*sorted));
    qsort(sorted, recovery->option_count, sizeof(*sorted), recovery_option_compare);
    for (size_t index = 0; index < recovery->option_count; index++) {
        const char *equal = strchr(sorted[index], '=');
        size_t key_length = equal != NULL ? (size_t)(equal - sorted[index]) : strlen(sorted[index]);
        if (key_length == strlen("restore_command") && strncmp(sorted[index], "restore_command", key_length) == 0)
            *has_restore_command = true;
        buf_printf(out, "%.*s = '%s'\n", (int)key_length, sorted[index], equal != NULL ? equal + 1 : "");
    }
    free(sorted);
}

static const char *
recovery_target_key(RecoveryType type)
{
    switch (type) {
    case RECOVERY_TYPE_TIME:
        return "recovery_target_time";
    case RECOVERY_TYPE_XID:
        return "recovery_target_xid";
    case RECOVERY_TYPE_NAME:
        return "recovery_target_name";
    case RECOVERY_TYPE_LSN:
        return "recovery_target_lsn";
    default:
        return NULL;
    }
}

/* The lines of the generated block (after its comment line). */
static void
recovery_render_settings(const RestoreRecovery *recovery, Buf *out)
{
    bool has_restore_command = false;
    recovery_render_options(recovery, out, &has_restore_command);
    if (!has_restore_command && recovery->restore_command != NULL)
        buf_printf(out, "restore_command = '%s'\n", recovery->restore_command);

    RecoveryType type = recovery->type;
    const char *target_key = recovery_target_key(type);
    if (type == RECOVERY_TYPE_IMMEDIATE)
        buf_append_str(out, "recovery_target = 'immediate'\n");
    else if (target_key != NULL)
        buf_printf(out, "%s = '%s'\n", target_key, recovery->target != NULL ? recovery->target : "");
    if (recovery->exclusive && target_key != NULL && type != RECOVERY_TYPE_NAME)
        buf_append_str(out, "recovery_target_inclusive = 'false'\n");
    if ((target_key != NULL || type == RECOVERY_TYPE_IMMEDIATE) && recovery->action != NULL &&
        strcmp(recovery->action, "pause") != 0)
        buf_printf(out, "recovery_target_action = '%s'\n", recovery->action);
    if (recovery->timeline != NULL)
        buf_printf(out, "recovery_target_timeline = '%s'\n", recovery->timeline);
    else if (type == RECOVERY_TYPE_IMMEDIATE)
        buf_append_str(out, "recovery_target_timeline = 'current'\n");
}

void
restore_recovery_render(const char *existing, size_t size, const RestoreRecovery *recovery, const char *date,
                        Buf *out)
{
    size_t pos = 0;
    while (pos < size) {
        const char *line = existing + pos;
        const char *newline = memchr(line, '\n', size - pos);
        size_t length = newline != NULL ? (size_t)(newline - line) : size - pos;
        if (recovery_line_is_setting(line, length))
            buf_printf(out, "# Removed by pgBackRest restore on %s # ", date);
        buf_append(out, line, length);
        buf_append_char(out, '\n');
        pos += length + (newline != NULL ? 1 : 0);
    }
    if (recovery->type == RECOVERY_TYPE_NONE)
        return;
    buf_printf(out, "\n# Recovery settings generated by pgBackRest restore on %s\n", date);
    recovery_render_settings(recovery, out);
}

/* " --name=value" (quoted when the value has a space) for one option value. */
static void
recovery_command_option(Buf *out, const char *name, const char *value)
{
    if (value == NULL)
        buf_printf(out, "--%s", name);
    else if (strchr(value, ' ') != NULL)
        buf_printf(out, "--%s=\"%s\"", name, value);
    else
        buf_printf(out, "--%s=%s", name, value);
}

/* Options that are about this run only and are not repeated in restore_command. */
static bool
recovery_command_skip(OptionId id)
{
    switch (id) {
    case OPT_EXEC_ID:
    case OPT_LOG_LEVEL_CONSOLE:
    case OPT_LOG_LEVEL_FILE:
    case OPT_LOG_LEVEL_STDERR:
    case OPT_LOG_SUBPROCESS:
    case OPT_LOG_TIMESTAMP:
    case OPT_PROCESS_MAX:
        return true;
    default:
        return false;
    }
}

/* Append "--name[=value]" strings of one option (at one index) given on the command line to `items`. */
static void
recovery_command_collect(OptionId id, unsigned index, unsigned key, char ***items, size_t *count)
{
    const OptionDef *def = option_def(id);
    char name[96];
    option_name(id, key, name, sizeof(name));
    Buf item = BUF_INIT;
    switch (def->type) {
    case OPT_TYPE_BOOLEAN:
        buf_printf(&item, cfg_bool_idx(id, index) ? "--%s" : "--no-%s", name);
        break;
    case OPT_TYPE_INTEGER:
    case OPT_TYPE_SIZE:
    case OPT_TYPE_TIME: {
        char value[32];
        snprintf(value, sizeof(value), "%lld", (long long)cfg_int_idx(id, index));
        recovery_command_option(&item, name, value);
        break;
    }
    case OPT_TYPE_LIST:
    case OPT_TYPE_HASH: {
        const char *const *values = NULL;
        size_t value_count = cfg_list(id, &values);
        for (size_t value = 0; value < value_count; value++) {
            if (value > 0)
                buf_append_char(&item, ' ');
            recovery_command_option(&item, name, values[value]);
        }
        break;
    }
    default:
        recovery_command_option(&item, name, cfg_str_idx(id, index));
        break;
    }
    *items = mem_realloc(*items, (*count + 1) * sizeof(**items));
    (*items)[(*count)++] = buf_detach(&item);
}

char *
restore_recovery_command(void)
{
    char exe[4096];
    ssize_t length = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (length <= 0)
        snprintf(exe, sizeof(exe), "gaiarest");
    else
        exe[length] = '\0';

    char **items = NULL;
    size_t count = 0;
    for (int id = 0; id < OPT_COUNT; id++) {
        const OptionDef *def = option_def((OptionId)id);
        if ((def->commands & CMD_BIT(CMD_ARCHIVE_GET)) == 0 || recovery_command_skip((OptionId)id) || def->secret)
            continue;
        if (def->group == OPT_GROUP_NONE) {
            if (cfg_has((OptionId)id) && cfg_source((OptionId)id) == CFG_SOURCE_PARAM)
                recovery_command_collect((OptionId)id, 0, 0, &items, &count);
            continue;
        }
        unsigned indexes = cfg_index_count(def->group);
        for (unsigned index = 0; index < indexes; index++)
            if (cfg_has_idx((OptionId)id, index) && cfg_source_idx((OptionId)id, index) == CFG_SOURCE_PARAM)
                recovery_command_collect((OptionId)id, index, cfg_index_key(def->group, index), &items, &count);
    }
    qsort(items, count, sizeof(*items), recovery_option_compare);

    Buf out = BUF_INIT;
    buf_append_str(&out, exe);
    for (size_t index = 0; index < count; index++) {
        buf_append_char(&out, ' ');
        buf_append_str(&out, items[index]);
        free(items[index]);
    }
    free(items);
    buf_append_str(&out, " archive-get %f \"%p\"");
    return buf_detach(&out);
}

/* Create an empty signal file (mode 0600), keeping an existing one. */
static int
recovery_signal_create(const char *pg_path, const char *name)
{
    char *path = mem_printf("%s/%s", pg_path, name);
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    int result = 0;
    if (fd < 0)
        result = err_set_errno(ERR_FILE_OPEN, errno, "unable to create '%s'", path);
    else if (close(fd) != 0)
        result = err_set_errno(ERR_FILE_CLOSE, errno, "unable to close '%s'", path);
    free(path);
    return result;
}

/* Read postgresql.auto.conf when it exists (*mode gets its mode, 0600 otherwise). */
static int
recovery_read_auto_conf(Storage *pg, Buf *text, mode_t *mode)
{
    StorageInfo info = {0};
    TRY(storage_info(pg, RECOVERY_AUTO_CONF, true, &info));
    *mode = info.exists ? info.mode : 0600;
    storage_info_clear(&info);
    bool found = false;
    return storage_get(pg, RECOVERY_AUTO_CONF, NULL, true, &found, text);
}

int
restore_recovery_write(const char *pg_path, const RestoreRecovery *recovery)
{
    if (recovery->type == RECOVERY_TYPE_PRESERVE)
        return 0;

    char date[32];
    time_t now = time(NULL);
    struct tm local;
    localtime_r(&now, &local);
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &local);

    Storage *pg = storage_posix_new(pg_path, true);
    Buf existing = BUF_INIT;
    Buf text = BUF_INIT;
    mode_t mode = 0600;
    int result = recovery_read_auto_conf(pg, &existing, &mode);
    if (result == 0) {
        restore_recovery_render((const char *)existing.data, existing.size, recovery, date, &text);
        StorageWriteOptions options = storage_write_options_default();
        options.mode_file = mode;
        options.sync_file = false; /* made durable by the final sync of the restore */
        options.sync_path = false;
        StorageWrite *write = NULL;
        result = storage_open_write(pg, RECOVERY_AUTO_CONF, &options, &write);
        if (result == 0)
            result = storage_write(write, text.data, text.size);
        if (result == 0)
            result = storage_write_close(write);
        storage_write_free(write);
    }
    buf_free(&existing);
    buf_free(&text);
    storage_free(pg);
    TRY(result);
    LOG_INFO("write updated %s/%s", pg_path, RECOVERY_AUTO_CONF);

    if (recovery->type == RECOVERY_TYPE_STANDBY)
        return recovery_signal_create(pg_path, "standby.signal");
    if (recovery->type == RECOVERY_TYPE_DEFAULT && !recovery->backup_online)
        return 0;
    return recovery_signal_create(pg_path, "recovery.signal");
}
