/* SPDX-License-Identifier: MIT */
/* The sampling engine's driver: a thread that wakes on absolute deadlines,
 * walks every Python thread of the target (and, when following, of its
 * descendants that run CPython: one target, walker and code cache per
 * process, threads keyed by (pid, tid)) and adds the stacks to a
 * profile it does not own (profile.h: readers sync replicas of it and
 * never see the sampler). Its own counters, and the target's CPU and
 * memory, are published through sampler_get_stats(). */
#ifndef PROFTUI_SAMPLER_H
#define PROFTUI_SAMPLER_H

#include <stdint.h>
#include <sys/types.h>

struct profile;
struct sampler;
struct pytarget;

struct sampler_config {
    uint64_t interval_ns;     /* time between rounds */
    uint64_t duration_ns;     /* stop after this long (0: until stopped) */
    pid_t child;              /* our launched child (reaped by the sampler), or 0 when attached */
    int follow;               /* also sample the root's descendants that run CPython */
    int tasks;                /* --async: also sample their asyncio tasks (3.11+) */
    pid_t root;               /* the process whose end ends sampling and whose descendants
                               * are followed: 0 for the target itself; else (with follow)
                               * the target must be one of its descendants */
    int native;               /* --native: 0 no, SAMPLER_NATIVE_PERF or SAMPLER_NATIVE_PTRACE:
                               * each thread's native frames too, merged with its Python ones
                               * into its mixed stacks (table_native_thread_of) */
    int no_switches;          /* never the kernel's context-switch records (cpuswitch.h): every
                               * thread's state from /proc (PROFTUI_SWITCHES=0) */
};

#define SAMPLER_NATIVE_PERF 1      /* perf events: the target is never stopped */
#define SAMPLER_NATIVE_PTRACE 2    /* ptrace: each sample stops its thread briefly */

/* Processes followed at once (the target and its descendants). A
 * descendant found while the set is full is not opened (procs_waited
 * counts it) until one of the set ends. */
#define SAMPLER_PROCS_MAX 128

struct sampler_stats {
    uint64_t taken;           /* rounds performed */
    uint64_t missed;          /* deadlines skipped because a round came too late */
    uint64_t failed;          /* samples whose stack could not be read (recorded as [unreadable]) */
    uint64_t stacks;          /* thread stacks recorded in the table (since the last reset), failed included */
    uint64_t lost;            /* rounds (of taken) whose thread list could not be read at all */
    uint64_t threadless;      /* stacks left out: their thread state named no thread of its
                               * process (a thread ending; a forked child before it renewed
                               * its copies of its parent's thread states) */
    uint64_t elapsed_ns;      /* since sampling started */
    uint64_t interval_ns;     /* requested interval */
    unsigned threads;         /* Python threads seen in the last round, every process */
    unsigned tasks;           /* asyncio tasks known at the last round (--async), every process */
    unsigned tasks_cut;       /* tasks beyond the listing's bound, never read (taskwalk.h) */
    uint64_t task_samples;    /* task stacks recorded (since the last reset) */
    unsigned gil_waiting;     /* of them, those waiting for their GIL */
    int gil_known;            /* the last round knew which thread held the GIL (a version
                               * whose GIL state proftui reads) */
    unsigned procs;           /* processes sampled now (the target and descendants followed) */
    unsigned procs_followed;  /* processes sampled so far, the target included */
    unsigned procs_waited;    /* descendants left unopened while SAMPLER_PROCS_MAX were followed */
    uint64_t discover_polls;  /* polls for descendants so far, and their total time */
    uint64_t discover_ns;
    uint64_t proc_rounds;     /* rounds of each process (summed), and those of them that */
    uint64_t quiet_rounds;    /* reused its last walk: none of its threads had run since */
    uint64_t walked_stacks;   /* thread stacks of the walks made, and those of them whose */
    uint64_t copied_stacks;   /* frames were copied: the thread had not run since (walker_still) */
    uint64_t kept_states;     /* thread states taken from the walk before (walker_list_still) */
    uint64_t code_loads;      /* code objects read into the processes' code caches (names, */
    uint64_t code_cached;     /* file, line table), and those cached now */
    int running;              /* the sampling thread is still going */
    int realtime;             /* the sampling thread runs at real-time priority */
    uint64_t rt_ns;           /* the time it ran so, up to the last change of priority */
    unsigned rt_drops;        /* real-time priority given up because rounds took too much */
    int target_exited;        /* the target is gone */
    int exit_status;          /* wait status of our child when it exited, else -1 */
    int proc_ok;              /* the next two hold a reading of the target's /proc */
    double cpu_pct;           /* CPU of the processes sampled over the last second, summed
                               * (100 = one core); -1 unknown */
    uint64_t rss_bytes;       /* their resident memory, summed */
    /* --native (since the last reset; every process): */
    uint64_t native_samples;  /* thread samples with a native sample (perf: the thread ran
                               * on a CPU since the last round; ptrace: every one taken) */
    uint64_t native_mixed;    /* of them, recorded as a mixed stack */
    uint64_t native_mismatch; /* refused: the evaluation-loop frames and the Python frames
                               * disagreed (a failed sample in the mixed stacks) */
    uint64_t native_incomplete;    /* unwinds that stopped before the thread's outermost frame */
    uint64_t native_unwind_failed; /* samples not unwound at all (the Python stack stands) */
    uint64_t native_superseded;    /* perf samples a newer one of the same thread replaced */
    uint64_t native_lost;          /* perf samples the kernel dropped */
    uint64_t native_malformed;     /* perf records that did not decode */
    uint64_t native_stops;         /* ptrace stops */
    unsigned native_threads_failed; /* threads whose capture could not be opened */
    unsigned native_procs_failed;   /* followed processes without native frames (their
                                     * capture or unwinder could not be opened) */
    /* Thread states from the kernel's context-switch records (cpuswitch.h): */
    int switches;                  /* 1 in use, else the error that kept them out (0: not
                                    * asked for, PROFTUI_SWITCHES=0) */
    uint64_t switch_records;       /* records read */
    uint64_t switch_lost;          /* records the kernel dropped */
    uint64_t switch_resets;        /* times every thread's state was read from /proc again */
};

/* Start sampling `target` into `profile` (both borrowed; they must outlive
 * the sampler). Returns 0 or a negative enum err (with cfg->native, also
 * why the target's native frames cannot be had: ERR_PERM for perf events
 * or ptrace not permitted, ERR_UNSUPPORTED for no perf events or no
 * libunwind); *out is set only on success. */
int sampler_start(struct pytarget *target, struct profile *profile, const struct sampler_config *cfg,
                  struct sampler **out);

/* Ask the sampling thread to stop and wait for it. Safe to call twice. */
void sampler_stop(struct sampler *s);

/* Stop if needed and free what the sampler owns (not the profile). */
void sampler_free(struct sampler *s);

/* Block until the sampler finished on its own (duration reached or target
 * exited) or *stop_flag becomes non-zero (looked at every 50 ms: signals
 * that set it do not interrupt the wait). */
void sampler_wait(struct sampler *s, volatile int *stop_flag);

/* A consistent copy of the counters (takes the lock itself). */
void sampler_get_stats(struct sampler *s, struct sampler_stats *out);

/* One process of the set as the readers see it (refreshed once a second):
 * sampled now or not any more (it ended, or was retired), its CPU use
 * (100 = one core; -1 unknown) and resident memory. */
#define SAMPLER_PROCS_KNOWN 256
struct sampler_proc_info {
    pid_t pid;
    int alive;
    double cpu_pct;
    uint64_t rss_bytes;
};

/* The processes sampled so far, up to cap (those sampled now first, then
 * the ended ones, most recently ended first, SAMPLER_PROCS_KNOWN at most)
 * into out; returns how many. */
int sampler_get_procs(struct sampler *s, struct sampler_proc_info *out, int cap);

/* Zero the profile's counts and the counters (takes the locks itself). */
void sampler_reset(struct sampler *s);

#endif
