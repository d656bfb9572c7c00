/* SPDX-License-Identifier: MIT */
/* What --native's perf events cost the thread they sample, measured in
 * one process so that the machine's other load cancels out: a worker
 * thread compresses with zlib in pieces of about two milliseconds while
 * the main thread enables and disables, every PHASE_MS, a perf event on
 * it made as --native makes its events (src/capture/perfring.c: software
 * task-clock, the user registers and NSAMPLE_STACK_MAX bytes of the user
 * stack per sample, written backward into a 32-page ring mapped read-only,
 * exclude_kernel), but with a fixed period of 1/HZ of a CPU second instead
 * of a frequency, so that the number of samples is known. Each piece's
 * thread CPU time counts for the phase it ran in wholly; the medians of
 * the pieces with and without the event give the worker's slowdown, and
 * that over HZ its CPU per perf sample. Not a test. Run:
 *   build/bench/perf_cost [SECONDS [HZ]]   (default 10 s, 1000 Hz: the
 * perf rate of --native at 100 Hz; 4000 is that of 1 kHz) */
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <zlib.h>

#include "benchlib.h"
#include "nsample.h"

#define PHASE_MS 50
#define PIECES_MAX 400000
#define BLOCK (34 * 1024)
#define RING_PAGES 32
#define REGS_MASK (0x1ffull | (0xffull << 16))   /* as perfring.c */

static atomic_uint phase = 2;        /* 4 k + 1: sampled, 4 k: not, 4 k + 2: switching */
static atomic_int stop;
static atomic_uint worker_tid;
static double on[PIECES_MAX], off[PIECES_MAX];
static size_t non, noff;
static unsigned char in[BLOCK], out[BLOCK + 1024];

static void piece(unsigned i)
{
    for (int k = 0; k < 10; k++) {
        uLongf len = sizeof out;
        in[(i * 7 + (unsigned)k) % BLOCK] ^= 1;
        if (compress2(out, &len, in, BLOCK, 6) != Z_OK)
            abort();
    }
}

static void *worker(void *arg)
{
    (void)arg;
    atomic_store(&worker_tid, (unsigned)syscall(SYS_gettid));
    for (unsigned i = 0; !atomic_load(&stop); i++) {
        unsigned p0 = atomic_load(&phase);
        double t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
        piece(i);
        double t = bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0;
        if (atomic_load(&phase) != p0 || (p0 & 2))
            continue;                          /* across a switch */
        if ((p0 & 1) && non < PIECES_MAX)
            on[non++] = t;
        else if (!(p0 & 1) && noff < PIECES_MAX)
            off[noff++] = t;
    }
    return NULL;
}

/* The event on thread tid, disabled, with its ring mapped; fd or -1. */
static int open_event(uint32_t tid, unsigned hz)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_TASK_CLOCK;
    a.sample_period = 1000000000ull / hz;          /* ns of the thread's CPU time */
    a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_REGS_USER |
                    PERF_SAMPLE_STACK_USER;
    a.sample_regs_user = REGS_MASK;
    a.sample_stack_user = NSAMPLE_STACK_MAX;
    a.write_backward = 1;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    a.disabled = 1;
    a.use_clockid = 1;
    a.clockid = CLOCK_MONOTONIC;
    long fd = syscall(SYS_perf_event_open, &a, (pid_t)tid, -1, -1, 0UL);
    if (fd < 0)
        return -1;
    long page = sysconf(_SC_PAGESIZE);
    if (mmap(NULL, (size_t)page * (1 + RING_PAGES), PROT_READ, MAP_SHARED, (int)fd, 0) == MAP_FAILED) {
        close((int)fd);
        return -1;
    }
    return (int)fd;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp);
    return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0.0;
}

/* Sampled and not in turn for `seconds` (which comes first alternates). */
static void alternate(int fd, double seconds)
{
    long phases = (long)(seconds * 1000.0 / PHASE_MS);
    for (long k = 0; k < phases; k++) {
        unsigned sampled = (unsigned)((k ^ (k >> 1)) & 1);   /* 0 1 1 0 0 1 1 0 ... */
        if (sampled)
            ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
        atomic_store(&phase, 4u * (unsigned)k + sampled);
        sleep_ms(PHASE_MS);
        atomic_store(&phase, 4u * (unsigned)k + 2);
        if (sampled)
            ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    }
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 10.0;
    int hz = argc > 2 ? atoi(argv[2]) : 1000;
    if (seconds <= 0 || hz <= 0) {
        fprintf(stderr, "usage: perf_cost [SECONDS [HZ]]\n");
        return 2;
    }
    for (size_t i = 0; i < BLOCK; i++)
        in[i] = i % 251 < 64 ? (unsigned char)bench_rnd(256) : (unsigned char)"the quick brown fox "[i % 20];
    pthread_t th;
    if (pthread_create(&th, NULL, worker, NULL) != 0)
        return 1;
    while (!atomic_load(&worker_tid))
        sleep_ms(1);
    int fd = open_event(atomic_load(&worker_tid), (unsigned)hz);
    if (fd >= 0)
        alternate(fd, seconds);
    atomic_store(&stop, 1);
    pthread_join(th, NULL);
    if (fd < 0 || !non || !noff) {
        fprintf(stderr, "perf_cost: %s\n", fd < 0 ? "no perf event here (perf_event_paranoid?)"
                                                  : "no piece was measured");
        return 1;
    }
    double a = median(off, noff), b = median(on, non);
    printf("piece not sampled (median of %zu): %.2f us\n", noff, 1e6 * a);
    printf("piece sampled at %d Hz (median of %zu): %.2f us\n", hz, non, 1e6 * b);
    printf("worker CPU per perf sample: %.2f us\n", 1e6 * (b / a - 1.0) / hz);
    printf("worker slowdown at %d Hz: %.2f %%\n", hz, 100.0 * (b / a - 1.0));
    return 0;
}
