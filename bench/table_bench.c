/* SPDX-License-Identifier: MIT */
/* Micro-benchmark of the table's hot path (table_add_stack with 30-deep
 * stacks over 10,000 distinct stacks) and of table_flat on 10,000
 * functions: on a reader's replica (the live view's case: the flat counts
 * are kept as stacks are replayed) and on the plain table (counts derived
 * on each call).
 * Not a test. Build and run, e.g.:
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude bench/table_bench.c src/profile/ *.c \
 *      src/error.c -o table_bench && ./table_bench
 * (src/profile/ *.c without the space.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "table.h"

enum { DEPTH = 30, NSTACKS = 10000, NFUNCS = 10000, NSAMPLES = 3000000 };

static uint64_t rng = UINT64_C(0x9E3779B97F4A7C15);

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* CPU time of this thread: the figures stay comparable on a busy machine. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* NSTACKS leaf-first stacks of DEPTH frames that share prefixes the way
 * real programs do: each stack copies a random earlier one up to a random
 * depth and then goes its own way. */
static struct frame_key *make_stacks(struct table *t)
{
    struct frame_key *s = malloc(sizeof *s * NSTACKS * DEPTH);
    if (!s)
        exit(1);
    char name[32];
    for (int i = 0; i < NFUNCS; i++) {
        snprintf(name, sizeof name, "func_%d", i);
        table_intern_func(t, name, "module.py");
    }
    for (int i = 0; i < NSTACKS; i++) {
        struct frame_key *cur = &s[i * DEPTH];
        int shared = i ? (int)rnd(DEPTH) : 0;
        const struct frame_key *prev = &s[rnd(i ? (uint32_t)i : 1) * DEPTH];
        for (int d = 0; d < DEPTH; d++) {   /* d counts from the root */
            struct frame_key *f = &cur[DEPTH - 1 - d];
            if (d < shared)
                *f = prev[DEPTH - 1 - d];
            else
                *f = (struct frame_key){ rnd(NFUNCS), (int32_t)rnd(200) };
        }
    }
    return s;
}

static int flat(const struct table *t, int by_line, const char *what)
{
    double best = 1e9;
    size_t rows = 0;
    for (int rep = 0; rep < 5; rep++) {
        struct flat_view v;
        double t1 = now();
        if (table_flat(t, TABLE_NONE, by_line, &v) != 0)
            return -1;
        double dt = now() - t1;
        best = dt < best ? dt : best;
        rows = v.n;
        flat_view_free(&v);
    }
    printf("table_flat(%s, all threads, %s): %zu rows in %.2f ms\n", by_line ? "by line" : "by function",
           what, rows, best * 1e3);
    return 0;
}

int main(void)
{
    struct table *t = table_new();
    if (!t)
        return 1;
    uint32_t th[4];
    for (int i = 0; i < 4; i++)
        th[i] = table_thread(t, 1000 + (uint64_t)i, "thread");
    struct frame_key *stacks = make_stacks(t);

    /* Warm-up pass creates every node; the timed pass is the steady state. */
    for (int i = 0; i < NSTACKS; i++)
        table_add_stack(t, th[i % 4], &stacks[i * DEPTH], DEPTH, 1);
    uint32_t *order = malloc(sizeof *order * NSAMPLES);
    if (!order)
        return 1;
    for (int i = 0; i < NSAMPLES; i++)
        order[i] = rnd(NSTACKS);
    double t0 = now();
    for (int i = 0; i < NSAMPLES; i++)
        table_add_stack(t, th[order[i] % 4], &stacks[order[i] * DEPTH], DEPTH, 1);
    double add_s = now() - t0;
    printf("table_add_stack: %d samples x %d frames in %.3f s = %.0f samples/s (%.1f ns/frame)\n",
           NSAMPLES, DEPTH, add_s, NSAMPLES / add_s, add_s * 1e9 / NSAMPLES / DEPTH);

    struct table *replica = table_new();
    if (!replica)
        return 1;
    double t2 = now();
    if (table_sync_copy(replica, t) != 0)
        return 1;
    table_sync_apply(replica);
    printf("replica, first sync (whole copy, flat counts from every node): %.2f ms\n", (now() - t2) * 1e3);
    for (int plain = 0; plain <= 1; plain++)
        for (int by_line = 0; by_line <= 1; by_line++)
            if (flat(plain ? t : replica, by_line, plain ? "plain table" : "replica") < 0)
                return 1;
    table_free(replica);
    free(order);
    free(stacks);
    table_free(t);
    return 0;
}
