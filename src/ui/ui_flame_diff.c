/* SPDX-License-Identifier: MIT */
/* The flame graph's --diff colours, with functions matched to the baseline once. */
#include "ui_flame_diff.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "diff.h"
#include "error.h"
#include "table.h"

struct key {
    const char *name, *file;
    uint32_t id;
    uint64_t total, own;
};

/* One row of the comparison, in (name, file) order: a group of now's
 * functions, the baseline's function of that name and file, or both. */
struct ui_flame_diff_key {
    const char *name, *file;     /* the baseline's when it has them (as diff.c) */
    uint32_t group;              /* now's group (its lowest function id), TABLE_NONE: none */
    int in_base;
    uint64_t base_own, base_total;
};

void ui_flame_diff_init(struct ui_flame_diff *fd)
{
    *fd = (struct ui_flame_diff){0};
}

void ui_flame_diff_free(struct ui_flame_diff *fd)
{
    free(fd->group);
    free(fd->base_pct);
    free(fd->acc);
    free(fd->acc_own);
    free(fd->keys);
    free(fd->order);
    free(fd->tmp);
    ui_flame_diff_init(fd);
}

static int by_key(const void *pa, const void *pb)
{
    const struct key *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c == 0)
        c = strcmp(a->file, b->file);
    return c ? c : (a->id > b->id) - (a->id < b->id);
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* The baseline's functions with samples, merged by (name, file) and
 * sorted (as diff_base_new); its samples in *samples. */
static int base_keys(const struct table *base, struct key **out, size_t *n, uint64_t *samples)
{
    struct flat_view v;
    *out = NULL;
    *n = 0;
    if (table_flat(base, TABLE_NONE, 0, &v) < 0)
        return ERR_NOMEM;
    struct key *k = malloc((v.n ? v.n : 1) * sizeof *k);
    size_t m = 0;
    for (size_t i = 0; k && i < v.n; i++)
        if (v.rows[i].total)
            k[m++] = (struct key){table_func_name(base, v.rows[i].func), table_func_file(base, v.rows[i].func), 0,
                                  v.rows[i].total, v.rows[i].own};
    *samples = v.samples;
    flat_view_free(&v);
    if (!k)
        return ERR_NOMEM;
    qsort(k, m, sizeof *k, by_key);
    size_t u = 0;
    for (size_t i = 0; i < m; i++) {
        if (u && strcmp(k[u - 1].name, k[i].name) == 0 && strcmp(k[u - 1].file, k[i].file) == 0) {
            k[u - 1].total += k[i].total;
            k[u - 1].own += k[i].own;
        } else {
            k[u++] = k[i];
        }
    }
    *out = k;
    *n = u;
    return 0;
}

/* The baseline share of (name, file) among its n sorted keys, or -1. */
static double base_share(const struct key *b, size_t n, uint64_t samples, const char *name, const char *file)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, b[mid].name);
        if (c == 0)
            c = strcmp(file, b[mid].file);
        if (c == 0)
            return pct(b[mid].total, samples);
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* The rows' keys in (name, file) order: now's groups (k, sorted, nf)
 * merged with the baseline's keys (bk, nb). */
static int union_keys(struct ui_flame_diff *fd, const struct key *k, size_t nf, const struct key *bk, size_t nb,
                      uint64_t bsamples)
{
    struct ui_flame_diff_key *u = realloc(fd->keys, (nf + nb + 1) * sizeof *u);
    struct array_keyed *o = realloc(fd->order, (nf + nb + 1) * sizeof *o);
    struct array_keyed *t = realloc(fd->tmp, (nf + nb + 1) * sizeof *t);
    fd->keys = u ? u : fd->keys;
    fd->order = o ? o : fd->order;
    fd->tmp = t ? t : fd->tmp;
    if (!u || !o || !t)
        return ERR_NOMEM;
    size_t n = 0, i = 0, j = 0;
    while (i < nf || j < nb) {
        int c = i == nf ? 1 : j == nb ? -1 : strcmp(k[i].name, bk[j].name);
        if (c == 0 && i < nf && j < nb)
            c = strcmp(k[i].file, bk[j].file);
        struct ui_flame_diff_key *r = &u[n++];
        *r = (struct ui_flame_diff_key){.group = TABLE_NONE};
        if (c <= 0) {
            r->name = k[i].name;
            r->file = k[i].file;
            r->group = fd->group[k[i].id];
            for (size_t first = i; i < nf && strcmp(k[i].name, k[first].name) == 0 &&
                                   strcmp(k[i].file, k[first].file) == 0;)
                i++;
        }
        if (c >= 0) {
            *r = (struct ui_flame_diff_key){bk[j].name, bk[j].file, r->group, 1, bk[j].own, bk[j].total};
            j++;
        }
    }
    fd->nkeys = n;
    fd->bsamples = bsamples;
    return 0;
}

/* Match every function of now with its (name, file) group and the
 * baseline (when functions appeared, or the tables are others). */
static int match(struct ui_flame_diff *fd, const struct table *now, const struct table *base)
{
    size_t nf = table_func_count(now), nb = 0;
    uint64_t bsamples = 0;
    struct key *bk = NULL, *k = malloc((nf ? nf : 1) * sizeof *k);
    int rc = k ? base_keys(base, &bk, &nb, &bsamples) : ERR_NOMEM;
    if (rc == 0 && nf > fd->cap) {
        uint32_t *g = realloc(fd->group, nf * sizeof *g);
        fd->group = g ? g : fd->group;
        double *p = realloc(fd->base_pct, nf * sizeof *p);
        fd->base_pct = p ? p : fd->base_pct;
        uint64_t *a = realloc(fd->acc, nf * sizeof *a);
        fd->acc = a ? a : fd->acc;
        uint64_t *o = realloc(fd->acc_own, nf * sizeof *o);
        fd->acc_own = o ? o : fd->acc_own;
        rc = g && p && a && o ? 0 : ERR_NOMEM;
        fd->cap = rc == 0 ? nf : fd->cap;
    }
    for (size_t f = 0; rc == 0 && f < nf; f++)
        k[f] = (struct key){table_func_name(now, (uint32_t)f), table_func_file(now, (uint32_t)f), (uint32_t)f, 0, 0};
    if (rc == 0)
        qsort(k, nf, sizeof *k, by_key);
    for (size_t i = 0, first = 0; rc == 0 && i < nf; i++) {
        if (i == 0 || strcmp(k[i].name, k[first].name) != 0 || strcmp(k[i].file, k[first].file) != 0) {
            first = i;
            fd->base_pct[k[i].id] = base_share(bk, nb, bsamples, k[i].name, k[i].file);
        }
        fd->group[k[i].id] = k[first].id;
    }
    if (rc == 0)
        rc = union_keys(fd, k, nf, bk, nb, bsamples);
    free(k);
    free(bk);
    fd->now = rc == 0 ? now : NULL;
    fd->base = base;
    fd->nfuncs = rc == 0 ? nf : 0;
    return rc;
}

/* Functions matched with the baseline (again when either table or the
 * count of functions changed), and now's function-level counts of thread
 * summed by group: acc[g] and acc_own[g] of each group's first function g
 * (0 for the others); the view's samples in *samples. 0 or ERR_NOMEM. */
static int start(struct ui_flame_diff *fd, const struct table *now, uint32_t thread,
                 const struct table *base, uint64_t *samples)
{
    if ((fd->now != now || fd->base != base || fd->nfuncs != table_func_count(now)) && match(fd, now, base) < 0)
        return ERR_NOMEM;
    memset(fd->acc, 0, fd->nfuncs * sizeof *fd->acc);
    memset(fd->acc_own, 0, fd->nfuncs * sizeof *fd->acc_own);
    if (table_flat_funcs(now, thread, fd->acc_own, fd->acc, fd->nfuncs, samples) < 0)
        return ERR_NOMEM;
    /* A group's first function has the lowest id of the group: moving the
     * others' counts onto it in id order leaves every group summed. */
    for (size_t f = 0; f < fd->nfuncs; f++) {
        uint32_t g = fd->group[f];
        if (g < f && (fd->acc[f] || fd->acc_own[f])) {
            fd->acc[g] += fd->acc[f];
            fd->acc_own[g] += fd->acc_own[f];
            fd->acc[f] = fd->acc_own[f] = 0;
        }
    }
    return 0;
}

int ui_flame_diff_marks(struct ui_flame_diff *fd, const struct table *now, uint32_t thread,
                        const struct table *base, double min_pp, signed char *marks, size_t n)
{
    memset(marks, DIFF_MARK_SAME, n);
    uint64_t samples;
    if (start(fd, now, thread, base, &samples) < 0)
        return ERR_NOMEM;
    for (size_t f = 0; f < n && f < fd->nfuncs; f++) {
        uint32_t g = fd->group[f];
        if (!fd->acc[g] || fd->base_pct[g] < 0)
            continue;                 /* new, or gone: grey */
        double change = pct(fd->acc[g], samples) - fd->base_pct[g];
        marks[f] = change >= min_pp ? DIFF_MARK_GROWN : change <= -min_pp ? DIFF_MARK_SHRUNK : DIFF_MARK_SAME;
    }
    return 0;
}

static double pct_of(uint64_t part, uint64_t whole)
{
    return pct(part, whole);
}

/* Fill row r of key u with now's (own, total) of samples and the baseline's. */
static void fill_row(struct diff_row *r, const struct ui_flame_diff_key *u, uint64_t own, uint64_t total,
                     const uint64_t samples[2])
{
    *r = (struct diff_row){.name = u->name, .file = u->file};
    if (total) {
        r->own[0] = own;
        r->total[0] = total;
        r->own_pct[0] = pct_of(own, samples[0]);
        r->total_pct[0] = pct_of(total, samples[0]);
    }
    if (u->in_base) {
        r->own[1] = u->base_own;
        r->total[1] = u->base_total;
        r->own_pct[1] = pct_of(u->base_own, samples[1]);
        r->total_pct[1] = pct_of(u->base_total, samples[1]);
    }
    r->status = !u->in_base ? DIFF_NEW : !total ? DIFF_GONE : 0;
    r->change = r->total_pct[0] - r->total_pct[1];
}

/* The order entry of key k, when it has samples now or in the baseline. */
static int order_of(const struct ui_flame_diff *fd, uint32_t k, const uint64_t samples[2],
                    struct array_keyed *o)
{
    const struct ui_flame_diff_key *u = &fd->keys[k];
    uint64_t total = u->group != TABLE_NONE ? fd->acc[u->group] : 0;
    if (!total && !u->in_base)
        return 0;
    double now_pct = total ? pct(total, samples[0]) : 0, base_pct = u->in_base ? pct(u->base_total, samples[1]) : 0;
    *o = (struct array_keyed){fabs(now_pct - base_pct), k};
    return 1;
}

int ui_flame_diff_rows(struct ui_flame_diff *fd, const struct table *now, uint32_t thread,
                       const struct table *base, struct diff *d)
{
    *d = (struct diff){0};
    uint64_t samples[2];
    if (start(fd, now, thread, base, &samples[0]) < 0)
        return ERR_NOMEM;
    samples[1] = fd->bsamples;      /* the match start() may have made again */
    /* The keys with samples on either side, in (name, file) order, then
     * by the change: ties stay in (name, file) order. */
    size_t n = 0;
    for (size_t k = 0; k < fd->nkeys; k++)
        n += (size_t)order_of(fd, (uint32_t)k, samples, &fd->order[n]);
    array_sort_desc(fd->order, fd->tmp, n);
    if (!(d->rows = calloc(n + 1, sizeof *d->rows)))
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct ui_flame_diff_key *u = &fd->keys[fd->order[i].id];
        uint64_t g = u->group;
        fill_row(&d->rows[i], u, g != TABLE_NONE ? fd->acc_own[g] : 0, g != TABLE_NONE ? fd->acc[g] : 0, samples);
    }
    d->n = n;
    d->samples[0] = samples[0];
    d->samples[1] = samples[1];
    return 0;
}
