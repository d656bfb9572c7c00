/* SPDX-License-Identifier: MIT */
/* Drawing the live view's table: columns, rows, selection, empty states. */
#include "ui_grid.h"

#include <stdio.h>
#include <string.h>

#include "table.h"
#include "ui_fmt.h"
#include "ui_model.h"
#include "ui_paint.h"
#include "ui_data.h"
#include "ui_state.h"

#define FUNC_MIN 22
#define LOC_MIN 18
#define GAP 1
#define HOT_PCT 20.0
#define WARM_PCT 5.0
#define CELL_MAX 4200
#define FIT_SHARE 80         /* size name and location so that this % of the rows fit whole */
#define MAX_SCAN 512         /* rows looked at for that */

struct column {
    const char *title;
    const char *help;
    int width;           /* 0: shares the room left */
    int priority;        /* the lowest goes first when the terminal is narrow */
};

static const struct column columns[UI_COL_COUNT] = {
    [UI_COL_OWN] = {"OWN", "own samples: the function was running (the innermost frame)", 7, 3},
    [UI_COL_TOTAL] = {"TOTAL", "total samples: the function was anywhere on the stack (once per sample, "
                      "even when recursive)", 7, 2},
    [UI_COL_OWN_TIME] = {"OWN TIME", "own samples as time: samples x (elapsed / sampling rounds)", 9, 5},
    [UI_COL_TOTAL_TIME] = {"TOT TIME", "total samples as time", 9, 4},
    [UI_COL_OWN_PCT] = {"%OWN", "own samples as a share of the samples of the view (thread or all)", 7, 7},
    [UI_COL_TOTAL_PCT] = {"%TOTAL", "total samples as a share of the samples of the view", 7, 6},
    [UI_COL_FUNC] = {"FUNCTION", "qualified name (3.11+) or name", 0, 9},
    [UI_COL_LOC] = {"LOCATION", "file:line; per function, the line with most of its samples", 0, 8},
    [UI_COL_PY] = {"%PY", "of the own samples on a CPU, those running Python bytecode", 5, 1},
    [UI_COL_C] = {"%C", "of the own samples on a CPU, those inside C code the line called", 5, 1},
    [UI_COL_SYS] = {"%SYS", "of the own samples on a CPU, those in the kernel (system time)", 5, 1},
};

/* The columns in screen order: the split after the shares. */
static const enum ui_col screen[UI_COL_COUNT] = {
    UI_COL_OWN, UI_COL_TOTAL, UI_COL_OWN_TIME, UI_COL_TOTAL_TIME, UI_COL_OWN_PCT, UI_COL_TOTAL_PCT,
    UI_COL_PY, UI_COL_C, UI_COL_SYS, UI_COL_FUNC, UI_COL_LOC,
};

static int is_split(int c)
{
    return c == UI_COL_PY || c == UI_COL_C || c == UI_COL_SYS;
}

/* Where each column goes at a width; w == 0 when it is not shown. */
struct colpos {
    int x, w;
};

const char *ui_grid_column_title(enum ui_col col)
{
    return (unsigned)col < UI_COL_COUNT ? columns[col].title : "?";
}

const char *ui_grid_column_help(enum ui_col col)
{
    return (unsigned)col < UI_COL_COUNT ? columns[col].help : "";
}

const char *ui_grid_sort_glyph(const struct ui_top *top, const struct ui_theme *t)
{
    int text = top->sort_col == UI_COL_FUNC || top->sort_col == UI_COL_LOC;   /* natural order: A first */
    return text != top->reversed ? t->sort_asc : t->sort_desc;
}

static void location_text(char *buf, size_t cap, const struct ui_row *r, const struct ui_scene *sc);

/* The width that FIT_SHARE % of the n widths do not exceed (sorts w). */
static int fitting_width(int *w, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && w[j] < w[j - 1]; j--) {
            int t = w[j];
            w[j] = w[j - 1];
            w[j - 1] = t;
        }
    return n ? w[(n - 1) * FIT_SHARE / 100] : 0;
}

/* Widths of the names and locations of the rows shown (as scrolled): what
 * most of them need (fit) and the longest (max). */
struct needs {
    int func_fit, func_max, loc_fit, loc_max;
};

static struct needs content_needs(const struct ui_scene *sc, const struct ui_top *top)
{
    int fw[MAX_SCAN], lw[MAX_SCAN];
    char buf[CELL_MAX];
    const struct ui_model *m = (&top->model);
    size_t n = ui_model_window(m) < MAX_SCAN ? ui_model_window(m) : MAX_SCAN;
    struct needs nd = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        const struct ui_row *r = ui_model_row(m, i);
        location_text(buf, sizeof buf, r, sc);
        fw[i] = ui_text_width(r->name) - top->hscroll;
        lw[i] = ui_text_width(buf) - top->hscroll;
        nd.func_max = fw[i] > nd.func_max ? fw[i] : nd.func_max;
        nd.loc_max = lw[i] > nd.loc_max ? lw[i] : nd.loc_max;
    }
    nd.func_fit = fitting_width(fw, n);
    nd.loc_fit = fitting_width(lw, n);
    return nd;
}

/* Share the room left by the numbers between name and location: the
 * location gets all it needs when the names then fit (all of them, or
 * most: a lone long name shows whole in the details), else what most
 * locations need; failing that, a share in proportion to what most rows
 * need. The name gets the rest; the location never less than LOC_MIN. */
static int location_width(const struct ui_scene *sc, const struct ui_top *top, int flex)
{
    struct needs nd = content_needs(sc, top);
    int room = flex - GAP, loc;
    if (nd.func_fit + nd.loc_max <= room)
        loc = nd.loc_max;
    else if (nd.func_fit + nd.loc_fit <= room)
        loc = room - nd.func_max > nd.loc_fit ? room - nd.func_max : nd.loc_fit;
    else
        loc = nd.func_fit + nd.loc_fit ? room * nd.loc_fit / (nd.func_fit + nd.loc_fit) : room / 2;
    if (loc > room - FUNC_MIN)
        loc = room - FUNC_MIN;
    return loc < LOC_MIN ? LOC_MIN : loc;
}

/* Drop fixed columns by priority until the names get their minimum. */
static void layout_columns(const struct ui_scene *sc, const struct ui_top *top, int width,
                           struct colpos pos[UI_COL_COUNT])
{
    int shown[UI_COL_COUNT], fixed = 0;
    for (int c = 0; c < UI_COL_COUNT; c++) {
        shown[c] = !is_split(c) || top->where;
        fixed += shown[c] ? columns[c].width + GAP : 0;
    }
    for (int prio = 1; fixed + FUNC_MIN + GAP + LOC_MIN > width && prio < 8; prio++)
        for (int c = 0; c < UI_COL_COUNT; c++)
            if (columns[c].width && columns[c].priority == prio && shown[c]) {
                shown[c] = 0;
                fixed -= columns[c].width + GAP;
            }
    int flex = width - fixed;
    int loc = location_width(sc, top, flex);
    int x = 0;
    for (int k = 0; k < UI_COL_COUNT; k++) {
        int c = screen[k];
        int w = columns[c].width ? columns[c].width : c == UI_COL_LOC ? loc : flex - loc - GAP;
        pos[c] = (struct colpos){.x = x, .w = shown[c] && w > 0 ? w : 0};
        if (pos[c].w)
            x += w + GAP;
    }
}

static enum ui_elem share_elem(uint64_t part, uint64_t whole)
{
    double pct = whole ? 100.0 * (double)part / (double)whole : 0;
    return part == 0 ? UI_EL_DIM : pct >= HOT_PCT ? UI_EL_HOT : pct >= WARM_PCT ? UI_EL_WARM : UI_EL_NORMAL;
}

/* The text and element of a numeric cell. */
static enum ui_elem number_cell(char *buf, size_t cap, enum ui_col c, const struct ui_row *r,
                                const struct ui_scene *sc, const struct ui_top *top)
{
    uint64_t n = c == UI_COL_OWN || c == UI_COL_OWN_TIME || c == UI_COL_OWN_PCT ? r->own : r->total;
    uint64_t whole = (&top->model)->samples;
    if (is_split(c)) {
        uint64_t on_cpu = r->where[TABLE_W_PYTHON] + r->where[TABLE_W_C] + r->where[TABLE_W_SYSTEM];
        n = r->where[c == UI_COL_PY ? TABLE_W_PYTHON : c == UI_COL_C ? TABLE_W_C : TABLE_W_SYSTEM];
        ui_fmt_split(buf, cap, n, on_cpu);
        return on_cpu && n ? UI_EL_NORMAL : UI_EL_DIM;
    }
    switch (c) {
    case UI_COL_OWN:
    case UI_COL_TOTAL:
        ui_fmt_count(buf, cap, n);
        return n ? UI_EL_NORMAL : UI_EL_DIM;
    case UI_COL_OWN_TIME:
    case UI_COL_TOTAL_TIME:
        if (top->bytes)
            ui_fmt_bytes(buf, cap, n);
        else
            ui_fmt_time(buf, cap, n, sc->sample_ns);
        return n ? UI_EL_NORMAL : UI_EL_DIM;
    default:
        ui_fmt_pct(buf, cap, n, whole);
        return share_elem(n, whole);
    }
}

static void location_text(char *buf, size_t cap, const struct ui_row *r, const struct ui_scene *sc)
{
    char path[CELL_MAX - 16];     /* room left for ":line" */
    if (sc->state->full_paths)
        snprintf(path, sizeof path, "%s", r->file);
    else
        ui_fmt_path(path, sizeof path, r->file, sc->paths);
    if (r->native)
        snprintf(buf, cap, "%s " UI_NATIVE_MARK, path);
    else if (r->hot_line >= 0)
        snprintf(buf, cap, "%s:%d", path, (int)r->hot_line);
    else
        snprintf(buf, cap, "%s", path);
}

static void draw_row(WINDOW *w, const struct ui_scene *sc, const struct ui_top *top, const struct colpos *pos,
                     int y, const struct ui_row *r, int selected)
{
    const struct ui_theme *t = sc->theme;
    int width = getmaxx(w);
    attr_t sel = ui_theme_attr(t, UI_EL_SELECTED);
    ui_paint_fill(w, y, 0, width, selected ? sel : A_NORMAL);
    char buf[CELL_MAX];
    for (int c = 0; c < UI_COL_COUNT; c++) {
        if (!pos[c].w)
            continue;
        if (c == UI_COL_FUNC) {
            ui_paint_text(w, y, pos[c].x, r->name, pos[c].w, top->hscroll, UI_TRUNC_MIDDLE,
                          selected ? sel : ui_theme_attr(t, UI_EL_FUNC), t);
        } else if (c == UI_COL_LOC) {
            location_text(buf, sizeof buf, r, sc);
            ui_paint_text(w, y, pos[c].x, buf, pos[c].w, top->hscroll, UI_TRUNC_LEFT,
                          selected ? sel : ui_theme_attr(t, UI_EL_LOC), t);
        } else {
            enum ui_elem e = number_cell(buf, sizeof buf, (enum ui_col)c, r, sc, top);
            ui_paint_right(w, y, pos[c].x, buf, pos[c].w, selected ? sel : ui_theme_attr(t, e), t);
        }
    }
}

static void draw_titles(WINDOW *w, const struct ui_scene *sc, const struct ui_top *top, const struct colpos *pos)
{
    const struct ui_theme *t = sc->theme;
    ui_paint_fill(w, 0, 0, getmaxx(w), ui_theme_attr(t, UI_EL_COLHEAD));
    for (int c = 0; c < UI_COL_COUNT; c++) {
        if (!pos[c].w)
            continue;
        int sorted = c == (int)top->sort_col;
        char title[64];
        const char *name = !top->bytes ? columns[c].title : c == UI_COL_OWN_TIME ? "OWN MEM"
                           : c == UI_COL_TOTAL_TIME ? "TOT MEM" : columns[c].title;
        snprintf(title, sizeof title, "%s%s", name, sorted ? ui_grid_sort_glyph(top, t) : "");
        attr_t a = ui_theme_attr(t, sorted ? UI_EL_COLSORT : UI_EL_COLHEAD);
        if (columns[c].width)
            ui_paint_right(w, 0, pos[c].x, title, pos[c].w, a, t);
        else
            ui_paint_text(w, 0, pos[c].x, title, pos[c].w, 0, UI_TRUNC_END, a, t);
    }
}

/* Why the table is empty, in words. */
static void empty_text(char *buf, size_t cap, const struct ui_scene *sc, const struct ui_top *top)
{
    const struct ui_model *m = (&top->model);
    if (m->nrows == 0 && sc->data->stats.taken == 0)
        snprintf(buf, cap, "waiting for the first samples...");
    else if (m->nrows == 0)
        snprintf(buf, cap, "no Python frames sampled %s", sc->state->thread == TABLE_NONE ? "yet"
                                                                                      : "in this thread");
    else if (m->matched == 0)
        snprintf(buf, cap, "no row matches the filter \"%s\" (Esc clears it)", sc->state->filter);
    else
        snprintf(buf, cap, "all %zu rows are under the threshold (- lowers it)", m->below);
}

void ui_grid_draw(WINDOW *w, const struct ui_scene *sc, const struct ui_top *top)
{
    struct colpos pos[UI_COL_COUNT];
    layout_columns(sc, top, getmaxx(w), pos);
    werase(w);
    draw_titles(w, sc, top, pos);
    const struct ui_model *m = (&top->model);
    size_t n = ui_model_window(m);
    for (size_t i = 0; i < n; i++)
        draw_row(w, sc, top, pos, (int)i + 1, ui_model_row(m, i), m->top + i == m->sel);
    if (n == 0) {
        char msg[256];
        empty_text(msg, sizeof msg, sc, top);
        int width = getmaxx(w), len = ui_text_width(msg);
        ui_paint_text(w, getmaxy(w) / 2, len < width ? (width - len) / 2 : 0, msg, width, 0, UI_TRUNC_END,
                      ui_theme_attr(sc->theme, UI_EL_DIM), sc->theme);
    }
}

void ui_grid_draw_rows(WINDOW *w, const struct ui_scene *sc, const struct ui_top *top, size_t a, size_t b)
{
    struct colpos pos[UI_COL_COUNT];
    layout_columns(sc, top, getmaxx(w), pos);
    const struct ui_model *m = (&top->model);
    size_t n = ui_model_window(m);
    size_t rows[2] = {a, b};
    for (int k = 0; k < 2; k++)
        if (rows[k] < n)
            draw_row(w, sc, top, pos, (int)rows[k] + 1, ui_model_row(m, rows[k]), m->top + rows[k] == m->sel);
}
