/* SPDX-License-Identifier: MIT */
/* Filter, threshold, windowed sort and a stable selection over the rows
 * of a snapshot. */
#include "ui_model.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))
#define INSERTION_MAX 16

/* The comparison context, passed explicitly to every sorting helper. */
struct order {
    const struct ui_row *rows;
    const struct ui_model_params *p;
};

static int sign(int v)
{
    return CMP(v, 0);
}

/* The sort key alone, in its natural direction (counts: most first). */
static int compare_key(const struct ui_row *a, const struct ui_row *b, enum ui_sort_key key)
{
    int c = 0;
    switch (key) {
    case UI_SORT_OWN:
        c = CMP(b->own, a->own);
        return c ? c : CMP(b->total, a->total);
    case UI_SORT_TOTAL:
        c = CMP(b->total, a->total);
        return c ? c : CMP(b->own, a->own);
    case UI_SORT_NAME:
        return sign(strcmp(a->name, b->name));
    case UI_SORT_LOCATION:
        c = sign(strcmp(a->file, b->file));
        return c ? c : CMP(a->hot_line, b->hot_line);
    case UI_SORT_PYTHON:
    case UI_SORT_C:
    case UI_SORT_SYSTEM: {
        enum table_where w = key == UI_SORT_PYTHON ? TABLE_W_PYTHON : key == UI_SORT_C ? TABLE_W_C
                                                                                       : TABLE_W_SYSTEM;
        c = CMP(b->where[w], a->where[w]);        /* the time, not the share: tiny rows last */
        return c ? c : CMP(b->own, a->own);
    }
    }
    return 0;
}

int ui_model_compare(const struct ui_row *a, const struct ui_row *b, const struct ui_model_params *p)
{
    int c = compare_key(a, b, p->key);
    if (c)
        return p->reversed ? -c : c;
    if ((c = sign(strcmp(a->name, b->name))))
        return c;
    if ((c = sign(strcmp(a->file, b->file))))
        return c;
    if ((c = CMP(a->line, b->line)))
        return c;
    return CMP(a->func, b->func);
}

static int before(const struct order *o, uint32_t a, uint32_t b)
{
    return ui_model_compare(&o->rows[a], &o->rows[b], o->p) < 0;
}

static void swap(uint32_t *a, size_t i, size_t j)
{
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void insertion_sort(uint32_t *a, size_t n, const struct order *o)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && before(o, a[j], a[j - 1]); j--)
            swap(a, j, j - 1);
}

static void sift_down(uint32_t *a, size_t root, size_t n, const struct order *o)
{
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && before(o, a[child], a[child + 1]))
            child++;
        if (!before(o, a[root], a[child]))
            return;
        swap(a, root, child);
    }
}

/* The fallback when quickselect meets a pathological order. */
static void heap_sort(uint32_t *a, size_t n, const struct order *o)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n, o);
    for (size_t end = n; end-- > 1;) {
        swap(a, 0, end);
        sift_down(a, 0, end, o);
    }
}

/* Partition around a median-of-three pivot; returns the pivot's final
 * index. The order is total (no two rows compare equal). */
static size_t partition(uint32_t *a, size_t n, const struct order *o)
{
    size_t mid = n / 2, last = n - 1;
    if (before(o, a[mid], a[0]))
        swap(a, mid, 0);
    if (before(o, a[last], a[0]))
        swap(a, last, 0);
    if (before(o, a[mid], a[last]))
        swap(a, mid, last);           /* the median is now at last */
    size_t store = 0;
    for (size_t i = 0; i < last; i++)
        if (before(o, a[i], a[last]))
            swap(a, i, store++);
    swap(a, store, last);
    return store;
}

/* Reorder a[0..n) so that a[lo..hi) hold, sorted, the elements of ranks
 * lo..hi-1: quicksort that only descends into parts overlapping the
 * window, so the cost is O(n + w log w) for a window of w rows. */
static void partial_sort(uint32_t *a, size_t n, size_t lo, size_t hi, const struct order *o, int depth)
{
    while (lo < hi && n > 1) {
        if (n <= INSERTION_MAX) {
            insertion_sort(a, n, o);
            return;
        }
        if (depth-- <= 0) {
            heap_sort(a, n, o);
            return;
        }
        size_t k = partition(a, n, o);
        if (hi > k + 1) {
            size_t rlo = lo > k + 1 ? lo - (k + 1) : 0;
            if (lo > k) {               /* only the right part matters */
                a += k + 1;
                n -= k + 1;
                lo = rlo;
                hi -= k + 1;
                continue;
            }
            partial_sort(a + k + 1, n - k - 1, rlo, hi - (k + 1), o, depth);
        }
        n = k;
        hi = hi < k ? hi : k;
    }
}

static int depth_limit(size_t n)
{
    int d = 0;
    while (n > 1) {
        n >>= 1;
        d += 2;
    }
    return d;
}

void ui_model_init(struct ui_model *m)
{
    *m = (struct ui_model){.height = 1};
}

void ui_model_free(struct ui_model *m)
{
    free(m->vis);
    ui_model_init(m);
}

static int passes_filter(const struct ui_row *r, const char *filter)
{
    return !filter || !filter[0] || strcasestr(r->name, filter) || strcasestr(r->file, filter);
}

static int under_threshold(const struct ui_row *r, uint64_t samples, double pct)
{
    return pct > 0 && samples > 0 && (double)r->total * 100.0 < pct * (double)samples;
}

static void sort_window(struct ui_model *m)
{
    struct order o = {.rows = m->rows, .p = &m->p};
    size_t end = m->top + m->height < m->nvis ? m->top + m->height : m->nvis;
    partial_sort(m->vis, m->nvis, m->top, end, &o, depth_limit(m->nvis));
}

/* Scroll as little as needed for rank r to be in the window. */
static void clamp_top(struct ui_model *m, size_t r)
{
    if (r < m->top)
        m->top = r;
    if (r >= m->top + m->height)
        m->top = r - m->height + 1;
    if (m->nvis <= m->height)
        m->top = 0;
    else if (m->top > m->nvis - m->height)
        m->top = m->nvis - m->height;
}

static size_t rank_of(const struct ui_model *m, uint32_t row)
{
    struct order o = {.rows = m->rows, .p = &m->p};
    size_t r = 0;
    for (size_t i = 0; i < m->nvis; i++)
        r += before(&o, m->vis[i], row);
    return r;
}

static long find(const struct ui_model *m, struct ui_row_id id)
{
    for (size_t i = 0; i < m->nvis; i++) {
        const struct ui_row *r = &m->rows[m->vis[i]];
        if (r->func == id.func && r->line == id.line)
            return (long)i;
    }
    return -1;
}

/* Find the selection's rank (or keep the old rank when it is gone), keep
 * the window where it was unless the selection left it, order the window. */
static void place(struct ui_model *m)
{
    if (m->nvis == 0) {
        m->top = m->sel = 0;
        return;
    }
    long at = m->has_sel && m->pinned ? find(m, m->sel_id) : -1;
    size_t r = at >= 0 ? rank_of(m, m->vis[at]) : (m->sel < m->nvis ? m->sel : m->nvis - 1);
    clamp_top(m, r);
    sort_window(m);
    const struct ui_row *row = &m->rows[m->vis[r]];
    m->sel = r;
    m->sel_id = (struct ui_row_id){.func = row->func, .line = row->line};
    m->has_sel = 1;
}

int ui_model_update(struct ui_model *m, const struct ui_row *rows, size_t nrows,
                    uint64_t samples, const struct ui_model_params *p, size_t height)
{
    m->rows = rows;
    m->nrows = nrows;
    m->samples = samples;
    m->p = *p;
    m->height = height ? height : 1;
    m->nvis = m->matched = m->below = 0;
    if (nrows > m->cap) {
        if (nrows > UINT32_MAX)
            return ERR_NOMEM;
        uint32_t *v = realloc(m->vis, nrows * sizeof *v);
        if (!v)
            return ERR_NOMEM;
        m->vis = v;
        m->cap = nrows;
    }
    for (size_t i = 0; i < nrows; i++) {
        if (!passes_filter(&rows[i], p->filter))
            continue;
        m->matched++;
        if (under_threshold(&rows[i], samples, p->threshold_pct))
            m->below++;
        else
            m->vis[m->nvis++] = (uint32_t)i;
    }
    place(m);
    return 0;
}

int ui_model_move(struct ui_model *m, long delta)
{
    if (m->nvis == 0)
        return 0;
    size_t r = m->sel;
    if (delta < 0) {
        size_t back = delta == LONG_MIN ? r : (size_t)-delta;
        r = back > r ? 0 : r - back;
    } else {
        size_t last = m->nvis - 1;
        r = (size_t)delta > last - r ? last : r + (size_t)delta;
    }
    size_t old_top = m->top;
    m->pinned = 1;
    clamp_top(m, r);
    if (m->top != old_top)
        sort_window(m);
    const struct ui_row *row = &m->rows[m->vis[r]];
    m->sel = r;
    m->sel_id = (struct ui_row_id){.func = row->func, .line = row->line};
    m->has_sel = 1;
    return m->top != old_top;
}

void ui_model_select(struct ui_model *m, struct ui_row_id id)
{
    m->sel_id = id;
    m->has_sel = 1;
    m->pinned = 1;
    if (m->rows)
        place(m);
}

size_t ui_model_window(const struct ui_model *m)
{
    size_t left = m->nvis - m->top;
    return left < m->height ? left : m->height;
}

const struct ui_row *ui_model_row(const struct ui_model *m, size_t i)
{
    return &m->rows[m->vis[m->top + i]];
}

const struct ui_row *ui_model_selected(const struct ui_model *m)
{
    return m->nvis ? &m->rows[m->vis[m->sel]] : NULL;
}
