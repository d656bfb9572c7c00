/* SPDX-License-Identifier: MIT */
/* struct reader over a live process: process_vm_readv, with /proc/PID/mem
 * as the fallback where process_vm_readv is unavailable. Never writes. */
#ifndef PROFTUI_PROCMEM_H
#define PROFTUI_PROCMEM_H

#include <sys/types.h>

struct reader;
struct procmem;

/* Open pid for reading (caller owns the result; procmem_close frees it).
 * Returns 0, ERR_NO_PROCESS, ERR_PERM, ERR_EXITED (a zombie, or a process
 * that is exiting), ERR_NOT_PYTHON (a kernel thread: no user memory) or
 * ERR_NOMEM. Checks access with a real read of the target's stack so that
 * EPERM shows up here, not later. */
int procmem_open(pid_t pid, struct procmem **out);
void procmem_close(struct procmem *m);

/* The reader of m (borrowed; valid until procmem_close). */
struct reader *procmem_reader(struct procmem *m);

#endif
