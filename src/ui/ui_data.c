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

/* Rows from a flat view (hot_line = line; see ui_snap_apply_hot_lines);
 * names are borrowed from the table, whose
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
 * one), as fast as possible: one function- or line-level view, names,
 * threads. A thread index the table does not know (yet) yields no rows. */
static int copy_table(struct ui_snap *out, const struct table *t)
{
    struct flat_view v = {.rows = NULL};
    int rc = 0;
    if (out->thread == TABLE_NONE || out->thread < table_thread_count(t))
        rc = table_flat(t, out->thread, out->by_line, &v);
    if (rc == 0)
        rc = copy_rows(out, t, &v);
    if (rc == 0)
        rc = copy_threads(out, t);
    flat_view_free(&v);
    return rc;
}

/* Put the threads in order and replace *snap; on error *snap is unchanged
 * and next is freed. */
static int finish(struct ui_snap *snap, struct ui_snap *next, int rc)
{
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
    sampler_lock(s);
    int rc = copy_table(&next, sampler_table(s));
    sampler_unlock(s);
    /* The counters come a moment after the rows (the sampler takes its
     * lock again); a round may fall in between, which no one can see. */
    sampler_get_stats(s, &next.stats);
    return finish(snap, &next, rc);
}

int ui_snap_take_table(struct ui_snap *snap, const struct table *t, uint32_t thread, int by_line)
{
    struct ui_snap next = {.thread = thread, .by_line = by_line};
    int rc = copy_table(&next, t);
    next.stats = (struct sampler_stats){.taken = table_samples(t), .running = 1, .exit_status = -1};
    return finish(snap, &next, rc);
}

/* Is (line, total, own) a busier line than b? More total samples, then
 * more own, then the lower line. */
static int busier(const struct flat_row *f, const struct hot *b)
{
    if (b->line < 0 || f->total != b->total)
        return b->line < 0 || f->total > b->total;
    return f->own != b->own ? f->own > b->own : f->line < b->line;
}

/* The busiest line of every function from a line-level view. */
static int hot_from_view(struct ui_hot_lines *h, const struct flat_view *v, size_t nfuncs, uint32_t thread)
{
    size_t n = nfuncs ? nfuncs : 1;
    struct hot *best = malloc(n * sizeof *best);
    int32_t *lines = malloc(n * sizeof *lines);
    if (!best || !lines) {
        free(best);
        free(lines);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < nfuncs; i++)
        best[i] = (struct hot){.line = -1};
    for (size_t i = 0; i < v->n; i++) {
        const struct flat_row *f = &v->rows[i];
        if (f->func < nfuncs && f->line >= 0 && busier(f, &best[f->func]))
            best[f->func] = (struct hot){.line = f->line, .total = f->total, .own = f->own};
    }
    for (size_t i = 0; i < nfuncs; i++)
        lines[i] = best[i].line;
    free(best);
    ui_snap_hot_lines_free(h);
    *h = (struct ui_hot_lines){.line = lines, .n = nfuncs, .thread = thread};
    return 0;
}

static int line_view(struct flat_view *v, size_t *nfuncs, const struct table *t, uint32_t thread)
{
    *nfuncs = table_func_count(t);
    if (thread != TABLE_NONE && thread >= table_thread_count(t))
        return 0;
    return table_flat(t, thread, 1, v);
}

int ui_snap_hot_lines(struct ui_hot_lines *h, struct sampler *s, uint32_t thread)
{
    struct flat_view v = {.rows = NULL};
    size_t nfuncs;
    sampler_lock(s);
    int rc = line_view(&v, &nfuncs, sampler_table(s), thread);
    sampler_unlock(s);
    if (rc == 0)
        rc = hot_from_view(h, &v, nfuncs, thread);
    flat_view_free(&v);
    return rc;
}

int ui_snap_hot_lines_table(struct ui_hot_lines *h, const struct table *t, uint32_t thread)
{
    struct flat_view v = {.rows = NULL};
    size_t nfuncs;
    int rc = line_view(&v, &nfuncs, t, thread);
    if (rc == 0)
        rc = hot_from_view(h, &v, nfuncs, thread);
    flat_view_free(&v);
    return rc;
}

void ui_snap_hot_lines_free(struct ui_hot_lines *h)
{
    free(h->line);
    *h = (struct ui_hot_lines){.line = NULL, .thread = TABLE_NONE};
}

void ui_snap_apply_hot_lines(struct ui_snap *snap, const struct ui_hot_lines *h)
{
    if (snap->by_line)
        return;
    for (size_t i = 0; i < snap->nrows; i++) {
        struct ui_row *r = &snap->rows[i];
        r->hot_line = r->func < h->n ? h->line[r->func] : -1;
    }
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
