/* SPDX-License-Identifier: MIT */
/* Comparing two profiles function by function (diff.h): --diff BASELINE. */
#include "diff.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "import.h"
#include "table.h"

struct item {
    const char *name, *file;
    uint64_t own, total;
};

static int by_key(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->file, b->file);
}

/* Each function's own and total samples over `thread` (TABLE_NONE: all),
 * merged by (name, file), sorted by them; *samples: the thread's. */
static int items_of(const struct table *t, uint32_t thread, struct item **out, size_t *n, uint64_t *samples)
{
    struct flat_view v;
    *out = NULL;
    *n = 0;
    if (table_flat(t, thread, 0, &v) < 0)
        return ERR_NOMEM;
    *samples = v.samples;
    struct item *it = malloc((v.n ? v.n : 1) * sizeof *it);
    if (!it) {
        flat_view_free(&v);
        return ERR_NOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < v.n; i++)
        if (v.rows[i].total)
            it[k++] = (struct item){table_func_name(t, v.rows[i].func), table_func_file(t, v.rows[i].func),
                                    v.rows[i].own, v.rows[i].total};
    flat_view_free(&v);
    qsort(it, k, sizeof *it, by_key);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (m && by_key(&it[m - 1], &it[i]) == 0) {
            it[m - 1].own += it[i].own;
            it[m - 1].total += it[i].total;
        } else {
            it[m++] = it[i];
        }
    }
    *out = it;
    *n = m;
    return 0;
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static int by_change(const void *pa, const void *pb)
{
    const struct diff_row *a = pa, *b = pb;
    double x = fabs(a->change), y = fabs(b->change);
    if (x != y)
        return (x < y) - (x > y);
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->file, b->file);
}

static void fill(struct diff_row *r, const struct item *it, int side, const uint64_t samples[2])
{
    r->name = it->name;
    r->file = it->file;
    r->own[side] = it->own;
    r->total[side] = it->total;
    r->own_pct[side] = pct(it->own, samples[side]);
    r->total_pct[side] = pct(it->total, samples[side]);
}

struct diff_base {
    struct item *items;              /* merged by (name, file), sorted by them */
    size_t n;
    uint64_t samples;
};

int diff_base_new(const struct table *base, struct diff_base **out)
{
    struct diff_base *b = calloc(1, sizeof *b);
    int rc = b ? items_of(base, TABLE_NONE, &b->items, &b->n, &b->samples) : ERR_NOMEM;
    if (rc < 0) {
        diff_base_free(b);
        b = NULL;
    }
    *out = b;
    return rc;
}

void diff_base_free(struct diff_base *b)
{
    if (b)
        free(b->items);
    free(b);
}

int diff_build(struct diff *d, const struct table *now, const struct table *base)
{
    return diff_build_thread(d, now, TABLE_NONE, base);
}

int diff_build_thread(struct diff *d, const struct table *now, uint32_t thread, const struct table *base)
{
    struct diff_base *b;
    *d = (struct diff){0};
    int rc = diff_base_new(base, &b);
    if (rc == 0)
        rc = diff_build_from(d, now, thread, b, 1);
    diff_base_free(b);
    return rc;
}

int diff_build_from(struct diff *d, const struct table *now, uint32_t thread, const struct diff_base *base,
                    int by_change_order)
{
    struct item *a = NULL;
    const struct item *b = base->items;
    size_t na = 0, nb = base->n;
    *d = (struct diff){.samples = {0, base->samples}};
    int rc = items_of(now, thread, &a, &na, &d->samples[0]);
    if (rc == 0 && !(d->rows = calloc(na + nb + 1, sizeof *d->rows)))
        rc = ERR_NOMEM;
    for (size_t i = 0, j = 0; rc == 0 && (i < na || j < nb);) {
        int c = i == na ? 1 : j == nb ? -1 : by_key(&a[i], &b[j]);
        struct diff_row *r = &d->rows[d->n++];
        if (c <= 0)
            fill(r, &a[i++], 0, d->samples);
        if (c >= 0)
            fill(r, &b[j++], 1, d->samples);
        r->status = c < 0 ? DIFF_NEW : c > 0 ? DIFF_GONE : 0;
        r->change = r->total_pct[0] - r->total_pct[1];
    }
    free(a);
    if (rc < 0) {
        diff_free(d);
        return rc;
    }
    d->by_key = !by_change_order;
    if (by_change_order)
        qsort(d->rows, d->n, sizeof *d->rows, by_change);
    return 0;
}

static int by_row_key(const void *pa, const void *pb)
{
    const struct diff_row *a = *(const struct diff_row *const *)pa, *b = *(const struct diff_row *const *)pb;
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->file, b->file);
}

/* The row of (name, file) among the n rows ordered by key, or NULL. */
static const struct diff_row *find_row(const struct diff_row *const *idx, size_t n, const char *name,
                                       const char *file)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, idx[mid]->name);
        c = c ? c : strcmp(file, idx[mid]->file);
        if (c == 0)
            return idx[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

int diff_marks(const struct diff *d, const struct table *now, double min_pp, signed char *marks, size_t n)
{
    const struct diff_row **idx = malloc((d->n ? d->n : 1) * sizeof *idx);
    if (!idx)
        return ERR_NOMEM;
    for (size_t i = 0; i < d->n; i++)
        idx[i] = &d->rows[i];
    if (!d->by_key)
        qsort(idx, d->n, sizeof *idx, by_row_key);
    size_t nf = table_func_count(now);
    for (size_t f = 0; f < n; f++) {
        const struct diff_row *r = f < nf ? find_row(idx, d->n, table_func_name(now, (uint32_t)f),
                                                     table_func_file(now, (uint32_t)f)) : NULL;
        marks[f] = !r || r->status ? DIFF_MARK_SAME
                 : r->change >= min_pp ? DIFF_MARK_GROWN : r->change <= -min_pp ? DIFF_MARK_SHRUNK : DIFF_MARK_SAME;
    }
    free(idx);
    return 0;
}

void diff_free(struct diff *d)
{
    free(d->rows);
    *d = (struct diff){0};
}

/* s with C0 and C1 controls, DEL, U+2028/9 and invalid UTF-8 as '?'. */
static void put_text(FILE *f, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        if (u[i] < 0x80) {
            fputc(u[i] < 0x20 || u[i] == 0x7f ? '?' : u[i], f);
            i++;
            continue;
        }
        size_t len = u[i] >= 0xf0 ? 4 : u[i] >= 0xe0 ? 3 : 2;
        if (i + len > n || import_utf8_check(u + i, len) != len) {
            fputc('?', f);                      /* one byte of invalid UTF-8 */
            i++;
            continue;
        }
        int c1 = len == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0;
        int sep = len == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 && (u[i + 2] == 0xa8 || u[i + 2] == 0xa9);
        if (c1 || sep)
            fputc('?', f);
        else
            fwrite(u + i, 1, len, f);
        i += len;
    }
}

int diff_write(FILE *f, const struct diff *d, const char *now_label, const char *base_label)
{
    fputs("# proftui diff: now ", f);
    put_text(f, now_label);
    fprintf(f, " (%llu samples) against baseline ", (unsigned long long)d->samples[0]);
    put_text(f, base_label);
    fprintf(f, " (%llu samples)\n", (unsigned long long)d->samples[1]);
    fputs("# shares of all samples by function (name and file); change in percentage points; "
          "sorted by the change of TOTAL%\n", f);
    fprintf(f, "%8s %8s %8s %8s %8s %8s  %-6s %s\n", "TOTAL%", "BASE", "CHANGE", "OWN%", "BASE", "CHANGE",
            "STATUS", "FUNCTION (FILE)");
    for (size_t i = 0; i < d->n; i++) {
        const struct diff_row *r = &d->rows[i];
        fprintf(f, "%8.2f %8.2f %+8.2f %8.2f %8.2f %+8.2f  %-6s ", r->total_pct[0], r->total_pct[1], r->change,
                r->own_pct[0], r->own_pct[1], r->own_pct[0] - r->own_pct[1],
                r->status == DIFF_NEW ? "new" : r->status == DIFF_GONE ? "gone" : "-");
        put_text(f, r->name);
        fputs(" (", f);
        put_text(f, r->file);
        fputs(")\n", f);
    }
    return fflush(f) != 0 || ferror(f) ? ERR_IO : 0;
}
