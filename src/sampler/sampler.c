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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "codecache.h"
#include "cpuswitch.h"
#include "discover.h"
#include "error.h"
#include "pnative.h"
#include "proc.h"
#include "procstat.h"
#include "profile.h"
#include "pytarget.h"
#include "table.h"
#include "taskstat.h"

#define CHILD_FAILS_MAX 3               /* a child's failed rounds in a row before it is retired */
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
 * least RT_MIN_INTERVAL_NS; dropped when the thread's CPU time is more
 * than a quarter of two DUTY_WINDOW_NS windows in a row (one alone may
 * hold a one-off cost: the first reads of new processes), taken again after a window
 * below a fifth once RT_BACKOFF_NS have passed (doubled at each drop, up
 * to RT_BACKOFF_MAX_NS). Without it, a short time slice is asked for
 * (SHORT_SLICE_NS): the kernel's EEVDF scheduler (Linux 6.12 and newer)
 * then lets the woken thread run before the others' longer slices end. */
#define RT_MIN_INTERVAL_NS 50000ULL
#define DUTY_WINDOW_NS 100000000ULL
#define RT_BACKOFF_NS 1000000000ULL
#define RT_BACKOFF_MAX_NS 16000000000ULL
#define SHORT_SLICE_NS 100000ULL
#define AFFINITY_EVERY_NS 100000000ULL  /* how often we look where the target runs */
#define PROC_EVERY_NS 1000000000ULL     /* target CPU % and RSS: over at least a second */

struct sampler {
    struct proc *procs[SAMPLER_PROCS_MAX];      /* sampling thread only */
    int nprocs;
    pid_t root;                         /* cfg.root, else the target's pid */
    struct discover *disc;              /* owned, NULL when not following children */
    struct cpuswitch *sw;               /* owned: the switch records, NULL when not used */
    struct sampler_config cfg;
    struct profile *profile;            /* borrowed: the sampler only writes into it */
    struct table *table;                /* the profile's; only under profile_lock() */
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t finished;            /* signalled (under lock) when st.running drops */
    atomic_int stop;
    struct sampler_stats st;            /* guarded by lock */
    uint64_t start_ns;
    uint64_t alive_at;
    uint64_t missed_pending;            /* missed deadlines not yet in st (sampling thread) */
    uint64_t lost_pending;              /* rounds without a thread list not yet in st */
    uint64_t rng;                       /* xorshift64 state for slot offsets (sampling thread) */
    uint64_t window_at, window_cpu;     /* duty-cycle window: start, thread CPU time then */
    int window_over;                    /* the last window's share was over the limit */
    int realtime;                       /* sampling thread only; copied to st */
    int rt_allowed;                     /* real-time priority was granted once */
    uint64_t rt_since, rt_off_at, rt_backoff;  /* when taken, when dropped, the wait to retake */
    cpu_set_t cpus;                     /* CPUs the sampling thread may use */
    int avoided_cpu;                    /* the one we keep off, -1 for none */
    uint64_t affinity_at;
    uint64_t proc_at;
    struct sampler_proc_info known[SAMPLER_PROCS_KNOWN];  /* guarded by lock */
    int nknown;
    int fails_in_a_row;
};

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

/* Retire process i (not the root): it exited, or its reads failed (it may
 * have exec'd: discovery opens it again). Its samples stay. */
static void retire(struct sampler *s, int i)
{
    if (s->disc)
        discover_forget(s->disc, s->procs[i]->t->pid);
    profile_lock(s->profile);
    proc_flush_tasks(s->procs[i]);
    profile_unlock(s->profile);
    proc_free(s->procs[i]);
    s->procs[i] = s->procs[--s->nprocs];
}

/* Processes other than the root whose thread list could not be read
 * CHILD_FAILS_MAX rounds in a row, or that are gone, are retired. */
static void retire_failed(struct sampler *s)
{
    for (int i = s->nprocs - 1; i >= 0; i--) {
        struct proc *p = s->procs[i];
        if (p->t->pid == s->root)
            continue;
        int failed = p->n < 0 && p->n != ERR_NOT_READY;
        p->fails_in_a_row = failed ? p->fails_in_a_row + 1 : 0;
        if (p->n == ERR_EXITED || p->n == ERR_NO_PROCESS || p->fails_in_a_row >= CHILD_FAILS_MAX)
            retire(s, i);
    }
}

/* Follow the descendants found since the last poll (when due). With the
 * switch records, discovery polls when the family forked or exec'd
 * (discover_use_events), and the family it found is what they watch. */
static void discover_children(struct sampler *s, uint64_t now)
{
    struct pytarget *found[SAMPLER_PROCS_MAX];
    if (s->sw)
        discover_use_events(s->disc, cpuswitch_family_events(s->sw));
    int n = discover_poll(s->disc, now, found, SAMPLER_PROCS_MAX - s->nprocs), added = 0;
    const pid_t *family;
    size_t nf = s->sw ? discover_take_family(s->disc, &family) : 0;
    if (nf)
        cpuswitch_set_family(s->sw, family, nf);
    if (n > 0) {
        profile_lock(s->profile);
        for (int i = 0; i < n; i++) {
            struct proc *p = proc_new(found[i], 0, s->table, &s->cfg, now);
            if (p) {
                taskstat_use_switches(p->tasks, s->sw);
                s->procs[s->nprocs++] = p;
            }
            added += p != NULL;
        }
        profile_unlock(s->profile);
    }
    pthread_mutex_lock(&s->lock);
    s->st.procs_followed += (unsigned)added;
    s->st.procs_waited = discover_waited(s->disc);
    discover_cost(s->disc, &s->st.discover_polls, &s->st.discover_ns);
    pthread_mutex_unlock(&s->lock);
}

/* --native: the round's counts of every process into the counters (s->lock held). */
static void count_native(struct sampler *s)
{
    unsigned procs_failed = 0;
    for (int i = 0; i < s->nprocs; i++) {
        struct proc *p = s->procs[i];
        procs_failed += p->native && !p->pn;
        s->st.native_mixed += p->native_mixed;
        if (!p->pn)
            continue;
        struct pnative_counts c;
        pnative_counts(p->pn, &c);
        s->st.native_samples += c.samples;
        s->st.native_mismatch += c.mismatch;
        s->st.native_incomplete += c.incomplete;
        s->st.native_unwind_failed += c.unwind_failed;
        s->st.native_superseded += c.superseded;
        s->st.native_lost += c.lost;
        s->st.native_malformed += c.malformed;
        s->st.native_stops += c.stops;
        s->st.native_threads_failed += (unsigned)c.threads_failed;
    }
    if (procs_failed > s->st.native_procs_failed)
        s->st.native_procs_failed = procs_failed;
}

/* The switch records' counters into ours (s->lock held). */
static void count_switches(struct sampler *s)
{
    struct cpuswitch_stats cs;
    if (!s->sw)
        return;
    cpuswitch_stats(s->sw, &cs);
    s->st.switch_records = cs.records;
    s->st.switch_lost = cs.lost;
    s->st.switch_resets = cs.resets;
}

/* Process p's code-cache loads since the last round into ours, and its
 * code objects cached now into *cached (s->lock held). */
static void count_codes(struct sampler *s, struct proc *p, uint64_t *cached)
{
    uint64_t hits, loads;
    codecache_stats(p->codes, &hits, &loads);
    s->st.code_loads += loads - p->code_loads;
    p->code_loads = loads;
    *cached += codecache_entries(p->codes);
}

/* One round: walk every thread of every process without a lock, then add
 * the stacks under the profile's lock and the counters under ours.
 * Returns the root's count of threads or a negative error when its thread
 * list itself could not be read. */
static int sample_round(struct sampler *s, uint64_t now)
{
    if (s->sw)                          /* who ran since the last round, before the looks */
        cpuswitch_poll(s->sw);
    for (int i = 0; i < s->nprocs; i++)
        proc_walk(s->procs[i], now);
    unsigned stacks = 0, failed = 0, threads = 0, waiting = 0, quiet = 0, f, tasks = 0;
    unsigned walked = 0, copied = 0, kept = 0, threadless = 0;
    uint64_t cached = 0;
    unsigned listed = 0, skipped = 0;
    int gil_known = 0;
    pthread_mutex_lock(&s->lock);
    profile_lock(s->profile);
    for (int i = 0; i < s->nprocs; i++) {
        stacks += proc_record(s->procs[i], &f);
        failed += f;
        threadless += s->procs[i]->threadless;
        threads += s->procs[i]->n > 0 ? (unsigned)s->procs[i]->n : 0;
        waiting += s->procs[i]->gil_waiting;
        gil_known |= s->procs[i]->gil_known;
        quiet += (unsigned)s->procs[i]->quiet;
        walked += !s->procs[i]->quiet && s->procs[i]->n > 0 ? (unsigned)s->procs[i]->n : 0;
        copied += s->procs[i]->copied;
        kept += s->procs[i]->kept;
        count_codes(s, s->procs[i], &cached);
        tasks += proc_record_tasks(s->procs[i]);
        listed += s->procs[i]->task_stats.listed;
        skipped += s->procs[i]->task_stats.cut;
    }
    profile_unlock(s->profile);
    s->st.tasks = listed;
    s->st.tasks_cut = skipped;
    s->st.task_samples += tasks;
    int n = 0;                          /* a root that is not Python loses nothing */
    for (int i = 0; i < s->nprocs; i++)
        if (s->procs[i]->t->pid == s->root)
            n = s->procs[i]->n;
    count_lost(s, n);
    s->st.stacks += stacks;
    s->st.failed += failed;
    s->st.threadless += threadless;
    s->st.proc_rounds += (unsigned)s->nprocs;
    if (s->cfg.native)
        count_native(s);
    s->st.quiet_rounds += quiet;
    s->st.walked_stacks += walked;
    s->st.copied_stacks += copied;
    s->st.kept_states += kept;
    s->st.code_cached = cached;
    count_switches(s);
    if (n >= 0 || s->nprocs > 1) {
        s->st.threads = threads;
        s->st.gil_waiting = waiting;
        s->st.gil_known = gil_known;
    }
    s->st.taken++;
    s->st.missed += s->missed_pending;
    s->missed_pending = 0;
    s->st.elapsed_ns = now - s->start_ns;
    pthread_mutex_unlock(&s->lock);
    retire_failed(s);
    if (s->disc)
        discover_children(s, now);
    pthread_mutex_lock(&s->lock);
    s->st.procs = (unsigned)s->nprocs;
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
    char state = taskstat_process_state(s->root);
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
 * an RLIMIT_RTPRIO. Without them, or when dropped (watch_duty), a normal
 * thread with a short slice (sched_setattr's sched_runtime, which EEVDF
 * reads as the slice wanted; ignored by older kernels). Children (none are
 * made here) would not inherit either. */
struct slice_attr {                      /* struct sched_attr, as far as needed */
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
};

static void set_realtime(struct sampler *s, int on, uint64_t now)
{
    struct sched_param p = {.sched_priority = on ? sched_get_priority_min(SCHED_FIFO) : 0};
    int ok = sched_setscheduler(0, on ? SCHED_FIFO | SCHED_RESET_ON_FORK : SCHED_OTHER, &p) == 0;
    if (!on || !ok) {
        /* refused by a kernel without it: the default slice stays */
        struct slice_attr a = {.size = sizeof a, .policy = SCHED_OTHER, .runtime = SHORT_SLICE_NS};
        (void)syscall(SYS_sched_setattr, 0, &a, 0);
    }
    pthread_mutex_lock(&s->lock);
    if (s->realtime && !(on && ok))
        s->st.rt_ns += now - s->rt_since;
    else if (!s->realtime && on && ok)
        s->rt_since = now;
    s->realtime = on && ok;
    s->rt_allowed |= s->realtime;
    s->st.realtime = s->realtime;
    pthread_mutex_unlock(&s->lock);
}

/* Give up real-time priority when rounds take a large share of the time
 * (many threads, deep stacks): a real-time thread that never sleeps would
 * starve the machine. The thread's own CPU time is the measure, read once
 * a window: waiting for a read or for the CPU starves nobody. Taken again
 * when the load has fallen (fewer processes, threads that went quiet). */
static void watch_duty(struct sampler *s, uint64_t now)
{
    if (now - s->window_at < DUTY_WINDOW_NS)
        return;
    uint64_t cpu = clock_thread_cpu_ns(), used = cpu - s->window_cpu, span = now - s->window_at;
    int over = used * 4 > span;
    if (s->realtime && over && s->window_over) {
        set_realtime(s, 0, now);
        s->rt_off_at = now;
        s->rt_backoff = s->rt_backoff ? s->rt_backoff * 2 : RT_BACKOFF_NS;
        if (s->rt_backoff > RT_BACKOFF_MAX_NS)
            s->rt_backoff = RT_BACKOFF_MAX_NS;
        pthread_mutex_lock(&s->lock);
        s->st.rt_drops++;
        pthread_mutex_unlock(&s->lock);
    } else if (!s->realtime && s->rt_allowed && used * 5 < span && now - s->rt_off_at >= s->rt_backoff) {
        set_realtime(s, 1, now);
    }
    s->window_over = over;
    s->window_at = now;
    s->window_cpu = cpu;
}

/* Keep the sampling thread off the CPU the target runs on: waking there
 * preempts the target (and, at real-time priority, always does), which
 * costs it a context switch and its cache at every sample. */
static void avoid_target_cpu(struct sampler *s, uint64_t now)
{
    if (now - s->affinity_at < AFFINITY_EVERY_NS || CPU_COUNT(&s->cpus) < 2)
        return;
    s->affinity_at = now;
    int cpu = taskstat_cpu(s->nprocs ? s->procs[0]->t->pid : s->root);
    if (cpu == s->avoided_cpu)
        return;
    cpu_set_t set = s->cpus;
    if (cpu >= 0 && cpu < CPU_SETSIZE)
        CPU_CLR(cpu, &set);
    if (CPU_COUNT(&set) > 0 && sched_setaffinity(0, sizeof set, &set) == 0)
        s->avoided_cpu = cpu;
}

/* The CPU % and RSS of the processes followed, summed, for the readers
 * (the UI's header): read here, once a second, so that nothing above the
 * sampler reads /proc. A process that cannot be read counts nothing. */
/* The processes for sampler_get_procs(), under s->lock: those sampled now,
 * then those known before and not sampled any more (ended), as many as
 * fit. */
static void publish_procs(struct sampler *s)
{
    struct sampler_proc_info next[SAMPLER_PROCS_KNOWN];
    int n = 0;
    for (int i = 0; i < s->nprocs && n < SAMPLER_PROCS_KNOWN; i++) {
        const struct proc *p = s->procs[i];
        next[n++] = (struct sampler_proc_info){.pid = p->t->pid, .alive = 1,
                                               .cpu_pct = p->stat_ok ? p->cpu_pct : -1,
                                               .rss_bytes = p->stat_ok ? p->rss_bytes : 0};
    }
    for (int k = 0; k < s->nknown && n < SAMPLER_PROCS_KNOWN; k++) {
        int still = 0;
        for (int i = 0; i < s->nprocs && !still; i++)
            still = s->procs[i]->t->pid == s->known[k].pid;
        if (!still)
            next[n++] = (struct sampler_proc_info){.pid = s->known[k].pid, .alive = 0,
                                                   .cpu_pct = -1};
    }
    memcpy(s->known, next, (size_t)n * sizeof *next);
    s->nknown = n;
}

static void sample_proc(struct sampler *s, uint64_t now)
{
    if (s->proc_at && now - s->proc_at < PROC_EVERY_NS)
        return;
    s->proc_at = now;
    double cpu = 0;
    uint64_t rss = 0;
    int ok = 0;
    for (int i = 0; i < s->nprocs; i++) {
        struct proc *p = s->procs[i];
        proc_read_stat(p, now);
        if (!p->stat_ok)
            continue;
        ok = 1;
        cpu += p->cpu_pct > 0 ? p->cpu_pct : 0;
        rss += p->rss_bytes;
    }
    pthread_mutex_lock(&s->lock);
    s->st.proc_ok = ok;
    if (ok) {
        s->st.cpu_pct = cpu;
        s->st.rss_bytes = rss;
    }
    publish_procs(s);
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
    /* The schedule starts when sampling was started, not when this thread
     * first ran: slots lost to a slow thread start count as missed. */
    uint64_t slot = s->start_ns, done = clock_now_ns();
    set_realtime(s, 0, done);
    int rt_asked = s->cfg.interval_ns < RT_MIN_INTERVAL_NS;
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
        if (!rt_asked) {
            /* after the first round, which opens the processes found at
             * the start: a cost paid once, not the rounds' */
            rt_asked = 1;
            set_realtime(s, 1, done);
            s->window_at = done;
            s->window_cpu = clock_thread_cpu_ns();
        } else if (s->rt_allowed) {
            watch_duty(s, done);
        }
        slot = next_slot(s, slot, done);
    }
    profile_lock(s->profile);           /* the tasks' waiting time not recorded yet */
    for (int i = 0; i < s->nprocs; i++)
        proc_flush_tasks(s->procs[i]);
    profile_unlock(s->profile);
    pthread_mutex_lock(&s->lock);
    s->st.missed += s->missed_pending;
    if (s->realtime)
        s->st.rt_ns += clock_now_ns() - s->rt_since;
    if (!s->st.target_exited)
        s->st.lost += s->lost_pending;
    s->st.running = 0;
    s->st.elapsed_ns = clock_now_ns() - s->start_ns;
    pthread_cond_broadcast(&s->finished);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Every thread's on-CPU state is looked at every round, through up to
 * four files kept open per thread (taskstat.c), and discovery keeps the
 * children files open (proctree.c): allow as many descriptors as the
 * hard limit does. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static struct sampler *sampler_alloc(struct pytarget *target, struct profile *profile,
                                     const struct sampler_config *cfg, int *rc)
{
    struct sampler *s = calloc(1, sizeof *s);
    *rc = ERR_NOMEM;
    if (!s)
        return NULL;
    s->profile = profile;
    s->table = profile_table(profile);
    s->cfg = *cfg;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->finished, &ca);
    pthread_condattr_destroy(&ca);
    profile_lock(profile);
    s->procs[0] = proc_new(target, 1, s->table, cfg, clock_now_ns());
    profile_unlock(profile);
    s->nprocs = s->procs[0] != NULL;
    s->root = cfg->root > 0 ? cfg->root : target->pid;
    if (cfg->follow)
        s->disc = discover_new(s->root);
    if (!s->nprocs || (cfg->follow && !s->disc)) {
        sampler_free(s);
        return NULL;
    }
    if (s->procs[0]->native && !s->procs[0]->pn) {     /* --native, not for the target itself */
        *rc = s->procs[0]->native_rc;
        sampler_free(s);
        return NULL;
    }
    if (s->disc && target->pid != s->root) {
        discover_with_root(s->disc);
        discover_follow(s->disc, target->pid);
    }
    raise_fd_limit();
    /* Thread states from the switch records where the kernel allows them
     * (the error said in -v's log), else from /proc alone. */
    s->st.switches = cfg->no_switches ? 0 : cpuswitch_open(&s->sw);
    if (s->sw) {
        s->st.switches = 1;
        taskstat_use_switches(s->procs[0]->tasks, s->sw);
    }
    s->st.interval_ns = cfg->interval_ns;
    s->st.exit_status = -1;
    s->st.running = 1;
    s->st.procs = s->st.procs_followed = 1;
    return s;
}

int sampler_start(struct pytarget *target, struct profile *profile, const struct sampler_config *cfg,
                  struct sampler **out)
{
    if (cfg->interval_ns == 0)
        return ERR_USAGE;
    int rc;
    struct sampler *s = sampler_alloc(target, profile, cfg, &rc);
    if (!s)
        return rc;
    s->start_ns = clock_now_ns();
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
    for (int i = 0; i < s->nprocs; i++)
        proc_free(s->procs[i]);
    discover_free(s->disc);
    cpuswitch_free(s->sw);              /* after the procs: their taskstats borrow it */
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

int sampler_get_procs(struct sampler *s, struct sampler_proc_info *out, int cap)
{
    pthread_mutex_lock(&s->lock);
    int n = s->nknown < cap ? s->nknown : cap;
    if (n > 0)
        memcpy(out, s->known, (size_t)n * sizeof *out);
    pthread_mutex_unlock(&s->lock);
    return n > 0 ? n : 0;
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
    s->st.threadless = 0;
    s->st.task_samples = 0;
    s->st.native_samples = s->st.native_mixed = s->st.native_mismatch = 0;
    s->st.native_incomplete = s->st.native_unwind_failed = 0;
    s->st.native_superseded = s->st.native_lost = s->st.native_malformed = s->st.native_stops = 0;
    s->start_ns = clock_now_ns();
    s->st.elapsed_ns = 0;
    s->st.rt_ns = 0;                    /* the share at real-time priority: of the new span */
    if (s->realtime)
        s->rt_since = s->start_ns;
    pthread_mutex_unlock(&s->lock);
}
