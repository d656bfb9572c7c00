/* SPDX-License-Identifier: MIT */
/* Views derived from the call trees: flat per-function and per-line rows,
 * and the visit of every distinct stack (for exporters). */
#include "table.h"

#include <stdlib.h>

#include "error.h"
#include "table_impl.h"

/* Accumulator of one flat row while walking. onpath counts how many nodes
 * of this key are on the current root-to-node path: a sample passing
 * through a recursive function must count once in its total, so a node adds
 * its total only when no ancestor has the same key. */
struct acc {
    uint64_t own;
    uint64_t total;
    uint32_t onpath;
};

static uint32_t key_of(const struct table *t, uint32_t node, int by_line)
{
    uint32_t site = t->nodes[node].site;
    return by_line ? site : t->sites[site].func;
}

/* Depth-first walk of the tree under root without recursion or a stack:
 * the first-child / next-sibling / parent links are enough to come back. */
static void accumulate(const struct table *t, uint32_t root, int by_line, struct acc *acc)
{
    const struct node *nodes = t->nodes;
    uint32_t n = nodes[root].first_child;
    while (n != TABLE_NONE) {
        struct acc *a = &acc[key_of(t, n, by_line)];
        if (a->onpath++ == 0)
            a->total += nodes[n].total;
        a->own += nodes[n].self;
        if (nodes[n].first_child != TABLE_NONE) {
            n = nodes[n].first_child;
            continue;
        }
        /* Leave n, then every ancestor whose children are all done. */
        for (;;) {
            acc[key_of(t, n, by_line)].onpath--;
            if (nodes[n].next_sibling != TABLE_NONE) {
                n = nodes[n].next_sibling;
                break;
            }
            n = nodes[n].parent;
            if (n == root) {
                n = TABLE_NONE;
                break;
            }
        }
    }
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
    struct acc *acc = NULL;
    if (nkeys) {
        acc = calloc(nkeys, sizeof *acc);
        if (!acc)
            return ERR_NOMEM;
    }
    uint64_t samples = 0;
    for (uint32_t i = first; i < end; i++) {
        samples += t->threads[i].samples;
        if (t->threads[i].root != TABLE_NONE)
            accumulate(t, t->threads[i].root, by_line, acc);
    }
    int rc = collect_rows(t, by_line, acc, nkeys, out);
    free(acc);
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

/* A root-first path buffer that grows with the depth of the walk. */
struct path {
    struct frame_key *frames;
    size_t cap;
};

static int path_push(struct path *p, size_t depth, struct frame_key f)
{
    if (depth == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct frame_key *fr = realloc(p->frames, cap * sizeof *fr);
        if (!fr)
            return ERR_NOMEM;
        p->frames = fr;
        p->cap = cap;
    }
    p->frames[depth] = f;
    return 0;
}

/* Visit the stacks of one thread's tree, same walk as accumulate(). */
static int visit_tree(const struct table *t, uint32_t thread, struct path *p,
                      table_stack_cb cb, void *arg)
{
    const struct node *nodes = t->nodes;
    uint32_t root = t->threads[thread].root;
    if (nodes[root].self) {
        static const struct frame_key none = { .func = TABLE_NONE, .line = -1 };
        int rc = cb(arg, thread, &none, 0, nodes[root].self);
        if (rc)
            return rc;
    }
    size_t depth = 0;
    uint32_t n = nodes[root].first_child;
    while (n != TABLE_NONE) {
        const struct site *s = &t->sites[nodes[n].site];
        int rc = path_push(p, depth, (struct frame_key){ .func = s->func, .line = s->line });
        if (rc)
            return rc;
        depth++;
        if (nodes[n].self) {
            /* depth <= the deepest stack ever added, which was an int. */
            rc = cb(arg, thread, p->frames, (int)depth, nodes[n].self);
            if (rc)
                return rc;
        }
        if (nodes[n].first_child != TABLE_NONE) {
            n = nodes[n].first_child;
            continue;
        }
        for (;;) {
            depth--;
            if (nodes[n].next_sibling != TABLE_NONE) {
                n = nodes[n].next_sibling;
                break;
            }
            n = nodes[n].parent;
            if (n == root) {
                n = TABLE_NONE;
                break;
            }
        }
    }
    return 0;
}

int table_foreach_stack(const struct table *t, table_stack_cb cb, void *arg)
{
    struct path p = { .frames = NULL, .cap = 0 };
    int rc = 0;
    for (uint32_t i = 0; i < t->nthreads && rc == 0; i++)
        if (t->threads[i].root != TABLE_NONE)
            rc = visit_tree(t, i, &p, cb, arg);
    free(p.frames);
    return rc;
}
