/* SPDX-License-Identifier: MIT */
/* --native for one process of the sampler's set: the threads its capture
 * follows, and each walked thread's sample unwound, named and merged with
 * the thread's Python stack of the same round (pnative.h). */
#include "pnative.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "nunwind.h"
#include "walker.h"

/* Items of all the mixed stacks of one round, at most (beyond, a thread
 * gets no mixed stack that round). */
#define POOL_MAX ((size_t)WALK_MAX_ROUND_FRAMES + 64 * (size_t)NUNWIND_MAX_DEPTH)

/* A thread the capture follows (or failed to: ok 0, not tried again). */
struct follow {
    uint32_t tid;
    uint32_t round;             /* the last round it was walked in */
    int ok;
};

struct pnative {
    enum ncapture_how how;
    int32_t off_previous;       /* _PyInterpreterFrame.previous (nmerge_check_links) */
    int32_t off_cframe;         /* _PyCFrame.current_frame (3.11/3.12), else -1 */
    struct ncapture *cap;
    struct nunwind *unw;
    struct follow *fol;
    size_t nfol, capfol, hint;
    uint32_t round;
    struct nmerge_item *pool;   /* this round's mixed stacks, one after another */
    size_t used, capacity;
    int *count;                 /* per walked thread: pnative_stack's result */
    size_t *at;                 /* and where its items start in pool */
    int nthreads, capthreads;
    struct pnative_counts c;
    struct ncapture_stats last; /* the capture's counters at the last pnative_counts */
    uint64_t ips[NUNWIND_MAX_DEPTH], sps[NUNWIND_MAX_DEPTH];
    uint64_t runaddr[WALK_MAX_DEPTH];   /* 3.11: each run's _PyCFrame (nmerge_cframe_runs) */
    struct nsym syms[NUNWIND_MAX_DEPTH];
};

int pnative_new(uint32_t pid, enum ncapture_how how, unsigned hz, int32_t off_previous,
                int32_t off_cframe, struct pnative **out)
{
    struct pnative *pn = calloc(1, sizeof *pn);
    if (!pn)
        return ERR_NOMEM;
    pn->how = how;
    pn->off_previous = off_previous;
    pn->off_cframe = off_cframe;
    int rc = nunwind_new(pid, &pn->unw);
    if (rc == 0)
        rc = ncapture_new(pid, how, hz, &pn->cap);
    if (rc < 0) {
        pnative_free(pn);
        return rc;
    }
    *out = pn;
    return 0;
}

void pnative_free(struct pnative *pn)
{
    if (!pn)
        return;
    ncapture_free(pn->cap);
    nunwind_free(pn->unw);
    free(pn->fol);
    free(pn->pool);
    free(pn->count);
    free(pn->at);
    free(pn);
}

/* tid's entry, followed from now on when it is new (threads are walked in
 * the same order round after round: the search starts after the last one
 * found). NULL on ENOMEM. */
static struct follow *follow(struct pnative *pn, uint32_t tid)
{
    for (size_t k = 0; k < pn->nfol; k++) {
        size_t i = (pn->hint + k) % pn->nfol;
        if (pn->fol[i].tid == tid) {
            pn->hint = i + 1;
            return &pn->fol[i];
        }
    }
    if (pn->nfol == pn->capfol) {
        size_t cap = pn->capfol ? pn->capfol * 2 : 16;
        struct follow *grown = realloc(pn->fol, cap * sizeof *grown);
        if (!grown)
            return NULL;
        pn->fol = grown;
        pn->capfol = cap;
    }
    struct follow *f = &pn->fol[pn->nfol++];
    *f = (struct follow){.tid = tid, .ok = ncapture_add_thread(pn->cap, tid) == 0};
    pn->c.threads_failed += !f->ok;
    return f;
}

/* Threads not walked this round have ended: the capture lets them go. */
static void unfollow_gone(struct pnative *pn)
{
    for (size_t i = pn->nfol; i-- > 0;) {
        if (pn->fol[i].round == pn->round)
            continue;
        ncapture_drop_thread(pn->cap, pn->fol[i].tid);
        pn->fol[i] = pn->fol[--pn->nfol];
    }
    pn->hint = 0;
}

static int reserve(struct pnative *pn, size_t need)
{
    if (pn->used + need <= pn->capacity)
        return 0;
    size_t cap = pn->capacity ? pn->capacity * 2 : 4096;
    while (cap < pn->used + need)
        cap *= 2;
    if (cap > POOL_MAX)
        cap = POOL_MAX;
    if (pn->used + need > cap)
        return ERR_NOMEM;
    struct nmerge_item *grown = realloc(pn->pool, cap * sizeof *grown);
    if (!grown)
        return ERR_NOMEM;
    pn->pool = grown;
    pn->capacity = cap;
    return 0;
}

/* The frames of a sample, named: their count, or 0 when unusable. */
static int unwind(struct pnative *pn, const struct nsample *s, int *complete)
{
    int nn = nunwind_stack(pn->unw, s, pn->ips, pn->sps, NUNWIND_MAX_DEPTH, complete);
    if (nn < 1) {
        pn->c.unwind_failed++;
        return 0;
    }
    /* A caller is named at its call (the return address minus one: a
     * call to a function that does not return may end its caller). */
    for (int k = 0; k < nn; k++)
        if (nunwind_symbol(pn->unw, pn->ips[k] - (k > 0), &pn->syms[k]) < 0) {
            pn->c.unwind_failed++;
            return 0;
        }
    pn->c.incomplete += !*complete;
    return nn;
}

/* Whether ws's runs have their entry frames' addresses (3.12+). */
static int has_cstack(const struct walk_stack *ws)
{
    for (int d = 0; d < ws->depth; d++)
        if (ws->frames[d].cstack)
            return 1;
    return 0;
}

/* Thread ws's mixed stack at pool[*at]: pnative_stack's result. */
static int one_thread(struct pnative *pn, const struct walk_stack *ws, size_t *at)
{
    if (!ws->tid || ws->tid > UINT32_MAX || ws->failed || ws->depth == 0)
        return 0;                       /* no stack to merge with (or none recorded) */
    struct follow *f = follow(pn, (uint32_t)ws->tid);
    if (!f)
        return 0;
    f->round = pn->round;
    struct nsample s;
    int rc = f->ok ? ncapture_take(pn->cap, f->tid, &s) : 0;
    if (rc == ERR_PERM) {               /* traced by someone else (ptrace): not tried again */
        f->ok = 0;
        pn->c.threads_failed++;
    }
    if (rc <= 0)
        return 0;
    pn->c.samples++;
    int complete = 0, nn = unwind(pn, &s, &complete);
    size_t need = (size_t)nn + (size_t)ws->depth + 2;
    if (nn == 0 || reserve(pn, need) < 0)
        return 0;
    /* 3.12+: counts that agree are not enough where the C stack's copy
     * shows which Python frame each evaluation call was entered from. */
    if (nmerge_check_links(&s, ws, nmerge_leaf_in_eval(pn->syms, nn), pn->off_previous,
                           pn->off_cframe) < 0) {
        pn->c.mismatch++;
        return -1;
    }
    /* 3.11: no entry frame on the C stack, but each evaluation call's
     * _PyCFrame is: placed by address too (3.12 has both: the entry frames) */
    int by_cframe = pn->off_cframe >= 0 && ws->cframe && !has_cstack(ws) &&
                    nmerge_cframe_runs(&s, ws, pn->off_cframe, pn->runaddr) > 0;
    int m = nmerge_stack_at(pn->syms, pn->sps, nn, complete, ws, by_cframe ? pn->runaddr : NULL,
                            pn->pool + pn->used, (int)need);
    if (m == ERR_CORRUPT) {
        pn->c.mismatch++;
        return -1;
    }
    if (m <= 0)
        return 0;
    *at = pn->used;
    pn->used += (size_t)m;
    return m;
}

static int size_threads(struct pnative *pn, int n)
{
    if (n <= pn->capthreads)
        return 0;
    int *count = realloc(pn->count, (size_t)n * sizeof *count);
    if (count)
        pn->count = count;
    size_t *at = count ? realloc(pn->at, (size_t)n * sizeof *at) : NULL;
    if (!at)
        return ERR_NOMEM;
    pn->at = at;
    pn->capthreads = n;
    return 0;
}

void pnative_round(struct pnative *pn, const struct walker *w, int n, int quiet)
{
    if (quiet && pn->how == NCAPTURE_PTRACE && n == pn->nthreads)
        return;                 /* no thread ran: the stacks taken last round stand */
    pn->used = 0;
    pn->nthreads = 0;
    if (n <= 0 || size_threads(pn, n) < 0)
        return;
    pn->nthreads = n;
    pn->round++;
    for (int i = 0; i < n; i++) {
        const struct walk_stack *ws = walker_stack(w, i);
        pn->count[i] = 0;
        if (quiet) {            /* perf: a thread that did not run has no sample */
            struct follow *f = ws->tid && ws->tid <= UINT32_MAX ? follow(pn, (uint32_t)ws->tid) : NULL;
            if (f)
                f->round = pn->round;
            continue;
        }
        pn->count[i] = one_thread(pn, ws, &pn->at[i]);
    }
    unfollow_gone(pn);
}

int pnative_stack(const struct pnative *pn, int i, const struct nmerge_item **items)
{
    if (i < 0 || i >= pn->nthreads)
        return 0;
    *items = pn->count[i] > 0 ? pn->pool + pn->at[i] : NULL;
    return pn->count[i];
}

void pnative_counts(struct pnative *pn, struct pnative_counts *out)
{
    struct ncapture_stats now;
    ncapture_stats(pn->cap, &now);
    *out = pn->c;
    out->superseded = now.superseded - pn->last.superseded;
    out->lost = now.lost - pn->last.lost;
    out->malformed = now.malformed - pn->last.malformed;
    out->stops = now.stops - pn->last.stops;
    pn->last = now;
    memset(&pn->c, 0, sizeof pn->c);
}
