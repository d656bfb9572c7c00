/* SPDX-License-Identifier: MIT */
/* The callers / callees view (Enter on a function): the focused function
 * in the middle, who called it above and what it called below, each with
 * its share of the focus's samples; Enter re-centres on a caller or
 * callee, Esc / Backspace come back step by step. ui_callers.c derives the
 * lines. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>

#include "table.h"
#include "ui_callers.h"
#include "ui_cells.h"
#include "ui_data.h"
#include "ui_fmt.h"
#include "ui_header.h"
#include "ui_help.h"
#include "ui_keys.h"
#include "ui_paint.h"
#include "ui_state.h"
#include "ui_views_list.h"

#define INDENT 2

struct view_callers {
    struct ui_callers cl;
    int fresh;
    uint64_t version;             /* of the data the lines are of */
    size_t drawn_top, drawn_sel;
};

enum { COL_FOCUS_PCT, COL_TIME, COL_TOTAL_PCT, NCOLS };

static const struct ui_cell_col cols[NCOLS] = {
    [COL_FOCUS_PCT] = {"%FOCUS", 7, UI_CELL_PCT, 0},
    [COL_TIME] = {"TIME", 9, UI_CELL_TIME, 1},
    [COL_TOTAL_PCT] = {"%TOTAL", 7, UI_CELL_PCT, 0},
};

/* ---- keys ---- */

static unsigned act_centre(struct ui_state *st, void *view, int code)
{
    const struct ui_callers_line *l = ui_callers_selected(&((struct view_callers *)view)->cl);
    long me = ui_views_find_key('\n');
    if (!l || me < 0 || (l->kind != UI_CL_CALLER && l->kind != UI_CL_CALLEE))
        return UI_REACT_NONE;
    return ui_state_open(st, (size_t)me, l->func);
}

static unsigned act_back(struct ui_state *st, void *view, int code)
{
    return ui_state_back(st);
}

static const struct ui_key callers_keys[] = {
    {{'\n', '\r', KEY_ENTER}, "Enter", "Enter",
     "show the callers and callees of the selected caller or callee (Esc comes back)",
     "Enter", "Enter", "Centre", act_centre},
    {{UI_KEY_ESC, KEY_BACKSPACE, 127, UI_KEY_CTRL('h')}, "Esc Backspace", "Esc Backspace",
     "back to the function (or view) shown before", "Esc", "Esc", "Back", act_back},
};

/* ---- the view ---- */

static void *callers_create(void)
{
    struct view_callers *vc = calloc(1, sizeof *vc);
    if (vc)
        ui_callers_init(&vc->cl);
    return vc;
}

static void callers_destroy(void *v)
{
    if (v)
        ui_callers_free(&((struct view_callers *)v)->cl);
    free(v);
}

static int callers_update(void *v, const struct ui_scene *sc, size_t height, unsigned why)
{
    struct view_callers *vc = v;
    const struct ui_state *st = sc->state;
    if (vc->fresh && why == UI_WHY_SIZE && vc->version == sc->data->version && st->focus == vc->cl.focus) {
        ui_callers_set_height(&vc->cl, height);
        return 0;
    }
    vc->fresh = 1;
    vc->version = sc->data->version;
    return ui_callers_update(&vc->cl, sc->data->table, st->thread, st->focus, st->threshold_pct, st->filter,
                             height);
}

static int callers_move(void *v, long delta)
{
    return ui_callers_move(&((struct view_callers *)v)->cl, delta);
}

static void heading(char *buf, size_t cap, const struct ui_callers *cl, const struct ui_callers_line *l,
                    const char *name)
{
    if (l->kind == UI_CL_HEAD_CALLERS && cl->ncallers == 0 && cl->below == 0)
        snprintf(buf, cap, "no callers: %s is where its stacks begin", name);
    else if (l->kind == UI_CL_HEAD_CALLERS)
        snprintf(buf, cap, "callers of %s (%zu)", name, cl->ncallers);
    else
        snprintf(buf, cap, "callees of %s (%zu) and its own time [self]", name, cl->ncallees);
}

static void draw_line(WINDOW *w, const struct ui_scene *sc, struct view_callers *vc, const struct ui_cells_layout *lay,
                      size_t i)
{
    const struct ui_theme *t = sc->theme;
    const struct ui_callers *cl = &vc->cl;
    const struct ui_callers_line *l = &cl->lines[i];
    const struct table *tb = sc->data->table;
    int y = (int)(i - cl->top) + 1, selected = i == cl->sel;
    attr_t sel = selected ? ui_theme_attr(t, UI_EL_SELECTED) : 0;
    char buf[UI_CELLS_TEXT];
    ui_paint_fill(w, y, 0, getmaxx(w), selected ? sel : A_NORMAL);
    if (l->kind == UI_CL_HEAD_CALLERS || l->kind == UI_CL_HEAD_CALLEES) {
        heading(buf, sizeof buf, cl, l, table_func_name(tb, cl->focus));
        ui_paint_text(w, y, lay->func_x, buf, getmaxx(w) - lay->func_x, 0, UI_TRUNC_END,
                      ui_theme_attr(t, UI_EL_LABEL), t);
        return;
    }
    uint64_t values[NCOLS] = {l->samples, l->samples, l->samples};
    uint64_t wholes[NCOLS] = {cl->total, 0, cl->samples};
    ui_cells_numbers(w, y, sc, cols, lay, values, wholes, sel);
    int focus = l->kind == UI_CL_FOCUS;
    const char *mark = focus ? (t->utf8 ? "◆ " : "* ") : "  ";
    int x = lay->func_x + ui_paint_text(w, y, lay->func_x, mark, lay->func_w, 0, UI_TRUNC_END,
                                        sel ? sel : ui_theme_attr(t, UI_EL_TITLE), t);
    const char *name = l->kind == UI_CL_SELF ? "[self]" : table_func_name(tb, l->func);
    ui_paint_text(w, y, x, name, lay->func_w - (x - lay->func_x), 0, UI_TRUNC_MIDDLE,
                  sel ? sel : ui_theme_attr(t, focus ? UI_EL_TITLE : l->kind == UI_CL_SELF ? UI_EL_DIM
                                                                                           : UI_EL_FUNC), t);
    if (l->kind == UI_CL_SELF)
        return;
    ui_cells_location(buf, sizeof buf, tb, l->func, -1, sc);
    ui_paint_text(w, y, lay->loc_x, buf, lay->loc_w, 0, UI_TRUNC_LEFT, sel ? sel : ui_theme_attr(t, UI_EL_LOC), t);
}

static void layout(struct ui_cells_layout *lay, WINDOW *w, const struct ui_scene *sc, const struct view_callers *vc)
{
    char buf[UI_CELLS_TEXT];
    int need = 0;
    const struct ui_callers *cl = &vc->cl;
    for (size_t i = cl->top; i < cl->n && i < cl->top + cl->height; i++) {
        ui_cells_location(buf, sizeof buf, sc->data->table, cl->lines[i].func, -1, sc);
        int lw = ui_text_width(buf);
        need = lw > need ? lw : need;
    }
    ui_cells_layout(lay, cols, NCOLS, getmaxx(w), need);
}

static void empty_text(char *buf, size_t cap, const struct ui_scene *sc, const struct view_callers *vc)
{
    const char *name = table_func_name(sc->data->table, vc->cl.focus);
    if (vc->cl.focus == TABLE_NONE)
        snprintf(buf, cap, "no function chosen: select one in another view and press Enter");
    else if (sc->state->thread != TABLE_NONE)
        snprintf(buf, cap, "%s has no samples in this thread (<- -> choose another)", name);
    else
        snprintf(buf, cap, "%s has no samples %s", name, sc->data->stats.taken ? "since the reset" : "yet");
}

static void draw_body(WINDOW *w, const struct ui_scene *sc, struct view_callers *vc)
{
    struct ui_cells_layout lay;
    layout(&lay, w, sc, vc);
    werase(w);
    ui_cells_titles(w, sc, cols, &lay, "FUNCTION (callers / callees)");
    for (size_t i = vc->cl.top; i < vc->cl.n && i < vc->cl.top + vc->cl.height; i++)
        draw_line(w, sc, vc, &lay, i);
    if (vc->cl.n == 0) {
        char msg[512];
        empty_text(msg, sizeof msg, sc, vc);
        ui_cells_empty(w, sc, msg);
    }
}

/* What the selected line says, in words. */
static void relation(char *buf, size_t cap, const struct ui_scene *sc, const struct ui_callers *cl,
                     const struct ui_callers_line *l)
{
    const struct table *tb = sc->data->table;
    const char *focus = table_func_name(tb, cl->focus), *arrow = sc->theme->utf8 ? "→" : "->";
    char p[16], tm[16], q[16];
    ui_fmt_pct(p, sizeof p, l->samples, cl->total);
    ui_fmt_time(tm, sizeof tm, l->samples, sc->sample_ns);
    ui_fmt_pct(q, sizeof q, l->samples, cl->samples);
    if (l->kind == UI_CL_CALLER)
        snprintf(buf, cap, "%s %s %s: %s of %s's samples, %s", table_func_name(tb, l->func), arrow, focus, p,
                 focus, tm);
    else if (l->kind == UI_CL_CALLEE)
        snprintf(buf, cap, "%s %s %s: %s of %s's samples, %s", focus, arrow, table_func_name(tb, l->func), p,
                 focus, tm);
    else if (l->kind == UI_CL_SELF)
        snprintf(buf, cap, "%s [self]: %s of its samples, %s, running its own code", focus, p, tm);
    else
        snprintf(buf, cap, "%s: total %s %s, own %s", focus, tm, q,
                 ui_fmt_time(p, sizeof p, cl->self, sc->sample_ns));
}

static void draw_details(WINDOW *w, const struct ui_scene *sc, const struct view_callers *vc)
{
    const struct ui_theme *t = sc->theme;
    const struct ui_callers_line *l = ui_callers_selected(&vc->cl);
    int width = getmaxx(w);
    char text[UI_CELLS_TEXT];
    werase(w);
    if (!l)
        return;
    int x = ui_paint_text(w, 0, 0, t->pointer, width, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_TITLE), t) + 1;
    relation(text, sizeof text, sc, &vc->cl, l);
    ui_paint_text(w, 0, x, text, width - x, 0, UI_TRUNC_MIDDLE, ui_theme_attr(t, UI_EL_VALUE), t);
    ui_paint_text(w, 1, 2, table_func_file(sc->data->table, l->func), width - 2, 0, UI_TRUNC_LEFT,
                  ui_theme_attr(t, UI_EL_LOC), t);
}

static void callers_draw(void *v, const struct ui_view_windows *w, const struct ui_scene *sc)
{
    struct view_callers *vc = v;
    const struct ui_callers *cl = &vc->cl;
    if ((w->parts & UI_PART_BODY) || cl->top != vc->drawn_top) {
        draw_body(w->body, sc, vc);
    } else if (w->parts & UI_PART_ROWS) {
        struct ui_cells_layout lay;
        layout(&lay, w->body, sc, vc);
        size_t lines[2] = {vc->drawn_sel, cl->sel};
        for (int k = 0; k < 2; k++)
            if (lines[k] >= cl->top && lines[k] < cl->top + cl->height && lines[k] < cl->n)
                draw_line(w->body, sc, vc, &lay, lines[k]);
    }
    if (w->parts & UI_PART_DETAILS)
        draw_details(w->details, sc, vc);
    vc->drawn_top = cl->top;
    vc->drawn_sel = cl->sel;
}

static uint32_t callers_selected_func(const void *v)
{
    const struct ui_callers_line *l = ui_callers_selected(&((const struct view_callers *)v)->cl);
    return l ? l->func : TABLE_NONE;
}

static void callers_header(const void *v, const struct ui_scene *sc, struct ui_fields *fs)
{
    const struct view_callers *vc = v;
    const struct ui_state *st = sc->state;
    char a[32];
    snprintf(ui_fields_add(fs, "Focus", UI_EL_VALUE, 0), UI_FIELD_VALUE_MAX, "%s",
             vc->cl.focus == TABLE_NONE ? "-" : table_func_name(sc->data->table, vc->cl.focus));
    snprintf(ui_fields_add(fs, "Threshold", vc->cl.below ? UI_EL_WARN : UI_EL_VALUE, 0), UI_FIELD_VALUE_MAX,
             "%s (%zu hidden)", ui_fmt_threshold(a, sizeof a, st->threshold_pct), vc->cl.below);
    if (st->filter[0] || st->editing)
        snprintf(ui_fields_add(fs, "Filter", UI_EL_FILTER, 0), UI_FIELD_VALUE_MAX, "\"%s\" (%zu of %zu)",
                 st->filter, vc->cl.matched, vc->cl.ncallers + vc->cl.ncallees);
}

/* A click selects the line under the pointer; a double click on a caller
 * or callee re-centres on it. */
static unsigned callers_click(void *v, struct ui_state *st, int y, int x, int twice)
{
    struct view_callers *vc = v;
    if (y < 1 || !ui_callers_select(&vc->cl, vc->cl.top + (size_t)(y - 1)))
        return UI_REACT_NONE;
    return twice ? act_centre(st, vc, '\n') | UI_REACT_REDRAW : UI_REACT_REDRAW;
}

static const char *const notes[] = {
    "The focused function is in the middle. Above it, its direct callers: each with the samples in "
    "which it called the focused function, as a share of the focused function's samples (%FOCUS) and "
    "as time. Below it, its direct callees the same way, and [self]: the samples in which the focused "
    "function was running its own code.",
    "A sample counts once for a caller or callee however often the pair recurs on its stack, so the "
    "shares may add up to more than 100 % with recursion, and to less when the function is also the "
    "outermost frame (no caller) or the leaf.",
    "%TOTAL: the same samples as a share of all the samples of the view (thread or all threads).",
    ("Enter (or a double click) re-centres on the selected caller or callee; Esc or Backspace goes back "
     "one step, to the function or the view before."),
};

static void callers_help_page(struct ui_help *h)
{
    ui_help_section(h, "Callers and callees");
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        ui_help_note(h, notes[i]);
}

const struct ui_view_ops ui_view_callers = {
    .name = "callers",
    .title = "callers / callees",
    .key = '\n',
    .opens_on_selection = 1,
    .help = "callers and callees of the selected function, with their shares of its time",
    .keys = callers_keys,
    .nkeys = sizeof callers_keys / sizeof callers_keys[0],
    .create = callers_create,
    .destroy = callers_destroy,
    .update = callers_update,
    .move_by = callers_move,
    .draw = callers_draw,
    .selected_func = callers_selected_func,
    .header = callers_header,
    .help_page = callers_help_page,
    .click = callers_click,
};
