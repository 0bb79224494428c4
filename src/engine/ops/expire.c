/* expire: retention of backups, backup.history manifests and WAL in one repository (see expire.h). */
#include "engine/ops/expire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/mem.h"
#include "engine/repo/layout.h"

#define DRY_RUN_PREFIX "[DRY-RUN] "
#define DAY_SECONDS 86400
#define SEGMENT_NAME_SIZE 24
#define SEGMENT_DIR_REGEX "^[0-9A-F]{16}$"
#define SEGMENT_FILE_REGEX "^[0-9A-F]{24}"
#define HISTORY_YEAR_REGEX "^2[0-9]{3}$"
#define HISTORY_MANIFEST_EXT ".manifest.gz"

void
expire_log(bool dry_run, LogLevel level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    Buf message;
    buf_init(&message);
    va_list args;
    va_start(args, fmt);
    buf_vprintf(&message, fmt, args);
    va_end(args);
    log_write(level, "%s%s", dry_run ? DRY_RUN_PREFIX : "", buf_str(&message));
    buf_free(&message);
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Settings                                                                                                           */
/* ------------------------------------------------------------------------------------------------------------------ */
void
expire_settings_warn(const ExpireSettings *s)
{
    unsigned key = s->repo_key;
    if (s->retention_full == 0)
        expire_log(s->dry_run, LOG_WARN,
                   "option 'repo%u-retention-full' is not set for 'repo%u-retention-full-type=%s', the repository may "
                   "run out of space\nHINT: to retain full backups indefinitely (without warning), set option "
                   "'repo%u-retention-full' to the maximum.",
                   key, key, s->retention_full_time ? "time" : "count", key);
    if (s->retention_archive_type == BACKUP_TYPE_DIFF) {
        if (s->retention_archive == 0 && s->retention_diff == 0)
            expire_log(s->dry_run, LOG_WARN,
                       "WAL segments will not be expired: option 'repo%u-retention-archive-type=diff' but neither "
                       "option 'repo%u-retention-archive' nor option 'repo%u-retention-diff' is set",
                       key, key, key);
        else if (s->retention_diff == 0)
            expire_log(s->dry_run, LOG_WARN,
                       "option 'repo%u-retention-diff' is not set for 'repo%u-retention-archive-type=diff'\nHINT: to "
                       "retain differential backups indefinitely (without warning), set option 'repo%u-retention-diff' "
                       "to the maximum.",
                       key, key, key);
    } else if (s->retention_archive_type == BACKUP_TYPE_INCR && s->retention_archive == 0) {
        expire_log(s->dry_run, LOG_WARN,
                   "WAL segments will not be expired: option 'repo%u-retention-archive-type=incr' but option "
                   "'repo%u-retention-archive' is not set",
                   key, key);
    }
}

unsigned
expire_archive_retention_default(const ExpireSettings *s)
{
    if (s->retention_archive != 0)
        return s->retention_archive;
    if (s->retention_archive_type == BACKUP_TYPE_FULL && !s->retention_full_time)
        return s->retention_full;
    if (s->retention_archive_type == BACKUP_TYPE_DIFF)
        return s->retention_diff;
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Backups (in memory)                                                                                                */
/* ------------------------------------------------------------------------------------------------------------------ */
static bool
entry_references(const InfoBackupEntry *entry, const char *label)
{
    for (size_t index = 0; index < entry->reference_count; index++)
        if (strcmp(entry->reference[index], label) == 0)
            return true;
    return false;
}

char **
expire_dependents(const InfoBackup *info, const char *label, size_t *count)
{
    char **labels = mem_calloc(info->backup_count + 1, sizeof(char *));
    size_t used = 0;
    /* backup:current is sorted by label, so the result is too. */
    for (size_t index = 0; index < info->backup_count; index++) {
        const InfoBackupEntry *entry = &info->backups[index];
        if (strcmp(entry->label, label) == 0 || entry_references(entry, label))
            labels[used++] = mem_strdup(entry->label);
    }
    *count = used;
    return labels;
}

/* Remove `label` and its dependents from `info`, logging "repoN: expire <kind> backup [set ]a, b". */
static size_t
expire_set(InfoBackup *info, const ExpireSettings *s, const char *kind, const char *label)
{
    size_t count = 0;
    char **labels = expire_dependents(info, label, &count);
    Buf list;
    buf_init(&list);
    for (size_t index = 0; index < count; index++)
        buf_printf(&list, "%s%s", index > 0 ? ", " : "", labels[index]);
    expire_log(s->dry_run, LOG_INFO, "repo%u: expire %s backup %s%s", s->repo_key, kind, count > 1 ? "set " : "",
               buf_str(&list));
    for (size_t index = 0; index < count; index++)
        info_backup_remove(info, labels[index]);
    buf_free(&list);
    storage_names_free(labels, count);
    return count;
}

/* Labels of the backups of the given kinds, newest first (owned array of borrowed strings). */
static const char **
labels_desc(const InfoBackup *info, bool full, bool diff, bool incr, size_t *count)
{
    const char **labels = mem_calloc(info->backup_count + 1, sizeof(char *));
    size_t used = 0;
    for (size_t index = info->backup_count; index > 0; index--) {
        const InfoBackupEntry *entry = &info->backups[index - 1];
        if ((entry->type == BACKUP_TYPE_FULL && full) || (entry->type == BACKUP_TYPE_DIFF && diff) ||
            (entry->type == BACKUP_TYPE_INCR && incr))
            labels[used++] = entry->label;
    }
    *count = used;
    return labels;
}

/* Expire the labels list[from..count-1] (a newest-first list), oldest first. Labels are copied first because
 * removing entries frees them. */
static size_t
expire_oldest(InfoBackup *info, const ExpireSettings *s, const char *kind, const char **list, size_t from,
              size_t count, bool skip_full)
{
    size_t removed = 0;
    char **copies = mem_calloc(count + 1, sizeof(char *));
    for (size_t index = from; index < count; index++)
        copies[index] = mem_strdup(list[index]);
    for (size_t index = count; index > from; index--) {
        const char *label = copies[index - 1];
        if (skip_full && layout_backup_label_type(label) == BACKUP_TYPE_FULL)
            continue;
        if (info_backup_find(info, label) != NULL)
            removed += expire_set(info, s, kind, label);
    }
    storage_names_free(copies, count);
    return removed;
}

static size_t
expire_full_count(InfoBackup *info, const ExpireSettings *s)
{
    size_t count = 0, removed = 0;
    const char **fulls = labels_desc(info, true, false, false, &count);
    if (s->retention_full > 0 && count > s->retention_full)
        removed = expire_oldest(info, s, "full", fulls, s->retention_full, count, false);
    free(fulls);
    return removed;
}

static size_t
expire_full_time(InfoBackup *info, const ExpireSettings *s)
{
    size_t count = 0, removed = 0;
    const char **fulls = labels_desc(info, true, false, false, &count);
    int64_t cutoff = s->now - (int64_t)s->retention_full * DAY_SECONDS;
    for (size_t index = 0; index < count; index++) {
        if (info_backup_find(info, fulls[index])->timestamp_stop < cutoff) {
            removed = expire_oldest(info, s, "time-based", fulls, index + 1, count, false);
            break;
        }
    }
    free(fulls);
    return removed;
}

static size_t
expire_diff(InfoBackup *info, const ExpireSettings *s)
{
    size_t count = 0, removed = 0;
    /* Fulls count as differentials when deciding which differentials go; only differentials are expired. */
    const char **list = labels_desc(info, true, true, false, &count);
    if (count > s->retention_diff)
        removed = expire_oldest(info, s, "diff", list, s->retention_diff, count, true);
    free(list);
    return removed;
}

static size_t
expire_adhoc(InfoBackup *info, const ExpireSettings *s)
{
    const InfoBackupEntry *entry = info_backup_find(info, s->set);
    if (entry == NULL) {
        expire_log(s->dry_run, LOG_WARN, "backup %s does not exist\nHINT: run the info command and confirm the backup "
                   "is listed", s->set);
        return 0;
    }
    if (strcmp(info->backups[info->backup_count - 1].label, s->set) == 0)
        expire_log(s->dry_run, LOG_WARN,
                   "repo%u: expiring latest backup %s - the ability to perform point-in-time-recovery (PITR) may be "
                   "affected\nHINT: non-default settings for 'repo%u-retention-archive'/'repo%u-retention-archive-type'"
                   " (even in prior expires) can cause gaps in the WAL.",
                   s->repo_key, s->set, s->repo_key, s->repo_key);
    char *label = mem_strdup(s->set);
    size_t removed = expire_set(info, s, "adhoc", label);
    free(label);
    return removed;
}

int
expire_backups(InfoBackup *info, const ExpireSettings *s, size_t *removed)
{
    *removed = 0;
    if (s->set != NULL) {
        const InfoBackupEntry *entry = info_backup_find(info, s->set);
        if (entry != NULL && entry->type == BACKUP_TYPE_FULL) {
            size_t fulls = 0;
            const char **list = labels_desc(info, true, false, false, &fulls);
            free(list);
            if (fulls == 1)
                return err_set(ERR_BACKUP_SET_INVALID,
                               "repo%u: full backup %s cannot be expired until another full backup has been created "
                               "on this repo", s->repo_key, s->set);
        }
        *removed = expire_adhoc(info, s);
        return 0;
    }
    if (s->retention_full_time)
        *removed += s->retention_full > 0 ? expire_full_time(info, s) : 0;
    else
        *removed += expire_full_count(info, s);
    if (s->retention_diff > 0)
        *removed += expire_diff(info, s);
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Backup directories and backup.history                                                                              */
/* ------------------------------------------------------------------------------------------------------------------ */
static int
remove_backup_paths(Storage *storage, const char *backup_path, const InfoBackup *info, const ExpireSettings *s)
{
    char **names = NULL;
    size_t count = 0;
    TRY(storage_list_names(storage, backup_path, BACKUP_LABEL_REGEX, true, &names, &count));
    int result = 0;
    for (size_t index = count; index > 0 && result == 0; index--) {
        const char *label = names[index - 1];
        if (info_backup_find(info, label) != NULL)
            continue;
        expire_log(s->dry_run, LOG_INFO, "repo%u: remove expired backup %s", s->repo_key, label);
        if (!s->dry_run) {
            char *path = mem_printf("%s/%s", backup_path, label);
            result = storage_path_remove(storage, path, true);
            free(path);
        }
    }
    storage_names_free(names, count);
    return result;
}

/* Whether a history manifest may go: not a current backup, older than the oldest current backup and labelled
 * before the cutoff ("YYYYMMDD-HHMMSS", local time). */
static bool
history_manifest_expired(const char *name, const InfoBackup *info, const char *cutoff_day)
{
    size_t length = strlen(name), ext = strlen(HISTORY_MANIFEST_EXT);
    if (length <= ext || strcmp(name + length - ext, HISTORY_MANIFEST_EXT) != 0)
        return false;
    char *label = mem_strndup(name, length - ext);
    bool expired = layout_is_backup_label(label) && info_backup_find(info, label) == NULL &&
                   (info->backup_count == 0 || strcmp(label, info->backups[0].label) < 0) &&
                   strncmp(label, cutoff_day, 15) < 0;
    free(label);
    return expired;
}

static int
remove_history_year(Storage *storage, const char *history_path, const char *year, const InfoBackup *info,
                    const ExpireSettings *s, const char *cutoff_day)
{
    char *year_path = mem_printf("%s/%s", history_path, year);
    char **names = NULL;
    size_t count = 0;
    int result = storage_list_names(storage, year_path, NULL, true, &names, &count);
    size_t expired = 0;
    for (size_t index = 0; result == 0 && index < count; index++)
        expired += history_manifest_expired(names[index], info, cutoff_day);
    if (result == 0 && expired == count && strncmp(year, cutoff_day, 4) < 0) {
        expire_log(s->dry_run, LOG_INFO, "repo%u: remove expired backup history path %s", s->repo_key, year);
        if (!s->dry_run)
            result = storage_path_remove(storage, year_path, true);
    } else {
        /* Newest first, as 2.45 logs them. */
        for (size_t index = count; result == 0 && index > 0; index--) {
            const char *name = names[index - 1];
            if (!history_manifest_expired(name, info, cutoff_day))
                continue;
            expire_log(s->dry_run, LOG_INFO, "repo%u: remove expired backup history manifest %s", s->repo_key, name);
            if (!s->dry_run) {
                char *path = mem_printf("%s/%s", year_path, name);
                result = storage_remove(storage, path, false);
                free(path);
            }
        }
    }
    storage_names_free(names, count);
    free(year_path);
    return result;
}

static int
remove_history(Storage *storage, const char *backup_path, const InfoBackup *info, const ExpireSettings *s)
{
    time_t cutoff = (time_t)(s->now - (int64_t)s->retention_history * DAY_SECONDS);
    struct tm local;
    char cutoff_day[32];
    localtime_r(&cutoff, &local);
    strftime(cutoff_day, sizeof(cutoff_day), "%Y%m%d-%H%M%S", &local);

    char *history_path = mem_printf("%s/%s", backup_path, BACKUP_HISTORY_PATH);
    char **years = NULL;
    size_t count = 0;
    int result = storage_list_names(storage, history_path, HISTORY_YEAR_REGEX, true, &years, &count);
    for (size_t index = 0; result == 0 && index < count; index++)
        result = remove_history_year(storage, history_path, years[index], info, s, cutoff_day);
    storage_names_free(years, count);
    free(history_path);
    return result;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* WAL                                                                                                                */
/* ------------------------------------------------------------------------------------------------------------------ */
typedef struct WalRange {
    char start[SEGMENT_NAME_SIZE + 1];
    char stop[SEGMENT_NAME_SIZE + 1];
} WalRange;

/* What one archive id keeps: the consistency ranges of older backups and everything from keep_from on. */
typedef struct WalKeep {
    WalRange *ranges;
    size_t range_count;
    char keep_from[SEGMENT_NAME_SIZE + 1]; /* "" when nothing is kept wholesale */
} WalKeep;

/* A run of removed segments, logged as one line when a kept file (or the end) interrupts it. */
typedef struct WalRun {
    const ExpireSettings *settings;
    const char *archive_id;
    char start[SEGMENT_NAME_SIZE + 1];
    char stop[SEGMENT_NAME_SIZE + 1];
    bool logged; /* a removal was logged for this archive id */
} WalRun;

static bool
wal_kept(const WalKeep *keep, const char *segment)
{
    if (keep->keep_from[0] != '\0' && strncmp(segment, keep->keep_from, SEGMENT_NAME_SIZE) >= 0)
        return true;
    for (size_t index = 0; index < keep->range_count; index++)
        if (strncmp(segment, keep->ranges[index].start, SEGMENT_NAME_SIZE) >= 0 &&
            strncmp(segment, keep->ranges[index].stop, SEGMENT_NAME_SIZE) <= 0)
            return true;
    return false;
}

static void
wal_run_flush(WalRun *run)
{
    if (run->start[0] == '\0')
        return;
    expire_log(run->settings->dry_run, LOG_INFO, "repo%u: %s remove archive, start = %s, stop = %s",
               run->settings->repo_key, run->archive_id, run->start, run->stop);
    run->start[0] = run->stop[0] = '\0';
    run->logged = true;
}

static void
wal_run_add(WalRun *run, const char *segment)
{
    if (run->start[0] == '\0')
        snprintf(run->start, sizeof(run->start), "%.24s", segment);
    if (strncmp(segment, run->stop, SEGMENT_NAME_SIZE) > 0)
        snprintf(run->stop, sizeof(run->stop), "%.24s", segment);
}

/* One 16-character directory: remove it whole when nothing in it is kept, else file by file. */
static int
wal_expire_directory(Storage *storage, const char *dir_path, const WalKeep *keep, WalRun *run)
{
    char **names = NULL;
    size_t count = 0;
    TRY(storage_list_names(storage, dir_path, SEGMENT_FILE_REGEX, true, &names, &count));
    size_t kept = 0;
    for (size_t index = 0; index < count; index++)
        kept += wal_kept(keep, names[index]);

    int result = 0;
    if (kept == 0 && count > 0) {
        for (size_t index = 0; index < count; index++)
            wal_run_add(run, names[index]);
        if (!run->settings->dry_run)
            result = storage_path_remove(storage, dir_path, true);
    } else {
        for (size_t index = 0; index < count && result == 0; index++) {
            if (wal_kept(keep, names[index])) {
                wal_run_flush(run);
                continue;
            }
            wal_run_add(run, names[index]);
            if (!run->settings->dry_run) {
                char *path = mem_printf("%s/%s", dir_path, names[index]);
                result = storage_remove(storage, path, false);
                free(path);
            }
        }
    }
    storage_names_free(names, count);
    return result;
}

/* The ranges of the backups of archive id `db_id` older than the retention backup, logged as 2.45 does. */
static void
wal_keep_build(const InfoBackup *info, unsigned db_id, const InfoBackupEntry *retention, const char *archive_id,
               const ExpireSettings *s, WalKeep *keep)
{
    memset(keep, 0, sizeof(*keep));
    keep->ranges = mem_calloc(info->backup_count + 1, sizeof(WalRange));
    for (size_t index = 0; index < info->backup_count; index++) {
        const InfoBackupEntry *entry = &info->backups[index];
        if (entry->db_id != db_id || entry->archive_start == NULL || entry->archive_stop == NULL)
            continue;
        if (entry == retention) {
            expire_log(s->dry_run, LOG_DETAIL, "repo%u: %s archive retention on backup %s, start = %s", s->repo_key,
                       archive_id, entry->label, entry->archive_start);
            snprintf(keep->keep_from, sizeof(keep->keep_from), "%.24s", entry->archive_start);
            break;
        }
        expire_log(s->dry_run, LOG_DETAIL, "repo%u: %s archive retention on backup %s, start = %s, stop = %s",
                   s->repo_key, archive_id, entry->label, entry->archive_start, entry->archive_stop);
        WalRange *range = &keep->ranges[keep->range_count++];
        snprintf(range->start, sizeof(range->start), "%.24s", entry->archive_start);
        snprintf(range->stop, sizeof(range->stop), "%.24s", entry->archive_stop);
    }
}

static unsigned
archive_id_history(const char *archive_id)
{
    const char *dash = strrchr(archive_id, '-');
    return dash != NULL ? (unsigned)strtoul(dash + 1, NULL, 10) : 0;
}

static bool
db_has_backups(const InfoBackup *info, unsigned db_id)
{
    for (size_t index = 0; index < info->backup_count; index++)
        if (info->backups[index].db_id == db_id)
            return true;
    return false;
}

static int
wal_expire_archive_id(Storage *storage, const char *archive_path, const char *archive_id, const InfoBackup *info,
                      const InfoBackupEntry *retention, const ExpireSettings *s)
{
    unsigned db_id = archive_id_history(archive_id);
    if (db_id > retention->db_id)
        return 0;
    char *id_path = mem_printf("%s/%s", archive_path, archive_id);
    int result = 0;
    if (db_id < retention->db_id && db_id != info->db_id && !db_has_backups(info, db_id)) {
        char *full_path = storage_path(storage, id_path);
        expire_log(s->dry_run, LOG_INFO, "repo%u: remove archive path %s", s->repo_key,
                   full_path != NULL ? full_path : id_path);
        free(full_path);
        if (!s->dry_run)
            result = storage_path_remove(storage, id_path, true);
        free(id_path);
        return result;
    }

    WalKeep keep;
    wal_keep_build(info, db_id, db_id == retention->db_id ? retention : NULL, archive_id, s, &keep);
    WalRun run = {.settings = s, .archive_id = archive_id};
    char **dirs = NULL;
    size_t count = 0;
    result = storage_list_names(storage, id_path, SEGMENT_DIR_REGEX, true, &dirs, &count);
    for (size_t index = 0; result == 0 && index < count; index++) {
        char *dir_path = mem_printf("%s/%s", id_path, dirs[index]);
        result = wal_expire_directory(storage, dir_path, &keep, &run);
        free(dir_path);
    }
    if (result == 0)
        wal_run_flush(&run);
    if (result == 0 && !run.logged)
        expire_log(s->dry_run, LOG_INFO, "repo%u: %s no archive to remove", s->repo_key, archive_id);
    storage_names_free(dirs, count);
    free(keep.ranges);
    free(id_path);
    return result;
}

/* The archive retention count after time-based full retention (fulls up to the newest one older than the
 * cutoff); 0 when not met. */
static unsigned
archive_retention_time(const InfoBackup *info, const ExpireSettings *s)
{
    size_t count = 0;
    unsigned result = 0;
    const char **fulls = labels_desc(info, true, false, false, &count);
    int64_t cutoff = s->now - (int64_t)s->retention_full * DAY_SECONDS;
    for (size_t index = 0; s->retention_full > 0 && index < count; index++) {
        if (info_backup_find(info, fulls[index])->timestamp_stop < cutoff) {
            result = (unsigned)(index + 1);
            break;
        }
    }
    free(fulls);
    return result;
}

static int
remove_archive(Storage *storage, const char *stanza, const InfoBackup *info, const ExpireSettings *s)
{
    unsigned retention = expire_archive_retention_default(s);
    if (s->retention_full_time && s->retention_archive == 0 && s->retention_archive_type == BACKUP_TYPE_FULL) {
        retention = archive_retention_time(info, s);
        if (retention == 0) {
            expire_log(s->dry_run, LOG_INFO, "repo%u: time-based archive retention not met - archive logs will not "
                       "be expired", s->repo_key);
            return 0;
        }
    }
    if (retention == 0) {
        expire_log(s->dry_run, LOG_INFO, "option 'repo%u-retention-archive' is not set - archive logs will not be "
                   "expired", s->repo_key);
        return 0;
    }

    size_t count = 0;
    const char **list = labels_desc(info, true, s->retention_archive_type != BACKUP_TYPE_FULL,
                                    s->retention_archive_type == BACKUP_TYPE_INCR, &count);
    const InfoBackupEntry *retention_backup = count >= retention ? info_backup_find(info, list[retention - 1]) : NULL;
    free(list);
    if (retention_backup == NULL || retention_backup->archive_start == NULL)
        return 0;

    char *archive_path = layout_archive_stanza_path(stanza);
    char **ids = NULL;
    size_t id_count = 0;
    int result = storage_list_names(storage, archive_path, ARCHIVE_ID_REGEX, true, &ids, &id_count);
    for (size_t index = 0; result == 0 && index < id_count; index++)
        result = wal_expire_archive_id(storage, archive_path, ids[index], info, retention_backup, s);
    storage_names_free(ids, id_count);
    free(archive_path);
    return result;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* One repository                                                                                                     */
/* ------------------------------------------------------------------------------------------------------------------ */
static int
expire_repo_loaded(Storage *storage, const char *stanza, CipherType cipher_type, const char *cipher_pass,
                   InfoBackup *info, const ExpireSettings *s)
{
    char *backup_path = layout_backup_stanza_path(stanza);
    char *info_path = mem_printf("%s/%s", backup_path, INFO_BACKUP_FILE);
    size_t removed = 0;
    int result = expire_backups(info, s, &removed);
    /* backup.info first: a crash after this point leaves only directories that the next expire removes. */
    if (result == 0 && removed > 0 && !s->dry_run)
        result = info_backup_save(storage, info_path, cipher_type, cipher_pass, info);
    if (result == 0)
        result = remove_backup_paths(storage, backup_path, info, s);
    if (result == 0)
        result = remove_archive(storage, stanza, info, s);
    if (result == 0 && s->has_retention_history)
        result = remove_history(storage, backup_path, info, s);
    free(info_path);
    free(backup_path);
    return result;
}

int
expire_repo(Storage *storage, const char *stanza, CipherType cipher_type, const char *cipher_pass,
            const ExpireSettings *s)
{
    char *backup_path = layout_backup_stanza_path(stanza);
    char *info_path = mem_printf("%s/%s", backup_path, INFO_BACKUP_FILE);
    InfoBackup info;
    int result = info_backup_load(storage, info_path, cipher_type, cipher_pass, &info);
    free(info_path);
    free(backup_path);
    TRY(result);
    result = expire_repo_loaded(storage, stanza, cipher_type, cipher_pass, &info, s);
    info_backup_free(&info);
    return result;
}
