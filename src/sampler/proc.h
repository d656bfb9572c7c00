/* SPDX-License-Identifier: MIT */
/* Private to the sampler: one process of the sampler's target set (its
 * target, walker, code cache, recorder, thread names and /proc readings)
 * and what a round does with it. Used by the sampling thread only. */
#ifndef PROFTUI_SAMPLER_PROC_H
#define PROFTUI_SAMPLER_PROC_H

#include <stdint.h>

#include "procstat.h"
#include "threadnames.h"
#include "walker.h"

#define NAMES_MAX 1024

struct pytarget;
struct table;

/* One process of the set: its target, walker, code cache and recorder,
 * its thread names and its /proc readings. Sampling thread only. */
struct proc {
    struct pytarget *t;                 /* owned, except the root's (borrowed) */
    int borrowed;
    struct codecache *codes;
    struct walker *walker;
    struct recorder *rec;               /* writes into the table, under profile_lock() */
    struct taskstat *tasks;
    struct procstat stat;               /* CPU and memory */
    int stat_ok;
    double cpu_pct;
    uint64_t rss_bytes;
    uint64_t names_at;
    int names_soon;                     /* a new thread had no name: read names again soon */
    int relabel;                        /* this round's names changed */
    int n;                              /* this round's walker_round() result */
    int fails_in_a_row;
    int nnames;
    struct thread_name names[NAMES_MAX];
    struct thread_name fresh[NAMES_MAX]; /* the names being read (refresh_names) */
    uint8_t off_cpu[WALK_MAX_THREADS];  /* --cpu: this round's stack i is left out */
};

/* A process of the set for target t (owned unless borrowed), recording
 * into table (the caller holds the profile's lock). NULL on ENOMEM (t is
 * then freed unless borrowed). */
struct proc *proc_new(struct pytarget *t, int borrowed, struct table *table, uint64_t now_ns);

/* Free p and its target unless borrowed; the table keeps its threads. */
void proc_free(struct proc *p);

/* Walk p's threads (p->n: the count or a negative enum err), read names
 * when due and, with cpu_only, mark the threads off CPU. No lock held. */
void proc_walk(struct proc *p, uint64_t now_ns, int cpu_only);

/* Add p's walked stacks to the table (the profile's lock held). Returns
 * the stacks recorded; *failed gets those that are [unreadable]. */
unsigned proc_record(struct proc *p, unsigned *failed);

/* Read p's CPU % and RSS (p->stat_ok, cpu_pct, rss_bytes). */
void proc_read_stat(struct proc *p, uint64_t now_ns);

#endif
