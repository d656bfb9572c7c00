/* SPDX-License-Identifier: MIT */
/* The live view's model: the rows of one snapshot after the filter and the
 * threshold, in sort order, with a selection that stays on the same
 * function (or line) across refreshes and re-sorts. Only the rows of the
 * window on screen are put in order ("sort only what is shown"); the rank
 * of the selection is found by counting. No curses. */
#ifndef PROFTUI_UI_MODEL_H
#define PROFTUI_UI_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"

/* One row: a function (line == -1) or one line of a function. */
struct ui_row {
    uint32_t func;       /* table function id (stable for the table's life) */
    int32_t line;        /* the line for a line-level row, else -1 */
    int32_t hot_line;    /* function-level: its line with the most samples; line-level: line */
    uint64_t own;        /* samples with this as the leaf */
    uint64_t total;      /* samples with this anywhere on the stack (once per sample) */
    const char *name;    /* qualified name, borrowed from the table */
    const char *file;    /* source file, borrowed from the table (a native function's module) */
    int native;          /* a native (C) function (--native) */
    uint64_t where[TABLE_WHERES]; /* of own, the samples on a CPU by where they ran (table.h;
                          * all 0 when the profile does not keep them) */
};

/* What identifies a row across snapshots. */
struct ui_row_id {
    uint32_t func;
    int32_t line;
};

enum ui_sort_key {
    UI_SORT_OWN,         /* own samples, most first */
    UI_SORT_TOTAL,       /* total samples, most first */
    UI_SORT_NAME,        /* function name, A first */
    UI_SORT_LOCATION,    /* file then line, A first */
    UI_SORT_PYTHON,      /* own samples on a CPU that ran Python, most first */
    UI_SORT_C,           /* ... that ran C code */
    UI_SORT_SYSTEM,      /* ... that ran in the kernel */
};

struct ui_model_params {
    enum ui_sort_key key;
    int reversed;        /* flip the key's natural direction (not the tiebreak) */
    double threshold_pct;/* hide rows whose total share is below this */
    const char *filter;  /* case-insensitive substring of the name or the file; "" for none */
};

struct ui_model {
    const struct ui_row *rows;  /* borrowed from the caller (a snapshot) */
    size_t nrows;
    uint64_t samples;           /* the 100 % of the shares */
    struct ui_model_params p;
    uint32_t *vis;              /* owned: indices of the shown rows; [top, top+height) in order */
    size_t nvis, cap;
    size_t matched;             /* rows that pass the filter */
    size_t below;               /* rows that pass the filter but are under the threshold */
    size_t height;              /* rows in the window */
    size_t top;                 /* rank of the first row of the window */
    size_t sel;                 /* rank of the selected row (valid when nvis > 0) */
    struct ui_row_id sel_id;    /* the selected row, followed across updates */
    int has_sel;
    int pinned;                 /* chosen by a move or ui_model_select(); until then the
                                 * selection rides on the top row */
};

/* An empty model (owns nothing yet). */
void ui_model_init(struct ui_model *m);
/* Free what the model owns and empty it (the rows are not its own). */
void ui_model_free(struct ui_model *m);

/* Take new rows and parameters (rows and p->filter are borrowed until the
 * next call), apply the filter and the threshold and place a window of
 * `height` rows around the selected row, which keeps its place on screen
 * when it can. When the selected row is gone, the row now at its rank is
 * selected. Before any move or ui_model_select() the first row is
 * selected. Returns 0 or ERR_NOMEM (the model is then empty). */
int ui_model_update(struct ui_model *m, const struct ui_row *rows, size_t nrows,
                    uint64_t samples, const struct ui_model_params *p, size_t height);

/* Move the selection by delta ranks (clamped to the rows). Returns 1 when
 * the window scrolled (every row must be redrawn), else 0. */
int ui_model_move(struct ui_model *m, long delta);

/* Select the row with this id at the next ui_model_update() (and now, if
 * it is shown). */
void ui_model_select(struct ui_model *m, struct ui_row_id id);

/* Rows in the window (at most height). */
size_t ui_model_window(const struct ui_model *m);

/* The i-th row of the window, i < ui_model_window(m). */
const struct ui_row *ui_model_row(const struct ui_model *m, size_t i);

/* The selected row, or NULL when no row is shown. */
const struct ui_row *ui_model_selected(const struct ui_model *m);

/* Compare two rows under p: < 0 when a comes first. Direction applied to
 * the key only; ties broken by name, file, line, then function id, so the
 * order is total and deterministic. */
int ui_model_compare(const struct ui_row *a, const struct ui_row *b, const struct ui_model_params *p);

#endif
