/* SPDX-License-Identifier: MIT */
/* The run's output files: open early, write all from one table, commit each. */
#include "outputs.h"

#include <errno.h>

#include "error.h"

int outputs_init(struct outputs *o, const char *const *paths, size_t n, int format,
                 const char **bad)
{
    *o = (struct outputs){0};
    if (n > OUTPUTS_MAX) {
        *bad = paths[OUTPUTS_MAX];
        return ERR_USAGE;
    }
    for (size_t i = 0; i < n; i++) {
        o->path[i] = paths[i];
        o->format[i] = format >= 0 ? (enum export_format)format : export_format_for_path(paths[i]);
        if (!export_format_available(o->format[i])) {
            *bad = paths[i];
            return ERR_USAGE;
        }
    }
    o->n = n;
    return 0;
}

int outputs_open(struct outputs *o, const char **bad)
{
    for (o->opened = 0; o->opened < o->n; o->opened++) {
        if (outfile_open(&o->file[o->opened], o->path[o->opened]) < 0) {
            int e = errno;
            *bad = o->path[o->opened];
            outputs_abort(o);
            errno = e;
            return ERR_IO;
        }
    }
    return 0;
}

int outputs_write(struct outputs *o, const struct table *t, const struct export_meta *meta,
                  const char **bad)
{
    int first = 0, first_errno = 0;
    for (size_t i = 0; i < o->opened; i++) {
        errno = 0;
        int rc = export_write(o->file[i].f, o->format[i], t, meta);
        if (rc == 0)
            rc = outfile_commit(&o->file[i]);
        else
            outfile_abort(&o->file[i]);
        if (rc < 0 && !first) {
            first = rc;
            first_errno = errno ? errno : EIO;
            *bad = o->path[i];
        }
    }
    o->opened = 0;
    errno = first_errno;
    return first;
}

void outputs_abort(struct outputs *o)
{
    for (size_t i = 0; i < o->opened; i++)
        outfile_abort(&o->file[i]);
    o->opened = 0;
}

int outputs_has(const struct outputs *o, enum export_format fmt)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->format[i] == fmt)
            return 1;
    return 0;
}
