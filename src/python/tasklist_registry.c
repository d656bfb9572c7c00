/* SPDX-License-Identifier: MIT */
/* 3.11-3.13: the tasks of an interpreter from the _asyncio module's registries. */
#include "taskwalk_impl.h"

#include "error.h"
#include "pydict.h"
#include "pylayout.h"
#include "pylong.h"
#include "pymodule.h"
#include "pyobj.h"
#include "pyset.h"
#include "pytarget.h"
#include "reader.h"

/* Modules/_asynciomodule.c keeps every task in registries it shares with
 * Lib/asyncio/tasks.py: 3.11 `_all_tasks`, a WeakSet; 3.12, 3.13
 * `_scheduled_tasks` (a WeakSet) and `_eager_tasks` (a set of the eager
 * tasks still running their first step); `_current_tasks` maps each
 * running loop to the task it runs. A WeakSet keeps its weak references
 * in its `data` attribute, a set. */
struct collect {
    uint64_t *out;
    int cap, n;
    unsigned cut;
};

static int collect_key(void *arg, uint64_t key)
{
    struct collect *c = arg;
    if (c->n < c->cap)
        c->out[c->n++] = key;
    else
        c->cut++;
    return 0;
}

/* The keys of the set `name` of the module dict (through .data for a
 * WeakSet: the weak references' referents). */
static int registry(struct taskread_ctx *x, uint64_t dict, const char *name, int weak,
                    struct collect *c)
{
    struct reader *r = x->t->r;
    const struct py_layout *l = &x->t->layout;
    uint64_t set;
    int rc = pydict_lookup_str(r, l, dict, name, &set);
    if (rc < 0 || !set)
        return rc < 0 ? rc : ERR_NOT_READY;
    if (weak && ((rc = pyobj_lookup_attr(r, l, set, "data", &set)) < 0 || !set))
        return rc < 0 ? rc : ERR_CORRUPT;
    int first = c->n;
    rc = pyset_foreach(r, l, set, collect_key, c);
    if (rc < 0)
        return rc;
    return weak ? pyweakref_targets(r, c->out + first, c->n - first) : 0;
}

/* The thread running loop: BaseEventLoop._thread_id, set by run_forever
 * (Lib/asyncio/base_events.py); None, hence 0, while it is not running. */
static uint64_t loop_thread(struct taskread_ctx *x, struct task_loops *ls, uint64_t loop)
{
    for (int i = 0; i < ls->n; i++)
        if (ls->loop[i] == loop)
            return ls->ident[i];
    uint64_t id = 0, obj;
    if (pyobj_lookup_attr(x->t->r, &x->t->layout, loop, "_thread_id", &obj) < 0 || !obj ||
        pylong_read_u64(x->t->r, &x->t->layout, obj, &id) < 0)
        id = 0;
    if (ls->n < TASKLOOPS_MAX) {
        ls->loop[ls->n] = loop;
        ls->ident[ls->n++] = id;
    }
    return id;
}

int tasklist_registry(struct taskread_ctx *x, uint64_t interp, struct task_ref *out, int cap,
                      int *n, unsigned *cut)
{
    static _Thread_local uint64_t tasks[TASKWALK_MAX_TASKS], loops_of[TASKWALK_MAX_TASKS];
    uint64_t dict;
    *n = 0;
    *cut = 0;
    int rc = pymodule_dict(x->t->r, &x->t->layout, interp, "_asyncio", &dict);
    if (rc < 0)
        return rc;
    if ((rc = pydict_lookup_str(x->t->r, &x->t->layout, dict, "_current_tasks", &x->current_tasks)) < 0)
        return rc;
    struct collect c = {.out = tasks, .cap = cap < TASKWALK_MAX_TASKS ? cap : TASKWALK_MAX_TASKS};
    if (x->tl->minor == 11)
        rc = registry(x, dict, "_all_tasks", 1, &c);
    else if ((rc = registry(x, dict, "_scheduled_tasks", 1, &c)) == 0)
        rc = registry(x, dict, "_eager_tasks", 0, &c);
    if (rc < 0)
        return rc;
    for (int i = 0; i < c.n; i++)
        loops_of[i] = tasks[i];
    if ((rc = pyset_read_ptrs(x->t->r, loops_of, c.n, (uint32_t)x->tl->task_loop)) < 0)
        return rc;
    x->loops.n = 0;
    for (int i = 0; i < c.n; i++) {
        if (!tasks[i])
            continue;               /* a dead weak reference */
        uint64_t ident = loops_of[i] ? loop_thread(x, &x->loops, loops_of[i]) : 0;
        out[(*n)++] = (struct task_ref){.task = tasks[i], .thread_ident = ident};
    }
    *cut = c.cut;
    return 0;
}

struct running {
    struct taskread_ctx *x;
    struct task_ref *out;
    int cap, n;
};

static int running_one(void *arg, const struct pydict_item *it)
{
    struct running *rn = arg;
    if (rn->n >= rn->cap)
        return 1;
    uint64_t ident = loop_thread(rn->x, &rn->x->loops, it->key);
    rn->out[rn->n++] = (struct task_ref){.task = it->value, .thread_ident = ident, .running = 1};
    return 0;
}

int tasklist_registry_running(struct taskread_ctx *x, uint64_t interp, struct task_ref *out,
                              int cap)
{
    (void)interp;
    if (!x->current_tasks)
        return ERR_NOT_READY;
    struct running rn = {.x = x, .out = out, .cap = cap};
    int rc = pydict_foreach(x->t->r, &x->t->layout, x->current_tasks, running_one, &rn);
    return rc < 0 ? rc : rn.n;
}
