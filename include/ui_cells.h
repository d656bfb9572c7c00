/* SPDX-License-Identifier: MIT */
/* Table rows for the call tree and callers / callees views: numeric
 * columns (shares, times, counts) on the left, then the function name and
 * its location, the location as wide as the rows need up to a share of
 * the room; titles, number cells coloured by share, short or full paths
 * (F), and the centred message of an empty view. Never refreshes. */
#ifndef PROFTUI_UI_CELLS_H
#define PROFTUI_UI_CELLS_H

#include <curses.h>
#include <stddef.h>
#include <stdint.h>

#include "ui_scene.h"
#include "ui_theme.h"

#define UI_CELLS_MAX 6          /* numeric columns at most */
#define UI_CELLS_TEXT 4200      /* room for a location text */

enum ui_cell_kind {
    UI_CELL_PCT,                /* a share of `whole` */
    UI_CELL_TIME,               /* samples as time */
    UI_CELL_COUNT,              /* samples */
};

struct ui_cell_col {
    const char *title;
    int width;
    enum ui_cell_kind kind;
    int drop;                   /* dropped first when narrow: 1, 2... (0: never) */
};

/* Where each column goes at a width (w == 0: not shown). */
struct ui_cells_layout {
    int x[UI_CELLS_MAX], w[UI_CELLS_MAX];
    int ncols;
    int func_x, func_w, loc_x, loc_w;
};

/* Lay out ncols numeric columns, then the name and the location, in
 * width columns; loc_need is the widest location text of the rows shown. */
void ui_cells_layout(struct ui_cells_layout *l, const struct ui_cell_col *cols, int ncols, int width,
                     int loc_need);

/* The title line (line 0 of w): the numeric titles, name_title and "LOCATION". */
void ui_cells_titles(WINDOW *w, const struct ui_scene *sc, const struct ui_cell_col *cols,
                     const struct ui_cells_layout *l, const char *name_title);

/* The numbers of one row at line y: values[i] for column i, a share of
 * wholes[i] for a share column; sel: the selected row's attributes, or 0
 * for the cells' own. */
void ui_cells_numbers(WINDOW *w, int y, const struct ui_scene *sc, const struct ui_cell_col *cols,
                      const struct ui_cells_layout *l, const uint64_t *values, const uint64_t *wholes,
                      attr_t sel);

struct table;

/* Where function func of table t is: "file:line" (line < 0: the file
 * alone; a native function: its module and UI_NATIVE_MARK), the path
 * short or full as the shared settings say (F). */
void ui_cells_location(char *buf, size_t cap, const struct table *t, uint32_t func, int32_t line,
                       const struct ui_scene *sc);

/* Why a view is empty, centred and dim in w. */
void ui_cells_empty(WINDOW *w, const struct ui_scene *sc, const char *msg);

#endif
