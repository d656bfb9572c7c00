/* SPDX-License-Identifier: MIT */
/* Walks CPython thread states and frame chains in a target's memory, with
 * as few reads as the layout allows: one per thread state, one for the
 * thread's current data-stack chunk (3.11+, where most frames live), one
 * batched read for the headers of every code object on the stack. */
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

static size_t prefix_end(int32_t off, size_t cur)
{
    return off >= 0 && (size_t)off + 8 > cur ? (size_t)off + 8 : cur;
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

static int read_thread(struct pytarget *t, uint64_t interp, uint64_t ts, struct walk_thread *out,
                       uint64_t *next)
{
    const struct py_layout *l = &t->layout;
    uint8_t buf[STRUCT_MAX];
    size_t n = tstate_prefix(l);
    if (n > sizeof buf)
        return ERR_CORRUPT;
    int rc = reader_read(t->r, ts, n, buf);
    if (rc < 0)
        return rc;
    *out = (struct walk_thread){
        .interp = interp,
        .tstate = ts,
        .frame = get_ptr(buf, l->tstate_frame),
        .ident = get_ptr(buf, l->tstate_thread_id),
        .native_tid = get_ptr(buf, l->tstate_native_thread_id) & 0xffffffffu,
        .chunk = get_ptr(buf, l->tstate_datastack_chunk),
    };
    *next = get_ptr(buf, l->tstate_next);
    return 0;
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
            if ((rc = read_thread(t, interp, ts, &out[count++], &ts)) < 0)
                return rc;
        }
        if ((rc = read_ptr(t, interp, l->interp_next, &interp)) < 0)
            return rc;
    }
    *n = count;
    return 0;
}

/* Byte offset of the current instruction in the frame's code object, and
 * whether the frame is a real Python frame (3.12+ push C-stack shims). */
static int frame_position(const struct py_layout *l, const uint8_t *fb, uint64_t code, int *addr)
{
    if (l->frame_model == FRAME_MODEL_OBJECT) {
        int32_t lasti;
        memcpy(&lasti, fb + l->frame_lasti, sizeof lasti);
        if (lasti > (1 << 28))
            return -1;          /* garbage; also keeps lasti * 2 in range */
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

/* 3.11+: read the thread's current data-stack chunk up to the top frame in
 * one go (frames below the top sit at lower addresses in the same chunk).
 * Returns the number of valid bytes (0 when not applicable). */
static size_t load_chunk(struct pytarget *t, const struct walk_thread *th, uint64_t top,
                         struct walk_stack *s)
{
    size_t fsize = (size_t)t->layout.frame_size;
    if (t->layout.frame_model != FRAME_MODEL_INTERP || !reader_addr_ok(th->chunk, 8) ||
        top <= th->chunk || top - th->chunk + fsize > sizeof s->chunk)
        return 0;
    size_t n = (size_t)(top - th->chunk) + fsize;
    return reader_read(t->r, th->chunk, n, s->chunk) == 0 ? n : 0;
}

/* The bytes of the frame at addr: from the chunk copy when it is there. */
static const uint8_t *frame_bytes(struct pytarget *t, const struct walk_thread *th,
                                  const struct walk_stack *s, size_t chunk_len, uint64_t addr,
                                  uint8_t *buf, int *rc)
{
    size_t fsize = (size_t)t->layout.frame_size;
    if (chunk_len && addr >= th->chunk && addr - th->chunk + fsize <= chunk_len)
        return s->chunk + (addr - th->chunk);
    *rc = reader_read(t->r, addr, fsize, buf);
    return *rc < 0 ? NULL : buf;
}

/* Phase 1: follow the frame chain, noting each real frame's code object
 * and instruction offset. */
static int collect(struct pytarget *t, const struct walk_thread *th, uint64_t frame,
                   struct walk_stack *s)
{
    const struct py_layout *l = &t->layout;
    uint8_t buf[STRUCT_MAX];
    size_t chunk_len = load_chunk(t, th, frame, s);
    /* Bounded by WALK_MAX_DEPTH real frames plus as many shims; a cycle in
     * the chain ends at the bound like a very deep stack. */
    for (int steps = 0; frame && steps < 2 * WALK_MAX_DEPTH; steps++) {
        if (s->depth == WALK_MAX_DEPTH) {
            s->truncated = 1;
            return 0;
        }
        if (!reader_addr_ok(frame, 8))
            return ERR_CORRUPT;
        int rc = 0;
        const uint8_t *fb = frame_bytes(t, th, s, chunk_len, frame, buf, &rc);
        if (!fb)
            return rc;
        /* 3.14's f_executable is a _PyStackRef: the low bits are tags. */
        uint64_t code = get_ptr(fb, l->frame_code) & ~(uint64_t)7;
        int addr = 0, real = frame_position(l, fb, code, &addr);
        if (real < 0 || (real && !reader_addr_ok(code, 8)))
            return ERR_CORRUPT;
        if (real) {
            s->code_addr[s->depth] = code;
            s->code_pos[s->depth++] = addr;
        }
        uint64_t back = get_ptr(fb, l->frame_back);
        if (back == frame)
            return ERR_CORRUPT;
        frame = back;
    }
    if (frame)
        s->truncated = 1;
    return 0;
}

/* Index of code in s->uniq, or -1 when the batch is full. */
static int uniq_index(struct walk_stack *s, int *nuniq, uint64_t code)
{
    for (int i = *nuniq - 1; i >= 0; i--)
        if (s->uniq[i] == code)
            return i;
    if (*nuniq == (int)(sizeof s->uniq / sizeof s->uniq[0]))
        return -1;
    s->uniq[*nuniq] = code;
    return (*nuniq)++;
}

/* Phase 2: read every distinct code object's header in one batch, then
 * resolve names and lines through the cache. */
static int resolve(struct pytarget *t, struct codecache *c, struct walk_stack *s)
{
    size_t hsize = codecache_header_size(t);
    if (hsize > sizeof s->headers[0])
        return ERR_CORRUPT;
    int nuniq = 0, slot[WALK_MAX_DEPTH];
    struct read_req reqs[sizeof s->uniq / sizeof s->uniq[0]];
    for (int d = 0; d < s->depth; d++) {
        int before = nuniq;
        slot[d] = uniq_index(s, &nuniq, s->code_addr[d]);
        if (nuniq > before)
            reqs[slot[d]] = (struct read_req){.addr = s->code_addr[d], .len = hsize,
                                              .buf = s->headers[slot[d]]};
    }
    int rc = reader_readv(t->r, reqs, nuniq);
    if (rc < 0)
        return rc;
    for (int d = 0; d < s->depth; d++) {
        struct code_entry *e;
        const uint8_t *h = slot[d] >= 0 ? s->headers[slot[d]] : NULL;
        if ((rc = codecache_get(c, t, s->code_addr[d], h, h ? hsize : 0, &e)) < 0)
            return rc;
        s->frames[d].code = e;
        s->frames[d].line = codecache_line(t, e, s->code_pos[d]);
    }
    return 0;
}

int walker_stack(struct pytarget *t, struct codecache *c, const struct walk_thread *th,
                 struct walk_stack *s)
{
    const struct py_layout *l = &t->layout;
    if ((size_t)l->frame_size > STRUCT_MAX)
        return ERR_CORRUPT;
    s->depth = 0;
    s->truncated = 0;
    s->ident = th->ident;
    s->tid = pytarget_tid(t, th->ident, th->native_tid);
    uint64_t frame = th->frame;
    if (frame && l->cframe_current_frame >= 0) {
        /* 3.11/3.12: tstate->cframe->current_frame (pycore_frame.h) */
        if (!reader_addr_ok(frame, 8))
            return ERR_CORRUPT;
        int rc = read_ptr(t, frame, l->cframe_current_frame, &frame);
        if (rc < 0)
            return rc;
    }
    int rc = collect(t, th, frame, s);
    if (rc < 0)
        return rc;
    return resolve(t, c, s);
}
