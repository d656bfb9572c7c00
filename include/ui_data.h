/* SPDX-License-Identifier: MIT */
/* What every view reads: a replica of the profile's table (profile.h),
 * brought up to date at each refresh while holding the writer's lock only
 * for a copy of what changed, the thread list in display order, and the
 * sampler's published counters (the target's CPU and memory included).
 * Views derive their rows from the replica without any lock.
 *
 * The "your code first" lens (lens.h) is applied here, once for every
 * view: while it is on, `table` is the lensed table derived from the
 * replica (kept up to date with each sync, rebuilt only when the replica
 * was copied whole or the lens was turned on), with the replica's
 * function ids and thread indices; views need not know, but its node ids
 * are its own: the loop updates views with UI_WHY_SCOPE when the lens is
 * turned on or off (key u), and a view must not keep node ids across that. */
#ifndef PROFTUI_UI_DATA_H
#define PROFTUI_UI_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "sampler.h"
#include "table.h"

struct table;
struct lens;
struct ui_mtree;
struct usercode;

#define UI_THREAD_NAME_MAX 64

struct ui_thread {
    uint32_t index;                   /* table thread index (stable) */
    uint64_t tid;                     /* OS thread id */
    uint32_t pid;                     /* its process as the table has it (0: the profile's own) */
    int several;                      /* the profile has threads of several processes */
    char name[UI_THREAD_NAME_MAX];    /* copied; may be "" */
    uint64_t samples;                 /* in the view's mode */
    /* Every mode's (table_thread_states): samples in all, those the state
     * shares are of (0: no state known), on a CPU, holding the GIL,
     * neither, waiting for the GIL. */
    uint64_t all, known, on_cpu, gil, idle, waits;
};

#define UI_RSS_HISTORY 16             /* readings of resident memory kept for the header */

struct ui_data {
    struct table *table;              /* what views read: replica, or the lensed table; read only */
    struct table *replica;            /* owned */
    const struct usercode *code;      /* the user's code (borrowed), NULL: no lens */
    struct lens *lens;                /* owned, made on first use */
    int lens_wanted;                  /* ui_data_lens() */
    int lens_on;                      /* table is the lensed table */
    int lens_failed;                  /* wanted but could not be built (out of memory) */
    uint64_t lens_ns;                 /* the last lens update took this long */
    struct ui_thread *threads;        /* owned; ordered by name, then tid */
    size_t nthreads;
    struct sampler_stats stats;       /* zero but for running when there is no sampler */
    uint64_t version;                 /* bumped by every successful sync */
    struct profile_sync_cost cost;    /* of the last sync */
    int mode;                         /* enum table_mode of the replica (ui_data_mode) */
    double gil_pct;                   /* share of the sampling rounds in which a thread held
                                       * its process's GIL (the rounds of every process
                                       * together); -1 unknown */
    uint64_t rss[UI_RSS_HISTORY];     /* the last readings of resident memory, oldest first */
    size_t nrss;
    struct sampler_proc_info procs[SAMPLER_PROCS_KNOWN];   /* sampler_get_procs(), none when */
    int nprocs;                                            /* there is no sampler */
    /* Owned: the merged call tree the call tree view and the flame graph
     * share (ui_mtree_pick), one copy of it for both. Not the data's: the
     * views keep it up to date with `table`, each when it updates. */
    struct ui_mtree *mtree;
};

/* What the sampler said of process pid at the last sync, or NULL. */
const struct sampler_proc_info *ui_data_proc(const struct ui_data *d, uint32_t pid);

/* An empty data set with an empty replica, and the user's code for the
 * lens (borrowed; NULL: the lens never applies). 0 or ERR_NOMEM. */
int ui_data_init(struct ui_data *d);
void ui_data_set_code(struct ui_data *d, const struct usercode *code);
void ui_data_free(struct ui_data *d);

/* Turn the lens on or off from the next ui_data_sync() (off frees the
 * lensed table). */
void ui_data_lens(struct ui_data *d, int on);

/* Count in mode (enum table_mode) from the next ui_data_sync() on (which
 * then copies the profile whole: views get UI_WHY_SCOPE). */
void ui_data_mode(struct ui_data *d, int mode);

/* Show the asyncio task stacks (tasks set) or the threads' own, from the
 * next ui_data_sync() on (table_set_tasks). */
void ui_data_tasks(struct ui_data *d, int tasks);
/* Show one task's stacks alone (its "[task NAME]" function id), or
 * every task's (TABLE_NONE), from the next ui_data_sync() on
 * (table_set_task). */
void ui_data_task(struct ui_data *d, uint32_t task);
/* Show the mixed native stacks where there are any (native set) or the
 * Python-only stacks, from the next ui_data_sync() on (table_set_native). */
void ui_data_native(struct ui_data *d, int native);
/* Show the threads of process pid alone (only), or of every process,
 * from the next ui_data_sync() on (table_set_process). */
void ui_data_process(struct ui_data *d, int only, uint32_t pid);

/* Bring the replica up to date with p and copy the counters of s (NULL:
 * none; then taken is the table's sample count), then the lensed table
 * when the lens is on (when it cannot be built, table stays the replica
 * and lens_failed is set). Returns 0 or ERR_NOMEM (the replica is then
 * empty until the next sync). */
int ui_data_sync(struct ui_data *d, struct profile *p, struct sampler *s);

/* What a reader saw of a replica, to tell whether it was reset since
 * (node ids reused for other paths): its node count, its samples, and
 * its last node's parent and site. */
struct ui_replica_mark {
    size_t nodes;
    uint64_t samples;
    uint32_t last_parent;
    struct frame_key last_site;
};

/* Nothing seen yet. */
void ui_replica_mark_init(struct ui_replica_mark *m);
/* Remember t as it is now. */
void ui_replica_mark_set(struct ui_replica_mark *m, const struct table *t);
/* Was t reset since ui_replica_mark_set (fewer nodes or samples, or its
 * node there then is another one now)? */
int ui_replica_mark_reset(const struct ui_replica_mark *m, const struct table *t);

/* The thread with table index `index`, or NULL. */
const struct ui_thread *ui_data_thread(const struct ui_data *d, uint32_t index);

/* Samples of one thread (index) or of all (TABLE_NONE). */
uint64_t ui_data_samples(const struct ui_data *d, uint32_t thread);

#endif
