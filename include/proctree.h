/* SPDX-License-Identifier: MIT */
/* A process's descendants, from /proc/PID/task/TID/children (Linux 3.5+,
 * CONFIG_PROC_CHILDREN): what quitting ends, and what following worker
 * processes watches. */
#ifndef PROFTUI_PROCTREE_H
#define PROFTUI_PROCTREE_H

#include <stddef.h>
#include <sys/types.h>

struct proctree;

/* The direct children of pid (of every one of its threads: a child
 * belongs to the thread that forked it), in the kernel's order. Writes at
 * most cap of them to out and returns how many there are in all (may be
 * more than cap), or a negative enum err: ERR_NO_PROCESS when pid is
 * gone. */
long proctree_children(pid_t pid, pid_t *out, size_t cap);

/* Every descendant of root (children, theirs, ...; root excluded),
 * breadth first, parents before their children, each once even when the
 * tree changes while it is read. At most cap are written; returns how
 * many were written (0 when root is gone). */
size_t proctree_descendants(pid_t root, pid_t *out, size_t cap);

/* A reader of descendants that keeps the files it reads open between
 * calls (each process's task directory, each thread's children file), so
 * that a call costs a read per file instead of an open, a read and a close
 * (about a third). Caller owns it (proctree_free). NULL on ENOMEM. */
struct proctree *proctree_new(void);
void proctree_free(struct proctree *pt);

/* proctree_descendants() through pt's open files. A file not read in a
 * call is closed; all are opened afresh every PROCTREE_REOPEN_EVERY calls,
 * because an open children file of a thread that ended reads as empty,
 * like that of a thread without children: a thread id reused by a new
 * thread of the same process in between is read again within that many
 * calls. Beyond PROCTREE_FILES_MAX open files, files are read uncached. */
size_t proctree_descendants_cached(struct proctree *pt, pid_t root, pid_t *out, size_t cap);

#define PROCTREE_REOPEN_EVERY 25
#define PROCTREE_FILES_MAX 1024

#endif
