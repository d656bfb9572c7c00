/* SPDX-License-Identifier: MIT */
/* A process's descendants, from /proc/PID/task/TID/children (Linux 3.5+,
 * CONFIG_PROC_CHILDREN): what quitting ends, and what following worker
 * processes watches. */
#ifndef PROFTUI_PROCTREE_H
#define PROFTUI_PROCTREE_H

#include <stddef.h>
#include <sys/types.h>

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

#endif
