/* SPDX-License-Identifier: MIT */
/* --open FILE: a saved profile in the live view (no sampler), or, with
 * -o, converted to the -o files' formats (headless). */
#ifndef PROFTUI_OPEN_H
#define PROFTUI_OPEN_H

#include <signal.h>

struct cli;

/* Load cli->open (import.h) and show it, or write it to every -o file.
 * Prints one line on stderr on failure. Returns the exit status
 * (exitcode.h): EXIT_INPUT for a file that cannot be read or is
 * malformed, EXIT_USAGE for a format without stacks (pstats, svg). */
int open_run(const struct cli *cli, volatile sig_atomic_t *quit);

#endif
