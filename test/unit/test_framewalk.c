/* SPDX-License-Identifier: MIT */
/* Tests the frame-chain walk on synthetic memory: loops in frame-object
 * chains (3.9), frames that died or moved while a chain was read, and on
 * 3.14 the top of the stack taken from the data-stack snapshot (popped
 * frames below the thread state's frame, live callees above it, the
 * generator leftover of RETURN_GENERATOR, a snapshot too short to show
 * the slot above the top); 3.13 keeps the thread state's frame. */
#include "check.h"
#include "error.h"
#include "framewalk.h"
#include "memimage.h"
#include "pylayout.h"
#include "reader.h"

#include <stdlib.h>
#include <string.h>

#define HEAP 0x100000ull        /* frame objects, generator frames */
#define CHUNK 0x200000ull       /* a data-stack chunk */
#define CHUNK_SIZE 0x4000u
#define CSTACK 0x300000ull      /* a C-stack entry frame */
#define CODES 0x400000ull       /* code objects: only their facts exist */
#define NCODES 8
#define FRAME_TYPE 0x5000ull
#define UNITS 20                /* code units of every code object */

struct mem {
    struct memimage *m;
    struct reader r;
    struct code_facts facts[NCODES];
    /* <= 3.10: the heap snapshot: nsnap frame objects in snapheap (the
     * memory as it was), not the current memory */
    const uint8_t *snapheap;
    int nsnap;
    size_t asked;               /* the longest chunk prefix asked for */
};

static const uint8_t *snap_bytes(struct mem *mm, uint64_t addr, size_t len);

static const uint8_t *mem_bytes(void *ctx, enum framewalk_what what, uint64_t addr, size_t len,
                                uint8_t *buf, int *rc)
{
    struct mem *mm = ctx;
    if (what == FRAMEWALK_HEAPSNAP) {
        *rc = 0;
        return snap_bytes(mm, addr, len);
    }
    if ((*rc = reader_read(&mm->r, addr, len, buf)) < 0)
        return NULL;
    return buf;
}

static const uint8_t *mem_prefix(void *ctx, enum framewalk_what what, uint64_t addr, size_t *len,
                                 size_t min, uint8_t *buf, int *rc)
{
    struct mem *mm = ctx;
    (void)min;
    mm->asked = *len > mm->asked ? *len : mm->asked;
    return mem_bytes(ctx, what, addr, *len, buf, rc);
}

static int mem_code(void *ctx, uint64_t code, struct code_facts *out)
{
    struct mem *mm = ctx;
    uint64_t i = (code - CODES) / 0x100;
    if (code < CODES || (code - CODES) % 0x100 || i >= NCODES)
        return ERR_CORRUPT;
    *out = mm->facts[i];
    return 0;
}

static int mem_heap_frame(void *ctx, int i, uint64_t *addr, const uint8_t **bytes);

static uint64_t code(int i)
{
    return CODES + 0x100 * (uint64_t)i;
}

static void put64(uint8_t *b, int32_t off, uint64_t v)
{
    memcpy(b + off, &v, sizeof v);
}

static struct framewalk_out walk_h(const struct py_layout *l, struct mem *mm, uint64_t chunk,
                                   uint64_t top, struct framewalk_heapctx h)
{
    struct framewalk *fw = NULL;
    struct framewalk_mem m = {.ctx = mm, .bytes = mem_bytes, .prefix = mem_prefix, .code = mem_code,
                              .heap_frame = mem_heap_frame};
    struct framewalk_out out = {.why = WALK_FAIL_READ};
    mm->r = memimage_reader(mm->m);
    if (framewalk_new(l, FRAME_TYPE, &fw) < 0 || framewalk_thread(fw, &m, chunk, top, &h, &out) < 0)
        check(0, "framewalk failed to run");
    static struct framewalk_frame keep[WALK_MAX_DEPTH];
    memcpy(keep, out.frames, (size_t)out.depth * sizeof keep[0]);
    out.frames = keep;
    framewalk_free(fw);
    return out;
}

static struct framewalk_out walk(const struct py_layout *l, struct mem *mm, uint64_t chunk,
                                 uint64_t top)
{
    return walk_h(l, mm, chunk, top, (struct framewalk_heapctx){0});
}

static void mem_init(struct mem *mm, int32_t framesize)
{
    memset(mm, 0, sizeof *mm);
    mm->m = memimage_new();
    for (int i = 0; i < NCODES; i++)
        mm->facts[i] = (struct code_facts){.ncodeunits = UNITS, .framesize = framesize};
}

/* ------------------------------------------------------------ 3.9 frame objects */

#define NHEAP 3100
#define FSTRIDE 0x200           /* a PyFrameObject is 368 bytes */

static uint8_t heap[NHEAP * FSTRIDE], snapheap[NHEAP * FSTRIDE];

static uint64_t fobj(int i)
{
    return HEAP + (uint64_t)i * FSTRIDE;
}

/* Frame objects 0 .. nsnap-1 as snapheap holds them. */
static const uint8_t *snap_bytes(struct mem *mm, uint64_t addr, size_t len)
{
    if (!mm->snapheap || addr < HEAP || (addr - HEAP) % FSTRIDE || len > FSTRIDE ||
        (addr - HEAP) / FSTRIDE >= (uint64_t)mm->nsnap)
        return NULL;
    return mm->snapheap + (addr - HEAP);
}

static int mem_heap_frame(void *ctx, int i, uint64_t *addr, const uint8_t **bytes)
{
    struct mem *mm = ctx;
    if (!mm->snapheap || i >= mm->nsnap)
        return 0;
    *addr = fobj(i);
    *bytes = mm->snapheap + (size_t)i * FSTRIDE;
    return 1;
}

/* Frame object i: refcnt, f_back, code j, executing (3.9: f_executing,
 * 3.10: f_state, the char 12 bytes after f_lasti). */
static void put_fobj_state(const struct py_layout *l, int i, int64_t refcnt, uint64_t back, int j,
                           int8_t state)
{
    uint8_t *b = heap + (size_t)i * FSTRIDE;
    memset(b, 0, FSTRIDE);
    put64(b, 0, (uint64_t)refcnt);
    put64(b, l->ob_type, FRAME_TYPE);
    put64(b, l->frame_back, back);
    put64(b, l->frame_code, code(j));
    int32_t lasti = 4;
    memcpy(b + l->frame_lasti, &lasti, sizeof lasti);
    b[l->frame_lasti + 12] = (uint8_t)state;
}

static void put_fobj(const struct py_layout *l, int i, int64_t refcnt, uint64_t back, int j)
{
    put_fobj_state(l, i, refcnt, back, j, l->minor >= 10 ? 0 : 1);
}

/* A chain 0 -> 1 -> ... -> n-1 -> back_of_last. */
static void chain(const struct py_layout *l, int n, uint64_t back_of_last)
{
    for (int i = 0; i < n; i++)
        put_fobj(l, i, 2, i + 1 < n ? fobj(i + 1) : back_of_last, i % NCODES);
}

/* Walk n frame objects of heap from top; with nsnap > 0 the first nsnap
 * are also the heap snapshot, as heap holds them now. */
static struct framewalk_out walk_heap_h(const struct py_layout *l, int n, int nsnap, uint64_t top,
                                        struct framewalk_heapctx h)
{
    struct mem mm;
    mem_init(&mm, 0);
    memcpy(snapheap, heap, (size_t)n * FSTRIDE);
    mm.snapheap = nsnap ? snapheap : NULL;
    mm.nsnap = nsnap;
    memimage_add(mm.m, HEAP, heap, (size_t)n * FSTRIDE);
    struct framewalk_out out = walk_h(l, &mm, 0, top, h);
    memimage_free(mm.m);
    return out;
}

static struct framewalk_out walk_heap(const struct py_layout *l, int n, uint64_t top)
{
    return walk_heap_h(l, n, 0, top, (struct framewalk_heapctx){0});
}

/* Without a snapshot: frame by frame, every frame running. */
static void test_objects(void)
{
    const struct py_layout *l = pylayout_for_version(3, 9);
    struct framewalk_out o;

    chain(l, 3, 0);
    o = walk_heap(l, 3, fobj(0));
    CHECK(o.why == WALK_OK && o.depth == 3 && !o.truncated && o.root == fobj(2));
    CHECK(o.depth == 3 && o.frames[0].code == code(0) && o.frames[2].code == code(2));

    chain(l, 3, fobj(0));           /* 0 -> 1 -> 2 -> 0 */
    CHECK(walk_heap(l, 3, fobj(0)).why == WALK_FAIL_CYCLE);
    chain(l, 1, fobj(0));           /* a frame that is its own caller */
    CHECK(walk_heap(l, 1, fobj(0)).why == WALK_FAIL_CYCLE);
    chain(l, 600, fobj(37));        /* a loop of 563 frames after 37 */
    CHECK(walk_heap(l, 600, fobj(0)).why == WALK_FAIL_CYCLE);

    chain(l, 3000, 0);              /* deeper than the bound, no loop */
    o = walk_heap(l, 3000, fobj(0));
    CHECK(o.why == WALK_OK && o.truncated && o.depth == WALK_MAX_DEPTH);

    chain(l, 3, 0);                 /* the top died after the thread state named it */
    put_fobj(l, 0, 0, fobj(1), 5);
    CHECK(walk_heap(l, 3, fobj(0)).why == WALK_FAIL_TORN);
    chain(l, 3, 0);                 /* a dead frame below the top */
    put_fobj(l, 1, 0, fobj(2), 1);
    CHECK(walk_heap(l, 3, fobj(0)).why == WALK_FAIL_TORN);
    chain(l, 3, 0);                 /* alive, but it returned (a traceback keeps it) */
    put_fobj_state(l, 1, 1, fobj(2), 1, 0);
    CHECK(walk_heap(l, 3, fobj(0)).why == WALK_FAIL_TORN);
    chain(l, 3, 0);                 /* not a frame object any more */
    put64(heap + FSTRIDE, l->ob_type, FRAME_TYPE + 8);
    CHECK(walk_heap(l, 3, fobj(0)).why == WALK_FAIL_TORN);

    const struct py_layout *l10 = pylayout_for_version(3, 10);
    chain(l10, 3, 0);               /* 3.10: f_state EXECUTING is 0, RETURNED 1 */
    CHECK(walk_heap(l10, 3, fobj(0)).why == WALK_OK);
    put_fobj_state(l10, 1, 1, fobj(2), 1, 1);
    CHECK(walk_heap(l10, 3, fobj(0)).why == WALK_FAIL_TORN);
}

/* With a snapshot: the stack of the snapshot, whatever memory holds now. */
static void test_heap_snapshot(void)
{
    const struct py_layout *l = pylayout_for_version(3, 9);
    struct framewalk_out o;

    /* Snapshot: 0 -> 1 -> 2 -> 3 -> 4; the thread state named 2 after it
     * (the stack shrank): the snapshot's top is 0. */
    chain(l, 5, 0);
    o = walk_heap_h(l, 5, 5, fobj(2), (struct framewalk_heapctx){0});
    CHECK(o.why == WALK_OK && o.depth == 5 && o.frames[0].code == code(0) && o.root == fobj(4));

    /* The current frame was pushed after the snapshot (dead in it); the
     * frame named before it is running: climb from there. */
    chain(l, 5, 0);
    put_fobj(l, 5, 0, 0, 1);
    o = walk_heap_h(l, 6, 6, fobj(5), (struct framewalk_heapctx){.before = fobj(3)});
    CHECK(o.why == WALK_OK && o.depth == 5 && o.frames[0].code == code(0));
    /* ... neither: from the thread's outermost frame */
    chain(l, 5, 0);
    put_fobj(l, 5, 0, 0, 1);
    o = walk_heap_h(l, 6, 6, fobj(5), (struct framewalk_heapctx){.before = fobj(5), .root = fobj(4)});
    CHECK(o.why == WALK_OK && o.depth == 5 && o.frames[0].code == code(0));
    /* ... nothing to start from */
    o = walk_heap_h(l, 6, 6, fobj(5), (struct framewalk_heapctx){.before = fobj(5)});
    CHECK(o.why == WALK_FAIL_TORN);

    /* Two running frames claim the same caller: torn. */
    chain(l, 5, 0);
    put_fobj(l, 5, 1, fobj(1), 3);
    CHECK(walk_heap_h(l, 6, 6, fobj(2), (struct framewalk_heapctx){0}).why == WALK_FAIL_TORN);
    /* The frame named before is running but not on the stack found. */
    chain(l, 5, 0);
    put_fobj(l, 5, 1, 0, 3);
    CHECK(walk_heap_h(l, 6, 6, fobj(2), (struct framewalk_heapctx){.before = fobj(5)}).why ==
          WALK_FAIL_TORN);
    CHECK(walk_heap_h(l, 6, 6, fobj(2), (struct framewalk_heapctx){.root = fobj(5)}).why ==
          WALK_FAIL_TORN);

    /* The recursion depth read with the current frame bounds the stack
     * below it: more frames were put together from copies of different
     * moments. On 3.8/3.9 one frame more is allowed (a frame's last steps
     * drop the depth before the thread state moves to its caller). */
    chain(l, 5, 0);
    o = walk_heap_h(l, 5, 5, fobj(0), (struct framewalk_heapctx){.depth_top = 5});
    CHECK(o.why == WALK_OK && o.depth == 5);
    o = walk_heap_h(l, 5, 5, fobj(0), (struct framewalk_heapctx){.depth_top = 4});
    CHECK(o.why == WALK_OK && o.depth == 5);
    CHECK(walk_heap_h(l, 5, 5, fobj(0), (struct framewalk_heapctx){.depth_top = 3}).why ==
          WALK_FAIL_TORN);
    /* ... below that frame only: the snapshot's top above it (the
     * current frame named after it, 2) is not bounded by it */
    o = walk_heap_h(l, 5, 5, fobj(2), (struct framewalk_heapctx){.depth_top = 2});
    CHECK(o.why == WALK_OK && o.depth == 5);
    CHECK(walk_heap_h(l, 5, 5, fobj(2), (struct framewalk_heapctx){.depth_top = 1}).why ==
          WALK_FAIL_TORN);
    /* ... not when the walk starts from the frame named before it (its
     * frame object may run at another depth by the snapshot) */
    chain(l, 5, 0);
    put_fobj(l, 5, 0, 0, 1);
    o = walk_heap_h(l, 6, 6, fobj(5), (struct framewalk_heapctx){.before = fobj(3), .depth_top = 1});
    CHECK(o.why == WALK_OK && o.depth == 5);
    /* ... nor for a top read after the snapshot, frame by frame */
    chain(l, 5, 0);
    o = walk_heap_h(l, 5, 0, fobj(0), (struct framewalk_heapctx){.depth_top = 2});
    CHECK(o.why == WALK_OK && o.depth == 5);
    /* 3.10: a returning top has dropped its depth already */
    const struct py_layout *l10 = pylayout_for_version(3, 10);
    chain(l10, 3, 0);
    put_fobj_state(l10, 0, 1, fobj(1), 0, 1);
    o = walk_heap_h(l10, 3, 3, fobj(0), (struct framewalk_heapctx){.depth_top = 2});
    CHECK(o.why == WALK_OK && o.depth == 3);
    CHECK(walk_heap_h(l10, 3, 3, fobj(0), (struct framewalk_heapctx){.depth_top = 1}).why ==
          WALK_FAIL_TORN);
    chain(l10, 3, 0);               /* running: no frame more */
    CHECK(walk_heap_h(l10, 3, 3, fobj(0), (struct framewalk_heapctx){.depth_top = 2}).why ==
          WALK_FAIL_TORN);

    /* The snapshot is what counts: memory changed since (2 reused and
     * 0 freed) does not matter for frames it holds ... */
    chain(l, 5, 0);
    struct mem mm;
    mem_init(&mm, 0);
    memcpy(snapheap, heap, 5 * FSTRIDE);
    mm.snapheap = snapheap;
    mm.nsnap = 5;
    put_fobj(l, 2, 1, fobj(4), 6);
    put_fobj(l, 0, 0, 0, 6);
    memimage_add(mm.m, HEAP, heap, 5 * FSTRIDE);
    o = walk_h(l, &mm, 0, fobj(2), (struct framewalk_heapctx){0});
    CHECK(o.why == WALK_OK && o.depth == 5 && o.frames[2].code == code(2));
    /* ... and a caller it lacks is read now, and must be running */
    mm.nsnap = 3;
    o = walk_h(l, &mm, 0, fobj(2), (struct framewalk_heapctx){0});
    CHECK(o.why == WALK_OK && o.depth == 5);
    put_fobj(l, 3, 0, fobj(4), 3);
    memimage_free(mm.m);
    mm.m = memimage_new();
    memimage_add(mm.m, HEAP, heap, 5 * FSTRIDE);
    o = walk_h(l, &mm, 0, fobj(2), (struct framewalk_heapctx){0});
    CHECK(o.why == WALK_FAIL_TORN);
    memimage_free(mm.m);

    /* A loop among running frames of the snapshot: no top to climb to. */
    chain(l, 3, fobj(0));
    CHECK(walk_heap_h(l, 3, 3, fobj(0), (struct framewalk_heapctx){0}).why == WALK_FAIL_TORN);
}

/* 3.10: a frame in the last steps of its return (f_state RETURNED, still
 * referenced) is the top of its stack, unless it was so in the last
 * snapshot too (someone holds it). */
static void test_returning_310(void)
{
    const struct py_layout *l = pylayout_for_version(3, 10), *l9 = pylayout_for_version(3, 9);
    struct framewalk_out o;

    chain(l, 3, 0);                 /* frame by frame: the thread state names it */
    put_fobj_state(l, 0, 1, fobj(1), 0, 1);
    o = walk_heap(l, 3, fobj(0));
    CHECK(o.why == WALK_OK && o.depth == 3 && o.frames[0].code == code(0));
    chain(l9, 3, 0);                /* 3.9 has no such state: not running */
    put_fobj_state(l9, 0, 1, fobj(1), 0, 0);
    CHECK(walk_heap(l9, 3, fobj(0)).why == WALK_FAIL_TORN);

    /* Snapshot: 0 (returning) -> 1 -> 2; the thread state named 1 */
    chain(l, 3, 0);
    put_fobj_state(l, 0, 1, fobj(1), 0, 1);
    o = walk_heap_h(l, 3, 3, fobj(1), (struct framewalk_heapctx){0});
    CHECK(o.why == WALK_OK && o.depth == 3 && o.frames[0].code == code(0));
    /* ... a returned frame nobody holds (refcount 0) is not */
    put_fobj_state(l, 0, 0, fobj(1), 0, 1);
    o = walk_heap_h(l, 3, 3, fobj(1), (struct framewalk_heapctx){0});
    CHECK(o.why == WALK_OK && o.depth == 2 && o.frames[0].code == code(1));
    /* ... a running callee of 1 wins over a returning one */
    chain(l, 3, 0);
    put_fobj_state(l, 3, 1, fobj(1), 3, 1);
    o = walk_heap_h(l, 4, 4, fobj(1), (struct framewalk_heapctx){0});
    CHECK(o.why == WALK_OK && o.depth == 3 && o.frames[0].code == code(0));
    /* ... two returning callees: neither */
    chain(l, 3, 0);
    put_fobj_state(l, 0, 1, fobj(1), 0, 1);
    put_fobj_state(l, 3, 1, fobj(1), 3, 1);
    o = walk_heap_h(l, 4, 4, fobj(1), (struct framewalk_heapctx){0});
    CHECK(o.why == WALK_OK && o.depth == 2 && o.frames[0].code == code(1));

    /* Two snapshots of one walker: returning at the same instruction in
     * both is a held frame object; at another instruction, a new return. */
    struct framewalk *fw = NULL;
    struct mem mm;
    CHECK(framewalk_new(l, FRAME_TYPE, &fw) == 0);
    chain(l, 3, 0);
    put_fobj_state(l, 0, 1, fobj(1), 0, 1);
    int depths[3];
    for (int round = 0; round < 3; round++) {
        if (round == 2) {
            int32_t lasti = 8;
            memcpy(heap + l->frame_lasti, &lasti, sizeof lasti);
        }
        mem_init(&mm, 0);
        memcpy(snapheap, heap, 3 * FSTRIDE);
        mm.snapheap = snapheap;
        mm.nsnap = 3;
        memimage_add(mm.m, HEAP, heap, 3 * FSTRIDE);
        mm.r = memimage_reader(mm.m);
        struct framewalk_mem m = {.ctx = &mm, .bytes = mem_bytes, .prefix = mem_prefix,
                                  .code = mem_code, .heap_frame = mem_heap_frame,
                                  .heap_gen = (unsigned)round + 1};
        struct framewalk_heapctx h = {0};
        o = (struct framewalk_out){.why = WALK_FAIL_READ};
        CHECK(framewalk_thread(fw, &m, 0, fobj(1), &h, &o) == 0 && o.why == WALK_OK);
        depths[round] = o.depth;
        memimage_free(mm.m);
    }
    CHECK(depths[0] == 3 && depths[1] == 2 && depths[2] == 3);
    framewalk_free(fw);
}

/* ------------------------------------------------------------ 3.11+ data stack */

#define FS 16                   /* words per frame of most code objects here */
#define BIG 120                 /* words: the slot above lies past the first snapshot */

static uint8_t chunkbuf[CHUNK_SIZE];

static uint64_t slot(int words)
{
    return CHUNK + 24 + 8 * (uint64_t)words;
}

/* A frame at addr: code j (0: popped), previous, instruction unit, owner. */
static void put_frame(const struct py_layout *l, uint8_t *mem, uint64_t base, uint64_t addr,
                      int j, uint64_t prev, int unit, int owner)
{
    uint8_t *b = mem + (addr - base);
    memset(b, 0, (size_t)l->frame_size);
    uint64_t c = j < 0 ? 0 : code(j);
    put64(b, l->frame_code, c ? c | (l->minor >= 14 ? 1 : 0) : (l->minor >= 14 ? 1 : 0));
    put64(b, l->frame_back, prev);
    put64(b, l->frame_lasti, code(j < 0 ? 0 : j) + (uint64_t)l->code_code_adaptive + 2 * (uint64_t)unit);
    b[l->frame_owner] = (uint8_t)owner;
}

/* The chunk: B (code 0) at the bottom, C (code 1) on it, the slot above C. */
static void stack3(const struct py_layout *l)
{
    memset(chunkbuf, 0, sizeof chunkbuf);
    put64(chunkbuf, 8, CHUNK_SIZE);
    put_frame(l, chunkbuf, CHUNK, slot(0), 0, 0, 3, 0);
    put_frame(l, chunkbuf, CHUNK, slot(FS), 1, slot(0), 5, 0);
}

static struct framewalk_out walk_chunk(const struct py_layout *l, struct mem *mm, uint64_t top)
{
    memimage_add(mm->m, CHUNK, chunkbuf, sizeof chunkbuf);
    struct framewalk_out out = walk(l, mm, CHUNK, top);
    memimage_free(mm->m);
    return out;
}

static struct framewalk_out walk_stack(const struct py_layout *l, uint64_t top)
{
    struct mem mm;
    mem_init(&mm, FS);
    mm.facts[3].flags = 0x20;       /* code 3: a generator function's */
    return walk_chunk(l, &mm, top);
}

static int stack_is(struct framewalk_out o, int n, const int *codes)
{
    if (o.why != WALK_OK || o.depth != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (o.frames[i].code != code(codes[i]))
            return 0;
    return 1;
}

static void test_top_314(void)
{
    const struct py_layout *l = pylayout_for_version(3, 14);
    static const int lcb[] = {2, 1, 0}, cb[] = {1, 0};

    stack3(l);                      /* L live: the thread state's frame is the top */
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), 2, slot(FS), 7, 0);
    CHECK(stack_is(walk_stack(l, slot(2 * FS)), 3, lcb));
    stack3(l);                      /* L popped since: C is the top */
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), -1, slot(FS), 7, 0);
    CHECK(stack_is(walk_stack(l, slot(2 * FS)), 2, cb));
    stack3(l);                      /* L pushed since the thread state named C: */
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), 2, slot(FS), 7, 0);
    CHECK(stack_is(walk_stack(l, slot(FS)), 2, cb));   /* not of that moment */
    stack3(l);                      /* the slot above C: popped */
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), -1, slot(FS), 7, 0);
    CHECK(stack_is(walk_stack(l, slot(FS)), 2, cb));
    stack3(l);                      /* ... what RETURN_GENERATOR left */
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), 3, slot(FS), 1, 0);
    CHECK(stack_is(walk_stack(l, slot(FS)), 2, cb));
    stack3(l);                      /* ... a frame of another caller */
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), 2, slot(0), 7, 0);
    CHECK(stack_is(walk_stack(l, slot(FS)), 2, cb));
    stack3(l);                      /* ... a frame being written: no position yet */
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), 2, slot(FS), UNITS + 9, 0);
    CHECK(stack_is(walk_stack(l, slot(FS)), 2, cb));

    /* C's frame is big: L, named, lies past the first snapshot. */
    struct mem mm;
    mem_init(&mm, FS);
    mm.facts[1].framesize = BIG;
    stack3(l);
    put_frame(l, chunkbuf, CHUNK, slot(FS + BIG), 2, slot(FS), 7, 0);
    CHECK(stack_is(walk_chunk(l, &mm, slot(FS + BIG)), 3, lcb));
}

/* One walk of the chunk as it is now, by walker fw (what it remembers of
 * the slots carries over); *asked (may be NULL) gets the longest chunk
 * prefix it asked for. */
static struct framewalk_out walk_fw_asked(struct framewalk *fw, uint64_t top, size_t *asked)
{
    struct mem mm;
    mem_init(&mm, FS);
    memimage_add(mm.m, CHUNK, chunkbuf, sizeof chunkbuf);
    mm.r = memimage_reader(mm.m);
    struct framewalk_mem m = {.ctx = &mm, .bytes = mem_bytes, .prefix = mem_prefix,
                              .code = mem_code, .heap_frame = mem_heap_frame};
    struct framewalk_out o = {.why = WALK_FAIL_READ};
    CHECK(framewalk_thread(fw, &m, CHUNK, top, NULL, &o) == 0);
    static struct framewalk_frame keep[WALK_MAX_DEPTH];
    memcpy(keep, o.frames, (size_t)o.depth * sizeof keep[0]);
    o.frames = keep;
    if (asked)
        *asked = mm.asked;
    memimage_free(mm.m);
    return o;
}

static struct framewalk_out walk_fw(struct framewalk *fw, uint64_t top)
{
    return walk_fw_asked(fw, top, NULL);
}

/* 3.14+: the thread state named L, popped before the copy: known by the
 * code its slot held when last walked, when its instruction pointer lies
 * inside that code (a pop clears the code reference only), and the same
 * for its callers popped with it; else the copy's moment below it. */
static void test_popped_314(void)
{
    const struct py_layout *l = pylayout_for_version(3, 14);
    static const int lcb[] = {2, 1, 0}, cb[] = {1, 0};
    struct framewalk *fw = NULL;
    CHECK(framewalk_new(l, FRAME_TYPE, &fw) == 0);

    stack3(l);                      /* never seen live: the copy's moment */
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), -1, slot(FS), 7, 0);
    CHECK(stack_is(walk_fw(fw, slot(2 * FS)), 2, cb));
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), 2, slot(FS), 7, 0);
    struct framewalk_out o = walk_fw(fw, slot(2 * FS));     /* seen live */
    CHECK(stack_is(o, 3, lcb) && o.frames[0].pos == 14);
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), -1, slot(FS), 9, 0);
    put64(chunkbuf + (slot(2 * FS) - CHUNK), l->frame_lasti,
          code(2) + (uint64_t)l->code_code_adaptive + 2 * 9);
    o = walk_fw(fw, slot(2 * FS));  /* popped since: L where it returned */
    CHECK(stack_is(o, 3, lcb) && o.frames[0].pos == 18);
    put64(chunkbuf + (slot(2 * FS) - CHUNK), l->frame_lasti,
          code(3) + (uint64_t)l->code_code_adaptive + 2 * 9);
    CHECK(stack_is(walk_fw(fw, slot(2 * FS)), 2, cb));    /* inside another code */

    /* L and C popped: both known, down to B */
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), -1, slot(FS), 9, 0);
    put64(chunkbuf + (slot(2 * FS) - CHUNK), l->frame_lasti,
          code(2) + (uint64_t)l->code_code_adaptive + 2 * 9);
    put_frame(l, chunkbuf, CHUNK, slot(FS), -1, slot(0), 5, 0);
    put64(chunkbuf + (slot(FS) - CHUNK), l->frame_lasti,
          code(1) + (uint64_t)l->code_code_adaptive + 2 * 5);
    CHECK(stack_is(walk_fw(fw, slot(2 * FS)), 3, lcb));
    /* ... C unknown (its slot never walked by this walker): B's moment */
    framewalk_free(fw);
    CHECK(framewalk_new(l, FRAME_TYPE, &fw) == 0);
    put_frame(l, chunkbuf, CHUNK, slot(FS), 1, slot(0), 5, 0);
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), 2, slot(FS), 7, 0);
    CHECK(stack_is(walk_fw(fw, slot(2 * FS)), 3, lcb));
    put_frame(l, chunkbuf, CHUNK, slot(FS), -1, slot(0), 5, 0);
    put64(chunkbuf + (slot(FS) - CHUNK), l->frame_lasti,
          code(1) + (uint64_t)l->code_code_adaptive + 2 * 5);
    memset(chunkbuf + (slot(2 * FS) - CHUNK), 0, (size_t)l->frame_size);
    CHECK(stack_is(walk_fw(fw, slot(FS)), 2, cb));   /* C known by its slot */
    put_frame(l, chunkbuf, CHUNK, slot(0), -1, 0, 3, 0);  /* all popped: nothing */
    CHECK(walk_fw(fw, slot(0)).why == WALK_FAIL_TORN);  /* live to stand on */
    framewalk_free(fw);
}

/* 3.14+: a snapshot of the chunk reaches as far as recent walks needed,
 * so a stack that grew and shrank since is copied whole; the reach falls
 * back slowly once no walk needs it. */
static void test_reach_314(void)
{
    const struct py_layout *l = pylayout_for_version(3, 14);
    static const int lcb[] = {2, 1, 0}, cb[] = {1, 0};
    struct framewalk *fw = NULL;
    CHECK(framewalk_new(l, FRAME_TYPE, &fw) == 0);
    size_t asked[40];
    for (int n = 0; n < 40; n++) {
        stack3(l);
        put_frame(l, chunkbuf, CHUNK, slot(2 * FS), n ? -1 : 2, slot(FS), 7, 0);
        struct framewalk_out o = walk_fw_asked(fw, n ? slot(FS) : slot(2 * FS), &asked[n]);
        CHECK(n ? stack_is(o, 2, cb) : stack_is(o, 3, lcb));
    }
    /* The first walk (the chunk's size not yet known) reads what it needs;
     * its top was one frame higher than the next ones', which read as far
     * as it needed and more (8 * FS bytes more than they need), a little
     * less each time. */
    CHECK(asked[1] > asked[0] && asked[2] < asked[1] && asked[39] < asked[2]);
    CHECK(asked[39] > asked[1] - 8 * FS);
    framewalk_free(fw);
}

static void test_checks_313(void)
{
    const struct py_layout *l = pylayout_for_version(3, 13);
    static const int lcb[] = {2, 1, 0}, cb[] = {1, 0};

    stack3(l);                      /* no pop marks: the thread state's frame stands */
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), 2, slot(FS), 7, 0);
    CHECK(stack_is(walk_stack(l, slot(2 * FS)), 3, lcb));
    CHECK(stack_is(walk_stack(l, slot(FS)), 2, cb));

    stack3(l);                      /* a callee not where its caller pushes */
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS + 2), 2, slot(FS), 7, 0);
    CHECK(walk_stack(l, slot(2 * FS + 2)).why == WALK_FAIL_TORN);
    stack3(l);                      /* a previous pointing up the chunk */
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), 2, slot(3 * FS), 7, 0);
    put_frame(l, chunkbuf, CHUNK, slot(3 * FS), 1, slot(0), 7, 0);
    CHECK(walk_stack(l, slot(2 * FS)).why == WALK_FAIL_TORN);
    stack3(l);                      /* an instruction outside its code */
    put_frame(l, chunkbuf, CHUNK, slot(FS), 1, slot(0), UNITS, 0);
    CHECK(walk_stack(l, slot(FS)).why == WALK_FAIL_TORN);
    stack3(l);                      /* a popped frame (zeroed slot) in the chain */
    put_frame(l, chunkbuf, CHUNK, slot(FS), -1, slot(0), 0, 0);
    CHECK(walk_stack(l, slot(FS)).why == WALK_FAIL_TORN);
}

/* Frames outside the chunk: generators on the heap, a C-stack entry frame. */
static void test_outside_313(void)
{
    const struct py_layout *l = pylayout_for_version(3, 13);
    static uint8_t gens[0x400], cstack[0x100];
    static const int gcb[] = {2, 1, 0};
    struct mem mm;

    /* L (in the chunk) -> entry frame on the C stack -> C: the shim is left out. */
    mem_init(&mm, FS);
    stack3(l);
    put_frame(l, chunkbuf, CHUNK, slot(2 * FS), 2, CSTACK, 7, 0);
    put_frame(l, cstack, CSTACK, CSTACK, 0, slot(FS), 0, l->owner_cstack);
    memimage_add(mm.m, CSTACK, cstack, sizeof cstack);
    CHECK(stack_is(walk_chunk(l, &mm, slot(2 * FS)), 3, gcb));

    /* Two generator frames that resume each other: a loop. */
    mem_init(&mm, FS);
    stack3(l);
    put_frame(l, gens, HEAP, HEAP, 2, HEAP + 0x200, 7, 1);
    put_frame(l, gens, HEAP, HEAP + 0x200, 2, HEAP, 7, 1);
    memimage_add(mm.m, HEAP, gens, sizeof gens);
    CHECK(walk_chunk(l, &mm, HEAP).why == WALK_FAIL_CYCLE);

    /* A generator frame that is not running (no previous) */
    mem_init(&mm, FS);
    stack3(l);
    put_frame(l, gens, HEAP, HEAP, 2, 0, 7, 1);
    memimage_add(mm.m, HEAP, gens, sizeof gens);
    CHECK(walk_chunk(l, &mm, HEAP).why == WALK_FAIL_TORN);

    /* A thread-owned top outside the thread's chunk: not a current frame. */
    mem_init(&mm, FS);
    stack3(l);
    put_frame(l, gens, HEAP, HEAP, 2, slot(FS), 7, 0);
    memimage_add(mm.m, HEAP, gens, sizeof gens);
    struct framewalk_out o = walk_chunk(l, &mm, HEAP);
    CHECK(o.why == WALK_FAIL_TORN);
}

int main(void)
{
    test_objects();
    test_heap_snapshot();
    test_returning_310();
    test_top_314();
    test_popped_314();
    test_reach_314();
    test_checks_313();
    test_outside_313();
    return check_report("framewalk");
}
