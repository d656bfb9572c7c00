/* SPDX-License-Identifier: MIT */
/* Replication of a table to a reader's replica: copy what changed while
 * the writer's lock is held, then rebuild the counts without it.
 *
 * Why this design (measured with bench/ui_bench, 10,000 functions, 240,000
 * nodes): deriving the flat view from the live table under the lock held
 * the sampler back 7-16 ms per refresh. Copying the whole node array each
 * refresh would still be ~2 ms of memcpy under the lock. Everything in a
 * table but the counts only grows (strings, functions, sites, nodes; a
 * reset drops nodes only and bumps the epoch), and each table_add_stack()
 * changes exactly the counts on one root-to-leaf path, which the leaf
 * node names. So the writer keeps, once a follower exists, a log of
 * (leaf, weight) per add; a sync copies under the lock only the grown
 * tails and that log (tens of microseconds per refresh), and the reader
 * replays the log outside the lock, O(depth) per logged stack. A replica
 * is an ordinary (read-only) table: every query works on it unchanged.
 * The log is bounded: past LOG_MAX adds between two syncs, or after a
 * reset, the next sync copies the nodes whole. One follower gets the
 * incremental path; a second reader syncing in turn makes both copy whole. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "table_impl.h"
#include "tree.h"

#define LOG_MAX (1u << 20)     /* adds between two syncs before a full copy (16 MB) */

void table_log_add(struct table *t, uint32_t node, uint64_t weight, enum table_metric metric)
{
    if (t->log_lost)
        return;
    if (t->nlog == t->log_cap &&
        (t->nlog >= LOG_MAX ||
         table_grow((void **)&t->log, &t->log_cap, (size_t)t->nlog + 1, sizeof *t->log) < 0)) {
        t->log_lost = 1;        /* the next sync copies the counts whole */
        t->nlog = 0;
        return;
    }
    t->log[t->nlog++] = (struct delta){.node = node, .metric = (uint16_t)metric, .where = TABLE_W_NONE,
                                        .weight = weight};
}

/* Make dst an empty replica (it may have followed another table). */
static void forget(struct table *dst)
{
    /* The sync counters go on: a follower of the replica (lens.c) must
     * see that everything changed. */
    struct table fresh = {.applies = dst->applies + 1, .whole_copies = dst->whole_copies + 1,
                          .mode = dst->mode, .only_pid = dst->only_pid, .pid = dst->pid,
                          .show_tasks = dst->show_tasks, .show_native = dst->show_native,
                          .task_focus = dst->task_focus, .copied_focus = TABLE_NONE};
    int flat_off = dst->flat.off;
    strpool_free(&dst->strings);
    free(dst->funcs);
    free(dst->sites);
    free(dst->threads);
    free(dst->pnames);
    free(dst->nodes);
    free(dst->pending);
    free(dst->log);
    free(dst->inner);
    free(dst->task_sum);
    free(dst->wc);
    idmap_free(&dst->func_map);
    free(dst->site_slots);
    idmap_free(&dst->thread_map);
    idmap_free(&dst->child_map);
    flat_free(&dst->flat);
    free(dst->mcopy_head);
    free(dst->mcopy);
    *dst = fresh;
    strpool_init(&dst->strings);
    idmap_init(&dst->func_map);
    idmap_init(&dst->thread_map);
    idmap_init(&dst->child_map);
    flat_init(&dst->flat);
    dst->flat.off = flat_off;
}

/* Whether thread i is in a replica's scope: its process, and the kind of
 * stacks it shows (a thread's own or its tasks'). */
static int in_scope(const struct table *dst, uint32_t i)
{
    return (!dst->only_pid || dst->threads[i].pid == dst->pid) &&
           dst->threads[i].kind == shown_kind(dst);
}

/* Whether some thread can be out of a replica's scope. */
static int scoped(const struct table *dst)
{
    return dst->only_pid || dst->ntask_threads || dst->nnative_threads || dst->show_tasks;
}

/* A replica in a mode other than wall, or of one process: each thread's
 * samples and failures are those of the mode's metrics, none out of the
 * scope. */
static void count_threads_in_mode(struct table *dst)
{
    unsigned mask = table_mode_mask(dst->mode);
    dst->samples = 0;
    for (uint32_t i = 0; i < dst->nthreads; i++) {
        struct thread *th = &dst->threads[i];
        th->samples = 0;
        memset(th->failed, 0, sizeof th->failed);
        for (int m = 0; m < TABLE_METRICS && in_scope(dst, i); m++) {
            if (!(mask >> m & 1u))
                continue;
            th->samples += th->metric[m];
            for (int w = 0; w < WALK_FAIL_COUNT; w++)
                th->failed[w] += th->failed_m[m][w];
        }
        dst->samples += th->samples;
    }
}

/* Strings, functions and sites only grow and keep their ids: append the
 * tails (interning in id order gives the same ids). */
static int copy_names(struct table *dst, const struct table *src)
{
    for (uint32_t id = dst->strings.n; id < src->strings.n; id++) {
        const struct strpool_ent *e = &src->strings.ents[id];
        if (strpool_intern(&dst->strings, e->s, e->len) != id)
            return ERR_NOMEM;
    }
    if (table_grow((void **)&dst->funcs, &dst->funcs_cap, src->nfuncs, sizeof *dst->funcs) < 0 ||
        table_grow((void **)&dst->sites, &dst->sites_cap, src->nsites, sizeof *dst->sites) < 0 ||
        table_grow((void **)&dst->threads, &dst->threads_cap, src->nthreads, sizeof *dst->threads) < 0)
        return ERR_NOMEM;
    if (src->nfuncs > dst->nfuncs)      /* (no memcpy from a NULL array) */
        memcpy(dst->funcs + dst->nfuncs, src->funcs + dst->nfuncs, (src->nfuncs - dst->nfuncs) * sizeof *dst->funcs);
    if (src->nsites > dst->nsites)
        memcpy(dst->sites + dst->nsites, src->sites + dst->nsites, (src->nsites - dst->nsites) * sizeof *dst->sites);
    dst->nfuncs = src->nfuncs;
    dst->nsites = src->nsites;
    /* Thread records are few and change in place (names, counters). */
    if (src->nthreads)
        memcpy(dst->threads, src->threads, src->nthreads * sizeof *dst->threads);
    dst->nthreads = src->nthreads;
    dst->ntask_threads = src->ntask_threads;
    dst->nnative_threads = src->nnative_threads;
    dst->samples = src->samples;
    if (table_grow((void **)&dst->pnames, &dst->pnames_cap, src->npnames, sizeof *dst->pnames) < 0)
        return ERR_NOMEM;
    if (src->npnames)
        memcpy(dst->pnames, src->pnames, src->npnames * sizeof *dst->pnames);
    dst->npnames = src->npnames;
    if (dst->mode != TABLE_MODE_WALL || scoped(dst))
        count_threads_in_mode(dst);
    return 0;
}

/* Link node n first among its parent's children (a root has no parent). */
static void link_node(struct table *dst, uint32_t n)
{
    uint32_t parent = dst->nodes[n].parent;
    if (parent == TABLE_NONE)
        return;
    dst->nodes[n].next_sibling = dst->nodes[parent].first_child;
    dst->nodes[parent].first_child = n;
}

/* Link only the nodes with a count (in id order, as the writer linked
 * them), so that every walk sees the tree of the mode alone: a node made
 * by bytes of memory has no sample, one made by samples of other states
 * none in this mode. */
static void relink_counted(struct table *dst)
{
    for (uint32_t i = 0; i < dst->nnodes; i++)
        dst->nodes[i].first_child = dst->nodes[i].next_sibling = TABLE_NONE;
    for (uint32_t i = 0; i < dst->nnodes; i++)
        if (dst->nodes[i].total)
            link_node(dst, i);
}

/* A whole copy in a mode other than wall: each node's own count is the
 * sum of the mode's metrics (from the copies made under the lock), its
 * total its own and its children's, summed from the leaves up (children
 * are younger than their parents). */
static void recount_nodes_in_mode(struct table *dst)
{
    unsigned mask = table_mode_mask(dst->mode);
    for (uint32_t i = 0; i < dst->nnodes; i++) {
        struct node *n = &dst->nodes[i];
        n->self = n->total = 0;
        uint32_t e = i < dst->mcopy_head_cap ? dst->mcopy_head[i] : TABLE_NONE;
        for (uint32_t hops = 0; e < dst->nmcopy && hops < TABLE_METRICS; e = dst->mcopy[e].next, hops++)
            if (dst->mcopy[e].metric < TABLE_METRICS && (mask >> dst->mcopy[e].metric & 1u))
                n->self += dst->mcopy[e].n;
    }
    for (uint32_t i = dst->nnodes; i-- > 0;) {
        struct node *n = &dst->nodes[i];
        n->total += n->self;
        if (n->parent < i)
            dst->nodes[n->parent].total += n->total;
    }
}

/* Under the lock: the writer's counts by metric as they are (every
 * metric: recount_nodes_in_mode() sums those of the mode), the heads of
 * every node (none where the writer has none yet). */
static int copy_metrics(struct table *dst, const struct table *src)
{
    uint32_t n = src->nnodes ? src->nnodes : 1, have = src->mc_head_cap < src->nnodes ? src->mc_head_cap : src->nnodes;
    if (table_grow((void **)&dst->mcopy_head, &dst->mcopy_head_cap, n, sizeof *dst->mcopy_head) < 0 ||
        table_grow((void **)&dst->mcopy, &dst->mcopy_cap, src->nmc ? src->nmc : 1, sizeof *dst->mcopy) < 0)
        return ERR_NOMEM;
    if (have)
        memcpy(dst->mcopy_head, src->mc_head, (size_t)have * sizeof *dst->mcopy_head);
    memset(dst->mcopy_head + have, 0xff, (size_t)(src->nnodes - have) * sizeof *dst->mcopy_head);  /* TABLE_NONE */
    if (src->nmc)
        memcpy(dst->mcopy, src->mc, (size_t)src->nmc * sizeof *dst->mcopy);
    dst->nmcopy = src->nmc;
    return 0;
}

/* The copies of the writer's counts, needed no more. */
static void drop_metrics(struct table *dst)
{
    free(dst->mcopy_head);
    free(dst->mcopy);
    dst->mcopy_head = NULL;
    dst->mcopy = NULL;
    dst->mcopy_head_cap = dst->nmcopy = dst->mcopy_cap = 0;
}

/* The thread whose tree node n is in (its root's), or TABLE_NONE. */
static uint32_t thread_of_node(const struct table *dst, uint32_t n)
{
    for (uint32_t hops = 0; hops <= dst->nnodes && dst->nodes[n].parent != TABLE_NONE; hops++)
        n = dst->nodes[n].parent;
    return table_root_thread(dst, n);
}

static int zero_node(void *arg, const struct table *t, uint32_t node, size_t depth)
{
    struct table *dst = arg;           /* t, writable */
    dst->nodes[node].self = dst->nodes[node].total = 0;
    return 0;
}

/* A whole copy of one process: the counts of the other threads' trees are
 * zero (their nodes are then not linked). The links are still the
 * writer's here, so the one traversal (tree.h) walks them. */
static void clear_out_of_scope(struct table *dst)
{
    struct tree_walk w = {.enter = zero_node, .leave = NULL, .arg = dst};
    for (uint32_t i = 0; i < dst->nthreads; i++) {
        uint32_t root = dst->threads[i].root;
        if (in_scope(dst, i) || root >= dst->nnodes)
            continue;
        dst->nodes[root].self = dst->nodes[root].total = 0;
        tree_walk(dst, root, &w);
    }
}

/* The function of the "[task NAME]" frame of node n's own frame, or
 * TABLE_NONE when it is another frame. */
static uint32_t task_marker(const struct table *dst, uint32_t n)
{
    uint32_t site = dst->nodes[n].site;
    if (site >= dst->nsites)
        return TABLE_NONE;
    uint32_t f = dst->sites[site].func;
    const char *name = table_func_name(dst, f);
    return strncmp(name, TABLE_TASK_PREFIX, sizeof TABLE_TASK_PREFIX - 1) == 0 &&
                   !*table_func_file(dst, f) ? f : TABLE_NONE;
}

/* A replica of task stacks: the innermost task of each node not known
 * yet (a node's parent is older than it), and room for every function's
 * task samples. On ENOMEM there are none (task_sum NULL): every task is
 * shown. */
static void know_tasks(struct table *dst)
{
    if (table_grow((void **)&dst->inner, &dst->inner_cap, dst->nnodes ? dst->nnodes : 1,
                   sizeof *dst->inner) < 0 ||
        table_grow((void **)&dst->task_sum, &dst->task_sum_cap, dst->nfuncs ? dst->nfuncs : 1,
                   sizeof *dst->task_sum) < 0) {
        free(dst->task_sum);
        dst->task_sum = NULL;
        dst->task_sum_cap = dst->task_sum_n = 0;
        return;
    }
    if (dst->nfuncs > dst->task_sum_n) {    /* new functions: no samples under them yet */
        memset(dst->task_sum + dst->task_sum_n, 0,
               (size_t)(dst->nfuncs - dst->task_sum_n) * sizeof *dst->task_sum);
        dst->task_sum_n = dst->nfuncs;
    }
    for (uint32_t i = dst->ninner; i < dst->nnodes; i++) {
        uint32_t m = task_marker(dst, i), p = dst->nodes[i].parent;
        dst->inner[i] = m != TABLE_NONE ? m : p < i ? dst->inner[p] : TABLE_NONE;
    }
    dst->ninner = dst->nnodes;
}

/* Whether the replica shows one task's stacks alone. */
static int focused(const struct table *dst)
{
    return dst->show_tasks && dst->task_focus != TABLE_NONE && dst->task_sum;
}

/* After a whole copy: each task's samples from the nodes' own counts;
 * with one task shown, the others' counts dropped and the totals summed
 * again from the leaves up (children are younger than their parents). */
static void sum_tasks_whole(struct table *dst)
{
    memset(dst->task_sum, 0, (size_t)dst->nfuncs * sizeof *dst->task_sum);
    for (uint32_t i = 0; i < dst->nnodes; i++)
        if (dst->inner[i] != TABLE_NONE && dst->inner[i] < dst->nfuncs)
            dst->task_sum[dst->inner[i]] += dst->nodes[i].self;
    if (!focused(dst))
        return;
    for (uint32_t i = 0; i < dst->nnodes; i++) {
        dst->nodes[i].total = 0;
        if (dst->inner[i] != dst->task_focus)
            dst->nodes[i].self = 0;
    }
    for (uint32_t i = dst->nnodes; i-- > 0;) {
        struct node *n = &dst->nodes[i];
        n->total += n->self;
        if (n->parent < i)
            dst->nodes[n->parent].total += n->total;
    }
}

/* One task shown: each thread's samples are its tree's (no failure is a
 * task's). */
static void count_threads_focused(struct table *dst)
{
    dst->samples = 0;
    for (uint32_t i = 0; i < dst->nthreads; i++) {
        struct thread *th = &dst->threads[i];
        memset(th->failed, 0, sizeof th->failed);
        th->samples = in_scope(dst, i) && th->root < dst->nnodes ? dst->nodes[th->root].total : 0;
        dst->samples += th->samples;
    }
}

/* After a whole copy, without the lock: the counts of the mode, none out
 * of the process scope, and only the counted nodes linked. */
static void redo_whole(struct table *dst)
{
    if (dst->mode != TABLE_MODE_WALL)
        recount_nodes_in_mode(dst);
    if (scoped(dst))
        clear_out_of_scope(dst);
    if (dst->show_tasks && dst->task_sum)
        sum_tasks_whole(dst);
    relink_counted(dst);
    drop_metrics(dst);
    dst->rework = 0;
}

/* Whether a replica in mode m splits its own samples on a CPU by where
 * they ran: in wall and cpu mode every sample on a CPU is one the mode
 * counts; in the others the writer's split would not be of the mode's
 * samples (gil) or there is none (idle, memory). */
static int mode_splits(enum table_mode m)
{
    return m == TABLE_MODE_WALL || m == TABLE_MODE_CPU;
}

/* Under the lock: the writer's counts by where of every node, when the
 * replica's mode splits them. */
static int copy_where(struct table *dst, const struct table *src)
{
    dst->where_on = mode_splits(dst->mode) && src->wc;
    dst->nwc = 0;
    if (!dst->where_on)
        return 0;
    if (table_grow((void **)&dst->wc, &dst->wc_cap, src->nnodes ? src->nnodes : 1, sizeof *dst->wc) < 0)
        return ERR_NOMEM;
    uint32_t have = src->nwc < src->nnodes ? src->nwc : src->nnodes;
    if (have)
        memcpy(dst->wc, src->wc, (size_t)have * sizeof *dst->wc);
    memset(dst->wc + have, 0, (size_t)(src->nnodes - have) * sizeof *dst->wc);
    dst->nwc = src->nnodes;
    return 0;
}

/* Every node with its links and counts, as they are now; in another mode
 * or of one process, the counts of the mode's metrics too, for
 * table_sync_apply() to redo the nodes from. */
static int copy_nodes_whole(struct table *dst, const struct table *src)
{
    if (table_grow((void **)&dst->nodes, &dst->nodes_cap, src->nnodes, sizeof *dst->nodes) < 0)
        return ERR_NOMEM;
    if ((dst->mode != TABLE_MODE_WALL && copy_metrics(dst, src) < 0) || copy_where(dst, src) < 0)
        return ERR_NOMEM;
    if (src->nnodes)
        memcpy(dst->nodes, src->nodes, src->nnodes * sizeof *dst->nodes);
    dst->nnodes = src->nnodes;
    dst->rework = dst->mode != TABLE_MODE_WALL || scoped(dst) || (src->mc_metrics >> TABLE_M_ALLOC & 1u) ||
                  (src->mc_metrics >> TABLE_M_FREED & 1u);
    dst->npending = 0;
    dst->whole_copies++;
    dst->flat.stale = 1;       /* table_sync_apply() counts every node again */
    return 0;
}

/* The new nodes (unlinked, no counts) and the log of adds since the last
 * sync, those of the replica's mode; table_sync_apply() links and counts
 * them. */
static int copy_nodes_delta(struct table *dst, const struct table *src)
{
    if (table_grow((void **)&dst->nodes, &dst->nodes_cap, src->nnodes, sizeof *dst->nodes) < 0 ||
        table_grow((void **)&dst->pending, &dst->pending_cap, (size_t)dst->npending + src->nlog,
                   sizeof *dst->pending) < 0)
        return ERR_NOMEM;
    for (uint32_t i = dst->nnodes; i < src->nnodes; i++)
        dst->nodes[i] = (struct node){.parent = src->nodes[i].parent, .site = src->nodes[i].site,
                                      .first_child = TABLE_NONE, .next_sibling = TABLE_NONE};
    dst->nnodes = src->nnodes;
    /* The writer's first sample on a CPU since the last copy: its adds
     * since are all in the log, so every node starts from zero. */
    dst->where_on = mode_splits(dst->mode) && src->wc;
    unsigned mask = table_mode_mask(dst->mode);
    for (uint32_t k = 0; k < src->nlog; k++)
        if (src->log[k].metric < TABLE_METRICS && (mask >> src->log[k].metric & 1u))
            dst->pending[dst->npending++] = src->log[k];
    return 0;
}

/* The kind of thread records dst will show once it has copied src's. */
static int kind_after(const struct table *dst, const struct table *src)
{
    if (dst->show_tasks)
        return KIND_TASKS;
    return dst->show_native && src->nnative_threads ? KIND_NATIVE : KIND_OWN;
}

int table_sync_copy(struct table *dst, struct table *src)
{
    if (dst == src || src->origin)
        return ERR_USAGE;
    if (dst->origin != src)
        forget(dst);
    int incremental = dst->origin == src && dst->origin_epoch == src->epoch &&
                      dst->origin_gen == src->gen && !src->log_lost &&
                      dst->copied_mode == dst->mode && dst->copied_only == dst->only_pid &&
                      dst->copied_pid == dst->pid && dst->copied_kind == kind_after(dst, src) &&
                      dst->copied_focus == dst->task_focus;
    int rc = copy_names(dst, src);
    if (rc == 0)
        rc = incremental ? copy_nodes_delta(dst, src) : copy_nodes_whole(dst, src);
    if (rc < 0) {
        forget(dst);            /* a half-copied replica must not be read */
        return rc;
    }
    src->gen++;
    src->nlog = 0;
    src->log_lost = 0;
    src->log_on = 1;
    dst->origin = src;
    dst->copied_mode = dst->mode;
    dst->copied_only = dst->only_pid;
    dst->copied_pid = dst->pid;
    dst->copied_kind = shown_kind(dst);
    dst->copied_focus = dst->task_focus;
    dst->origin_epoch = src->epoch;
    dst->origin_gen = src->gen;
    dst->flat.on = !dst->flat.off;
    return 0;
}

/* The flat counts follow the replayed adds; after a whole copy, or once
 * they could not follow, they are counted again from the nodes. */
static void apply_flat(struct table *dst)
{
    struct flatcount *fc = &dst->flat;
    if (!fc->on)
        return;
    if (fc->stale || !fc->valid) {
        fc->stale = 0;
        flat_rebuild(dst, fc);
        return;
    }
    if (flat_register(dst, fc) < 0) {
        fc->valid = 0;
        return;
    }
    for (uint32_t k = 0; k < dst->npending; k++) {
        const struct delta *d = &dst->pending[k];
        if (d->node >= dst->nnodes)
            continue;
        flat_count(dst, fc, d->node, d->weight);
        if (dst->where_on && d->where >= 0 &&
            flat_count_where(fc, d->node, d->weight, (enum table_where)d->where) < 0) {
            fc->valid = 0;            /* table_flat derives the counts instead */
            return;
        }
    }
}

/* Replay the copied adds into the counts up their paths; a node is
 * linked when it gets its first count (new nodes come unlinked: in the
 * order of their first samples, which is the writer's order of creation
 * unless bytes of memory made them). */
static void replay(struct table *dst)
{
    if (scoped(dst)) {        /* keep the adds of the process's threads only (of one task) */
        uint32_t kept = 0;
        for (uint32_t k = 0; k < dst->npending; k++) {
            uint32_t n = dst->pending[k].node;
            uint32_t th = n < dst->nnodes ? thread_of_node(dst, n) : TABLE_NONE;
            if (th == TABLE_NONE || !in_scope(dst, th))
                continue;
            uint32_t task = dst->show_tasks && dst->task_sum ? dst->inner[n] : TABLE_NONE;
            if (task < dst->nfuncs)
                dst->task_sum[task] += dst->pending[k].weight;
            if (!focused(dst) || task == dst->task_focus)
                dst->pending[kept++] = dst->pending[k];
        }
        dst->npending = kept;
    }
    for (uint32_t k = 0; k < dst->npending; k++) {
        uint32_t n = dst->pending[k].node;
        uint64_t w = dst->pending[k].weight;
        if (n >= dst->nnodes)
            continue;
        dst->nodes[n].self += w;
        int where = dst->pending[k].where;
        if (dst->where_on && where >= 0 && where < TABLE_WHERES && n < dst->nwc)
            dst->wc[n].n[where] += w;
        for (uint32_t hops = 0; n != TABLE_NONE && hops <= dst->nnodes; hops++) {
            if (w && !dst->nodes[n].total)
                link_node(dst, n);
            dst->nodes[n].total += w;
            n = dst->nodes[n].parent;
        }
    }
}

void table_sync_apply(struct table *dst)
{
    if (dst->show_tasks)
        know_tasks(dst);
    if (dst->rework)
        redo_whole(dst);
    if (dst->where_on && table_where_reserve(dst) < 0)
        dst->where_on = 0;     /* no split rather than a wrong one */
    replay(dst);
    if (focused(dst))
        count_threads_focused(dst);
    apply_flat(dst);
    dst->napplied = dst->npending;
    dst->npending = 0;
    dst->applies++;
}

/* Does t say what its last sync replayed (a replica, or the lensed table)? */
static int says_replayed(const struct table *t)
{
    return t->origin || t->replays;
}

uint64_t table_sync_replayed(const struct table *t, size_t *n, uint64_t *whole)
{
    *n = says_replayed(t) ? t->napplied : 0;
    *whole = t->whole_copies;
    return says_replayed(t) ? t->applies : 0;
}

uint32_t table_sync_replayed_add(const struct table *t, size_t i, uint64_t *weight)
{
    if (!says_replayed(t) || i >= t->napplied) {
        *weight = 0;
        return TABLE_NONE;
    }
    *weight = t->pending[i].weight;
    return t->pending[i].node;
}
