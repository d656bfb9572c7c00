/* SPDX-License-Identifier: MIT */
/* The help screen: every binding of the key table, the columns (numbered
 * as the sort keys), and what own, total, the times and the shares mean. */
#ifndef PROFTUI_UI_HELP_H
#define PROFTUI_UI_HELP_H

#include <curses.h>

#include "ui_scene.h"

/* Draw the help into w (erased first) from line sc->view->help_top on;
 * returns how many lines the whole help takes at this width. */
int ui_help_draw(WINDOW *w, const struct ui_scene *sc);

/* Lines the whole help takes at this width (for scrolling limits). */
int ui_help_lines(const struct ui_scene *sc, int width);

#endif
