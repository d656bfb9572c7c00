/* SPDX-License-Identifier: MIT */
/* Walks CPython thread states and their frame chains in a target's memory.
 * Each round starts with one batched read of the ranges the previous round
 * used (its "plan"); the walk then serves its reads from those bytes and
 * reads only what they lack. A stack that is not one consistent stack
 * (framewalk.h) is read again at once, from fresh copies of what it
 * needed, a few times before it counts as failed. See walker.h for the
 * cost model. */
#include "walker.h"

#include <stdlib.h>
#include <string.h>

#include "codecache.h"
#include "error.h"
#include "framewalk.h"
#include "pytarget.h"
#include "readbatch.h"
#include "reader.h"

#define STRUCT_MAX 4096         /* largest struct prefix we read in one go */
#define PLAN_MAX 16384          /* ranges planned per round */
#define UMAP_SIZE 16384         /* distinct code objects per round: hash slots (power of two) */
#define UCODES_MAX (UMAP_SIZE / 2)
#define HDR_BATCH 256           /* code headers read per batch when the cache lacks them */
#define HDR_MAX 512
/* A failed stack is read again at once, up to 3 times, or 7 before 3.11:
 * heap frames take a few microseconds to read, so a recursion that unwinds
 * and descends again in that time is read consistently less often (see
 * framewalk.c). A round reads at most RETRY_BUDGET stacks again. */
#define WALK_TRIES 4
#define WALK_TRIES_HEAP 8
#define RETRY_BUDGET 64
/* <= 3.10: heap frame objects seen lately, read up front every round (see
 * pool_plan). Direct-mapped by address; a frame not seen for POOL_AGE
 * rounds is no longer read. */
#define POOL_SLOTS 1024
#define POOL_AGE 256
#define POOL_PROBE 16
#define POOL_PLAN 256

/* Read groups, in the order a dependent walk needs them; a batch reads
 * them in this order, so pointers are read before what they point to,
 * except for the 3.14+ stack snapshot (FRAMEWALK_STACK) and the <= 3.10
 * heap snapshot, read first (the latter just after each thread's current
 * frame pointer: see framewalk_heap.c). */
enum group { G_PRE, G_STACK, G_POST, G_LIST, G_FRAMEPTR, G_FRAMES, G_CODES };

/* A frame as collected: its code object and instruction offset. */
struct rframe {
    uint64_t code;
    int32_t pos;
    int32_t ucode;              /* index into the round's code map, -1 when full */
};

/* The ranges of the plan (indices [lo, hi)) one thread's walk used. */
struct tspan {
    uint64_t ts;
    int lo, hi;
    uint64_t root;              /* <= 3.10: the outermost frame of its last stack read */
};

/* A code object seen in this round. */
struct ucode {
    uint64_t addr;
    uint32_t stamp;             /* round it belongs to; older slots are free */
    int32_t state;              /* 0 unresolved, 1 resolved, < 0 error */
    int32_t facts_rc;           /* 1: facts known from the code cache, not yet resolved */
    int32_t shim;               /* resolved to an interpreter shim's code (shim_code) */
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
    struct walk_frame *frames;  /* as resolved */
    int nframes, cap_raw, cap_frames;
    struct ucode umap[UMAP_SIZE];
    int32_t ulist[UCODES_MAX];
    int nucodes;
    uint8_t hdrs[HDR_BATCH][HDR_MAX];
    uint8_t hdrbuf[HDR_MAX];
    /* <= 3.10: frame objects seen lately, and those each batch holds */
    struct { uint64_t addr; uint32_t seen; } pool[POOL_SLOTS];
    uint64_t pooled[POOL_PLAN], pooled_retry[POOL_PLAN];
    int npooled, npooled_retry;
};

static uint64_t get_ptr(const uint8_t *buf, int32_t off)
{
    uint64_t v = 0;
    if (off >= 0)
        memcpy(&v, buf + off, sizeof v);
    return v;
}

static size_t prefix_end(int32_t off, size_t cur)
{
    return off >= 0 && (size_t)off + 8 > cur ? (size_t)off + 8 : cur;
}

/* Make room for n elements of size elem in *arr (capacity *cap, doubled
 * as needed, at most max). 0, or ERR_NOMEM / ERR_TOO_DEEP. */
static int grow(void *arr, int *cap, size_t elem, int n, int max)
{
    if (n <= *cap)
        return 0;
    int c = *cap ? *cap : 16;
    while (c < n)
        c *= 2;
    if (c > max)
        return ERR_TOO_DEEP;
    void *p = realloc(*(void **)arr, (size_t)c * elem);
    if (!p)
        return ERR_NOMEM;
    *(void **)arr = p;
    *cap = c;
    return 0;
}

/* ------------------------------------------------------------ reads */

/* Note that this round used [addr, addr + len): the next round reads it
 * up front. Ranges beyond the bound are simply not planned. */
static void plan_add(struct walker *w, enum group g, uint64_t addr, size_t len)
{
    if (w->nplan < PLAN_MAX && len && len <= READBATCH_RANGE_MAX)
        w->plan[w->nplan++] = (struct readbatch_range){.addr = addr, .len = (uint32_t)len, .group = g};
}

/* Serve reads from batch b from now on (its heap snapshot is another). */
static void use_batch(struct walker *w, const struct readbatch *b)
{
    w->cur = b;
    w->mem.heap_gen++;
}

static size_t pool_slot(uint64_t addr)
{
    return (size_t)((addr >> 4) * 0x9E3779B97F4A7C15ULL >> 40) & (POOL_SLOTS - 1);
}

/* <= 3.10: note a frame object read this round: its slot, else a free or
 * expired one, else the oldest among the POOL_PROBE slots it may use. */
static void pool_note(struct walker *w, uint64_t addr)
{
    size_t h = pool_slot(addr), pick = h;
    for (size_t k = 0; k < POOL_PROBE; k++) {
        size_t i = (h + k) & (POOL_SLOTS - 1);
        if (w->pool[i].addr == addr) {
            w->pool[i].seen = w->round;
            return;
        }
        if (!w->pool[pick].addr)
            continue;           /* a free slot is taken first */
        if (!w->pool[i].addr || w->round - w->pool[i].seen > w->round - w->pool[pick].seen)
            pick = i;
    }
    w->pool[pick].addr = addr;
    w->pool[pick].seen = w->round;
}

/* Plan every frame object seen lately as the heap snapshot, so that one
 * batched read holds a whole chain of them, whichever stack the thread is
 * in; their addresses go to pooled[0..*npooled). */
static void pool_plan(struct walker *w, struct readbatch_range *r, int *n, int max,
                      uint64_t *pooled, int *npooled)
{
    size_t len = (size_t)w->t->layout.frame_size;
    *npooled = 0;
    for (size_t i = 0; i < POOL_SLOTS && *npooled < POOL_PLAN && *n < max; i++)
        if (w->pool[i].addr && w->round - w->pool[i].seen <= POOL_AGE) {
            r[(*n)++] = (struct readbatch_range){.addr = w->pool[i].addr, .len = (uint32_t)len,
                                                 .group = G_STACK};
            pooled[(*npooled)++] = w->pool[i].addr;
        }
}

static void pool_clear(struct walker *w)
{
    memset(w->pool, 0, sizeof w->pool);
}

/* Read this round's planned ranges in one batch. On failure (something
 * planned was freed) the round runs without it. A steady target plans the
 * same ranges as last time (compared in planning order): then the layout
 * is still right. */
static int batch_fill(struct walker *w)
{
    w->npooled = 0;
    if (w->t->layout.frame_model == FRAME_MODEL_OBJECT)
        pool_plan(w, w->plan, &w->nplan, PLAN_MAX, w->pooled, &w->npooled);
    int same = w->nplan == w->nused &&
               memcmp(w->plan, w->used, (size_t)w->nplan * sizeof w->plan[0]) == 0;
    if (!same) {
        memcpy(w->used, w->plan, (size_t)w->nplan * sizeof w->plan[0]);
        w->nused = w->nplan;
        if (readbatch_layout(&w->batch, w->plan, w->nplan) < 0)
            w->nused = 0;
    }
    w->nplan = 0;
    use_batch(w, &w->batch);
    unsigned long bytes;
    int rc = readbatch_read(&w->batch, w->t->r, &bytes);
    w->bytes += bytes;
    if (rc < 0) {
        w->nused = 0;           /* lay it out again next time */
        pool_clear(w);          /* a frame's memory may have been freed */
    }
    return rc == ERR_EXITED ? rc : 0;
}

/* The ranges the last round's walk of thread state ts used, or NULL. */
static const struct tspan *last_span(const struct walker *w, int i, uint64_t ts)
{
    if (i < w->nprev_spans && w->prev_spans[i].ts == ts)
        return &w->prev_spans[i];
    for (int k = 0; k < w->nprev_spans; k++)
        if (w->prev_spans[k].ts == ts)
            return &w->prev_spans[k];
    return NULL;
}

/* Fresh copies of what the walk of thread state ts (stack i) needs: the
 * ranges planned since plan index p0 (what the failed attempt read) and
 * those the last round used for it (the rest of its stack, most likely),
 * served instead of the round's batch until the stack is done. The
 * attempt's ranges leave the plan: the next attempt plans its own. */
static int batch_again(struct walker *w, int p0, int i, uint64_t ts)
{
    int n = w->nplan - p0;
    memcpy(w->tmp, w->plan + p0, (size_t)n * sizeof w->tmp[0]);
    w->nplan = p0;
    const struct tspan *last = last_span(w, i, ts);
    if (last && last->lo >= 0 && last->hi <= w->nused && last->hi - last->lo < PLAN_MAX - n) {
        memcpy(w->tmp + n, w->used + last->lo, (size_t)(last->hi - last->lo) * sizeof w->tmp[0]);
        n += last->hi - last->lo;
    }
    w->npooled_retry = 0;
    if (w->t->layout.frame_model == FRAME_MODEL_OBJECT)
        pool_plan(w, w->tmp, &n, PLAN_MAX, w->pooled_retry, &w->npooled_retry);
    use_batch(w, &w->retry);
    if (readbatch_layout(&w->retry, w->tmp, n) < 0)
        return 0;               /* an empty batch: every read is a read of its own */
    unsigned long bytes;
    int rc = readbatch_read(&w->retry, w->t->r, &bytes);
    w->bytes += bytes;
    if (rc < 0)
        pool_clear(w);
    return rc == ERR_EXITED ? rc : 0;
}

/* The bytes of [addr, addr + len) for this round: from the batch reads
 * are served from, or read into buf. Plans the range for the next round. */
static const uint8_t *fetch(struct walker *w, enum group g, uint64_t addr, size_t len,
                            uint8_t *buf, int *rc)
{
    const uint8_t *p = readbatch_find(w->cur, g, addr, len);
    if (!p) {
        if ((*rc = reader_read(w->t->r, addr, len, buf)) < 0)
            return NULL;
        w->bytes += len;
        p = buf;
    }
    plan_add(w, g, addr, len);
    return p;
}

static int fetch_ptr(struct walker *w, enum group g, uint64_t addr, uint64_t *v)
{
    uint8_t buf[8];
    int rc = 0;
    const uint8_t *p = fetch(w, g, addr, sizeof buf, buf, &rc);
    if (!p)
        return rc;
    memcpy(v, p, sizeof *v);
    return 0;
}

/* ------------------------------------------------------------ code objects */

/* Index of code in this round's map of code objects, added when new;
 * -1 when the round has too many. */
static int ucode_index(struct walker *w, uint64_t code)
{
    size_t h = (size_t)((code >> 4) * 0x9E3779B97F4A7C15ULL >> 40) & (UMAP_SIZE - 1);
    for (;; h = (h + 1) & (UMAP_SIZE - 1)) {
        struct ucode *u = &w->umap[h];
        if (u->stamp == w->round && u->addr == code)
            return (int)h;
        if (u->stamp != w->round) {
            if (w->nucodes == UCODES_MAX)
                return -1;
            *u = (struct ucode){.addr = code, .stamp = w->round};
            w->ulist[w->nucodes++] = (int32_t)h;
            return (int)h;
        }
    }
}

/* Facts about a code object for the frame walk. With its header in this
 * round's bytes the code object is validated and resolved to its cache
 * entry at once (u, when the round's map has room); else the facts come
 * from the code cache (an entry validated in an earlier round: co_flags,
 * co_framesize and the size do not change), and the round validates the
 * header it reads later with the others; else from a read of the header. */
static int code_facts(struct walker *w, struct ucode *u, uint64_t code, struct code_facts *out)
{
    const uint8_t *h = readbatch_find(w->cur, G_CODES, code, w->hsize);
    if (!h && w->cur != &w->batch)
        h = readbatch_find(&w->batch, G_CODES, code, w->hsize);
    if (!h) {
        const struct code_entry *e = codecache_peek(w->codes, code);
        if (e) {
            *out = e->facts;
            return 0;
        }
        int rc = 0;
        if (!(h = fetch(w, G_CODES, code, w->hsize, w->hdrbuf, &rc)))
            return rc;
    }
    if (!u)
        return codecache_facts(w->t, code, h, out);
    int rc = codecache_get(w->codes, w->t, code, h, w->hsize, &u->e);
    u->state = rc < 0 ? rc : 1;
    if (rc == 0)
        *out = u->e->facts;
    /* A full cache fails the stack when the round resolves it, not here. */
    return rc == ERR_NOMEM ? codecache_facts(w->t, code, h, out) : rc;
}

static int mem_code(void *ctx, uint64_t code, struct code_facts *out)
{
    struct walker *w = ctx;
    int i = ucode_index(w, code);
    struct ucode *u = i >= 0 ? &w->umap[i] : NULL;
    if (u && u->state > 0) {
        *out = u->e->facts;
        return 0;
    }
    if (u && u->state < 0 && u->state != ERR_NOMEM)
        return u->state;
    if (u && u->facts_rc > 0) {
        *out = u->facts;
        return 0;
    }
    int rc = code_facts(w, u, code, out);
    if (u && rc == 0 && !u->state) {
        u->facts = *out;
        u->facts_rc = 1;
    }
    return rc;
}

/* A chunk snapshot: the batch's copy when it holds at least min bytes of
 * it (the top of the stack moves between rounds: the last round's range,
 * planned from its top, may end a frame short of this one's wish), else a
 * read of all of it. Plans what was asked for. */
static const uint8_t *mem_prefix(void *ctx, enum framewalk_what what, uint64_t addr, size_t *len,
                                 size_t min, uint8_t *buf, int *rc)
{
    struct walker *w = ctx;
    enum group g = what == FRAMEWALK_STACK ? G_STACK : G_FRAMES;
    size_t avail = 0;
    const uint8_t *p = readbatch_find_prefix(w->cur, g, addr, min, &avail);
    if (p) {
        plan_add(w, g, addr, *len);
        *len = avail < *len ? avail : *len;
        return p;
    }
    return fetch(w, g, addr, *len, buf, rc);
}

/* A frame object (<= 3.10): from the heap snapshot, or read now; either
 * way it goes to the next rounds' snapshots. */
static const uint8_t *heap_bytes(struct walker *w, enum framewalk_what what, uint64_t addr,
                                 size_t len, uint8_t *buf, int *rc)
{
    const uint8_t *p = readbatch_find(w->cur, G_STACK, addr, len);
    if (!p && what == FRAMEWALK_FRAME) {
        if ((*rc = reader_read(w->t->r, addr, len, buf)) < 0)
            return NULL;
        w->bytes += len;
        p = buf;
    }
    if (p)
        pool_note(w, addr);
    return p;
}

static const uint8_t *mem_bytes(void *ctx, enum framewalk_what what, uint64_t addr, size_t len,
                                uint8_t *buf, int *rc)
{
    struct walker *w = ctx;
    if (w->t->layout.frame_model == FRAME_MODEL_OBJECT && what != FRAMEWALK_STACK)
        return heap_bytes(w, what, addr, len, buf, rc);
    return fetch(w, what == FRAMEWALK_STACK ? G_STACK : G_FRAMES, addr, len, buf, rc);
}

static int mem_heap_frame(void *ctx, int i, uint64_t *addr, const uint8_t **bytes)
{
    struct walker *w = ctx;
    const uint64_t *pooled = w->cur == &w->retry ? w->pooled_retry : w->pooled;
    int n = w->cur == &w->retry ? w->npooled_retry : w->npooled;
    if (i < 0 || i >= n)
        return 0;
    *addr = pooled[i];
    *bytes = readbatch_find(w->cur, G_STACK, pooled[i], (size_t)w->t->layout.frame_size);
    return 1;
}

/* Code objects of interpreter shims, not user code. 3.13+ push a frame of
 * the static _Py_InitCleanup (Python/specialize.c) under the __init__ of a
 * class called through CALL_ALLOC_AND_ENTER_INIT: its co_filename, co_name
 * and co_qualname are the same str, "__init__", which no real code object
 * has. 3.12's C-stack entry frame runs the "<interpreter trampoline>" made
 * by _Py_MakeShimCode (Python/pylifecycle.c), file "<shim>": its frame is
 * skipped by its owner, but a read of the C stack after the evaluation
 * loop returned can find the owner overwritten and the code still there. */
static int shim_code(const struct code_entry *e)
{
    return e->id_fields[0] == e->id_fields[1] || strcmp(e->file, "<shim>") == 0;
}

/* Validate code objects against their headers, which this round read:
 * the batch has most; the rest are read in batches of HDR_BATCH. */
static int resolve_codes(struct walker *w)
{
    size_t hsize = w->hsize;
    for (int i = 0; i < w->nucodes;) {
        struct read_req reqs[HDR_BATCH];
        int batch[HDR_BATCH], nb = 0;
        for (; i < w->nucodes && nb < HDR_BATCH; i++) {
            struct ucode *u = &w->umap[w->ulist[i]];
            if (u->state)
                continue;       /* resolved by the walk */
            const uint8_t *h = readbatch_find(&w->batch, G_CODES, u->addr, hsize);
            if (h) {
                u->state = codecache_get(w->codes, w->t, u->addr, h, hsize, &u->e);
                u->state = u->state < 0 ? u->state : 1;
                continue;
            }
            reqs[nb] = (struct read_req){.addr = u->addr, .len = hsize, .buf = w->hdrs[nb]};
            batch[nb++] = w->ulist[i];
        }
        int rc = reader_readv(w->t->r, reqs, nb);
        if (rc == ERR_EXITED)
            return rc;
        for (int k = 0; k < nb; k++) {
            struct ucode *u = &w->umap[batch[k]];
            u->state = rc < 0 ? rc : codecache_get(w->codes, w->t, u->addr, w->hdrs[k], hsize, &u->e);
            u->state = u->state < 0 ? u->state : 1;
        }
        w->bytes += rc < 0 ? 0 : (unsigned long)nb * hsize;
    }
    for (int i = 0; i < w->nucodes; i++) {
        struct ucode *u = &w->umap[w->ulist[i]];
        if (u->state > 0) {
            u->shim = shim_code(u->e);
            plan_add(w, G_CODES, u->addr, hsize);
        }
    }
    return 0;
}


/* Map every frame to its code entry and line; a stack with a code object
 * that failed validation fails as a whole. Shim frames are left out. */
static int resolve_frames(struct walker *w)
{
    int rc = grow(&w->frames, &w->cap_frames, sizeof *w->frames, w->nframes, WALK_MAX_ROUND_FRAMES);
    if (rc < 0)
        return rc;
    for (int s = 0; s < w->nstacks; s++) {
        struct walk_stack *st = &w->stacks[s];
        const struct rframe *rf = w->raw ? w->raw + w->first[s] : NULL;
        int kept = 0;
        st->frames = w->frames ? w->frames + w->first[s] : NULL;   /* none yet: no frame anywhere */
        for (int d = 0; d < st->depth; d++) {
            const struct ucode *u = rf[d].ucode >= 0 ? &w->umap[rf[d].ucode] : NULL;
            if (!u || u->state <= 0) {
                st->failed = 1;
                st->why = u && u->state == ERR_READ ? WALK_FAIL_READ : WALK_FAIL_CORRUPT;
                break;
            }
            if (u->shim)
                continue;
            st->frames[kept++] = (struct walk_frame){
                .code = u->e, .line = codecache_line(w->t, u->e, rf[d].pos)};
        }
        st->depth = kept;
        if (st->failed)
            st->depth = st->truncated = 0;
    }
    return 0;
}

/* ------------------------------------------------------------ threads */

static struct walk_stack *new_stack(struct walker *w)
{
    int n = w->nstacks + 1;
    if (grow(&w->stacks, &w->cap_stacks, sizeof *w->stacks, n, WALK_MAX_THREADS) < 0 ||
        grow(&w->first, &w->cap_first, sizeof *w->first, n, WALK_MAX_THREADS) < 0)
        return NULL;
    w->first[w->nstacks] = (uint32_t)w->nframes;
    struct walk_stack *st = &w->stacks[w->nstacks++];
    memset(st, 0, sizeof *st);
    return st;
}

/* OS thread id: native_thread_id on 3.11+; before that glibc's struct
 * pthread holds it, at an offset pytarget learns once. */
static uint64_t thread_tid(struct walker *w, uint64_t ident, uint64_t native)
{
    struct pytarget *t = w->t;
    if (t->layout.tstate_native_thread_id >= 0)
        return native & 0xffffffffu;
    if (t->pthread_tid_off < 0 || !reader_addr_ok(ident, 8))
        return pytarget_tid(t, ident, 0);
    uint8_t buf[4];
    int32_t tid;
    int rc = 0;
    const uint8_t *p = fetch(w, G_FRAMEPTR, ident + (uint64_t)t->pthread_tid_off, 4, buf, &rc);
    if (!p)
        return 0;
    memcpy(&tid, p, sizeof tid);
    return tid > 0 ? (uint64_t)tid : 0;
}

/* Bytes of a PyThreadState holding every field we use. */
static size_t tstate_prefix(const struct py_layout *l)
{
    size_t n = prefix_end(l->tstate_next, 0);
    n = prefix_end(l->tstate_frame, n);
    n = prefix_end(l->tstate_thread_id, n);
    n = prefix_end(l->tstate_native_thread_id, n);
    return prefix_end(l->tstate_datastack_chunk, n);
}

/* Keep a walk's frames as this round's frames of stack st (the last one). */
static int keep_frames(struct walker *w, struct walk_stack *st, const struct framewalk_out *out)
{
    int n = (int)w->first[w->nstacks - 1] + out->depth;
    int rc = grow(&w->raw, &w->cap_raw, sizeof *w->raw, n, WALK_MAX_ROUND_FRAMES);
    if (rc < 0)
        return rc;
    for (int d = 0; d < out->depth; d++)     /* raw is NULL before a first frame */
        w->raw[w->first[w->nstacks - 1] + (uint32_t)d] =
            (struct rframe){.code = out->frames[d].code, .pos = out->frames[d].pos};
    w->nframes = n;
    st->depth = out->depth;
    st->truncated = out->truncated;
    return 0;
}

/* One attempt at the stack of the thread whose state is tb. 0 with st
 * filled or failed; ERR_EXITED / ERR_NOMEM end the round. */
static int read_stack(struct walker *w, struct walk_stack *st, uint64_t ts, const uint8_t *tb,
                      uint64_t *root)
{
    const struct py_layout *l = &w->t->layout;
    uint64_t frame = get_ptr(tb, l->tstate_frame), chunk = get_ptr(tb, l->tstate_datastack_chunk);
    struct framewalk_out out = {.why = WALK_FAIL_CORRUPT};
    int rc = 0;
    w->nframes = (int)w->first[w->nstacks - 1];
    st->depth = st->truncated = 0;
    if (frame && l->cframe_current_frame >= 0) {
        /* 3.11/3.12: tstate->cframe->current_frame (pycore_frame.h) */
        rc = reader_addr_ok(frame, 8) ? fetch_ptr(w, G_FRAMEPTR, frame + (uint64_t)l->cframe_current_frame, &frame)
                                      : ERR_CORRUPT;
        out.why = rc == ERR_CORRUPT ? WALK_FAIL_CORRUPT : WALK_FAIL_READ;
    }
    /* <= 3.10: the frame pointer read just before the heap snapshot. */
    struct framewalk_heapctx h = {.root = *root};
    const uint8_t *p = l->frame_model == FRAME_MODEL_OBJECT
        ? readbatch_find(w->cur, G_PRE, ts + (uint64_t)l->tstate_frame, 8) : NULL;
    if (p)
        memcpy(&h.before, p, sizeof h.before);
    /* ... and just after it: the current frame as of the snapshot's end */
    p = l->frame_model == FRAME_MODEL_OBJECT
        ? readbatch_find(w->cur, G_POST, ts + (uint64_t)l->tstate_frame, 8) : NULL;
    if (p)
        memcpy(&frame, p, sizeof frame);
    if (l->frame_model == FRAME_MODEL_OBJECT) {
        plan_add(w, G_PRE, ts + (uint64_t)l->tstate_frame, 8);
        plan_add(w, G_POST, ts + (uint64_t)l->tstate_frame, 8);
    }
    if (rc == 0)
        rc = framewalk_thread(w->fw, &w->mem, chunk, frame, &h, &out);
    if (rc == ERR_EXITED || rc == ERR_NOMEM)
        return rc;
    if (rc == 0 && out.why == WALK_OK && keep_frames(w, st, &out) == 0) {
        *root = out.root && !out.truncated ? out.root : *root;
        st->failed = 0;
        st->why = WALK_OK;
        return 0;
    }
    w->nframes = (int)w->first[w->nstacks - 1];
    st->depth = st->truncated = 0;
    st->failed = 1;
    st->why = out.why != WALK_OK ? out.why : WALK_FAIL_CORRUPT;
    return 0;
}

/* One thread state: its stack into a new walk_stack; *next gets the next
 * thread state. Fails the round only when the thread state itself cannot
 * be read (or the target is gone); a bad stack just fails the stack. */
static int walk_thread(struct walker *w, uint64_t interp, uint64_t ts, uint64_t *next)
{
    const struct py_layout *l = &w->t->layout;
    uint8_t buf[STRUCT_MAX];
    int rc = 0, p0 = w->nplan;
    const uint8_t *tb = fetch(w, G_LIST, ts, tstate_prefix(l), buf, &rc);
    if (!tb)
        return rc;
    *next = get_ptr(tb, l->tstate_next);
    struct walk_stack *st = new_stack(w);
    if (!st) {
        *next = 0;              /* too many threads: the rest is not sampled */
        return 0;
    }
    st->interp = interp;
    st->ident = get_ptr(tb, l->tstate_thread_id);
    st->tid = thread_tid(w, st->ident, get_ptr(tb, l->tstate_native_thread_id));
    int tries = l->frame_model == FRAME_MODEL_OBJECT ? WALK_TRIES_HEAP : WALK_TRIES;
    const struct tspan *last = last_span(w, w->nstacks - 1, ts);
    uint64_t root = last ? last->root : 0;
    for (int n = 1;; n++) {
        rc = read_stack(w, st, ts, tb, &root);
        if (rc < 0 || !st->failed || n == tries || w->retries == RETRY_BUDGET)
            break;
        w->retries++;
        /* Read this thread's stack again at once, from fresh copies. */
        if ((rc = batch_again(w, p0, w->nstacks - 1, ts)) < 0)
            break;
        if (!(tb = fetch(w, G_LIST, ts, tstate_prefix(l), buf, &rc))) {
            st->why = WALK_FAIL_READ;
            rc = rc == ERR_EXITED ? rc : 0;
            break;
        }
    }
    use_batch(w, &w->batch);
    if (w->nspans == w->nstacks - 1 &&
        grow(&w->spans, &w->cap_spans, sizeof *w->spans, w->nstacks, WALK_MAX_THREADS) == 0)
        w->spans[w->nspans++] = (struct tspan){.ts = ts, .lo = p0, .hi = w->nplan, .root = root};
    return rc;
}

static int walk_threads(struct walker *w)
{
    const struct py_layout *l = &w->t->layout;
    uint64_t interp = 0;
    int rc = fetch_ptr(w, G_LIST, w->t->runtime + (uint64_t)l->runtime_interpreters_head, &interp);
    if (rc < 0)
        return rc;
    if (!interp)
        return ERR_NOT_READY;
    if (l->interp_threads_head < 0 || l->interp_next < 0)
        return ERR_CORRUPT;
    /* Both lists are bounded: a cycle in garbage data ends at the bound.
     * The two fields can be kilobytes apart (3.13): two small reads. */
    for (int guard = 0; interp && guard < 256; guard++) {
        uint64_t ts = 0, cur = interp;
        if (!reader_addr_ok(interp, 8))
            return ERR_CORRUPT;
        if ((rc = fetch_ptr(w, G_LIST, interp + (uint64_t)l->interp_threads_head, &ts)) < 0 ||
            (rc = fetch_ptr(w, G_LIST, interp + (uint64_t)l->interp_next, &interp)) < 0)
            return rc;
        for (int i = 0; ts && i < WALK_MAX_THREADS; i++) {
            if (!reader_addr_ok(ts, 8))
                return ERR_CORRUPT;
            if ((rc = walk_thread(w, cur, ts, &ts)) < 0)
                return rc;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ rounds */

int walker_new(struct pytarget *t, struct codecache *c, struct walker **out)
{
    struct walker *w = calloc(1, sizeof *w);
    if (!w)
        return ERR_NOMEM;
    if (framewalk_new(&t->layout, t->frame_type, &w->fw) < 0) {
        free(w);
        return ERR_NOMEM;
    }
    w->t = t;
    w->codes = c;
    w->cur = &w->batch;
    w->mem = (struct framewalk_mem){.ctx = w, .bytes = mem_bytes, .prefix = mem_prefix, .code = mem_code,
                                    .heap_frame = mem_heap_frame};
    *out = w;
    return 0;
}

void walker_free(struct walker *w)
{
    if (!w)
        return;
    framewalk_free(w->fw);
    readbatch_free(&w->batch);
    readbatch_free(&w->retry);
    free(w->spans);
    free(w->prev_spans);
    free(w->stacks);
    free(w->first);
    free(w->raw);
    free(w->frames);
    free(w);
}

int walker_round(struct walker *w)
{
    unsigned long reads = w->t->r->reads;
    if (++w->round == 0) {      /* stamps wrapped: forget them all */
        memset(w->umap, 0, sizeof w->umap);
        w->round = 1;
    }
    w->nstacks = w->nframes = w->nucodes = w->retries = 0;
    w->bytes = 0;
    /* Layouts from _Py_DebugOffsets are data too: the buffers must fit. */
    const struct py_layout *l = &w->t->layout;
    w->hsize = codecache_header_size(w->t);
    if (tstate_prefix(l) > STRUCT_MAX || l->frame_size <= 0 || l->frame_size > STRUCT_MAX ||
        w->hsize > HDR_MAX)
        return ERR_CORRUPT;
    codecache_new_round(w->codes);
    /* this round's plan becomes the last one: so do its threads' spans */
    struct tspan *sp = w->prev_spans;
    int cap = w->cap_prev_spans;
    w->prev_spans = w->spans;
    w->cap_prev_spans = w->cap_spans;
    w->nprev_spans = w->nspans;
    w->spans = sp;
    w->cap_spans = cap;
    w->nspans = 0;
    int rc = batch_fill(w);
    if (rc == 0)
        rc = walk_threads(w);
    use_batch(w, &w->batch);
    for (int f = 0; rc == 0 && f < w->nframes; f++)   /* recursion: same code again */
        w->raw[f].ucode = f && w->raw[f].code == w->raw[f - 1].code ? w->raw[f - 1].ucode
                                                                     : ucode_index(w, w->raw[f].code);
    if (rc == 0)
        rc = resolve_codes(w);
    if (rc == 0)
        rc = resolve_frames(w);
    w->syscalls = (unsigned)(w->t->r->reads - reads);
    if (rc < 0) {
        w->nstacks = 0;
        return rc;
    }
    return w->nstacks;
}

const struct walk_stack *walker_stack(const struct walker *w, int i)
{
    return i >= 0 && i < w->nstacks ? &w->stacks[i] : NULL;
}

void walker_round_cost(const struct walker *w, unsigned *syscalls, unsigned long *bytes)
{
    *syscalls = w->syscalls;
    *bytes = w->bytes;
}
