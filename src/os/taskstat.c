/* SPDX-License-Identifier: MIT */
/* Thread states from /proc/PID/task/TID/{schedstat,status,sched} with
 * cached descriptors, thread names, and the process's state, flags and CPU
 * (parsed by procstat_parse_stat, the one stat parser). */
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
#include "error.h"
#include "procstat.h"

#define CACHE 1024               /* power of two */
#define PF_KTHREAD 0x00200000UL  /* include/linux/sched.h */
#define PROBE 4                  /* slots a thread may use */
#define STATUS_MAX 8192          /* /proc/.../status is ~1.5 KB; long CPU masks make it more */
#define SCHED_MAX 8192           /* /proc/.../sched is ~2 KB */

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
    int on;                      /* arrivals > switches then */
    uint64_t snap_ns;            /* when status was last read (clock_now_ns) */
    int stime_known;             /* stime holds a reading */
    uint64_t stime;              /* stat's stime (clock ticks) then */
    uint64_t sys_owed;           /* ns of system time not yet given to a sample (taskstat_system) */
    uint64_t round;              /* the round of the answer below (taskstat_round) */
    int answer;                  /* this round's taskstat_look() result */
    uint64_t quiet_since;        /* and its *quiet_since */
};

struct taskstat {
    pid_t pid;
    int have_schedstat;          /* the kernel counts arrivals (CONFIG_SCHED_INFO) */
    int no_syscall;              /* syscall files may not be read (ptrace access) */
    int self_fd;                 /* the caller's /proc/thread-self/sched; -1 before first use */
    int self_state;              /* 1 self_start read this round, 0 not yet, -1 unavailable */
    uint64_t self_start;         /* the caller's se.exec_start this round */
    uint64_t round;              /* taskstat_round() calls, from 1 */
    int dir_fd;                  /* /proc/PID/task, for taskstat_threads(); -1 before first use */
    uint64_t tick_ns;            /* a clock tick (stat's unit of CPU time), in ns */
    struct task_files slots[CACHE];
};

/* The whole of a small /proc file through its open fd, NUL-terminated
 * (cap includes the NUL). 0 or ERR_READ. */
static int pread_text(int fd, char *buf, size_t cap)
{
    ssize_t n = pread(fd, buf, cap - 1, 0);
    if (n <= 0)
        return ERR_READ;
    buf[n] = '\0';
    return 0;
}

/* The unsigned decimal at *p (advanced past it and the blank after it);
 * -1 when there is none or it overflows. */
static int parse_u64(const char **p, uint64_t *out)
{
    const char *c = *p;
    uint64_t v = 0;
    if (*c < '0' || *c > '9')
        return -1;
    for (; *c >= '0' && *c <= '9'; c++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    *p = c + (*c == ' ');
    *out = v;
    return 0;
}

/* "RUN WAIT ARRIVALS\n" (parsed by hand: this is read for every thread
 * every round). */
static int read_schedstat(int fd, uint64_t *run, uint64_t *arrivals)
{
    char buf[128];
    if (pread_text(fd, buf, sizeof buf) < 0)
        return ERR_READ;
    const char *p = buf;
    uint64_t wait;
    if (parse_u64(&p, run) < 0 || parse_u64(&p, &wait) < 0 || parse_u64(&p, arrivals) < 0)
        return ERR_READ;
    return 0;
}

/* Our own thread is running while it reads its schedstat, so a kernel that
 * counts arrivals shows at least one. */
static int schedstat_works(void)
{
    int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    uint64_t run = 0, arrivals = 0;
    int ok = fd >= 0 && read_schedstat(fd, &run, &arrivals) == 0 && arrivals > 0;
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

static void files_close(struct task_files *f)
{
    if (!f->tid)
        return;
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
            files_close(&ts->slots[i]);
    if (ts->self_fd >= 0)
        close(ts->self_fd);
    if (ts->dir_fd >= 0)
        close(ts->dir_fd);
    free(ts);
}

/* The number after "\n<key>" in a status file, or -1. */
static long long status_field(const char *buf, const char *key)
{
    const char *p = strstr(buf, key);
    if (!p)
        return -1;
    char *end;
    long long v = strtoll(p + strlen(key), &end, 10);
    return end == p + strlen(key) || v < 0 ? -1 : v;
}

/* State letter, context switches (voluntary + not) and the involuntary
 * ones alone, from status. */
static int read_status(int fd, char *state, uint64_t *switches, uint64_t *preempted)
{
    char buf[STATUS_MAX];
    if (pread_text(fd, buf, sizeof buf) < 0)
        return ERR_READ;
    const char *st = strstr(buf, "\nState:\t");
    long long vol = status_field(buf, "\nvoluntary_ctxt_switches:\t");
    long long invol = status_field(buf, "\nnonvoluntary_ctxt_switches:\t");
    if (!st || vol < 0 || invol < 0)
        return ERR_READ;
    *state = st[8];
    *switches = (uint64_t)vol + (uint64_t)invol;
    *preempted = (uint64_t)invol;
    return 0;
}

static int open_task_file(pid_t pid, pid_t tid, const char *name)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* The slot of thread tid with its files open (schedstat only when the
 * kernel has it), or NULL. A thread has PROBE slots it may use, so that
 * thread ids a multiple of CACHE apart do not take turns opening their
 * files; when all are held by other threads the first is taken over (a
 * thread that has gone keeps its slot until then). */
static struct task_files *files_of(struct taskstat *ts, pid_t tid)
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
        files_close(f);
    }
    int status = open_task_file(ts->pid, tid, "status");
    int sched = ts->have_schedstat ? open_task_file(ts->pid, tid, "schedstat") : -1;
    if (status < 0 || (ts->have_schedstat && sched < 0)) {
        if (status >= 0)
            close(status);
        if (sched >= 0)
            close(sched);
        return NULL;
    }
    *f = (struct task_files){.tid = tid, .sched_fd = sched, .status_fd = status, .debug_fd = -1,
                             .stat_fd = -1, .syscall_fd = -1};
    return f;
}

/* se.exec_start from a /proc/.../sched file (CONFIG_SCHED_DEBUG), in ns.
 * The value is the run queue clock when the task last started running or
 * was last accounted: for a task off CPU, when it left. The file starts
 * with the thread's name, which the target chooses (a line of its own
 * could be faked), so the field is looked for after the line of dashes
 * under it, longer than any name. */
static int read_exec_start(int fd, uint64_t *ns)
{
    char buf[SCHED_MAX];
    if (pread_text(fd, buf, sizeof buf) < 0)
        return ERR_READ;
    const char *p = strstr(buf, "\n--------------------------------");
    p = p ? strstr(p, "\nse.exec_start") : NULL;
    p = p ? strchr(p, ':') : NULL;
    unsigned long long ms;
    unsigned frac;
    int len = 0;
    if (!p || sscanf(p + 1, " %llu.%6u%n", &ms, &frac, &len) != 2 || len == 0)
        return ERR_READ;
    *ns = ms * 1000000ULL + frac;
    return 0;
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
        ts->self_state = read_exec_start(ts->self_fd, &ts->self_start) == 0 ? 1 : -1;
    *ns = ts->self_start;
    return ts->self_state > 0 ? 0 : ERR_READ;
}

/* Did the calling thread take this thread's CPU when it last woke up? A
 * context switch accounts both tasks at the same run queue clock: the
 * task leaving gets it as its exec_start, the one arriving too. So the
 * thread we displaced has exactly our exec_start (until a scheduler tick
 * moves ours: then we miss it). Needs CONFIG_SCHED_DEBUG's sched file. */
static int displaced_by_caller(struct taskstat *ts, struct task_files *f)
{
    uint64_t mine, theirs;
    if (self_start(ts, &mine) < 0)
        return 0;
    if (f->debug_fd < 0)
        f->debug_fd = open_task_file(ts->pid, f->tid, "sched");
    return f->debug_fd >= 0 && read_exec_start(f->debug_fd, &theirs) == 0 && theirs == mine;
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

/* /proc/.../syscall: "NR ARG1 ARG2 ... SP PC" while the thread is in a
 * system call, "-1 SP PC" when it is stopped outside one, "running" while
 * it runs. 1 with *uaddr (the futex word) for a futex wait, else 0; or
 * ERR_READ. *running (when not NULL) gets whether it said "running": the
 * kernel says so for a task in state R (on a CPU or waiting for one), and
 * when the task changed state while it looked. */
static int read_futex(int fd, uint64_t *uaddr, int *running)
{
    char buf[256];
    if (pread_text(fd, buf, sizeof buf) < 0)
        return ERR_READ;
    if (running)
        *running = strncmp(buf, "running", 7) == 0;
    char *end;
    errno = 0;
    long nr = strtol(buf, &end, 10);
    if (end == buf || errno || nr != SYS_futex || *end != ' ')
        return 0;
    errno = 0;
    unsigned long long a = strtoull(end + 1, &end, 16);
    if (errno || (*end != ' ' && *end != '\n'))
        return 0;
    *uaddr = a;
    return 1;
}

/* Read syscall for a thread whose schedstat says (run, arrivals), keeping
 * its futex answer for taskstat_futex(). 1 when the thread is asleep (or
 * stopped), 0 when it is in state R, ERR_READ when the file cannot be read
 * (not allowed: then stat tells). */
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
    int running = 1, rc = read_futex(f->syscall_fd, &addr, &running);
    if (rc < 0 || running)      /* taskstat_futex() asks again for a runnable one */
        return rc < 0 ? rc : 0;
    f->futex_known = 1;
    f->futex_run = run;
    f->futex_arrivals = arrivals;
    f->futex = rc;
    f->futex_addr = addr;
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
    return st.state != 'R';
}

/* Whether a thread that ran or arrived since the last look (schedstat now
 * run, arrivals) is asleep again, from the cheapest file that tells: most
 * such threads are, and syscall (~0.3-1.2 us; read for the GIL wait
 * anyway) or stat (~1.2 us) says so, where status takes ~4 us. A thread
 * that was runnable at the last look is asked status at once (it mostly
 * still is). 1 asleep, 0 runnable or not known; *stat_read when stat was
 * read. A thread that leaves a CPU after schedstat was read adds to `run`,
 * so the next look sees it moved again. */
static int asleep_now(struct taskstat *ts, struct task_files *f, uint64_t run, uint64_t arrivals,
                      int *stat_read)
{
    *stat_read = 0;
    if (!f->known || f->runnable)
        return 0;
    int rc = syscall_asleep(ts, f, run, arrivals);
    if (rc >= 0)
        return rc;
    rc = stat_asleep(ts, f);
    *stat_read = rc >= 0;
    return rc == 1;
}

/* On a CPU from the counters (see taskstat.h); status is read only when
 * schedstat moved since it was last read and the thread is not asleep. */
static int on_cpu(struct taskstat *ts, struct task_files *f)
{
    uint64_t run, arrivals, switches, preempted;
    char state;
    if (read_schedstat(f->sched_fd, &run, &arrivals) < 0)
        return ERR_READ;
    /* Neither ran nor arrived: no switch either way (leaving a CPU adds
     * the time run to `run`), so the answer is the last one. A thread we
     * displaced has run since our last look, so it is never this case. */
    if (f->known && run == f->run && arrivals == f->arrivals)
        return f->on;
    int stat_read;
    if (asleep_now(ts, f, run, arrivals, &stat_read)) {
        f->snap_ns = clock_now_ns();
        f->run = run;
        f->arrivals = arrivals;
        f->on = f->runnable = 0;
        return 0;
    }
    if (read_status(f->status_fd, &state, &switches, &preempted) < 0)
        return ERR_READ;
    int was_preempted = !f->known || preempted > f->preempted;
    f->snap_ns = clock_now_ns();
    f->known = 1;
    f->run = run;
    f->arrivals = arrivals;
    f->preempted = preempted;
    /* a thread asleep is off a CPU whatever the counters say (one that
     * is on its way off a CPU adds to `run` when it leaves) */
    f->runnable = state == 'R';
    f->on = arrivals > switches && f->runnable;
    /* Runnable, off CPU: waiting for a CPU, or it was running until the
     * sampling thread woke up on its CPU (then it counts as running). Only
     * a thread preempted since the last look can be that one; a thread
     * that woke up and waits was not. */
    int answer = !f->on && state == 'R' && was_preempted ? displaced_by_caller(ts, f) : f->on;
    /* A sample on a CPU may be owed system time (taskstat_system): stat
     * tells how much the thread had since its last reading. */
    if (answer == 1 && !stat_read)
        stat_asleep(ts, f);
    return answer;
}

int taskstat_look(struct taskstat *ts, pid_t tid, uint64_t *quiet_since)
{
    struct task_files *f = tid > 0 ? files_of(ts, tid) : NULL;
    uint64_t never = UINT64_MAX, *since = quiet_since ? quiet_since : &never;
    *since = UINT64_MAX;
    if (!f)
        return ERR_READ;
    if (f->round == ts->round) {
        *since = f->quiet_since;
        return f->answer;
    }
    int rc;
    if (ts->have_schedstat) {
        rc = on_cpu(ts, f);
    } else {
        char state;
        uint64_t switches, preempted;
        rc = read_status(f->status_fd, &state, &switches, &preempted);
        if (rc == 0)
            rc = state == 'R';
    }
    if (rc < 0) {
        files_close(f);
        return rc;
    }
    /* Off CPU at the last status read and neither ran nor arrived since
     * (on_cpu() read status again otherwise): not run since then. */
    f->quiet_since = ts->have_schedstat && !f->on ? f->snap_ns : UINT64_MAX;
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
    int rc = fd >= 0 ? read_schedstat(fd, &run, &arrivals) : ERR_READ;
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

int taskstat_futex(struct taskstat *ts, pid_t tid, uint64_t *uaddr)
{
    struct task_files *f = tid > 0 ? files_of(ts, tid) : NULL;
    *uaddr = 0;
    if (!f)
        return ERR_READ;
    /* schedstat as this round's look read it (on_cpu() keeps it in
     * run/arrivals), else now */
    uint64_t run = f->run, arrivals = f->arrivals;
    int looked = f->round == ts->round && f->answer >= 0 && f->known;
    if (ts->have_schedstat && !looked && read_schedstat(f->sched_fd, &run, &arrivals) < 0)
        return ERR_READ;
    /* Neither ran nor arrived since: it sleeps where it slept. */
    if (ts->have_schedstat && f->futex_known && run == f->futex_run && arrivals == f->futex_arrivals) {
        *uaddr = f->futex_addr;
        return f->futex;
    }
    if (f->syscall_fd < 0 && (f->syscall_fd = open_task_file(ts->pid, tid, "syscall")) < 0)
        return ERR_READ;
    uint64_t addr = 0;
    int rc = read_futex(f->syscall_fd, &addr, NULL);
    if (rc < 0)
        return rc;
    f->futex_known = 1;
    f->futex_run = run;
    f->futex_arrivals = arrivals;
    f->futex = rc;
    f->futex_addr = addr;
    *uaddr = addr;
    return rc;
}
