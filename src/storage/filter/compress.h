/*
 * compress: compression and decompression filters for the repository's compress types.
 *
 * Framing is what pgBackRest 2.45 writes (spec section 4): gz = gzip wrapper (zlib windowBits 15+16,
 * memLevel 9); lz4 = LZ4 frame with content checksum; zst = zstd stream; bz2 = libbz2 block size `level`.
 * Decompressors accept any valid stream of their type and fail on corrupt, truncated or trailing data.
 */
#ifndef GAIAREST_STORAGE_FILTER_COMPRESS_H
#define GAIAREST_STORAGE_FILTER_COMPRESS_H

#include <stdbool.h>

#include "storage/filter/filter.h"

typedef enum CompressType {
    COMPRESS_NONE = 0,
    COMPRESS_GZ,
    COMPRESS_LZ4,
    COMPRESS_ZST,
    COMPRESS_BZ2,
} CompressType;

/* "none", "gz", "lz4", "zst", "bz2" */
const char *compress_type_name(CompressType type);
/* Parse a compress-type option value; -1 when unknown. */
int compress_type_parse(const char *name);
/* File extension without the dot ("" for none). */
const char *compress_type_ext(CompressType type);
/* The type of a repository file from its name's extension (COMPRESS_NONE when none matches). */
CompressType compress_type_from_name(const char *file_name);
/* pgBackRest 2.45's default compress-level for a type (gz 6, lz4 1, zst 3, bz2 9, none 0). */
int compress_level_default(CompressType type);
/* Check a level against the type's range; returns 0 or -1 with ERR_OPTION_INVALID_VALUE. */
int compress_level_check(CompressType type, int level);

/* A compressor at `level`. `raw` selects the bundle-raw framing of spec 3.15 (gz: zlib; lz4: no content
 * checksum). COMPRESS_NONE is not a valid argument: add no filter instead. */
Filter *filter_compress_new(CompressType type, int level, bool raw);
Filter *filter_decompress_new(CompressType type, bool raw);

/* For a caller that checks the SHA-1 of everything `filter` (a decompressor) produces: skip the format's own
 * content checksum (lz4's XXH32), which would check the same bytes a second time. Other types: no effect. */
void filter_decompress_skip_checksum(Filter *filter);

/* For a caller that records the SHA-1 of everything it feeds `filter` (a compressor, before any data), as backup
 * does in the manifest (checked by every restore and verify, pgBackRest's included): lz4 then writes independent
 * 1 MiB blocks without the content checksum (XXH32), which any lz4 reader decodes and which compresses about 2.4x
 * faster than the default frame (the XXH32 alone costs more than the compression of pgbench data). Other types: no
 * effect. */
void filter_compress_set_checksummed(Filter *filter);
/* An lz4 compressor for one large file that spreads its 256 KiB blocks over `workers` threads while the caller
 * keeps the content checksum (when `content_checksum`): one LZ4 frame (independent blocks) that every lz4 reader,
 * pgBackRest's included, decodes like filter_compress_new(COMPRESS_LZ4, level, false)'s. Without the content
 * checksum the frame is laid out as filter_compress_set_checksummed's, in smaller blocks. Memory: about 512 KiB x
 * (4 x workers + 1); input pushed with pipeline_push_stable() is compressed where it is (not copied). For
 * archive-push, where one segment is on the critical path, and backup's largest files. */
Filter *filter_lz4_parallel_new(int level, unsigned workers, bool content_checksum);

/* Let a zst compressor (from filter_compress_new, before any data) run on `threads` worker threads of libzstd
 * while the caller feeds it: the same zstd frame format, for one large file at a time (archive-push, large backup
 * files). Jobs of 2 MiB: a 16 MiB segment makes 8, and the buffers of a context stay near 20 MiB with two threads
 * (libzstd's default, 4 windows = 8 MiB at level 3, needed three times that for no CPU saved). Other types, or a
 * libzstd without threads: no effect. */
void filter_compress_set_threads(Filter *filter, unsigned threads);

#endif
