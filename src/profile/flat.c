/* SPDX-License-Identifier: MIT */
/* The flat views of a table (own and total per function or per line, and
 * each function's busiest line) from counts kept as stacks are added or
 * replayed: O(rows) per view instead of a walk of every node. A table that
 * keeps no counts gets them derived on demand, the same way. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "table_impl.h"

void flat_init(struct flatcount *fc)
{
    *fc = (struct flatcount){.valid = 1};
}

void flat_free(struct flatcount *fc)
{
    free(fc->nodes);
    free(fc->hot);
    for (int k = 0; k < FLAT_KINDS; k++) {
        free(fc->ent[k]);
        free(fc->all[k]);
        free(fc->went[k]);
        free(fc->wall[k]);
        for (uint32_t i = 0; i < fc->nlists; i++)
            free(fc->lists[k][i].ids);
        free(fc->lists[k]);
    }
    free(fc->where);
    int on = fc->on, off = fc->off;
    flat_init(fc);
    fc->on = on;
    fc->off = off;
}

void flat_clear(struct flatcount *fc)
{
    for (int k = 0; k < FLAT_KINDS; k++) {
        fc->nent[k] = 0;
        fc->nall[k] = 0;
        fc->nwent[k] = 0;
        fc->nwall[k] = 0;
        for (uint32_t i = 0; i < fc->nlists; i++)
            fc->lists[k][i].n = 0;
    }
    fc->nwhere = 0;
    fc->registered = 0;
    fc->valid = 1;
    fc->stale = 0;
}

/* The all-threads arrays cover every key the table has: new keys start
 * at zero, with no busiest line (functions) or their line (sites). */
static int grow_all(const struct table *t, struct flatcount *fc, int kind, uint32_t n)
{
    if (n <= fc->nall[kind])
        return 0;
    if (table_grow((void **)&fc->all[kind], &fc->all_cap[kind], n, sizeof *fc->all[kind]) < 0)
        return ERR_NOMEM;
    for (uint32_t i = fc->nall[kind]; i < n; i++)
        fc->all[kind][i] = (struct fall){
            .aux = kind == FLAT_SITE ? (uint32_t)t->sites[i].line : TABLE_NONE, .first = TABLE_NONE};
    fc->nall[kind] = n;
    return 0;
}

static int grow_lists(struct flatcount *fc, uint32_t nthreads)
{
    if (nthreads <= fc->nlists)
        return 0;
    for (int k = 0; k < FLAT_KINDS; k++) {
        if (table_grow((void **)&fc->lists[k], &fc->lists_cap[k], nthreads, sizeof *fc->lists[k]) < 0)
            return ERR_NOMEM;
        for (uint32_t i = fc->nlists; i < nthreads; i++)
            fc->lists[k][i] = (struct fc_list){.ids = NULL};
    }
    fc->nlists = nthreads;
    return 0;
}

/* The entry of (thread, key), made when new: the key's chain holds one
 * entry per thread that has it, the last found first (a new node is most
 * often of the thread the previous one was). TABLE_NONE on ENOMEM. */
static uint32_t entry(const struct table *t, struct flatcount *fc, int kind, uint32_t thread, uint32_t key)
{
    struct fall *a = &fc->all[kind][key];
    struct fcount *ent = fc->ent[kind];
    if (a->first != TABLE_NONE && ent[a->first].thread == thread)
        return a->first;
    for (uint32_t id = a->first, prev = TABLE_NONE, hops = 0; id != TABLE_NONE && hops < fc->nent[kind];
         prev = id, id = ent[id].next, hops++) {
        if (ent[id].thread != thread)
            continue;
        ent[prev].next = ent[id].next;      /* to the front (prev exists: first was not it) */
        ent[id].next = a->first;
        a->first = id;
        return id;
    }
    struct fc_list *l = &fc->lists[kind][thread];
    if (table_grow((void **)&fc->ent[kind], &fc->ent_cap[kind], (size_t)fc->nent[kind] + 1,
                   sizeof *fc->ent[kind]) < 0 ||
        table_grow((void **)&l->ids, &l->cap, (size_t)l->n + 1, sizeof *l->ids) < 0 ||
        (kind == FLAT_FUNC &&
         table_grow((void **)&fc->hot, &fc->hot_cap, (size_t)fc->nent[kind] + 1, sizeof *fc->hot) < 0))
        return TABLE_NONE;
    uint32_t id = fc->nent[kind]++;
    fc->ent[kind][id] = (struct fcount){.key = key, .thread = thread, .next = a->first};
    if (kind == FLAT_FUNC)
        fc->hot[id] = TABLE_NONE;
    a->first = id;
    l->ids[l->n++] = id;
    return id;
}

/* The thread whose tree the node is in: a root is found among the
 * threads, any other node takes its parent's. */
static uint32_t thread_of(const struct table *t, const struct flatcount *fc, uint32_t n)
{
    uint32_t p = t->nodes[n].parent;
    if (p == TABLE_NONE) {
        for (uint32_t i = 0; i < t->nthreads; i++)
            if (t->threads[i].root == n)
                return i;
        return TABLE_NONE;
    }
    if (p >= n)                               /* parents are made before their children */
        return TABLE_NONE;
    uint32_t e = fc->nodes[p].ent[FLAT_FUNC];
    return t->nodes[p].parent == TABLE_NONE ? e : fc->ent[FLAT_FUNC][e].thread;
}

static int register_node(const struct table *t, struct flatcount *fc, uint32_t n)
{
    uint32_t thread = thread_of(t, fc, n);
    if (thread == TABLE_NONE || thread >= fc->nlists)
        return ERR_USAGE;
    if (t->nodes[n].parent == TABLE_NONE) {
        fc->nodes[n] = (struct fc_node){.ent = {thread, TABLE_NONE}};
        return 0;
    }
    uint32_t site = t->nodes[n].site;
    uint32_t f = entry(t, fc, FLAT_FUNC, thread, t->sites[site].func);
    uint32_t s = f == TABLE_NONE ? TABLE_NONE : entry(t, fc, FLAT_SITE, thread, site);
    if (s == TABLE_NONE)
        return ERR_NOMEM;
    fc->nodes[n] = (struct fc_node){.ent = {f, s}};
    return 0;
}

int flat_register(const struct table *t, struct flatcount *fc)
{
    if (grow_all(t, fc, FLAT_FUNC, t->nfuncs) < 0 || grow_all(t, fc, FLAT_SITE, t->nsites) < 0 ||
        grow_lists(fc, t->nthreads) < 0)
        return ERR_NOMEM;
    if (t->nnodes <= fc->registered)
        return 0;
    if (table_grow((void **)&fc->nodes, &fc->nodes_cap, t->nnodes, sizeof *fc->nodes) < 0)
        return ERR_NOMEM;
    for (; fc->registered < t->nnodes; fc->registered++) {
        int rc = register_node(t, fc, fc->registered);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* A site's counts and line, to compare it with the busiest so far. */
struct busy {
    uint64_t own, total;
    int32_t line;
};

/* Is c busier than the busiest so far b (NULL: none)? More total samples,
 * then more own, then the lower line; unknown lines never are. */
static int busier(struct busy c, const struct busy *b)
{
    if (c.line < 0)
        return 0;
    if (!b)
        return 1;
    if (c.total != b->total)
        return c.total > b->total;
    if (c.own != b->own)
        return c.own > b->own;
    return c.line < b->line;
}

static struct busy busy_ent(const struct table *t, const struct fcount *c)
{
    return (struct busy){.own = c->own, .total = c->total, .line = t->sites[c->key].line};
}

static struct busy busy_all(const struct fall *a)
{
    return (struct busy){.own = a->own, .total = a->total, .line = (int32_t)a->aux};
}

/* A new path: a stamp no count holds yet. */
static uint32_t next_stamp(struct flatcount *fc)
{
    if (++fc->stamp == 0) {
        for (int k = 0; k < FLAT_KINDS; k++)
            for (uint32_t i = 0; i < fc->nent[k]; i++)
                fc->ent[k][i].stamp = 0;
        fc->stamp = 1;
    }
    return fc->stamp;
}

/* Site entry s of function entry f was just counted: f's busiest line
 * may now be s (counts only grow, so comparing the one that grew is
 * enough), for the thread and for all threads. */
static void update_hot(const struct table *t, struct flatcount *fc, uint32_t f, uint32_t s)
{
    const struct fcount *sc = &fc->ent[FLAT_SITE][s];
    if (t->sites[sc->key].line < 0)
        return;
    uint32_t *hot = &fc->hot[f];
    if (*hot != s) {
        struct busy b = *hot == TABLE_NONE ? (struct busy){0} : busy_ent(t, &fc->ent[FLAT_SITE][*hot]);
        if (busier(busy_ent(t, sc), *hot == TABLE_NONE ? NULL : &b))
            *hot = s;
    }
    struct fall *af = &fc->all[FLAT_FUNC][fc->ent[FLAT_FUNC][f].key];
    if (af->aux != sc->key) {
        struct busy b = af->aux == TABLE_NONE ? (struct busy){0} : busy_all(&fc->all[FLAT_SITE][af->aux]);
        if (busier(busy_all(&fc->all[FLAT_SITE][sc->key]), af->aux == TABLE_NONE ? NULL : &b))
            af->aux = sc->key;
    }
}

void flat_count(const struct table *t, struct flatcount *fc, uint32_t node, uint64_t weight)
{
    if (node >= fc->registered || t->nodes[node].parent == TABLE_NONE)
        return;                               /* a sample with no frame: no row */
    uint32_t stamp = next_stamp(fc);
    struct fcount *ent_f = fc->ent[FLAT_FUNC], *ent_s = fc->ent[FLAT_SITE];
    struct fall *all_f = fc->all[FLAT_FUNC], *all_s = fc->all[FLAT_SITE];
    uint32_t f = fc->nodes[node].ent[FLAT_FUNC], s = fc->nodes[node].ent[FLAT_SITE];
    ent_f[f].own += weight;
    ent_s[s].own += weight;
    all_f[ent_f[f].key].own += weight;
    all_s[ent_s[s].key].own += weight;
    for (uint32_t n = node, hops = 0; hops < fc->registered && t->nodes[n].parent != TABLE_NONE; hops++) {
        f = fc->nodes[n].ent[FLAT_FUNC];
        s = fc->nodes[n].ent[FLAT_SITE];
        if (ent_f[f].stamp != stamp) {
            ent_f[f].stamp = stamp;
            ent_f[f].total += weight;
            all_f[ent_f[f].key].total += weight;
        }
        if (ent_s[s].stamp != stamp) {
            ent_s[s].stamp = stamp;
            ent_s[s].total += weight;
            all_s[ent_s[s].key].total += weight;
            update_hot(t, fc, f, s);
        }
        n = t->nodes[n].parent;
    }
}

/* Where the index of the split of item i is kept (*arr: an array of
 * *cap, valid for [0, *n)), made valid up to n items (those new have no
 * split). NULL on ENOMEM. */
static uint32_t *split_index(uint32_t **arr, uint32_t *cap, uint32_t *valid, uint32_t n, uint32_t i)
{
    if (table_grow((void **)arr, cap, n, sizeof **arr) < 0)
        return NULL;
    for (; *valid < n; (*valid)++)
        (*arr)[*valid] = TABLE_NONE;
    return &(*arr)[i];
}

/* The split by where of the entry whose index of it is *slot, made when
 * it has none yet. 0 or ERR_NOMEM. */
static int where_slot(struct flatcount *fc, uint32_t *slot)
{
    if (*slot != TABLE_NONE)
        return 0;
    if (table_grow((void **)&fc->where, &fc->where_cap, (size_t)fc->nwhere + 1, sizeof *fc->where) < 0)
        return ERR_NOMEM;
    fc->where[fc->nwhere] = (struct wcount){{0}};
    *slot = fc->nwhere++;
    return 0;
}

int flat_count_where(struct flatcount *fc, uint32_t node, uint64_t weight, enum table_where where)
{
    if (node >= fc->registered || where < 0 || where >= TABLE_WHERES)
        return 0;
    uint32_t f = fc->nodes[node].ent[FLAT_FUNC], s = fc->nodes[node].ent[FLAT_SITE];
    if (s == TABLE_NONE)
        return 0;                             /* a root: no row */
    const uint32_t ent[FLAT_KINDS] = {f, s};
    uint32_t *slots[2 * FLAT_KINDS];
    for (int k = 0; k < FLAT_KINDS; k++) {    /* four arrays: no pointer moves another's */
        slots[k] = split_index(&fc->went[k], &fc->went_cap[k], &fc->nwent[k], fc->nent[k], ent[k]);
        slots[FLAT_KINDS + k] = split_index(&fc->wall[k], &fc->wall_cap[k], &fc->nwall[k], fc->nall[k],
                                            fc->ent[k][ent[k]].key);
        if (!slots[k] || !slots[FLAT_KINDS + k])
            return ERR_NOMEM;
    }
    for (size_t i = 0; i < sizeof slots / sizeof *slots; i++)     /* all made first: no half count */
        if (where_slot(fc, slots[i]) < 0)
            return ERR_NOMEM;
    for (size_t i = 0; i < sizeof slots / sizeof *slots; i++)
        fc->where[*slots[i]].n[where] += weight;
    return 0;
}

int flat_rebuild(const struct table *t, struct flatcount *fc)
{
    flat_clear(fc);
    int rc = flat_register(t, fc);
    if (rc < 0) {
        fc->valid = 0;
        return rc;
    }
    for (uint32_t n = 0; n < t->nnodes; n++)
        if (t->nodes[n].self)
            flat_count(t, fc, n, t->nodes[n].self);
    rc = flat_rebuild_where(t, fc);
    if (rc < 0)
        fc->valid = 0;
    return rc;
}

void flat_added(struct table *t, uint32_t node, uint64_t weight)
{
    struct flatcount *fc = &t->flat;
    if (!fc->on || !fc->valid)
        return;
    if (flat_register(t, fc) < 0) {
        fc->valid = 0;                        /* table_flat derives the counts instead */
        return;
    }
    flat_count(t, fc, node, weight);
}

int table_track_flat(struct table *t)
{
    t->flat.off = 0;
    if (t->flat.on)
        return 0;
    t->flat.on = 1;
    return flat_rebuild(t, &t->flat);
}

void table_untrack_flat(struct table *t)
{
    t->flat.on = 0;
    t->flat.off = 1;
    flat_free(&t->flat);
}

static struct flat_row row_of(const struct table *t, const struct flatcount *fc, int kind, uint32_t key,
                              uint64_t own, uint64_t total, uint32_t hot, uint32_t where)
{
    struct flat_row r = {.func = key, .line = -1, .own = own, .total = total, .hot_line = -1};
    if (kind == FLAT_SITE) {
        const struct site *s = &t->sites[key];
        r.func = s->func;
        r.line = r.hot_line = s->line;
    } else if (hot != TABLE_NONE) {
        r.hot_line = t->sites[hot].line;
    }
    if (where != TABLE_NONE)
        memcpy(r.where, fc->where[where].n, sizeof r.where);
    return r;
}

/* The rows with counts of one thread (its entries) or of all (by key). */
static int rows_from(const struct table *t, const struct flatcount *fc, uint32_t thread, int kind,
                     struct flat_view *out)
{
    int all = thread == TABLE_NONE;
    const struct fc_list *l = !all && thread < fc->nlists ? &fc->lists[kind][thread] : NULL;
    size_t n = all ? fc->nall[kind] : l ? l->n : 0;
    if (n == 0)
        return 0;
    out->rows = malloc(n * sizeof *out->rows);
    if (!out->rows)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (all) {
            const struct fall *a = &fc->all[kind][i];
            uint32_t where = i < fc->nwall[kind] ? fc->wall[kind][i] : TABLE_NONE;
            if (a->own || a->total)
                out->rows[out->n++] = row_of(t, fc, kind, (uint32_t)i, a->own, a->total, a->aux, where);
            continue;
        }
        uint32_t id = l->ids[i];
        const struct fcount *c = &fc->ent[kind][id];
        uint32_t hot = kind == FLAT_FUNC && fc->hot[id] != TABLE_NONE ? fc->ent[FLAT_SITE][fc->hot[id]].key
                                                                     : TABLE_NONE;
        uint32_t where = id < fc->nwent[kind] ? fc->went[kind][id] : TABLE_NONE;
        if (c->own || c->total)
            out->rows[out->n++] = row_of(t, fc, kind, c->key, c->own, c->total, hot, where);
    }
    return 0;
}

/* The samples of thread (or of all threads: TABLE_NONE). */
static uint64_t view_samples(const struct table *t, uint32_t thread)
{
    uint64_t n = 0;
    for (uint32_t i = thread == TABLE_NONE ? 0 : thread; i < t->nthreads; i++) {
        n += t->threads[i].samples;
        if (thread != TABLE_NONE)
            break;
    }
    return n;
}

/* t's flat counts: its own when kept current, else derived into *fc
 * (*rc: 0 or ERR_NOMEM). The caller flat_free()s *fc either way. */
static const struct flatcount *counts_of(const struct table *t, struct flatcount *fc, int *rc)
{
    flat_init(fc);
    *rc = 0;
    if (t->flat.on && t->flat.valid && !t->flat.stale)
        return &t->flat;
    *rc = flat_rebuild(t, fc);                /* no counts kept: derive them now */
    return fc;
}

int table_flat(const struct table *t, uint32_t thread, int by_line, struct flat_view *out)
{
    *out = (struct flat_view){.rows = NULL};
    if (thread != TABLE_NONE && thread >= t->nthreads)
        return ERR_USAGE;
    struct flatcount fc;
    int rc;
    const struct flatcount *c = counts_of(t, &fc, &rc);
    if (rc == 0)
        rc = rows_from(t, c, thread, by_line ? FLAT_SITE : FLAT_FUNC, out);
    flat_free(&fc);
    if (rc < 0) {
        flat_view_free(out);
        return rc;
    }
    out->samples = view_samples(t, thread);
    return 0;
}

/* Function-level counts of thread (or all) from fc into own and total. */
static void funcs_from(const struct flatcount *fc, uint32_t thread, uint64_t *own, uint64_t *total, size_t n)
{
    if (thread == TABLE_NONE) {
        for (size_t f = 0; f < fc->nall[FLAT_FUNC] && f < n; f++) {
            const struct fall *a = &fc->all[FLAT_FUNC][f];
            if (a->own || a->total) {
                own[f] = a->own;
                total[f] = a->total;
            }
        }
        return;
    }
    const struct fc_list *l = thread < fc->nlists ? &fc->lists[FLAT_FUNC][thread] : NULL;
    for (size_t i = 0; l && i < l->n; i++) {
        const struct fcount *c = &fc->ent[FLAT_FUNC][l->ids[i]];
        if (c->key < n && (c->own || c->total)) {
            own[c->key] = c->own;
            total[c->key] = c->total;
        }
    }
}

int table_flat_funcs(const struct table *t, uint32_t thread, uint64_t *own, uint64_t *total, size_t n,
                     uint64_t *samples)
{
    *samples = 0;
    if (thread != TABLE_NONE && thread >= t->nthreads)
        return ERR_USAGE;
    struct flatcount fc;
    int rc;
    const struct flatcount *c = counts_of(t, &fc, &rc);
    if (rc == 0)
        funcs_from(c, thread, own, total, n);
    flat_free(&fc);
    if (rc < 0)
        return rc;
    *samples = view_samples(t, thread);
    return 0;
}

void flat_view_free(struct flat_view *v)
{
    if (!v)
        return;
    free(v->rows);
    *v = (struct flat_view){.rows = NULL};
}
