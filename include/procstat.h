/* SPDX-License-Identifier: MIT */
/* The one parser of /proc/PID/stat (and statm), and the target's CPU
 * usage and resident memory from them. Every module that needs a field of
 * a stat file (state, flags, CPU time, thread count, last CPU) goes
 * through procstat_parse_stat(). */
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

/* The fields of a /proc/PID/stat or /proc/PID/task/TID/stat line we use. */
struct procstat_stat {
    char state;               /* 'R', 'S', 'D', 'Z', ... (field 3) */
    uint64_t flags;           /* PF_* flags (field 9) */
    uint64_t ticks;           /* utime + stime in clock ticks (fields 14, 15) */
    uint64_t stime;           /* of them, stime: in the kernel (field 15) */
    unsigned threads;         /* num_threads (field 20) */
    int cpu;                  /* CPU it last ran on (field 39), -1 when the line is shorter */
    uint64_t starttime;       /* clock ticks after boot it started (field 22), 0 when absent:
                               * with the pid, names one process (pids are reused) */
};

/* Parse the contents of a stat file (buf[0..len), need not be terminated).
 * The command name may hold spaces and parentheses: the fields resume
 * after the last ')'. Fields 3 to 20 are required. 0 or ERR_CORRUPT. */
int procstat_parse_stat(const char *buf, size_t len, struct procstat_stat *out);

/* Read and parse /proc/PID/stat (tid 0) or /proc/PID/task/TID/stat.
 * 0, ERR_NO_PROCESS when it is gone, ERR_READ or ERR_CORRUPT. */
int procstat_read_stat(pid_t pid, pid_t tid, struct procstat_stat *out);

/* Parse a stat file already open (pread from offset 0: a descriptor kept
 * open makes a check one system call). 0, ERR_READ or ERR_CORRUPT. */
int procstat_pread_stat(int fd, struct procstat_stat *out);

/* The target's current directory (readlink of /proc/PID/cwd) into buf;
 * 0 or ERR_READ (buf is then ""). */
int procstat_cwd(pid_t pid, char *buf, size_t cap);

/* The target's command line (/proc/PID/cmdline) into buf (cap bytes; a
 * longer one is cut) and argv: at most max - 1 arguments pointing into
 * buf, then NULL. Returns the argument count, or ERR_READ (gone, or a
 * kernel thread: no command line). */
int procstat_cmdline(pid_t pid, char *buf, size_t cap, char **argv, size_t max);

/* Parse the contents of /proc/PID/statm: resident pages. 0 or ERR_CORRUPT. */
int procstat_parse_statm(const char *buf, size_t len, uint64_t *resident_pages);

#endif
