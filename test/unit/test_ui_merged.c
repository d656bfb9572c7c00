/* SPDX-License-Identifier: MIT */
/* Unit tests of the incrementally kept merged tree (ui_merged.c): after
 * every refresh of a replica (random recursive stacks over several
 * threads, fed between syncs), after a change of thread and after resets
 * (which reuse node ids; seen at once, or late and found by checking
 * every node), it equals tree_merged() of the same replica, node for
 * node, totals and own samples. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "table.h"
#include "tree.h"
#include "ui_merged.h"

#define MAXD 10
#define NFUNCS 6
#define NTHREADS 3

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 33) % n;
}

static uint32_t funcs[NFUNCS];

static void feed(struct table *t, size_t n, int nfuncs)
{
    struct frame_key f[MAXD];
    for (size_t i = 0; i < n; i++) {
        int depth = (int)rnd(MAXD + 1);
        for (int d = 0; d < depth; d++)
            f[d] = (struct frame_key){funcs[rnd((uint32_t)nfuncs)], (int32_t)rnd(4)};
        CHECK_EQ(table_add_stack(t, rnd(NTHREADS), f, depth, 1 + rnd(3)), 0);
    }
}

static uint32_t child_by_func(const struct calltree *ct, uint32_t node, uint32_t func)
{
    for (uint32_t c = ct->nodes[node].first_child; c != TABLE_NONE; c = ct->nodes[c].next_sibling)
        if (ct->nodes[c].func == func)
            return c;
    return TABLE_NONE;
}

/* Each node of a with samples is in b, by its path, with the same total
 * (and the same own samples: b's kept, a's its total less its children's);
 * returns how many. */
static size_t contained(const struct calltree *a, const struct calltree *b, int check_self)
{
    size_t n = 0, bad = 0;
    for (uint32_t i = 1; i < a->n; i++) {
        if (!a->nodes[i].total)
            continue;
        uint32_t path[MAXD + 2];
        int d = 0;
        for (uint32_t x = i; x != 0 && d < MAXD + 2; x = a->nodes[x].parent)
            path[d++] = a->nodes[x].func;
        uint32_t y = 0;
        while (d > 0 && y != TABLE_NONE)
            y = child_by_func(b, y, path[--d]);
        bad += y == TABLE_NONE || b->nodes[y].total != a->nodes[i].total ||
               (check_self && b->nodes[y].self != ui_merged_self(a, i));
        n++;
    }
    CHECK_EQ(bad, 0);
    return n;
}

static void check_same(const struct table *r, struct ui_merged *m, uint32_t thread, int all)
{
    struct calltree want;
    CHECK_EQ(ui_merged_update(m, r, thread, all), 0);
    CHECK_EQ(tree_merged(r, thread, &want), 0);
    CHECK(m->ct.n >= 1 && want.n >= 1);
    if (m->ct.n && want.n) {
        CHECK_EQ(m->ct.nodes[0].total, want.nodes[0].total);
        CHECK_EQ(ui_merged_self(&m->ct, 0), want.nodes[0].self);
        CHECK_EQ(contained(&want, &m->ct, 0), contained(&m->ct, &want, 1));
    }
    calltree_free(&want);
}

static void sync(struct table *r, struct table *t)
{
    CHECK_EQ(table_sync_copy(r, t), 0);
    table_sync_apply(r);
}

int main(void)
{
    struct table *t = table_new(), *r = table_new();
    char name[16];
    for (int i = 0; i < NFUNCS; i++) {
        snprintf(name, sizeof name, "f%d", i);
        funcs[i] = table_intern_func(t, name, "/w/m.py");
    }
    for (int i = 0; i < NTHREADS; i++)
        table_thread(t, 100 + (uint64_t)i, "th");
    struct ui_merged m;
    ui_merged_init(&m);
    /* Growing: refresh after refresh, the mapping is kept. */
    for (int round = 0; round < 30; round++) {
        feed(t, 50, NFUNCS);
        sync(r, t);
        check_same(r, &m, round < 20 ? TABLE_NONE : 1, 0);
    }
    size_t rebuilds = m.rebuilds;
    CHECK_EQ(rebuilds, 2);                     /* the first map, then the change of thread */
    /* Resets, then as many nodes as before or more (ids reused by other
     * stacks, fewer functions), unseen: found by checking functions. */
    for (int round = 0; round < 6; round++) {
        size_t before = tree_node_count(r);
        table_reset(t);
        while (tree_node_count(t) < before + 5)
            feed(t, 20, 2 + round % 3);
        sync(r, t);
        check_same(r, &m, 1, 1);
        check_same(r, &m, TABLE_NONE, 0);
        check_same(r, &m, 0, 0);
    }
    CHECK(m.rebuilds > rebuilds);
    /* A reset seen at once (fewer nodes and samples) maps all again;
     * growth after it keeps the mapping. */
    while (tree_node_count(t) < 20000)
        feed(t, 2000, NFUNCS);
    sync(r, t);
    check_same(r, &m, TABLE_NONE, 0);
    rebuilds = m.rebuilds;
    table_reset(t);
    feed(t, 30, NFUNCS);
    sync(r, t);
    check_same(r, &m, TABLE_NONE, 0);
    CHECK_EQ(m.rebuilds, rebuilds + 1);
    for (int round = 0; round < 3; round++) {
        feed(t, 3000, NFUNCS);
        sync(r, t);
        check_same(r, &m, TABLE_NONE, 0);
    }
    CHECK_EQ(m.rebuilds, rebuilds + 1);
    /* The same shape with other functions after an unseen reset: only
     * the functions tell. */
    for (int k = 0; k < 2; k++) {
        table_reset(t);
        for (int d = 1; d <= 3 + k; d++) {
            struct frame_key f[4];
            for (int j = 0; j < d; j++)
                f[d - 1 - j] = (struct frame_key){funcs[(3 * k + j) % NFUNCS], 1};
            CHECK_EQ(table_add_stack(t, 0, f, d, 1), 0);
        }
        sync(r, t);
        check_same(r, &m, 0, k);
    }
    /* A reset the mark cannot see (the same count, samples and last node,
     * another function above it): found by checking every node. */
    for (int k = 0; k < 2; k++) {
        table_reset(t);
        struct frame_key one[1] = {{funcs[k ? 2 : 0], 1}}, two[2] = {{funcs[1], 1}, {funcs[k ? 2 : 0], 1}};
        CHECK_EQ(table_add_stack(t, 0, one, 1, 1), 0);
        CHECK_EQ(table_add_stack(t, 0, two, 2, 1), 0);
        sync(r, t);
        check_same(r, &m, 0, k);
    }
    /* A thread with no samples: a root alone. */
    table_reset(t);
    sync(r, t);
    check_same(r, &m, 2, 0);
    CHECK(m.ct.n == 1 && m.ct.nodes[0].total == 0);
    ui_merged_free(&m);
    table_free(r);
    table_free(t);
    return check_report("ui_merged");
}
