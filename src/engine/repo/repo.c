/* repo: open a configured repository (see repo.h). */
#include "engine/repo/repo.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "config/config.h"
#include "storage/posix.h"
#include "storage/s3/s3.h"

#define R2_ENDPOINT_SUFFIX ".r2.cloudflarestorage.com"

unsigned
repo_count(void)
{
    unsigned count = cfg_index_count(OPT_GROUP_REPO);
    return count > 0 ? count : 1;
}

bool
repo_s3_endpoint_is_r2(const char *endpoint)
{
    if (endpoint == NULL)
        return false;
    size_t length = strlen(endpoint), suffix = strlen(R2_ENDPOINT_SUFFIX);
    return length > suffix && strcasecmp(endpoint + length - suffix, R2_ENDPOINT_SUFFIX) == 0;
}

/* An S3 option that must be set (the option table requires them, this guards direct callers). */
static int s3_required(OptionId id, unsigned index, unsigned key, const char *name, const char **value)
{
    *value = cfg_str_idx(id, index);
    if (*value == NULL || (*value)[0] == '\0')
        return err_set(ERR_OPTION_REQUIRED, "option 'repo%u-%s' is required when 'repo%u-type' is 's3'", key, name, key);
    return 0;
}

/* Options asking for features the driver does not implement: server-side encryption with KMS (headers R2
 * rejects, and gaiarest never sends), and credentials other than a shared key. */
static int s3_refuse_unsupported(unsigned index, unsigned key, const char *endpoint)
{
    bool r2 = repo_s3_endpoint_is_r2(endpoint);
    if (cfg_str_idx(OPT_REPO_S3_KMS_KEY_ID, index) != NULL) {
        if (r2) {
            err_set(ERR_OPTION_INVALID, "option 'repo%u-s3-kms-key-id' is not valid for Cloudflare R2 endpoint '%s'",
                    key, endpoint);
            err_hint("R2 encrypts every object itself and rejects x-amz-server-side-encryption headers: remove "
                     "repo%u-s3-kms-key-id", key);
        } else {
            err_set(ERR_OPTION_INVALID, "option 'repo%u-s3-kms-key-id' is not supported by gaiarest (endpoint '%s')",
                    key, endpoint);
            err_hint("gaiarest sends no server-side encryption headers: remove repo%u-s3-kms-key-id or use a bucket "
                     "default encryption policy", key);
        }
        return -1;
    }
    const char *key_type = cfg_str_idx(OPT_REPO_S3_KEY_TYPE, index);
    if (key_type != NULL && strcmp(key_type, "shared") != 0) {
        err_set(ERR_OPTION_INVALID, "option 'repo%u-s3-key-type=%s' is not supported%s", key, key_type,
                r2 ? " for Cloudflare R2" : " by gaiarest");
        err_hint("set repo%u-s3-key-type=shared with repo%u-s3-key and repo%u-s3-key-secret", key, key, key);
        return -1;
    }
    if (cfg_str_idx(OPT_REPO_S3_ROLE, index) != NULL) {
        err_set(ERR_OPTION_INVALID, "option 'repo%u-s3-role' is not supported%s", key,
                r2 ? " for Cloudflare R2" : " by gaiarest");
        err_hint("remove repo%u-s3-role and use repo%u-s3-key / repo%u-s3-key-secret", key, key, key);
        return -1;
    }
    return 0;
}

int
repo_open_s3(unsigned index, unsigned key, bool writable, Storage **storage)
{
    *storage = NULL;
    StorageS3Options options = {.writable = writable};
    TRY(s3_required(OPT_REPO_S3_BUCKET, index, key, "s3-bucket", &options.bucket));
    TRY(s3_required(OPT_REPO_S3_ENDPOINT, index, key, "s3-endpoint", &options.endpoint));
    TRY(s3_refuse_unsupported(index, key, options.endpoint));
    options.region = cfg_str_idx(OPT_REPO_S3_REGION, index);
    if ((options.region == NULL || options.region[0] == '\0') && repo_s3_endpoint_is_r2(options.endpoint))
        options.region = "auto"; /* R2 signs with region "auto" */
    if (options.region == NULL || options.region[0] == '\0')
        TRY(s3_required(OPT_REPO_S3_REGION, index, key, "s3-region", &options.region));
    TRY(s3_required(OPT_REPO_S3_KEY, index, key, "s3-key", &options.key));
    TRY(s3_required(OPT_REPO_S3_KEY_SECRET, index, key, "s3-key-secret", &options.key_secret));
    options.token = cfg_str_idx(OPT_REPO_S3_TOKEN, index);

    const char *uri_style = cfg_str_idx(OPT_REPO_S3_URI_STYLE, index);
    if (uri_style == NULL || strcmp(uri_style, "host") == 0)
        options.uri_style = STORAGE_S3_URI_STYLE_HOST;
    else if (strcmp(uri_style, "path") == 0)
        options.uri_style = STORAGE_S3_URI_STYLE_PATH;
    else
        return err_set(ERR_OPTION_INVALID_VALUE, "'%s' is not allowed for 'repo%u-s3-uri-style' option", uri_style, key);

    options.host = cfg_str_idx(OPT_REPO_STORAGE_HOST, index);
    int64_t port = cfg_has_idx(OPT_REPO_STORAGE_PORT, index) ? cfg_int_idx(OPT_REPO_STORAGE_PORT, index) : 443;
    if (port < 1 || port > 65535)
        return err_set(ERR_OPTION_INVALID_VALUE, "'%lld' is out of range for 'repo%u-storage-port' option",
                       (long long)port, key);
    options.port = (unsigned)port;
    options.verify_tls = cfg_has_idx(OPT_REPO_STORAGE_VERIFY_TLS, index) ? cfg_bool_idx(OPT_REPO_STORAGE_VERIFY_TLS, index)
                                                                          : true;
    options.ca_file = cfg_str_idx(OPT_REPO_STORAGE_CA_FILE, index);
    options.ca_path = cfg_str_idx(OPT_REPO_STORAGE_CA_PATH, index);
    int64_t chunk = cfg_int_idx(OPT_REPO_STORAGE_UPLOAD_CHUNK_SIZE, index);
    options.upload_chunk_size = chunk > 0 ? (size_t)chunk : 0;
    int64_t timeout = cfg_int(OPT_IO_TIMEOUT);
    options.timeout_ms = timeout > 0 && timeout < (int64_t)UINT32_MAX ? (unsigned)timeout : 0;
    options.keep_alive.enabled = cfg_bool(OPT_SCK_KEEP_ALIVE);
    options.keep_alive.count = cfg_has(OPT_TCP_KEEP_ALIVE_COUNT) ? (unsigned)cfg_int(OPT_TCP_KEEP_ALIVE_COUNT) : 0;
    options.keep_alive.idle = cfg_has(OPT_TCP_KEEP_ALIVE_IDLE) ? (unsigned)cfg_int(OPT_TCP_KEEP_ALIVE_IDLE) : 0;
    options.keep_alive.interval = cfg_has(OPT_TCP_KEEP_ALIVE_INTERVAL) ? (unsigned)cfg_int(OPT_TCP_KEEP_ALIVE_INTERVAL)
                                                                       : 0;
    const char *path = cfg_str_idx(OPT_REPO_PATH, index);
    options.base_path = path != NULL ? path : "/"; /* the driver drops the leading '/' from keys */

    *storage = storage_s3_new(&options);
    return 0;
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
    if (strcmp(type, "s3") == 0)
        return repo_open_s3(index, repo->key, writable, &repo->storage);
    return err_set(ERR_FEATURE_NOT_SUPPORTED, "repository type '%s' of repo%u is not supported yet", type, repo->key);
}

void
repo_close(Repo *repo)
{
    storage_free(repo->storage);
    repo->storage = NULL;
}
