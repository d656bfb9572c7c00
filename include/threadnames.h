/* SPDX-License-Identifier: MIT */
/* Python-level thread names (threading.Thread.name) read from the target:
 * CPython before 3.14 does not give them to the OS, so they are found in
 * sys.modules["threading"]._active, which maps each thread's ident to its
 * Thread object. */
#ifndef PROFTUI_THREADNAMES_H
#define PROFTUI_THREADNAMES_H

#include <stdint.h>

struct reader;
struct py_layout;

struct thread_name {
    uint64_t ident;     /* PyThreadState.thread_id (the pthread_t) == threading.get_ident() */
    char name[64];      /* UTF-8, NUL-terminated; longer names are cut and end in "..." */
};

/* Read up to max names from the threading module of the interpreter at
 * interp_addr (a PyInterpreterState). *n gets the count (0 on error).
 * Threads whose ident or name cannot be read consistently (the target is
 * running) are left out. Returns 0, ERR_NOT_READY when threading is not
 * imported (or not yet initialised), ERR_READ, or ERR_CORRUPT. */
int threadnames_read(struct reader *r, const struct py_layout *l, uint64_t interp_addr,
                     struct thread_name *out, int max, int *n);

#endif
