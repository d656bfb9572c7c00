/* SPDX-License-Identifier: MIT */
/* The merged call tree of a scope, mapped and counted incrementally from a replica. */
#include "ui_mtree.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "tree.h"

#define SKIP_BIT 0x80000000u          /* map: a skipped (bootstrap) table node */
#define NODES_MAX 0x7fffffffu         /* ids below the skip bit */
#define ROOT_PATH 0x6a09e667f3bcc908ULL
#define LIST_MAX 8                    /* line sums of a node walked in a list; more: hashed */
#define SUMS_HASHED 0xfffffffeu       /* ui_mt_best.sums: the node's sums are in lslots */

void ui_mtree_init(struct ui_mtree *mt)
{
    *mt = (struct ui_mtree){.scope = {.thread = TABLE_NONE}};
    ui_replica_mark_init(&mt->mark);
}

void ui_mtree_free(struct ui_mtree *mt)
{
    free(mt->stack);
    free(mt->boot);
    ui_mtmem_release(mt->nodes, mt->caps[0], sizeof *mt->nodes);
    ui_mtmem_release(mt->path, mt->caps[1], sizeof *mt->path);
    ui_mtmem_release(mt->self, mt->caps[2], sizeof *mt->self);
    ui_mtmem_release(mt->best, mt->caps[3], sizeof *mt->best);
    ui_mtmem_release(mt->map, mt->map_caps[0], sizeof *mt->map);
    ui_mtmem_release(mt->seen, mt->map_caps[1], sizeof *mt->seen);
    ui_mtmem_release(mt->seen_self, mt->map_caps[2], sizeof *mt->seen_self);
    ui_mtmem_release(mt->lsums, mt->sums_cap, sizeof *mt->lsums);
    ui_mtmem_hash_free(&mt->slots);
    ui_mtmem_hash_free(&mt->lslots);
    ui_mtree_init(mt);
}

int ui_mtree_is_bootstrap(const char *name, const char *file)
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

int ui_mtree_boot(const struct ui_mtree *mt, uint32_t func)
{
    return func < mt->nboot && mt->boot[func];
}

/* Classify the functions interned since the last sync. */
static int classify(struct ui_mtree *mt, const struct table *t)
{
    size_t n = table_func_count(t);
    if (n <= mt->nboot)
        return 0;
    if (array_reserve((void **)&mt->boot, &mt->boot_cap, n, 1) < 0)
        return ERR_NOMEM;
    for (size_t f = mt->nboot; f < n; f++)
        mt->boot[f] = (uint8_t)ui_mtree_is_bootstrap(table_func_name(t, (uint32_t)f),
                                                     table_func_file(t, (uint32_t)f));
    mt->nboot = n;
    return 0;
}

/* ---- nodes, children by key (slots), line sums listed by node (or, for
 * a node of many lines, by (node, line) in lslots) ---- */

static int grow_nodes(struct ui_mtree *mt)
{
    if (mt->n < mt->cap)
        return 0;
    if (mt->cap >= NODES_MAX)
        return ERR_NOMEM;
    size_t need = mt->n + 1;
    if (ui_mtmem_reserve((void **)&mt->nodes, &mt->caps[0], need, sizeof *mt->nodes) < 0 ||
        ui_mtmem_reserve((void **)&mt->path, &mt->caps[1], need, sizeof *mt->path) < 0 ||
        ui_mtmem_reserve((void **)&mt->self, &mt->caps[2], need, sizeof *mt->self) < 0 ||
        ui_mtmem_reserve((void **)&mt->best, &mt->caps[3], need, sizeof *mt->best) < 0)
        return ERR_NOMEM;
    mt->cap = mt->caps[0];
    for (int i = 1; i < 4; i++)
        mt->cap = mt->caps[i] < mt->cap ? mt->caps[i] : mt->cap;
    return 0;
}

/* A new node under parent (TABLE_NONE for the root). */
static uint32_t add_node(struct ui_mtree *mt, uint32_t parent, uint32_t func, int32_t line)
{
    if (grow_nodes(mt) < 0)
        return TABLE_NONE;
    uint32_t id = (uint32_t)mt->n++;
    struct ui_mt_node *nd = &mt->nodes[id];
    *nd = (struct ui_mt_node){.parent = parent, .first_child = TABLE_NONE, .next_sibling = TABLE_NONE,
                              .last_child = TABLE_NONE, .func = func, .line = line};
    mt->path[id] = ROOT_PATH;
    mt->self[id] = 0;
    mt->best[id] = (struct ui_mt_best){.sum = TABLE_NONE, .sums = TABLE_NONE};
    if (parent != TABLE_NONE) {
        struct ui_mt_node *p = &mt->nodes[parent];
        if (p->last_child == TABLE_NONE)
            p->first_child = id;
        else
            mt->nodes[p->last_child].next_sibling = id;
        p->last_child = id;
        mt->path[id] = ui_mtree_boot(mt, func) ? mt->path[parent]
                     : ui_mtmem_mix(mt->path[parent] ^ ui_mtmem_mix((uint64_t)func << 32 | (uint32_t)(line + 1)));
    }
    return id;
}

/* Does node id have key (parent, func, line)? (The check of a hit in slots.) */
static int same_child(const void *owner, uint32_t id, uint32_t parent, uint32_t func, int32_t line)
{
    const struct ui_mt_node *nd = &((const struct ui_mtree *)owner)->nodes[id];
    return nd->parent == parent && nd->func == func && nd->line == line;
}

/* Is line sum id node's sum of line? (The check of a hit in lslots.) */
static int same_sum(const void *owner, uint32_t id, uint32_t node, uint32_t zero, int32_t line)
{
    const struct ui_mt_lsum *ls = &((const struct ui_mtree *)owner)->lsums[id];
    return ls->next == node && ls->line == line && zero == 0;
}

/* The child of parent for (func, line), made when missing; TABLE_NONE on
 * ENOMEM (a node made but not kept in the table then: the tree is
 * rebuilt after an error). */
static uint32_t child(struct ui_mtree *mt, uint32_t parent, uint32_t func, int32_t line)
{
    uint32_t id = ui_mtmem_hash_get(&mt->slots, parent, func, line, same_child, mt);
    if (id != TABLE_NONE)
        return id;
    id = add_node(mt, parent, func, line);
    if (id != TABLE_NONE && ui_mtmem_hash_put(&mt->slots, parent, func, line, id) < 0)
        return TABLE_NONE;
    return id;
}

/* Put node's listed line sums into the hash table (lslots) instead: it
 * has more lines than a walk of its list should cost. */
static int hash_sums(struct ui_mtree *mt, uint32_t node)
{
    struct ui_mt_best *b = &mt->best[node];
    for (uint32_t i = b->sums; i != TABLE_NONE; i = mt->lsums[i].next)
        if (ui_mtmem_hash_put(&mt->lslots, node, 0, mt->lsums[i].line, i) < 0)
            return ERR_NOMEM;
    /* Listed no more: each sum's link becomes its node (same_sum). */
    for (uint32_t i = b->sums, next; i != TABLE_NONE; i = next) {
        next = mt->lsums[i].next;
        mt->lsums[i].next = node;
    }
    b->sums = SUMS_HASHED;
    return 0;
}

/* The index of node's sum for line, made when missing; TABLE_NONE on ENOMEM. */
static uint32_t line_sum(struct ui_mtree *mt, uint32_t node, int32_t line)
{
    struct ui_mt_best *b = &mt->best[node];
    size_t listed = 0;
    if (b->sums == SUMS_HASHED) {
        uint32_t i = ui_mtmem_hash_get(&mt->lslots, node, 0, line, same_sum, mt);
        if (i != TABLE_NONE)
            return i;
    } else {
        for (uint32_t i = b->sums; i != TABLE_NONE; i = mt->lsums[i].next, listed++)
            if (mt->lsums[i].line == line)
                return i;
        if (listed >= LIST_MAX && hash_sums(mt, node) < 0)
            return TABLE_NONE;
    }
    if (mt->nsums >= NODES_MAX ||
        ui_mtmem_reserve((void **)&mt->lsums, &mt->sums_cap, mt->nsums + 1, sizeof *mt->lsums) < 0)
        return TABLE_NONE;
    uint32_t i = (uint32_t)mt->nsums;
    if (b->sums == SUMS_HASHED) {
        if (ui_mtmem_hash_put(&mt->lslots, node, 0, line, i) < 0)
            return TABLE_NONE;
        mt->lsums[i] = (struct ui_mt_lsum){.line = line, .next = node};
    } else {
        mt->lsums[i] = (struct ui_mt_lsum){.line = line, .next = b->sums};
        b->sums = i;
    }
    mt->nsums++;
    return i;
}

/* Add w samples to node's line sum i, and make its line the busiest of
 * the node when it now is (sums only grow: the busiest stays found). */
static void line_add(struct ui_mtree *mt, uint32_t node, uint32_t i, uint64_t w)
{
    struct ui_mt_lsum *ls = &mt->lsums[i];
    struct ui_mt_best *b = &mt->best[node];
    ls->samples += w;
    if (b->sum == i)
        return;
    const struct ui_mt_lsum *best = b->sum != TABLE_NONE ? &mt->lsums[b->sum] : NULL;
    if (!best || ls->samples > best->samples ||
        (ls->samples == best->samples && (best->line < 0 || ls->line < best->line)))
        b->sum = i;
}

/* ---- mapping ---- */

static uint64_t builds;              /* full mappings of every tree (ui_mtree.build) */

/* Start again from an empty tree of this scope (the root alone). */
static void clear(struct ui_mtree *mt, const struct ui_mtree_scope *scope)
{
    mt->n = mt->mapped = mt->nsums = mt->lines_mapped = 0;
    mt->lines_counted = 0;
    ui_mtmem_hash_clear(&mt->slots);
    ui_mtmem_hash_clear(&mt->lslots);
    mt->scope = *scope;
    mt->seen_ok = 0;
    mt->nboot = 0;                    /* classified again: t may be another table */
    ui_replica_mark_init(&mt->mark);
    mt->gen++;
    mt->rebuilds++;
    mt->build = ++builds;
    add_node(mt, TABLE_NONE, TABLE_NONE, -1);
}

static int grow_map(struct ui_mtree *mt, size_t count)
{
    if (ui_mtmem_reserve((void **)&mt->map, &mt->map_caps[0], count, sizeof *mt->map) < 0)
        return ERR_NOMEM;
    if (mt->walks &&
        (ui_mtmem_reserve((void **)&mt->seen, &mt->map_caps[1], count, sizeof *mt->seen) < 0 ||
         ui_mtmem_reserve((void **)&mt->seen_self, &mt->map_caps[2], count, sizeof *mt->seen_self) < 0))
        return ERR_NOMEM;
    return 0;
}

/* The counts the walk compares with are kept only for a table that does
 * not replay its adds: a replica's are counted from its replayed adds, and
 * after anything else (a whole copy, a missed sync) the whole count costs
 * no more than the copy did. */
static void keep_seen(struct ui_mtree *mt, const struct table *t)
{
    size_t nadds;
    uint64_t whole;
    int walks = table_sync_replayed(t, &nadds, &whole) == 0;
    if (walks == mt->walks)
        return;
    if (!walks) {
        ui_mtmem_release(mt->seen, mt->map_caps[1], sizeof *mt->seen);
        ui_mtmem_release(mt->seen_self, mt->map_caps[2], sizeof *mt->seen_self);
        mt->seen = mt->seen_self = NULL;
        mt->map_caps[1] = mt->map_caps[2] = 0;
    }
    mt->walks = walks;
    mt->seen_ok = 0;                  /* made or dropped: counted whole before a walk */
}

/* What table node x (parent p, or a root when p is TABLE_NONE) maps to,
 * given its parent's mapping (a node is made for it when new). */
static int map_of(struct ui_mtree *mt, const struct table *t, uint32_t x, uint32_t p, uint32_t *out)
{
    *out = TABLE_NONE;
    if (p == TABLE_NONE) {
        if (mt->scope.thread == TABLE_NONE || tree_root(t, mt->scope.thread) == x)
            *out = 0;
        return 0;
    }
    if (p >= x || mt->map[p].node == TABLE_NONE)
        return 0;                     /* parents come first; out of the scope */
    uint32_t mp = mt->map[p].node & ~SKIP_BIT;
    struct frame_key s = tree_site(t, x);
    if (mt->scope.skip_boot && ui_mtree_boot(mt, s.func))
        *out = mp | SKIP_BIT;
    else if ((*out = child(mt, mp, s.func, mt->scope.by_line ? s.line : -1)) == TABLE_NONE)
        return ERR_NOMEM;
    return 0;
}

#define CHUNK 64                      /* new table nodes mapped together */

/* Prefetch the child slot table node x (parent p, mapped) will probe. */
static void prefetch_child(const struct ui_mtree *mt, const struct table *t, uint32_t x, uint32_t p)
{
    uint32_t pm = mt->map[p].node;
    if (pm == TABLE_NONE)
        return;
    struct frame_key s = tree_site(t, x);
    ui_mtmem_hash_prefetch(&mt->slots, pm & ~SKIP_BIT, s.func, mt->scope.by_line ? s.line : -1);
}

/* Does this sync count the busiest lines? */
static int keeps_lines(const struct ui_mtree *mt)
{
    return mt->scope.lines && !mt->scope.by_line;
}

/* Does mapped node m (of a table node) have line sums (function level)? */
static int has_lines(uint32_t m)
{
    return m != TABLE_NONE && m != 0 && !(m & SKIP_BIT);
}

/* Map table nodes [lo, hi) (hi - lo <= CHUNK), in rounds: each maps the
 * nodes whose parent is mapped, their hash slots prefetched first, so
 * that the probes of different stacks overlap instead of waiting one
 * after the other; the line sums last, their nodes' lists prefetched too. */
static int map_chunk(struct ui_mtree *mt, const struct table *t, uint32_t lo, uint32_t hi)
{
    uint32_t todo[CHUNK], ready[CHUNK], par[CHUNK], lines[CHUNK];
    uint8_t done[CHUNK] = {0};
    size_t ntodo = 0;
    for (uint32_t x = lo; x < hi; x++) {
        todo[ntodo++] = x;
        par[x - lo] = tree_parent(t, x);
    }
    /* The lowest node left always has its parent mapped: every round maps one at least. */
    while (ntodo) {
        size_t nready = 0, left = 0, nlines = 0;
        for (size_t i = 0; i < ntodo; i++) {
            uint32_t x = todo[i], p = par[x - lo];
            if (p != TABLE_NONE && p < x && p >= lo && !done[p - lo]) {
                todo[left++] = x;
                continue;
            }
            if (p != TABLE_NONE && p < x)
                prefetch_child(mt, t, x, p);
            ready[nready++] = x;
        }
        for (size_t i = 0; i < nready; i++) {
            uint32_t x = ready[i], m;
            if (map_of(mt, t, x, par[x - lo], &m) < 0)
                return ERR_NOMEM;
            mt->map[x] = (struct ui_mt_map){.node = m, .lsum = TABLE_NONE};
            if (mt->walks)
                mt->seen[x] = mt->seen_self[x] = 0;
            done[x - lo] = 1;
            if (keeps_lines(mt) && has_lines(m)) {
                __builtin_prefetch(&mt->best[m]);
                lines[nlines++] = x;
            }
        }
        for (size_t i = 0; i < nlines; i++) {
            uint32_t x = lines[i];
            if ((mt->map[x].lsum = line_sum(mt, mt->map[x].node, tree_site(t, x).line)) == TABLE_NONE)
                return ERR_NOMEM;
        }
        ntodo = left;
    }
    return 0;
}

/* The line sums of the table nodes mapped by syncs that did not count
 * lines. */
static int map_lines(struct ui_mtree *mt, const struct table *t)
{
    for (; mt->lines_mapped < mt->mapped; mt->lines_mapped++) {
        uint32_t x = (uint32_t)mt->lines_mapped, m = mt->map[x].node;
        if (has_lines(m) && (mt->map[x].lsum = line_sum(mt, m, tree_site(t, x).line)) == TABLE_NONE)
            return ERR_NOMEM;
    }
    return 0;
}

/* Map table nodes [mapped, count) (parents come first). */
static int map_new(struct ui_mtree *mt, const struct table *t, size_t count)
{
    if (grow_map(mt, count) < 0 || (keeps_lines(mt) && map_lines(mt, t) < 0))
        return ERR_NOMEM;
    while (mt->mapped < count) {
        uint32_t lo = (uint32_t)mt->mapped, hi = count - lo > CHUNK ? lo + CHUNK : (uint32_t)count;
        if (map_chunk(mt, t, lo, hi) < 0)
            return ERR_NOMEM;
        mt->mapped = hi;
    }
    if (keeps_lines(mt))
        mt->lines_mapped = mt->mapped;
    return 0;
}

/* ---- counting ---- */

/* Add dt to the total and ds to the own samples of table node x's path. */
static void count(struct ui_mtree *mt, uint32_t x, uint64_t dt, uint64_t ds)
{
    uint32_t m = mt->map[x].node;
    if (m == TABLE_NONE)
        return;
    mt->self[m & ~SKIP_BIT] += ds;    /* a skipped frame's own time is its caller's */
    if (m & SKIP_BIT)
        return;
    mt->nodes[m].total += dt;
    if (keeps_lines(mt) && mt->map[x].lsum != TABLE_NONE)
        line_add(mt, m, mt->map[x].lsum, dt);
}

/* Does table node x (parent p) map to v as a fresh mapping would? */
static int fits(const struct ui_mtree *mt, const struct table *t, uint32_t x, uint32_t p, uint32_t v)
{
    if (p == TABLE_NONE)
        return v == (mt->scope.thread == TABLE_NONE || tree_root(t, mt->scope.thread) == x ? 0 : TABLE_NONE);
    uint32_t pm = p < x ? mt->map[p].node : TABLE_NONE;
    if (pm == TABLE_NONE || v == TABLE_NONE)
        return pm == v;
    struct frame_key s = tree_site(t, x);
    pm &= ~SKIP_BIT;
    if (mt->scope.skip_boot && ui_mtree_boot(mt, s.func))
        return v == (pm | SKIP_BIT);
    return v < mt->n && mt->nodes[v].parent == pm && mt->nodes[v].func == s.func &&
           mt->nodes[v].line == (mt->scope.by_line ? s.line : -1);
}

/* Count every table node again, checking the mapping on the way; 1 when
 * a node does not fit it (the table was reset, or is another one). */
static int count_all(struct ui_mtree *mt, const struct table *t)
{
    for (size_t i = 0; i < mt->n; i++) {
        mt->nodes[i].total = mt->self[i] = 0;
        mt->best[i].sum = TABLE_NONE;
    }
    for (size_t i = 0; i < mt->nsums; i++)
        mt->lsums[i].samples = 0;
    for (uint32_t x = 0; x < mt->mapped; x++) {
        if (!fits(mt, t, x, tree_parent(t, x), mt->map[x].node))
            return 1;
        uint64_t total = tree_total(t, x), self = tree_self(t, x);
        if (mt->walks) {
            mt->seen[x] = total;
            mt->seen_self[x] = self;
        }
        count(mt, x, total, self);
    }
    mt->seen_ok = mt->walks;
    mt->lines_counted = keeps_lines(mt);
    mt->checks++;
    return 0;
}

static int push(struct ui_mtree *mt, size_t *n, uint32_t node)
{
    if (array_reserve((void **)&mt->stack, &mt->stack_cap, *n + 1, sizeof *mt->stack) < 0)
        return ERR_NOMEM;
    mt->stack[(*n)++] = node;
    return 0;
}

/* Count what the table nodes whose totals grew since the last count
 * added. A node grew only when its parent did: walk down from the roots
 * in the scope through the grown nodes only. 1 when a count shrank. */
static int count_walk(struct ui_mtree *mt, const struct table *t)
{
    size_t n = 0;
    int rc = 0;
    for (uint32_t i = 0; i < table_thread_count(t) && rc == 0; i++)
        if ((mt->scope.thread == TABLE_NONE || mt->scope.thread == i) && tree_root(t, i) < mt->mapped)
            rc = push(mt, &n, tree_root(t, i));
    while (n > 0 && rc == 0) {
        uint32_t x = mt->stack[--n];
        uint64_t total = tree_total(t, x), self = tree_self(t, x);
        if (total == mt->seen[x])
            continue;
        if (total < mt->seen[x] || self < mt->seen_self[x])
            return 1;
        count(mt, x, total - mt->seen[x], self - mt->seen_self[x]);
        mt->seen[x] = total;
        mt->seen_self[x] = self;
        for (uint32_t c = tree_first_child(t, x); c != TABLE_NONE && rc == 0; c = tree_next_sibling(t, c))
            if (c < mt->mapped && tree_total(t, c) != mt->seen[c])
                rc = push(mt, &n, c);
    }
    return rc;
}

/* Count the adds the replica's last sync replayed: each on the path from
 * its leaf up. */
static void count_replayed(struct ui_mtree *mt, const struct table *t, size_t nadds)
{
    for (size_t i = 0; i < nadds; i++) {
        uint64_t w;
        uint32_t x = table_sync_replayed_add(t, i, &w);
        if (x >= mt->mapped || mt->map[x].node == TABLE_NONE)
            continue;                 /* out of the scope: its whole path is */
        uint64_t ds = w;
        for (size_t hops = 0; x != TABLE_NONE && x < mt->mapped && hops < mt->mapped; hops++) {
            count(mt, x, w, ds);
            ds = 0;
            uint32_t p = tree_parent(t, x);
            x = p < x ? p : TABLE_NONE;
        }
    }
    mt->seen_ok = 0;                  /* seen is behind now: the walk may not use it */
}

/* Count what changed: replayed adds when they are all that changed since
 * the last count, else the walk, else (or when asked) everything. */
static int count_new(struct ui_mtree *mt, const struct table *t, int check)
{
    size_t nadds;
    uint64_t whole, applies = table_sync_replayed(t, &nadds, &whole);
    int rc = 1;
    if (keeps_lines(mt) && !mt->lines_counted)
        check = 1;                    /* lines left behind by syncs without them */
    else if (!keeps_lines(mt))
        mt->lines_counted = 0;        /* they fall behind from here */
    if (!check && applies && applies == mt->applies + 1 && whole == mt->whole) {
        count_replayed(mt, t, nadds);
        rc = 0;
    } else if (!check && (applies != mt->applies || whole != mt->whole || mt->mark.samples != table_samples(t))) {
        rc = mt->seen_ok ? count_walk(mt, t) : 1;
    } else if (!check) {
        rc = 0;                       /* nothing new */
    }
    if (rc == 1)
        rc = count_all(mt, t);
    mt->applies = applies;
    mt->whole = whole;
    return rc;
}

/* Do the scopes make the same paths (their busiest lines aside)? */
static int same_paths(const struct ui_mtree_scope *a, const struct ui_mtree_scope *b)
{
    return a->thread == b->thread && !a->by_line == !b->by_line && !a->skip_boot == !b->skip_boot;
}

struct ui_mtree *ui_mtree_pick(struct ui_mtree *shared, struct ui_mtree *own, const struct ui_mtree_scope *scope,
                               const void *user)
{
    if (!shared || (shared->n && shared->user != user && !same_paths(&shared->scope, scope)))
        return own;
    if (own->nodes)
        ui_mtree_free(own);
    shared->user = user;
    return shared;
}

int ui_mtree_sync(struct ui_mtree *mt, const struct table *t, const struct ui_mtree_scope *scope, int check)
{
    int rebuilt = mt->n == 0 || !same_paths(scope, &mt->scope) || ui_replica_mark_reset(&mt->mark, t);
    mt->t = t;
    mt->scope.lines = scope->lines;
    keep_seen(mt, t);
    for (int pass = 0; pass < 2; pass++) {
        if (rebuilt)
            clear(mt, scope);
        size_t before = mt->mapped;
        int rc = mt->n ? classify(mt, t) : ERR_NOMEM;
        if (rc == 0)
            rc = map_new(mt, t, tree_node_count(t));
        if (rc == 0)
            rc = count_new(mt, t, check || rebuilt);
        if (rc < 0) {
            mt->n = 0;                /* rebuilt next time */
            return rc;
        }
        if (rc == 0) {
            if (rebuilt) {            /* a whole mapping: no old tables left behind */
                ui_mtmem_hash_settle(&mt->slots);
                ui_mtmem_hash_settle(&mt->lslots);
            }
            if (rebuilt || before != mt->mapped || mt->mark.samples != table_samples(t) || check)
                mt->gen++;
            ui_replica_mark_set(&mt->mark, t);
            return rebuilt;
        }
        rebuilt = 1;                  /* stale: map every node again, once */
    }
    mt->n = 0;
    return ERR_NOMEM;                 /* cannot happen: a fresh mapping fits */
}

uint64_t ui_mtree_total(const struct ui_mtree *mt, uint32_t node)
{
    return node < mt->n ? mt->nodes[node].total : 0;
}

uint64_t ui_mtree_self(const struct ui_mtree *mt, uint32_t node)
{
    return node < mt->n ? mt->self[node] : 0;
}

int32_t ui_mtree_line(const struct ui_mtree *mt, uint32_t node)
{
    if (node >= mt->n || (!mt->scope.by_line && !mt->lines_counted))
        return -1;                    /* lines not counted by the last sync */
    uint32_t sum = mt->best[node].sum;
    return sum != TABLE_NONE ? mt->lsums[sum].line : mt->nodes[node].line;
}
