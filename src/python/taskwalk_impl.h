/* SPDX-License-Identifier: MIT */
/* Private to the task walker: where the tasks come from and how a task is
 * read. The round (taskwalk.c) lists the tasks with one of two finders,
 * then reads each task it picked (its name, its coroutine chain, what it
 * awaits) with the object layout of the target's version (tasklayout.c):
 *   - 3.11-3.13: the _asyncio module's task registries (tasklist_registry.c);
 *   - 3.14+: the per-thread task lists of the thread states, with offsets
 *     from the _asyncio module's debug offsets when it has them
 *     (tasklist_threads.c).
 * Objects are recognised by their type (taskobj.c). */
#ifndef PROFTUI_TASKWALK_IMPL_H
#define PROFTUI_TASKWALK_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "taskwalk.h"

struct pytarget;
struct codecache;
struct reader;
struct py_layout;

/* A task found by a finder. */
struct task_ref {
    uint64_t task;              /* the Task object */
    uint64_t thread_ident;      /* PyThreadState.thread_id of its loop's thread, 0 unknown */
    int running;                /* the running task of that thread */
};

#define TASK_STATE_NONE (-128)  /* a frame state value no version uses */

/* Offsets (bytes, OFF_NONE when the version has no such field) of the
 * objects a task is read through, one table per minor version 3.11+
 * (tasklayout.c); on 3.14+ the task and thread fields are refreshed from
 * the target's _AsyncioDebug (tasklist_threads.c). */
struct task_layout {
    int minor;
    /* TaskObj (Modules/_asynciomodule.c; FutureObj fields first) */
    int32_t task_loop;
    int32_t task_state;              /* fut_state (int): 0 pending, 1 cancelled, 2 finished */
    int32_t task_fut_waiter;
    int32_t task_coro;
    int32_t task_name;
    int32_t task_awaited_by;         /* 3.14+: fut_awaited_by (a Future or a set of them) */
    int32_t task_awaited_by_is_set;  /* 3.14+: char */
    int32_t task_is_task;            /* 3.14+: char, 1 in a Task, 0 in a Future */
    int32_t task_node;               /* 3.14+: struct llist_node in the per-thread list */
    int32_t task_size;
    /* the thread and interpreter state's task lists and running task (3.14+) */
    int32_t tstate_running_loop;
    int32_t tstate_running_task;
    int32_t tstate_tasks_head;
    int32_t interp_tasks_head;
    /* PyGenObject / PyCoroObject (Include/internal/pycore_genobject.h or
     * pycore_interpframe_structs.h): the frame state and embedded frame */
    int32_t gen_frame_state;         /* int8_t gi_frame_state */
    int32_t gen_iframe;              /* _PyInterpreterFrame gi_iframe */
    int state_created, state_suspended; /* PyFrameState values (pycore_frame.h) */
    int state_yf, state_yf2;         /* suspended in a yield from/await (3.13+), else TASK_STATE_NONE */
    int resume_opcode, resume_opcode2; /* 3.11, 3.12: RESUME and its quickened or instrumented
                                      * form, to tell an await from a yield */
    /* _PyInterpreterFrame: the value stack's top */
    int32_t frame_stacktop;          /* int stacktop (3.11-3.13) else OFF_NONE */
    int32_t frame_localsplus;        /* localsplus (3.11-3.13) */
    int32_t frame_stackpointer;      /* _PyStackRef *stackpointer (3.14+) else OFF_NONE */
    int yf_depth;                    /* the awaited object is stack[top - yf_depth] (3.15: 2) */
    int32_t frame_read;              /* bytes of the frame worth reading */
};

/* The built-in table for 3.minor, or NULL (before 3.11). A minor newer
 * than every table gets the newest one. */
const struct task_layout *tasklayout_for(int minor);

/* What an object in the target is, by its type. */
enum task_kind {
    TK_OTHER = 0,
    TK_TASK,        /* _asyncio.Task or a subclass */
    TK_FUTURE,      /* _asyncio.Future or a subclass that is not a gather */
    TK_GATHER,      /* asyncio.tasks._GatheringFuture */
    TK_CORO,        /* coroutine */
    TK_GEN,         /* generator (a @types.coroutine) */
    TK_FUTITER,     /* _asyncio.FutureIter: what `await future` suspends on */
    TK_STR,         /* str (a task's name) */
    TK_INT,         /* int (a task's name before get_name(), 3.12+) */
};

#define TASKTYPES_MAX 64

/* Types seen, by address (a small cache: a type's kind is read once). */
struct task_types {
    uint64_t addr[TASKTYPES_MAX];
    uint8_t kind[TASKTYPES_MAX];
    int n;
};

/* The kind of the object whose type is at type (ob_type). */
enum task_kind tasktypes_kind(struct task_types *tt, struct reader *r, const struct py_layout *l,
                              uint64_t type);

/* The kind of the object at obj (reads its ob_type). TK_OTHER when it
 * cannot be read. */
enum task_kind tasktypes_obj(struct task_types *tt, struct reader *r, const struct py_layout *l,
                             uint64_t obj);

#define TASKLOOPS_MAX 64

/* Event loops and the thread each runs (3.11-3.13), remembered for
 * TASKLOOPS_KEEP_NS (a loop stops and starts rarely). */
#define TASKLOOPS_KEEP_NS 1000000000ULL
struct task_loops {
    uint64_t loop[TASKLOOPS_MAX], ident[TASKLOOPS_MAX];
    int n;
};

#define TASKMEMO 64
#define TASKHINT_MAX 8          /* objects of a task's last read fetched at once */
#define TASKHINT_BYTES 384      /* bytes fetched of each (a generator's head, frame and stack) */

/* The objects the last read of a task went through (the task, its
 * coroutines, what the last one awaits): the next read fetches them all
 * with one batched read and takes from it what is still where it was. */
struct task_hint {
    uint64_t addr[TASKHINT_MAX];
    int n;
};

/* Code objects validated in this round (the code cache's entries stay
 * valid for the round), and whether an instruction is the RESUME after an
 * await (3.11, 3.12), remembered by (code, offset). */
struct task_memo {
    uint64_t code[TASKMEMO];
    struct code_entry *entry[TASKMEMO];
    uint64_t resume_key[TASKMEMO];
    int8_t resume_yf[TASKMEMO];
};

/* Everything the task reader and the finders need. */
struct taskread_ctx {
    struct pytarget *t;
    struct codecache *c;
    const struct task_layout *tl;
    struct task_types *types;
    uint64_t current_tasks;     /* 3.11-3.13: the _current_tasks dict, 0 until listed */
    uint64_t reg_weak;          /* 3.11-3.13: the set of the WeakSet _all_tasks/_scheduled_tasks */
    uint64_t reg_eager;         /* 3.12, 3.13: the set _eager_tasks */
    struct task_loops loops;    /* 3.11-3.13: forgotten every TASKLOOPS_KEEP_NS */
    uint64_t loops_since;       /* when loops was last forgotten */
    struct task_memo memo;      /* code[] cleared by each round (taskread_new_round) */
    /* this read's batch of the hinted objects */
    uint64_t pre_addr[TASKHINT_MAX];
    uint8_t pre_buf[TASKHINT_MAX][TASKHINT_BYTES];
    int pre_n;
    unsigned long pieces;       /* pieces of batched reads so far (their cost grows with them) */
};

/* Start a round: forget the code objects validated in the last one. */
void taskread_new_round(struct taskread_ctx *x);

/* What a task read says besides its sample. */
struct taskread_more {
    uint64_t name_obj;          /* the name object (a str or, before it is asked, an int) */
    uint64_t fut_waiter;        /* the future it waits on (3.11-3.13), 0 none */
    uint64_t loop;              /* its event loop */
    uint64_t awaited;           /* what its chain is parked on: a Future/Task, 0 unknown */
    enum task_kind awaited_kind;
};

/* Read task s->task (s->running set by the caller): its coroutine, and
 * when suspended its chain into frames (cap entries at most). The name is
 * not read (see taskread_name). hint (may be NULL) holds the objects of
 * the task's last read, fetched first in one batch, and gets this read's.
 * 0, or ERR_CORRUPT when the object is not a Task (any more); a chain that
 * cannot be read sets s->failed. */
int taskread_task(struct taskread_ctx *x, struct task_sample *s, struct walk_frame *frames,
                  int cap, struct taskread_more *more, struct task_hint *hint);

/* Task.get_name() of the name object: the str, or "Task-N" for an int. */
int taskread_name(struct taskread_ctx *x, uint64_t name_obj, char *buf, size_t cap);

/* 3.14+: the task that awaits task (fut_awaited_by, through futures such
 * as a gather's), or 0. */
uint64_t taskread_awaited_by(struct taskread_ctx *x, uint64_t task);

/* 3.11-3.13: the tasks whose awaiter is a task that waits on future fut:
 * fut itself when it is a Task, or a gather's children. kind is fut's
 * kind when known, else TK_OTHER (then it is read). At most cap into out;
 * returns how many. */
int taskread_children(struct taskread_ctx *x, uint64_t fut, enum task_kind kind, uint64_t *out,
                      int cap);

/* 3.11-3.13: the tasks of the interpreter at interp from the _asyncio
 * module's registries, at most cap into out; *n gets how many, *cut how
 * many more there were. 0, ERR_NOT_READY (asyncio not imported), ERR_READ,
 * ERR_EXITED or ERR_CORRUPT. */
int tasklist_registry(struct taskread_ctx *x, uint64_t interp, struct task_ref *out, int cap,
                      int *n, unsigned *cut);

/* 3.11-3.13: the thread running the event loop at loop (its _thread_id),
 * 0 when it is not running; remembered for TASKLOOPS_KEEP_NS. */
uint64_t taskread_loop_thread(struct taskread_ctx *x, uint64_t loop);

/* 3.11-3.13: the running task of each running loop (_current_tasks, as
 * found by the last tasklist_registry) into out (cap at most); returns how
 * many, or an error (ERR_NOT_READY before a listing found it). */
int tasklist_registry_running(struct taskread_ctx *x, uint64_t interp, struct task_ref *out,
                              int cap);

/* 3.14+: the tasks from the thread states' task lists (and the
 * interpreter's list of tasks whose thread ended), as tasklist_registry. */
int tasklist_threads(struct taskread_ctx *x, uint64_t interp, struct task_ref *out, int cap,
                     int *n, unsigned *cut);

/* 3.14+: the running task of each thread state (cap at most); returns how
 * many, or an error. */
int tasklist_threads_running(struct taskread_ctx *x, uint64_t interp, struct task_ref *out,
                             int cap);

/* 3.14+: refresh *tl from the target's _AsyncioDebug when it can be found
 * (static executable, libpython or the _asyncio extension module). 0, or
 * ERR_NOT_READY (not loaded yet: try again later), ERR_CORRUPT (found but
 * implausible: *tl unchanged). */
int tasklist_debug_offsets(struct pytarget *t, struct task_layout *tl);

/* Parse the 13 words of an _AsyncioDebug block into *tl (its other fields
 * kept). 0, or ERR_CORRUPT when the values are implausible. */
int tasklayout_from_debug(const uint64_t words[13], struct task_layout *tl);

#endif
