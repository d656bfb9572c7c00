/* SPDX-License-Identifier: MIT */
/* Unit tests of the call tree view's model (ui_mtree.c, ui_tree.c) and
 * of the callers / callees lines (ui_callers.c): on a small synthetic
 * table with known shares (folding, threshold, filter, bootstrap frames,
 * the hottest path, a selection that follows its call path), and on
 * random stacks fed in steps through a replica, where the incrementally
 * kept tree must equal one built at once and the merged tree of tree.h. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "lens.h"
#include "profile.h"
#include "table.h"
#include "tree.h"
#include "ui_callers.h"
#include "ui_links.h"
#include "ui_mtree.h"
#include "ui_data.h"
#include "ui_keys.h"
#include "ui_scene.h"
#include "ui_state.h"
#include "ui_tree.h"
#include "ui_views_list.h"
#include "usercode.h"

#define MAXD 12

enum { RUN_MAIN, RUN_CODE, MODULE, MAIN, ALPHA, BETA, BURN, BOOT, BOOT_INNER, RUN, GAMMA, NF };

static const char *const names[NF][2] = {
    [RUN_MAIN] = {"_run_module_as_main", "/usr/lib/python3.11/runpy.py"},
    [RUN_CODE] = {"_run_code", "/usr/lib/python3.11/runpy.py"},
    [MODULE] = {"<module>", "/app/calls.py"},
    [MAIN] = {"main", "/app/calls.py"},
    [ALPHA] = {"alpha", "/app/calls.py"},
    [BETA] = {"beta", "/app/calls.py"},
    [BURN] = {"burn", "/app/calls.py"},
    [BOOT] = {"Thread._bootstrap", "/usr/lib/python3.11/threading.py"},
    [BOOT_INNER] = {"Thread._bootstrap_inner", "/usr/lib/python3.11/threading.py"},
    [RUN] = {"Thread.run", "/usr/lib/python3.11/threading.py"},
    [GAMMA] = {"gamma", "/app/calls.py"},
};

static uint32_t fid[NF];

/* A stack root first: functions, their lines (line = 10 * function + k). */
static void add(struct table *t, uint32_t thread, const int *fs, int n, int k, uint64_t w)
{
    struct frame_key leaf_first[MAXD];
    for (int i = 0; i < n; i++)
        leaf_first[n - 1 - i] = (struct frame_key){fid[fs[i]], 10 * fs[i] + k};
    CHECK_EQ(table_add_stack(t, thread, leaf_first, n, w), 0);
}

/* Thread 0 (100 samples): main 100 = alpha 60 (burn 50) + beta 30 (burn 25)
 * + own 10, under runpy and <module>. Thread 1: gamma 25 (burn 5) under
 * threading's bootstrap frames. */
static struct table *known_table(void)
{
    struct table *t = table_new();
    for (int i = 0; i < NF; i++)
        fid[i] = table_intern_func(t, names[i][0], names[i][1]);
    CHECK_EQ(table_thread(t, 100, "MainThread"), 0);
    CHECK_EQ(table_thread(t, 101, "worker"), 1);
    int burn_a[] = {RUN_MAIN, RUN_CODE, MODULE, MAIN, ALPHA, BURN};
    int burn_b[] = {RUN_MAIN, RUN_CODE, MODULE, MAIN, BETA, BURN};
    int gamma[] = {BOOT, BOOT_INNER, RUN, GAMMA, BURN};
    add(t, 0, burn_a, 6, 0, 30);
    add(t, 0, burn_a, 6, 1, 20);            /* the same path from another line of alpha */
    add(t, 0, burn_a, 5, 0, 10);            /* alpha's own */
    add(t, 0, burn_b, 6, 0, 25);
    add(t, 0, burn_b, 5, 0, 5);
    add(t, 0, burn_a, 4, 0, 10);            /* main's own */
    add(t, 1, gamma, 4, 0, 20);
    add(t, 1, gamma, 5, 0, 5);
    return t;
}

static const char *row_name(const struct ui_tree *tr, size_t i)
{
    return table_func_name(tr->mt->t, tr->mt->nodes[tr->rows[i].node].func);
}

/* The counts of row i. */
struct row_counts {
    uint64_t total, self;
    int32_t line;
};

static const struct row_counts *row_counts(struct ui_tree *tr, size_t i)
{
    static struct row_counts c;
    uint32_t node = tr->rows[i].node;
    c = (struct row_counts){ui_mtree_total(tr->mt, node), ui_mtree_self(tr->mt, node), ui_mtree_line(tr->mt, node)};
    return &c;
}

/* The rows as "name/depth/fold" joined by spaces (fold: - leaf, + closed, o open). */
static void shape(const struct ui_tree *tr, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < tr->nrows && len < cap; i++) {
        const struct ui_tree_row *r = &tr->rows[i];
        len += (size_t)snprintf(buf + len, cap - len, "%s%s/%u/%c", i ? " " : "", row_name(tr, i),
                                (unsigned)r->depth, "-+o"[r->fold]);
    }
}

static void check_shape(const struct ui_tree *tr, const char *want, int line)
{
    char got[2048];
    shape(tr, got, sizeof got);
    check(strcmp(got, want) == 0, "line %d: rows\n  got  %s\n  want %s", line, got, want);
}

static long find_row(const struct ui_tree *tr, const char *name, uint32_t depth)
{
    for (size_t i = 0; i < tr->nrows; i++)
        if (strcmp(row_name(tr, i), name) == 0 && tr->rows[i].depth == depth)
            return (long)i;
    return -1;
}

static struct ui_tree_params params(uint32_t thread, int skip, double pct, const char *filter)
{
    return (struct ui_tree_params){.thread = thread, .skip_boot = skip, .threshold_pct = pct, .filter = filter};
}

static const char *selected_name(const struct ui_tree *tr)
{
    const struct ui_tree_row *r = ui_tree_selected(tr);
    return r ? table_func_name(tr->mt->t, tr->mt->nodes[r->node].func) : "(none)";
}

static void test_hottest_path_and_counts(void)
{
    struct table *t = known_table();
    struct ui_tree tr;
    ui_tree_init(&tr);
    struct ui_tree_params p = params(TABLE_NONE, 0, 0, "");
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    /* At first only the hottest path is unfolded. */
    check_shape(&tr, "_run_module_as_main/0/o _run_code/1/o <module>/2/o main/3/o alpha/4/o burn/5/- "
                     "beta/4/+ Thread._bootstrap/0/+", __LINE__);
    CHECK_EQ(tr.samples, 125);
    long a = find_row(&tr, "alpha", 4), m = find_row(&tr, "main", 3), b = find_row(&tr, "burn", 5);
    CHECK_EQ(row_counts(&tr, (size_t)a)->total, 60);
    CHECK_EQ(row_counts(&tr, (size_t)a)->self, 10);
    CHECK_EQ(row_counts(&tr, (size_t)m)->self, 10);
    CHECK_EQ(row_counts(&tr, (size_t)b)->total, 50);
    CHECK_EQ(row_counts(&tr, (size_t)b)->line, 10 * BURN);       /* 30 + 20 samples on the same line */
    CHECK_EQ(row_counts(&tr, (size_t)a)->line, 10 * ALPHA);      /* 40 of 60 on line k = 0 */
    CHECK_EQ(strcmp(selected_name(&tr), "_run_module_as_main"), 0);
    /* Until chosen, the selection rides on the first row. */
    int gamma[] = {BOOT, BOOT_INNER, RUN, GAMMA};
    add(t, 1, gamma, 4, 0, 200);
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    CHECK_EQ(strcmp(selected_name(&tr), "Thread._bootstrap"), 0);
    ui_tree_select(&tr, (size_t)find_row(&tr, "_run_module_as_main", 0));
    add(t, 1, gamma, 4, 0, 10);
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    CHECK_EQ(strcmp(selected_name(&tr), "_run_module_as_main"), 0);
    ui_tree_free(&tr);
    table_free(t);
    t = known_table();
    ui_tree_init(&tr);
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    /* Guides: alpha has a sibling after it (beta), burn none. */
    CHECK(tr.rows[a].more >> 4 & 1);
    CHECK(!(tr.rows[b].more >> 5 & 1));
    CHECK(tr.rows[b].more >> 4 & 1);                              /* the guide of alpha's level goes on */
    CHECK(tr.rows[0].more & 1);                                   /* a second top-level row follows */
    ui_tree_free(&tr);
    table_free(t);
}

static void test_folds_survive_refresh_and_scope(void)
{
    struct table *t = known_table();
    struct ui_tree tr;
    ui_tree_init(&tr);
    struct ui_tree_params p = params(TABLE_NONE, 0, 0, "");
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    ui_tree_select(&tr, (size_t)find_row(&tr, "alpha", 4));
    ui_tree_toggle(&tr);
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    check_shape(&tr, "_run_module_as_main/0/o _run_code/1/o <module>/2/o main/3/o alpha/4/+ beta/4/+ "
                     "Thread._bootstrap/0/+", __LINE__);
    /* New samples (ids kept) and another thread scope (ids rebuilt): the fold stays, so does the selection. */
    int more[] = {RUN_MAIN, RUN_CODE, MODULE, MAIN, ALPHA, BURN};
    add(t, 0, more, 6, 2, 7);
    uint32_t before = tr.rows[find_row(&tr, "alpha", 4)].node;
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    CHECK_EQ(tr.rows[find_row(&tr, "alpha", 4)].node, before);
    CHECK_EQ(row_counts(&tr, (size_t)find_row(&tr, "alpha", 4))->total, 67);
    CHECK_EQ(tr.rows[find_row(&tr, "alpha", 4)].fold, UI_FOLD_CLOSED);
    p.thread = 0;
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    check_shape(&tr, "_run_module_as_main/0/o _run_code/1/o <module>/2/o main/3/o alpha/4/+ beta/4/+", __LINE__);
    CHECK_EQ(strcmp(selected_name(&tr), "alpha"), 0);
    CHECK_EQ(tr.samples, 107);
    /* On a leaf, the toggle folds the caller. */
    ui_tree_select(&tr, (size_t)find_row(&tr, "alpha", 4));
    ui_tree_toggle(&tr);                                       /* unfold alpha again */
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    ui_tree_select(&tr, (size_t)find_row(&tr, "burn", 5));
    ui_tree_toggle(&tr);
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    CHECK_EQ(strcmp(selected_name(&tr), "alpha"), 0);
    CHECK_EQ(find_row(&tr, "burn", 5), -1);
    /* C folds all, x unfolds the hottest path again and selects its end. */
    ui_tree_close_all(&tr);
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    check_shape(&tr, "_run_module_as_main/0/+", __LINE__);
    ui_tree_hottest(&tr);
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    check_shape(&tr, "_run_module_as_main/0/o _run_code/1/o <module>/2/o main/3/o alpha/4/o burn/5/- "
                     "beta/4/+", __LINE__);
    CHECK_EQ(strcmp(selected_name(&tr), "burn"), 0);
    ui_tree_open_all(&tr);
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    CHECK_EQ(tr.nrows, 8);                                     /* beta's burn too */
    ui_tree_free(&tr);
    table_free(t);
}

static void test_threshold_and_filter(void)
{
    struct table *t = known_table();
    struct ui_tree tr;
    ui_tree_init(&tr);
    ui_tree_open_all(&tr);
    struct ui_tree_params p = params(TABLE_NONE, 0, 21, "");
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    /* 21 % of 125 = 26.25: beta (30) stays, beta's burn (25) and the worker thread (25) go. */
    check_shape(&tr, "_run_module_as_main/0/o _run_code/1/o <module>/2/o main/3/o alpha/4/o burn/5/- "
                     "beta/4/o", __LINE__);
    CHECK_EQ(tr.below, 2);
    p = params(TABLE_NONE, 0, 0, "BETA");
    ui_tree_close_all(&tr);
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    /* The path to beta unfolds by itself; beta keeps its own fold (closed). */
    check_shape(&tr, "_run_module_as_main/0/o _run_code/1/o <module>/2/o main/3/o beta/4/+", __LINE__);
    CHECK_EQ(tr.matched, 1);
    CHECK(tr.rows[4].match && !tr.rows[3].match);
    /* Everything under a match shows, matching or not. */
    ui_tree_select(&tr, 4);
    ui_tree_toggle(&tr);
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    check_shape(&tr, "_run_module_as_main/0/o _run_code/1/o <module>/2/o main/3/o beta/4/o burn/5/-", __LINE__);
    p.filter = "burn";
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    CHECK_EQ(tr.matched, 3);
    p.filter = "no such thing";
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    CHECK_EQ(tr.nrows, 0);
    CHECK(ui_tree_selected(&tr) == NULL);
    ui_tree_free(&tr);
    table_free(t);
}

static void test_bootstrap_folding(void)
{
    struct table *t = known_table();
    struct ui_tree tr;
    ui_tree_init(&tr);
    struct ui_tree_params p = params(TABLE_NONE, 0, 0, "");
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    ui_tree_select(&tr, (size_t)find_row(&tr, "alpha", 4));
    p.skip_boot = 1;
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    /* main and gamma at the top; the selection found alpha again. */
    check_shape(&tr, "main/0/o alpha/1/o burn/2/- beta/1/+ gamma/0/+", __LINE__);
    CHECK_EQ(strcmp(selected_name(&tr), "alpha"), 0);
    CHECK_EQ(row_counts(&tr, 0)->total, 100);
    CHECK_EQ(tr.samples, 125);                     /* folded frames do not count twice */
    CHECK_EQ(row_counts(&tr, (size_t)find_row(&tr, "gamma", 0))->total, 25);
    /* Folds are kept by path without the bootstrap frames: both ways. */
    ui_tree_select(&tr, (size_t)find_row(&tr, "alpha", 1));
    ui_tree_toggle(&tr);
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    CHECK_EQ(tr.rows[find_row(&tr, "alpha", 1)].fold, UI_FOLD_CLOSED);
    p.skip_boot = 0;
    CHECK_EQ(ui_tree_update(&tr, t, &p, 20), 0);
    CHECK_EQ(strcmp(selected_name(&tr), "alpha"), 0);
    CHECK_EQ(tr.rows[find_row(&tr, "alpha", 4)].fold, UI_FOLD_CLOSED);

    CHECK(ui_mtree_is_bootstrap("<module>", "x.py"));
    CHECK(ui_mtree_is_bootstrap("_run_code", "/usr/lib/python3.10/runpy.py"));
    CHECK(ui_mtree_is_bootstrap("_run_module_as_main", "<frozen runpy>"));
    CHECK(ui_mtree_is_bootstrap("_call_with_frames_removed", "<frozen importlib._bootstrap>"));
    CHECK(ui_mtree_is_bootstrap("exec_module", "<frozen importlib._bootstrap_external>"));
    CHECK(ui_mtree_is_bootstrap("_find_and_load", "/usr/lib/python3.8/importlib/_bootstrap.py"));
    CHECK(ui_mtree_is_bootstrap("Thread._bootstrap_inner", "/usr/lib/python3.12/threading.py"));
    CHECK(ui_mtree_is_bootstrap("run", "/usr/lib/python3.8/threading.py"));      /* before 3.11: bare names */
    CHECK(!ui_mtree_is_bootstrap("Worker.run", "/usr/lib/python3.12/threading.py"));
    CHECK(!ui_mtree_is_bootstrap("Thread.run", "/app/mythreading.py"));
    CHECK(!ui_mtree_is_bootstrap("main", "/app/calls.py"));
    CHECK(!ui_mtree_is_bootstrap("Condition.wait", "/usr/lib/python3.12/threading.py"));
    ui_tree_free(&tr);
    table_free(t);
}

static void test_selection_and_window(void)
{
    struct table *t = known_table();
    struct ui_tree tr;
    ui_tree_init(&tr);
    ui_tree_open_all(&tr);
    struct ui_tree_params p = params(TABLE_NONE, 0, 0, "");
    CHECK_EQ(ui_tree_update(&tr, t, &p, 3), 0);
    CHECK_EQ(tr.nrows, 13);
    CHECK_EQ(ui_tree_move(&tr, 2), 0);
    CHECK_EQ(ui_tree_move(&tr, 1), 1);                         /* row 3 scrolls the 3-row window */
    CHECK_EQ(tr.top, 1);
    ui_tree_move(&tr, LONG_MAX);
    CHECK_EQ(tr.sel, 12);
    CHECK_EQ(tr.top, 10);
    ui_tree_move(&tr, LONG_MIN);
    CHECK_EQ(tr.sel, 0);
    CHECK_EQ(tr.top, 0);
    /* A selection folded out of sight goes to its nearest shown ancestor. */
    ui_tree_select(&tr, (size_t)find_row(&tr, "alpha", 4));
    ui_tree_close_all(&tr);
    CHECK_EQ(ui_tree_update(&tr, t, &p, 3), 0);
    CHECK_EQ(strcmp(selected_name(&tr), "_run_module_as_main"), 0);   /* its nearest shown ancestor */
    ui_tree_free(&tr);
    table_free(t);
}

/* ---- random stacks through a replica: incremental == at once == tree_merged ---- */

static uint64_t rng = UINT64_C(0x2545F4914F6CDD1D);

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 33) % n;
}

static void feed_random(struct table *t, size_t n)
{
    struct frame_key f[MAXD];
    for (size_t i = 0; i < n; i++) {
        int depth = 1 + (int)rnd(MAXD);
        for (int d = 0; d < depth; d++)
            f[d] = (struct frame_key){fid[rnd(NF)], (int32_t)rnd(3)};
        CHECK_EQ(table_add_stack(t, rnd(2), f, depth, 1 + rnd(3)), 0);
    }
}

static int mt_sync(struct ui_mtree *mt, const struct table *t, uint32_t thread, int by_line, int skip_boot)
{
    struct ui_mtree_scope scope = {.thread = thread, .by_line = by_line, .skip_boot = skip_boot, .lines = 1};
    return ui_mtree_sync(mt, t, &scope, 0);
}

/* The node of ct reached by the path of calltree node k of m (funcs only). */
static uint32_t follow(const struct ui_mtree *ct, const struct calltree *m, uint32_t k)
{
    uint32_t path[256];
    size_t d = 0;
    for (uint32_t x = k; x != 0 && d < 256; x = m->nodes[x].parent)
        path[d++] = m->nodes[x].func;
    uint32_t node = 0;
    while (d-- > 0) {
        uint32_t c = ct->nodes[node].first_child;
        while (c != TABLE_NONE && ct->nodes[c].func != path[d])
            c = ct->nodes[c].next_sibling;
        if (c == TABLE_NONE)
            return TABLE_NONE;
        node = c;
    }
    return node;
}

/* Every node of a merged tree has a node with the same counts in ct, and
 * as many nodes. */
static void check_against_merged(struct ui_mtree *ct, const struct table *t, uint32_t thread)
{
    struct calltree m;
    CHECK_EQ(tree_merged(t, thread, &m), 0);
    CHECK_EQ(ct->n, m.n);
    for (uint32_t k = 0; k < m.n; k++) {
        uint32_t node = follow(ct, &m, k);
        check(node != TABLE_NONE, "merged node %u has no call path", k);
        if (node == TABLE_NONE)
            continue;
        uint64_t total = ui_mtree_total(ct, node), self = ui_mtree_self(ct, node);
        check(total == m.nodes[k].total && self == m.nodes[k].self,
              "node %u: total %llu self %llu, merged %llu %llu", k, (unsigned long long)total,
              (unsigned long long)self, (unsigned long long)m.nodes[k].total,
              (unsigned long long)m.nodes[k].self);
    }
    calltree_free(&m);
}

static void check_line_level(struct ui_mtree *ct, const struct table *t, uint32_t thread)
{
    /* One thread at line level is the table's own tree of that thread. */
    size_t nodes = 0;
    for (uint32_t n = 0; n < tree_node_count(t); n++) {
        uint32_t r = n;
        while (tree_parent(t, r) != TABLE_NONE)
            r = tree_parent(t, r);
        nodes += r == tree_root(t, thread);
    }
    CHECK_EQ(ct->n, nodes);
    CHECK_EQ(ui_mtree_total(ct, 0), table_thread_samples(t, thread));
}

/* Each stack of a table again, without its bootstrap frames. */
static int add_unbooted(void *arg, uint32_t thread, const struct frame_key *frames, int depth, uint64_t count)
{
    struct table *dst = arg;
    struct frame_key leaf_first[MAXD];
    int n = 0;
    for (int i = depth; i-- > 0;) {
        const char *name = names[0][0], *file = names[0][1];
        for (int f = 0; f < NF; f++)
            if (fid[f] == frames[i].func)
                name = names[f][0], file = names[f][1];
        if (!ui_mtree_is_bootstrap(name, file))
            leaf_first[n++] = frames[i];
    }
    return table_add_stack(dst, thread, leaf_first, n, count);
}

/* Skipping bootstrap frames gives the merged tree of the stacks without them. */
static void check_skipped(struct ui_mtree *ct, const struct table *replica)
{
    struct table *plain = table_new();
    for (int i = 0; i < NF; i++)
        CHECK_EQ(table_intern_func(plain, names[i][0], names[i][1]), fid[i]);
    table_thread(plain, 1, "a");
    table_thread(plain, 2, "b");
    CHECK_EQ(table_foreach_stack(replica, add_unbooted, plain), 0);
    check_against_merged(ct, plain, TABLE_NONE);
    table_free(plain);
}

static void check_links_equal(const struct tree_links *a, const struct tree_links *b, const char *what,
                              uint32_t thread, uint32_t func)
{
    int same = a->n == b->n && a->total == b->total && a->self == b->self;
    for (size_t i = 0; same && i < a->n; i++)
        same = a->items[i].func == b->items[i].func && a->items[i].samples == b->items[i].samples;
    check(same, "%s of function %u in thread %d: %zu links, total %llu, self %llu; tree.h: %zu, %llu, %llu",
          what, func, (int)thread, a->n, (unsigned long long)a->total, (unsigned long long)a->self, b->n,
          (unsigned long long)b->total, (unsigned long long)b->self);
}

/* The index's callers and callees equal tree_callers and tree_callees. */
static void check_links(struct ui_links *lk, const struct table *t)
{
    for (uint32_t th = 0; th <= 2; th++)
        for (int f = 0; f < NF; f++) {
            uint32_t thread = th == 2 ? TABLE_NONE : th;
            struct tree_links up, down, tup, tdown;
            CHECK_EQ(ui_links_get(lk, t, thread, fid[f], &up, &down), 0);
            CHECK_EQ(tree_callers(t, thread, fid[f], &tup), 0);
            CHECK_EQ(tree_callees(t, thread, fid[f], &tdown), 0);
            check_links_equal(&up, &tup, "callers", thread, fid[f]);
            check_links_equal(&down, &tdown, "callees", thread, fid[f]);
            tree_links_free(&up);
            tree_links_free(&down);
            tree_links_free(&tup);
            tree_links_free(&tdown);
        }
}

/* A wide tree (more children than the rows keep apart, KID_CACHE_MIN):
 * rows kept from refresh to refresh equal rows made at once. */
static void test_wide_rows_kept_equal_fresh(void)
{
    enum { WIDE = 700 };
    struct table *w = table_new(), *replica = table_new();
    uint32_t f[WIDE];
    char name[32];
    for (int i = 0; i < WIDE; i++) {
        snprintf(name, sizeof name, "w%03d", i);
        f[i] = table_intern_func(w, name, "/app/w.py");
    }
    table_thread(w, 1, "a");
    struct ui_tree kept, fresh;
    ui_tree_init(&kept);
    ui_tree_open_all(&kept);
    struct ui_tree_params all = params(TABLE_NONE, 0, 0, "");
    for (int step = 0; step < 25; step++) {
        for (int i = 0; i < 40 + 20 * step; i++) {
            /* root -> top (wide) -> mid (wide under w000) -> leaf */
            uint32_t top = step < 3 ? f[rnd(WIDE)] : f[rnd(4) ? 0 : rnd(WIDE)];
            struct frame_key st[3] = {{f[rnd(WIDE)], 1}, {f[rnd(WIDE)], (int32_t)rnd(3)}, {top, 1}};
            CHECK_EQ(table_add_stack(w, 0, st, 1 + (int)rnd(3), 1 + rnd(5)), 0);
        }
        CHECK_EQ(table_sync_copy(replica, w), 0);
        table_sync_apply(replica);
        CHECK_EQ(ui_tree_update(&kept, replica, &all, 30), 0);
        ui_tree_init(&fresh);
        ui_tree_open_all(&fresh);
        CHECK_EQ(ui_tree_update(&fresh, replica, &all, 30), 0);
        CHECK_EQ(kept.nrows, fresh.nrows);
        size_t bad = 0;
        for (size_t i = 0; i < kept.nrows && i < fresh.nrows; i++) {
            const struct ui_mt_node *a = &kept.mt->nodes[kept.rows[i].node], *b = &fresh.mt->nodes[fresh.rows[i].node];
            bad += a->func != b->func || a->total != b->total || kept.rows[i].depth != fresh.rows[i].depth;
        }
        check(bad == 0, "step %d: %zu of %zu rows differ", step, bad, kept.nrows);
        ui_tree_free(&fresh);
    }
    CHECK(kept.nrows > 2 * 256);
    ui_tree_free(&kept);
    table_free(replica);
    table_free(w);
}

/* Rows of tree a equal rows made at once for the same parameters (in a
 * tree of its own). */
static void check_rows_fresh(const struct ui_tree *a, const struct table *t, struct ui_tree_params p, int step)
{
    struct ui_tree fresh;
    ui_tree_init(&fresh);
    ui_tree_open_all(&fresh);
    p.shared = NULL;
    CHECK_EQ(ui_tree_update(&fresh, t, &p, 30), 0);
    CHECK_EQ(a->nrows, fresh.nrows);
    size_t bad = 0;
    for (size_t i = 0; i < a->nrows && i < fresh.nrows; i++) {
        const struct ui_mt_node *x = &a->mt->nodes[a->rows[i].node], *y = &fresh.mt->nodes[fresh.rows[i].node];
        bad += x->func != y->func || x->total != y->total || a->rows[i].depth != fresh.rows[i].depth ||
               ui_mtree_line(a->mt, a->rows[i].node) != ui_mtree_line(fresh.mt, fresh.rows[i].node);
    }
    check(bad == 0, "step %d: %zu of %zu rows differ", step, bad, a->nrows);
    ui_tree_free(&fresh);
}

/* The flame graph's use of the shared tree: no busiest lines asked for. */
static void flame_sync(struct ui_mtree *shared, struct ui_mtree *own, const struct table *t, uint32_t thread)
{
    static int flame;                        /* its identity as a user */
    struct ui_mtree_scope fs = {.thread = thread};
    struct ui_mtree *fm = ui_mtree_pick(shared, own, &fs, &flame);
    CHECK(ui_mtree_sync(fm, t, &fs, 0) >= 0);
    CHECK(fm == shared);                     /* the same paths: lines or not */
}

/* Two call trees and a flame graph's tree sharing one merged tree
 * (ui_mtree_pick): one copy while they make the same paths, the other's
 * own while it differs (bootstrap frames folded); rows stay right when
 * another user mapped the shared tree again (a new thread, the flame
 * graph first), and the busiest lines the flame graph left behind are
 * counted again for the trees. */
static void test_shared_tree(void)
{
    struct table *w = table_new(), *replica = table_new();
    for (int i = 0; i < NF; i++)
        fid[i] = table_intern_func(w, names[i][0], names[i][1]);
    table_thread(w, 1, "a");
    table_thread(w, 2, "b");
    struct ui_mtree shared, flame_own;
    ui_mtree_init(&shared);
    ui_mtree_init(&flame_own);
    struct ui_tree a, b;
    ui_tree_init(&a);
    ui_tree_init(&b);
    ui_tree_open_all(&a);
    ui_tree_open_all(&b);
    for (int step = 0; step < 10; step++) {
        feed_random(w, 30 + 20 * (size_t)step);
        CHECK_EQ(table_sync_copy(replica, w), 0);
        table_sync_apply(replica);
        uint32_t thread = step < 6 ? TABLE_NONE : 1;
        struct ui_tree_params pa = params(thread, 0, 0, ""), pb = params(thread, step >= 3 && step < 5, 0, "");
        pa.shared = pb.shared = &shared;
        pa.check = pb.check = step % 2;
        if (step >= 6)
            flame_sync(&shared, &flame_own, replica, thread);
        CHECK_EQ(ui_tree_update(&a, replica, &pa, 30), 0);
        CHECK_EQ(ui_tree_update(&b, replica, &pb, 30), 0);
        CHECK(a.mt == &shared);
        CHECK(b.mt == (pb.skip_boot ? &b.own : &shared));
        CHECK(b.own.nodes == NULL || pb.skip_boot);   /* back to the shared tree: its own freed */
        check_rows_fresh(&a, replica, pa, step);
        check_rows_fresh(&b, replica, pb, step);
        CHECK(a.nrows > 1 && ui_mtree_line(&shared, a.rows[1].node) >= 0);
        if (step < 6)
            flame_sync(&shared, &flame_own, replica, thread);
        CHECK(flame_own.nodes == NULL);
    }
    ui_tree_free(&a);
    ui_tree_free(&b);
    ui_mtree_free(&shared);
    ui_mtree_free(&flame_own);
    table_free(replica);
    table_free(w);
}

/* One index per (thread, function), asked at every sync: it follows the
 * replayed stacks, and still equals tree_callers and tree_callees. */
static void check_links_followed(struct ui_links *kept, const struct table *t)
{
    for (uint32_t th = 0; th <= 2; th++)
        for (int f = 0; f < NF; f++) {
            uint32_t thread = th == 2 ? TABLE_NONE : th;
            struct tree_links up, down, tup, tdown;
            CHECK_EQ(ui_links_get(&kept[th * NF + f], t, thread, fid[f], &up, &down), 0);
            CHECK_EQ(tree_callers(t, thread, fid[f], &tup), 0);
            CHECK_EQ(tree_callees(t, thread, fid[f], &tdown), 0);
            check_links_equal(&up, &tup, "followed callers", thread, fid[f]);
            check_links_equal(&down, &tdown, "followed callees", thread, fid[f]);
            tree_links_free(&up);
            tree_links_free(&down);
            tree_links_free(&tup);
            tree_links_free(&tdown);
        }
}

static void test_incremental_vs_at_once(void)
{
    static struct ui_links kept[3 * NF];
    for (int i = 0; i < 3 * NF; i++)
        ui_links_init(&kept[i]);
    struct table *w = table_new(), *replica = table_new();
    for (int i = 0; i < NF; i++)
        fid[i] = table_intern_func(w, names[i][0], names[i][1]);
    table_thread(w, 1, "a");
    table_thread(w, 2, "b");
    struct ui_mtree inc, skip, fresh;
    struct ui_links lk;
    ui_links_init(&lk);
    struct ui_tree rows;
    ui_tree_init(&rows);
    ui_tree_open_all(&rows);
    ui_mtree_init(&inc);
    ui_mtree_init(&skip);
    for (int step = 0; step < 12; step++) {
        if (step == 8) {
            table_reset(w);                /* new node ids for other paths */
            feed_random(w, 3);
        }
        feed_random(w, 40 + 30 * (size_t)step);
        CHECK_EQ(table_sync_copy(replica, w), 0);
        table_sync_apply(replica);
        int rc = mt_sync(&inc, replica, TABLE_NONE, 0, 0);
        CHECK_EQ(rc, step == 0 || step == 8);
        check_against_merged(&inc, replica, TABLE_NONE);
        /* The rows relink the children in row order; new ones still join. */
        struct ui_tree_params all = params(TABLE_NONE, 0, 0, "");
        CHECK_EQ(ui_tree_update(&rows, replica, &all, 20), 0);
        check_against_merged(rows.mt, replica, TABLE_NONE);
        CHECK_EQ(mt_sync(&skip, replica, TABLE_NONE, 0, 1), step == 0 || step == 8);
        check_skipped(&skip, replica);
        check_links(&lk, replica);
        check_links_followed(kept, replica);
        ui_mtree_init(&fresh);
        CHECK_EQ(mt_sync(&fresh, replica, 1, 1, 0), 1);
        check_line_level(&fresh, replica, 1);
        ui_mtree_free(&fresh);
        ui_mtree_init(&fresh);
        CHECK_EQ(mt_sync(&fresh, replica, 0, 0, 0), 1);
        check_against_merged(&fresh, replica, 0);
        ui_mtree_free(&fresh);
    }
    ui_mtree_free(&inc);
    ui_tree_free(&rows);
    ui_mtree_free(&skip);
    ui_links_free(&lk);
    uint64_t follows = 0;
    for (int i = 0; i < 3 * NF; i++) {
        follows += kept[i].follows;
        ui_links_free(&kept[i]);
    }
    CHECK(follows > 3 * NF * 5);
    table_free(replica);
    table_free(w);
}

/* ---- callers / callees ---- */

static void test_callers(void)
{
    struct table *t = known_table();
    struct ui_callers c;
    ui_callers_init(&c);
    CHECK_EQ(ui_callers_update(&c, t, 0, fid[BURN], 0, "", 20), 0);
    /* heading, alpha 50, beta 25, burn 75, heading, [self] 75 */
    CHECK_EQ(c.n, 6);
    CHECK_EQ(c.ncallers, 2);
    CHECK_EQ(c.lines[1].func, fid[ALPHA]);
    CHECK_EQ(c.lines[1].samples, 50);
    CHECK_EQ(c.lines[2].func, fid[BETA]);
    CHECK_EQ(c.lines[2].samples, 25);
    CHECK_EQ(c.lines[3].kind, UI_CL_FOCUS);
    CHECK_EQ(c.total, 75);
    CHECK_EQ(c.lines[5].kind, UI_CL_SELF);
    CHECK_EQ(c.lines[5].samples, 75);
    CHECK_EQ(ui_callers_selected(&c)->kind, UI_CL_FOCUS);
    /* Moves skip the headings. */
    ui_callers_move(&c, 1);
    CHECK_EQ(ui_callers_selected(&c)->kind, UI_CL_SELF);
    ui_callers_move(&c, -2);
    CHECK_EQ(ui_callers_selected(&c)->func, fid[BETA]);
    ui_callers_move(&c, LONG_MIN);
    CHECK_EQ(ui_callers_selected(&c)->func, fid[ALPHA]);
    CHECK(!ui_callers_select(&c, 0));
    /* Re-centred on alpha, burn (where we came from) is selected among its callees. */
    CHECK_EQ(ui_callers_update(&c, t, 0, fid[ALPHA], 0, "", 20), 0);
    CHECK_EQ(ui_callers_selected(&c)->kind, UI_CL_CALLEE);
    CHECK_EQ(ui_callers_selected(&c)->func, fid[BURN]);
    CHECK_EQ(c.total, 60);
    CHECK_EQ(c.lines[1].func, fid[MAIN]);                  /* alpha's one caller */
    /* [self] (10) goes after burn (50). */
    CHECK_EQ(c.lines[c.n - 1].kind, UI_CL_SELF);
    CHECK_EQ(c.lines[c.n - 1].samples, 10);
    /* All threads: gamma calls burn too; a threshold hides it. */
    CHECK_EQ(ui_callers_update(&c, t, TABLE_NONE, fid[BURN], 0, "", 20), 0);
    CHECK_EQ(c.ncallers, 3);
    CHECK_EQ(ui_callers_update(&c, t, TABLE_NONE, fid[BURN], 5, "", 20), 0);
    CHECK_EQ(c.ncallers, 2);
    CHECK_EQ(c.below, 1);
    CHECK_EQ(ui_callers_update(&c, t, TABLE_NONE, fid[BURN], 0, "gam", 20), 0);
    CHECK_EQ(c.ncallers, 1);
    /* No samples of alpha in thread 1: no lines. */
    CHECK_EQ(ui_callers_update(&c, t, 1, fid[ALPHA], 0, "", 20), 0);
    CHECK_EQ(c.n, 0);
    CHECK(ui_callers_selected(&c) == NULL);
    ui_callers_free(&c);
    table_free(t);
}

/* ---- the views' click ops (no curses needed: update, then click) ---- */

static void test_clicks(void)
{
    struct table *t = known_table();
    struct ui_data data = {.table = t, .version = 1};
    struct ui_state st;
    ui_state_init(&st, 0.5, 0);
    struct ui_scene sc = {.state = &st, .data = &data};
    const struct ui_view_ops *tree = &ui_view_tree, *callers = &ui_view_callers;
    long ci = ui_views_find_key('\n');
    CHECK(ci >= 0 && ui_views_get((size_t)ci) == callers && ui_views_find_key('c') >= 0);
    void *v = tree->create();
    CHECK_EQ(tree->update(v, &sc, 10, UI_WHY_DATA), 0);
    /* Line 0 holds the titles: line 5 is the fifth row, alpha. */
    CHECK_EQ(tree->click(v, &st, 0, 10, 0), UI_REACT_NONE);
    CHECK_EQ(tree->click(v, &st, 40, 10, 0), UI_REACT_NONE);
    CHECK(tree->click(v, &st, 5, 40, 0) & UI_REACT_REDRAW);
    CHECK_EQ(tree->selected_func(v), fid[ALPHA]);
    /* A click on the fold mark of a top-level row (column 0 of the names) folds it. */
    CHECK(tree->click(v, &st, 1, 0, 0) & UI_REACT_UPDATE);
    CHECK_EQ(tree->update(v, &sc, 10, UI_WHY_SETTINGS), 0);
    CHECK_EQ(tree->selected_func(v), fid[RUN_MAIN]);
    CHECK(tree->click(v, &st, 3, 40, 0) == UI_REACT_NONE);    /* two rows left: nothing on line 3 */
    CHECK(tree->click(v, &st, 1, 0, 0) & UI_REACT_UPDATE);      /* unfolded again */
    CHECK_EQ(tree->update(v, &sc, 10, UI_WHY_SETTINGS), 0);
    /* A double click opens the callers / callees of the row's function. */
    unsigned r = tree->click(v, &st, 4, 40, 1);
    CHECK((r & UI_REACT_VIEW) && st.view_next == (size_t)ci && st.focus == fid[MAIN] && st.nback == 1);
    st.view = (size_t)ci;
    void *c = callers->create();
    CHECK_EQ(callers->update(c, &sc, 10, UI_WHY_SHOWN), 0);
    /* heading, <module>, main (the focus), heading, alpha, beta, [self] */
    CHECK_EQ(callers->click(c, &st, 1, 30, 0), UI_REACT_NONE);   /* a heading */
    CHECK(callers->click(c, &st, 5, 30, 0) & UI_REACT_REDRAW);
    CHECK_EQ(callers->selected_func(c), fid[ALPHA]);
    r = callers->click(c, &st, 6, 30, 1);
    CHECK((r & UI_REACT_VIEW) && st.view_next == (size_t)ci && st.focus == fid[BETA] && st.nback == 2);
    CHECK_EQ(callers->update(c, &sc, 10, UI_WHY_SHOWN), 0);
    CHECK_EQ(callers->selected_func(c), fid[MAIN]);             /* where we came from, among the callers */
    CHECK(callers->click(c, &st, 2, 30, 1) & UI_REACT_VIEW);    /* back up to main by a double click */
    CHECK_EQ(st.focus, fid[MAIN]);
    callers->destroy(c);
    tree->destroy(v);
    table_free(t);
}

/* The lensed table ("your code first") says what each of its updates
 * added, as a replica does: the merged tree and the callers / callees
 * follow those adds (no walk, no recount) and still equal what tree.h
 * counts on the lensed table, through a missed sync, a reset of the
 * profile and the lens turned off and on again. */
static void test_lens_followed(void)
{
    static struct ui_links kept[3 * NF];
    for (int i = 0; i < 3 * NF; i++)
        ui_links_init(&kept[i]);
    struct usercode u;
    usercode_init(&u);
    CHECK_EQ(usercode_add_root(&u, "/app", NULL, 1), 0);
    struct profile *p = profile_new();
    profile_lock(p);
    struct table *w = profile_table(p);
    for (int i = 0; i < NF; i++)
        fid[i] = table_intern_func(w, names[i][0], names[i][1]);
    table_thread(w, 1, "a");
    table_thread(w, 2, "b");
    profile_unlock(p);
    struct table *replica = table_new();
    struct lens *l = lens_new(&u);
    struct ui_mtree inc, fresh;
    ui_mtree_init(&inc);
    uint64_t follows_before = 0;
    for (int step = 0; step < 14; step++) {
        if (step == 9)
            profile_reset(p);
        profile_lock(p);
        feed_random(profile_table(p), 40 + 25 * (size_t)step);
        profile_unlock(p);
        CHECK_EQ(profile_sync(p, replica, NULL), 0);
        if (step == 5)
            continue;                          /* a sync the lens missed */
        if (step == 11)
            lens_drop(l);                      /* off, then on again */
        CHECK_EQ(lens_update(l, replica), 0);
        const struct table *lt = lens_table(l);
        CHECK(lt != NULL);
        if (!lt)
            break;
        size_t nadds;
        uint64_t whole;
        CHECK(table_sync_replayed(lt, &nadds, &whole) > 0);
        CHECK(mt_sync(&inc, lt, TABLE_NONE, 0, 0) >= 0);
        CHECK_EQ(inc.walks, 0);
        check_against_merged(&inc, lt, TABLE_NONE);
        check_links_followed(kept, lt);
        ui_mtree_init(&fresh);
        CHECK_EQ(mt_sync(&fresh, lt, 1, 0, 0), 1);
        check_against_merged(&fresh, lt, 1);
        ui_mtree_free(&fresh);
        if (step == 3) {
            for (int i = 0; i < 3 * NF; i++)
                follows_before += kept[i].follows;
        }
    }
    uint64_t follows = 0;
    for (int i = 0; i < 3 * NF; i++) {
        follows += kept[i].follows;
        ui_links_free(&kept[i]);
    }
    CHECK(follows > follows_before + 3 * NF * 4);    /* most steps followed, every index */
    ui_mtree_free(&inc);
    lens_free(l);
    table_free(replica);
    profile_free(p);
    usercode_free(&u);
}

int main(void)
{
    test_hottest_path_and_counts();
    test_folds_survive_refresh_and_scope();
    test_threshold_and_filter();
    test_bootstrap_folding();
    test_selection_and_window();
    test_incremental_vs_at_once();
    test_wide_rows_kept_equal_fresh();
    test_shared_tree();
    test_lens_followed();
    test_callers();
    test_clicks();
    return check_report("ui_tree");
}
