/* SPDX-License-Identifier: MIT */
/* The call tree view's rows: folds, threshold, filter, hottest path, selection. */
#include "ui_tree.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "ui_tree_kids.h"

#define FOLDS_MIN 64
#define BOOT_HOPS 8          /* bootstrap layers looked through to find a path again */

enum { F_MATCH = 2, F_LEADS = 4 };

/* A fold the person chose, by path hash. */
struct ui_fold_slot {
    uint64_t path;
    int8_t state;            /* -1 empty, 0 folded, 1 unfolded */
};

/* A row still to emit. */
struct ui_tree_todo {
    uint32_t node, depth;
    uint64_t more;
    int free;                /* under a filter match: the filter no longer applies */
    int has_kids;
};

void ui_tree_init(struct ui_tree *tr)
{
    *tr = (struct ui_tree){.auto_hot = 1, .height = 1};
    ui_mtree_init(&tr->own);
    tr->mt = &tr->own;
}

void ui_tree_free(struct ui_tree *tr)
{
    ui_mtree_free(&tr->own);
    free(tr->folds);
    free(tr->rows);
    free(tr->hot);
    free(tr->flags);
    free(tr->anc);
    free(tr->fmatch);
    free(tr->rank);
    free(tr->kids);
    for (int i = 0; i < UI_TREE_KID_CACHES; i++)
        free(tr->kc[i].ids);
    free(tr->kids_tmp);
    free(tr->todo);
    free(tr->sel_path);
    ui_tree_init(tr);
}

/* ---- the person's folds, by path ---- */

static size_t fold_find(const struct ui_tree *tr, uint64_t path)
{
    size_t k = (size_t)path & (tr->nfolds - 1);
    while (tr->folds[k].state >= 0 && tr->folds[k].path != path)
        k = (k + 1) & (tr->nfolds - 1);
    return k;
}

static int fold_get(const struct ui_tree *tr, uint64_t path)
{
    return tr->nfolds ? tr->folds[fold_find(tr, path)].state : -1;
}

static void fold_clear(struct ui_tree *tr)
{
    for (size_t i = 0; i < tr->nfolds; i++)
        tr->folds[i].state = -1;
    tr->fold_used = 0;
}

static int fold_grow(struct ui_tree *tr)
{
    size_t cap = tr->nfolds ? tr->nfolds * 2 : FOLDS_MIN, oldn = tr->nfolds;
    struct ui_fold_slot *old = tr->folds, *s = malloc(cap * sizeof *s);
    if (!s)
        return ERR_NOMEM;
    tr->folds = s;
    tr->nfolds = cap;
    fold_clear(tr);
    for (size_t i = 0; i < oldn; i++)
        if (old[i].state >= 0) {
            tr->folds[fold_find(tr, old[i].path)] = old[i];
            tr->fold_used++;
        }
    free(old);
    return 0;
}

static void fold_set(struct ui_tree *tr, uint64_t path, int open)
{
    if ((tr->fold_used + 1) * 2 > tr->nfolds && fold_grow(tr) < 0)
        return;                  /* out of memory: the fold is not kept */
    struct ui_fold_slot *s = &tr->folds[fold_find(tr, path)];
    if (s->state < 0)
        tr->fold_used++;
    *s = (struct ui_fold_slot){.path = path, .state = (int8_t)(open != 0)};
}

/* ---- per-update marks: filter matches and the hottest path ---- */

/* Which functions match the filter (new functions and a new filter only). */
static int match_funcs(struct ui_tree *tr, const struct table *t, const char *filter)
{
    size_t n = table_func_count(t);
    int same = strcmp(filter, tr->filter) == 0;
    if (same && n == tr->nfmatch)
        return 0;
    if (array_reserve((void **)&tr->fmatch, &tr->fmatch_cap, n, 1) < 0)
        return ERR_NOMEM;
    for (size_t f = same ? tr->nfmatch : 0; f < n; f++)
        tr->fmatch[f] = strcasestr(table_func_name(t, (uint32_t)f), filter) ||
                        strcasestr(table_func_file(t, (uint32_t)f), filter);
    tr->nfmatch = n;
    snprintf(tr->filter, sizeof tr->filter, "%s", filter);
    return 0;
}

/* F_MATCH on matching nodes, F_LEADS on their ancestors (children come
 * after their parents, so one backward pass). */
static void mark_filter(struct ui_tree *tr)
{
    const struct ui_mtree *ct = tr->mt;
    for (size_t i = ct->n; i-- > 1;) {
        const struct ui_mt_node *nd = &ct->nodes[i];
        if (nd->func < tr->nfmatch && tr->fmatch[nd->func])
            tr->flags[i] |= F_MATCH;
        if (tr->flags[i] & (F_MATCH | F_LEADS))
            tr->flags[nd->parent] |= F_LEADS;
    }
}

/* The hot path's end: the root while it is empty. */
static uint32_t hot_tail(const struct ui_tree *tr)
{
    return tr->nhot ? tr->hot[tr->nhot - 1] : 0;
}

static int hot_add(struct ui_tree *tr, uint32_t node)
{
    if (array_reserve((void **)&tr->hot, &tr->hot_cap, tr->nhot + 1, sizeof *tr->hot) < 0)
        return ERR_NOMEM;
    tr->hot[tr->nhot++] = node;
    return 0;
}

/* The hottest path: from the root, the first child in row order each
 * time. The rows found it as far as they went (gather); from there on
 * (a folded or hidden part of it), the children are looked at here. */
static int find_hot(struct ui_tree *tr)
{
    for (uint32_t node = hot_tail(tr); tr->nhot < tr->mt->n && node != tr->hot_gathered;) {
        struct ui_tree_kid best = {.node = TABLE_NONE};
        for (uint32_t c = tr->mt->nodes[node].first_child; c != TABLE_NONE; c = tr->mt->nodes[c].next_sibling) {
            struct ui_tree_kid k = ui_tree_kid_of(tr, c);
            if (k.total && (best.node == TABLE_NONE || ui_tree_kid_cmp(&k, &best) < 0))
                best = k;
        }
        if (best.node == TABLE_NONE || hot_add(tr, best.node) < 0)
            return best.node == TABLE_NONE ? 0 : ERR_NOMEM;
        node = best.node;
    }
    return 0;
}

static int prepare(struct ui_tree *tr, const struct table *t, const struct ui_tree_params *p)
{
    if (ui_tree_kids_rank(tr, t) < 0)
        return ERR_NOMEM;
    if (p->filter && p->filter[0]) {          /* the flags are read only then */
        size_t n = tr->mt->n;
        if (array_reserve((void **)&tr->flags, &tr->flags_cap, n, 1) < 0 || match_funcs(tr, t, p->filter) < 0)
            return ERR_NOMEM;
        memset(tr->flags, 0, n);
        mark_filter(tr);
    }
    tr->nhot = 0;                       /* found again by the rows, then find_hot() */
    tr->hot_gathered = TABLE_NONE;
    return 0;
}

/* ---- the rows ---- */

/* Is node, a row at depth, unfolded? (Nothing here is read per node but
 * what the row needs: the cost of the rows follows their number.) */
static int is_open(const struct ui_tree *tr, uint32_t node, uint32_t depth, int filtering)
{
    if (filtering && (tr->flags[node] & F_LEADS))
        return 1;
    int st = tr->fold_used ? fold_get(tr, tr->mt->path[node]) : -1;
    if (st >= 0)
        return st;
    int hot = depth < tr->nhot && tr->hot[depth] == node;
    return tr->open_all || (tr->auto_hot && hot);
}

/* The shown children of node into tr->kids, in row order (all of them
 * ordered: ui_tree_kids.h); returns how many or ERR_NOMEM. The hot path
 * goes on through the first when node is its end. */
static long gather(struct ui_tree *tr, uint32_t node, const struct ui_tree_params *p, int filtering)
{
    long got = ui_tree_kids_order(tr, node);
    if (got < 0)
        return got;
    size_t n = (size_t)got, shown = 0;
    if (node == hot_tail(tr)) {
        tr->hot_gathered = node;
        if (n && tr->kids[0].total && hot_add(tr, tr->kids[0].node) < 0)
            return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const struct ui_tree_kid *k = &tr->kids[i];
        if (!k->total || (filtering && !(tr->flags[k->node] & (F_MATCH | F_LEADS))))
            continue;
        if (p->threshold_pct > 0 && (double)k->total * 100.0 < p->threshold_pct * (double)tr->samples) {
            tr->below++;
            continue;
        }
        tr->kids[shown++] = *k;
    }
    return (long)shown;
}

/* Push the ordered children of a row (depth, more) to the walk's stack, the first on top. */
static int push_kids(struct ui_tree *tr, size_t *ntodo, size_t nkids, uint32_t depth, uint64_t more, int free_)
{
    if (array_reserve((void **)&tr->todo, &tr->todo_cap, *ntodo + nkids, sizeof *tr->todo) < 0)
        return ERR_NOMEM;
    uint64_t bit = depth < UI_TREE_GUIDES ? (uint64_t)1 << depth : 0;
    for (size_t i = nkids; i-- > 0;)
        tr->todo[(*ntodo)++] = (struct ui_tree_todo){.node = tr->kids[i].node, .depth = depth,
                                                     .more = more | (i + 1 < nkids ? bit : 0), .free = free_,
                                                     .has_kids = tr->kids[i].has_kids};
    return 0;
}

/* Emit one row and queue its children when it is unfolded. */
static int emit(struct ui_tree *tr, const struct ui_tree_todo *td, size_t *ntodo, const struct ui_tree_params *p)
{
    if (array_reserve((void **)&tr->rows, &tr->rows_cap, tr->nrows + 1, sizeof *tr->rows) < 0)
        return ERR_NOMEM;
    int filtering = p->filter && p->filter[0] && !td->free;
    int match = filtering && (tr->flags[td->node] & F_MATCH);
    struct ui_tree_row *r = &tr->rows[tr->nrows];
    *r = (struct ui_tree_row){.node = td->node, .depth = td->depth, .more = td->more,
                              .fold = UI_FOLD_LEAF, .match = (uint8_t)match};
    tr->nrows++;
    tr->matched += match;
    if (!td->has_kids)
        return 0;
    r->fold = UI_FOLD_CLOSED;
    if (!is_open(tr, td->node, td->depth, filtering))
        return 0;
    r->fold = UI_FOLD_OPEN;
    long n = gather(tr, td->node, p, filtering && !match);
    if (n < 0)
        return (int)n;
    return push_kids(tr, ntodo, (size_t)n, td->depth + 1, td->more, td->free || match);
}

static int build_rows(struct ui_tree *tr, const struct ui_tree_params *p)
{
    tr->nrows = tr->below = tr->matched = 0;
    tr->samples = ui_mtree_total(tr->mt, 0);
    int filtering = p->filter && p->filter[0];
    size_t ntodo = 0;
    long n = gather(tr, 0, p, filtering);
    int rc = n < 0 ? (int)n : push_kids(tr, &ntodo, (size_t)n, 0, 0, 0);
    while (ntodo > 0 && rc == 0) {
        struct ui_tree_todo td = tr->todo[--ntodo];
        rc = emit(tr, &td, &ntodo, p);
    }
    return rc == 0 ? find_hot(tr) : rc;
}

/* ---- the selection ---- */

static int clamp_window(struct ui_tree *tr)
{
    size_t old = tr->top;
    if (tr->sel < tr->top)
        tr->top = tr->sel;
    if (tr->sel >= tr->top + tr->height)
        tr->top = tr->sel - tr->height + 1;
    if (tr->nrows <= tr->height)
        tr->top = 0;
    else if (tr->top > tr->nrows - tr->height)
        tr->top = tr->nrows - tr->height;
    return tr->top != old;
}

/* Remember node as the selection: its id and its keys. */
static void remember(struct ui_tree *tr, uint32_t node)
{
    size_t d = 0;
    for (uint32_t k = node; k != 0 && k != TABLE_NONE; k = tr->mt->nodes[k].parent)
        d++;
    if (array_reserve((void **)&tr->sel_path, &tr->sel_cap, d, sizeof *tr->sel_path) < 0)
        d = 0;
    tr->sel_depth = d;
    for (uint32_t k = node; d > 0; k = tr->mt->nodes[k].parent)
        tr->sel_path[--d] = (struct frame_key){.func = tr->mt->nodes[k].func, .line = tr->mt->nodes[k].line};
    tr->sel_node = node;
    tr->has_sel = 1;
}

int ui_tree_select(struct ui_tree *tr, size_t i)
{
    if (tr->nrows == 0)
        return 0;
    tr->sel = i < tr->nrows ? i : tr->nrows - 1;
    tr->pinned = 1;
    remember(tr, tr->rows[tr->sel].node);
    return clamp_window(tr);
}

/* The child of node that a remembered key stands for (lines compared only
 * when both have one; through bootstrap frames shown since), or TABLE_NONE. */
static uint32_t child_by_key(struct ui_tree *tr, uint32_t node, struct frame_key key, int hops)
{
    struct ui_tree_kid best = {.node = TABLE_NONE};
    for (uint32_t c = tr->mt->nodes[node].first_child; c != TABLE_NONE; c = tr->mt->nodes[c].next_sibling) {
        const struct ui_mt_node *nd = &tr->mt->nodes[c];
        if (nd->func != key.func || (nd->line >= 0 && key.line >= 0 && nd->line != key.line))
            continue;
        struct ui_tree_kid k = ui_tree_kid_of(tr, c);
        if (best.node == TABLE_NONE || ui_tree_kid_cmp(&k, &best) < 0)
            best = k;
    }
    for (uint32_t c = tr->mt->nodes[node].first_child; c != TABLE_NONE && best.node == TABLE_NONE && hops > 0;
         c = tr->mt->nodes[c].next_sibling)
        if (ui_mtree_boot(tr->mt, tr->mt->nodes[c].func))
            best.node = child_by_key(tr, c, key, hops - 1);
    return best.node;
}

/* The node of the remembered keys in a rebuilt tree; keys not found are skipped. */
static uint32_t find_path(struct ui_tree *tr)
{
    uint32_t node = 0, found = TABLE_NONE;
    for (size_t i = 0; i < tr->sel_depth; i++) {
        uint32_t c = child_by_key(tr, node, tr->sel_path[i], BOOT_HOPS);
        if (c != TABLE_NONE)
            node = found = c;
    }
    return found;
}

/* The row of node, or of its nearest shown ancestor; SIZE_MAX when none:
 * one pass over the rows, which hold node's ancestors at their depths. */
static size_t row_of(struct ui_tree *tr, uint32_t node)
{
    size_t d = 0, best = SIZE_MAX;
    for (uint32_t k = node; k != TABLE_NONE && k != 0 && k < tr->mt->n; k = tr->mt->nodes[k].parent)
        d++;
    if (d == 0 || array_reserve((void **)&tr->anc, &tr->anc_cap, d, sizeof *tr->anc) < 0)
        return SIZE_MAX;
    for (uint32_t k = node, i = (uint32_t)d; i > 0; k = tr->mt->nodes[k].parent)
        tr->anc[--i] = k;
    uint32_t best_depth = 0;
    for (size_t i = 0; i < tr->nrows; i++) {
        const struct ui_tree_row *r = &tr->rows[i];
        if (r->depth < d && tr->anc[r->depth] == r->node && (best == SIZE_MAX || r->depth > best_depth)) {
            best = i;
            best_depth = r->depth;
        }
    }
    return best;
}

/* Select the remembered path again, or its nearest shown ancestor. */
static void place(struct ui_tree *tr, int rebuilt)
{
    if (tr->nrows == 0) {
        tr->sel = tr->top = 0;
        return;
    }
    uint32_t target = TABLE_NONE;
    if (tr->want_hot && tr->nhot) {
        target = tr->hot[tr->nhot - 1];
        tr->want_hot = 0;
    } else if (tr->has_sel && tr->pinned) {
        target = rebuilt || tr->sel_node >= tr->mt->n ? find_path(tr) : tr->sel_node;
    }
    size_t row = row_of(tr, target);
    if (row == SIZE_MAX)
        row = !tr->pinned ? 0 : tr->sel < tr->nrows ? tr->sel : tr->nrows - 1;
    tr->sel = row;
    remember(tr, tr->rows[row].node);
    clamp_window(tr);
}

int ui_tree_update(struct ui_tree *tr, const struct table *t, const struct ui_tree_params *p, size_t height)
{
    tr->height = height ? height : 1;
    struct ui_mtree_scope scope = {.thread = p->thread, .by_line = p->by_line, .skip_boot = p->skip_boot,
                                   .lines = 1};
    tr->mt = ui_mtree_pick(p->shared, &tr->own, &scope, tr);
    /* The ids of the rows' tree are new when it mapped every node again,
     * now or in another view's update of the shared tree, or is another. */
    int rebuilt = ui_mtree_sync(tr->mt, t, &scope, p->check);
    if (rebuilt == 0 && tr->mt->build != tr->build)
        rebuilt = 1;
    tr->build = tr->mt->build;
    int rc = rebuilt < 0 ? rebuilt : prepare(tr, t, p);
    if (rc == 0)
        rc = build_rows(tr, p);
    if (rc < 0) {
        tr->nrows = 0;
        tr->samples = 0;
        tr->sel = tr->top = 0;
        return rc;
    }
    place(tr, rebuilt);
    return 0;
}

int ui_tree_move(struct ui_tree *tr, long delta)
{
    if (tr->nrows == 0)
        return 0;
    size_t r = tr->sel < tr->nrows ? tr->sel : tr->nrows - 1;
    if (delta < 0) {
        size_t back = delta == LONG_MIN ? r : (size_t)-delta;
        r = back > r ? 0 : r - back;
    } else {
        size_t last = tr->nrows - 1;
        r = (size_t)delta > last - r ? last : r + (size_t)delta;
    }
    return ui_tree_select(tr, r);
}

const struct ui_tree_row *ui_tree_selected(const struct ui_tree *tr)
{
    return tr->nrows ? &tr->rows[tr->sel < tr->nrows ? tr->sel : tr->nrows - 1] : NULL;
}

void ui_tree_toggle(struct ui_tree *tr)
{
    const struct ui_tree_row *r = ui_tree_selected(tr);
    if (!r)
        return;
    uint32_t node = r->node;
    if (r->fold == UI_FOLD_LEAF) {
        node = tr->mt->nodes[node].parent;
        if (node == 0 || node == TABLE_NONE)
            return;
        remember(tr, node);
        tr->pinned = 1;
    }
    fold_set(tr, tr->mt->path[node], r->fold == UI_FOLD_CLOSED);
}

void ui_tree_open_all(struct ui_tree *tr)
{
    fold_clear(tr);
    tr->open_all = 1;
}

void ui_tree_close_all(struct ui_tree *tr)
{
    fold_clear(tr);
    tr->open_all = 0;
    tr->auto_hot = 0;
}

void ui_tree_hottest(struct ui_tree *tr)
{
    for (size_t i = 0; i < tr->nhot; i++)
        if (tr->hot[i] < tr->mt->n)
            fold_set(tr, tr->mt->path[tr->hot[i]], 1);
    tr->auto_hot = 1;
    tr->want_hot = 1;
    tr->pinned = 1;
}

void ui_tree_set_height(struct ui_tree *tr, size_t height)
{
    tr->height = height ? height : 1;
    clamp_window(tr);
}
