/* SPDX-License-Identifier: MIT */
/* The files one run writes (-o, repeatable): each opened before sampling
 * (so an unwritable path fails at once), each in its own format, all
 * written from one table when the run ends, each atomically (outfile.h). */
#ifndef PROFTUI_OUTPUTS_H
#define PROFTUI_OUTPUTS_H

#include <stddef.h>

#include "export.h"
#include "outfile.h"

#define OUTPUTS_MAX 8

struct outputs {
    size_t n;
    const char *path[OUTPUTS_MAX];          /* borrowed */
    enum export_format format[OUTPUTS_MAX];
    struct outfile file[OUTPUTS_MAX];
    size_t opened;                          /* file[0..opened) are open */
};

/* Set the paths and formats: format >= 0 for every path, else each path's
 * ending. Returns 0, or ERR_USAGE (with *bad set to the path) when a
 * format is not in this build or there are too many paths. */
int outputs_init(struct outputs *o, const char *const *paths, size_t n, int format,
                 const char **bad);

/* Open every file for writing. Returns 0, or ERR_IO with *bad the path
 * that failed (errno kept); nothing stays open then. */
int outputs_open(struct outputs *o, const char **bad);

/* Write t to every file and move each into place. Returns 0, or an error
 * with *bad the first path that failed (errno kept); the other files are
 * still written. The outputs are closed afterwards either way. */
int outputs_write(struct outputs *o, const struct table *t, const struct export_meta *meta,
                  const char **bad);

/* Drop everything (leaves existing files untouched). */
void outputs_abort(struct outputs *o);

/* Whether one of the outputs is in format fmt (pprof: it carries every
 * mode, export_meta.by_mode). */
int outputs_has(const struct outputs *o, enum export_format fmt);

#endif
