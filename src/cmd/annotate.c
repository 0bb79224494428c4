/* annotate: add, change or remove the annotations of a backup after the fact, as pgBackRest 2.45's annotate does:
 * --annotation=key=value sets a key, --annotation=key= removes it; the backup's entry in backup.info (and its
 * .copy) is rewritten, the manifest is left as the backup wrote it. The first repository (or --repo) that holds
 * the set is the one changed. */
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/repo/info_backup.h"
#include "engine/repo/repo.h"

/* Apply the --annotation values to `*annotation` (NULL when the backup has none): key=value sets, key= removes; keys
 * in name order, NULL when none is left. */
static void
annotate_apply(JsonValue **annotation, const char *const *values, size_t count)
{
    if (*annotation == NULL)
        *annotation = json_object();
    for (size_t index = 0; index < count; index++) {
        const char *equal = strchr(values[index], '=');
        if (equal == NULL)
            continue;
        char *key = mem_strndup(values[index], (size_t)(equal - values[index]));
        if (equal[1] == '\0')
            json_object_remove(*annotation, key);
        else
            json_object_set(*annotation, key, json_string(equal + 1));
        free(key);
    }
    json_object_sort(*annotation, false);
    if ((*annotation)->u.object.count == 0) {
        json_free(*annotation);
        *annotation = NULL;
    }
}

int
cmd_annotate(void)
{
    const char *set = cfg_str(OPT_SET);
    const char *const *values = NULL;
    size_t count = cfg_list(OPT_ANNOTATION, &values);
    unsigned first = 0, last = repo_count();
    if (cfg_has(OPT_REPO)) {
        first = cfg_repo_index();
        last = first + 1;
    }
    char *info_path = mem_printf("backup/%s/%s", cfg_str(OPT_STANZA), INFO_BACKUP_FILE);
    int result = 0;
    bool found = false;
    for (unsigned index = first; index < last && result == 0 && !found; index++) {
        Repo repo = {0};
        InfoBackup info;
        memset(&info, 0, sizeof(info));
        result = repo_open(index, true, &repo);
        if (result == 0)
            result = info_backup_load(repo.storage, info_path, repo.cipher_type, repo.cipher_pass, &info);
        InfoBackupEntry *entry = NULL;
        for (size_t backup = 0; result == 0 && backup < info.backup_count; backup++)
            if (strcmp(info.backups[backup].label, set) == 0)
                entry = &info.backups[backup];
        if (entry != NULL) {
            found = true;
            LOG_INFO("backup set '%s' to annotate found in repo%u", set, repo.key);
            annotate_apply(&entry->annotation, values, count);
            result = info_backup_save(repo.storage, info_path, repo.cipher_type, repo.cipher_pass, &info);
        }
        info_backup_free(&info);
        if (repo.storage != NULL)
            repo_close(&repo);
    }
    free(info_path);
    if (result == 0 && !found)
        result = err_set(ERR_BACKUP_SET_INVALID, "no backup set to annotate found");
    return result;
}
