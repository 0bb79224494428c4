/* repo-get: copy one file of a repository to stdout as pgBackRest 2.45's repo-get does: decrypted when the
 * repository is encrypted (with the pass that file was encrypted with, see repo_tool.h; --raw: as stored), never
 * decompressed.
 * A missing file is an error, or exit status 1 with --ignore-missing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "cmd/repo_tool.h"
#include "common/error.h"
#include "config/config.h"
#include "engine/repo/repo.h"
#include "storage/filter/cipher.h"

#define REPO_GET_BUFFER_SIZE ((size_t)64 * 1024)

static int
repo_get_sink(void *context, const uint8_t *data, size_t size)
{
    if (fwrite(data, 1, size, context) != size)
        return err_set_errno(ERR_FILE_WRITE, errno, "unable to write to stdout");
    return 0;
}

/* The file through [decrypt] to stdout. */
static int
repo_get_copy(StorageRead *read, const char *pass)
{
    Pipeline *pipeline = pipeline_new();
    if (pass != NULL)
        pipeline_add(pipeline, filter_cipher_new(CIPHER_DECRYPT, pass, strlen(pass), false));
    int result = storage_copy_to(read, pipeline, repo_get_sink, stdout, REPO_GET_BUFFER_SIZE);
    if (result == 0 && fflush(stdout) != 0)
        result = err_set_errno(ERR_FILE_WRITE, errno, "unable to write to stdout");
    pipeline_free(pipeline);
    return result;
}

int
cmd_repo_get(void)
{
    if (cfg_param_count() == 0)
        return err_set(ERR_PARAM_REQUIRED, "source file required");
    if (cfg_param_count() > 1)
        return err_set(ERR_PARAM_INVALID, "only one source file may be specified");
    Repo repo = {0};
    int result = repo_open(cfg_repo_index(), false, &repo);
    char *path = NULL;
    if (result == 0)
        result = repo_tool_path(&repo, cfg_param(0), &path);
    char *pass = NULL;
    if (result == 0 && !cfg_bool(OPT_RAW))
        result = repo_tool_cipher_pass(&repo, path, &pass);
    StorageRead *read = NULL;
    bool ignore_missing = cfg_bool(OPT_IGNORE_MISSING);
    if (result == 0)
        result = storage_open_read(repo.storage, path, 0, -1, ignore_missing, &read);
    if (result == 0 && read == NULL)
        command_exit_status_set(1); /* --ignore-missing and nothing there */
    else if (result == 0)
        result = repo_get_copy(read, pass);
    storage_read_free(read);
    free(pass);
    free(path);
    if (repo.storage != NULL)
        repo_close(&repo);
    return result;
}
