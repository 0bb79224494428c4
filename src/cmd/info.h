/*
 * cmd/info: render an info report (engine/ops/info.h) as pgBackRest 2.45 prints it (doc/info-output.md).
 */
#ifndef GAIAREST_CMD_INFO_H
#define GAIAREST_CMD_INFO_H

#include <stdint.h>

#include "common/buf.h"
#include "engine/ops/info.h"

/* pgBackRest's human size: "512B", "953.7KB", "1MB", "38.0MB" (see the spec for the rounding rule). */
void info_size_format(uint64_t size, Buf *out);

/* Append the text output of the report. */
void info_render_text(const InfoReport *report, Buf *out);

/* Append the JSON output of the report (one line, no newline). */
void info_render_json(const InfoReport *report, Buf *out);

#endif
