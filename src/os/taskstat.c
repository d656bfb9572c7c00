/* SPDX-License-Identifier: MIT */
/* Thread states from /proc/PID/task/TID/{schedstat,syscall,sched,stat,
 * status} with cached descriptors, thread names, and the process's state,
 * flags and CPU (parsed by procstat_parse_stat, the one stat parser). */
#include "taskstat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cpuswitch.h"
#include "error.h"
#include "procstat.h"
#include "taskread.h"

#define CACHE 1024               /* power of two */
#define PF_KTHREAD 0x00200000UL  /* include/linux/sched.h */
#define PROBE 4                  /* slots a thread may use */

/* The open files of one thread and what they said last time. */
struct task_files {
    pid_t tid;                   /* 0 = free */
    int sched_fd, status_fd;     /* schedstat and status; -1 when not open */
    int debug_fd;                /* sched (exec_start), opened on first need; -1 when not */
    int stat_fd;                 /* stat (the state letter), opened on first need; -1 when not */
    int syscall_fd;              /* syscall (taskstat_futex), opened on first need; -1 when not */
    int futex_known;             /* futex_* below hold a reading */
    uint64_t futex_run, futex_arrivals; /* schedstat at that reading */
    int futex;                   /* then: 1 blocked in a futex wait on futex_addr, 0 not */
    uint64_t futex_addr;
    int known;                   /* run, arrivals and on hold a reading */
    int runnable;                /* state R at that reading (stat or status) */
    uint64_t run, arrivals;      /* schedstat when status was last read */
    uint64_t preempted;          /* nonvoluntary_ctxt_switches then */
    uint64_t voluntary;          /* voluntary_ctxt_switches then */
    int on;                      /* arrivals > switches then */
    uint64_t snap_ns;            /* when status was last read (clock_now_ns) */
    int stime_known;             /* stime holds a reading */
    uint64_t stime;              /* stat's stime (clock ticks) then */
    uint64_t stat_ns;            /* when stat was last read (clock_now_ns) */
    uint64_t sys_owed;           /* ns of system time not yet given to a sample (taskstat_system) */
    uint64_t round;              /* the round of the answer below (taskstat_round) */
    int answer;                  /* this round's taskstat_look() result */
    uint64_t quiet_since;        /* and its *quiet_since */
    int by_switches;             /* that answer came from the switch records, */
    uint64_t sw_moves;           /* which had applied this many switches to it */
    int futex_by_sw;             /* the futex reading's key (futex_run) is sw_moves, not schedstat */
};

struct taskstat {
    pid_t pid;
    int have_schedstat;          /* the kernel counts arrivals (CONFIG_SCHED_INFO) */
    int no_syscall;              /* syscall files may not be read (ptrace access) */
    int no_sched;                /* no sched files (CONFIG_SCHED_DEBUG): status has the counters */
    int self_fd;                 /* the caller's /proc/thread-self/sched; -1 before first use */
    int self_state;              /* 1 self_start read this round, 0 not yet, -1 unavailable */
    uint64_t self_start;         /* the caller's se.exec_start this round */
    uint64_t round;              /* taskstat_round() calls, from 1 */
    int dir_fd;                  /* /proc/PID/task, for taskstat_threads(); -1 before first use */
    uint64_t tick_ns;            /* a clock tick (stat's unit of CPU time), in ns */
    struct cpuswitch *sw;        /* borrowed: the switch records, NULL when not used */
    int sw_threads;              /* they count this process's threads' starts and ends */
    struct task_files slots[CACHE];
};

/* Our own thread is running while it reads its schedstat, so a kernel that
 * counts arrivals shows at least one. */
static int schedstat_works(void)
{
    int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    uint64_t run = 0, arrivals = 0;
    int ok = fd >= 0 && taskread_schedstat(fd, &run, &arrivals) == 0 && arrivals > 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

struct taskstat *taskstat_new(pid_t pid)
{
    struct taskstat *ts = calloc(1, sizeof *ts);
    if (!ts)
        return NULL;
    ts->pid = pid;
    ts->have_schedstat = schedstat_works();
    ts->self_fd = -1;
    ts->dir_fd = -1;
    ts->round = 1;
    long hz = sysconf(_SC_CLK_TCK);
    ts->tick_ns = 1000000000ULL / (uint64_t)(hz > 0 ? hz : 100);
    return ts;
}

static void files_close(struct taskstat *ts, struct task_files *f)
{
    if (!f->tid)
        return;
    if (ts->sw)
        cpuswitch_forget(ts->sw, f->tid);
    if (f->sched_fd >= 0)
        close(f->sched_fd);
    if (f->status_fd >= 0)
        close(f->status_fd);
    if (f->debug_fd >= 0)
        close(f->debug_fd);
    if (f->stat_fd >= 0)
        close(f->stat_fd);
    if (f->syscall_fd >= 0)
        close(f->syscall_fd);
    *f = (struct task_files){.tid = 0};
}

void taskstat_free(struct taskstat *ts)
{
    if (!ts)
        return;
    for (size_t i = 0; i < CACHE; i++)
        if (ts->slots[i].tid)
            files_close(ts, &ts->slots[i]);
    if (ts->self_fd >= 0)
        close(ts->self_fd);
    if (ts->sw_threads)
        cpuswitch_forget_process(ts->sw, ts->pid);
    if (ts->dir_fd >= 0)
        close(ts->dir_fd);
    free(ts);
}

static int open_task_file(pid_t pid, pid_t tid, const char *name)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* f's status open (on first need): 0 or ERR_READ. */
static int status_open(struct taskstat *ts, struct task_files *f)
{
    if (f->status_fd < 0)
        f->status_fd = open_task_file(ts->pid, f->tid, "status");
    return f->status_fd >= 0 ? 0 : ERR_READ;
}

/* The slot of thread tid with its files open (schedstat only when the
 * kernel has it), or NULL (*gone set when the process has no such thread:
 * it ended, or it is another process's). A thread has PROBE slots it may use, so that
 * thread ids a multiple of CACHE apart do not take turns opening their
 * files; when all are held by other threads the first is taken over (a
 * thread that has gone keeps its slot until then). */
static struct task_files *files_of(struct taskstat *ts, pid_t tid, int *gone)
{
    struct task_files *f = NULL;
    for (unsigned i = 0; i < PROBE; i++) {
        struct task_files *c = &ts->slots[((unsigned)tid + i) & (CACHE - 1)];
        if (c->tid == tid)
            return c;
        if (!f && !c->tid)
            f = c;
    }
    if (!f) {
        f = &ts->slots[(unsigned)tid & (CACHE - 1)];
        files_close(ts, f);
    }
    /* schedstat, or status without it: the thread's file read every round
     * (the others are opened on first need) */
    int fd = open_task_file(ts->pid, tid, ts->have_schedstat ? "schedstat" : "status");
    if (fd < 0) {
        *gone = errno == ENOENT;
        return NULL;
    }
    *f = (struct task_files){.tid = tid, .sched_fd = ts->have_schedstat ? fd : -1,
                             .status_fd = ts->have_schedstat ? -1 : fd, .debug_fd = -1,
                             .stat_fd = -1, .syscall_fd = -1};
    return f;
}

void taskstat_use_switches(struct taskstat *ts, struct cpuswitch *sw)
{
    ts->sw = sw;
    ts->sw_threads = sw && cpuswitch_watch_process(sw, ts->pid) == 0;
}

void taskstat_round(struct taskstat *ts)
{
    if (ts->self_state > 0)
        ts->self_state = 0;
    ts->round++;
}

/* The caller's se.exec_start this round (read once per round). */
static int self_start(struct taskstat *ts, uint64_t *ns)
{
    if (ts->self_state == 0 && ts->self_fd < 0) {
        ts->self_fd = open("/proc/thread-self/sched", O_RDONLY | O_CLOEXEC);
        if (ts->self_fd < 0)
            ts->self_state = -1;
    }
    if (ts->self_state == 0)
        ts->self_state = taskread_exec_start(ts->self_fd, &ts->self_start) == 0 ? 1 : -1;
    *ns = ts->self_start;
    return ts->self_state > 0 ? 0 : ERR_READ;
}

/* Did the calling thread take this thread's CPU when it last woke up? A
 * context switch accounts both tasks at the same run queue clock: the
 * task leaving gets it as its exec_start, the one arriving too. So the
 * thread we displaced has exactly our exec_start (until a scheduler tick
 * moves ours: then we miss it). Needs CONFIG_SCHED_DEBUG's sched file. */
static int displaced_by_caller(struct taskstat *ts, struct task_files *f, const uint64_t *theirs)
{
    uint64_t mine, read;
    if (self_start(ts, &mine) < 0)
        return 0;
    if (theirs)
        return *theirs == mine;
    if (f->debug_fd < 0)
        f->debug_fd = open_task_file(ts->pid, f->tid, "sched");
    return f->debug_fd >= 0 && taskread_exec_start(f->debug_fd, &read) == 0 && read == mine;
}

/* The system time a thread had since its last stat reading (a reading
 * of stat found it in st), owed to its samples on a CPU. */
static void note_stime(const struct taskstat *ts, struct task_files *f, const struct procstat_stat *st)
{
    if (f->stime_known && st->stime > f->stime) {
        uint64_t ticks = st->stime - f->stime;
        uint64_t ns = ticks < TASKSTAT_SYS_OWED_MAX / ts->tick_ns ? ticks * ts->tick_ns
                                                                   : TASKSTAT_SYS_OWED_MAX;
        f->sys_owed = f->sys_owed + ns < TASKSTAT_SYS_OWED_MAX ? f->sys_owed + ns : TASKSTAT_SYS_OWED_MAX;
    }
    f->stime = st->stime;
    f->stime_known = 1;
}

/* Keep a reading of syscall for taskstat_futex(), under the key that
 * moves when the thread runs: the switches the records applied to it
 * (by_sw), or schedstat's (run, arrivals). */
static void keep_futex(struct task_files *f, int by_sw, uint64_t run, uint64_t arrivals, int futex,
                       uint64_t addr)
{
    f->futex_known = 1;
    f->futex_by_sw = by_sw;
    f->futex_run = run;
    f->futex_arrivals = arrivals;
    f->futex = futex;
    f->futex_addr = addr;
}

/* The calling thread's id (cached per thread). */
static pid_t self_tid(void)
{
    static _Thread_local pid_t tid;
    if (!tid)
        tid = (pid_t)syscall(SYS_gettid);
    return tid;
}

/* Read syscall for a thread whose schedstat says (run, arrivals), keeping
 * its futex answer for taskstat_futex(). 1 when the thread is asleep (or
 * stopped), 0 when it is in state R, ERR_READ when the file cannot be read
 * (not allowed: then stat tells). The kernel says "running" for another
 * thread in state R; for the reading thread itself it gives the system
 * call it is in (the read), as for a sleeper: that one is running. */
static int syscall_asleep(struct taskstat *ts, struct task_files *f, uint64_t run,
                          uint64_t arrivals)
{
    if (ts->no_syscall)
        return ERR_READ;
    if (f->syscall_fd < 0 && (f->syscall_fd = open_task_file(ts->pid, f->tid, "syscall")) < 0) {
        ts->no_syscall = errno == EACCES || errno == EPERM;
        return ERR_READ;
    }
    uint64_t addr = 0;
    int running = 1, rc = taskread_syscall(f->syscall_fd, &addr, &running);
    if (rc >= 0 && !running && f->tid == self_tid())
        running = 1;
    if (rc < 0 || running)      /* taskstat_futex() asks again for a runnable one */
        return rc < 0 ? rc : 0;
    keep_futex(f, 0, run, arrivals, rc, addr);
    return 1;
}

/* stat for its state letter and system time (note_stime). 1 when the
 * thread is asleep, 0 when it is in state R, ERR_READ. */
static int stat_asleep(struct taskstat *ts, struct task_files *f)
{
    struct procstat_stat st;
    if (f->stat_fd < 0)
        f->stat_fd = open_task_file(ts->pid, f->tid, "stat");
    if (f->stat_fd < 0 || procstat_pread_stat(f->stat_fd, &st) < 0)
        return ERR_READ;
    note_stime(ts, f, &st);
    f->stat_ns = clock_now_ns();
    return st.state != 'R';
}

/* Whether a thread that ran or arrived since the last look (schedstat now
 * run, arrivals) is asleep again, from the cheapest file that tells: most
 * such threads are, and syscall (~0.3-1.2 us; read for the GIL wait
 * anyway) or stat (~1.2 us) says so, where the counters take ~3-4 us. A
 * thread that was runnable at the last look is asked its counters at once
 * (it mostly still is). 1 asleep, 0 runnable (*r when syscall said so) or
 * not known; *stat_read when stat was read. A thread that leaves a CPU
 * after schedstat was read adds to `run`, so the next look sees it moved
 * again. */
static int asleep_now(struct taskstat *ts, struct task_files *f, uint64_t run, uint64_t arrivals,
                      int *stat_read, int *r)
{
    *stat_read = *r = 0;
    if (!f->known || f->runnable)
        return 0;
    int rc = syscall_asleep(ts, f, run, arrivals);
    *r = rc == 0;
    if (rc >= 0)
        return rc;
    rc = stat_asleep(ts, f);
    *stat_read = rc >= 0;
    *r = rc == 0;
    return rc == 1;
}

/* The context switches of a thread: from sched (~3 us, with its
 * exec_start, which a thread we displaced needs) or, without it, status
 * (~4 us, with the state letter). 0 or ERR_READ. */
static int read_switches(struct taskstat *ts, struct task_files *f, struct task_switches *sw)
{
    if (!ts->no_sched && f->debug_fd < 0)
        f->debug_fd = open_task_file(ts->pid, f->tid, "sched");
    if (!ts->no_sched && f->debug_fd >= 0 && taskread_sched(f->debug_fd, sw) == 0)
        return 0;
    if (status_open(ts, f) < 0 || taskread_status(f->status_fd, sw) < 0)
        return ERR_READ;
    ts->no_sched = 1;           /* status is there but sched is not, or unlike ours */
    return 0;
}

/* Whether a thread off a CPU, preempted since the last look, is runnable
 * now (state R): surely when it made no voluntary switch since (it went
 * off a CPU last by preemption, and sleeping is a voluntary switch), else
 * syscall or stat say. 1, 0, or 0 when it cannot be told. */
static int runnable_now(struct taskstat *ts, struct task_files *f, uint64_t old_vol, int first,
                        const struct task_switches *sw, int *stat_read)
{
    if (sw->state_r >= 0)
        return sw->state_r;
    if (!first && sw->vol == old_vol)
        return 1;
    int rc = syscall_asleep(ts, f, f->run, f->arrivals);
    if (rc < 0) {
        rc = stat_asleep(ts, f);
        *stat_read = rc >= 0;
    }
    return rc == 0;
}

/* On a CPU from the counters (see taskstat.h); the counters are read only
 * when schedstat moved since they were last read and the thread is not
 * asleep. */
static int on_cpu(struct taskstat *ts, struct task_files *f)
{
    uint64_t run, arrivals;
    if (taskread_schedstat(f->sched_fd, &run, &arrivals) < 0)
        return ERR_READ;
    /* Neither ran nor arrived: no switch either way (leaving a CPU adds
     * the time run to `run`), so the answer is the last one. A thread we
     * displaced has run since our last look, so it is never this case. */
    if (f->known && run == f->run && arrivals == f->arrivals)
        return f->on;
    int stat_read, r;
    struct task_switches sw;
    if (asleep_now(ts, f, run, arrivals, &stat_read, &r)) {
        f->snap_ns = clock_now_ns();
        f->run = run;
        f->arrivals = arrivals;
        f->on = f->runnable = 0;
        return 0;
    }
    if (read_switches(ts, f, &sw) < 0)
        return ERR_READ;
    if (r && sw.state_r < 0)
        sw.state_r = 1;
    int first = !f->known, was_preempted = first || sw.invol > f->preempted;
    uint64_t old_vol = f->voluntary;
    f->snap_ns = clock_now_ns();
    f->known = 1;
    f->run = run;
    f->arrivals = arrivals;
    f->preempted = sw.invol;
    f->voluntary = sw.vol;
    /* a thread asleep is off a CPU whatever the counters say (one on its
     * way off a CPU adds to `run` when it leaves) */
    f->on = arrivals > sw.vol + sw.invol && sw.state_r != 0;
    /* Runnable, off CPU: waiting for a CPU, or it was running until the
     * sampling thread woke up on its CPU (then it counts as running). Only
     * a thread preempted since the last look can be that one; a thread
     * that woke up and waits was not. */
    int answer = f->on;
    if (!f->on && was_preempted && runnable_now(ts, f, old_vol, first, &sw, &stat_read))
        answer = displaced_by_caller(ts, f, sw.have_exec ? &sw.exec_start : NULL);
    f->runnable = f->on || answer || sw.state_r == 1;
    /* A sample on a CPU may be owed system time (taskstat_system): stat
     * tells how much the thread had since its last reading, in clock
     * ticks (10 ms), so it is read at most once a tick. */
    if (answer == 1 && !stat_read && (!f->stime_known || f->snap_ns - f->stat_ns >= ts->tick_ns))
        stat_asleep(ts, f);
    return answer;
}

/* On a CPU from the switch records, when they know the thread (else 0:
 * on_cpu() then reads /proc and seeds them). A thread the sampling
 * thread's wake-up pushed off its CPU counts as running, as in on_cpu();
 * stat is read for a thread on a CPU at most once a clock tick, for its
 * system time (taskstat_system). */
static int from_switches(struct taskstat *ts, struct task_files *f, int *answer)
{
    struct cpuswitch_thread st;
    if (!cpuswitch_state(ts->sw, f->tid, &st))
        return 0;
    if (st.gone) {
        *answer = ERR_READ;
        return 1;
    }
    f->by_switches = 1;
    f->sw_moves = st.moves;
    f->known = 0;               /* the counters read last are old: a look from /proc starts afresh */
    f->on = st.on;
    *answer = st.on || st.displaced;
    f->quiet_since = *answer ? UINT64_MAX : st.since;
    if (*answer == 1 && (!f->stime_known || clock_now_ns() - f->stat_ns >= ts->tick_ns))
        stat_asleep(ts, f);
    return 1;
}

int taskstat_look(struct taskstat *ts, pid_t tid, uint64_t *quiet_since)
{
    int gone = 0;
    struct task_files *f = tid > 0 ? files_of(ts, tid, &gone) : NULL;
    uint64_t never = UINT64_MAX, *since = quiet_since ? quiet_since : &never;
    *since = UINT64_MAX;
    if (!f)
        return gone ? ERR_EXITED : ERR_READ;
    if (f->round == ts->round) {
        *since = f->quiet_since;
        return f->answer;
    }
    int rc;
    f->by_switches = 0;
    if (ts->have_schedstat && ts->sw && from_switches(ts, f, &rc)) {
        /* f->quiet_since set */
    } else if (ts->have_schedstat) {
        /* The records that come after the moment the reading starts say
         * what changed since: the thread is watched from here on. */
        uint64_t at = clock_now_ns();
        rc = on_cpu(ts, f);
        if (rc >= 0 && ts->sw)
            cpuswitch_seed(ts->sw, f->tid, f->on, at);
        /* Off CPU at the last status read and neither ran nor arrived
         * since (on_cpu() read status again otherwise): not run since then. */
        f->quiet_since = !f->on ? f->snap_ns : UINT64_MAX;
    } else {
        struct task_switches sw;
        rc = taskread_status(f->status_fd, &sw);
        if (rc == 0)
            rc = sw.state_r;
        f->quiet_since = UINT64_MAX;
    }
    if (rc < 0) {
        files_close(ts, f);
        return rc;
    }
    f->round = ts->round;
    f->answer = rc;
    *since = f->quiet_since;
    return rc;
}

int taskstat_on_cpu(struct taskstat *ts, pid_t tid)
{
    return taskstat_look(ts, tid, NULL);
}

int taskstat_system(struct taskstat *ts, pid_t tid, uint64_t period_ns)
{
    struct task_files *f = NULL;
    for (unsigned i = 0; tid > 0 && i < PROBE && !f; i++) {
        struct task_files *c = &ts->slots[((unsigned)tid + i) & (CACHE - 1)];
        f = c->tid == tid ? c : NULL;
    }
    if (!f || f->round != ts->round || f->answer != 1 || f->sys_owed < period_ns / 2)
        return 0;
    f->sys_owed = f->sys_owed > period_ns ? f->sys_owed - period_ns : 0;
    return 1;
}

int taskstat_threads(struct taskstat *ts)
{
    if (ts->dir_fd < 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task", (int)ts->pid);
        ts->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ts->dir_fd < 0)
            return ERR_READ;
    }
    struct stat st;
    /* procfs counts a task directory's links as its threads + 2; once the
     * process is gone, 2. */
    if (fstat(ts->dir_fd, &st) < 0 || st.st_nlink < 2)
        return ERR_READ;
    return st.st_nlink - 2 > INT32_MAX ? INT32_MAX : (int)(st.st_nlink - 2);
}

int64_t taskstat_thread_mark(struct taskstat *ts)
{
    uint64_t changes;
    if (ts->sw_threads && cpuswitch_thread_changes(ts->sw, ts->pid, &changes))
        return (int64_t)((changes & ((1ULL << 62) - 1)) | (1ULL << 62));
    return taskstat_threads(ts);
}

int taskstat_name(pid_t pid, pid_t tid, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return ERR_READ;
    char *ok = fgets(buf, (int)cap, f);
    fclose(f);
    if (!ok)
        return ERR_READ;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

char taskstat_process_state(pid_t pid)
{
    struct procstat_stat st;
    return procstat_read_stat(pid, 0, &st) == 0 ? st.state : 0;
}

int taskstat_is_kernel_thread(pid_t pid)
{
    struct procstat_stat st;
    return procstat_read_stat(pid, 0, &st) == 0 && (st.flags & PF_KTHREAD) != 0;
}

int taskstat_cpu(pid_t pid)
{
    struct procstat_stat st;
    return procstat_read_stat(pid, 0, &st) == 0 ? st.cpu : -1;
}

int taskstat_run_ns(pid_t pid, pid_t tid, uint64_t *ns)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint64_t run = 0, arrivals;
    int rc = fd >= 0 ? taskread_schedstat(fd, &run, &arrivals) : ERR_READ;
    if (fd >= 0)
        close(fd);
    if (rc == 0) {
        *ns = run;
        return 0;
    }
    struct procstat_stat st;             /* no schedstat: clock ticks */
    long hz = sysconf(_SC_CLK_TCK);
    if (procstat_read_stat(pid, tid, &st) < 0 || hz <= 0)
        return ERR_READ;
    *ns = st.ticks * (1000000000ULL / (uint64_t)hz);
    return 0;
}

/* Read syscall for taskstat_futex() and keep its answer (keep_futex). */
static int futex_read(struct taskstat *ts, struct task_files *f, int by_sw, uint64_t run,
                      uint64_t arrivals, uint64_t *uaddr)
{
    if (f->syscall_fd < 0 && (f->syscall_fd = open_task_file(ts->pid, f->tid, "syscall")) < 0)
        return ERR_READ;
    uint64_t addr = 0;
    int rc = taskread_syscall(f->syscall_fd, &addr, NULL);
    if (rc < 0)
        return rc;
    keep_futex(f, by_sw, run, arrivals, rc, addr);
    *uaddr = addr;
    return rc;
}

int taskstat_futex(struct taskstat *ts, pid_t tid, uint64_t *uaddr)
{
    int gone = 0;
    struct task_files *f = tid > 0 ? files_of(ts, tid, &gone) : NULL;
    *uaddr = 0;
    if (!f)
        return ERR_READ;
    /* The look answered from the switch records: asleep where it slept
     * as long as no switch of it came since. */
    int by_sw = f->round == ts->round && f->by_switches;
    /* else schedstat as this round's look read it (on_cpu() keeps it in
     * run/arrivals), or now */
    uint64_t run = by_sw ? f->sw_moves : f->run, arrivals = by_sw ? 0 : f->arrivals;
    int looked = f->round == ts->round && f->answer >= 0 && f->known;
    if (!by_sw && ts->have_schedstat && !looked && taskread_schedstat(f->sched_fd, &run, &arrivals) < 0)
        return ERR_READ;
    /* Neither ran nor arrived since: it sleeps where it slept. */
    if ((by_sw || ts->have_schedstat) && f->futex_known && f->futex_by_sw == by_sw &&
        run == f->futex_run && arrivals == f->futex_arrivals) {
        *uaddr = f->futex_addr;
        return f->futex;
    }
    return futex_read(ts, f, by_sw, run, arrivals, uaddr);
}
