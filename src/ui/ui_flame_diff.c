/* SPDX-License-Identifier: MIT */
/* The flame graph's --diff colours, with functions matched to the baseline once. */
#include "ui_flame_diff.h"

#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "error.h"
#include "table.h"

struct key {
    const char *name, *file;
    uint32_t id;
    uint64_t total;
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
                                  v.rows[i].total};
    *samples = v.samples;
    flat_view_free(&v);
    if (!k)
        return ERR_NOMEM;
    qsort(k, m, sizeof *k, by_key);
    size_t u = 0;
    for (size_t i = 0; i < m; i++) {
        if (u && strcmp(k[u - 1].name, k[i].name) == 0 && strcmp(k[u - 1].file, k[i].file) == 0)
            k[u - 1].total += k[i].total;
        else
            k[u++] = k[i];
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
        rc = g && p && a ? 0 : ERR_NOMEM;
        fd->cap = rc == 0 ? nf : fd->cap;
    }
    for (size_t f = 0; rc == 0 && f < nf; f++)
        k[f] = (struct key){table_func_name(now, (uint32_t)f), table_func_file(now, (uint32_t)f), (uint32_t)f, 0};
    if (rc == 0)
        qsort(k, nf, sizeof *k, by_key);
    for (size_t i = 0, first = 0; rc == 0 && i < nf; i++) {
        if (i == 0 || strcmp(k[i].name, k[first].name) != 0 || strcmp(k[i].file, k[first].file) != 0) {
            first = i;
            fd->base_pct[k[i].id] = base_share(bk, nb, bsamples, k[i].name, k[i].file);
        }
        fd->group[k[i].id] = k[first].id;
    }
    free(k);
    free(bk);
    fd->now = rc == 0 ? now : NULL;
    fd->base = base;
    fd->nfuncs = rc == 0 ? nf : 0;
    return rc;
}

int ui_flame_diff_marks(struct ui_flame_diff *fd, const struct table *now, uint32_t thread,
                        const struct table *base, double min_pp, signed char *marks, size_t n)
{
    memset(marks, DIFF_MARK_SAME, n);
    if ((fd->now != now || fd->base != base || fd->nfuncs != table_func_count(now)) && match(fd, now, base) < 0)
        return ERR_NOMEM;
    struct flat_view v;
    if (table_flat(now, thread, 0, &v) < 0)
        return ERR_NOMEM;
    memset(fd->acc, 0, fd->nfuncs * sizeof *fd->acc);
    for (size_t i = 0; i < v.n; i++)
        if (v.rows[i].func < fd->nfuncs)
            fd->acc[fd->group[v.rows[i].func]] += v.rows[i].total;
    for (size_t f = 0; f < n && f < fd->nfuncs; f++) {
        uint32_t g = fd->group[f];
        if (!fd->acc[g] || fd->base_pct[g] < 0)
            continue;                 /* new, or gone: grey */
        double change = pct(fd->acc[g], v.samples) - fd->base_pct[g];
        marks[f] = change >= min_pp ? DIFF_MARK_GROWN : change <= -min_pp ? DIFF_MARK_SHRUNK : DIFF_MARK_SAME;
    }
    flat_view_free(&v);
    return 0;
}
