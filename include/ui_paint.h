/* SPDX-License-Identifier: MIT */
/* Small curses drawing helpers shared by the view's parts: sanitised,
 * fitted text and filled spans. They never refresh. */
#ifndef PROFTUI_UI_PAINT_H
#define PROFTUI_UI_PAINT_H

#include <curses.h>

#include "ui_text.h"
#include "ui_theme.h"

/* Draw s at (y, x) of w in at most width columns (shortened as mode says,
 * after skipping `skip` columns) with attributes attr. Returns the
 * columns drawn. */
int ui_paint_text(WINDOW *w, int y, int x, const char *s, int width, int skip,
                  enum ui_trunc mode, attr_t attr, const struct ui_theme *t);

/* Draw s right-aligned in the cell [x, x + width) of line y. */
void ui_paint_right(WINDOW *w, int y, int x, const char *s, int width, attr_t attr,
                    const struct ui_theme *t);

/* Fill width columns from (y, x) with spaces in attr. */
void ui_paint_fill(WINDOW *w, int y, int x, int width, attr_t attr);

#endif
