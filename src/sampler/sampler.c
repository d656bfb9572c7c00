/* SPDX-License-Identifier: MIT */
/* The sampling thread: absolute-deadline schedule, one round of stacks per
 * tick into the table, counters, and noticing when the target is gone. */
#include "sampler.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "clock.h"
#include "codecache.h"
#include "error.h"
#include "pytarget.h"
#include "table.h"
#include "taskstat.h"
#include "threadnames.h"
#include "walker.h"

#define MAX_THREADS 4096
#define NAMES_MAX 1024
#define NAMES_EVERY_NS 500000000ULL     /* thread names change rarely */
#define LIVENESS_EVERY_NS 20000000ULL   /* how often we look for the target's exit */
#define FAILS_BEFORE_CHECK 3            /* consecutive failed rounds before a liveness check */

struct sampler {
    struct pytarget *t;                 /* borrowed */
    struct sampler_config cfg;
    struct codecache *codes;            /* owned; used by the sampling thread only */
    struct table *table;                /* owned; guarded by lock */
    struct taskstat *tasks;             /* owned; sampling thread only */
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    atomic_int stop;
    struct sampler_stats st;            /* guarded by lock */
    uint64_t start_ns;
    uint64_t names_at, alive_at;
    int fails_in_a_row;
    uint32_t truncated_func;            /* table id of the "[truncated]" frame */
    struct thread_name names[NAMES_MAX];
    int nnames;
    struct walk_thread threads[MAX_THREADS];
    struct walk_stack stack;
    struct frame_key keys[WALK_MAX_DEPTH + 1];
};

/* Name of a thread: threading's name by pthread ident, else the OS name. */
static void thread_label(struct sampler *s, const struct walk_stack *ws, char *buf, size_t cap)
{
    for (int i = 0; i < s->nnames; i++)
        if (s->names[i].ident == ws->ident) {
            snprintf(buf, cap, "%s", s->names[i].name);
            return;
        }
    /* Before `threading` is imported the main thread has no Python name
     * yet; it is the one it will get. */
    if (ws->tid == (uint64_t)s->t->pid)
        snprintf(buf, cap, "MainThread");
    else if (!ws->tid || taskstat_name(s->t->pid, (pid_t)ws->tid, buf, cap) < 0)
        snprintf(buf, cap, "thread-%llx", (unsigned long long)ws->ident);
}

static void refresh_names(struct sampler *s, uint64_t now, uint64_t interp)
{
    if (now - s->names_at < NAMES_EVERY_NS && s->names_at)
        return;
    s->names_at = now;
    int n = 0;
    if (threadnames_read(s->t->r, &s->t->layout, interp, s->names, NAMES_MAX, &n) == 0)
        s->nnames = n;
}

/* Map a walked stack to table keys (leaf first); interns functions the
 * first time a code-cache entry is seen. Caller holds the lock. */
static int stack_keys(struct sampler *s, const struct walk_stack *ws)
{
    int d = 0;
    for (; d < ws->depth; d++) {
        struct code_entry *e = ws->frames[d].code;
        if (e->user == UINT32_MAX) {
            e->user = table_intern_func(s->table, e->name, e->file);
            if (e->user == TABLE_NONE)
                return ERR_NOMEM;
        }
        s->keys[d] = (struct frame_key){.func = e->user, .line = ws->frames[d].line};
    }
    if (ws->truncated)
        s->keys[d++] = (struct frame_key){.func = s->truncated_func, .line = -1};
    return d;
}

static void record(struct sampler *s, const struct walk_stack *ws, int refresh_label)
{
    uint64_t key = ws->tid ? ws->tid : ws->ident;
    pthread_mutex_lock(&s->lock);
    uint32_t th = table_thread(s->table, key, NULL);
    /* Label new threads at once, known ones when names are refreshed. */
    const char *known = th != TABLE_NONE ? table_thread_name(s->table, th) : NULL;
    if (th != TABLE_NONE && (refresh_label || !known || !known[0])) {
        char label[80];
        thread_label(s, ws, label, sizeof label);
        th = table_thread(s->table, key, label);
    }
    int depth = stack_keys(s, ws);
    if (th != TABLE_NONE && depth > 0 && table_add_stack(s->table, th, s->keys, depth, 1) == 0)
        s->st.stacks++;
    pthread_mutex_unlock(&s->lock);
}

/* One round: every thread's stack. Returns the number of threads seen or
 * a negative error when the thread list itself could not be read. */
static int sample_round(struct sampler *s, uint64_t now)
{
    int n = 0, failed = 0;
    int rc = walker_threads(s->t, s->threads, MAX_THREADS, &n);
    if (rc < 0)
        return rc;
    int names_due = !s->names_at || now - s->names_at >= NAMES_EVERY_NS;
    if (n > 0)
        refresh_names(s, now, s->threads[0].interp);
    for (int i = 0; i < n; i++) {
        if (walker_stack(s->t, s->codes, &s->threads[i], &s->stack) < 0) {
            failed++;
            continue;
        }
        if (s->stack.depth == 0)
            continue;
        if (s->cfg.cpu_only && s->stack.tid && taskstat_running(s->tasks, (pid_t)s->stack.tid) != 1)
            continue;
        record(s, &s->stack, names_due);
    }
    pthread_mutex_lock(&s->lock);
    s->st.failed += (uint64_t)failed;
    s->st.threads = (unsigned)n;
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
    s->fails_in_a_row = round_rc < 0 ? s->fails_in_a_row + 1 : 0;
    int due = now - s->alive_at >= LIVENESS_EVERY_NS || round_rc == ERR_EXITED ||
              s->fails_in_a_row >= FAILS_BEFORE_CHECK;
    if (!due)
        return 1;
    s->alive_at = now;
    if (!target_gone(s))
        return 1;
    pthread_mutex_lock(&s->lock);
    s->st.target_exited = 1;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* Advance the deadline; a round that overran whole intervals skips them
 * and counts them as missed, so the schedule never drifts. */
static uint64_t next_deadline(struct sampler *s, uint64_t deadline, uint64_t now)
{
    uint64_t iv = s->cfg.interval_ns;
    deadline += iv;
    if (now > deadline) {
        uint64_t late = (now - deadline) / iv + 1;
        deadline += late * iv;
        pthread_mutex_lock(&s->lock);
        s->st.missed += late;
        pthread_mutex_unlock(&s->lock);
    }
    return deadline;
}

static void *run(void *arg)
{
    struct sampler *s = arg;
    uint64_t deadline = clock_now_ns();
    while (!atomic_load(&s->stop)) {
        clock_sleep_until(deadline);
        uint64_t now = clock_now_ns();
        if (s->cfg.duration_ns && now - s->start_ns >= s->cfg.duration_ns)
            break;
        int rc = sample_round(s, now);
        pthread_mutex_lock(&s->lock);
        s->st.taken++;
        s->st.elapsed_ns = now - s->start_ns;
        pthread_mutex_unlock(&s->lock);
        if (!check_alive(s, now, rc))
            break;
        deadline = next_deadline(s, deadline, clock_now_ns());
    }
    pthread_mutex_lock(&s->lock);
    s->st.running = 0;
    s->st.elapsed_ns = clock_now_ns() - s->start_ns;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static struct sampler *sampler_alloc(struct pytarget *target, const struct sampler_config *cfg)
{
    struct sampler *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->t = target;
    s->cfg = *cfg;
    pthread_mutex_init(&s->lock, NULL);
    s->codes = codecache_new();
    s->table = table_new();
    s->tasks = taskstat_new(target->pid);
    if (!s->codes || !s->table || !s->tasks) {
        sampler_free(s);
        return NULL;
    }
    s->truncated_func = table_intern_func(s->table, "[truncated]", "");
    s->st.interval_ns = cfg->interval_ns;
    s->st.exit_status = -1;
    s->st.running = 1;
    return s;
}

int sampler_start(struct pytarget *target, const struct sampler_config *cfg, struct sampler **out)
{
    if (cfg->interval_ns == 0)
        return ERR_USAGE;
    struct sampler *s = sampler_alloc(target, cfg);
    if (!s || s->truncated_func == TABLE_NONE) {
        sampler_free(s);
        return ERR_NOMEM;
    }
    s->start_ns = clock_now_ns();
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
    codecache_free(s->codes);
    table_free(s->table);
    taskstat_free(s->tasks);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void sampler_wait(struct sampler *s, volatile int *stop_flag)
{
    for (;;) {
        struct sampler_stats st;
        sampler_get_stats(s, &st);
        if (!st.running || (stop_flag && *stop_flag))
            return;
        clock_sleep_ns(5000000);
    }
}

void sampler_lock(struct sampler *s)
{
    pthread_mutex_lock(&s->lock);
}

void sampler_unlock(struct sampler *s)
{
    pthread_mutex_unlock(&s->lock);
}

struct table *sampler_table(struct sampler *s)
{
    return s->table;
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
    table_reset(s->table);
    s->st.taken = s->st.missed = s->st.failed = s->st.stacks = 0;
    s->start_ns = clock_now_ns();
    s->st.elapsed_ns = 0;
    pthread_mutex_unlock(&s->lock);
}
