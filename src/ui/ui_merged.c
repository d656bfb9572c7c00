/* SPDX-License-Identifier: MIT */
/* The merged call tree of a replica, kept up to date incrementally: new
 * table nodes mapped to merged nodes through a (parent, function) hash,
 * counts summed again in one pass that also checks the mapping. */
#include "ui_merged.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "table.h"

#define EMPTY UINT64_MAX          /* a free slot (no real key: ids are below TABLE_NONE) */
#define SLOTS_MIN 1024

void ui_merged_init(struct ui_merged *m)
{
    *m = (struct ui_merged){.thread = TABLE_NONE};
}

void ui_merged_free(struct ui_merged *m)
{
    free(m->ct.nodes);
    free(m->map);
    free(m->slots);
    free(m->vals);
    ui_merged_init(m);
}

static size_t slot_of(uint64_t key, size_t nslots)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (nslots - 1);
}

/* Forget every node (keep the memory): the next update maps all again. */
static void clear(struct ui_merged *m, uint32_t thread)
{
    m->ct.n = 0;
    m->nmapped = 0;
    m->used = 0;
    for (size_t i = 0; i < m->nslots; i++)
        m->slots[i] = EMPTY;
    m->thread = thread;
    m->rebuilds++;
}

static int grow_slots(struct ui_merged *m)
{
    size_t n = m->nslots ? m->nslots * 2 : SLOTS_MIN;
    uint64_t *keys = malloc(n * sizeof *keys);
    uint32_t *vals = malloc(n * sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = EMPTY;
    for (size_t i = 0; i < m->nslots; i++) {
        if (m->slots[i] == EMPTY)
            continue;
        size_t s = slot_of(m->slots[i], n);
        while (keys[s] != EMPTY)
            s = (s + 1) & (n - 1);
        keys[s] = m->slots[i];
        vals[s] = m->vals[i];
    }
    free(m->slots);
    free(m->vals);
    m->slots = keys;
    m->vals = vals;
    m->nslots = n;
    return 0;
}

static int new_node(struct ui_merged *m, uint32_t parent, uint32_t func, uint32_t *out)
{
    struct calltree *ct = &m->ct;
    if (ct->n + 1 > m->ct_cap) {
        size_t cap = m->ct_cap ? m->ct_cap * 2 : 256;
        struct calltree_node *p = cap < TABLE_NONE ? realloc(ct->nodes, cap * sizeof *p) : NULL;
        if (!p)
            return ERR_NOMEM;
        ct->nodes = p;
        m->ct_cap = cap;
    }
    uint32_t n = (uint32_t)ct->n++;
    ct->nodes[n] = (struct calltree_node){.func = func, .parent = parent, .first_child = TABLE_NONE,
                                          .next_sibling = TABLE_NONE};
    if (parent != TABLE_NONE) {
        ct->nodes[n].next_sibling = ct->nodes[parent].first_child;
        ct->nodes[parent].first_child = n;
    }
    *out = n;
    return 0;
}

/* The child of merged node parent for func, made when new. */
static int child_of(struct ui_merged *m, uint32_t parent, uint32_t func, uint32_t *out)
{
    if ((m->used + 1) * 2 > m->nslots && grow_slots(m) < 0)
        return ERR_NOMEM;
    uint64_t key = (uint64_t)parent << 32 | func;
    size_t s = slot_of(key, m->nslots);
    for (; m->slots[s] != EMPTY; s = (s + 1) & (m->nslots - 1)) {
        if (m->slots[s] == key) {
            *out = m->vals[s];
            return 0;
        }
    }
    if (new_node(m, parent, func, out) < 0)
        return ERR_NOMEM;
    m->slots[s] = key;
    m->vals[s] = *out;
    m->used++;
    return 0;
}

/* Is root node r (a thread's) in the scope? */
static int root_in_scope(const struct ui_merged *m, const struct table *t, uint32_t r)
{
    return m->thread == TABLE_NONE || tree_root(t, m->thread) == r;
}

/* Map the table nodes added since the last update (parents come first). */
static int map_new(struct ui_merged *m, const struct table *t, size_t n)
{
    if (n > m->map_cap) {
        uint32_t *p = realloc(m->map, n * sizeof *p);
        if (!p)
            return ERR_NOMEM;
        m->map = p;
        m->map_cap = n;
    }
    uint32_t root;
    if (m->ct.n == 0 && new_node(m, TABLE_NONE, TABLE_NONE, &root) < 0)
        return ERR_NOMEM;
    for (size_t i = m->nmapped; i < n; i++) {
        struct frame_key k = tree_site(t, (uint32_t)i);
        uint32_t p = tree_parent(t, (uint32_t)i), v = TABLE_NONE;
        if (p == TABLE_NONE)             /* a thread's root */
            v = root_in_scope(m, t, (uint32_t)i) ? 0 : TABLE_NONE;
        else if (p < i && m->map[p] != TABLE_NONE && child_of(m, m->map[p], k.func, &v) < 0)
            return ERR_NOMEM;
        m->map[i] = v;
        m->nmapped = i + 1;
    }
    return 0;
}

/* Is node i (a frame with parent p, or a root when p is TABLE_NONE)
 * mapped to v as a fresh mapping would map it? Functions are compared
 * only when `funcs` (reading a node's site is the dear part). */
static int fits(const struct ui_merged *m, const struct table *t, uint32_t i, uint32_t p, uint32_t v, int funcs)
{
    if (p == TABLE_NONE)
        return v == (root_in_scope(m, t, i) ? 0 : TABLE_NONE);
    uint32_t pm = p < i ? m->map[p] : TABLE_NONE;
    if (pm == TABLE_NONE || v == TABLE_NONE)
        return pm == v;
    return v < m->ct.n && m->ct.nodes[v].parent == pm && (!funcs || m->ct.nodes[v].func == tree_site(t, i).func);
}

/* Sum the counts again, checking the mapping on the way; 1 when a node
 * does not fit it (the table was reset). */
static int sum_counts(struct ui_merged *m, const struct table *t, int funcs)
{
    struct calltree_node *nodes = m->ct.nodes;
    for (size_t i = 0; i < m->ct.n; i++)
        nodes[i].total = nodes[i].self = 0;
    for (uint32_t i = 0; i < m->nmapped; i++) {
        uint32_t v = m->map[i];
        if (!fits(m, t, i, tree_parent(t, i), v, funcs))
            return 1;
        if (v != TABLE_NONE) {
            nodes[v].total += tree_total(t, i);
            nodes[v].self += tree_self(t, i);
        }
    }
    return 0;
}

int ui_merged_update(struct ui_merged *m, const struct table *t, uint32_t thread, int check)
{
    size_t n = tree_node_count(t);
    /* A reset restarts node ids: seen at the next update as fewer nodes
     * than were mapped, unless few were (then every node is checked). */
    if (thread != m->thread || n < m->nmapped || m->ct.n == 0)
        clear(m, thread);
    int funcs = check || m->nmapped < UI_MERGED_CHECK_ALL;
    for (int pass = 0; pass < 2; pass++) {
        if (map_new(m, t, n) < 0) {
            clear(m, thread);
            return ERR_NOMEM;
        }
        if (!sum_counts(m, t, funcs))
            return 0;
        clear(m, thread);            /* stale: map every node again, once */
    }
    return 0;
}
