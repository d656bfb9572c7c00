/* SPDX-License-Identifier: MIT */
/* The top view's rows: flat rows and their busiest lines from a replica. */
#include "ui_top.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "table.h"
#include "ui_state.h"

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
    case UI_COL_PY:
        return UI_SORT_PYTHON;
    case UI_COL_C:
        return UI_SORT_C;
    case UI_COL_SYS:
        return UI_SORT_SYSTEM;
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

/* The busiest line of every function with a row, by function id (the
 * rows of the view carry them). */
static int keep_hot_lines(struct ui_top *top, const struct flat_view *v, size_t nfuncs, uint32_t thread)
{
    if (nfuncs > top->nhot || !top->hot) {
        int32_t *hot = realloc(top->hot, (nfuncs ? nfuncs : 1) * sizeof *hot);
        if (!hot)
            return ERR_NOMEM;
        top->hot = hot;
    }
    top->nhot = nfuncs;
    for (size_t i = 0; i < nfuncs; i++)
        top->hot[i] = -1;
    for (size_t i = 0; i < v->n; i++)
        if (v->rows[i].func < nfuncs)
            top->hot[v->rows[i].func] = v->rows[i].hot_line;
    top->hot_thread = thread;
    top->hot_stale = 0;
    top->hot_at = clock_now_ns();
    return 0;
}

/* Rows from a flat view; names are borrowed from the replica, whose
 * interned strings never move. */
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
            .func = f->func, .line = f->line, .hot_line = f->hot_line,
            .own = f->own, .total = f->total,
            .name = table_func_name(t, f->func),
            .file = table_func_file(t, f->func),
            .native = table_func_is_native(t, f->func),
        };
        memcpy(rows[i].where, f->where, sizeof rows[i].where);
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
    top->where = table_keeps_where(t);
    top->bytes = table_mode_counts_bytes(table_get_mode(t));
    if (thread == TABLE_NONE || thread < table_thread_count(t))
        rc = table_flat(t, thread, by_line, &v);
    if (rc == 0)
        rc = copy_rows(top, t, &v);
    if (rc == 0 && !by_line)
        rc = keep_hot_lines(top, &v, table_func_count(t), thread);
    if (rc < 0) {
        free(top->rows);
        top->rows = NULL;
        top->nrows = 0;
        top->samples = 0;
    }
    flat_view_free(&v);
    return rc;
}

int ui_top_hot_lines(struct ui_top *top, const struct table *t, uint32_t thread)
{
    struct flat_view v = {.rows = NULL};
    int rc = 0;
    if (thread == TABLE_NONE || thread < table_thread_count(t))
        rc = table_flat(t, thread, 0, &v);
    if (rc == 0)
        rc = keep_hot_lines(top, &v, table_func_count(t), thread);
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
