/* SPDX-License-Identifier: MIT */
/* The views there are (each defined in its own src/ui/view_*.c); only the
 * registry (src/ui/ui_views.c) and tests refer to them by name. */
#ifndef PROFTUI_UI_VIEWS_LIST_H
#define PROFTUI_UI_VIEWS_LIST_H

#include "ui_view.h"

/* The top functions list (key t): own / total per function or line. */
extern const struct ui_view_ops ui_view_top;
/* The call tree (key c): call paths, foldable. */
extern const struct ui_view_ops ui_view_tree;
/* Callers / callees of the selected function (Enter). */
extern const struct ui_view_ops ui_view_callers;
/* The flame graph (key f): the merged call tree as boxes, zoomable. */
extern const struct ui_view_ops ui_view_flame;
/* The source of the selected function (key v) with samples per line. */
extern const struct ui_view_ops ui_view_source;
/* The comparison with --diff's baseline (key d): shares now, then, change. */
extern const struct ui_view_ops ui_view_diff;
extern const struct ui_view_ops ui_view_threads;

#endif

