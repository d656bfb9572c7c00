/* SPDX-License-Identifier: MIT */
/* Rows of numbers, a name and a location, for the tree and callers views. */
#include "ui_cells.h"

#include <stdio.h>

#include "table.h"
#include "ui_fmt.h"
#include "ui_paint.h"
#include "ui_state.h"

#define GAP 1
#define FUNC_MIN 20
#define LOC_MIN 12
#define LOC_SHARE 40         /* the location takes at most this % of the room left */
#define HOT_PCT 20.0
#define WARM_PCT 5.0

void ui_cells_layout(struct ui_cells_layout *l, const struct ui_cell_col *cols, int ncols, int width,
                     int loc_need)
{
    int fixed = 0, x = 0;
    ncols = ncols < UI_CELLS_MAX ? ncols : UI_CELLS_MAX;
    l->ncols = ncols;
    for (int c = 0; c < ncols; c++) {
        l->w[c] = cols[c].width;
        fixed += cols[c].width + GAP;
    }
    for (int drop = 1; drop < 4 && fixed + FUNC_MIN + GAP + LOC_MIN > width; drop++)
        for (int c = 0; c < ncols; c++)
            if (cols[c].drop == drop && l->w[c]) {
                l->w[c] = 0;
                fixed -= cols[c].width + GAP;
            }
    for (int c = 0; c < ncols; c++) {
        l->x[c] = x;
        x += l->w[c] ? l->w[c] + GAP : 0;
    }
    int room = width - x - GAP;
    int loc = loc_need < room * LOC_SHARE / 100 ? loc_need : room * LOC_SHARE / 100;
    loc = loc < LOC_MIN ? LOC_MIN : loc;
    l->func_x = x;
    l->func_w = room - loc > 1 ? room - loc : 1;
    l->loc_x = x + l->func_w + GAP;
    l->loc_w = width - l->loc_x > 0 ? width - l->loc_x : 0;
}

void ui_cells_titles(WINDOW *w, const struct ui_scene *sc, const struct ui_cell_col *cols,
                     const struct ui_cells_layout *l, const char *name_title)
{
    const struct ui_theme *t = sc->theme;
    attr_t a = ui_theme_attr(t, UI_EL_COLHEAD);
    ui_paint_fill(w, 0, 0, getmaxx(w), a);
    for (int c = 0; c < l->ncols; c++)
        if (l->w[c])
            ui_paint_right(w, 0, l->x[c], cols[c].title, l->w[c], a, t);
    ui_paint_text(w, 0, l->func_x, name_title, l->func_w, 0, UI_TRUNC_END, a, t);
    ui_paint_text(w, 0, l->loc_x, "LOCATION", l->loc_w, 0, UI_TRUNC_END, a, t);
}

static enum ui_elem share_elem(uint64_t part, uint64_t whole)
{
    double pct = whole ? 100.0 * (double)part / (double)whole : 0;
    return part == 0 ? UI_EL_DIM : pct >= HOT_PCT ? UI_EL_HOT : pct >= WARM_PCT ? UI_EL_WARM : UI_EL_NORMAL;
}

void ui_cells_numbers(WINDOW *w, int y, const struct ui_scene *sc, const struct ui_cell_col *cols,
                      const struct ui_cells_layout *l, const uint64_t *values, const uint64_t *wholes,
                      attr_t sel)
{
    const struct ui_theme *t = sc->theme;
    char buf[32];
    for (int c = 0; c < l->ncols; c++) {
        if (!l->w[c])
            continue;
        uint64_t n = values[c];
        enum ui_elem e = n ? UI_EL_NORMAL : UI_EL_DIM;
        if (cols[c].kind == UI_CELL_PCT) {
            ui_fmt_pct(buf, sizeof buf, n, wholes[c]);
            e = share_elem(n, wholes[c]);
        } else if (cols[c].kind == UI_CELL_TIME) {
            ui_fmt_time(buf, sizeof buf, n, sc->sample_ns);
        } else {
            ui_fmt_count(buf, sizeof buf, n);
        }
        ui_paint_right(w, y, l->x[c], buf, l->w[c], sel ? sel : ui_theme_attr(t, e), t);
    }
}

void ui_cells_location(char *buf, size_t cap, const struct table *t, uint32_t func, int32_t line,
                       const struct ui_scene *sc)
{
    const char *file = table_func_file(t, func);
    char path[UI_CELLS_TEXT - 16];
    if (sc->state->full_paths)
        snprintf(path, sizeof path, "%s", file);
    else
        ui_fmt_path(path, sizeof path, file, sc->paths);
    if (table_func_is_native(t, func))
        snprintf(buf, cap, "%s " UI_NATIVE_MARK, path);
    else if (line >= 0)
        snprintf(buf, cap, "%s:%d", path, (int)line);
    else
        snprintf(buf, cap, "%s", path);
}

void ui_cells_empty(WINDOW *w, const struct ui_scene *sc, const char *msg)
{
    int width = getmaxx(w), len = ui_text_width(msg);
    ui_paint_text(w, getmaxy(w) / 2, len < width ? (width - len) / 2 : 0, msg, width, 0, UI_TRUNC_END,
                  ui_theme_attr(sc->theme, UI_EL_DIM), sc->theme);
}
