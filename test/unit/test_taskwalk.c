/* SPDX-License-Identifier: MIT */
/* The task walker's decoders on synthetic memory for every layout 3.11+:
 * a task parked in asyncio's sleep inside fetch_page (its chain, its
 * name, what it awaits), a task named by its counter, a running task, and
 * hostile data: freed and done tasks, wrong types, a coroutine awaiting
 * itself, a chain longer than its room, an implausible value stack; the
 * 3.14+ task lists with a loop that never comes back to its head; sets
 * with deleted slots and broken headers; the _AsyncioDebug parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codecache.h"
#include "error.h"
#include "pyimage.h"
#include "pylayout.h"
#include "pyset.h"
#include "pytarget.h"
#include "taskwalk_impl.h"

#define UNITS 20                /* code units of every code object */
#define AT_UNIT 4               /* the instruction a frame is at */

struct world {
    struct pyimage g;
    struct pytarget t;
    struct reader r;
    struct task_layout tl;
    struct task_types types;
    struct codecache *c;
    struct taskread_ctx x;
    uint64_t task_type, future_type, coro_type, futiter_type;
};

static void put64(uint8_t *b, int32_t off, uint64_t v)
{
    memcpy(b + off, &v, sizeof v);
}

static uint64_t bytes_obj(struct world *w, const uint8_t *data, size_t n)
{
    const struct py_layout *l = w->g.l;
    size_t len = (size_t)l->bytes_sval + n + 1;
    uint8_t *b = calloc(1, len);
    put64(b, 0, 1);
    put64(b, l->ob_type, pyimage_type(&w->g, "bytes", 0, 0));
    put64(b, l->bytes_size, n);
    memcpy(b + l->bytes_sval, data, n);
    uint64_t at = pyimage_put(&w->g, b, len, 0);
    free(b);
    return at;
}

/* A code object named name whose bytecode holds RESUME (oparg 3) after
 * AT_UNIT, as after an await. */
static uint64_t code_obj(struct world *w, const char *name, const char *file)
{
    const struct py_layout *l = w->g.l;
    size_t len = (size_t)l->code_size + 2 * UNITS;
    uint8_t *b = calloc(1, len);
    put64(b, 0, 1);
    put64(b, l->ob_type, pyimage_type(&w->g, "code", 0, 0));
    put64(b, l->var_ob_size, UNITS);
    put64(b, l->code_filename, pyimage_str(&w->g, file));
    put64(b, l->code_name, pyimage_str(&w->g, name));
    if (l->code_qualname >= 0)
        put64(b, l->code_qualname, pyimage_str(&w->g, name));
    /* A 3.11+ location table spanning the UNITS code units (8 + 8 + 4,
     * each entry "no columns", line delta 0), as the code cache checks. */
    static const uint8_t table[] = {0x80 | 13 << 3 | 7, 0, 0x80 | 13 << 3 | 7, 0, 0x80 | 13 << 3 | 3, 0};
    put64(b, l->code_linetable, bytes_obj(w, table, sizeof table));
    int32_t first = 10;
    memcpy(b + l->code_firstlineno, &first, sizeof first);
    uint8_t *units = b + l->code_code_adaptive;
    units[2 * (AT_UNIT + 1)] = (uint8_t)(w->tl.resume_opcode > 0 ? w->tl.resume_opcode : 128);
    units[2 * (AT_UNIT + 1) + 1] = 3;
    uint64_t at = pyimage_put(&w->g, b, len, 0);
    free(b);
    return at;
}

/* A coroutine of code suspended (awaiting `awaits` when it is not 0). */
static uint64_t coro_obj(struct world *w, uint64_t code, uint64_t awaits, int state)
{
    const struct py_layout *l = w->g.l;
    const struct task_layout *tl = &w->tl;
    size_t len = (size_t)(tl->gen_iframe + tl->frame_localsplus + 8 * 4);
    uint8_t *b = calloc(1, len);
    uint64_t at = w->g.next + 0;        /* where pyimage_put will place it (pre 0) */
    put64(b, 0, 1);
    put64(b, l->ob_type, w->coro_type);
    b[tl->gen_frame_state] = (uint8_t)state;
    uint8_t *f = b + tl->gen_iframe;
    put64(f, l->frame_code, code);
    int64_t instr = l->lasti_is_prev ? AT_UNIT : AT_UNIT + 1;
    put64(f, l->frame_lasti, code + (uint64_t)l->code_code_adaptive + 2 * (uint64_t)instr);
    /* the awaited object in localsplus[0] (and a NULL above it on 3.15) */
    put64(f, tl->frame_localsplus, awaits);
    if (tl->frame_stackpointer >= 0)
        put64(f, tl->frame_stackpointer,
              at + (uint64_t)tl->gen_iframe + (uint64_t)tl->frame_localsplus + 8 * (uint64_t)tl->yf_depth);
    else
        memcpy(f + tl->frame_stacktop, &(int32_t){tl->yf_depth}, 4);
    uint64_t got = pyimage_put(&w->g, b, len, 0);
    free(b);
    CHECKF(got == at, "coroutine placed at %llx, not %llx", (unsigned long long)got,
           (unsigned long long)at);
    return got;
}

static int suspended_yf(const struct task_layout *tl)
{
    return tl->state_yf != TASK_STATE_NONE ? tl->state_yf : tl->state_suspended;
}

static uint64_t small_obj(struct world *w, uint64_t type, uint64_t field16)
{
    uint8_t b[24] = {1};
    put64(b, w->g.l->ob_type, type);
    put64(b, 16, field16);
    return pyimage_put(&w->g, b, sizeof b, 0);
}

static uint64_t task_obj(struct world *w, uint64_t type, uint64_t name, uint64_t coro,
                         uint64_t refcnt, uint32_t state)
{
    const struct task_layout *tl = &w->tl;
    uint8_t *b = calloc(1, (size_t)tl->task_size);
    put64(b, 0, refcnt);
    put64(b, w->g.l->ob_type, type);
    memcpy(b + tl->task_state, &state, 4);
    put64(b, tl->task_name, name);
    put64(b, tl->task_coro, coro);
    uint64_t at = pyimage_put(&w->g, b, (size_t)tl->task_size, 0);
    free(b);
    return at;
}

static int world_init(struct world *w, int minor)
{
    const struct py_layout *l = pylayout_for_version(3, minor);
    const struct task_layout *tl = tasklayout_for(minor);
    if (!l || !tl)
        return -1;
    memset(w, 0, sizeof *w);
    CHECKF(pyimage_init(&w->g, l) == 0, "pyimage_init");
    w->r = pyimage_reader(&w->g);
    w->t.r = &w->r;
    w->t.layout = *l;
    w->tl = *tl;
    w->c = codecache_new();
    w->x = (struct taskread_ctx){.t = &w->t, .c = w->c, .tl = &w->tl, .types = &w->types};
    w->task_type = pyimage_type(&w->g, "_asyncio.Task", 0, 0);
    w->future_type = pyimage_type(&w->g, "_asyncio.Future", 0, 0);
    w->coro_type = pyimage_type(&w->g, "coroutine", 0, 0);
    w->futiter_type = pyimage_type(&w->g, "_asyncio.FutureIter", 0, 0);
    codecache_new_round(w->c);
    taskread_new_round(&w->x);
    return 0;
}

static void world_free(struct world *w)
{
    CHECKF(!w->g.failed, "building the image failed");
    codecache_free(w->c);
    pyimage_free(&w->g);
}

/* Read a task twice: plainly, then through the hint the first read left
 * (one batched read of the objects it went through): the same result. */
static int read_task(struct world *w, uint64_t task, int running, struct task_sample *s,
                     struct walk_frame *frames, int cap, struct taskread_more *more)
{
    struct task_hint hint = {0};
    struct walk_frame again[8];
    struct task_sample s2 = {.task = task, .running = running};
    struct taskread_more more2;
    *s = (struct task_sample){.task = task, .running = running};
    int rc = taskread_task(&w->x, s, frames, cap, more, &hint);
    CHECK(hint.n >= (rc == 0) && hint.n <= TASKHINT_MAX);
    int rc2 = taskread_task(&w->x, &s2, again, cap < 8 ? cap : 8, &more2, &hint);
    CHECK(rc2 == rc);
    if (rc == 0 && rc2 == 0 && cap <= 8) {
        CHECK(s2.depth == s->depth && s2.failed == s->failed && s2.coro_frame == s->coro_frame);
        CHECK(more2.awaited == more->awaited && more2.name_obj == more->name_obj);
        for (int i = 0; i < s->depth && i < s2.depth; i++)
            CHECK(again[i].code == frames[i].code && again[i].frame == frames[i].frame);
    }
    return rc;
}

/* fetch_page awaits sleep, which awaits a future through a FutureIter. */
static void test_parked(struct world *w)
{
    struct walk_frame frames[8];
    struct task_sample s;
    struct taskread_more more;
    uint64_t fut = small_obj(w, w->future_type, 0), it = small_obj(w, w->futiter_type, fut);
    uint64_t sleep = coro_obj(w, code_obj(w, "sleep", "asyncio/tasks.py"), it, suspended_yf(&w->tl));
    uint64_t page = coro_obj(w, code_obj(w, "fetch_page", "app.py"), sleep, suspended_yf(&w->tl));
    uint64_t task = task_obj(w, w->task_type, pyimage_str(&w->g, "fetcher-1"), page, 1, 0);
    CHECK(read_task(w, task, 0, &s, frames, 8, &more) == 0);
    CHECK(!s.failed && s.depth == 2 && !s.truncated);
    CHECK(s.depth == 2 && strcmp(frames[0].code->name, "sleep") == 0 &&
          strcmp(frames[1].code->name, "fetch_page") == 0);
    CHECK(frames[1].frame == page + (uint64_t)w->tl.gen_iframe && s.coro_frame == frames[1].frame);
    CHECK(more.awaited == fut);
    char name[TASKWALK_NAME_MAX];
    CHECK(taskread_name(&w->x, more.name_obj, name, sizeof name) == 0 && strcmp(name, "fetcher-1") == 0);
    /* room for one frame: the outermost is kept, the chain is marked cut */
    CHECK(read_task(w, task, 0, &s, frames, 1, &more) == 0 && s.depth == 1 && s.truncated);
    /* running: no chain, the coroutine's frame */
    CHECK(read_task(w, task, 1, &s, frames, 8, &more) == 0 && s.depth == 0 &&
          s.coro_frame == page + (uint64_t)w->tl.gen_iframe);
    /* a name kept as its counter (3.12+ until get_name()) */
    CHECK(taskread_name(&w->x, pyimage_long(&w->g, 7), name, sizeof name) == 0 &&
          strcmp(name, "Task-7") == 0);
    CHECK(taskread_name(&w->x, fut, name, sizeof name) < 0);
}

static void test_hostile(struct world *w)
{
    struct walk_frame frames[8];
    struct task_sample s;
    struct taskread_more more;
    uint64_t code = code_obj(w, "loop", "x.py"), name = pyimage_str(&w->g, "t");
    uint64_t live = coro_obj(w, code, 0, suspended_yf(&w->tl));
    /* freed (reference count 0), done, or not a Task at all: refused */
    CHECK(read_task(w, task_obj(w, w->task_type, name, live, 0, 0), 0, &s, frames, 8, &more) == ERR_CORRUPT);
    CHECK(read_task(w, task_obj(w, w->task_type, name, live, 1, 2), 0, &s, frames, 8, &more) == ERR_CORRUPT);
    CHECK(read_task(w, task_obj(w, w->future_type, name, live, 1, 0), 0, &s, frames, 8, &more) == ERR_CORRUPT);
    CHECK(read_task(w, 0x10, 0, &s, frames, 8, &more) == ERR_CORRUPT);
    /* a coroutine awaiting itself: a cycle, failed */
    uint64_t self = w->g.next;
    CHECK(coro_obj(w, code, self, suspended_yf(&w->tl)) == self);
    CHECK(read_task(w, task_obj(w, w->task_type, name, self, 1, 0), 0, &s, frames, 8, &more) == 0);
    CHECK(s.failed && s.why == WALK_FAIL_CYCLE && s.depth == 0);
    /* a code pointer to garbage: failed, corrupt */
    uint64_t junk = coro_obj(w, name, 0, suspended_yf(&w->tl));
    CHECK(read_task(w, task_obj(w, w->task_type, name, junk, 1, 0), 0, &s, frames, 8, &more) == 0);
    CHECK(s.failed && s.depth == 0);
    /* a task whose coroutine is not one: no chain, no frame */
    CHECK(read_task(w, task_obj(w, w->task_type, name, name, 1, 0), 0, &s, frames, 8, &more) == 0);
    CHECK(!s.failed && s.depth == 0 && s.coro_frame == 0);
    /* a finished coroutine in a task read as pending and not running: it
     * finished in a step, which runs the task: the reads were torn */
    uint64_t done = coro_obj(w, code, 0, 4);
    CHECK(read_task(w, task_obj(w, w->task_type, name, done, 1, 0), 0, &s, frames, 8, &more) == 0);
    CHECK(s.failed && s.why == WALK_FAIL_TORN && s.depth == 0);
    /* ... and deeper in the chain: a suspended coroutine awaiting a
     * finished one, two hops down (the awaiter has not resumed yet) */
    uint64_t mid = coro_obj(w, code_obj(w, "mid", "x.py"), done, suspended_yf(&w->tl));
    uint64_t top = coro_obj(w, code_obj(w, "top", "x.py"), mid, suspended_yf(&w->tl));
    CHECK(read_task(w, task_obj(w, w->task_type, name, top, 1, 0), 0, &s, frames, 8, &more) == 0);
    CHECK(s.failed && s.why == WALK_FAIL_TORN && s.depth == 0);
}

/* 3.14+: the thread state's list loops without coming back to its head;
 * a list that does is read in full. */
static void test_lists(struct world *w)
{
    const struct py_layout *l = w->g.l;
    const struct task_layout *tl = &w->tl;
    size_t ts_len = (size_t)tl->tstate_tasks_head + 16, in_len = (size_t)tl->interp_tasks_head + 16;
    uint8_t *ts = calloc(1, ts_len), *in = calloc(1, in_len);
    uint64_t ts_at = w->g.next, a = ts_at + (uint64_t)tl->tstate_tasks_head;
    put64(ts, l->tstate_thread_id, 0x1234);
    put64(ts, tl->tstate_tasks_head, a);          /* empty: head.next == head */
    CHECK(pyimage_put(&w->g, ts, ts_len, 0) == ts_at);
    uint64_t in_at = w->g.next;
    put64(in, l->interp_threads_head, ts_at);
    uint64_t ih = in_at + (uint64_t)tl->interp_tasks_head;
    put64(in, tl->interp_tasks_head, ih);
    CHECK(pyimage_put(&w->g, in, in_len, 0) == in_at);
    struct task_ref refs[8];
    int n = -1;
    unsigned cut = 9;
    CHECK(tasklist_threads(&w->x, in_at, refs, 8, &n, &cut) == 0 && n == 0 && cut == 0);
    free(ts);
    free(in);
}

/* A list of tasks whose nodes form a loop that misses the head: bounded. */
static void test_list_loop(struct world *w)
{
    const struct py_layout *l = w->g.l;
    const struct task_layout *tl = &w->tl;
    uint8_t *t0 = calloc(1, (size_t)tl->task_size);
    uint64_t at = w->g.next, n0 = at + (uint64_t)tl->task_node;
    put64(t0, 0, 1);
    put64(t0, l->ob_type, w->task_type);
    put64(t0, tl->task_node, n0);                 /* next: itself */
    CHECK(pyimage_put(&w->g, t0, (size_t)tl->task_size, 0) == at);
    size_t ts_len = (size_t)tl->tstate_tasks_head + 16, in_len = (size_t)tl->interp_tasks_head + 16;
    uint8_t *ts = calloc(1, ts_len), *in = calloc(1, in_len);
    uint64_t ts_at = w->g.next;
    put64(ts, tl->tstate_tasks_head, n0);
    CHECK(pyimage_put(&w->g, ts, ts_len, 0) == ts_at);
    uint64_t in_at = w->g.next;
    put64(in, l->interp_threads_head, ts_at);
    put64(in, tl->interp_tasks_head, in_at + (uint64_t)tl->interp_tasks_head);
    CHECK(pyimage_put(&w->g, in, in_len, 0) == in_at);
    static struct task_ref refs[64];
    int n = -1;
    unsigned cut = 0;
    CHECK(tasklist_threads(&w->x, in_at, refs, 64, &n, &cut) == 0);
    CHECK(n == 64 && cut > 0 && refs[0].task == at);
    free(t0);
    free(ts);
    free(in);
}

/* 3.14+: a long list of tasks made one after the other (their nodes in a
 * row, linked up or down through memory) is followed through windows of
 * memory: every task, in order, with far fewer reads than tasks. */
static void test_list_in_a_row(struct world *w, int down)
{
    enum { N = 2000 };
    const struct py_layout *l = w->g.l;
    const struct task_layout *tl = &w->tl;
    size_t size = (size_t)tl->task_size;
    uint8_t *block = calloc(N, size);
    size_t ts_len = (size_t)tl->tstate_tasks_head + 16, in_len = (size_t)tl->interp_tasks_head + 16;
    uint8_t *ts = calloc(1, ts_len), *in = calloc(1, in_len);
    /* at addresses of its own: the thread state, the interpreter, the tasks */
    uint64_t ts_at = (w->g.next + 0xfffff) & ~0xfffffull;
    uint64_t in_at = (ts_at + ts_len + 0xfff) & ~0xfffull, at = (in_at + in_len + 0xfff) & ~0xfffull;
    uint64_t head = ts_at + (uint64_t)tl->tstate_tasks_head;
    w->g.next = (at + N * size + 0x1000) & ~0xfffull;
    for (int i = 0; i < N; i++) {
        int k = down ? N - 1 - i : i, next = down ? k - 1 : k + 1;     /* the i-th of the list */
        uint64_t next_node = i + 1 < N ? at + (uint64_t)next * size + (uint64_t)tl->task_node : head;
        put64(block + (size_t)k * size, tl->task_node, next_node);
    }
    put64(ts, l->tstate_thread_id, 0x1234);
    put64(ts, tl->tstate_tasks_head, at + (uint64_t)(down ? N - 1 : 0) * size + (uint64_t)tl->task_node);
    put64(in, l->interp_threads_head, ts_at);
    put64(in, tl->interp_tasks_head, in_at + (uint64_t)tl->interp_tasks_head);
    CHECK(memimage_add(w->g.m, at, block, N * size) == 0 &&
          memimage_add(w->g.m, ts_at, ts, ts_len) == 0 && memimage_add(w->g.m, in_at, in, in_len) == 0);
    static struct task_ref refs[N + 8];
    int n = -1, ok = 1;
    unsigned cut = 9;
    unsigned long reads = w->r.reads;
    CHECK(tasklist_threads(&w->x, in_at, refs, N + 8, &n, &cut) == 0 && n == N && cut == 0);
    for (int i = 0; i < n && ok; i++)
        ok = refs[i].task == at + (uint64_t)(down ? N - 1 - i : i) * size && refs[i].thread_ident == 0x1234;
    CHECK(ok);
    CHECKF(w->r.reads - reads < N / 20, "%lu reads for %d tasks", w->r.reads - reads, N);
    free(block);
    free(ts);
    free(in);
}

/* A set: live keys, deleted (hash -1) and empty slots; broken headers. */
static int count_key(void *arg, uint64_t key, int64_t hash)
{
    (void)hash;
    CHECK(key == 0x7000 || key == 0x9000);
    ++*(int *)arg;
    return 0;
}

static void test_sets(struct world *w)
{
    uint8_t table[8 * 16] = {0}, set[48] = {1};
    put64(table, 0, 0x7000);
    put64(table, 8, 5);
    put64(table, 16, 0x8000);
    put64(table, 24, (uint64_t)-1);               /* deleted */
    put64(table, 48, 0x9000);
    put64(table, 56, 6);
    uint64_t t = pyimage_put(&w->g, table, sizeof table, 0);
    put64(set, 24, 2);
    put64(set, 32, 7);
    put64(set, 40, t);
    int n = 0;
    CHECK(pyset_foreach(w->t.r, w->g.l, pyimage_put(&w->g, set, sizeof set, 0), count_key, &n) == 0 && n == 2);
    put64(set, 32, 6);                            /* not a power of two minus one */
    CHECK(pyset_foreach(w->t.r, w->g.l, pyimage_put(&w->g, set, sizeof set, 0), count_key, &n) == ERR_CORRUPT);
    put64(set, 32, (1ull << 40) - 1);             /* huge */
    CHECK(pyset_foreach(w->t.r, w->g.l, pyimage_put(&w->g, set, sizeof set, 0), count_key, &n) == ERR_CORRUPT);
    put64(set, 32, 15);                           /* the table is shorter than it says */
    CHECK(pyset_foreach(w->t.r, w->g.l, pyimage_put(&w->g, set, sizeof set, 0), count_key, &n) == ERR_READ);
    uint8_t list[40] = {1};
    uint64_t items[3] = {0x7000, 0x8000, 0x9000}, out[2];
    put64(list, 16, 3);
    put64(list, 24, pyimage_put(&w->g, items, sizeof items, 0));
    CHECK(pylist_items(w->t.r, w->g.l, pyimage_put(&w->g, list, sizeof list, 0), out, 2) == 3 &&
          out[1] == 0x8000);
    put64(list, 16, (uint64_t)-3);
    CHECK(pylist_items(w->t.r, w->g.l, pyimage_put(&w->g, list, sizeof list, 0), out, 2) == ERR_CORRUPT);
}

/* A reader over the image whose 8 bytes at patch_at read as patch (the
 * thread state's running task, changed between rounds). */
struct patched {
    struct reader *inner;
    uint64_t patch_at, patch;
};

static int patched_read(void *ctx, uint64_t addr, size_t len, void *buf)
{
    struct patched *p = ctx;
    int rc = reader_read(p->inner, addr, len, buf);
    for (size_t k = 0; rc == 0 && k < 8; k++)
        if (p->patch_at + k >= addr && p->patch_at + k < addr + len)
            ((uint8_t *)buf)[p->patch_at + k - addr] = (uint8_t)(p->patch >> (8 * k));
    return rc;
}

static int patched_readv(void *ctx, const struct read_req *reqs, int n)
{
    for (int i = 0; i < n; i++)
        if (patched_read(ctx, reqs[i].addr, reqs[i].len, reqs[i].buf) < 0)
            return ERR_READ;
    return 0;
}

static const struct reader_ops patched_ops = {.read = patched_read, .readv = patched_readv};

/* 3.14+: whole rounds over NTASKS parked tasks in one thread's list, with
 * quiet rounds between, task 0 running every other round: each task is
 * read in turn, never more than STARVE rounds apart (the walker reads one
 * task a round at least), and the weights of a task's reads add up to
 * the rounds from its listing to its last read in turn, plus one for each
 * read as running since (a brute-force count: each round of its life
 * counted once). */
#define NTASKS 40
#define ROUNDS 120
#define STARVE (NTASKS + NTASKS / 6 + 2)  /* a task a round at least, quiet rounds between */

/* NTASKS parked tasks in the list of one thread state (ident 0x77) of
 * the interpreter of a runtime (w->t.runtime); returns the thread state. */
static uint64_t build_list(struct world *w, uint64_t tasks[NTASKS])
{
    const struct py_layout *l = w->g.l;
    const struct task_layout *tl = &w->tl;
    uint64_t csleep = code_obj(w, "sleep", "asyncio/tasks.py"), cpage = code_obj(w, "fetch_page", "a.py");
    /* the tasks first, each linked to the next by address: lay them out in
     * two passes (addresses are known only once placed) */
    uint64_t nodes[NTASKS];
    uint8_t *bufs[NTASKS];
    for (int i = 0; i < NTASKS; i++) {
        char name[16];
        snprintf(name, sizeof name, "t-%d", i);
        uint64_t fut = small_obj(w, w->future_type, 0), it = small_obj(w, w->futiter_type, fut);
        uint64_t sleep = coro_obj(w, csleep, it, suspended_yf(tl));
        bufs[i] = calloc(1, (size_t)tl->task_size);
        put64(bufs[i], 0, 1);
        put64(bufs[i], l->ob_type, w->task_type);
        put64(bufs[i], tl->task_name, pyimage_str(&w->g, name));
        put64(bufs[i], tl->task_coro, coro_obj(w, cpage, sleep, suspended_yf(tl)));
    }
    size_t ts_len = (size_t)tl->tstate_tasks_head + 16, in_len = (size_t)tl->interp_tasks_head + 16;
    /* addresses: the tasks, then the thread state, the interpreter, the runtime */
    uint64_t at = w->g.next;
    for (int i = 0; i < NTASKS; i++) {
        tasks[i] = at;
        nodes[i] = at + (uint64_t)tl->task_node;
        at = (at + (uint64_t)tl->task_size + 64 + 15) & ~15ull;
    }
    uint64_t ts_at = at, head = ts_at + (uint64_t)tl->tstate_tasks_head;
    for (int i = 0; i < NTASKS; i++) {
        put64(bufs[i], tl->task_node, i + 1 < NTASKS ? nodes[i + 1] : head);
        CHECK(pyimage_put(&w->g, bufs[i], (size_t)tl->task_size, 0) == tasks[i]);
        free(bufs[i]);
    }
    size_t rt_len = (size_t)l->runtime_interpreters_head + 8;
    uint8_t *ts = calloc(1, ts_len), *in = calloc(1, in_len), *rt = calloc(1, rt_len);
    put64(ts, l->tstate_thread_id, 0x77);
    put64(ts, tl->tstate_tasks_head, nodes[0]);
    CHECK(pyimage_put(&w->g, ts, ts_len, 0) == ts_at);
    uint64_t in_at = w->g.next;
    put64(in, l->interp_threads_head, ts_at);
    put64(in, tl->interp_tasks_head, in_at + (uint64_t)tl->interp_tasks_head);
    CHECK(pyimage_put(&w->g, in, in_len, 0) == in_at);
    put64(rt, l->runtime_interpreters_head, in_at);
    w->t.runtime = pyimage_put(&w->g, rt, rt_len, 0);
    free(rt);
    free(ts);
    free(in);
    return ts_at;
}

static void test_rounds(struct world *w)
{
    const struct task_layout *tl = &w->tl;
    uint64_t tasks[NTASKS];
    uint64_t ts_at = build_list(w, tasks);
    struct taskwalk *tw;
    struct patched pr = {.inner = &w->r, .patch_at = ts_at + (uint64_t)tl->tstate_running_task};
    struct reader r2 = {.ops = &patched_ops, .ctx = &pr};
    w->t.r = &r2;
    CHECK(taskwalk_new(&w->t, w->c, &tw) == 0);
    uint64_t weight[NTASKS] = {0}, last[NTASKS] = {0}, last_wait = 0, ran_since = 0;
    int round = 0;
    for (int r = 1; r <= ROUNDS; r++) {
        if (r % 7 == 0) {
            taskwalk_quiet_round(tw);
            continue;
        }
        codecache_new_round(w->c);
        pr.patch = r % 2 ? 0 : tasks[0];
        int n = taskwalk_round(tw);
        CHECK(n > 0 && n <= TASKWALK_PER_ROUND);
        for (int k = 0; k < n; k++) {
            const struct task_sample *s = taskwalk_task(tw, k);
            int i = 0;
            while (i < NTASKS && tasks[i] != s->task)
                i++;
            CHECKF(i < NTASKS && s->thread_ident == 0x77 && s->depth == (s->running ? 0 : 2) &&
                   !s->failed && s->weight >= 1 && s->running == (i == 0 && r % 2 == 0),
                   "round %d: sample %d", r, k);
            if (i < NTASKS) {
                weight[i] += s->weight;
                last[i] = (uint64_t)r;
            }
            if (i == 0 && s->running)
                ran_since++, CHECK(s->weight == 1);
            else if (i == 0)
                last_wait = (uint64_t)r, ran_since = 0;
        }
        round = r;
        struct taskwalk_stats st;
        taskwalk_stats(tw, &st);
        CHECK(st.listed == NTASKS && st.read == (unsigned)n && st.read + st.skipped == NTASKS);
    }
    w->t.r = &w->r;
    CHECKF(last_wait > 0 && weight[0] == last_wait + ran_since,
           "task 0: weights %llu, last read in turn %llu, %llu running reads since",
           (unsigned long long)weight[0], (unsigned long long)last_wait, (unsigned long long)ran_since);
    for (int i = 1; i < NTASKS; i++)
        CHECKF(last[i] + STARVE >= (uint64_t)round && weight[i] == last[i],
               "task %d: last read in round %llu, weights %llu", i, (unsigned long long)last[i],
               (unsigned long long)weight[i]);
    taskwalk_free(tw);
}

/* The _AsyncioDebug words of Debian's 3.14.10 _asyncio module. */
static void test_debug_offsets(void)
{
    const uint64_t words[13] = {168, 136, 96, 108, 109, 128, 152, 0x37248, 0x2a80, 0x3a8, 864, 872, 880};
    struct task_layout tl = *tasklayout_for(14), want = tl;
    CHECK(tasklayout_from_debug(words, &tl) == 0 && memcmp(&tl, &want, sizeof tl) == 0);
    uint64_t bad[13];
    memcpy(bad, words, sizeof bad);
    bad[5] = 4000;                                /* task_coro beyond the task */
    CHECK(tasklayout_from_debug(bad, &tl) == ERR_CORRUPT && memcmp(&tl, &want, sizeof tl) == 0);
    memcpy(bad, words, sizeof bad);
    bad[9] = 1ull << 40;                          /* an absurd thread state size */
    CHECK(tasklayout_from_debug(bad, &tl) == ERR_CORRUPT);
    CHECK(tasklayout_for(10) == NULL && tasklayout_for(16)->minor == 15);
}

int main(void)
{
    int tested = 0;
    for (int minor = 11; minor <= pylayout_max_minor(); minor++) {
        struct world w;
        if (world_init(&w, minor) < 0)
            continue;
        check_context("3.%d", minor);
        test_parked(&w);
        test_hostile(&w);
        test_sets(&w);
        if (minor >= 14) {
            test_lists(&w);
            test_list_loop(&w);
            test_list_in_a_row(&w, 0);
            test_list_in_a_row(&w, 1);
            test_rounds(&w);
        }
        world_free(&w);
        tested++;
    }
    check_context(NULL);
    test_debug_offsets();
    CHECKF(tested >= 5, "only %d layouts tested", tested);
    return check_report("taskwalk");
}
