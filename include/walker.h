/* SPDX-License-Identifier: MIT */
/* The frame walker: enumerates thread states and reads one thread's Python
 * stack, leaf first, with the current line of every frame. */
#ifndef PROFTUI_WALKER_H
#define PROFTUI_WALKER_H

#include <stdint.h>

struct pytarget;
struct codecache;
struct code_entry;

#define WALK_MAX_DEPTH 2048     /* deeper stacks are cut and marked truncated */
#define WALK_MAX_THREADS 8192   /* bound on thread-state lists */

/* What the walker needs of a PyThreadState, read once per round. */
struct walk_thread {
    uint64_t interp;            /* PyInterpreterState the thread belongs to */
    uint64_t tstate;            /* PyThreadState */
    uint64_t frame;             /* frame / cframe / current_frame field, as stored */
    uint64_t ident;             /* thread_id (pthread_t) */
    uint64_t native_tid;        /* native_thread_id (3.11+), else 0 */
    uint64_t chunk;             /* datastack_chunk (3.11+), else 0 */
};

struct walk_frame {
    struct code_entry *code;    /* borrowed from the code cache, valid for this round */
    int32_t line;               /* current line, -1 when unknown */
};

/* Scratch space for one walk; large, so callers keep one around. */
struct walk_stack {
    uint64_t ident;             /* PyThreadState.thread_id (pthread_t) */
    uint64_t tid;               /* OS thread id, 0 when unknown */
    int depth;
    int truncated;              /* frames beyond WALK_MAX_DEPTH were dropped (root side) */
    struct walk_frame frames[WALK_MAX_DEPTH];   /* leaf first */
    /* internal scratch, so a walk allocates nothing */
    uint64_t code_addr[WALK_MAX_DEPTH];
    int32_t code_pos[WALK_MAX_DEPTH];
    uint8_t chunk[1 << 16];     /* the thread's current data-stack chunk (3.11+) */
    uint64_t uniq[256];         /* distinct code objects of this stack */
    uint8_t headers[256][256];  /* their headers, read in one batch */
};

/* Read the thread states of every interpreter into out (at most max).
 * Returns 0 with *n set, or ERR_READ / ERR_CORRUPT / ERR_NOT_READY. */
int walker_threads(struct pytarget *t, struct walk_thread *out, int max, int *n);

/* Read the stack of one thread into s. A thread with no Python frame gives
 * depth 0. Returns 0, or ERR_READ / ERR_CORRUPT for a stack that changed
 * under us or holds garbage (nothing partial is returned). */
int walker_stack(struct pytarget *t, struct codecache *c, const struct walk_thread *th,
                 struct walk_stack *s);

#endif
