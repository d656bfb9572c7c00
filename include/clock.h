/* SPDX-License-Identifier: MIT */
/* Monotonic time in nanoseconds, absolute-deadline sleeping, and the
 * wall-clock time for timestamps. */
#ifndef PROFTUI_CLOCK_H
#define PROFTUI_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC now, in nanoseconds. */
uint64_t clock_now_ns(void);

/* The CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID), in
 * nanoseconds: what a piece of work cost, whatever else ran meanwhile. */
uint64_t clock_thread_cpu_ns(void);

/* CLOCK_REALTIME now (nanoseconds since the Unix epoch), for timestamps in
 * outputs; never for intervals. */
uint64_t clock_realtime_ns(void);

/* Sleep until the monotonic time deadline_ns (returns at once if past);
 * resumes after signal interruptions. */
void clock_sleep_until(uint64_t deadline_ns);

/* Sleep for ns nanoseconds. */
void clock_sleep_ns(uint64_t ns);

#endif
