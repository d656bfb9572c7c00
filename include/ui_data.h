/* SPDX-License-Identifier: MIT */
/* A consistent copy of what the live view shows, taken from the sampler
 * in one short critical section: the flat rows of one thread (or all) at
 * function or line level, the thread list, and the sampler's counters. */
#ifndef PROFTUI_UI_SNAP_H
#define PROFTUI_UI_SNAP_H

#include <stddef.h>
#include <stdint.h>

#include "sampler.h"
#include "ui_model.h"

struct table;

#define UI_THREAD_NAME_MAX 64

struct ui_thread {
    uint32_t index;                   /* table thread index (stable) */
    uint64_t tid;                     /* OS thread id */
    char name[UI_THREAD_NAME_MAX];    /* copied; may be "" */
    uint64_t samples;
};

struct ui_snap {
    struct ui_row *rows;              /* owned; names borrowed from the table */
    size_t nrows;
    uint64_t samples;                 /* samples of the thread(s) shown */
    struct ui_thread *threads;        /* owned; ordered by name, then tid */
    size_t nthreads;
    struct sampler_stats stats;
    uint32_t thread;                  /* what was asked: a thread index or TABLE_NONE */
    int by_line;
};

/* Replace *snap with a new snapshot of the sampler's table for `thread`
 * (a table thread index, or TABLE_NONE for all threads) at function or
 * line level. An unknown thread index yields an empty row set. Returns 0,
 * or ERR_NOMEM with *snap unchanged. */
int ui_snap_take(struct ui_snap *snap, struct sampler *s, uint32_t thread, int by_line);

/* The same from a table the caller serialises access to (tests, the
 * benchmark): no sampler, so the counters are zero but for taken, which
 * is the table's sample count, and running. */
int ui_snap_take_table(struct ui_snap *snap, const struct table *t, uint32_t thread, int by_line);

/* The busiest line of each function (most total samples) for one thread
 * view: what LOCATION shows at function level. Deriving it takes a
 * line-level view of the whole table, much dearer than a snapshot, so the
 * caller refreshes it less often and applies it to each snapshot. */
struct ui_hot_lines {
    int32_t *line;       /* owned: indexed by function id; -1 when unknown */
    size_t n;            /* functions covered */
    uint32_t thread;     /* the thread view (or TABLE_NONE) they are for */
};

/* Recompute *h for `thread` from the sampler's table (taking its lock).
 * 0 or ERR_NOMEM (*h kept). */
int ui_snap_hot_lines(struct ui_hot_lines *h, struct sampler *s, uint32_t thread);

/* The same from a table the caller serialises access to. */
int ui_snap_hot_lines_table(struct ui_hot_lines *h, const struct table *t, uint32_t thread);
/* Free the lines and empty *h. */
void ui_snap_hot_lines_free(struct ui_hot_lines *h);

/* Set the hot_line of a function-level snapshot's rows from h (functions
 * h does not cover get -1). A line-level snapshot is left alone. */
void ui_snap_apply_hot_lines(struct ui_snap *snap, const struct ui_hot_lines *h);

/* Free what a snapshot owns and empty it. */
void ui_snap_free(struct ui_snap *snap);

/* The thread with table index `index`, or NULL. */
const struct ui_thread *ui_snap_thread(const struct ui_snap *snap, uint32_t index);

#endif
