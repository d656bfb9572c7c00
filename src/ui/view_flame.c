/* SPDX-License-Identifier: MIT */
/* The flame graph view (key f): the merged call tree of the thread(s)
 * shown, one row per depth, frames as wide as their total samples,
 * coloured by where their code comes from, or with --diff by how their
 * share changed since the baseline (key D). Its keys, its update from the
 * shared data, its drawing, clicks, header fields and help page; the
 * layout, moves and zoom are in ui_flame.c. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "diff.h"
#include "error.h"
#include "table.h"
#include "tree.h"
#include "ui.h"
#include "ui_data.h"
#include "ui_flame.h"
#include "ui_flame_diff.h"
#include "ui_cells.h"
#include "ui_fmt.h"
#include "ui_header.h"
#include "ui_help.h"
#include "ui_keys.h"
#include "ui_mtree.h"
#include "ui_paint.h"
#include "ui_source.h"
#include "ui_state.h"
#include "ui_views_list.h"

#define TEXT_MAX 8192
#define LINE_EVERY_NS 1000000000ULL    /* the busiest line of the selection: refreshed at most this often */
#define LINE_COST_SHARE 100            /* ...and no more than 1/100 of the time */

struct flame_view {
    struct ui_mtree *tree;             /* the merged tree, kept up to date: own, or the one */
    struct ui_mtree own;               /* views share (ui_data.mtree, ui_mtree_pick) */
    struct ui_flame f;
    size_t height;                     /* body rows for boxes */
    /* The selected function's busiest line, for the details. */
    struct ui_line_stats ls;
    uint32_t line_func, line_thread;
    uint64_t line_version, line_at, line_cost;
    int32_t line;
    /* --diff: each function's change (diff_marks), and whether to show it. */
    signed char *marks;
    size_t nmarks;
    struct ui_flame_diff fd;           /* the functions matched with the baseline's */
    int by_code;                       /* key D: colour by code family after all */
};

#define DIFF_COLOUR_MIN_PP 0.5         /* a smaller change of total share is grey */

static unsigned act_sibling(struct ui_state *st, void *view, int code)
{
    struct flame_view *fv = view;
    int dir = code == 'h' || code == KEY_SLEFT ? -1 : 1;
    return ui_flame_sibling(&fv->f, dir) ? UI_REACT_REDRAW : UI_REACT_NONE;
}

static unsigned act_zoom(struct ui_state *st, void *view, int code)
{
    struct flame_view *fv = view;
    return ui_flame_zoom_in(&fv->f) ? UI_REACT_REDRAW : UI_REACT_NONE;
}

static unsigned act_unzoom(struct ui_state *st, void *view, int code)
{
    struct flame_view *fv = view;
    return ui_flame_zoom_out(&fv->f) ? UI_REACT_REDRAW : UI_REACT_NONE;
}

static unsigned act_invert(struct ui_state *st, void *view, int code)
{
    struct flame_view *fv = view;
    fv->f.inverted = !fv->f.inverted;
    return UI_REACT_REDRAW;
}

/* The flame view's bindings in help order; ↑ ↓ (parent / child), Enter
 * (callers) and v (source) come from the global and view keys. */
static unsigned act_diff_colours(struct ui_state *st, void *view, int code)
{
    struct flame_view *fv = view;
    fv->by_code = !fv->by_code;
    return UI_REACT_REDRAW;
}

static const struct ui_key flame_keys[] = {
    {{'h', 'l', KEY_SLEFT, KEY_SRIGHT}, "h l  Shift-← →", "h l  Shift-Left Right",
     "select the frame on the left / right in the row (↑ ↓ select the parent / a child)",
     "hl", "h/l", "Frame", act_sibling},
    {{'z'}, "z", "z", "zoom into the selected frame: it takes the whole width (double click too)",
     "z", "z", "Zoom", act_zoom},
    {{'Z', KEY_BACKSPACE, 127, UI_KEY_CTRL('h')}, "Z Backspace", "Z Backspace",
     "zoom out to what was shown before the last zoom", "Z", "Z", "Unzoom", act_unzoom},
    {{'i'}, "i", "i", "invert: the root at the bottom (a classic flame graph) / at the top",
     "i", "i", "Invert", act_invert},
    {{'D'}, "D", "D", "with --diff: colour frames by their change since the baseline (red grew, blue shrank, "
     "grey neither or new; the default) / by where their code comes from", NULL, NULL, NULL, act_diff_colours},
};

static void *flame_create(void)
{
    struct flame_view *fv = calloc(1, sizeof *fv);
    if (fv) {
        ui_mtree_init(&fv->own);
        fv->tree = &fv->own;
        ui_flame_diff_init(&fv->fd);
        ui_flame_init(&fv->f);
        fv->line_func = TABLE_NONE;
    }
    return fv;
}

static void flame_destroy(void *v)
{
    struct flame_view *fv = v;
    if (fv) {
        ui_flame_free(&fv->f);
        ui_mtree_free(&fv->own);
        ui_line_stats_free(&fv->ls);
        free(fv->marks);
        ui_flame_diff_free(&fv->fd);
    }
    free(fv);
}

/* --diff: how each function of the thread(s) shown changed since the
 * baseline (all of it: a baseline is one whole profile). */
static int update_marks(struct flame_view *fv, const struct ui_scene *sc)
{
    const struct table *now = sc->data->table;
    size_t n = table_func_count(now);
    if (n > fv->nmarks) {
        signed char *m = realloc(fv->marks, n);
        if (!m)
            return ERR_NOMEM;
        fv->marks = m;
        fv->nmarks = n;
    }
    int rc = ui_flame_diff_marks(&fv->fd, now, sc->state->thread, sc->opt->baseline, DIFF_COLOUR_MIN_PP,
                                 fv->marks, fv->nmarks);
    if (rc < 0)
        memset(fv->marks, DIFF_MARK_SAME, fv->nmarks);
    return rc;
}

static int flame_update(void *v, const struct ui_scene *sc, size_t height, unsigned why)
{
    struct flame_view *fv = v;
    int rc = 0;
    if (why & (UI_WHY_DATA | UI_WHY_SCOPE | UI_WHY_SHOWN)) {
        /* Hidden, it missed the updates that follow resets; the lens (u)
         * hands another table: check every node then. */
        struct ui_mtree_scope scope = {.thread = sc->state->thread, .by_line = sc->state->by_line};
        fv->tree = ui_mtree_pick(sc->data->mtree, &fv->own, &scope, fv);
        rc = ui_mtree_sync(fv->tree, sc->data->table, &scope, (why & (UI_WHY_SHOWN | UI_WHY_SCOPE)) != 0);
        rc = rc < 0 ? rc : 0;
        ui_flame_set_tree(&fv->f, fv->tree);       /* empty after an error: nothing shown */
        if (sc->opt->baseline && update_marks(fv, sc) < 0 && rc == 0)
            rc = ERR_NOMEM;
    }
    ui_flame_set_threshold(&fv->f, sc->state->threshold_pct);
    fv->height = height ? height : 1;
    /* Lay out now, not at the next draw: the body is as wide as the
     * terminal (ui_layout.c); draw() lays out again if it is not. */
    if (ui_flame_layout(&fv->f, COLS) < 0 && rc == 0)
        rc = ERR_NOMEM;
    ui_flame_scroll(&fv->f, fv->height);
    return rc;
}

static int flame_move(void *v, long delta)
{
    struct flame_view *fv = v;
    ui_flame_move(&fv->f, delta);
    ui_flame_scroll(&fv->f, fv->height);
    return 1;                                  /* boxes are drawn row by row: the whole body */
}

static uint32_t flame_selected_func(const void *v)
{
    return ui_flame_selected_func(&((const struct flame_view *)v)->f);
}

/* ---- drawing ---- */

static const enum ui_elem family_elem[CODE_FAM_COUNT] = {
    [CODE_FAM_USER] = UI_EL_FLAME_USER, [CODE_FAM_STDLIB] = UI_EL_FLAME_STDLIB,
    [CODE_FAM_SITE] = UI_EL_FLAME_SITE, [CODE_FAM_BUILTIN] = UI_EL_FLAME_BUILTIN,
    [CODE_FAM_OTHER] = UI_EL_FLAME_OTHER,
};

static void root_label(char *buf, size_t cap, const struct ui_scene *sc)
{
    const struct ui_thread *th = ui_data_thread(sc->data, sc->state->thread);
    if (sc->state->thread == TABLE_NONE)
        snprintf(buf, cap, "all threads");
    else
        snprintf(buf, cap, "thread %s", th && th->name[0] ? th->name : "?");
}

static int matches(const struct ui_scene *sc, uint32_t func)
{
    const char *flt = sc->state->filter;
    const struct table *t = sc->data->table;
    return !flt[0] || func == TABLE_NONE || strcasestr(table_func_name(t, func), flt) ||
           strcasestr(table_func_file(t, func), flt);
}

/* A frame's label: its name, and at line level its line as the call
 * tree shows it ("alpha (calls.py:12)"), or "alpha:12" when that is too
 * wide for room columns. */
static void frame_label(char *buf, size_t cap, const struct ui_mt_node *n, const struct ui_scene *sc, int room)
{
    const struct table *tb = sc->data->table;
    const char *name = table_func_name(tb, n->func);
    if (n->line < 0) {
        snprintf(buf, cap, "%s", name);
        return;
    }
    char loc[UI_CELLS_TEXT];
    ui_cells_location(loc, sizeof loc, tb, n->func, n->line, sc);
    snprintf(buf, cap, "%s (%s)", name, loc);
    if (ui_text_width(buf) > room)
        snprintf(buf, cap, "%s:%d", name, (int)n->line);
}

/* What a box looks like: its label and attributes. */
static attr_t box_look(const struct flame_view *fv, const struct ui_scene *sc, size_t i, char *label,
                       size_t cap)
{
    const struct ui_flame_box *b = &fv->f.boxes[i];
    const struct ui_theme *t = sc->theme;
    const struct ui_mt_node *n = ui_flame_node(&fv->f, b);
    if (!n) {
        snprintf(label, cap, "+%u", (unsigned)b->merged);
        return ui_theme_attr(t, UI_EL_FLAME_DIM);
    }
    const struct table *tb = sc->data->table;
    if (n->func == TABLE_NONE)
        root_label(label, cap, sc);
    else
        frame_label(label, cap, n, sc, b->w > 1 ? b->w - 1 : b->w);
    if (i == fv->f.sel)
        return ui_theme_attr(t, UI_EL_FLAME_SEL);
    if (!matches(sc, n->func))
        return ui_theme_attr(t, UI_EL_FLAME_DIM);
    if (sc->opt->baseline && !fv->by_code) {
        int mark = n->func < fv->nmarks ? fv->marks[n->func] : DIFF_MARK_SAME;
        return ui_theme_attr(t, mark == DIFF_MARK_GROWN ? UI_EL_DIFF_GROWN
                              : mark == DIFF_MARK_SHRUNK ? UI_EL_DIFF_SHRUNK : UI_EL_DIFF_SAME);
    }
    const char *file = n->func == TABLE_NONE ? NULL : table_func_file(tb, n->func);
    attr_t a = ui_theme_attr(t, family_elem[code_family_of(file, sc->opt->cwd)]);
    /* Without colours, neighbours alternate bold so that they stay apart. */
    return !t->color && ((i - fv->f.rows[b->depth]) & 1) ? a ^ A_BOLD : a;
}

static void draw_box(WINDOW *w, int y, const struct flame_view *fv, const struct ui_scene *sc, size_t i)
{
    const struct ui_flame_box *b = &fv->f.boxes[i];
    char label[TEXT_MAX];
    attr_t a = box_look(fv, sc, i, label, sizeof label);
    int room = b->w > 1 ? b->w - 1 : b->w;     /* the last column parts it from its neighbour */
    ui_paint_fill(w, y, b->x, room, a);
    if (room >= 3 || (room >= 1 && ui_text_width(label) <= room))
        ui_paint_text(w, y, b->x, label, room, 0, UI_TRUNC_END, a, sc->theme);
}

/* The title line: what is shown, how, and what could not be. */
static void draw_title(WINDOW *w, const struct flame_view *fv, const struct ui_scene *sc, int width)
{
    const struct ui_theme *t = sc->theme;
    char text[TEXT_MAX], scope[128], n[32];
    root_label(scope, sizeof scope, sc);
    int len = snprintf(text, sizeof text, " FLAME GRAPH%s%s%s%s thread samples%sroot at the %s", t->sep, scope, t->sep,
                       ui_fmt_count_full(n, sizeof n, ui_flame_samples(&fv->f)), t->sep,
                       fv->f.inverted ? "bottom" : "top");
    if (sc->opt->baseline && !fv->by_code && len > 0 && (size_t)len < sizeof text)
        len += snprintf(text + len, sizeof text - (size_t)len, "%scolours: change since the baseline "
                        "(red grew, blue shrank; D)", t->sep);
    if (fv->f.zoom && len > 0 && (size_t)len < sizeof text)
        len += snprintf(text + len, sizeof text - (size_t)len, "%szoomed (Z zooms out)", t->sep);
    if (fv->f.merged && len > 0 && (size_t)len < sizeof text)
        len += snprintf(text + len, sizeof text - (size_t)len, "%s%zu narrow frame%s merged (+N)", t->sep,
                        fv->f.merged, fv->f.merged == 1 ? "" : "s");
    if (fv->f.cut && len > 0 && (size_t)len < sizeof text)
        snprintf(text + len, sizeof text - (size_t)len, "%s%zu frames deeper than %d rows", t->sep, fv->f.cut,
                 UI_FLAME_DEPTH_MAX);
    ui_paint_fill(w, 0, 0, width, ui_theme_attr(t, UI_EL_COLHEAD));
    ui_paint_text(w, 0, 0, text, width, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_COLHEAD), t);
}

static void draw_body(WINDOW *w, struct flame_view *fv, const struct ui_scene *sc)
{
    int width = getmaxx(w);
    werase(w);
    draw_title(w, fv, sc, width);
    if (!ui_flame_samples(&fv->f)) {
        ui_paint_text(w, 1, 1, "No samples yet.", width - 1, 0, UI_TRUNC_END, ui_theme_attr(sc->theme, UI_EL_DIM),
                      sc->theme);
        return;
    }
    for (int y = 0; (size_t)y < fv->height; y++) {
        long d = ui_flame_row_at(&fv->f, y, fv->height);
        size_t first, n = d < 0 ? 0 : ui_flame_row(&fv->f, (size_t)d, &first);
        for (size_t i = 0; i < n; i++)
            draw_box(w, y + 1, fv, sc, first + i);
    }
}

/* The busiest line of func, recomputed when the selection or the thread
 * changed, else when stale and at most 1 / LINE_COST_SHARE of the time. */
static int32_t busiest_line(struct flame_view *fv, const struct ui_scene *sc, uint32_t func)
{
    uint64_t now = clock_now_ns();
    uint64_t every = fv->line_cost * LINE_COST_SHARE > LINE_EVERY_NS ? fv->line_cost * LINE_COST_SHARE
                                                                       : LINE_EVERY_NS;
    if (func == fv->line_func && sc->state->thread == fv->line_thread &&
        (sc->data->version == fv->line_version || now - fv->line_at < every))
        return fv->line;
    fv->line = ui_line_stats_count(&fv->ls, sc->data->table, sc->state->thread, func) < 0
             ? -1 : ui_line_stats_hottest(&fv->ls);
    fv->line_func = func;
    fv->line_thread = sc->state->thread;
    fv->line_version = sc->data->version;
    fv->line_at = now;
    fv->line_cost = clock_now_ns() - now;
    return fv->line;
}

static void numbers(char *buf, size_t cap, uint32_t node, const struct flame_view *fv, const struct ui_scene *sc)
{
    char tt[16], tp[16], ot[16], op[16];
    uint64_t whole = ui_flame_samples(&fv->f);
    uint64_t total = ui_mtree_total(fv->tree, node), self = ui_mtree_self(fv->tree, node);
    snprintf(buf, cap, "total %s %s%sown %s %s", ui_fmt_pct(tp, sizeof tp, total, whole),
             ui_fmt_time(tt, sizeof tt, total, sc->sample_ns), sc->theme->sep,
             ui_fmt_pct(op, sizeof op, self, whole), ui_fmt_time(ot, sizeof ot, self, sc->sample_ns));
}

static void draw_details(WINDOW *w, struct flame_view *fv, const struct ui_scene *sc)
{
    const struct ui_theme *t = sc->theme;
    const struct ui_flame_box *b = ui_flame_selected(&fv->f);
    const struct ui_mt_node *n = ui_flame_node(&fv->f, b);
    int width = getmaxx(w);
    char name[TEXT_MAX], nums[128], where[TEXT_MAX];
    werase(w);
    if (!n)
        return;
    int x = ui_paint_text(w, 0, 0, t->pointer, width, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_TITLE), t) + 1;
    if (n->func == TABLE_NONE)
        root_label(name, sizeof name, sc);
    else
        frame_label(name, sizeof name, n, sc, INT32_MAX);
    numbers(nums, sizeof nums, b->node, fv, sc);
    int nw = ui_text_width(nums);
    int room = x + ui_text_width(name) + 2 + nw <= width ? width - x - nw - 2 : width - x;
    ui_paint_text(w, 0, x, name, room, 0, UI_TRUNC_MIDDLE, ui_theme_attr(t, UI_EL_VALUE), t);
    if (room < width - x)
        ui_paint_right(w, 0, width - nw, nums, nw, ui_theme_attr(t, UI_EL_LABEL), t);
    if (n->func == TABLE_NONE) {
        snprintf(where, sizeof where, "every sample of the view%s%s", t->sep, nums);
    } else if (n->line >= 0) {
        snprintf(where, sizeof where, "%s:%d (this frame's line)", table_func_file(sc->data->table, n->func),
                 (int)n->line);
    } else {
        int32_t line = busiest_line(fv, sc, n->func);
        const char *file = table_func_file(sc->data->table, n->func);
        if (line >= 0)
            snprintf(where, sizeof where, "%s:%d (its busiest line)", file, (int)line);
        else
            snprintf(where, sizeof where, "%s", file);
    }
    ui_paint_text(w, 1, 2, where, width - 2, 0, UI_TRUNC_LEFT, ui_theme_attr(t, UI_EL_LOC), t);
}

static void flame_draw(void *v, const struct ui_view_windows *w, const struct ui_scene *sc)
{
    struct flame_view *fv = v;
    int lines = getmaxy(w->body);
    fv->height = lines > 1 ? (size_t)lines - 1 : 1;
    ui_flame_layout(&fv->f, getmaxx(w->body));
    ui_flame_scroll(&fv->f, fv->height);
    if (w->parts & (UI_PART_BODY | UI_PART_ROWS))
        draw_body(w->body, fv, sc);
    if (w->parts & UI_PART_DETAILS)
        draw_details(w->details, fv, sc);
}

/* ---- mouse, header, help ---- */

static unsigned flame_click(void *v, struct ui_state *st, int y, int x, int twice)
{
    struct flame_view *fv = v;
    long d = ui_flame_row_at(&fv->f, y - 1, fv->height);      /* line 0 is the title */
    if (d < 0 || !ui_flame_select_at(&fv->f, (size_t)d, x))
        return UI_REACT_NONE;
    if (twice)
        ui_flame_zoom_in(&fv->f);
    ui_flame_scroll(&fv->f, fv->height);
    return UI_REACT_REDRAW;
}

static void flame_header(const void *v, const struct ui_scene *sc, struct ui_fields *fs)
{
    const struct flame_view *fv = v;
    size_t n;
    const struct frame_key *path = ui_flame_zoom_path(&fv->f, &n);
    if (!n)
        return;
    char *value = ui_fields_add(fs, "Zoom", UI_EL_VALUE, 0);
    size_t len = 0;
    value[0] = '\0';
    /* The innermost frames matter most: start from the end when long. */
    size_t from = n > 4 ? n - 4 : 0;
    if (from)
        len += (size_t)snprintf(value, UI_FIELD_VALUE_MAX, "%s ", sc->theme->ellipsis);
    for (size_t i = from; i < n && len < UI_FIELD_VALUE_MAX; i++)
        len += (size_t)snprintf(value + len, UI_FIELD_VALUE_MAX - len, "%s%s", i > from ? (sc->theme->utf8 ? " › " : " > ") : "",
                                table_func_name(sc->data->table, path[i].func));
}

static const char *const notes[] = {
    "Each box is a function in one call path; its width is its total samples in that path (all threads, "
    "or the thread shown). Its children sit under it (above it when inverted), heaviest first; the "
    "empty part under a box is time spent in the function itself.",
    "Boxes narrower than one column, or under the threshold (+ -), are merged into one box per parent "
    "that says how many: +N. The title line counts them.",
    "Colours say where the code comes from: yellow your own code (under the target's working directory), "
    "green the standard library, cyan site-packages, magenta <frozen> and code without a file, white the rest.",
    "The filter (/) dims the boxes whose function and file do not match. L (line level): one box per "
    "line of a function in a call path, labelled with its file and line, as the call tree shows them; "
    "at function level the details show the selected function's busiest line.",
    "With --diff BASELINE, frames are coloured by the change of their function's total share since the "
    "baseline (of the thread(s) shown now, against the whole baseline): red grew, blue shrank by at least "
    "0.5 percentage points, grey neither or new since the baseline; without colours bold grew, dim shrank. "
    "D switches to the colours by code and back; the diff view (d) has the numbers.",
    "Enter opens the callers and callees of the selected function, v its source. With a mouse: a click "
    "selects a box, a double click zooms into it, the wheel moves up and down.",
};

static void flame_help_page(struct ui_help *h)
{
    ui_help_section(h, "Reading the flame graph");
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        ui_help_note(h, notes[i]);
}

const struct ui_view_ops ui_view_flame = {
    .name = "flame",
    .title = "flame graph",
    .key = 'f',
    .help = "flame graph: call paths as boxes as wide as their samples; zoom, invert",
    .keys = flame_keys,
    .nkeys = sizeof flame_keys / sizeof flame_keys[0],
    .create = flame_create,
    .destroy = flame_destroy,
    .update = flame_update,
    .move_by = flame_move,
    .draw = flame_draw,
    .selected_func = flame_selected_func,
    .header = flame_header,
    .help_page = flame_help_page,
    .click = flame_click,
};
