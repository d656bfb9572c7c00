/* SPDX-License-Identifier: MIT */
/* The comparison with --diff, kept from one refresh to the next: for the
 * flame graph's colours, how each function's total share changed since
 * the baseline (the same marks as diff_marks(), diff.h), and for the diff
 * view its rows (the same as diff_build_from()). The match of each
 * function with the baseline by (name, file) is made when functions
 * appear, so a refresh costs a flat view, O(functions) and, for the rows,
 * a radix sort by the change: no string compared. No curses. */
#ifndef PROFTUI_UI_FLAME_DIFF_H
#define PROFTUI_UI_FLAME_DIFF_H

#include <stddef.h>
#include <stdint.h>

struct table;
struct diff;
struct ui_flame_diff_key;
struct array_keyed;

struct ui_flame_diff {
    const struct table *now, *base; /* borrowed: the tables the match was made for */
    size_t nfuncs;                  /* now's functions matched */
    uint32_t *group;                /* owned, per function of now: the lowest id of its (name, file) */
    double *base_pct;               /* owned, per function (of a group's first): its baseline share, < 0 none */
    uint64_t *acc, *acc_own;        /* owned, per function: scratch, a group's total and own now */
    size_t cap;
    struct ui_flame_diff_key *keys; /* owned: the rows' keys, now's groups and the baseline's, by (name, file) */
    struct array_keyed *order, *tmp;    /* owned, as many: scratch, the rows by |change| (key) of
                                     * the keys (id: the key's place in (name, file) order) */
    size_t nkeys;
    uint64_t bsamples;              /* the baseline's samples */
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

/* The comparison itself, as diff_build_from(d, now, thread, base side of
 * base, 1) makes it (rows by the change, largest either way first, then
 * name and file), without comparing a string (after new functions: once).
 * 0 or ERR_NOMEM (d empty then); free d with diff_free(). */
int ui_flame_diff_rows(struct ui_flame_diff *fd, const struct table *now, uint32_t thread,
                       const struct table *base, struct diff *d);

#endif
