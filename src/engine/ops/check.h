/*
 * check: the pieces of the check command that are not shared with stanza-create (engine/ops/stanza.h has the
 * info file checks): PostgreSQL's archiving settings, and waiting for a WAL segment to reach a repository's
 * archive.
 */
#ifndef GAIAREST_ENGINE_OPS_CHECK_H
#define GAIAREST_ENGINE_OPS_CHECK_H

#include <stdint.h>

#include "engine/repo/repo.h"

/* archive_mode must not be "off" (ERR_ARCHIVE_DISABLED "archive_mode must be enabled") and archive_command must
 * call pgbackrest or gaiarest (ERR_ARCHIVE_COMMAND_INVALID "archive_command '<cmd>' must contain pgbackrest"). */
int check_archive_settings(const char *archive_mode, const char *archive_command);

/* Wait up to timeout_ms for `segment` (24 hex characters) to appear in archive/<stanza>/<archive_id>/ of the
 * repository, looking every 100 ms. On success *path is the full path of the stored file (owned by the
 * caller); after the timeout ERR_ARCHIVE_TIMEOUT with pgBackRest's hints. */
int check_wal_archived(const Repo *repo, const char *stanza, const char *archive_id, const char *segment,
                       int64_t timeout_ms, char **path);

#endif
