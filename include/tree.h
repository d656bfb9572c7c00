/* SPDX-License-Identifier: MIT */
/* The profile's call trees, public: node iteration, one shared depth-first
 * traversal (which the flat views, the stack visit of the exporters and
 * every query below use), per-function trees (the merged tree, with the
 * lines of a function folded together, and the inverted tree of the
 * callers of a function), and the callers / callees of one function.
 * Everything reads a table and never changes it; results are copies. */
#ifndef PROFTUI_TREE_H
#define PROFTUI_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"

/* ---- the nodes of a table: one per (parent, function, line) per thread ---- */

/* The root of a thread's tree (no site: it counts the thread's samples),
 * or TABLE_NONE before its first sample or for an unknown thread. */
uint32_t tree_root(const struct table *t, uint32_t thread);
/* Nodes in the table (ids are 0..count-1; a reset drops them all). */
size_t tree_node_count(const struct table *t);
/* Links of a node: TABLE_NONE when there is none (or node is unknown).
 * Children come newest first. */
uint32_t tree_parent(const struct table *t, uint32_t node);
uint32_t tree_first_child(const struct table *t, uint32_t node);
uint32_t tree_next_sibling(const struct table *t, uint32_t node);
/* The function and line of a node; {TABLE_NONE, -1} for a root. */
struct frame_key tree_site(const struct table *t, uint32_t node);
/* Samples whose leaf is the node, and samples whose stack passes it. */
uint64_t tree_self(const struct table *t, uint32_t node);
uint64_t tree_total(const struct table *t, uint32_t node);
/* The node's own samples on a CPU by where they ran into out (table.h,
 * enum table_where); all 0 when t does not keep them (table_keeps_where). */
void tree_where(const struct table *t, uint32_t node, uint64_t out[TABLE_WHERES]);

/* ---- the traversal ---- */

/* Callbacks of tree_walk(): enter before a node's children (depth 1 for
 * the children of the root), leave after them. enter returning non-zero
 * stops the walk (leave is not called for the nodes still open) and
 * tree_walk returns that value. leave may be NULL. */
struct tree_walk {
    int (*enter)(void *arg, const struct table *t, uint32_t node, size_t depth);
    void (*leave)(void *arg, const struct table *t, uint32_t node, size_t depth);
    void *arg;
};

/* Depth-first walk of the nodes under root (root itself excluded),
 * without recursion: the parent links bring it back. */
int tree_walk(const struct table *t, uint32_t root, const struct tree_walk *w);

/* ---- per-function trees ---- */

/* A tree of functions (lines folded): node 0 is the root (func
 * TABLE_NONE); self and total count samples as in the table. Owned by
 * the caller (calltree_free). */
struct calltree_node {
    uint32_t func;
    uint32_t parent, first_child, next_sibling;   /* TABLE_NONE when none */
    uint64_t self, total;
};

struct calltree {
    struct calltree_node *nodes;
    size_t n;
};

void calltree_free(struct calltree *ct);

/* The merged tree of one thread (index) or of all (TABLE_NONE, every
 * thread's tree under one root): the children of a node are keyed by
 * function. The root's total is the samples of the thread(s). Returns 0,
 * ERR_NOMEM or ERR_USAGE (unknown thread); *out is empty on error. */
int tree_merged(const struct table *t, uint32_t thread, struct calltree *out);

/* The inverted tree: the root stands for func (TABLE_NONE: every leaf
 * function, one child of the root each), its children are the callers,
 * theirs the callers' callers, up to the outermost frame. Each sample that
 * holds func counts once, from its innermost frame of func; a node's self
 * counts the samples whose stack ends (outermost frame) there. The root's
 * total is func's total (all samples for TABLE_NONE). */
int tree_inverted(const struct table *t, uint32_t thread, uint32_t func, struct calltree *out);

/* ---- one function's neighbours ---- */

/* A caller or callee of a function and the samples it accounts for. */
struct tree_link {
    uint32_t func;
    uint64_t samples;
};

struct tree_links {
    struct tree_link *items;  /* owned; most samples first, then by id */
    size_t n;
    uint64_t self;            /* samples with func as the leaf */
    uint64_t total;           /* samples with func anywhere (once per sample) */
};

void tree_links_free(struct tree_links *l);

/* The direct callers of func: a caller c counts each sample in which some
 * frame of c calls func directly, once per sample. */
int tree_callers(const struct table *t, uint32_t thread, uint32_t func, struct tree_links *out);

/* The direct callees of func, the same way: each sample in which func
 * calls d directly counts once for d. */
int tree_callees(const struct table *t, uint32_t thread, uint32_t func, struct tree_links *out);

#endif
