/* SPDX-License-Identifier: MIT */
/* The top view's state and its rows: the flat per-function (or per-line)
 * rows of the selected thread(s), derived from the replica without any
 * lock, each function's busiest line, the sort column and direction, the
 * horizontal scroll and the model (filter, threshold, windowed sort,
 * stable selection). Drawn by ui_grid.c and ui_details.c; bound to keys
 * and the loop by view_top.c. No curses here. */
#ifndef PROFTUI_UI_TOP_H
#define PROFTUI_UI_TOP_H

#include <stddef.h>
#include <stdint.h>

#include "ui_model.h"

struct table;
struct ui_state;

/* The table's columns. Keys 1..8 sort by the first eight, which are in
 * screen order; the split of the own samples on a CPU (key 9) shows after
 * %TOTAL when the profile keeps it (table_keeps_where). */
enum ui_col {
    UI_COL_OWN,          /* own samples */
    UI_COL_TOTAL,        /* total samples */
    UI_COL_OWN_TIME,
    UI_COL_TOTAL_TIME,
    UI_COL_OWN_PCT,
    UI_COL_TOTAL_PCT,
    UI_COL_FUNC,
    UI_COL_LOC,
    UI_COL_PY,           /* of the own samples on a CPU: ran Python */
    UI_COL_C,            /* ran C code the frame called */
    UI_COL_SYS,          /* ran in the kernel */
    UI_COL_COUNT
};
#define UI_COL_KEYED 8   /* the columns keys 1..8 sort by */

struct ui_top {
    enum ui_col sort_col;
    int reversed;                 /* against the column's natural direction */
    int hscroll;                  /* columns the name and location are scrolled by */
    struct ui_row *rows;          /* owned; names borrowed from the replica */
    size_t nrows;
    uint64_t samples;             /* of the thread(s) shown: the 100 % */
    int where;                    /* the rows have the split by where (UI_COL_PY..SYS) */
    int bytes;                    /* the counts are bytes (memory, released modes) */
    uint32_t thread;              /* what the rows are of */
    int by_line;
    int32_t *hot;                 /* owned: each function's busiest line, -1 unknown */
    size_t nhot;
    uint32_t hot_thread;          /* the thread(s) hot is for */
    uint64_t hot_at, hot_cost;    /* when it was computed, and how long that took */
    int hot_stale;
    int hot_final;                /* recomputed once sampling ended */
    struct ui_model model;
    size_t drawn_top, drawn_sel;  /* the window and selection on screen */
};

/* Defaults: sort by %own, no rows. */
void ui_top_init(struct ui_top *top);
void ui_top_free(struct ui_top *top);

/* The sort key behind a column. */
enum ui_sort_key ui_top_sort_key(enum ui_col col);

/* The model parameters the view's and the shared settings mean. */
struct ui_model_params ui_top_params(const struct ui_top *top, const struct ui_state *st);

/* Derive the rows of `thread` (a table thread index or TABLE_NONE) at
 * function or line level from t, and at function level each function's
 * busiest line (O(rows) on a replica: table_flat). An unknown thread
 * yields no rows. 0 or ERR_NOMEM (the rows are then empty). */
int ui_top_rows(struct ui_top *top, const struct table *t, uint32_t thread, int by_line);

/* Recompute each function's busiest line for `thread` (a function-level
 * flat view; ui_top_rows at function level does it too). */
int ui_top_hot_lines(struct ui_top *top, const struct table *t, uint32_t thread);

/* Set the rows' hot_line from the busiest lines (function level only). */
void ui_top_apply_hot_lines(struct ui_top *top);

/* Does a row lack its busiest line (a function new since they were computed)? */
int ui_top_lines_missing(const struct ui_top *top);

#endif
