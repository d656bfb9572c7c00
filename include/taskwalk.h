/* SPDX-License-Identifier: MIT */
/* asyncio tasks of a target (CPython 3.11+): each round lists the tasks of
 * every thread's event loop, names each as Task.get_name() would, and
 * says what each is doing: the running task of a thread by the frame of
 * its own coroutine (its stack is the thread's stack from the leaf down
 * to that frame: the caller splices it from the walker's stack), a
 * suspended task by its coroutine chain down to the await it is parked
 * on, and which task awaits it (directly, or through a gather).
 *
 * How the tasks are found and read is version data (see the README,
 * "asyncio tasks"): 3.14+ from the per-thread task lists and the
 * _asyncio module's debug offsets; 3.11-3.13 from the _asyncio module's
 * task registries and the C Task object's layout.
 *
 * Bounded: a round reads at most TASKWALK_PER_ROUND tasks (every running
 * task, then the others in turn, so each is read as often as any other)
 * and counts the ones it left for later rounds; every length read from
 * the target is bounded and every chain is checked for cycles. A task
 * that cannot be read consistently is returned failed, with the reason. */
#ifndef PROFTUI_TASKWALK_H
#define PROFTUI_TASKWALK_H

#include <stdint.h>

#include "walker.h"     /* struct walk_frame, enum walk_fail */

struct pytarget;
struct codecache;
struct taskwalk;

#define TASKWALK_PER_ROUND 256      /* tasks read in one round at most */
#define TASKWALK_MAX_TASKS 131072   /* tasks listed at most (longer registries are cut, counted) */
#define TASKWALK_MAX_CHAIN 256      /* coroutines in one task's chain at most (cut, marked truncated) */
#define TASKWALK_NAME_MAX 64        /* bytes of a task name kept, NUL included (longer names are cut) */

/* One task in a round. */
struct task_sample {
    uint64_t task;              /* the Task object */
    uint64_t thread_ident;      /* PyThreadState.thread_id (pthread_t) of the thread whose event
                                 * loop runs the task; 0 when unknown (its loop is not running) */
    int running;                /* 1: the task its thread is running at this round */
    uint32_t weight;            /* rounds this sample stands for: a task is not read every
                                 * round when there are more than TASKWALK_PER_ROUND (the running
                                 * ones always are); one read then stands for the rounds since its
                                 * last (since it was listed, for a new one). 0: read only as the
                                 * awaiter of a task of this round (its frames go above that
                                 * task's), not a sample of its own */
    uint64_t coro_frame;        /* the _PyInterpreterFrame embedded in the task's own coroutine
                                 * (the outermost of its chain); 0 when unknown */
    int depth;                  /* suspended: frames[0..depth) is the coroutine chain, innermost
                                 * (the await it is parked on) first; running: 0 (see above) */
    int truncated;              /* the chain was longer than TASKWALK_MAX_CHAIN */
    struct walk_frame *frames;  /* owned by the taskwalk, valid until the next round */
    uint64_t loop;              /* its event loop object, 0 when unknown */
    uint64_t *mark;             /* a word the caller may keep with this listed task across rounds
                                 * (0 until it writes one; taskwalk_flush hands it back), NULL
                                 * for a task read out of turn as an awaiter */
    uint64_t awaited_by;        /* the task that awaits this one (directly or through a gather
                                 * or another future it will complete), 0 when none is known */
    int failed;                 /* the task could not be read consistently (why says why) */
    enum walk_fail why;
    char name[TASKWALK_NAME_MAX];   /* Task.get_name(): its name, or "Task-N" */
};

/* What the last round did. */
struct taskwalk_stats {
    unsigned listed;            /* tasks known (listed this round or before) */
    unsigned read;              /* tasks read this round (returned by taskwalk_round) */
    unsigned skipped;           /* tasks left for a later round by the per-round bound */
    unsigned cut;               /* tasks beyond TASKWALK_MAX_TASKS, never read */
};

/* A task walker for target t using code cache c (both borrowed; they must
 * outlive it). Returns 0 and *out (caller owns: taskwalk_free),
 * ERR_VERSION when the target's CPython is older than 3.11 (asyncio's
 * tasks cannot be read there), or ERR_NOMEM. */
int taskwalk_new(struct pytarget *t, struct codecache *c, struct taskwalk **out);
void taskwalk_free(struct taskwalk *tw);

/* One round: list the tasks (when asyncio is not imported yet or no loop
 * has tasks: none) and read up to TASKWALK_PER_ROUND of them. Returns the
 * number of tasks read (their samples via taskwalk_task), or ERR_EXITED
 * when the target is gone. Call it after the code cache's round started
 * (codecache_new_round): the frames' code entries are valid for that
 * round. */
int taskwalk_round(struct taskwalk *tw);

/* A round in which nothing of the process ran since the last walk (the
 * sampler reuses that walk: proc.h "quiet"): nothing is read and no task
 * returned, but the round counts in the weight of each task's next read
 * (its stack then stood for this round too). */
void taskwalk_quiet_round(struct taskwalk *tw);

/* Called by taskwalk_flush with a task's mark and the rounds of its
 * waiting time not recorded yet; returns 1 when it recorded them. */
typedef int (*taskwalk_owed_fn)(void *arg, uint64_t mark, uint64_t rounds);

/* The waiting time not recorded yet: a listed task's rounds since its
 * last read (quiet rounds included) and those it owes (seen only by
 * running reads), for each listed task with a mark, to owed(arg, ...);
 * those owed() recorded are then recorded (the task's next read stands
 * for the rounds after this call). So that a task read in turn among
 * thousands has its wall time in the profile at the end of a run and,
 * called now and then, in the live view. */
void taskwalk_flush(struct taskwalk *tw, taskwalk_owed_fn owed, void *arg);

/* Task i (0 <= i < the last taskwalk_round's count), valid until the next
 * round. */
const struct task_sample *taskwalk_task(const struct taskwalk *tw, int i);

/* The last round's counts. */
void taskwalk_stats(const struct taskwalk *tw, struct taskwalk_stats *out);

#endif
