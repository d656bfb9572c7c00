/* SPDX-License-Identifier: MIT */
/* The header of the live view: the command and Python version, the
 * sampling counters, the target's CPU and memory, the current view
 * settings (flowed over as many lines as the width needs) and the state
 * line (sampling, paused, finished). */
#ifndef PROFTUI_UI_HEADER_H
#define PROFTUI_UI_HEADER_H

#include <curses.h>

#include "ui_scene.h"

/* Lines the header needs at this width. */
int ui_header_lines(const struct ui_scene *sc, int width);

/* Draw the header into w (erased first), which is as wide as the screen
 * and ui_header_lines() high. */
void ui_header_draw(WINDOW *w, const struct ui_scene *sc);

#endif
