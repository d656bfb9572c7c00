/* SPDX-License-Identifier: MIT */
/* The profile: a table, its writer's lock, its metadata, and the sync of
 * readers' replicas. */
#include "profile.h"

#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "error.h"
#include "table.h"

struct profile {
    pthread_mutex_t lock;
    struct table *table;            /* owned; guarded by lock */
    struct profile_meta meta;       /* guarded by lock */
};

struct profile *profile_new(void)
{
    struct profile *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->table = table_new();
    if (!p->table || table_intern_func(p->table, PROFILE_OUTSIDE_NAME, "") != PROFILE_FUNC_OUTSIDE) {
        table_free(p->table);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

void profile_free(struct profile *p)
{
    if (!p)
        return;
    table_free(p->table);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void profile_lock(struct profile *p)
{
    pthread_mutex_lock(&p->lock);
}

void profile_unlock(struct profile *p)
{
    pthread_mutex_unlock(&p->lock);
}

struct table *profile_table(struct profile *p)
{
    return p->table;
}

void profile_reset(struct profile *p)
{
    pthread_mutex_lock(&p->lock);
    table_reset(p->table);
    pthread_mutex_unlock(&p->lock);
}

void profile_set_meta(struct profile *p, const struct profile_meta *m)
{
    pthread_mutex_lock(&p->lock);
    p->meta = *m;
    p->meta.python_version[sizeof p->meta.python_version - 1] = '\0';
    p->meta.command[sizeof p->meta.command - 1] = '\0';
    p->meta.source[sizeof p->meta.source - 1] = '\0';
    p->meta.format[sizeof p->meta.format - 1] = '\0';
    p->meta.writer[sizeof p->meta.writer - 1] = '\0';
    p->meta.only[sizeof p->meta.only - 1] = '\0';
    p->meta.warning[sizeof p->meta.warning - 1] = '\0';
    pthread_mutex_unlock(&p->lock);
}

void profile_get_meta(struct profile *p, struct profile_meta *out)
{
    pthread_mutex_lock(&p->lock);
    *out = p->meta;
    pthread_mutex_unlock(&p->lock);
}

int profile_sync(struct profile *p, struct table *replica, struct profile_sync_cost *cost)
{
    pthread_mutex_lock(&p->lock);
    uint64_t t0 = clock_now_ns();
    int rc = table_sync_copy(replica, p->table);
    uint64_t t1 = clock_now_ns();
    pthread_mutex_unlock(&p->lock);
    if (rc == 0)
        table_sync_apply(replica);
    if (cost)
        *cost = (struct profile_sync_cost){.locked_ns = t1 - t0, .apply_ns = clock_now_ns() - t1};
    return rc;
}
