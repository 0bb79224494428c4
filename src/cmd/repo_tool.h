/*
 * repo_tool: what repo-ls and repo-get share: the path argument as pgBackRest 2.45 takes it, and the pass that
 * decrypts a given file of an encrypted repository.
 */
#ifndef GAIAREST_CMD_REPO_TOOL_H
#define GAIAREST_CMD_REPO_TOOL_H

#include "engine/repo/repo.h"

/* The path argument relative to the repository: empty (NULL or "") for its root, a relative path as given, an
 * absolute one only inside repoN-path (else ERR_PARAM_INVALID naming both). Trailing slashes are dropped. */
int repo_tool_path(const Repo *repo, const char *arg, char **path);

/* The pass that decrypts `path` in an encrypted repository (NULL when the repository is not encrypted): the
 * repository's own pass for archive.info and backup.info, backup.info's for a manifest and backup.history,
 * archive.info's for the archive, the backup's manifest's for a backup file. Loads the info file or manifest it
 * needs; *pass is owned by the caller. */
int repo_tool_cipher_pass(const Repo *repo, const char *path, char **pass);

#endif
