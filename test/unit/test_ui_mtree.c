/* SPDX-License-Identifier: MIT */
/* Unit tests of the merged tree the views share (ui_mtree.c): after
 * every refresh of a replica (random recursive stacks over several
 * threads, bootstrap frames among them, fed between syncs), after random
 * changes of scope (thread, line level, bootstrap frames skipped), missed
 * syncs, and resets (which reuse node ids; seen at once, or late and
 * found by checking every node), it equals a tree built from scratch
 * from the same stacks, node for node: totals, own samples and busiest
 * lines; tree_merged() agrees at function level. Kept both from the
 * replica's replayed adds and, on a table that is no replica, by the
 * walk of the grown nodes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "table.h"
#include "tree.h"
#include "ui_mtree.h"

#define MAXD 10
#define NFUNCS 8
#define NBOOT 2                /* the last NBOOT functions are bootstrap frames */
#define NTHREADS 3

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 33) % n;
}

static uint32_t funcs[NFUNCS];

static void feed_lines(struct table *t, size_t n, int nfuncs, uint32_t nlines)
{
    struct frame_key f[MAXD];
    for (size_t i = 0; i < n; i++) {
        int depth = (int)rnd(MAXD + 1);
        for (int d = 0; d < depth; d++)
            f[d] = (struct frame_key){funcs[rnd((uint32_t)nfuncs)], (int32_t)rnd(nlines)};
        CHECK_EQ(table_add_stack(t, rnd(NTHREADS), f, depth, 1 + rnd(3)), 0);
    }
}

static void feed(struct table *t, size_t n, int nfuncs)
{
    feed_lines(t, n, nfuncs, 4);
}

static void sync(struct table *r, struct table *t)
{
    CHECK_EQ(table_sync_copy(r, t), 0);
    table_sync_apply(r);
}

/* ---- the tree from scratch: the stacks of the scope, replayed into one thread ---- */

struct replay {
    struct table *out;
    const struct table *from;
    struct ui_mtree_scope scope;
};

static int add_scoped(void *arg, uint32_t thread, const struct frame_key *frames, int depth, uint64_t count)
{
    struct replay *rp = arg;
    struct frame_key leaf_first[MAXD + 1];
    int n = 0;
    if (rp->scope.thread != TABLE_NONE && thread != rp->scope.thread)
        return 0;
    for (int i = depth; i-- > 0 && n <= MAXD;) {
        const char *name = table_func_name(rp->from, frames[i].func), *file = table_func_file(rp->from, frames[i].func);
        if (rp->scope.skip_boot && ui_mtree_is_bootstrap(name, file))
            continue;
        leaf_first[n++] = (struct frame_key){frames[i].func, rp->scope.by_line ? frames[i].line : -1};
    }
    return table_add_stack(rp->out, 0, leaf_first, n, count);
}

static struct table *scratch_tree(const struct table *r, const struct ui_mtree_scope *scope)
{
    struct replay rp = {.out = table_new(), .from = r, .scope = *scope};
    CHECK(rp.out != NULL);
    for (size_t f = 0; f < table_func_count(r); f++)
        CHECK_EQ(table_intern_func(rp.out, table_func_name(r, (uint32_t)f), table_func_file(r, (uint32_t)f)), f);
    table_thread(rp.out, 1, "all");
    CHECK_EQ(table_foreach_stack(r, add_scoped, &rp), 0);
    return rp.out;
}

/* The node of mt at the end of table node x's path of (function, line)
 * keys, or TABLE_NONE. */
static uint32_t follow(const struct ui_mtree *mt, const struct table *s, uint32_t x, int lines)
{
    struct frame_key path[MAXD + 2];
    int d = 0;
    for (; tree_parent(s, x) != TABLE_NONE && d < MAXD + 2; x = tree_parent(s, x))
        path[d++] = tree_site(s, x);
    uint32_t node = 0;
    while (d-- > 0 && node != TABLE_NONE) {
        uint32_t c = mt->nodes[node].first_child;
        while (c != TABLE_NONE && (mt->nodes[c].func != path[d].func || (lines && mt->nodes[c].line != path[d].line)))
            c = mt->nodes[c].next_sibling;
        node = c;
    }
    return node;
}

struct line_total {
    uint32_t node;
    int32_t line;
    uint64_t total;
};

static int by_node_line(const void *pa, const void *pb)
{
    const struct line_total *a = pa, *b = pb;
    if (a->node != b->node)
        return (a->node > b->node) - (a->node < b->node);
    return (a->line > b->line) - (a->line < b->line);
}

/* At function level, each node's busiest line from the line-level tree
 * of the same scope: its nodes' totals summed by (node of their function
 * path, line). */
static void check_lines(const struct ui_mtree *mt, const struct table *r)
{
    struct ui_mtree_scope ls = mt->scope;
    ls.by_line = 1;
    struct table *s = scratch_tree(r, &ls);
    size_t n = tree_node_count(s), k = 0, bad = 0;
    struct line_total *lt = malloc((n + 1) * sizeof *lt);
    uint64_t *best = calloc(mt->n, sizeof *best);
    int32_t *line = malloc(mt->n * sizeof *line);
    for (size_t i = 0; i < mt->n; i++)
        line[i] = -1;
    for (uint32_t y = 0; y < n; y++)
        if (tree_parent(s, y) != TABLE_NONE)
            lt[k++] = (struct line_total){follow(mt, s, y, 0), tree_site(s, y).line, tree_total(s, y)};
    qsort(lt, k, sizeof *lt, by_node_line);
    for (size_t i = 0; i < k;) {
        size_t j = i;
        uint64_t sum = 0;
        for (; j < k && lt[j].node == lt[i].node && lt[j].line == lt[i].line; j++)
            sum += lt[j].total;
        uint32_t m = lt[i].node;
        if (m < mt->n && (sum > best[m] || (sum == best[m] && lt[i].line < line[m]))) {
            best[m] = sum;
            line[m] = lt[i].line;
        }
        i = j;
    }
    free(lt);
    for (uint32_t m = 1; m < mt->n; m++)
        bad += mt->nodes[m].total && ui_mtree_line(mt, m) != line[m];
    check(bad == 0, "%zu nodes with another busiest line", bad);
    free(best);
    free(line);
    table_free(s);
}

/* mt equals the tree built from scratch for its scope, both ways. */
static void check_equal(const struct ui_mtree *mt, const struct table *r)
{
    struct table *s = scratch_tree(r, &mt->scope);
    size_t nonzero = 0, bad = 0;
    for (uint32_t m = 0; m < mt->n; m++)
        nonzero += m == 0 || mt->nodes[m].total > 0;
    CHECK_EQ(nonzero, tree_node_count(s) ? tree_node_count(s) : 1);
    for (uint32_t y = 0; y < tree_node_count(s); y++) {
        uint32_t m = tree_parent(s, y) == TABLE_NONE ? 0 : follow(mt, s, y, 1);
        bad += m == TABLE_NONE || ui_mtree_total(mt, m) != tree_total(s, y) ||
               ui_mtree_self(mt, m) != tree_self(s, y);
    }
    check(bad == 0, "%zu of %zu nodes differ (thread %d, lines %d, skip %d)", bad, tree_node_count(s),
          (int)mt->scope.thread, mt->scope.by_line, mt->scope.skip_boot);
    CHECK_EQ(ui_mtree_total(mt, 0), mt->scope.thread == TABLE_NONE ? table_samples(r)
                                                                     : table_thread_samples(r, mt->scope.thread));
    if (!mt->scope.by_line && mt->scope.lines)
        check_lines(mt, r);
    for (uint32_t m = 1; m < mt->n && !mt->scope.by_line && !mt->scope.lines; m++)
        CHECK_EQ(ui_mtree_line(mt, m), -1);
    table_free(s);
}

/* At function level with nothing skipped, tree_merged() agrees. */
static void check_merged(const struct ui_mtree *mt, const struct table *r)
{
    struct calltree want;
    CHECK_EQ(tree_merged(r, mt->scope.thread, &want), 0);
    size_t bad = 0;
    for (uint32_t k = 1; k < want.n; k++) {
        uint32_t path[MAXD + 2], d = 0, node = 0;
        for (uint32_t x = k; x != 0 && d < MAXD + 2; x = want.nodes[x].parent)
            path[d++] = want.nodes[x].func;
        while (d-- > 0 && node != TABLE_NONE) {
            uint32_t c = mt->nodes[node].first_child;
            while (c != TABLE_NONE && mt->nodes[c].func != path[d])
                c = mt->nodes[c].next_sibling;
            node = c;
        }
        bad += node == TABLE_NONE || mt->nodes[node].total != want.nodes[k].total || mt->self[node] != want.nodes[k].self;
    }
    CHECK_EQ(bad, 0);
    calltree_free(&want);
}

static void check_sync(struct ui_mtree *mt, const struct table *r, struct ui_mtree_scope scope, int check_all)
{
    CHECK(ui_mtree_sync(mt, r, &scope, check_all) >= 0);
    check_equal(mt, r);
    if (!scope.by_line && !scope.skip_boot)
        check_merged(mt, r);
}

static struct ui_mtree_scope random_scope(void)
{
    uint32_t th = rnd(NTHREADS + 1);
    return (struct ui_mtree_scope){.thread = th == NTHREADS ? TABLE_NONE : th, .by_line = (int)rnd(2),
                                   .skip_boot = (int)rnd(2), .lines = (int)rnd(4) > 0};
}

/* Random growth and random scope changes; the replica followed by its
 * replayed adds, the writer's table by the walk. */
static void test_random_scopes(struct table *t, struct table *r)
{
    struct ui_mtree a, b;
    ui_mtree_init(&a);
    ui_mtree_init(&b);
    struct ui_mtree_scope scope = {.thread = TABLE_NONE, .lines = 1};
    for (int round = 0; round < 60; round++) {
        feed(t, 20 + rnd(60), NFUNCS);
        if (rnd(4) == 0) {
            scope = random_scope();
            sync(r, t);
            check_sync(&a, r, scope, 1);          /* a scope change: the views ask for a check */
            check_sync(&b, t, scope, 1);
            continue;
        }
        if (rnd(5) == 0)
            sync(r, t);                           /* a sync the tree does not see */
        sync(r, t);
        check_sync(&a, r, scope, 0);
        check_sync(&b, t, scope, 0);
    }
    CHECK(a.rebuilds > 2 && a.checks > 2);
    /* Growth alone at one scope: no new ids, no counting of everything. */
    scope = (struct ui_mtree_scope){.thread = TABLE_NONE, .lines = 1};
    check_sync(&a, r, scope, 1);
    size_t rebuilds = a.rebuilds, checks = a.checks;
    for (int round = 0; round < 5; round++) {
        feed(t, 50, NFUNCS);
        sync(r, t);
        CHECK_EQ(ui_mtree_sync(&a, r, &scope, 0), 0);
        check_equal(&a, r);
    }
    CHECK_EQ(a.rebuilds, rebuilds);
    CHECK_EQ(a.checks, checks);
    ui_mtree_free(&a);
    ui_mtree_free(&b);
}

/* Nodes of more lines than their list of line sums is walked for: the
 * sums move to the hash table as a node passes that, and are found there
 * by the counts and the busiest lines that follow. */
static void test_many_lines(struct table *t, struct table *r)
{
    struct ui_mtree a;
    ui_mtree_init(&a);
    struct ui_mtree_scope scope = {.thread = TABLE_NONE, .lines = 1};
    for (int round = 0; round < 10; round++) {
        feed_lines(t, 40, 3, 40);
        sync(r, t);
        check_sync(&a, r, scope, round == 9);
    }
    ui_mtree_free(&a);
}

/* Syncs that count no busiest lines (the flame graph's) between syncs
 * that do (the call tree's), on the same paths: no new mapping, and the
 * lines left behind (new table nodes, new samples) are counted again. */
static void test_lines_left_behind(struct table *t, struct table *r)
{
    struct ui_mtree a;
    ui_mtree_init(&a);
    struct ui_mtree_scope with = {.thread = TABLE_NONE, .lines = 1}, without = {.thread = TABLE_NONE};
    sync(r, t);
    check_sync(&a, r, with, 1);
    size_t rebuilds = a.rebuilds;
    for (int round = 0; round < 8; round++) {
        feed_lines(t, 30, NFUNCS, 12);
        sync(r, t);
        check_sync(&a, r, round % 3 ? without : with, 0);
    }
    CHECK_EQ(a.rebuilds, rebuilds);
    ui_mtree_free(&a);
}

/* One tree following a replica and a table that does not replay its
 * adds in turn (the lens turned on and off): the walk's counts made and
 * dropped, the growth counted either way. */
static void test_walk_and_replay(struct table *t, struct table *r)
{
    struct ui_mtree a;
    ui_mtree_init(&a);
    struct ui_mtree_scope scope = {.thread = TABLE_NONE, .lines = 1};
    for (int round = 0; round < 6; round++) {
        const struct table *x = round % 2 ? t : r;
        for (int grow = 0; grow < 3; grow++) {
            feed(t, 30, NFUNCS);
            sync(r, t);
            check_sync(&a, x, scope, 0);
            CHECK_EQ(a.walks, x == t);
            CHECK_EQ(a.seen != NULL, x == t);
        }
    }
    ui_mtree_free(&a);
}

static void test_resets(struct table *t, struct table *r)
{
    struct ui_mtree m;
    ui_mtree_init(&m);
    struct ui_mtree_scope all = {.thread = TABLE_NONE, .lines = 1}, one = {.thread = 1, .lines = 1},
                          zero = {.thread = 0, .lines = 1};
    check_sync(&m, r, all, 0);
    size_t rebuilds = m.rebuilds;
    /* Resets, then as many nodes as before or more (ids reused by other
     * stacks, fewer functions), unseen: found by checking. */
    for (int round = 0; round < 6; round++) {
        size_t before = tree_node_count(r);
        table_reset(t);
        while (tree_node_count(t) < before + 5)
            feed(t, 20, 2 + round % 3);
        sync(r, t);
        check_sync(&m, r, one, 1);
        check_sync(&m, r, all, 0);
        check_sync(&m, r, zero, 0);
    }
    CHECK(m.rebuilds > rebuilds);
    /* A reset seen at once maps all again; growth after it keeps the mapping. */
    feed(t, 3000, NFUNCS);
    sync(r, t);
    check_sync(&m, r, all, 0);
    rebuilds = m.rebuilds;
    table_reset(t);
    feed(t, 30, NFUNCS);
    sync(r, t);
    check_sync(&m, r, all, 0);
    CHECK_EQ(m.rebuilds, rebuilds + 1);
    for (int round = 0; round < 3; round++) {
        feed(t, 300, NFUNCS);
        sync(r, t);
        check_sync(&m, r, all, 0);
    }
    CHECK_EQ(m.rebuilds, rebuilds + 1);
    /* A reset the mark cannot see (the same count, samples and last node,
     * another function above it): found by the whole copy it made, or by
     * checking every node. */
    for (int k = 0; k < 2; k++) {
        table_reset(t);
        struct frame_key one_f[1] = {{funcs[k ? 2 : 0], 1}}, two[2] = {{funcs[1], 1}, {funcs[k ? 2 : 0], 1}};
        CHECK_EQ(table_add_stack(t, 0, one_f, 1, 1), 0);
        CHECK_EQ(table_add_stack(t, 0, two, 2, 1), 0);
        sync(r, t);
        check_sync(&m, r, zero, k);
    }
    /* A thread with no samples: a root alone. */
    table_reset(t);
    sync(r, t);
    struct ui_mtree_scope two_th = {.thread = 2, .lines = 1};
    check_sync(&m, r, two_th, 0);
    CHECK(m.n == 1 && m.nodes[0].total == 0);
    ui_mtree_free(&m);
}

int main(void)
{
    struct table *t = table_new(), *r = table_new();
    static const char *const boot[NBOOT][2] = {{"<module>", "/w/m.py"}, {"_run_code", "/usr/lib/python3.12/runpy.py"}};
    char name[16];
    for (int i = 0; i < NFUNCS; i++) {
        snprintf(name, sizeof name, "f%d", i);
        funcs[i] = i < NFUNCS - NBOOT ? table_intern_func(t, name, "/w/m.py")
                                      : table_intern_func(t, boot[i - (NFUNCS - NBOOT)][0], boot[i - (NFUNCS - NBOOT)][1]);
    }
    for (int i = 0; i < NTHREADS; i++)
        table_thread(t, 100 + (uint64_t)i, "th");
    test_random_scopes(t, r);
    test_many_lines(t, r);
    test_lines_left_behind(t, r);
    test_walk_and_replay(t, r);
    test_resets(t, r);
    table_free(r);
    table_free(t);
    return check_report("ui_mtree");
}
