/* SPDX-License-Identifier: MIT */
/* The merged call tree the views share (the call tree and the flame
 * graph): one node per call path of a scope {thread or all threads,
 * function or line level, bootstrap frames kept or skipped}, the same
 * tree tree_merged() builds from scratch, kept up to date from one
 * refresh to the next instead. Each table node is mapped once to the
 * node of its path (a table only appends nodes, parents first); the
 * counts of a refresh come from the adds the replica's (or the lensed
 * table's) last sync replayed (table_sync_replayed: O(new stacks x
 * depth)), or, for a table that does not say, from a walk down from the
 * roots through the table nodes whose totals grew. After a reset, a missed
 * sync or when asked (a scope change, the view shown again), every node
 * is checked against the mapping and counted again. Each node keeps its
 * total, its own samples and, at function level when asked, its busiest
 * line, all current after every sync. No curses. */
#ifndef PROFTUI_UI_MTREE_H
#define PROFTUI_UI_MTREE_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"
#include "ui_data.h"
#include "ui_mtmem.h"

/* What the tree is of. */
struct ui_mtree_scope {
    uint32_t thread;             /* a thread index, or TABLE_NONE: all threads under one root */
    int by_line;                 /* nodes keyed by (function, line), not by function */
    int skip_boot;               /* bootstrap frames left out: their callees take their place */
    int lines;                   /* count each node's busiest line (function level); a sync
                                  * without leaves them behind, to count again at the next
                                  * that asks (the views share the tree: the flame graph
                                  * does not show them) */
};

/* Children that make a node wide: its readers keep their order apart. */
#define UI_MT_WIDE 256

/* One call path. Node 0 is the root (func TABLE_NONE): the thread(s).
 * Children are linked oldest first, a new one last; a reader may relink
 * those of a node that is not wide (ui_tree.c keeps them in row order:
 * new ones come after), never those of a wide one, whose readers keep
 * the children they saw and take the ones after the last as new (the
 * views share the tree). */
struct ui_mt_node {
    uint32_t parent, first_child, next_sibling;   /* TABLE_NONE when none */
    uint32_t last_child;                          /* the end of the list */
    uint32_t func;
    int32_t line;                /* -1 at function level */
    uint64_t total;              /* samples through it */
};

/* A table node's place (one line of memory for both: the counting of a
 * path reads them together). */
struct ui_mt_map {
    uint32_t node;               /* node (| a skip bit), TABLE_NONE: out of the scope */
    uint32_t lsum;               /* its (node, line) sum, TABLE_NONE when none */
};

/* The samples of one line of a node (function level). */
struct ui_mt_lsum {
    uint64_t samples;
    int32_t line;
    uint32_t next;               /* the node's next line sum, TABLE_NONE: the last; of a
                                  * node whose sums are hashed, the node (the key lslots
                                  * checks a hit against) */
};

/* A node's busiest line, as the sum that holds it (its line and samples:
 * 8 bytes a node, not 16), and the list of its line sums (most nodes
 * have a few lines: a list costs less than a hash table of them; a node
 * of many has them in the hash table, ui_mtree.lslots). */
struct ui_mt_best {
    uint32_t sum;                /* the busiest line's sum, TABLE_NONE: none (the node's own line) */
    uint32_t sums;               /* its first line sum, TABLE_NONE when none (or hashed) */
};

struct ui_mtree {
    const struct table *t;       /* borrowed until the next sync */
    struct ui_mtree_scope scope;
    struct ui_mt_node *nodes;    /* owned */
    uint64_t *self;              /* owned, one per node: the samples ending in it */
    uint64_t *path;              /* owned, one per node: hash of the path's functions (and
                                  * lines), bootstrap frames left out: the fold key */
    struct ui_mt_best *best;     /* owned, one per node: its busiest line */
    size_t n, cap;               /* cap: the least of caps */
    size_t caps[4];              /* of nodes, path, self, best (ui_mtmem_reserve) */
    uint32_t gen;                /* bumped by every sync that changed a count or a node */
    /* per table node */
    struct ui_mt_map *map;       /* owned: where each table node counts */
    uint64_t *seen, *seen_self;  /* its counts at the last count (the walk), kept only when walks */
    size_t mapped;
    size_t map_caps[3];          /* of map, seen, seen_self (ui_mtmem_reserve) */
    int walks;                   /* the table does not replay its adds (neither a replica nor
                                  * the lensed table): the walk of the grown nodes follows it */
    int seen_ok;                 /* seen is current (else the walk counts everything) */
    /* (node, line) sums, function level only */
    struct ui_mtmem_hash lslots;     /* (node, 0, line) -> sum index, of nodes of many lines */
    struct ui_mt_lsum *lsums;    /* owned: the sums, listed by node (ui_mt_best.sums) */
    size_t nsums, sums_cap;
    size_t lines_mapped;         /* table nodes [0, lines_mapped) have their sum (map.lsum) */
    int lines_counted;           /* the sums and busiest lines match the counts */
    uint32_t *stack;             /* owned scratch of the walk */
    size_t stack_cap;
    struct ui_mtmem_hash slots;      /* (parent, func, line) -> child */
    uint8_t *boot;               /* owned: per function, is it a bootstrap frame */
    size_t nboot, boot_cap;
    struct ui_replica_mark mark; /* the table at the last sync */
    uint64_t applies, whole;     /* its replay counts then (table_sync_replayed) */
    size_t rebuilds, checks;     /* full mappings and full counts so far (for tests) */
    uint64_t build;              /* of its last full mapping, unique among every tree's: a
                                  * node id kept elsewhere holds while the tree and this stay */
    const void *user;            /* a tree views share: the one that picked it last */
};

/* An empty tree (owns nothing yet). */
void ui_mtree_init(struct ui_mtree *mt);
void ui_mtree_free(struct ui_mtree *mt);

/* Bring the tree up to date with t (a replica, or the lensed table) for
 * scope. When only new table nodes and samples appeared, node ids stay
 * and the counts grow by what the new samples added (the cost follows
 * them, not the size of the tree); a different scope or a reset of t
 * maps every node again (new ids). check: count every node again and
 * check the mapping on the way (after a scope change or when the view is
 * shown again: t may be another table, or have been reset and grown again
 * unseen). Returns 1 when the ids are new, 0 when they stayed, or
 * ERR_NOMEM (the tree is then empty and rebuilds next time). */
int ui_mtree_sync(struct ui_mtree *mt, const struct table *t, const struct ui_mtree_scope *scope, int check);

/* The tree a view (user) keeps for scope: the one views share when it
 * makes the same paths (busiest lines or not), is unused, or is this
 * view's anyway (picked last by it: it maps again for the new scope); its
 * own tree else, and when there is no shared one (NULL). A view that
 * takes the shared tree frees its own (the two would hold the same). */
struct ui_mtree *ui_mtree_pick(struct ui_mtree *shared, struct ui_mtree *own, const struct ui_mtree_scope *scope,
                               const void *user);

/* The total and own samples of node (0 for an unknown node). */
uint64_t ui_mtree_total(const struct ui_mtree *mt, uint32_t node);
uint64_t ui_mtree_self(const struct ui_mtree *mt, uint32_t node);

/* The busiest line of node (its own at line level; at function level,
 * when the scope keeps lines, the line of its table nodes with the most
 * total samples, the lowest of equals), or -1. */
int32_t ui_mtree_line(const struct ui_mtree *mt, uint32_t node);

/* Does function func count as a bootstrap frame (ui_mtree_is_bootstrap)? */
int ui_mtree_boot(const struct ui_mtree *mt, uint32_t func);

/* Is a frame with this qualified name and file interpreter or library
 * start-up code rather than the program: <module>, anything in runpy or
 * importlib's bootstrap, threading's Thread._bootstrap, _bootstrap_inner
 * and Thread.run? */
int ui_mtree_is_bootstrap(const char *name, const char *file);

#endif
