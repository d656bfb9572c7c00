/* SPDX-License-Identifier: MIT */
/* The micro-benchmarks' shared helpers (benchlib.h). */
#include "benchlib.h"

#include <stdlib.h>

static uint64_t rng = UINT64_C(0x9E3779B97F4A7C15);

uint32_t bench_rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

double bench_cpu(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct frame_key *bench_stacks(int nstacks, int depth, const uint32_t *funcs, uint32_t nfuncs,
                               int32_t line0, uint32_t nlines)
{
    struct frame_key *s = malloc(sizeof *s * (size_t)nstacks * (size_t)depth);
    if (!s)
        exit(1);
    for (int i = 0; i < nstacks; i++) {
        struct frame_key *cur = &s[(size_t)i * (size_t)depth];
        int shared = i ? (int)bench_rnd((uint32_t)depth) : 0;
        const struct frame_key *prev = &s[(size_t)bench_rnd(i ? (uint32_t)i : 1) * (size_t)depth];
        for (int d = 0; d < depth; d++) {       /* d counts from the root */
            struct frame_key *f = &cur[depth - 1 - d];
            if (d < shared) {
                *f = prev[depth - 1 - d];
                continue;
            }
            uint32_t k = bench_rnd(nfuncs);
            *f = (struct frame_key){funcs ? funcs[k] : k, line0 + (int32_t)bench_rnd(nlines)};
        }
    }
    return s;
}
