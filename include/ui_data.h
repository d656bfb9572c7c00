/* SPDX-License-Identifier: MIT */
/* What every view reads: a replica of the profile's table (profile.h),
 * brought up to date at each refresh while holding the writer's lock only
 * for a copy of what changed, the thread list in display order, and the
 * sampler's published counters (the target's CPU and memory included).
 * Views derive their rows from the replica without any lock. */
#ifndef PROFTUI_UI_DATA_H
#define PROFTUI_UI_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "sampler.h"

struct table;

#define UI_THREAD_NAME_MAX 64

struct ui_thread {
    uint32_t index;                   /* table thread index (stable) */
    uint64_t tid;                     /* OS thread id */
    char name[UI_THREAD_NAME_MAX];    /* copied; may be "" */
    uint64_t samples;
};

struct ui_data {
    struct table *table;              /* owned replica; read only */
    struct ui_thread *threads;        /* owned; ordered by name, then tid */
    size_t nthreads;
    struct sampler_stats stats;       /* zero but for running when there is no sampler */
    uint64_t version;                 /* bumped by every successful sync */
    struct profile_sync_cost cost;    /* of the last sync */
};

/* An empty data set with an empty replica. 0 or ERR_NOMEM. */
int ui_data_init(struct ui_data *d);
void ui_data_free(struct ui_data *d);

/* Bring the replica up to date with p and copy the counters of s (NULL:
 * none; then taken is the table's sample count). Returns 0 or
 * ERR_NOMEM (the replica is then empty until the next sync). */
int ui_data_sync(struct ui_data *d, struct profile *p, struct sampler *s);

/* The thread with table index `index`, or NULL. */
const struct ui_thread *ui_data_thread(const struct ui_data *d, uint32_t index);

/* Samples of one thread (index) or of all (TABLE_NONE). */
uint64_t ui_data_samples(const struct ui_data *d, uint32_t thread);

#endif
