/* SPDX-License-Identifier: MIT */
/* The merged call tree of a replica (the same tree tree_merged() builds:
 * functions, lines folded, one thread or all under one root), kept up to
 * date from one refresh to the next instead of rebuilt: each table node
 * is mapped once to its merged node (a table only appends nodes, parents
 * first), and a refresh maps the new nodes and adds to the totals what
 * grew, walking down from the roots through the table nodes whose totals
 * changed (the cost follows the new samples, not the size of the tree).
 * A reset of the table (ui_replica_mark) maps every node again; when
 * asked, every node is checked and summed again in one pass. Own samples
 * are a node's total less its children's (ui_merged_self). For the flame
 * graph, which redraws it at every refresh. */
#ifndef PROFTUI_UI_MERGED_H
#define PROFTUI_UI_MERGED_H

#include <stddef.h>
#include <stdint.h>

#include "tree.h"
#include "ui_calltree.h"

struct table;

struct ui_merged {
    struct calltree ct;          /* the tree (node 0 the root); nodes owned; self not kept */
    size_t ct_cap;
    uint32_t *map;               /* table node -> merged node, TABLE_NONE: out of scope */
    uint64_t *seen;              /* each table node's total when last counted */
    size_t nmapped, map_cap;     /* table nodes mapped so far */
    uint32_t *stack;             /* scratch of the walk down */
    size_t nstack, stack_cap;
    struct ui_replica_mark mark; /* the table at the last update */
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
 * TABLE_NONE for all threads). check: compare every node with the
 * mapping and sum every total again (when t may have been reset and
 * grown again unseen, e.g. while the view was hidden, or is another
 * table: the lens); otherwise a reset is found by ui_replica_mark. Returns
 * 0, or ERR_NOMEM (m is then empty and rebuilt whole next time). m->ct
 * stays valid until the next call. */
int ui_merged_update(struct ui_merged *m, const struct table *t, uint32_t thread, int check);

/* The own samples of node of a merged tree: its total less its children's. */
uint64_t ui_merged_self(const struct calltree *ct, uint32_t node);

#endif
