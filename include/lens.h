/* SPDX-License-Identifier: MIT */
/* The "your code first" lens: a table derived from a replica (profile.h)
 * in which every stack keeps only the frames of the user's own code
 * (usercode.h), so that the time spent in library and interpreter frames
 * is charged to the innermost frame of the user's code that led there
 * (its own time, on the line that called out), and the stacks with no
 * frame of the user's code at all become one frame PROFILE_OUTSIDE_NAME
 * under the thread: the shares stay honest. Samples with no frame stay
 * as they are, so does the frame of a stack that could not be read
 * (TABLE_UNREADABLE), and the threads' failure counts are the replica's
 * (table_thread_failed). Every query of table.h and tree.h works on the lensed
 * table; its function ids and thread indices are the replica's, so a
 * selection survives turning the lens on and off.
 *
 * Kept up to date incrementally: after a sync that replayed a log of new
 * stacks, each of them is added once, O(its depth); after a whole copy
 * (first sync, reset, a second reader, an overflowed log) or a missed
 * sync, the lensed table is built again from every node. The lensed
 * table says what each update did as a replica says what a sync did
 * (table_sync_replayed): the adds of an update that followed, a whole
 * copy for a rebuild, so that the views follow it as they follow a
 * replica. */
#ifndef PROFTUI_LENS_H
#define PROFTUI_LENS_H

struct table;
struct usercode;
struct lens;

/* A lens that recognises the user's code by `code` (borrowed: it must
 * outlive the lens and not change). Caller owns; NULL on ENOMEM. */
struct lens *lens_new(const struct usercode *code);
void lens_free(struct lens *l);

/* Bring the lensed table up to date with `replica`, a table kept by
 * profile_sync() (or table_sync_copy + table_sync_apply) from a profile,
 * right after its sync. Returns 0, ERR_NOMEM (the next call builds it
 * again), or ERR_USAGE when replica is not a profile's (its first
 * function is not PROFILE_OUTSIDE_NAME). */
int lens_update(struct lens *l, const struct table *replica);

/* The lensed table (read only, owned by the lens) as of the last
 * successful lens_update(), or NULL before one. */
const struct table *lens_table(const struct lens *l);

/* Forget the lensed table and free its memory (the lens is off); the
 * next lens_update() builds it again. */
void lens_drop(struct lens *l);

#endif
