/* SPDX-License-Identifier: MIT */
/* The children of a call tree node in row order, kept nearly sorted from one update to the next. */
#include "ui_tree_kids.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"

#define PREFETCH_AHEAD 16

int ui_tree_kid_cmp(const struct ui_tree_kid *a, const struct ui_tree_kid *b)
{
    if (a->total != b->total)
        return (a->total < b->total) - (a->total > b->total);
    if (a->rank != b->rank)
        return (a->rank > b->rank) - (a->rank < b->rank);
    if (a->line != b->line)
        return (a->line > b->line) - (a->line < b->line);
    return (a->node > b->node) - (a->node < b->node);
}

struct ui_tree_kid ui_tree_kid_of(const struct ui_tree *tr, uint32_t node)
{
    const struct ui_mt_node *nd = &tr->mt->nodes[node];
    return (struct ui_tree_kid){.node = node, .line = nd->line, .total = nd->total,
                                .rank = nd->func < tr->nrank ? tr->rank[nd->func] : nd->func,
                                .has_kids = nd->first_child != TABLE_NONE};
}

static int by_name(const void *pa, const void *pb, void *arg)
{
    const struct table *t = arg;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    int c = strcmp(table_func_name(t, a), table_func_name(t, b));
    if (c == 0)
        c = strcmp(table_func_file(t, a), table_func_file(t, b));
    return c ? c : (a > b) - (a < b);
}

int ui_tree_kids_rank(struct ui_tree *tr, const struct table *t)
{
    size_t n = table_func_count(t);
    if (n == tr->nrank)
        return 0;
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order || array_reserve((void **)&tr->rank, &tr->rank_cap, n, sizeof *tr->rank) < 0) {
        free(order);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, n, sizeof *order, by_name, (void *)t);
    for (size_t i = 0; i < n; i++)
        tr->rank[order[i]] = (uint32_t)i;
    tr->nrank = n;
    free(order);
    return 0;
}

static int kid_qcmp(const void *a, const void *b)
{
    return ui_tree_kid_cmp(a, b);
}

/* Children come in last update's order, new ones last (see ui_tree_kids_order): the
 * few out of order (grown past others, new) are taken out, sorted, and
 * merged back, O(n + k log k) for k of them. tmp holds n kids. */
static void sort_kids(struct ui_tree_kid *a, struct ui_tree_kid *tmp, size_t n)
{
    size_t kept = 0, out = 0;
    for (size_t i = 0; i < n; i++) {
        if (kept && ui_tree_kid_cmp(&a[i], &a[kept - 1]) < 0)
            tmp[out++] = a[i];
        else
            a[kept++] = a[i];
    }
    if (!out)
        return;
    qsort(tmp, out, sizeof *tmp, kid_qcmp);
    /* merge from the end, in place: a[0, kept) and tmp[0, out) into a[0, n) */
    size_t i = kept, j = out, k = n;
    while (j > 0) {
        if (i > 0 && ui_tree_kid_cmp(&a[i - 1], &tmp[j - 1]) > 0)
            a[--k] = a[--i];
        else
            a[--k] = tmp[--j];
    }
}

/* The kept order of node's children, or NULL. */
static struct ui_tree_kid_cache *kid_cache(struct ui_tree *tr, uint32_t node)
{
    for (int i = 0; i < UI_TREE_KID_CACHES; i++) {
        struct ui_tree_kid_cache *c = &tr->kc[i];
        if (c->ids && c->node == node && c->build == tr->mt->build && c->last < tr->mt->n) {
            c->used = ++tr->kc_clock;
            return c;
        }
    }
    return NULL;
}

/* Keep the order of node's n children (tr->kids) in the least recently
 * used place, when there is room (else they are sorted again next time). */
static void kid_keep(struct ui_tree *tr, struct ui_tree_kid_cache *c, uint32_t node, size_t n)
{
    if (!c) {
        c = &tr->kc[0];
        for (int i = 1; i < UI_TREE_KID_CACHES; i++)
            if (tr->kc[i].used < c->used)
                c = &tr->kc[i];
    }
    if (array_reserve((void **)&c->ids, &c->cap, n, sizeof *c->ids) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        c->ids[i] = tr->kids[i].node;
    *c = (struct ui_tree_kid_cache){.node = node, .last = tr->mt->nodes[node].last_child, .ids = c->ids, .n = n,
                                    .cap = c->cap, .build = tr->mt->build, .used = ++tr->kc_clock};
}

/* Add child c to tr->kids (n so far); 0 or ERR_NOMEM. */
static int kid_add(struct ui_tree *tr, uint32_t c, size_t n)
{
    size_t cap = tr->kids_cap;
    if (n == cap && (array_reserve((void **)&tr->kids_tmp, &cap, n + 1, sizeof *tr->kids_tmp) < 0 ||
                     array_reserve((void **)&tr->kids, &tr->kids_cap, n + 1, sizeof *tr->kids) < 0))
        return ERR_NOMEM;
    tr->kids[n] = ui_tree_kid_of(tr, c);
    return 0;
}

/* All children of node into tr->kids, in last update's order (new ones
 * last); returns how many or ERR_NOMEM. */
static long collect_kids(struct ui_tree *tr, uint32_t node, const struct ui_tree_kid_cache *kc)
{
    const struct ui_mt_node *nodes = tr->mt->nodes;
    size_t n = 0;
    uint32_t c = nodes[node].first_child;
    if (kc) {
        for (; n < kc->n; n++) {
            if (n + PREFETCH_AHEAD < kc->n)
                __builtin_prefetch(&nodes[kc->ids[n + PREFETCH_AHEAD]]);
            if (kid_add(tr, kc->ids[n], n) < 0)
                return ERR_NOMEM;
        }
        c = nodes[kc->last].next_sibling;
    }
    for (; c != TABLE_NONE; c = nodes[c].next_sibling, n++)
        if (kid_add(tr, c, n) < 0)
            return ERR_NOMEM;
    return (long)n;
}

long ui_tree_kids_order(struct ui_tree *tr, uint32_t node)
{
    struct ui_mt_node *nodes = tr->mt->nodes;
    struct ui_tree_kid_cache *kc = kid_cache(tr, node);
    long got = collect_kids(tr, node, kc);
    if (got < 0)
        return got;
    size_t n = (size_t)got;
    sort_kids(tr->kids, tr->kids_tmp, n);
    /* A wide node keeps the order apart (its list stays as made: the flame
     * graph may keep it too); a narrow one in its list. */
    if (n >= UI_MT_WIDE) {
        kid_keep(tr, kc, node, n);
        return (long)n;
    }
    nodes[node].first_child = n ? tr->kids[0].node : TABLE_NONE;
    nodes[node].last_child = n ? tr->kids[n - 1].node : TABLE_NONE;
    for (size_t i = 0; i < n; i++)
        nodes[tr->kids[i].node].next_sibling = i + 1 < n ? tr->kids[i + 1].node : TABLE_NONE;
    return (long)n;
}
