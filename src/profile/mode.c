/* SPDX-License-Identifier: MIT */
/* Modes and metrics: what each count of a table counts (the thread state
 * of a sample, or bytes of memory) and which of them a mode sums. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "table_impl.h"

static const char *const mode_names[TABLE_MODES] = {
    [TABLE_MODE_WALL] = "wall", [TABLE_MODE_CPU] = "cpu", [TABLE_MODE_GIL] = "gil",
    [TABLE_MODE_IDLE] = "idle", [TABLE_MODE_MEMORY] = "memory", [TABLE_MODE_RELEASED] = "released",
};

int table_mode_counts_bytes(enum table_mode m)
{
    return m == TABLE_MODE_MEMORY || m == TABLE_MODE_RELEASED;
}

unsigned table_mode_mask(enum table_mode m)
{
    switch (m) {
    case TABLE_MODE_WALL:
        return TABLE_SAMPLE_MASK;
    case TABLE_MODE_CPU:
        return 1u << TABLE_M_CPU | 1u << TABLE_M_CPU_GIL;
    case TABLE_MODE_GIL:
        return 1u << TABLE_M_GIL | 1u << TABLE_M_CPU_GIL;
    case TABLE_MODE_IDLE:
        return 1u << TABLE_M_IDLE;
    case TABLE_MODE_MEMORY:
        return 1u << TABLE_M_ALLOC;
    case TABLE_MODE_RELEASED:
        return 1u << TABLE_M_FREED;
    default:
        return 0;
    }
}

const char *table_mode_name(enum table_mode m)
{
    return m >= 0 && m < TABLE_MODES ? mode_names[m] : "?";
}

int table_mode_parse(const char *s)
{
    for (int m = 0; s && m < TABLE_MODES; m++)
        if (strcmp(s, mode_names[m]) == 0)
            return m;
    return -1;
}

enum table_metric table_metric_of(int on_cpu, int gil)
{
    if (on_cpu < 0 && gil < 0)
        return TABLE_M_ANY;
    if (on_cpu == 1)
        return gil == 1 ? TABLE_M_CPU_GIL : TABLE_M_CPU;
    return gil == 1 ? TABLE_M_GIL : TABLE_M_IDLE;
}

int table_set_mode(struct table *t, enum table_mode m)
{
    if (m < 0 || m >= TABLE_MODES)
        return ERR_USAGE;
    t->mode = m;
    return 0;
}

enum table_mode table_get_mode(const struct table *t)
{
    return t->mode;
}

void table_set_tasks(struct table *t, int tasks)
{
    t->show_tasks = tasks != 0;
}

int table_get_tasks(const struct table *t)
{
    return t->show_tasks;
}

void table_set_task(struct table *t, uint32_t task)
{
    t->task_focus = task;
}

uint32_t table_get_task(const struct table *t)
{
    return t->task_focus;
}

uint64_t table_task_samples(const struct table *t, uint32_t task)
{
    return t->show_tasks && t->task_sum && task < t->task_sum_n ? t->task_sum[task] : 0;
}

void table_set_native(struct table *t, int native)
{
    t->show_native = native != 0;
}

int table_get_native(const struct table *t)
{
    return t->show_native;
}

void table_set_process(struct table *t, int only, uint32_t pid)
{
    t->only_pid = only != 0;
    t->pid = only ? pid : 0;
}

int table_set_process_name(struct table *t, uint32_t pid, const char *name)
{
    if (t->origin || t->names)
        return ERR_USAGE;
    uint32_t id = strpool_intern(&t->strings, name, strlen(name));
    if (id == TABLE_NONE)
        return ERR_NOMEM;
    for (uint32_t i = 0; i < t->npnames; i++)
        if (t->pnames[i].pid == pid) {
            t->pnames[i].name = id;
            return 0;
        }
    if (table_grow((void **)&t->pnames, &t->pnames_cap, (size_t)t->npnames + 1, sizeof *t->pnames) < 0)
        return ERR_NOMEM;
    t->pnames[t->npnames++] = (struct pname){.pid = pid, .name = id};
    return 0;
}

const char *table_process_name(const struct table *t, uint32_t pid)
{
    const struct strpool *p = t->names ? &t->names->strings : &t->strings;
    for (uint32_t i = 0; i < t->npnames; i++)
        if (t->pnames[i].pid == pid)
            return t->pnames[i].name < p->n ? strpool_str(p, t->pnames[i].name) : "";
    return "";
}

size_t table_named_processes(const struct table *t)
{
    return t->npnames;
}

const char *table_named_process(const struct table *t, size_t i, uint32_t *pid)
{
    if (i >= t->npnames) {
        *pid = 0;
        return "";
    }
    *pid = t->pnames[i].pid;
    return table_process_name(t, *pid);
}

uint64_t table_thread_metric(const struct table *t, uint32_t thread, enum table_metric metric)
{
    if (thread >= t->nthreads || metric < 0 || metric >= TABLE_METRICS)
        return 0;
    return t->threads[thread].metric[metric];
}

int table_thread_states(const struct table *t, uint32_t thread, struct table_states *out)
{
    *out = (struct table_states){0};
    if (thread >= t->nthreads || t->threads[thread].kind != shown_kind(t))
        return 0;
    const struct thread *th = &t->threads[thread];
    if (th->saved_states) {
        *out = th->saved;
        return 1;
    }
    const uint64_t *m = th->metric;
    uint64_t known = m[TABLE_M_IDLE] + m[TABLE_M_GIL] + m[TABLE_M_CPU] + m[TABLE_M_CPU_GIL];
    if (!known)
        return 0;
    *out = (struct table_states){.cpu = m[TABLE_M_CPU] + m[TABLE_M_CPU_GIL],
                                 .gil = m[TABLE_M_GIL] + m[TABLE_M_CPU_GIL],
                                 .wait = th->gil_waits, .idle = m[TABLE_M_IDLE],
                                 .samples = known + m[TABLE_M_ANY]};
    return 1;
}

int table_set_thread_states(struct table *t, uint32_t thread, const struct table_states *s)
{
    if (thread >= t->nthreads || t->origin)
        return ERR_USAGE;
    t->threads[thread].saved = *s;
    t->threads[thread].saved_states = 1;
    return 0;
}

uint64_t table_thread_gil_waits(const struct table *t, uint32_t thread)
{
    return thread < t->nthreads ? t->threads[thread].gil_waits : 0;
}

int table_note_gil_wait(struct table *t, uint32_t thread)
{
    if (thread >= t->nthreads || t->origin)
        return ERR_USAGE;
    t->threads[thread].gil_waits++;
    return 0;
}

/* Room in the counts for every node the table can hold, and for one
 * more count. Only the heads of nodes made while the array was shorter
 * are set here; the others are as new_node() makes their nodes, so that
 * the capacity ahead of the nodes (up to twice their number) is never
 * touched. */
int table_mc_reserve(struct table *t, enum table_metric metric)
{
    uint32_t cap = t->mc_head_cap;
    if (cap < t->nodes_cap) {
        uint32_t *p = realloc(t->mc_head, (size_t)t->nodes_cap * sizeof *p);
        if (!p)
            return ERR_NOMEM;
        if (t->nnodes > cap)
            memset(p + cap, 0xff, (size_t)(t->nnodes - cap) * sizeof *p);     /* TABLE_NONE */
        t->mc_head = p;
        t->mc_head_cap = t->nodes_cap;
    }
    if (table_grow((void **)&t->mc, &t->mc_cap, (size_t)t->nmc + 1, sizeof *t->mc) < 0)
        return ERR_NOMEM;
    t->mc_metrics |= 1u << metric;
    return 0;
}

void table_mc_new_node(struct table *t, uint32_t node)
{
    if (node < t->mc_head_cap)
        t->mc_head[node] = TABLE_NONE;
}

void table_mc_add(struct table *t, uint32_t node, enum table_metric metric, uint64_t weight)
{
    uint32_t *head = &t->mc_head[node];
    for (uint32_t e = *head, hops = 0; e < t->nmc && hops < TABLE_METRICS; e = t->mc[e].next, hops++)
        if (t->mc[e].metric == (uint32_t)metric) {
            t->mc[e].n += weight;
            return;
        }
    uint32_t e = t->nmc++;
    t->mc[e] = (struct mcount){.n = weight, .next = *head, .metric = (uint32_t)metric};
    *head = e;
}

void table_mc_free(struct table *t)
{
    free(t->mc_head);
    free(t->mc);
    t->mc_head = NULL;
    t->mc = NULL;
    t->mc_head_cap = t->nmc = t->mc_cap = 0;
    t->mc_metrics = 0;
}
