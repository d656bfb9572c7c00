/* SPDX-License-Identifier: MIT */
/* The frame walker: one round reads every thread's Python stack, leaf
 * first, with the current line of every frame.
 *
 * Cost model: a process_vm_readv call costs ~1.1 us plus ~0.3 us per iovec,
 * so a round is planned as one batched read of everything the previous
 * round needed (thread states, frame areas, code object headers), kept as a
 * per-round cache. The walk itself is the plain dependent walk (head ->
 * interpreter -> thread state -> frames -> code objects); each read is
 * served from the cache when it holds the range and is a read of its own
 * otherwise. All cached bytes were read during this round, so a steady
 * target costs one system call per round and a changing one a few more.
 * The stacks of threads the caller marks still (walker_still) are copied
 * from the last round, and their frames and the code objects only they
 * name left out of the batch.
 *
 * Consistency: each stack is checked to be one real stack of one moment
 * (framewalk.h; on 3.14+ its top is taken from the data-stack copy, which
 * the batch reads first; on <= 3.10 the stack is taken from a copy of every
 * frame object seen lately, read first between two reads of each thread's
 * current frame: framewalk_heap.c). A stack that fails a check is read again at once
 * from fresh copies of what it needs (one more batched read each time), a
 * few times, before it is returned as failed with the reason. */
#ifndef PROFTUI_WALKER_H
#define PROFTUI_WALKER_H

#include <stdint.h>

struct pytarget;
struct codecache;
struct code_entry;
struct walker;

#define WALK_MAX_DEPTH 2048       /* deeper stacks are cut and marked truncated */
#define WALK_MAX_THREADS 8192     /* bound on thread-state lists */
#define WALK_MAX_ROUND_FRAMES (1 << 18) /* frames of all threads in one round */

struct walk_frame {
    struct code_entry *code;    /* borrowed from the code cache, valid for this round */
    int32_t line;               /* current line, -1 when unknown */
    /* 1: the frame's current instruction is a call (the CALL family: plain,
     * specialized, adaptive, instrumented; 3.8-3.10 CALL_FUNCTION,
     * CALL_FUNCTION_KW, CALL_FUNCTION_EX, CALL_METHOD; 3.11 PRECALL*, CALL*,
     * CALL_FUNCTION_EX; 3.12+ CALL*, CALL_KW*, CALL_FUNCTION_EX*, not
     * CALL_INTRINSIC_*), so with the thread on CPU and this frame innermost
     * it runs C code it called, and a caller frame waits on that call;
     * 0: another instruction (or none yet); -1: unknown (bytecode larger
     * than 1 MiB, not readable, or past an instruction hidden by
     * INSTRUMENTED_LINE / INSTRUMENTED_INSTRUCTION / ENTER_EXECUTOR when
     * the code object was first seen). Set for every frame from a copy of
     * the bytecode taken once per code object (codecache.h). */
    int8_t in_call;
    /* 1 when this is the outermost Python frame of one call of the
     * interpreter's evaluation loop (_PyEval_EvalFrameDefault): the
     * interpreter entered it from C. <= 3.10 every frame is (each runs in
     * an evaluation call of its own); 3.11 _PyInterpreterFrame.is_entry;
     * 3.12+ the frame whose previous is the evaluation call's C-stack
     * entry frame (owner FRAME_OWNED_BY_CSTACK, 3.14+ _INTERPRETER). The
     * root frame always is. Python calls made by the loop itself (3.11+)
     * are not. */
    uint8_t entry;
    uint64_t frame;             /* the frame's address in the target: _PyInterpreterFrame
                                 * (3.11+; a coroutine's is inside the coroutine object) or
                                 * PyFrameObject; 0 when not known */
    /* 3.12+, on an entry frame: the address of its evaluation call's entry
     * frame (its previous), a local of that call on the thread's C stack,
     * which tells which native frame runs it (nmerge.h); else 0. */
    uint64_t cstack;
};

/* Why a thread's stack could not be read (walk_stack.why). */
enum walk_fail {
    WALK_OK = 0,
    WALK_FAIL_TORN,             /* the stack changed while it was read, on every retry */
    WALK_FAIL_CYCLE,            /* the frame chain looped back on itself */
    WALK_FAIL_CORRUPT,          /* implausible data: a bad pointer, a bad code object */
    WALK_FAIL_READ,             /* a read of the target's memory failed */
    WALK_FAIL_COUNT
};

/* The GIL's condition variable and mutex within _gil_runtime_state
 * (pycore_gil.h, 3.8-3.15 with the GIL: interval, last_holder, locked,
 * switch_number, then cond and mutex; switch_cond and switch_mutex after
 * them are where the thread that dropped the GIL waits, not a taker). */
#define WALK_GIL_WAIT_LO 32
#define WALK_GIL_WAIT_HI 120

struct walk_stack;
/* Whether a futex word at uaddr is the GIL's lock of ws's interpreter
 * (a thread asleep on it waits to take the GIL). */
int walk_gil_lock_at(const struct walk_stack *ws, uint64_t uaddr);

/* One thread's stack in a round. */
struct walk_stack {
    uint64_t interp;            /* PyInterpreterState the thread belongs to */
    uint64_t ident;             /* PyThreadState.thread_id (pthread_t) */
    uint64_t tid;               /* OS thread id, 0 when unknown */
    int depth;                  /* frames[0..depth), leaf first */
    int truncated;              /* frames beyond WALK_MAX_DEPTH were dropped (root side) */
    int failed;                 /* no consistent stack on any read (why says why): no frames */
    enum walk_fail why;         /* when failed: the reason, else WALK_OK */
    struct walk_frame *frames;  /* owned by the walker, valid until the next round */
    /* Thread state, read from the interpreter in the same round (a failed
     * stack still has them). See README "Thread state: the GIL and the
     * collector" for how exact each is per version. */
    int8_t gil;        /* 1: this thread holds its interpreter's GIL at this round, 0: it does not,
                        * -1: unknown (no GIL state for this version/build, or it could not be read) */
    int8_t gil_wait;   /* 1: it is waiting to take the GIL, 0: not, -1: unknown (no sound method) */
    int8_t gc;         /* 1: a garbage collection is running in its interpreter and this thread runs
                        * it (it holds the GIL), 0: not, -1: unknown */
    int8_t gil_locked; /* its interpreter's GIL is locked at this round (by any thread): 1, 0, -1
                        * unknown */
    uint64_t cframe;   /* 3.11/3.12: tstate->cframe as the walk read it, the innermost evaluation
                        * call's _PyCFrame, a local on the thread's C stack (nmerge.h); else 0 */
    uint64_t gil_at;   /* its interpreter's GIL (_gil_runtime_state) in the target, 0 unknown: a
                        * thread asleep on a futex in [gil_at + WALK_GIL_WAIT_LO, + _HI) waits
                        * for it (its condition variable and mutex) */
    uint64_t read_ns;  /* when its frames were read (CLOCK_MONOTONIC, taken as its round began):
                        * this round, or an earlier one for a copied stack */
    int copied;        /* 1: its frames are the last round's, not read again (walker_still) */
    int kept;          /* 1: its thread state is the last round's, not read again (walker_list_still) */
};

/* A walker for target t using code cache c (both borrowed; they must
 * outlive it). Caller owns *out (walker_free). 0 or ERR_NOMEM. */
int walker_new(struct pytarget *t, struct codecache *c, struct walker **out);
void walker_free(struct walker *w);

/* One round: every thread of every interpreter. Returns the number of
 * thread states found (their stacks via walker_stack), or ERR_READ /
 * ERR_EXITED / ERR_CORRUPT / ERR_NOT_READY when the thread list itself
 * could not be read. A thread whose stack could not be read consistently
 * is returned with failed set; it does not fail the round. */
int walker_round(struct walker *w);

/* Before a round: the thread of stack i of the last round (0 <= i < its
 * count) has not run since that stack was read (its read_ns): still = 1,
 * else 0 (the default). A thread's Python stack changes only while it
 * runs, so the next round copies the frames of a still thread's stack
 * instead of reading them again, when its thread state is found at the
 * same address with the same thread ids and current-frame pointer, and
 * the stack had not failed (3.11+: before, frame objects are read as one
 * heap snapshot for every thread). Marks hold for the next round only.
 * The caller must know: a thread that ran gets a stale stack. */
void walker_still(struct walker *w, int i, int still);

/* Before a round: no thread of the process started or ended since the
 * last round (still = 1; the default is 0), so that a still thread's
 * state may be taken as the last round read it (see walkread.c
 * keep_plan). Holds for the next round only. */
void walker_list_still(struct walker *w, int still);

/* How long a thread state read from the target may be kept (default
 * 100 ms: a state another thread unlinked is read again within that). */
void walker_keep_for(struct walker *w, uint64_t ns);

/* Stack i (0 <= i < the last walker_round's count), valid until the next
 * round. */
const struct walk_stack *walker_stack(const struct walker *w, int i);

/* Reads of the last round: system calls made and bytes read, for the
 * benchmark and the -v log. */
void walker_round_cost(const struct walker *w, unsigned *syscalls, unsigned long *bytes);

#endif
