/* SPDX-License-Identifier: MIT */
/* Private to the dump: the asyncio tasks part (--dump --async, dump_tasks.c). */
#ifndef PROFTUI_DUMP_IMPL_H
#define PROFTUI_DUMP_IMPL_H

#include <stdint.h>
#include <stdio.h>

#include "taskwalk.h"
#include "walker.h"

struct pytarget;

struct dump_frame {
    char *name;                  /* owned */
    char *file;                  /* owned */
    int32_t line;                /* -1: unknown */
    int8_t in_call;              /* walk_frame.in_call: 1, 0, -1 unknown */
};

/* One task as the dump shows it. */
struct dump_task {
    uint64_t task, thread_ident, awaited_by;
    int running;
    int have;                    /* a consistent sample was taken */
    int truncated;
    enum walk_fail why;          /* while !have */
    char name[TASKWALK_NAME_MAX];
    int depth;
    struct dump_frame *frames;   /* owned, innermost first */
};

struct dump_tasks {
    struct dump_task *v;         /* owned */
    int n, cap;
    unsigned listed, cut;
};

/* Read every task of t (once each; a running one with its thread's stack
 * down to its coroutine). 0, ERR_VERSION (before 3.11), ERR_NOMEM, or the
 * walker's error when the target is gone. */
int dumptasks_read(struct pytarget *t, struct dump_tasks *dt);
void dumptasks_free(struct dump_tasks *dt);

/* The OS thread id of the thread with PyThreadState.thread_id ident, 0
 * when unknown (dump.c). */
typedef uint64_t (*dump_tid_fn)(const void *arg, uint64_t ident);

/* Print the tasks after the threads: text, or a JSON array (the value of
 * "tasks"). */
void dumptasks_text(FILE *out, const struct dump_tasks *dt, dump_tid_fn tid, const void *arg);
void dumptasks_json(FILE *out, const struct dump_tasks *dt, dump_tid_fn tid, const void *arg);

/* Free a frame array of depth entries. */
void dump_frames_free(struct dump_frame *f, int depth);

#endif
