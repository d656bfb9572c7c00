/* SPDX-License-Identifier: MIT */
/* Finding the processes to follow: the descendants of the root that run
 * CPython, noticed by polling /proc/PID/task/TID/children (proctree.h).
 * A descendant that is not CPython (a shell, `sleep`) is remembered and
 * tried again only when it execs (its /proc/PID/exe changes); a new one
 * whose interpreter is not mapped yet is tried a few times first. */
#ifndef PROFTUI_DISCOVER_H
#define PROFTUI_DISCOVER_H

#include <stdint.h>
#include <sys/types.h>

struct discover;
struct pytarget;

/* Polls: at most every DISCOVER_EVERY_NS; a new process is tried
 * DISCOVER_TRIES times, one poll apart, before it counts as not Python. */
#define DISCOVER_EVERY_NS 20000000ULL
#define DISCOVER_TRIES 10
/* Opens tried per poll at most (each reads the process's maps and ELF
 * symbols, a millisecond or more, while sampling waits): the rest are
 * tried at the next polls. */
#define DISCOVER_OPENS_MAX 16

/* A watcher of root's descendants (caller owns; discover_free). NULL on
 * ENOMEM. */
struct discover *discover_new(pid_t root);
void discover_free(struct discover *d);

/* One poll at monotonic time now_ns: read the descendants and try to open
 * those not known yet (or exec'd since). Writes the targets opened to
 * out[0..max) (the caller owns them; a target that does not fit is not
 * opened this time, and counts as waited: discover_waited) and returns how
 * many. At most DISCOVER_OPENS_MAX processes are tried per poll. */
int discover_poll(struct discover *d, uint64_t now_ns, struct pytarget **out, int max);

/* The root itself is not Python (a shell, a wrapper): look at it as at
 * a descendant, so that it is opened if it execs into Python. */
void discover_with_root(struct discover *d);

/* The caller follows pid already (opened elsewhere): not opened again
 * while it is followed (until discover_forget). */
void discover_follow(struct discover *d, pid_t pid);

/* The caller stopped following pid (gone, or its reads failed: it may
 * have exec'd): pid is tried again if it is still there at the next poll,
 * a few times at most. */
void discover_forget(struct discover *d, pid_t pid);

/* events: a count that moves whenever a process of the family
 * (discover_take_family) forks a new process or execs, or when that may
 * have gone unseen (cpuswitch_family_events). Once it is given (before
 * each poll), discover_poll reads /proc only when it moved since the last
 * poll, while a process seen waits to be tried again, when the last poll
 * found more descendants than it keeps, or DISCOVER_QUIET_NS after the
 * last poll (a backstop): an idle family costs no reads. */
#define DISCOVER_QUIET_NS 1000000000ULL
void discover_use_events(struct discover *d, uint64_t events);

/* Once after each poll: the root and the descendants it found, into
 * *pids (valid until the next poll), and how many; 0 when there was no
 * poll since the last call. */
size_t discover_take_family(struct discover *d, const pid_t **pids);

/* How many processes a poll left unopened because out had no room (max
 * reached), each counted once; they are opened at a later poll with room. */
unsigned discover_waited(const struct discover *d);

/* What polling cost so far: polls made and the CPU time they took. */
void discover_cost(const struct discover *d, uint64_t *polls, uint64_t *ns);

#endif
