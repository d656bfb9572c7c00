/* SPDX-License-Identifier: MIT */
/* Queries on the call trees by function: the merged tree (lines folded),
 * the inverted tree (callers of a function), and the callers / callees of
 * one function, all built with the traversal of tree.c. */
#include "tree.h"

#include <stdlib.h>

#include "error.h"
#include "idmap.h"
#include "table_impl.h"

/* A calltree being built: children found through (parent, func). */
struct builder {
    struct calltree *ct;
    uint32_t cap;
    struct idmap map;
    uint32_t thread;        /* the thread asked for, or TABLE_NONE */
    uint32_t func;          /* inverted: the function at the root */
};

void calltree_free(struct calltree *ct)
{
    if (!ct)
        return;
    free(ct->nodes);
    *ct = (struct calltree){.nodes = NULL};
}

static int new_ctnode(struct builder *b, uint32_t parent, uint32_t func, uint32_t *out)
{
    struct calltree *ct = b->ct;
    uint32_t n = (uint32_t)ct->n;
    if (table_grow((void **)&ct->nodes, &b->cap, (size_t)n + 1, sizeof *ct->nodes) < 0)
        return ERR_NOMEM;
    ct->nodes[n] = (struct calltree_node){.func = func, .parent = parent, .first_child = TABLE_NONE,
                                          .next_sibling = TABLE_NONE};
    if (parent != TABLE_NONE) {
        ct->nodes[n].next_sibling = ct->nodes[parent].first_child;
        ct->nodes[parent].first_child = n;
    }
    ct->n++;
    *out = n;
    return 0;
}

static int child_of(struct builder *b, uint32_t parent, uint32_t func, uint32_t *out)
{
    uint32_t id = idmap_get(&b->map, parent, func);
    if (id != TABLE_NONE) {
        *out = id;
        return 0;
    }
    if (idmap_reserve(&b->map, 1) < 0 || new_ctnode(b, parent, func, &id) < 0)
        return ERR_NOMEM;
    idmap_put(&b->map, parent, func, id);
    *out = id;
    return 0;
}

/* Count one sample of weight w along frames[from], frames[from + step], ...
 * (n frames) below the root. */
static int add_path(struct builder *b, const struct frame_key *frames, int from, int step, int n,
                    uint64_t w)
{
    uint32_t node = 0;
    b->ct->nodes[0].total += w;
    for (int i = 0, k = from; i < n; i++, k += step) {
        if (child_of(b, node, frames[k].func, &node) < 0)
            return ERR_NOMEM;
        b->ct->nodes[node].total += w;
    }
    b->ct->nodes[node].self += w;
    return 0;
}

static int merged_stack(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                        uint64_t count)
{
    struct builder *b = arg;
    if (b->thread != TABLE_NONE && thread != b->thread)
        return 0;
    return add_path(b, frames, 0, 1, depth, count);
}

/* Inverted: from the innermost frame of func (or the leaf) outwards. */
static int inverted_stack(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                          uint64_t count)
{
    struct builder *b = arg;
    if (b->thread != TABLE_NONE && thread != b->thread)
        return 0;
    if (b->func == TABLE_NONE)
        return add_path(b, frames, depth - 1, -1, depth, count);
    int k = depth - 1;
    while (k >= 0 && frames[k].func != b->func)
        k--;
    return k < 0 ? 0 : add_path(b, frames, k - 1, -1, k, count);
}

static int build(const struct table *t, uint32_t thread, uint32_t func, table_stack_cb cb,
                 struct calltree *out)
{
    *out = (struct calltree){.nodes = NULL};
    if (thread != TABLE_NONE && thread >= t->nthreads)
        return ERR_USAGE;
    struct builder b = {.ct = out, .thread = thread, .func = func};
    idmap_init(&b.map);
    uint32_t root;
    int rc = new_ctnode(&b, TABLE_NONE, func, &root);
    if (rc == 0)
        rc = table_foreach_stack(t, cb, &b);
    idmap_free(&b.map);
    if (rc < 0)
        calltree_free(out);
    return rc;
}

int tree_merged(const struct table *t, uint32_t thread, struct calltree *out)
{
    return build(t, thread, TABLE_NONE, merged_stack, out);
}

int tree_inverted(const struct table *t, uint32_t thread, uint32_t func, struct calltree *out)
{
    return build(t, thread, func, inverted_stack, out);
}

/* Callers / callees of one function. onpath counts, per neighbour, the
 * pairs open on the current path, so that a sample counts once for a
 * neighbour however often the pair recurs on its stack (the same rule as
 * the flat totals). */
struct link_acc {
    uint64_t samples;
    uint32_t onpath;
};

struct links_walk {
    uint32_t func;
    int callees;
    struct link_acc *acc;      /* by function id */
    uint32_t func_onpath;
    uint64_t self, total;
};

static uint32_t func_of(const struct table *t, uint32_t node)
{
    uint32_t site = t->nodes[node].site;
    return site == TABLE_NONE ? TABLE_NONE : t->sites[site].func;
}

/* The neighbour this node makes a pair with, or TABLE_NONE. */
static uint32_t neighbour(const struct links_walk *lw, const struct table *t, uint32_t n)
{
    uint32_t parent_func = func_of(t, t->nodes[n].parent);
    if (lw->callees)
        return parent_func == lw->func ? func_of(t, n) : TABLE_NONE;
    return func_of(t, n) == lw->func ? parent_func : TABLE_NONE;
}

static int links_enter(void *arg, const struct table *t, uint32_t n, size_t depth)
{
    struct links_walk *lw = arg;
    if (func_of(t, n) == lw->func) {
        if (lw->func_onpath++ == 0)
            lw->total += t->nodes[n].total;
        lw->self += t->nodes[n].self;
    }
    uint32_t nb = neighbour(lw, t, n);
    if (nb != TABLE_NONE && lw->acc[nb].onpath++ == 0)
        lw->acc[nb].samples += t->nodes[n].total;
    return 0;
}

static void links_leave(void *arg, const struct table *t, uint32_t n, size_t depth)
{
    struct links_walk *lw = arg;
    if (func_of(t, n) == lw->func)
        lw->func_onpath--;
    uint32_t nb = neighbour(lw, t, n);
    if (nb != TABLE_NONE)
        lw->acc[nb].onpath--;
}

static int by_samples(const void *pa, const void *pb)
{
    const struct tree_link *a = pa, *b = pb;
    if (a->samples != b->samples)
        return (a->samples < b->samples) - (a->samples > b->samples);
    return (a->func > b->func) - (a->func < b->func);
}

static int collect_links(const struct links_walk *lw, size_t nfuncs, struct tree_links *out)
{
    size_t n = 0;
    for (size_t f = 0; f < nfuncs; f++)
        n += lw->acc[f].samples > 0;
    out->self = lw->self;
    out->total = lw->total;
    if (n == 0)
        return 0;
    out->items = malloc(n * sizeof *out->items);
    if (!out->items)
        return ERR_NOMEM;
    for (size_t f = 0; f < nfuncs; f++)
        if (lw->acc[f].samples)
            out->items[out->n++] = (struct tree_link){.func = (uint32_t)f, .samples = lw->acc[f].samples};
    qsort(out->items, out->n, sizeof *out->items, by_samples);
    return 0;
}

static int links(const struct table *t, uint32_t thread, uint32_t func, int callees, struct tree_links *out)
{
    *out = (struct tree_links){.items = NULL};
    if ((thread != TABLE_NONE && thread >= t->nthreads) || func >= t->nfuncs)
        return ERR_USAGE;
    struct links_walk lw = {.func = func, .callees = callees, .acc = calloc(t->nfuncs, sizeof *lw.acc)};
    if (!lw.acc)
        return ERR_NOMEM;
    struct tree_walk w = {.enter = links_enter, .leave = links_leave, .arg = &lw};
    for (uint32_t i = 0; i < t->nthreads; i++)
        if (thread == TABLE_NONE || thread == i)
            tree_walk(t, t->threads[i].root, &w);
    int rc = collect_links(&lw, t->nfuncs, out);
    free(lw.acc);
    return rc;
}

int tree_callers(const struct table *t, uint32_t thread, uint32_t func, struct tree_links *out)
{
    return links(t, thread, func, 0, out);
}

int tree_callees(const struct table *t, uint32_t thread, uint32_t func, struct tree_links *out)
{
    return links(t, thread, func, 1, out);
}

void tree_links_free(struct tree_links *l)
{
    if (!l)
        return;
    free(l->items);
    *l = (struct tree_links){.items = NULL};
}
