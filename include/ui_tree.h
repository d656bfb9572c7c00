/* SPDX-License-Identifier: MIT */
/* The call tree view's rows: the call paths of ui_mtree.h shown as an
 * indented tree, children by total samples (most first), folded and
 * (then by name) unfolded by the person (fold state kept by path, so it survives
 * refreshes, thread and level changes), the hottest path unfolded at
 * first, children under the threshold hidden, a filter that shows the
 * matching paths unfolded down to their matches, and a selection that
 * stays on the same call path across refreshes. No curses. */
#ifndef PROFTUI_UI_TREE_H
#define PROFTUI_UI_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "ui_mtree.h"
#include "ui_state.h"

#define UI_TREE_GUIDES 64            /* depths whose guide lines are known */

enum ui_tree_fold {
    UI_FOLD_LEAF,                    /* no children */
    UI_FOLD_CLOSED,                  /* children hidden */
    UI_FOLD_OPEN,
};

/* One row: a call path at some depth (0: the outermost frames). */
struct ui_tree_row {
    uint32_t node;                   /* in tree.mt */
    uint32_t depth;
    uint64_t more;                   /* bit d (d < UI_TREE_GUIDES): the row's ancestor at
                                      * depth d (or the row itself) has siblings shown after it */
    uint8_t fold;                    /* enum ui_tree_fold */
    uint8_t match;                   /* with a filter: the row matches it (not only leads to a match) */
};

/* What the shared settings ask of the rows. */
struct ui_tree_params {
    uint32_t thread;                 /* a thread index or TABLE_NONE */
    int by_line;
    int skip_boot;
    double threshold_pct;            /* children whose total share is under it are hidden */
    const char *filter;              /* case-insensitive substring of name or file; "" none */
    int check;                       /* count every node again (ui_mtree_sync): a scope
                                      * change, or the view shown again */
    struct ui_mtree *shared;         /* the merged tree views share (ui_mtree_pick), NULL: none */
};

struct ui_fold_slot;

#define UI_TREE_KID_CACHES 8         /* wide nodes whose children's order is kept */

/* The children of a wide node in their last row order, so that the next
 * update reads them from an array (prefetched) instead of chasing the
 * list node by node; children made since follow `last` in the list. */
struct ui_tree_kid_cache {
    uint32_t node, last;
    uint32_t *ids;                   /* owned */
    size_t n, cap;
    uint64_t build;                  /* the tree's build when kept (ids stay valid until it changes) */
    uint64_t used;                   /* for replacing the least recently used */
};

struct ui_tree {
    struct ui_mtree *mt;             /* the call paths: own, or the views' (ui_tree_params.shared) */
    struct ui_mtree own;
    uint64_t build;                  /* mt's (ui_mtree.build) at the last update */
    struct ui_fold_slot *folds;      /* owned: the person's folds, by path */
    size_t nfolds, fold_used;
    int open_all;                    /* paths without a fold of their own are unfolded */
    int auto_hot;                    /* the hottest path unfolds by itself */
    int want_hot;                    /* select the end of the hottest path at the next update */
    struct ui_tree_row *rows;        /* owned */
    size_t nrows, rows_cap;
    uint64_t samples;                /* the 100 %: samples of the thread(s) */
    size_t below;                    /* children hidden by the threshold */
    size_t matched;                  /* rows that match the filter */
    uint32_t *hot;                   /* owned: the hottest path, outermost first */
    size_t nhot, hot_cap;
    uint32_t hot_gathered;           /* the hot path's node whose children the rows ordered last */
    uint8_t *flags;                  /* owned: per node, the filter's marks of one update */
    size_t flags_cap;
    uint32_t *anc;                   /* owned scratch: a node's ancestors by depth */
    size_t anc_cap;
    uint32_t *rank;                  /* owned: per function, its place by name and file */
    size_t nrank, rank_cap;
    uint8_t *fmatch;                 /* owned: per function, does it match the filter */
    size_t nfmatch, fmatch_cap;
    char filter[UI_FILTER_MAX];      /* what fmatch is for */
    struct ui_tree_kid *kids;        /* owned scratch: children being ordered */
    struct ui_tree_kid *kids_tmp;    /* owned scratch of the sort (as many) */
    size_t kids_cap;                 /* of both */
    struct ui_tree_kid_cache kc[UI_TREE_KID_CACHES];
    uint64_t kc_clock;
    struct ui_tree_todo *todo;       /* owned scratch: the walk's stack */
    size_t todo_cap;
    size_t sel, top, height;         /* selected row, first row shown, rows shown */
    int has_sel;
    int pinned;                      /* chosen (a move, a click, x); until then the
                                      * selection rides on the first row */
    uint32_t sel_node;               /* the selected path's node ... */
    struct frame_key *sel_path;      /* ... and its (function, line) keys, outermost first */
    size_t sel_depth, sel_cap;
};

void ui_tree_init(struct ui_tree *tr);
void ui_tree_free(struct ui_tree *tr);

/* Bring the tree up to date with t (ui_mtree_sync), derive the rows
 * under p and place a window of `height` rows around the selection, which
 * stays on the same call path (or the nearest shown ancestor of it).
 * Returns 0 or ERR_NOMEM (no rows then). */
int ui_tree_update(struct ui_tree *tr, const struct table *t, const struct ui_tree_params *p, size_t height);

/* Show `height` rows from now on (the rows stay). */
void ui_tree_set_height(struct ui_tree *tr, size_t height);

/* Move the selection by delta rows (LONG_MIN / LONG_MAX: to an edge).
 * Returns 1 when the window scrolled. */
int ui_tree_move(struct ui_tree *tr, long delta);

/* Select row i of all rows (clamped). Returns 1 when the window scrolled. */
int ui_tree_select(struct ui_tree *tr, size_t i);

/* The selected row, or NULL when there is none. */
const struct ui_tree_row *ui_tree_selected(const struct ui_tree *tr);

/* Fold the selected row when it is unfolded, unfold it when folded; on a
 * leaf, fold its parent and select it. Takes effect at the next update. */
void ui_tree_toggle(struct ui_tree *tr);

/* Unfold every path (O) / fold every path, the hottest one too (C). */
void ui_tree_open_all(struct ui_tree *tr);
void ui_tree_close_all(struct ui_tree *tr);

/* Unfold the hottest path again and select its end at the next update. */
void ui_tree_hottest(struct ui_tree *tr);

#endif
