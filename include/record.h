/* SPDX-License-Identifier: MIT */
/* From walked stacks to table samples: a thread's frames become table keys
 * (under a "[truncated]" root when cut), a stack that could not be read
 * becomes the single frame "[unreadable]" so every thread keeps its share
 * of the rounds, and a thread is labelled when first seen and again after
 * every names refresh. The caller serialises access to the table. */
#ifndef PROFTUI_RECORD_H
#define PROFTUI_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"

struct table;
struct walk_stack;
struct recorder;

/* The frame written at the root end of a cut stack (a table function of
 * this name with an empty file); one that could not be read is the frame
 * TABLE_UNREADABLE (table.h). */
#define RECORD_TRUNCATED "[truncated]"

/* Writes the name of the thread of ws into buf (NUL-terminated, cap > 0)
 * and returns 1, or returns 0 to keep the thread's current label; first
 * is set when the thread has never been labelled (it is new). */
typedef int (*record_label_fn)(void *arg, const struct walk_stack *ws, int first, char *buf,
                               size_t cap);

/* A recorder into table t (borrowed; must outlive it) naming threads with
 * label(arg, ...). Caller owns the result (recorder_free). NULL on ENOMEM. */
struct recorder *recorder_new(struct table *t, record_label_fn label, void *arg);
void recorder_free(struct recorder *r);

/* The process the stacks come from: threads are registered as (pid, tid)
 * (table_thread_of); 0, the default, is the profile's own process. */
void recorder_set_pid(struct recorder *r, uint32_t pid);

/* The frame put innermost on a stack whose thread runs the garbage
 * collector (walk_stack.gc). */
#define RECORD_GC "[gc]"

/* What the sampler knows of a thread at a round besides its stack. */
struct record_state {
    int on_cpu;                /* 1 on a CPU, 0 not, -1 unknown */
    int64_t rss_delta;         /* bytes the process's resident memory changed by since
                                * the last round, charged to this stack (the GIL
                                * holder's); 0 for none */
    int gil_blocked;           /* 1: found asleep on its GIL's lock (walker.h gil_at): a GIL
                                * wait whatever ws->gil_wait says; 0: as ws->gil_wait says */
    int ran;                   /* on a CPU, what it ran: 1 + enum table_where (RECORD_RAN);
                                * 0, the default: not known */
    int mem_owner;             /* 1: the round's owner of memory changes (the GIL holder,
                                * else the only thread on a CPU), whether or not the
                                * memory changed: recorder_add_unowned's stack */
};

/* record_state.ran for a sample that ran `where` (table.h). */
#define RECORD_RAN(where) (1 + (int)(where))

/* Count ws as one sample of its thread (keyed by OS thread id, else by
 * ident) in the metric of its state (table_metric_of(st->on_cpu,
 * ws->gil); st NULL: unknown): its frames (under "[gc]" when ws->gc), or
 * "[unreadable]" and one failure of ws->why when ws->failed; a GIL wait
 * when ws->gil_wait; st->rss_delta bytes as memory grown or released on
 * the same stack. A stack with no frame that did not fail is not a
 * sample. Returns 1 when a sample was added, 0 when not, or ERR_NOMEM. */
int recorder_add(struct recorder *r, const struct walk_stack *ws, const struct record_state *st);

/* Charge delta bytes of memory grown (released) in a round with no owner
 * to the stack of the last sample added as the owner (st->mem_owner) since
 * the table's last reset: the thread seen holding the GIL last, where it
 * was seen (its mixed stack too, under --native); "[unreadable]" when that
 * stack failed. A program that frees memory and then sleeps with the GIL
 * released has its release charged where it was last seen running rather
 * than to whichever stack takes the GIL next. Returns 1 when charged, 0
 * when no owner is known (the caller keeps the bytes), or ERR_NOMEM. */
int recorder_add_unowned(struct recorder *r, int64_t delta);

/* The frame at the root of an asyncio task's stack: "[task NAME]" (a
 * table function of that name with an empty file). */
#define RECORD_TASK_PREFIX TABLE_TASK_PREFIX
/* The thread under which the tasks of a loop no thread runs go. */
#define RECORD_NO_LOOP_THREAD "[no running loop]"

struct task_sample;

/* This round's tasks of the recorder's process (taskwalk.h), each with the
 * stack of the thread whose loop runs it (NULL when none was walked). */
struct record_tasks {
    const struct task_sample *const *tasks;
    const struct walk_stack *const *threads;
    const struct record_state *states;   /* of those threads (NULL entries: unknown) */
    int n;
};

/* Count task i of set as one sample of its thread's task stacks
 * (table_task_thread_of), leaf first: a running task's part of its
 * thread's stack (from the leaf down to the frame of the task's own
 * coroutine), or a suspended task's coroutine chain; then "[task NAME]";
 * then, root-ward, the same for the task that awaits it, and so on (up
 * to RECORD_AWAIT_MAX tasks, a cycle or a task not read this round ends
 * it). A running task counts in the metric of its thread's state, a
 * suspended one as idle (off CPU, no GIL). A task that could not be read,
 * or a running one whose coroutine's frame is not on its thread's stack
 * (the thread moved on between the two reads), is one failure
 * ("[unreadable]"). A task read in turn (task_sample.weight > 1) counts
 * as that many samples; one read as an awaiter only (weight 0) is none.
 * Returns 1 when a sample was added, 0 when not, or ERR_NOMEM. */
#define RECORD_AWAIT_MAX 16
int recorder_add_task(struct recorder *r, const struct record_tasks *set, int i);

/* Waiting time owed to a suspended task recorded earlier
 * (taskwalk_flush): rounds more samples of the stack its last waiting
 * sample had, given by the mark recorder_add_task left in its
 * task_sample.mark. Returns 1 when they were added, 0 when the mark is
 * not one, or ERR_NOMEM. */
int recorder_add_owed(struct recorder *r, uint64_t mark, uint64_t rounds);

struct nmerge_item;

/* --native: count ws as one sample of its thread's mixed stacks
 * (table_native_thread_of, same process, thread key and name as
 * recorder_add's thread), in the same metric, with the same GIL wait and
 * memory, so that the mixed stacks alone are the whole profile. The caller
 * calls recorder_add first, then this, for the same ws. items[0..n) is
 * the mixed stack (nmerge_stack), leaf first: Python frames as
 * recorder_add keys them, native ones as table_intern_native functions
 * (the symbol, else "BASENAME+0xOFFSET" of the module's file; line -1).
 * n == 0: no native sample this round: ws's own frames. n < 0: the merge
 * was refused: one failure WALK_FAIL_TORN. A failed ws is its own failure
 * whatever n is. "[gc]" leaf-most when ws->gc; "[truncated]" root-most when
 * ws->truncated or the stack is cut at WALK_MAX_DEPTH + 1 frames. A stack
 * with no frame that did not fail is not a sample (as in recorder_add).
 * Returns 1 when a sample was added, 0 when not, or ERR_NOMEM. */
int recorder_add_native(struct recorder *r, const struct walk_stack *ws,
                        const struct record_state *st, const struct nmerge_item *items, int n);

/* Thread names may have changed: every thread is labelled again the next
 * time it is recorded or touched. */
void recorder_names_changed(struct recorder *r);


#endif
