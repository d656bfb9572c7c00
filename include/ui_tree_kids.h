/* SPDX-License-Identifier: MIT */
/* The children of a call tree node (ui_tree.h) in row order: by total
 * samples, most first, then by function name and file, then line, then
 * node. They come in last update's order — kept in the node's list of
 * the merged tree, or for a wide node in an array of its own, read ahead
 * instead of chasing the list — so that only the few out of place (grown
 * past others, new) are sorted again. The rows' part of ui_tree.c. */
#ifndef PROFTUI_UI_TREE_KIDS_H
#define PROFTUI_UI_TREE_KIDS_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"
#include "ui_tree.h"

/* A child being ordered. */
struct ui_tree_kid {
    uint32_t node;
    int32_t line;
    uint64_t total;
    uint32_t rank;           /* of its function by name */
    int has_kids;            /* it has children (read with the rest: a row needs no other look) */
};

/* Row order: < 0 when a comes first. */
int ui_tree_kid_cmp(const struct ui_tree_kid *a, const struct ui_tree_kid *b);

/* Child node as it is ordered. */
struct ui_tree_kid ui_tree_kid_of(const struct ui_tree *tr, uint32_t node);

/* Each function's place by name (tr->rank), for ties between equal
 * totals: sorted again only when new functions appeared. 0 or ERR_NOMEM. */
int ui_tree_kids_rank(struct ui_tree *tr, const struct table *t);

/* Every child of node into tr->kids, in row order; returns how many or
 * ERR_NOMEM. The order is kept for the next update: a narrow node's list
 * is relinked in it (first and last child too; ui_mtree.c appends new
 * children), a wide node's goes to an array of tr->kc. */
long ui_tree_kids_order(struct ui_tree *tr, uint32_t node);

#endif
