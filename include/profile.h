/* SPDX-License-Identifier: MIT */
/* The profile: the object the sampler (or, later, a file loader) writes
 * and the live view and the exporters read. main.c creates it; it owns
 * one table (table.h) and the lock that serialises its writer. Readers
 * never read that table: they keep a replica (a table too) and bring it
 * up to date with profile_sync(), which holds the lock only while it
 * copies what changed (see src/profile/sync.c for the design and the
 * measurements behind it), then rebuilds the counts without the lock. */
#ifndef PROFTUI_PROFILE_H
#define PROFTUI_PROFILE_H

#include <stdint.h>

struct table;
struct profile;

/* The function every profile holds from the start, with id
 * PROFILE_FUNC_OUTSIDE and no file: the one frame that the "your code"
 * lens (lens.h) puts under a thread for the samples in which no frame was
 * the user's code. Interned first so that it has the same id in the
 * profile, in every replica and in the lensed tables. */
#define PROFILE_FUNC_OUTSIDE 0
#define PROFILE_OUTSIDE_NAME "[outside your code]"

/* What a profile is of: set once by whoever fills it. Strings are copied. */
#define PROFILE_TEXT_MAX 1024
struct profile_meta {
    int64_t pid;                          /* the target, 0 when unknown */
    int launched;                         /* we started it */
    int mode;                             /* enum table_mode: what the counts count (--mode) */
    uint64_t interval_ns;                 /* requested sampling interval */
    char python_version[32];              /* "3.12.1", "" when unknown */
    char command[PROFILE_TEXT_MAX];       /* the command line or "PID 1234" */
    /* A profile loaded from a file (import.h); all zero / "" for a live one. */
    int saved;                            /* it was read from `source` */
    char source[PROFILE_TEXT_MAX];        /* the file's path */
    char format[64];                      /* what it was: "collapsed (py-spy)", "pprof" ... */
    char writer[64];                      /* the proftui version that wrote it, "" */
    uint64_t start_unix_ns;               /* when sampling started, 0 unknown */
    uint64_t duration_ns;                 /* time spent sampling, 0 unknown */
    int rounds_known;                     /* the three counts below were in the file */
    uint64_t taken, missed, lost;         /* sampling rounds (export.h) */
    char only[PROFILE_TEXT_MAX];          /* the --only roots it was taken with, "" */
    char warning[PROFILE_TEXT_MAX];       /* its caveat, "" */
};

/* What one sync cost, for the log and the benchmark. */
struct profile_sync_cost {
    uint64_t locked_ns;                   /* time the writer's lock was held */
    uint64_t apply_ns;                    /* time spent rebuilding counts, unlocked */
};

/* A new, empty profile (caller owns; profile_free): no samples, one
 * function (PROFILE_FUNC_OUTSIDE). NULL on ENOMEM. */
struct profile *profile_new(void);
/* Free it; no writer or reader may use it any more. Replicas stay valid. */
void profile_free(struct profile *p);

/* The writer: between profile_lock() and profile_unlock(), use the table
 * that profile_table() returns (table_intern_func, table_thread,
 * table_add_stack ...). Keep the lock short: readers wait for it too. */
void profile_lock(struct profile *p);
void profile_unlock(struct profile *p);
struct table *profile_table(struct profile *p);

/* Zero every count (takes the lock). Names, ids and threads stay. */
void profile_reset(struct profile *p);

/* Set / read the metadata (takes the lock). */
void profile_set_meta(struct profile *p, const struct profile_meta *m);
void profile_get_meta(struct profile *p, struct profile_meta *out);

/* Bring `replica` (from table_new(), used for nothing else) up to the
 * profile's current state. The lock is held only to copy what changed
 * since the replica's last sync (everything the first time). cost may be
 * NULL. Returns 0 or ERR_NOMEM (the replica is then empty). */
int profile_sync(struct profile *p, struct table *replica, struct profile_sync_cost *cost);

#endif
