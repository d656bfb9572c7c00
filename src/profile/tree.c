/* SPDX-License-Identifier: MIT */
/* The call trees' nodes, the one depth-first traversal, and what is
 * derived with it here: flat per-function and per-line rows, and the
 * visit of every distinct stack (for exporters and per-function trees). */
#include "tree.h"

#include <stdlib.h>

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

/* The walk itself, inline so that the flat views (the live view's hot
 * path) get their callbacks inlined; tree_walk() is the public face. */
static inline int walk(const struct table *t, uint32_t root, const struct tree_walk *w)
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

int tree_walk(const struct table *t, uint32_t root, const struct tree_walk *w)
{
    return walk(t, root, w);
}

/* Accumulator of one flat row while walking. onpath counts how many nodes
 * of this key are on the current root-to-node path: a sample passing
 * through a recursive function must count once in its total, so a node adds
 * its total only when no ancestor has the same key. */
struct acc {
    uint64_t own;
    uint64_t total;
    uint32_t onpath;
};

struct flat_walk {
    struct acc *acc;
    int by_line;
};

static uint32_t key_of(const struct table *t, uint32_t node, int by_line)
{
    uint32_t site = t->nodes[node].site;
    return by_line ? site : t->sites[site].func;
}

static int flat_enter(void *arg, const struct table *t, uint32_t n, size_t depth)
{
    struct flat_walk *fw = arg;
    struct acc *a = &fw->acc[key_of(t, n, fw->by_line)];
    if (a->onpath++ == 0)
        a->total += t->nodes[n].total;
    a->own += t->nodes[n].self;
    return 0;
}

static void flat_leave(void *arg, const struct table *t, uint32_t n, size_t depth)
{
    struct flat_walk *fw = arg;
    fw->acc[key_of(t, n, fw->by_line)].onpath--;
}

/* Turn the accumulators into rows, keeping those with counts. */
static int collect_rows(const struct table *t, int by_line, const struct acc *acc, size_t nkeys,
                        struct flat_view *out)
{
    size_t n = 0;
    for (size_t k = 0; k < nkeys; k++)
        if (acc[k].own || acc[k].total)
            n++;
    if (n == 0)
        return 0;
    struct flat_row *rows = malloc(n * sizeof *rows);
    if (!rows)
        return ERR_NOMEM;
    size_t i = 0;
    for (size_t k = 0; k < nkeys; k++) {
        if (!acc[k].own && !acc[k].total)
            continue;
        rows[i++] = (struct flat_row){
            .func = by_line ? t->sites[k].func : (uint32_t)k,
            .line = by_line ? t->sites[k].line : -1,
            .own = acc[k].own,
            .total = acc[k].total,
        };
    }
    out->rows = rows;
    out->n = n;
    return 0;
}

int table_flat(const struct table *t, uint32_t thread, int by_line, struct flat_view *out)
{
    *out = (struct flat_view){ .rows = NULL };
    if (thread != TABLE_NONE && thread >= t->nthreads)
        return ERR_USAGE;
    uint32_t first = thread == TABLE_NONE ? 0 : thread;
    uint32_t end = thread == TABLE_NONE ? t->nthreads : thread + 1;
    size_t nkeys = by_line ? t->nsites : t->nfuncs;
    struct flat_walk fw = {.acc = NULL, .by_line = by_line};
    if (nkeys) {
        fw.acc = calloc(nkeys, sizeof *fw.acc);
        if (!fw.acc)
            return ERR_NOMEM;
    }
    struct tree_walk w = {.enter = flat_enter, .leave = flat_leave, .arg = &fw};
    uint64_t samples = 0;
    for (uint32_t i = first; i < end; i++) {
        samples += t->threads[i].samples;
        walk(t, t->threads[i].root, &w);
    }
    int rc = collect_rows(t, by_line, fw.acc, nkeys, out);
    free(fw.acc);
    if (rc < 0)
        return rc;
    out->samples = samples;
    return 0;
}

void flat_view_free(struct flat_view *v)
{
    if (!v)
        return;
    free(v->rows);
    *v = (struct flat_view){ .rows = NULL };
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
    if (depth > sw->cap) {
        size_t cap = sw->cap ? sw->cap * 2 : 64;
        struct frame_key *fr = realloc(sw->frames, cap * sizeof *fr);
        if (!fr)
            return ERR_NOMEM;
        sw->frames = fr;
        sw->cap = cap;
    }
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
