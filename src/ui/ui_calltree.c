/* SPDX-License-Identifier: MIT */
/* The call tree view's tree of call paths, mapped incrementally from a replica. */
#include "ui_calltree.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "tree.h"

#define SKIP_BIT 0x80000000u          /* map: a skipped (bootstrap) table node */
#define NODES_MAX 0x7fffffffu         /* ids below the skip bit */
#define SLOTS_MIN 1024
#define LINES_MAX 32                  /* distinct lines looked at for the busiest one */
#define LINE_EVERY 4                  /* syncs a busiest line is kept for */
#define ROOT_PATH 0x6a09e667f3bcc908ULL

struct ui_ct_slot {
    uint32_t parent, func;
    int32_t line;
    uint32_t id;                      /* TABLE_NONE: empty */
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static size_t slot_of(const struct ui_calltree *ct, uint32_t parent, uint32_t func, int32_t line)
{
    uint64_t h = mix(((uint64_t)parent << 32 | func) ^ mix((uint64_t)(uint32_t)line + 1));
    return (size_t)h & (ct->nslots - 1);
}

void ui_replica_mark_init(struct ui_replica_mark *m)
{
    *m = (struct ui_replica_mark){.last_parent = TABLE_NONE, .last_site = {TABLE_NONE, -1}};
}

void ui_replica_mark_set(struct ui_replica_mark *m, const struct table *t)
{
    ui_replica_mark_init(m);
    m->nodes = tree_node_count(t);
    m->samples = table_samples(t);
    if (m->nodes) {
        m->last_parent = tree_parent(t, (uint32_t)m->nodes - 1);
        m->last_site = tree_site(t, (uint32_t)m->nodes - 1);
    }
}

int ui_replica_mark_reset(const struct ui_replica_mark *m, const struct table *t)
{
    if (tree_node_count(t) < m->nodes || table_samples(t) < m->samples)
        return 1;
    if (m->nodes == 0)
        return 0;
    uint32_t last = (uint32_t)m->nodes - 1;
    struct frame_key s = tree_site(t, last);
    return tree_parent(t, last) != m->last_parent || s.func != m->last_site.func || s.line != m->last_site.line;
}

void ui_calltree_init(struct ui_calltree *ct)
{
    *ct = (struct ui_calltree){.thread = TABLE_NONE};
    ui_replica_mark_init(&ct->mark);
}

void ui_calltree_free(struct ui_calltree *ct)
{
    free(ct->nodes);
    free(ct->total);
    free(ct->counts);
    free(ct->map);
    free(ct->next);
    free(ct->seen);
    free(ct->stack);
    free(ct->slots);
    free(ct->boot);
    ui_calltree_init(ct);
}

int ui_calltree_is_bootstrap(const char *name, const char *file)
{
    if (!name || !file)
        return 0;
    if (strcmp(name, "<module>") == 0)
        return 1;
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    if (strcmp(base, "runpy.py") == 0 || strcmp(file, "<frozen runpy>") == 0 ||
        strstr(file, "importlib._bootstrap") || strstr(file, "importlib/_bootstrap"))
        return 1;
    if (strcmp(base, "threading.py") != 0)
        return 0;
    const char *dot = strrchr(name, '.');
    const char *bare = dot ? dot + 1 : name;
    int thread_method = !dot || strcmp(name, "Thread._bootstrap") == 0 ||
                        strcmp(name, "Thread._bootstrap_inner") == 0 || strcmp(name, "Thread.run") == 0;
    return thread_method && (strcmp(bare, "_bootstrap") == 0 || strcmp(bare, "_bootstrap_inner") == 0 ||
                             strcmp(bare, "run") == 0);
}

int ui_calltree_boot(const struct ui_calltree *ct, uint32_t func)
{
    return func < ct->nboot && ct->boot[func];
}

/* Classify the functions interned since the last sync. */
static int classify(struct ui_calltree *ct, const struct table *t)
{
    size_t n = table_func_count(t);
    if (n <= ct->nboot)
        return 0;
    if (n > ct->boot_cap) {
        size_t cap = ct->boot_cap ? ct->boot_cap : 256;
        while (cap < n)
            cap *= 2;
        uint8_t *b = realloc(ct->boot, cap);
        if (!b)
            return ERR_NOMEM;
        ct->boot = b;
        ct->boot_cap = cap;
    }
    for (size_t f = ct->nboot; f < n; f++)
        ct->boot[f] = (uint8_t)ui_calltree_is_bootstrap(table_func_name(t, (uint32_t)f),
                                                        table_func_file(t, (uint32_t)f));
    ct->nboot = n;
    return 0;
}

static int grow_slots(struct ui_calltree *ct)
{
    size_t cap = ct->nslots ? ct->nslots * 2 : SLOTS_MIN;
    struct ui_ct_slot *old = ct->slots, *s = malloc(cap * sizeof *s);
    size_t oldn = ct->nslots;
    if (!s)
        return ERR_NOMEM;
    for (size_t i = 0; i < cap; i++)
        s[i].id = TABLE_NONE;
    ct->slots = s;
    ct->nslots = cap;
    for (size_t i = 0; i < oldn; i++) {
        if (old[i].id == TABLE_NONE)
            continue;
        size_t k = slot_of(ct, old[i].parent, old[i].func, old[i].line);
        while (s[k].id != TABLE_NONE)
            k = (k + 1) & (cap - 1);
        s[k] = old[i];
    }
    free(old);
    return 0;
}

static int grow_nodes(struct ui_calltree *ct)
{
    if (ct->n < ct->cap)
        return 0;
    if (ct->cap >= NODES_MAX)
        return ERR_NOMEM;
    size_t cap = ct->cap ? ct->cap * 2 : 256;
    struct ui_ct_node *n = realloc(ct->nodes, cap * sizeof *n);
    if (n)
        ct->nodes = n;
    uint64_t *tot = realloc(ct->total, cap * sizeof *tot);
    if (tot)
        ct->total = tot;
    struct ui_ct_counts *c = realloc(ct->counts, cap * sizeof *c);
    if (c)
        ct->counts = c;
    if (!n || !tot || !c)
        return ERR_NOMEM;
    ct->cap = cap;
    return 0;
}

/* A new node under parent (TABLE_NONE for the root). */
static uint32_t add_node(struct ui_calltree *ct, uint32_t parent, uint32_t func, int32_t line)
{
    if (grow_nodes(ct) < 0)
        return TABLE_NONE;
    uint32_t id = (uint32_t)ct->n++;
    struct ui_ct_node *nd = &ct->nodes[id];
    *nd = (struct ui_ct_node){.parent = parent, .first_child = TABLE_NONE, .next_sibling = TABLE_NONE,
                              .func = func, .line = line, .members = TABLE_NONE, .path = ROOT_PATH};
    ct->total[id] = 0;
    ct->counts[id] = (struct ui_ct_counts){.line = -1, .gen = ct->gen - 1, .line_gen = ct->gen - LINE_EVERY};
    if (parent != TABLE_NONE) {
        struct ui_ct_node *p = &ct->nodes[parent];
        nd->next_sibling = p->first_child;
        p->first_child = id;
        nd->path = ui_calltree_boot(ct, func) ? p->path
                 : mix(p->path ^ mix((uint64_t)func << 32 | (uint32_t)(line + 1)));
    }
    return id;
}

/* The child of parent for (func, line), made when missing; TABLE_NONE on ENOMEM. */
static uint32_t child(struct ui_calltree *ct, uint32_t parent, uint32_t func, int32_t line)
{
    if ((ct->used + 1) * 2 > ct->nslots && grow_slots(ct) < 0)
        return TABLE_NONE;
    size_t k = slot_of(ct, parent, func, line);
    for (; ct->slots[k].id != TABLE_NONE; k = (k + 1) & (ct->nslots - 1)) {
        const struct ui_ct_slot *s = &ct->slots[k];
        if (s->parent == parent && s->func == func && s->line == line)
            return s->id;
    }
    uint32_t id = add_node(ct, parent, func, line);
    if (id != TABLE_NONE) {
        ct->slots[k] = (struct ui_ct_slot){.parent = parent, .func = func, .line = line, .id = id};
        ct->used++;
    }
    return id;
}

/* Start again from an empty tree of this scope (the root alone). */
static void clear(struct ui_calltree *ct, uint32_t thread, int by_line, int skip_boot)
{
    ct->n = 0;
    ct->mapped = 0;
    ct->used = 0;
    for (size_t i = 0; i < ct->nslots; i++)
        ct->slots[i].id = TABLE_NONE;
    ct->thread = thread;
    ct->by_line = by_line;
    ct->skip_boot = skip_boot;
    ui_replica_mark_init(&ct->mark);
    ct->gen++;
    add_node(ct, TABLE_NONE, TABLE_NONE, -1);
}

static int grow_map(struct ui_calltree *ct, size_t count)
{
    size_t cap = ct->map_cap, cap2 = ct->map_cap;   /* the three arrays have this capacity */
    if (array_reserve((void **)&ct->map, &cap, count, sizeof *ct->map) < 0 ||
        array_reserve((void **)&ct->next, &cap2, count, sizeof *ct->next) < 0 ||
        array_reserve((void **)&ct->seen, &ct->map_cap, count, sizeof *ct->seen) < 0)
        return ERR_NOMEM;
    return 0;
}

/* Map table node n (its parent is mapped: parents come first). */
static int map_node(struct ui_calltree *ct, const struct table *t, uint32_t n)
{
    uint32_t p = tree_parent(t, n), m = TABLE_NONE;
    if (p == TABLE_NONE) {
        if (ct->thread == TABLE_NONE || tree_root(t, ct->thread) == n)
            m = 0;
    } else if (p < n && ct->map[p] != TABLE_NONE) {
        uint32_t mp = ct->map[p] & ~SKIP_BIT;
        struct frame_key s = tree_site(t, n);
        if (ct->skip_boot && ui_calltree_boot(ct, s.func))
            m = mp | SKIP_BIT;
        else if ((m = child(ct, mp, s.func, ct->by_line ? s.line : -1)) == TABLE_NONE)
            return ERR_NOMEM;
    }
    ct->map[n] = m;
    ct->next[n] = TABLE_NONE;
    ct->seen[n] = 0;
    if (m != TABLE_NONE) {
        struct ui_ct_node *nd = &ct->nodes[m & ~SKIP_BIT];
        ct->next[n] = nd->members;
        nd->members = n;
    }
    return 0;
}

static int push(struct ui_calltree *ct, size_t *n, uint32_t node)
{
    if (array_reserve((void **)&ct->stack, &ct->stack_cap, *n + 1, sizeof *ct->stack) < 0)
        return ERR_NOMEM;
    ct->stack[(*n)++] = node;
    return 0;
}

/* Add to the totals what the table nodes whose totals grew since the last
 * sync added. A node grew only when its parent did: walk down from the
 * roots in scope through the grown nodes only. */
static int add_growth(struct ui_calltree *ct, const struct table *t)
{
    size_t n = 0;
    int rc = 0;
    for (uint32_t i = 0; i < table_thread_count(t) && rc == 0; i++)
        if ((ct->thread == TABLE_NONE || ct->thread == i) && tree_root(t, i) != TABLE_NONE)
            rc = push(ct, &n, tree_root(t, i));
    while (n > 0 && rc == 0) {
        uint32_t node = ct->stack[--n];
        uint64_t total = tree_total(t, node);
        if (node >= ct->mapped || total <= ct->seen[node])
            continue;
        uint32_t m = ct->map[node];
        if (m != TABLE_NONE && !(m & SKIP_BIT))
            ct->total[m] += total - ct->seen[node];
        ct->seen[node] = total;
        for (uint32_t c = tree_first_child(t, node); c != TABLE_NONE && rc == 0; c = tree_next_sibling(t, c))
            rc = push(ct, &n, c);
    }
    return rc;
}

int ui_calltree_sync(struct ui_calltree *ct, const struct table *t, uint32_t thread, int by_line,
                     int skip_boot)
{
    int rebuilt = ct->n == 0 || thread != ct->thread || !by_line != !ct->by_line ||
                  !skip_boot != !ct->skip_boot || ui_replica_mark_reset(&ct->mark, t);
    ct->t = t;
    if (rebuilt)
        clear(ct, thread, by_line, skip_boot);
    size_t count = tree_node_count(t);
    int rc = ct->n ? classify(ct, t) : ERR_NOMEM;
    if (rc == 0)
        rc = grow_map(ct, count);
    for (size_t n = ct->mapped; n < count && rc == 0; n++) {
        rc = map_node(ct, t, (uint32_t)n);
        ct->mapped = n + 1;
    }
    if (rc == 0 && (rebuilt || table_samples(t) != ct->mark.samples)) {
        ct->gen++;
        rc = add_growth(ct, t);
    }
    if (rc < 0) {
        ct->n = 0;                   /* rebuilt next time */
        return rc;
    }
    ui_replica_mark_set(&ct->mark, t);
    return rebuilt;
}

uint64_t ui_calltree_total(const struct ui_calltree *ct, uint32_t node)
{
    return node < ct->n ? ct->total[node] : 0;
}

/* The busiest line among (line, samples) pairs, adding up equal lines. */
static void add_line(int32_t *lines, uint64_t *sums, size_t *n, int32_t line, uint64_t samples)
{
    for (size_t i = 0; i < *n; i++)
        if (lines[i] == line) {
            sums[i] += samples;
            return;
        }
    if (*n < LINES_MAX) {
        lines[*n] = line;
        sums[(*n)++] = samples;
    }
}

/* The busiest line of a node from its table nodes. */
static int32_t busiest_line(const struct ui_calltree *ct, uint32_t node)
{
    int32_t lines[LINES_MAX], best_line = -1;
    uint64_t sums[LINES_MAX], best = 0;
    size_t nl = 0;
    for (uint32_t n = ct->nodes[node].members; n != TABLE_NONE; n = ct->next[n])
        if (!(ct->map[n] & SKIP_BIT))
            add_line(lines, sums, &nl, tree_site(ct->t, n).line, tree_total(ct->t, n));
    for (size_t i = 0; i < nl; i++)
        if (sums[i] > best || (sums[i] == best && lines[i] < best_line)) {
            best = sums[i];
            best_line = lines[i];
        }
    return best_line;
}

const struct ui_ct_counts *ui_calltree_counts(struct ui_calltree *ct, uint32_t node)
{
    struct ui_ct_counts *c = &ct->counts[node];
    c->total = ct->total[node];
    if (c->gen != ct->gen) {
        /* Every table node under a member belongs to a child (a skipped
         * one's children too), so what the children do not hold is the
         * members' own samples, the skipped ones' included. */
        uint64_t below = 0;
        for (uint32_t k = ct->nodes[node].first_child; k != TABLE_NONE; k = ct->nodes[k].next_sibling)
            below += ct->total[k];
        c->self = c->total > below ? c->total - below : 0;
        c->gen = ct->gen;
    }
    if (node != 0 && (ct->gen - c->line_gen >= LINE_EVERY || (c->line < 0 && c->line_gen != ct->gen))) {
        c->line = busiest_line(ct, node);
        c->line_gen = ct->gen;
    }
    return c;
}
