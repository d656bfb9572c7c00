/* SPDX-License-Identifier: MIT */
/* The live view's shared settings, which every view obeys and the global
 * keys change: thread selection, filter, threshold, aggregation level,
 * paths, pause, help, refresh interval, the active view, and requests
 * (moves, thread steps, view switches) for the loop to carry out. A
 * view's own settings (the top view's sort column...) live in the view.
 * No curses, no sampler. */
#ifndef PROFTUI_UI_STATE_H
#define PROFTUI_UI_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "ui_data.h"
#include "ui_prompt.h"

#define UI_FILTER_MAX 128
#define UI_BACK_MAX 32       /* views remembered for Esc / Backspace */
#define UI_STATUS_MAX 512    /* the footer's message after an action (save) */

/* A pending selection move, carried out by the loop (it knows the page). */
enum ui_move {
    UI_MOVE_NONE,
    UI_MOVE_LINE,        /* one row */
    UI_MOVE_PAGE,        /* one window */
    UI_MOVE_EDGE,        /* first / last row */
};

struct ui_state {
    double threshold_pct;         /* rows whose %total is below are hidden */
    char filter[UI_FILTER_MAX];   /* "" = no filter */
    int editing;                  /* the filter is being typed */
    int by_line;                  /* line-level aggregation */
    int full_paths;
    int lens;                     /* "your code first": views read the lensed table */
    int mode;                     /* enum table_mode the views count in (key m) */
    int tasks;                    /* the views show asyncio task stacks, not threads' (key a) */
    int native;                   /* the views show native (C) frames where they were sampled
                                   * (--native; key X hides them), the default */
    int native_key;               /* C was pressed: say so when there is nothing to show */
    uint32_t task;                /* ... of this task alone ("[task NAME]" function id, chosen
                                   * in the threads view), TABLE_NONE: every task */
    uint32_t thread;              /* table thread index, or TABLE_NONE for all */
    int proc_only;                /* the views show one process's threads ... */
    uint32_t proc_pid;            /* ... this one (the threads view, key T) */
    int thread_step;              /* pending: -1 previous view, +1 next */
    int paused;
    int help;                     /* the help screen is up */
    int help_top;                 /* first help line shown */
    double refresh_s;
    enum ui_move move;            /* pending selection move */
    int move_dir;                 /* -1 up, +1 down */
    size_t view;                  /* the active view (index in the registry) */
    size_t view_prev;             /* the view shown before it */
    size_t view_next;             /* pending: the view to switch to */
    uint32_t selected;            /* the active view's selected function (set before each key) */
    uint32_t focus;               /* the function an opened view shows, or TABLE_NONE */
    struct { size_t view; uint32_t focus; } back[UI_BACK_MAX];   /* where Esc goes back to */
    size_t nback;
    struct ui_prompt prompt;      /* the save key's file name prompt (ui_save.h) */
    char status[UI_STATUS_MAX];   /* a message on the footer until the next key, or "" */
    int status_error;             /* the message is an error */
};

/* Defaults: all threads, function level, the first view, the given
 * refresh interval and threshold (clamped to sane ranges). */
void ui_state_init(struct ui_state *st, double refresh_s, double threshold_pct);

/* Ask for view `view` (registry index) opened on function func, and
 * remember the current view and focus for ui_state_back(). Nothing
 * happens for func TABLE_NONE. Returns enum ui_react flags. */
unsigned ui_state_open(struct ui_state *st, size_t view, uint32_t func);

/* Ask for the view (and focus) that was shown before the last
 * ui_state_open(); nothing when there is none. Returns enum ui_react flags. */
unsigned ui_state_back(struct ui_state *st);

/* The next threshold step above (dir > 0) or below (dir < 0) pct on the
 * ladder 0, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50 %; the end stays put. */
double ui_state_threshold_step(double pct, int dir);

/* The next refresh interval on the ladder 0.1 .. 10 s (dir > 0: slower). */
double ui_state_refresh_step(double s, int dir);

/* The thread view after `cur` in direction dir: all threads (TABLE_NONE)
 * first, then threads[0..n) in their order (by name, then id); wraps. */
uint32_t ui_state_next_thread(uint32_t cur, const struct ui_thread *threads, size_t n, int dir);

#endif
