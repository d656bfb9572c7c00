/* SPDX-License-Identifier: MIT */
/* The profile in every mode at once: a replica (and a lens) per mode. */
#include "modeset.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"

#include "error.h"
#include "lens.h"
#include "profile.h"

struct modeset {
    struct table *replica[TABLE_MODES];
    struct lens *lens[TABLE_MODES];        /* NULL without the user's code */
    struct table *freed;                   /* the shrinking by stack (a writer's table), or NULL */
    int synced;
};

/* Copying one metric's stacks into a table of the same names. */
struct copy {
    struct table *dst;
    const struct table *src;
    int kind;                              /* 0 own, 1 tasks, 2 mixed native: the stacks shown */
    struct frame_key *leaf_first;
    size_t cap;
};

struct modeset *modeset_new(void)
{
    return calloc(1, sizeof(struct modeset));
}

void modeset_free(struct modeset *s)
{
    if (!s)
        return;
    for (int m = 0; m < TABLE_MODES; m++) {
        lens_free(s->lens[m]);
        table_free(s->replica[m]);
    }
    table_free(s->freed);
    free(s);
}

/* Each mode's replica (and lens), set up as `like` and code ask. */
static int prepare(struct modeset *s, const struct table *like, const struct usercode *code)
{
    for (int m = 0; m < TABLE_MODES; m++) {
        if (!s->replica[m] && !(s->replica[m] = table_new()))
            return ERR_NOMEM;
        table_untrack_flat(s->replica[m]);         /* outputs read stacks, not flat views */
        table_set_mode(s->replica[m], (enum table_mode)m);
        table_set_tasks(s->replica[m], table_get_tasks(like));
        table_set_native(s->replica[m], table_get_native(like));
        if (code && !s->lens[m] && !(s->lens[m] = lens_new(code)))
            return ERR_NOMEM;
    }
    return 0;
}

/* A table with src's functions and threads under src's ids. 0,
 * ERR_NOMEM, or ERR_USAGE when an id differs (never). */
static int copy_names(struct table *dst, const struct table *src)
{
    for (uint32_t f = 0; f < table_func_count(src); f++) {
        const char *name = table_func_name(src, f), *file = table_func_file(src, f);
        uint32_t id = table_func_is_native(src, f)
                          ? table_intern_native(dst, name, file)
                          : table_intern_func_at(dst, name, file, table_func_first_line(src, f));
        if (id != f)
            return id == TABLE_NONE ? ERR_NOMEM : ERR_USAGE;
    }
    for (uint32_t i = 0; i < table_thread_count(src); i++) {
        uint32_t pid = table_thread_pid(src, i);
        uint64_t tid = table_thread_tid(src, i);
        const char *name = *table_thread_name(src, i) ? table_thread_name(src, i) : NULL;
        uint32_t id = table_thread_is_tasks(src, i)    ? table_task_thread_of(dst, pid, tid, name)
                      : table_thread_is_native(src, i) ? table_native_thread_of(dst, pid, tid, name)
                                                       : table_thread_of(dst, pid, tid, name);
        if (id != i)
            return id == TABLE_NONE ? ERR_NOMEM : ERR_USAGE;
    }
    return 0;
}

static int kind_of(const struct table *t, uint32_t thread)
{
    return table_thread_is_tasks(t, thread) ? 1 : table_thread_is_native(t, thread) ? 2 : 0;
}

/* table_foreach_metric_stack's callback: a stack of the kind shown. */
static int copy_stack(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                      uint64_t count)
{
    struct copy *c = arg;
    if (kind_of(c->src, thread) != c->kind)
        return 0;
    if (depth > 0 && array_reserve((void **)&c->leaf_first, &c->cap, (size_t)depth,
                                   sizeof *c->leaf_first) < 0)
        return ERR_NOMEM;
    for (int i = 0; i < depth; i++)
        c->leaf_first[i] = frames[depth - 1 - i];
    return table_add_stack(c->dst, thread, c->leaf_first, depth, count);
}

/* Under the lock: the bytes the resident memory shrank by, by stack, of
 * the kind of stacks `like` shows, in a table of its own (NULL when there
 * are none). */
static int copy_freed(struct modeset *s, const struct table *src, const struct table *like)
{
    table_free(s->freed);
    s->freed = NULL;
    struct copy c = {.src = src, .kind = table_get_tasks(like)                               ? 1
                                         : table_get_native(like) && table_has_native(src) ? 2 : 0};
    if (!(c.dst = table_new()))
        return ERR_NOMEM;
    int rc = copy_names(c.dst, src);
    if (rc == 0)
        rc = table_foreach_metric_stack(src, TABLE_M_FREED, copy_stack, &c);
    free(c.leaf_first);
    if (rc < 0 || !table_samples(c.dst)) {
        table_free(c.dst);
        return rc;
    }
    s->freed = c.dst;
    return 0;
}

int modeset_sync(struct modeset *s, struct profile *p, const struct table *like,
                 const struct usercode *code)
{
    s->synced = 0;
    int rc = prepare(s, like, code);
    if (rc < 0)
        return rc;
    profile_lock(p);                           /* one hold: every mode counts the same samples */
    for (int m = 0; m < TABLE_MODES && rc == 0; m++)
        rc = table_sync_copy(s->replica[m], profile_table(p));
    if (rc == 0 && !code)                      /* no lens over a writer's table */
        rc = copy_freed(s, profile_table(p), like);
    profile_unlock(p);
    for (int m = 0; m < TABLE_MODES && rc == 0; m++) {
        table_sync_apply(s->replica[m]);
        if (s->lens[m])
            rc = lens_update(s->lens[m], s->replica[m]);
    }
    s->synced = rc == 0;
    return rc;
}

const struct table *modeset_freed(const struct modeset *s)
{
    return s && s->synced ? s->freed : NULL;
}

const struct table *modeset_table(const struct modeset *s, enum table_mode m)
{
    if (!s || !s->synced || m < 0 || m >= TABLE_MODES)
        return NULL;
    return s->lens[m] ? lens_table(s->lens[m]) : s->replica[m];
}
