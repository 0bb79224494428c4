/*
 * manifest: backup.manifest (spec 3): load and save, byte-identical for every manifest pgBackRest 2.45 writes.
 *
 * Sections (byte order): [backup] [backup:db] [backup:option] [backup:target] [cipher] [db] [metadata]
 * [target:file] [target:file:default] [target:link] [target:link:default] [target:path] [target:path:default].
 * Files are kept compactly in one array (no per-key maps); strings that repeat (reference labels, user and
 * group names) are interned in the manifest. Block-incremental fields (bi, bic, bim) are read and written
 * back but gaiarest never creates them; szo (2.47+) is accepted on read and not written (2.45 does not).
 * Keys 2.45 does not know are skipped on read.
 */
#ifndef GAIAREST_ENGINE_REPO_MANIFEST_H
#define GAIAREST_ENGINE_REPO_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/json.h"
#include "engine/repo/info_backup.h"
#include "storage/filter/cipher.h"
#include "storage/storage.h"

#define MANIFEST_FILE "backup.manifest"
#define MANIFEST_SHA1_EMPTY "da39a3ee5e6b4b0d3255bfef95601890afd80709"

/* A user or group: the default of its section (key absent), a name, or unknown (JSON false). */
typedef enum ManifestOwnerKind {
    MANIFEST_OWNER_DEFAULT = 0,
    MANIFEST_OWNER_NAME,
    MANIFEST_OWNER_UNKNOWN,
} ManifestOwnerKind;

typedef struct ManifestOwner {
    ManifestOwnerKind kind;
    const char *name; /* interned in the manifest, for MANIFEST_OWNER_NAME */
} ManifestOwner;

#define MANIFEST_MODE_DEFAULT (-1)

typedef struct ManifestFile {
    char *name;                 /* "pg_data/base/1/1247" */
    uint64_t size;
    uint64_t repo_size;         /* == size unless stored differently */
    uint64_t size_original;     /* szo (2.47+), 0 when absent */
    int64_t timestamp;
    uint64_t bundle_id;         /* bni, 0 when not bundled */
    uint64_t bundle_offset;     /* bno */
    uint64_t block_incr_size;   /* bi, 0 when not block incremental */
    uint64_t block_incr_checksum_size; /* bic, 0 when absent */
    uint64_t block_incr_map_size;      /* bim, 0 when absent */
    bool has_checksum;          /* false: zero-length file (checksum of empty implied) */
    bool has_repo_checksum;
    bool checksum_page_checked; /* checksum-page present */
    bool checksum_page;         /* true: all pages valid */
    char checksum[41];
    char repo_checksum[41];     /* rck */
    JsonValue *checksum_page_error; /* array like [1,[3,5]], NULL when absent */
    const char *reference;      /* interned label, NULL when stored in this backup */
    ManifestOwner user;
    ManifestOwner group;
    int mode;                   /* MANIFEST_MODE_DEFAULT or e.g. 0640 */
} ManifestFile;

typedef struct ManifestPath {
    char *name;
    ManifestOwner user;
    ManifestOwner group;
    int mode;
} ManifestPath;

typedef struct ManifestLink {
    char *name;
    char *destination;
    ManifestOwner user;
    ManifestOwner group;
} ManifestLink;

typedef struct ManifestTarget {
    char *name;            /* "pg_data", "pg_tblspc/16385" */
    char *path;
    char *file;            /* NULL unless a link to a file */
    char *tablespace_id;   /* NULL unless a tablespace (a string in the file) */
    char *tablespace_name;
    char *type;            /* "path" or "link" */
} ManifestTarget;

typedef struct ManifestDb {
    char *name;
    uint64_t id;
    uint64_t last_system_id;
} ManifestDb;

typedef struct ManifestDefaults {
    bool present;
    ManifestOwner user;
    ManifestOwner group;
    int mode; /* MANIFEST_MODE_DEFAULT for the link section */
} ManifestDefaults;

typedef struct ManifestBackup {
    char *archive_start; /* NULL when absent */
    char *archive_stop;
    bool block_incr;     /* written only when true */
    bool bundle;
    bool bundle_raw;
    char *label;
    char *lsn_start;
    char *lsn_stop;
    char *prior;
    char *reference;     /* comma-joined, including the own label */
    int64_t timestamp_copy_start;
    int64_t timestamp_start;
    int64_t timestamp_stop;
    BackupType type;
} ManifestBackup;

typedef struct ManifestBackupDb {
    uint64_t catalog_version;
    uint32_t control_version;
    unsigned id;
    uint64_t system_id;
    char *version;
} ManifestBackupDb;

/* [backup:option]; has_* marks keys that older manifests may lack. */
typedef struct ManifestOptions {
    bool archive_check;
    bool archive_copy;
    bool has_backup_standby;
    bool backup_standby;
    bool has_buffer_size;
    uint64_t buffer_size;
    bool has_checksum_page;
    bool checksum_page;
    bool compress;
    bool has_compress_level;
    int64_t compress_level;
    bool has_compress_level_network;
    int64_t compress_level_network;
    char *compress_type; /* NULL when absent */
    bool has_delta;
    bool delta;
    bool hardlink;
    bool online;
    bool has_process_max;
    uint64_t process_max;
} ManifestOptions;

typedef struct Manifest {
    char *backrest_version;      /* from [backrest] (as loaded; INFO_BACKREST_VERSION for new ones) */
    ManifestBackup backup;
    ManifestBackupDb db_info;
    ManifestOptions options;
    ManifestTarget *targets;
    size_t target_count;
    char *cipher_pass;           /* NULL when not encrypted */
    ManifestDb *dbs;
    size_t db_count;
    JsonValue *annotation;       /* [metadata] annotation, NULL when absent */
    ManifestFile *files;         /* sorted by name */
    size_t file_count;
    size_t file_cap;
    ManifestDefaults file_default;
    ManifestLink *links;
    size_t link_count;
    ManifestDefaults link_default;
    ManifestPath *paths;
    size_t path_count;
    ManifestDefaults path_default;
    char **strings;              /* interned strings */
    size_t string_count;
} Manifest;

/* Parse the plain text of a manifest (zeroed on failure). */
int manifest_parse(const char *text, size_t size, Manifest *manifest);

/* Append the manifest's text (with checksum) to `out`. Files, paths, links must be sorted (manifest_sort). */
void manifest_render(const Manifest *manifest, Buf *out);

/* Sort files, paths and links by name (byte order). */
void manifest_sort(Manifest *manifest);

/* The file called `name` (binary search; the manifest must be sorted), NULL when absent. */
const ManifestFile *manifest_file_find(const Manifest *manifest, const char *name);

/* Append a file (zeroed entry with a copy of `name`, mode default); returns it for the caller to fill. */
ManifestFile *manifest_file_add(Manifest *manifest, const char *name);

/* Intern a string: the same pointer for equal strings, owned by the manifest. */
const char *manifest_intern(Manifest *manifest, const char *text);

/* The page numbers of checksum-page-error expanded ([1,[3,5]] -> 1,3,4,5) into a new array (free() it). */
int manifest_file_page_errors(const ManifestFile *file, uint64_t **pages, size_t *count);

/* Load <path> (e.g. "backup/demo/<label>/backup.manifest") with .copy fallback, decrypting with `pass` (the
 * backup.info subpass) when cipher_type != CIPHER_NONE. */
int manifest_load(Storage *storage, const char *path, CipherType cipher_type, const char *pass, Manifest *manifest);

/* Save <path>.copy then <path> (as pgBackRest does). */
int manifest_save(Storage *storage, const char *path, CipherType cipher_type, const char *pass,
                  const Manifest *manifest);

void manifest_free(Manifest *manifest);

#endif
