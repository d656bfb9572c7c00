/* SPDX-License-Identifier: MIT */
/* The top view's table: column titles (the sort column marked), one
 * row per function or line with right-aligned numbers, the selected row
 * highlighted, long names shortened; and the column descriptions the help
 * screen lists. */
#ifndef PROFTUI_UI_GRID_H
#define PROFTUI_UI_GRID_H

#include <curses.h>
#include <stddef.h>

#include "ui_scene.h"
#include "ui_theme.h"
#include "ui_top.h"

/* A column's title ("%OWN"), "?" for no column. */
const char *ui_grid_column_title(enum ui_col col);

/* A column's one-line description for the help screen. */
const char *ui_grid_column_help(enum ui_col col);

/* The glyph of the current sort direction (descending or ascending). */
const char *ui_grid_sort_glyph(const struct ui_top *top, const struct ui_theme *t);

/* Draw the titles and every row of the top view's window into w (erased
 * first); its first line holds the titles. */
void ui_grid_draw(WINDOW *w, const struct ui_scene *sc, const struct ui_top *top);

/* Redraw only rows a and b of the window (0-based below the titles):
 * enough when the selection moved from one to the other without
 * scrolling. */
void ui_grid_draw_rows(WINDOW *w, const struct ui_scene *sc, const struct ui_top *top, size_t a, size_t b);

#endif
