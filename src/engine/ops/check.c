/* check: archiving settings and the wait for an archived WAL segment (see check.h). */
#include "engine/ops/check.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/repo/layout.h"

#define CHECK_WAIT_INTERVAL_MS 100

int
check_archive_settings(const char *archive_mode, const char *archive_command)
{
    if (archive_mode == NULL || strcmp(archive_mode, "off") == 0)
        return err_set(ERR_ARCHIVE_DISABLED, "archive_mode must be enabled");
    const char *command = archive_command != NULL ? archive_command : "";
    if (strstr(command, "pgbackrest") == NULL && strstr(command, "gaiarest") == NULL)
        return err_set(ERR_ARCHIVE_COMMAND_INVALID, "archive_command '%s' must contain pgbackrest", command);
    return 0;
}

static int64_t
check_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
check_sleep_ms(int64_t ms)
{
    struct timespec delay = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&delay, NULL);
}

/* The stored name of the segment in `dir`, NULL (with 0) when it is not there yet. */
static int
check_wal_find(Storage *storage, const char *dir, const char *regex, char **name)
{
    *name = NULL;
    char **names = NULL;
    size_t count = 0;
    TRY(storage_list_names(storage, dir, regex, true, &names, &count));
    if (count > 0)
        *name = mem_strdup(names[0]);
    storage_names_free(names, count);
    return 0;
}

static int
check_wal_timeout(const char *segment, int64_t timeout_ms)
{
    err_set(ERR_ARCHIVE_TIMEOUT, "WAL segment %s was not archived before the %lldms timeout", segment,
            (long long)timeout_ms);
    return err_hint("check the archive_command to ensure that all options are correct (especially --stanza).\n"
                    "HINT: check the PostgreSQL server log for errors.\n"
                    "HINT: run the 'start' command if the stanza was previously stopped.");
}

int
check_wal_archived(const Repo *repo, const char *stanza, const char *archive_id, const char *segment,
                   int64_t timeout_ms, char **path)
{
    *path = NULL;
    char *stanza_path = layout_archive_stanza_path(stanza);
    char *wal_dir = layout_wal_directory(segment);
    char *dir = mem_printf("%s/%s/%s", stanza_path, archive_id, wal_dir != NULL ? wal_dir : "");
    char *regex = layout_wal_segment_regex(segment);
    int64_t deadline = check_now_ms() + timeout_ms;
    char *name = NULL;
    int result = 0;
    for (;;) {
        result = check_wal_find(repo->storage, dir, regex, &name);
        if (result < 0 || name != NULL)
            break;
        int64_t left = deadline - check_now_ms();
        if (left <= 0) {
            result = check_wal_timeout(segment, timeout_ms);
            break;
        }
        check_sleep_ms(left < CHECK_WAIT_INTERVAL_MS ? left : CHECK_WAIT_INTERVAL_MS);
    }
    if (name != NULL) {
        char *relative = mem_printf("%s/%s", dir, name);
        *path = storage_path(repo->storage, relative);
        free(relative);
        free(name);
        if (*path == NULL)
            result = -1;
    }
    free(regex);
    free(dir);
    free(wal_dir);
    free(stanza_path);
    return result;
}
