/* SPDX-License-Identifier: MIT */
/* Where the samples on a CPU ran (Python bytecode, C code a frame called,
 * the kernel): each node's own samples by where, kept beside its counts,
 * copied and replayed with them into replicas, and counted into the flat
 * views' rows (table.h, enum table_where). */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "table_impl.h"

int table_where_reserve(struct table *t)
{
    if (t->nwc >= t->nnodes)
        return 0;
    if (table_grow((void **)&t->wc, &t->wc_cap, t->nnodes, sizeof *t->wc) < 0)
        return ERR_NOMEM;
    memset(t->wc + t->nwc, 0, (size_t)(t->nnodes - t->nwc) * sizeof *t->wc);
    t->nwc = t->nnodes;
    return 0;
}

int table_where_add(struct table *t, uint32_t node, uint64_t weight, enum table_where where)
{
    if (where < 0 || where >= TABLE_WHERES || node >= t->nnodes || !weight)
        return 0;
    if (table_where_reserve(t) < 0)
        return ERR_NOMEM;
    t->wc[node].n[where] += weight;
    if (t->flat.on && t->flat.valid && !t->flat.stale && flat_count_where(&t->flat, node, weight, where) < 0)
        t->flat.valid = 0;                /* table_flat derives the counts instead */
    return 0;
}

int table_add_stack_where(struct table *t, uint32_t thread, const struct frame_key *frames,
                          int depth, uint64_t weight, enum table_metric metric,
                          enum table_where where)
{
    uint32_t nlog = t->nlog;
    int lost = t->log_lost;
    int rc = table_add_stack_as(t, thread, frames, depth, weight, metric);
    if (rc < 0 || where < 0 || where >= TABLE_WHERES || metric >= TABLE_M_ALLOC)
        return rc;
    /* The add just logged is this sample: its where goes with it. */
    if (t->log_on && !lost && !t->log_lost && t->nlog == nlog + 1)
        t->log[nlog].where = (int16_t)where;
    t->where_on = 1;
    return table_where_add(t, t->last_leaf, weight, where);
}

int table_keeps_where(const struct table *t)
{
    return t->where_on && t->wc;
}

int flat_rebuild_where(const struct table *t, struct flatcount *fc)
{
    if (!table_keeps_where(t))
        return 0;
    uint32_t n = t->nwc < t->nnodes ? t->nwc : t->nnodes;
    for (uint32_t i = 0; i < n; i++) {
        if (!t->nodes[i].self)
            continue;             /* none in this scope or mode */
        for (int w = 0; w < TABLE_WHERES; w++)
            if (t->wc[i].n[w] && flat_count_where(fc, i, t->wc[i].n[w], (enum table_where)w) < 0)
                return ERR_NOMEM;
    }
    return 0;
}
