/* SPDX-License-Identifier: MIT */
/* The flame graph's model: boxes laid out from the merged call tree, the
 * selection and the zoom as paths of function ids, the scroll. */
#include "ui_flame.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "table.h"

/* A child being placed: sorted heaviest first, then by function id and line. */
struct kid {
    uint64_t total;
    uint32_t func, node;
    int32_t line;
};

static const struct ui_mtree empty;

void ui_flame_init(struct ui_flame *f)
{
    *f = (struct ui_flame){.mt = &empty, .sel = TABLE_NONE, .dirty = 1};
}

void ui_flame_free(struct ui_flame *f)
{
    free(f->boxes);
    free(f->rows);
    free(f->scratch);
    free(f->trail.ids);
    for (int i = 0; i < UI_FLAME_KID_CACHES; i++)
        free(f->kids[i].ids);
    ui_flame_init(f);
}

void ui_flame_set_tree(struct ui_flame *f, const struct ui_mtree *mt)
{
    f->mt = mt ? mt : &empty;
    f->dirty = 1;
}

void ui_flame_set_threshold(struct ui_flame *f, double pct)
{
    if (pct != f->threshold_pct)
        f->dirty = 1;
    f->threshold_pct = pct;
}

uint64_t ui_flame_samples(const struct ui_flame *f)
{
    return f->mt->n ? f->mt->nodes[0].total : 0;
}

/* ---- paths ---- */

static uint32_t child_by_key(const struct ui_mtree *mt, uint32_t node, struct frame_key key)
{
    for (uint32_t c = mt->nodes[node].first_child; c < mt->n; c = mt->nodes[c].next_sibling)
        if (mt->nodes[c].func == key.func && mt->nodes[c].line == key.line)
            return c;
    return TABLE_NONE;
}

/* The node at the end of ids[0..n) from the root, as far as it goes
 * (*got: how far). */
static uint32_t resolve(const struct ui_mtree *mt, const struct frame_key *ids, size_t n, size_t *got)
{
    uint32_t node = 0;
    size_t i = 0;
    for (; i < n; i++) {
        uint32_t c = child_by_key(mt, node, ids[i]);
        if (c == TABLE_NONE)
            break;
        node = c;
    }
    *got = i;
    return node;
}

static int trail_set(struct ui_flame_path *p, size_t i, struct frame_key key)
{
    if (array_reserve((void **)&p->ids, &p->cap, i + 1, sizeof *p->ids) < 0)
        return ERR_NOMEM;
    p->ids[i] = key;
    if (p->n <= i)
        p->n = i + 1;
    return 0;
}

static struct frame_key box_key(const struct ui_flame *f, uint32_t b)
{
    uint32_t node = f->boxes[b].node;
    if (node == TABLE_NONE)
        return (struct frame_key){TABLE_NONE, -1};
    return (struct frame_key){f->mt->nodes[node].func, f->mt->nodes[node].line};
}

/* The trail becomes the path of box b (and ends there). */
static void trail_to_box(struct ui_flame *f, uint32_t b)
{
    size_t end = f->zoom + f->boxes[b].depth;
    if (array_reserve((void **)&f->trail.ids, &f->trail.cap, end, sizeof *f->trail.ids) < 0)
        return;
    for (uint32_t i = b; f->boxes[i].parent != TABLE_NONE; i = f->boxes[i].parent)
        f->trail.ids[f->zoom + f->boxes[i].depth - 1] = box_key(f, i);
    f->trail.n = end;
    f->want = end;
    f->sel = b;
}

/* The zoomed node; zooms whose frame is gone are dropped. */
static uint32_t zoom_node(struct ui_flame *f)
{
    size_t got;
    uint32_t node = resolve(f->mt, f->trail.ids, f->zoom, &got);
    if (got == f->zoom)
        return node;
    while (f->nzooms && f->zooms[f->nzooms - 1] > got)
        f->nzooms--;
    f->zoom = f->nzooms ? f->zooms[f->nzooms - 1] : 0;
    if (f->want < f->zoom)
        f->want = f->zoom;
    return resolve(f->mt, f->trail.ids, f->zoom, &got);
}

/* ---- layout ---- */

static int add_box(struct ui_flame *f, const struct ui_flame_box *b)
{
    if (array_reserve((void **)&f->boxes, &f->boxes_cap, f->nboxes + 1, sizeof *f->boxes) < 0)
        return ERR_NOMEM;
    f->boxes[f->nboxes++] = *b;
    return 0;
}

/* Columns of the first s samples of a box of w columns and t samples. */
static int cols(uint64_t s, int w, uint64_t t)
{
    if (s <= UINT64_MAX / UI_FLAME_WIDTH_MAX)
        return (int)(s * (uint64_t)w / t);
    return (int)((double)s * w / (double)t);
}

static int by_weight(const void *pa, const void *pb)
{
    const struct kid *a = pa, *b = pb;
    if (a->total != b->total)
        return (a->total < b->total) - (a->total > b->total);
    if (a->func != b->func)
        return (a->func > b->func) - (a->func < b->func);
    if (a->line != b->line)
        return (a->line > b->line) - (a->line < b->line);
    return (a->node > b->node) - (a->node < b->node);
}

#define PREFETCH_AHEAD 16

/* The kept children of node, brought up to date, or NULL (not wide, or
 * out of memory: walk the list). */
static const struct ui_flame_kids *wide_kids(struct ui_flame *f, uint32_t node)
{
    const struct ui_mtree *mt = f->mt;
    struct ui_flame_kids *k = NULL, *lru = &f->kids[0];
    for (int i = 0; i < UI_FLAME_KID_CACHES && !k; i++) {
        struct ui_flame_kids *e = &f->kids[i];
        if (e->ids && e->node == node && e->build == mt->build && e->last < mt->n)
            k = e;
        else if (e->used < lru->used)
            lru = e;
    }
    uint32_t c = mt->nodes[node].first_child;
    if (!k) {
        size_t n = 0;
        for (uint32_t x = c; x < mt->n && n < UI_MT_WIDE; x = mt->nodes[x].next_sibling)
            n++;
        if (n < UI_MT_WIDE)
            return NULL;
        k = lru;
        *k = (struct ui_flame_kids){.node = node, .ids = k->ids, .cap = k->cap, .build = mt->build};
    } else {
        c = mt->nodes[k->last].next_sibling;    /* made since */
    }
    for (; c < mt->n; c = mt->nodes[c].next_sibling) {
        if (array_reserve((void **)&k->ids, &k->cap, k->n + 1, sizeof *k->ids) < 0) {
            k->n = 0;
            k->node = TABLE_NONE;
            return NULL;
        }
        k->ids[k->n++] = c;
        k->last = c;
    }
    k->used = ++f->kids_clock;
    return k;
}

/* Consider child c of a box of w columns and t samples. */
static int consider(struct ui_flame *f, uint32_t c, int w, uint64_t t, double floor_share, size_t *n,
                    uint64_t *rest, uint32_t *nrest)
{
    const struct ui_mt_node *nd = &f->mt->nodes[c];
    if (!nd->total)
        return 0;
    if (cols(nd->total, w, t) < 1 || (double)nd->total < floor_share) {
        *rest += nd->total;
        (*nrest)++;
        return 0;
    }
    if (array_reserve(&f->scratch, &f->scratch_cap, *n + 1, sizeof(struct kid)) < 0)
        return ERR_NOMEM;
    ((struct kid *)f->scratch)[(*n)++] = (struct kid){nd->total, nd->func, c, nd->line};
    return 0;
}

/* The children of node that get a box of their own (at least one column
 * of w and not under the threshold) into the scratch, sorted; the others'
 * samples and count into *rest, *nrest. Returns how many or ERR_NOMEM. */
static long wide_children(struct ui_flame *f, uint32_t node, int w, uint64_t *rest, uint32_t *nrest)
{
    const struct ui_mtree *mt = f->mt;
    uint64_t t = mt->nodes[node].total;
    double floor_share = f->threshold_pct / 100.0 * (double)ui_flame_samples(f);
    size_t n = 0;
    *rest = 0;
    *nrest = 0;
    const struct ui_flame_kids *k = wide_kids(f, node);
    for (size_t i = 0; k && i < k->n; i++) {
        if (i + PREFETCH_AHEAD < k->n)
            __builtin_prefetch(&mt->nodes[k->ids[i + PREFETCH_AHEAD]]);
        if (consider(f, k->ids[i], w, t, floor_share, &n, rest, nrest) < 0)
            return ERR_NOMEM;
    }
    for (uint32_t c = k ? TABLE_NONE : mt->nodes[node].first_child; c < mt->n; c = mt->nodes[c].next_sibling)
        if (consider(f, c, w, t, floor_share, &n, rest, nrest) < 0)
            return ERR_NOMEM;
    if (n > 1)
        qsort(f->scratch, n, sizeof(struct kid), by_weight);
    return (long)n;
}

/* Boxes for the children of box bi, in the next row. */
static int lay_children(struct ui_flame *f, uint32_t bi)
{
    const struct ui_flame_box b = f->boxes[bi];     /* a copy: the array may move */
    if (b.node == TABLE_NONE || f->mt->nodes[b.node].total == 0)
        return 0;
    uint64_t t = f->mt->nodes[b.node].total, rest, s = 0;
    uint32_t nrest, first = (uint32_t)f->nboxes;
    long n = wide_children(f, b.node, b.w, &rest, &nrest);
    if (n < 0)
        return (int)n;
    struct ui_flame_box c = {.parent = bi, .first_child = TABLE_NONE, .depth = b.depth + 1};
    for (long i = 0; i < n; i++) {
        const struct kid *k = &((const struct kid *)f->scratch)[i];
        c.node = k->node;
        c.samples = k->total;
        c.x = b.x + cols(s, b.w, t);
        s += k->total;
        c.w = b.x + cols(s, b.w, t) - c.x;
        if (add_box(f, &c) < 0)
            return ERR_NOMEM;
    }
    f->merged += nrest;
    c = (struct ui_flame_box){.node = TABLE_NONE, .parent = bi, .first_child = TABLE_NONE,
                              .depth = b.depth + 1, .merged = nrest, .samples = rest,
                              .x = b.x + cols(s, b.w, t)};
    c.w = b.x + cols(s + rest, b.w, t) - c.x;
    if (nrest && c.w > 0 && add_box(f, &c) < 0)
        return ERR_NOMEM;
    f->boxes[bi].nchildren = (uint32_t)f->nboxes - first;
    f->boxes[bi].first_child = f->nboxes > first ? first : TABLE_NONE;
    return 0;
}

/* Frames under box bi that the row limit cuts off. */
static size_t count_children(const struct ui_flame *f, uint32_t bi)
{
    size_t n = 0;
    uint32_t node = f->boxes[bi].node;
    if (node == TABLE_NONE)
        return 0;
    for (uint32_t c = f->mt->nodes[node].first_child; c < f->mt->n; c = f->mt->nodes[c].next_sibling)
        n += f->mt->nodes[c].total > 0;
    return n;
}

/* Row after row from the top box down. */
static int lay_rows(struct ui_flame *f, uint32_t top)
{
    struct ui_flame_box tb = {.node = top, .parent = TABLE_NONE, .first_child = TABLE_NONE,
                              .w = f->width, .samples = f->mt->nodes[top].total};
    if (add_box(f, &tb) < 0)
        return ERR_NOMEM;
    size_t start = 0;
    for (size_t d = 0; start < f->nboxes; d++) {
        size_t end = f->nboxes;
        if (array_reserve((void **)&f->rows, &f->rows_cap, d + 2, sizeof *f->rows) < 0)
            return ERR_NOMEM;
        f->rows[d] = (uint32_t)start;
        f->rows[d + 1] = (uint32_t)end;
        f->nrows = d + 1;
        for (size_t b = start; b < end; b++) {
            if (d + 1 >= UI_FLAME_DEPTH_MAX)
                f->cut += count_children(f, (uint32_t)b);
            else if (lay_children(f, (uint32_t)b) < 0)
                return ERR_NOMEM;
        }
        start = end;
    }
    return 0;
}

static uint32_t child_box(const struct ui_flame *f, uint32_t b, struct frame_key key)
{
    const struct ui_flame_box *p = &f->boxes[b];
    for (uint32_t i = 0; i < p->nchildren; i++) {
        struct frame_key k = box_key(f, p->first_child + i);
        if (f->boxes[p->first_child + i].node != TABLE_NONE && k.func == key.func && k.line == key.line)
            return p->first_child + i;
    }
    return TABLE_NONE;
}

/* The selection follows its path as far as it is laid out. */
static void place_selection(struct ui_flame *f)
{
    uint32_t b = 0;
    for (size_t k = f->zoom; k < f->want && k < f->trail.n; k++) {
        uint32_t c = child_box(f, b, f->trail.ids[k]);
        if (c == TABLE_NONE)
            break;
        b = c;
    }
    f->sel = b;
}

int ui_flame_layout(struct ui_flame *f, int width)
{
    width = width < 1 ? 1 : width > UI_FLAME_WIDTH_MAX ? UI_FLAME_WIDTH_MAX : width;
    if (!f->dirty && width == f->width)
        return 0;
    f->width = width;
    f->dirty = 0;
    f->nboxes = f->nrows = f->merged = f->cut = 0;
    f->sel = TABLE_NONE;
    if (!f->mt->n)
        return 0;
    if (lay_rows(f, zoom_node(f)) < 0) {
        f->nboxes = f->nrows = 0;
        f->dirty = 1;
        return ERR_NOMEM;
    }
    place_selection(f);
    return 0;
}

size_t ui_flame_row(const struct ui_flame *f, size_t d, size_t *first)
{
    if (d >= f->nrows) {
        *first = 0;
        return 0;
    }
    *first = f->rows[d];
    return f->rows[d + 1] - f->rows[d];
}

const struct ui_flame_box *ui_flame_selected(const struct ui_flame *f)
{
    return f->sel < f->nboxes ? &f->boxes[f->sel] : NULL;
}

const struct ui_mt_node *ui_flame_node(const struct ui_flame *f, const struct ui_flame_box *b)
{
    return b && b->node < f->mt->n ? &f->mt->nodes[b->node] : NULL;
}

uint32_t ui_flame_selected_func(const struct ui_flame *f)
{
    const struct ui_mt_node *n = ui_flame_node(f, ui_flame_selected(f));
    return n ? n->func : TABLE_NONE;
}

/* ---- moves ---- */

/* Lay out if needed (at the last width); 1 when there is a selection. */
static int ready(struct ui_flame *f)
{
    if (f->dirty)
        ui_flame_layout(f, f->width ? f->width : 80);
    return f->sel < f->nboxes;
}

int ui_flame_up(struct ui_flame *f, size_t n)
{
    if (!ready(f) || n == 0 || f->sel == 0)
        return 0;
    for (size_t i = 0; i < n && f->boxes[f->sel].parent != TABLE_NONE; i++)
        f->sel = f->boxes[f->sel].parent;
    f->want = f->zoom + f->boxes[f->sel].depth;   /* the trail below stays: the way back */
    return 1;
}

int ui_flame_down(struct ui_flame *f, size_t n)
{
    if (!ready(f))
        return 0;
    uint32_t start = f->sel;
    f->want = f->zoom + f->boxes[f->sel].depth;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = f->trail.n > f->want ? child_box(f, f->sel, f->trail.ids[f->want]) : TABLE_NONE;
        if (c == TABLE_NONE) {
            const struct ui_flame_box *b = &f->boxes[f->sel];
            if (!b->nchildren || f->boxes[b->first_child].node == TABLE_NONE)
                break;
            c = b->first_child;                    /* the heaviest */
            f->trail.n = f->want;
            if (trail_set(&f->trail, f->want, box_key(f, c)) < 0)
                break;
        }
        f->sel = c;
        f->want++;
    }
    return f->sel != start;
}

int ui_flame_sibling(struct ui_flame *f, int dir)
{
    if (!ready(f) || dir == 0)
        return 0;
    size_t first, n = ui_flame_row(f, f->boxes[f->sel].depth, &first);
    for (long i = (long)f->sel + (dir < 0 ? -1 : 1); i >= (long)first && i < (long)(first + n);
         i += dir < 0 ? -1 : 1) {
        if (f->boxes[i].node != TABLE_NONE) {
            trail_to_box(f, (uint32_t)i);
            return 1;
        }
    }
    return 0;
}

int ui_flame_move(struct ui_flame *f, long delta)
{
    if (delta == 0)
        return 0;
    size_t n = delta == LONG_MIN ? SIZE_MAX : (size_t)(delta < 0 ? -delta : delta);
    int toward_root = (delta < 0) != (f->inverted != 0);
    return toward_root ? ui_flame_up(f, n) : ui_flame_down(f, n);
}

int ui_flame_select_at(struct ui_flame *f, size_t d, int x)
{
    if (!ready(f))
        return 0;
    size_t first, n = ui_flame_row(f, d, &first);
    for (size_t i = first; i < first + n; i++) {
        const struct ui_flame_box *b = &f->boxes[i];
        if (x >= b->x && x < b->x + b->w) {
            if (b->node == TABLE_NONE)
                return 0;
            trail_to_box(f, (uint32_t)i);
            return 1;
        }
    }
    return 0;
}

/* ---- zoom ---- */

int ui_flame_zoom_in(struct ui_flame *f)
{
    if (!ready(f) || f->sel == 0)
        return 0;
    size_t len = f->zoom + f->boxes[f->sel].depth;
    if (f->nzooms == UI_FLAME_ZOOMS_MAX) {         /* forget the outermost */
        memmove(f->zooms, f->zooms + 1, (UI_FLAME_ZOOMS_MAX - 1) * sizeof f->zooms[0]);
        f->nzooms--;
    }
    f->zooms[f->nzooms++] = len;
    f->zoom = f->want = len;
    f->dirty = 1;
    f->top = 0;
    ui_flame_layout(f, f->width);
    return 1;
}

int ui_flame_zoom_out(struct ui_flame *f)
{
    if (!f->nzooms)
        return 0;
    ready(f);
    if (f->sel < f->nboxes)
        f->want = f->zoom + f->boxes[f->sel].depth;
    f->nzooms--;
    f->zoom = f->nzooms ? f->zooms[f->nzooms - 1] : 0;
    f->dirty = 1;
    ui_flame_layout(f, f->width);
    return 1;
}

const struct frame_key *ui_flame_zoom_path(const struct ui_flame *f, size_t *n)
{
    *n = f->zoom <= f->trail.n ? f->zoom : f->trail.n;
    return f->trail.ids;
}

/* ---- scroll ---- */

int ui_flame_scroll(struct ui_flame *f, size_t height)
{
    size_t top = f->top, h = height ? height : 1;
    if (f->sel < f->nboxes) {
        size_t d = f->boxes[f->sel].depth;
        if (d < top)
            top = d;
        else if (d >= top + h)
            top = d - h + 1;
    }
    size_t max = f->nrows > h ? f->nrows - h : 0;
    if (top > max)
        top = max;
    int moved = top != f->top;
    f->top = top;
    return moved;
}

long ui_flame_row_at(const struct ui_flame *f, int y, size_t height)
{
    if (y < 0 || (size_t)y >= height)
        return -1;
    size_t d = f->top + (f->inverted ? height - 1 - (size_t)y : (size_t)y);
    return d < f->nrows ? (long)d : -1;
}

int ui_flame_line_of(const struct ui_flame *f, size_t d, size_t height)
{
    if (d < f->top || d >= f->top + height)
        return -1;
    return (int)(f->inverted ? height - 1 - (d - f->top) : d - f->top);
}

/* ---- families ---- */

/* .../lib/pythonX.Y/ or .../lib64/pythonX.Y/ */
