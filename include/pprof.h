/* SPDX-License-Identifier: MIT */
/* Export of the table as pprof's profile.proto (github.com/google/pprof,
 * proto/profile.proto), gzipped: what `go tool pprof`, Pyroscope and Parca
 * read. Encoded with pbenc.h (no protobuf library: five message types).
 *
 * Contents:
 *   sample_type  with the states of the stacks known (export_meta.by_mode,
 *                a live run): a type per mode, samples/count (wall: every
 *                sample), cpu/count (on a CPU), gil/count (holding the
 *                GIL), idle/count (neither), and alloc_space/bytes (the
 *                growth of resident memory, memory mode) and
 *                freed_space/bytes (its shrinking, released mode) each
 *                when it is the mode or has a count (pprof_type_name);
 *                default_sample_type the run's mode,
 *                so that `go tool pprof` shows what the collapsed output
 *                of the run shows. Without them (a profile read from a
 *                file, the live view's save): [samples/count,
 *                MODE/nanoseconds], the counts being those of the table
 *                (its mode) and the second value the count times the
 *                interval, or [alloc_space/bytes] in memory mode
 *                ([freed_space/bytes] in released mode)
 *   sample       one per thread and distinct stack (of any type): location
 *                ids leaf first, a value per type, labels thread_name (str,
 *                absent for an unnamed thread), thread_id (num), pid (num),
 *                and on an asyncio task's stack task (str: the innermost task)
 *   location     one per (function, line), id from 1, one Line {function_id,
 *                line} (line 0 when unknown); no mappings (Python code has no
 *                addresses)
 *   function     one per function used, id from 1: name and system_name the
 *                qualified name, filename, start_line (the first line, 0 when
 *                unknown); the marker frames ([unreadable], [truncated],
 *                [outside your code], [no Python frame]) are functions without
 *                a file
 *   period_type  MODE / nanoseconds, period = the interval (space / bytes,
 *                period 1, in the modes of bytes)
 *   time_nanos   start of sampling (Unix ns), duration_nanos
 *   comment      "proftui: V", "python: V", "mode: wall", "interval: Nns",
 *                "samples: N rounds", "missed: N rounds", "lost: N rounds",
 *                "failed: N stacks (torn A, cycle B, corrupt C, read D)",
 *                "pid: N (launched|attached)", "command: ...", "only: ...",
 *                "warning: ..." (the last three when there is one)
 * string_table[0] is "". Strings from the target are made valid UTF-8 with
 * no control characters: each invalid byte and each control character
 * (C0, DEL, C1, U+2028/9) becomes '?', as in the collapsed output, so a
 * name reads the same in both. With meta NULL: no comments, times or pid
 * label, period 0, wall mode. The tables of by_mode must be of the
 * same profile as t, synced at the same time (modeset.h): their function
 * ids and thread indices are t's. */
#ifndef PROFTUI_PPROF_H
#define PROFTUI_PPROF_H

#include <stdio.h>

#include "export.h"     /* struct export_meta */
#include "table.h"      /* enum table_mode */

struct table;

/* Write the table (borrowed, read only) to f as gzipped profile.proto.
 * Returns 0, ERR_NOMEM, ERR_IO when writing fails, or ERR_USAGE when a
 * table of meta->by_mode names a function t's ids do not
 * reach (not of one profile: a caller's bug). */
int pprof_write(FILE *f, const struct table *t, const struct export_meta *meta);

/* The same profile, not gzipped, in a buffer the caller frees (*out,
 * *len): for tests and for --push. Returns 0, ERR_NOMEM or ERR_USAGE. */
int pprof_encode(const struct table *t, const struct export_meta *meta, unsigned char **out,
                 size_t *len);

/* The sample type of mode m: "samples" (wall), "alloc_space" (memory),
 * "freed_space" (released), else the mode's name (cpu, gil, idle); its
 * unit "count", or "bytes" for a mode of bytes. The importer reads them
 * back by these names. */
const char *pprof_type_name(enum table_mode m);
const char *pprof_type_unit(enum table_mode m);

#endif
