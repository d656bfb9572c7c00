/* SPDX-License-Identifier: MIT */
/* A selection in a list of rows shown a window at a time (the diff and
 * threads views): the selected row, the first row shown and the window's
 * height, kept consistent with the list's length. */
#ifndef PROFTUI_UI_LIST_H
#define PROFTUI_UI_LIST_H

#include <stddef.h>

struct ui_list {
    size_t sel;                  /* selected row */
    size_t top;                  /* first row shown */
    size_t height;               /* rows shown at once (at least 1) */
};

/* Keep the selection inside the n rows and in the window, and the window
 * full when the list is long enough. */
void ui_list_clamp(struct ui_list *l, size_t n);

/* Move the selection by delta rows (LONG_MIN / LONG_MAX: to an edge) in a
 * list of n rows, then clamp. */
void ui_list_move(struct ui_list *l, long delta, size_t n);

#endif
