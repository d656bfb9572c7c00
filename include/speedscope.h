/* SPDX-License-Identifier: MIT */
/* Export of the table in speedscope's JSON file format
 * (https://www.speedscope.app/file-format-schema.json), which speedscope
 * opens directly and validators check against that schema.
 *
 * Layout (one line per key below, compact JSON in the file):
 *   "$schema":  the schema's URL (speedscope recognises the file by it)
 *   "exporter": "proftui <version>"
 *   "name":     the launched command, or "pid <pid>" when attached
 *               (speedscope's page title)
 *   "activeProfileIndex": the thread with the most samples (shown first)
 *   "profiles": one "sampled" profile per thread with samples, by OS thread
 *               id, named "<thread name> (tid N)" ("tid N" for an unnamed
 *               thread; once processes are followed: "<name> (pid P, tid N)")
 *   "shared":   {"frames": [...]}, shared by every profile
 *   "proftui":  the metadata the schema has no field for (below)
 *
 * Frames. One frame per function (name, file and first line), not per line:
 * speedscope merges samples by frame, so a frame per (function, line) would
 * split a function into one box per line in its flame chart and one row per
 * line in its table, and the function's share would not appear anywhere.
 * "line" is the function's first line when the table knows it, and absent
 * otherwise; "file" is absent for a function without one. The marker
 * frames [truncated], [unreadable] and [outside your code] (see
 * collapsed.h) are frames of that name alone, and a sample with no Python
 * frame gets the frame "[no Python frame]".
 *
 * Samples. Each distinct stack (by function) of a thread appears once, root
 * first, with its weight: the samples it had times the sampling interval,
 * unit "nanoseconds", so speedscope shows estimated time ("1.20s") beside
 * the share; without metadata (meta NULL) the weight is the sample count,
 * unit "none". startValue is 0, endValue the sum of the weights. Stacks
 * come in depth-first order with children sorted by name, file and first
 * line, frames numbered in order of first use, so equal profiles give
 * equal files however they were recorded.
 *
 * Metadata. "proftui": {"version", "python" (null when unknown), "mode"
 * ("wall" or "cpu"), "interval_ns", "start" (ISO 8601 UTC, null when
 * unknown), "start_unix_ns", "duration_ns", "rounds": {"taken", "missed",
 * "lost"}, "failed": {"torn", "cycle", "corrupt", "read"}, "pid",
 * "command" (null when attached), "only" (null without --only),
 * "warning" (null when none), "threads": [{"tid", "name", "samples",
 * "failed": {...}}]}, the same facts as the collapsed output's '#' lines.
 * Integers are exact JSON integers (start_unix_ns exceeds what a
 * JavaScript number holds exactly: "start" has it as text). speedscope
 * ignores the key; the schema allows it.
 *
 * Escaping. Names, files and thread names come from the target. Strings
 * are JSON strings: '"' and '\' are escaped, C0 and C1 controls, DEL and
 * U+2028/U+2029 become \uXXXX escapes, each byte of invalid UTF-8 becomes
 * U+FFFD; other valid UTF-8 passes through. So the file is valid UTF-8
 * JSON whatever a name holds. */
#ifndef PROFTUI_SPEEDSCOPE_H
#define PROFTUI_SPEEDSCOPE_H

#include <stdio.h>

#include "export.h"     /* struct export_meta */

struct table;

/* Write the table (borrowed, read only) to f in speedscope's format; meta
 * may be NULL (then no "proftui" key, name "proftui profile", weights in
 * samples). Returns 0, ERR_NOMEM, or ERR_IO when writing fails. */
int speedscope_write(FILE *f, const struct table *t, const struct export_meta *meta);

/* Write s (NUL-terminated, untrusted) to f as a JSON string with its
 * quotes, escaped as above. Errors show in ferror(f). */
void speedscope_put_string(FILE *f, const char *s);

#endif
