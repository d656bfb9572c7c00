/* SPDX-License-Identifier: MIT */
/* What the micro-benchmarks share: one random sequence (the same profile
 * on every run), CPU clocks, and stacks that share prefixes the way real
 * programs' do. Not part of proftui. */
#ifndef PROFTUI_BENCHLIB_H
#define PROFTUI_BENCHLIB_H

#include <stdint.h>
#include <time.h>

#include "table.h"

/* The next number of a xorshift sequence, in [0, n) (n > 0). */
uint32_t bench_rnd(uint32_t n);

/* CPU time in seconds of clock clk (CLOCK_THREAD_CPUTIME_ID stays
 * comparable on a busy machine). */
double bench_cpu(clockid_t clk);

/* nstacks leaf-first stacks of depth frames, stack i at [i * depth]: each
 * copies a random earlier one up to a random depth, then goes its own way
 * with functions funcs[random] (or the ids 0 .. nfuncs-1 when funcs is
 * NULL) at lines line0 .. line0 + nlines - 1. Exits when out of memory;
 * the caller frees. */
struct frame_key *bench_stacks(int nstacks, int depth, const uint32_t *funcs, uint32_t nfuncs,
                               int32_t line0, uint32_t nlines);

#endif
