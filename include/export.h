/* SPDX-License-Identifier: MIT */
/* Writing a profile in one of the formats other tools read. One table of
 * formats (src/export/export.c) gives each its name for -f/--format, the
 * file-name endings that choose it, and its writer; main.c and the live
 * view's save key go through export_write() only. */
#ifndef PROFTUI_EXPORT_H
#define PROFTUI_EXPORT_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "table.h"      /* TABLE_MODES */

enum export_format {
    EXPORT_COLLAPSED,       /* folded stacks (collapsed.h): the default */
    EXPORT_SPEEDSCOPE,      /* speedscope's JSON file format */
    EXPORT_PPROF,           /* gzipped protobuf profile.proto (go tool pprof, Pyroscope) */
    EXPORT_PSTATS,          /* marshalled dict read by Python's pstats */
    EXPORT_SVG,             /* a self-contained interactive flame graph */
    EXPORT_FORMATS
};

/* What a profile is of and how it was taken, for every format. Strings are
 * borrowed; NULL where marked means "not known / not applicable". */
struct export_meta {
    int64_t pid;                  /* the target */
    const char *version;          /* proftui version, e.g. "0.1.0" */
    const char *python_version;   /* e.g. "3.11.7", or NULL when unknown */
    int mode;                     /* enum table_mode: what the counts are (--mode) */
    uint64_t interval_ns;         /* requested sampling interval */
    uint64_t start_unix_ns;       /* wall-clock time sampling started (0: unknown) */
    uint64_t duration_ns;         /* time spent sampling */
    uint64_t taken;               /* sampling rounds performed */
    uint64_t missed;              /* rounds skipped because one came too late */
    uint64_t lost;                /* rounds whose thread list could not be read */
    const char *command;          /* the launched command line, or NULL when attached */
    const char *warning;          /* a caveat about the profile (e.g. a newer Python), or NULL */
    const char *only;             /* the lens's roots (--only), or NULL without the lens */
    /* The same profile in each mode (modeset.h), for the formats that
     * carry every thread state (pprof); all NULL when the per-stack states
     * are not at hand (a file read back, the live view's save): those
     * formats then write the one table they get. */
    const struct table *by_mode[TABLE_MODES];
};

/* A writer: the table (borrowed, read only) to f. meta may be NULL for the
 * formats that say so. Returns 0, ERR_NOMEM, or ERR_IO. */
/* The text of a thread's states line, after "# " in collapsed stacks and
 * as a pprof comment: its pid and tid, then struct table_states' cpu, gil,
 * wait, idle and samples (the importers read it back). */
#define EXPORT_STATE_LINE "state: P%" PRIu32 " T%" PRIu64 " cpu %" PRIu64 ", gil %" PRIu64 \
                          ", wait %" PRIu64 ", idle %" PRIu64 " of %" PRIu64 " samples"

typedef int (*export_writer)(FILE *f, const struct table *t, const struct export_meta *meta);

/* The format named `name` ("collapsed", "speedscope", "pprof", "pstats",
 * "svg"). 0, or ERR_USAGE for an unknown name. */
int export_format_parse(const char *name, enum export_format *out);
/* The format a file name asks for by its ending (".json" -> speedscope,
 * ".pb.gz" -> pprof ..., in any case: ".JSON" too), collapsed when nothing
 * matches (and for "-"). */
enum export_format export_format_for_path(const char *path);
/* The format's name, and the ending a new file of it gets (".txt" ...). */
const char *export_format_name(enum export_format fmt);
const char *export_format_ending(enum export_format fmt);
/* Whether this build can write the format (its writer exists). */
int export_format_available(enum export_format fmt);
/* "collapsed, speedscope, ..." of the available formats, for messages. */
const char *export_format_list(void);

/* Write t to f in fmt. Returns 0, ERR_NOMEM, ERR_IO, or ERR_USAGE for a
 * format this build cannot write. */
int export_write(FILE *f, enum export_format fmt, const struct table *t,
                 const struct export_meta *meta);

#endif
