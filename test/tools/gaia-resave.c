/*
 * gaia-resave: a test tool. Loads one archive.info, backup.info or backup.manifest with the repository format
 * codecs and saves it again elsewhere, so that scripts can compare the result with the original byte for byte.
 *
 *   gaia-resave [--cipher-pass=PASS] [--out-cipher-pass=PASS] KIND INPUT OUTPUT
 *
 * KIND is archive, backup or manifest. INPUT and OUTPUT are absolute paths. INPUT is decrypted with
 * --cipher-pass when given (the repo pass for info files, the backup.info subpass for manifests); OUTPUT is
 * encrypted with --out-cipher-pass (default: the input pass) or written plain with --out-cipher-pass=''.
 * Like the codecs' savers, it writes OUTPUT and OUTPUT.copy. The loader falls back to INPUT.copy when INPUT
 * is damaged, as the product does; --no-fallback refuses that (the load of INPUT alone must succeed).
 * Exit 0 on success; otherwise the error (code name and message) on stderr and exit 1.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/repo/info_archive.h"
#include "engine/repo/info_backup.h"
#include "engine/repo/info_file.h"
#include "engine/repo/manifest.h"
#include "storage/posix.h"

typedef enum ResaveKind {
    RESAVE_ARCHIVE,
    RESAVE_BACKUP,
    RESAVE_MANIFEST,
} ResaveKind;

typedef struct ResaveArgs {
    ResaveKind kind;
    const char *input;
    const char *output;
    const char *pass;     /* NULL: plain input */
    const char *out_pass; /* NULL: plain output */
    bool no_fallback;
} ResaveArgs;

static void
usage(void)
{
    fprintf(stderr, "usage: gaia-resave [--cipher-pass=PASS] [--out-cipher-pass=PASS] [--no-fallback] "
                    "archive|backup|manifest INPUT OUTPUT\n");
}

static int
parse_kind(const char *name, ResaveKind *kind)
{
    if (strcmp(name, "archive") == 0)
        *kind = RESAVE_ARCHIVE;
    else if (strcmp(name, "backup") == 0)
        *kind = RESAVE_BACKUP;
    else if (strcmp(name, "manifest") == 0)
        *kind = RESAVE_MANIFEST;
    else
        return -1;
    return 0;
}

static int
parse_args(int argc, char **argv, ResaveArgs *args)
{
    bool out_pass_given = false;
    const char *positional[3];
    size_t count = 0;
    memset(args, 0, sizeof(*args));
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--cipher-pass=", 14) == 0) {
            args->pass = argv[i] + 14;
        } else if (strncmp(argv[i], "--out-cipher-pass=", 18) == 0) {
            args->out_pass = argv[i] + 18;
            out_pass_given = true;
        } else if (strcmp(argv[i], "--no-fallback") == 0) {
            args->no_fallback = true;
        } else if (argv[i][0] == '-' || count == 3) {
            return -1;
        } else {
            positional[count++] = argv[i];
        }
    }
    if (count != 3 || parse_kind(positional[0], &args->kind) < 0 || positional[1][0] != '/' ||
        positional[2][0] != '/')
        return -1;
    args->input = positional[1];
    args->output = positional[2];
    if (args->pass != NULL && args->pass[0] == '\0')
        args->pass = NULL;
    if (!out_pass_given)
        args->out_pass = args->pass;
    else if (args->out_pass[0] == '\0')
        args->out_pass = NULL;
    return 0;
}

static CipherType
cipher_of(const char *pass)
{
    return pass != NULL ? CIPHER_AES_256_CBC : CIPHER_NONE;
}

/* Load `input` with the codec of args->kind and save it to args->output (and its .copy). */
static int
resave(Storage *storage, const ResaveArgs *args, const char *input)
{
    int result = 0;
    switch (args->kind) {
    case RESAVE_ARCHIVE: {
        InfoArchive info;
        TRY(info_archive_load(storage, input, cipher_of(args->pass), args->pass, &info));
        result = info_archive_save(storage, args->output, cipher_of(args->out_pass), args->out_pass, &info);
        info_archive_free(&info);
        break;
    }
    case RESAVE_BACKUP: {
        InfoBackup info;
        TRY(info_backup_load(storage, input, cipher_of(args->pass), args->pass, &info));
        result = info_backup_save(storage, args->output, cipher_of(args->out_pass), args->out_pass, &info);
        info_backup_free(&info);
        break;
    }
    case RESAVE_MANIFEST: {
        Manifest manifest;
        TRY(manifest_load(storage, input, cipher_of(args->pass), args->pass, &manifest));
        result = manifest_save(storage, args->output, cipher_of(args->out_pass), args->out_pass, &manifest);
        manifest_free(&manifest);
        break;
    }
    }
    return result;
}

int
main(int argc, char **argv)
{
    ResaveArgs args;
    if (parse_args(argc, argv, &args) < 0) {
        usage();
        return 2;
    }
    Storage *storage = storage_posix_new("/", true);
    int result = 0;
    char *link_dir = NULL;
    char *input = mem_strdup(args.input);
    if (args.no_fallback) {
        /* A private directory holding only a symlink to INPUT: its .copy never exists there. */
        char template_dir[] = "/tmp/gaia-resave.XXXXXX";
        if (mkdtemp(template_dir) == NULL) {
            result = err_set_errno(ERR_PATH_CREATE, errno, "unable to create a temp directory");
        } else {
            link_dir = mem_strdup(template_dir);
            free(input);
            input = mem_printf("%s/input", link_dir);
            result = storage_link_create(storage, args.input, input);
        }
    }
    if (result == 0)
        result = resave(storage, &args, input);
    if (result < 0) {
        fprintf(stderr, "%s: %s\n", err_code_name(err_code()), err_message());
        err_clear();
    }
    if (link_dir != NULL) {
        /* Best effort: a leftover link in /tmp is harmless and must not change the exit code. */
        if (storage_remove(storage, input, false) < 0 || storage_path_remove(storage, link_dir, false) < 0)
            err_clear();
        free(link_dir);
    }
    free(input);
    storage_free(storage);
    return result < 0 ? 1 : 0;
}
