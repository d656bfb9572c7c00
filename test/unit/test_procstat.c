/* SPDX-License-Identifier: MIT */
/* Unit tests of procstat: parsing /proc/PID/stat (hostile command names,
 * malformed contents) and statm, and reading this very process. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "error.h"
#include "procstat.h"

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

static int parse(const char *s, uint64_t *ticks, unsigned *threads)
{
    struct procstat_stat st = {.state = 0};
    int rc = procstat_parse_stat(s, strlen(s), &st);
    *ticks = st.ticks;
    *threads = st.threads;
    return rc;
}

static void test_parse_stat(void)
{
    uint64_t ticks = 0;
    unsigned threads = 0;
    /* Fields 3.. after the name: state ppid pgrp session tty tpgid flags
     * minflt cminflt majflt cmajflt utime(14) stime(15) cutime cstime
     * priority nice num_threads(20) itrealvalue starttime ... */
    const char *ok = "42 (we) ird) R 1 42 42 0 -1 4194304 100 0 0 0 250 50 7 7 20 -5 3 0 12345 999\n";
    check(parse(ok, &ticks, &threads) == 0 && ticks == 300 && threads == 3, "a name with ') '");
    check(parse("7 (x) S 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0", &ticks, &threads) == 0 && ticks == 3,
          "ends right after num_threads");
    check(parse("42 we R 1 42", &ticks, &threads) == ERR_CORRUPT, "no parentheses");
    check(parse("42 (x) R 1 42 42 0 -1 4194304 100 0 0 0", &ticks, &threads) == ERR_CORRUPT, "cut short");
    check(parse("42 (x) R 1 42 42 0 -1 4194304 100 0 0 0 x 50 0 0 20 0 3", &ticks, &threads) == ERR_CORRUPT,
          "utime not a number");
    check(parse("42 (x) R 1 42 42 0 -1 0 1 0 0 0 99999999999999999999999 5 0 0 20 0 3", &ticks, &threads)
          == ERR_CORRUPT, "utime overflows");
    check(parse("(x)", &ticks, &threads) == ERR_CORRUPT, "nothing after the name");
    struct procstat_stat st;
    check(procstat_parse_stat(ok, 10, &st) == ERR_CORRUPT, "length respected");
    check(procstat_parse_stat(ok, strlen(ok), &st) == 0 && st.state == 'R' && st.flags == 4194304 &&
          st.cpu == -1 && st.starttime == 12345, "state, flags, start time; no CPU field in a short line");
    /* A full line: processor (field 39) is 3. */
    const char *full = "9 ((a) b) S 1 9 9 0 -1 2097152 0 0 0 0 4 6 0 0 20 0 2 0 100 0 0 0 0 0 0 0 0 0 0 0 0 0 "
                       "0 0 17 3 0 0\n";
    check(procstat_parse_stat(full, strlen(full), &st) == 0 && st.state == 'S' && st.ticks == 10 &&
          st.threads == 2 && st.cpu == 3 && (st.flags & 0x00200000) != 0 && st.starttime == 100,
          "every field of a full line");
}

static void test_parse_statm(void)
{
    uint64_t pages = 0;
    check(procstat_parse_statm("1000 250 100 10 0 300 0\n", 24, &pages) == 0 && pages == 250, "statm");
    check(procstat_parse_statm("abc", 3, &pages) == ERR_CORRUPT, "garbage");
    check(procstat_parse_statm("1000", 4, &pages) == ERR_CORRUPT, "one field");
}

static void test_self(void)
{
    struct procstat ps;
    struct procstat_sample s = {.cpu_pct = -2};
    uint64_t wall0 = now_ns(), cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    procstat_init(&ps, getpid(), wall0);
    /* Use 0.3 s of CPU, however long that takes on a busy machine; the
     * kernel counts in clock ticks, so allow a few of them. */
    volatile uint64_t spin = 0;
    while (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0 < 300000000ULL)
        spin++;
    uint64_t wall = now_ns();
    check(procstat_read(&ps, wall, &s) == 0, "reading this process");
    double secs = (double)(wall - wall0) / 1e9;
    double want = 100.0 * 0.3 / secs, slack = 100.0 * 3.0 / (double)ps.ticks_per_s / secs;
    check(s.cpu_pct > want - slack && s.cpu_pct < want + slack, "CPU %.1f%%, expected %.1f%% +- %.1f",
          s.cpu_pct, want, slack);
    check(s.rss_bytes > 100 * 1024 && s.os_threads >= 1, "memory and threads");
    struct procstat gone;
    procstat_init(&gone, 0x3ffffff0, now_ns());    /* above any pid_max */
    check(procstat_read(&gone, now_ns(), &s) == ERR_NO_PROCESS, "no such process");
}

int main(void)
{
    test_parse_stat();
    test_parse_statm();
    test_self();
    return check_report("procstat");
}
