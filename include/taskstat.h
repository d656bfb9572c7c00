/* SPDX-License-Identifier: MIT */
/* Per-thread scheduler state and names of the target, from /proc/PID/task,
 * with the stat files kept open so a check is one pread. */
#ifndef PROFTUI_TASKSTAT_H
#define PROFTUI_TASKSTAT_H

#include <stddef.h>
#include <sys/types.h>

struct taskstat;

/* A new set of cached task files for pid (caller owns; taskstat_free). */
struct taskstat *taskstat_new(pid_t pid);
void taskstat_free(struct taskstat *ts);

/* 1 when thread tid is running or runnable (state R), 0 when it is not,
 * ERR_READ when its stat file cannot be read (the thread is gone). */
int taskstat_running(struct taskstat *ts, pid_t tid);

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
