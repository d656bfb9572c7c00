/* SPDX-License-Identifier: MIT */
/* Reading one asyncio task: its type, name, coroutine chain and awaiter. */
#include "taskwalk_impl.h"

#include <stdio.h>
#include <string.h>

#include "codecache.h"
#include "error.h"
#include "pylayout.h"
#include "pylong.h"
#include "pyobj.h"
#include "pyset.h"
#include "pystr.h"
#include "pytarget.h"
#include "reader.h"

#define TP_BASE 256             /* PyTypeObject.tp_base, the same 3.8-3.15 */
#define MAX_BASES 16            /* base classes followed at most */
#define FUTITER_FUTURE 16       /* FutureIter.future (_asynciomodule.c) */
#define MAX_HOPS 16             /* futures followed from a task to its awaiter */
#define GEN_READ TASKHINT_BYTES /* a generator's head, frame and usually its value stack */
#define SMALL_READ 24           /* an object's head and one field */

static uint64_t get_ptr(const uint8_t *p, int32_t off)
{
    uint64_t v;
    memcpy(&v, p + off, sizeof v);
    return v;
}

static enum task_kind kind_of_name(const char *n)
{
    static const struct { const char *name; enum task_kind kind; } names[] = {
        {"_asyncio.Task", TK_TASK}, {"_asyncio.Future", TK_FUTURE},
        {"_GatheringFuture", TK_GATHER}, {"coroutine", TK_CORO}, {"generator", TK_GEN},
        {"_asyncio.FutureIter", TK_FUTITER}, {"str", TK_STR}, {"int", TK_INT},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(n, names[i].name) == 0)
            return names[i].kind;
    return TK_OTHER;
}

/* The kind of a type by its name, or its bases' (a subclass of Task is a
 * Task); only _asyncio's own C types and the builtins count by name. */
static enum task_kind classify(struct reader *r, const struct py_layout *l, uint64_t type)
{
    for (int depth = 0; depth < MAX_BASES && reader_addr_ok(type, 8); depth++) {
        uint64_t name;
        char buf[32];
        if (reader_read_ptr(r, type + (uint64_t)l->type_name, &name) < 0 || !reader_addr_ok(name, 1))
            return TK_OTHER;
        size_t len = 4096 - (size_t)(name % 4096);
        len = len < sizeof buf - 1 ? len : sizeof buf - 1;
        if (reader_read(r, name, len, buf) < 0)
            return TK_OTHER;
        buf[len] = '\0';
        enum task_kind k = kind_of_name(buf);
        if (k == TK_GATHER || (depth == 0 ? k != TK_OTHER : (k == TK_TASK || k == TK_FUTURE)))
            return k;
        if (reader_read_ptr(r, type + TP_BASE, &type) < 0)
            return TK_OTHER;
    }
    return TK_OTHER;
}

enum task_kind tasktypes_kind(struct task_types *tt, struct reader *r, const struct py_layout *l,
                              uint64_t type)
{
    if (!reader_addr_ok(type, 8))
        return TK_OTHER;
    for (int i = 0; i < tt->n; i++)
        if (tt->addr[i] == type)
            return (enum task_kind)tt->kind[i];
    enum task_kind k = classify(r, l, type);
    if (tt->n < TASKTYPES_MAX) {
        tt->addr[tt->n] = type;
        tt->kind[tt->n++] = (uint8_t)k;
    }
    return k;
}

enum task_kind tasktypes_obj(struct task_types *tt, struct reader *r, const struct py_layout *l,
                             uint64_t obj)
{
    uint64_t type;
    if (!reader_addr_ok(obj, 8) || reader_read_ptr(r, obj + (uint64_t)l->ob_type, &type) < 0)
        return TK_OTHER;
    return tasktypes_kind(tt, r, l, type);
}

int taskread_name(struct taskread_ctx *x, uint64_t name_obj, char *buf, size_t cap)
{
    struct reader *r = x->t->r;
    const struct py_layout *l = &x->t->layout;
    enum task_kind k = tasktypes_obj(x->types, r, l, name_obj);
    if (k == TK_STR) {
        char tmp[TASKWALK_NAME_MAX + 8];
        int rc = pystr_read(r, l, name_obj, tmp, sizeof tmp);
        if (rc < 0)
            return rc;
        snprintf(buf, cap, "%s", tmp);
        return 0;
    }
    /* 3.12+ keeps the counter until get_name() is called: "Task-%d" */
    uint64_t v;
    if (k != TK_INT || pylong_read_u64(r, l, name_obj, &v) < 0)
        return ERR_CORRUPT;
    snprintf(buf, cap, "Task-%llu", (unsigned long long)v);
    return 0;
}

/* ---------------------------------------------------------------- chains */

/* Fetch the hinted objects with one batched read (none when a piece
 * fails: then each is read on its own). */
static void prefetch(struct taskread_ctx *x, const struct task_hint *h)
{
    struct read_req req[TASKHINT_MAX];
    int n = h && h->n <= TASKHINT_MAX ? h->n : 0;
    x->pre_n = 0;
    for (int i = 0; i < n; i++) {
        if (!reader_addr_ok(h->addr[i], 8))
            return;
        req[i] = (struct read_req){h->addr[i], TASKHINT_BYTES, x->pre_buf[i]};
        x->pre_addr[i] = h->addr[i];
    }
    x->pieces += (unsigned long)n;
    if (n && reader_readv(x->t->r, req, n) == 0)
        x->pre_n = n;
}

/* len bytes at addr: from this read's batch when it holds them. */
static int fetch(struct taskread_ctx *x, uint64_t addr, size_t len, void *buf)
{
    for (int i = 0; i < x->pre_n && len <= TASKHINT_BYTES; i++)
        if (x->pre_addr[i] == addr) {
            memcpy(buf, x->pre_buf[i], len);
            return 0;
        }
    return reader_read(x->t->r, addr, len, buf);
}

static void hint_add(struct task_hint *h, uint64_t addr)
{
    if (h && h->n < TASKHINT_MAX)
        h->addr[h->n++] = addr;
}

void taskread_new_round(struct taskread_ctx *x)
{
    memset(x->memo.code, 0, sizeof x->memo.code);
}

static unsigned memo_slot(uint64_t key)
{
    return (unsigned)((key >> 3) * 0x9E3779B97F4A7C15ULL >> 58) & (TASKMEMO - 1);
}

/* The code cache's entry for code, validated once per round. */
static int code_entry(struct taskread_ctx *x, uint64_t code, struct code_entry **e)
{
    unsigned k = memo_slot(code);
    if (code && x->memo.code[k] == code) {
        *e = x->memo.entry[k];
        return 0;
    }
    int rc = codecache_get(x->c, x->t, code, NULL, 0, e);
    if (rc == 0) {
        x->memo.code[k] = code;
        x->memo.entry[k] = *e;
    }
    return rc;
}

struct chain {
    struct taskread_ctx *x;
    struct task_hint *hint;     /* gets the objects walked, may be NULL */
    struct walk_frame *frames;
    int cap, n, truncated;
    uint64_t seen[TASKWALK_MAX_CHAIN];
    int nseen;
};

/* The frame of the generator whose head is in g (at addr) as a walk_frame;
 * *pos gets the instruction's byte offset. */
static int gen_frame(struct chain *ch, uint64_t addr, const uint8_t *g, int *pos)
{
    const struct py_layout *l = &ch->x->t->layout;
    const uint8_t *f = g + ch->x->tl->gen_iframe;
    uint64_t code = get_ptr(f, l->frame_code) & ~l->frame_code_tag_mask;
    struct code_entry *e;
    int rc = code_entry(ch->x, code, &e);
    if (rc < 0)
        return rc;
    int64_t off = (int64_t)(get_ptr(f, l->frame_lasti) - (code + (uint64_t)l->code_code_adaptive));
    int64_t lo = l->lasti_is_prev ? -2 : 0;
    int64_t hi = e->facts.ncodeunits ? 2 * (int64_t)e->facts.ncodeunits : (1 << 28);
    if (off < lo || off >= hi)
        return ERR_CORRUPT;
    *pos = (int)off;
    if (ch->n >= ch->cap) {
        ch->truncated = 1;
        return 0;
    }
    ch->frames[ch->n++] = (struct walk_frame){.code = e, .line = codecache_line(ch->x->t, e, (int)off),
                                              .in_call = (int8_t)codecache_in_call(e, (int)off),
                                              .frame = addr + (uint64_t)ch->x->tl->gen_iframe};
    return 0;
}

/* 3.11, 3.12: suspended in an await/yield from when the next instruction
 * is RESUME with oparg >= 2 (_PyGen_yf in Objects/genobject.c); the answer
 * is remembered per (code, offset). */
static int in_yield_from(struct chain *ch, const uint8_t *g, int state, int pos)
{
    const struct task_layout *tl = ch->x->tl;
    if (tl->state_yf != TASK_STATE_NONE)
        return state == tl->state_yf || state == tl->state_yf2;
    if (state != tl->state_suspended)
        return 0;
    const struct py_layout *l = &ch->x->t->layout;
    uint64_t code = get_ptr(g + tl->gen_iframe, l->frame_code);
    uint64_t key = code ^ ((uint64_t)(uint32_t)pos << 44), prev = get_ptr(g + tl->gen_iframe, l->frame_lasti);
    unsigned k = memo_slot(key);
    if (ch->x->memo.resume_key[k] == key)
        return ch->x->memo.resume_yf[k];
    uint8_t next[2];
    if (reader_read(ch->x->t->r, prev + 2, 2, next) < 0)
        return 0;
    int yf = (next[0] == tl->resume_opcode || next[0] == tl->resume_opcode2) && next[1] >= 2;
    ch->x->memo.resume_key[k] = key;
    ch->x->memo.resume_yf[k] = (int8_t)yf;
    return yf;
}

/* What the suspended frame awaits: its value stack's top (in g, got bytes
 * of the object at addr, when it holds it). 0 when unknown. */
static uint64_t stack_top(struct chain *ch, uint64_t addr, const uint8_t *g, size_t got)
{
    const struct task_layout *tl = ch->x->tl;
    const struct py_layout *l = &ch->x->t->layout;
    uint64_t frame = addr + (uint64_t)tl->gen_iframe, slot, v;
    const uint8_t *f = g + tl->gen_iframe;
    if (tl->frame_stackpointer >= 0) {
        slot = get_ptr(f, tl->frame_stackpointer) - 8 * (uint64_t)tl->yf_depth;
        if (slot < frame + (uint64_t)tl->frame_localsplus || slot - frame > (1u << 20))
            return 0;
    } else {
        int32_t top;
        memcpy(&top, f + tl->frame_stacktop, sizeof top);
        if (top < tl->yf_depth || top > (1 << 16))
            return 0;
        slot = frame + (uint64_t)tl->frame_localsplus + (uint64_t)(top - tl->yf_depth) * 8;
    }
    if (slot + 8 <= addr + got)
        memcpy(&v, g + (slot - addr), sizeof v);
    else if (reader_read_ptr(ch->x->t->r, slot, &v) < 0)
        return 0;
    v &= ~l->frame_code_tag_mask;     /* 3.14+: a tagged _PyStackRef */
    return reader_addr_ok(v, 8) ? v : 0;
}

static int seen_before(struct chain *ch, uint64_t obj)
{
    for (int i = 0; i < ch->nseen; i++)
        if (ch->seen[i] == obj)
            return 1;
    if (ch->nseen < TASKWALK_MAX_CHAIN)
        ch->seen[ch->nseen++] = obj;
    return 0;
}

/* Read the object at addr: GEN_READ bytes (the generator head, its frame
 * and usually its value stack), or when that crosses into unmapped
 * memory the need bytes a generator must have, or the SMALL_READ of a
 * small object (a FutureIter). Returns the bytes read, or 0. */
static size_t read_obj(struct taskread_ctx *x, uint64_t addr, uint8_t *g, size_t need)
{
    struct reader *r = x->t->r;
    if (fetch(x, addr, GEN_READ, g) == 0)
        return GEN_READ;
    if (need <= GEN_READ && reader_read(r, addr, need, g) == 0)
        return need;
    return reader_read(r, addr, SMALL_READ, g) == 0 ? SMALL_READ : 0;
}

/* The end of a chain: what the last coroutine awaits (a future, a task,
 * or a FutureIter over a future), whose head is in g (got bytes). */
static void chain_end(struct chain *ch, uint64_t obj, enum task_kind k, const uint8_t *g,
                      size_t got, struct taskread_more *more)
{
    if (k == TK_FUTITER) {
        uint64_t fut = got >= FUTITER_FUTURE + 8 ? get_ptr(g, FUTITER_FUTURE) : 0;
        more->awaited = reader_addr_ok(fut, 8) ? fut : 0;
        more->awaited_kind = TK_OTHER;
    } else if (k == TK_TASK || k == TK_FUTURE || k == TK_GATHER) {
        more->awaited = obj;
        more->awaited_kind = k;
    }
    (void)ch;
}

/* Follow the coroutine chain from coro, outermost first into ch->frames.
 * more->awaited gets the future or task it ends on. 0 or why it failed. */
static enum walk_fail walk_chain(struct chain *ch, uint64_t coro, struct taskread_more *more)
{
    const struct task_layout *tl = ch->x->tl;
    struct reader *r = ch->x->t->r;
    const struct py_layout *l = &ch->x->t->layout;
    uint8_t g[GEN_READ];
    size_t need = (size_t)(tl->gen_iframe + tl->frame_read);
    for (int hop = 0; hop < TASKWALK_MAX_CHAIN; hop++) {
        if (seen_before(ch, coro))
            return WALK_FAIL_CYCLE;
        size_t got = read_obj(ch->x, coro, g, need);
        if (!got)
            return WALK_FAIL_READ;
        hint_add(ch->hint, coro);
        enum task_kind k = tasktypes_kind(ch->x->types, r, l, get_ptr(g, l->ob_type));
        if (k != TK_CORO && k != TK_GEN) {
            chain_end(ch, coro, k, g, got, more);
            return WALK_OK;
        }
        if (got < need)
            return WALK_FAIL_READ;
        int state = (int8_t)g[tl->gen_frame_state], pos;
        /* Running or finished: no frame to show. A coroutine of the chain
         * of a task read as pending and not running can only be so when
         * it was read at another moment than the running tasks (the task
         * ran a step in between, or an awaited coroutine returned and its
         * awaiter has not resumed yet): a torn read, not a shorter stack. */
        if (state != tl->state_created && state != tl->state_suspended &&
            state != tl->state_yf && state != tl->state_yf2)
            return WALK_FAIL_TORN;
        int rc = gen_frame(ch, coro, g, &pos);
        if (rc < 0)
            return rc == ERR_READ || rc == ERR_EXITED ? WALK_FAIL_READ : WALK_FAIL_CORRUPT;
        if (!in_yield_from(ch, g, state, pos) || !(coro = stack_top(ch, coro, g, got)))
            return WALK_OK;
    }
    ch->truncated = 1;
    return WALK_OK;
}

static void reverse(struct walk_frame *f, int n)
{
    for (int i = 0, j = n - 1; i < j; i++, j--) {
        struct walk_frame tmp = f[i];
        f[i] = f[j];
        f[j] = tmp;
    }
}

int taskread_task(struct taskread_ctx *x, struct task_sample *s, struct walk_frame *frames,
                  int cap, struct taskread_more *more, struct task_hint *hint)
{
    const struct task_layout *tl = x->tl;
    struct reader *r = x->t->r;
    const struct py_layout *l = &x->t->layout;
    uint8_t buf[512];
    *more = (struct taskread_more){0};
    if (tl->task_size > (int32_t)sizeof buf || !reader_addr_ok(s->task, 8))
        return ERR_CORRUPT;
    prefetch(x, hint);
    if (hint)
        hint->n = 0;
    int rc = fetch(x, s->task, (size_t)tl->task_size, buf);
    if (rc < 0)
        return rc;
    hint_add(hint, s->task);
    /* a freed task keeps its type pointer but not its reference count; a
     * done one (cancelled, finished) is neither running nor waiting */
    uint32_t refcnt, state;
    memcpy(&refcnt, buf, sizeof refcnt);
    memcpy(&state, buf + tl->task_state, sizeof state);
    if (!refcnt || state != 0 || tasktypes_kind(x->types, r, l, get_ptr(buf, l->ob_type)) != TK_TASK)
        return ERR_CORRUPT;
    more->name_obj = get_ptr(buf, tl->task_name);
    more->loop = get_ptr(buf, tl->task_loop);
    more->fut_waiter = tl->task_fut_waiter >= 0 ? get_ptr(buf, tl->task_fut_waiter) : 0;
    uint64_t coro = get_ptr(buf, tl->task_coro);
    s->depth = 0;
    s->frames = frames;
    if (s->running) {
        enum task_kind k = tasktypes_obj(x->types, r, l, coro);
        s->coro_frame = k == TK_CORO || k == TK_GEN ? coro + (uint64_t)tl->gen_iframe : 0;
        return 0;
    }
    static _Thread_local struct chain ch;
    ch = (struct chain){.x = x, .hint = hint, .frames = frames, .cap = cap};
    enum walk_fail why = walk_chain(&ch, coro, more);
    if (ch.n)       /* the chain's first frame is the task's own coroutine's */
        s->coro_frame = coro + (uint64_t)tl->gen_iframe;
    if (why != WALK_OK) {
        s->failed = 1;
        s->why = why;
        return 0;
    }
    reverse(frames, ch.n);
    s->depth = ch.n;
    s->truncated = ch.truncated;
    return 0;
}

/* ---------------------------------------------------------------- awaiters */

static int first_key(void *arg, uint64_t key, int64_t hash)
{
    (void)hash;
    *(uint64_t *)arg = key;
    return 1;
}

uint64_t taskread_awaited_by(struct taskread_ctx *x, uint64_t task)
{
    const struct task_layout *tl = x->tl;
    struct reader *r = x->t->r;
    const struct py_layout *l = &x->t->layout;
    if (tl->task_awaited_by < 0 || tl->task_awaited_by_is_set < 0)
        return 0;
    uint64_t fut = task;
    for (int hop = 0; hop < MAX_HOPS; hop++) {
        uint64_t by = 0;
        uint8_t is_set = 0;
        if (reader_read_ptr(r, fut + (uint64_t)tl->task_awaited_by, &by) < 0 || !by ||
            reader_read(r, fut + (uint64_t)tl->task_awaited_by_is_set, 1, &is_set) < 0)
            return 0;
        if (is_set) {
            uint64_t key = 0;
            if (pyset_foreach(r, l, by, first_key, &key) != 1)
                return 0;
            by = key;
        }
        enum task_kind k = tasktypes_obj(x->types, r, l, by);
        if (k == TK_TASK)
            return by == task ? 0 : by;
        if (k != TK_FUTURE && k != TK_GATHER)
            return 0;
        fut = by;
    }
    return 0;
}

int taskread_children(struct taskread_ctx *x, uint64_t fut, enum task_kind k, uint64_t *out,
                      int cap)
{
    struct reader *r = x->t->r;
    const struct py_layout *l = &x->t->layout;
    if (k == TK_OTHER)
        k = tasktypes_obj(x->types, r, l, fut);
    if (k == TK_TASK && cap > 0) {
        out[0] = fut;
        return 1;
    }
    uint64_t list;
    if (k != TK_GATHER || pyobj_lookup_attr(r, l, fut, "_children", &list) < 0 || !list)
        return 0;
    int n = pylist_items(r, l, list, out, cap);
    return n < 0 ? 0 : n < cap ? n : cap;
}
