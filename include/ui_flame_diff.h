/* SPDX-License-Identifier: MIT */
/* The flame graph's colours with --diff: how each function's total share
 * changed since the baseline, the same marks as diff_marks() (diff.h),
 * kept from one refresh to the next: the match of each function with the
 * baseline by (name, file) is made when functions appear, so a refresh
 * costs a flat view and O(functions), no string compared. No curses. */
#ifndef PROFTUI_UI_FLAME_DIFF_H
#define PROFTUI_UI_FLAME_DIFF_H

#include <stddef.h>
#include <stdint.h>

struct table;

struct ui_flame_diff {
    const struct table *now, *base; /* borrowed: the tables the match was made for */
    size_t nfuncs;                  /* now's functions matched */
    uint32_t *group;                /* owned, per function of now: the lowest id of its (name, file) */
    double *base_pct;               /* owned, per function (of a group's first): its baseline share, < 0 none */
    uint64_t *acc;                  /* owned, per function: scratch, a group's total now */
    size_t cap;
};

/* An empty state (owns nothing yet). */
void ui_flame_diff_init(struct ui_flame_diff *fd);
void ui_flame_diff_free(struct ui_flame_diff *fd);

/* marks[f] for every function id f < n of now, of the thread(s) shown
 * (a table thread index or TABLE_NONE), against the whole of base: as
 * diff_marks() after diff_build_from() (DIFF_MARK_GROWN / SHRUNK when its
 * total share changed by min_pp percentage points or more, else
 * DIFF_MARK_SAME, also when it is in only one of them). 0 or ERR_NOMEM. */
int ui_flame_diff_marks(struct ui_flame_diff *fd, const struct table *now, uint32_t thread,
                        const struct table *base, double min_pp, signed char *marks, size_t n);

#endif
