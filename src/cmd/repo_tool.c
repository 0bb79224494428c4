/* repo_tool: path argument and cipher pass of repo-ls and repo-get (see repo_tool.h). */
#include "cmd/repo_tool.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/ops/archive_push.h"
#include "engine/repo/info_archive.h"
#include "engine/repo/info_backup.h"
#include "engine/repo/manifest.h"

int
repo_tool_path(const Repo *repo, const char *arg, char **path)
{
    *path = NULL;
    char *given = mem_strdup(arg != NULL ? arg : "");
    size_t length = strlen(given);
    while (length > 1 && given[length - 1] == '/')
        given[--length] = '\0';
    if (given[0] != '/') {
        *path = given;
        return 0;
    }
    const char *base = cfg_str_idx(OPT_REPO_PATH, repo->index);
    if (base == NULL)
        base = "/var/lib/pgbackrest";
    size_t base_length = strlen(base);
    while (base_length > 1 && base[base_length - 1] == '/')
        base_length--;
    const char *rest = NULL;
    if (base_length == 1) /* the repository is "/" */
        rest = given + 1;
    else if (strncmp(given, base, base_length) == 0 && (given[base_length] == '\0' || given[base_length] == '/'))
        rest = given + base_length + (given[base_length] == '/' ? 1 : 0);
    if (rest == NULL) {
        err_set(ERR_PARAM_INVALID, "absolute path '%s' is not in base path '%.*s'", given, (int)base_length, base);
        free(given);
        return -1;
    }
    *path = mem_strdup(rest);
    free(given);
    return 0;
}

/* Where the first `count` components of `path` start ("backup", "demo", "<label>/..."); returns how many it has, up
 * to `count`. */
static size_t
path_components(const char *path, const char **parts, size_t count)
{
    size_t found = 0;
    const char *at = path;
    while (found < count && *at != '\0') {
        parts[found++] = at;
        const char *slash = strchr(at, '/');
        if (slash == NULL)
            break;
        at = slash + 1;
    }
    return found;
}

static char *
component(const char *start)
{
    const char *slash = strchr(start, '/');
    return slash != NULL ? mem_printf("%.*s", (int)(slash - start), start) : mem_strdup(start);
}

static bool
is_info_file(const char *name, const char *info)
{
    size_t length = strlen(info);
    return strncmp(name, info, length) == 0 && (name[length] == '\0' || strcmp(name + length, ".copy") == 0);
}

/* archive.info's pass: the archive's files are encrypted with it. */
static int
archive_info_pass(const Repo *repo, const char *stanza, char **pass)
{
    InfoArchive info;
    memset(&info, 0, sizeof(info));
    int result = archive_info_load(repo, stanza, &info);
    if (result == 0 && info.cipher_pass != NULL)
        *pass = mem_strdup(info.cipher_pass);
    info_archive_free(&info);
    return result;
}

/* backup.info's pass: manifests and backup.history are encrypted with it. */
static int
backup_info_pass(const Repo *repo, const char *stanza, char **pass)
{
    char *info_path = mem_printf("backup/%s/%s", stanza, INFO_BACKUP_FILE);
    InfoBackup info;
    memset(&info, 0, sizeof(info));
    int result = info_backup_load(repo->storage, info_path, repo->cipher_type, repo->cipher_pass, &info);
    if (result == 0 && info.cipher_pass != NULL)
        *pass = mem_strdup(info.cipher_pass);
    info_backup_free(&info);
    free(info_path);
    return result;
}

/* The manifest's pass: a backup's files are encrypted with it. */
static int
manifest_pass(const Repo *repo, const char *stanza, const char *label, char **pass)
{
    char *info_pass = NULL;
    TRY(backup_info_pass(repo, stanza, &info_pass));
    char *manifest_path = mem_printf("backup/%s/%s/%s", stanza, label, MANIFEST_FILE);
    Manifest manifest;
    memset(&manifest, 0, sizeof(manifest));
    int result = manifest_load(repo->storage, manifest_path, repo->cipher_type, info_pass, &manifest);
    if (result == 0 && manifest.cipher_pass != NULL)
        *pass = mem_strdup(manifest.cipher_pass);
    manifest_free(&manifest);
    free(manifest_path);
    free(info_pass);
    return result;
}

int
repo_tool_cipher_pass(const Repo *repo, const char *path, char **pass)
{
    *pass = NULL;
    if (repo->cipher_type == CIPHER_NONE)
        return 0;
    const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    if (is_info_file(base, INFO_ARCHIVE_FILE) || is_info_file(base, INFO_BACKUP_FILE)) {
        *pass = repo->cipher_pass != NULL ? mem_strdup(repo->cipher_pass) : NULL;
        return 0;
    }
    const char *parts[3];
    size_t count = path_components(path, parts, 3);
    if (count < 2)
        return err_set(ERR_PARAM_INVALID, "unable to tell which pass decrypts '%s'", path);
    char *stanza = component(parts[1]);
    int result = 0;
    if (strncmp(path, "archive/", 8) == 0) {
        result = archive_info_pass(repo, stanza, pass);
    } else if (strncmp(path, "backup/", 7) == 0 && count == 3) {
        char *label = component(parts[2]);
        const char *name = parts[2] + strlen(label);
        if (strcmp(label, "backup.history") == 0 || is_info_file(name[0] == '/' ? name + 1 : name, MANIFEST_FILE))
            result = backup_info_pass(repo, stanza, pass);
        else
            result = manifest_pass(repo, stanza, label, pass);
        free(label);
    } else {
        result = err_set(ERR_PARAM_INVALID, "unable to tell which pass decrypts '%s'", path);
    }
    free(stanza);
    return result;
}
