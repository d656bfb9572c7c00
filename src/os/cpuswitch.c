/* SPDX-License-Identifier: MIT */
/* Context-switch records from one CPU-wide perf event per CPU
 * (cpuswitch.h): the rings are read forward and handed back (data_tail),
 * each record applied to the thread it names when that thread is
 * watched. A record older than what a thread last had is passed over:
 * the rings are read one after the other, and a thread that moved from
 * one CPU to another has its newer switch in a ring read earlier. */
#include "cpuswitch.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "perfmap.h"

#ifndef PERF_RECORD_MISC_SWITCH_OUT_PREEMPT
#define PERF_RECORD_MISC_SWITCH_OUT_PREEMPT (1 << 14)   /* Linux 4.17 */
#endif

#define PROBE 8                      /* slots a thread may use */
#define FAMILY_MAX 1025              /* processes whose forks and execs are counted */
#define PROCS 512                    /* processes whose threads' births and ends are counted */
#define CPUS_MAX 4096
#define RECORD_MAX 256               /* the records read are 40 bytes; room for more fields */

/* Data pages of a CPU's ring (a power of two): a switch is two records
 * of 40 bytes, so 64 pages hold about 3,000 switches, 3 ms of a CPU
 * switching a million times a second. On a machine of many CPUs fewer,
 * so that all rings together stay within RINGS_PAGES (8 MiB of pinned
 * memory), at least RING_PAGES_MIN; a quarter as many when the kernel
 * refuses the mapping. */
#define RING_PAGES 64
#define RING_PAGES_MIN 8
#define RINGS_PAGES 2048

struct watched {
    pid_t tid;                       /* 0: free */
    int on;
    int gone;                        /* its exit was seen */
    uint64_t epoch;                  /* cs->epoch when seeded: known while equal */
    uint64_t at;                     /* time of the last switch applied, or of the seed */
    uint64_t moves;
    uint64_t displaced_wake;         /* the sampling thread's wake-up that pushed it off, 0 none */
};

struct ring {
    int fd;
    uint8_t *map;
    size_t len;
    const uint8_t *data;             /* the data area within map, size bytes (a power of two) */
    uint64_t size;
};

struct cpuswitch {
    int ncpus;
    struct ring *rings;              /* ncpus of them; NULL when detached */
    pid_t self;                      /* the polling thread */
    uint64_t self_wakes;             /* its switches on a CPU seen so far */
    uint64_t epoch;                  /* bumped when records were lost: all unknown again */
    pid_t family[FAMILY_MAX];        /* sorted */
    size_t nfamily;
    uint64_t family_events;          /* their forks of a process and execs, and losses */
    struct { pid_t pid; uint64_t changes; } procs[PROCS];   /* pid 0: free; PROBE slots each */
    struct cpuswitch_stats st;
    uint8_t rec[RECORD_MAX];
    struct watched slots[CPUSWITCH_THREADS];
};

/* Probe i of id in a table of size slots (a power of two). */
static unsigned slot_of(pid_t id, unsigned i, unsigned size)
{
    return ((unsigned)id * 2654435761u + i) & (size - 1);
}

static struct watched *find(struct cpuswitch *cs, pid_t tid)
{
    if (tid <= 0)
        return NULL;
    for (unsigned i = 0; i < PROBE; i++) {
        struct watched *w = &cs->slots[slot_of(tid, i, CPUSWITCH_THREADS)];
        if (w->tid == tid)
            return w;
    }
    return NULL;
}

struct cpuswitch *cpuswitch_new_detached(int ncpus)
{
    if (ncpus <= 0 || ncpus > CPUS_MAX)
        return NULL;
    struct cpuswitch *cs = calloc(1, sizeof *cs);
    if (!cs)
        return NULL;
    cs->ncpus = ncpus;
    cs->epoch = 1;
    return cs;
}

/* The data area of a ring just mapped (its place does not move): 0, or
 * ERR_UNSUPPORTED when the control page makes no sense. */
static int ring_area(struct ring *r, long page)
{
    const struct perf_event_mmap_page *ctl = (const struct perf_event_mmap_page *)r->map;
    uint64_t off = ctl->data_offset, size = ctl->data_size;
    if (off == 0) {                   /* kernels before 4.1: the data follow the first page */
        off = (uint64_t)page;
        size = r->len - (size_t)page;
    }
    if (size == 0 || (size & (size - 1)) || off > r->len || size > r->len - off)
        return ERR_UNSUPPORTED;
    r->data = r->map + off;
    r->size = size;
    return 0;
}

static int open_cpu(int cpu, unsigned pages, struct ring *r)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_DUMMY;
    a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
    a.sample_id_all = 1;
    a.context_switch = 1;
    a.task = 1;                      /* forks and exits: a thread that ended is not "off" */
    a.comm = 1;                      /* execs (comm_exec marks them), for cpuswitch_family_events */
    a.comm_exec = 1;
    a.use_clockid = 1;
    a.clockid = CLOCK_MONOTONIC;
    long fd = syscall(SYS_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
        switch (errno) {
        case EACCES: case EPERM: return ERR_PERM;
        case ENOMEM: return ERR_NOMEM;
        default: return ERR_UNSUPPORTED;   /* no perf events, no such field, an offline CPU */
        }
    }
    long page = perfmap_page_size();
    for (unsigned n = pages; n >= pages / 4 && n > 0; n /= 4) {
        size_t len = (size_t)page * (1 + n);
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
        if (m != MAP_FAILED) {
            *r = (struct ring){.fd = (int)fd, .map = m, .len = len};
            return ring_area(r, page);
        }
    }
    int rc = errno == EPERM ? ERR_PERM : ERR_NOMEM;
    close((int)fd);
    return rc;
}

int cpuswitch_open(struct cpuswitch **out)
{
    int n = get_nprocs_conf();
    struct cpuswitch *cs = cpuswitch_new_detached(n);
    if (!cs)
        return n > 0 && n <= CPUS_MAX ? ERR_NOMEM : ERR_UNSUPPORTED;
    cs->rings = calloc((size_t)n, sizeof *cs->rings);
    if (!cs->rings) {
        free(cs);
        return ERR_NOMEM;
    }
    for (int i = 0; i < n; i++)
        cs->rings[i].fd = -1;
    unsigned pages = RING_PAGES;
    while (pages > RING_PAGES_MIN && (unsigned)n * pages > RINGS_PAGES)
        pages /= 2;
    for (int i = 0; i < n; i++) {
        int rc = open_cpu(i, pages, &cs->rings[i]);
        if (rc < 0) {
            cpuswitch_free(cs);
            return rc;
        }
    }
    *out = cs;
    return 0;
}

void cpuswitch_free(struct cpuswitch *cs)
{
    if (!cs)
        return;
    for (int i = 0; cs->rings && i < cs->ncpus; i++) {
        if (cs->rings[i].map)
            munmap(cs->rings[i].map, cs->rings[i].len);
        if (cs->rings[i].fd >= 0)
            close(cs->rings[i].fd);
    }
    free(cs->rings);
    free(cs);
}

/* Every thread unknown until seeded again. */
static void reset(struct cpuswitch *cs)
{
    cs->epoch++;
    cs->family_events++;
    cs->st.resets++;
}

/* The slot of process pid among procs, or -1. */
static int proc_of(const struct cpuswitch *cs, uint32_t pid)
{
    for (unsigned i = 0; pid > 0 && pid <= INT32_MAX && i < PROBE; i++)
        if ((uint32_t)cs->procs[slot_of((pid_t)pid, i, PROCS)].pid == pid)
            return (int)slot_of((pid_t)pid, i, PROCS);
    return -1;
}

int cpuswitch_watch_process(struct cpuswitch *cs, pid_t pid)
{
    if (proc_of(cs, (uint32_t)pid) >= 0)
        return 0;
    for (unsigned i = 0; pid > 0 && i < PROBE; i++)
        if (!cs->procs[slot_of(pid, i, PROCS)].pid) {
            cs->procs[slot_of(pid, i, PROCS)].pid = pid;
            cs->procs[slot_of(pid, i, PROCS)].changes = 0;
            return 0;
        }
    return ERR_NOMEM;
}

void cpuswitch_forget_process(struct cpuswitch *cs, pid_t pid)
{
    int k = proc_of(cs, (uint32_t)pid);
    if (k >= 0)
        cs->procs[k].pid = 0;
}

int cpuswitch_thread_changes(const struct cpuswitch *cs, pid_t pid, uint64_t *changes)
{
    int k = proc_of(cs, (uint32_t)pid);
    if (k < 0)
        return 0;
    *changes = cs->procs[k].changes + cs->epoch;    /* a loss may have hidden one */
    return 1;
}

/* A thread of process pid started or ended (when it is watched). */
static void thread_changed(struct cpuswitch *cs, uint32_t pid)
{
    int k = proc_of(cs, pid);
    if (k >= 0)
        cs->procs[k].changes++;
}

static int in_family(const struct cpuswitch *cs, uint32_t pid)
{
    size_t lo = 0, hi = cs->nfamily;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uint32_t)cs->family[mid] == pid)
            return 1;
        if ((uint32_t)cs->family[mid] < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static int pid_order(const void *a, const void *b)
{
    uint32_t x = (uint32_t)*(const pid_t *)a, y = (uint32_t)*(const pid_t *)b;
    return x < y ? -1 : x > y;
}

void cpuswitch_set_family(struct cpuswitch *cs, const pid_t *pids, size_t n)
{
    cs->nfamily = n < FAMILY_MAX ? n : FAMILY_MAX;
    memcpy(cs->family, pids, cs->nfamily * sizeof *pids);
    qsort(cs->family, cs->nfamily, sizeof *cs->family, pid_order);
    if (n > FAMILY_MAX)              /* not all watched: never quiet */
        cs->family_events++;
}

uint64_t cpuswitch_family_events(const struct cpuswitch *cs)
{
    return cs->family_events;
}

static void apply(struct cpuswitch *cs, pid_t tid, int out, int preempt, pid_t next, uint64_t time)
{
    if (!out && tid == cs->self)
        cs->self_wakes++;
    struct watched *w = find(cs, tid);
    if (!w || w->epoch != cs->epoch || w->gone || time < w->at)
        return;
    w->at = time;
    w->on = !out;
    w->moves++;
    /* pushed off by the sampling thread: the wake-up that comes next */
    w->displaced_wake = out && preempt && next == cs->self && cs->self ? cs->self_wakes + 1 : 0;
}

/* The least body (after the header) of each record read: what it says
 * and, with sample_id_all, the sample id (pid, tid, time, cpu) after it
 * where its time is needed. */
static size_t body_min(uint32_t type)
{
    switch (type) {
    case PERF_RECORD_LOST: return 16;                 /* id, count */
    case PERF_RECORD_FORK: return 8;                  /* pid, ppid (tid, ptid, time) */
    case PERF_RECORD_COMM: return 8;                  /* pid, tid (comm) */
    case PERF_RECORD_EXIT: return 24;                 /* pid, ppid, tid, ptid, time */
    case PERF_RECORD_SWITCH_CPU_WIDE: return 32;      /* next_prev pid, tid; pid, tid, time, cpu */
    default: return 0;
    }
}

/* A fork (pid, ppid) or a comm record (pid, tid; exec in misc). */
static void feed_task(struct cpuswitch *cs, uint32_t type, uint16_t misc, const uint8_t *body)
{
    uint32_t ids[2];
    memcpy(ids, body, sizeof ids);
    /* a new process (not a thread) of the family, or an exec in it */
    if (type == PERF_RECORD_FORK ? ids[0] != ids[1] && in_family(cs, ids[1])
                                 : (misc & PERF_RECORD_MISC_COMM_EXEC) && in_family(cs, ids[0]))
        cs->family_events++;
    if (type == PERF_RECORD_FORK && ids[0] == ids[1])
        thread_changed(cs, ids[0]);                   /* a new thread, not a process */
}

/* An exit: pid, ppid, tid, ptid. */
static void feed_exit(struct cpuswitch *cs, const uint8_t *body)
{
    uint32_t ids[4];
    memcpy(ids, body, sizeof ids);
    struct watched *w = ids[2] > 0 && ids[2] <= INT32_MAX ? find(cs, (pid_t)ids[2]) : NULL;
    if (w)
        w->gone = 1;
    thread_changed(cs, ids[0]);
}

/* A switch: next_prev pid, tid; then the sample id: pid, tid, time. */
static void feed_switch(struct cpuswitch *cs, uint16_t misc, const uint8_t *body)
{
    uint32_t ids[4];
    uint64_t time;
    memcpy(ids, body, sizeof ids);
    memcpy(&time, body + sizeof ids, sizeof time);
    cs->st.records++;
    int out = (misc & PERF_RECORD_MISC_SWITCH_OUT) != 0;
    int preempt = (misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) != 0;
    if (ids[3] > 0 && ids[3] <= INT32_MAX)            /* the idle task is 0 */
        apply(cs, (pid_t)ids[3], out, preempt, (pid_t)ids[1], time);
}

int cpuswitch_feed(struct cpuswitch *cs, const void *rec, size_t len, pid_t self_tid)
{
    struct perf_event_header h;
    cs->self = self_tid;
    if (rec && len >= sizeof h)
        memcpy(&h, rec, sizeof h);
    if (!rec || len < sizeof h || h.size != len || len - sizeof h < body_min(h.type)) {
        cs->st.malformed++;
        return ERR_CORRUPT;
    }
    const uint8_t *body = (const uint8_t *)rec + sizeof h;
    switch (h.type) {
    case PERF_RECORD_LOST: {
        uint64_t lost;
        memcpy(&lost, body + 8, sizeof lost);
        cs->st.lost += lost;
        reset(cs);
        break;
    }
    case PERF_RECORD_FORK: case PERF_RECORD_COMM: feed_task(cs, h.type, h.misc, body); break;
    case PERF_RECORD_EXIT: feed_exit(cs, body); break;
    case PERF_RECORD_SWITCH_CPU_WIDE: feed_switch(cs, h.misc, body); break;
    default: break;                                   /* nothing else is asked for */
    }
    return 0;
}

static void poll_ring(struct cpuswitch *cs, struct ring *r, pid_t self)
{
    struct perf_event_mmap_page *ctl = (struct perf_event_mmap_page *)r->map;
    const uint8_t *data = r->data;
    uint64_t size = r->size;
    uint64_t head = __atomic_load_n(&ctl->data_head, __ATOMIC_ACQUIRE);
    uint64_t tail = ctl->data_tail;
    if (head - tail > size) {         /* cannot happen with a tail handed back: start over */
        cs->st.malformed++;
        reset(cs);
        tail = head;
    }
    while (head - tail >= sizeof(struct perf_event_header)) {
        struct perf_event_header h;
        perfmap_copy(data, size, tail, &h, sizeof h);
        if (h.size < sizeof h || h.size > head - tail) {
            cs->st.malformed++;
            reset(cs);
            tail = head;
            break;
        }
        if (h.size <= sizeof cs->rec) {
            perfmap_copy(data, size, tail, cs->rec, h.size);
            cpuswitch_feed(cs, cs->rec, h.size, self);
        } else if (h.type == PERF_RECORD_SWITCH_CPU_WIDE || h.type == PERF_RECORD_LOST ||
                   h.type == PERF_RECORD_EXIT || h.type == PERF_RECORD_FORK) {
            cs->st.malformed++;       /* ours are short: one we cannot read hides a switch */
            reset(cs);
        }
        tail += h.size;
    }
    __atomic_store_n(&ctl->data_tail, tail, __ATOMIC_RELEASE);
}

void cpuswitch_poll(struct cpuswitch *cs)
{
    pid_t self = (pid_t)syscall(SYS_gettid);
    cs->self = self;
    for (int i = 0; cs->rings && i < cs->ncpus; i++)
        poll_ring(cs, &cs->rings[i], self);
}

int cpuswitch_state(struct cpuswitch *cs, pid_t tid, struct cpuswitch_thread *out)
{
    struct watched *w = find(cs, tid);
    if (!w || w->epoch != cs->epoch)
        return 0;
    out->gone = w->gone;
    out->on = w->on && !w->gone;
    out->displaced = !w->on && w->displaced_wake && w->displaced_wake == cs->self_wakes;
    out->since = w->at;
    out->moves = w->moves;
    return 1;
}

void cpuswitch_seed(struct cpuswitch *cs, pid_t tid, int on, uint64_t at)
{
    struct watched *w = find(cs, tid);
    for (unsigned i = 0; !w && tid > 0 && i < PROBE; i++) {
        struct watched *c = &cs->slots[slot_of(tid, i, CPUSWITCH_THREADS)];
        if (!c->tid)
            w = c;
    }
    if (!w)
        return;
    uint64_t moves = w->tid == tid ? w->moves + 1 : 0;
    *w = (struct watched){.tid = tid, .on = on != 0, .epoch = cs->epoch, .at = at, .moves = moves};
}

void cpuswitch_forget(struct cpuswitch *cs, pid_t tid)
{
    struct watched *w = find(cs, tid);
    if (w)
        *w = (struct watched){.tid = 0};
}

void cpuswitch_stats(const struct cpuswitch *cs, struct cpuswitch_stats *out)
{
    *out = cs->st;
}
