/* SPDX-License-Identifier: MIT */
/* Thread states from /proc/PID/task/TID/stat with cached descriptors
 * (parsed by procstat_parse_stat, the one stat parser). */
#include "taskstat.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "procstat.h"

#define CACHE 1024               /* power of two */
#define PF_KTHREAD 0x00200000UL  /* include/linux/sched.h */

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

static int read_state(int fd, char *state)
{
    struct procstat_stat st;
    if (procstat_pread_stat(fd, &st) < 0)
        return ERR_READ;
    *state = st.state;
    return 0;
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
    struct procstat_stat st;
    return procstat_read_stat(pid, 0, &st) == 0 ? st.state : 0;
}

int taskstat_is_kernel_thread(pid_t pid)
{
    struct procstat_stat st;
    return procstat_read_stat(pid, 0, &st) == 0 && (st.flags & PF_KTHREAD) != 0;
}

int taskstat_cpu(pid_t pid)
{
    struct procstat_stat st;
    return procstat_read_stat(pid, 0, &st) == 0 ? st.cpu : -1;
}
