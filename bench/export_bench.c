/* SPDX-License-Identifier: MIT */
/* Micro-benchmark of the writers of every output format this build has
 * (export.h): the time to write a profile of 1,000,000 samples over 10,000
 * distinct stacks (30 deep, 2,000 functions in 100 files, 4 threads) to
 * /dev/null, and the size of the file. The goal: <= 0.5 s for
 * every format. A format added to the table shows up here by itself.
 * Not a test. Build with meson (build/bench/export_bench) and run:
 *   build/bench/export_bench [rounds]   (default 5; the median is shown) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchlib.h"
#include "export.h"
#include "table.h"

enum { DEPTH = 30, NSTACKS = 10000, NFUNCS = 2000, NFILES = 100, NTHREADS = 4,
       NSAMPLES = 1000000, MAXROUNDS = 50 };

/* NSTACKS leaf-first stacks sharing prefixes as real programs do (each
 * copies a random earlier one up to a random depth), then NSAMPLES
 * samples of them, the earlier stacks more often. */
static struct table *make_profile(void)
{
    struct table *t = table_new();
    uint32_t threads[NTHREADS], funcs[NFUNCS];
    if (!t)
        exit(1);
    char name[64], file[96];
    for (int i = 0; i < NFUNCS; i++) {
        snprintf(name, sizeof name, "Class%d.method_%d", i % 97, i);
        snprintf(file, sizeof file, "/usr/lib/python3/dist-packages/package%d/module.py", i % NFILES);
        funcs[i] = table_intern_func_at(t, name, file, 1 + i % 900);
    }
    for (int i = 0; i < NTHREADS; i++) {
        snprintf(name, sizeof name, "worker-%d", i);
        threads[i] = table_thread(t, 1000 + (uint64_t)i, name);
    }
    struct frame_key *s = bench_stacks(NSTACKS, DEPTH, funcs, NFUNCS, 1, 900);
    for (int n = 0; n < NSAMPLES; n++) {
        uint32_t a = bench_rnd(NSTACKS), b = bench_rnd(NSTACKS), k = a < b ? a : b;
        if (table_add_stack(t, threads[k % NTHREADS], &s[k * DEPTH], DEPTH, 1) < 0)
            exit(1);
    }
    free(s);
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A stream that counts what is written to it and keeps nothing. */
static ssize_t count_write(void *cookie, const char *buf, size_t n)
{
    (void)buf;
    *(size_t *)cookie += n;
    return (ssize_t)n;
}

static void bench_format(enum export_format fmt, const struct table *t,
                         const struct export_meta *meta, int rounds)
{
    double secs[MAXROUNDS];
    size_t bytes = 0;
    for (int r = 0; r < rounds; r++) {
        size_t counted = 0;
        FILE *f = fopencookie(&counted, "w", (cookie_io_functions_t){.write = count_write});
        if (!f)
            exit(1);
        setvbuf(f, NULL, _IOFBF, 1 << 16);
        double start = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
        int rc = export_write(f, fmt, t, meta);
        fclose(f);
        secs[r] = bench_cpu(CLOCK_THREAD_CPUTIME_ID) - start;
        if (rc != 0) {
            printf("%s: failed (%d)\n", export_format_name(fmt), rc);
            return;
        }
        bytes = counted;
    }
    qsort(secs, (size_t)rounds, sizeof *secs, cmp_double);
    printf("write %-10s (1,000,000 samples, 10,000 stacks): %9.1f KB  median %.1f ms\n",
           export_format_name(fmt), (double)bytes / 1024, secs[rounds / 2] * 1e3);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    if (rounds < 1 || rounds > MAXROUNDS)
        rounds = 5;
    struct table *t = make_profile();
    struct export_meta meta = {.pid = 4242, .version = "bench", .python_version = "3.13.0",
                               .interval_ns = 1000000, .start_unix_ns = UINT64_C(1780000000000000000),
                               .duration_ns = UINT64_C(250000000000), .taken = NSAMPLES / NTHREADS,
                               .command = "python3 app.py"};
    printf("profile: %llu samples, %zu threads, %zu functions\n",
           (unsigned long long)table_samples(t), table_thread_count(t), table_func_count(t));
    for (int i = 0; i < EXPORT_FORMATS; i++)
        if (export_format_available((enum export_format)i))
            bench_format((enum export_format)i, t, &meta, rounds);
    table_free(t);
    return 0;
}
