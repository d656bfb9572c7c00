/* SPDX-License-Identifier: MIT */
/* Micro-benchmark of the table's hot path (table_add_stack with 30-deep
 * stacks over 10,000 distinct stacks) and of table_flat on 10,000
 * functions: on a reader's replica (the live view's case: the flat counts
 * are kept as stacks are replayed) and on the plain table (counts derived
 * on each call).
 * Not a test. Build and run, e.g.:
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude bench/table_bench.c bench/benchlib.c \
 *      src/profile/ *.c src/error.c -o table_bench && ./table_bench
 * (src/profile/ *.c without the space.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "benchlib.h"
#include "table.h"

enum { DEPTH = 30, NSTACKS = 10000, NFUNCS = 10000, NSAMPLES = 3000000 };

/* NSTACKS leaf-first stacks of DEPTH frames that share prefixes the way
 * real programs do (benchlib.h), over NFUNCS functions of one file. */
static struct frame_key *make_stacks(struct table *t)
{
    char name[32];
    for (int i = 0; i < NFUNCS; i++) {
        snprintf(name, sizeof name, "func_%d", i);
        table_intern_func(t, name, "module.py");
    }
    return bench_stacks(NSTACKS, DEPTH, NULL, NFUNCS, 0, 200);
}

static int flat(const struct table *t, int by_line, const char *what)
{
    double best = 1e9;
    size_t rows = 0;
    for (int rep = 0; rep < 5; rep++) {
        struct flat_view v;
        double t1 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
        if (table_flat(t, TABLE_NONE, by_line, &v) != 0)
            return -1;
        double dt = bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t1;
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
        order[i] = bench_rnd(NSTACKS);
    double t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < NSAMPLES; i++)
        table_add_stack(t, th[order[i] % 4], &stacks[order[i] * DEPTH], DEPTH, 1);
    double add_s = bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0;
    printf("table_add_stack: %d samples x %d frames in %.3f s = %.0f samples/s (%.1f ns/frame)\n",
           NSAMPLES, DEPTH, add_s, NSAMPLES / add_s, add_s * 1e9 / NSAMPLES / DEPTH);

    struct table *replica = table_new();
    if (!replica)
        return 1;
    double t2 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
    if (table_sync_copy(replica, t) != 0)
        return 1;
    table_sync_apply(replica);
    printf("replica, first sync (whole copy, flat counts from every node): %.2f ms\n", (bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t2) * 1e3);
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
