/* SPDX-License-Identifier: MIT */
/* The "your code first" lens: a table with only the user's frames,
 * derived from a replica and kept up to date with its syncs. */
#include "lens.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "profile.h"
#include "table.h"
#include "table_impl.h"
#include "usercode.h"

/* Where a node of the replica lands in the lensed table: the node of its
 * path's user frames (the thread's root when it has none). */
struct lnode {
    uint32_t node;
    uint32_t thread;
};

struct lens {
    const struct usercode *code;
    struct table *out;           /* owned; NULL until built or once dropped */
    uint8_t *user;               /* by function id: the user's code? */
    uint32_t nuser, user_cap;
    struct lnode *map;           /* by replica node */
    uint32_t nmap, map_cap;
    uint64_t applies, whole_copies;  /* the replica's, when last followed */
    uint64_t out_applies, out_whole; /* the lensed table's (as a replica's), kept across
                                      * lens_drop: a table made again, maybe at the same
                                      * address, never repeats a pair its followers saw */
    int built;
};

struct lens *lens_new(const struct usercode *code)
{
    struct lens *l = calloc(1, sizeof *l);
    if (l)
        l->code = code;
    return l;
}

void lens_drop(struct lens *l)
{
    table_free(l->out);
    free(l->map);
    l->out = NULL;
    l->map = NULL;
    l->nmap = l->map_cap = 0;
    l->built = 0;
}

void lens_free(struct lens *l)
{
    if (!l)
        return;
    lens_drop(l);
    free(l->user);
    free(l);
}

const struct table *lens_table(const struct lens *l)
{
    return l->built ? l->out : NULL;
}

/* Kept under the lens like the user's code: the frame of a stack that
 * could not be read (table_add_failed), which is no one's code and must
 * not pass for "outside your code". */
static int kept(const struct lens *l, const struct table *r, uint32_t func)
{
    const char *file = table_func_file(r, func);
    if (!*file)
        return strcmp(table_func_name(r, func), TABLE_UNREADABLE) == 0;
    return usercode_is_user(l->code, file);
}

/* The threads' failure counts (table_thread_failed) and state counts
 * (table_thread_metric, table_thread_gil_waits) are the replica's. */
static void copy_thread_counts(struct lens *l, const struct table *r)
{
    for (uint32_t i = 0; i < r->nthreads && i < l->out->nthreads; i++) {
        struct thread *o = &l->out->threads[i];
        memcpy(o->failed, r->threads[i].failed, sizeof o->failed);
        memcpy(o->metric, r->threads[i].metric, sizeof o->metric);
        memcpy(o->failed_m, r->threads[i].failed_m, sizeof o->failed_m);
        o->gil_waits = r->threads[i].gil_waits;
        o->saved = r->threads[i].saved;
        o->saved_states = r->threads[i].saved_states;
    }
}

/* The replica's functions and threads under the same ids, their names
 * borrowed from it (the lensed table holds no string), and which of the
 * new functions are the user's. */
static int mirror(struct lens *l, const struct table *r)
{
    struct table *out = l->out;
    if (table_grow((void **)&out->funcs, &out->funcs_cap, r->nfuncs, sizeof *out->funcs) < 0 ||
        table_grow((void **)&out->threads, &out->threads_cap, r->nthreads, sizeof *out->threads) < 0 ||
        table_grow((void **)&l->user, &l->user_cap, r->nfuncs ? r->nfuncs : 1, 1) < 0)
        return ERR_NOMEM;
    out->names = r;
    if (r->nfuncs > out->nfuncs)
        memcpy(out->funcs + out->nfuncs, r->funcs + out->nfuncs, (r->nfuncs - out->nfuncs) * sizeof *out->funcs);
    out->nfuncs = r->nfuncs;
    for (uint32_t i = 0; i < r->nthreads; i++) {
        if (i >= out->nthreads)
            out->threads[i] = (struct thread){.tid = r->threads[i].tid, .pid = r->threads[i].pid,
                                             .root = TABLE_NONE};
        out->threads[i].name = r->threads[i].name;
    }
    out->nthreads = r->nthreads;
    out->where_on = r->where_on;
    /* Process names: string ids of the replica's, as the rest. */
    if (table_grow((void **)&out->pnames, &out->pnames_cap, r->npnames, sizeof *out->pnames) < 0)
        return ERR_NOMEM;
    if (r->npnames)
        memcpy(out->pnames, r->pnames, r->npnames * sizeof *out->pnames);
    out->npnames = r->npnames;
    for (; l->nuser < r->nfuncs; l->nuser++)
        l->user[l->nuser] = (uint8_t)kept(l, r, l->nuser);
    copy_thread_counts(l, r);
    return 0;
}

/* Map the replica's nodes [nmap, nnodes): a user frame is a child of its
 * parent's place, any other frame stays at its parent's place. */
static int map_nodes(struct lens *l, const struct table *r)
{
    if (table_grow((void **)&l->map, &l->map_cap, r->nnodes ? r->nnodes : 1, sizeof *l->map) < 0)
        return ERR_NOMEM;
    for (; l->nmap < r->nnodes; l->nmap++) {
        const struct node *nd = &r->nodes[l->nmap];
        struct lnode m;
        if (nd->parent == TABLE_NONE) {
            m.thread = table_root_thread(r, l->nmap);
            m.node = table_thread_root(l->out, m.thread);
        } else if (nd->parent < l->nmap) {
            m = l->map[nd->parent];
            const struct site *s = &r->sites[nd->site];
            if (s->func < l->nuser && l->user[s->func])
                m.node = table_child(l->out, m.node, s->func, s->line);
        } else {
            return ERR_USAGE;                /* parents come before their children */
        }
        if (m.thread == TABLE_NONE || m.node == TABLE_NONE)
            return m.thread == TABLE_NONE ? ERR_USAGE : ERR_NOMEM;
        l->map[l->nmap] = m;
    }
    return 0;
}

/* Count weight samples that ended at replica node n, of which where[w]
 * (where not NULL) ran w on a CPU; when note, the add is recorded for the
 * lensed table's followers (as a replica's replayed adds). */
static int add(struct lens *l, const struct table *r, uint32_t n, uint64_t weight,
               const uint64_t *where, int note)
{
    if (n >= l->nmap)
        return 0;
    struct lnode m = l->map[n];
    if (r->nodes[n].parent != TABLE_NONE && m.node == l->out->threads[m.thread].root) {
        m.node = table_child(l->out, m.node, PROFILE_FUNC_OUTSIDE, -1);
        if (m.node == TABLE_NONE)
            return ERR_NOMEM;
    }
    struct table *out = l->out;
    if (note && weight) {
        if (table_grow((void **)&out->pending, &out->pending_cap, (size_t)out->npending + 1,
                       sizeof *out->pending) < 0)
            return ERR_NOMEM;
        out->pending[out->npending++] = (struct delta){.node = m.node, .where = -1, .weight = weight};
    }
    table_count_at(out, m.thread, m.node, weight);
    for (int w = 0; where && w < TABLE_WHERES; w++)
        if (where[w] && table_where_add(out, m.node, where[w], (enum table_where)w) < 0)
            return ERR_NOMEM;
    return 0;
}

static int rebuild(struct lens *l, const struct table *r)
{
    table_reset(l->out);
    l->nmap = 0;
    int rc = map_nodes(l, r);
    for (uint32_t n = 0; n < r->nnodes && rc == 0; n++)
        if (r->nodes[n].self)
            rc = add(l, r, n, r->nodes[n].self, table_keeps_where(r) && n < r->nwc ? r->wc[n].n : NULL, 0);
    return rc;
}

/* The adds the replica's last sync replayed, on its new nodes. */
static int follow(struct lens *l, const struct table *r)
{
    int rc = map_nodes(l, r);
    for (uint32_t k = 0; k < r->napplied && rc == 0; k++) {
        const struct delta *d = &r->pending[k];
        uint64_t where[TABLE_WHERES] = {0};
        if (table_keeps_where(r) && d->where >= 0 && d->where < TABLE_WHERES)
            where[d->where] = d->weight;
        rc = add(l, r, d->node, d->weight, where, 1);
    }
    return rc;
}

static int is_profiles(const struct table *r)
{
    return r->nfuncs > PROFILE_FUNC_OUTSIDE &&
           strcmp(table_func_name(r, PROFILE_FUNC_OUTSIDE), PROFILE_OUTSIDE_NAME) == 0 &&
           table_func_file(r, PROFILE_FUNC_OUTSIDE)[0] == '\0';
}

int lens_update(struct lens *l, const struct table *replica)
{
    const struct table *r = replica;
    if (!is_profiles(r))
        return ERR_USAGE;
    if (!l->out && (!(l->out = table_new()) || table_track_flat(l->out) < 0)) {
        lens_drop(l);
        return ERR_NOMEM;
    }
    int same = r->origin && r->whole_copies == l->whole_copies;
    if (l->built && same && r->applies == l->applies)
        return mirror(l, r);                 /* no sync since: nothing new */
    int rc = mirror(l, r);
    int follows = l->built && same && r->applies == l->applies + 1;
    if (rc == 0)
        rc = follows ? follow(l, r) : rebuild(l, r);
    if (rc == 0)
        copy_thread_counts(l, r);                   /* rebuild's reset zeroed them */
    /* What the followers of the lensed table see: this update's adds
     * when it followed, else (a rebuild, or a failure half way) a whole
     * copy, after which they count again. */
    struct table *out = l->out;
    out->replays = 1;
    out->napplied = rc == 0 && follows ? out->npending : 0;
    out->npending = 0;
    out->applies = ++l->out_applies;
    out->whole_copies = rc == 0 && follows ? l->out_whole : ++l->out_whole;
    l->built = rc == 0;
    l->applies = r->applies;
    l->whole_copies = r->whole_copies;
    return rc;
}
