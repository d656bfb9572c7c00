/* SPDX-License-Identifier: MIT */
/* Which threads are on a CPU, from the kernel's context-switch records:
 * one CPU-wide perf event per CPU (a software "dummy" event with
 * attr.context_switch) writes a record each time a task goes on or off
 * that CPU into a ring we map, so the sampler learns who runs without a
 * read of /proc per thread per round. CPU-wide events need CAP_PERFMON
 * (root) or kernel.perf_event_paranoid <= 0; without them taskstat keeps
 * reading /proc (taskstat.h). The target is never touched: the records
 * are the scheduler's. */
#ifndef PROFTUI_CPUSWITCH_H
#define PROFTUI_CPUSWITCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cpuswitch;

/* Open an event and its ring on every CPU (every one the machine may have
 * must open: a CPU without one would hide its switches). 0 with *out, or
 * ERR_PERM (not allowed), ERR_UNSUPPORTED (no perf events, or a kernel
 * without CPU-wide switch records), ERR_NOMEM. */
int cpuswitch_open(struct cpuswitch **out);

/* A tracker fed only by cpuswitch_feed (no events: the unit tests and
 * the fuzz target), for ncpus CPUs; NULL when out of memory. */
struct cpuswitch *cpuswitch_new_detached(int ncpus);

void cpuswitch_free(struct cpuswitch *cs);

/* Read every record written since the last poll, in each CPU's order.
 * Call once a round from the sampling thread before any look: the caller
 * is the thread whose wake-ups cpuswitch_state's `displaced` refers to. */
void cpuswitch_poll(struct cpuswitch *cs);

/* Apply one record as read from a CPU's ring (header included, len
 * bytes): a switch on or off a CPU, an exit, or records lost. self_tid: the sampling thread. 0, or ERR_CORRUPT for a record
 * that does not decode (counted, nothing applied). */
int cpuswitch_feed(struct cpuswitch *cs, const void *rec, size_t len, pid_t self_tid);

/* What the records say of a thread being watched. */
struct cpuswitch_thread {
    int gone;            /* the thread has exited (then off) */
    int on;              /* 1 on a CPU now, 0 off */
    int displaced;       /* off, pushed off its CPU by the sampling thread's
                          * current wake-up: it was running until the look */
    uint64_t since;      /* clock_now_ns time of its last switch, or of the
                          * /proc reading that seeded it */
    uint64_t moves;      /* switches applied to it: changes when it runs */
};

/* The state of thread tid: 1 with *out, 0 when it is not known (never
 * seeded, or records were lost since: cpuswitch_seed it from /proc, the
 * reading started at `at`, clock_now_ns). A thread is watched from its
 * first seed on; the tracker holds CPUSWITCH_THREADS of them (a seed
 * beyond that is not kept: the thread stays unknown). */
#define CPUSWITCH_THREADS 8192
int cpuswitch_state(struct cpuswitch *cs, pid_t tid, struct cpuswitch_thread *out);
void cpuswitch_seed(struct cpuswitch *cs, pid_t tid, int on, uint64_t at);

/* Stop watching tid (the thread is gone). */
void cpuswitch_forget(struct cpuswitch *cs, pid_t tid);

/* The processes whose new child processes and execs are counted (the
 * followed family: proftui's root and its descendants), replacing the
 * last set; more than 1,025 count as a change at every call. And the
 * count: forks of a new process by one of them, execs in them, and
 * losses of records (which may have hidden either). While it stays the
 * same, no descendant was born or became another program. */
void cpuswitch_set_family(struct cpuswitch *cs, const pid_t *pids, size_t n);
uint64_t cpuswitch_family_events(const struct cpuswitch *cs);

/* The processes whose threads' starts and ends are counted (at most 512
 * at once: ERR_NOMEM beyond, or when a slot cannot be had), and the count
 * of one: 1 with *changes, a value that moves with every thread started
 * or ended (and with every loss of records), or 0 when it is not watched.
 * While it stays the same, the process has the threads it had. */
int cpuswitch_watch_process(struct cpuswitch *cs, pid_t pid);
void cpuswitch_forget_process(struct cpuswitch *cs, pid_t pid);
int cpuswitch_thread_changes(const struct cpuswitch *cs, pid_t pid, uint64_t *changes);

struct cpuswitch_stats {
    uint64_t records;    /* switch records applied or passed over */
    uint64_t lost;       /* records the kernel dropped (a full ring) */
    uint64_t resets;     /* times every thread became unknown after a loss */
    uint64_t malformed;  /* records that did not decode */
};
void cpuswitch_stats(const struct cpuswitch *cs, struct cpuswitch_stats *out);

#endif
