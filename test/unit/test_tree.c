/* SPDX-License-Identifier: MIT */
/* Unit tests of the public tree (node iteration, merged and inverted
 * trees, callers and callees) and of the replication of a table to a
 * replica, each against a brute-force model recomputed from the raw
 * stacks fed (random, recursive, several threads). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "table.h"
#include "tree.h"

#define MAXD 12
#define NFUNCS 6
#define NTHREADS 3

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint32_t rnd(uint32_t n)
{
    return check_rand(&rng_state, n);
}

/* A stack as fed: thread, frames ROOT FIRST, weight. */
struct rec {
    uint32_t thread;
    int depth;
    struct frame_key f[MAXD];
    uint64_t w;
};

static struct rec recs[4000];
static size_t nrecs;
static uint32_t funcs[NFUNCS];

static struct table *make_table(void)
{
    struct table *t = table_new();
    char name[16];
    for (int i = 0; i < NFUNCS; i++) {
        snprintf(name, sizeof name, "f%d", i);
        funcs[i] = table_intern_func(t, name, "m.py");
    }
    for (uint64_t i = 0; i < NTHREADS; i++)
        CHECK_EQ(table_thread(t, 100 + i, "th"), i);
    return t;
}

/* Feed n random stacks (few functions: recursion is common). */
static void feed(struct table *t, size_t n)
{
    for (size_t i = 0; i < n && nrecs < sizeof recs / sizeof recs[0]; i++) {
        struct rec *r = &recs[nrecs++];
        *r = (struct rec){.thread = rnd(NTHREADS), .depth = (int)rnd(MAXD + 1), .w = 1 + rnd(3)};
        struct frame_key leaf_first[MAXD];
        for (int d = 0; d < r->depth; d++) {
            r->f[d] = (struct frame_key){funcs[rnd(d < 2 ? 2 : NFUNCS)], (int32_t)rnd(3)};
            leaf_first[r->depth - 1 - d] = r->f[d];
        }
        CHECK_EQ(table_add_stack(t, r->thread, leaf_first, r->depth, r->w), 0);
    }
}

static int in_scope(const struct rec *r, uint32_t thread)
{
    return thread == TABLE_NONE || r->thread == thread;
}

/* ---- node iteration: every node's counts against the stacks through it ---- */

/* The root-first sites of node n (returns the depth). */
static int node_path(const struct table *t, uint32_t n, struct frame_key *out)
{
    int d = 0;
    for (uint32_t k = n; tree_parent(t, k) != TABLE_NONE && d < MAXD; k = tree_parent(t, k))
        out[d++] = tree_site(t, k);
    for (int i = 0; i < d / 2; i++) {
        struct frame_key x = out[i];
        out[i] = out[d - 1 - i];
        out[d - 1 - i] = x;
    }
    return d;
}

static void check_nodes(const struct table *t)
{
    uint64_t self_sum = 0;
    for (uint32_t n = 0; n < tree_node_count(t); n++) {
        uint64_t kids = 0;
        for (uint32_t c = tree_first_child(t, n); c != TABLE_NONE; c = tree_next_sibling(t, c)) {
            CHECK_EQ(tree_parent(t, c), n);
            kids += tree_total(t, c);
        }
        CHECK_EQ(tree_total(t, n), tree_self(t, n) + kids);
        self_sum += tree_self(t, n);
        struct frame_key p[MAXD];
        int d = node_path(t, n, p);
        uint32_t root = n;
        while (tree_parent(t, root) != TABLE_NONE)
            root = tree_parent(t, root);
        uint64_t self = 0, total = 0;
        for (size_t i = 0; i < nrecs; i++) {
            const struct rec *r = &recs[i];
            if (tree_root(t, r->thread) != root || r->depth < d || memcmp(r->f, p, (size_t)d * sizeof *p))
                continue;
            total += r->w;
            self += r->depth == d ? r->w : 0;
        }
        CHECK_EQ(tree_self(t, n), self);
        CHECK_EQ(tree_total(t, n), total);
    }
    CHECK_EQ(self_sum, table_samples(t));
}

/* ---- per-function trees: each node's function path against the stacks ---- */

/* The sequence a record contributes to a tree: merged = its functions root
 * first; inverted = from the innermost frame of func outwards. -1: none. */
static int sequence(const struct rec *r, int inverted, uint32_t func, uint32_t *out)
{
    if (!inverted) {
        for (int i = 0; i < r->depth; i++)
            out[i] = r->f[i].func;
        return r->depth;
    }
    int k = r->depth - 1;
    if (func != TABLE_NONE) {
        while (k >= 0 && r->f[k].func != func)
            k--;
        if (k < 0)
            return -1;
        k--;
    }
    int n = 0;
    for (int i = k; i >= 0; i--)
        out[n++] = r->f[i].func;
    return n;
}

static void check_calltree(const struct calltree *ct, uint32_t thread, int inverted, uint32_t func)
{
    size_t distinct = 0;
    for (size_t n = 0; n < ct->n; n++) {
        uint32_t p[MAXD + 1];
        int d = 0;
        for (uint32_t k = (uint32_t)n; k != 0 && d <= MAXD; k = ct->nodes[k].parent)
            p[d++] = ct->nodes[k].func;
        for (int i = 0; i < d / 2; i++) {
            uint32_t x = p[i];
            p[i] = p[d - 1 - i];
            p[d - 1 - i] = x;
        }
        uint64_t self = 0, total = 0;
        for (size_t i = 0; i < nrecs; i++) {
            uint32_t s[MAXD];
            int len = in_scope(&recs[i], thread) ? sequence(&recs[i], inverted, func, s) : -1;
            if (len < d || memcmp(s, p, (size_t)d * sizeof *p))
                continue;
            total += recs[i].w;
            self += len == d ? recs[i].w : 0;
        }
        CHECK_EQ(ct->nodes[n].self, self);
        CHECK_EQ(ct->nodes[n].total, total);
        distinct += total > 0 || n == 0;
    }
    CHECK_EQ(distinct, ct->n);      /* no empty node */
}

/* ---- callers / callees ---- */

static void check_links(const struct table *t, uint32_t thread, uint32_t func, int callees)
{
    struct tree_links l;
    int rc = callees ? tree_callees(t, thread, func, &l) : tree_callers(t, thread, func, &l);
    CHECK_EQ(rc, 0);
    uint64_t want[NFUNCS + 1] = {0}, self = 0, total = 0;
    for (size_t i = 0; i < nrecs; i++) {
        const struct rec *r = &recs[i];
        if (!in_scope(r, thread))
            continue;
        int seen[NFUNCS + 1] = {0}, has = 0;
        for (int k = 0; k < r->depth; k++) {
            if (r->f[k].func != func)
                continue;
            has = 1;
            int j = callees ? k + 1 : k - 1;
            if (j >= 0 && j < r->depth && !seen[r->f[j].func]++)
                want[r->f[j].func] += r->w;
        }
        total += has ? r->w : 0;
        self += r->depth && r->f[r->depth - 1].func == func ? r->w : 0;
    }
    CHECK_EQ(l.self, self);
    CHECK_EQ(l.total, total);
    size_t n = 0;
    for (uint32_t f = 0; f <= NFUNCS; f++)
        n += want[f] > 0;
    CHECK_EQ(l.n, n);
    for (size_t i = 0; i < l.n; i++) {
        CHECK(l.items[i].func <= NFUNCS && l.items[i].samples == want[l.items[i].func]);
        CHECK(i == 0 || l.items[i - 1].samples >= l.items[i].samples);
    }
    tree_links_free(&l);
}

static void check_queries(const struct table *t)
{
    check_nodes(t);
    uint32_t scopes[] = {TABLE_NONE, 1};
    for (size_t s = 0; s < 2; s++) {
        struct calltree ct;
        CHECK_EQ(tree_merged(t, scopes[s], &ct), 0);
        check_calltree(&ct, scopes[s], 0, TABLE_NONE);
        calltree_free(&ct);
        CHECK_EQ(tree_inverted(t, scopes[s], TABLE_NONE, &ct), 0);
        check_calltree(&ct, scopes[s], 1, TABLE_NONE);
        calltree_free(&ct);
        for (int f = 0; f < NFUNCS; f++) {
            CHECK_EQ(tree_inverted(t, scopes[s], funcs[f], &ct), 0);
            CHECK_EQ(ct.nodes[0].func, funcs[f]);
            check_calltree(&ct, scopes[s], 1, funcs[f]);
            calltree_free(&ct);
            check_links(t, scopes[s], funcs[f], 0);
            check_links(t, scopes[s], funcs[f], 1);
        }
    }
}

static void test_queries_vs_bruteforce(void)
{
    struct table *t = make_table();
    nrecs = 0;
    check_queries(t);               /* empty */
    feed(t, 40);
    check_queries(t);
    feed(t, 600);
    check_queries(t);
    struct calltree ct;
    struct tree_links l;
    CHECK_EQ(tree_merged(t, 99, &ct), ERR_USAGE);
    CHECK_EQ(tree_callers(t, TABLE_NONE, 999, &l), ERR_USAGE);
    table_free(t);
}

/* ---- replication: a replica equals its origin after every sync ---- */

static int collect(void *arg, uint32_t thread, const struct frame_key *frames, int depth, uint64_t count)
{
    FILE *f = arg;
    fprintf(f, "%u", thread);
    for (int i = 0; i < depth; i++)
        fprintf(f, ";%u:%d", frames[i].func, frames[i].line);
    fprintf(f, " %llu\n", (unsigned long long)count);
    return 0;
}

static int cmp_flat_row(const void *pa, const void *pb)
{
    const struct flat_row *a = pa, *b = pb;
    if (a->func != b->func)
        return (a->func > b->func) - (a->func < b->func);
    return (a->line > b->line) - (a->line < b->line);
}

/* The flat views of every thread and of all, at both levels, in order. */
static void dump_flat(FILE *f, const struct table *t)
{
    for (uint32_t i = 0; i <= table_thread_count(t); i++) {
        uint32_t th = i == table_thread_count(t) ? TABLE_NONE : i;
        for (int by_line = 0; by_line <= 1; by_line++) {
            struct flat_view v;
            CHECK_EQ(table_flat(t, th, by_line, &v), 0);
            if (v.n)
                qsort(v.rows, v.n, sizeof *v.rows, cmp_flat_row);
            fprintf(f, "flat %u %d %llu:", th, by_line, (unsigned long long)v.samples);
            for (size_t r = 0; r < v.n; r++)
                fprintf(f, " %u:%d:%d:%llu:%llu", v.rows[r].func, v.rows[r].line, v.rows[r].hot_line,
                        (unsigned long long)v.rows[r].own, (unsigned long long)v.rows[r].total);
            fprintf(f, "\n");
            flat_view_free(&v);
        }
    }
}

/* Everything a reader can see of a table, as text. */
static char *dump(const struct table *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "%llu %zu %zu\n", (unsigned long long)table_samples(t), table_func_count(t),
            table_thread_count(t));
    for (uint32_t i = 0; i < table_thread_count(t); i++)
        fprintf(f, "%s %llu\n", table_thread_name(t, i), (unsigned long long)table_thread_samples(t, i));
    for (uint32_t i = 0; i < table_func_count(t); i++)
        fprintf(f, "%s %s %d\n", table_func_name(t, i), table_func_file(t, i), table_func_first_line(t, i));
    table_foreach_stack(t, collect, f);
    dump_flat(f, t);
    for (uint32_t n = 0; n < tree_node_count(t); n++)
        fprintf(f, "n%u %u %u %u\n", n, tree_parent(t, n), tree_first_child(t, n), tree_next_sibling(t, n));
    fclose(f);
    return buf;
}

static void check_same(const struct table *a, const struct table *b, const char *when)
{
    char *da = dump(a), *db = dump(b);
    check(strcmp(da, db) == 0, "replica differs from its origin %s", when);
    free(da);
    free(db);
}

static void sync_into(struct table *replica, struct table *w)
{
    CHECK_EQ(table_sync_copy(replica, w), 0);
    table_sync_apply(replica);
}

static void test_sync(void)
{
    struct table *w = make_table(), *r = table_new(), *r2 = table_new();
    nrecs = 0;
    sync_into(r, w);
    check_same(r, w, "when empty");
    for (int round = 0; round < 30; round++) {
        feed(w, rnd(60));
        if (round % 7 == 3)
            table_intern_func_at(w, "late", "new.py", 1 + round);  /* names grow too */
        if (round % 9 == 5)
            table_thread(w, 100 + rnd(NTHREADS), "renamed");
        if (round == 12) {
            table_reset(w);
            nrecs = 0;
        }
        sync_into(r, w);
        check_same(r, w, "after a round");
        if (round % 10 == 0) {                          /* a second reader: both copy whole */
            sync_into(r2, w);
            check_same(r2, w, "second reader");
        }
    }
    check_nodes(r);
    CHECK_EQ(table_intern_func(r, "x", "y"), TABLE_NONE);  /* replicas are read only */
    struct frame_key k = {0, 1};
    CHECK_EQ(table_add_stack(r, 0, &k, 1, 1), ERR_USAGE);
    CHECK_EQ(table_sync_copy(w, r), ERR_USAGE);
    CHECK_EQ(table_sync_copy(w, w), ERR_USAGE);
    table_free(w);
    table_free(r);
    table_free(r2);
}

int main(void)
{
    test_queries_vs_bruteforce();
    test_sync();
    return check_report("tree");
}
