/* SPDX-License-Identifier: MIT */
/* Writing a profile safely: a regular file is written to a temporary file
 * in the same directory and renamed over the target at the end, so it is
 * never left truncated; '-', pipes and devices are written directly. */
#ifndef PROFTUI_OUTFILE_H
#define PROFTUI_OUTFILE_H

#include <stdio.h>

struct outfile {
    FILE *f;             /* write here between open and commit */
    char *path;          /* final path (owned), NULL for stdout */
    char *tmp;           /* temporary path (owned), NULL when writing directly */
};

/* Open path for writing (checks it is writable before any sampling).
 * Returns 0 or ERR_IO (errno kept for the message). */
int outfile_open(struct outfile *o, const char *path);

/* Flush, sync and move into place. Returns 0 or ERR_IO (the temporary file
 * is removed and the original left untouched). Frees o's resources. */
int outfile_commit(struct outfile *o);

/* Drop everything written; leaves any existing file untouched. */
void outfile_abort(struct outfile *o);

#endif
