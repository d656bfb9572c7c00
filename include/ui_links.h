/* SPDX-License-Identifier: MIT */
/* The callers and callees of one function, for the callers / callees
 * view, from an index of a replica's nodes by function kept up to date at
 * each refresh (new nodes only): counting them costs as much as the
 * function occurs in the tree, not the tree's size; and asked again for
 * the same function after one more sync of the replica (or update of the
 * lensed table), only the stacks that sync replayed are counted
 * (table_sync_replayed): the cost follows
 * the new samples. Same results as tree_callers() and tree_callees()
 * (tree.h), which walk the whole tree. No curses. */
#ifndef PROFTUI_UI_LINKS_H
#define PROFTUI_UI_LINKS_H

#include <stddef.h>
#include <stdint.h>

#include "tree.h"
#include "ui_data.h"

struct ui_links {
    struct ui_replica_mark mark;  /* the table at the last sync */
    uint32_t *head;               /* owned: per function, its newest table node */
    size_t nheads, heads_cap;
    uint32_t *next;               /* owned: per table node, the next (older) of its function */
    uint32_t *info;               /* owned: per table node, its thread's root, and whether
                                   * its function is also above it (recursion) */
    size_t mapped, next_cap, info_cap;
    uint64_t *acc;                /* owned scratch: samples per neighbour function */
    uint32_t *touched;            /* owned scratch: the functions acc holds */
    size_t ntouched, acc_cap;
    uint32_t *path;               /* owned scratch: the functions above a node */
    size_t path_cap;
    /* The last answer, kept in acc / touched to follow the replica. */
    int kept;                     /* acc holds the counts of (table, thread, func) below */
    const struct table *kept_t;
    uint32_t kept_thread, kept_func;
    uint64_t kept_applies, kept_whole, kept_self, kept_total;
    uint32_t *stamp;              /* owned: per acc slot, the stack that last counted it */
    struct tree_link *sort_tmp;   /* owned scratch of the sort */
    size_t sort_cap;
    uint32_t stamp_gen;
    uint64_t follows, recounts;   /* answers by following, by counting (for tests) */
};

void ui_links_init(struct ui_links *lk);
void ui_links_free(struct ui_links *lk);

/* The direct callers (up) and callees (down) of func in one thread (index)
 * or all (TABLE_NONE), counted as tree_callers() and tree_callees() count
 * them (a sample once per neighbour; up->total and up->self are func's
 * samples anywhere on the stack and as the leaf; down has the same); the
 * index is brought up to date with t first (rebuilt after a reset).
 * Returns 0, ERR_USAGE for an unknown thread or function, or ERR_NOMEM;
 * up and down are empty on error (free them with tree_links_free). */
int ui_links_get(struct ui_links *lk, const struct table *t, uint32_t thread, uint32_t func,
                 struct tree_links *up, struct tree_links *down);

#endif
