/* SPDX-License-Identifier: MIT */
/* The footer: the most useful keys (from the key table), or the filter
 * being typed. */
#ifndef PROFTUI_UI_FOOTER_H
#define PROFTUI_UI_FOOTER_H

#include <curses.h>

#include "ui_scene.h"

/* Draw the footer line into w (erased first). */
void ui_footer_draw(WINDOW *w, const struct ui_scene *sc);

#endif
