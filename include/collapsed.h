/* SPDX-License-Identifier: MIT */
/* Export of the table in the collapsed-stack ("folded") format read by
 * flamegraph.pl, speedscope, inferno and others.
 *
 * Format. Metadata lines come first, each "# key: value"; then one line per
 * distinct stack, root first, sorted bytewise so equal tables give equal files:
 *
 *   P<pid>;T<tid> <thread name>;<function> (<file>:<line>);... <count>
 *
 * The thread frame is "T<tid>" alone when the thread has no name. A sample
 * with no Python frame gets the single frame "[no Python frame]" so that
 * every line ends with a frame that cannot be read as a number. An unknown
 * line (-1) prints as "?": "<function> (<file>:?)". A stack cut at the
 * walker's depth bound starts (at the root end) with the bare frame
 * "[truncated]", and a sample whose stack could not be read is the single
 * bare frame "[unreadable]" (the table functions of those names with an
 * empty file, record.h).
 * With the "your code first" lens (--only, lens.h), stacks keep only the
 * user's frames and a stack with none of them is the bare frame
 * "[outside your code]".
 * Counts sum to the samples in the table.
 *
 * Escaping. Names, files and thread names come from the target and are not
 * trusted. Inside frames:
 *   ';' (the frame separator) becomes ':' (as stackcollapse-perf.pl does);
 *   C0 controls (including \n, \r, \t), DEL, C1 controls (U+0080..U+009F)
 *   and the Unicode line/paragraph separators U+2028/U+2029 become '?';
 *   each byte of invalid UTF-8 (overlong, surrogate, truncated, > U+10FFFF)
 *   becomes '?'. Valid UTF-8 passes through unchanged.
 * So no name can add a line or a frame, and the output is valid UTF-8.
 * Metadata values get the same treatment except that ';' is kept.
 *
 * Metadata never ends in "<space><number>": both flamegraph.pl and speedscope
 * take any line ending that way as a stack with a count, '#' or not ("# pid:
 * 1234" would become a frame "# pid:" with 1234 samples). So counts carry a
 * unit and a free-text value whose last word is a number is double-quoted
 * (quotes inside are not escaped: these lines are for people). Keys, in order:
 *   # proftui: 0.1.0
 *   # python: 3.11.7                  ("unknown" when not given)
 *   # mode: wall                      (or cpu)
 *   # interval: 1000us                (ns when not a whole number of us)
 *   # duration: 2.013s
 *   # samples: 2013 rounds            (sampling rounds taken)
 *   # missed: 0 rounds
 *   # lost: 0 rounds                  (of samples: the thread list could not be read)
 *   # failed: 3 stacks (torn 2, cycle 0, corrupt 0, read 1)
 *                                     (samples recorded as [unreadable], by reason;
 *                                      from the table's per-thread counts)
 *   # recorded: 4026 stacks           (the sum of the counts below)
 *   # pid: 1234 (launched)            (or attached)
 *   # command: "python3 app.py 10"    (launched only; always quoted)
 *   # only: "/srv/app,/srv/lib/x.py"  (with --only: the user's code; always
 *                                     quoted; library time charged to it)
 *   # warning: Python 3.16.0 is newer than proftui knows (3.8-3.15); layout
 *     from its debug offsets and the 3.15 table       (only when there is one)
 *   # thread: 1234 (pid 1234) "MainThread" 2013 samples, 3 failed (torn 2, cycle 0,
 *     corrupt 0, read 1)              (one per thread with samples, by process, then
 *                                      thread id: OS thread id, its process (left out
 *                                      when unknown; older files have none), name
 *                                      always quoted, its samples (failed included)
 *                                      and failures by reason)
 * flamegraph.pl skips the '#' lines with one warning "Ignored N lines with
 * invalid format"; speedscope's importer skips them silently. */
#ifndef PROFTUI_COLLAPSED_H
#define PROFTUI_COLLAPSED_H

#include <stdint.h>
#include <stdio.h>

#include "export.h"     /* struct export_meta */

struct table;


/* Write the table (borrowed, read only) to f in collapsed format. With meta
 * NULL, only the stack lines are written and they start at the thread frame
 * (no "P<pid>" frame). Returns 0, ERR_NOMEM, or ERR_IO when writing fails. */
int collapsed_write(FILE *f, const struct table *t, const struct export_meta *meta);

#endif
