/* archive-get: PostgreSQL's restore_command (`gaiarest --stanza=<s> archive-get %f "%p"`), synchronous mode:
 * find the WAL file in the configured repositories (in order) and copy it to %p. Exit status 1 when it is in
 * none of them, as pgBackRest. */
#include <stdbool.h>
#include <stdlib.h>

#include "cmd/command.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "engine/ops/archive_get.h"
#include "engine/ops/archive_push.h"
#include "engine/ops/lock.h"
#include "engine/repo/repo.h"

/* Try one repository: 1 when found and copied, 0 when not there, -1 on a failure of the copy (fatal);
 * a repository-level failure is logged as a warning and counted in *invalid. */
static int
archive_get_repo(unsigned index, const char *wal_file, const char *destination, const ArchiveGetOptions *options,
                 unsigned *invalid)
{
    Repo repo;
    bool found = false;
    ArchiveGetMatch match = {0};
    int result = repo_open(index, false, &repo);
    if (result == 0)
        result = archive_get_find(&repo, wal_file, options, &found, &match);
    if (result < 0) {
        ErrorCode code = err_code();
        if (code == ERR_ARCHIVE_DUPLICATE) {
            repo_close(&repo);
            return -1;
        }
        const char *hint = err_hint_text();
        LOG_WARN("repo%u: [%s] %s%s%s", repo.key, err_code_name(code), err_message(), hint != NULL ? "\nHINT: " : "",
                 hint != NULL ? hint : "");
        err_clear();
        (*invalid)++;
        repo_close(&repo);
        return 0;
    }
    if (found) {
        result = archive_get_copy(&repo, wal_file, &match, destination);
        if (result == 0)
            LOG_INFO("found %s in the repo%u: %s archive", wal_file, repo.key, match.archive_id);
    }
    archive_get_match_free(&match);
    repo_close(&repo);
    if (result < 0)
        return -1;
    return found ? 1 : 0;
}

int
cmd_archive_get(void)
{
    if (cfg_param_count() < 1)
        return err_set(ERR_PARAM_REQUIRED, "WAL segment to get required");
    if (cfg_param_count() < 2)
        return err_set(ERR_PARAM_REQUIRED, "path to copy WAL segment required");
    const char *wal_file = cfg_param(0);

    ArchiveGetOptions options = {
        .stanza = cfg_str(OPT_STANZA),
        .pg_path = cfg_str_idx(OPT_PG_PATH, 0),
    };
    char *destination = NULL;
    TRY(archive_wal_path_resolve(options.pg_path, cfg_param(1), &destination));
    /* 2.45 refuses archive-get while a stop file exists (later versions allow it) */
    if (stop_check(cfg_str(OPT_LOCK_PATH), options.stanza) < 0) {
        free(destination);
        return -1;
    }

    unsigned count = repo_count();
    unsigned invalid = 0;
    int result = 0;
    for (unsigned index = 0; index < count && result == 0; index++)
        result = archive_get_repo(index, wal_file, destination, &options, &invalid);
    free(destination);
    if (result < 0)
        return -1;
    if (result == 0) {
        if (invalid == count)
            return err_set(ERR_REPO_INVALID, "unable to find a valid repository");
        LOG_INFO("unable to find %s in the archive", wal_file);
        command_exit_status_set(1);
    }
    return 0;
}
