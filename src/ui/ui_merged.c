/* SPDX-License-Identifier: MIT */
/* The merged call tree of a replica, kept up to date incrementally: new
 * table nodes mapped to merged nodes through a (parent, function) hash,
 * totals grown by what grew in the table (walked down from the roots
 * through the nodes whose totals changed), or summed again in one pass
 * that also checks the mapping. */
#include "ui_merged.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "table.h"

#define EMPTY UINT64_MAX          /* a free slot (no real key: ids are below TABLE_NONE) */
#define SLOTS_MIN 1024

void ui_merged_init(struct ui_merged *m)
{
    *m = (struct ui_merged){.thread = TABLE_NONE};
    ui_replica_mark_init(&m->mark);
}

void ui_merged_free(struct ui_merged *m)
{
    free(m->ct.nodes);
    free(m->map);
    free(m->seen);
    free(m->stack);
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
    ui_replica_mark_init(&m->mark);
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
    size_t cap = m->map_cap;             /* both arrays have this capacity */
    if (array_reserve((void **)&m->map, &cap, n, sizeof *m->map) < 0 ||
        array_reserve((void **)&m->seen, &m->map_cap, n, sizeof *m->seen) < 0)
        return ERR_NOMEM;
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
        m->seen[i] = 0;
        m->nmapped = i + 1;
    }
    return 0;
}

/* Is node i (a frame with parent p, or a root when p is TABLE_NONE)
 * mapped to v as a fresh mapping would map it? */
static int fits(const struct ui_merged *m, const struct table *t, uint32_t i, uint32_t p, uint32_t v)
{
    if (p == TABLE_NONE)
        return v == (root_in_scope(m, t, i) ? 0 : TABLE_NONE);
    uint32_t pm = p < i ? m->map[p] : TABLE_NONE;
    if (pm == TABLE_NONE || v == TABLE_NONE)
        return pm == v;
    return v < m->ct.n && m->ct.nodes[v].parent == pm && m->ct.nodes[v].func == tree_site(t, i).func;
}

/* Sum every total again, checking the mapping on the way; 1 when a node
 * does not fit it (the table was reset, or is another one). */
static int sum_all(struct ui_merged *m, const struct table *t)
{
    struct calltree_node *nodes = m->ct.nodes;
    for (size_t i = 0; i < m->ct.n; i++)
        nodes[i].total = 0;
    for (uint32_t i = 0; i < m->nmapped; i++) {
        uint32_t v = m->map[i];
        if (!fits(m, t, i, tree_parent(t, i), v))
            return 1;
        m->seen[i] = tree_total(t, i);
        if (v != TABLE_NONE)
            nodes[v].total += m->seen[i];
    }
    return 0;
}

static int push(struct ui_merged *m, uint32_t node)
{
    if (array_reserve((void **)&m->stack, &m->stack_cap, m->nstack + 1, sizeof *m->stack) < 0)
        return ERR_NOMEM;
    m->stack[m->nstack++] = node;
    return 0;
}

/* Add to the totals what each table node's total grew by since it was
 * seen, from the roots down through the nodes that grew (a node grows
 * only when something under it did): the cost follows the new samples.
 * 1 when a total shrank (a reset the mark did not see). */
static int grow_totals(struct ui_merged *m, const struct table *t)
{
    size_t nthreads = table_thread_count(t);
    for (uint32_t th = 0; th < nthreads; th++) {
        uint32_t r = tree_root(t, th);
        if ((m->thread != TABLE_NONE && th != m->thread) || r >= m->nmapped || m->map[r] != 0)
            continue;
        m->nstack = 0;
        if (tree_total(t, r) != m->seen[r] && push(m, r) < 0)
            return ERR_NOMEM;
        while (m->nstack) {
            uint32_t x = m->stack[--m->nstack];
            uint64_t now = tree_total(t, x);
            if (now < m->seen[x] || m->map[x] >= m->ct.n)
                return 1;
            m->ct.nodes[m->map[x]].total += now - m->seen[x];
            m->seen[x] = now;
            for (uint32_t c = tree_first_child(t, x); c != TABLE_NONE; c = tree_next_sibling(t, c))
                if (c < m->nmapped && tree_total(t, c) != m->seen[c] && push(m, c) < 0)
                    return ERR_NOMEM;
        }
    }
    return 0;
}

int ui_merged_update(struct ui_merged *m, const struct table *t, uint32_t thread, int check)
{
    size_t n = tree_node_count(t);
    if (thread != m->thread || m->ct.n == 0 || ui_replica_mark_reset(&m->mark, t))
        clear(m, thread);
    for (int pass = 0; pass < 2; pass++) {
        int rc = map_new(m, t, n);
        if (rc == 0)
            rc = check ? sum_all(m, t) : grow_totals(m, t);
        if (rc < 0) {
            clear(m, thread);
            return rc;
        }
        if (rc == 0) {
            ui_replica_mark_set(&m->mark, t);
            return 0;
        }
        clear(m, thread);            /* stale: map every node again, once */
    }
    return 0;
}

uint64_t ui_merged_self(const struct calltree *ct, uint32_t node)
{
    if (node >= ct->n)
        return 0;
    uint64_t self = ct->nodes[node].total;
    for (uint32_t c = ct->nodes[node].first_child; c < ct->n; c = ct->nodes[c].next_sibling)
        self -= ct->nodes[c].total < self ? ct->nodes[c].total : self;
    return self;
}
