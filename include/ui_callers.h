/* SPDX-License-Identifier: MIT */
/* The callers / callees view's lines: the focused function in the middle,
 * its direct callers above (each with the samples in which it called the
 * focus), its direct callees below (ui_links.h) with the
 * focus's own samples as a [self] line among them, each list by samples
 * (most first), under the threshold and the filter; a selection that
 * skips the two headings and stays on the same function across
 * refreshes. No curses. */
#ifndef PROFTUI_UI_CALLERS_H
#define PROFTUI_UI_CALLERS_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"
#include "ui_links.h"

enum ui_callers_kind {
    UI_CL_HEAD_CALLERS,       /* the callers' heading */
    UI_CL_CALLER,
    UI_CL_FOCUS,
    UI_CL_HEAD_CALLEES,       /* the callees' heading */
    UI_CL_SELF,               /* the focus's own samples */
    UI_CL_CALLEE,
};

struct ui_callers_line {
    uint8_t kind;             /* enum ui_callers_kind */
    uint32_t func;            /* the focus for headings and [self] */
    uint64_t samples;         /* of the focus's samples: in which it was called by / called this */
};

struct ui_callers {
    uint32_t focus;           /* what the lines are of (TABLE_NONE: none) */
    uint64_t total, self;     /* the focus's samples: anywhere on the stack, as the leaf */
    uint64_t samples;         /* of the thread(s): the 100 % of %TOTAL */
    size_t ncallers, ncallees;/* shown, [self] not counted */
    size_t below;             /* callers and callees under the threshold */
    size_t matched;           /* callers and callees that match the filter */
    struct ui_callers_line *lines;   /* owned */
    size_t n, cap;
    size_t sel, top, height;
    struct ui_callers_line sel_id;   /* kind and func of the selected line */
    int has_sel;
    struct ui_links links;           /* the replica's nodes by function */
};

void ui_callers_init(struct ui_callers *c);
void ui_callers_free(struct ui_callers *c);

/* Derive the lines of `focus` in one thread (index) or all (TABLE_NONE)
 * from t, hiding callers and callees whose share of the thread(s)'s
 * samples is under threshold_pct or whose name and file do not contain
 * filter (case-insensitive; "" for none). A new focus selects the line of
 * the previous one when it is a caller or callee (coming back from it),
 * else the focus, and centres the focus in a window of `height` lines.
 * Returns 0 or ERR_NOMEM (no lines then). */
int ui_callers_update(struct ui_callers *c, const struct table *t, uint32_t thread, uint32_t focus,
                      double threshold_pct, const char *filter, size_t height);

/* Show `height` lines from now on. */
void ui_callers_set_height(struct ui_callers *c, size_t height);

/* Move the selection by delta selectable lines (LONG_MIN / LONG_MAX: to
 * an edge). Returns 1 when the window scrolled. */
int ui_callers_move(struct ui_callers *c, long delta);

/* Select line i when it can be selected (not a heading). Returns 1 when
 * it is selected. */
int ui_callers_select(struct ui_callers *c, size_t i);

/* The selected line, or NULL. */
const struct ui_callers_line *ui_callers_selected(const struct ui_callers *c);

#endif
