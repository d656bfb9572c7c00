/* SPDX-License-Identifier: MIT */
/* The live view's settings as the keys change them: sort column and
 * direction, threshold, filter, aggregation level, thread view, paths,
 * pause, help, refresh interval, and requests (moves, thread steps) for
 * the loop to carry out. No curses, no sampler. */
#ifndef PROFTUI_UI_VIEW_H
#define PROFTUI_UI_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "ui_model.h"
#include "ui_snap.h"

#define UI_FILTER_MAX 128

/* The table's columns, in screen order. Keys 1..8 sort by them. */
enum ui_col {
    UI_COL_OWN,          /* own samples */
    UI_COL_TOTAL,        /* total samples */
    UI_COL_OWN_TIME,
    UI_COL_TOTAL_TIME,
    UI_COL_OWN_PCT,
    UI_COL_TOTAL_PCT,
    UI_COL_FUNC,
    UI_COL_LOC,
    UI_COL_COUNT
};

/* A pending selection move, carried out by the loop (it knows the page). */
enum ui_move {
    UI_MOVE_NONE,
    UI_MOVE_LINE,        /* one row */
    UI_MOVE_PAGE,        /* one window */
    UI_MOVE_EDGE,        /* first / last row */
};

struct ui_view {
    enum ui_col sort_col;
    int reversed;                 /* against the column's natural direction */
    double threshold_pct;         /* rows whose %total is below are hidden */
    char filter[UI_FILTER_MAX];   /* "" = no filter */
    int editing;                  /* the filter is being typed */
    int by_line;                  /* line-level aggregation */
    int full_paths;
    int hscroll;                  /* columns the name and location are scrolled by */
    uint32_t thread;              /* table thread index, or TABLE_NONE for all */
    int thread_step;              /* pending: -1 previous view, +1 next */
    int paused;
    int help;                     /* the help screen is up */
    int help_top;                 /* first help line shown */
    double refresh_s;
    enum ui_move move;            /* pending selection move */
    int move_dir;                 /* -1 up, +1 down */
};

/* Defaults: sort by own time, all threads, function level, the given
 * refresh interval and threshold (clamped to sane ranges). */
void ui_view_init(struct ui_view *v, double refresh_s, double threshold_pct);

/* The model parameters these settings mean. */
struct ui_model_params ui_view_params(const struct ui_view *v);

/* The sort key behind a column. */
enum ui_sort_key ui_view_sort_key(enum ui_col col);

/* The next threshold step above (dir > 0) or below (dir < 0) pct on the
 * ladder 0, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50 %; the end stays put. */
double ui_view_threshold_step(double pct, int dir);

/* The next refresh interval on the ladder 0.1 .. 10 s (dir > 0: slower). */
double ui_view_refresh_step(double s, int dir);

/* The thread view after `cur` in direction dir: all threads (TABLE_NONE)
 * first, then threads[0..n) in their order (by name, then id); wraps. */
uint32_t ui_view_next_thread(uint32_t cur, const struct ui_thread *threads, size_t n, int dir);

#endif
