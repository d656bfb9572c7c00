/* SPDX-License-Identifier: MIT */
/* Callers and callees of one function from an index of nodes by function. */
#include "ui_links.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"

#define RECURSIVE 0x80000000u  /* info: the node's function is also above it */
#define BLOCKED_MAX 32        /* recursion: callees already called by the function above */

void ui_links_init(struct ui_links *lk)
{
    *lk = (struct ui_links){.head = NULL};
    ui_replica_mark_init(&lk->mark);
}

void ui_links_free(struct ui_links *lk)
{
    free(lk->head);
    free(lk->next);
    free(lk->info);
    free(lk->acc);
    free(lk->touched);
    free(lk->path);
    free(lk->stamp);
    free(lk->sort_tmp);
    ui_links_init(lk);
}

/* A node's thread root and whether its function is also above it. */
static uint32_t node_info(const struct ui_links *lk, const struct table *t, uint32_t n, uint32_t f)
{
    uint32_t p = tree_parent(t, n);
    if (p == TABLE_NONE || p >= n)
        return TABLE_NONE;                /* a root (or a broken link) */
    if (tree_parent(t, p) == TABLE_NONE)
        return p;
    uint32_t root = lk->info[p] & ~RECURSIVE;
    for (uint32_t k = p, below = n; k != root && k < below; below = k, k = tree_parent(t, k))
        if (tree_site(t, k).func == f)
            return root | RECURSIVE;
    return root;
}

/* Index the table nodes added since the last call (all after a reset). */
static int sync_index(struct ui_links *lk, const struct table *t)
{
    size_t nf = table_func_count(t), count = tree_node_count(t);
    if (ui_replica_mark_reset(&lk->mark, t)) {
        lk->mapped = 0;
        for (size_t f = 0; f < lk->nheads; f++)
            lk->head[f] = TABLE_NONE;
    }
    size_t acc_cap = lk->acc_cap, stamp_cap = lk->acc_cap;
    if (array_reserve((void **)&lk->head, &lk->heads_cap, nf, sizeof *lk->head) < 0 ||
        array_reserve((void **)&lk->next, &lk->next_cap, count, sizeof *lk->next) < 0 ||
        array_reserve((void **)&lk->info, &lk->info_cap, count, sizeof *lk->info) < 0 ||
        array_reserve((void **)&lk->acc, &acc_cap, 2 * nf, sizeof *lk->acc) < 0 ||
        array_reserve((void **)&lk->stamp, &stamp_cap, 2 * nf, sizeof *lk->stamp) < 0 ||
        array_reserve((void **)&lk->touched, &lk->acc_cap, 2 * nf, sizeof *lk->touched) < 0)
        return ERR_NOMEM;
    for (size_t f = lk->nheads; f < nf; f++)
        lk->head[f] = TABLE_NONE;
    for (size_t f = 2 * lk->nheads; f < 2 * nf; f++) {
        lk->acc[f] = 0;
        lk->stamp[f] = 0;
    }
    lk->nheads = nf;
    for (size_t n = lk->mapped; n < count; n++) {
        uint32_t f = tree_site(t, (uint32_t)n).func;
        lk->info[n] = node_info(lk, t, (uint32_t)n, f);
        lk->next[n] = f < nf ? lk->head[f] : TABLE_NONE;
        if (f < nf)
            lk->head[f] = (uint32_t)n;
    }
    lk->mapped = count;
    ui_replica_mark_set(&lk->mark, t);
    return 0;
}

/* The functions of the nodes above n, nearest first, its thread's root
 * left out (*root gets it). -1 on ENOMEM or a broken parent chain. */
static long path_up(struct ui_links *lk, const struct table *t, uint32_t n, uint32_t *root)
{
    size_t d = 0;
    *root = TABLE_NONE;
    for (uint32_t k = tree_parent(t, n), below = n; k != TABLE_NONE; below = k, k = tree_parent(t, k)) {
        if (k >= below)
            return -1;                    /* parents come first: never a cycle */
        if (tree_parent(t, k) == TABLE_NONE) {
            *root = k;
            break;
        }
        if (array_reserve((void **)&lk->path, &lk->path_cap, d + 1, sizeof *lk->path) < 0)
            return -1;
        lk->path[d++] = tree_site(t, k).func;
    }
    return (long)d;
}

static void acc_add(struct ui_links *lk, uint32_t func, int down, uint64_t samples)
{
    size_t i = 2 * (size_t)func + (size_t)down;
    if (func >= lk->nheads || samples == 0)
        return;
    if (lk->acc[i] == 0)
        lk->touched[lk->ntouched++] = (uint32_t)i;
    lk->acc[i] += samples;
}

/* Add callee to the set unless there; 1 when the set is full. */
static int block(uint32_t *set, size_t *n, uint32_t callee)
{
    for (size_t k = 0; k < *n; k++)
        if (set[k] == callee)
            return 0;
    if (*n == BLOCKED_MAX)
        return 1;
    set[(*n)++] = callee;
    return 0;
}

/* Count one node n of func (whose ancestors' functions are path[0..d)). */
static void count_node(struct ui_links *lk, const struct table *t, uint32_t n, uint32_t func, size_t d,
                       struct tree_links *up)
{
    const uint32_t *path = lk->path;
    uint32_t blocked[BLOCKED_MAX];
    size_t nb = 0;
    int outer = 1, caller_seen = 0, overflow = 0;
    for (size_t i = 0; i < d; i++) {
        outer &= path[i] != func;
        /* (path[i], path[i - 1]), or (path[0], func) for i == 0, is a
         * (caller, callee) pair above n: a callee of func counted there
         * is not counted again for the same sample */
        if (path[i] == func)
            overflow |= block(blocked, &nb, i ? path[i - 1] : func);
        if (i >= 1 && path[i - 1] == func && path[i] == path[0])
            caller_seen = 1;
    }
    up->self += tree_self(t, n);
    up->total += outer ? tree_total(t, n) : 0;
    if (d > 0 && !caller_seen)
        acc_add(lk, path[0], 0, tree_total(t, n));
    for (uint32_t c = tree_first_child(t, n); c != TABLE_NONE; c = tree_next_sibling(t, c)) {
        uint32_t callee = tree_site(t, c).func;
        int seen = 0;
        for (size_t k = 0; k < nb && !seen; k++)
            seen = blocked[k] == callee;
        for (size_t i = 0; i < d && overflow && !seen; i++)
            seen = path[i] == func && (i ? path[i - 1] : func) == callee;
        if (!seen)
            acc_add(lk, callee, 1, tree_total(t, c));
    }
}

/* Count a node of func that has no other frame of func above it: no
 * pair of it can have been counted above. */
static void count_plain(struct ui_links *lk, const struct table *t, uint32_t n, struct tree_links *up)
{
    uint64_t total = tree_total(t, n);
    uint32_t p = tree_parent(t, n);
    up->self += tree_self(t, n);
    up->total += total;
    if (tree_parent(t, p) != TABLE_NONE)
        acc_add(lk, tree_site(t, p).func, 0, total);
    for (uint32_t c = tree_first_child(t, n); c != TABLE_NONE; c = tree_next_sibling(t, c))
        acc_add(lk, tree_site(t, c).func, 1, tree_total(t, c));
}

static int by_samples(const void *pa, const void *pb)
{
    const struct tree_link *a = pa, *b = pb;
    if (a->samples != b->samples)
        return (a->samples < b->samples) - (a->samples > b->samples);
    return (a->func > b->func) - (a->func < b->func);
}

/* Move the accumulated samples into up and down, most first; touched
 * takes that order, so that the next call finds them nearly sorted. */
static int collect(struct ui_links *lk, struct tree_links *up, struct tree_links *down)
{
    size_t n[2] = {0, 0};
    for (size_t i = 0; i < lk->ntouched; i++)
        n[lk->touched[i] & 1]++;
    struct tree_links *out[2] = {up, down};
    int rc = 0;
    for (int k = 0; k < 2; k++)
        if (n[k] && !(out[k]->items = malloc(n[k] * sizeof *out[k]->items)))
            rc = ERR_NOMEM;
    for (size_t i = 0; i < lk->ntouched && rc == 0; i++) {
        uint32_t x = lk->touched[i];
        struct tree_links *o = out[x & 1];
        o->items[o->n++] = (struct tree_link){.func = x / 2, .samples = lk->acc[x]};
    }
    size_t most = n[0] > n[1] ? n[0] : n[1];
    if (rc == 0 && array_reserve((void **)&lk->sort_tmp, &lk->sort_cap, most, sizeof *lk->sort_tmp) < 0)
        rc = ERR_NOMEM;
    for (int k = 0; k < 2 && rc == 0; k++)
        array_sort_nearly(out[k]->items, lk->sort_tmp, out[k]->n, sizeof *out[k]->items, by_samples);
    size_t t = 0;
    for (int k = 0; k < 2 && rc == 0; k++)
        for (size_t i = 0; i < out[k]->n; i++)
            lk->touched[t++] = 2 * out[k]->items[i].func + (uint32_t)k;
    return rc;
}

/* Forget the kept answer: acc back to zero. */
static void forget(struct ui_links *lk)
{
    for (size_t i = 0; i < lk->ntouched; i++)
        lk->acc[lk->touched[i]] = 0;
    lk->ntouched = 0;
    lk->kept = 0;
}

/* Count func's nodes from the index (the whole answer). */
static int recount(struct ui_links *lk, const struct table *t, uint32_t thread, uint32_t func, struct tree_links *up)
{
    uint32_t scope = thread == TABLE_NONE ? TABLE_NONE : tree_root(t, thread);
    for (uint32_t n = lk->head[func]; n != TABLE_NONE; n = lk->next[n]) {
        uint32_t info = lk->info[n], root = info & ~RECURSIVE;
        if (info == TABLE_NONE || (thread != TABLE_NONE && root != scope))
            continue;
        if (!(info & RECURSIVE)) {
            count_plain(lk, t, n, up);
            continue;
        }
        long d = path_up(lk, t, n, &root);
        if (d < 0)
            return ERR_NOMEM;
        count_node(lk, t, n, func, (size_t)d, up);
    }
    lk->recounts++;
    return 0;
}

/* Count w samples for neighbour slot i once per stack (the stamp). */
static void once(struct ui_links *lk, uint32_t func, int down, uint64_t w)
{
    size_t i = 2 * (size_t)func + (size_t)down;
    if (func >= lk->nheads || lk->stamp[i] == lk->stamp_gen)
        return;
    lk->stamp[i] = lk->stamp_gen;
    acc_add(lk, func, down, w);
}

/* Count one replayed stack (leaf x, w samples) as tree_callers() and
 * tree_callees() count a sample: each caller and callee of func once. */
static void follow_stack(struct ui_links *lk, const struct table *t, uint32_t x, uint64_t w, uint32_t func,
                         uint32_t scope, struct tree_links *up)
{
    uint32_t p0 = tree_parent(t, x);
    uint32_t root = p0 == TABLE_NONE ? x : lk->info[x] & ~RECURSIVE;
    if (x >= lk->mapped || (scope != TABLE_NONE && root != scope))
        return;                                /* another thread's stack */
    if (++lk->stamp_gen == 0) {                /* wrapped: no stamp may look current */
        memset(lk->stamp, 0, 2 * lk->nheads * sizeof *lk->stamp);
        lk->stamp_gen = 1;
    }
    uint32_t below = TABLE_NONE;               /* the frame under the current one */
    int found = 0;
    for (uint32_t k = x, hops = 0; k != TABLE_NONE && hops <= lk->mapped; hops++) {
        uint32_t p = tree_parent(t, k);
        if (p == TABLE_NONE || p >= k)
            break;                             /* k is the thread's root (or a broken chain) */
        uint32_t f = tree_site(t, k).func;
        if (f == func) {
            found = 1;
            if (k == x)
                up->self += w;
            if (below != TABLE_NONE)
                once(lk, below, 1, w);
            if (tree_parent(t, p) != TABLE_NONE)
                once(lk, tree_site(t, p).func, 0, w);
        }
        below = f;
        k = p;
    }
    up->total += found ? w : 0;
}

int ui_links_get(struct ui_links *lk, const struct table *t, uint32_t thread, uint32_t func,
                 struct tree_links *up, struct tree_links *down)
{
    *up = (struct tree_links){.items = NULL};
    *down = (struct tree_links){.items = NULL};
    if ((thread != TABLE_NONE && thread >= table_thread_count(t)) || func >= table_func_count(t))
        return ERR_USAGE;
    size_t nadds;
    uint64_t whole, applies = table_sync_replayed(t, &nadds, &whole);
    int same = lk->kept && lk->kept_t == t && lk->kept_thread == thread && lk->kept_func == func &&
               lk->kept_whole == whole && applies != 0;
    int follow = same && applies == lk->kept_applies + 1;
    if (!(same && applies == lk->kept_applies) && !follow)
        forget(lk);
    int rc = sync_index(lk, t);
    up->self = follow || same ? lk->kept_self : 0;
    up->total = follow || same ? lk->kept_total : 0;
    if (rc == 0 && follow) {
        uint32_t scope = thread == TABLE_NONE ? TABLE_NONE : tree_root(t, thread);
        for (size_t i = 0; i < nadds; i++) {
            uint64_t w;
            uint32_t x = table_sync_replayed_add(t, i, &w);
            if (x < tree_node_count(t))
                follow_stack(lk, t, x, w, func, scope, up);
        }
        lk->follows++;
    } else if (rc == 0 && !same) {
        rc = recount(lk, t, thread, func, up);
    }
    if (rc == 0)
        rc = collect(lk, up, down);
    down->total = up->total;
    down->self = up->self;
    if (rc < 0) {
        tree_links_free(up);
        tree_links_free(down);
        lk->mapped = 0;                        /* index again next time */
        ui_replica_mark_init(&lk->mark);
        forget(lk);
        return rc;
    }
    lk->kept = 1;
    lk->kept_t = t;
    lk->kept_thread = thread;
    lk->kept_func = func;
    lk->kept_applies = applies;
    lk->kept_whole = whole;
    lk->kept_self = up->self;
    lk->kept_total = up->total;
    return 0;
}
