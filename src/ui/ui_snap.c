/* SPDX-License-Identifier: MIT */
/* Snapshots of the sampler's table for the live view. */
#include "ui_snap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "table.h"

/* The busiest line of one function, while scanning a line-level view. */
struct hot {
    int32_t line;
    uint64_t total, own;
};

/* What is copied while the sampler's lock is held. */
struct raw {
    struct flat_view funcs;     /* the rows asked for */
    struct flat_view lines;     /* line-level rows, for the hot lines (function level only) */
    size_t nfuncs;              /* functions interned when the copy was made */
};

static int by_name_then_tid(const void *pa, const void *pb)
{
    const struct ui_thread *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    return (a->tid > b->tid) - (a->tid < b->tid);
}

static int copy_threads(struct ui_snap *out, const struct table *t)
{
    size_t n = table_thread_count(t);
    if (n == 0)
        return 0;
    out->threads = calloc(n, sizeof *out->threads);
    if (!out->threads)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        struct ui_thread *th = &out->threads[i];
        th->index = (uint32_t)i;
        th->tid = table_thread_tid(t, (uint32_t)i);
        th->samples = table_thread_samples(t, (uint32_t)i);
        snprintf(th->name, sizeof th->name, "%s", table_thread_name(t, (uint32_t)i));
    }
    out->nthreads = n;
    return 0;
}

/* Rows from a flat view; names are borrowed from the table, whose
 * interned strings never move (table.h: valid for the table's life). */
static int copy_rows(struct ui_snap *out, const struct table *t, const struct flat_view *v)
{
    out->samples = v->samples;
    if (v->n == 0)
        return 0;
    out->rows = malloc(v->n * sizeof *out->rows);
    if (!out->rows)
        return ERR_NOMEM;
    for (size_t i = 0; i < v->n; i++) {
        const struct flat_row *f = &v->rows[i];
        out->rows[i] = (struct ui_row){
            .func = f->func, .line = f->line, .hot_line = f->line,
            .own = f->own, .total = f->total,
            .name = table_func_name(t, f->func),
            .file = table_func_file(t, f->func),
        };
    }
    out->nrows = v->n;
    return 0;
}

/* Everything that reads the table (under the sampler's lock when there is
 * one), as fast as possible. A thread index the table does not know (yet)
 * yields no rows. */
static int copy_table(struct ui_snap *out, struct raw *raw, const struct table *t)
{
    int rc = 0;
    int known = out->thread == TABLE_NONE || out->thread < table_thread_count(t);
    raw->nfuncs = table_func_count(t);
    if (known)
        rc = table_flat(t, out->thread, out->by_line, &raw->funcs);
    if (rc == 0 && known && !out->by_line)
        rc = table_flat(t, out->thread, 1, &raw->lines);
    if (rc == 0)
        rc = copy_rows(out, t, &raw->funcs);
    if (rc == 0)
        rc = copy_threads(out, t);
    return rc;
}

/* Give each function-level row the line holding most of its samples. */
static int set_hot_lines(struct ui_snap *out, const struct raw *raw)
{
    if (out->by_line || raw->nfuncs == 0 || out->nrows == 0)
        return 0;
    struct hot *hot = calloc(raw->nfuncs, sizeof *hot);
    if (!hot)
        return ERR_NOMEM;
    for (size_t i = 0; i < raw->nfuncs; i++)
        hot[i].line = -1;
    for (size_t i = 0; i < raw->lines.n; i++) {
        const struct flat_row *f = &raw->lines.rows[i];
        if (f->func >= raw->nfuncs || f->line < 0)
            continue;
        struct hot *h = &hot[f->func];
        if (f->total > h->total || (f->total == h->total && f->own > h->own) || h->line < 0)
            *h = (struct hot){.line = f->line, .total = f->total, .own = f->own};
    }
    for (size_t i = 0; i < out->nrows; i++)
        if (out->rows[i].func < raw->nfuncs)
            out->rows[i].hot_line = hot[out->rows[i].func].line;
    free(hot);
    return 0;
}

/* Finish a snapshot outside the lock: hot lines, thread order; then it
 * replaces *snap. On error *snap is unchanged and next is freed. */
static int finish(struct ui_snap *snap, struct ui_snap *next, struct raw *raw, int rc)
{
    if (rc == 0)
        rc = set_hot_lines(next, raw);
    flat_view_free(&raw->funcs);
    flat_view_free(&raw->lines);
    if (rc < 0) {
        ui_snap_free(next);
        return rc;
    }
    if (next->nthreads > 1)
        qsort(next->threads, next->nthreads, sizeof *next->threads, by_name_then_tid);
    ui_snap_free(snap);
    *snap = *next;
    return 0;
}

int ui_snap_take(struct ui_snap *snap, struct sampler *s, uint32_t thread, int by_line)
{
    struct ui_snap next = {.thread = thread, .by_line = by_line};
    struct raw raw = {.nfuncs = 0};
    sampler_lock(s);
    int rc = copy_table(&next, &raw, sampler_table(s));
    sampler_unlock(s);
    /* The counters come a moment after the rows (the sampler takes its
     * lock again); a round may fall in between, which no one can see. */
    sampler_get_stats(s, &next.stats);
    return finish(snap, &next, &raw, rc);
}

int ui_snap_take_table(struct ui_snap *snap, const struct table *t, uint32_t thread, int by_line)
{
    struct ui_snap next = {.thread = thread, .by_line = by_line};
    struct raw raw = {.nfuncs = 0};
    int rc = copy_table(&next, &raw, t);
    next.stats = (struct sampler_stats){.taken = table_samples(t), .running = 1, .exit_status = -1};
    return finish(snap, &next, &raw, rc);
}

void ui_snap_free(struct ui_snap *snap)
{
    free(snap->rows);
    free(snap->threads);
    *snap = (struct ui_snap){.thread = snap->thread, .by_line = snap->by_line};
}

const struct ui_thread *ui_snap_thread(const struct ui_snap *snap, uint32_t index)
{
    for (size_t i = 0; i < snap->nthreads; i++)
        if (snap->threads[i].index == index)
            return &snap->threads[i];
    return NULL;
}
