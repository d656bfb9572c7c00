/* SPDX-License-Identifier: MIT */
/* Monotonic time in nanoseconds and absolute-deadline sleeping. */
#ifndef PROFTUI_CLOCK_H
#define PROFTUI_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC now, in nanoseconds. */
uint64_t clock_now_ns(void);

/* Sleep until the monotonic time deadline_ns (returns at once if past);
 * resumes after signal interruptions. */
void clock_sleep_until(uint64_t deadline_ns);

/* Sleep for ns nanoseconds. */
void clock_sleep_ns(uint64_t ns);

#endif
