/* SPDX-License-Identifier: MIT */
/* The call tree view (key c): one row per call path, indented under its
 * caller with tree guides, total and own shares and times, folded and
 * unfolded by keys or clicks, the hottest path unfolded at first,
 * bootstrap frames folded away on demand (b). ui_tree.c derives the rows. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "ui_cells.h"
#include "ui_data.h"
#include "ui_fmt.h"
#include "ui_header.h"
#include "ui_help.h"
#include "ui_keys.h"
#include "ui_paint.h"
#include "ui_state.h"
#include "ui_tree.h"
#include "ui_views_list.h"

#define PREFIX_MAX 1024
#define NAME_ROOM 16         /* the indent leaves at least this much of the column to the name */

struct view_tree {
    struct ui_tree tr;
    int skip_boot;                /* bootstrap frames folded away (b) */
    int fresh;                    /* rows derived at least once */
    uint64_t version;             /* of the data the rows are of */
    size_t drawn_top, drawn_sel;
    int func_x, func_w;           /* the name column at the last draw (for clicks) */
};

enum { COL_TOTAL_PCT, COL_TOTAL_TIME, COL_OWN_PCT, COL_OWN_TIME, NCOLS };

static const struct ui_cell_col cols[NCOLS] = {
    [COL_TOTAL_PCT] = {"%TOTAL", 7, UI_CELL_PCT, 0},
    [COL_TOTAL_TIME] = {"TOT TIME", 9, UI_CELL_TIME, 2},
    [COL_OWN_PCT] = {"%OWN", 7, UI_CELL_PCT, 0},
    [COL_OWN_TIME] = {"OWN TIME", 9, UI_CELL_TIME, 1},
};

/* ---- keys ---- */

static unsigned act_toggle(struct ui_state *st, void *view, int code)
{
    ui_tree_toggle(&((struct view_tree *)view)->tr);
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static unsigned act_open_all(struct ui_state *st, void *view, int code)
{
    ui_tree_open_all(&((struct view_tree *)view)->tr);
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static unsigned act_close_all(struct ui_state *st, void *view, int code)
{
    ui_tree_close_all(&((struct view_tree *)view)->tr);
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static unsigned act_hottest(struct ui_state *st, void *view, int code)
{
    ui_tree_hottest(&((struct view_tree *)view)->tr);
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static unsigned act_boot(struct ui_state *st, void *view, int code)
{
    struct view_tree *vt = view;
    vt->skip_boot = !vt->skip_boot;
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static const struct ui_key tree_keys[] = {
    {{'o', '\t'}, "o Tab", "o Tab", "fold / unfold the selected call path (on a leaf: fold its caller)",
     "o", "o", "Fold", act_toggle},
    {{'O'}, "O", "O", "unfold every call path", NULL, NULL, NULL, act_open_all},
    {{'C'}, "C", "C", "fold every call path: the outermost frames only", NULL, NULL, NULL, act_close_all},
    {{'x'}, "x", "x", "unfold the hottest path again and select its end", "x", "x", "Hottest", act_hottest},
    {{'b'}, "b", "b",
     "fold away / show bootstrap frames (<module>, runpy, importlib, Thread._bootstrap...): "
     "their callees take their place", "b", "b", "Bootstrap", act_boot},
};

/* ---- the view ---- */

static void *tree_create(void)
{
    struct view_tree *vt = calloc(1, sizeof *vt);
    if (vt)
        ui_tree_init(&vt->tr);
    return vt;
}

static void tree_destroy(void *v)
{
    if (v)
        ui_tree_free(&((struct view_tree *)v)->tr);
    free(v);
}

static int tree_update(void *v, const struct ui_scene *sc, size_t height, unsigned why)
{
    struct view_tree *vt = v;
    const struct ui_state *st = sc->state;
    /* Settings may have changed while another view was shown: only a new
     * height keeps the rows. */
    if (vt->fresh && why == UI_WHY_SIZE && vt->version == sc->data->version) {
        ui_tree_set_height(&vt->tr, height);
        return 0;
    }
    struct ui_tree_params p = {.thread = st->thread, .by_line = st->by_line, .skip_boot = vt->skip_boot,
                               .threshold_pct = st->threshold_pct, .filter = st->filter,
                               .check = (why & (UI_WHY_SCOPE | UI_WHY_SHOWN)) != 0, .shared = sc->data->mtree};
    vt->fresh = 1;
    vt->version = sc->data->version;
    return ui_tree_update(&vt->tr, sc->data->table, &p, height);
}

static int tree_move(void *v, long delta)
{
    return ui_tree_move(&((struct view_tree *)v)->tr, delta);
}

/* Tree levels whose guides fit in a name column of width w. */
static uint32_t levels_shown(int w)
{
    int levels = (w - NAME_ROOM) / 2 - 2;
    return levels > 1 ? (uint32_t)levels : 1;
}

/* Text being put together, with its width in columns. */
struct text {
    char *buf;
    size_t cap, len;
    int cols;
};

static void put(struct text *x, const char *s, int width)
{
    if (x->len < x->cap)
        x->len += (size_t)snprintf(x->buf + x->len, x->cap - x->len, "%s", s);
    x->cols += width;
}

/* The guides and fold glyph before a row's name into buf; returns the
 * glyph's column (the columns before it). Deep rows lose their outer
 * guides to an ellipsis. */
static int prefix(char *buf, size_t cap, const struct ui_tree_row *r, uint32_t levels, const struct ui_theme *t)
{
    static const char *const open[2] = {"v", "▾"}, *const closed[2] = {">", "▸"}, *const leaf[2] = {"-", "─"};
    static const char *const bar[2] = {"| ", "│ "}, *const tee[2] = {"|-", "├─"}, *const end[2] = {"`-", "└─"};
    int u = t->utf8 != 0;
    struct text x = {.buf = buf, .cap = cap};
    uint32_t d = r->depth, first = d > levels ? d - levels + 1 : 1;
    buf[0] = '\0';
    if (first > 1) {
        put(&x, t->ellipsis, 1);
        put(&x, " ", 1);
    }
    for (uint32_t j = first; j < d && x.len < cap; j++)
        put(&x, j < UI_TREE_GUIDES && (r->more >> j & 1) ? bar[u] : "  ", 2);
    if (d >= 1)
        put(&x, d < UI_TREE_GUIDES && (r->more >> d & 1) ? tee[u] : end[u], 2);
    int glyph = x.cols;
    put(&x, r->fold == UI_FOLD_OPEN ? open[u] : r->fold == UI_FOLD_CLOSED ? closed[u] : d ? leaf[u] : " ", 1);
    put(&x, " ", 1);
    return glyph;
}

static void row_location(char *buf, size_t cap, struct view_tree *vt, const struct ui_tree_row *r,
                         const struct ui_scene *sc)
{
    const struct ui_mt_node *nd = &vt->tr.mt->nodes[r->node];
    ui_cells_location(buf, cap, vt->tr.mt->t, nd->func, ui_mtree_line(vt->tr.mt, r->node), sc);
}

static enum ui_elem name_elem(const struct ui_scene *sc, const struct ui_tree_row *r)
{
    if (!sc->state->filter[0])
        return UI_EL_FUNC;
    return r->match ? UI_EL_FILTER : UI_EL_FUNC;
}

static void draw_row(WINDOW *w, const struct ui_scene *sc, struct view_tree *vt, const struct ui_cells_layout *l,
                     size_t i)
{
    const struct ui_theme *t = sc->theme;
    const struct ui_tree_row *r = &vt->tr.rows[i];
    uint64_t total = ui_mtree_total(vt->tr.mt, r->node), self = ui_mtree_self(vt->tr.mt, r->node);
    int y = (int)(i - vt->tr.top) + 1, selected = i == vt->tr.sel;
    attr_t sel = selected ? ui_theme_attr(t, UI_EL_SELECTED) : 0;
    ui_paint_fill(w, y, 0, getmaxx(w), selected ? sel : A_NORMAL);
    uint64_t values[NCOLS] = {total, total, self, self};
    uint64_t wholes[NCOLS] = {vt->tr.samples, 0, vt->tr.samples, 0};
    ui_cells_numbers(w, y, sc, cols, l, values, wholes, sel);
    char buf[UI_CELLS_TEXT];
    prefix(buf, sizeof buf < PREFIX_MAX ? sizeof buf : PREFIX_MAX, r, levels_shown(l->func_w), t);
    int used = ui_paint_text(w, y, l->func_x, buf, l->func_w, 0, UI_TRUNC_END,
                             sel ? sel : ui_theme_attr(t, UI_EL_DIM), t);
    const char *name = table_func_name(vt->tr.mt->t, vt->tr.mt->nodes[r->node].func);
    ui_paint_text(w, y, l->func_x + used, name, l->func_w - used, 0, UI_TRUNC_MIDDLE,
                  sel ? sel : ui_theme_attr(t, name_elem(sc, r)), t);
    row_location(buf, sizeof buf, vt, r, sc);
    ui_paint_text(w, y, l->loc_x, buf, l->loc_w, 0, UI_TRUNC_LEFT, sel ? sel : ui_theme_attr(t, UI_EL_LOC), t);
}

static void layout(struct ui_cells_layout *l, WINDOW *w, const struct ui_scene *sc, struct view_tree *vt)
{
    char buf[UI_CELLS_TEXT];
    int need = 0;
    size_t end = vt->tr.top + vt->tr.height < vt->tr.nrows ? vt->tr.top + vt->tr.height : vt->tr.nrows;
    for (size_t i = vt->tr.top; i < end; i++) {
        row_location(buf, sizeof buf, vt, &vt->tr.rows[i], sc);
        int lw = ui_text_width(buf);
        need = lw > need ? lw : need;
    }
    ui_cells_layout(l, cols, NCOLS, getmaxx(w), need);
    vt->func_x = l->func_x;
    vt->func_w = l->func_w;
}

static void empty_text(char *buf, size_t cap, const struct ui_scene *sc, const struct view_tree *vt)
{
    if (sc->data->stats.taken == 0)
        snprintf(buf, cap, "waiting for the first samples...");
    else if (vt->tr.samples == 0)
        snprintf(buf, cap, "no Python frames sampled %s", sc->state->thread == TABLE_NONE ? "yet" : "in this thread");
    else if (sc->state->filter[0] && vt->tr.below == 0)
        snprintf(buf, cap, "no call path matches the filter \"%s\"", sc->state->filter);
    else
        snprintf(buf, cap, "every call path is under the threshold (- lowers it)");
}

static void draw_body(WINDOW *w, const struct ui_scene *sc, struct view_tree *vt)
{
    struct ui_cells_layout l;
    layout(&l, w, sc, vt);
    werase(w);
    ui_cells_titles(w, sc, cols, &l, "FUNCTION (call tree)");
    size_t end = vt->tr.top + vt->tr.height < vt->tr.nrows ? vt->tr.top + vt->tr.height : vt->tr.nrows;
    for (size_t i = vt->tr.top; i < end; i++)
        draw_row(w, sc, vt, &l, i);
    if (vt->tr.nrows == 0) {
        char msg[256];
        empty_text(msg, sizeof msg, sc, vt);
        ui_cells_empty(w, sc, msg);
    }
}

static void draw_details(WINDOW *w, const struct ui_scene *sc, struct view_tree *vt)
{
    const struct ui_theme *t = sc->theme;
    const struct ui_tree_row *r = ui_tree_selected(&vt->tr);
    int width = getmaxx(w);
    werase(w);
    if (!r)
        return;
    uint64_t total = ui_mtree_total(vt->tr.mt, r->node), self = ui_mtree_self(vt->tr.mt, r->node);
    int32_t line = ui_mtree_line(vt->tr.mt, r->node);
    const struct ui_mt_node *nd = &vt->tr.mt->nodes[r->node];
    const char *name = table_func_name(vt->tr.mt->t, nd->func), *file = table_func_file(vt->tr.mt->t, nd->func);
    char num[160], a[16], b[16], d[16], e[16], text[UI_CELLS_TEXT];
    snprintf(num, sizeof num, "own %s %s%stotal %s %s", ui_fmt_time(a, sizeof a, self, sc->sample_ns),
             ui_fmt_pct(b, sizeof b, self, vt->tr.samples), t->sep,
             ui_fmt_time(d, sizeof d, total, sc->sample_ns), ui_fmt_pct(e, sizeof e, total, vt->tr.samples));
    int x = ui_paint_text(w, 0, 0, t->pointer, width, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_TITLE), t) + 1;
    int nw = ui_text_width(num);
    int used = ui_paint_text(w, 0, x, name, width - x - (nw + 2 < width - x ? nw + 2 : 0), 0, UI_TRUNC_MIDDLE,
                             ui_theme_attr(t, UI_EL_VALUE), t);
    if (x + used + 2 + nw <= width)
        ui_paint_right(w, 0, width - nw, num, nw, ui_theme_attr(t, UI_EL_LABEL), t);
    if (line < 0)
        snprintf(text, sizeof text, "%s", file);
    else
        snprintf(text, sizeof text, "%s:%d%s, depth %u", file, (int)line,
                 sc->state->by_line ? "" : " (the busiest line of this call path)", (unsigned)r->depth + 1);
    ui_paint_text(w, 1, 2, text, width - 2, 0, UI_TRUNC_LEFT, ui_theme_attr(t, UI_EL_LOC), t);
}

static void tree_draw(void *v, const struct ui_view_windows *w, const struct ui_scene *sc)
{
    struct view_tree *vt = v;
    const struct ui_tree *tr = &vt->tr;
    if ((w->parts & UI_PART_BODY) || tr->top != vt->drawn_top) {
        draw_body(w->body, sc, vt);
    } else if (w->parts & UI_PART_ROWS) {
        struct ui_cells_layout l;
        layout(&l, w->body, sc, vt);
        size_t rows[2] = {vt->drawn_sel, tr->sel};
        for (int k = 0; k < 2; k++)
            if (rows[k] >= tr->top && rows[k] < tr->top + tr->height && rows[k] < tr->nrows)
                draw_row(w->body, sc, vt, &l, rows[k]);
    }
    if (w->parts & UI_PART_DETAILS)
        draw_details(w->details, sc, vt);
    vt->drawn_top = tr->top;
    vt->drawn_sel = tr->sel;
}

static uint32_t tree_selected_func(const void *v)
{
    const struct view_tree *vt = v;
    const struct ui_tree_row *r = ui_tree_selected(&vt->tr);
    return r ? vt->tr.mt->nodes[r->node].func : TABLE_NONE;
}

static void tree_header(const void *v, const struct ui_scene *sc, struct ui_fields *fs)
{
    const struct view_tree *vt = v;
    const struct ui_state *st = sc->state;
    char a[32];
    snprintf(ui_fields_add(fs, "Threshold", vt->tr.below ? UI_EL_WARN : UI_EL_VALUE, 0), UI_FIELD_VALUE_MAX,
             "%s (%zu hidden)", ui_fmt_threshold(a, sizeof a, st->threshold_pct), vt->tr.below);
    snprintf(ui_fields_add(fs, "Bootstrap", UI_EL_VALUE, 0), UI_FIELD_VALUE_MAX, "%s",
             vt->skip_boot ? "folded" : "shown");
    if (st->filter[0] || st->editing)
        snprintf(ui_fields_add(fs, "Filter", UI_EL_FILTER, 0), UI_FIELD_VALUE_MAX, "\"%s\" (%zu of %zu)",
                 st->filter, vt->tr.matched, vt->tr.nrows);
}

/* A click selects the row under the pointer, on its fold glyph (un)folds
 * it; a double click opens the callers / callees of its function. */
static unsigned tree_click(void *v, struct ui_state *st, int y, int x, int twice)
{
    struct view_tree *vt = v;
    struct ui_tree *tr = &vt->tr;
    if (y < 1 || tr->top + (size_t)(y - 1) >= tr->nrows)
        return UI_REACT_NONE;
    ui_tree_select(tr, tr->top + (size_t)(y - 1));
    const struct ui_tree_row *r = ui_tree_selected(tr);
    if (twice) {
        long cv = ui_views_find_key('\n');
        return cv >= 0 ? ui_state_open(st, (size_t)cv, tr->mt->nodes[r->node].func) : UI_REACT_REDRAW;
    }
    char buf[PREFIX_MAX];
    struct ui_theme ascii = {.ellipsis = "~"};
    int glyph = vt->func_x + prefix(buf, sizeof buf, r, levels_shown(vt->func_w), &ascii);
    if (r->fold != UI_FOLD_LEAF && x == glyph) {
        ui_tree_toggle(tr);
        return UI_REACT_UPDATE | UI_REACT_REDRAW;
    }
    return UI_REACT_REDRAW;
}

static const char *const notes[] = {
    "One row per call path: a function under the function that called it, children by total samples "
    "(most first). %TOTAL and TOT TIME: samples in which the path was on the stack; %OWN and OWN TIME: "
    "samples that ended there (the function itself running). Shares are of the samples of the view.",
    "At first the hottest path is unfolded; o (or Tab, or a click on the fold mark) folds and unfolds "
    "one path, O unfolds all, C folds all, x unfolds the hottest path again. Folds are kept by call "
    "path: they survive refreshes, thread changes and the threshold.",
    "Threshold (+ -): call paths under it are hidden; the header says how many. A filter (/) shows the "
    "paths that lead to matching functions, unfolded down to them, and everything under a match.",
    "Line level (L): one row per line of a function on the path. Function level: LOCATION is the "
    "busiest line of that call path.",
    "b folds bootstrap frames away (<module>, runpy, importlib's import machinery, threading's "
    "Thread._bootstrap, _bootstrap_inner and Thread.run): the functions they called take their place, "
    "merged with their siblings; their own samples are not shown.",
    "Enter (or a double click) opens the callers and callees of the selected function.",
};

static void tree_help_page(struct ui_help *h)
{
    ui_help_section(h, "The call tree");
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        ui_help_note(h, notes[i]);
}

const struct ui_view_ops ui_view_tree = {
    .name = "tree",
    .title = "call tree",
    .key = 'c',
    .help = "call tree: every call path with its total and own time, foldable",
    .keys = tree_keys,
    .nkeys = sizeof tree_keys / sizeof tree_keys[0],
    .create = tree_create,
    .destroy = tree_destroy,
    .update = tree_update,
    .move_by = tree_move,
    .draw = tree_draw,
    .selected_func = tree_selected_func,
    .header = tree_header,
    .help_page = tree_help_page,
    .click = tree_click,
};
