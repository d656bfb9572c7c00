/* SPDX-License-Identifier: MIT */
/* The live view's data: a synced replica of the profile, the threads and
 * the sampler's counters. */
#include "ui_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "lens.h"
#include "table.h"
#include "tree.h"
#include "ui_mtree.h"

int ui_data_init(struct ui_data *d)
{
    *d = (struct ui_data){.replica = table_new(), .stats = {.running = 1, .exit_status = -1},
                          .mtree = malloc(sizeof *d->mtree)};
    d->table = d->replica;
    if (d->mtree)
        ui_mtree_init(d->mtree);
    if (!d->replica || !d->mtree) {
        ui_data_free(d);
        return ERR_NOMEM;
    }
    return 0;
}

void ui_data_set_code(struct ui_data *d, const struct usercode *code)
{
    d->code = code;
}

void ui_data_free(struct ui_data *d)
{
    lens_free(d->lens);
    table_free(d->replica);
    free(d->threads);
    if (d->mtree)
        ui_mtree_free(d->mtree);
    free(d->mtree);
    *d = (struct ui_data){.table = NULL};
}

void ui_data_lens(struct ui_data *d, int on)
{
    d->lens_wanted = on;
}

/* The lensed table up to date with the replica when the lens is wanted;
 * the replica itself otherwise, or when it cannot be had. */
static void apply_lens(struct ui_data *d)
{
    d->table = d->replica;
    d->lens_on = d->lens_failed = 0;
    if (!d->lens_wanted || !d->code) {
        if (d->lens)
            lens_drop(d->lens);
        table_track_flat(d->replica);          /* no-op unless the lens was on */
        return;
    }
    uint64_t t0 = clock_now_ns();
    table_untrack_flat(d->replica);            /* no view reads its flat counts meanwhile */
    if (!d->lens)
        d->lens = lens_new(d->code);
    int rc = d->lens ? lens_update(d->lens, d->replica) : ERR_NOMEM;
    d->lens_ns = clock_now_ns() - t0;
    if (rc < 0) {
        d->lens_failed = 1;
        table_track_flat(d->replica);
        return;
    }
    d->table = (struct table *)lens_table(d->lens);
    d->lens_on = 1;
}

void ui_data_mode(struct ui_data *d, int mode)
{
    if (table_set_mode(d->replica, (enum table_mode)mode) == 0)
        d->mode = mode;
}

void ui_data_tasks(struct ui_data *d, int tasks)
{
    table_set_tasks(d->replica, tasks);
}

void ui_data_task(struct ui_data *d, uint32_t task)
{
    table_set_task(d->replica, task);
}

void ui_data_native(struct ui_data *d, int native)
{
    table_set_native(d->replica, native);
}

void ui_data_process(struct ui_data *d, int only, uint32_t pid)
{
    table_set_process(d->replica, only, pid);
}

/* A thread's state counts, every mode's (a saved profile's as its file
 * says them). */
static void thread_states(struct ui_thread *th, const struct table *t, uint32_t i)
{
    struct table_states ts;
    table_thread_states(t, i, &ts);
    th->on_cpu = ts.cpu;
    th->gil = ts.gil;
    th->idle = ts.idle;
    th->waits = ts.wait;
    /* The shares are of all its samples, as the "# state:" lines say them. */
    th->known = ts.samples;
    th->all = ts.samples ? ts.samples : table_thread_metric(t, i, TABLE_M_ANY);
}

/* The GIL's share of the rounds: the samples in which a thread held its
 * process's GIL (one at most per process and round) over the rounds of
 * every process (a process's: its longest-sampled thread's samples). */
static int by_pid(const void *pa, const void *pb)
{
    const struct ui_thread *a = *(const struct ui_thread *const *)pa;
    const struct ui_thread *b = *(const struct ui_thread *const *)pb;
    return (a->pid > b->pid) - (a->pid < b->pid);
}

/* The GIL's share of the rounds: the samples in which a thread held it,
 * over each process's rounds (its thread with the most samples of known
 * state). Not for the task stacks (a task's samples are not rounds). */
static void gil_share(struct ui_data *d)
{
    d->gil_pct = -1;
    if (!d->nthreads || !d->stats.gil_known || table_get_tasks(d->replica))
        return;
    const struct ui_thread **by = malloc(d->nthreads * sizeof *by);
    if (!by)
        return;
    for (size_t i = 0; i < d->nthreads; i++)
        by[i] = &d->threads[i];
    qsort(by, d->nthreads, sizeof *by, by_pid);
    uint64_t held = 0, rounds = 0, most = 0;
    for (size_t i = 0; i < d->nthreads; i++) {
        if (i && by[i]->pid != by[i - 1]->pid) {
            rounds += most;
            most = 0;
        }
        held += by[i]->gil;
        most = by[i]->known > most ? by[i]->known : most;
    }
    rounds += most;
    free(by);
    d->gil_pct = rounds ? 100.0 * (double)held / (double)rounds : -1;
}

static void rss_history(struct ui_data *d)
{
    if (!d->stats.proc_ok || !d->stats.rss_bytes)
        return;
    if (d->nrss == UI_RSS_HISTORY) {
        memmove(d->rss, d->rss + 1, (UI_RSS_HISTORY - 1) * sizeof *d->rss);
        d->nrss--;
    }
    d->rss[d->nrss++] = d->stats.rss_bytes;
}

static int by_name_then_tid(const void *pa, const void *pb)
{
    const struct ui_thread *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    return (a->tid > b->tid) - (a->tid < b->tid);
}

static int copy_threads(struct ui_data *d)
{
    const struct table *t = d->replica;
    size_t n = table_thread_count(t);
    if (n > d->nthreads) {
        struct ui_thread *th = realloc(d->threads, n * sizeof *th);
        if (!th)
            return ERR_NOMEM;
        d->threads = th;
    }
    int several = table_pid_count(t) > 1;
    for (size_t i = 0; i < n; i++) {
        struct ui_thread *th = &d->threads[i];
        th->index = (uint32_t)i;
        th->tid = table_thread_tid(t, (uint32_t)i);
        th->pid = table_thread_pid(t, (uint32_t)i);
        th->several = several;
        th->samples = table_thread_samples(t, (uint32_t)i);
        thread_states(th, t, (uint32_t)i);
        snprintf(th->name, sizeof th->name, "%s", table_thread_name(t, (uint32_t)i));
    }
    d->nthreads = n;
    if (n > 1)
        qsort(d->threads, n, sizeof *d->threads, by_name_then_tid);
    return 0;
}

int ui_data_sync(struct ui_data *d, struct profile *p, struct sampler *s)
{
    int rc = profile_sync(p, d->replica, &d->cost);
    /* The counters come a moment after the rows; a round may fall in
     * between, which no one can see. */
    if (s) {
        sampler_get_stats(s, &d->stats);
        d->nprocs = sampler_get_procs(s, d->procs, SAMPLER_PROCS_KNOWN);
    }
    else
        d->stats = (struct sampler_stats){.taken = table_samples(d->replica), .running = 1, .exit_status = -1};
    if (rc == 0)
        rc = copy_threads(d);
    if (rc == 0) {
        gil_share(d);
        rss_history(d);
        apply_lens(d);
    }
    else
        d->table = d->replica;
    if (rc == 0)
        d->version++;
    return rc;
}

const struct sampler_proc_info *ui_data_proc(const struct ui_data *d, uint32_t pid)
{
    for (int i = 0; i < d->nprocs; i++)
        if ((uint32_t)d->procs[i].pid == pid)
            return &d->procs[i];
    return NULL;
}

const struct ui_thread *ui_data_thread(const struct ui_data *d, uint32_t index)
{
    for (size_t i = 0; i < d->nthreads; i++)
        if (d->threads[i].index == index)
            return &d->threads[i];
    return NULL;
}

uint64_t ui_data_samples(const struct ui_data *d, uint32_t thread)
{
    return thread == TABLE_NONE ? table_samples(d->table) : table_thread_samples(d->table, thread);
}

void ui_replica_mark_init(struct ui_replica_mark *m)
{
    *m = (struct ui_replica_mark){.last_parent = TABLE_NONE, .last_site = {TABLE_NONE, -1}};
}

void ui_replica_mark_set(struct ui_replica_mark *m, const struct table *t)
{
    ui_replica_mark_init(m);
    m->nodes = tree_node_count(t);
    m->samples = table_samples(t);
    if (m->nodes) {
        m->last_parent = tree_parent(t, (uint32_t)m->nodes - 1);
        m->last_site = tree_site(t, (uint32_t)m->nodes - 1);
    }
}

int ui_replica_mark_reset(const struct ui_replica_mark *m, const struct table *t)
{
    if (tree_node_count(t) < m->nodes || table_samples(t) < m->samples)
        return 1;
    if (m->nodes == 0)
        return 0;
    uint32_t last = (uint32_t)m->nodes - 1;
    struct frame_key s = tree_site(t, last);
    return tree_parent(t, last) != m->last_parent || s.func != m->last_site.func || s.line != m->last_site.line;
}
