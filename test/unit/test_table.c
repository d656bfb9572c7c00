/* SPDX-License-Identifier: MIT */
/* Unit tests of the profile table: interning, own/total semantics, threads,
 * line-level views, reset, stack visits, deep stacks, and a randomized
 * comparison against a brute-force recount of the raw stacks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "table.h"
#include "tree.h"

/* Deterministic xorshift64* so every run feeds the same stacks. */
static uint64_t rng_state = UINT64_C(0x2545F4914F6CDD1D);

static uint32_t rnd(uint32_t n)
{
    return check_rand(&rng_state, n);
}

/* Add a stack given ROOT FIRST as func ids (all at line 1); the table takes
 * it leaf first. */
static int add_root_first(struct table *t, uint32_t thread, const uint32_t *funcs, int depth,
                          uint64_t weight)
{
    struct frame_key fr[64];
    for (int i = 0; i < depth; i++)
        fr[depth - 1 - i] = (struct frame_key){ .func = funcs[i], .line = 1 };
    return table_add_stack(t, thread, fr, depth, weight);
}

static const struct flat_row *find_row(const struct flat_view *v, uint32_t func, int32_t line)
{
    const struct flat_row *found = NULL;
    for (size_t i = 0; i < v->n; i++) {
        if (v->rows[i].func == func && v->rows[i].line == line) {
            CHECK(found == NULL); /* rows are unique */
            found = &v->rows[i];
        }
    }
    return found;
}

/* Own and total of func in view v (0, 0 when there is no row). */
static void row_counts(const struct flat_view *v, uint32_t func, int32_t line, uint64_t *own,
                       uint64_t *total)
{
    const struct flat_row *r = find_row(v, func, line);
    *own = r ? r->own : 0;
    *total = r ? r->total : 0;
}

#define CHECK_ROW(v, func, line, own, total)                                     \
    do {                                                                         \
        uint64_t o_, t_;                                                         \
        row_counts((v), (func), (line), &o_, &t_);                               \
        CHECK_EQ(o_, own);                                                       \
        CHECK_EQ(t_, total);                                                     \
    } while (0)

static void test_intern(void)
{
    struct table *t = table_new();
    CHECK(t != NULL);
    uint32_t a = table_intern_func(t, "main", "app.py");
    uint32_t b = table_intern_func(t, "main", "lib.py");
    uint32_t c = table_intern_func(t, "helper", "app.py");
    CHECK(a != TABLE_NONE && b != TABLE_NONE && c != TABLE_NONE);
    CHECK(a != b && a != c && b != c);
    CHECK_EQ(table_intern_func(t, "main", "app.py"), a);
    CHECK_EQ(table_func_count(t), 3);
    CHECK(strcmp(table_func_name(t, b), "main") == 0);
    CHECK(strcmp(table_func_file(t, b), "lib.py") == 0);
    CHECK(strcmp(table_func_name(t, 999), "?") == 0);
    uint32_t n = table_intern_func(t, NULL, NULL);
    CHECK(strcmp(table_func_name(t, n), "") == 0 && strcmp(table_func_file(t, n), "") == 0);
    CHECK_EQ(table_intern_func(t, "", ""), n);

    /* Many more functions force every internal array and map to grow;
     * earlier ids and the strings they point to must not move. */
    const char *name_a = table_func_name(t, a);
    char name[64], file[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(name, sizeof name, "f%d", i);
        snprintf(file, sizeof file, "mod%d.py", i % 97);
        CHECK_EQ(table_intern_func(t, name, file), (uint32_t)i + 4);
    }
    CHECK(table_func_name(t, a) == name_a);
    CHECK_EQ(table_intern_func(t, "main", "app.py"), a);
    snprintf(name, sizeof name, "f%d", 12345);
    snprintf(file, sizeof file, "mod%d.py", 12345 % 97);
    CHECK_EQ(table_intern_func(t, name, file), 12345 + 4);
    CHECK(strcmp(table_func_file(t, 12345 + 4), file) == 0);

    /* A long name interns whole. */
    char *big = malloc(100001);
    memset(big, 'x', 100000);
    big[100000] = '\0';
    uint32_t g = table_intern_func(t, big, "big.py");
    CHECK(strlen(table_func_name(t, g)) == 100000);
    CHECK_EQ(table_intern_func(t, big, "big.py"), g);
    free(big);
    table_free(t);
}

/* Native functions (--native): their own ids, flagged, carried by a
 * replica; interning them again gives the same id. */
static void test_native_funcs(void)
{
    struct table *t = table_new();
    uint32_t py = table_intern_func(t, "deflate", "/lib/libz.so.1");
    uint32_t nat = table_intern_native(t, "deflate", "/lib/libz.so.1");
    uint32_t anon = table_intern_native(t, "libz.so.1+0x1a2b", "/lib/libz.so.1");
    CHECK(py != TABLE_NONE && nat != TABLE_NONE && anon != TABLE_NONE);
    CHECK(py != nat && nat != anon);
    CHECK_EQ(table_intern_native(t, "deflate", "/lib/libz.so.1"), nat);
    CHECK_EQ(table_intern_func(t, "deflate", "/lib/libz.so.1"), py);
    CHECK(!table_func_is_native(t, py));
    CHECK(table_func_is_native(t, nat) && table_func_is_native(t, anon));
    CHECK(!table_func_is_native(t, 9999));
    CHECK_EQ(table_func_first_line(t, nat), -1);
    CHECK(strcmp(table_func_name(t, nat), "deflate") == 0);
    CHECK(strcmp(table_func_file(t, nat), "/lib/libz.so.1") == 0);
    uint32_t th = table_native_thread_of(t, 0, 7, "main");
    CHECK(th != TABLE_NONE && table_thread_is_native(t, th) && table_has_native(t));
    CHECK(!table_thread_is_native(t, table_thread_of(t, 0, 7, "main")));
    struct frame_key fr[2] = {{.func = nat, .line = -1}, {.func = py, .line = 3}};
    CHECK(table_add_stack(t, th, fr, 2, 1) == 0);
    struct table *r = table_new();
    table_set_native(r, 1);
    CHECK(table_sync_copy(r, t) == 0);
    CHECK(table_func_is_native(r, nat) && !table_func_is_native(r, py));
    CHECK(table_has_native(r));
    CHECK_EQ(table_samples(r), 1);
    table_sync_apply(r);
    table_set_native(r, 0);            /* the Python-only stacks: none were counted */
    CHECK(table_sync_copy(r, t) == 0);
    table_sync_apply(r);
    CHECK_EQ(table_samples(r), 0);
    table_free(r);
    table_free(t);
}

/* First lines: part of a function's identity (before 3.11 two classes'
 * "run" in one file share their name), kept only when plausible, carried
 * by replicas through incremental and whole copies. */
static void test_first_lines(void)
{
    struct table *t = table_new(), *r = table_new();
    uint32_t plain = table_intern_func(t, "run", "app.py");
    uint32_t a = table_intern_func_at(t, "run", "app.py", 10);
    uint32_t b = table_intern_func_at(t, "run", "app.py", 20);
    CHECK(plain != a && plain != b && a != b);
    CHECK_EQ(table_intern_func_at(t, "run", "app.py", 10), a);
    CHECK_EQ(table_intern_func_at(t, "run", "app.py", -1), plain);
    CHECK_EQ(table_func_first_line(t, a), 10);
    CHECK_EQ(table_func_first_line(t, b), 20);
    CHECK_EQ(table_func_first_line(t, plain), -1);
    CHECK(strcmp(table_func_name(t, b), "run") == 0 && strcmp(table_func_file(t, b), "app.py") == 0);
    /* Implausible lines (read from the target) are unknown: the function
     * without a first line. */
    const int32_t bad[] = {0, -5, TABLE_LINE_MAX, TABLE_LINE_MAX + 1, INT32_MAX, INT32_MIN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(table_intern_func_at(t, "run", "app.py", bad[i]), plain);
    uint32_t edge = table_intern_func_at(t, "run", "app.py", TABLE_LINE_MAX - 1);
    CHECK_EQ(table_func_first_line(t, edge), TABLE_LINE_MAX - 1);
    CHECK_EQ(table_func_first_line(t, 1), 10);
    CHECK_EQ(table_func_first_line(t, 999), -1);           /* never given out */
    CHECK_EQ(table_func_first_line(r, 0), -1);
    /* A replica: whole copy, then the tails of incremental ones. */
    uint32_t th = table_thread(t, 1, "main");
    struct frame_key k[2] = {{a, 11}, {b, 21}};
    CHECK_EQ(table_add_stack(t, th, k, 2, 1), 0);
    for (int round = 0; round < 3; round++) {
        char name[16];
        snprintf(name, sizeof name, "late%d", round);
        uint32_t f = table_intern_func_at(t, name, "app.py", 100 + round);
        k[0] = (struct frame_key){f, 101 + round};
        CHECK_EQ(table_add_stack(t, th, k, 2, 1), 0);
        CHECK_EQ(table_sync_copy(r, t), 0);
        table_sync_apply(r);
        CHECK_EQ(table_func_count(r), table_func_count(t));
        for (uint32_t i = 0; i < table_func_count(t); i++)
            CHECK_EQ(table_func_first_line(r, i), table_func_first_line(t, i));
        CHECK_EQ(table_func_first_line(r, f), 100 + round);
    }
    CHECK_EQ(table_intern_func_at(r, "x", "y", 3), TABLE_NONE);  /* read only */
    table_free(r);
    table_free(t);
}

static void test_threads(void)
{
    struct table *t = table_new();
    uint32_t m = table_thread(t, 4242, "MainThread");
    uint32_t w = table_thread(t, 4343, NULL);
    CHECK(m != TABLE_NONE && w != TABLE_NONE && m != w);
    CHECK_EQ(table_thread_count(t), 2);
    CHECK_EQ(table_thread(t, 4242, NULL), m);
    CHECK(strcmp(table_thread_name(t, m), "MainThread") == 0);
    CHECK(strcmp(table_thread_name(t, w), "") == 0);
    CHECK_EQ(table_thread(t, 4343, "worker"), w);
    CHECK(strcmp(table_thread_name(t, w), "worker") == 0);
    CHECK_EQ(table_thread(t, 4343, "renamed"), w);
    CHECK(strcmp(table_thread_name(t, w), "renamed") == 0);
    CHECK_EQ(table_thread_tid(t, w), 4343);
    CHECK_EQ(table_thread_tid(t, 77), 0);
    CHECK(strcmp(table_thread_name(t, 77), "") == 0);
    CHECK_EQ(table_thread_samples(t, 77), 0);
    CHECK_EQ(table_thread(t, 0, "zero"), 2); /* tid 0 is a valid key */
    for (uint64_t tid = 10000; tid < 12000; tid++)
        CHECK_EQ(table_thread(t, tid * 7919, NULL), (uint32_t)(tid - 10000 + 3));
    CHECK_EQ(table_thread(t, 4242, NULL), m);
    table_free(t);
}

/* main -> a -> b x3, main -> a x2, main -> c x1 in one thread. */
static void test_own_total(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 1, "main");
    uint32_t main_f = table_intern_func(t, "main", "m.py");
    uint32_t a = table_intern_func(t, "a", "m.py");
    uint32_t b = table_intern_func(t, "b", "m.py");
    uint32_t c = table_intern_func(t, "c", "m.py");
    uint32_t unused = table_intern_func(t, "unused", "m.py");
    CHECK_EQ(add_root_first(t, th, (uint32_t[]){ main_f, a, b }, 3, 1), 0);
    CHECK_EQ(add_root_first(t, th, (uint32_t[]){ main_f, a, b }, 3, 2), 0);
    CHECK_EQ(add_root_first(t, th, (uint32_t[]){ main_f, a }, 2, 2), 0);
    CHECK_EQ(add_root_first(t, th, (uint32_t[]){ main_f, c }, 2, 1), 0);

    struct flat_view v;
    CHECK_EQ(table_flat(t, th, 0, &v), 0);
    CHECK_EQ(v.samples, 6);
    CHECK_EQ(v.n, 4);
    CHECK_ROW(&v, main_f, -1, 0, 6);
    CHECK_ROW(&v, a, -1, 2, 5);
    CHECK_ROW(&v, b, -1, 3, 3);
    CHECK_ROW(&v, c, -1, 1, 1);
    CHECK(find_row(&v, unused, -1) == NULL);
    flat_view_free(&v);
    CHECK(v.rows == NULL && v.n == 0);
    CHECK_EQ(table_samples(t), 6);
    CHECK_EQ(table_thread_samples(t, th), 6);
    table_free(t);
}

/* A -> B -> A counts A once in its total; lines tell sites apart. */
static void test_recursion_and_lines(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 1, NULL);
    uint32_t A = table_intern_func(t, "A", "r.py");
    uint32_t B = table_intern_func(t, "B", "r.py");
    /* Leaf first: A@7 called from B@3 called from A@5. */
    struct frame_key s1[] = { { A, 7 }, { B, 3 }, { A, 5 } };
    struct frame_key s2[] = { { A, 5 } };
    /* A@5 -> A@5 -> A@5: the same site three times on one stack. */
    struct frame_key s3[] = { { A, 5 }, { A, 5 }, { A, 5 } };
    struct frame_key s4[] = { { B, -1 }, { A, 5 } };
    CHECK_EQ(table_add_stack(t, th, s1, 3, 1), 0);
    CHECK_EQ(table_add_stack(t, th, s2, 1, 1), 0);
    CHECK_EQ(table_add_stack(t, th, s3, 3, 2), 0);
    CHECK_EQ(table_add_stack(t, th, s4, 2, 1), 0);

    struct flat_view v;
    CHECK_EQ(table_flat(t, th, 0, &v), 0);
    CHECK_EQ(v.samples, 5);
    CHECK_EQ(v.n, 2);
    CHECK_ROW(&v, A, -1, 4, 5);
    CHECK_ROW(&v, B, -1, 1, 2);
    flat_view_free(&v);

    CHECK_EQ(table_flat(t, th, 1, &v), 0);
    CHECK_EQ(v.samples, 5);
    CHECK_EQ(v.n, 4);
    CHECK_ROW(&v, A, 5, 3, 5);
    CHECK_ROW(&v, A, 7, 1, 1);
    CHECK_ROW(&v, B, 3, 0, 1);
    CHECK_ROW(&v, B, -1, 1, 1);
    flat_view_free(&v);
    table_free(t);
}

/* One caller, one callee at 3,000 lines: children differ only by line, so
 * the child index must tell every (function, line) apart, collisions too. */
static void test_many_lines(void)
{
    enum { NLINES = 3000 };
    struct table *t = table_new();
    uint32_t th = table_thread(t, 1, NULL);
    uint32_t main_f = table_intern_func(t, "main", "m.py");
    uint32_t f = table_intern_func(t, "f", "m.py");
    for (int32_t line = 0; line < NLINES; line++) {
        struct frame_key s[] = { { f, line }, { main_f, 7 } };
        CHECK_EQ(table_add_stack(t, th, s, 2, 1 + (uint64_t)line % 3), 0);
    }
    struct flat_view v;
    CHECK_EQ(table_flat(t, th, 1, &v), 0);
    CHECK_EQ(v.n, NLINES + 1);
    for (int32_t line = 0; line < NLINES; line++)
        CHECK_ROW(&v, f, line, 1 + (uint64_t)line % 3, 1 + (uint64_t)line % 3);
    CHECK_ROW(&v, main_f, 7, 0, v.samples);
    flat_view_free(&v);
    table_free(t);
}

/* Each (function, line) is one site however many callers it has: 2,400
 * sites met under three callers each, in an order that grows the site
 * index several times between a site's first and last caller. A site
 * made twice would show as two rows of the same line (find_row). */
static void test_sites_shared(void)
{
    enum { NFUNCS = 60, NLINES = 40, NCALLERS = 3 };
    struct table *t = table_new();
    uint32_t th = table_thread(t, 1, NULL);
    uint32_t callers[NCALLERS], funcs[NFUNCS];
    for (int c = 0; c < NCALLERS; c++) {
        char name[16];
        snprintf(name, sizeof name, "caller%d", c);
        callers[c] = table_intern_func(t, name, "c.py");
    }
    for (int f = 0; f < NFUNCS; f++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", f);
        funcs[f] = table_intern_func(t, name, "f.py");
    }
    for (int c = 0; c < NCALLERS; c++)
        for (int f = 0; f < NFUNCS; f++)
            for (int32_t line = 1; line <= NLINES; line++) {
                struct frame_key s[] = {{funcs[f], line}, {callers[c], 3}};
                CHECK_EQ(table_add_stack(t, th, s, 2, 1), 0);
            }
    struct flat_view v;
    CHECK_EQ(table_flat(t, th, 1, &v), 0);
    CHECK_EQ(v.n, NFUNCS * NLINES + NCALLERS);
    for (int f = 0; f < NFUNCS; f++)
        for (int32_t line = 1; line <= NLINES; line++)
            CHECK_ROW(&v, funcs[f], line, NCALLERS, NCALLERS);
    flat_view_free(&v);
    table_free(t);
}

/* Two threads, per-thread views, TABLE_NONE aggregation, empty stacks. */
static void test_threads_flat(void)
{
    struct table *t = table_new();
    uint32_t t0 = table_thread(t, 100, "main");
    uint32_t t1 = table_thread(t, 200, "worker");
    uint32_t t2 = table_thread(t, 300, "idle");
    uint32_t f = table_intern_func(t, "f", "x.py");
    uint32_t g = table_intern_func(t, "g", "x.py");
    CHECK_EQ(add_root_first(t, t0, (uint32_t[]){ f, g }, 2, 3), 0);
    CHECK_EQ(add_root_first(t, t1, (uint32_t[]){ g, f }, 2, 1), 0);
    CHECK_EQ(add_root_first(t, t1, (uint32_t[]){ g }, 1, 1), 0);
    CHECK_EQ(table_add_stack(t, t1, NULL, 0, 4), 0); /* no Python frame */

    struct flat_view v;
    CHECK_EQ(table_flat(t, t0, 0, &v), 0);
    CHECK_EQ(v.samples, 3);
    CHECK_ROW(&v, f, -1, 0, 3);
    CHECK_ROW(&v, g, -1, 3, 3);
    flat_view_free(&v);

    CHECK_EQ(table_flat(t, t1, 0, &v), 0);
    CHECK_EQ(v.samples, 6);
    CHECK_ROW(&v, f, -1, 1, 1);
    CHECK_ROW(&v, g, -1, 1, 2);
    flat_view_free(&v);

    CHECK_EQ(table_flat(t, t2, 0, &v), 0);
    CHECK_EQ(v.samples, 0);
    CHECK_EQ(v.n, 0);
    flat_view_free(&v);

    CHECK_EQ(table_flat(t, TABLE_NONE, 0, &v), 0);
    CHECK_EQ(v.samples, 9);
    CHECK_EQ(v.n, 2);
    CHECK_ROW(&v, f, -1, 1, 4);
    CHECK_ROW(&v, g, -1, 4, 5);
    flat_view_free(&v);

    CHECK_EQ(table_flat(t, 3, 0, &v), ERR_USAGE);
    CHECK(v.rows == NULL && v.n == 0);
    CHECK_EQ(table_samples(t), 9);
    CHECK_EQ(table_thread_samples(t, t1), 6);
    table_free(t);
}

static void test_bad_input(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 1, NULL);
    uint32_t f = table_intern_func(t, "f", "x.py");
    struct frame_key ok[] = { { f, 1 }, { f, 2 } };
    struct frame_key bad[] = { { f, 1 }, { f + 1, 2 } };
    CHECK_EQ(table_add_stack(t, th, bad, 2, 1), ERR_USAGE);
    CHECK_EQ(table_add_stack(t, th + 1, ok, 2, 1), ERR_USAGE);
    CHECK_EQ(table_add_stack(t, th, ok, -1, 1), ERR_USAGE);
    CHECK_EQ(table_add_stack(t, th, NULL, 2, 1), ERR_USAGE);
    CHECK_EQ(table_samples(t), 0);
    CHECK_EQ(table_thread_samples(t, th), 0);
    struct flat_view v;
    CHECK_EQ(table_flat(t, TABLE_NONE, 1, &v), 0);
    CHECK_EQ(v.n, 0);
    flat_view_free(&v);
    table_free(t);
}

/* Stacks that could not be read: one sample each with the marker frame,
 * counted per thread and reason; reset forgets them; bad input is refused
 * without counting anything. */
static void test_failed(void)
{
    struct table *t = table_new();
    uint32_t a = table_thread(t, 10, "a"), b = table_thread(t, 20, "b");
    uint32_t f = table_intern_func(t, "f", "x.py");
    uint32_t mark = table_intern_func(t, TABLE_UNREADABLE, "");
    CHECK_EQ(table_thread_find(t, 20), b);
    CHECK_EQ(table_thread_find(t, 30), TABLE_NONE);
    CHECK_EQ(table_thread_count(t), 2);          /* find registers nothing */
    CHECK_EQ(add_root_first(t, a, (uint32_t[]){ f }, 1, 3), 0);
    uint32_t nfuncs = (uint32_t)table_func_count(t);
    CHECK_EQ(table_add_failed(t, a, WALK_FAIL_TORN), 0);
    CHECK_EQ(table_add_failed(t, a, WALK_FAIL_TORN), 0);
    CHECK_EQ(table_add_failed(t, a, WALK_FAIL_READ), 0);
    CHECK_EQ(table_add_failed(t, b, WALK_FAIL_CYCLE), 0);
    CHECK_EQ(table_func_count(t), nfuncs);       /* the marker frame, interned once */
    CHECK_EQ(table_add_failed(t, b, WALK_OK), ERR_USAGE);
    CHECK_EQ(table_add_failed(t, b, WALK_FAIL_COUNT), ERR_USAGE);
    CHECK_EQ(table_add_failed(t, 7, WALK_FAIL_TORN), ERR_USAGE);
    CHECK_EQ(table_thread_failed(t, a, WALK_FAIL_TORN), 2);
    CHECK_EQ(table_thread_failed(t, a, WALK_FAIL_READ), 1);
    CHECK_EQ(table_thread_failed(t, a, WALK_FAIL_CYCLE), 0);
    CHECK_EQ(table_thread_failed(t, a, WALK_OK), 3);
    CHECK_EQ(table_thread_failed(t, b, WALK_OK), 1);
    CHECK_EQ(table_thread_failed(t, 7, WALK_OK), 0);
    CHECK_EQ(table_thread_failed(t, a, WALK_FAIL_COUNT), 0);
    CHECK_EQ(table_thread_samples(t, a), 6);     /* failures are samples */
    CHECK_EQ(table_thread_samples(t, b), 1);
    CHECK_EQ(table_samples(t), 7);
    struct flat_view v;
    CHECK_EQ(table_flat(t, a, 1, &v), 0);
    CHECK_ROW(&v, mark, -1, 3, 3);
    CHECK_ROW(&v, f, 1, 3, 3);
    flat_view_free(&v);
    CHECK(strcmp(table_fail_name(WALK_FAIL_TORN), "torn") == 0);
    CHECK(strcmp(table_fail_name(WALK_FAIL_CYCLE), "cycle") == 0);
    CHECK(strcmp(table_fail_name(WALK_FAIL_CORRUPT), "corrupt") == 0);
    CHECK(strcmp(table_fail_name(WALK_FAIL_READ), "read") == 0);
    CHECK(strcmp(table_fail_name(WALK_OK), "") == 0);
    CHECK(strcmp(table_fail_name(WALK_FAIL_COUNT), "") == 0);
    table_reset(t);
    CHECK_EQ(table_thread_failed(t, a, WALK_OK), 0);
    CHECK_EQ(table_thread_failed(t, b, WALK_FAIL_CYCLE), 0);
    table_free(t);
}

/* A stack as fed or as visited: thread, frames root first, count. */
struct rec {
    uint32_t thread;
    int depth;
    struct frame_key frames[24];
    uint64_t count;
};

struct rec_list {
    struct rec *r;
    size_t n, cap;
};

static void rec_push(struct rec_list *l, const struct rec *r)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->r = realloc(l->r, l->cap * sizeof *l->r);
        if (!l->r)
            abort();
    }
    l->r[l->n++] = *r;
}

static int cmp_rec(const void *pa, const void *pb)
{
    const struct rec *a = pa, *b = pb;
    if (a->thread != b->thread)
        return (a->thread > b->thread) - (a->thread < b->thread);
    if (a->depth != b->depth)
        return (a->depth > b->depth) - (a->depth < b->depth);
    for (int i = 0; i < a->depth; i++) {
        if (a->frames[i].func != b->frames[i].func)
            return (a->frames[i].func > b->frames[i].func) - (a->frames[i].func < b->frames[i].func);
        if (a->frames[i].line != b->frames[i].line)
            return (a->frames[i].line > b->frames[i].line) - (a->frames[i].line < b->frames[i].line);
    }
    return 0;
}

/* Sort and merge equal stacks, summing counts. */
static void rec_merge(struct rec_list *l)
{
    if (l->n == 0)
        return;
    qsort(l->r, l->n, sizeof *l->r, cmp_rec);
    size_t out = 0;
    for (size_t i = 1; i < l->n; i++) {
        if (cmp_rec(&l->r[out], &l->r[i]) == 0)
            l->r[out].count += l->r[i].count;
        else
            l->r[++out] = l->r[i];
    }
    l->n = out + 1;
}

static int collect(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                   uint64_t count)
{
    struct rec r = { .thread = thread, .depth = depth, .count = count };
    CHECK(depth >= 0 && depth <= 24);
    if (depth < 0 || depth > 24)
        return 1;
    memcpy(r.frames, frames, (size_t)depth * sizeof *frames);
    rec_push(arg, &r);
    return 0;
}

/* The last stack fed for thread th, or NULL. */
static const struct rec *last_of(const struct rec_list *fed, uint32_t th)
{
    for (size_t i = fed->n; i-- > 0;)
        if (fed->r[i].thread == th)
            return &fed->r[i];
    return NULL;
}

/* Random stacks from few functions (so recursion is common) and few lines;
 * a third of them a thread's last stack again (a thread that did not run:
 * the table's path from its last leaf), often after other threads' ones. */
static void random_stacks(struct table *t, struct rec_list *fed, int nstacks, uint32_t nthreads,
                          uint32_t nfuncs)
{
    for (int i = 0; i < nstacks; i++) {
        struct rec r = { .thread = rnd(nthreads), .depth = (int)rnd(25), .count = 1 + rnd(3) };
        const struct rec *again = rnd(3) == 0 ? last_of(fed, r.thread) : NULL;
        if (again) {
            r.depth = again->depth;
            memcpy(r.frames, again->frames, sizeof r.frames);
        }
        for (int d = 0; d < r.depth && !again; d++) {
            /* Share prefixes often so the tree has real fan-out. */
            if (fed->n && rnd(4) != 0 && d < fed->r[fed->n - 1].depth && r.thread == fed->r[fed->n - 1].thread)
                r.frames[d] = fed->r[fed->n - 1].frames[d];
            else
                r.frames[d] = (struct frame_key){ rnd(nfuncs), rnd(5) == 0 ? -1 : (int32_t)rnd(4) };
        }
        struct frame_key leaf_first[24];
        for (int d = 0; d < r.depth; d++)
            leaf_first[d] = r.frames[r.depth - 1 - d];
        CHECK_EQ(table_add_stack(t, r.thread, leaf_first, r.depth, r.count), 0);
        rec_push(fed, &r);
    }
}

static void test_reset(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 9, "main");
    uint32_t f = table_intern_func(t, "f", "x.py");
    uint32_t g = table_intern_func(t, "g", "x.py");
    CHECK_EQ(add_root_first(t, th, (uint32_t[]){ f, g }, 2, 5), 0);
    table_reset(t);
    CHECK_EQ(table_samples(t), 0);
    CHECK_EQ(table_thread_samples(t, th), 0);
    CHECK_EQ(table_thread_count(t), 1);
    CHECK(strcmp(table_thread_name(t, th), "main") == 0);
    CHECK_EQ(table_func_count(t), 2);
    CHECK_EQ(table_intern_func(t, "g", "x.py"), g);
    CHECK_EQ(table_thread(t, 9, NULL), th);
    struct flat_view v;
    CHECK_EQ(table_flat(t, TABLE_NONE, 0, &v), 0);
    CHECK_EQ(v.n, 0);
    CHECK_EQ(v.samples, 0);
    flat_view_free(&v);

    /* The same stack again and a new one: counts start from zero. */
    CHECK_EQ(add_root_first(t, th, (uint32_t[]){ f, g }, 2, 1), 0);
    CHECK_EQ(add_root_first(t, th, (uint32_t[]){ g, f }, 2, 2), 0);
    CHECK_EQ(table_flat(t, th, 0, &v), 0);
    CHECK_EQ(v.samples, 3);
    CHECK_ROW(&v, f, -1, 2, 3);
    CHECK_ROW(&v, g, -1, 1, 3);
    flat_view_free(&v);
    struct rec_list seen = { 0 };
    CHECK_EQ(table_foreach_stack(t, collect, &seen), 0);
    CHECK_EQ(seen.n, 2);
    for (size_t i = 0; i < seen.n; i++) {
        CHECK_EQ(seen.r[i].depth, 2);
        CHECK_EQ(seen.r[i].count, seen.r[i].frames[0].func == f ? 1 : 2);
    }
    free(seen.r);
    table_free(t);
}

static void test_foreach_roundtrip(void)
{
    struct table *t = table_new();
    for (uint64_t i = 0; i < 3; i++)
        table_thread(t, 1000 + i, NULL);
    for (int i = 0; i < 12; i++) {
        char name[16];
        snprintf(name, sizeof name, "fn%d", i);
        table_intern_func(t, name, "r.py");
    }
    struct rec_list fed = { 0 }, seen = { 0 };
    random_stacks(t, &fed, 3000, 3, 12);
    CHECK_EQ(table_foreach_stack(t, collect, &seen), 0);
    size_t visited = seen.n;
    rec_merge(&fed);
    rec_merge(&seen);
    CHECK_EQ(visited, seen.n); /* each distinct stack is visited once */
    CHECK_EQ(seen.n, fed.n);
    for (size_t i = 0; i < fed.n && i < seen.n; i++) {
        CHECK(cmp_rec(&fed.r[i], &seen.r[i]) == 0);
        CHECK_EQ(seen.r[i].count, fed.r[i].count);
    }
    free(fed.r);
    free(seen.r);
    table_free(t);
}

static int stop_at_third(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                         uint64_t count)
{
    int *calls = arg;
    return ++*calls == 3 ? 42 : 0;
}

static void test_foreach_stop(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 1, NULL);
    uint32_t f = table_intern_func(t, "f", "x.py");
    for (int32_t line = 1; line <= 5; line++)
        CHECK_EQ(table_add_stack(t, th, &(struct frame_key){ f, line }, 1, 1), 0);
    int calls = 0;
    CHECK_EQ(table_foreach_stack(t, stop_at_third, &calls), 42);
    CHECK_EQ(calls, 3);
    table_free(t);
}

/* Brute force: own and total of every (func, line) and every function
 * straight from the raw stacks; key = func * 6 + (line + 1), lines -1..4,
 * line -1 standing for the function itself at function level. */
struct brute {
    uint64_t *own, *total;
    uint64_t samples;
};

static void brute_count(struct brute *b, const struct rec_list *fed, uint32_t thread, int by_line,
                        size_t nkeys)
{
    uint8_t *seen = calloc(nkeys, 1);
    b->own = calloc(nkeys, sizeof *b->own);
    b->total = calloc(nkeys, sizeof *b->total);
    b->samples = 0;
    for (size_t i = 0; i < fed->n; i++) {
        const struct rec *r = &fed->r[i];
        if (thread != TABLE_NONE && r->thread != thread)
            continue;
        b->samples += r->count;
        memset(seen, 0, nkeys);
        for (int d = 0; d < r->depth; d++) {
            int32_t line = by_line ? r->frames[d].line : -1;
            size_t k = (size_t)r->frames[d].func * 6 + (size_t)(line + 1);
            if (!seen[k])
                b->total[k] += r->count;
            seen[k] = 1;
            if (d == r->depth - 1)
                b->own[k] += r->count;
        }
    }
    free(seen);
}

/* The busiest known line of func by the line counts: most total, then
 * most own, then the lowest line; -1 when it has no known line. */
static int32_t brute_hot(const struct brute *lines, uint32_t func)
{
    int32_t best = -1;
    for (int32_t line = 0; line <= 4; line++) {
        size_t k = (size_t)func * 6 + (size_t)(line + 1), bk = (size_t)func * 6 + (size_t)(best + 1);
        if (!lines->total[k])
            continue;
        if (best < 0 || lines->total[k] > lines->total[bk] ||
            (lines->total[k] == lines->total[bk] && lines->own[k] > lines->own[bk]))
            best = line;
    }
    return best;
}

static void check_against_bruteforce(const struct table *t, const struct rec_list *fed,
                                     uint32_t thread, int by_line, uint32_t nfuncs)
{
    size_t nkeys = (size_t)nfuncs * 6;
    struct brute b, lines;
    brute_count(&b, fed, thread, by_line, nkeys);
    brute_count(&lines, fed, thread, 1, nkeys);
    struct flat_view v;
    CHECK_EQ(table_flat(t, thread, by_line, &v), 0);
    CHECK_EQ(v.samples, b.samples);
    size_t expected_rows = 0;
    for (size_t k = 0; k < nkeys; k++) {
        if (!b.own[k] && !b.total[k])
            continue;
        expected_rows++;
        uint32_t func = (uint32_t)(k / 6);
        int32_t line = (int32_t)(k % 6) - 1;
        CHECK_ROW(&v, func, line, b.own[k], b.total[k]);
        const struct flat_row *r = find_row(&v, func, line);
        if (r)
            CHECK_EQ(r->hot_line, by_line ? line : brute_hot(&lines, func));
    }
    CHECK_EQ(v.n, expected_rows);
    flat_view_free(&v);
    if (!by_line) {               /* the same counts without the rows */
        uint64_t own[64], total[64], samples = 0;
        CHECK(nfuncs < 64);
        for (uint32_t f = 0; f < 64; f++)
            own[f] = total[f] = 7;    /* left as they are where no samples */
        CHECK_EQ(table_flat_funcs(t, thread, own, total, nfuncs, &samples), 0);
        CHECK_EQ(samples, b.samples);
        for (uint32_t f = 0; f < nfuncs; f++) {
            size_t k = (size_t)f * 6;
            int any = b.own[k] || b.total[k];
            CHECK_EQ(own[f], any ? b.own[k] : 7);
            CHECK_EQ(total[f], any ? b.total[k] : 7);
        }
        CHECK_EQ(own[nfuncs], 7);
        if (thread != TABLE_NONE)
            CHECK_EQ(table_flat_funcs(t, (uint32_t)table_thread_count(t), own, total, nfuncs, &samples),
                     ERR_USAGE);
    }
    free(b.own);
    free(b.total);
    free(lines.own);
    free(lines.total);
}

static void check_all_scopes(const struct table *t, const struct rec_list *fed, uint32_t nthreads,
                             uint32_t nfuncs)
{
    /* each thread's root counts every sample of it, each node its own
     * samples and its children's */
    for (uint32_t th = 0; th < nthreads; th++) {
        uint64_t want = 0;
        for (size_t i = 0; i < fed->n; i++)
            want += fed->r[i].thread == th ? fed->r[i].count : 0;
        uint32_t root = tree_root(t, th);
        CHECK_EQ(root == TABLE_NONE ? 0 : tree_total(t, root), want);
    }
    for (uint32_t n = 0; n < (uint32_t)tree_node_count(t); n++) {
        uint64_t kids = 0;
        for (uint32_t c = tree_first_child(t, n); c != TABLE_NONE; c = tree_next_sibling(t, c))
            kids += tree_total(t, c);
        CHECK_EQ(tree_total(t, n), tree_self(t, n) + kids);
    }
    for (int by_line = 0; by_line <= 1; by_line++) {
        check_against_bruteforce(t, fed, TABLE_NONE, by_line, nfuncs);
        for (uint32_t th = 0; th < nthreads; th++)
            check_against_bruteforce(t, fed, th, by_line, nfuncs);
    }
}

static struct table *random_table(uint32_t nthreads, uint32_t nfuncs)
{
    struct table *t = table_new();
    for (uint64_t i = 0; i < nthreads; i++)
        table_thread(t, 50 + i, NULL);
    for (uint32_t i = 0; i < nfuncs; i++) {
        char name[16];
        snprintf(name, sizeof name, "g%u", i);
        table_intern_func(t, name, "b.py");
    }
    return t;
}

/* The flat views of every kind of table against brute force: a plain
 * table (counts derived on demand), one that keeps its counts from the
 * start, one asked to keep them once full, and a replica synced in
 * rounds (incrementally, whole after a second reader synced, across a
 * reset, and while it was asked not to keep them). */
static void test_random_vs_bruteforce(void)
{
    enum { NFUNCS = 9, NTHREADS = 3 };
    struct table *t = random_table(NTHREADS, NFUNCS), *kept = random_table(NTHREADS, NFUNCS);
    struct table *late = random_table(NTHREADS, NFUNCS), *replica = table_new(), *other = table_new();
    CHECK_EQ(table_track_flat(kept), 0);
    struct rec_list fed = { 0 }, fed2 = { 0 };
    for (int round = 0; round < 12; round++) {
        if (round == 7) {                 /* a reset: counts start again */
            table_reset(t);
            table_reset(kept);
            fed.n = 0;
        }
        size_t from = fed.n;
        random_stacks(t, &fed, round == 9 ? 3000 : 400, NTHREADS, NFUNCS);
        for (size_t i = from; i < fed.n; i++) {
            struct frame_key leaf_first[24];
            for (int d = 0; d < fed.r[i].depth; d++)
                leaf_first[d] = fed.r[i].frames[fed.r[i].depth - 1 - d];
            CHECK_EQ(table_add_stack(kept, fed.r[i].thread, leaf_first, fed.r[i].depth, fed.r[i].count), 0);
        }
        if (round == 2)                   /* no flat counts kept for a while */
            table_untrack_flat(replica);
        if (round == 5)
            CHECK_EQ(table_track_flat(replica), 0);
        if (round == 4) {                 /* another reader: the next sync copies whole */
            CHECK_EQ(table_sync_copy(other, t), 0);
            table_sync_apply(other);
            check_all_scopes(other, &fed, NTHREADS, NFUNCS);
        }
        CHECK_EQ(table_sync_copy(replica, t), 0);
        table_sync_apply(replica);
        check_all_scopes(replica, &fed, NTHREADS, NFUNCS);
        check_all_scopes(kept, &fed, NTHREADS, NFUNCS);
    }
    check_all_scopes(t, &fed, NTHREADS, NFUNCS);
    random_stacks(late, &fed2, 2000, NTHREADS, NFUNCS);
    CHECK_EQ(table_track_flat(late), 0);
    check_all_scopes(late, &fed2, NTHREADS, NFUNCS);
    random_stacks(late, &fed2, 500, NTHREADS, NFUNCS);
    check_all_scopes(late, &fed2, NTHREADS, NFUNCS);
    free(fed.r);
    free(fed2.r);
    table_free(t);
    table_free(kept);
    table_free(late);
    table_free(replica);
    table_free(other);
}

struct deep_check {
    const struct frame_key *expect; /* root first */
    int depth;
    int matched;
};

static int check_deep(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                      uint64_t count)
{
    struct deep_check *dc = arg;
    if (depth != dc->depth)
        return 0;
    int same = 1;
    for (int i = 0; i < depth; i++)
        if (frames[i].func != dc->expect[i].func || frames[i].line != dc->expect[i].line)
            same = 0;
    dc->matched += same && count == 2;
    return 0;
}

static void test_deep(void)
{
    enum { DEPTH = 5000 };
    struct table *t = table_new();
    uint32_t th = table_thread(t, 1, NULL);
    uint32_t r0 = table_intern_func(t, "rec0", "deep.py");
    uint32_t r1 = table_intern_func(t, "rec1", "deep.py");
    struct frame_key *leaf_first = malloc(DEPTH * sizeof *leaf_first);
    struct frame_key *root_first = malloc(DEPTH * sizeof *root_first);
    for (int i = 0; i < DEPTH; i++) {
        root_first[i] = (struct frame_key){ i % 2 ? r1 : r0, 10 + i % 7 };
        leaf_first[DEPTH - 1 - i] = root_first[i];
    }
    CHECK_EQ(table_add_stack(t, th, leaf_first, DEPTH, 1), 0);
    CHECK_EQ(table_add_stack(t, th, leaf_first, DEPTH, 1), 0);
    /* A second, distinct deep stack: every function different. */
    for (int i = 0; i < DEPTH; i++) {
        char name[32];
        snprintf(name, sizeof name, "d%d", i);
        leaf_first[i] = (struct frame_key){ table_intern_func(t, name, "deep.py"), i };
    }
    CHECK_EQ(table_add_stack(t, th, leaf_first, DEPTH, 1), 0);

    struct flat_view v;
    CHECK_EQ(table_flat(t, th, 0, &v), 0);
    CHECK_EQ(v.samples, 3);
    CHECK_EQ(v.n, 2 + DEPTH);
    CHECK_ROW(&v, r0, -1, 0, 2);
    CHECK_ROW(&v, r1, -1, 2, 2);
    CHECK_ROW(&v, leaf_first[0].func, -1, 1, 1);
    CHECK_ROW(&v, leaf_first[DEPTH - 1].func, -1, 0, 1);
    flat_view_free(&v);
    CHECK_EQ(table_flat(t, th, 1, &v), 0);
    CHECK_ROW(&v, r0, 10, 0, 2);
    CHECK_ROW(&v, r1, 10 + (DEPTH - 1) % 7, 2, 2);
    flat_view_free(&v);

    struct deep_check dc = { .expect = root_first, .depth = DEPTH };
    CHECK_EQ(table_foreach_stack(t, check_deep, &dc), 0);
    CHECK_EQ(dc.matched, 1);
    free(leaf_first);
    free(root_first);
    table_free(t);
}

/* The threads with samples in the order every writer uses: by OS thread
 * id, threads without samples left out. */
static void test_threads_by_tid(void)
{
    struct table *t = table_new();
    uint32_t *idx = (uint32_t *)1;
    size_t n = 9;
    CHECK(table_threads_by_tid(t, &idx, &n) == 0 && idx == NULL && n == 0);
    static const uint64_t tids[] = {300, 100, 200, 50};
    uint32_t th[4];
    for (int i = 0; i < 4; i++)
        th[i] = table_thread(t, tids[i], NULL);
    struct frame_key k = {table_intern_func(t, "f", "a.py"), 1};
    CHECK(table_add_stack(t, th[0], &k, 1, 1) == 0);
    CHECK(table_add_stack(t, th[1], &k, 1, 2) == 0);
    CHECK(table_add_stack(t, th[2], &k, 1, 3) == 0);    /* tid 50: no samples */
    CHECK(table_threads_by_tid(t, &idx, &n) == 0);
    CHECK_EQ(n, 3);
    if (idx && n == 3) {
        CHECK_EQ(table_thread_tid(t, idx[0]), 100);
        CHECK_EQ(table_thread_tid(t, idx[1]), 200);
        CHECK_EQ(table_thread_tid(t, idx[2]), 300);
    }
    free(idx);
    table_free(t);
}

int main(void)
{
    test_intern();
    test_native_funcs();
    test_threads_by_tid();
    test_first_lines();
    test_threads();
    test_own_total();
    test_recursion_and_lines();
    test_many_lines();
    test_sites_shared();
    test_threads_flat();
    test_bad_input();
    test_failed();
    test_reset();
    test_foreach_roundtrip();
    test_foreach_stop();
    test_random_vs_bruteforce();
    test_deep();
    printf("test_table: %d checks, %d failed\n", check_count, check_failed);
    return check_failed ? 1 : 0;
}
