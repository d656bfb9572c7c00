/* SPDX-License-Identifier: MIT */
/* The top view's rows: flat rows and busiest lines from a replica. */
#include "ui_top.h"

#include <stdlib.h>

#include "error.h"
#include "table.h"
#include "ui_state.h"

/* The busiest line of one function, while scanning a line-level view. */
struct hot {
    int32_t line;
    uint64_t total, own;
};

void ui_top_init(struct ui_top *top)
{
    *top = (struct ui_top){.sort_col = UI_COL_OWN_PCT, .thread = TABLE_NONE, .hot_thread = TABLE_NONE,
                           .hot_stale = 1};
    ui_model_init(&top->model);
}

void ui_top_free(struct ui_top *top)
{
    free(top->rows);
    free(top->hot);
    ui_model_free(&top->model);
    *top = (struct ui_top){.rows = NULL};
}

enum ui_sort_key ui_top_sort_key(enum ui_col col)
{
    switch (col) {
    case UI_COL_TOTAL:
    case UI_COL_TOTAL_TIME:
    case UI_COL_TOTAL_PCT:
        return UI_SORT_TOTAL;
    case UI_COL_FUNC:
        return UI_SORT_NAME;
    case UI_COL_LOC:
        return UI_SORT_LOCATION;
    default:
        return UI_SORT_OWN;
    }
}

struct ui_model_params ui_top_params(const struct ui_top *top, const struct ui_state *st)
{
    return (struct ui_model_params){
        .key = ui_top_sort_key(top->sort_col),
        .reversed = top->reversed,
        .threshold_pct = st->threshold_pct,
        .filter = st->filter,
    };
}

/* Rows from a flat view (hot_line = line; see ui_top_apply_hot_lines);
 * names are borrowed from the replica, whose interned strings never move. */
static int copy_rows(struct ui_top *top, const struct table *t, const struct flat_view *v)
{
    struct ui_row *rows = NULL;
    if (v->n) {
        rows = malloc(v->n * sizeof *rows);
        if (!rows)
            return ERR_NOMEM;
    }
    for (size_t i = 0; i < v->n; i++) {
        const struct flat_row *f = &v->rows[i];
        rows[i] = (struct ui_row){
            .func = f->func, .line = f->line, .hot_line = f->line,
            .own = f->own, .total = f->total,
            .name = table_func_name(t, f->func),
            .file = table_func_file(t, f->func),
        };
    }
    free(top->rows);
    top->rows = rows;
    top->nrows = v->n;
    top->samples = v->samples;
    return 0;
}

int ui_top_rows(struct ui_top *top, const struct table *t, uint32_t thread, int by_line)
{
    struct flat_view v = {.rows = NULL};
    int rc = 0;
    top->thread = thread;
    top->by_line = by_line;
    if (thread == TABLE_NONE || thread < table_thread_count(t))
        rc = table_flat(t, thread, by_line, &v);
    if (rc == 0)
        rc = copy_rows(top, t, &v);
    if (rc < 0) {
        free(top->rows);
        top->rows = NULL;
        top->nrows = 0;
        top->samples = 0;
    }
    flat_view_free(&v);
    return rc;
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
static int hot_from_view(struct ui_top *top, const struct flat_view *v, size_t nfuncs)
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
    free(top->hot);
    top->hot = lines;
    top->nhot = nfuncs;
    return 0;
}

int ui_top_hot_lines(struct ui_top *top, const struct table *t, uint32_t thread)
{
    struct flat_view v = {.rows = NULL};
    size_t nfuncs = table_func_count(t);
    int rc = 0;
    if (thread == TABLE_NONE || thread < table_thread_count(t))
        rc = table_flat(t, thread, 1, &v);
    if (rc == 0)
        rc = hot_from_view(top, &v, nfuncs);
    if (rc == 0) {
        top->hot_thread = thread;
        top->hot_stale = 0;
    }
    flat_view_free(&v);
    return rc;
}

void ui_top_apply_hot_lines(struct ui_top *top)
{
    if (top->by_line)
        return;
    for (size_t i = 0; i < top->nrows; i++) {
        struct ui_row *r = &top->rows[i];
        r->hot_line = r->func < top->nhot ? top->hot[r->func] : -1;
    }
}

int ui_top_lines_missing(const struct ui_top *top)
{
    for (size_t i = 0; i < top->nrows; i++)
        if (top->rows[i].func >= top->nhot || top->hot[top->rows[i].func] < 0)
            return 1;
    return 0;
}
