/* SPDX-License-Identifier: MIT */
/* The state of each thread in a round, read from its interpreter: whether
 * it holds the GIL, waits for it, or runs the garbage collector. */
#include <string.h>

#include "error.h"
#include "pytarget.h"
#include "reader.h"
#include "walker_impl.h"

/* The GIL the threads of interp use, or 0 when unknown. <= 3.11: the one
 * in _PyRuntime.ceval; 3.12+: interp->ceval.gil (pycore_ceval_state.h),
 * the interpreter's own _gil or the main interpreter's when shared. */
static uint64_t gil_addr(struct walker *w, uint64_t interp)
{
    const struct py_layout *l = &w->t->layout;
    uint64_t gil = 0;
    if (l->runtime_gil >= 0)
        return w->t->runtime + (uint64_t)l->runtime_gil;
    if (l->interp_gil_ptr < 0 ||
        walkread_fetch_ptr(w, G_LIST, interp + (uint64_t)l->interp_gil_ptr, &gil) < 0)
        return 0;
    return reader_addr_ok(gil, 8) ? gil : 0;
}

/* An int flag at addr: 1 or 0, else -1 (unreadable, or a value that is
 * neither: not the flag we think it is). */
static int8_t read_flag(struct walker *w, uint64_t addr)
{
    uint8_t buf[4];
    int rc = 0;
    int32_t v;
    const uint8_t *p = reader_addr_ok(addr, 4) ? walkread_fetch(w, G_STATE, addr, 4, buf, &rc) : NULL;
    if (!p)
        return -1;
    memcpy(&v, p, sizeof v);
    return v == 0 || v == 1 ? (int8_t)v : -1;
}

/* _gil_runtime_state.locked and .last_holder (pycore_gil.h), read as one
 * range. locked is -1 before the GIL is made and after it is destroyed:
 * then nobody is known to hold it. */
static void read_gil(struct walker *w, uint64_t gil, struct walk_interp_state *s)
{
    const struct py_layout *l = &w->t->layout;
    if (!gil || l->gil_locked < 0 || l->gil_last_holder < 0)
        return;
    int32_t lo = l->gil_locked < l->gil_last_holder ? l->gil_locked : l->gil_last_holder;
    int32_t hi = l->gil_locked + 4 > l->gil_last_holder + 8 ? l->gil_locked + 4 : l->gil_last_holder + 8;
    uint8_t buf[64];
    int rc = 0;
    if (hi - lo > (int32_t)sizeof buf)
        return;
    const uint8_t *p = walkread_fetch(w, G_STATE, gil + (uint64_t)lo, (size_t)(hi - lo), buf, &rc);
    if (!p)
        return;
    int32_t locked;
    memcpy(&locked, p + (l->gil_locked - lo), sizeof locked);
    memcpy(&s->holder, p + (l->gil_last_holder - lo), sizeof s->holder);
    s->locked = locked == 0 || locked == 1 ? (int8_t)locked : -1;
}

int walk_gil_lock_at(const struct walk_stack *ws, uint64_t uaddr)
{
    return ws->gil_at && uaddr >= ws->gil_at + WALK_GIL_WAIT_LO &&
           uaddr < ws->gil_at + WALK_GIL_WAIT_HI;
}

void walkstate_read(struct walker *w, uint64_t interp, struct walk_interp_state *s)
{
    const struct py_layout *l = &w->t->layout;
    *s = (struct walk_interp_state){.locked = -1, .collecting = -1};
    s->gil_at = l->gil_size >= WALK_GIL_WAIT_HI ? gil_addr(w, interp) : 0;
    read_gil(w, s->gil_at ? s->gil_at : gil_addr(w, interp), s);
    /* gc.collecting (pycore_gc.h / pycore_interp.h): 3.8 in _PyRuntime,
     * 3.9+ per interpreter. */
    if (l->runtime_gc_collecting >= 0)
        s->collecting = read_flag(w, w->t->runtime + (uint64_t)l->runtime_gc_collecting);
    else if (l->interp_gc_collecting >= 0)
        s->collecting = read_flag(w, interp + (uint64_t)l->interp_gc_collecting);
}

void walkstate_thread(const struct walker *w, struct walk_interp_state *s, uint64_t ts,
                      const uint8_t *tb, struct walk_stack *st)
{
    const struct py_layout *l = &w->t->layout;
    /* A holder that is none of the threads listed: nobody we see holds it.
     * A thread state listed twice (a damaged list) holds it once. */
    st->gil = s->locked < 0 ? -1 : (int8_t)(s->locked == 1 && s->holder == ts && !s->claimed);
    s->claimed |= st->gil == 1;
    /* The collector runs in the thread that holds the GIL (a finalizer
     * that lets the GIL go during a collection is the rare exception). */
    st->gc = s->collecting < 0 ? -1 : s->collecting == 0 ? 0 : st->gil;
    st->gil_wait = -1;
    st->gil_locked = s->locked;
    st->gil_at = s->gil_at;
    if (l->tstate_gil_requested >= 0) {
        /* 3.15+: PyThreadState.gil_requested, set while the thread waits
         * in take_gil() (cpython/pystate.h). */
        int32_t v;
        memcpy(&v, tb + l->tstate_gil_requested, sizeof v);
        st->gil_wait = v == 0 ? 0 : v == 1 ? (int8_t)(st->gil != 1) : -1;
    }
}
