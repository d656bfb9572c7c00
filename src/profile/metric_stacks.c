/* SPDX-License-Identifier: MIT */
/* One metric's counts by stack, read from a writer table's per-metric
 * counts: what a replica in a mode does not carry (the bytes resident
 * memory shrank by), for the outputs that show it (pprof's freed_space). */
#include "table.h"

#include <stdlib.h>

#include "error.h"
#include "table_impl.h"

/* Node n's own count in metric m (0 where the writer has none). */
static uint64_t own_in(const struct table *t, enum table_metric m, uint32_t n)
{
    return t->mc[m] && n < t->mc_cap[m] ? t->mc[m][n].self : 0;
}

/* cb for node n (not a root) with its path, root first, in frames. */
static int visit(const struct table *t, uint32_t thread, uint32_t n, uint64_t count,
                 struct frame_key *frames, table_stack_cb cb, void *arg)
{
    int depth = 0;
    for (uint32_t k = n; k < t->nnodes && t->nodes[k].parent != TABLE_NONE;
         k = t->nodes[k].parent) {
        if ((uint32_t)depth >= t->nnodes || t->nodes[k].site >= t->nsites)
            return ERR_USAGE;                       /* a cycle or a bad site: never */
        frames[depth++] = (struct frame_key){.func = t->sites[t->nodes[k].site].func,
                                             .line = t->sites[t->nodes[k].site].line};
    }
    for (int i = 0; i < depth / 2; i++) {           /* leaf first -> root first */
        struct frame_key x = frames[i];
        frames[i] = frames[depth - 1 - i];
        frames[depth - 1 - i] = x;
    }
    return cb(arg, thread, frames, depth, count);
}

/* Every node of thread's tree below root, depth first. */
static int walk_thread(const struct table *t, enum table_metric m, uint32_t thread,
                       struct frame_key *frames, table_stack_cb cb, void *arg)
{
    uint32_t root = t->threads[thread].root, n = t->nodes[root].first_child;
    int rc = 0;
    for (uint64_t steps = 0; n != TABLE_NONE && rc == 0 && steps <= 2ull * t->nnodes; steps++) {
        uint64_t c = own_in(t, m, n);
        if (c)
            rc = visit(t, thread, n, c, frames, cb, arg);
        if (t->nodes[n].first_child != TABLE_NONE) {
            n = t->nodes[n].first_child;
            continue;
        }
        while (n != root && t->nodes[n].next_sibling == TABLE_NONE && steps++ <= 2ull * t->nnodes)
            n = t->nodes[n].parent;
        n = n == root ? TABLE_NONE : t->nodes[n].next_sibling;
    }
    return rc;
}

int table_foreach_metric_stack(const struct table *t, enum table_metric metric,
                               table_stack_cb cb, void *arg)
{
    if (t->origin || metric <= TABLE_M_ANY || metric >= TABLE_METRICS)
        return ERR_USAGE;
    if (!t->mc[metric] || !t->nnodes)
        return 0;
    struct frame_key *frames = malloc((size_t)t->nnodes * sizeof *frames);
    if (!frames)
        return ERR_NOMEM;
    static const struct frame_key none = {.func = TABLE_NONE, .line = -1};
    int rc = 0;
    for (uint32_t i = 0; i < t->nthreads && rc == 0; i++) {
        uint32_t root = t->threads[i].root;
        if (root == TABLE_NONE || root >= t->nnodes)
            continue;
        if (own_in(t, metric, root))
            rc = cb(arg, i, &none, 0, own_in(t, metric, root));
        if (rc == 0)
            rc = walk_thread(t, metric, i, frames, cb, arg);
    }
    free(frames);
    return rc;
}
