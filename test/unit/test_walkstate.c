/* SPDX-License-Identifier: MIT */
/* Unit tests of the thread state a walker round reads (walker.h: gil,
 * gil_wait, gc) on synthetic images of every layout: _PyRuntime, one
 * interpreter, three thread states without frames, the GIL (in _PyRuntime
 * up to 3.11, behind interp->ceval.gil from 3.12) and gc.collecting. The
 * holder is found, a holder that is no listed thread is nobody, a GIL not
 * made yet or destroyed (locked -1), garbage or an unreadable GIL is
 * unknown, a damaged list that names the holder twice gives it once, the
 * collector is the holder, and 3.15's gil_requested is read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codecache.h"
#include "memimage.h"
#include "pylayout.h"
#include "pytarget.h"
#include "reader.h"
#include "walker.h"

#define RUNTIME 0x10000000ull
#define INTERP 0x20000000ull
#define TSTATE(i) (0x30000000ull + (uint64_t)(i) * 0x100000ull)
#define GIL 0x40000000ull
#define NTS 3

/* One image's contents, edited by each case before it is built. */
struct world {
    const struct py_layout *l;
    uint8_t *runtime, *interp, *ts[NTS], *gil;
    uint64_t next[NTS];         /* each thread state's next */
    uint64_t gil_ptr;           /* 3.12+: interp->ceval.gil */
    int32_t locked;
    uint64_t holder;
    int32_t collecting;
    int32_t requested[NTS];     /* 3.15+ */
};

static void put(uint8_t *b, int32_t off, const void *v, size_t n)
{
    if (off >= 0)
        memcpy(b + off, v, n);
}

static void world_init(struct world *w, const struct py_layout *l)
{
    memset(w, 0, sizeof *w);
    w->l = l;
    w->runtime = calloc(1, (size_t)l->runtime_size);
    w->interp = calloc(1, (size_t)l->interp_size);
    for (int i = 0; i < NTS; i++) {
        w->ts[i] = calloc(1, (size_t)l->tstate_size);
        w->next[i] = i + 1 < NTS ? TSTATE(i + 1) : 0;
    }
    w->gil = calloc(1, (size_t)l->gil_size);
    w->gil_ptr = GIL;
    w->locked = 1;
    w->holder = TSTATE(1);
}

static void world_free(struct world *w)
{
    free(w->runtime);
    free(w->interp);
    for (int i = 0; i < NTS; i++)
        free(w->ts[i]);
    free(w->gil);
}

/* Build the image and run one walker round on it; stacks into st[]. */
static int round_of(struct world *w, struct walk_stack *st, int max)
{
    const struct py_layout *l = w->l;
    uint64_t interp = INTERP, ts0 = TSTATE(0);
    put(w->runtime, l->runtime_interpreters_head, &interp, 8);
    put(w->interp, l->interp_threads_head, &ts0, 8);
    put(w->interp, l->interp_gil_ptr, &w->gil_ptr, 8);
    uint8_t *gil = l->runtime_gil >= 0 ? w->runtime + l->runtime_gil : w->gil;
    put(gil, l->gil_locked, &w->locked, 4);
    put(gil, l->gil_last_holder, &w->holder, 8);
    put(w->runtime, l->runtime_gc_collecting, &w->collecting, 4);
    put(w->interp, l->interp_gc_collecting, &w->collecting, 4);
    for (int i = 0; i < NTS; i++) {
        put(w->ts[i], l->tstate_next, &w->next[i], 8);
        put(w->ts[i], l->tstate_interp, &interp, 8);
        put(w->ts[i], l->tstate_gil_requested, &w->requested[i], 4);
    }
    struct memimage *m = memimage_new();
    int ok = m && memimage_add(m, RUNTIME, w->runtime, (size_t)l->runtime_size) == 0 &&
             memimage_add(m, INTERP, w->interp, (size_t)l->interp_size) == 0 &&
             (l->runtime_gil >= 0 || memimage_add(m, GIL, w->gil, (size_t)l->gil_size) == 0);
    for (int i = 0; ok && i < NTS; i++)
        ok = memimage_add(m, TSTATE(i), w->ts[i], (size_t)l->tstate_size) == 0;
    struct reader r = m ? memimage_reader(m) : (struct reader){0};
    struct pytarget t = {.r = &r, .layout = *l, .runtime = RUNTIME, .pthread_tid_off = -1};
    struct codecache *c = codecache_new();
    struct walker *wk = NULL;
    int n = ok && c && walker_new(&t, c, &wk) == 0 ? walker_round(wk) : -1;
    for (int i = 0; i < n && i < max; i++)
        st[i] = *walker_stack(wk, i);
    walker_free(wk);
    codecache_free(c);
    memimage_free(m);
    return n;
}

#define WANT(n, field, a, b, c)                                                \
    check(n == NTS && st[0].field == (a) && st[1].field == (b) && st[2].field == (c), \
          "3.%d %s: " #field " %d %d %d, want %d %d %d", l->minor, what, n > 0 ? st[0].field : 9, \
          n > 1 ? st[1].field : 9, n > 2 ? st[2].field : 9, a, b, c)

static void run_case(const struct py_layout *l, const char *what, void (*edit)(struct world *),
                     int g0, int g1, int g2, int c1)
{
    struct world w;
    struct walk_stack st[8];
    world_init(&w, l);
    edit(&w);
    int n = round_of(&w, st, 8);
    WANT(n, gil, g0, g1, g2);
    WANT(n, gc, g0 == -1 ? -1 : 0, c1, g2 == -1 ? -1 : 0);
    int wait = l->tstate_gil_requested >= 0 ? 0 : -1;
    if (strcmp(what, "waiters") != 0)
        WANT(n, gil_wait, wait, wait, wait);
    else if (wait == 0)
        WANT(n, gil_wait, 1, 0, -1);     /* T1 holds it; T2 has garbage */
    world_free(&w);
}

static void e_held(struct world *w) { (void)w; }
static void e_collecting(struct world *w) { w->collecting = 1; }
static void e_free(struct world *w) { w->locked = 0; w->collecting = 1; }
static void e_stranger(struct world *w) { w->holder = TSTATE(7); }
static void e_unmade(struct world *w) { w->locked = -1; w->collecting = 1; }
static void e_garbage(struct world *w) { w->locked = 0x01000001; w->collecting = 2; }
static void e_noptr(struct world *w) { w->gil_ptr = GIL + 0x100000; w->collecting = 1; }
static void e_twice(struct world *w) { w->holder = TSTATE(0); w->next[2] = TSTATE(0); }
static void e_waiters(struct world *w)
{
    w->requested[0] = 1;
    w->requested[1] = 1;        /* the holder: it does not wait */
    w->requested[2] = 7;
}

static void test_version(const struct py_layout *l)
{
    run_case(l, "held", e_held, 0, 1, 0, 0);
    run_case(l, "collecting", e_collecting, 0, 1, 0, 1);
    run_case(l, "free", e_free, 0, 0, 0, 0);
    run_case(l, "stranger", e_stranger, 0, 0, 0, 0);
    run_case(l, "unmade", e_unmade, -1, -1, -1, -1);
    run_case(l, "garbage", e_garbage, -1, -1, -1, -1);
    run_case(l, "waiters", e_waiters, 0, 1, 0, 0);
    if (l->interp_gil_ptr >= 0)
        run_case(l, "unreadable", e_noptr, -1, -1, -1, -1);
    /* T0 -> T1 -> T2 -> T0 ...: many stacks, T0 holds it once */
    struct world w;
    struct walk_stack st[64];
    world_init(&w, l);
    e_twice(&w);
    int n = round_of(&w, st, 64), holders = 0;
    for (int i = 0; i < n && i < 64; i++)
        holders += st[i].gil == 1;
    check(n > NTS && holders == 1 && st[0].gil == 1, "3.%d listed twice: %d threads, %d holders",
          l->minor, n, holders);
    world_free(&w);
}

int main(void)
{
    for (int minor = pylayout_min_minor(); minor <= pylayout_max_minor(); minor++) {
        const struct py_layout *l = pylayout_for_version(3, minor);
        if (l)
            test_version(l);
    }
    if (check_failed) {
        printf("%d failure(s)\n", check_failed);
        return 1;
    }
    printf("walkstate: %d checks passed\n", check_count);
    return 0;
}
