/* SPDX-License-Identifier: MIT */
/* Walked stacks into the table: frame keys, the [truncated] and
 * [unreadable] markers, and thread labels kept up to date. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecache.h"
#include "error.h"
#include "nmerge.h"
#include "table.h"
#include "taskwalk.h"
#include "walker.h"

#define LABEL_MAX 80

/* Where memory with no owner goes: the last owner's thread and leaf node
 * (TABLE_NONE: its stack failed) as of table epoch `epoch`. */
struct owner_mark {
    int known;
    uint32_t th, leaf;
    uint64_t epoch;
};

struct recorder {
    struct table *table;                /* borrowed */
    uint32_t pid;                       /* the process of the stacks (table_thread_of) */
    record_label_fn label;
    void *label_arg;
    uint32_t gen;                       /* names generation, from 1 */
    uint32_t *labelled;                 /* per table thread: generation of its label, 0 = none */
    size_t nlabelled;
    uint32_t truncated_func;
    uint32_t gc_func;
    struct frame_key keys[WALK_MAX_DEPTH + 2];
    struct owner_mark owner, native_owner;  /* the last memory owners (recorder_add_unowned) */
};

struct recorder *recorder_new(struct table *t, record_label_fn label, void *arg)
{
    struct recorder *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    *r = (struct recorder){.table = t, .label = label, .label_arg = arg, .gen = 1};
    r->truncated_func = table_intern_func(t, RECORD_TRUNCATED, "");
    r->gc_func = table_intern_func(t, RECORD_GC, "");
    if (r->truncated_func == TABLE_NONE || r->gc_func == TABLE_NONE) {
        free(r);
        return NULL;
    }
    return r;
}

void recorder_free(struct recorder *r)
{
    if (!r)
        return;
    free(r->labelled);
    free(r);
}

void recorder_set_pid(struct recorder *r, uint32_t pid)
{
    r->pid = pid;
}

void recorder_names_changed(struct recorder *r)
{
    r->gen++;
    if (r->gen == 0)                    /* 0 means "never labelled" */
        r->gen = 1;
}

static uint64_t thread_key(const struct walk_stack *ws)
{
    return ws->tid ? ws->tid : ws->ident;
}

/* Room to remember the label generation of thread index th. */
static int track(struct recorder *r, uint32_t th)
{
    if (th < r->nlabelled)
        return 0;
    size_t n = r->nlabelled ? r->nlabelled : 16;
    while (n <= th)
        n *= 2;
    uint32_t *p = realloc(r->labelled, n * sizeof *p);
    if (!p)
        return ERR_NOMEM;
    for (size_t i = r->nlabelled; i < n; i++)
        p[i] = 0;
    r->labelled = p;
    r->nlabelled = n;
    return 0;
}

/* Name thread th (of ws) unless it was named in this names generation. */
static void label_thread(struct recorder *r, uint32_t th, const struct walk_stack *ws)
{
    int tracked = track(r, th) == 0;
    if (tracked && r->labelled[th] == r->gen)
        return;
    char label[LABEL_MAX];
    label[0] = '\0';
    int first = !tracked || r->labelled[th] == 0;
    if (r->label(r->label_arg, ws, first, label, sizeof label) &&
        table_thread_of(r->table, r->pid, thread_key(ws), label) == TABLE_NONE)
        return;
    if (tracked)
        r->labelled[th] = r->gen;
}

static int append_frames(struct recorder *r, const struct walk_frame *frames, int n, int d);

/* Table keys of a walked stack (leaf first), interning each function the
 * first time its code-cache entry is seen. Returns the depth or ERR_NOMEM. */
static int stack_keys(struct recorder *r, const struct walk_stack *ws)
{
    int gc = ws->gc == 1;
    if (gc)
        r->keys[0] = (struct frame_key){.func = r->gc_func, .line = -1};
    int d = append_frames(r, ws->frames, ws->depth, gc);
    if (d >= 0 && ws->truncated)
        r->keys[d++] = (struct frame_key){.func = r->truncated_func, .line = -1};
    return d;
}

/* Bytes of memory on the stack just counted (keys[0..depth), or the
 * unreadable frame when depth is 0). */
static int add_memory(struct recorder *r, uint32_t th, int depth, int64_t delta)
{
    struct frame_key unreadable;
    const struct frame_key *keys = r->keys;
    if (depth == 0) {
        unreadable = (struct frame_key){.func = table_intern_func(r->table, TABLE_UNREADABLE, ""),
                                        .line = -1};
        if (unreadable.func == TABLE_NONE)
            return ERR_NOMEM;
        keys = &unreadable;
        depth = 1;
    }
    enum table_metric m = delta > 0 ? TABLE_M_ALLOC : TABLE_M_FREED;
    uint64_t bytes = delta > 0 ? (uint64_t)delta : -(uint64_t)delta;
    return table_add_stack_as(r->table, th, keys, depth, bytes, m);
}

/* Remember thread th's sample just added (depth 0: failed; otherwise its
 * stack is the table's last) as the memory owner, when st says it is. */
static void mark_owner(struct recorder *r, struct owner_mark *m, const struct record_state *st,
                       uint32_t th, int depth)
{
    if (st && st->mem_owner)
        *m = (struct owner_mark){.known = 1, .th = th, .epoch = table_epoch(r->table),
                                 .leaf = depth > 0 ? table_last_leaf(r->table) : TABLE_NONE};
}

/* Charge delta to mark m's stack: 1, 0 (no such stack now) or ERR_NOMEM. */
static int charge_mark(struct recorder *r, struct owner_mark *m, int64_t delta)
{
    if (!m->known || m->epoch != table_epoch(r->table)) {
        m->known = 0;
        return 0;
    }
    if (m->leaf == TABLE_NONE)
        return add_memory(r, m->th, 0, delta) < 0 ? ERR_NOMEM : 1;
    enum table_metric metric = delta > 0 ? TABLE_M_ALLOC : TABLE_M_FREED;
    uint64_t bytes = delta > 0 ? (uint64_t)delta : -(uint64_t)delta;
    int rc = table_add_at(r->table, m->th, m->leaf, bytes, metric);
    if (rc == ERR_NOMEM)
        return rc;
    m->known = rc == 0;
    return rc == 0;
}

int recorder_add_unowned(struct recorder *r, int64_t delta)
{
    if (!delta)
        return 0;
    int rc = charge_mark(r, &r->owner, delta);
    if (rc > 0 && charge_mark(r, &r->native_owner, delta) == ERR_NOMEM)
        return ERR_NOMEM;
    return rc;
}

/* Where a sample in state st ran on a CPU (TABLE_W_NONE: not on one, or
 * not known). */
static enum table_where ran(const struct record_state *st)
{
    return st && st->on_cpu == 1 && st->ran > 0 && st->ran <= TABLE_WHERES
               ? (enum table_where)(st->ran - 1) : TABLE_W_NONE;
}

int recorder_add(struct recorder *r, const struct walk_stack *ws, const struct record_state *st)
{
    if (!ws->failed && ws->depth <= 0)
        return 0;
    uint32_t th = table_thread_of(r->table, r->pid, thread_key(ws), NULL);
    if (th == TABLE_NONE)
        return ERR_NOMEM;
    label_thread(r, th, ws);
    enum table_metric metric = table_metric_of(st ? st->on_cpu : -1, ws->gil);
    int rc, depth = 0;
    if (ws->failed) {
        /* A walker that failed without saying why still lost a sample. */
        enum walk_fail why = ws->why > WALK_OK && ws->why < WALK_FAIL_COUNT ? ws->why
                                                                             : WALK_FAIL_CORRUPT;
        rc = table_add_failed_as(r->table, th, why, metric);
    } else {
        rc = depth = stack_keys(r, ws);
        if (rc > 0)
            rc = table_add_stack_where(r->table, th, r->keys, depth, 1, metric, ran(st));
    }
    if (rc >= 0)
        mark_owner(r, &r->owner, st, th, depth);
    if (rc >= 0 && (ws->gil_wait == 1 || (st && st->gil_blocked)))
        rc = table_note_gil_wait(r->table, th);
    if (rc >= 0 && st && st->rss_delta)
        rc = add_memory(r, th, depth, st->rss_delta);
    return rc < 0 ? rc : 1;
}

/* ------------------------------------------------------------ tasks */

/* The thread of task stacks for the thread of ws (NULL: the tasks of no
 * running loop), named like that thread. */
static uint32_t task_thread(struct recorder *r, const struct walk_stack *ws)
{
    if (!ws)
        return table_task_thread_of(r->table, r->pid, 0, RECORD_NO_LOOP_THREAD);
    uint32_t own = table_thread_find_of(r->table, r->pid, thread_key(ws));
    const char *name = own != TABLE_NONE ? table_thread_name(r->table, own) : "";
    return table_task_thread_of(r->table, r->pid, thread_key(ws), *name ? name : NULL);
}

/* Append the frame "[task NAME]" at keys[d]. The new depth, or ERR_NOMEM. */
static int task_frame(struct recorder *r, const struct task_sample *ts, int d)
{
    char name[TASKWALK_NAME_MAX + sizeof RECORD_TASK_PREFIX + 1];
    snprintf(name, sizeof name, "%s%s]", RECORD_TASK_PREFIX, ts->name);
    uint32_t f = table_intern_func(r->table, name, "");
    if (f == TABLE_NONE)
        return ERR_NOMEM;
    r->keys[d++] = (struct frame_key){.func = f, .line = -1};
    return d;
}

/* Append frames[0..n) (leaf first) at keys[d], at most up to the bound
 * (keys has room for two markers more), interning each function the first
 * time its code-cache entry is seen. The new depth or ERR_NOMEM. */
static int append_frames(struct recorder *r, const struct walk_frame *frames, int n, int d)
{
    for (int k = 0; k < n && d < WALK_MAX_DEPTH + 1; k++) {
        struct code_entry *e = frames[k].code;
        if (e->user == UINT32_MAX) {
            /* co_firstlineno is read from the target: the table keeps
             * only a plausible one (else -1). */
            e->user = table_intern_func_at(r->table, e->name, e->file, e->firstlineno);
            if (e->user == TABLE_NONE)
                return ERR_NOMEM;
        }
        r->keys[d++] = (struct frame_key){.func = e->user, .line = frames[k].line};
    }
    return d;
}

/* The frames of task i itself at keys[d]: a running task's part of its
 * thread's stack, a suspended one's chain. The new depth, ERR_NOMEM, or
 * ERR_CORRUPT when there is no sure stack (then *why says why). */
static int own_frames(struct recorder *r, const struct record_tasks *set, int i, int d,
                      enum walk_fail *why)
{
    const struct task_sample *ts = set->tasks[i];
    const struct walk_stack *ws = set->threads[i];
    *why = ts->failed && ts->why > WALK_OK && ts->why < WALK_FAIL_COUNT ? ts->why : WALK_FAIL_TORN;
    if (ts->failed)
        return ERR_CORRUPT;
    if (!ts->running)
        return append_frames(r, ts->frames, ts->depth, d);
    if (!ws || ws->failed) {
        *why = ws && ws->why > WALK_OK ? ws->why : WALK_FAIL_TORN;
        return ERR_CORRUPT;
    }
    for (int k = 0; ts->coro_frame && k < ws->depth; k++)
        if (ws->frames[k].frame == ts->coro_frame)
            return append_frames(r, ws->frames, k + 1, d);
    return ERR_CORRUPT;         /* the thread is no longer inside the task */
}

/* The rounds a task's sample stands for (taskwalk.h). */
static uint64_t weight_of(const struct task_sample *ts)
{
    return ts->weight;
}

/* The index of the task at addr in set, or -1. */
static int task_index(const struct record_tasks *set, uint64_t addr)
{
    for (int k = 0; addr && k < set->n; k++)
        if (set->tasks[k]->task == addr)
            return k;
    return -1;
}

int recorder_add_task(struct recorder *r, const struct record_tasks *set, int i)
{
    const struct task_sample *ts = set->tasks[i];
    const struct walk_stack *ws = set->threads[i];
    if (!ts->weight)
        return 0;               /* read as an awaiter only: the context of others */
    uint32_t th = task_thread(r, ws);
    if (th == TABLE_NONE)
        return ERR_NOMEM;
    const struct record_state *st = set->states ? &set->states[i] : NULL;
    enum table_metric metric = ts->running ? table_metric_of(st ? st->on_cpu : -1, ws ? ws->gil : -1)
                                           : table_metric_of(0, 0);
    enum walk_fail why = WALK_OK;
    int d = own_frames(r, set, i, 0, &why);
    if (d == ERR_CORRUPT)
        /* one failure per round it stands for */
        return table_add_failed_weighted(r->table, th, why, metric, weight_of(ts)) < 0 ? ERR_NOMEM
                                                                                        : 1;
    int cut = ts->truncated, seen[RECORD_AWAIT_MAX], nseen = 0;
    for (int cur = i; d >= 0; ) {
        seen[nseen++] = cur;
        if (d >= WALK_MAX_DEPTH || (d = task_frame(r, set->tasks[cur], d)) < 0)
            break;
        int up = task_index(set, set->tasks[cur]->awaited_by);
        for (int k = 0; k < nseen && up >= 0; k++)
            up = seen[k] == up ? -1 : up;   /* an await cycle: stop at the repeat */
        if (up < 0 || nseen == RECORD_AWAIT_MAX)
            break;
        int above = own_frames(r, set, up, d, &why);
        if (above == ERR_CORRUPT)
            break;                      /* the awaiter unread: the task is sure all the same */
        cut |= set->tasks[up]->truncated;
        d = above;
        cur = up;
    }
    if (d >= WALK_MAX_DEPTH || (d > 0 && cut))     /* keys has room for it */
        r->keys[d++] = (struct frame_key){.func = r->truncated_func, .line = -1};
    int rc = d < 0 ? d : table_add_stack_where(r->table, th, r->keys, d, weight_of(ts), metric,
                                               ts->running ? ran(st) : TABLE_W_NONE);
    /* a waiting task's stack: where its waiting time since goes when it is
     * not read again soon (recorder_add_owed): thread + 1, then the leaf */
    if (rc == 0 && !ts->running && ts->mark)
        *ts->mark = (uint64_t)(th + 1) << 32 | table_last_leaf(r->table);
    return rc < 0 ? rc : 1;
}

int recorder_add_owed(struct recorder *r, uint64_t mark, uint64_t rounds)
{
    uint32_t th = (uint32_t)(mark >> 32), node = (uint32_t)mark;
    if (!th || !rounds)
        return 0;
    int rc = table_add_at(r->table, th - 1, node, rounds, table_metric_of(0, 0));
    return rc == ERR_NOMEM ? rc : rc == 0;
}

/* ------------------------------------------------------------ native */

/* The mixed-stack thread for the thread of ws, named like that thread
 * (recorder_add labelled it). */
static uint32_t native_thread(struct recorder *r, const struct walk_stack *ws)
{
    uint32_t own = table_thread_find_of(r->table, r->pid, thread_key(ws));
    const char *name = own != TABLE_NONE ? table_thread_name(r->table, own) : "";
    return table_native_thread_of(r->table, r->pid, thread_key(ws), *name ? name : NULL);
}

/* The table function of a native frame: its symbol, else
 * "BASENAME+0xOFFSET" of its file ("[anon]" for anonymous memory). */
static uint32_t native_func(struct recorder *r, const struct nsym *s)
{
    const char *module = s->module ? s->module : "";
    if (s->name)
        return table_intern_native(r->table, s->name, module);
    const char *base = strrchr(module, '/');
    base = base ? base + 1 : module;
    char name[320];
    snprintf(name, sizeof name, "%.256s+0x%llx", *base ? base : "[anon]",
             (unsigned long long)s->offset);
    return table_intern_native(r->table, name, module);
}

/* Table keys of a mixed stack (leaf first) under the markers of ws.
 * Returns the depth or ERR_NOMEM. */
static int mixed_keys(struct recorder *r, const struct walk_stack *ws,
                      const struct nmerge_item *items, int n)
{
    int d = 0, cut = ws->truncated;
    if (ws->gc == 1)
        r->keys[d++] = (struct frame_key){.func = r->gc_func, .line = -1};
    for (int i = 0; i < n && d >= 0; i++) {
        if (d == WALK_MAX_DEPTH + 1) {
            cut = 1;
            break;
        }
        if (items[i].py) {
            d = append_frames(r, items[i].py, 1, d);
            continue;
        }
        uint32_t f = items[i].native.module ? native_func(r, &items[i].native)
                                            : table_intern_func(r->table, NMERGE_CUT, "");
        if (f == TABLE_NONE)
            return ERR_NOMEM;
        r->keys[d++] = (struct frame_key){.func = f, .line = -1};
    }
    if (d > 0 && cut)
        r->keys[d++] = (struct frame_key){.func = r->truncated_func, .line = -1};
    return d;
}

int recorder_add_native(struct recorder *r, const struct walk_stack *ws,
                        const struct record_state *st, const struct nmerge_item *items, int n)
{
    if (!ws->failed && ws->depth <= 0)
        return 0;
    uint32_t th = native_thread(r, ws);
    if (th == TABLE_NONE)
        return ERR_NOMEM;
    enum table_metric metric = table_metric_of(st ? st->on_cpu : -1, ws->gil);
    int rc, depth = 0;
    if (ws->failed || n < 0) {
        enum walk_fail why = !ws->failed ? WALK_FAIL_TORN
                             : ws->why > WALK_OK && ws->why < WALK_FAIL_COUNT ? ws->why
                                                                              : WALK_FAIL_CORRUPT;
        rc = table_add_failed_as(r->table, th, why, metric);
    } else {
        rc = depth = n > 0 ? mixed_keys(r, ws, items, n) : stack_keys(r, ws);
        if (rc > 0)
            rc = table_add_stack_where(r->table, th, r->keys, depth, 1, metric, ran(st));
    }
    if (rc >= 0)
        mark_owner(r, &r->native_owner, st, th, depth);
    if (rc >= 0 && ws->gil_wait == 1)
        rc = table_note_gil_wait(r->table, th);
    if (rc >= 0 && st && st->rss_delta)
        rc = add_memory(r, th, depth, st->rss_delta);
    return rc < 0 ? rc : 1;
}
