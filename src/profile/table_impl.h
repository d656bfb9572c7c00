/* SPDX-License-Identifier: MIT */
/* Private to the profile module: the layout of struct table, shared by the
 * code that fills it (table.c), the code that derives views and trees
 * (tree.c, calltree.c) and the replication of a table to its readers
 * (sync.c). */
#ifndef PROFTUI_TABLE_IMPL_H
#define PROFTUI_TABLE_IMPL_H

#include <stdint.h>

#include "idmap.h"
#include "table.h"
#include "strpool.h"
#include "walker.h"

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
    int32_t first_line;        /* co_firstlineno, -1 when unknown */
    int native;                /* a C function (table_intern_native): file is its module */
};

/* A site: a function at one line. */
struct site {
    uint32_t func;
    int32_t line;
};

struct thread {
    uint64_t tid;
    uint32_t pid;              /* its process, 0 when unknown (the profile's own) */
    uint32_t name;             /* string id, TABLE_NONE while unnamed */
    uint32_t root;             /* root node, TABLE_NONE until the first sample */
    uint32_t leaf;             /* the leaf of its last stack added (a hint: checked before use) */
    uint64_t samples;          /* in the table's mode (a writer's: every sample) */
    uint64_t failed[WALK_FAIL_COUNT]; /* samples that are failures, by enum walk_fail, the same */
    uint64_t metric[TABLE_METRICS];   /* samples (bytes) by metric, every mode's */
    uint64_t failed_m[TABLE_METRICS][WALK_FAIL_COUNT]; /* failures by metric */
    uint64_t gil_waits;        /* samples in which it waited for the GIL */
    struct table_states saved; /* its states as a file said (saved_states set) */
    int saved_states;
    int kind;                  /* enum thread_kind: its own stacks, its asyncio task stacks
                                * (table_task_thread_of) or its mixed native stacks
                                * (table_native_thread_of) */
};

/* The kinds of stacks a thread record holds (struct thread.kind). */
enum thread_kind { KIND_OWN, KIND_TASKS, KIND_NATIVE };

/* A process's name (table_set_process_name). */
struct pname {
    uint32_t pid;
    uint32_t name;             /* string id */
};

/* One table_add_stack() while a follower is synced (sync.c): the leaf
 * node of the path and the weight. The path is implied by the parents. */
struct delta {
    uint32_t node;
    uint16_t metric;           /* enum table_metric */
    int16_t where;             /* enum table_where: a sample on a CPU, else TABLE_W_NONE */
    uint64_t weight;
};

/* One own count of a node in one metric (table.mc): the next of the
 * node's list, TABLE_NONE the last. */
struct mcount {
    uint64_t n;
    uint32_t next;
    uint32_t metric;           /* enum table_metric */
};

/* A node's own samples on a CPU by where they ran (table_where). */
struct wcount {
    uint64_t n[TABLE_WHERES];
};

/* The flat counts of a table, kept as stacks are added (flat.c), so
 * that a flat view costs O(rows) instead of a walk of every node. Kind 0
 * counts functions, kind 1 sites (lines). Per thread, an entry per
 * (thread, key) the thread's stacks hold, chained by key; for all threads,
 * an array by key. Each node knows its two entries, so counting a sample
 * is a walk up its path: own on the leaf's entries, total on every entry
 * the first time the path meets it (the stamp), and the function's
 * busiest line. The split of own by where it ran is apart, made for the
 * entries that have one (callers and idle code have none). */
enum { FLAT_FUNC, FLAT_SITE, FLAT_KINDS };

/* One (thread, key): 32 bytes, what every entry needs; a function's
 * busiest line and the splits by where, which few entries have or need,
 * are in arrays apart (flatcount.hot, went). */
struct fcount {
    uint64_t own, total;
    uint32_t key;              /* function or site id */
    uint32_t thread;
    uint32_t stamp;            /* the last path that counted its total */
    uint32_t next;             /* the entry of the same key in another thread */
};

struct fall {                  /* one key, all threads: 24 bytes (the split apart: wall) */
    uint64_t own, total;
    uint32_t aux;              /* function: its busiest site id (TABLE_NONE); site: line */
    uint32_t first;            /* its first per-thread entry, TABLE_NONE */
};

struct fc_list {
    uint32_t *ids;             /* entries of one thread */
    uint32_t n, cap;
};

struct fc_node {
    uint32_t ent[FLAT_KINDS];  /* a root: [FLAT_FUNC] is its thread */
};

struct flatcount {
    int on;                    /* kept with the nodes: replicas, and tables that asked */
    int off;                   /* a replica asked not to keep them (table_untrack_flat) */
    int valid;                 /* the counts match the nodes (else derived on demand) */
    int stale;                 /* the nodes were replaced: count them all again */
    uint32_t registered;       /* nodes [0, registered) know their entries */
    struct fc_node *nodes;
    uint32_t nodes_cap;
    struct fcount *ent[FLAT_KINDS];
    uint32_t nent[FLAT_KINDS], ent_cap[FLAT_KINDS];
    struct fall *all[FLAT_KINDS];
    uint32_t nall[FLAT_KINDS], all_cap[FLAT_KINDS];
    struct fc_list *lists[FLAT_KINDS];  /* by thread index */
    uint32_t nlists, lists_cap[FLAT_KINDS];
    uint32_t stamp;
    /* By function entry, its busiest site entry (TABLE_NONE). */
    uint32_t *hot;
    uint32_t hot_cap;
    /* The splits by where (table_keeps_where) of the entries of both
     * kinds, per thread and for all, that have one; by entry (went) and
     * by key (wall) the index of its split, TABLE_NONE: none, for entries
     * [0, nwent) and keys [0, nwall) (NULL before the first split: a
     * table without them pays nothing). */
    struct wcount *where;
    uint32_t nwhere, where_cap;
    uint32_t *went[FLAT_KINDS], *wall[FLAT_KINDS];
    uint32_t nwent[FLAT_KINDS], went_cap[FLAT_KINDS];
    uint32_t nwall[FLAT_KINDS], wall_cap[FLAT_KINDS];
};

struct table {
    struct strpool strings;    /* owns every name, file and thread name... */
    const struct table *names; /* ...unless it borrows those of this table: its
                                * function and thread records hold string ids
                                * of the lender (a lensed table, lens.c) */

    struct func *funcs;
    uint32_t nfuncs, funcs_cap;
    struct idmap func_map;     /* (name id << 32 | file id, (uint32_t)first line) -> func */

    struct site *sites;
    uint32_t nsites, sites_cap;
    /* Sites by (func, line): open addressing of bare site ids (the key is
     * the site's own, in sites[]), TABLE_NONE empty. Looked up only when a
     * node is made, never per sample, so a slot of 4 bytes, not an idmap's
     * 16 (1.5 MB less at 63,000 sites). */
    uint32_t *site_slots;
    size_t site_slots_cap;     /* a power of two, or 0 */

    struct thread *threads;
    uint32_t nthreads, threads_cap;
    struct pname *pnames;      /* few: looked up by a scan */
    uint32_t npnames, pnames_cap;
    struct idmap thread_map;   /* (tid, pid) -> thread index */

    struct node *nodes;        /* every thread's tree; dropped by table_reset */
    uint32_t nnodes, nodes_cap;
    struct idmap child_map;    /* (parent << 32 | func, (uint32_t)line) -> node */

    uint64_t samples;
    uint64_t epoch;            /* bumped by table_reset() */

    /* The writer's own counts (self) of each node by metric, so that a
     * replica in any mode can be copied whole; a node's total in a metric
     * is its own plus its children's totals, summed when needed. Sparse:
     * only the nodes where samples end have own counts, in one or two
     * metrics (the states a leaf ran in), so a node has a list of
     * (metric, count), mc_head[node] its first (TABLE_NONE: none), valid
     * for nodes [0, nnodes) below mc_head_cap (NULL until a metric is
     * first counted; TABLE_M_ANY has none: it is in the plain counts
     * only): 4 bytes a node and 16 a count, not 8 a node per metric
     * (table_mc_reserve). */
    uint32_t *mc_head;
    uint32_t mc_head_cap;
    struct mcount *mc;
    uint32_t nmc, mc_cap;
    unsigned mc_metrics;       /* bit m: metric m was reserved (may have counts) */

    /* A replica's mode (the metrics its counts sum), and the mode of its
     * last copy (a change makes the next one whole). */
    enum table_mode mode;
    enum table_mode copied_mode;
    uint32_t ntask_threads;     /* of the threads, those of task stacks (a replica: its origin's) */
    uint32_t nnative_threads;   /* of the threads, those of mixed native stacks (the same) */
    int show_tasks;             /* a replica of the task stacks, not the threads' (table_set_tasks) */
    int show_native;            /* a replica of the mixed native stacks where there are any
                                 * (table_set_native) */
    int copied_kind;            /* the kind its last copy showed (shown_kind) */
    uint32_t task_focus, copied_focus; /* one task's stacks alone (table_set_task) */
    uint32_t last_leaf;         /* the writer's last added stack's leaf (table_last_leaf) */
    /* A replica of task stacks: by node, the function of the innermost
     * "[task NAME]" frame on its path (TABLE_NONE: none), known for the
     * first ninner nodes; by function, the samples under each task. */
    uint32_t *inner;
    uint32_t ninner, inner_cap;
    uint64_t *task_sum;
    uint32_t task_sum_cap, task_sum_n;  /* task_sum[0..task_sum_n) are counted */
    int only_pid, copied_only;  /* a replica of one process's threads ... */
    uint32_t pid, copied_pid;   /* ... this one (table_set_process) */
    /* A whole copy of a replica in another mode or of one process: the
     * writer's counts of the mode's metrics, copied under the lock, and
     * the nodes' counts and links still to redo from them without it. */
    uint32_t *mcopy_head;      /* as mc_head and mc, for nodes [0, nnodes) */
    uint32_t mcopy_head_cap;
    struct mcount *mcopy;
    uint32_t nmcopy, mcopy_cap;
    int rework;

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
    uint32_t napplied;         /* adds replayed by the last table_sync_apply() (in pending) */
    uint64_t applies;          /* table_sync_apply() calls */
    uint64_t whole_copies;     /* syncs that copied every node */
    int replays;               /* no replica, but derived from one (the lens): records its
                                * adds in pending, napplied, applies and whole_copies as a
                                * replica does, for the readers that follow them */

    struct flatcount flat;

    /* By node, its own samples on a CPU by where (where.c): nodes
     * [0, nwc) have theirs; NULL before the first such sample. A replica
     * keeps them only in the modes whose samples they split (where_on). */
    struct wcount *wc;
    uint32_t nwc, wc_cap;
    int where_on;
};

/* Grow *arr (of *cap elements of size elsize) to hold at least need
 * elements, doubling; ids stay below TABLE_NONE. 0 or ERR_NOMEM. */
int table_grow(void **arr, uint32_t *cap, size_t need, size_t elsize);

/* The metrics of wall mode: every sample metric. */
#define TABLE_SAMPLE_MASK ((1u << TABLE_M_ALLOC) - 1u)

/* Append one add to the writer's log (when a follower listens). */
void table_log_add(struct table *t, uint32_t node, uint64_t weight, enum table_metric metric);

/* The root of a thread's tree, made when it has none yet (table.c).
 * TABLE_NONE on ENOMEM or for an unknown thread. */
uint32_t table_thread_root(struct table *t, uint32_t thread);

/* The thread whose tree has root node `root`, or TABLE_NONE (table.c). */
uint32_t table_root_thread(const struct table *t, uint32_t root);

/* The child of parent for (func, line), created when new (table.c).
 * TABLE_NONE on ENOMEM. */
uint32_t table_child(struct table *t, uint32_t parent, uint32_t func, int32_t line);

/* Count weight samples ending at node of thread: self, the totals up its
 * path, the thread's and the table's samples, the flat counts. */
void table_count_at(struct table *t, uint32_t thread, uint32_t node, uint64_t weight);

/* The writer's counts by metric (mode.c): make room for every node the
 * table can hold and one more count (0 or ERR_NOMEM), give a new node
 * none (heads of nodes [0, nnodes) are valid, the rest unset), add
 * weight to a node's count in metric (room reserved), free them. */
int table_mc_reserve(struct table *t, enum table_metric metric);
void table_mc_new_node(struct table *t, uint32_t node);
void table_mc_add(struct table *t, uint32_t node, enum table_metric metric, uint64_t weight);
void table_mc_free(struct table *t);

/* The flat counts (flat.c). init: empty, owning nothing; free: release;
 * clear: no counts, no entries, allocations kept. */
void flat_init(struct flatcount *fc);
void flat_free(struct flatcount *fc);
void flat_clear(struct flatcount *fc);
/* Give nodes [registered, nnodes) their entries. 0 or ERR_NOMEM. */
int flat_register(const struct table *t, struct flatcount *fc);
/* Count weight samples whose leaf is node (registered). */
void flat_count(const struct table *t, struct flatcount *fc, uint32_t node, uint64_t weight);
/* Count every node's self again from nothing. 0 or ERR_NOMEM. */
int flat_rebuild(const struct table *t, struct flatcount *fc);
/* Keep t's counts up to date after weight samples ended at node, or
 * mark them invalid when they cannot be. */
void flat_added(struct table *t, uint32_t node, uint64_t weight);
/* Count weight of node's own samples (registered) as run `where`. 0 or
 * ERR_NOMEM (nothing counted then). */
int flat_count_where(struct flatcount *fc, uint32_t node, uint64_t weight, enum table_where where);

/* where.c: weight own samples of node ran `where` (t->wc, and t's flat
 * counts when it keeps them and they follow the nodes). 0 or ERR_NOMEM. */
int table_where_add(struct table *t, uint32_t node, uint64_t weight, enum table_where where);
/* Make room for every node's counts by where, zero for nodes new since
 * (nwc = nnodes). 0 or ERR_NOMEM. */
int table_where_reserve(struct table *t);
/* The flat counts by where of every node with own samples, from t->wc
 * (flat_rebuild). 0 or ERR_NOMEM. */
int flat_rebuild_where(const struct table *t, struct flatcount *fc);

/* The kind of thread records a replica shows: the task stacks when asked
 * for, else the mixed native stacks when asked for and there are any, else
 * the threads' own. */
static inline int shown_kind(const struct table *t)
{
    if (t->show_tasks)
        return KIND_TASKS;
    return t->show_native && t->nnative_threads ? KIND_NATIVE : KIND_OWN;
}

#endif
