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
 * One moment per sample. The walker reads the thread state (the current
 * frame) and, a microsecond later in the same batched read, the chunk; a
 * loop calling a small function pushes and pops a frame many times in
 * between. Before 3.14 a popped frame keeps its contents, so the frame the
 * thread state named still reads as it was: the sample is the stack of the
 * moment the thread state was read, with the callers' current lines a
 * little later. 3.14 clears f_executable when it pops, so that frame may
 * read as popped. Dropping such samples would keep the leaf only when it
 * was live at both reads (for a leaf on top a share p of the time, about p
 * squared), so instead the top is taken from the chunk snapshot alone:
 * from the frame the thread state named, down through popped frames along
 * previous, then up while the slot where the next call would be pushed
 * (co_framesize words above) holds a live frame whose previous is the
 * current top; reading past the top (LOOKAHEAD bytes) makes that slot
 * part of the snapshot. Each sample is then the stack of the moment the
 * snapshot was copied. A frame left above the top by RETURN_GENERATOR
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

#define LOOKAHEAD 512           /* 3.14+: bytes read past the top frame, for the slot above it */
#define RELOADS_MAX 2           /* snapshots re-read to see the slot above the top */
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

/* The frame pushed on top of frame (whose code has facts *f) in the
 * snapshot, or 0 when the slot above holds none; *f becomes its code's
 * facts. *need gets the snapshot end that would show the slot when this
 * one does not. */
static uint64_t above(struct framewalk *fw, const struct framewalk_mem *m, uint64_t frame,
                      struct code_facts *f, uint64_t *need)
{
    const struct py_layout *l = fw->l;
    uint64_t x = frame + 8 * (uint64_t)f->framesize, *size = size_slot(fw, fw->chunk);
    if (!f->framesize || x - fw->chunk > CHUNK_MAX)
        return 0;
    if (!in_snap(fw, x)) {
        /* No room left in the chunk: the next call would start a new one. */
        if (!*size || x + (uint64_t)l->frame_size <= fw->chunk + *size)
            *need = x + (uint64_t)l->frame_size;
        return 0;
    }
    const uint8_t *xb = fw->snap + (x - fw->chunk);
    struct code_facts xf;
    int pos;
    if (get_ptr(xb, l->frame_back) != frame || owner_of(l, xb) != OWNER_THREAD ||
        live(fw, m, xb, &xf) != 1 || position(l, xb, code_of(l, xb), &xf, &pos) < 0)
        return 0;
    *f = xf;
    return x;
}

/* 3.14+: the top of the stack at the moment of the snapshot, from *top
 * (the thread state's current frame, a little earlier): down while popped,
 * up while the slot above holds a live callee. 0 with *top set, *need set
 * when the snapshot must reach further, or why set. */
static int find_top(struct framewalk *fw, const struct framewalk_mem *m, uint64_t *top,
                    uint64_t *need, struct framewalk_out *out)
{
    uint64_t cur = *top;
    struct code_facts f = {0};
    for (int n = 0;; n++) {
        if (n == STEPS_MAX)
            return failed(out, WALK_FAIL_TORN);
        if (!in_snap(fw, cur)) {
            *top = cur;
            return 0;           /* a generator's or a shim frame: taken as it is */
        }
        const uint8_t *fb = fw->snap + (cur - fw->chunk);
        int rc = live(fw, m, fb, &f);
        if (rc < 0)
            return failed_rc(out, rc);
        if (rc)
            break;
        if (!(cur = below(fw, m, cur, fb)))
            return failed(out, WALK_FAIL_TORN);
    }
    for (int n = 0; n < STEPS_MAX; n++) {
        uint64_t x = owner_of(fw->l, fw->snap + (cur - fw->chunk)) == OWNER_THREAD
                   ? above(fw, m, cur, &f, need) : 0;
        if (!x)
            break;
        cur = x;
    }
    *top = cur;
    return 0;
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
    push(out, code, pos);
    return 0;
}

static int walk_interp(struct framewalk *fw, const struct framewalk_mem *m, uint64_t frame,
                       struct framewalk_out *out)
{
    const struct py_layout *l = fw->l;
    struct callee c = {0};
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
        if (is_shim(l, fb))
            c = (struct callee){.addr = frame, .data = 0};
        else if ((rc = interp_frame(fw, m, frame, data, fb, &c, out)) < 0)
            return rc;
        frame = back;
    }
    return 0;
}

/* 3.11+: the snapshot of the chunk up to the top frame (on 3.14+ a little
 * past it), and on 3.14+ the top as of the snapshot. */
static int interp_top(struct framewalk *fw, const struct framewalk_mem *m, uint64_t *top,
                      struct framewalk_out *out)
{
    const struct py_layout *l = fw->l;
    uint64_t need = *top + (uint64_t)l->frame_size, hint = *top;
    uint64_t end = fw->pop_clears ? reach_of(fw, fw->chunk, need + LOOKAHEAD) : need;
    int rc = load_snap(fw, m, end, need);
    if (rc < 0 || !fw->pop_clears || !in_snap(fw, *top))
        return rc;
    for (int reloads = 0;; reloads++) {
        uint64_t more = 0;
        *top = hint;
        if ((rc = find_top(fw, m, top, &more, out)) < 0 || out->why || !more)
            return rc;
        if (reloads == RELOADS_MAX)
            return failed(out, WALK_FAIL_TORN);
        /* The slot above the top is past the snapshot: read a longer one
         * (a new moment) and start again from the thread state's frame. */
        if ((rc = load_snap(fw, m, reach_of(fw, fw->chunk, more + LOOKAHEAD), more)) < 0)
            return rc;
        if (!in_snap(fw, hint))
            return 0;
    }
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
