/* SPDX-License-Identifier: MIT */
/* The sampling thread: absolute-deadline schedule (at real-time priority
 * where allowed, off the target's CPU), one round of stacks per tick into
 * the table, counters, and noticing when the target is gone. */
#include "sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "codecache.h"
#include "error.h"
#include "procstat.h"
#include "profile.h"
#include "pytarget.h"
#include "record.h"
#include "table.h"
#include "taskstat.h"
#include "threadnames.h"
#include "walker.h"

#define NAMES_MAX 1024
/* Thread names are read again every NAMES_EVERY_NS (threads rename
 * themselves), and NAMES_SOON_NS after a new thread without a name appears
 * (threading registers a thread a moment after its first frame runs). */
#define NAMES_EVERY_NS 500000000ULL
#define NAMES_SOON_NS 50000000ULL
/* How often we look for the target's exit without a reason to: a child is
 * one waitpid; an attached process costs a /proc read. A target that is
 * gone also makes the reads fail, which triggers a check at once. */
#define CHILD_CHECK_EVERY_NS 20000000ULL
#define ATTACHED_CHECK_EVERY_NS 100000000ULL
#define FAILS_BEFORE_CHECK 3            /* consecutive failed rounds before a liveness check */
#define SLEEP_MIN_NS 2000               /* a shorter sleep costs more than it waits */
#define TIMER_SLACK_NS 1000             /* the default 50 us would blur 10 kHz */
#define WAIT_POLL_NS 50000000LL         /* sampler_wait: how often the stop flag is looked at */
/* Real-time priority only for a thread that mostly sleeps: intervals of at
 * least RT_MIN_INTERVAL_NS, and dropped for good when rounds take more
 * than a quarter of a DUTY_WINDOW_NS window. */
#define RT_MIN_INTERVAL_NS 50000ULL
#define DUTY_WINDOW_NS 100000000ULL
#define AFFINITY_EVERY_NS 100000000ULL  /* how often we look where the target runs */
#define PROC_EVERY_NS 1000000000ULL     /* target CPU % and RSS: over at least a second */

struct sampler {
    struct pytarget *t;                 /* borrowed */
    struct sampler_config cfg;
    struct codecache *codes;            /* owned; used by the sampling thread only */
    struct walker *walker;              /* owned; sampling thread only */
    struct profile *profile;            /* borrowed: the sampler only writes into it */
    struct table *table;                /* the profile's; only under profile_lock() */
    struct recorder *rec;               /* owned; writes into table, under profile_lock() */
    struct taskstat *tasks;             /* owned; sampling thread only */
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t finished;            /* signalled (under lock) when st.running drops */
    atomic_int stop;
    struct sampler_stats st;            /* guarded by lock */
    uint64_t start_ns;
    uint64_t names_at, alive_at;
    int names_soon;                     /* a new thread had no name: read names again soon */
    uint64_t missed_pending;            /* missed deadlines not yet in st (sampling thread) */
    uint64_t lost_pending;              /* rounds without a thread list not yet in st */
    uint64_t rng;                       /* xorshift64 state for slot offsets (sampling thread) */
    uint64_t window_at, window_busy;    /* duty-cycle window (sampling thread) */
    int realtime;                       /* sampling thread only; copied to st */
    cpu_set_t cpus;                     /* CPUs the sampling thread may use */
    int avoided_cpu;                    /* the one we keep off, -1 for none */
    uint64_t affinity_at;
    struct procstat proc;               /* target CPU and memory (sampling thread) */
    uint64_t proc_at;
    int fails_in_a_row;
    struct thread_name names[NAMES_MAX];
    struct thread_name fresh[NAMES_MAX]; /* the names being read (refresh_names) */
    int nnames;
    uint8_t off_cpu[WALK_MAX_THREADS];  /* --cpu: this round's stack i is left out */
};

/* Name of a thread (record_label_fn): threading's name by pthread ident,
 * else, for a new thread, the OS name; a new thread that threading does
 * not name yet asks for the names to be read again soon. A known thread
 * missing from the names keeps its label: threading drops a thread a
 * moment before its last frames end, and an entry that did not read back
 * consistently is left out. */
static int thread_label(void *arg, const struct walk_stack *ws, int first, char *buf, size_t cap)
{
    struct sampler *s = arg;
    for (int i = 0; i < s->nnames; i++)
        if (s->names[i].ident == ws->ident) {
            snprintf(buf, cap, "%s", s->names[i].name);
            return 1;
        }
    if (!first)
        return 0;
    s->names_soon = 1;
    /* Before `threading` is imported the main thread has no Python name
     * yet; it is the one it will get. */
    if (ws->tid == (uint64_t)s->t->pid)
        snprintf(buf, cap, "MainThread");
    else if (!ws->tid || taskstat_name(s->t->pid, (pid_t)ws->tid, buf, cap) < 0)
        snprintf(buf, cap, "thread-%llx", (unsigned long long)ws->ident);
    return 1;
}

static int names_equal(const struct thread_name *a, const struct thread_name *b, int na, int nb)
{
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++)
        if (a[i].ident != b[i].ident || strcmp(a[i].name, b[i].name) != 0)
            return 0;
    return 1;
}

/* Read threading's names when due. Returns 1 when they changed: threads
 * must be labelled again. */
static int refresh_names(struct sampler *s, uint64_t now, uint64_t interp)
{
    uint64_t since = now - s->names_at;
    if (s->names_at && since < NAMES_EVERY_NS && !(s->names_soon && since >= NAMES_SOON_NS))
        return 0;
    s->names_at = now;
    s->names_soon = 0;
    int n = 0;
    if (threadnames_read(s->t->r, &s->t->layout, interp, s->fresh, NAMES_MAX, &n) < 0)
        n = 0;
    int changed = !names_equal(s->fresh, s->names, n, s->nnames);
    if (changed) {
        memcpy(s->names, s->fresh, (size_t)n * sizeof *s->names);
        s->nnames = n;
    }
    return changed;
}

/* --cpu: mark the stacks of threads that are not on a CPU (taskstat.h
 * says how that is known), done before any lock is taken. Failed stacks
 * are checked too: a thread off CPU is no sample, readable or not. */
static void mark_off_cpu(struct sampler *s, int n)
{
    if (s->cfg.cpu_only)
        taskstat_round(s->tasks);
    for (int i = 0; i < n; i++) {
        const struct walk_stack *ws = walker_stack(s->walker, i);
        s->off_cpu[i] = s->cfg.cpu_only && ws->tid &&
                        taskstat_on_cpu(s->tasks, (pid_t)ws->tid) != 1;
    }
}

/* Rounds whose thread list could not be read are lost, except those just
 * before the target turned out to be gone (its exit, not a loss) and
 * those before the interpreter is ready (nothing to sample yet); they are
 * added to st.lost once a later round succeeds or sampling stops with the
 * target still there. Caller holds s->lock. */
static void count_lost(struct sampler *s, int round_rc)
{
    if (round_rc >= 0) {
        s->st.lost += s->lost_pending;
        s->lost_pending = 0;
    } else if (round_rc != ERR_NOT_READY) {
        s->lost_pending++;
    }
}

/* Add this round's stacks: every thread on CPU (all of them in wall mode)
 * is one sample; the others only get their names refreshed. Caller holds
 * s->lock and the profile's lock. */
static void record_round(struct sampler *s, int n, int relabel)
{
    if (relabel)
        recorder_names_changed(s->rec);
    for (int i = 0; i < n; i++) {
        const struct walk_stack *ws = walker_stack(s->walker, i);
        if (s->off_cpu[i]) {
            recorder_touch(s->rec, ws);
        } else if (recorder_add(s->rec, ws) > 0) {
            s->st.stacks++;
            s->st.failed += ws->failed != 0;
        }
    }
}

/* One round: walk every thread without a lock, then add the stacks under
 * the profile's lock and the counters under ours. Returns the number of
 * threads seen or a negative error when the thread list itself could not
 * be read. */
static int sample_round(struct sampler *s, uint64_t now)
{
    int n = walker_round(s->walker), relabel = 0;
    if (n > 0) {
        relabel = refresh_names(s, now, walker_stack(s->walker, 0)->interp);
        mark_off_cpu(s, n);
    }
    pthread_mutex_lock(&s->lock);
    profile_lock(s->profile);
    record_round(s, n, relabel);
    profile_unlock(s->profile);
    count_lost(s, n);
    if (n >= 0)
        s->st.threads = (unsigned)n;
    s->st.taken++;
    s->st.missed += s->missed_pending;
    s->missed_pending = 0;
    s->st.elapsed_ns = now - s->start_ns;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* Has the target gone? Reaps our own child and records its status. */
static int target_gone(struct sampler *s)
{
    if (s->cfg.child > 0) {
        int status;
        pid_t r = waitpid(s->cfg.child, &status, WNOHANG);
        if (r == s->cfg.child) {
            pthread_mutex_lock(&s->lock);
            s->st.exit_status = status;
            pthread_mutex_unlock(&s->lock);
            return 1;
        }
        return r < 0 && errno == ECHILD;
    }
    char state = taskstat_process_state(s->t->pid);
    return state == 0 || state == 'Z' || state == 'X';
}

static int check_alive(struct sampler *s, uint64_t now, int round_rc)
{
    uint64_t every = s->cfg.child > 0 ? CHILD_CHECK_EVERY_NS : ATTACHED_CHECK_EVERY_NS;
    s->fails_in_a_row = round_rc < 0 ? s->fails_in_a_row + 1 : 0;
    int due = now - s->alive_at >= every || round_rc == ERR_EXITED ||
              s->fails_in_a_row >= FAILS_BEFORE_CHECK;
    if (!due)
        return 1;
    s->alive_at = now;
    if (!target_gone(s))
        return 1;
    pthread_mutex_lock(&s->lock);
    s->st.target_exited = 1;
    s->st.proc_ok = 0;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* Advance to the next slot of the schedule; a round that ran past the end
 * of that slot skips whole slots and counts them as missed (added to the
 * counters with the next round), so the schedule never drifts. */
static uint64_t next_slot(struct sampler *s, uint64_t slot, uint64_t now)
{
    uint64_t iv = s->cfg.interval_ns;
    slot += iv;
    if (now >= slot + iv) {
        uint64_t late = (now - slot) / iv;
        slot += late * iv;
        s->missed_pending += late;
    }
    return slot;
}

/* Where in its slot a round is taken: uniformly at random (xorshift64).
 * A sampler that ticks exactly on the interval aliases with programs that
 * run on a timer of their own (a 20 ms loop sampled every 1 ms always hits
 * the same 5 % of it); one random instant per slot keeps the rate exact and
 * every part of a periodic program equally likely to be seen. */
static uint64_t slot_offset(struct sampler *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng % s->cfg.interval_ns;
}

/* Sampling at 1-10 kHz on a busy machine: a normal thread that wakes up
 * waits for other tasks' time slices (milliseconds) and misses deadlines.
 * The lowest SCHED_FIFO priority wakes on time; it needs CAP_SYS_NICE or
 * an RLIMIT_RTPRIO, and without them we stay a normal thread. Children
 * (none are made here) would not inherit it. */
static void set_realtime(struct sampler *s, int on)
{
    struct sched_param p = {.sched_priority = on ? sched_get_priority_min(SCHED_FIFO) : 0};
    int ok = sched_setscheduler(0, on ? SCHED_FIFO | SCHED_RESET_ON_FORK : SCHED_OTHER, &p) == 0;
    s->realtime = on && ok;
    pthread_mutex_lock(&s->lock);
    s->st.realtime = s->realtime;
    pthread_mutex_unlock(&s->lock);
}

/* Give up real-time priority when rounds take a large share of the time
 * (many threads, deep stacks): a real-time thread that never sleeps would
 * starve the machine. busy is the time the last round took. */
static void watch_duty(struct sampler *s, uint64_t now, uint64_t busy)
{
    s->window_busy += busy;
    if (now - s->window_at < DUTY_WINDOW_NS)
        return;
    if (s->realtime && s->window_busy * 4 > now - s->window_at)
        set_realtime(s, 0);
    s->window_at = now;
    s->window_busy = 0;
}

/* Keep the sampling thread off the CPU the target runs on: waking there
 * preempts the target (and, at real-time priority, always does), which
 * costs it a context switch and its cache at every sample. */
static void avoid_target_cpu(struct sampler *s, uint64_t now)
{
    if (now - s->affinity_at < AFFINITY_EVERY_NS || CPU_COUNT(&s->cpus) < 2)
        return;
    s->affinity_at = now;
    int cpu = taskstat_cpu(s->t->pid);
    if (cpu == s->avoided_cpu)
        return;
    cpu_set_t set = s->cpus;
    if (cpu >= 0 && cpu < CPU_SETSIZE)
        CPU_CLR(cpu, &set);
    if (CPU_COUNT(&set) > 0 && sched_setaffinity(0, sizeof set, &set) == 0)
        s->avoided_cpu = cpu;
}

/* The target's CPU % and RSS for the readers (the UI's header): read
 * here, once a second, so that nothing above the sampler reads /proc. */
static void sample_proc(struct sampler *s, uint64_t now)
{
    if (s->proc_at && now - s->proc_at < PROC_EVERY_NS)
        return;
    struct procstat_sample ps;
    int ok = procstat_read(&s->proc, now, &ps) == 0;
    s->proc_at = now;
    pthread_mutex_lock(&s->lock);
    s->st.proc_ok = ok;
    if (ok) {
        s->st.cpu_pct = ps.cpu_pct;
        s->st.rss_bytes = ps.rss_bytes;
    }
    pthread_mutex_unlock(&s->lock);
}

static void *run(void *arg)
{
    struct sampler *s = arg;
    /* This thread only: wake-ups within a microsecond of the deadline. */
    prctl(PR_SET_TIMERSLACK, TIMER_SLACK_NS, 0, 0, 0);
    s->avoided_cpu = -1;
    if (sched_getaffinity(0, sizeof s->cpus, &s->cpus) < 0)
        CPU_ZERO(&s->cpus);
    if (s->cfg.interval_ns >= RT_MIN_INTERVAL_NS)
        set_realtime(s, 1);
    /* The schedule starts when sampling was started, not when this thread
     * first ran: slots lost to a slow thread start count as missed. */
    uint64_t slot = s->start_ns, done = clock_now_ns();
    s->window_at = done;
    s->rng = done | 1;
    while (!atomic_load(&s->stop)) {
        uint64_t deadline = slot + slot_offset(s);
        if (deadline > done + SLEEP_MIN_NS)
            clock_sleep_until(deadline);
        uint64_t now = clock_now_ns();
        if (s->cfg.duration_ns && now - s->start_ns >= s->cfg.duration_ns) {
            /* Woken after the end: the slots slept through were missed too. */
            uint64_t end = s->start_ns + s->cfg.duration_ns;
            if (end > slot)
                s->missed_pending += (end - slot) / s->cfg.interval_ns;
            break;
        }
        int rc = sample_round(s, now);
        if (!check_alive(s, now, rc))
            break;
        avoid_target_cpu(s, now);
        sample_proc(s, now);
        done = clock_now_ns();
        if (s->realtime)
            watch_duty(s, done, done - now);
        slot = next_slot(s, slot, done);
    }
    pthread_mutex_lock(&s->lock);
    s->st.missed += s->missed_pending;
    if (!s->st.target_exited)
        s->st.lost += s->lost_pending;
    s->st.running = 0;
    s->st.elapsed_ns = clock_now_ns() - s->start_ns;
    pthread_cond_broadcast(&s->finished);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* --cpu keeps up to three files open per thread of the target
 * (taskstat.c): allow as many descriptors as the hard limit does. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static struct sampler *sampler_alloc(struct pytarget *target, struct profile *profile,
                                     const struct sampler_config *cfg)
{
    struct sampler *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->t = target;
    s->profile = profile;
    s->table = profile_table(profile);
    s->cfg = *cfg;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->finished, &ca);
    pthread_condattr_destroy(&ca);
    s->codes = codecache_new();
    s->tasks = taskstat_new(target->pid);
    if (s->codes && walker_new(target, s->codes, &s->walker) < 0)
        s->walker = NULL;
    if (!s->codes || !s->walker || !s->tasks) {
        sampler_free(s);
        return NULL;
    }
    profile_lock(profile);
    s->rec = recorder_new(s->table, thread_label, s);   /* interns its marker frames */
    profile_unlock(profile);
    if (!s->rec) {
        sampler_free(s);
        return NULL;
    }
    if (cfg->cpu_only)
        raise_fd_limit();
    s->st.interval_ns = cfg->interval_ns;
    s->st.exit_status = -1;
    s->st.running = 1;
    return s;
}

int sampler_start(struct pytarget *target, struct profile *profile, const struct sampler_config *cfg,
                  struct sampler **out)
{
    if (cfg->interval_ns == 0)
        return ERR_USAGE;
    struct sampler *s = sampler_alloc(target, profile, cfg);
    if (!s) {
        sampler_free(s);
        return ERR_NOMEM;
    }
    s->start_ns = clock_now_ns();
    procstat_init(&s->proc, target->pid, s->start_ns);
    s->proc_at = s->start_ns;
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        sampler_free(s);
        return ERR_NOMEM;
    }
    s->started = 1;
    *out = s;
    return 0;
}

void sampler_stop(struct sampler *s)
{
    if (!s || !s->started)
        return;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    s->started = 0;
}

void sampler_free(struct sampler *s)
{
    if (!s)
        return;
    sampler_stop(s);
    walker_free(s->walker);
    codecache_free(s->codes);
    recorder_free(s->rec);
    taskstat_free(s->tasks);
    pthread_cond_destroy(&s->finished);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void sampler_wait(struct sampler *s, volatile int *stop_flag)
{
    pthread_mutex_lock(&s->lock);
    while (s->st.running && !(stop_flag && *stop_flag)) {
        /* Signals do not interrupt the wait: look at the flag now and then. */
        uint64_t at = clock_now_ns() + WAIT_POLL_NS;
        struct timespec ts = {.tv_sec = (time_t)(at / 1000000000ULL),
                              .tv_nsec = (long)(at % 1000000000ULL)};
        pthread_cond_timedwait(&s->finished, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
}

void sampler_get_stats(struct sampler *s, struct sampler_stats *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->st;
    if (out->running)
        out->elapsed_ns = clock_now_ns() - s->start_ns;
    pthread_mutex_unlock(&s->lock);
}

void sampler_reset(struct sampler *s)
{
    pthread_mutex_lock(&s->lock);
    profile_reset(s->profile);
    s->st.taken = s->st.missed = s->st.failed = s->st.stacks = s->st.lost = 0;
    s->start_ns = clock_now_ns();
    s->st.elapsed_ns = 0;
    pthread_mutex_unlock(&s->lock);
}
