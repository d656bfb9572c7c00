/* SPDX-License-Identifier: MIT */
/* Comparing two profiles by function: each function's share of all
 * samples now and in a baseline, and the change. Functions are matched by
 * name and file (not by line: lines move between versions of a program;
 * two functions of one name and file, told apart by their first line,
 * count as one). */
#ifndef PROFTUI_DIFF_H
#define PROFTUI_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct table;

struct diff_row {
    const char *name, *file;         /* borrowed from the tables */
    uint64_t own[2], total[2];       /* samples: [0] now, [1] baseline */
    double own_pct[2], total_pct[2]; /* shares of all samples of each profile */
    double change;                   /* total_pct[0] - total_pct[1], percentage points */
    int status;                      /* 0 in both, DIFF_NEW, DIFF_GONE */
};

enum { DIFF_NEW = 1, DIFF_GONE = 2 };

struct diff {
    struct diff_row *rows;           /* owned; sorted by |change|, largest first, then name, file */
    size_t n;
    uint64_t samples[2];             /* all samples now and in the baseline */
    int by_key;                      /* rows are by (name, file) instead (diff_build_from) */
};

/* A baseline's side of the comparison, made once (a saved profile does
 * not change): its functions merged by (name, file) and sorted. */
struct diff_base;

/* Compare `now` with `base` (both borrowed; they must outlive d). 0 or
 * ERR_NOMEM (d is then empty). */
int diff_build(struct diff *d, const struct table *now, const struct table *base);

/* The same with `now` narrowed to one thread (a table thread index;
 * TABLE_NONE: all): its shares are of that thread's samples. The baseline
 * is always the whole profile (its threads are other threads). */
int diff_build_thread(struct diff *d, const struct table *now, uint32_t thread, const struct table *base);

/* Make / free a baseline's side; base (borrowed) must outlive it and
 * every diff built from it. 0 or ERR_NOMEM (*out is then NULL). */
int diff_base_new(const struct table *base, struct diff_base **out);
void diff_base_free(struct diff_base *b);

/* diff_build_thread against a baseline side made once; rows sorted by the
 * change when by_change_order, else left by (name, file) (by_key set:
 * what diff_marks reads fastest). 0 or ERR_NOMEM. */
int diff_build_from(struct diff *d, const struct table *now, uint32_t thread, const struct diff_base *base,
                    int by_change_order);

/* How each function of `now` changed, for colouring (the flame graph). */
enum { DIFF_MARK_SAME = 0, DIFF_MARK_GROWN = 1, DIFF_MARK_SHRUNK = -1 };

/* marks[f] for every function id f < n of now (the table d was built
 * from): DIFF_MARK_GROWN / SHRUNK when its total share changed by at least
 * min_pp percentage points, else DIFF_MARK_SAME (also for new functions,
 * which the diff view marks "new", and ids without a row). O(n log d->n).
 * 0 or ERR_NOMEM. */
int diff_marks(const struct diff *d, const struct table *now, double min_pp, signed char *marks, size_t n);
void diff_free(struct diff *d);

/* Write the comparison as a text table: two '#' lines saying what is
 * compared with what (now_label, base_label: free text, escaped), then
 * one line per function: TOTAL% now, baseline, change, OWN% now, baseline,
 * change, new/gone, function, file. Names are escaped as in the collapsed
 * output (controls and invalid UTF-8 become '?'). 0 or ERR_IO. */
int diff_write(FILE *f, const struct diff *d, const char *now_label, const char *base_label);

#endif
