/* SPDX-License-Identifier: MIT */
/* The top view's details lines under its table: the selected row's whole qualified
 * name, its full path and line, and its numbers, so that nothing the
 * table shortens is out of reach. */
#ifndef PROFTUI_UI_DETAILS_H
#define PROFTUI_UI_DETAILS_H

#include <curses.h>

#include "ui_scene.h"
#include "ui_top.h"

/* Draw the details of the selected row into w (erased first, two lines). */
void ui_details_draw(WINDOW *w, const struct ui_scene *sc, const struct ui_top *top);

#endif
