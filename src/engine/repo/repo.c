/* repo: open a configured repository (see repo.h). */
#include "engine/repo/repo.h"

#include <string.h>

#include "common/error.h"
#include "config/config.h"
#include "storage/posix.h"

unsigned
repo_count(void)
{
    unsigned count = cfg_index_count(OPT_GROUP_REPO);
    return count > 0 ? count : 1;
}

int
repo_open(unsigned index, bool writable, Repo *repo)
{
    memset(repo, 0, sizeof(*repo));
    repo->index = index;
    repo->key = cfg_index_count(OPT_GROUP_REPO) > 0 ? cfg_index_key(OPT_GROUP_REPO, index) : 1;

    const char *cipher_name = cfg_str_idx(OPT_REPO_CIPHER_TYPE, index);
    int cipher_type = cipher_name != NULL ? cipher_type_parse(cipher_name) : CIPHER_NONE;
    if (cipher_type < 0)
        return err_set(ERR_OPTION_INVALID_VALUE, "'%s' is not valid for 'repo%u-cipher-type' option", cipher_name,
                       repo->key);
    repo->cipher_type = (CipherType)cipher_type;
    if (repo->cipher_type != CIPHER_NONE) {
        repo->cipher_pass = cfg_str_idx(OPT_REPO_CIPHER_PASS, index);
        if (repo->cipher_pass == NULL)
            return err_set(ERR_OPTION_REQUIRED, "option 'repo%u-cipher-pass' is required when 'repo%u-cipher-type' is "
                           "'%s'", repo->key, repo->key, cipher_name);
    }

    const char *type = cfg_str_idx(OPT_REPO_TYPE, index);
    const char *path = cfg_str_idx(OPT_REPO_PATH, index);
    if (type == NULL || strcmp(type, "posix") == 0 || strcmp(type, "cifs") == 0) {
        repo->storage = storage_posix_new(path, writable);
        return 0;
    }
    return err_set(ERR_FEATURE_NOT_SUPPORTED, "repository type '%s' of repo%u is not supported yet", type, repo->key);
}

void
repo_close(Repo *repo)
{
    storage_free(repo->storage);
    repo->storage = NULL;
}
