/* SPDX-License-Identifier: MIT */
/* Walks CPython thread states and frame chains in a target's memory. */
#include "walker.h"

#include <string.h>

#include "codecache.h"
#include "error.h"
#include "pytarget.h"
#include "reader.h"

#define STRUCT_MAX 4096         /* largest struct prefix we read in one go */

static uint64_t get_ptr(const uint8_t *buf, int32_t off)
{
    uint64_t v = 0;
    if (off >= 0)
        memcpy(&v, buf + off, sizeof v);
    return v;
}

static int read_ptr(struct pytarget *t, uint64_t base, int32_t off, uint64_t *v)
{
    if (off < 0)
        return ERR_CORRUPT;
    return reader_read_ptr(t->r, base + (uint64_t)off, v);
}

int walker_threads(struct pytarget *t, struct walk_thread *out, int max, int *n)
{
    const struct py_layout *l = &t->layout;
    uint64_t interp = 0;
    int count = 0, rc = read_ptr(t, t->runtime, l->runtime_interpreters_head, &interp);
    if (rc < 0)
        return rc;
    if (!interp)
        return ERR_NOT_READY;
    /* Both lists are bounded: a cycle in garbage data ends at the bound. */
    for (int guard = 0; interp && guard < 256; guard++) {
        if (!reader_addr_ok(interp, 8))
            return ERR_CORRUPT;
        uint64_t ts = 0;
        if ((rc = read_ptr(t, interp, l->interp_threads_head, &ts)) < 0)
            return rc;
        for (int i = 0; ts && i < WALK_MAX_THREADS && count < max; i++) {
            if (!reader_addr_ok(ts, 8))
                return ERR_CORRUPT;
            out[count++] = (struct walk_thread){.interp = interp, .tstate = ts};
            if ((rc = read_ptr(t, ts, l->tstate_next, &ts)) < 0)
                return rc;
        }
        if ((rc = read_ptr(t, interp, l->interp_next, &interp)) < 0)
            return rc;
    }
    *n = count;
    return 0;
}

/* The first frame of a thread, or 0. */
static int top_frame(struct pytarget *t, const uint8_t *ts, uint64_t *frame)
{
    const struct py_layout *l = &t->layout;
    uint64_t f = get_ptr(ts, l->tstate_frame);
    if (f && l->cframe_current_frame >= 0) {
        /* 3.11/3.12: tstate->cframe->current_frame (pycore_frame.h) */
        if (!reader_addr_ok(f, 8))
            return ERR_CORRUPT;
        int rc = read_ptr(t, f, l->cframe_current_frame, &f);
        if (rc < 0)
            return rc;
    }
    *frame = f;
    return 0;
}

/* Byte offset of the current instruction in the code object, and whether
 * the frame is a real Python frame (3.12+ push C-stack shim frames). */
static int frame_position(const struct py_layout *l, const uint8_t *fb, uint64_t code, int *addr)
{
    if (l->frame_model == FRAME_MODEL_OBJECT) {
        int32_t lasti;
        memcpy(&lasti, fb + l->frame_lasti, sizeof lasti);
        /* 3.10 counts f_lasti in code units, 3.8/3.9 in bytes. */
        *addr = l->linetable == LINETABLE_PEP626 && lasti >= 0 ? lasti * 2 : lasti;
        return 1;
    }
    if (l->frame_owner >= 0) {
        int owner = fb[l->frame_owner];
        if (owner == l->owner_cstack || owner == l->owner_interpreter)
            return 0;
    }
    int64_t off = (int64_t)(get_ptr(fb, l->frame_lasti) - (code + (uint64_t)l->code_code_adaptive));
    if (off < -2 || off > (1 << 28))
        return -1;
    *addr = (int)off;
    return 1;
}

static void thread_ids(struct pytarget *t, const uint8_t *ts, struct walk_stack *s)
{
    const struct py_layout *l = &t->layout;
    s->ident = get_ptr(ts, l->tstate_thread_id);
    uint64_t native = 0;
    if (l->tstate_native_thread_id >= 0)
        memcpy(&native, ts + l->tstate_native_thread_id, sizeof native);
    s->tid = pytarget_tid(t, s->ident, native & 0xffffffffu);
}

static int push_frame(struct pytarget *t, struct codecache *c, const uint8_t *fb, struct walk_stack *s)
{
    const struct py_layout *l = &t->layout;
    /* 3.14's f_executable is a _PyStackRef: the low bits are tags. */
    uint64_t code = get_ptr(fb, l->frame_code) & ~(uint64_t)7;
    int addr = 0, real = frame_position(l, fb, code, &addr);
    if (real < 0)
        return ERR_CORRUPT;
    if (real == 0)
        return 0;
    if (!reader_addr_ok(code, 8))
        return ERR_CORRUPT;
    struct code_entry *e;
    int rc = codecache_get(c, t, code, NULL, 0, &e);
    if (rc < 0)
        return rc;
    s->frames[s->depth].code = e;
    s->frames[s->depth].line = codecache_line(t, e, addr);
    s->depth++;
    return 0;
}

int walker_stack(struct pytarget *t, struct codecache *c, uint64_t tstate, struct walk_stack *s)
{
    const struct py_layout *l = &t->layout;
    uint8_t ts[STRUCT_MAX], fb[STRUCT_MAX];
    size_t tsize = (size_t)l->tstate_size, fsize = (size_t)l->frame_size;
    if (tsize > STRUCT_MAX || fsize > STRUCT_MAX)
        return ERR_CORRUPT;
    s->depth = 0;
    s->truncated = 0;
    int rc = reader_read(t->r, tstate, tsize, ts);
    if (rc < 0)
        return rc;
    thread_ids(t, ts, s);
    uint64_t frame = 0;
    if ((rc = top_frame(t, ts, &frame)) < 0)
        return rc;
    /* Bounded by WALK_MAX_DEPTH real frames plus as many shims; a cycle in
     * the chain ends at the bound like a very deep stack. */
    for (int steps = 0; frame && steps < 2 * WALK_MAX_DEPTH; steps++) {
        if (s->depth == WALK_MAX_DEPTH) {
            s->truncated = 1;
            return 0;
        }
        if (!reader_addr_ok(frame, 8))
            return ERR_CORRUPT;
        if ((rc = reader_read(t->r, frame, fsize, fb)) < 0)
            return rc;
        if ((rc = push_frame(t, c, fb, s)) < 0)
            return rc;
        uint64_t back = get_ptr(fb, l->frame_back);
        if (back == frame)
            return ERR_CORRUPT;
        frame = back;
    }
    if (frame)
        s->truncated = 1;
    return 0;
}
