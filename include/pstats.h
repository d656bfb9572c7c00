/* SPDX-License-Identifier: MIT */
/* Export of the table as the marshalled dictionary Python's pstats module
 * loads (pstats.Stats(path), python3 -m pstats), the file
 * cProfile's dump_stats() writes.
 *
 * Content. One entry per function, every thread together (the format has
 * no threads):
 *   (file, first line, name): (cc, nc, tt, ct, callers)
 * with file "~" and line 0 for the frames that stand for no Python function
 * ([truncated], [unreadable], [outside your code], [no Python frame]: pstats
 * prints those keys as the bare name, as it does cProfile's built-ins), and
 * line 0 when the table does not know a function's first line.
 *
 * Counts. A sampled profile has no call counts, so the two count fields
 * hold samples, as CPython 3.15's own sampler (Lib/profiling/sampling/
 * pstats_collector.py) writes them: cc ("primitive calls") is the samples
 * in which the function was running (the leaf), nc ("calls") the samples
 * in which it was on the stack, once per sample however deep a recursion
 * goes. tt = cc x interval and ct = nc x interval, in seconds (estimated
 * own and cumulative time; the requested interval, so rounds that were
 * missed are not in it). So pstats's ncalls column reads "on stack/running"
 * in samples, and its percall columns divide times by samples.
 * callers maps each direct caller to (nc, cc, tt, ct) in cProfile's order
 * for an edge: nc the samples in which the caller calls the function
 * directly (once per sample), cc those of them in which the function was
 * the leaf, tt = cc x interval, ct = nc x interval. Summed over callers, tt
 * gives the function's tt (less the samples where it was the outermost
 * frame).
 * CPython 3.15 also writes the key ('__sampled__',) to switch pstats to
 * its sampled-profile labels; Python 3.8-3.14 cannot load a file with that
 * key, so it is not written.
 *
 * Metadata (pid, mode, interval, threads, versions) and the stacks have no
 * place in the dictionary. So that proftui can open the file again (the
 * call tree needs stacks, which caller->callee pairs cannot give back),
 * the whole profile follows the dictionary as proftui's pprof file
 * (pprof.h: every thread, state and the metadata):
 *   PSTATS_PROFILE_MARK <decimal byte count> '\n' <the gzipped pprof>
 * marshal reads one object and leaves what follows it, so pstats.Stats,
 * `python3 -m pstats` and snakeviz read the dictionary as before and never
 * see the trailer. The mark starts with a newline and a '#', which no
 * marshalled string of this file can hold (control characters are
 * replaced) and no marshalled length can end with (a name would be
 * gigabytes long).
 *
 * Encoding. marshal types that Python 3.8-3.15 all read: dict, small tuple
 * (with marshal's reference flag, so a key repeated in callers is written
 * once), int (32-bit, or marshal's long for larger counts), binary float,
 * str (UTF-8). Names and files come from the target: control characters
 * and invalid UTF-8 become '?' as in the collapsed output (';' is kept);
 * two functions whose keys are then equal are merged into one entry. */
#ifndef PROFTUI_PSTATS_H
#define PROFTUI_PSTATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "export.h"     /* struct export_meta */

struct table;

/* Write the table (borrowed, read only) to f as a marshalled pstats
 * dictionary and, after it, the profile as pprof (meta, required, gives
 * the times and the pprof's metadata and states). Returns 0, ERR_NOMEM, ERR_IO when writing fails, or ERR_USAGE
 * when meta is NULL. */
int pstats_write(FILE *f, const struct table *t, const struct export_meta *meta);

/* What ends the dictionary and starts the trailer (see above). */
#define PSTATS_PROFILE_MARK "\n#proftui-profile pprof "
/* The trailer's profile of d[0..n), a pstats file: 0 with *prof and *len
 * set (a part of d, not validated further); 1 when there is no trailer
 * (another tool's pstats file); ERR_INPUT when it is cut short or followed
 * by other bytes. */
int pstats_find_profile(const uint8_t *d, size_t n, const uint8_t **prof, size_t *len);

#endif
