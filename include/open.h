/* SPDX-License-Identifier: MIT */
/* --open FILE: a saved profile in the live view (no sampler), or, with
 * -o, converted to the -o files' formats (headless). */
#ifndef PROFTUI_OPEN_H
#define PROFTUI_OPEN_H

#include <signal.h>
#include <stddef.h>

struct cli;
struct profile;
struct table;

/* Load cli->open (import.h) and show it, or write it to every -o file.
 * Prints one line on stderr on failure. Returns the exit status
 * (exitcode.h): EXIT_INPUT for a file that cannot be read or is
 * malformed, EXIT_USAGE for a format without stacks (pstats, svg). */
int open_run(const struct cli *cli, volatile sig_atomic_t *quit);

/* --diff BASELINE: load cli->diff into a new profile (*out, caller frees
 * with profile_free) before anything runs. Returns 0 or the exit status
 * after a one-line message. */
int open_baseline(const struct cli *cli, struct profile **out);

/* The live view's baseline (--diff with the live view): a read-only
 * table of base (caller frees with table_free; NULL on ENOMEM after a
 * one-line message) and what it is in label: "PATH: COMMAND, started
 * YYYY-MM-DD HH:MM:SS" (local time; parts unknown are left out). */
struct table *open_baseline_table(struct profile *base, const char *path, char *label, size_t cap);

/* Write the comparison of `now` (labelled now_label) with base to cli's one
 * -o file (diff.h), atomically. Returns 0 or the exit status after a
 * one-line message. */
int open_compare(const struct cli *cli, struct profile *base, const struct table *now,
                 const char *now_label);

#endif
