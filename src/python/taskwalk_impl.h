/* SPDX-License-Identifier: MIT */
/* Private to the task walker: where the tasks come from. The round
 * (taskwalk.c) lists the tasks with one of two finders, then reads each
 * task it picked (its name, its coroutine chain, what it awaits) with the
 * object layout of the target's version:
 *   - 3.11-3.13: the _asyncio module's task registries (tasklist_registry.c);
 *   - 3.14+: the per-thread task lists of the thread states, refreshed from
 *     the _asyncio module's debug offsets when it has them (tasklist_threads.c). */
#ifndef PROFTUI_TASKWALK_IMPL_H
#define PROFTUI_TASKWALK_IMPL_H

#include <stdint.h>

#include "taskwalk.h"

struct pytarget;

/* A task found by a finder. */
struct task_ref {
    uint64_t task;              /* the Task object */
    uint64_t thread_ident;      /* PyThreadState.thread_id of its loop's thread, 0 unknown */
    int running;                /* the running task of that thread */
};

/* Offsets (bytes, OFF_NONE when the version has no such field) of the
 * objects a task is read through, one table per minor version 3.11+
 * (taskobj.c); on 3.14+ the task fields are refreshed from the target's
 * _AsyncioDebug (tasklist_threads.c). */
struct task_layout {
    int minor;
    /* TaskObj (Modules/_asynciomodule.c) */
    int32_t task_loop;
    int32_t task_fut_waiter;
    int32_t task_coro;
    int32_t task_name;
    int32_t task_awaited_by;         /* 3.14+ */
    int32_t task_awaited_by_is_set;  /* 3.14+ */
    int32_t task_node;               /* 3.14+: struct llist_node in the per-thread list */
    int32_t task_size;
    /* the thread and interpreter state's task lists and running task (3.14+) */
    int32_t tstate_running_loop;
    int32_t tstate_running_task;
    int32_t tstate_tasks_head;
    int32_t interp_tasks_head;
    /* further fields (coroutine, frame stack top, set, weakref, ...) as the
     * readers need them */
};

/* 3.11-3.13: the tasks of the interpreter at interp from the _asyncio
 * module's registries, at most cap into out; *n gets how many, *cut how
 * many more there were. 0, ERR_NOT_READY (asyncio not imported), ERR_READ,
 * ERR_EXITED or ERR_CORRUPT. */
int tasklist_registry(struct pytarget *t, const struct task_layout *tl, uint64_t interp,
                      struct task_ref *out, int cap, int *n, unsigned *cut);

/* 3.14+: the same from the thread states' task lists (and the
 * interpreter's list of tasks whose thread ended). */
int tasklist_threads(struct pytarget *t, const struct task_layout *tl, uint64_t interp,
                     struct task_ref *out, int cap, int *n, unsigned *cut);

/* 3.14+: refresh *tl from the target's _AsyncioDebug when it can be found
 * (static executable, libpython or the _asyncio extension module). 0, or
 * ERR_NOT_READY (not loaded yet: try again later), ERR_CORRUPT (found but
 * implausible: *tl unchanged). */
int tasklist_debug_offsets(struct pytarget *t, struct task_layout *tl);

#endif
