/* SPDX-License-Identifier: MIT */
/* Private to the sampler: the native frames of one process of the set
 * (--native): its capture and unwinder, the threads it follows, and each
 * walked thread's mixed stack of the round. Sampling thread only. */
#ifndef PROFTUI_SAMPLER_PNATIVE_H
#define PROFTUI_SAMPLER_PNATIVE_H

#include <stdint.h>

#include "ncapture.h"
#include "nmerge.h"

struct pnative;
struct walker;

/* What a process's native frames came to, counted since the last
 * pnative_counts (sampler_stats says what each is). */
struct pnative_counts {
    uint64_t samples, mismatch, incomplete, unwind_failed, threads_failed;
    uint64_t superseded, lost, malformed, stops;
};

/* The native frames of process pid, captured as how says at hz per
 * thread; off_previous is its _PyInterpreterFrame.previous (the layout's
 * frame_back) and off_cframe its _PyCFrame.current_frame (3.11/3.12, else
 * -1): nmerge_check_links. Caller owns *out (pnative_free). 0, or
 * what ncapture_new or nunwind_new said (ERR_PERM, ERR_UNSUPPORTED,
 * ERR_NO_PROCESS, ERR_NOMEM...). */
int pnative_new(uint32_t pid, enum ncapture_how how, unsigned hz, int32_t off_previous,
                int32_t off_cframe, struct pnative **out);
void pnative_free(struct pnative *pn);

/* After walker_round (n: its result): each walked thread's native sample,
 * unwound, named and merged with its Python stack. A quiet round (the
 * walk reused: no thread ran) keeps the last round's stacks with ptrace
 * and has none with perf events (a thread that did not run has no sample). */
void pnative_round(struct pnative *pn, const struct walker *w, int n, int quiet);

/* Thread i's mixed stack of the round into *items: its count (> 0), 0
 * when it has no native sample (its Python stack stands), or < 0 when the
 * merge was refused (recorder_add_native's n). */
int pnative_stack(const struct pnative *pn, int i, const struct nmerge_item **items);

/* The counts since the last call (then zeroed). */
void pnative_counts(struct pnative *pn, struct pnative_counts *out);

#endif
