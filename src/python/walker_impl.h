/* SPDX-License-Identifier: MIT */
/* Private to the walker: the state of struct walker, shared by the round
 * and thread walk (walker.c), the planned batched reads the walk is
 * served from (walkread.c) and the code objects its frames name
 * (walkcode.c). */
#ifndef PROFTUI_WALKER_IMPL_H
#define PROFTUI_WALKER_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codecache.h"
#include "framewalk.h"
#include "readbatch.h"
#include "walker.h"

#define STRUCT_MAX 4096         /* largest struct prefix we read in one go */
#define PLAN_MAX 16384          /* ranges planned per round */
#define UMAP_SIZE 16384         /* distinct code objects per round: hash slots (power of two) */
#define UCODES_MAX (UMAP_SIZE / 2)
#define HDR_BATCH 256           /* code headers read per batch when the cache lacks them */
#define HDR_MAX 512
/* A failed stack is read again at once, up to 3 times, or 7 before 3.11
 * (a snapshot of heap frame objects takes microseconds to read, so it
 * tears more often: see framewalk_heap.c). A round reads at most
 * RETRY_BUDGET stacks again. */
#define WALK_TRIES 4
#define WALK_TRIES_HEAP 8
#define RETRY_BUDGET 64
/* <= 3.10: heap frame objects seen lately, read up front every round (see
 * walkread.c): a hash set of POOL_SLOTS addresses, each with POOL_PROBE
 * slots to go to; a frame not seen for POOL_AGE rounds is no longer read,
 * and a round reads at most POOL_PLAN of them. */
#define POOL_SLOTS 8192
#define POOL_AGE 64
#define POOL_PROBE 16
#define POOL_PLAN 4096
/* A still thread's state is taken from the last round (walkread.c
 * keep_plan) when read from the target less than this long ago (the
 * default of walker_keep_for). */
#define KEEP_MAX_NS 100000000ULL

/* <= 3.10: bytes read at tstate->frame: the pointer and the int after it,
 * recursion_depth (Include/cpython/pystate.h, 3.8-3.10). */
#define TSTATE_FRAME_DEPTH 12

/* Read groups, in the order a dependent walk needs them; a batch reads
 * them in this order, so pointers are read before what they point to,
 * except for the 3.14+ stack snapshot (FRAMEWALK_STACK) and the <= 3.10
 * heap snapshot, read first (the latter just after each thread's current
 * frame pointer: see framewalk_heap.c). Before all of them, the current
 * frame pointer that decides the top (3.11/3.12: tstate->cframe->
 * current_frame; 3.14+: tstate->current_frame, the sample's moment, see
 * settle_top in framewalk.c), then the GIL and collector state
 * (G_STATE: walkstate.c), as close to that moment as we can: reading the frames' memory just before it
 * shifted what it showed (a short leaf on 3.12 had 31-38 % of the
 * samples against 43-45 % counted in the process; read first, 45.0 %
 * against 45.2 %). */
enum group { G_FRAMEPTR, G_STATE, G_PRE, G_STACK, G_POST, G_LIST, G_FRAMES, G_CODES };

/* A frame as collected: its code object and instruction offset. */
struct rframe {
    uint64_t frame;
    uint64_t code;
    int32_t pos;
    signed int ucode : 31;      /* index into the round's code map, -1 when full */
    unsigned int entry : 1;     /* framewalk_frame.entry */
    uint64_t cstack;            /* framewalk_frame.cstack */
};

/* The ranges of the plan (indices [lo, hi)) one thread's walk used. */
struct tspan {
    uint64_t ts;
    int lo, hi;
    uint64_t root;              /* <= 3.10: the outermost frame of its last stack read */
    uint64_t top;               /* the thread state's frame pointer as read (tstate_frame) */
};

/* A code object seen in this round. */
struct ucode {
    uint64_t addr;
    uint32_t stamp;             /* round it belongs to; older slots are free */
    int32_t state;              /* 0 unresolved, 1 resolved, < 0 error */
    int32_t facts_rc;           /* 1: facts known from the code cache, not yet resolved */
    int32_t shim;               /* resolved to an interpreter shim's code (shim_code) */
    int32_t live;               /* a frame read this round names it (a stack that failed
                                 * too), not only copied stacks' frames */
    struct code_facts facts;
    struct code_entry *e;
};

struct walker {
    struct pytarget *t;
    struct codecache *codes;
    struct framewalk *fw;
    struct framewalk_mem mem;
    uint32_t round;
    /* the plan being built for the next round, a copy of the last one in
     * planning order (to see whether its layout can stay), scratch */
    struct readbatch_range plan[PLAN_MAX], used[PLAN_MAX], tmp[PLAN_MAX];
    int nplan, nused;
    struct readbatch batch;     /* this round's planned reads */
    struct readbatch retry;     /* fresh copies for a stack read again */
    const struct readbatch *cur;    /* the one reads are served from */
    /* per thread, the ranges its walk planned: this round's (in plan) and
     * the last round's (in used) */
    struct tspan *spans, *prev_spans;
    int nspans, nprev_spans, cap_spans, cap_prev_spans;
    unsigned syscalls;
    unsigned long bytes;
    int retries;                /* stacks read again this round */
    size_t hsize;               /* codecache_header_size() */
    /* this round's stacks; the frames of all threads share two arrays */
    struct walk_stack *stacks;
    uint32_t *first;            /* index of each stack's first frame */
    int nstacks, cap_stacks, cap_first;
    struct rframe *raw;         /* as collected */
    /* the last round's stacks and frames as collected, which a still
     * thread's stack is copied from (walker_still), and the marks */
    struct walk_stack *prev_stacks;
    uint32_t *prev_first;
    struct rframe *prev_raw;
    int nprev_stacks, nprev_frames, cap_prev_stacks, cap_prev_first, cap_prev_raw;
    uint8_t still[WALK_MAX_THREADS];
    /* Each stack's thread state as read (tsize bytes each, tstate_prefix),
     * this round's and the last round's, and when it was last read from
     * the target (the last round's may be kept: walkread.c keep_plan). */
    uint8_t *tsb, *prev_tsb;
    uint64_t *tsb_ns, *prev_tsb_ns;
    int cap_tsb, cap_prev_tsb, cap_tsb_ns, cap_prev_tsb_ns;
    size_t tsize;
    int list_still;             /* walker_list_still: no thread started or ended */
    uint64_t keep_ns;           /* walker_keep_for */
    uint8_t keep[WALK_MAX_THREADS];    /* last round's stack k: its thread state is kept */
    int batch_filtered;         /* the batch was laid out without still threads' frames */
    uint64_t round_ns;          /* when this round began (walk_stack.read_ns) */
    struct walk_frame *frames;  /* as resolved */
    int nframes, cap_raw, cap_frames;
    struct ucode umap[UMAP_SIZE];
    int32_t ulist[UCODES_MAX];
    int nucodes;
    uint8_t hdrs[HDR_BATCH][HDR_MAX];
    uint8_t hdrbuf[HDR_MAX];
    /* <= 3.10: frame objects seen lately, and those each batch holds */
    struct { uint64_t addr; uint32_t seen; } pool[POOL_SLOTS];
    uint32_t pool_used[POOL_SLOTS];        /* the slots in use, in no order */
    int npool_used;
    uint64_t pooled[POOL_PLAN], pooled_retry[POOL_PLAN];
    int npooled, npooled_retry;
    unsigned gens, batch_gen, retry_gen;   /* heap snapshots read, and which each batch holds */
};

/* The pointer at offset off of buf (0 when the layout has no such field). */
static inline uint64_t get_ptr(const uint8_t *buf, int32_t off)
{
    uint64_t v = 0;
    if (off >= 0)
        memcpy(&v, buf + off, sizeof v);
    return v;
}

/* walker.c: make room for n elements of size elem in *arr (capacity *cap,
 * doubled as needed, at most max). 0, or ERR_NOMEM / ERR_TOO_DEEP. */
int walker_grow(void *arr, int *cap, size_t elem, int n, int max);

/* walkread.c */

/* Note that this round used [addr, addr + len) in group g: the next round
 * reads it up front. Ranges beyond the bound are simply not planned. */
void walkread_plan(struct walker *w, enum group g, uint64_t addr, size_t len);

/* Serve reads from batch b from now on. */
void walkread_use(struct walker *w, const struct readbatch *b);

/* Read this round's planned ranges (the last round's plan) in one batch.
 * 0 or ERR_EXITED; any other failure leaves the round without it. */
int walkread_fill(struct walker *w);

/* Fresh copies of what the walk of thread state ts (stack i, whose
 * attempt planned from plan index p0) needs, served from now on. 0 or
 * ERR_EXITED. */
int walkread_again(struct walker *w, int p0, int i, uint64_t ts);

/* The ranges the last round's walk of thread state ts used, or NULL. */
const struct tspan *walkread_last_span(const struct walker *w, int i, uint64_t ts);

/* The bytes of [addr, addr + len) for this round: from the batch reads
 * are served from, or read into buf (NULL with *rc set when that fails).
 * Plans the range for the next round. */
const uint8_t *walkread_fetch(struct walker *w, enum group g, uint64_t addr, size_t len,
                              uint8_t *buf, int *rc);

/* The same for one pointer. 0 or the read's error. */
int walkread_fetch_ptr(struct walker *w, enum group g, uint64_t addr, uint64_t *v);

/* The framewalk_mem the walk reads through (ctx w). */
void walkread_init_mem(struct walker *w);

/* walkstate.c */

/* What a round read of one interpreter's GIL and collector. */
struct walk_interp_state {
    int8_t locked;              /* the GIL: 1 locked, 0 free, -1 unknown */
    int8_t collecting;          /* gc.collecting: 1, 0, -1 unknown */
    int8_t claimed;             /* a thread of this round was given the GIL */
    uint64_t holder;            /* last_holder: the PyThreadState that took it last */
    uint64_t gil_at;            /* the GIL's _gil_runtime_state, 0 unknown */
};

/* Read the GIL and collector state of interpreter interp for this round
 * (unknown parts are -1; never fails the round). */
void walkstate_read(struct walker *w, uint64_t interp, struct walk_interp_state *s);

/* Fill st's gil, gil_wait and gc for the thread whose state is at ts,
 * read as tb (its tstate prefix), from its interpreter's state s (which
 * notes a holder found: one per interpreter and round). */
void walkstate_thread(const struct walker *w, struct walk_interp_state *s, uint64_t ts,
                      const uint8_t *tb, struct walk_stack *st);

/* walkcode.c */

/* Index of code in this round's map of code objects, added when new; -1
 * when the round has too many. */
int walkcode_index(struct walker *w, uint64_t code);

/* framewalk_mem.code: facts about a code object for the frame walk. */
int walkcode_facts(void *ctx, uint64_t code, struct code_facts *out);

/* Validate this round's code objects against their headers. 0 or
 * ERR_EXITED. */
int walkcode_resolve_codes(struct walker *w);

/* Map every frame of the round to its code entry and line. 0 or
 * ERR_NOMEM / ERR_TOO_DEEP. */
int walkcode_resolve_frames(struct walker *w);

#endif
