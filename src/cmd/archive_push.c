/* archive-push: PostgreSQL's archive_command (`gaiarest --stanza=<s> archive-push %p`), synchronous mode: the
 * options of the run, then engine/ops/archive_push.c for every configured repository. */
#include <stdbool.h>
#include <string.h>

#include "cmd/command.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "engine/ops/archive_push.h"
#include "engine/repo/repo.h"

/* The push options from the configuration. */
static int
archive_push_options(ArchivePushOptions *options)
{
    const char *compress_name = cfg_str(OPT_COMPRESS_TYPE);
    int compress_type = compress_type_parse(compress_name != NULL ? compress_name : "gz");
    if (compress_type < 0)
        return err_set(ERR_OPTION_INVALID_VALUE, "'%s' is not allowed for 'compress-type' option", compress_name);

    *options = (ArchivePushOptions){
        .stanza = cfg_str(OPT_STANZA),
        .pg_path = cfg_has_idx(OPT_PG_PATH, 0) ? cfg_str_idx(OPT_PG_PATH, 0) : NULL,
        .lock_path = cfg_str(OPT_LOCK_PATH),
        .header_check = cfg_bool(OPT_ARCHIVE_HEADER_CHECK),
        .compress_type = (CompressType)compress_type,
        .compress_level = cfg_has(OPT_COMPRESS_LEVEL) ? (int)cfg_int(OPT_COMPRESS_LEVEL)
                                                      : compress_level_default((CompressType)compress_type),
    };
    if (options->compress_type != COMPRESS_NONE)
        TRY(compress_level_check(options->compress_type, options->compress_level));
    return 0;
}

static const char *
wal_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

int
cmd_archive_push(void)
{
    if (cfg_param_count() != 1)
        return err_set(ERR_PARAM_REQUIRED, "WAL segment to push required");
    const char *wal_path = cfg_param(0);

    ArchivePushOptions options;
    TRY(archive_push_options(&options));

    for (unsigned index = 0; index < repo_count(); index++) {
        Repo repo;
        int result = repo_open(index, true, &repo);
        if (result == 0)
            result = archive_push_file(&repo, wal_path, &options);
        repo_close(&repo);
        TRY(result);
    }
    LOG_INFO("pushed WAL file '%s' to the archive", wal_base_name(wal_path));
    return 0;
}
