/* SPDX-License-Identifier: MIT */
/* Unit tests of the native capture: the perf sample decoder on built
 * records (every truncation refused), then both ways of capture on a real
 * child burning CPU in two threads: samples arrive for each thread, the
 * stack pointer lies in the thread's stack, the instruction pointer in an
 * executable mapping, the stack copy is not empty, each take's sample is
 * newer than the last; perf leaves TracerPid 0, ptrace leaves the child
 * running and untraced. */
#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "error.h"
#include "maps.h"
#include "ncapture.h"
#include "taskstat.h"

#define DEADLINE_NS 20000000000ULL      /* polls give up after 20 s (a loaded machine) */
#define WANT_SAMPLES 5

/* ---- the decoder ---- */

static size_t put(uint8_t *b, size_t off, const void *v, size_t n)
{
    memcpy(b + off, v, n);
    return off + n;
}

/* A sample record as the capture's events write it (after the header). */
static size_t build(uint8_t *b, uint64_t abi, uint64_t size, uint64_t dyn, size_t stack_bytes)
{
    uint32_t ids[2] = {100, 101};
    uint64_t t = 123456789, regs[NREG_COUNT];
    for (int i = 0; i < NREG_COUNT; i++)
        regs[i] = 0x1000 + (uint64_t)i;
    size_t off = put(b, 0, ids, sizeof ids);
    off = put(b, off, &t, 8);
    off = put(b, off, &abi, 8);
    if (abi != PERF_SAMPLE_REGS_ABI_NONE)
        off = put(b, off, regs, sizeof regs);
    off = put(b, off, &size, 8);
    if (size) {
        for (size_t i = 0; i < stack_bytes; i++)
            b[off + i] = (uint8_t)i;
        off += stack_bytes;
        off = put(b, off, &dyn, 8);
    }
    return off;
}

static void test_decode(void)
{
    static uint8_t b[NSAMPLE_STACK_MAX + 512];
    struct nsample s;
    size_t n = build(b, PERF_SAMPLE_REGS_ABI_64, 256, 200, 256);
    CHECK(ncapture_decode(b, n, &s) == 0);
    CHECK(s.pid == 100 && s.tid == 101 && s.time_ns == 123456789);
    CHECK(s.regs[NREG_RAX] == 0x1000 && s.regs[NREG_RIP] == 0x1000 + NREG_RIP &&
          s.regs[NREG_R15] == 0x1000 + NREG_R15);
    CHECK(s.stack_len == 200 && s.stack == b + 8 + 8 + 8 + 8 * NREG_COUNT + 8 && s.stack[5] == 5);
    int refused = 0;
    for (size_t cut = 0; cut < n; cut++)
        refused += ncapture_decode(b, cut, &s) == ERR_CORRUPT;
    CHECK_EQ(refused, n);
    n = build(b, PERF_SAMPLE_REGS_ABI_64, 256, 257, 256);
    CHECK(ncapture_decode(b, n, &s) == ERR_CORRUPT);            /* dyn_size beyond the copy */
    n = build(b, PERF_SAMPLE_REGS_ABI_64, 1u << 20, 8, 256);
    CHECK(ncapture_decode(b, n, &s) == ERR_CORRUPT);            /* size beyond the record */
    n = build(b, PERF_SAMPLE_REGS_ABI_64, 0, 0, 0);
    CHECK(ncapture_decode(b, n, &s) == 0 && s.stack_len == 0);  /* no stack copied */
    n = build(b, PERF_SAMPLE_REGS_ABI_NONE, 0, 0, 0);
    CHECK(ncapture_decode(b, n, &s) == ERR_CORRUPT);            /* no user registers */
    n = build(b, PERF_SAMPLE_REGS_ABI_32, 0, 0, 0);
    CHECK(ncapture_decode(b, n, &s) == ERR_CORRUPT);
    n = build(b, PERF_SAMPLE_REGS_ABI_64, NSAMPLE_STACK_MAX + 64, NSAMPLE_STACK_MAX + 64,
              NSAMPLE_STACK_MAX + 64);
    CHECK(ncapture_decode(b, n, &s) == 0 && s.stack_len == NSAMPLE_STACK_MAX);
    CHECK(ncapture_decode(NULL, 0, &s) == ERR_CORRUPT);
}

/* ---- a child burning CPU in two threads ---- */

static volatile unsigned long sink;

static unsigned long burn(int depth)
{
    unsigned long x = (unsigned long)depth;
    if (depth > 0)
        return burn(depth - 1) * 31 + x;
    for (int i = 0; i < 100000; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x;
}

static void *burn_forever(void *arg)
{
    (void)arg;
    for (;;)
        sink += burn(20);
    return NULL;
}

static pid_t start_child(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t th;
        pthread_create(&th, NULL, burn_forever, NULL);
        burn_forever(NULL);
        _exit(0);
    }
    return pid;
}

static void stop_child(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* The child's threads: its own tid first, then the other one (0 until it exists). */
static void child_tids(pid_t pid, uint32_t tid[2])
{
    char path[64];
    tid[0] = (uint32_t)pid;
    tid[1] = 0;
    uint64_t end = clock_now_ns() + DEADLINE_NS;
    while (tid[1] == 0 && clock_now_ns() < end) {
        for (unsigned t = (unsigned)pid + 1; t < (unsigned)pid + 4096 && tid[1] == 0; t++) {
            snprintf(path, sizeof path, "/proc/%d/task/%u", (int)pid, t);
            if (access(path, F_OK) == 0)
                tid[1] = t;
        }
        if (tid[1] == 0)
            clock_sleep_ns(10000000);
    }
}

/* A field of /proc/PID/status ("TracerPid"), or -1. */
static long status_field(pid_t pid, const char *name)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    size_t len = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, name, len) == 0 && line[len] == ':')
            v = strtol(line + len + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static const struct map_entry *map_of(const struct maps *m, uint64_t addr)
{
    for (size_t i = 0; i < m->n; i++)
        if (addr >= m->v[i].start && addr < m->v[i].end)
            return &m->v[i];
    return NULL;
}

struct seen {
    int samples[2];
    int sp_in_stack[2];           /* sp inside the main thread's [stack], the other's rw map */
    int ip_exec[2];
    int stack_copied[2];
};

static void check_sample(pid_t pid, const struct nsample *s, int which, struct seen *seen)
{
    struct maps m;
    if (maps_read(pid, &m) != 0)
        return;
    const struct map_entry *sp = map_of(&m, s->regs[NREG_RSP]);
    const struct map_entry *ip = map_of(&m, s->regs[NREG_RIP]);
    seen->samples[which]++;
    seen->sp_in_stack[which] += sp && (which == 0 ? strcmp(sp->path, "[stack]") == 0
                                                  : sp->perms[0] == 'r' && sp->perms[1] == 'w');
    seen->ip_exec[which] += ip && ip->perms[2] == 'x';
    seen->stack_copied[which] += s->stack_len > 0 && s->stack_len <= NSAMPLE_STACK_MAX &&
                                 s->stack != NULL && s->pid == (uint32_t)pid;
    maps_free(&m);
}

static void check_seen(const struct seen *seen, const char *how)
{
    for (int i = 0; i < 2; i++) {
        CHECKF(seen->samples[i] >= WANT_SAMPLES, "%s thread %d: %d samples", how, i,
               seen->samples[i]);
        CHECKF(seen->sp_in_stack[i] == seen->samples[i], "%s thread %d: sp in its stack %d of %d",
               how, i, seen->sp_in_stack[i], seen->samples[i]);
        CHECKF(seen->ip_exec[i] == seen->samples[i], "%s thread %d: ip executable %d of %d", how,
               i, seen->ip_exec[i], seen->samples[i]);
        CHECKF(seen->stack_copied[i] == seen->samples[i], "%s thread %d: stack copied %d of %d",
               how, i, seen->stack_copied[i], seen->samples[i]);
    }
}

/* Perf: samples of both threads, TracerPid 0 throughout; a thread taken
 * rarely has superseded samples; a dropped thread has none. */
static void test_perf(void)
{
    pid_t pid = start_child();
    uint32_t tid[2];
    child_tids(pid, tid);
    struct ncapture *c = NULL;
    int rc = ncapture_new((uint32_t)pid, NCAPTURE_PERF, 200, &c);
    if (rc == ERR_PERM || rc == ERR_UNSUPPORTED) {
        printf("SKIP perf capture: %s\n", err_str(rc));
        stop_child(pid);
        return;
    }
    CHECKF(rc == 0 && tid[1] != 0, "perf capture: %s, second thread %u", err_str(rc), tid[1]);
    if (rc != 0) {
        stop_child(pid);
        return;
    }
    CHECK(ncapture_add_thread(c, tid[0]) == 0 && ncapture_add_thread(c, tid[1]) == 0);
    CHECK(ncapture_add_thread(c, tid[0]) == 0);                 /* again: a no-op */
    struct seen seen;
    memset(&seen, 0, sizeof seen);
    int traced = 0, older = 0;
    uint64_t end = clock_now_ns() + DEADLINE_NS, last[2] = {0, 0};
    while ((seen.samples[0] < WANT_SAMPLES || seen.samples[1] < WANT_SAMPLES) &&
           clock_now_ns() < end) {
        clock_sleep_ns(10000000);
        for (int i = 0; i < 2; i++) {
            struct nsample s;
            rc = ncapture_take(c, tid[i], &s);
            CHECKF(rc >= 0, "take: %s", err_str(rc));
            if (rc == 1) {
                CHECK(s.tid == tid[i]);
                older += s.time_ns <= last[i] || s.time_ns > clock_now_ns();
                last[i] = s.time_ns;
                check_sample(pid, &s, i, &seen);
            }
        }
        traced += status_field(pid, "TracerPid") != 0;
    }
    check_seen(&seen, "perf");
    CHECK_EQ(traced, 0);
    CHECK_EQ(older, 0);         /* each take: a sample newer than the last one, not from the future */
    /* Taken every 100 ms at 200 Hz, while it runs: superseded samples. */
    struct ncapture_stats st;
    end = clock_now_ns() + DEADLINE_NS;
    do {
        clock_sleep_ns(100000000);
        struct nsample s;
        ncapture_take(c, tid[0], &s);
        ncapture_stats(c, &st);
    } while (st.superseded + st.lost == 0 && clock_now_ns() < end);
    CHECKF(st.superseded + st.lost > 0, "superseded %llu lost %llu",
           (unsigned long long)st.superseded, (unsigned long long)st.lost);
    CHECK(st.samples >= 2 * WANT_SAMPLES && st.malformed == 0 && st.stops == 0);
    ncapture_drop_thread(c, tid[1]);
    struct nsample s;
    CHECK(ncapture_take(c, tid[1], &s) == 0);
    ncapture_free(c);
    stop_child(pid);
}

/* ptrace: a sample per take, the child untraced between takes, running
 * (not stopped) after the capture is freed. */
static void test_ptrace(void)
{
    pid_t pid = start_child();
    uint32_t tid[2];
    child_tids(pid, tid);
    struct ncapture *c = NULL;
    int rc = ncapture_new((uint32_t)pid, NCAPTURE_PTRACE, 100, &c);
    if (rc == ERR_PERM) {
        printf("SKIP ptrace capture: %s\n", err_str(rc));
        stop_child(pid);
        return;
    }
    CHECKF(rc == 0 && tid[1] != 0, "ptrace capture: %s, second thread %u", err_str(rc), tid[1]);
    if (rc != 0) {
        stop_child(pid);
        return;
    }
    CHECK(ncapture_add_thread(c, tid[0]) == 0 && ncapture_add_thread(c, tid[1]) == 0);
    struct seen seen;
    memset(&seen, 0, sizeof seen);
    int traced = 0, fails = 0;
    for (int round = 0; round < 2 * WANT_SAMPLES; round++) {
        for (int i = 0; i < 2; i++) {
            struct nsample s;
            rc = ncapture_take(c, tid[i], &s);
            fails += rc < 0;
            if (rc == 1)
                check_sample(pid, &s, i, &seen);
        }
        traced += status_field(pid, "TracerPid") != 0;
        clock_sleep_ns(5000000);
    }
    CHECK_EQ(fails, 0);
    check_seen(&seen, "ptrace");
    CHECK_EQ(traced, 0);
    struct ncapture_stats st;
    ncapture_stats(c, &st);
    CHECK(st.stops >= st.samples && st.samples == (uint64_t)(seen.samples[0] + seen.samples[1]));
    ncapture_free(c);
    char state[2];
    for (int i = 0; i < 2; i++) {
        char path[64], line[512];
        snprintf(path, sizeof path, "/proc/%d/task/%u/stat", (int)pid, tid[i]);
        FILE *f = fopen(path, "r");
        char *p = f && fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
        state[i] = p && p[1] == ' ' ? p[2] : '?';
        if (f)
            fclose(f);
        CHECKF(state[i] == 'R' || state[i] == 'S', "thread %d state %c after free", i, state[i]);
    }
    CHECK_EQ(status_field(pid, "TracerPid"), 0);
    stop_child(pid);
}

/* Errors: no such process; a thread that ended. */
static void test_errors(void)
{
    struct ncapture *c = NULL;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    CHECK(ncapture_new((uint32_t)pid, NCAPTURE_PERF, 100, &c) == ERR_NO_PROCESS);
    CHECK(ncapture_new((uint32_t)pid, NCAPTURE_PTRACE, 100, &c) == ERR_NO_PROCESS);
    if (ncapture_new((uint32_t)getpid(), NCAPTURE_PERF, 100, &c) == 0) {
        CHECK(ncapture_add_thread(c, (uint32_t)pid) == ERR_NO_PROCESS);
        ncapture_free(c);
    }
}

int main(void)
{
    test_decode();
    test_errors();
    test_perf();
    test_ptrace();
    return check_report("ncapture");
}
