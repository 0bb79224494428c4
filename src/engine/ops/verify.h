/*
 * verify: re-read every file of a stanza's repository and check it as pgBackRest 2.45's verify does.
 *
 *   archive: every stored WAL segment of every archive id is decrypted (archive.info subpass) and decompressed
 *            (by its extension); its SHA-1 must equal the one in its name;
 *   backups: every file of every backup manifest is read where it is stored (its own backup, or the backup it
 *            references, each stored file once; bundles at their offset), its stored size must equal repo-size
 *            and, decrypted (manifest subpass) and decompressed, its size and SHA-1 must equal the manifest's.
 * The reads run on `process_max` workers (engine protocol/pool.h); each problem is logged by the worker as
 * 2.45 does ("invalid checksum '<path>'", "file missing '<path>'", "invalid size '<path>'") and counted. The
 * result is the summary 2.45 prints ("stanza: demo\nstatus: error\n  archiveId: ..."), verbose or errors only.
 */
#ifndef GAIAREST_ENGINE_OPS_VERIFY_H
#define GAIAREST_ENGINE_OPS_VERIFY_H

#include <stdbool.h>

#include "common/buf.h"

/* Verify `stanza` on the configured repository at `repo_index` with `process_max` workers. Appends the text
 * summary to `summary` (empty when nothing is wrong and not verbose); *ok is false when anything was invalid. */
int verify_repo(unsigned repo_index, const char *stanza, unsigned process_max, bool verbose, Buf *summary, bool *ok);

#endif
