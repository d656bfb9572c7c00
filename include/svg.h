/* SPDX-License-Identifier: MIT */
/* Export of the table as a self-contained interactive flame graph in SVG
 * (the kind flamegraph.pl, inferno and py-spy record write), for a browser.
 *
 * Layout. The root ("all") is at the bottom, flamegraph.pl's convention;
 * above it one frame per thread with samples (by thread id: "NAME (tid
 * TID)"), above each thread its call tree with the lines of a function
 * folded together (the table's nodes of one path of functions are one
 * frame; one pass over the nodes, whatever the number of threads),
 * children sorted by name. A frame's width is
 * its share of all samples of all threads, out of SVG_WIDTH pixels.
 * [unreadable], [truncated] and [outside your code] are frames, and the
 * samples with no Python frame are a frame "[no Python frame]" (as in the
 * collapsed output). A frame narrower than one pixel at full width is not
 * written, nor anything above it: its samples show as part of its parent's
 * leftover (the parent's width with no child above it), and zooming does
 * not bring it back. So the file holds at most about SVG_WIDTH frames per
 * row, whatever the number of stacks.
 *
 * Each frame is <g class="f" data-s data-n data-d> (first sample, samples,
 * depth) holding a <title> tooltip ("name", "file", "N samples, P%" on
 * three lines; the file with ":FIRSTLINE" when the function's first line
 * is known), a <rect> and a <text> label shortened to fit. Colours by
 * the family of the frame's file, as the live flame graph has them
 * (code_family_of): the user's code warm, the standard library green,
 * site-packages blue, <frozen ...> and other pseudo-files purple, frames
 * without a file (markers) grey, [unreadable] red; shades vary with the
 * name. An inline script (no network, no external file): click a frame to
 * zoom it to full width (its ancestors stay, dimmed), click the root or
 * "Reset zoom" to zoom out; "Search" asks for a regular expression (a
 * substring when it is not one), highlights the matching frames and shows
 * the share of samples they cover (nested matches counted once); hovering
 * a frame shows its details at the bottom.
 *
 * Escaping. Names, files and thread names come from the target: &, <, >,
 * " and ' become entities; control characters (C0, DEL, C1, U+2028/9),
 * the non-characters U+FFFE/U+FFFF (not allowed in XML) and each byte of
 * invalid UTF-8 become '?'. So no name can break the XML or reach the
 * script, and the file is valid UTF-8. The header line carries the
 * metadata: mode, interval, duration, samples, rounds, failed stacks,
 * Python and proftui versions, pid and command. */
#ifndef PROFTUI_SVG_H
#define PROFTUI_SVG_H

#include <stdio.h>

#include "export.h"     /* struct export_meta */

#define SVG_WIDTH 1200      /* pixels for all samples */

struct table;

/* Write the table (borrowed, read only) to f as an SVG flame graph. meta
 * may be NULL (no header line). Returns 0, ERR_NOMEM, or ERR_IO. */
int svg_write(FILE *f, const struct table *t, const struct export_meta *meta);

#endif
