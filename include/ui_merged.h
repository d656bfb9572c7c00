/* SPDX-License-Identifier: MIT */
/* The merged call tree of a replica (the same tree tree_merged() builds:
 * functions, lines folded, one thread or all under one root), kept up to
 * date from one refresh to the next instead of rebuilt: each table node
 * is mapped once to its merged node (a table only appends nodes, parents
 * first), and a refresh maps the new nodes and sums the counts again in
 * one pass over the node array, which also checks the mapping (parents
 * always; functions when asked, or while the tree is small) and maps
 * every node again when it no longer fits (after a reset). For the flame
 * graph, which redraws it at every refresh. */
#ifndef PROFTUI_UI_MERGED_H
#define PROFTUI_UI_MERGED_H

#include <stddef.h>
#include <stdint.h>

#include "tree.h"

#define UI_MERGED_CHECK_ALL 65536   /* fewer table nodes mapped: functions always checked */

struct table;

struct ui_merged {
    struct calltree ct;          /* the tree (node 0 the root); its nodes array is owned */
    size_t ct_cap;
    uint32_t *map;               /* table node -> merged node, TABLE_NONE: out of scope */
    size_t nmapped, map_cap;     /* table nodes mapped so far */
    uint64_t *slots;             /* (parent << 32 | func) -> child: keys, then values */
    uint32_t *vals;
    size_t nslots, used;         /* a power of two, and slots in use */
    uint32_t thread;             /* the scope mapped: a thread index or TABLE_NONE */
    size_t rebuilds;             /* times the mapping was rebuilt (for tests) */
};

/* An empty tree (owns nothing yet). */
void ui_merged_init(struct ui_merged *m);
void ui_merged_free(struct ui_merged *m);

/* Bring m->ct up to t (a table or a replica) for thread (an index, or
 * TABLE_NONE for all threads). check: compare every node's function with
 * the mapping (needed when t may have been reset and grown again since
 * the last call, e.g. when the view was hidden); without it, a reset
 * must be followed by an update before the table regrows past what was
 * mapped (the live view updates the active view at each reset). Returns
 * 0, or ERR_NOMEM (m is then empty and rebuilt whole next time). m->ct
 * stays valid until the next call. */
int ui_merged_update(struct ui_merged *m, const struct table *t, uint32_t thread, int check);

#endif
