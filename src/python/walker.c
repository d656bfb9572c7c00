/* SPDX-License-Identifier: MIT */
/* Walks CPython thread states and their frame chains in a target's memory.
 * Each round starts with one batched read of the ranges the previous round
 * used (its "plan"); the walk then serves its reads from those bytes and
 * reads only what they lack. A stack that is not one consistent stack
 * (framewalk.h) is read again at once, from fresh copies of what it
 * needed, a few times before it counts as failed. See walker.h for the
 * cost model. This file walks the thread lists and runs rounds; the reads
 * are in walkread.c, the code objects in walkcode.c. */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "pytarget.h"
#include "reader.h"
#include "walker_impl.h"

static size_t prefix_end(int32_t off, size_t cur)
{
    return off >= 0 && (size_t)off + 8 > cur ? (size_t)off + 8 : cur;
}

/* Make room for n elements of size elem in *arr (capacity *cap, doubled
 * as needed, at most max). 0, or ERR_NOMEM / ERR_TOO_DEEP. */
int walker_grow(void *arr, int *cap, size_t elem, int n, int max)
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

/* ------------------------------------------------------------ threads */

static struct walk_stack *new_stack(struct walker *w)
{
    int n = w->nstacks + 1;
    if (walker_grow(&w->stacks, &w->cap_stacks, sizeof *w->stacks, n, WALK_MAX_THREADS) < 0 ||
        walker_grow(&w->first, &w->cap_first, sizeof *w->first, n, WALK_MAX_THREADS) < 0)
        return NULL;
    if (walker_grow(&w->tsb, &w->cap_tsb, w->tsize, n, WALK_MAX_THREADS) < 0 ||
        walker_grow(&w->tsb_ns, &w->cap_tsb_ns, sizeof *w->tsb_ns, n, WALK_MAX_THREADS) < 0)
        return NULL;
    w->first[w->nstacks] = (uint32_t)w->nframes;
    struct walk_stack *st = &w->stacks[w->nstacks++];
    memset(st, 0, sizeof *st);
    st->read_ns = w->round_ns;
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
    const uint8_t *p = walkread_fetch(w, G_FRAMEPTR, ident + (uint64_t)t->pthread_tid_off, 4, buf, &rc);
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
    n = prefix_end(l->tstate_gil_requested, n);
    return prefix_end(l->tstate_datastack_chunk, n);
}

/* Keep a walk's frames as this round's frames of stack st (the last one). */
static int keep_frames(struct walker *w, struct walk_stack *st, const struct framewalk_out *out)
{
    int n = (int)w->first[w->nstacks - 1] + out->depth;
    int rc = walker_grow(&w->raw, &w->cap_raw, sizeof *w->raw, n, WALK_MAX_ROUND_FRAMES);
    if (rc < 0)
        return rc;
    for (int d = 0; d < out->depth; d++)     /* raw is NULL before a first frame */
        w->raw[w->first[w->nstacks - 1] + (uint32_t)d] =
            (struct rframe){.frame = out->frames[d].frame, .code = out->frames[d].code,
                            .pos = out->frames[d].pos, .entry = out->frames[d].entry,
                            .cstack = out->frames[d].cstack};
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
    st->cframe = l->cframe_current_frame >= 0 ? frame : 0;
    if (frame && l->cframe_current_frame >= 0) {
        /* 3.11/3.12: tstate->cframe->current_frame (pycore_frame.h) */
        rc = reader_addr_ok(frame, 8) ? walkread_fetch_ptr(w, G_FRAMEPTR, frame + (uint64_t)l->cframe_current_frame, &frame)
                                      : ERR_CORRUPT;
        out.why = rc == ERR_CORRUPT ? WALK_FAIL_CORRUPT : WALK_FAIL_READ;
    }
    /* 3.14+: the current frame as read first in the batch, before the
     * chunk copy: the moment the sample shows (see settle_top). */
    int first = l->major > 3 || l->minor >= 14;
    const uint8_t *p = first ? readbatch_find(w->cur, G_FRAMEPTR, ts + (uint64_t)l->tstate_frame, 8)
                             : NULL;
    if (p)
        memcpy(&frame, p, sizeof frame);
    if (first)
        walkread_plan(w, G_FRAMEPTR, ts + (uint64_t)l->tstate_frame, 8);
    /* <= 3.10: the frame pointer read just before the heap snapshot. */
    struct framewalk_heapctx h = {.root = *root};
    p = l->frame_model == FRAME_MODEL_OBJECT
        ? readbatch_find(w->cur, G_PRE, ts + (uint64_t)l->tstate_frame, 8) : NULL;
    if (p)
        memcpy(&h.before, p, sizeof h.before);
    /* ... and just after it: the current frame as of the snapshot's end,
     * with tstate->recursion_depth, the int right after it in
     * PyThreadState (3.8-3.10): one more for each frame an evaluation loop
     * runs (and for some C calls), so never fewer than the frames of the
     * stack (see deeper_than_told in framewalk_heap.c) */
    p = l->frame_model == FRAME_MODEL_OBJECT
        ? readbatch_find(w->cur, G_POST, ts + (uint64_t)l->tstate_frame, TSTATE_FRAME_DEPTH) : NULL;
    if (p) {
        memcpy(&frame, p, sizeof frame);
        memcpy(&h.depth_top, p + 8, sizeof h.depth_top);
    }
    if (l->frame_model == FRAME_MODEL_OBJECT) {
        walkread_plan(w, G_PRE, ts + (uint64_t)l->tstate_frame, 8);
        walkread_plan(w, G_POST, ts + (uint64_t)l->tstate_frame, TSTATE_FRAME_DEPTH);
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

/* A still thread's stack (walker_still): the last round's frames of the
 * same thread, whose state still points at the same current frame (last:
 * that round's span of thread state ts). What reading them took is
 * planned again, so that the next round has it at hand if the thread
 * runs. 1 when copied. */
static int copy_still(struct walker *w, struct walk_stack *st, const struct tspan *last, uint64_t top)
{
    int k = (int)(last - w->prev_spans);
    if (w->t->layout.frame_model == FRAME_MODEL_OBJECT || k < 0 || k >= w->nprev_stacks ||
        !w->still[k] || last->top != top)
        return 0;
    const struct walk_stack *old = &w->prev_stacks[k];
    if (old->failed || !old->tid || old->tid != st->tid || old->ident != st->ident ||
        old->interp != st->interp)
        return 0;
    /* its frames as collected (old->depth is as resolved: without shims) */
    uint32_t from = w->prev_first[k], to = k + 1 < w->nprev_stacks ? w->prev_first[k + 1]
                                                                  : (uint32_t)w->nprev_frames;
    int depth = to >= from ? (int)(to - from) : -1, at = (int)w->first[w->nstacks - 1];
    if (depth < 0 || walker_grow(&w->raw, &w->cap_raw, sizeof *w->raw, at + depth, WALK_MAX_ROUND_FRAMES) < 0)
        return 0;
    if (depth > 0)
        memcpy(w->raw + at, w->prev_raw + from, (size_t)depth * sizeof *w->raw);
    w->nframes = at + depth;
    st->depth = depth;
    st->truncated = old->truncated;
    st->cframe = old->cframe;
    st->read_ns = old->read_ns;
    st->copied = 1;
    for (int i = last->lo; i < last->hi && i < w->nused; i++)
        if (w->used[i].group != G_LIST)
            walkread_plan(w, (enum group)w->used[i].group, w->used[i].addr, w->used[i].len);
    return 1;
}

/* Read the stack of thread state ts (read as tb, its walk planned from
 * plan index p0): a failed attempt is read again at once from fresh
 * copies, up to the version's tries and the round's budget. */
static int read_with_retries(struct walker *w, struct walk_stack *st, uint64_t ts, const uint8_t *tb,
                             int p0, uint64_t *root)
{
    const struct py_layout *l = &w->t->layout;
    uint8_t buf[STRUCT_MAX];
    int tries = l->frame_model == FRAME_MODEL_OBJECT ? WALK_TRIES_HEAP : WALK_TRIES;
    int rc = 0;
    for (int n = 1;; n++) {
        rc = read_stack(w, st, ts, tb, root);
        if (rc < 0 || !st->failed || n == tries || w->retries == RETRY_BUDGET)
            break;
        w->retries++;
        /* Read this thread's stack again at once, from fresh copies. */
        if ((rc = walkread_again(w, p0, w->nstacks - 1, ts)) < 0)
            break;
        if (!(tb = walkread_fetch(w, G_LIST, ts, w->tsize, buf, &rc))) {
            st->why = WALK_FAIL_READ;
            rc = rc == ERR_EXITED ? rc : 0;
            break;
        }
    }
    return rc;
}

/* One thread state: its stack into a new walk_stack; *next gets the next
 * thread state. Fails the round only when the thread state itself cannot
 * be read (or the target is gone); a bad stack just fails the stack. */
static int walk_thread(struct walker *w, struct walk_interp_state *is, uint64_t interp,
                       uint64_t ts, uint64_t *next)
{
    const struct py_layout *l = &w->t->layout;
    uint8_t buf[STRUCT_MAX];
    int rc = 0, p0 = w->nplan;
    const struct tspan *last = walkread_last_span(w, w->nstacks, ts);
    int k = last ? (int)(last - w->prev_spans) : -1, kept = k >= 0 && w->keep[k];
    const uint8_t *tb;
    uint64_t tb_ns = w->round_ns;
    if (kept) {                 /* as the last round had it (keep_plan) */
        tb = w->prev_tsb + (size_t)k * w->tsize;
        tb_ns = w->prev_tsb_ns[k];
        walkread_plan(w, G_LIST, ts, w->tsize);
    } else if (!(tb = walkread_fetch(w, G_LIST, ts, w->tsize, buf, &rc))) {
        return rc;
    }
    *next = get_ptr(tb, l->tstate_next);
    struct walk_stack *st = new_stack(w);
    if (!st) {
        *next = 0;              /* too many threads: the rest is not sampled */
        return 0;
    }
    memcpy(w->tsb + (size_t)(w->nstacks - 1) * w->tsize, tb, w->tsize);
    w->tsb_ns[w->nstacks - 1] = tb_ns;
    st->kept = kept;
    st->interp = interp;
    st->ident = get_ptr(tb, l->tstate_thread_id);
    st->tid = thread_tid(w, st->ident, get_ptr(tb, l->tstate_native_thread_id));
    walkstate_thread(w, is, ts, tb, st);
    uint64_t root = last ? last->root : 0, top = get_ptr(tb, l->tstate_frame);
    if (!last || !copy_still(w, st, last, top))
        rc = read_with_retries(w, st, ts, tb, p0, &root);
    walkread_use(w, &w->batch);
    if (w->nspans == w->nstacks - 1 &&
        walker_grow(&w->spans, &w->cap_spans, sizeof *w->spans, w->nstacks, WALK_MAX_THREADS) == 0)
        w->spans[w->nspans++] = (struct tspan){.ts = ts, .lo = p0, .hi = w->nplan, .root = root,
                                               .top = top};
    return rc;
}

static int walk_threads(struct walker *w)
{
    const struct py_layout *l = &w->t->layout;
    uint64_t interp = 0;
    int rc = walkread_fetch_ptr(w, G_LIST, w->t->runtime + (uint64_t)l->runtime_interpreters_head, &interp);
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
        struct walk_interp_state is;
        if (!reader_addr_ok(interp, 8))
            return ERR_CORRUPT;
        walkstate_read(w, interp, &is);
        if ((rc = walkread_fetch_ptr(w, G_LIST, interp + (uint64_t)l->interp_threads_head, &ts)) < 0 ||
            (rc = walkread_fetch_ptr(w, G_LIST, interp + (uint64_t)l->interp_next, &interp)) < 0)
            return rc;
        for (int i = 0; ts && i < WALK_MAX_THREADS; i++) {
            if (!reader_addr_ok(ts, 8))
                return ERR_CORRUPT;
            if ((rc = walk_thread(w, &is, cur, ts, &ts)) < 0)
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
    w->keep_ns = KEEP_MAX_NS;
    walkread_init_mem(w);
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
    free(w->prev_stacks);
    free(w->prev_first);
    free(w->prev_raw);
    free(w->tsb);
    free(w->prev_tsb);
    free(w->tsb_ns);
    free(w->prev_tsb_ns);
    free(w->frames);
    free(w);
}

#define SWAP(T, a, b) do { T tmp_ = (a); (a) = (b); (b) = tmp_; } while (0)

/* This round's stacks and raw frames become the last round's: the arrays
 * change places (a still thread's stack is copied from them). */
static void keep_last_stacks(struct walker *w)
{
    SWAP(struct walk_stack *, w->stacks, w->prev_stacks);
    SWAP(int, w->cap_stacks, w->cap_prev_stacks);
    SWAP(uint32_t *, w->first, w->prev_first);
    SWAP(int, w->cap_first, w->cap_prev_first);
    SWAP(struct rframe *, w->raw, w->prev_raw);
    SWAP(int, w->cap_raw, w->cap_prev_raw);
    SWAP(uint8_t *, w->tsb, w->prev_tsb);
    SWAP(int, w->cap_tsb, w->cap_prev_tsb);
    SWAP(uint64_t *, w->tsb_ns, w->prev_tsb_ns);
    SWAP(int, w->cap_tsb_ns, w->cap_prev_tsb_ns);
    w->nprev_stacks = w->nstacks;
    w->nprev_frames = w->nframes;
}

void walker_still(struct walker *w, int i, int still)
{
    if (w && i >= 0 && i < w->nstacks)
        w->still[i] = still != 0;
}

void walker_list_still(struct walker *w, int still)
{
    if (w)
        w->list_still = still != 0;
}

void walker_keep_for(struct walker *w, uint64_t ns)
{
    if (w)
        w->keep_ns = ns;
}

static int round_walk(struct walker *w)
{
    unsigned long reads = w->t->r->reads;
    w->round_ns = clock_now_ns();
    keep_last_stacks(w);
    if (++w->round == 0) {      /* stamps wrapped: forget them all */
        memset(w->umap, 0, sizeof w->umap);
        w->round = 1;
    }
    w->nstacks = w->nframes = w->nucodes = w->retries = 0;
    w->bytes = 0;
    /* Layouts from _Py_DebugOffsets are data too: the buffers must fit. */
    const struct py_layout *l = &w->t->layout;
    w->hsize = codecache_header_size(w->t);
    if (tstate_prefix(l) != w->tsize) {        /* a first round: the states' size */
        free(w->tsb);
        free(w->prev_tsb);
        w->tsb = w->prev_tsb = NULL;
        w->cap_tsb = w->cap_prev_tsb = 0;
        w->nprev_stacks = 0;
        w->tsize = tstate_prefix(l);
    }
    if (w->tsize > STRUCT_MAX || l->frame_size <= 0 || l->frame_size > STRUCT_MAX ||
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
    int rc = walkread_fill(w);
    if (rc == 0)
        rc = walk_threads(w);
    walkread_use(w, &w->batch);
    for (int s = 0; rc == 0 && s < w->nstacks; s++) {
        int end = s + 1 < w->nstacks ? (int)w->first[s + 1] : w->nframes;
        for (int f = (int)w->first[s]; f < end; f++) {      /* recursion: same code again */
            struct rframe *r = &w->raw[f];
            r->ucode = f && r->code == r[-1].code ? r[-1].ucode : walkcode_index(w, r->code);
            if (r->ucode >= 0 && !w->stacks[s].copied)
                w->umap[r->ucode].live = 1;
        }
    }
    if (rc == 0)
        rc = walkcode_resolve_codes(w);
    if (rc == 0)
        rc = walkcode_resolve_frames(w);
    w->syscalls = (unsigned)(w->t->r->reads - reads);
    if (rc < 0) {
        w->nstacks = 0;
        return rc;
    }
    return w->nstacks;
}

int walker_round(struct walker *w)
{
    int rc = round_walk(w);
    memset(w->still, 0, (size_t)w->nprev_stacks);     /* the marks were for this round */
    w->list_still = 0;
    return rc;
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
