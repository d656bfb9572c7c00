/* SPDX-License-Identifier: MIT */
/* A process's resident memory, read often: /proc/PID/statm kept open, so
 * a reading is one pread (memory mode reads it every round). */
#ifndef PROFTUI_RSSMETER_H
#define PROFTUI_RSSMETER_H

#include <stdint.h>
#include <sys/types.h>

struct rssmeter {
    int fd;                   /* /proc/PID/statm, -1 when it could not be opened */
    long page_size;
};

/* Open pid's statm (m->fd is -1 when that failed: every reading fails). */
void rssmeter_open(struct rssmeter *m, pid_t pid);
void rssmeter_close(struct rssmeter *m);

/* The resident set size in bytes into *bytes: 0, or ERR_READ (gone, or
 * the file could not be read or parsed). */
int rssmeter_read(struct rssmeter *m, uint64_t *bytes);

#endif
