/* SPDX-License-Identifier: MIT */
/* Private to the profile module: the layout of struct table, shared by the
 * code that fills it (table.c), the code that derives views and trees
 * (tree.c, calltree.c) and the replication of a table to its readers
 * (sync.c). */
#ifndef PROFTUI_TABLE_IMPL_H
#define PROFTUI_TABLE_IMPL_H

#include <stdint.h>

#include "idmap.h"
#include "strpool.h"

/* A call-tree node: one (parent, site) pair within one thread's tree. The
 * children of a node form a singly linked list (for walks); lookups by
 * (parent, func, line) go through table.child_map instead. */
struct node {
    uint32_t parent;           /* TABLE_NONE for a thread's root */
    uint32_t site;             /* TABLE_NONE for a thread's root */
    uint32_t first_child;      /* TABLE_NONE when a leaf */
    uint32_t next_sibling;     /* TABLE_NONE for the last child */
    uint64_t self;             /* samples whose leaf is this node */
    uint64_t total;            /* samples whose path passes through this node */
};

struct func {
    uint32_t name, file;       /* string ids in table.strings */
};

/* A site: a function at one line. */
struct site {
    uint32_t func;
    int32_t line;
};

struct thread {
    uint64_t tid;
    uint32_t name;             /* string id, TABLE_NONE while unnamed */
    uint32_t root;             /* root node, TABLE_NONE until the first sample */
    uint64_t samples;
    uint64_t epoch;            /* bumped by table_reset() */

    /* Writer side of the replication (sync.c): the adds since the last
     * sync, kept only once a follower synced, and bounded. */
    struct delta *log;
    uint32_t nlog, log_cap;
    int log_on, log_lost;
    uint64_t gen;              /* syncs served */

    /* Reader side: a replica follows one origin table and is read only. */
    const struct table *origin;
    uint64_t origin_epoch, origin_gen;
    struct delta *pending;     /* copied log, applied outside the lock */
    uint32_t npending, pending_cap;
    uint32_t linked;           /* nodes [0, linked) are in their parents' child lists */
};

/* Grow *arr (of *cap elements of size elsize) to hold at least need
 * elements, doubling; ids stay below TABLE_NONE. 0 or ERR_NOMEM. */
int table_grow(void **arr, uint32_t *cap, size_t need, size_t elsize);

/* Append one add to the writer's log (when a follower listens). */
void table_log_add(struct table *t, uint32_t node, uint64_t weight);

/* One table_add_stack() while a follower is synced (sync.c): the leaf
 * node of the path and the weight. The path is implied by the parents. */
struct delta {
    uint32_t node;
    uint32_t unused;
    uint64_t weight;
};

struct table {
    struct strpool strings;    /* owns every name, file and thread name */

    struct func *funcs;
    uint32_t nfuncs, funcs_cap;
    struct idmap func_map;     /* (name id << 32 | file id, 0) -> func */

    struct site *sites;
    uint32_t nsites, sites_cap;
    struct idmap site_map;     /* (func, (uint32_t)line) -> site */

    struct thread *threads;
    uint32_t nthreads, threads_cap;
    struct idmap thread_map;   /* (tid, 0) -> thread index */

    struct node *nodes;        /* every thread's tree; dropped by table_reset */
    uint32_t nnodes, nodes_cap;
    struct idmap child_map;    /* (parent << 32 | func, (uint32_t)line) -> node */

    uint64_t samples;
    uint64_t epoch;            /* bumped by table_reset() */

    /* Writer side of the replication (sync.c): the adds since the last
     * sync, kept only once a follower synced, and bounded. */
    struct delta *log;
    uint32_t nlog, log_cap;
    int log_on, log_lost;
    uint64_t gen;              /* syncs served */

    /* Reader side: a replica follows one origin table and is read only. */
    const struct table *origin;
    uint64_t origin_epoch, origin_gen;
    struct delta *pending;     /* copied log, applied outside the lock */
    uint32_t npending, pending_cap;
    uint32_t linked;           /* nodes [0, linked) are in their parents' child lists */
};

/* Grow *arr (of *cap elements of size elsize) to hold at least need
 * elements, doubling; ids stay below TABLE_NONE. 0 or ERR_NOMEM. */
int table_grow(void **arr, uint32_t *cap, size_t need, size_t elsize);

/* Append one add to the writer's log (when a follower listens). */
void table_log_add(struct table *t, uint32_t node, uint64_t weight);

#endif
