/* SPDX-License-Identifier: MIT */
/* Following one thread's frame chain and deciding whether it is one stack.
 *
 * How CPython pushes and pops frames, and what a reader racing it sees:
 *
 * <= 3.10: frames are heap objects; see framewalk_heap.c.
 *
 * 3.11+ (Include/internal/pycore_frame.h, 3.14+ pycore_interpframe.h):
 * frames live in the thread's data-stack chunk. A call bumps
 * tstate->datastack_top by the callee's co_framesize words, writes the
 * frame (_PyFrame_Initialize: previous, f_funcobj, f_executable, ...,
 * instr_ptr, owner) and only then makes it tstate->current_frame; a
 * return first sets current_frame = previous, then clears the frame and
 * lowers datastack_top (clear_thread_frame in Python/ceval.c). So a callee
 * sits exactly co_framesize words above its caller in the chunk, previous
 * pointers go down, and a frame's instruction pointer lies inside its own
 * code object's bytecode; a chain that breaks any of these was read while
 * frames moved (or is not a chain) and is reported as torn.
 *
 * One moment per sample. Before 3.14 the walker reads the thread state
 * (the current frame) and, a microsecond later in the same batched read,
 * the chunk; a loop calling a small function pushes and pops a frame many
 * times in between, but a popped frame keeps its contents, so the frame
 * the thread state named still reads as it was: the sample is the stack of
 * the moment the thread state was read, with the callers' current lines a
 * little later. 3.14 clears f_executable when it pops (not previous, not
 * instr_ptr). Dropping such samples would keep the leaf only when it was
 * live at both reads (for a leaf on top a share p of the time, about p
 * squared); taking the top from the copy alone (down through popped
 * frames, up through live callees) made the moment where the copy, which
 * is not one instant, met the moving top: a short leaf came out 2-6
 * points high, and the frame below a page boundary of the copy got the
 * samples of deeper moments. So on 3.14+ the current frame is read first
 * in the batch, just before the copy (see settle_top): live in the copy,
 * it and its callers are the stack of that moment; popped since, it is
 * known by the code its slot held when last walked, when its instruction
 * pointer lies inside that code; else the sample is the copy's moment
 * below it. A frame left above the top by RETURN_GENERATOR
 * (popped without clearing after it was copied into the generator) is a
 * generator function's data-stack frame, which is never live past its
 * first instruction: such frames count as popped. */
#include "framewalk.h"
#include "framewalk_impl.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pylayout.h"
#include "reader.h"

#define LOOKAHEAD 512           /* 3.14+: bytes read past the highest top of recent walks */
#define CHUNK_SIZE_OFF 8        /* _PyStackChunk.size (Include/cpython/pystate.h, 3.11+) */
#define CHUNK_DATA_OFF 24       /* _PyStackChunk.data */

/* enum _frameowner values that have not changed since 3.11. */
#define OWNER_THREAD 0
#define OWNER_GENERATOR 1
/* CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR (Include/cpython/code.h). */
#define CO_GENLIKE (0x20 | 0x80 | 0x200)

int framewalk_new(const struct py_layout *l, uint64_t frame_type, struct framewalk **out)
{
    struct framewalk *fw = calloc(1, sizeof *fw);
    if (!fw)
        return ERR_NOMEM;
    fw->l = l;
    fw->frame_type = frame_type;
    fw->pop_clears = l->major > 3 || (l->major == 3 && l->minor >= 14);
    *out = fw;
    return 0;
}

void framewalk_free(struct framewalk *fw)
{
    free(fw);
}

/* ------------------------------------------------------------ 3.11+ */

/* An interpreter shim (3.12+: the C-stack entry frame; 3.14+: frames owned
 * by the interpreter), not a Python frame. */
static int is_shim(const struct py_layout *l, const uint8_t *fb)
{
    if (l->frame_owner < 0)
        return 0;
    int owner = fb[l->frame_owner];
    return owner == l->owner_cstack || owner == l->owner_interpreter;
}

static int owner_of(const struct py_layout *l, const uint8_t *fb)
{
    return l->frame_owner >= 0 ? fb[l->frame_owner] : OWNER_THREAD;
}

/* 3.14+: f_executable is a _PyStackRef: the low bits are tags. */
static uint64_t code_of(const struct py_layout *l, const uint8_t *fb)
{
    return get_ptr(fb, l->frame_code) & ~l->frame_code_tag_mask;
}

/* Byte offset of the instruction the frame is at, in its code object's
 * bytecode; 0 when it is inside [-2 or 0, the bytecode's end), else
 * ERR_CORRUPT (a slot being written, or not a frame of this code). */
static int position(const struct py_layout *l, const uint8_t *fb, uint64_t code,
                    const struct code_facts *f, int *pos)
{
    int64_t off = (int64_t)(get_ptr(fb, l->frame_lasti) - (code + (uint64_t)l->code_code_adaptive));
    int64_t lo = l->lasti_is_prev ? -2 : 0, hi = f->ncodeunits ? 2 * (int64_t)f->ncodeunits
                                                                : (1 << 28);
    if (off < lo || off >= hi)
        return ERR_CORRUPT;
    *pos = (int)off;
    return 0;
}

static int in_snap(const struct framewalk *fw, uint64_t frame)
{
    return frame >= fw->lo && frame < fw->hi && !(frame & 7);
}

/* 3.14+: the code object data-stack slot frame held when last walked. */
static size_t slot_index(uint64_t frame)
{
    return (size_t)((frame >> 3) * 0x9E3779B97F4A7C15ULL >> 40) & (SLOTS - 1);
}

static void slot_note(struct framewalk *fw, uint64_t frame, uint64_t code)
{
    size_t i = slot_index(frame);
    fw->slots[i].slot = frame;
    fw->slots[i].code = code;
}

static uint64_t slot_code(const struct framewalk *fw, uint64_t frame)
{
    size_t i = slot_index(frame);
    return fw->slots[i].slot == frame ? fw->slots[i].code : 0;
}

/* The code a popped frame this walk starts with was found to run, or 0. */
static uint64_t popped_code(const struct framewalk *fw, uint64_t frame)
{
    for (int i = 0; i < fw->npopped; i++)
        if (fw->popped[i].frame == frame)
            return fw->popped[i].code;
    return 0;
}

static size_t size_index(struct framewalk *fw, uint64_t chunk)
{
    size_t h = (size_t)(chunk >> 12) & (SIZES - 1);
    if (fw->sizes[h].chunk != chunk) {
        fw->sizes[h].chunk = chunk;
        fw->sizes[h].size = fw->sizes[h].reach = 0;
    }
    return h;
}

/* The size the chunk had when last read, 0 when unknown. */
static uint64_t *size_slot(struct framewalk *fw, uint64_t chunk)
{
    return &fw->sizes[size_index(fw, chunk)].size;
}

/* 3.14+: a snapshot of the chunk reads up to the highest end any of its
 * recent walks needed (falling back slowly, by 1/64 of the way a walk),
 * not only a little past this walk's top. A stack that grows and shrinks
 * by many frames between samples (a recursion called in a loop) is then
 * one copy, of one moment; cut at the last top, the deeper moments needed
 * copies read later, and got a fraction of their samples (levels 31-39 of
 * a recursion 40 deep had 0.14-0.39 of the samples of levels 2-10). */
static uint64_t reach_of(struct framewalk *fw, uint64_t chunk, uint64_t end)
{
    uint64_t *reach = &fw->sizes[size_index(fw, chunk)].reach, r = *reach;
    uint64_t want = end > chunk ? end - chunk : 0;
    r = want >= r ? want : r - (r - want) / 64;
    *reach = r;
    return chunk + r;
}

/* Inside the thread's current chunk (its size as last read, else as much
 * as a snapshot may span). */
static int in_chunk(struct framewalk *fw, uint64_t frame)
{
    uint64_t size = *size_slot(fw, fw->chunk);
    return fw->chunk && frame >= fw->chunk + CHUNK_DATA_OFF &&
           frame - fw->chunk < (size ? size : CHUNK_MAX);
}

/* Read [chunk, end) as this walk's snapshot of the chunk, never past the
 * chunk's end (the next page need not be mapped: a failed read would also
 * fail the whole batch it is planned in), at most CHUNK_MAX bytes. Without
 * a snapshot every frame is read on its own. */
static int load_snap(struct framewalk *fw, const struct framewalk_mem *m, uint64_t end, uint64_t need)
{
    uint64_t *size = size_slot(fw, fw->chunk);
    if (*size && end > fw->chunk + *size)
        end = fw->chunk + *size;
    if (!*size || end < need)
        end = need;
    fw->snap = NULL;
    fw->len = 0;
    fw->lo = fw->hi = 0;
    fw->loaded = 1;
    if (end < fw->chunk + CHUNK_DATA_OFF + (uint64_t)fw->l->frame_size || end - fw->chunk > CHUNK_MAX)
        return 0;
    int rc = 0;
    enum framewalk_what what = fw->pop_clears ? FRAMEWALK_STACK : FRAMEWALK_CHUNK;
    size_t len = (size_t)(end - fw->chunk);
    const uint8_t *p = m->prefix(m->ctx, what, fw->chunk, &len, (size_t)(need - fw->chunk),
                                 fw->chunkbuf, &rc);
    if (!p)
        return rc == ERR_EXITED || rc == ERR_NOMEM ? rc : 0;
    end = fw->chunk + len;
    fw->snap = p;
    fw->len = len;
    fw->lo = fw->chunk + CHUNK_DATA_OFF;
    fw->hi = end - (uint64_t)fw->l->frame_size + 1;
    uint64_t s = get_ptr(p, CHUNK_SIZE_OFF);
    *size = s >= fw->len && s <= (1ull << 40) ? s : 0;
    return 0;
}

/* A live data-stack frame of this snapshot with its code's facts: its code
 * is set and is not a generator function's (see the top comment). 1 live,
 * 0 popped, < 0 an error of the code lookup. */
static int live(struct framewalk *fw, const struct framewalk_mem *m, const uint8_t *fb,
                struct code_facts *f)
{
    uint64_t code = code_of(fw->l, fb);
    if (!code)
        return 0;
    int rc = facts_of(fw, m, code, f);
    if (rc < 0)
        return rc;
    return !(f->flags & CO_GENLIKE);
}

/* The frame a popped frame returned to: its previous, when that is a frame
 * below it in the chunk, or one reached through a C-stack entry frame (the
 * popped frame was the first of an evaluation loop that returned). 0 when
 * there is none. */
static uint64_t below(struct framewalk *fw, const struct framewalk_mem *m, uint64_t frame,
                      const uint8_t *fb)
{
    uint64_t back = get_ptr(fb, fw->l->frame_back);
    if (back >= fw->chunk + CHUNK_DATA_OFF && back < frame)
        return back;
    int rc = 0;
    const uint8_t *sb = reader_addr_ok(back, 8) && !in_snap(fw, back)
        ? m->bytes(m->ctx, FRAMEWALK_FRAME, back, (size_t)fw->l->frame_size, fw->framebuf, &rc)
        : NULL;
    if (!sb || !is_shim(fw->l, sb))
        return 0;
    back = get_ptr(sb, fw->l->frame_back);
    return back >= fw->chunk + CHUNK_DATA_OFF && back < frame ? back : 0;
}

/* 3.14+: when the copy cannot tell the stack of the thread state's moment
 * (its frame popped since, and its code not known): the stack of the
 * copy's moment below it, down through popped frames to a live one. 0 with
 * *top set, or why set. */
static int find_top(struct framewalk *fw, const struct framewalk_mem *m, uint64_t *top,
                    struct framewalk_out *out)
{
    uint64_t cur = *top;
    struct code_facts f;
    for (int n = 0; n < STEPS_MAX; n++) {
        if (!in_snap(fw, cur)) {
            *top = cur;
            return 0;           /* a generator's or a shim frame: taken as it is */
        }
        const uint8_t *fb = fw->snap + (cur - fw->chunk);
        int rc = live(fw, m, fb, &f);
        if (rc < 0)
            return failed_rc(out, rc);
        if (rc) {
            *top = cur;
            return 0;
        }
        if (!(cur = below(fw, m, cur, fb)))
            return failed(out, WALK_FAIL_TORN);
    }
    return failed(out, WALK_FAIL_TORN);
}

/* The frame visited before the current one: its callee. */
struct callee {
    uint64_t addr;
    int data;                   /* a data-stack frame of the snapshot */
};

/* Checks of a real 3.11+ frame against its callee and its code; appends
 * it. 0, or why set. */
static int interp_frame(struct framewalk *fw, const struct framewalk_mem *m, uint64_t frame,
                        int data, const uint8_t *fb, struct callee *c, struct framewalk_out *out)
{
    const struct py_layout *l = fw->l;
    int owner = owner_of(l, fb), pos;
    uint64_t code = code_of(l, fb);
    if (!code && data)
        code = popped_code(fw, frame);  /* popped since the thread state named it */
    /* Popped; a generator not running; a data-stack frame that is not in
     * the thread's chunk although it is the top (the C-stack entry frame
     * of an evaluation loop that returned, its owner overwritten since);
     * a frame object's copy of a finished frame. */
    if (!code || (owner != OWNER_THREAD && owner != OWNER_GENERATOR) ||
        (data && owner != OWNER_THREAD) ||
        (owner == OWNER_GENERATOR && !get_ptr(fb, l->frame_back)) ||
        (!c->addr && owner == OWNER_THREAD && reader_addr_ok(fw->chunk, 8) && !in_chunk(fw, frame)))
        return failed(out, WALK_FAIL_TORN);
    struct code_facts f;
    int rc = facts_of(fw, m, code, &f);
    if (rc < 0)
        return failed_rc(out, rc);
    if ((data && fw->pop_clears && (f.flags & CO_GENLIKE)) ||
        (c->data && data && f.framesize && c->addr != frame + 8 * (uint64_t)f.framesize) ||
        position(l, fb, code, &f, &pos) < 0)
        return failed(out, WALK_FAIL_TORN);
    *c = (struct callee){.addr = frame, .data = data};
    if (data && fw->pop_clears)
        slot_note(fw, frame, code);
    /* 3.11: the evaluation loop marks the frame it was called with; 3.12+
     * the caller's shim says it (walk_interp). */
    push(out, frame, code, pos, l->frame_is_entry >= 0 && fb[l->frame_is_entry]);
    return 0;
}

static int walk_interp(struct framewalk *fw, const struct framewalk_mem *m, uint64_t frame,
                       struct framewalk_out *out)
{
    const struct py_layout *l = fw->l;
    struct callee c = {0};
    int pushed = 0;             /* the frame visited last was appended */
    for (int steps = 0; frame && !out->why; steps++) {
        if (steps == STEPS_MAX || out->depth == WALK_MAX_DEPTH) {
            out->truncated = 1;
            return 0;
        }
        int rc = 0;
        if (!fw->loaded && in_chunk(fw, frame) &&     /* the chain enters the chunk */
            (rc = load_snap(fw, m, frame + (uint64_t)l->frame_size, frame + (uint64_t)l->frame_size)) < 0)
            return rc;
        int data = in_snap(fw, frame);
        if (!data && !reader_addr_ok(frame, 8))
            return failed(out, WALK_FAIL_CORRUPT);
        if (looped(fw, frame))
            return failed(out, WALK_FAIL_CYCLE);
        if (c.data && frame >= c.addr && in_chunk(fw, frame))
            return failed(out, WALK_FAIL_TORN);  /* previous must point down the chunk */
        const uint8_t *fb = data ? fw->snap + (frame - fw->chunk)
                                 : m->bytes(m->ctx, FRAMEWALK_FRAME, frame, (size_t)l->frame_size,
                                            fw->framebuf, &rc);
        if (!fb)
            return failed_rc(out, rc);
        uint64_t back = get_ptr(fb, l->frame_back);
        if (is_shim(l, fb)) {
            /* 3.12+: the C-stack entry frame of an evaluation call: its
             * callee is the first frame of that call. */
            if (pushed) {
                out->frames[out->depth - 1].entry = 1;
                out->frames[out->depth - 1].cstack = frame;
            }
            c = (struct callee){.addr = frame, .data = 0};
            pushed = 0;
        } else if ((rc = interp_frame(fw, m, frame, data, fb, &c, out)) < 0) {
            return rc;
        } else {
            pushed = !out->why;
        }
        frame = back;
    }
    return 0;
}

/* 3.14+: the stack of the moment the thread state's current frame (top)
 * was read, just before the copy, when the copy tells it: the frame is
 * live in it (pushed before that moment: its callers are live as long as
 * it is), or it and maybe some of its callers were popped since, each
 * known by the code its slot held when last walked and an instruction
 * pointer inside that code (a pop clears the code reference, not the
 * instruction pointer or previous). Frames pushed after that moment are
 * not part of it. 0 when told (the popped frames in fw->popped), 1 when
 * the copy cannot tell, < 0 on an error that ends the round. */
static int settle_top(struct framewalk *fw, const struct framewalk_mem *m, uint64_t top)
{
    const struct py_layout *l = fw->l;
    fw->npopped = 0;
    for (uint64_t cur = top; in_snap(fw, cur);) {
        const uint8_t *fb = fw->snap + (cur - fw->chunk);
        if (owner_of(l, fb) != OWNER_THREAD)
            return 1;
        struct code_facts f;
        uint64_t code = code_of(l, fb);
        int rc = 0, pos;
        if (code) {
            if ((rc = live(fw, m, fb, &f)) < 0)
                return rc == ERR_EXITED || rc == ERR_NOMEM ? rc : 1;
            return rc == 1 ? 0 : 1;
        }
        code = slot_code(fw, cur);
        if (!code || fw->npopped == POPPED_MAX)
            return 1;
        if ((rc = facts_of(fw, m, code, &f)) < 0)
            return rc == ERR_EXITED || rc == ERR_NOMEM ? rc : 1;
        if ((f.flags & CO_GENLIKE) || position(l, fb, code, &f, &pos) < 0)
            return 1;
        fw->popped[fw->npopped].frame = cur;
        fw->popped[fw->npopped++].code = code;
        if (!(cur = below(fw, m, cur, fb)))
            return 1;
    }
    return 1;
}

/* 3.11+: the snapshot of the chunk up to the top frame (on 3.14+ as far
 * as recent walks needed), and on 3.14+ the top of the sample's moment. */
static int interp_top(struct framewalk *fw, const struct framewalk_mem *m, uint64_t *top,
                      struct framewalk_out *out)
{
    const struct py_layout *l = fw->l;
    uint64_t need = *top + (uint64_t)l->frame_size;
    uint64_t end = fw->pop_clears ? reach_of(fw, fw->chunk, need + LOOKAHEAD) : need;
    int rc = load_snap(fw, m, end, need);
    if (rc < 0 || !fw->pop_clears || !in_snap(fw, *top))
        return rc;
    if ((rc = settle_top(fw, m, *top)) <= 0)
        return rc;
    fw->npopped = 0;            /* the moment of the copy, from what it shows */
    return find_top(fw, m, top, out);
}

static void start_walk(struct framewalk *fw, uint64_t chunk, struct framewalk_out *out)
{
    *out = (struct framewalk_out){.frames = fw->frames, .why = WALK_OK};
    fw->saved = 0;
    fw->lam = 0;
    fw->power = 1;
    fw->last_code = 0;
    fw->chunk = chunk;
    fw->snap = NULL;
    fw->len = 0;
    fw->lo = fw->hi = 0;
    fw->loaded = 0;
    fw->npopped = 0;
}

int framewalk_thread(struct framewalk *fw, const struct framewalk_mem *m, uint64_t chunk,
                     uint64_t top, const struct framewalk_heapctx *h, struct framewalk_out *out)
{
    const struct py_layout *l = fw->l;
    start_walk(fw, chunk, out);
    if (!top)
        return 0;
    if (l->frame_size <= 0 || l->frame_size > FRAME_MAX)
        return failed(out, WALK_FAIL_CORRUPT);
    if (l->frame_model == FRAME_MODEL_OBJECT)
        return framewalk_heap(fw, m, top, h, out);
    int rc = 0;
    if (reader_addr_ok(chunk, 8) && top > chunk && top - chunk < CHUNK_MAX)
        rc = interp_top(fw, m, &top, out);
    if (rc < 0 || out->why)
        return rc;
    return walk_interp(fw, m, top, out);
}
