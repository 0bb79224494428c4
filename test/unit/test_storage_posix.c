/* Unit tests: storage dispatch/helpers (storage.c) and the posix driver (posix.c). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/mem.h"
#include "storage/filter/compress.h"
#include "storage/filter/filter.h"
#include "storage/filter/hash.h"
#include "storage/posix.h"
#include "storage/storage.h"

/* ------------------------------------------------------------------------------------------------------------------
 * Fixture: a per-test temp directory and a writable storage rooted there.
 * ------------------------------------------------------------------------------------------------------------------ */

static char test_dir[256];
static Storage *storage;

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        chmod(path, 0700); /* undo a permission test that failed halfway */
    return remove(path);
}

static void
remove_tree(const char *path)
{
    chmod(path, 0700);
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
setup(void)
{
    snprintf(test_dir, sizeof(test_dir), "/tmp/gaiarest-test-storage-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(test_dir));
    storage = storage_posix_new(test_dir, true);
    err_clear();
}

static void
teardown(void)
{
    storage_free(storage);
    storage = NULL;
    remove_tree(test_dir);
}

/* Full path in the test dir (static buffer, valid until the next call). */
static const char *
test_path(const char *name)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", test_dir, name);
    return path;
}

static void
put_text(const char *name, const char *text)
{
    ck_assert_int_eq(storage_put(storage, name, NULL, (const uint8_t *)text, strlen(text)), 0);
}

/* Whole content of a file through storage_get (as a C string, owned by the caller). */
static char *
get_text(const char *name)
{
    Buf out = BUF_INIT;
    bool found = false;
    ck_assert_int_eq(storage_get(storage, name, NULL, false, &found, &out), 0);
    ck_assert(found);
    char *text = mem_strdup(buf_str(&out));
    buf_free(&out);
    return text;
}

static bool
file_exists(const char *full)
{
    struct stat st;
    return lstat(full, &st) == 0;
}

/* Read an open read to its end in chunks of `chunk` bytes into a string. */
static char *
read_all(StorageRead *read, size_t chunk)
{
    Buf out = BUF_INIT;
    uint8_t buffer[64];
    ck_assert_uint_le(chunk, sizeof(buffer));
    for (;;) {
        size_t got = 99;
        ck_assert_int_eq(storage_read(read, buffer, chunk, &got), 0);
        if (got == 0)
            break;
        ck_assert_uint_le(got, chunk);
        buf_append(&out, buffer, got);
    }
    char *text = mem_strdup(buf_str(&out));
    buf_free(&out);
    return text;
}

/* ------------------------------------------------------------------------------------------------------------------
 * Paths
 * ------------------------------------------------------------------------------------------------------------------ */

START_TEST(test_path_resolution)
{
    Storage *base = storage_posix_new("/srv/repo//", true);
    char *path;

    ck_assert_str_eq(base->base_path, "/srv/repo");
    ck_assert_str_eq((path = storage_path(base, "")), "/srv/repo");
    free(path);
    ck_assert_str_eq((path = storage_path(base, ".")), "/srv/repo");
    free(path);
    ck_assert_str_eq((path = storage_path(base, NULL)), "/srv/repo");
    free(path);
    ck_assert_str_eq((path = storage_path(base, "archive/db/archive.info")), "/srv/repo/archive/db/archive.info");
    free(path);
    ck_assert_str_eq((path = storage_path(base, "/srv/repo/backup")), "/srv/repo/backup");
    free(path);
    ck_assert_str_eq((path = storage_path(base, "/srv/repo")), "/srv/repo");
    free(path);

    /* outside the base, including a sibling that only shares the prefix */
    ck_assert_ptr_null(storage_path(base, "/srv/repository/x"));
    ck_assert_int_eq(err_code(), ERR_PARAM_INVALID);
    ck_assert_ptr_nonnull(strstr(err_message(), "'/srv/repository/x'"));
    ck_assert_ptr_null(storage_path(base, "/etc/passwd"));
    ck_assert_int_eq(err_code(), ERR_PARAM_INVALID);
    storage_free(base);

    Storage *root = storage_posix_new("/", false);
    ck_assert_str_eq((path = storage_path(root, "etc/hosts")), "/etc/hosts");
    free(path);
    ck_assert_str_eq((path = storage_path(root, "/etc/hosts")), "/etc/hosts");
    free(path);
    ck_assert_str_eq((path = storage_path(root, "")), "/");
    free(path);
    storage_free(root);

    /* the driver functions refuse outside paths too */
    StorageInfo info;
    ck_assert_int_eq(storage_info(storage, "/definitely/not/inside", false, &info), -1);
    ck_assert_int_eq(err_code(), ERR_PARAM_INVALID);
    StorageRead *read = NULL;
    ck_assert_int_eq(storage_open_read(storage, "/etc/hostname", 0, -1, false, &read), -1);
    ck_assert_int_eq(err_code(), ERR_PARAM_INVALID);
    ck_assert_ptr_null(read);
}
END_TEST

START_TEST(test_features)
{
    ck_assert_str_eq(storage->driver->name, "posix");
    ck_assert(storage_feature(storage, STORAGE_FEATURE_PATH));
    ck_assert(storage_feature(storage, STORAGE_FEATURE_LINK));
    ck_assert(storage_feature(storage, STORAGE_FEATURE_PATH_SYNC));
    ck_assert(storage_feature(storage, STORAGE_FEATURE_INFO_DETAIL));

    StorageWriteOptions options = storage_write_options_default();
    ck_assert(options.atomic && options.sync_file && options.sync_path && options.create_path);
    ck_assert_uint_eq(options.mode_file, 0640);
    ck_assert_uint_eq(options.mode_path, 0750);
    ck_assert_ptr_null(options.user);
    ck_assert_ptr_null(options.group);
    ck_assert_int_eq(options.mtime, 0);
}
END_TEST

/* ------------------------------------------------------------------------------------------------------------------
 * Write and read
 * ------------------------------------------------------------------------------------------------------------------ */

START_TEST(test_put_get_round_trip)
{
    put_text("archive/db/archive.info", "[db]\ndb-id=1\n");

    char *text = get_text("archive/db/archive.info");
    ck_assert_str_eq(text, "[db]\ndb-id=1\n");
    free(text);

    /* the absolute form inside the base reads the same file */
    text = get_text(test_path("archive/db/archive.info"));
    ck_assert_str_eq(text, "[db]\ndb-id=1\n");
    free(text);

    StorageInfo info;
    ck_assert_int_eq(storage_info(storage, "archive/db/archive.info", false, &info), 0);
    ck_assert(info.exists);
    ck_assert_int_eq(info.type, STORAGE_TYPE_FILE);
    ck_assert_uint_eq(info.size, 13);
    ck_assert_uint_eq(info.mode, 0640);
    ck_assert_ptr_null(info.name);
    ck_assert_ptr_null(info.link_dest);
    storage_info_clear(&info);

    /* created parents get mode_path exactly */
    ck_assert_int_eq(storage_info(storage, "archive/db", false, &info), 0);
    ck_assert_int_eq(info.type, STORAGE_TYPE_PATH);
    ck_assert_uint_eq(info.mode, 0750);
    storage_info_clear(&info);
    ck_assert_int_eq(storage_info(storage, "archive", false, &info), 0);
    ck_assert_uint_eq(info.mode, 0750);
    storage_info_clear(&info);

    /* no temp file left behind */
    ck_assert(!file_exists(test_path("archive/db/archive.info.pgbackrest.tmp")));

    /* overwrite, and an empty file */
    put_text("archive/db/archive.info", "x");
    text = get_text("archive/db/archive.info");
    ck_assert_str_eq(text, "x");
    free(text);
    put_text("empty", "");
    text = get_text("empty");
    ck_assert_str_eq(text, "");
    free(text);

    /* base itself and "." are the base */
    ck_assert_int_eq(storage_info(storage, ".", false, &info), 0);
    ck_assert(info.exists);
    ck_assert_int_eq(info.type, STORAGE_TYPE_PATH);
    storage_info_clear(&info);
}
END_TEST

START_TEST(test_read_offset_limit)
{
    put_text("digits", "0123456789");
    StorageRead *read;
    char *text;

    ck_assert_int_eq(storage_open_read(storage, "digits", 3, 4, false, &read), 0);
    ck_assert_str_eq(read->path, test_path("digits"));
    text = read_all(read, 3);
    ck_assert_str_eq(text, "3456");
    free(text);
    storage_read_free(read);

    ck_assert_int_eq(storage_open_read(storage, "digits", 8, -1, false, &read), 0);
    text = read_all(read, 64);
    ck_assert_str_eq(text, "89");
    free(text);
    storage_read_free(read);

    ck_assert_int_eq(storage_open_read(storage, "digits", 0, 0, false, &read), 0);
    text = read_all(read, 5);
    ck_assert_str_eq(text, "");
    free(text);
    storage_read_free(read);

    ck_assert_int_eq(storage_open_read(storage, "digits", 20, 5, false, &read), 0);
    text = read_all(read, 5);
    ck_assert_str_eq(text, "");
    free(text);
    storage_read_free(read);

    /* a limit beyond the end stops at the end */
    ck_assert_int_eq(storage_open_read(storage, "digits", 0, 100, false, &read), 0);
    text = read_all(read, 1);
    ck_assert_str_eq(text, "0123456789");
    free(text);
    storage_read_free(read);

    storage_read_free(NULL);
}
END_TEST

START_TEST(test_write_chunks)
{
    /* many small writes add up to the exact content */
    StorageWrite *write;
    ck_assert_int_eq(storage_open_write(storage, "chunks", NULL, &write), 0);
    Buf expect = BUF_INIT;
    for (int i = 0; i < 5000; i++) {
        char line[32];
        int length = snprintf(line, sizeof(line), "line %d\n", i);
        ck_assert_int_eq(storage_write(write, (const uint8_t *)line, (size_t)length), 0);
        buf_append(&expect, line, (size_t)length);
    }
    ck_assert_int_eq(storage_write(write, NULL, 0), 0);
    ck_assert_int_eq(storage_write_close(write), 0);
    storage_write_free(write);

    Buf got = BUF_INIT;
    bool found;
    ck_assert_int_eq(storage_get(storage, "chunks", NULL, false, &found, &got), 0);
    ck_assert_uint_eq(got.size, expect.size);
    ck_assert(memcmp(got.data, expect.data, expect.size) == 0);
    buf_free(&got);
    buf_free(&expect);
}
END_TEST

START_TEST(test_atomic_write)
{
    put_text("backup.info", "old");

    /* a write freed without close leaves the old content and no temp file */
    StorageWrite *write;
    ck_assert_int_eq(storage_open_write(storage, "backup.info", NULL, &write), 0);
    ck_assert_str_eq(write->path, test_path("backup.info"));
    ck_assert_int_eq(storage_write(write, (const uint8_t *)"new content", 11), 0);
    ck_assert(file_exists(test_path("backup.info.pgbackrest.tmp")));
    char *text = get_text("backup.info");
    ck_assert_str_eq(text, "old");
    free(text);
    storage_write_free(write);
    ck_assert(!file_exists(test_path("backup.info.pgbackrest.tmp")));
    text = get_text("backup.info");
    ck_assert_str_eq(text, "old");
    free(text);

    /* the same write closed replaces it */
    ck_assert_int_eq(storage_open_write(storage, "backup.info", NULL, &write), 0);
    ck_assert_int_eq(storage_write(write, (const uint8_t *)"new content", 11), 0);
    ck_assert_int_eq(storage_write_close(write), 0);
    ck_assert(!file_exists(test_path("backup.info.pgbackrest.tmp")));
    storage_write_free(write);
    ck_assert(!file_exists(test_path("backup.info.pgbackrest.tmp")));
    text = get_text("backup.info");
    ck_assert_str_eq(text, "new content");
    free(text);

    /* a new file freed without close does not appear at all */
    ck_assert_int_eq(storage_open_write(storage, "never/file", NULL, &write), 0);
    ck_assert_int_eq(storage_write(write, (const uint8_t *)"x", 1), 0);
    storage_write_free(write);
    ck_assert(!file_exists(test_path("never/file")));
    ck_assert(!file_exists(test_path("never/file.pgbackrest.tmp")));

    /* non-atomic writes in place: the content is visible before close */
    StorageWriteOptions options = storage_write_options_default();
    options.atomic = false;
    ck_assert_int_eq(storage_open_write(storage, "in-place", &options, &write), 0);
    ck_assert(file_exists(test_path("in-place")));
    ck_assert(!file_exists(test_path("in-place.pgbackrest.tmp")));
    ck_assert_int_eq(storage_write(write, (const uint8_t *)"abc", 3), 0);
    text = get_text("in-place");
    ck_assert_str_eq(text, "abc");
    free(text);
    ck_assert_int_eq(storage_write_close(write), 0);
    storage_write_free(write);
}
END_TEST

START_TEST(test_write_set_name)
{
    /* the data goes to the temp name of the first name; close commits it under the new name */
    StorageWrite *write;
    ck_assert_int_eq(storage_open_write(storage, "wal/seg", NULL, &write), 0);
    ck_assert_int_eq(storage_write(write, (const uint8_t *)"segment", 7), 0);
    ck_assert_int_eq(storage_write_set_name(write, "seg-0123.lz4"), 0);
    ck_assert_str_eq(write->path, test_path("wal/seg-0123.lz4"));
    ck_assert(file_exists(test_path("wal/seg.pgbackrest.tmp")));
    ck_assert_int_eq(storage_write_close(write), 0);
    storage_write_free(write);
    ck_assert(!file_exists(test_path("wal/seg")));
    ck_assert(!file_exists(test_path("wal/seg.pgbackrest.tmp")));
    char *text = get_text("wal/seg-0123.lz4");
    ck_assert_str_eq(text, "segment");
    free(text);

    /* freed without close after a rename: nothing under either name */
    ck_assert_int_eq(storage_open_write(storage, "wal/other", NULL, &write), 0);
    ck_assert_int_eq(storage_write_set_name(write, "other-final"), 0);
    storage_write_free(write);
    ck_assert(!file_exists(test_path("wal/other.pgbackrest.tmp")));
    ck_assert(!file_exists(test_path("wal/other-final")));

    /* names with a directory are refused; a non-atomic write cannot be renamed */
    ck_assert_int_eq(storage_open_write(storage, "wal/third", NULL, &write), 0);
    ck_assert_int_eq(storage_write_set_name(write, "a/b"), -1);
    ck_assert_int_eq(err_code(), ERR_PARAM_INVALID);
    ck_assert_int_eq(storage_write_set_name(write, ""), -1);
    ck_assert_str_eq(write->path, test_path("wal/third"));
    storage_write_free(write);

    StorageWriteOptions options = storage_write_options_default();
    options.atomic = false;
    ck_assert_int_eq(storage_open_write(storage, "wal/in-place", &options, &write), 0);
    ck_assert_int_eq(storage_write_set_name(write, "renamed"), -1);
    ck_assert_int_eq(err_code(), ERR_ASSERT);
    ck_assert_str_eq(write->path, test_path("wal/in-place"));
    storage_write_free(write);
}
END_TEST

START_TEST(test_write_no_create_path)
{
    StorageWriteOptions options = storage_write_options_default();
    options.create_path = false;
    StorageWrite *write = NULL;
    ck_assert_int_eq(storage_open_write(storage, "missing/file", &options, &write), -1);
    ck_assert_ptr_null(write);
    ck_assert_int_eq(err_code(), ERR_PATH_MISSING);
    ck_assert_ptr_nonnull(strstr(err_message(), test_path("missing")));
}
END_TEST

START_TEST(test_attributes)
{
    StorageWriteOptions options = storage_write_options_default();
    options.mode_file = 0600;
    options.mode_path = 0700;
    options.mtime = 1500000000;

    /* chown to ourselves always works; as root, to another user when one exists */
    struct passwd *self = getpwuid(geteuid());
    struct group *self_group = getgrgid(getegid());
    ck_assert_ptr_nonnull(self);
    ck_assert_ptr_nonnull(self_group);
    char *user = mem_strdup(self->pw_name);
    char *group = mem_strdup(self_group->gr_name);
    uid_t expect_uid = geteuid();
    gid_t expect_gid = getegid();
    if (geteuid() == 0) {
        struct passwd *nobody = getpwnam("nobody");
        struct group *nogroup = getgrnam("nogroup");
        if (nobody != NULL && nogroup != NULL) {
            free(user);
            free(group);
            user = mem_strdup("nobody");
            group = mem_strdup("nogroup");
            expect_uid = nobody->pw_uid;
            expect_gid = nogroup->gr_gid;
        }
    }
    options.user = user;
    options.group = group;

    StorageWrite *write;
    ck_assert_int_eq(storage_open_write(storage, "sub/dir/file", &options, &write), 0);
    ck_assert_int_eq(storage_write(write, (const uint8_t *)"data", 4), 0);
    ck_assert_int_eq(storage_write_close(write), 0);
    storage_write_free(write);

    StorageInfo info;
    ck_assert_int_eq(storage_info(storage, "sub/dir/file", false, &info), 0);
    ck_assert_uint_eq(info.mode, 0600);
    ck_assert_int_eq(info.mtime, 1500000000);
    ck_assert_uint_eq(info.uid, expect_uid);
    ck_assert_uint_eq(info.gid, expect_gid);
    ck_assert_str_eq(info.user, user);
    ck_assert_str_eq(info.group, group);
    storage_info_clear(&info);
    ck_assert_int_eq(storage_info(storage, "sub", false, &info), 0);
    ck_assert_uint_eq(info.mode, 0700);
    storage_info_clear(&info);

    /* an unknown user is a clear error and nothing is written */
    options.user = "gaiarest-no-such-user";
    ck_assert_int_eq(storage_open_write(storage, "other", &options, &write), 0);
    ck_assert_int_eq(storage_write_close(write), -1);
    ck_assert_int_eq(err_code(), ERR_USER_MISSING);
    ck_assert_ptr_nonnull(strstr(err_message(), "gaiarest-no-such-user"));
    storage_write_free(write);
    ck_assert(!file_exists(test_path("other")));
    ck_assert(!file_exists(test_path("other.pgbackrest.tmp")));

    free(user);
    free(group);

    /* path_create applies the exact mode */
    ck_assert_int_eq(storage_path_create(storage, "pg_tblspc/a/b", 0700, true, false), 0);
    ck_assert_int_eq(storage_info(storage, "pg_tblspc/a/b", false, &info), 0);
    ck_assert_uint_eq(info.mode, 0700);
    storage_info_clear(&info);
    ck_assert_int_eq(storage_info(storage, "pg_tblspc", false, &info), 0);
    ck_assert_uint_eq(info.mode, 0700);
    storage_info_clear(&info);
}
END_TEST

/* ------------------------------------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------------------------------------ */

START_TEST(test_missing)
{
    char expect[600];
    StorageRead *read = (StorageRead *)1;

    ck_assert_int_eq(storage_open_read(storage, "nope", 0, -1, false, &read), -1);
    ck_assert_ptr_null(read);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    snprintf(expect, sizeof(expect), "unable to open missing file '%s' for read", test_path("nope"));
    ck_assert_str_eq(err_message(), expect);

    ck_assert_int_eq(storage_open_read(storage, "nope", 0, -1, true, &read), 0);
    ck_assert_ptr_null(read);

    Buf out = BUF_INIT;
    bool found = true;
    ck_assert_int_eq(storage_get(storage, "nope", NULL, true, &found, &out), 0);
    ck_assert(!found);
    ck_assert_uint_eq(out.size, 0);
    ck_assert_int_eq(storage_get(storage, "nope", NULL, false, &found, &out), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    buf_free(&out);

    StorageInfo info;
    ck_assert_int_eq(storage_info(storage, "nope/deeper", false, &info), 0);
    ck_assert(!info.exists);

    char **names;
    size_t count;
    ck_assert_int_eq(storage_list_names(storage, "no-dir", NULL, false, &names, &count), -1);
    ck_assert_int_eq(err_code(), ERR_PATH_MISSING);
    ck_assert_ptr_nonnull(strstr(err_message(), test_path("no-dir")));
    ck_assert_int_eq(storage_list_names(storage, "no-dir", NULL, true, &names, &count), 0);
    ck_assert_uint_eq(count, 0);
    ck_assert_ptr_null(names[0]);
    storage_names_free(names, count);

    ck_assert_int_eq(storage_remove(storage, "nope", true), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    ck_assert_ptr_nonnull(strstr(err_message(), test_path("nope")));
    ck_assert_int_eq(storage_remove(storage, "nope", false), 0);

    ck_assert_int_eq(storage_path_remove(storage, "no-dir", true), 0);
    ck_assert_int_eq(storage_path_remove(storage, "no-dir", false), 0);

    ck_assert_int_eq(storage_path_sync(storage, "no-dir"), -1);
    ck_assert_int_eq(err_code(), ERR_PATH_MISSING);

    ck_assert_int_eq(storage_move(storage, "nope", "other"), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    ck_assert_ptr_nonnull(strstr(err_message(), test_path("nope")));

    ck_assert_int_eq(storage_path_create(storage, "no-dir/child", 0750, false, false), -1);
    ck_assert_int_eq(err_code(), ERR_PATH_MISSING);

    ck_assert_int_eq(storage_link_create(storage, "target", "no-dir/link"), -1);
    ck_assert_int_eq(err_code(), ERR_PATH_MISSING);
}
END_TEST

START_TEST(test_path_create_remove)
{
    ck_assert_int_eq(storage_path_create(storage, "dir", 0750, false, true), 0);
    ck_assert_int_eq(storage_path_create(storage, "dir", 0750, false, false), 0);
    ck_assert_int_eq(storage_path_create(storage, "dir", 0750, false, true), -1);
    ck_assert_int_eq(err_code(), ERR_PATH_CREATE);
    ck_assert_ptr_nonnull(strstr(err_message(), test_path("dir")));
    ck_assert_int_eq(storage_path_sync(storage, "dir"), 0);
    ck_assert_int_eq(storage_path_sync(storage, ""), 0);

    put_text("dir/a/b/file", "1");
    put_text("dir/top", "2");
    ck_assert_int_eq(storage_link_create(storage, "/etc", "dir/a/etc-link"), 0);

    /* a non-empty directory is not removed without recurse */
    ck_assert_int_eq(storage_path_remove(storage, "dir", false), -1);
    ck_assert_int_eq(err_code(), ERR_PATH_REMOVE);
    ck_assert_ptr_nonnull(strstr(err_message(), test_path("dir")));

    /* recurse removes the tree but never follows a link out of it */
    ck_assert_int_eq(storage_path_remove(storage, "dir", true), 0);
    ck_assert(!file_exists(test_path("dir")));
    ck_assert(file_exists("/etc/passwd"));

    ck_assert_int_eq(storage_path_create(storage, "empty", 0750, false, false), 0);
    ck_assert_int_eq(storage_path_remove(storage, "empty", false), 0);
    ck_assert(!file_exists(test_path("empty")));

    /* remove a file */
    put_text("f", "x");
    ck_assert_int_eq(storage_remove(storage, "f", true), 0);
    ck_assert(!file_exists(test_path("f")));
}
END_TEST

START_TEST(test_read_only)
{
    put_text("file", "content");
    Storage *read_only = storage_posix_new(test_dir, false);

    Buf out = BUF_INIT;
    bool found;
    ck_assert_int_eq(storage_get(read_only, "file", NULL, false, &found, &out), 0);
    ck_assert_str_eq(buf_str(&out), "content");
    buf_free(&out);

    StorageWrite *write = (StorageWrite *)1;
    ck_assert_int_eq(storage_open_write(read_only, "file", NULL, &write), -1);
    ck_assert_ptr_null(write);
    ck_assert_int_eq(err_code(), ERR_FILE_WRITE);
    ck_assert_ptr_nonnull(strstr(err_message(), test_path("file")));
    ck_assert_ptr_nonnull(strstr(err_message(), "read-only"));

    ck_assert_int_eq(storage_put(read_only, "new", NULL, (const uint8_t *)"x", 1), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_WRITE);
    ck_assert_int_eq(storage_remove(read_only, "file", true), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_WRITE);
    ck_assert_int_eq(storage_path_create(read_only, "dir", 0750, false, false), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_WRITE);
    ck_assert_int_eq(storage_path_remove(read_only, "", true), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_WRITE);
    ck_assert_int_eq(storage_move(read_only, "file", "moved"), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_WRITE);
    ck_assert_int_eq(storage_link_create(read_only, "file", "link"), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_WRITE);
    ck_assert_ptr_nonnull(strstr(err_message(), "read-only"));
    storage_free(read_only);

    /* nothing changed */
    char *text = get_text("file");
    ck_assert_str_eq(text, "content");
    free(text);
    ck_assert(!file_exists(test_path("new")));
    ck_assert(!file_exists(test_path("dir")));
    ck_assert(!file_exists(test_path("moved")));
}
END_TEST

START_TEST(test_permission)
{
    put_text("locked/file", "secret");
    ck_assert_int_eq(chmod(test_path("locked"), 0), 0);

    if (geteuid() == 0) {
        /* root ignores permission bits; the read-only storage test covers refused access instead */
        printf("NOTE: test_permission runs as root: permission-denied assertions skipped\n");
        ck_assert_int_eq(chmod(test_path("locked"), 0700), 0);
        return;
    }

    char **names;
    size_t count;
    ck_assert_int_eq(storage_list_names(storage, "locked", NULL, false, &names, &count), -1);
    ck_assert_int_eq(err_code(), ERR_PATH_OPEN);
    ck_assert_ptr_nonnull(strstr(err_message(), test_path("locked")));
    ck_assert_ptr_nonnull(strstr(err_message(), "permission"));

    StorageRead *read;
    ck_assert_int_eq(storage_open_read(storage, "locked/file", 0, -1, false, &read), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_OPEN);
    ck_assert_ptr_nonnull(strstr(err_message(), test_path("locked/file")));
    ck_assert_ptr_nonnull(strstr(err_message(), "permission"));

    StorageWrite *write;
    ck_assert_int_eq(storage_open_write(storage, "locked/new", NULL, &write), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_OPEN);
    ck_assert_ptr_nonnull(strstr(err_message(), "permission"));

    ck_assert_int_eq(chmod(test_path("locked"), 0700), 0);
}
END_TEST

START_TEST(test_disk_full)
{
    Storage *dev = storage_posix_new("/dev", true);
    StorageWriteOptions options = storage_write_options_default();
    options.atomic = false;
    options.create_path = false;
    options.sync_path = false;

    StorageWrite *write;
    ck_assert_int_eq(storage_open_write(dev, "full", &options, &write), 0);
    uint8_t data[4096] = {0};
    ck_assert_int_eq(storage_write(write, data, sizeof(data)), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_WRITE);
    ck_assert_ptr_nonnull(strstr(err_message(), "/dev/full"));
    ck_assert_ptr_nonnull(strstr(err_message(), "disk is full"));
    storage_write_free(write);
    storage_free(dev);
}
END_TEST

START_TEST(test_list_not_a_directory)
{
    put_text("file", "x");
    char **names;
    size_t count;
    ck_assert_int_eq(storage_list_names(storage, "file", NULL, false, &names, &count), -1);
    ck_assert_int_eq(err_code(), ERR_PATH_OPEN);
    ck_assert_ptr_nonnull(strstr(err_message(), test_path("file")));
}
END_TEST

/* ------------------------------------------------------------------------------------------------------------------
 * List
 * ------------------------------------------------------------------------------------------------------------------ */

typedef struct Collected {
    Buf names; /* "name(type) " for each entry */
    size_t count;
    int stop_after; /* > 0: fail on this entry */
} Collected;

static int
collect(void *context, const StorageInfo *info)
{
    Collected *collected = context;
    static const char type_char[] = {'f', 'd', 'l', 's'};
    buf_printf(&collected->names, "%s(%c) ", info->name, type_char[info->type]);
    collected->count++;
    if (collected->stop_after > 0 && (int)collected->count == collected->stop_after)
        return err_set(ERR_ASSERT, "stop at '%s'", info->name);
    return 0;
}

static void
make_list_tree(void)
{
    put_text("b", "bb");
    put_text("a", "a");
    put_text("A.txt", "A");
    put_text("z.info", "z");
    put_text("dir/c", "c");
    put_text("dir/sub/d", "d");
    ck_assert_int_eq(storage_path_create(storage, "empty", 0750, false, false), 0);
}

START_TEST(test_list)
{
    make_list_tree();
    Collected collected = {BUF_INIT, 0, 0};

    ck_assert_int_eq(storage_list(storage, "", NULL, false, false, true, collect, &collected), 0);
    ck_assert_str_eq(buf_str(&collected.names), "A.txt(f) a(f) b(f) dir(d) empty(d) z.info(f) ");
    buf_clear(&collected.names);
    collected.count = 0;

    ck_assert_int_eq(storage_list(storage, "", NULL, true, false, true, collect, &collected), 0);
    ck_assert_str_eq(buf_str(&collected.names),
                     "A.txt(f) a(f) b(f) dir(d) dir/c(f) dir/sub(d) dir/sub/d(f) empty(d) z.info(f) ");
    buf_clear(&collected.names);
    collected.count = 0;

    /* the regex matches against the relative name */
    ck_assert_int_eq(storage_list(storage, "", "^dir/", true, false, true, collect, &collected), 0);
    ck_assert_str_eq(buf_str(&collected.names), "dir/c(f) dir/sub(d) dir/sub/d(f) ");
    buf_clear(&collected.names);
    collected.count = 0;

    ck_assert_int_eq(storage_list(storage, "dir", NULL, true, false, true, collect, &collected), 0);
    ck_assert_str_eq(buf_str(&collected.names), "c(f) sub(d) sub/d(f) ");
    buf_clear(&collected.names);
    collected.count = 0;

    ck_assert_int_eq(storage_list(storage, test_path("dir"), "^[a-c]$", false, false, true, collect, &collected), 0);
    ck_assert_str_eq(buf_str(&collected.names), "c(f) ");
    buf_clear(&collected.names);
    collected.count = 0;

    /* an anchored literal start goes to the driver as a name hint (posix skips other entries before their lstat):
     * the same results as a full read */
    ck_assert_int_eq(storage_list(storage, "", "^z\\.", false, false, true, collect, &collected), 0);
    ck_assert_str_eq(buf_str(&collected.names), "z.info(f) ");
    buf_clear(&collected.names);
    collected.count = 0;
    ck_assert_int_eq(storage_list(storage, "", "^d", false, false, true, collect, &collected), 0);
    ck_assert_str_eq(buf_str(&collected.names), "dir(d) ");
    buf_clear(&collected.names);
    collected.count = 0;

    /* unsorted: all entries, each once */
    ck_assert_int_eq(storage_list(storage, "", NULL, true, false, false, collect, &collected), 0);
    ck_assert_uint_eq(collected.count, 9);
    ck_assert_ptr_nonnull(strstr(buf_str(&collected.names), "dir/sub/d(f)"));
    buf_clear(&collected.names);
    collected.count = 0;

    /* a callback error stops the listing and is passed up, sorted or not */
    collected.stop_after = 2;
    ck_assert_int_eq(storage_list(storage, "", NULL, true, false, true, collect, &collected), -1);
    ck_assert_int_eq(err_code(), ERR_ASSERT);
    ck_assert_str_eq(err_message(), "stop at 'a'");
    ck_assert_uint_eq(collected.count, 2);
    collected.count = 0;
    ck_assert_int_eq(storage_list(storage, "", NULL, true, false, false, collect, &collected), -1);
    ck_assert_uint_eq(collected.count, 2);

    buf_free(&collected.names);

    /* invalid regex */
    ck_assert_int_eq(storage_list(storage, "", "(", false, false, true, collect, &collected), -1);
    ck_assert_int_eq(err_code(), ERR_PARAM_INVALID);
    ck_assert_ptr_nonnull(strstr(err_message(), "'('"));
}
END_TEST

START_TEST(test_list_names)
{
    make_list_tree();
    char **names;
    size_t count;

    ck_assert_int_eq(storage_list_names(storage, "", "\\.(txt|info)$", false, &names, &count), 0);
    ck_assert_uint_eq(count, 2);
    ck_assert_str_eq(names[0], "A.txt");
    ck_assert_str_eq(names[1], "z.info");
    ck_assert_ptr_null(names[2]);
    storage_names_free(names, count);

    ck_assert_int_eq(storage_list_names(storage, "", NULL, false, &names, &count), 0);
    ck_assert_uint_eq(count, 6);
    ck_assert_str_eq(names[0], "A.txt");
    ck_assert_str_eq(names[5], "z.info");
    ck_assert_ptr_null(names[6]);
    storage_names_free(names, count);

    ck_assert_int_eq(storage_list_names(storage, "empty", NULL, false, &names, &count), 0);
    ck_assert_uint_eq(count, 0);
    ck_assert_ptr_null(names[0]);
    storage_names_free(names, count);
}
END_TEST

static int
find_link(void *context, const StorageInfo *info)
{
    if (info->type == STORAGE_TYPE_LINK)
        *(char **)context = mem_printf("%s->%s", info->name, info->link_dest);
    return 0;
}

START_TEST(test_links)
{
    put_text("target-file", "12345");
    ck_assert_int_eq(storage_link_create(storage, "target-file", "lnk"), 0);

    StorageInfo info;
    ck_assert_int_eq(storage_info(storage, "lnk", false, &info), 0);
    ck_assert(info.exists);
    ck_assert_int_eq(info.type, STORAGE_TYPE_LINK);
    ck_assert_str_eq(info.link_dest, "target-file");
    storage_info_clear(&info);

    ck_assert_int_eq(storage_info(storage, "lnk", true, &info), 0);
    ck_assert_int_eq(info.type, STORAGE_TYPE_FILE);
    ck_assert_uint_eq(info.size, 5);
    ck_assert_ptr_null(info.link_dest);
    storage_info_clear(&info);

    /* a link to a directory: listed as a link, never recursed into */
    ck_assert_int_eq(storage_link_create(storage, "/etc", "etc-link"), 0);
    ck_assert_int_eq(storage_info(storage, "etc-link", false, &info), 0);
    ck_assert_str_eq(info.link_dest, "/etc");
    storage_info_clear(&info);
    ck_assert_int_eq(storage_remove(storage, "etc-link", true), 0);

    char *found = NULL;
    ck_assert_int_eq(storage_list(storage, "", NULL, true, false, true, find_link, &found), 0);
    ck_assert_str_eq(found, "lnk->target-file");
    free(found);

    /* a dangling link still has info */
    ck_assert_int_eq(storage_link_create(storage, "nowhere", "dangling"), 0);
    ck_assert_int_eq(storage_info(storage, "dangling", false, &info), 0);
    ck_assert(info.exists);
    ck_assert_str_eq(info.link_dest, "nowhere");
    storage_info_clear(&info);
    ck_assert_int_eq(storage_info(storage, "dangling", true, &info), 0);
    ck_assert(!info.exists);

    ck_assert_int_eq(storage_link_create(storage, "other", "lnk"), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_EXISTS);
    ck_assert_ptr_nonnull(strstr(err_message(), test_path("lnk")));
}
END_TEST

/* ------------------------------------------------------------------------------------------------------------------
 * Move and copy
 * ------------------------------------------------------------------------------------------------------------------ */

START_TEST(test_move)
{
    put_text("from", "moving");
    ck_assert_int_eq(storage_move(storage, "from", "to"), 0);
    ck_assert(!file_exists(test_path("from")));
    char *text = get_text("to");
    ck_assert_str_eq(text, "moving");
    free(text);

    /* into a missing directory: it is created */
    ck_assert_int_eq(storage_move(storage, "to", "new/dir/to"), 0);
    text = get_text("new/dir/to");
    ck_assert_str_eq(text, "moving");
    free(text);
}
END_TEST

START_TEST(test_move_cross_device)
{
    struct stat tmp_stat, shm_stat;
    char shm_dir[] = "/dev/shm/gaiarest-test-storage-XXXXXX";
    if (stat("/dev/shm", &shm_stat) != 0 || stat(test_dir, &tmp_stat) != 0 || shm_stat.st_dev == tmp_stat.st_dev ||
        mkdtemp(shm_dir) == NULL) {
        printf("NOTE: no second file system at /dev/shm: cross-device move skipped\n");
        return;
    }

    Storage *root = storage_posix_new("/", true);
    put_text("cross", "across devices");
    ck_assert_int_eq(chmod(test_path("cross"), 0604), 0);
    char *to = mem_printf("%s/sub/cross", shm_dir);
    ck_assert_int_eq(storage_move(root, test_path("cross"), to), 0);
    ck_assert(!file_exists(test_path("cross")));

    Buf out = BUF_INIT;
    bool found;
    ck_assert_int_eq(storage_get(root, to, NULL, false, &found, &out), 0);
    ck_assert_str_eq(buf_str(&out), "across devices");
    buf_free(&out);
    StorageInfo info;
    ck_assert_int_eq(storage_info(root, to, false, &info), 0);
    ck_assert_uint_eq(info.mode, 0604);
    storage_info_clear(&info);

    free(to);
    storage_free(root);
    remove_tree(shm_dir);
}
END_TEST

START_TEST(test_copy_no_pipeline)
{
    /* content larger than the buffer, not a multiple of it */
    Buf data = BUF_INIT;
    for (int i = 0; i < 20000; i++)
        buf_printf(&data, "%d,", i * 7919);
    ck_assert_int_eq(storage_put(storage, "source", NULL, data.data, data.size), 0);

    StorageRead *read;
    StorageWrite *write;
    ck_assert_int_eq(storage_open_read(storage, "source", 0, -1, false, &read), 0);
    ck_assert_int_eq(storage_open_write(storage, "copy/dest", NULL, &write), 0);
    ck_assert_int_eq(storage_copy(read, NULL, write, 4093), 0);
    ck_assert_int_eq(storage_write_close(write), 0);
    storage_write_free(write);
    storage_read_free(read);

    Buf out = BUF_INIT;
    bool found;
    ck_assert_int_eq(storage_get(storage, "copy/dest", NULL, false, &found, &out), 0);
    ck_assert_uint_eq(out.size, data.size);
    ck_assert(memcmp(out.data, data.data, data.size) == 0);
    buf_free(&out);

    /* with no write the bytes are read and dropped; a range copy */
    ck_assert_int_eq(storage_open_read(storage, "source", 10, 100, false, &read), 0);
    ck_assert_int_eq(storage_copy(read, NULL, NULL, 7), 0);
    size_t got = 1;
    uint8_t byte;
    ck_assert_int_eq(storage_read(read, &byte, 1, &got), 0);
    ck_assert_uint_eq(got, 0);
    storage_read_free(read);

    ck_assert_int_eq(storage_open_read(storage, "source", 10, 100, false, &read), 0);
    ck_assert_int_eq(storage_open_write(storage, "range", NULL, &write), 0);
    ck_assert_int_eq(storage_copy(read, NULL, write, 7), 0);
    ck_assert_int_eq(storage_write_close(write), 0);
    storage_write_free(write);
    storage_read_free(read);
    ck_assert_int_eq(storage_get(storage, "range", NULL, false, &found, &out), 0);
    ck_assert_uint_eq(out.size, 100);
    ck_assert(memcmp(out.data, data.data + 10, 100) == 0);
    buf_free(&out);

    /* a failing write is passed up */
    Storage *dev = storage_posix_new("/dev", true);
    StorageWriteOptions options = storage_write_options_default();
    options.atomic = false;
    options.sync_path = false;
    ck_assert_int_eq(storage_open_read(storage, "source", 0, -1, false, &read), 0);
    ck_assert_int_eq(storage_open_write(dev, "full", &options, &write), 0);
    ck_assert_int_eq(storage_copy(read, NULL, write, 4096), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_WRITE);
    storage_write_free(write);
    storage_read_free(read);
    storage_free(dev);

    buf_free(&data);
}
END_TEST

/* storage_copy_part: consecutive pieces of one read (as the files of a bundle), each through its own pipeline. */
START_TEST(test_copy_part)
{
    const char *text = "first piece|gap|second piece, longer than the buffer of five";
    ck_assert_int_eq(storage_put(storage, "bundle", NULL, (const uint8_t *)text, strlen(text)), 0);

    StorageRead *read;
    StorageWrite *write;
    ck_assert_int_eq(storage_open_read(storage, "bundle", 0, -1, false, &read), 0);
    Pipeline *pipeline = pipeline_new();
    Filter *size = pipeline_add(pipeline, filter_size_new());
    ck_assert_int_eq(storage_open_write(storage, "piece1", NULL, &write), 0);
    ck_assert_int_eq(storage_copy_part(read, pipeline, write, 5, 11), 0);
    ck_assert_uint_eq(filter_size_bytes(size), 11);
    ck_assert_int_eq(storage_write_close(write), 0);
    storage_write_free(write);
    pipeline_free(pipeline);
    /* skip the gap, then the second piece to the end */
    ck_assert_int_eq(storage_copy_part(read, NULL, NULL, 5, 5), 0);
    size_t second = strlen(text) - 16;
    ck_assert_int_eq(storage_open_write(storage, "piece2", NULL, &write), 0);
    ck_assert_int_eq(storage_copy_part(read, NULL, write, 5, second), 0);
    ck_assert_int_eq(storage_write_close(write), 0);
    storage_write_free(write);
    /* nothing is left: one more byte is a read past the end, an error naming the file */
    ck_assert_int_eq(storage_copy_part(read, NULL, NULL, 5, 1), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_READ);
    ck_assert_ptr_nonnull(strstr(err_message(), "bundle"));
    err_clear();
    storage_read_free(read);

    Buf out = BUF_INIT;
    bool found;
    ck_assert_int_eq(storage_get(storage, "piece1", NULL, false, &found, &out), 0);
    ck_assert_uint_eq(out.size, 11);
    ck_assert(memcmp(out.data, "first piece", 11) == 0);
    buf_clear(&out);
    ck_assert_int_eq(storage_get(storage, "piece2", NULL, false, &found, &out), 0);
    ck_assert_uint_eq(out.size, second);
    ck_assert(memcmp(out.data, text + 16, second) == 0);
    buf_free(&out);
}
END_TEST

/* storage_read_slices: what each reader call sees, and where a ranged read started (consumed at entry). */
typedef struct SliceSeen {
    char text[8][32];
    uint64_t consumed_at_entry[8];
    size_t calls;
    size_t stop_short; /* this call reads only 2 bytes and returns 0 (a failure the reader keeps) */
} SliceSeen;

static int
slice_reader(void *context, size_t index, StorageRead *read, uint64_t size)
{
    SliceSeen *seen = context;
    ck_assert_uint_eq(index, seen->calls);
    seen->consumed_at_entry[index] = read->consumed;
    uint64_t want = index == seen->stop_short ? 2 : size;
    size_t got = 0, total = 0;
    while (total < want) {
        ck_assert_int_eq(storage_read(read, (uint8_t *)seen->text[index] + total, (size_t)(want - total), &got), 0);
        ck_assert_uint_gt(got, 0);
        total += got;
    }
    seen->text[index][total] = '\0';
    seen->calls++;
    return 0;
}

START_TEST(test_read_slices)
{
    /*                  0         1         2         3         4
     *                  0123456789012345678901234567890123456789012 */
    const char *text = "AAAA..BBB.CCCCC..............................DDD";
    ck_assert_int_eq(storage_put(storage, "bundle", NULL, (const uint8_t *)text, strlen(text)), 0);
    StorageSlice slices[] = {{0, 4}, {6, 3}, {10, 5}, {45, 3}};
    SliceSeen seen = {.stop_short = 1};
    bool found = false;
    ck_assert_int_eq(storage_read_slices(storage, "bundle", slices, 4, 8, 3, false, &found, slice_reader, &seen), 0);
    ck_assert(found);
    ck_assert_uint_eq(seen.calls, 4);
    ck_assert_str_eq(seen.text[0], "AAAA");
    ck_assert_str_eq(seen.text[1], "BB"); /* stopped short: the rest of its slice is skipped */
    ck_assert_str_eq(seen.text[2], "CCCCC");
    ck_assert_str_eq(seen.text[3], "DDD");
    /* the first three are one read (gaps of 2 and 1 bytes), the last, 30 bytes further, a read of its own */
    ck_assert_uint_eq(seen.consumed_at_entry[0], 0);
    ck_assert_uint_eq(seen.consumed_at_entry[1], 6);
    ck_assert_uint_eq(seen.consumed_at_entry[2], 10);
    ck_assert_uint_eq(seen.consumed_at_entry[3], 0);

    /* a missing object: with ignore_missing, not found and no reader call; without, an error */
    SliceSeen none = {.stop_short = 99};
    ck_assert_int_eq(storage_read_slices(storage, "nothing", slices, 4, 8, 3, true, &found, slice_reader, &none), 0);
    ck_assert(!found);
    ck_assert_uint_eq(none.calls, 0);
    ck_assert_int_eq(storage_read_slices(storage, "nothing", slices, 4, 8, 3, false, &found, slice_reader, &none), -1);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    err_clear();
    /* a slice beyond the end of the object: the read ends short, an error */
    StorageSlice beyond[] = {{45, 10}};
    SliceSeen short_read = {.stop_short = 0};
    ck_assert_int_eq(storage_read_slices(storage, "bundle", beyond, 1, 8, 3, false, &found, slice_reader, &short_read),
                     -1);
    ck_assert_int_eq(err_code(), ERR_FILE_READ);
    err_clear();
}
END_TEST

/* View every window of `name` in `mode` and check the sizes seen (`expect`, ending with 0) and the bytes. */
static void
view_check(const char *name, size_t window, PosixViewMode mode, const uint8_t *content, const size_t *expect)
{
    PosixView *view = NULL;
    ck_assert_int_eq(posix_view_open(storage, name, window, mode, &view), 0);
    size_t offset = 0;
    for (size_t index = 0;; index++) {
        const uint8_t *data = NULL;
        size_t size = 99;
        ck_assert_int_eq(posix_view_next(view, &data, &size), 0);
        ck_assert_msg(size == expect[index], "%s window %zu: %zu bytes, expected %zu", name, index, size,
                      expect[index]);
        if (size == 0)
            break;
        ck_assert(memcmp(data, content + offset, size) == 0);
        offset += size;
    }
    posix_view_free(view);
}

/* posix_view: a file in mapped windows and in read windows (at most POSIX_VIEW_READ_MAX), an empty file, a missing
 * one (the storage_open_read error naming it). */
START_TEST(test_view)
{
    size_t size = POSIX_VIEW_READ_MAX * 2 + POSIX_VIEW_READ_MAX / 2 + 100;
    uint8_t *content = mem_alloc(size);
    for (size_t index = 0; index < size; index++)
        content[index] = (uint8_t)(index * 7 + index / 4096);
    ck_assert_int_eq(storage_put(storage, "segment", NULL, content, size), 0);

    const size_t window = POSIX_VIEW_READ_MAX / 4;
    size_t small[16];
    size_t count = 0;
    for (size_t left = size; left > 0; left -= small[count++])
        small[count] = left < window ? left : window;
    small[count] = 0;
    view_check("segment", window, POSIX_VIEW_MAP, content, small);
    view_check("segment", window, POSIX_VIEW_READ, content, small);

    const size_t whole[] = {size, 0};
    view_check("segment", 4 * POSIX_VIEW_READ_MAX, POSIX_VIEW_MAP, content, whole);
    const size_t read_max[] = {POSIX_VIEW_READ_MAX, POSIX_VIEW_READ_MAX, POSIX_VIEW_READ_MAX / 2 + 100, 0};
    view_check("segment", 4 * POSIX_VIEW_READ_MAX, POSIX_VIEW_READ, content, read_max);

    ck_assert_int_eq(storage_put(storage, "empty", NULL, content, 0), 0);
    const size_t none[] = {0};
    view_check("empty", window, POSIX_VIEW_MAP, content, none);
    view_check("empty", window, POSIX_VIEW_READ, content, none);

    PosixView *view = (PosixView *)1;
    ck_assert_int_eq(posix_view_open(storage, "nope", window, POSIX_VIEW_MAP, &view), -1);
    ck_assert_ptr_null(view);
    ck_assert_int_eq(err_code(), ERR_FILE_MISSING);
    char expect[600];
    snprintf(expect, sizeof(expect), "unable to open missing file '%s' for read", test_path("nope"));
    ck_assert_str_eq(err_message(), expect);
    posix_view_free(NULL);
    free(content);
}
END_TEST

/* A mapped file that shrinks under its view: reading a page past the new end is a bus error, which ends the process
 * with ERR_FILE_READ and a message naming the file (in a child process); a bus error elsewhere is left alone. */
START_TEST(test_view_shrunk)
{
    size_t size = 3 * 4096;
    uint8_t *content = mem_alloc(size);
    memset(content, 7, size);
    ck_assert_int_eq(storage_put(storage, "shrinks", NULL, content, size), 0);
    free(content);
    int pipe_fds[2];
    ck_assert_int_eq(pipe(pipe_fds), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        dup2(pipe_fds[1], STDERR_FILENO);
        PosixView *view = NULL;
        const uint8_t *data = NULL;
        size_t got = 0;
        if (posix_view_open(storage, "shrinks", 65536, POSIX_VIEW_MAP, &view) != 0 ||
            posix_view_next(view, &data, &got) != 0 || got != size || data[size - 1] != 7)
            _exit(3);
        if (truncate(test_path("shrinks"), 100) != 0)
            _exit(4);
        volatile uint8_t past_end = data[2 * 4096];
        (void)past_end;
        _exit(5); /* not reached: the page is past the end of the file */
    }
    close(pipe_fds[1]);
    char message[1024] = {0};
    size_t length = 0;
    for (ssize_t part; length < sizeof(message) - 1 &&
                       (part = read(pipe_fds[0], message + length, sizeof(message) - 1 - length)) > 0;)
        length += (size_t)part;
    close(pipe_fds[0]);
    int status = 0;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == ERR_FILE_READ, "child status %d, stderr: %s", status,
                  message);
    char expect[600];
    snprintf(expect, sizeof(expect), "ERROR: [042]: unable to read file '%s': bus error", test_path("shrinks"));
    ck_assert_msg(strstr(message, expect) != NULL, "stderr: %s", message);
}
END_TEST

START_TEST(test_copy_pipeline)
{
    Buf data = BUF_INIT;
    for (int i = 0; i < 30000; i++)
        buf_printf(&data, "row %d\n", i);
    char expect_sha1[HASH_SHA1_HEX_SIZE];
    hash_hex(HASH_SHA1, data.data, data.size, expect_sha1);
    ck_assert_int_eq(storage_put(storage, "plain", NULL, data.data, data.size), 0);

    /* backup-like: sha1 + size of the plain bytes, gz, size of the stored bytes */
    Pipeline *pipeline = pipeline_new();
    Filter *sha1 = pipeline_add(pipeline, filter_hash_new(HASH_SHA1));
    Filter *size = pipeline_add(pipeline, filter_size_new());
    pipeline_add(pipeline, filter_compress_new(COMPRESS_GZ, 6, false));
    Filter *repo_size = pipeline_add(pipeline, filter_size_new());

    StorageRead *read;
    StorageWrite *write;
    ck_assert_int_eq(storage_open_read(storage, "plain", 0, -1, false, &read), 0);
    ck_assert_int_eq(storage_open_write(storage, "repo/plain.gz", NULL, &write), 0);
    ck_assert_int_eq(storage_copy(read, pipeline, write, 8192), 0);
    ck_assert_int_eq(storage_write_close(write), 0);
    storage_write_free(write);
    storage_read_free(read);

    ck_assert_str_eq(filter_hash_hex(sha1), expect_sha1);
    ck_assert_uint_eq(filter_size_bytes(size), data.size);
    StorageInfo info;
    ck_assert_int_eq(storage_info(storage, "repo/plain.gz", false, &info), 0);
    ck_assert_uint_eq(info.size, filter_size_bytes(repo_size));
    ck_assert_uint_lt(info.size, data.size); /* it really was compressed */
    storage_info_clear(&info);
    pipeline_free(pipeline);

    /* verify-like: decompress + sha1 with no write */
    pipeline = pipeline_new();
    pipeline_add(pipeline, filter_decompress_new(COMPRESS_GZ, false));
    sha1 = pipeline_add(pipeline, filter_hash_new(HASH_SHA1));
    ck_assert_int_eq(storage_open_read(storage, "repo/plain.gz", 0, -1, false, &read), 0);
    ck_assert_int_eq(storage_copy(read, pipeline, NULL, 1000), 0);
    storage_read_free(read);
    ck_assert_str_eq(filter_hash_hex(sha1), expect_sha1);
    pipeline_free(pipeline);

    /* storage_get through a pipeline */
    pipeline = pipeline_new();
    pipeline_add(pipeline, filter_decompress_new(COMPRESS_GZ, false));
    Buf out = BUF_INIT;
    bool found = false;
    ck_assert_int_eq(storage_get(storage, "repo/plain.gz", pipeline, false, &found, &out), 0);
    ck_assert(found);
    ck_assert_uint_eq(out.size, data.size);
    ck_assert(memcmp(out.data, data.data, data.size) == 0);
    buf_free(&out);
    pipeline_free(pipeline);

    /* storage_put through a pipeline, read back through the reverse one */
    pipeline = pipeline_new();
    pipeline_add(pipeline, filter_compress_new(COMPRESS_ZST, 3, false));
    ck_assert_int_eq(storage_put(storage, "put.zst", pipeline, data.data, data.size), 0);
    pipeline_free(pipeline);
    ck_assert(!file_exists(test_path("put.zst.pgbackrest.tmp")));
    pipeline = pipeline_new();
    pipeline_add(pipeline, filter_decompress_new(COMPRESS_ZST, false));
    ck_assert_int_eq(storage_get(storage, "put.zst", pipeline, false, &found, &out), 0);
    ck_assert_uint_eq(out.size, data.size);
    ck_assert(memcmp(out.data, data.data, data.size) == 0);
    buf_free(&out);
    pipeline_free(pipeline);

    /* a truncated compressed file fails the copy with the filter's error */
    ck_assert_int_eq(storage_open_read(storage, "repo/plain.gz", 0, 100, false, &read), 0);
    pipeline = pipeline_new();
    pipeline_add(pipeline, filter_decompress_new(COMPRESS_GZ, false));
    ck_assert_int_eq(storage_open_write(storage, "truncated", NULL, &write), 0);
    ck_assert_int_eq(storage_copy(read, pipeline, write, 4096), -1);
    ck_assert_int_eq(err_code(), ERR_FORMAT);
    storage_write_free(write);
    storage_read_free(read);
    pipeline_free(pipeline);
    ck_assert(!file_exists(test_path("truncated")));
    ck_assert(!file_exists(test_path("truncated.pgbackrest.tmp")));

    buf_free(&data);
}
END_TEST

/* ------------------------------------------------------------------------------------------------------------------ */

static Suite *
storage_posix_suite(void)
{
    Suite *suite = suite_create("storage_posix");
    TCase *tc = tcase_create("posix");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_path_resolution);
    tcase_add_test(tc, test_features);
    tcase_add_test(tc, test_put_get_round_trip);
    tcase_add_test(tc, test_read_offset_limit);
    tcase_add_test(tc, test_write_chunks);
    tcase_add_test(tc, test_atomic_write);
    tcase_add_test(tc, test_write_set_name);
    tcase_add_test(tc, test_write_no_create_path);
    tcase_add_test(tc, test_attributes);
    tcase_add_test(tc, test_missing);
    tcase_add_test(tc, test_path_create_remove);
    tcase_add_test(tc, test_read_only);
    tcase_add_test(tc, test_permission);
    tcase_add_test(tc, test_disk_full);
    tcase_add_test(tc, test_list_not_a_directory);
    tcase_add_test(tc, test_list);
    tcase_add_test(tc, test_list_names);
    tcase_add_test(tc, test_links);
    tcase_add_test(tc, test_move);
    tcase_add_test(tc, test_move_cross_device);
    tcase_add_test(tc, test_copy_no_pipeline);
    tcase_add_test(tc, test_copy_part);
    tcase_add_test(tc, test_read_slices);
    tcase_add_test(tc, test_copy_pipeline);
    tcase_add_test(tc, test_view);
    tcase_add_test(tc, test_view_shrunk);
    suite_add_tcase(suite, tc);
    return suite;
}

int
main(void)
{
    SRunner *runner = srunner_create(storage_posix_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
