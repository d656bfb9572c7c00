/* SPDX-License-Identifier: MIT */
/* Following a chain of heap frame objects (CPython <= 3.10) as of one
 * snapshot, and deciding whether it is one stack.
 *
 * How CPython pushes and pops these frames (Objects/frameobject.c,
 * Python/ceval.c): a call takes a frame object from its code's "zombie"
 * slot or from a free list, sets f_back (a reference to the caller) and
 * f_code, makes it tstate->frame and sets f_executing (3.10: f_state
 * EXECUTING) while its evaluation loop runs; a return clears that, sets
 * tstate->frame = f_back and frees the frame (ob_refcnt 0; on the free list
 * f_back becomes the next free frame). A recursion called in a loop reuses
 * the same few frame objects at other depths all the time.
 *
 * Reading a chain one frame at a time (a few microseconds each) spans many
 * such pushes and pops: deep stacks were read consistently far less often
 * than shallow ones, and the stacks that passed were biased towards the
 * shallow (measured on 3.9, a recursion 40 deep called in a loop: the
 * deepest quarter of the levels got 5 % of the samples instead of 21 %).
 * So the walker reads every frame object seen lately (the heap snapshot)
 * in one batched read, between two reads of tstate->frame: before (just
 * before the snapshot) and top (just after). A frame object that the
 * snapshot shows running (referenced, a frame, executing) has callers that
 * were running with it: f_back holds a reference to the caller, which runs
 * as long as its callee does. The stack of the snapshot is found from it:
 *   - start from top when the snapshot shows it running (pushed before the
 *     snapshot, still running after it: a caller of the snapshot's top, or
 *     the top), else from before (the top before the snapshot, still
 *     running in it: the stack only grew since), else from the thread's
 *     outermost frame of its last stack (the stack shrank below before
 *     and grew past top while the snapshot was read);
 *   - climb to the snapshot's top: while exactly one running frame of the
 *     snapshot has the current frame as its f_back, move to it (two such
 *     frames: the snapshot is torn);
 *   - walk down along f_back, every frame running in the snapshot (a
 *     caller it lacks is read on its own, and must be running too), and
 *     no address twice;
 *   - before and the outermost frame, when the snapshot shows them
 *     running, must be on that chain (else a frame was reused by another
 *     thread).
 * A stack failing any of these is reported as torn and read again. Without
 * a snapshot that holds top (a frame object not seen before), the chain is
 * read frame by frame from top, with the same checks.
 *
 * Each stack recorded is one that ran; the snapshot is not one instant
 * (its pieces are copied one after the other, a few microseconds in all),
 * and where a chain breaks in it decides which moment the sample shows: a
 * recursion that goes 40 deep and back every few microseconds still has
 * its deepest quarter a few points under its share (see README). */
#include <stdint.h>

#include "framewalk_impl.h"
#include "pylayout.h"

/* f_executing (3.8, 3.9) or f_state (3.10): the char after f_lasti,
 * f_lineno and f_iblock (Include/cpython/frameobject.h). */
#define STATE_AFTER_LASTI 12
#define FRAME_EXECUTING_310 0   /* enum _framestate (3.10) */
#define FRAME_RETURNED_310 1
#define FRAME_UNWINDING_310 2

/* A referenced frame object, of PyFrame_Type when that is known: its
 * state byte, else INT8_MIN. */
static int frame_state(const struct framewalk *fw, const uint8_t *fb)
{
    const struct py_layout *l = fw->l;
    int64_t refcnt = (int64_t)get_ptr(fb, 0);
    if (refcnt < 1 || refcnt > (1LL << 40) ||
        (fw->frame_type && get_ptr(fb, l->ob_type) != fw->frame_type))
        return INT8_MIN;
    return (int8_t)fb[l->frame_lasti + STATE_AFTER_LASTI];
}

/* A frame object of a running stack: referenced, of PyFrame_Type when
 * that is known, and in its evaluation loop. */
static int running(const struct framewalk *fw, const uint8_t *fb)
{
    int state = frame_state(fw, fb);
    if (fw->l->minor >= 10)
        return state == FRAME_EXECUTING_310 || state == FRAME_UNWINDING_310;
    return state == 1;
}

/* 3.10: a frame object in the last steps of its return. RETURN_VALUE sets
 * f_state RETURNED before the loop's exit moves tstate->frame to the
 * caller, and those steps are not short: measured from a thread of the
 * process itself, a function of a few hundred nanoseconds spent 9 % of its
 * time so, as the thread's current frame (3.8/3.9 clear f_executing right
 * before that move). Such a frame can only be the top of its stack. */
static int returning(const struct framewalk *fw, const uint8_t *fb)
{
    return fw->l->minor >= 10 && frame_state(fw, fb) == FRAME_RETURNED_310;
}

/* 3.10: returning frame addr (bytes fb) was returning, at the same
 * instruction, in the last snapshot too: a frame object someone holds
 * after its return (sys._getframe() kept), not one returning now. Notes
 * it for the next snapshot. */
static int held(struct framewalk *fw, uint64_t addr, const uint8_t *fb)
{
    int32_t lasti;
    memcpy(&lasti, fb + fw->l->frame_lasti, sizeof lasti);
    int cur = fw->ret_cur, prev = !cur;
    if (fw->nret[cur] < RETURNING_MAX)
        fw->ret[cur][fw->nret[cur]++] = (struct returning){.addr = addr, .lasti = lasti};
    for (int i = 0; i < fw->nret[prev]; i++)
        if (fw->ret[prev][i].addr == addr && fw->ret[prev][i].lasti == lasti)
            return 1;
    return 0;
}

static size_t back_slot(uint64_t back)
{
    return (size_t)((back >> 4) * 0x9E3779B97F4A7C15ULL >> 40) & (HEAPSNAP_SLOTS - 1);
}

/* Index the running frame objects of the heap snapshot by caller (once
 * per snapshot). */
static void index_snapshot(struct framewalk *fw, const struct framewalk_mem *m)
{
    if (fw->heap_built && fw->heap_gen == m->heap_gen)
        return;
    for (int i = 0; i < fw->nheap_used; i++)
        fw->heap[fw->heap_used[i]] = (struct heapsnap){0};
    fw->nheap = fw->nheap_used = 0;
    fw->heap_built = 1;
    fw->heap_gen = m->heap_gen;
    fw->ret_cur = !fw->ret_cur;
    fw->nret[fw->ret_cur] = 0;
    if (!m->heap_frame)
        return;
    uint64_t addr;
    const uint8_t *fb;
    for (int i = 0; fw->nheap < HEAPSNAP_MAX && m->heap_frame(m->ctx, i, &addr, &fb) > 0; i++) {
        int run = fb && running(fw, fb);
        int ret = fb && !run && returning(fw, fb) && !held(fw, addr, fb);
        uint64_t back = run || ret ? get_ptr(fb, fw->l->frame_back) : 0;
        if (!back)
            continue;
        size_t h = back_slot(back);
        while (fw->heap[h].back && fw->heap[h].back != back)
            h = (h + 1) & (HEAPSNAP_SLOTS - 1);
        if (!fw->heap[h].back)
            fw->heap_used[fw->nheap_used++] = (uint32_t)h;
        fw->heap[h].back = back;
        if (run) {
            fw->heap[h].addr = addr;
            fw->heap[h].n++;
        } else {
            fw->heap[h].raddr = addr;
            fw->heap[h].rn++;
        }
        fw->nheap++;
    }
}

/* Running in the snapshot (or, for a frame the thread state named, in the
 * last steps of returning): 1, 0 not running, -1 not in the snapshot. */
static int snap_running(struct framewalk *fw, const struct framewalk_mem *m, uint64_t frame,
                        int named)
{
    int rc = 0;
    const uint8_t *fb = reader_addr_ok(frame, 8)
        ? m->bytes(m->ctx, FRAMEWALK_HEAPSNAP, frame, (size_t)fw->l->frame_size, fw->framebuf, &rc)
        : NULL;
    return fb ? running(fw, fb) || (named && returning(fw, fb)) : -1;
}

/* The top of the snapshot's stack above frame (running in it), or 0 when
 * the snapshot shows two running callees of one frame or a loop of
 * callees. A returning callee is the top when it is the only callee. */
static uint64_t climb(const struct framewalk *fw, uint64_t frame)
{
    for (int steps = 0; steps <= fw->nheap; steps++) {
        size_t h = back_slot(frame);
        while (fw->heap[h].back && fw->heap[h].back != frame)
            h = (h + 1) & (HEAPSNAP_SLOTS - 1);
        if (!fw->heap[h].back)
            return frame;
        if (fw->heap[h].n > 1)
            return 0;
        if (!fw->heap[h].n)
            return fw->heap[h].rn == 1 ? fw->heap[h].raddr : frame;
        frame = fw->heap[h].addr;
    }
    return 0;
}

/* Frames that must be on the chain (0 once seen, or when none). */
struct must {
    uint64_t before, root;
};

/* Down from frame along f_back: every frame running (from the snapshot
 * when it holds it, else read now), its code a code object, its f_lasti
 * plausible. Clears what it passes in *must; out->root gets the last. */
static int walk_down(struct framewalk *fw, const struct framewalk_mem *m, uint64_t frame,
                     struct must *must, struct framewalk_out *out)
{
    const struct py_layout *l = fw->l;
    while (frame) {
        if (out->depth == WALK_MAX_DEPTH) {
            out->truncated = 1;
            return 0;
        }
        if (!reader_addr_ok(frame, 8))
            return failed(out, WALK_FAIL_CORRUPT);
        if (looped(fw, frame))
            return failed(out, WALK_FAIL_CYCLE);
        int rc = 0;
        size_t len = (size_t)l->frame_size;
        const uint8_t *fb = m->bytes(m->ctx, FRAMEWALK_HEAPSNAP, frame, len, fw->framebuf, &rc);
        if (!fb && !(fb = m->bytes(m->ctx, FRAMEWALK_FRAME, frame, len, fw->framebuf, &rc)))
            return failed_rc(out, rc);
        if (!running(fw, fb) && !(out->depth == 0 && returning(fw, fb)))
            return failed(out, WALK_FAIL_TORN);
        uint64_t code = get_ptr(fb, l->frame_code);
        int32_t lasti;
        memcpy(&lasti, fb + l->frame_lasti, sizeof lasti);
        if (!reader_addr_ok(code, 8) || lasti < -1 || lasti > (1 << 28))
            return failed(out, WALK_FAIL_CORRUPT);
        struct code_facts facts;
        if ((rc = facts_of(fw, m, code, &facts)) < 0)
            return failed_rc(out, rc);
        /* 3.10 counts f_lasti in code units, 3.8/3.9 in bytes. Every
         * frame object runs in an evaluation call of its own: an entry. */
        push(out, frame, code, l->linetable == LINETABLE_PEP626 && lasti >= 0 ? lasti * 2 : lasti, 1);
        must->before = must->before == frame ? 0 : must->before;
        must->root = must->root == frame ? 0 : must->root;
        out->root = frame;
        frame = get_ptr(fb, l->frame_back);
    }
    return 0;
}

/* The stack below top (the current frame read with the thread's
 * recursion depth just after the snapshot, and running in it) is the
 * stack of that moment: top's callers outlive it. The recursion depth
 * counts one for each frame an evaluation loop runs, and more for some C
 * calls, so a stack with more frames below top than that was put together
 * from pieces copied at different moments. That happens: a recursion
 * called in a loop gives its frame objects a new depth at each call (the
 * deepest frame becomes its code's zombie frame, which the next call's
 * first level takes), and a snapshot that spanned such a turn once made a
 * stack of rec(40) 41 frames deep on 3.10, every link of it true when it
 * was copied. A frame's last steps drop the depth just before the thread
 * state moves to its caller: one frame more is allowed for a top the
 * snapshot shows returning (3.10), and always on 3.8/3.9, where the
 * snapshot cannot show that moment (it fails 3 % of the walks of that
 * recursion otherwise). Not for the frame read before the snapshot: the
 * frame object it named may run at another depth in the snapshot (10-17 %
 * of the walks of that recursion), and the snapshot's stack is no less
 * true for it. */
static int deeper_than_told(struct framewalk *fw, const struct framewalk_mem *m, uint64_t top,
                            int32_t told, const struct framewalk_out *out)
{
    if (told <= 0 || out->truncated)
        return 0;
    for (int d = 0; d < out->depth; d++) {
        if (out->frames[d].frame != top)
            continue;
        int64_t below = out->depth - d;
        if (below <= told || fw->l->minor < 10)
            return below > (int64_t)told + 1;
        int rc = 0;             /* one more: only for a top in its last steps */
        const uint8_t *fb = m->bytes(m->ctx, FRAMEWALK_HEAPSNAP, top, (size_t)fw->l->frame_size,
                                     fw->framebuf, &rc);
        return below > (int64_t)told + (fb && returning(fw, fb));
    }
    return 0;
}

int framewalk_heap(struct framewalk *fw, const struct framewalk_mem *m, uint64_t top,
                   const struct framewalk_heapctx *h, struct framewalk_out *out)
{
    const struct py_layout *l = fw->l;
    if (l->frame_lasti < 0 || l->frame_lasti + STATE_AFTER_LASTI >= l->frame_size)
        return failed(out, WALK_FAIL_CORRUPT);
    uint64_t before = h ? h->before : 0, root = h ? h->root : 0, start = top, from = 0;
    int at_top = snap_running(fw, m, top, 1);
    int at_before = before ? snap_running(fw, m, before, 1) : -1;
    int at_root = root ? snap_running(fw, m, root, 0) : -1;
    if (at_top >= 0) {
        /* The snapshot's top, climbing from the first of the current
         * frame, the frame before and the thread's outermost frame that
         * it shows running. */
        from = at_top == 1 ? top : at_before == 1 ? before : at_root == 1 ? root : 0;
        if (!from)
            return failed(out, WALK_FAIL_TORN);
        index_snapshot(fw, m);
        if (!(start = climb(fw, from)))
            return failed(out, WALK_FAIL_TORN);
    } else {
        at_before = at_root = -1;       /* not in the snapshot: the chain as it is now */
    }
    struct must must = {.before = at_before == 1 ? before : 0, .root = at_root == 1 ? root : 0};
    int rc = walk_down(fw, m, start, &must, out);
    if (rc < 0 || out->why)
        return rc;
    /* Frames running in the snapshot that belong to this thread are on
     * its stack of that moment. */
    if (!out->truncated && (must.before || must.root))
        return failed(out, WALK_FAIL_TORN);
    if (from == top && h && deeper_than_told(fw, m, top, h->depth_top, out))
        return failed(out, WALK_FAIL_TORN);
    return 0;
}
