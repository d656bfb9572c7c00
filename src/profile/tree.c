/* SPDX-License-Identifier: MIT */
/* The call trees' nodes, the one depth-first traversal, and what is
 * derived with it here: the visit of every distinct stack (for exporters
 * and per-function trees). The flat views are counted in flat.c. */
#include "tree.h"

#include <stdlib.h>

#include "array.h"
#include "error.h"
#include "table_impl.h"

uint32_t tree_root(const struct table *t, uint32_t thread)
{
    return thread < t->nthreads ? t->threads[thread].root : TABLE_NONE;
}

size_t tree_node_count(const struct table *t)
{
    return t->nnodes;
}

uint32_t tree_parent(const struct table *t, uint32_t node)
{
    return node < t->nnodes ? t->nodes[node].parent : TABLE_NONE;
}

uint32_t tree_first_child(const struct table *t, uint32_t node)
{
    return node < t->nnodes ? t->nodes[node].first_child : TABLE_NONE;
}

uint32_t tree_next_sibling(const struct table *t, uint32_t node)
{
    return node < t->nnodes ? t->nodes[node].next_sibling : TABLE_NONE;
}

struct frame_key tree_site(const struct table *t, uint32_t node)
{
    if (node >= t->nnodes || t->nodes[node].site == TABLE_NONE)
        return (struct frame_key){.func = TABLE_NONE, .line = -1};
    const struct site *s = &t->sites[t->nodes[node].site];
    return (struct frame_key){.func = s->func, .line = s->line};
}

uint64_t tree_self(const struct table *t, uint32_t node)
{
    return node < t->nnodes ? t->nodes[node].self : 0;
}

uint64_t tree_total(const struct table *t, uint32_t node)
{
    return node < t->nnodes ? t->nodes[node].total : 0;
}

void tree_where(const struct table *t, uint32_t node, uint64_t out[TABLE_WHERES])
{
    int have = table_keeps_where(t) && node < t->nnodes && node < t->nwc;
    for (int w = 0; w < TABLE_WHERES; w++)
        out[w] = have ? t->wc[node].n[w] : 0;
}

int tree_walk(const struct table *t, uint32_t root, const struct tree_walk *w)
{
    if (root >= t->nnodes)
        return 0;
    const struct node *nodes = t->nodes;
    size_t depth = 1;
    uint32_t n = nodes[root].first_child;
    while (n != TABLE_NONE) {
        int rc = w->enter(w->arg, t, n, depth);
        if (rc)
            return rc;
        if (nodes[n].first_child != TABLE_NONE) {
            n = nodes[n].first_child;
            depth++;
            continue;
        }
        /* Leave n, then every ancestor whose children are all done. */
        for (;;) {
            if (w->leave)
                w->leave(w->arg, t, n, depth);
            if (nodes[n].next_sibling != TABLE_NONE) {
                n = nodes[n].next_sibling;
                break;
            }
            n = nodes[n].parent;
            depth--;
            if (n == root) {
                n = TABLE_NONE;
                break;
            }
        }
    }
    return 0;
}

/* The state of a stack visit: a root-first path buffer that grows with the
 * depth of the walk. */
struct stack_walk {
    struct frame_key *frames;
    size_t cap;
    uint32_t thread;
    table_stack_cb cb;
    void *arg;
};

static int stack_enter(void *arg, const struct table *t, uint32_t n, size_t depth)
{
    struct stack_walk *sw = arg;
    if (array_reserve((void **)&sw->frames, &sw->cap, depth, sizeof *sw->frames) < 0)
        return ERR_NOMEM;
    sw->frames[depth - 1] = tree_site(t, n);
    if (!t->nodes[n].self)
        return 0;
    /* depth <= the deepest stack ever added, which was an int. */
    return sw->cb(sw->arg, sw->thread, sw->frames, (int)depth, t->nodes[n].self);
}

int table_foreach_stack(const struct table *t, table_stack_cb cb, void *arg)
{
    static const struct frame_key none = { .func = TABLE_NONE, .line = -1 };
    struct stack_walk sw = {.frames = NULL, .cb = cb, .arg = arg};
    struct tree_walk w = {.enter = stack_enter, .leave = NULL, .arg = &sw};
    int rc = 0;
    for (uint32_t i = 0; i < t->nthreads && rc == 0; i++) {
        uint32_t root = t->threads[i].root;
        if (root == TABLE_NONE)
            continue;
        sw.thread = i;
        if (t->nodes[root].self)
            rc = cb(arg, i, &none, 0, t->nodes[root].self);
        if (rc == 0)
            rc = tree_walk(t, root, &w);
    }
    free(sw.frames);
    return rc;
}
