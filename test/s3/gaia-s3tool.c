/*
 * gaia-s3tool: drive a configured repository (repo_open, so repoN-type=s3 through the S3 driver) from test scripts.
 *
 *   gaia-s3tool [--option=value ...] OP [ARG ...]
 *
 * The options are gaiarest's (--config, --stanza, --repo1-..., --io-timeout, ...), loaded as for the info command.
 * OP is one of:
 *   put PATH FILE            write FILE's content to PATH (streamed, in 64 KiB pieces)
 *   get PATH [FILE]          read PATH to FILE (default stdout)
 *   ls [PATH]                every file under PATH, recursively: "<name> <size>" per line, sorted
 *   rm PATH                  remove one file (error when missing)
 *   rmdir PATH               remove everything under PATH
 *   info-show STANZA         load archive.info and backup.info of STANZA and print what they hold
 *   info-resave STANZA       load both info files and save them again (file then .copy)
 *   info-create STANZA SYSTEM_ID VERSION CATALOG CONTROL   write new info files with one history entry
 * Exit status 0 on success; otherwise the error is printed as "ERROR: [code]: message" (and a HINT line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "config/config.h"
#include "engine/repo/info_archive.h"
#include "engine/repo/info_backup.h"
#include "engine/repo/repo.h"

#define PIECE (64 * 1024)

static int op_put(Storage *storage, const char *path, const char *file)
{
    FILE *in = fopen(file, "rb");
    if (in == NULL)
        return err_set(ERR_FILE_OPEN, "unable to open '%s'", file);
    StorageWriteOptions options = storage_write_options_default();
    StorageWrite *write = NULL;
    int result = storage_open_write(storage, path, &options, &write);
    uint8_t *buffer = mem_alloc(PIECE);
    size_t got;
    while (result == 0 && (got = fread(buffer, 1, PIECE, in)) > 0)
        result = storage_write(write, buffer, got);
    if (result == 0)
        result = storage_write_close(write);
    storage_write_free(write);
    free(buffer);
    fclose(in);
    return result;
}

static int op_get(Storage *storage, const char *path, const char *file)
{
    StorageRead *read = NULL;
    TRY(storage_open_read(storage, path, 0, -1, false, &read));
    FILE *out = file != NULL ? fopen(file, "wb") : stdout;
    if (out == NULL) {
        storage_read_free(read);
        return err_set(ERR_FILE_OPEN, "unable to create '%s'", file);
    }
    uint8_t *buffer = mem_alloc(PIECE);
    size_t got = 0;
    int result;
    while ((result = storage_read(read, buffer, PIECE, &got)) == 0 && got > 0) {
        if (fwrite(buffer, 1, got, out) != got) {
            result = err_set(ERR_FILE_WRITE, "unable to write '%s'", file != NULL ? file : "stdout");
            break;
        }
    }
    free(buffer);
    storage_read_free(read);
    if (out != stdout && fclose(out) != 0 && result == 0)
        result = err_set(ERR_FILE_WRITE, "unable to close '%s'", file);
    return result;
}

typedef struct Listing {
    char **lines;
    size_t count;
} Listing;

static int list_one(void *context, const StorageInfo *info)
{
    Listing *listing = context;
    if (info->type != STORAGE_TYPE_FILE)
        return 0;
    listing->lines = mem_realloc(listing->lines, (listing->count + 1) * sizeof(char *));
    listing->lines[listing->count++] = mem_printf("%s %llu", info->name, (unsigned long long)info->size);
    return 0;
}

static int compare_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int op_ls(Storage *storage, const char *path)
{
    Listing listing = {0};
    int result = storage_list(storage, path, NULL, true, true, false, list_one, &listing);
    qsort(listing.lines, listing.count, sizeof(char *), compare_lines);
    for (size_t i = 0; i < listing.count; i++) {
        if (result == 0)
            printf("%s\n", listing.lines[i]);
        free(listing.lines[i]);
    }
    free(listing.lines);
    return result;
}

static void info_paths(const char *stanza, char **archive, char **backup)
{
    *archive = mem_printf("archive/%s/archive.info", stanza);
    *backup = mem_printf("backup/%s/backup.info", stanza);
}

static int op_info(const Repo *repo, const char *stanza, bool resave)
{
    char *archive_path, *backup_path;
    info_paths(stanza, &archive_path, &backup_path);
    InfoArchive archive;
    InfoBackup backup;
    int result = info_archive_load(repo->storage, archive_path, repo->cipher_type, repo->cipher_pass, &archive);
    if (result == 0) {
        result = info_backup_load(repo->storage, backup_path, repo->cipher_type, repo->cipher_pass, &backup);
        if (result == 0) {
            if (resave) {
                result = info_archive_save(repo->storage, archive_path, repo->cipher_type, repo->cipher_pass, &archive);
                if (result == 0)
                    result = info_backup_save(repo->storage, backup_path, repo->cipher_type, repo->cipher_pass, &backup);
            } else {
                printf("archive db-id=%u system-id=%llu version=%s\n", archive.db_id,
                       (unsigned long long)archive.db_system_id, archive.db_version);
                printf("backup db-id=%u system-id=%llu version=%s\n", backup.db_id,
                       (unsigned long long)backup.db_system_id, backup.db_version);
                for (size_t i = 0; i < backup.backup_count; i++)
                    printf("backup %s\n", backup.backups[i].label);
            }
            info_backup_free(&backup);
        }
        info_archive_free(&archive);
    }
    free(archive_path);
    free(backup_path);
    return result;
}

static int op_info_create(const Repo *repo, char **args)
{
    char *archive_path, *backup_path;
    info_paths(args[0], &archive_path, &backup_path);
    uint64_t system_id = strtoull(args[1], NULL, 10);
    InfoArchive archive;
    memset(&archive, 0, sizeof(archive));
    info_archive_history_add(&archive, system_id, args[2]);
    InfoBackup backup;
    memset(&backup, 0, sizeof(backup));
    info_backup_history_add(&backup, system_id, args[2], strtoull(args[3], NULL, 10),
                            (uint32_t)strtoul(args[4], NULL, 10));
    int result = info_archive_save(repo->storage, archive_path, repo->cipher_type, repo->cipher_pass, &archive);
    if (result == 0)
        result = info_backup_save(repo->storage, backup_path, repo->cipher_type, repo->cipher_pass, &backup);
    info_archive_free(&archive);
    info_backup_free(&backup);
    free(archive_path);
    free(backup_path);
    return result;
}

static int run(Repo *repo, const char *op, char **args, int count)
{
    Storage *storage = repo->storage;
    if (strcmp(op, "put") == 0 && count == 2)
        return op_put(storage, args[0], args[1]);
    if (strcmp(op, "get") == 0 && (count == 1 || count == 2))
        return op_get(storage, args[0], count == 2 ? args[1] : NULL);
    if (strcmp(op, "ls") == 0 && count <= 1)
        return op_ls(storage, count == 1 ? args[0] : NULL);
    if (strcmp(op, "rm") == 0 && count == 1)
        return storage_remove(storage, args[0], true);
    if (strcmp(op, "rmdir") == 0 && count == 1)
        return storage_path_remove(storage, args[0], true);
    if (strcmp(op, "info-show") == 0 && count == 1)
        return op_info(repo, args[0], false);
    if (strcmp(op, "info-resave") == 0 && count == 1)
        return op_info(repo, args[0], true);
    if (strcmp(op, "info-create") == 0 && count == 5)
        return op_info_create(repo, args);
    return err_set(ERR_PARAM_INVALID, "unknown operation or wrong argument count: %s", op);
}

int main(int argc, char **argv)
{
    /* Options first, then the operation and its arguments. */
    int first = 1;
    while (first < argc && strncmp(argv[first], "--", 2) == 0)
        first++;
    if (first >= argc) {
        fprintf(stderr, "usage: gaia-s3tool [--option=value ...] put|get|ls|rm|rmdir|info-show|info-resave|"
                        "info-create ARGS\n");
        return 2;
    }
    char **cfg_argv = mem_calloc((size_t)first + 2, sizeof(char *));
    cfg_argv[0] = "gaiarest";
    for (int i = 1; i < first; i++)
        cfg_argv[i] = argv[i];
    cfg_argv[first] = "info";
    int result = cfg_load(first + 1, cfg_argv);
    Repo repo = {0};
    if (result == 0)
        result = repo_open(cfg_repo_index(), true, &repo);
    if (result == 0)
        result = run(&repo, argv[first], argv + first + 1, argc - first - 1);
    if (result != 0) {
        fprintf(stderr, "ERROR: [%03d]: %s\n", (int)err_code(), err_message());
        if (err_hint_text() != NULL)
            fprintf(stderr, "HINT: %s\n", err_hint_text());
    }
    fflush(stdout);
    repo_close(&repo);
    cfg_free();
    free(cfg_argv);
    return result == 0 ? 0 : 1;
}
