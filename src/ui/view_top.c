/* SPDX-License-Identifier: MIT */
/* The top view (key t): functions (or lines) by own and total samples,
 * sortable by any column. Its keys, its update from the shared data, its
 * header fields and help page; ui_top.c derives its rows, ui_grid.c and
 * ui_details.c draw them. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "table.h"
#include "ui_data.h"
#include "ui_details.h"
#include "ui_fmt.h"
#include "ui_grid.h"
#include "ui_header.h"
#include "ui_help.h"
#include "ui_keys.h"
#include "ui_layout.h"
#include "ui_state.h"
#include "ui_top.h"
#include "ui_views_list.h"

#define HSCROLL_STEP 8
#define HSCROLL_MAX 4096
#define HOT_EVERY_NS 1000000000ULL     /* busiest lines: recomputed at most this often, */
#define HOT_SOON_NS 250000000ULL       /* or this when a row lacks its line... */
#define HOT_COST_SHARE 100             /* ...and no more than 1/100 of the time */

static unsigned act_sort_column(struct ui_state *st, void *view, int code)
{
    struct ui_top *top = view;
    enum ui_col col = (enum ui_col)(code - '1');
    if (col == top->sort_col) {
        top->reversed = !top->reversed;
    } else {
        top->sort_col = col;
        top->reversed = 0;
    }
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

/* Key 9: sort by the split of the own samples on a CPU, %C first, then
 * %SYS, %PY and %C again (most first). Nothing when it is not shown. */
static unsigned act_sort_split(struct ui_state *st, void *view, int code)
{
    struct ui_top *top = view;
    if (!top->where)
        return 0;
    top->sort_col = top->sort_col == UI_COL_C ? UI_COL_SYS : top->sort_col == UI_COL_SYS ? UI_COL_PY
                                                                                         : UI_COL_C;
    top->reversed = 0;
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static unsigned act_sort_step(struct ui_state *st, void *view, int code)
{
    struct ui_top *top = view;
    int n = top->where ? UI_COL_COUNT : UI_COL_KEYED;      /* the split only when shown */
    int step = code == '>' || code == '.' ? 1 : n - 1;
    top->sort_col = (enum ui_col)(((int)top->sort_col % n + step) % n);
    top->reversed = 0;
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static unsigned act_reverse(struct ui_state *st, void *view, int code)
{
    struct ui_top *top = view;
    top->reversed = !top->reversed;
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static unsigned act_hscroll(struct ui_state *st, void *view, int code)
{
    struct ui_top *top = view;
    if (code == 'h' || code == KEY_SLEFT)
        top->hscroll = top->hscroll > HSCROLL_STEP ? top->hscroll - HSCROLL_STEP : 0;
    else if (top->hscroll + HSCROLL_STEP <= HSCROLL_MAX)
        top->hscroll += HSCROLL_STEP;
    return UI_REACT_REDRAW;
}

/* The top view's bindings in help order; its footer hints follow the
 * global ones. */
static const struct ui_key top_keys[] = {
    {{'1', '2', '3', '4', '5', '6', '7', '8'}, "1 … 8", "1 .. 8",
     "sort by column 1 to 8 (numbered below); the same key again reverses",
     "1-8", "1-8", "Sort", act_sort_column},
    {{'9'}, "9", "9", "sort by the time in C, then in the kernel, then in Python (%C, %SYS, %PY)",
     NULL, NULL, NULL, act_sort_split},
    {{'<', '>', ',', '.'}, "< >", "< >", "sort by the column on the left / right",
     NULL, NULL, NULL, act_sort_step},
    {{'r'}, "r", "r", "reverse the sort order", "r", "r", "Reverse", act_reverse},
    {{'h', 'l', KEY_SLEFT, KEY_SRIGHT}, "h l  Shift-← →", "h l  Shift-Left Right",
     "scroll the function and location columns left / right", NULL, NULL, NULL, act_hscroll},
};

static void *top_create(void)
{
    struct ui_top *top = malloc(sizeof *top);
    if (top)
        ui_top_init(top);
    return top;
}

static void top_destroy(void *v)
{
    if (v)
        ui_top_free(v);
    free(v);
}

/* The busiest lines cost a line-level pass over the whole tree: refresh
 * them when stale or for another thread, else after HOT_EVERY_NS
 * (HOT_SOON_NS when a row lacks its line), stretched so that they never
 * take more than 1/HOT_COST_SHARE of the time. */
static void refresh_hot_lines(struct ui_top *top, const struct table *t)
{
    if (top->by_line)
        return;
    uint64_t now = clock_now_ns();
    uint64_t every = ui_top_lines_missing(top) ? HOT_SOON_NS : HOT_EVERY_NS;
    if (top->hot_cost * HOT_COST_SHARE > every)
        every = top->hot_cost * HOT_COST_SHARE;
    if (!top->hot_stale && top->hot_thread == top->thread && now - top->hot_at < every)
        return;
    if (ui_top_hot_lines(top, t, top->thread) < 0)
        return;
    top->hot_at = now;
    top->hot_cost = clock_now_ns() - now;
}

/* New rows; a change of level keeps the selection on the same function
 * (its busiest line at line level). */
static int rebuild(struct ui_top *top, const struct ui_scene *sc, struct ui_row_id *keep)
{
    const struct ui_state *st = sc->state;
    const struct ui_row *r = ui_model_selected(&top->model);
    int level = top->rows && st->by_line != top->by_line;
    int had = level && r != NULL && top->model.pinned;   /* an unmoved selection rides on the top */
    if (had)
        *keep = (struct ui_row_id){.func = r->func, .line = st->by_line ? r->hot_line : -1};
    /* A reset or the final numbers: the busiest lines are out of date. */
    if (st->thread == top->thread && ui_data_samples(sc->data, st->thread) < top->samples)
        top->hot_stale = 1;
    if (!sc->data->stats.running && !top->hot_final)
        top->hot_stale = top->hot_final = 1;
    int rc = ui_top_rows(top, sc->data->table, st->thread, st->by_line);
    refresh_hot_lines(top, sc->data->table);
    ui_top_apply_hot_lines(top);
    return rc < 0 ? rc : had;
}

static int top_update(void *v, const struct ui_scene *sc, size_t height, unsigned why)
{
    struct ui_top *top = v;
    struct ui_row_id keep;
    int had = 0;
    if (why & (UI_WHY_DATA | UI_WHY_SCOPE | UI_WHY_SHOWN)) {
        had = rebuild(top, sc, &keep);
        if (had < 0)
            had = 0;
    }
    if (!top->where && top->sort_col >= UI_COL_KEYED) {
        top->sort_col = UI_COL_OWN_PCT;           /* the split went (another mode) */
        top->reversed = 0;
    }
    struct ui_model_params p = ui_top_params(top, sc->state);
    int rc = ui_model_update(&top->model, top->rows, top->nrows, top->samples, &p, height ? height : 1);
    if (had)
        ui_model_select(&top->model, keep);
    return rc;
}

static int top_move(void *v, long delta)
{
    struct ui_top *top = v;
    return ui_model_move(&top->model, delta);
}

static void top_draw(void *v, const struct ui_view_windows *w, const struct ui_scene *sc)
{
    struct ui_top *top = v;
    const struct ui_model *m = &top->model;
    if ((w->parts & UI_PART_BODY) || m->top != top->drawn_top)
        ui_grid_draw(w->body, sc, top);
    else if (w->parts & UI_PART_ROWS)
        ui_grid_draw_rows(w->body, sc, top, top->drawn_sel - top->drawn_top, m->sel - m->top);
    if (w->parts & UI_PART_DETAILS)
        ui_details_draw(w->details, sc, top);
    top->drawn_top = m->top;
    top->drawn_sel = m->sel;
}

static uint32_t top_selected_func(const void *v)
{
    const struct ui_row *r = ui_model_selected(&((const struct ui_top *)v)->model);
    return r ? r->func : TABLE_NONE;
}

/* A click selects the row under the pointer; a double click opens the
 * callers / callees of its function (the view on Enter). */
static unsigned top_click(void *v, struct ui_state *st, int y, int x, int twice)
{
    struct ui_top *top = v;
    struct ui_model *m = &top->model;
    if (y < UI_COLHEAD_LINES || (size_t)(y - UI_COLHEAD_LINES) >= ui_model_window(m))
        return UI_REACT_NONE;
    ui_model_move(m, (long)(m->top + (size_t)(y - UI_COLHEAD_LINES)) - (long)m->sel);
    const struct ui_row *r = ui_model_selected(m);
    long callers = ui_views_find_key('\n');
    if (!twice || !r || callers < 0)
        return UI_REACT_REDRAW;
    return UI_REACT_REDRAW | ui_state_open(st, (size_t)callers, r->func);
}

static void top_header(const void *v, const struct ui_scene *sc, struct ui_fields *fs)
{
    const struct ui_top *top = v;
    const struct ui_model *m = &top->model;
    const struct ui_state *st = sc->state;
    char a[32];
    snprintf(ui_fields_add(fs, "Sort", UI_EL_VALUE, 0), UI_FIELD_VALUE_MAX, "%s %s",
             ui_grid_column_title(top->sort_col), ui_grid_sort_glyph(top, sc->theme));
    snprintf(ui_fields_add(fs, "Threshold", m->below ? UI_EL_WARN : UI_EL_VALUE, 0), UI_FIELD_VALUE_MAX,
             "%s (%zu hidden)", ui_fmt_threshold(a, sizeof a, st->threshold_pct), m->below);
    if (st->filter[0] || st->editing)
        snprintf(ui_fields_add(fs, "Filter", UI_EL_FILTER, 0), UI_FIELD_VALUE_MAX, "\"%s\" (%zu of %zu)",
                 st->filter, m->matched, m->nrows);
}

/* The explanations after the columns (ASCII, wrapped to the width). */
static const char *const notes[] = {
    "Own: samples in which the function itself was running (the innermost Python frame).",
    "Total: samples in which it was anywhere on the stack, counted once per sample even when it "
    "recurses. Total >= own; the difference is time spent in what it called.",
    "Times: samples x (elapsed / sampling rounds). Each sample stands for one round of the sampler, "
    "so a thread's times add up to its wall-clock time (its CPU time with --cpu).",
    "Shares (%): of the samples of the view: all threads together, or the one thread shown.",
    "Function level: LOCATION is the line of the function with most of its samples. "
    "Line level (L): one row per line that was executing.",
    "Threshold: rows whose %TOTAL is under it are hidden; the header says how many.",
    "%PY, %C, %SYS (wall and cpu modes of a live run): of the row's own samples on a CPU, the share "
    "running Python bytecode, inside C code its line called (its instruction is a call), and in the "
    "kernel (the thread's system time, given to its samples up to 10 ms late). Key 9 sorts by the "
    "time each took (own samples on a CPU that ran C, then the kernel, then Python).",
    "Pause freezes the numbers on screen while sampling goes on; resuming shows the current state. "
    "Changing thread or level while paused takes one new snapshot.",
};

static void top_help_page(struct ui_help *h)
{
    char num[32];
    ui_help_section(h, "Columns (the keys 1 to 8 sort by them, 9 by the split)");
    for (int c = 0; c < UI_COL_COUNT; c++) {
        snprintf(num, sizeof num, "%d %s", c < UI_COL_KEYED ? c + 1 : 9, ui_grid_column_title((enum ui_col)c));
        ui_help_item(h, num, ui_grid_column_help((enum ui_col)c));
    }
    ui_help_section(h, "");
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        ui_help_note(h, notes[i]);
}

const struct ui_view_ops ui_view_top = {
    .name = "top",
    .title = "top functions",
    .key = 't',
    .help = "top functions: own and total samples per function or line, sortable",
    .keys = top_keys,
    .nkeys = sizeof top_keys / sizeof top_keys[0],
    .create = top_create,
    .destroy = top_destroy,
    .update = top_update,
    .move_by = top_move,
    .draw = top_draw,
    .selected_func = top_selected_func,
    .header = top_header,
    .help_page = top_help_page,
    .click = top_click,
};
