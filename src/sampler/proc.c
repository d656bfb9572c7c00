/* SPDX-License-Identifier: MIT */
/* One process of the sampler's set: opening its walker and recorder,
 * walking and recording a round, naming its threads (proc.h). */
#include "proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "codecache.h"
#include "error.h"
#include "pnative.h"
#include "procstat.h"
#include "pytarget.h"
#include "record.h"
#include "sampler.h"
#include "table.h"
#include "taskstat.h"

/* Thread names are read again every NAMES_EVERY_NS (threads rename
 * themselves), and NAMES_SOON_NS after a new thread without a name appears
 * (threading registers a thread a moment after its first frame runs).
 * Each process reads them at its own phase of the period (a read costs
 * 0.2-0.6 ms for ten threads: worker processes started together would
 * all read in one round and make it late), and not when none of its
 * threads ran since the last read (a name changes only by Python code). */
#define NAMES_EVERY_NS 500000000ULL
#define NAMES_SOON_NS 50000000ULL
/* A process whose threads did not run is walked again after this long
 * all the same. */
#define QUIET_MAX_NS 250000000ULL

/* Name of a thread (record_label_fn): threading's name by pthread ident,
 * else, for a new thread, the OS name; a new thread that threading does
 * not name yet asks for the names to be read again soon. A known thread
 * missing from the names keeps its label: threading drops a thread a
 * moment before its last frames end, and an entry that did not read back
 * consistently is left out. */
static int thread_label(void *arg, const struct walk_stack *ws, int first, char *buf, size_t cap)
{
    struct proc *p = arg;
    for (int i = 0; i < p->nnames; i++)
        if (p->names[i].ident == ws->ident) {
            snprintf(buf, cap, "%s", p->names[i].name);
            return 1;
        }
    if (!first)
        return 0;
    p->names_soon = 1;
    /* Before `threading` is imported the main thread has no Python name
     * yet; it is the one it will get. */
    if (ws->tid == (uint64_t)p->t->pid)
        snprintf(buf, cap, "MainThread");
    else if (!ws->tid || taskstat_name(p->t->pid, (pid_t)ws->tid, buf, cap) < 0)
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
static int refresh_names(struct proc *p, uint64_t now, uint64_t interp)
{
    uint64_t since = now - p->names_at;
    int soon = p->names_soon && since >= NAMES_SOON_NS;
    if (p->names_at && !soon && (since < NAMES_EVERY_NS || p->names_still))
        return 0;
    /* the first read sets the process's phase: the next one comes sooner */
    p->names_at = p->names_at ? now : now - (uint64_t)p->t->pid * 2654435761u % NAMES_EVERY_NS;
    p->names_soon = 0;
    int n = 0;
    if (threadnames_read(p->t->r, &p->t->layout, interp, p->fresh, NAMES_MAX, &n) < 0)
        n = 0;
    int changed = !names_equal(p->fresh, p->names, n, p->nnames);
    if (changed) {
        memcpy(p->names, p->fresh, (size_t)n * sizeof *p->names);
        p->nnames = n;
    }
    return changed;
}

/* Look at every thread of the last walk before this round's walk: its
 * on-CPU state this round (taskstat caches it for mark_on_cpu), and
 * whether its stack still holds: it does when the thread has not run
 * since the stack was read (its quiet_since is older than the read). A
 * thread's stack changes only while it runs. The walker copies the stacks
 * that hold (walker_still), and their thread states too when no thread
 * started or ended (walker_list_still); the whole walk can be skipped
 * when every one does, no stack failed, and no thread started or ended
 * (taskstat_thread_mark: a thread that is not Python's yet may become so
 * without any of ours running). Returns 1 when the walk can be skipped. */
static int look_before(struct proc *p, uint64_t now)
{
    taskstat_round(p->tasks);
    int quiet = p->n > 0 && p->walked_ns && !p->failed_any && now - p->walked_ns < QUIET_MAX_NS;
    int running = 0, any_still = 0;
    p->names_still = p->n > 0 && p->names_at;
    for (int i = 0; i < p->n; i++) {
        const struct walk_stack *ws = walker_stack(p->walker, i);
        uint64_t since = UINT64_MAX;
        int on = ws->tid ? taskstat_look(p->tasks, (pid_t)ws->tid, &since) : ERR_READ;
        int still = on == 0 && since < ws->read_ns;
        walker_still(p->walker, i, still);
        quiet &= still;
        any_still |= still;
        running |= on == 1;
        p->names_still &= on == 0 && since <= p->names_at;
    }
    /* The threads' mark, for this round's test and, when the process is
     * walked now, the next round's, and for the walker, which keeps the
     * thread states of still threads when no thread started or ended
     * (walker_list_still). A thread on a CPU now has run since this
     * round's walk by the next look (its schedstat moved, or it is still
     * on a CPU), so neither round can be quiet: no need to ask unless a
     * thread is still. */
    p->threads_now = p->n > 0 && (!running || any_still) ? taskstat_thread_mark(p->tasks) : -1;
    walker_list_still(p->walker, p->threads_now >= 0 && p->threads_now == p->threads_at_walk);
    return quiet && p->threads_now >= 0 && p->threads_now == p->threads_at_walk;
}

/* Before 3.15 the interpreter does not say who waits for its GIL: a
 * thread off CPU, not holding it, asleep in a futex wait on the GIL's
 * condition variable or mutex, does (taskstat_futex: read again only for
 * a thread that ran since), while the GIL is locked: one woken by its
 * release waits for a CPU, not for the GIL (and the read is saved for the
 * threads of a process that mostly runs without the GIL). */
static int gil_blocked(struct proc *p, const struct walk_stack *ws)
{
    uint64_t uaddr;
    if (ws->gil_wait >= 0 || !ws->gil_at || ws->gil == 1 || ws->gil_locked == 0 || !ws->tid ||
        taskstat_futex(p->tasks, (pid_t)ws->tid, &uaddr) != 1)
        return 0;
    return walk_gil_lock_at(ws, uaddr);
}

/* What a thread found on a CPU ran (record_state.ran): the kernel when
 * system time is owed to its samples (taskstat_system), else C code when
 * its innermost Python frame's instruction is a call (walker.h in_call),
 * else Python. */
static int ran_on_cpu(struct proc *p, const struct walk_stack *ws)
{
    if (taskstat_system(p->tasks, (pid_t)ws->tid, p->interval_ns))
        return RECORD_RAN(TABLE_W_SYSTEM);
    if (ws->failed || ws->depth <= 0)
        return 0;
    return RECORD_RAN(ws->frames[0].in_call == 1 ? TABLE_W_C : TABLE_W_PYTHON);
}

/* Whether each walked thread is on a CPU now (looked at in look_before,
 * or now for a thread new in this walk: taskstat.h says how that is
 * known), done before any lock is taken; and the resident memory, but
 * not in a quiet round (no thread ran: what changed meanwhile is in the
 * next reading's difference). */
static void read_states(struct proc *p, int quiet)
{
    for (int i = 0; i < p->n; i++) {
        const struct walk_stack *ws = walker_stack(p->walker, i);
        int on = ws->tid ? taskstat_on_cpu(p->tasks, (pid_t)ws->tid) : ERR_READ;
        p->on_cpu[i] = (int8_t)(on == 0 || on == 1 ? on : -1);
        p->absent[i] = on == ERR_EXITED;
        p->gil_blocked[i] = on == 0 && gil_blocked(p, ws);
        p->ran[i] = (int8_t)(on == 1 ? ran_on_cpu(p, ws) : 0);
    }
    uint64_t rss;
    if (quiet && p->rss_known)
        return;
    if (rssmeter_read(&p->rss, &rss) == 0) {
        if (p->rss_known)
            p->rss_delta += (int64_t)(rss - p->rss_last);
        p->rss_last = rss;
        p->rss_known = 1;
    }
}

/* Name the process in the table after its command line (what outputs
 * write after its pid, and views show), at most PNAME_MAX bytes. */
#define PNAME_MAX 200
static void name_process(struct table *table, pid_t pid)
{
    char buf[4096], name[PNAME_MAX + 1];
    char *argv[64];
    int argc = procstat_cmdline(pid, buf, sizeof buf, argv, 64);
    size_t len = 0;
    name[0] = '\0';
    for (int i = 0; i < argc && len < PNAME_MAX; i++) {
        const char *a = argv[i], *slash = i == 0 ? strrchr(a, '/') : NULL;   /* python3, not its path */
        len += (size_t)snprintf(name + len, sizeof name - len, "%s%s", i ? " " : "",
                                slash && slash[1] ? slash + 1 : a);
    }
    if (name[0])
        table_set_process_name(table, (uint32_t)pid, name);
}

/* --native: the capture and unwinder. Perf samples a thread every so
 * much of its CPU time; a round takes the newest sample since the last
 * round, so the period is a quarter of the round's interval (on a busy
 * machine a thread gets a part of a CPU: a round finds a sample when the
 * thread had a quarter of an interval on one), at least 1 kHz, at most
 * NATIVE_PERF_MAX_HZ (the kernel copies 32 KiB of stack per sample). */
#define NATIVE_PERF_MAX_HZ 10000
static void open_native(struct proc *p, const struct sampler_config *cfg)
{
    p->native = cfg->native != 0;
    if (!p->native)
        return;
    enum ncapture_how how = cfg->native == SAMPLER_NATIVE_PTRACE ? NCAPTURE_PTRACE : NCAPTURE_PERF;
    uint64_t hz = 4000000000ULL / (cfg->interval_ns ? cfg->interval_ns : 1);
    hz = hz < 1000 ? 1000 : hz > NATIVE_PERF_MAX_HZ ? NATIVE_PERF_MAX_HZ : hz;
    const struct py_layout *l = &p->t->layout;
    p->native_rc = pnative_new((uint32_t)p->t->pid, how, (unsigned)hz,
                               l->frame_model == FRAME_MODEL_INTERP ? l->frame_back : -1,
                               l->cframe_current_frame, &p->pn);
}

struct proc *proc_new(struct pytarget *t, int borrowed, struct table *table,
                      const struct sampler_config *cfg, uint64_t now_ns)
{
    int tasks = cfg->tasks;
    struct proc *p = calloc(1, sizeof *p);
    if (!p) {
        if (!borrowed)
            pytarget_free(t);
        return NULL;
    }
    p->t = t;
    p->borrowed = borrowed;
    p->interval_ns = cfg->interval_ns;
    p->codes = codecache_new();
    p->tasks = taskstat_new(t->pid);
    if (p->codes && walker_new(t, p->codes, &p->walker) < 0)
        p->walker = NULL;
    p->rec = recorder_new(table, thread_label, p);     /* interns its marker frames */
    /* A CPython before 3.11 has no readable tasks (ERR_VERSION): the
     * process is sampled without them (the target itself was refused
     * before sampling started: run_target.c). */
    int trc = tasks && p->codes ? taskwalk_new(t, p->codes, &p->tw) : 0;
    if (!p->codes || !p->walker || !p->tasks || !p->rec || trc == ERR_NOMEM) {
        proc_free(p);
        return NULL;
    }
    recorder_set_pid(p->rec, (uint32_t)t->pid);
    open_native(p, cfg);
    name_process(table, t->pid);
    rssmeter_open(&p->rss, t->pid);
    procstat_init(&p->stat, t->pid, now_ns);
    p->cpu_pct = -1;
    return p;
}

void proc_free(struct proc *p)
{
    if (!p)
        return;
    pnative_free(p->pn);
    taskwalk_free(p->tw);
    walker_free(p->walker);
    codecache_free(p->codes);
    recorder_free(p->rec);
    taskstat_free(p->tasks);
    rssmeter_close(&p->rss);
    if (!p->borrowed)
        pytarget_free(p->t);
    free(p);
}

void proc_walk(struct proc *p, uint64_t now_ns)
{
    p->relabel = 0;
    p->copied = p->kept = 0;
    p->quiet = look_before(p, now_ns);
    if (p->quiet) {
        p->quiet_rounds++;
        read_states(p, 1);
        if (p->tw) {            /* the tasks' next reads stand for this round too */
            taskwalk_quiet_round(p->tw);
            p->ntasks = 0;
        }
        if (p->pn)
            pnative_round(p->pn, p->walker, p->n, 1);
        return;
    }
    p->walked_ns = clock_now_ns();
    p->threads_at_walk = p->threads_now;
    p->n = walker_round(p->walker);
    p->walks++;
    if (p->pn)                          /* right after the walk: samples of its moment */
        pnative_round(p->pn, p->walker, p->n, 0);
    if (p->tw) {                        /* after the walker: its code-cache round */
        p->ntasks = p->n >= 0 ? taskwalk_round(p->tw) : 0;
        taskwalk_stats(p->tw, &p->task_stats);
    }
    p->failed_any = 0;
    for (int i = 0; i < p->n; i++) {
        const struct walk_stack *ws = walker_stack(p->walker, i);
        p->failed_any |= ws->failed;
        p->copied += (unsigned)ws->copied;
        p->kept += (unsigned)ws->kept;
    }
    if (p->n > 0) {
        p->relabel = refresh_names(p, now_ns, walker_stack(p->walker, 0)->interp);
        read_states(p, 0);
    }
}

/* The stack the round's change of memory is charged to: the GIL holder's,
 * else the only thread on a CPU; -1 when there is neither (the change then
 * goes to the last owner seen: recorder_add_unowned). */
static int memory_owner(const struct proc *p)
{
    int on = -1, ncpu = 0;
    for (int i = 0; i < p->n; i++) {
        if (walker_stack(p->walker, i)->gil == 1)
            return i;
        if (p->on_cpu[i] == 1) {
            on = i;
            ncpu++;
        }
    }
    return ncpu == 1 ? on : -1;
}

/* --native: thread i's mixed stack, the same sample as its Python one
 * (its Python stack when it has no native sample this round). */
static void record_native(struct proc *p, int i, const struct walk_stack *ws,
                          const struct record_state *st)
{
    const struct nmerge_item *items = NULL;
    int n = p->pn ? pnative_stack(p->pn, i, &items) : 0;
    if (recorder_add_native(p->rec, ws, st, items, n) > 0 && n > 0)
        p->native_mixed++;
}

/* Every thread is one sample, in the metric of its state. */
unsigned proc_record(struct proc *p, unsigned *failed)
{
    unsigned stacks = 0;
    p->native_mixed = 0;
    *failed = 0;
    if (p->relabel)
        recorder_names_changed(p->rec);
    int owner = memory_owner(p);
    p->gil_waiting = 0;
    p->gil_known = 0;
    p->threadless = 0;
    for (int i = 0; i < p->n; i++) {
        const struct walk_stack *ws = walker_stack(p->walker, i);
        if (p->absent[i]) {
            /* a thread that ended, or a forked child's copy of a thread
             * of its parent's: no sample of this process */
            p->threadless++;
            continue;
        }
        p->gil_waiting += ws->gil_wait == 1 || p->gil_blocked[i];
        p->gil_known |= ws->gil >= 0;
        struct record_state st = {.on_cpu = p->on_cpu[i],
                                  .rss_delta = i == owner ? p->rss_delta : 0,
                                  .gil_blocked = p->gil_blocked[i], .ran = p->ran[i],
                                  .mem_owner = i == owner};
        int rc = recorder_add(p->rec, ws, &st);
        if (p->native)
            record_native(p, i, ws, &st);
        if (rc > 0) {
            stacks++;
            *failed += ws->failed != 0;
        }
        if (rc > 0 && i == owner)
            p->rss_delta = 0;
    }
    /* no owner now: the last one seen (recorder_add_unowned) */
    if (p->rss_delta && owner < 0 && recorder_add_unowned(p->rec, p->rss_delta) > 0)
        p->rss_delta = 0;
    return stacks;
}

/* The walked thread whose stack holds frame (0: none), or -1. */
static int thread_with_frame(const struct proc *p, uint64_t frame)
{
    for (int i = 0; frame && i < p->n; i++) {
        const struct walk_stack *ws = walker_stack(p->walker, i);
        for (int d = 0; !ws->failed && d < ws->depth; d++)
            if (ws->frames[d].frame == frame)
                return i;
    }
    return -1;
}

/* The thread of a task whose loop does not say (uvloop): the one running
 * its coroutine when it runs (remembered for its loop), else the one its
 * loop's running task was last found on; 0 when unknown. */
static uint64_t loop_thread(struct proc *p, const struct task_sample *ts)
{
    int i = ts->running ? thread_with_frame(p, ts->coro_frame) : -1;
    unsigned k = 0;
    while (k < p->nloops && p->loop[k] != ts->loop)
        k++;
    if (i >= 0 && ts->loop) {
        if (k == p->nloops)
            k = p->nloops < PROC_LOOPS ? p->nloops++ : (unsigned)(ts->loop % PROC_LOOPS);
        p->loop[k] = ts->loop;
        p->loop_ident[k] = walker_stack(p->walker, i)->ident;
    }
    if (i >= 0)
        return walker_stack(p->walker, i)->ident;
    return ts->loop && k < p->nloops ? p->loop_ident[k] : 0;
}

/* This round's tasks, each with its loop's thread (by PyThreadState
 * ident) and that thread's state. */
static struct record_tasks round_tasks(struct proc *p)
{
    int n = p->ntasks > 0 ? p->ntasks : 0;
    for (int pass = 0; pass < 2; pass++)     /* running tasks first: they teach loops' threads */
        for (int k = 0; k < n; k++) {
            const struct task_sample *ts = taskwalk_task(p->tw, k);
            if (ts->running != (pass == 0))
                continue;
            p->task[k] = ts;
            p->task_thread[k] = NULL;
            p->task_state[k] = (struct record_state){.on_cpu = -1};
            uint64_t ident = ts->thread_ident ? ts->thread_ident : loop_thread(p, ts);
            for (int i = 0; ident && i < p->n; i++) {
                const struct walk_stack *ws = walker_stack(p->walker, i);
                if (ws->ident == ident) {
                    p->task_thread[k] = ws;
                    p->task_state[k].on_cpu = p->on_cpu[i];
                    p->task_state[k].ran = p->ran[i];
                    break;
                }
            }
        }
    return (struct record_tasks){.tasks = p->task, .threads = p->task_thread,
                                 .states = p->task_state, .n = n};
}

static int owed_one(void *arg, uint64_t mark, uint64_t rounds)
{
    struct proc *p = arg;
    int rc = recorder_add_owed(p->rec, mark, rounds);
    if (rc > 0)
        p->owed_samples += rounds;
    return rc;
}

void proc_flush_tasks(struct proc *p)
{
    if (p->tw)
        taskwalk_flush(p->tw, owed_one, p);
}

unsigned proc_record_tasks(struct proc *p)
{
    if (!p->tw || p->ntasks <= 0)
        return 0;
    struct record_tasks set = round_tasks(p);
    unsigned added = 0;
    for (int k = 0; k < set.n; k++)
        added += recorder_add_task(p->rec, &set, k) > 0;
    if (p->walked_ns - p->flushed_ns >= PROC_FLUSH_NS) {
        p->flushed_ns = p->walked_ns;
        proc_flush_tasks(p);
    }
    return added;
}

void proc_read_stat(struct proc *p, uint64_t now_ns)
{
    struct procstat_sample ps;
    p->stat_ok = procstat_read(&p->stat, now_ns, &ps) == 0;
    if (p->stat_ok) {
        p->cpu_pct = ps.cpu_pct;
        p->rss_bytes = ps.rss_bytes;
    }
}
