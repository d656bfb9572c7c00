/* SPDX-License-Identifier: MIT */
/* Following one thread's chain of Python frames in target memory, leaf
 * first, and deciding whether what was read is one consistent stack.
 *
 * The target keeps running while its stack is read, so a chain read in
 * pieces can mix two moments: a frame popped after the thread state was
 * read, a slot reused by the next call, a chain that loops through frames
 * being freed and reused. Every frame is checked (liveness, owner, where
 * it sits relative to its caller, an instruction pointer inside its own
 * code, no address visited twice); a stack that fails a check is
 * reported with the reason, never as frames. On 3.14+ the top of the stack
 * is taken from the data-stack snapshot itself, so each sample is the
 * stack of one moment (see framewalk.c). */
#ifndef PROFTUI_FRAMEWALK_H
#define PROFTUI_FRAMEWALK_H

#include <stddef.h>
#include <stdint.h>

#include "codecache.h"
#include "walker.h"

struct py_layout;
struct framewalk;

/* What a read is for, which says when a batch had best read it. */
enum framewalk_what {
    FRAMEWALK_FRAME,            /* one frame: after the pointer to it */
    FRAMEWALK_CHUNK,            /* the data-stack chunk up to the top: after the thread state */
    /* 3.14+: the chunk snapshot the top of the stack is taken from: before
     * anything else. A read makes the target's next write to each cache
     * line it read wait for that line, and a push or pop writes the
     * thread state and the frame at different moments: read after the
     * thread state, the chunk would show frames mid-push or mid-pop more
     * often than they are (measured: the leaf of a call loop 5-7 points
     * above its share). */
    FRAMEWALK_STACK,
    /* <= 3.10: one frame object as the heap snapshot holds it (the frame
     * objects seen lately, read before the thread states, in the same
     * batched read); NULL with *rc 0, and nothing read, when it holds
     * none. */
    FRAMEWALK_HEAPSNAP,
};

/* What the walk reads through (the walker: its batch, else a read). */
struct framewalk_mem {
    void *ctx;
    /* The bytes of [addr, addr + len) for this sample: a batch copy, or a
     * read into buf (len bytes); NULL with *rc set when unreadable. */
    const uint8_t *(*bytes)(void *ctx, enum framewalk_what what, uint64_t addr, size_t len,
                            uint8_t *buf, int *rc);
    /* The same for a chunk snapshot, which may be shorter: the bytes of
     * [addr, addr + *len), or of the longest prefix a batch holds when that
     * is at least min bytes (then *len becomes its length). */
    const uint8_t *(*prefix)(void *ctx, enum framewalk_what what, uint64_t addr, size_t *len,
                             size_t min, uint8_t *buf, int *rc);
    /* Facts about the code object at code: 0, ERR_CORRUPT (not a live code
     * object) or ERR_READ. */
    int (*code)(void *ctx, uint64_t code, struct code_facts *out);
    /* <= 3.10 (may be NULL): frame object i (from 0) of the heap snapshot:
     * 1 with *addr set and *bytes its frame_size bytes (NULL when the
     * snapshot could not be read), 0 past the last. */
    int (*heap_frame)(void *ctx, int i, uint64_t *addr, const uint8_t **bytes);
    unsigned heap_gen;          /* changes whenever the heap snapshot does */
};

/* <= 3.10: what the walker knows of a thread besides its current frame
 * (each 0 when unknown). */
struct framewalk_heapctx {
    uint64_t before;            /* tstate->frame read just before the heap snapshot */
    uint64_t root;              /* the outermost frame of the thread's last stack */
    /* tstate->recursion_depth read with the current frame just after the
     * snapshot; 0 when not read */
    int32_t depth_top;
};

/* One frame to report. */
struct framewalk_frame {
    uint64_t frame;             /* the frame: _PyInterpreterFrame (3.11+) or PyFrameObject */
    uint64_t code;              /* code object */
    int32_t pos;                /* byte offset of the current instruction in its bytecode */
    uint8_t entry;              /* the first frame of its call of the evaluation loop
                                 * (walk_frame.entry) */
    uint64_t cstack;            /* walk_frame.cstack */
};

/* The result of one walk. */
struct framewalk_out {
    struct framewalk_frame *frames;   /* [0, depth), leaf first; owned by the framewalk */
    int depth;
    int truncated;                    /* more than WALK_MAX_DEPTH frames */
    enum walk_fail why;               /* WALK_OK, or why the stack is not usable */
    uint64_t root;                    /* <= 3.10, when usable: the outermost frame */
};

/* A walker of frame chains for the layout l (borrowed; it must outlive
 * the framewalk). Caller owns *out (framewalk_free). 0 or ERR_NOMEM. */
int framewalk_new(const struct py_layout *l, uint64_t frame_type, struct framewalk **out);
void framewalk_free(struct framewalk *fw);

/* Walk the chain starting at top (the thread state's current frame; 3.11+
 * with chunk, the thread's current data-stack chunk). <= 3.10: top was
 * read after the heap snapshot, and h (may be NULL) tells more. 3.14+: top
 * was read before the chunk, and the walker remembers what each slot held
 * (one framewalk per target, across rounds). Returns 0
 * with *out filled (out->why says whether the stack is usable), or
 * ERR_EXITED / ERR_NOMEM when the round cannot go on. */
int framewalk_thread(struct framewalk *fw, const struct framewalk_mem *m, uint64_t chunk,
                     uint64_t top, const struct framewalk_heapctx *h, struct framewalk_out *out);

#endif
