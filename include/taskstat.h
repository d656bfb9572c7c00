/* SPDX-License-Identifier: MIT */
/* Per-thread scheduler state and names of the target, from /proc/PID/task,
 * with each thread's files kept open so a check is one or two preads. */
#ifndef PROFTUI_TASKSTAT_H
#define PROFTUI_TASKSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct taskstat;

/* A new set of cached task files for pid (caller owns; taskstat_free). */
struct taskstat *taskstat_new(pid_t pid);
void taskstat_free(struct taskstat *ts);

/* 1 when thread tid is on a CPU now, 0 when it is not (asleep, or
 * runnable but waiting for a CPU), ERR_EXITED when the process has no
 * thread tid (it ended, or the id is another process's: a forked child's
 * copy of its parent's thread states names the parent's threads until
 * the child renews them), ERR_READ when its files cannot be read. Call it from one thread only (the sampling
 * thread), after taskstat_round(); a thread is looked at once a round:
 * calls for it later in the same round return the same answer.
 *
 * Method: every time the scheduler puts a task on a CPU it counts one
 * arrival (/proc/PID/task/TID/schedstat, third field) and every time it
 * takes it off one context switch, voluntary or not (sched's
 * nr_voluntary_switches + nr_involuntary_switches, the same counters as
 * status's voluntary_ctxt_switches + nonvoluntary_ctxt_switches); both counters
 * start at zero with the thread. So arrivals - switches is 1 while the
 * thread is on a CPU and 0 otherwise. schedstat is read first: a switch
 * between the two reads can only make the answer "not on CPU", never the
 * reverse. State R alone (as py-spy uses) also counts a thread that waits
 * for a CPU on a loaded machine; schedstat's run time alone advances only
 * at scheduler ticks for a thread that runs without a break.
 *
 * The caller itself takes a CPU when it wakes up to look, and the thread
 * that was running there is then runnable, not running. Such a thread
 * counts as on CPU: a context switch stamps the task leaving and the task
 * arriving with the same run queue clock, so its se.exec_start (in
 * /proc/.../sched, CONFIG_SCHED_DEBUG) equals the caller's. Without that
 * file such a thread counts as off CPU (the sampler keeps off the CPU of
 * the target's main thread, which makes it rare there).
 *
 * Cost: schedstat is read every round (~0.4 us); only when its run time
 * or arrivals changed since the last call (the thread ran or was switched
 * since) is anything else read. A thread asleep at the last look is asked
 * syscall first (~0.3 us when it runs, ~1.2 us asleep; stat without
 * access to it): most such threads are asleep again, and then that is the
 * answer (a thread asleep is off CPU whatever the counters say; the same
 * reading answers taskstat_futex this round). Otherwise the counters are
 * read: the switches and exec_start from sched (~3 us) in one read, or,
 * without CONFIG_SCHED_DEBUG, the switches and the state from status
 * (~4 us). A thread off a CPU that was preempted since the last look and
 * made no voluntary switch since is runnable (going to sleep is a
 * voluntary switch); else syscall says whether it is. The caller's own
 * sched is read once a round, only for a thread preempted since that now
 * waits. stat (~1.2 us, the system time) is read for a thread found on a
 * CPU, at most once per clock tick. Without schedstat (a kernel without
 * CONFIG_SCHED_INFO), state R from status is the answer. */
int taskstat_on_cpu(struct taskstat *ts, pid_t tid);

/* taskstat_on_cpu(), and into *quiet_since (when not NULL) a time
 * (clock_now_ns) since which the thread has certainly not run, or
 * UINT64_MAX: the time it was last found off a CPU, when schedstat has
 * not moved since (it neither ran nor arrived: its stack is as it was
 * then). Without schedstat, always UINT64_MAX. */
int taskstat_look(struct taskstat *ts, pid_t tid, uint64_t *quiet_since);

/* Whether this round's sample of thread tid, found on a CPU by
 * taskstat_look() this round, counts as time in the kernel (system time):
 * 1 or 0. The kernel accounts a thread's system time (stat's stime) in
 * clock ticks (10 ms), not per instant, so it is given out afterwards:
 * the system time a thread had between two readings of its stat (read by
 * taskstat_look for a thread found on a CPU, at most once a clock tick)
 * is owed to its samples on a CPU from then on,
 * period_ns (the time one sample stands for) each, the sample counting
 * as system time while at least half a period is owed. Over a thread's
 * run its samples so counted match its system time (up to TASKSTAT_SYS_OWED_MAX
 * ns owed at once, and a tick); which samples get it is up to 20 ms
 * late (the 10 ms unit, and stat read at most once a tick), so a function's share is exact only for one that stays a while. */
int taskstat_system(struct taskstat *ts, pid_t tid, uint64_t period_ns);
#define TASKSTAT_SYS_OWED_MAX 100000000ULL   /* 100 ms */

/* Whether thread tid sleeps in a futex wait: 1 with *uaddr the futex
 * word's address in the target (/proc/PID/task/TID/syscall), 0 when it is
 * not (running, in another system call, or in none), ERR_READ when that
 * cannot be read (the thread is gone, or reading it is not allowed). Read
 * again only when the thread ran or arrived since the last call for it
 * (schedstat moved): one that slept since sleeps where it slept. For
 * telling a thread that waits for a lock it knows the address of (the
 * GIL's) from other sleepers. */
int taskstat_futex(struct taskstat *ts, pid_t tid, uint64_t *uaddr);

/* The number of threads the process has now (Python's or not), from the
 * link count of its /proc/PID/task (kept open: one fstat), 0 once it is
 * gone; ERR_READ when that cannot be read. */
int taskstat_threads(struct taskstat *ts);

/* Answer taskstat_look() from the kernel's context-switch records
 * (borrowed; polled by the caller once a round before the looks) for
 * every thread they know, reading /proc only to seed a thread they do
 * not (a new one, or all after records were lost), and
 * taskstat_futex()'s "ran since" from them too. NULL: /proc only. */
struct cpuswitch;
void taskstat_use_switches(struct taskstat *ts, struct cpuswitch *sw);

/* A value that changes when a thread of the process starts or ends:
 * with the switch records (taskstat_use_switches), the count of the
 * starts and ends they showed, tagged so that it never equals a number
 * of threads (it catches a thread that came and went between two calls);
 * else the number of threads (taskstat_threads). ERR_READ. */
int64_t taskstat_thread_mark(struct taskstat *ts);

/* A new round of taskstat_on_cpu() calls: the caller has woken up again
 * (its own exec_start is read again when needed). */
void taskstat_round(struct taskstat *ts);

/* The CPU time thread tid of pid has had, in ns (schedstat's run time;
 * clock ticks from stat without it) into *ns; 0 or ERR_READ (gone). It
 * grows while the thread runs: two readings tell whether it ran between. */
int taskstat_run_ns(pid_t pid, pid_t tid, uint64_t *ns);

/* The OS name of thread tid (comm) into buf; 0 or ERR_READ. */
int taskstat_name(pid_t pid, pid_t tid, char *buf, size_t cap);

/* The process state letter from /proc/PID/stat ('R', 'S', 'Z', ...), or 0
 * when the process does not exist. */
char taskstat_process_state(pid_t pid);

/* 1 when pid is a kernel thread (PF_KTHREAD in /proc/PID/stat flags). */
int taskstat_is_kernel_thread(pid_t pid);

/* The CPU process pid last ran on (field 39 of /proc/PID/stat), or -1. */
int taskstat_cpu(pid_t pid);

#endif
