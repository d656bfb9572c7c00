/* SPDX-License-Identifier: MIT */
/* Benchmark of the goal "opening a 1,000,000-sample, 10,000-stack
 * profile <= 1 s": a profile of 10,000 distinct 30-deep stacks over 4
 * threads and 2,000 functions (names and files of realistic length), 100
 * samples each, written in every format this build can write, then read
 * back with import_buffer() (detection, inflate, parse, table). Prints the
 * size and the best of 3 CPU times per format. Not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export.h"
#include "import.h"
#include "benchlib.h"
#include "profile.h"
#include "table.h"

enum { DEPTH = 30, NSTACKS = 10000, NFUNCS = 2000, PER_STACK = 100, THREADS = 4, RUNS = 3 };

/* The profile: stacks share prefixes (each copies a random earlier one up
 * to a random depth), as real programs' do. */
static struct table *make_table(void)
{
    struct table *t = table_new();
    if (!t)
        exit(1);
    char name[96], file[96];
    for (int i = 0; i < NFUNCS; i++) {
        snprintf(name, sizeof name, "Handler_%d.process_request_%d", i % 97, i);
        snprintf(file, sizeof file, "/srv/app/venv/lib/python3.12/site-packages/pkg/module_%d.py", i % 300);
        table_intern_func_at(t, name, file, 10 + i % 500);
    }
    for (int th = 0; th < THREADS; th++) {
        snprintf(name, sizeof name, "worker-%d", th);
        table_thread(t, 1000 + (uint64_t)th, name);
    }
    struct frame_key *s = bench_stacks(NSTACKS, DEPTH, NULL, NFUNCS, 1, 900);
    for (int i = 0; i < NSTACKS; i++)
        if (table_add_stack(t, (uint32_t)(i % THREADS), &s[i * DEPTH], DEPTH, PER_STACK) < 0)
            exit(1);
    free(s);
    return t;
}

static void bench_format(const struct table *t, enum export_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct export_meta meta = {.pid = 42, .version = "bench", .interval_ns = 1000000,
                               .duration_ns = 1000000000, .taken = NSTACKS * PER_STACK};
    if (!f || export_write(f, fmt, t, &meta) < 0 || fclose(f) != 0) {
        printf("open %-10s  cannot write\n", export_format_name(fmt));
        return;
    }
    double best = 1e9;
    uint64_t samples = 0;
    for (int r = 0; r < RUNS; r++) {
        struct profile *p = profile_new();
        char err[IMPORT_ERR_MAX];
        double t0 = bench_cpu(CLOCK_PROCESS_CPUTIME_ID);
        int rc = p ? import_buffer((const uint8_t *)buf, len, "bench", p, err, sizeof err) : -1;
        double dt = bench_cpu(CLOCK_PROCESS_CPUTIME_ID) - t0;
        if (rc < 0) {
            printf("open %-10s  failed: %s\n", export_format_name(fmt), p ? err : "no memory");
            profile_free(p);
            break;
        }
        profile_lock(p);
        samples = table_samples(profile_table(p));
        profile_unlock(p);
        profile_free(p);
        best = dt < best ? dt : best;
    }
    if (best < 1e9)
        printf("open %-10s (best of %d, CPU): %9zu bytes  %8llu samples  %8.1f ms\n",
               export_format_name(fmt), RUNS, len, (unsigned long long)samples, best * 1e3);
    free(buf);
}

int main(void)
{
    struct table *t = make_table();
    printf("profile: %d stacks of %d frames, %llu samples, %d threads, %d functions\n", NSTACKS, DEPTH,
           (unsigned long long)table_samples(t), THREADS, NFUNCS);
    for (int fmt = 0; fmt < EXPORT_FORMATS; fmt++)
        if (export_format_available((enum export_format)fmt))
            bench_format(t, (enum export_format)fmt);
    table_free(t);
    return 0;
}
