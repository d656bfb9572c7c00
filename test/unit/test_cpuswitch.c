/* SPDX-License-Identifier: MIT */
/* Unit tests of the context-switch tracker on made-up records (the
 * kernel's layouts, as one CPU-wide event with sample_id_all, TID, TIME
 * and CPU writes them): seeds, switches on and off, a record older than
 * what a thread has (read late from another CPU's ring), the sampling
 * thread's wake-up pushing a thread off, exits, lost records, and
 * records that do not decode. The live side is in test_taskstat. */
#include <linux/perf_event.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "cpuswitch.h"
#include "error.h"

#define SELF 50

struct rec {
    uint8_t b[64];
    size_t len;
};

static void put32(struct rec *r, uint32_t v)
{
    memcpy(r->b + r->len, &v, 4);
    r->len += 4;
}

static void put64(struct rec *r, uint64_t v)
{
    memcpy(r->b + r->len, &v, 8);
    r->len += 8;
}

static void header(struct rec *r, uint32_t type, uint16_t misc)
{
    struct perf_event_header h = {.type = type, .misc = misc};
    memcpy(r->b, &h, sizeof h);
    r->len = sizeof h;
}

static void finish(struct rec *r, uint32_t tid, uint64_t time)
{
    put32(r, tid);                     /* sample id: pid, tid, time, cpu, res */
    put32(r, tid);
    put64(r, time);
    put64(r, 0);
    uint16_t size = (uint16_t)r->len;
    memcpy(r->b + offsetof(struct perf_event_header, size), &size, 2);
}

/* A switch of tid on (out 0) or off (out 1) a CPU; other: the task
 * coming on (out) or that went off (in). */
static int feed_switch(struct cpuswitch *cs, uint32_t tid, int out, int preempt, uint32_t other,
                       uint64_t time)
{
    struct rec r;
    header(&r, PERF_RECORD_SWITCH_CPU_WIDE,
           (uint16_t)((out ? PERF_RECORD_MISC_SWITCH_OUT : 0) | (preempt ? 1 << 14 : 0)));
    put32(&r, other);
    put32(&r, other);
    finish(&r, tid, time);
    return cpuswitch_feed(cs, r.b, r.len, SELF);
}

static struct cpuswitch_thread state(struct cpuswitch *cs, pid_t tid, int *known)
{
    struct cpuswitch_thread t;
    memset(&t, 0xff, sizeof t);
    *known = cpuswitch_state(cs, tid, &t);
    return t;
}

static void test_switches(void)
{
    struct cpuswitch *cs = cpuswitch_new_detached(2);
    CHECK(cs != NULL);
    int known;
    state(cs, 100, &known);
    CHECK_EQ(known, 0);                            /* never seeded */
    CHECK_EQ(feed_switch(cs, 100, 0, 0, 7, 500), 0);
    state(cs, 100, &known);
    CHECK_EQ(known, 0);                            /* records of a thread not watched: nothing */

    cpuswitch_seed(cs, 100, 0, 1000);
    struct cpuswitch_thread t = state(cs, 100, &known);
    CHECK_EQ(known, 1);
    CHECK_EQ(t.on, 0);
    CHECK_EQ(t.displaced, 0);
    CHECK_EQ(t.gone, 0);
    CHECK_EQ(t.since, 1000);
    uint64_t moves = t.moves;

    feed_switch(cs, 100, 0, 0, 7, 900);            /* before the seed: the reading had it */
    t = state(cs, 100, &known);
    CHECK_EQ(t.on, 0);
    CHECK_EQ(t.moves, moves);

    feed_switch(cs, 100, 0, 0, 7, 2000);           /* on */
    t = state(cs, 100, &known);
    CHECK_EQ(t.on, 1);
    CHECK_EQ(t.since, 2000);
    CHECK(t.moves != moves);
    moves = t.moves;

    feed_switch(cs, 100, 1, 0, 7, 1500);           /* older, read late from another ring */
    t = state(cs, 100, &known);
    CHECK_EQ(t.on, 1);
    CHECK_EQ(t.moves, moves);

    /* the sampling thread's wake-up pushes it off: running until the look */
    feed_switch(cs, 100, 1, 1, SELF, 3000);
    feed_switch(cs, SELF, 0, 0, 100, 3001);
    t = state(cs, 100, &known);
    CHECK_EQ(t.on, 0);
    CHECK_EQ(t.displaced, 1);
    CHECK_EQ(t.since, 3000);
    /* the next wake-up finds it waiting still: off */
    feed_switch(cs, SELF, 1, 0, 0, 3500);
    feed_switch(cs, SELF, 0, 0, 0, 4000);
    t = state(cs, 100, &known);
    CHECK_EQ(t.displaced, 0);
    CHECK_EQ(t.on, 0);

    /* pushed off by another task, or going to sleep: not displaced */
    feed_switch(cs, 100, 0, 0, 0, 4100);
    feed_switch(cs, 100, 1, 1, 77, 4200);
    feed_switch(cs, 77, 0, 0, 100, 4201);
    t = state(cs, 100, &known);
    CHECK_EQ(t.displaced, 0);
    feed_switch(cs, 100, 0, 0, 0, 4300);
    feed_switch(cs, 100, 1, 0, SELF, 4400);        /* not preempted: it slept */
    feed_switch(cs, SELF, 0, 0, 100, 4401);
    t = state(cs, 100, &known);
    CHECK_EQ(t.displaced, 0);
    CHECK_EQ(t.on, 0);

    /* lost records: every thread unknown until seeded again */
    cpuswitch_seed(cs, 101, 1, 5000);
    struct rec r;
    header(&r, PERF_RECORD_LOST, 0);
    put64(&r, 0);
    put64(&r, 12);
    finish(&r, 0, 5100);
    CHECK_EQ(cpuswitch_feed(cs, r.b, r.len, SELF), 0);
    state(cs, 100, &known);
    CHECK_EQ(known, 0);
    state(cs, 101, &known);
    CHECK_EQ(known, 0);
    feed_switch(cs, 101, 1, 0, 0, 5200);           /* still unknown: not seeded since */
    state(cs, 101, &known);
    CHECK_EQ(known, 0);
    cpuswitch_seed(cs, 101, 1, 5300);
    t = state(cs, 101, &known);
    CHECK_EQ(known, 1);
    CHECK_EQ(t.on, 1);
    struct cpuswitch_stats st;
    cpuswitch_stats(cs, &st);
    CHECK_EQ(st.lost, 12);
    CHECK_EQ(st.resets, 1);

    /* an exit: gone, and no later switch (its last one) brings it back */
    header(&r, PERF_RECORD_EXIT, 0);
    put32(&r, 101);
    put32(&r, 1);
    put32(&r, 101);
    put32(&r, 1);
    put64(&r, 5400);
    finish(&r, 101, 5400);
    CHECK_EQ(cpuswitch_feed(cs, r.b, r.len, SELF), 0);
    feed_switch(cs, 101, 0, 0, 0, 5500);
    t = state(cs, 101, &known);
    CHECK_EQ(known, 1);
    CHECK_EQ(t.gone, 1);
    CHECK_EQ(t.on, 0);
    /* forgotten (taskstat closed it), then a new thread with its id */
    cpuswitch_forget(cs, 101);
    state(cs, 101, &known);
    CHECK_EQ(known, 0);
    cpuswitch_seed(cs, 101, 0, 6000);
    t = state(cs, 101, &known);
    CHECK_EQ(t.gone, 0);
    cpuswitch_free(cs);
}

static void test_malformed(void)
{
    struct cpuswitch *cs = cpuswitch_new_detached(1);
    cpuswitch_seed(cs, 100, 0, 1);
    struct rec r;
    CHECK_EQ(cpuswitch_feed(cs, NULL, 0, SELF), ERR_CORRUPT);
    header(&r, PERF_RECORD_SWITCH_CPU_WIDE, 0);
    CHECK_EQ(cpuswitch_feed(cs, r.b, 4, SELF), ERR_CORRUPT);         /* shorter than a header */
    put32(&r, 1);
    put32(&r, 1);
    finish(&r, 100, 10);
    CHECK_EQ(cpuswitch_feed(cs, r.b, r.len - 8, SELF), ERR_CORRUPT); /* size says more */
    /* a switch without its sample id */
    uint16_t size = 16;
    memcpy(r.b + offsetof(struct perf_event_header, size), &size, 2);
    CHECK_EQ(cpuswitch_feed(cs, r.b, 16, SELF), ERR_CORRUPT);
    header(&r, PERF_RECORD_LOST, 0);
    put32(&r, 1);
    size = (uint16_t)r.len;
    memcpy(r.b + offsetof(struct perf_event_header, size), &size, 2);
    CHECK_EQ(cpuswitch_feed(cs, r.b, r.len, SELF), ERR_CORRUPT);
    header(&r, PERF_RECORD_EXIT, 0);
    put32(&r, 100);
    size = (uint16_t)r.len;
    memcpy(r.b + offsetof(struct perf_event_header, size), &size, 2);
    CHECK_EQ(cpuswitch_feed(cs, r.b, r.len, SELF), ERR_CORRUPT);
    int known;
    struct cpuswitch_thread t = state(cs, 100, &known);
    CHECK_EQ(known, 1);                            /* none of them applied */
    CHECK_EQ(t.on, 0);
    CHECK_EQ(t.gone, 0);
    struct cpuswitch_stats st;
    cpuswitch_stats(cs, &st);
    CHECK_EQ(st.malformed, 6);
    CHECK_EQ(st.resets, 0);
    /* the idle task and other records are passed over */
    header(&r, PERF_RECORD_COMM, 0);
    put64(&r, 0);
    finish(&r, 100, 20);
    CHECK_EQ(cpuswitch_feed(cs, r.b, r.len, SELF), 0);
    CHECK_EQ(feed_switch(cs, 0, 0, 0, 100, 30), 0);
    cpuswitch_free(cs);
    CHECK(cpuswitch_new_detached(0) == NULL);
}

/* A fork (pid, ppid) or a comm record (pid; exec or not). */
static void feed_task(struct cpuswitch *cs, uint32_t type, uint16_t misc, uint32_t pid, uint32_t ppid)
{
    struct rec r;
    header(&r, type, misc);
    put32(&r, pid);
    put32(&r, type == PERF_RECORD_FORK ? ppid : pid);
    if (type == PERF_RECORD_FORK) {
        put32(&r, pid);
        put32(&r, ppid);
        put64(&r, 1);
    } else {
        put64(&r, 0x656d616e);             /* "name", NUL-padded */
    }
    finish(&r, pid, 1);
    CHECK_EQ(cpuswitch_feed(cs, r.b, r.len, SELF), 0);
}

static void test_family(void)
{
    struct cpuswitch *cs = cpuswitch_new_detached(1);
    pid_t family[] = {20, 10};
    cpuswitch_set_family(cs, family, 2);
    uint64_t e = cpuswitch_family_events(cs);
    feed_task(cs, PERF_RECORD_FORK, 0, 30, 10);           /* a new process of 10 */
    CHECK_EQ(cpuswitch_family_events(cs), e + 1);
    feed_task(cs, PERF_RECORD_FORK, 0, 20, 20);           /* a new thread of 20: no */
    feed_task(cs, PERF_RECORD_FORK, 0, 40, 99);           /* another family's */
    feed_task(cs, PERF_RECORD_COMM, 0, 20, 0);            /* a thread renamed */
    feed_task(cs, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC, 99, 0);
    CHECK_EQ(cpuswitch_family_events(cs), e + 1);
    feed_task(cs, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC, 20, 0);   /* 20 exec'd */
    CHECK_EQ(cpuswitch_family_events(cs), e + 2);
    struct rec r;                                          /* lost: maybe either */
    header(&r, PERF_RECORD_LOST, 0);
    put64(&r, 0);
    put64(&r, 1);
    finish(&r, 0, 2);
    cpuswitch_feed(cs, r.b, r.len, SELF);
    CHECK_EQ(cpuswitch_family_events(cs), e + 3);
    static pid_t many[2000];
    for (int i = 0; i < 2000; i++)
        many[i] = 1000 + i;
    cpuswitch_set_family(cs, many, 2000);                 /* more than it keeps: a change */
    CHECK(cpuswitch_family_events(cs) != e + 3);
    cpuswitch_free(cs);
}

/* An exit of thread tid of process pid. */
static void feed_exit(struct cpuswitch *cs, uint32_t pid, uint32_t tid)
{
    struct rec r;
    header(&r, PERF_RECORD_EXIT, 0);
    put32(&r, pid);
    put32(&r, 1);
    put32(&r, tid);
    put32(&r, 1);
    put64(&r, 5);
    finish(&r, tid, 5);
    CHECK_EQ(cpuswitch_feed(cs, r.b, r.len, SELF), 0);
}

static void test_thread_changes(void)
{
    struct cpuswitch *cs = cpuswitch_new_detached(1);
    uint64_t v = 0, w = 0;
    CHECK_EQ(cpuswitch_thread_changes(cs, 10, &v), 0);      /* not watched */
    CHECK_EQ(cpuswitch_watch_process(cs, 10), 0);
    CHECK_EQ(cpuswitch_watch_process(cs, 10), 0);           /* twice: the same */
    CHECK_EQ(cpuswitch_thread_changes(cs, 10, &v), 1);
    feed_task(cs, PERF_RECORD_FORK, 0, 10, 10);              /* a new thread of 10 */
    CHECK_EQ(cpuswitch_thread_changes(cs, 10, &w), 1);
    CHECK(w != v);
    v = w;
    feed_task(cs, PERF_RECORD_FORK, 0, 30, 10);              /* a new process: not a thread of 10 */
    feed_exit(cs, 99, 99);                                   /* another process's */
    feed_task(cs, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC, 10, 0);
    cpuswitch_thread_changes(cs, 10, &w);
    CHECK_EQ(w, v);
    feed_exit(cs, 10, 11);                                   /* a thread of 10 ended */
    cpuswitch_thread_changes(cs, 10, &w);
    CHECK(w != v);
    v = w;
    struct rec r;                                            /* lost: maybe one of them */
    header(&r, PERF_RECORD_LOST, 0);
    put64(&r, 0);
    put64(&r, 1);
    finish(&r, 0, 6);
    cpuswitch_feed(cs, r.b, r.len, SELF);
    cpuswitch_thread_changes(cs, 10, &w);
    CHECK(w != v);
    cpuswitch_forget_process(cs, 10);
    CHECK_EQ(cpuswitch_thread_changes(cs, 10, &v), 0);
    CHECK(cpuswitch_watch_process(cs, 0) < 0);
    cpuswitch_free(cs);
}

int main(void)
{
    test_thread_changes();
    test_family();
    test_switches();
    test_malformed();
    return check_report("test_cpuswitch");
}
