/* SPDX-License-Identifier: MIT */
/* Unit tests of taskstat_on_cpu() on this process's own threads: the
 * calling thread is on a CPU and a blocked thread is not; two spinning
 * threads pinned to one CPU are both runnable (state R, what --cpu used to
 * count) but never both on it; and a thread that the caller's own wake-up
 * pushed off its CPU counts as running. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cpuswitch.h"
#include "error.h"
#include "taskstat.h"

#define READS 2000

struct spinner {
    pthread_t thread;
    int cpu;
    atomic_int tid;
};

static atomic_int stop;
static atomic_int blocked_tid;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static pid_t my_tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static int pin(int cpu)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof one, &one);
}

static void pin_all(const cpu_set_t *all)
{
    sched_setaffinity(0, sizeof *all, all);
}

static void *spin(void *arg)
{
    struct spinner *sp = arg;
    pin(sp->cpu);
    atomic_store(&sp->tid, my_tid());
    while (!atomic_load(&stop))
        ;
    return NULL;
}

static void *block(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    atomic_store(&blocked_tid, my_tid());
    while (!atomic_load(&stop))
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* The switch records, in the second pass (NULL in the first). */
static struct cpuswitch *sw_records;

/* A new round, as the sampler starts one: the records read first. */
static void new_round(struct taskstat *ts)
{
    if (sw_records)
        cpuswitch_poll(sw_records);
    taskstat_round(ts);
}

static void start_spinner(struct spinner *sp, int cpu)
{
    sp->cpu = cpu;
    pthread_create(&sp->thread, NULL, spin, sp);
    while (!atomic_load(&sp->tid))
        sched_yield();
}

/* State letter and run time (ns) of thread tid of this process. */
static char state_of(pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

static uint64_t run_ns(pid_t tid)
{
    char path[64];
    unsigned long long run = 0;
    snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", (int)tid);
    FILE *f = fopen(path, "re");
    if (f) {
        if (fscanf(f, "%llu", &run) != 1)
            run = 0;
        fclose(f);
    }
    return run;
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Two spinners share CPU x; we read from CPU y. */
static void test_one_cpu_two_spinners(struct taskstat *ts, int x, int y)
{
    struct spinner a = {0}, b = {0};
    start_spinner(&a, x);
    start_spinner(&b, x);
    pin(y);
    int both = 0, one = 0, r_both = 0, r_looks = 0, i = 0;
    /* READS reads, and more until one of them found a spinner running (on
     * a loaded machine CPU x may run others' work for the whole of READS
     * reads), up to a deadline */
    uint64_t deadline = now_ns() + 20000000000ULL;
    for (; i < READS || (one == 0 && now_ns() < deadline); i++) {
        new_round(ts);
        int on_a = taskstat_on_cpu(ts, atomic_load(&a.tid)) == 1;
        int on_b = taskstat_on_cpu(ts, atomic_load(&b.tid)) == 1;
        both += on_a && on_b;
        one += on_a || on_b;
        if (i % 100 == 0) {
            r_looks++;
            r_both += state_of(atomic_load(&a.tid)) == 'R' && state_of(atomic_load(&b.tid)) == 'R';
        }
        if (i >= READS)
            usleep(1000);
    }
    /* One CPU runs one thread. The two threads' files are read one after the
     * other, so a context switch between the two reads (CFS slices last
     * milliseconds, the reads microseconds apart) can show both, rarely;
     * the R state shows both in every read (r_both below). */
    CHECK(both <= i / 100);
    CHECK(one > 0);                    /* and it does run them */
    CHECK_EQ(r_both, r_looks);         /* while both are R all along */
    atomic_store(&stop, 1);
    pthread_join(a.thread, NULL);
    pthread_join(b.thread, NULL);
    atomic_store(&stop, 0);
}

/* A spinner on our CPU: each time we wake up (as the sampler does) we take
 * the CPU from whatever ran there, often the spinner, which then counts as
 * running. Without the sched file (no CONFIG_SCHED_DEBUG) it never does. */
/* One measurement: the share of reads that saw the spinner on CPU, and
 * the share of the time it really ran. */
static void displaced_once(struct taskstat *ts, pid_t tid, double *seen, double *truth)
{
    uint64_t run0 = run_ns(tid), t0 = now_ns();
    int on = 0;
    for (int i = 0; i < READS; i++) {
        usleep(500);
        new_round(ts);
        on += taskstat_on_cpu(ts, tid) == 1;
    }
    *truth = (double)(run_ns(tid) - run0) / (double)(now_ns() - t0);
    *seen = (double)on / READS;
}

static void test_displaced_by_us(struct taskstat *ts, int x)
{
    struct spinner c = {0};
    start_spinner(&c, x);
    pin(x);
    pid_t tid = atomic_load(&c.tid);
    double seen = 0, truth = 0;
    if (sw_records || access("/proc/thread-self/sched", R_OK) == 0) {
        /* Other processes on this CPU (a busy CI machine) take turns with
         * the spinner, and our wake-up then displaces them instead: measure
         * again, up to 5 times, until one window shows the property. */
        for (int attempt = 0; attempt < 5; attempt++) {
            displaced_once(ts, tid, &seen, &truth);
            CHECK(seen <= 1.0);
            if (seen >= 0.5 * truth)
                break;
        }
        CHECK(seen >= 0.5 * truth);
        printf("displaced spinner: on CPU in %.1f%% of reads, ran %.1f%% of the time\n",
               100 * seen, 100 * truth);
    } else {
        displaced_once(ts, tid, &seen, &truth);
        CHECK(seen <= 1.0);
        printf("no /proc/thread-self/sched: displacement not detected\n");
    }
    atomic_store(&stop, 1);
    pthread_join(c.thread, NULL);
    atomic_store(&stop, 0);
}

static void test_self_blocked_gone(struct taskstat *ts)
{
    pthread_t bl;
    struct spinner sp = {0};
    pthread_create(&bl, NULL, block, NULL);
    start_spinner(&sp, sched_getcpu() >= 0 ? sched_getcpu() : 0);
    while (!atomic_load(&blocked_tid))
        sched_yield();
    int self_on = 0, blocked_on = 0;
    struct rusage r0, r1;
    getrusage(RUSAGE_THREAD, &r0);
    for (int i = 0; i < READS; i++) {
        new_round(ts);
        self_on += taskstat_on_cpu(ts, my_tid()) == 1;
        blocked_on += taskstat_on_cpu(ts, atomic_load(&blocked_tid)) != 0;
    }
    getrusage(RUSAGE_THREAD, &r1);
    /* We run while we read: every read says so, but one during which we
     * were switched off the CPU may say "off" (taskstat.h: a switch between
     * its two reads can only make the answer "off"), so each miss must have
     * a context switch of ours to explain it (a busy machine preempts us). */
    long switches = (r1.ru_nivcsw - r0.ru_nivcsw) + (r1.ru_nvcsw - r0.ru_nvcsw);
    CHECKF(READS - self_on <= switches, "%d of %d reads of ourselves said off, with %ld switches",
           READS - self_on, READS, switches);
    CHECK_EQ(blocked_on, 0);           /* blocked on a condition variable */
    CHECK_EQ(taskstat_on_cpu(ts, 0), ERR_READ);
    CHECK_EQ(taskstat_on_cpu(ts, 0x3fffffff), ERR_EXITED); /* no such thread */
    CHECK_EQ(taskstat_on_cpu(ts, getppid()), ERR_EXITED);  /* another process's */
    atomic_store(&stop, 1);
    pthread_mutex_lock(&mu);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(bl, NULL);
    pthread_join(sp.thread, NULL);
    /* Gone: pthread_join() returns when the thread clears its tid, a
     * moment before the kernel releases it; wait up to 2 s (the first
     * look after it ended may fail to read the files it kept open). */
    int gone = 0;
    for (int i = 0; i < 2000 && !gone; i++) {
        new_round(ts);
        gone = taskstat_on_cpu(ts, atomic_load(&sp.tid)) == ERR_EXITED;
        if (!gone)
            usleep(1000);
    }
    CHECK(gone);
    atomic_store(&stop, 0);
}

/* A thread that was seen asleep, then looks at itself: it runs. The
 * kernel's syscall file of the reading thread itself names the system
 * call it is in (the read), as a sleeper's does; taken for a sleeper, the
 * answer stayed "off" look after look. */
struct self_look {
    struct taskstat *ts;
    atomic_int tid, go;
    int looks, on;
    long switches;
};

static void *look_at_self(void *arg)
{
    struct self_look *sl = arg;
    pthread_mutex_lock(&mu);
    atomic_store(&sl->tid, my_tid());
    while (!atomic_load(&sl->go))
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    struct rusage r0, r1;
    getrusage(RUSAGE_THREAD, &r0);
    for (sl->looks = 0; sl->looks < 200; sl->looks++) {
        new_round(sl->ts);
        sl->on += taskstat_on_cpu(sl->ts, my_tid()) == 1;
    }
    getrusage(RUSAGE_THREAD, &r1);
    sl->switches = (r1.ru_nivcsw - r0.ru_nivcsw) + (r1.ru_nvcsw - r0.ru_nvcsw);
    return NULL;
}

static void test_self_after_sleep(struct taskstat *ts)
{
    struct self_look sl = {.ts = ts};
    pthread_t th;
    pthread_create(&th, NULL, look_at_self, &sl);
    while (!atomic_load(&sl.tid))
        sched_yield();
    /* asleep in pthread_cond_wait (it holds the mutex until then) */
    pthread_mutex_lock(&mu);
    pthread_mutex_unlock(&mu);
    int asleep = 0;
    for (int i = 0; i < 200 && !asleep; i++) {
        new_round(ts);
        asleep = taskstat_on_cpu(ts, atomic_load(&sl.tid)) == 0;
        if (!asleep)
            usleep(1000);
    }
    CHECK(asleep);
    pthread_mutex_lock(&mu);
    atomic_store(&sl.go, 1);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(th, NULL);
    CHECKF(sl.looks - sl.on <= sl.switches, "%d of %d looks at itself said off, with %ld switches",
           sl.looks - sl.on, sl.looks, sl.switches);
}

int main(void)
{
    cpu_set_t all;
    if (sched_getaffinity(0, sizeof all, &all) != 0 || CPU_COUNT(&all) < 2) {
        printf("test_taskstat: needs two CPUs, skipped\n");
        return 77;
    }
    int x = -1, y = -1;
    for (int c = 0; c < CPU_SETSIZE && y < 0; c++)
        if (CPU_ISSET(c, &all)) {
            if (x < 0)
                x = c;
            else
                y = c;
        }
    /* From /proc, then from the kernel's switch records where they may be
     * had (root, or perf_event_paranoid <= 0): the same answers. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            int rc = cpuswitch_open(&sw_records);
            if (rc < 0) {
                printf("test_taskstat: no context-switch records (%s): /proc only\n", err_str(rc));
                break;
            }
        }
        check_context("%s", pass ? "switch records" : "/proc");
        pin_all(&all);
        struct taskstat *ts = taskstat_new(getpid());
        CHECK(ts != NULL);
        taskstat_use_switches(ts, sw_records);
        test_one_cpu_two_spinners(ts, x, y);
        test_displaced_by_us(ts, x);
        test_self_blocked_gone(ts);
        test_self_after_sleep(ts);
        taskstat_free(ts);
        if (sw_records) {                  /* and the answers came from them */
            struct cpuswitch_stats st;
            cpuswitch_stats(sw_records, &st);
            CHECK(st.records > 0);
        }
    }
    cpuswitch_free(sw_records);
    return check_report("test_taskstat");
}
