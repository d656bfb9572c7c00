/* SPDX-License-Identifier: MIT */
/* The help screen, generated: the active view's keys, the keys that work
 * everywhere, the views and their keys, then the active view's own pages
 * (through ui_help_section / ui_help_item / ui_help_note). */
#ifndef PROFTUI_UI_HELP_H
#define PROFTUI_UI_HELP_H

#include <curses.h>

#include "ui_scene.h"

struct ui_help;

/* Draw the help into w (erased first) from line sc->state->help_top on;
 * returns how many lines the whole help takes at this width. */
int ui_help_draw(WINDOW *w, const struct ui_scene *sc);

/* Lines the whole help takes at this width (for scrolling limits). */
int ui_help_lines(const struct ui_scene *sc, int width);

/* For views' help pages: a titled section (after a blank line; "" for
 * the blank line alone), an item
 * (a label, then its text wrapped at the description column), a
 * paragraph wrapped from the indent. */
void ui_help_section(struct ui_help *h, const char *title);
void ui_help_item(struct ui_help *h, const char *label, const char *text);
void ui_help_note(struct ui_help *h, const char *text);

#endif
