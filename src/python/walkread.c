/* SPDX-License-Identifier: MIT */
/* The walker's reads: each round's plan of ranges, read in one batch at
 * the start of the next round, fresh copies for a stack read again, and on
 * <= 3.10 the set of frame objects read up front as the heap snapshot. */
#include <string.h>

#include "error.h"
#include "pytarget.h"
#include "reader.h"
#include "walker_impl.h"

/* Note that this round used [addr, addr + len): the next round reads it
 * up front. Ranges beyond the bound are simply not planned. */
void walkread_plan(struct walker *w, enum group g, uint64_t addr, size_t len)
{
    if (w->nplan < PLAN_MAX && len && len <= READBATCH_RANGE_MAX)
        w->plan[w->nplan++] = (struct readbatch_range){.addr = addr, .len = (uint32_t)len, .group = g};
}

/* Serve reads from batch b from now on (its heap snapshot is another). */
void walkread_use(struct walker *w, const struct readbatch *b)
{
    w->cur = b;
    w->mem.heap_gen = b == &w->retry ? w->retry_gen : w->batch_gen;
}

static size_t pool_slot(uint64_t addr)
{
    return (size_t)((addr >> 4) * 0x9E3779B97F4A7C15ULL >> 40) & (POOL_SLOTS - 1);
}

/* <= 3.10: note a frame object read this round: its slot, else a free one,
 * else the one seen longest ago among the POOL_PROBE slots it may use. */
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
    if (!w->pool[pick].addr)
        w->pool_used[w->npool_used++] = (uint32_t)pick;
    w->pool[pick].addr = addr;
    w->pool[pick].seen = w->round;
}

/* Plan every frame object seen lately as the heap snapshot, so that one
 * batched read holds a whole chain of them, whichever stack the thread is
 * in; their addresses go to pooled[0..*npooled). Frames not seen for
 * POOL_AGE rounds leave the set. */
static void pool_plan(struct walker *w, struct readbatch_range *r, int *n, int max,
                      uint64_t *pooled, int *npooled)
{
    size_t len = (size_t)w->t->layout.frame_size;
    *npooled = 0;
    for (int k = 0; k < w->npool_used;) {
        uint32_t i = w->pool_used[k];
        if (w->round - w->pool[i].seen > POOL_AGE) {
            w->pool[i].addr = 0;
            w->pool_used[k] = w->pool_used[--w->npool_used];
            continue;
        }
        if (*npooled < POOL_PLAN && *n < max) {
            r[(*n)++] = (struct readbatch_range){.addr = w->pool[i].addr, .len = (uint32_t)len,
                                                 .group = G_STACK};
            pooled[(*npooled)++] = w->pool[i].addr;
        }
        k++;
    }
}

static void pool_clear(struct walker *w)
{
    memset(w->pool, 0, sizeof w->pool);
    w->npool_used = 0;
}

/* Which of the last round's thread states this round takes as they were
 * (keep[k]) instead of reading them again. A thread's state changes only
 * while the thread runs, except for its link to the next one, which the
 * next thread's state changes when it leaves the list (it unlinks itself
 * as it ends: it ran). So a state is kept when the caller says no thread
 * started or ended (walker_list_still), its thread and the next one are
 * still, and it was read from the target less than keep_ns ago (a
 * state that another thread unlinks is seen again within that time). The
 * next one must be the next stack of the last round (else the list is
 * not as it was). A new state goes at the head of the list, which is read
 * every round. */
static void keep_plan(struct walker *w)
{
    int n = w->nprev_stacks;
    memset(w->keep, 0, sizeof w->keep);
    /* spans and stacks go together (a span left out for want of memory
     * would shift them: then nothing is kept) */
    if (!w->list_still || !w->tsize || w->nprev_spans != n || w->cap_prev_tsb < n ||
        w->cap_prev_tsb_ns < n)
        return;
    int32_t next_off = w->t->layout.tstate_next;
    for (int k = 0; k < n; k++) {
        if (!w->still[k] || w->round_ns - w->prev_tsb_ns[k] > w->keep_ns)
            continue;
        uint64_t next = get_ptr(w->prev_tsb + (size_t)k * w->tsize, next_off);
        w->keep[k] = !next || (k + 1 < n && w->prev_spans[k + 1].ts == next && w->still[k + 1]);
    }
}

/* The last round's plan (used) without what the stacks of threads marked
 * still took (walker_still: their frames are copied) and the states kept
 * (keep_plan), into tmp: its count, or -1 when no thread is still. The
 * other ranges of a still thread's state (G_LIST) are read: the walk goes
 * through them. Each thread's ranges are one span of the plan, in
 * planning order. */
static int still_filter(struct walker *w)
{
    int any = 0;
    for (int k = 0; k < w->nprev_spans && k < w->nprev_stacks; k++)
        any |= w->still[k];
    if (!any)
        return -1;
    int n = 0, k = 0;
    for (int i = 0; i < w->nused; i++) {
        while (k < w->nprev_spans && w->prev_spans[k].hi <= i)
            k++;
        const struct readbatch_range *r = &w->used[i];
        if (k < w->nprev_spans && k < w->nprev_stacks && w->still[k] && i >= w->prev_spans[k].lo &&
            (r->group != G_LIST || (w->keep[k] && r->addr == w->prev_spans[k].ts && r->len == w->tsize)))
            continue;
        w->tmp[n++] = *r;
    }
    return n;
}

/* Read this round's planned ranges in one batch. On failure (something
 * planned was freed) the round runs without it. A steady target plans the
 * same ranges as last time (compared in planning order): then the layout
 * is still right, unless threads marked still leave theirs out. */
int walkread_fill(struct walker *w)
{
    w->npooled = 0;
    if (w->t->layout.frame_model == FRAME_MODEL_OBJECT)
        pool_plan(w, w->plan, &w->nplan, PLAN_MAX, w->pooled, &w->npooled);
    int same = w->nplan == w->nused &&
               memcmp(w->plan, w->used, (size_t)w->nplan * sizeof w->plan[0]) == 0;
    if (!same) {
        memcpy(w->used, w->plan, (size_t)w->nplan * sizeof w->plan[0]);
        w->nused = w->nplan;
    }
    keep_plan(w);
    int n = still_filter(w);
    if (!same || n >= 0 || w->batch_filtered) {
        w->batch_filtered = n >= 0;
        if (readbatch_layout(&w->batch, n >= 0 ? w->tmp : w->plan, n >= 0 ? n : w->nplan) < 0)
            w->nused = 0;
    }
    w->nplan = 0;
    w->batch_gen = ++w->gens;
    walkread_use(w, &w->batch);
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
const struct tspan *walkread_last_span(const struct walker *w, int i, uint64_t ts)
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
int walkread_again(struct walker *w, int p0, int i, uint64_t ts)
{
    int n = w->nplan - p0;
    memcpy(w->tmp, w->plan + p0, (size_t)n * sizeof w->tmp[0]);
    w->nplan = p0;
    const struct tspan *last = walkread_last_span(w, i, ts);
    if (last && last->lo >= 0 && last->hi <= w->nused && last->hi - last->lo < PLAN_MAX - n) {
        memcpy(w->tmp + n, w->used + last->lo, (size_t)(last->hi - last->lo) * sizeof w->tmp[0]);
        n += last->hi - last->lo;
    }
    w->npooled_retry = 0;
    if (w->t->layout.frame_model == FRAME_MODEL_OBJECT)
        pool_plan(w, w->tmp, &n, PLAN_MAX, w->pooled_retry, &w->npooled_retry);
    w->retry_gen = ++w->gens;
    walkread_use(w, &w->retry);
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
const uint8_t *walkread_fetch(struct walker *w, enum group g, uint64_t addr, size_t len,
                            uint8_t *buf, int *rc)
{
    const uint8_t *p = readbatch_find(w->cur, g, addr, len);
    if (!p) {
        if ((*rc = reader_read(w->t->r, addr, len, buf)) < 0)
            return NULL;
        w->bytes += len;
        p = buf;
    }
    walkread_plan(w, g, addr, len);
    return p;
}

int walkread_fetch_ptr(struct walker *w, enum group g, uint64_t addr, uint64_t *v)
{
    uint8_t buf[8];
    int rc = 0;
    const uint8_t *p = walkread_fetch(w, g, addr, sizeof buf, buf, &rc);
    if (!p)
        return rc;
    memcpy(v, p, sizeof *v);
    return 0;
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
        walkread_plan(w, g, addr, *len);
        *len = avail < *len ? avail : *len;
        return p;
    }
    return walkread_fetch(w, g, addr, *len, buf, rc);
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
    return walkread_fetch(w, what == FRAMEWALK_STACK ? G_STACK : G_FRAMES, addr, len, buf, rc);
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

void walkread_init_mem(struct walker *w)
{
    w->mem = (struct framewalk_mem){.ctx = w, .bytes = mem_bytes, .prefix = mem_prefix,
                                    .code = walkcode_facts, .heap_frame = mem_heap_frame};
}
