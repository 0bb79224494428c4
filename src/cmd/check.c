/* check: the stanza is usable on every repository and WAL archiving reaches each of them. The checks are
 * pgBackRest 2.45's, in its order: the cluster's archive settings, then the info files of each repository, then
 * one forced WAL switch whose segment must appear in every repository within archive-timeout. */
#include <stdlib.h>

#include "cmd/command.h"
#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/ops/check.h"
#include "engine/ops/stanza.h"
#include "engine/pg/db.h"
#include "engine/repo/repo.h"

typedef struct CheckRepo {
    Repo repo;
    char *archive_id; /* current archive id of the stanza in this repository */
} CheckRepo;

/* The info files of one repository agree with each other and with the cluster. */
static int
check_repo_configuration(CheckRepo *check, const char *stanza, const StanzaPg *pg)
{
    LOG_INFO("check repo%u configuration (primary)", check->repo.key);
    InfoArchive archive;
    InfoBackup backup;
    TRY(stanza_info_load(&check->repo, stanza, &archive, &backup));
    int result = stanza_info_validate(&archive, &backup, pg);
    if (result == 0)
        check->archive_id = info_archive_id(info_archive_current(&archive));
    info_archive_free(&archive);
    info_backup_free(&backup);
    return result;
}

static int
check_repo_archive(const CheckRepo *check, const char *stanza, const char *segment)
{
    LOG_INFO("check repo%u archive for WAL (primary)", check->repo.key);
    char *path = NULL;
    TRY(check_wal_archived(&check->repo, stanza, check->archive_id, segment, cfg_int(OPT_ARCHIVE_TIMEOUT), &path));
    LOG_INFO("WAL segment %s successfully archived to '%s' on repo%u", segment, path, check->repo.key);
    free(path);
    return 0;
}

static int
check_repos(PgDb *db, const StanzaPg *pg, const char *stanza, CheckRepo *repos, unsigned count)
{
    const PgDbFacts *facts = pg_db_facts(db);
    TRY(check_archive_settings(facts->archive_mode, facts->archive_command));
    for (unsigned index = 0; index < count; index++) {
        TRY(repo_open(index, false, &repos[index].repo));
        TRY(check_repo_configuration(&repos[index], stanza, pg));
    }
    char segment[WAL_SEGMENT_NAME_SIZE + 1];
    TRY(pg_db_switch_wal(db, segment));
    for (unsigned index = 0; index < count; index++)
        TRY(check_repo_archive(&repos[index], stanza, segment));
    return 0;
}

int
cmd_check(void)
{
    StanzaPg pg;
    PgDb *db = NULL;
    TRY(stanza_pg_open(true, "check", &pg, &db));
    unsigned count = repo_count();
    CheckRepo *repos = mem_calloc(count, sizeof(*repos));
    int result = check_repos(db, &pg, cfg_str(OPT_STANZA), repos, count);
    for (unsigned index = 0; index < count; index++) {
        if (repos[index].repo.storage != NULL)
            repo_close(&repos[index].repo);
        free(repos[index].archive_id);
    }
    free(repos);
    pg_db_free(db);
    return result;
}
