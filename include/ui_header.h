/* SPDX-License-Identifier: MIT */
/* The header of the live view: the command and Python version, the
 * sampling counters, the target's CPU and memory, the current view
 * settings (flowed over as many lines as the width needs) and the state
 * line (sampling, paused, finished). */
#ifndef PROFTUI_UI_HEADER_H
#define PROFTUI_UI_HEADER_H

#include <curses.h>

#include "ui_scene.h"
#include "ui_theme.h"

#define UI_FIELD_VALUE_MAX 160

struct ui_fields;

/* Add a field "label value" to the header (views add theirs through
 * ui_view_ops.header); returns the value's buffer of UI_FIELD_VALUE_MAX
 * bytes to write into. newline: start a new line with it. */
char *ui_fields_add(struct ui_fields *fs, const char *label, enum ui_elem elem, int newline);

/* Lines the header needs at this width. */
int ui_header_lines(const struct ui_scene *sc, int width);

/* Draw the header into w (erased first), which is as wide as the screen
 * and ui_header_lines() high. */
void ui_header_draw(WINDOW *w, const struct ui_scene *sc);

#endif
