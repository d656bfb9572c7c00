/* SPDX-License-Identifier: MIT */
/* Private to the frame walk: the state of struct framewalk and the helpers
 * shared by the walk of data-stack frames (framewalk.c, 3.11+) and the walk
 * of heap frame objects (framewalk_heap.c, <= 3.10). */
#ifndef PROFTUI_FRAMEWALK_IMPL_H
#define PROFTUI_FRAMEWALK_IMPL_H

#include <stdint.h>
#include <string.h>

#include "error.h"
#include "framewalk.h"
#include "reader.h"

#define CHUNK_MAX (1u << 16)    /* largest part of a data-stack chunk read at once */
#define FRAME_MAX 4096          /* largest frame prefix the layout may ask for */
#define STEPS_MAX (2 * WALK_MAX_DEPTH)  /* frames visited, shims included */
#define SIZES 16                /* chunk sizes remembered; power of two */
#define SLOTS 1024              /* 3.14+: data-stack slots whose code is remembered; power of two */
#define POPPED_MAX 64           /* 3.14+: popped frames a walk may start with */
#define HEAPSNAP_MAX 4096       /* running frame objects indexed from one snapshot */
#define HEAPSNAP_SLOTS (2 * HEAPSNAP_MAX)   /* their hash table by caller; power of two */
#define RETURNING_MAX 64        /* returning frame objects remembered from a snapshot */

struct framewalk {
    const struct py_layout *l;
    uint64_t frame_type;        /* PyFrame_Type, 0 when unknown */
    /* Brent's cycle detection: the frame saved, steps since, and when to
     * save the next one */
    uint64_t saved;
    int lam, power;
    uint64_t last_code;         /* facts of the code object looked up last */
    struct code_facts last_facts;
    int pop_clears;             /* 3.14+: a pop clears f_executable */
    uint64_t chunk;             /* this walk's data-stack chunk and its snapshot */
    const uint8_t *snap;
    size_t len;
    uint64_t lo, hi;            /* frames in [lo, hi) are in the snapshot */
    int loaded;                 /* a snapshot was tried in this walk */
    /* chunks seen lately: their size as last read, and how far a snapshot
     * of one reads (3.14+: past the highest top seen lately) */
    struct { uint64_t chunk, size, reach; } sizes[SIZES];
    /* 3.14+: the code object each data-stack slot held when last walked
     * (a popped frame keeps its instruction pointer, not its code), and
     * the popped frames this walk starts with, as identified from it */
    struct { uint64_t slot, code; } slots[SLOTS];
    struct { uint64_t frame, code; } popped[POPPED_MAX];
    int npopped;
    /* <= 3.10: the running frame objects of the heap snapshot and their
     * callers (f_back) */
    struct heapsnap {
        uint64_t back;          /* 0: a free slot */
        uint64_t addr;          /* the running frame whose f_back it is */
        int32_t n;              /* how many running frames have it as f_back */
        uint64_t raddr;         /* a returning frame (3.10) whose f_back it is */
        int32_t rn;             /* how many of those */
    } heap[HEAPSNAP_SLOTS];
    /* 3.10: the returning frames (address, f_lasti) of the last snapshot
     * and of this one: one still there, unchanged, is held by someone
     * rather than in its last steps of returning */
    struct returning { uint64_t addr; int32_t lasti; } ret[2][RETURNING_MAX];
    int nret[2], ret_cur;
    uint32_t heap_used[HEAPSNAP_MAX];    /* the slots in use */
    int nheap, nheap_used;
    unsigned heap_gen;          /* the snapshot heap[] was built from */
    int heap_built;
    struct framewalk_frame frames[WALK_MAX_DEPTH];
    uint8_t chunkbuf[CHUNK_MAX];
    uint8_t framebuf[FRAME_MAX];
};

/* <= 3.10: the walk of frame objects (framewalk_heap.c); the arguments as
 * for framewalk_thread (top not 0). */
int framewalk_heap(struct framewalk *fw, const struct framewalk_mem *m, uint64_t top,
                   const struct framewalk_heapctx *h, struct framewalk_out *out);

static inline uint64_t get_ptr(const uint8_t *buf, int32_t off)
{
    uint64_t v = 0;
    if (off >= 0)
        memcpy(&v, buf + off, sizeof v);
    return v;
}

static inline int failed(struct framewalk_out *out, enum walk_fail why)
{
    out->why = why;
    return 0;
}

/* A read or a code lookup failed with rc: the round ends on ERR_EXITED
 * and ERR_NOMEM, the stack fails otherwise. */
static inline int failed_rc(struct framewalk_out *out, int rc)
{
    if (rc == ERR_EXITED || rc == ERR_NOMEM)
        return rc;
    return failed(out, rc == ERR_CORRUPT ? WALK_FAIL_CORRUPT : WALK_FAIL_READ);
}

/* Brent's algorithm, one frame at a time: 1 when the chain has come back
 * to the frame saved last. A loop is found once a saved frame is on it and
 * the steps since reach its length: within about three times the larger of
 * its length and the frames before it, so every loop the walk bound leaves
 * room for (STEPS_MAX / 3 frames) ends the walk as a cycle, not as a deep
 * stack. Costs nothing per frame but a compare. */
static inline int looped(struct framewalk *fw, uint64_t frame)
{
    if (frame == fw->saved)
        return 1;
    if (++fw->lam == fw->power) {
        fw->saved = frame;
        fw->power *= 2;
        fw->lam = 0;
    }
    return 0;
}

/* Facts about a code object; consecutive frames (a recursion) often share one. */
static inline int facts_of(struct framewalk *fw, const struct framewalk_mem *m, uint64_t code,
                           struct code_facts *f)
{
    if (code == fw->last_code) {
        *f = fw->last_facts;
        return 0;
    }
    if (!reader_addr_ok(code, 8))
        return ERR_CORRUPT;
    int rc = m->code(m->ctx, code, f);
    if (rc == 0) {
        fw->last_code = code;
        fw->last_facts = *f;
    }
    return rc;
}

static inline void push(struct framewalk_out *out, uint64_t frame, uint64_t code, int pos,
                        int entry)
{
    out->frames[out->depth++] = (struct framewalk_frame){.frame = frame, .code = code, .pos = pos,
                                                         .entry = (uint8_t)(entry != 0)};
}

#endif
