/* SPDX-License-Identifier: MIT */
/* The target's CPU usage and resident memory, from /proc/PID/stat and
 * /proc/PID/statm, for the live view's header. */
#ifndef PROFTUI_PROCSTAT_H
#define PROFTUI_PROCSTAT_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

/* State kept between two readings (CPU % is a rate). Plain value, no
 * resources: copy or discard freely. */
struct procstat {
    pid_t pid;
    long ticks_per_s;         /* sysconf(_SC_CLK_TCK) */
    long page_size;
    uint64_t prev_ticks;      /* utime + stime at the previous reading */
    uint64_t prev_ns;         /* monotonic time of the previous reading */
    int primed;               /* prev_* hold a reading */
};

struct procstat_sample {
    double cpu_pct;           /* over the time since the previous reading (100 = one core); -1 unknown */
    uint64_t rss_bytes;       /* resident set size */
    unsigned os_threads;      /* num_threads from /proc/PID/stat */
};

/* Prepare to watch pid; takes a first reading so that the next one yields
 * a CPU %. Never fails (a gone process shows up in procstat_read). */
void procstat_init(struct procstat *ps, pid_t pid, uint64_t now_ns);

/* Read the process's counters at monotonic time now_ns. Returns 0, or
 * ERR_NO_PROCESS when it is gone, or ERR_CORRUPT when a file is malformed;
 * *out is left untouched on error. */
int procstat_read(struct procstat *ps, uint64_t now_ns, struct procstat_sample *out);

/* Parse the contents of /proc/PID/stat (buf[0..len), need not be
 * terminated): utime + stime in clock ticks and num_threads. The command
 * name may hold spaces and parentheses. 0 or ERR_CORRUPT. */
int procstat_parse_stat(const char *buf, size_t len, uint64_t *ticks, unsigned *threads);

/* Parse the contents of /proc/PID/statm: resident pages. 0 or ERR_CORRUPT. */
int procstat_parse_statm(const char *buf, size_t len, uint64_t *resident_pages);

#endif
