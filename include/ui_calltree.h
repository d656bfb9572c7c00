/* SPDX-License-Identifier: MIT */
/* The call tree view's tree of call paths, kept up to date from a replica
 * (ui_data.h) at each refresh without rebuilding it: each table node is
 * mapped once to the node of its call path (keyed by function, or by
 * function and line), threads merged for the all-threads view, bootstrap
 * frames (<module>, runpy, importlib, Thread._bootstrap...) optionally
 * skipped so that their children take their place. Counts are summed from
 * the table's nodes on demand, for the nodes a view looks at, and cached
 * until the next refresh. No curses. */
#ifndef PROFTUI_UI_CALLTREE_H
#define PROFTUI_UI_CALLTREE_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"

/* One call path. Node 0 is the root (func TABLE_NONE): the thread(s).
 * Children are linked in no particular order; a reader may relink them
 * (ui_tree.c keeps them in row order). */
struct ui_ct_node {
    uint32_t parent, first_child, next_sibling;   /* TABLE_NONE when none */
    uint32_t func;
    int32_t line;                /* -1 at function level */
    uint32_t members;            /* first table node counted here (a chain) */
    uint64_t path;               /* hash of the path's functions (and lines),
                                  * bootstrap frames left out: the fold key */
};

/* Counts of a node, summed from its table nodes. */
struct ui_ct_counts {
    uint64_t total, self;
    int32_t line;                /* its busiest line (most total samples), -1 unknown */
    uint32_t gen;                /* self is valid when equal to the tree's gen */
    uint32_t line_gen;           /* the gen line was found at */
};

/* What a reader saw of a replica, to tell whether it was reset since
 * (node ids reused for other paths): its node count, its samples, and
 * its last node's parent and site. */
struct ui_replica_mark {
    size_t nodes;
    uint64_t samples;
    uint32_t last_parent;
    struct frame_key last_site;
};

/* Nothing seen yet. */
void ui_replica_mark_init(struct ui_replica_mark *m);
/* Remember t as it is now. */
void ui_replica_mark_set(struct ui_replica_mark *m, const struct table *t);
/* Was t reset since ui_replica_mark_set (fewer nodes or samples, or its
 * node there then is another one now)? */
int ui_replica_mark_reset(const struct ui_replica_mark *m, const struct table *t);

struct ui_calltree {
    const struct table *t;       /* borrowed until the next sync */
    uint32_t thread;             /* what it is of: a thread index or TABLE_NONE */
    int by_line, skip_boot;
    struct ui_ct_node *nodes;    /* owned */
    uint64_t *total;             /* owned, one per node: kept up to date by each sync */
    struct ui_ct_counts *counts; /* owned, one per node: self and line, on demand */
    size_t n, cap;
    uint32_t gen;                /* bumped by every sync that saw new data */
    uint32_t *map;               /* owned: table node -> node (| skip bit), TABLE_NONE */
    uint32_t *next;              /* owned: the next table node of the same node */
    uint64_t *seen;              /* owned: each table node's total at the last sync */
    size_t mapped, map_cap;
    uint32_t *stack;             /* owned scratch of the sync's walk */
    size_t stack_cap;
    struct ui_ct_slot *slots;    /* owned: (parent, func, line) -> child */
    size_t nslots, used;
    uint8_t *boot;               /* owned: per function, is it a bootstrap frame */
    size_t nboot, boot_cap;
    struct ui_replica_mark mark; /* the table at the last sync */
};

/* An empty tree (owns nothing yet). */
void ui_calltree_init(struct ui_calltree *ct);
void ui_calltree_free(struct ui_calltree *ct);

/* Bring the tree up to date with t for one thread (index) or all
 * (TABLE_NONE), at function or line level, bootstrap frames skipped or
 * not. When only new table nodes appeared, they are mapped and node ids
 * stay, and the totals grow by what the table nodes whose totals grew
 * added (found from the roots down: the cost follows the new samples, not
 * the size of the tree); a different scope or a reset of t rebuilds it
 * (new ids). Returns 1 when rebuilt, 0 when grown, ERR_NOMEM (the tree is
 * then empty and rebuilds next time). */
int ui_calltree_sync(struct ui_calltree *ct, const struct table *t, uint32_t thread, int by_line,
                     int skip_boot);

/* The total samples of node (always current). */
uint64_t ui_calltree_total(const struct ui_calltree *ct, uint32_t node);

/* The counts of node: the total; its own samples (its total less its
 * children's), cached until the next sync; its busiest line, summed from
 * its table nodes when unknown or a few syncs old (a hint: a path merges
 * as many table nodes as it has lines and threads). */
const struct ui_ct_counts *ui_calltree_counts(struct ui_calltree *ct, uint32_t node);

/* Does function func count as a bootstrap frame (see ui_calltree_is_bootstrap)? */
int ui_calltree_boot(const struct ui_calltree *ct, uint32_t func);

/* Is a frame with this qualified name and file interpreter or library
 * start-up code rather than the program: <module>, anything in runpy or
 * importlib's bootstrap, threading's Thread._bootstrap, _bootstrap_inner
 * and Thread.run? */
int ui_calltree_is_bootstrap(const char *name, const char *file);

#endif
