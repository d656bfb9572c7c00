/* SPDX-License-Identifier: MIT */
/* The profile's data: a call tree per thread with sample counts (the
 * source of truth), plus the flat per-function and per-line views derived
 * from it (the tree queries are in tree.h). The table owns every string it
 * interns; rows and callers borrow them for the table's lifetime. Not
 * thread-safe: the profile (profile.h) serialises the writer and hands
 * readers replicas, which are tables too (read only). */
#ifndef PROFTUI_TABLE_H
#define PROFTUI_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "walker.h"     /* enum walk_fail: why a stack could not be read */

#define TABLE_NONE UINT32_MAX
/* The frame of a sample whose stack could not be read (table_add_failed):
 * a function of this name without a file. */
#define TABLE_UNREADABLE "[unreadable]"
/* The frame at the root of an asyncio task's stack is "[task NAME]", a
 * function of that name with an empty file (record.h). */
#define TABLE_TASK_PREFIX "[task "

struct table;

/* What a count counts. A live profile records each sample with the state
 * its thread was in (on a CPU or not, holding its interpreter's GIL or
 * not); a sample whose state is not known (a profile read from a file, a
 * thread whose state could not be read) is TABLE_M_ANY. The memory
 * metrics count bytes, not samples: the growth and the shrinking of the
 * process's resident memory between two rounds, charged to the stack of
 * the thread that held the GIL (see the README, "Modes"). */
enum table_metric {
    TABLE_M_ANY,        /* a sample, state unknown */
    TABLE_M_IDLE,       /* a sample off CPU, without the GIL */
    TABLE_M_GIL,        /* a sample off CPU, holding the GIL */
    TABLE_M_CPU,        /* a sample on CPU, without the GIL */
    TABLE_M_CPU_GIL,    /* a sample on CPU, holding the GIL */
    TABLE_M_ALLOC,      /* bytes the resident memory grew by */
    TABLE_M_FREED,      /* bytes it shrank by */
    TABLE_METRICS
};

/* A mode: which metrics the counts of a replica sum (table_set_mode).
 * wall: every sample; cpu: on CPU; gil: holding the GIL; idle: neither on
 * CPU nor holding the GIL; memory: bytes the resident memory grew by;
 * released: bytes it shrank by. */
enum table_mode {
    TABLE_MODE_WALL,
    TABLE_MODE_CPU,
    TABLE_MODE_GIL,
    TABLE_MODE_IDLE,
    TABLE_MODE_MEMORY,
    TABLE_MODE_RELEASED,
    TABLE_MODES
};

/* Whether mode m counts bytes (memory, released), not samples. */
int table_mode_counts_bytes(enum table_mode m);

/* The metrics a mode sums, as a bit mask (1u << metric); 0 for an
 * unknown mode. */
unsigned table_mode_mask(enum table_mode m);
/* "wall", "cpu", "gil", "idle", "memory", "released"; "?" for an unknown mode. */
const char *table_mode_name(enum table_mode m);
/* The mode named s (table_mode_name), or -1. */
int table_mode_parse(const char *s);
/* The metric of a sample from its thread's state: on_cpu and gil are 1
 * (yes), 0 (no) or -1 (unknown); a state that is wholly unknown is
 * TABLE_M_ANY, an unknown half counts as "no". */
enum table_metric table_metric_of(int on_cpu, int gil);

/* Where a sample on a CPU found its thread (issue 12's split, the README's
 * "Python, C or system"): running the interpreter's own bytecode, inside
 * C code its innermost Python frame called (that frame's instruction is a
 * call: walker.h in_call), or in the kernel (system time, from the
 * thread's own accounting). TABLE_W_NONE: not on a CPU, or not known. */
enum table_where {
    TABLE_W_NONE = -1,
    TABLE_W_PYTHON,
    TABLE_W_C,
    TABLE_W_SYSTEM,
    TABLE_WHERES
};

/* One frame of a stack: an interned function and the line executing in it. */
struct frame_key {
    uint32_t func;     /* from table_intern_func() */
    int32_t line;      /* current line, or -1 when unknown */
};

/* A row of a flat view. */
struct flat_row {
    uint32_t func;     /* function id */
    int32_t line;      /* line for line-level views, -1 for function-level */
    int32_t hot_line;  /* function-level: its busiest line (most total samples, then
                        * most own, then the lowest line; -1 when no line is known);
                        * line-level: line */
    uint64_t own;      /* samples in which this was the leaf */
    uint64_t total;    /* samples in which this was anywhere on the stack, once per sample */
    uint64_t where[TABLE_WHERES]; /* of own, the samples on a CPU by where they ran (only a
                        * table that keeps them: table_keeps_where; else 0) */
};

struct flat_view {
    struct flat_row *rows; /* owned by the view */
    size_t n;
    uint64_t samples;      /* samples in the selected thread(s) */
};

/* A new, empty table (caller owns; free with table_free). NULL on ENOMEM. */
struct table *table_new(void);
void table_free(struct table *t);

/* Forget every count; interned names and threads stay valid. */
void table_reset(struct table *t);

/* First lines (co_firstlineno) a function may have: 1 .. TABLE_LINE_MAX - 1. */
#define TABLE_LINE_MAX 10000000

/* Intern a function (qualified name, file) whose first line is unknown
 * (markers, frames without a code object). Returns its id, or TABLE_NONE
 * on ENOMEM. The same pair always yields the same id:
 * table_intern_func_at(t, name, file, -1). */
uint32_t table_intern_func(struct table *t, const char *name, const char *file);

/* Intern a function known by (qualified name, file, first line): the line
 * of its def, or of its first decorator (a code object's co_firstlineno).
 * A first line outside 1 .. TABLE_LINE_MAX - 1 is unknown (-1). Functions
 * that differ only in their first line are different functions (before
 * 3.11 two classes' "run" in one file share a name). The same triple
 * always yields the same id; TABLE_NONE on ENOMEM or on a replica. */
uint32_t table_intern_func_at(struct table *t, const char *name, const char *file, int32_t first_line);

/* Intern a native (C) function: name is its symbol, or "MODULE+0xOFFSET"
 * for an address no symbol covers; module is the path of its file ("" for
 * anonymous memory). Never the same id as a Python function of the same
 * name and file. TABLE_NONE on ENOMEM or on a replica. */
uint32_t table_intern_native(struct table *t, const char *name, const char *module);
/* Whether func is a native function (table_intern_native). */
int table_func_is_native(const struct table *t, uint32_t func);

/* Name and file of a function id (borrowed, valid for the table's life);
 * "?" for an id the table never gave out. */
const char *table_func_name(const struct table *t, uint32_t func);
const char *table_func_file(const struct table *t, uint32_t func);
/* A function's first line (table_intern_func_at), or -1 when unknown or
 * for an id the table never gave out. */
int32_t table_func_first_line(const struct table *t, uint32_t func);
/* Functions interned so far; ids are 0..count-1 and survive table_reset(). */
size_t table_func_count(const struct table *t);

/* Register (or find) a thread by process id and OS thread id (pid 0: the
 * profile's own process, profile_meta.pid, for a profile of one process);
 * updates its name when name is non-NULL and differs. Returns its index or
 * TABLE_NONE on ENOMEM. */
uint32_t table_thread_of(struct table *t, uint32_t pid, uint64_t tid, const char *name);
/* The asyncio task stacks of thread (pid, tid) are kept as a thread of
 * their own, apart from the thread's stacks (each task's stack starts at a
 * "[task NAME]" frame: record.h): registered (or found) like
 * table_thread_of(), with the same pid, tid and name. A replica shows
 * either the threads' stacks or the task stacks (table_set_tasks). */
uint32_t table_task_thread_of(struct table *t, uint32_t pid, uint64_t tid, const char *name);
/* Whether thread holds task stacks (table_task_thread_of). */
int table_thread_is_tasks(const struct table *t, uint32_t thread);
/* Whether any thread holds task stacks (a replica: its origin's, as of its last sync). */
int table_has_tasks(const struct table *t);
/* --native: the mixed stacks of thread (pid, tid) (its native frames with
 * its Python frames in place of the evaluation loop's, nmerge.h) are kept
 * as a thread of their own, beside its Python-only stacks: registered (or
 * found) like table_thread_of(), with the same pid, tid and name. Every
 * sample of a thread goes to both (a stack with no native frames to the
 * mixed one as it is), so either kind alone is the whole profile. */
uint32_t table_native_thread_of(struct table *t, uint32_t pid, uint64_t tid, const char *name);
/* Whether thread holds mixed native stacks (table_native_thread_of). */
int table_thread_is_native(const struct table *t, uint32_t thread);
/* Whether any thread holds mixed native stacks (a replica: its origin's, as of its last sync). */
int table_has_native(const struct table *t);
/* table_thread_of(t, 0, tid, name). */
uint32_t table_thread(struct table *t, uint64_t tid, const char *name);
/* Threads registered so far; indices are 0..count-1 and survive table_reset().
 * For an unknown index the getters return 0 / "" / 0. A thread not named
 * yet has the name "". */
size_t table_thread_count(const struct table *t);
uint64_t table_thread_tid(const struct table *t, uint32_t thread);
/* The thread's process id as registered (0: the profile's own). */
uint32_t table_thread_pid(const struct table *t, uint32_t thread);
const char *table_thread_name(const struct table *t, uint32_t thread);
uint64_t table_thread_samples(const struct table *t, uint32_t thread);
/* The index of the thread with OS thread id tid, or TABLE_NONE when the
 * table has not seen it (nothing is registered; a hash lookup on the
 * writer's table, a scan on a replica). */
uint32_t table_thread_find(const struct table *t, uint64_t tid);
/* The same for the thread (pid, tid) (table_thread_of). */
uint32_t table_thread_find_of(const struct table *t, uint32_t pid, uint64_t tid);
/* The indices of the threads with samples, by process id, then OS thread
 * id (then index), the order every output writes them in: *out (caller frees; NULL when
 * there is none) and *n of them. 0 or ERR_NOMEM (*out NULL, *n 0). */
int table_threads_by_tid(const struct table *t, uint32_t **out, size_t *n);
/* How many distinct process ids the threads with samples have (0 counts
 * as one): more than 1 for a profile of several processes. */
size_t table_pid_count(const struct table *t);
/* Name process pid (its command line: outputs write it after the pid,
 * views show it); a later call renames it. 0, or ERR_NOMEM, or ERR_USAGE
 * on a replica. */
int table_set_process_name(struct table *t, uint32_t pid, const char *name);
/* The name of process pid, "" when it has none. */
const char *table_process_name(const struct table *t, uint32_t pid);
/* The named processes, 0 .. table_named_processes() - 1, in the order
 * they were named: process i's pid into *pid and its name. */
size_t table_named_processes(const struct table *t);
const char *table_named_process(const struct table *t, size_t i, uint32_t *pid);

/* Stacks of `thread` that could not be read since the last reset, for one
 * reason, or for every reason when why is WALK_OK; 0 for an unknown thread
 * or reason. Each of them is also one of the thread's samples. */
uint64_t table_thread_failed(const struct table *t, uint32_t thread, enum walk_fail why);
/* The word for a reason in outputs: "torn", "cycle", "corrupt", "read"
 * ("" for WALK_OK and unknown values). */
const char *table_fail_name(enum walk_fail why);

/* Count one sample of `thread` whose stack is frames[0..depth), LEAF FIRST
 * (frames[0] is the innermost frame). weight is normally 1. depth 0 counts
 * a sample with no frame (in the thread's total only). Either the whole
 * stack is counted or nothing is. Returns 0, ERR_NOMEM, or ERR_USAGE for an
 * unknown thread or function id or a negative depth (a caller bug). */
int table_add_stack(struct table *t, uint32_t thread, const struct frame_key *frames,
                    int depth, uint64_t weight);

/* table_add_stack() for a sample of a known state, or for bytes: counts
 * weight in `metric`. A sample metric also counts in the plain counts
 * (every query of a table that is not a replica in another mode: wall); the
 * memory metrics count only where a replica's mode asks for them and in
 * table_thread_metric(). Returns what table_add_stack() returns, or
 * ERR_USAGE for an unknown metric. */
int table_add_stack_as(struct table *t, uint32_t thread, const struct frame_key *frames,
                       int depth, uint64_t weight, enum table_metric metric);

/* table_add_stack_as() for a sample on a CPU that ran `where` (a sample
 * metric, where TABLE_W_NONE: as table_add_stack_as): the leaf's own
 * samples by where are counted beside (table_flat's rows' where). */
int table_add_stack_where(struct table *t, uint32_t thread, const struct frame_key *frames,
                          int depth, uint64_t weight, enum table_metric metric,
                          enum table_where where);
/* Whether t's flat views count own samples by where: a table that is no
 * replica always; a replica in wall or cpu mode (in the others the split
 * would not be of the samples the mode counts); 0 before any such sample
 * (a profile read from a file has none). */
int table_keeps_where(const struct table *t);

/* The leaf node of the last stack table_add_stack_as() added (TABLE_NONE
 * before any), for table_add_at(). */
uint32_t table_last_leaf(const struct table *t);
/* Count weight more samples (bytes) of metric at node, a leaf that
 * table_last_leaf() gave for a stack of thread: as table_add_stack_as()
 * of that node's stack would. 0, ERR_USAGE (not a node of that thread's
 * tree, a replica) or ERR_NOMEM. */
int table_add_at(struct table *t, uint32_t thread, uint32_t node, uint64_t weight,
                 enum table_metric metric);
/* Bumped by each table_reset(): a node id (table_last_leaf) kept from an
 * earlier value names no node of t any more. */
uint64_t table_epoch(const struct table *t);

/* What `thread` has in `metric` (samples, or bytes for the memory
 * metrics), whatever the table's mode; 0 for an unknown thread or metric. */
uint64_t table_thread_metric(const struct table *t, uint32_t thread, enum table_metric metric);

/* Samples of `thread` in which it waited to take the GIL
 * (table_note_gil_wait); every mode's. */
uint64_t table_thread_gil_waits(const struct table *t, uint32_t thread);
/* What a thread's samples found it doing, every mode's: on a CPU, holding
 * the GIL, waiting for it, neither on a CPU nor holding it (idle), out of
 * `samples` (those of an unknown state included). */
struct table_states {
    uint64_t cpu, gil, wait, idle, samples;
};

/* The states of `thread`: counted from its samples (their metrics), or as
 * a file said (table_set_thread_states). Returns 1 when known, else 0
 * (*out all zero; also for a thread of the kind of stacks the table does
 * not show: table_set_tasks). */
int table_thread_states(const struct table *t, uint32_t thread, struct table_states *out);
/* Set them as a saved profile says (an importer). 0, or ERR_USAGE for an
 * unknown thread or a replica. */
int table_set_thread_states(struct table *t, uint32_t thread, const struct table_states *s);

/* Count one sample of `thread` in which it waited for the GIL (on top of
 * the sample itself). ERR_USAGE for an unknown thread or a replica. */
int table_note_gil_wait(struct table *t, uint32_t thread);

/* A replica's mode (a table that is no replica counts in wall mode): the
 * counts the next profile_sync() / table_sync_copy() copies into it are
 * those of the mode's metrics, and every query (flat views, trees, stacks,
 * samples per thread and in all, failures) answers in them; nodes without
 * a count in the mode are not linked into the tree. Changing it makes the
 * next sync copy the whole table (its followers see a whole copy).
 * Returns 0, or ERR_USAGE for an unknown mode. */
int table_set_mode(struct table *t, enum table_mode m);
enum table_mode table_get_mode(const struct table *t);

/* A replica's stacks: with tasks 0 (the default) the threads' own, with
 * tasks set the asyncio task stacks (table_task_thread_of); the other
 * kind keeps its thread records and table_thread_metric counts, but no
 * samples and no nodes in the tree, so every view shows the one kind.
 * Changing it makes the next sync copy the whole table. */
void table_set_tasks(struct table *t, int tasks);
int table_get_tasks(const struct table *t);

/* A replica of the task stacks of one task alone: those whose innermost
 * "[task NAME]" frame is the function task (TABLE_NONE, the default: every
 * task). Its samples, trees and flat views are that task's; its threads'
 * failures are not counted. No effect unless it shows the task stacks.
 * Changing it makes the next sync copy the whole table. */
void table_set_task(struct table *t, uint32_t task);
uint32_t table_get_task(const struct table *t);
/* A replica showing the task stacks: the samples (in its mode and process
 * scope, whatever task it is set to) whose innermost "[task NAME]" frame
 * is function task; 0 for any other function or replica. */
uint64_t table_task_samples(const struct table *t, uint32_t task);
/* A replica's native frames: with native set, the mixed native stacks
 * (table_native_thread_of) where there are any, else (0, the default) the
 * Python-only stacks; the task stacks when table_set_tasks asks for them.
 * Changing it makes the next sync copy the whole table. */
void table_set_native(struct table *t, int native);
int table_get_native(const struct table *t);

/* A replica's process scope: with only set, the next syncs copy the
 * samples of the threads of process pid alone (the others keep their
 * records and their table_thread_metric counts, but no samples and no
 * nodes in the tree), so that every view of all threads shows that
 * process; only 0 is every process. Changing it makes the next sync copy
 * the whole table. */
void table_set_process(struct table *t, int only, uint32_t pid);

/* Count one sample of `thread` whose stack could not be read, for reason
 * why (not WALK_OK): a sample with the single frame TABLE_UNREADABLE
 * (interned here; line -1), so that the thread keeps its share of the
 * rounds and the views show the loss where it happened, and one failure of
 * that reason for table_thread_failed(). Both or nothing. Returns 0,
 * ERR_NOMEM, or ERR_USAGE (unknown thread or reason, or a replica). */
int table_add_failed(struct table *t, uint32_t thread, enum walk_fail why);
/* The same for a sample of a known state (a sample metric). */
int table_add_failed_as(struct table *t, uint32_t thread, enum walk_fail why,
                        enum table_metric metric);
/* The same for `weight` samples at once (an asyncio task read in turn
 * stands for several rounds: taskwalk.h); weight 0 adds nothing. */
int table_add_failed_weighted(struct table *t, uint32_t thread, enum walk_fail why,
                              enum table_metric metric, uint64_t weight);

/* All samples counted so far (every thread). */
uint64_t table_samples(const struct table *t);

/* Derive a flat view for one thread (thread index) or all (TABLE_NONE),
 * function-level (by_line == 0) or line-level. Rows are unsorted. The view
 * is a copy: it stays valid after the table changes. Returns 0, ERR_NOMEM,
 * or ERR_USAGE for an unknown thread index; *out is an empty view on error.
 * Cost: O(rows) on a replica or a table that keeps its flat counts (see
 * table_track_flat), else a count of every node's path. */
int table_flat(const struct table *t, uint32_t thread, int by_line, struct flat_view *out);
void flat_view_free(struct flat_view *v);

/* The function-level counts of table_flat() without its rows (no busiest
 * line, no split by where): own[f] and total[f] get the samples of every
 * function f < n with any in the thread(s); the others are left as they
 * are (the caller zeroes them, or adds up several calls). *samples gets the
 * view's samples. Same costs and errors as table_flat(). */
int table_flat_funcs(const struct table *t, uint32_t thread, uint64_t *own, uint64_t *total, size_t n,
                     uint64_t *samples);

/* Keep t's flat counts (per thread and function, per thread and line, and
 * each function's busiest line) up to date from now on, at a cost of one
 * walk up the path per table_add_stack(), so that table_flat() costs
 * O(rows). Replicas always keep them (table_sync_apply replays into them).
 * Returns 0 or ERR_NOMEM (table_flat then derives the counts each time). */
int table_track_flat(struct table *t);

/* Stop keeping them and free them (a replica too, until
 * table_track_flat): for a table no view reads for a while. */
void table_untrack_flat(struct table *t);

/* Visit every distinct stack with its own count (samples that ended there),
 * root first: cb gets the thread index, frames ROOT FIRST (borrowed, valid
 * during the call only), depth (0 for samples with no frame) and count.
 * Order: threads by index, then depth-first; stable for an unchanged table.
 * cb must not modify the table. Stops early when cb returns non-zero and
 * returns that value; returns ERR_NOMEM if the path buffer cannot grow. */
typedef int (*table_stack_cb)(void *arg, uint32_t thread, const struct frame_key *frames,
                              int depth, uint64_t count);
int table_foreach_stack(const struct table *t, table_stack_cb cb, void *arg);

/* Replication (a reader's copy of a table another thread writes). Copy
 * into dst (a table from table_new(), used only as a replica from then
 * on) what changed in src since dst's last copy: the grown tails of the
 * names, functions, sites, threads and nodes and a log of the stacks
 * added, or, when dst is new, was not the last to sync, or src was reset
 * or its log overflowed, every node whole. Cheap: call it under the
 * writer's lock. A replica refuses every write (ERR_USAGE / TABLE_NONE).
 * Returns 0, ERR_USAGE (dst == src, or src is a replica) or ERR_NOMEM
 * (dst is then empty and copies whole next time). */
int table_sync_copy(struct table *dst, struct table *src);

/* Finish a copy without the writer's lock: link the new nodes and replay
 * the logged stacks into the counts and the flat counts (after a whole
 * copy, those are counted again from every node). dst then equals src as
 * it was at the copy. */
void table_sync_apply(struct table *dst);

/* For a reader that follows a replica's changes instead of walking it:
 * the replica's count of table_sync_apply() calls (0 for a table that is
 * no replica), its count of whole copies in *whole, and in *n the adds
 * the last apply replayed (see table_sync_replayed_add). A follower that
 * saw the counts (a, w) and now finds (a + 1, w) learns from those adds
 * alone everything that changed since (new nodes are on their paths);
 * any other pair means that it missed a sync or a whole copy. */
uint64_t table_sync_replayed(const struct table *t, size_t *n, uint64_t *whole);

/* Add i (< the n above) of the last apply: its leaf node (the samples
 * count on the path from it to its thread's root) and, in *weight, how
 * many samples it added. TABLE_NONE when i is out of range. */
uint32_t table_sync_replayed_add(const struct table *t, size_t i, uint64_t *weight);

#endif
