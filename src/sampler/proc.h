/* SPDX-License-Identifier: MIT */
/* Private to the sampler: one process of the sampler's target set (its
 * target, walker, code cache, recorder, thread names and /proc readings)
 * and what a round does with it. Used by the sampling thread only. */
#ifndef PROFTUI_SAMPLER_PROC_H
#define PROFTUI_SAMPLER_PROC_H

#include <stdint.h>

#include "procstat.h"
#include "rssmeter.h"
#include "record.h"
#include "taskwalk.h"
#include "threadnames.h"
#include "walker.h"

#define NAMES_MAX 1024

struct pnative;
struct pytarget;
struct sampler_config;
struct table;

#define PROC_LOOPS 8
/* How often the waiting time of tasks not read lately is recorded. */
#define PROC_FLUSH_NS 1000000000ULL

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
    int names_still;                    /* no thread ran since names_at (look_before) */
    int relabel;                        /* this round's names changed */
    int n;                              /* this round's walker_round() result */
    unsigned gil_waiting;               /* this round's threads waiting for the GIL */
    int gil_known;                      /* this round knew the GIL's holder (or that none held it) */
    int quiet;                          /* this round reuses the last walk's stacks (proc_walk) */
    int failed_any;                     /* a stack of the last walk failed */
    int64_t threads_at_walk;            /* its threads just before the last walk */
    int64_t threads_now;                /* and at this round (taskstat_thread_mark) */
    uint64_t walked_ns;                 /* when the last walk started */
    uint64_t walks, quiet_rounds;       /* rounds walked and rounds that reused a walk */
    unsigned copied;                    /* this round's stacks copied from the last walk (walker_still) */
    unsigned kept;                      /* this round's thread states kept from the last walk */
    uint64_t code_loads;                /* the code cache's loads counted in the sampler's stats */
    int fails_in_a_row;
    int nnames;
    struct thread_name names[NAMES_MAX];
    struct thread_name fresh[NAMES_MAX]; /* the names being read (refresh_names) */
    int8_t on_cpu[WALK_MAX_THREADS];    /* this round's thread i is on a CPU: 1, 0, -1 unknown */
    int8_t gil_blocked[WALK_MAX_THREADS]; /* and asleep on its GIL's lock (before 3.15) */
    int8_t ran[WALK_MAX_THREADS];       /* and on a CPU, what it ran (record_state.ran) */
    int8_t absent[WALK_MAX_THREADS];    /* its thread id is no thread of the process (not
                                         * recorded: taskstat_on_cpu's ERR_EXITED) */
    unsigned threadless;                /* such stacks left out (proc_record: this round's) */
    uint64_t interval_ns;               /* the time a sample stands for */
    struct rssmeter rss;                /* resident memory, read every round */
    uint64_t rss_last;                  /* at the last reading (rss_known) */
    int rss_known;
    int64_t rss_delta;                  /* grown (shrunk) since, not charged to a stack yet */
    /* asyncio tasks (--async, 3.11+): NULL when not asked or not readable */
    struct taskwalk *tw;
    int ntasks;                         /* this round's taskwalk_round() result */
    struct taskwalk_stats task_stats;
    const struct task_sample *task[TASKWALK_PER_ROUND];
    const struct walk_stack *task_thread[TASKWALK_PER_ROUND];
    struct record_state task_state[TASKWALK_PER_ROUND];
    /* Event loops whose thread the loop object does not say (uvloop's),
     * learnt from where their running task's coroutine was found: the
     * loop, the thread's PyThreadState ident (PROC_LOOPS, oldest replaced) */
    uint64_t loop[PROC_LOOPS], loop_ident[PROC_LOOPS];
    unsigned nloops;
    uint64_t flushed_ns;                /* waiting time last recorded (proc_flush_tasks) */
    uint64_t owed_samples;              /* task samples so recorded */
    /* --native: mixed stacks are recorded (native), from this capture and
     * unwinder (NULL when they could not be opened: native_rc says why) */
    int native;
    struct pnative *pn;
    int native_rc;
    uint64_t native_mixed;              /* mixed stacks recorded (proc_record: this round's) */
};

/* A process of the set for target t (owned unless borrowed), recording
 * into table (the caller holds the profile's lock), its asyncio tasks too
 * when cfg->tasks is set and its CPython has them readable (3.11+), its
 * native frames when cfg->native (when they cannot be had, native_rc
 * says why and its mixed stacks are its Python ones). NULL on ENOMEM (t
 * is then freed unless borrowed). */
struct proc *proc_new(struct pytarget *t, int borrowed, struct table *table,
                      const struct sampler_config *cfg, uint64_t now_ns);

/* Free p and its target unless borrowed; the table keeps its threads. */
void proc_free(struct proc *p);

/* Walk p's threads (p->n: the count or a negative enum err), read names
 * when due, whether each thread is on a CPU (p->on_cpu), and the resident
 * memory. A process none of whose threads ran since the last walk is not
 * read: that walk's stacks are this round's too (p->quiet). No lock held. */
void proc_walk(struct proc *p, uint64_t now_ns);

/* Add p's walked stacks to the table (the profile's lock held), each in
 * the metric of its thread's state, with the change of resident memory
 * since the last round on the stack of the thread that holds the GIL
 * (else the one thread on a CPU; else it waits for a round with one);
 * then its tasks' stacks (recorder_add_task).
 * Returns the thread stacks recorded; *failed gets those that are [unreadable]. */
unsigned proc_record(struct proc *p, unsigned *failed);

/* Add p's tasks' stacks of this round (none without --async); the
 * profile's lock held, after proc_record. Returns the tasks recorded. */
unsigned proc_record_tasks(struct proc *p);

/* Record the waiting time of p's tasks not read since (taskwalk_flush):
 * every PROC_FLUSH_NS from proc_record_tasks, and when sampling p ends;
 * the profile's lock held. */
void proc_flush_tasks(struct proc *p);

/* Read p's CPU % and RSS (p->stat_ok, cpu_pct, rss_bytes). */
void proc_read_stat(struct proc *p, uint64_t now_ns);

#endif
