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
    struct task_ref *out;
    int cap, n;
    unsigned cut;
    int weak;
};

/* A weak reference hashes as its referent, and a Task as its address
 * (object.__hash__: _Py_HashPointer, the address rotated right by 4 bits,
 * Python/pyhash.c): the set's stored hashes give the tasks without reading
 * the 10,000 weak references. Each address is checked when the task is
 * read (its type, its reference count). */
static int collect_key(void *arg, uint64_t key, int64_t hash)
{
    struct collect *c = arg;
    uint64_t h = (uint64_t)hash;
    if (c->weak)
        key = h << 4 | h >> 60;
    if (!reader_addr_ok(key, 8))
        return 0;
    if (c->n < c->cap)
        c->out[c->n++] = (struct task_ref){.task = key};
    else
        c->cut++;
    return 0;
}

/* The set behind the registry `name` of the module dict (a WeakSet's
 * .data), into *set. */
static int find_set(struct taskread_ctx *x, uint64_t dict, const char *name, int weak,
                    uint64_t *set)
{
    struct reader *r = x->t->r;
    const struct py_layout *l = &x->t->layout;
    int rc = pydict_lookup_str(r, l, dict, name, set);
    if (rc < 0 || !*set)
        return rc < 0 ? rc : ERR_NOT_READY;
    if (weak && ((rc = pyobj_lookup_attr(r, l, *set, "data", set)) < 0 || !*set))
        return rc < 0 ? rc : ERR_CORRUPT;
    return 0;
}

/* The registries' sets and _current_tasks, found once: they live as long
 * as the _asyncio module (sys.modules is a long dict: looking them up
 * costs more than listing a few dozen tasks). */
static int find_registries(struct taskread_ctx *x, uint64_t interp)
{
    uint64_t dict;
    int rc = pymodule_dict(x->t->r, &x->t->layout, interp, "_asyncio", &dict);
    if (rc < 0)
        return rc;
    if ((rc = pydict_lookup_str(x->t->r, &x->t->layout, dict, "_current_tasks", &x->current_tasks)) < 0)
        return rc;
    if (x->tl->minor == 11)
        return find_set(x, dict, "_all_tasks", 1, &x->reg_weak);
    if ((rc = find_set(x, dict, "_scheduled_tasks", 1, &x->reg_weak)) < 0)
        return rc;
    return find_set(x, dict, "_eager_tasks", 0, &x->reg_eager);
}

uint64_t taskread_loop_thread(struct taskread_ctx *x, uint64_t loop)
{
    struct task_loops *ls = &x->loops;
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
    *n = 0;
    *cut = 0;
    int rc = x->reg_weak ? 0 : find_registries(x, interp);
    struct collect c = {.out = out, .cap = cap < TASKWALK_MAX_TASKS ? cap : TASKWALK_MAX_TASKS,
                        .weak = 1};
    if (rc == 0)
        rc = pyset_foreach(x->t->r, &x->t->layout, x->reg_weak, collect_key, &c);
    c.weak = 0;
    if (rc == 0 && x->reg_eager)
        rc = pyset_foreach(x->t->r, &x->t->layout, x->reg_eager, collect_key, &c);
    if (rc < 0) {
        x->reg_weak = x->reg_eager = x->current_tasks = 0;     /* look them up again */
        return rc;
    }
    *n = c.n;
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
    uint64_t ident = taskread_loop_thread(rn->x, it->key);
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
