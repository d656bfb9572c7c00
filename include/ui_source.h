/* SPDX-License-Identifier: MIT */
/* The source view's model: one function's samples per line (own: the
 * line was running; total: the line was on the stack, counted once per
 * sample) in the thread(s) shown, read from the replica, and the
 * function's source file read locally with bounds (a size cap, binary
 * files refused, only regular files), split into lines, tabs expanded on
 * the way to the screen, the function's extent found from its first
 * line (co_firstlineno). No curses: view_source.c draws it. */
#ifndef PROFTUI_UI_SOURCE_H
#define PROFTUI_UI_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"

struct table;

#define UI_SOURCE_MAX_BYTES (4u << 20)    /* larger files are not shown */
#define UI_SOURCE_LINES_MAX 65536         /* distinct lines counted per function */
#define UI_SOURCE_DENSE_LINES 65536       /* lines 0 .. this - 1 are indexed directly */
#define UI_SOURCE_SPARSE_MAX 64           /* other lines (-1: unknown...) counted per function */
#define UI_SOURCE_TAB 8
#define UI_SOURCE_PATH_MAX 4096

/* ---- samples per line ---- */

struct ui_line_stat {
    int32_t line;
    uint64_t own, total;
    uint64_t where[TABLE_WHERES];  /* of own, on a CPU by where it ran (tree_where) */
};

struct ui_line_stats {
    struct ui_line_stat *items;   /* owned; by line */
    size_t n, cap;
    uint64_t own, total;          /* the function's own and total samples */
    uint64_t samples;             /* the thread(s)' samples: the 100 % */
    size_t dropped;               /* frames of lines past the caps, not counted */
    /* Scratch, owned: per table node. */
    uint32_t *near;
    size_t scratch_cap;
    uint32_t *dense;              /* line -> index in items, for lines below UI_SOURCE_DENSE_LINES */
    uint32_t sparse[UI_SOURCE_SPARSE_MAX];   /* items of the other lines */
    size_t nsparse;
};

void ui_line_stats_free(struct ui_line_stats *s);

/* Count func's samples per line in thread (index, or TABLE_NONE for all)
 * of t, replacing what s held: one pass over the nodes, then one over
 * func's frames climbing through func's outer frames only. 0 or
 * ERR_NOMEM (s is then empty). */
int ui_line_stats_count(struct ui_line_stats *s, const struct table *t, uint32_t thread, uint32_t func);

/* The stats of one line, or NULL when it has none. */
const struct ui_line_stat *ui_line_stats_find(const struct ui_line_stats *s, int32_t line);

/* The line with most total samples (ties: most own, then the first), or
 * -1 when there is none. */
int32_t ui_line_stats_hottest(const struct ui_line_stats *s);

/* ---- the file ---- */

enum ui_src_status {
    UI_SRC_NONE,             /* nothing loaded */
    UI_SRC_OK,
    UI_SRC_PSEUDO,           /* "<frozen ...>", "<string>"...: no file */
    UI_SRC_ERRNO,            /* open / read failed: err */
    UI_SRC_NOT_REGULAR,      /* a directory, a device, a fifo... */
    UI_SRC_TOO_BIG,          /* over the size cap */
    UI_SRC_BINARY,           /* has NUL bytes */
    UI_SRC_NOMEM,
};

struct ui_srcfile {
    enum ui_src_status status;
    int err;                      /* errno for UI_SRC_ERRNO */
    char path[UI_SOURCE_PATH_MAX];/* as opened (relative names resolved against cwd) */
    char *text;                   /* owned, NUL-terminated */
    size_t len;
    uint32_t *starts;             /* owned: offset of each line */
    size_t nlines;
};

/* Read `file` (a code object's file name: relative names are resolved
 * against cwd, which may be NULL), at most max_bytes, replacing what s
 * held. s->status says how it went; always returns s->status. */
enum ui_src_status ui_srcfile_load(struct ui_srcfile *s, const char *file, const char *cwd, size_t max_bytes);

void ui_srcfile_free(struct ui_srcfile *s);

/* Line i (0-based) without its end of line; *len its bytes. NULL past the end. */
const char *ui_srcfile_line(const struct ui_srcfile *s, size_t i, size_t *len);

/* Why nothing is shown, in a few words ("file not found"...). */
const char *ui_srcfile_why(const struct ui_srcfile *s, char *buf, size_t cap);

/* Copy len bytes of a line into out (cap bytes, NUL-terminated) with tabs
 * expanded to UI_SOURCE_TAB columns (counting a UTF-8 sequence as one)
 * and a trailing '\r' dropped. Returns the bytes written. */
size_t ui_srcfile_expand(char *out, size_t cap, const char *line, size_t len);

/* The lines [*first, *last] (1-based) of the function named `name` (a
 * qualified name; its last part is looked for) whose first line (its
 * first decorator or its def: co_firstlineno) is first_line (-1 when
 * unknown) and whose samples fall on lines lo..hi: from its first line to
 * the last line indented under its def (bracketed, continued and string
 * lines followed), the sampled lines always included. When first_line
 * does not start a definition of that name (unknown, or the file
 * changed), the def is searched upwards from lo (less indented).
 * "<module>" is the whole file; a "<lambda>"... starts at its first line;
 * without a def, lo..hi (0..0 when nothing is known). */
void ui_srcfile_extent(const struct ui_srcfile *s, const char *name, int32_t first_line, int32_t lo, int32_t hi,
                       int32_t *first, int32_t *last);

#endif
