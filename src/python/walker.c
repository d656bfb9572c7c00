/* SPDX-License-Identifier: MIT */
/* Walks CPython thread states and frame chains in a target's memory. Each
 * round starts with one batched read of the ranges the previous round used
 * (its "plan"); the walk then serves its reads from those bytes and reads
 * only what they lack. See walker.h for the cost model. */
#include "walker.h"

#include <stdlib.h>
#include <string.h>

#include "codecache.h"
#include "error.h"
#include "pytarget.h"
#include "reader.h"

#define STRUCT_MAX 4096         /* largest struct prefix we read in one go */
#define CHUNK_MAX (1u << 16)    /* largest part of a data-stack chunk read at once */
#define PAGE 4096u
#define REGION_MAX (1u << 17)   /* longest merged region */
#define PLAN_MAX 16384          /* ranges planned per round */
#define CACHE_MAX_BYTES (8u << 20)
#define UMAP_SIZE 16384         /* distinct code objects per round: hash slots (power of two) */
#define UCODES_MAX (UMAP_SIZE / 2)
#define HDR_BATCH 256           /* code headers read per batch when the cache lacks them */
#define HDR_MAX 512

/* Read groups, in the order a dependent walk needs them; a batch reads
 * them in this order, so pointers are read before what they point to. */
enum group { G_LIST, G_FRAMEPTR, G_FRAMES, G_CODES, G_COUNT };

struct range {
    uint64_t addr;
    uint32_t len;
    uint32_t group;
};

struct region {
    uint64_t addr;
    uint32_t len;
    uint32_t off;               /* where its bytes are in cache */
};

/* A frame as collected: its code object and instruction offset. */
struct rframe {
    uint64_t code;
    int32_t pos;
    int32_t ucode;              /* index into the round's code map, -1 when full */
};

/* A code object seen in this round. */
struct ucode {
    uint64_t addr;
    uint32_t stamp;             /* round it belongs to; older slots are free */
    int32_t state;              /* 0 unresolved, 1 resolved, < 0 error */
    struct code_entry *e;
};

struct walker {
    struct pytarget *t;
    struct codecache *codes;
    uint32_t round;
    /* the plan being built for the next round, and a copy of the last
     * one in planning order (to see whether the regions can stay) */
    struct range plan[PLAN_MAX], used[PLAN_MAX];
    int nplan, nused;
    struct region regions[PLAN_MAX];
    struct read_req reqs[PLAN_MAX];
    int nregions, gfirst[G_COUNT + 1];
    uint8_t *cache;
    size_t cache_cap;
    unsigned syscalls;
    unsigned long bytes;
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
    uint8_t chunkbuf[CHUNK_MAX];
    uint8_t hdrs[HDR_BATCH][HDR_MAX];
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

int walker_new(struct pytarget *t, struct codecache *c, struct walker **out)
{
    struct walker *w = calloc(1, sizeof *w);
    if (!w)
        return ERR_NOMEM;
    w->t = t;
    w->codes = c;
    *out = w;
    return 0;
}

void walker_free(struct walker *w)
{
    if (!w)
        return;
    free(w->cache);
    free(w->stacks);
    free(w->first);
    free(w->raw);
    free(w->frames);
    free(w);
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

/* ------------------------------------------------------------ the plan */

/* Note that this round used [addr, addr + len): the next round reads it
 * up front. Ranges beyond the bound are simply not planned. */
static void plan_add(struct walker *w, enum group g, uint64_t addr, size_t len)
{
    if (w->nplan < PLAN_MAX && len && len <= REGION_MAX)
        w->plan[w->nplan++] = (struct range){.addr = addr, .len = (uint32_t)len, .group = g};
}

static int range_cmp(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    if (x->group != y->group)
        return (x->group > y->group) - (x->group < y->group);
    return (x->addr > y->addr) - (x->addr < y->addr);
}

/* Sort the plan and merge ranges of one group whose pages touch: an iovec
 * costs the kernel about 0.3 us, about as much as copying 4 KiB (measured:
 * capping the gaps copied at 2 KiB made 3.8 no faster), and a span of
 * contiguous pages holding mapped ranges is itself mapped. */
static void plan_to_regions(struct walker *w)
{
    qsort(w->plan, (size_t)w->nplan, sizeof w->plan[0], range_cmp);
    int n = 0;
    uint32_t off = 0;
    for (int g = 0, i = 0; g < G_COUNT; g++) {
        w->gfirst[g] = n;
        for (; i < w->nplan && w->plan[i].group == (uint32_t)g; i++) {
            const struct range *r = &w->plan[i];
            struct region *last = n > w->gfirst[g] ? &w->regions[n - 1] : NULL;
            uint64_t end = last ? last->addr + last->len : 0, r_end = r->addr + r->len;
            if (last && r->addr / PAGE <= (end - 1) / PAGE + 1 && r_end - last->addr <= REGION_MAX) {
                uint32_t extra = r_end > end ? (uint32_t)(r_end - end) : 0;
                if (off + extra <= CACHE_MAX_BYTES) {
                    off += extra;
                    last->len += extra;
                }
                continue;
            }
            if (off + r->len > CACHE_MAX_BYTES)
                continue;
            w->regions[n++] = (struct region){.addr = r->addr, .len = r->len, .off = off};
            off += r->len;
        }
    }
    w->gfirst[G_COUNT] = n;
    w->nregions = n;
}

/* Read this round's planned ranges in one batch. On failure (something
 * planned was freed) the round runs without the cache. A steady target
 * plans the same ranges as last time (compared in planning order): then
 * the regions are still right. */
static int cache_fill(struct walker *w)
{
    int same = w->nplan == w->nused &&
               memcmp(w->plan, w->used, (size_t)w->nplan * sizeof w->plan[0]) == 0;
    if (!same) {
        memcpy(w->used, w->plan, (size_t)w->nplan * sizeof w->plan[0]);
        w->nused = w->nplan;
        plan_to_regions(w);
    }
    w->nplan = 0;
    if (!w->nregions)
        return 0;
    const struct region *last = &w->regions[w->nregions - 1];
    size_t need = (size_t)last->off + last->len;
    if (need > w->cache_cap) {
        uint8_t *p = realloc(w->cache, need);
        if (!p) {
            w->nregions = w->nused = 0;
            return 0;
        }
        w->cache = p;
        w->cache_cap = need;
    }
    for (int i = 0; i < w->nregions; i++) {
        const struct region *r = &w->regions[i];
        w->reqs[i] = (struct read_req){.addr = r->addr, .len = r->len, .buf = w->cache + r->off};
        w->bytes += r->len;
    }
    int rc = reader_readv(w->t->r, w->reqs, w->nregions);
    if (rc < 0) {
        w->nregions = 0;
        w->nused = 0;           /* rebuild the regions next time */
    }
    return rc == ERR_EXITED ? rc : 0;
}

/* This round's bytes of [addr, addr + len) in group g, or NULL. */
static const uint8_t *cache_find(const struct walker *w, enum group g, uint64_t addr, size_t len)
{
    int lo = w->gfirst[g], hi = w->gfirst[g + 1];
    if (!w->nregions)
        return NULL;
    while (lo < hi) {           /* first region starting after addr */
        int mid = lo + (hi - lo) / 2;
        if (w->regions[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == w->gfirst[g])
        return NULL;
    const struct region *r = &w->regions[lo - 1];
    if (addr - r->addr + len > r->len)
        return NULL;
    return w->cache + r->off + (addr - r->addr);
}

/* The bytes of [addr, addr + len) for this round: cached, or read into
 * buf. Plans the range for the next round when plan is set. */
static const uint8_t *fetch(struct walker *w, enum group g, uint64_t addr, size_t len,
                            uint8_t *buf, int plan, int *rc)
{
    const uint8_t *p = cache_find(w, g, addr, len);
    if (!p) {
        if ((*rc = reader_read(w->t->r, addr, len, buf)) < 0)
            return NULL;
        w->bytes += len;
        p = buf;
    }
    if (plan)
        plan_add(w, g, addr, len);
    return p;
}

static int fetch_ptr(struct walker *w, enum group g, uint64_t addr, uint64_t *v)
{
    uint8_t buf[8];
    int rc = 0;
    const uint8_t *p = fetch(w, g, addr, sizeof buf, buf, 1, &rc);
    if (!p)
        return rc;
    memcpy(v, p, sizeof *v);
    return 0;
}

/* ------------------------------------------------------------ frames */

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

/* 3.11+: the thread's current data-stack chunk up to the top frame (frames
 * below the top sit at lower addresses in the same chunk), planned as is:
 * reading past the top frame, where the target is about to push frames,
 * would make it fetch those cache lines back from us at every call. */
static const uint8_t *load_chunk(struct walker *w, uint64_t chunk, uint64_t top, size_t *len)
{
    size_t fsize = (size_t)w->t->layout.frame_size;
    *len = 0;
    if (w->t->layout.frame_model != FRAME_MODEL_INTERP || !reader_addr_ok(chunk, 8) ||
        top <= chunk || top - chunk + fsize > CHUNK_MAX)
        return NULL;
    int rc = 0;
    const uint8_t *p = fetch(w, G_FRAMES, chunk, (size_t)(top - chunk) + fsize, w->chunkbuf, 1, &rc);
    if (p)
        *len = (size_t)(top - chunk) + fsize;
    return p;
}

/* Append a frame to the round's frames. */
static int push_frame(struct walker *w, uint64_t code, int pos)
{
    int rc = grow(&w->raw, &w->cap_raw, sizeof *w->raw, w->nframes + 1, WALK_MAX_ROUND_FRAMES);
    if (rc == 0)
        w->raw[w->nframes++] = (struct rframe){.code = code, .pos = pos};
    return rc;
}

/* Follow one thread's frame chain from frame, noting each real frame's
 * code object and instruction offset. */
static int collect(struct walker *w, struct walk_stack *st, uint64_t chunk, uint64_t frame)
{
    const struct py_layout *l = &w->t->layout;
    size_t fsize = (size_t)l->frame_size, clen;
    uint8_t buf[STRUCT_MAX];
    const uint8_t *cbuf = load_chunk(w, chunk, frame, &clen);
    /* Bounded by WALK_MAX_DEPTH real frames plus as many shims; a cycle in
     * the chain ends at the bound like a very deep stack. */
    for (int steps = 0; frame && steps < 2 * WALK_MAX_DEPTH; steps++) {
        if (st->depth == WALK_MAX_DEPTH) {
            st->truncated = 1;
            return 0;
        }
        if (!reader_addr_ok(frame, 8))
            return ERR_CORRUPT;
        int rc = 0;
        const uint8_t *fb;
        if (cbuf && frame >= chunk && frame - chunk + fsize <= clen)
            fb = cbuf + (frame - chunk);
        else if (!(fb = fetch(w, G_FRAMES, frame, fsize, buf, 1, &rc)))
            return rc;
        /* 3.14+: f_executable is a _PyStackRef: the low bits are tags. */
        uint64_t code = get_ptr(fb, l->frame_code) & ~l->frame_code_tag_mask;
        int addr = 0, real = frame_position(l, fb, code, &addr);
        if (real < 0 || (real && !reader_addr_ok(code, 8)))
            return ERR_CORRUPT;
        if (real && (rc = push_frame(w, code, addr)) < 0)
            return rc;
        st->depth += real;
        uint64_t back = get_ptr(fb, l->frame_back);
        if (back == frame)
            return ERR_CORRUPT;
        frame = back;
    }
    if (frame)
        st->truncated = 1;
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
    const uint8_t *p = fetch(w, G_FRAMEPTR, ident + (uint64_t)t->pthread_tid_off, 4, buf, 1, &rc);
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

/* One thread state: its stack into a new walk_stack; *next gets the next
 * thread state. Fails the round only when the thread state itself cannot
 * be read (or the target is gone); a bad stack just fails the stack. */
static int walk_thread(struct walker *w, uint64_t interp, uint64_t ts, uint64_t *next)
{
    const struct py_layout *l = &w->t->layout;
    uint8_t buf[STRUCT_MAX];
    int rc = 0;
    const uint8_t *tb = fetch(w, G_LIST, ts, tstate_prefix(l), buf, 1, &rc);
    if (!tb)
        return rc;
    *next = get_ptr(tb, l->tstate_next);
    struct walk_stack *st = new_stack(w);
    if (!st) {
        *next = 0;              /* too many threads: the rest is not sampled */
        return 0;
    }
    uint64_t frame = get_ptr(tb, l->tstate_frame), chunk = get_ptr(tb, l->tstate_datastack_chunk);
    st->interp = interp;
    st->ident = get_ptr(tb, l->tstate_thread_id);
    st->tid = thread_tid(w, st->ident, get_ptr(tb, l->tstate_native_thread_id));
    if (frame && l->cframe_current_frame >= 0) {
        /* 3.11/3.12: tstate->cframe->current_frame (pycore_frame.h) */
        rc = reader_addr_ok(frame, 8) ? fetch_ptr(w, G_FRAMEPTR, frame + (uint64_t)l->cframe_current_frame, &frame)
                                      : ERR_CORRUPT;
    }
    if (rc == 0)
        rc = collect(w, st, chunk, frame);
    if (rc < 0) {
        w->nframes = (int)w->first[w->nstacks - 1];
        st->depth = 0;
        st->failed = 1;
        st->why = rc == ERR_CORRUPT ? WALK_FAIL_CORRUPT : WALK_FAIL_READ;
    }
    return rc == ERR_EXITED ? rc : 0;
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

/* Validate code objects against their headers, which this round read:
 * the cache has most; the rest are read in batches of HDR_BATCH. */
static int resolve_codes(struct walker *w)
{
    size_t hsize = codecache_header_size(w->t);
    if (hsize > HDR_MAX)
        return ERR_CORRUPT;
    for (int i = 0; i < w->nucodes;) {
        struct read_req reqs[HDR_BATCH];
        int batch[HDR_BATCH], nb = 0;
        for (; i < w->nucodes && nb < HDR_BATCH; i++) {
            struct ucode *u = &w->umap[w->ulist[i]];
            const uint8_t *h = cache_find(w, G_CODES, u->addr, hsize);
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
    for (int i = 0; i < w->nucodes; i++)
        if (w->umap[w->ulist[i]].state > 0)
            plan_add(w, G_CODES, w->umap[w->ulist[i]].addr, hsize);
    return 0;
}

/* 3.13+ push a frame of the static code object _Py_InitCleanup
 * (Python/specialize.c) under the __init__ of a class called through
 * CALL_ALLOC_AND_ENTER_INIT. It is an interpreter shim, not user code:
 * its co_filename, co_name and co_qualname are the same str, "__init__",
 * which no real code object has. */
static int init_shim(const struct code_entry *e)
{
    return e->id_fields[0] == e->id_fields[1];
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
            if (init_shim(u->e))
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

int walker_round(struct walker *w)
{
    unsigned long reads = w->t->r->reads;
    if (++w->round == 0) {      /* stamps wrapped: forget them all */
        memset(w->umap, 0, sizeof w->umap);
        w->round = 1;
    }
    w->nstacks = w->nframes = w->nucodes = 0;
    w->bytes = 0;
    /* Layouts from _Py_DebugOffsets are data too: the buffers must fit. */
    const struct py_layout *l = &w->t->layout;
    if (tstate_prefix(l) > STRUCT_MAX || l->frame_size <= 0 || l->frame_size > STRUCT_MAX)
        return ERR_CORRUPT;
    codecache_new_round(w->codes);
    int rc = cache_fill(w);
    if (rc == 0)
        rc = walk_threads(w);
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
