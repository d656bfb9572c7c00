/* SPDX-License-Identifier: MIT */
/* --dump --async: every asyncio task once, with its chain or its stack. */
#include "dump_impl.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "codecache.h"
#include "dump.h"
#include "error.h"
#include "table.h"

#define MAX_CYCLES 2             /* passes over all tasks (the first links awaiters) */
#define MAX_DUMP_NS 5000000000ULL

void dump_frames_free(struct dump_frame *f, int depth)
{
    for (int i = 0; f && i < depth; i++) {
        free(f[i].name);
        free(f[i].file);
    }
    free(f);
}

void dumptasks_free(struct dump_tasks *dt)
{
    for (int i = 0; i < dt->n; i++)
        dump_frames_free(dt->v[i].frames, dt->v[i].depth);
    free(dt->v);
    *dt = (struct dump_tasks){0};
}

static struct dump_task *task_slot(struct dump_tasks *dt, uint64_t task)
{
    for (int i = 0; i < dt->n; i++)
        if (dt->v[i].task == task)
            return &dt->v[i];
    if (dt->n == dt->cap) {
        int cap = dt->cap ? 2 * dt->cap : 64;
        struct dump_task *v = realloc(dt->v, (size_t)cap * sizeof *v);
        if (!v)
            return NULL;
        dt->v = v;
        dt->cap = cap;
    }
    dt->v[dt->n] = (struct dump_task){.task = task};
    return &dt->v[dt->n++];
}

static int copy_frames(struct dump_task *d, const struct walk_frame *f, int n)
{
    dump_frames_free(d->frames, d->depth);
    d->depth = 0;
    d->frames = calloc(n > 0 ? (size_t)n : 1, sizeof *d->frames);
    if (!d->frames)
        return ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        const struct code_entry *c = f[i].code;
        struct dump_frame *o = &d->frames[d->depth++];
        o->name = strdup(c && c->name ? c->name : "");
        o->file = strdup(c && c->file ? c->file : "");
        o->line = f[i].line;
        if (!o->name || !o->file)
            return ERR_NOMEM;
    }
    return 0;
}

/* A running task's stack: its thread's, from the leaf down to the frame
 * of its coroutine; -1 when this round's stack does not hold it. */
static int splice_depth(struct walker *w, int nstacks, const struct task_sample *s,
                        const struct walk_stack **out)
{
    for (int i = 0; i < nstacks; i++) {
        const struct walk_stack *ws = walker_stack(w, i);
        if (ws->ident != s->thread_ident || ws->failed)
            continue;
        for (int j = 0; j < ws->depth && s->coro_frame; j++)
            if (ws->frames[j].frame == s->coro_frame) {
                *out = ws;
                return j + 1;
            }
    }
    return -1;
}

static int take_sample(struct dump_tasks *dt, struct walker *w, int nstacks,
                       const struct task_sample *s)
{
    struct dump_task *d = task_slot(dt, s->task);
    if (!d)
        return ERR_NOMEM;
    const struct walk_stack *ws = NULL;
    int depth = s->running ? splice_depth(w, nstacks, s, &ws) : s->depth;
    snprintf(d->name, sizeof d->name, "%s", s->name);
    d->thread_ident = s->thread_ident;
    if (s->awaited_by || !d->have)
        d->awaited_by = s->awaited_by;
    if (s->failed || depth < 0) {
        if (!d->have) {
            d->why = s->failed ? s->why : WALK_FAIL_TORN;
            d->running = s->running;
        }
        return 0;
    }
    d->running = s->running;
    d->truncated = s->truncated;
    d->have = 1;
    return copy_frames(d, s->running ? ws->frames : s->frames, depth);
}

int dumptasks_read(struct pytarget *t, struct dump_tasks *dt)
{
    struct codecache *cache = codecache_new();
    struct walker *w = NULL;
    struct taskwalk *tw = NULL;
    int rc = cache ? walker_new(t, cache, &w) : ERR_NOMEM;
    if (rc == 0)
        rc = taskwalk_new(t, cache, &tw);
    /* a round reads the running tasks and a few others in turn: go on
     * until each task was read twice (the first pass links the awaiters
     * on 3.11-3.13), at most MAX_DUMP_NS */
    uint64_t deadline = clock_now_ns() + MAX_DUMP_NS, waiting = 0;
    for (int i = 0; rc == 0; i++) {
        int nstacks = walker_round(w), n = nstacks < 0 ? nstacks : taskwalk_round(tw);
        if (n == ERR_EXITED)
            rc = n;
        for (int k = 0; rc == 0 && k < n; k++) {
            const struct task_sample *s = taskwalk_task(tw, k);
            waiting += !s->running;
            rc = take_sample(dt, w, nstacks, s);
        }
        struct taskwalk_stats st;
        taskwalk_stats(tw, &st);
        dt->listed = st.listed;
        dt->cut = st.cut;
        if (waiting >= MAX_CYCLES * (uint64_t)st.listed || i >= 2 * (int)st.listed + 4 ||
            clock_now_ns() > deadline)
            break;
    }
    taskwalk_free(tw);
    walker_free(w);
    codecache_free(cache);
    return rc;
}

/* ---------------------------------------------------------------- printing */

static const char *name_of(const struct dump_tasks *dt, uint64_t task)
{
    for (int i = 0; i < dt->n; i++)
        if (dt->v[i].task == task)
            return dt->v[i].name;
    return NULL;
}

static void text_task(FILE *out, const struct dump_tasks *dt, const struct dump_task *d,
                      dump_tid_fn tid, const void *arg)
{
    uint64_t os_tid = d->thread_ident ? tid(arg, d->thread_ident) : 0;
    fputs("\nTask \"", out);
    dump_text_string(out, d->name, 1);
    fprintf(out, "\" (%s", d->running ? "running" : "waiting");
    if (os_tid)
        fprintf(out, ", thread %llu", (unsigned long long)os_tid);
    const char *by = d->awaited_by ? name_of(dt, d->awaited_by) : NULL;
    if (d->awaited_by) {
        fputs(", awaited by \"", out);
        dump_text_string(out, by ? by : "?", 1);
        fputc('"', out);
    }
    fputs(")\n", out);
    if (!d->have) {
        fprintf(out, "    [unreadable: %s]\n", table_fail_name(d->why));
        return;
    }
    for (int i = 0; i < d->depth; i++) {
        fputs("    ", out);
        dump_text_string(out, d->frames[i].name[0] ? d->frames[i].name : "?", 0);
        fputs(" (", out);
        dump_text_string(out, d->frames[i].file, 0);
        if (d->frames[i].line >= 0)
            fprintf(out, ":%d", (int)d->frames[i].line);
        fputs(")\n", out);
    }
    if (d->truncated)
        fputs("    [truncated]\n", out);
}

void dumptasks_text(FILE *out, const struct dump_tasks *dt, dump_tid_fn tid, const void *arg)
{
    fprintf(out, "\nTasks: %d", dt->n);
    if (dt->cut)
        fprintf(out, " (%u more not read: over %d)", dt->cut, TASKWALK_MAX_TASKS);
    fputc('\n', out);
    for (int i = 0; i < dt->n; i++)
        text_task(out, dt, &dt->v[i], tid, arg);
}

static void json_task(FILE *out, const struct dump_tasks *dt, const struct dump_task *d,
                      dump_tid_fn tid, const void *arg)
{
    uint64_t os_tid = d->thread_ident ? tid(arg, d->thread_ident) : 0;
    fprintf(out, "{\"id\":\"0x%llx\",\"name\":", (unsigned long long)d->task);
    dump_json_string(out, d->name);
    if (os_tid)
        fprintf(out, ",\"tid\":%llu", (unsigned long long)os_tid);
    else
        fputs(",\"tid\":null", out);
    fprintf(out, ",\"running\":%s,\"truncated\":%s,\"error\":", d->running ? "true" : "false",
            d->truncated ? "true" : "false");
    if (d->have)
        fputs("null", out);
    else
        dump_json_string(out, table_fail_name(d->why));
    const char *by = d->awaited_by ? name_of(dt, d->awaited_by) : NULL;
    if (d->awaited_by)
        fprintf(out, ",\"awaited_by\":\"0x%llx\",\"awaited_by_name\":", (unsigned long long)d->awaited_by);
    else
        fputs(",\"awaited_by\":null,\"awaited_by_name\":", out);
    if (by)
        dump_json_string(out, by);
    else
        fputs("null", out);
    fputs(",\"frames\":[", out);
    for (int i = 0; i < d->depth; i++) {
        fputs(i ? ",{\"name\":" : "{\"name\":", out);
        dump_json_string(out, d->frames[i].name);
        fputs(",\"file\":", out);
        dump_json_string(out, d->frames[i].file);
        if (d->frames[i].line >= 0)
            fprintf(out, ",\"line\":%d}", (int)d->frames[i].line);
        else
            fputs(",\"line\":null}", out);
    }
    fputs("]}", out);
}

void dumptasks_json(FILE *out, const struct dump_tasks *dt, dump_tid_fn tid, const void *arg)
{
    fputc('[', out);
    for (int i = 0; i < dt->n; i++) {
        if (i)
            fputc(',', out);
        json_task(out, dt, &dt->v[i], tid, arg);
    }
    fprintf(out, "],\"tasks_cut\":%u", dt->cut);
}
