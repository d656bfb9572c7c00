/* SPDX-License-Identifier: MIT */
/* Thread states from /proc/PID/task/TID/stat with cached descriptors. */
#include "taskstat.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

#define CACHE 1024               /* power of two */

struct task_fd {
    pid_t tid;                   /* 0 = free */
    int fd;
};

struct taskstat {
    pid_t pid;
    struct task_fd slots[CACHE];
};

struct taskstat *taskstat_new(pid_t pid)
{
    struct taskstat *ts = calloc(1, sizeof *ts);
    if (ts)
        ts->pid = pid;
    return ts;
}

void taskstat_free(struct taskstat *ts)
{
    if (!ts)
        return;
    for (size_t i = 0; i < CACHE; i++)
        if (ts->slots[i].tid)
            close(ts->slots[i].fd);
    free(ts);
}

/* The state letter follows the last ')' (the name may contain parentheses). */
static char state_of(const char *buf)
{
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

static int read_state(int fd, char *state)
{
    char buf[512];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return ERR_READ;
    buf[n] = '\0';
    *state = state_of(buf);
    return *state ? 0 : ERR_READ;
}

int taskstat_running(struct taskstat *ts, pid_t tid)
{
    struct task_fd *s = &ts->slots[(unsigned)tid & (CACHE - 1)];
    if (s->tid != tid) {
        if (s->tid)
            close(s->fd);
        s->tid = 0;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)ts->pid, (int)tid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return ERR_READ;
        *s = (struct task_fd){.tid = tid, .fd = fd};
    }
    char state;
    if (read_state(s->fd, &state) < 0) {
        close(s->fd);
        s->tid = 0;
        return ERR_READ;
    }
    /* State R, as py-spy uses: it also covers a thread that has woken and
     * waits for a CPU. schedstat's run time would tell them apart, but it
     * only advances on scheduler ticks (4 ms at HZ=250), which would drop
     * most samples of a thread that runs without a break. */
    return state == 'R';
}

int taskstat_name(pid_t pid, pid_t tid, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return ERR_READ;
    char *ok = fgets(buf, (int)cap, f);
    fclose(f);
    if (!ok)
        return ERR_READ;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

char taskstat_process_state(pid_t pid)
{
    char path[64], state = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (read_state(fd, &state) < 0)
        state = 0;
    close(fd);
    return state;
}

int taskstat_is_kernel_thread(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* Fields after the name: state ppid pgrp session tty_nr tpgid flags. */
    const char *p = strrchr(buf, ')');
    unsigned long flags = 0;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
        return 0;
    return (flags & 0x00200000UL) != 0;   /* PF_KTHREAD */
}
