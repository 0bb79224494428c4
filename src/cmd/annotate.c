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

/* `current` (may be NULL) with the --annotation values applied: a new object with keys in name order, NULL when
 * none is left. */
static JsonValue *
annotate_merge(const JsonValue *current, const char *const *values, size_t count)
{
    JsonValue *merged = json_object();
    for (size_t index = 0; current != NULL && index < current->u.object.count; index++) {
        char *text = json_to_string(current->u.object.values[index]);
        JsonValue *copy = NULL;
        if (json_parse(text, strlen(text), &copy) == 0)
            json_object_set(merged, current->u.object.keys[index], copy);
        else
            err_clear();
        free(text);
    }
    for (size_t index = 0; index < count; index++) {
        const char *equal = strchr(values[index], '=');
        if (equal == NULL)
            continue;
        char *key = mem_strndup(values[index], (size_t)(equal - values[index]));
        JsonValue *rebuilt = json_object();
        for (size_t kept = 0; kept < merged->u.object.count; kept++) {
            if (strcmp(merged->u.object.keys[kept], key) == 0) {
                json_free(merged->u.object.values[kept]);
                continue;
            }
            json_object_set(rebuilt, merged->u.object.keys[kept], merged->u.object.values[kept]);
        }
        merged->u.object.count = 0; /* the values moved to `rebuilt` */
        json_free(merged);
        merged = rebuilt;
        if (equal[1] != '\0')
            json_object_set(merged, key, json_string(equal + 1));
        free(key);
    }
    json_object_sort(merged, false);
    if (merged->u.object.count == 0) {
        json_free(merged);
        return NULL;
    }
    return merged;
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
            JsonValue *merged = annotate_merge(entry->annotation, values, count);
            json_free(entry->annotation);
            entry->annotation = merged;
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
