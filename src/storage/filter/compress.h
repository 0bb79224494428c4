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

/* An lz4 compressor for one large file that spreads its 1 MiB blocks over `workers` threads while the caller
 * keeps the content checksum: one LZ4 frame (independent blocks, content checksum) that every lz4 reader,
 * pgBackRest's included, decodes like filter_compress_new(COMPRESS_LZ4, level, false)'s. Memory: about
 * 2 MiB x (2 x workers + 1). For archive-push, where one segment is on the critical path. */
Filter *filter_lz4_parallel_new(int level, unsigned workers);

/* Let a zst compressor (from filter_compress_new, before any data) run on `threads` worker threads of libzstd
 * while the caller feeds it: the same zstd frame format, for one large file at a time (archive-push). Other types,
 * or a libzstd without threads: no effect. */
void filter_compress_set_threads(Filter *filter, unsigned threads);

#endif
