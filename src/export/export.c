/* SPDX-License-Identifier: MIT */
/* The table of output formats: names, file-name endings and writers. */
#include "export.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "collapsed.h"
#include "error.h"
#include "pprof.h"
#include "pstats.h"
#include "speedscope.h"
#include "svg.h"

struct format {
    const char *name;
    const char *endings[3];        /* longest first: ".speedscope.json" before ".json" */
    export_writer write;           /* NULL: not in this build */
};

static const struct format formats[EXPORT_FORMATS] = {
    [EXPORT_COLLAPSED] = {"collapsed", {".txt", ".collapsed", ".folded"}, collapsed_write},
    [EXPORT_SPEEDSCOPE] = {"speedscope", {".speedscope.json", ".json"}, speedscope_write},
    [EXPORT_PPROF] = {"pprof", {".pb.gz", ".pprof"}, pprof_write},
    [EXPORT_PSTATS] = {"pstats", {".prof", ".pstats"}, pstats_write},
    [EXPORT_SVG] = {"svg", {".svg"}, svg_write},
};

int export_format_parse(const char *name, enum export_format *out)
{
    for (int i = 0; i < EXPORT_FORMATS; i++) {
        if (strcmp(name, formats[i].name) == 0) {
            *out = (enum export_format)i;
            return 0;
        }
    }
    return ERR_USAGE;
}

/* Case-insensitively: "PROFILE.JSON" asks for speedscope as "profile.json" does. */
static int ends_with(const char *s, size_t n, const char *tail)
{
    size_t m = strlen(tail);
    return n > m && strcasecmp(s + n - m, tail) == 0;
}

enum export_format export_format_for_path(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    for (int i = 0; i < EXPORT_FORMATS; i++)
        for (int k = 0; k < 3 && formats[i].endings[k]; k++)
            if (ends_with(path, n, formats[i].endings[k]))
                return (enum export_format)i;
    return EXPORT_COLLAPSED;
}

const char *export_format_name(enum export_format fmt)
{
    return (unsigned)fmt < EXPORT_FORMATS ? formats[fmt].name : "?";
}

const char *export_format_ending(enum export_format fmt)
{
    return (unsigned)fmt < EXPORT_FORMATS ? formats[fmt].endings[0] : "";
}

int export_format_available(enum export_format fmt)
{
    return (unsigned)fmt < EXPORT_FORMATS && formats[fmt].write != NULL;
}

const char *export_format_list(void)
{
    static char list[128];
    if (list[0])
        return list;
    size_t len = 0;
    for (int i = 0; i < EXPORT_FORMATS && len < sizeof list; i++)
        if (formats[i].write)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "",
                                    formats[i].name);
    return list;
}

int export_write(FILE *f, enum export_format fmt, const struct table *t,
                 const struct export_meta *meta)
{
    if (!export_format_available(fmt))
        return ERR_USAGE;
    return formats[fmt].write(f, t, meta);
}
