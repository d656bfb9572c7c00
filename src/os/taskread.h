/* SPDX-License-Identifier: MIT */
/* The parsers of one thread's /proc/PID/task/TID files that taskstat
 * reads every round (internal to src/os; the unit tests use them on
 * made-up text). Each parse_ function takes the NUL-terminated text of a
 * file; each fd function reads the whole file through its open fd with
 * pread first. All return 0 (or what they say) or ERR_READ. */
#ifndef PROFTUI_TASKREAD_H
#define PROFTUI_TASKREAD_H

#include <stddef.h>
#include <stdint.h>

/* A thread's context switches, from sched or status, and what else that
 * file tells. */
struct task_switches {
    uint64_t vol, invol;         /* voluntary, involuntary */
    int state_r;                 /* status: 1 state R, 0 another; sched: -1 (not there) */
    int have_exec;               /* sched: exec_start below */
    uint64_t exec_start;         /* se.exec_start, ns */
};

/* schedstat, "RUN WAIT ARRIVALS\n": run time (ns) and arrivals on a CPU. */
int taskread_parse_schedstat(const char *buf, uint64_t *run, uint64_t *arrivals);
int taskread_schedstat(int fd, uint64_t *run, uint64_t *arrivals);

/* status: the State letter and the context-switch counters. */
int taskread_parse_status(const char *buf, struct task_switches *sw);
int taskread_status(int fd, struct task_switches *sw);

/* sched (CONFIG_SCHED_DEBUG): nr_voluntary_switches,
 * nr_involuntary_switches and se.exec_start, looked for after the line of
 * dashes under the thread's name (which the target chooses: a line of its
 * own could be faked). */
int taskread_parse_sched(const char *buf, struct task_switches *sw);
int taskread_sched(int fd, struct task_switches *sw);

/* sched's se.exec_start alone (ns): the run queue clock when the task last
 * started running or was last accounted; for a task off CPU, when it left. */
int taskread_parse_exec_start(const char *buf, uint64_t *ns);
int taskread_exec_start(int fd, uint64_t *ns);

/* syscall: "NR ARG1 ARG2 ... SP PC" while the thread is in a system call,
 * "-1 SP PC" when it is stopped outside one, "running" for a task in
 * state R (on a CPU or waiting for one; also when it changed state while
 * the kernel looked). 1 with *uaddr (the futex word) for a futex wait, else
 * 0; *running (when not NULL) gets whether it said "running". */
int taskread_parse_syscall(const char *buf, uint64_t *uaddr, int *running);
int taskread_syscall(int fd, uint64_t *uaddr, int *running);

#endif
