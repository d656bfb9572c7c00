/* SPDX-License-Identifier: MIT */
/* The diff view (key d, shown first with --diff BASELINE): each
 * function's total and own share now and in the baseline and the change,
 * functions new since the baseline or gone from it marked, sortable by the
 * change or by the shares. The comparison itself is diff.c's (matched by
 * name and file, as the headless -o OUT --diff BASELINE). */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "diff.h"
#include "error.h"
#include "table.h"
#include "ui.h"
#include "ui_data.h"
#include "ui_flame_diff.h"
#include "ui_header.h"
#include "ui_help.h"
#include "ui_keys.h"
#include "ui_layout.h"
#include "ui_list.h"
#include "ui_paint.h"
#include "ui_state.h"
#include "ui_views_list.h"

#define CELL 8                          /* a number column: " -12.34" and a space */
#define NUM_COLS 6
#define STATUS_W 6
#define TEXT_MAX 1024

enum diff_order { ORDER_CHANGE, ORDER_NOW, ORDER_BASE, ORDER_COUNT };

struct diff_view {
    struct diff d;                      /* the comparison of the thread(s) shown */
    struct ui_flame_diff fd;            /* the functions matched with the baseline's, kept */
    const struct table *now;            /* the table it was built from (borrowed) */
    struct array_keyed *vis, *tmp;      /* rows shown (filter, threshold), in order: what the order
                                         * sorts on (key) and the index in d.rows (id: diff.c's
                                         * order, which ties keep); tmp: scratch */
    size_t nvis, cap;
    struct ui_list list;                /* selection and window */
    enum diff_order order;
    int reversed;
    char keep_name[TEXT_MAX], keep_file[TEXT_MAX];   /* the selection, across rebuilds */
};

static const char *const order_names[ORDER_COUNT] = {"change", "share now", "baseline share"};

static unsigned act_order(struct ui_state *st, void *view, int code)
{
    struct diff_view *dv = view;
    enum diff_order o = (enum diff_order)(code - '1');
    dv->reversed = o == dv->order ? !dv->reversed : 0;
    dv->order = o;
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static unsigned act_reverse(struct ui_state *st, void *view, int code)
{
    struct diff_view *dv = view;
    dv->reversed = !dv->reversed;
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static const struct ui_key diff_keys[] = {
    {{'1', '2', '3'}, "1 2 3", "1 2 3",
     "sort by the change (largest either way first), by the total share now, by the share in the "
     "baseline; the same key again reverses", "1-3", "1-3", "Sort", act_order},
    {{'r'}, "r", "r", "reverse the sort order", "r", "r", "Reverse", act_reverse},
};

static void *diff_create(void)
{
    return calloc(1, sizeof(struct diff_view));
}

static void diff_destroy(void *v)
{
    struct diff_view *dv = v;
    if (dv) {
        diff_free(&dv->d);
        ui_flame_diff_free(&dv->fd);
        free(dv->vis);
        free(dv->tmp);
    }
    free(dv);
}

static double order_key(const struct diff_view *dv, const struct diff_row *r)
{
    return dv->order == ORDER_CHANGE ? fabs(r->change) : dv->order == ORDER_NOW ? r->total_pct[0]
                                                                               : r->total_pct[1];
}

static int shown(const struct diff_row *r, const struct ui_state *st)
{
    if (r->total_pct[0] < st->threshold_pct && r->total_pct[1] < st->threshold_pct)
        return 0;
    return !st->filter[0] || strcasestr(r->name, st->filter) || strcasestr(r->file, st->filter);
}

/* The rows shown, in the view's order. */
static int arrange(struct diff_view *dv, const struct ui_state *st)
{
    if (dv->d.n > UINT32_MAX)
        return ERR_NOMEM;
    if (dv->d.n > dv->cap) {
        struct array_keyed *v = realloc(dv->vis, dv->d.n * sizeof *v);
        dv->vis = v ? v : dv->vis;
        struct array_keyed *t = realloc(dv->tmp, dv->d.n * sizeof *t);
        dv->tmp = t ? t : dv->tmp;
        if (!v || !t)
            return ERR_NOMEM;
        dv->cap = dv->d.n;
    }
    dv->nvis = 0;
    for (size_t i = 0; i < dv->d.n; i++)
        if (shown(&dv->d.rows[i], st))
            dv->vis[dv->nvis++] = (struct array_keyed){order_key(dv, &dv->d.rows[i]), (uint32_t)i};
    /* d.rows come by the change, largest first (then by name and file:
     * their index), which is this order already. */
    if (dv->order != ORDER_CHANGE)
        array_sort_desc(dv->vis, dv->tmp, dv->nvis);
    if (dv->reversed)
        for (size_t a = 0, b = dv->nvis; a + 1 < b; a++, b--) {
            struct array_keyed tmp = dv->vis[a];
            dv->vis[a] = dv->vis[b - 1];
            dv->vis[b - 1] = tmp;
        }
    return 0;
}

/* Remember the selected function (copied: the rows are about to go). */
static void keep_selection(struct diff_view *dv)
{
    dv->keep_name[0] = dv->keep_file[0] = '\0';
    if (!dv->nvis || dv->list.sel == 0)             /* on the first row: it rides on the top */
        return;
    const struct diff_row *r = &dv->d.rows[dv->vis[dv->list.sel].id];
    if (strlen(r->name) < TEXT_MAX && strlen(r->file) < TEXT_MAX) {
        memcpy(dv->keep_name, r->name, strlen(r->name) + 1);
        memcpy(dv->keep_file, r->file, strlen(r->file) + 1);
    }
}

static void restore_selection(struct diff_view *dv)
{
    if (!dv->keep_name[0])
        return;
    for (size_t k = 0; k < dv->nvis; k++) {
        const struct diff_row *r = &dv->d.rows[dv->vis[k].id];
        if (strcmp(r->name, dv->keep_name) == 0 && strcmp(r->file, dv->keep_file) == 0) {
            dv->list.sel = k;
            return;
        }
    }
}

static int diff_update(void *v, const struct ui_scene *sc, size_t height, unsigned why)
{
    struct diff_view *dv = v;
    int rc = 0;
    dv->list.height = height ? height : 1;
    if (!sc->opt->baseline) {
        dv->nvis = 0;
        return 0;
    }
    keep_selection(dv);
    if (why & (UI_WHY_DATA | UI_WHY_SCOPE | UI_WHY_SHOWN)) {
        diff_free(&dv->d);
        dv->now = sc->data->table;
        rc = ui_flame_diff_rows(&dv->fd, dv->now, sc->state->thread, sc->opt->baseline, &dv->d);
    }
    if (rc == 0)
        rc = arrange(dv, sc->state);
    if (rc < 0)
        dv->nvis = 0;
    restore_selection(dv);
    ui_list_clamp(&dv->list, dv->nvis);
    return rc;
}

static int diff_move(void *v, long delta)
{
    struct diff_view *dv = v;
    ui_list_move(&dv->list, delta, dv->nvis);
    return 1;                                  /* the body is cheap: redraw it whole */
}

static void draw_colhead(WINDOW *w, const struct diff_view *dv, const struct ui_scene *sc, int width)
{
    const struct ui_theme *t = sc->theme;
    static const char *const titles[NUM_COLS] = {"TOTAL%", "BASE", "CHANGE", "OWN%", "BASE", "CHANGE"};
    ui_paint_fill(w, 0, 0, width, ui_theme_attr(t, UI_EL_COLHEAD));
    for (int c = 0; c < NUM_COLS; c++) {
        int sorted = (dv->order == ORDER_CHANGE && c == 2) || (dv->order == ORDER_NOW && c == 0) ||
                     (dv->order == ORDER_BASE && c == 1);
        ui_paint_right(w, 0, c * CELL, titles[c], CELL - 1,
                       ui_theme_attr(t, sorted ? UI_EL_COLSORT : UI_EL_COLHEAD), t);
    }
    ui_paint_text(w, 0, NUM_COLS * CELL + 1, "STATUS FUNCTION (FILE)", width - NUM_COLS * CELL - 1, 0,
                  UI_TRUNC_END, ui_theme_attr(t, UI_EL_COLHEAD), t);
}

static enum ui_elem change_elem(double change)
{
    return change >= 0.005 ? UI_EL_HOT : change <= -0.005 ? UI_EL_LOC : UI_EL_DIM;
}

static void draw_row(WINDOW *w, int y, const struct diff_view *dv, const struct diff_row *r, int selected,
                     const struct ui_scene *sc, int width)
{
    const struct ui_theme *t = sc->theme;
    attr_t base = ui_theme_attr(t, selected ? UI_EL_SELECTED : UI_EL_NORMAL);
    ui_paint_fill(w, y, 0, width, base);
    double own_change = r->own_pct[0] - r->own_pct[1];
    double v[NUM_COLS] = {r->total_pct[0], r->total_pct[1], r->change, r->own_pct[0], r->own_pct[1], own_change};
    char cell[32], text[TEXT_MAX];
    for (int c = 0; c < NUM_COLS; c++) {
        snprintf(cell, sizeof cell, c == 2 || c == 5 ? "%+.2f" : "%.2f", v[c]);
        attr_t a = selected ? base : ui_theme_attr(t, c == 2 || c == 5 ? change_elem(v[c]) : UI_EL_NORMAL);
        ui_paint_right(w, y, c * CELL, cell, CELL - 1, a, t);
    }
    const char *status = r->status == DIFF_NEW ? "new" : r->status == DIFF_GONE ? "gone" : "";
    int x = NUM_COLS * CELL + 1;
    ui_paint_text(w, y, x, status, STATUS_W, 0, UI_TRUNC_END, selected ? base : ui_theme_attr(t, UI_EL_WARN), t);
    x += STATUS_W + 1;
    snprintf(text, sizeof text, "%s (%s)", r->name, r->file);
    if (width > x)
        ui_paint_text(w, y, x, text, width - x, 0, UI_TRUNC_END,
                      selected ? base : ui_theme_attr(t, UI_EL_FUNC), t);
}

static void draw_details(WINDOW *w, const struct diff_view *dv, const struct ui_scene *sc, int width)
{
    const struct ui_theme *t = sc->theme;
    werase(w);
    char text[TEXT_MAX];
    if (!dv->nvis)
        return;
    const struct diff_row *r = &dv->d.rows[dv->vis[dv->list.sel].id];
    snprintf(text, sizeof text, "%s %s (%s)", t->pointer, r->name, r->file);
    ui_paint_text(w, 0, 0, text, width, 0, UI_TRUNC_MIDDLE, ui_theme_attr(t, UI_EL_VALUE), t);
    snprintf(text, sizeof text, "  total %llu of %llu samples now, %llu of %llu in the baseline; own %llu, %llu%s",
             (unsigned long long)r->total[0], (unsigned long long)dv->d.samples[0],
             (unsigned long long)r->total[1], (unsigned long long)dv->d.samples[1],
             (unsigned long long)r->own[0], (unsigned long long)r->own[1],
             r->status == DIFF_NEW ? " (new since the baseline)" : r->status == DIFF_GONE ? " (gone)" : "");
    ui_paint_text(w, 1, 0, text, width, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_LABEL), t);
}

static void diff_draw(void *v, const struct ui_view_windows *w, const struct ui_scene *sc)
{
    struct diff_view *dv = v;
    int width = getmaxx(w->body);
    if (w->parts & (UI_PART_BODY | UI_PART_ROWS)) {
        werase(w->body);
        draw_colhead(w->body, dv, sc, width);
        if (!sc->opt->baseline)
            ui_paint_text(w->body, 1, 1, "No baseline: start proftui with --diff BASELINE (a saved profile) "
                          "to compare with it.", width - 1, 0, UI_TRUNC_END, ui_theme_attr(sc->theme, UI_EL_DIM),
                          sc->theme);
        for (size_t i = 0; i < dv->list.height && dv->list.top + i < dv->nvis; i++)
            draw_row(w->body, (int)i + UI_COLHEAD_LINES, dv, &dv->d.rows[dv->vis[dv->list.top + i].id],
                     dv->list.top + i == dv->list.sel, sc, width);
    }
    if (w->parts & UI_PART_DETAILS)
        draw_details(w->details, dv, sc, getmaxx(w->details));
}

/* The selected function's id in the table now (the callers and source
 * views open on it), TABLE_NONE for a function gone since the baseline. */
static uint32_t diff_selected_func(const void *v)
{
    const struct diff_view *dv = v;
    if (!dv->nvis || !dv->now)
        return TABLE_NONE;
    const struct diff_row *r = &dv->d.rows[dv->vis[dv->list.sel].id];
    if (r->status == DIFF_GONE)
        return TABLE_NONE;
    size_t n = table_func_count(dv->now);
    for (size_t f = 0; f < n; f++)
        if (strcmp(table_func_name(dv->now, (uint32_t)f), r->name) == 0 &&
            strcmp(table_func_file(dv->now, (uint32_t)f), r->file) == 0)
            return (uint32_t)f;
    return TABLE_NONE;
}

static unsigned diff_click(void *v, struct ui_state *st, int y, int x, int twice)
{
    struct diff_view *dv = v;
    if (y < UI_COLHEAD_LINES || dv->list.top + (size_t)(y - UI_COLHEAD_LINES) >= dv->nvis)
        return UI_REACT_NONE;
    dv->list.sel = dv->list.top + (size_t)(y - UI_COLHEAD_LINES);
    uint32_t f = diff_selected_func(dv);
    long callers = ui_views_find_key('\n');
    if (!twice || f == TABLE_NONE || callers < 0)
        return UI_REACT_REDRAW;
    return UI_REACT_REDRAW | ui_state_open(st, (size_t)callers, f);
}

static void diff_header(const void *v, const struct ui_scene *sc, struct ui_fields *fs)
{
    const struct diff_view *dv = v;
    const char *label = sc->opt->baseline_label;
    snprintf(ui_fields_add(fs, "Baseline", UI_EL_VALUE, 1), UI_FIELD_VALUE_MAX, "%s (%llu samples, all threads)",
             label ? label : "none", (unsigned long long)dv->d.samples[1]);
    snprintf(ui_fields_add(fs, "Sort", UI_EL_VALUE, 0), UI_FIELD_VALUE_MAX, "%s%s", order_names[dv->order],
             dv->reversed ? " (reversed)" : "");
    if (sc->state->filter[0] || sc->state->editing)
        snprintf(ui_fields_add(fs, "Filter", UI_EL_FILTER, 0), UI_FIELD_VALUE_MAX, "\"%s\" (%zu of %zu)",
                 sc->state->filter, dv->nvis, dv->d.n);
}

static const char *const notes[] = {
    "Each function's share of the samples now and in the baseline (--diff BASELINE, a saved profile), "
    "and the change in percentage points. TOTAL%: samples with the function anywhere on the stack; OWN%: "
    "samples with it innermost.",
    "Functions are matched by name and file, not by line (lines move between versions of a program). "
    "new: not in the baseline; gone: in the baseline only.",
    "Now is the thread(s) shown (Left / Right); the baseline is always its whole profile, all threads "
    "together: its threads are other threads.",
    "The filter matches names and files; the threshold hides a row when both shares are under it.",
    "The flame graph (f) colours frames by the change: red grew, blue shrank, grey neither or new.",
};

static void diff_help_page(struct ui_help *h)
{
    ui_help_section(h, "Comparing with a baseline");
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        ui_help_note(h, notes[i]);
}

const struct ui_view_ops ui_view_diff = {
    .name = "diff",
    .title = "comparison with the baseline",
    .key = 'd',
    .help = "diff: each function's share now and in the baseline (--diff) and the change",
    .keys = diff_keys,
    .nkeys = sizeof diff_keys / sizeof diff_keys[0],
    .create = diff_create,
    .destroy = diff_destroy,
    .update = diff_update,
    .move_by = diff_move,
    .draw = diff_draw,
    .selected_func = diff_selected_func,
    .header = diff_header,
    .help_page = diff_help_page,
    .click = diff_click,
};
