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

/* One call path. Node 0 is the root (func TABLE_NONE): the thread(s). */
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
    uint32_t gen;                /* valid when equal to the tree's gen */
};

struct ui_calltree {
    const struct table *t;       /* borrowed until the next sync */
    uint32_t thread;             /* what it is of: a thread index or TABLE_NONE */
    int by_line, skip_boot;
    struct ui_ct_node *nodes;    /* owned */
    struct ui_ct_counts *counts; /* owned, one per node */
    size_t n, cap;
    uint32_t gen;                /* bumped by every sync that saw new data */
    uint32_t *map;               /* owned: table node -> node (| skip bit), TABLE_NONE */
    uint32_t *next;              /* owned: the next table node of the same node */
    size_t mapped, map_cap;
    struct ui_ct_slot *slots;    /* owned: (parent, func, line) -> child */
    size_t nslots, used;
    uint8_t *boot;               /* owned: per function, is it a bootstrap frame */
    size_t nboot, boot_cap;
    uint64_t samples;            /* table samples at the last sync (reset detection) */
    uint32_t last_parent;        /* parent and site of the last mapped table node */
    struct frame_key last_site;
};

/* An empty tree (owns nothing yet). */
void ui_calltree_init(struct ui_calltree *ct);
void ui_calltree_free(struct ui_calltree *ct);

/* Bring the tree up to date with t for one thread (index) or all
 * (TABLE_NONE), at function or line level, bootstrap frames skipped or
 * not. When only new table nodes appeared, they are mapped and node ids
 * stay; a different scope or a reset of t rebuilds it (new ids). Counts
 * are recomputed on demand after this. Returns 1 when rebuilt, 0 when
 * grown, ERR_NOMEM (the tree is then empty and rebuilds next time). */
int ui_calltree_sync(struct ui_calltree *ct, const struct table *t, uint32_t thread, int by_line,
                     int skip_boot);

/* The counts of node (summed now unless cached since the last sync). */
const struct ui_ct_counts *ui_calltree_counts(struct ui_calltree *ct, uint32_t node);

/* Does function func count as a bootstrap frame (see ui_calltree_is_bootstrap)? */
int ui_calltree_boot(const struct ui_calltree *ct, uint32_t func);

/* Is a frame with this qualified name and file interpreter or library
 * start-up code rather than the program: <module>, anything in runpy or
 * importlib's bootstrap, threading's Thread._bootstrap, _bootstrap_inner
 * and Thread.run? */
int ui_calltree_is_bootstrap(const char *name, const char *file);

#endif
