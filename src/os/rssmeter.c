/* SPDX-License-Identifier: MIT */
/* Resident memory from /proc/PID/statm, kept open (rssmeter.h). */
#include "rssmeter.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "error.h"
#include "procstat.h"

void rssmeter_open(struct rssmeter *m, pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    m->fd = open(path, O_RDONLY | O_CLOEXEC);
    m->page_size = sysconf(_SC_PAGESIZE);
    if (m->page_size <= 0)
        m->page_size = 4096;
}

void rssmeter_close(struct rssmeter *m)
{
    if (m->fd >= 0)
        close(m->fd);
    m->fd = -1;
}

int rssmeter_read(struct rssmeter *m, uint64_t *bytes)
{
    char buf[128];
    if (m->fd < 0)
        return ERR_READ;
    ssize_t n = pread(m->fd, buf, sizeof buf, 0);
    if (n <= 0)
        return ERR_READ;
    uint64_t pages;
    if (procstat_parse_statm(buf, (size_t)n, &pages) < 0 || pages > UINT64_MAX / (uint64_t)m->page_size)
        return ERR_READ;
    *bytes = pages * (uint64_t)m->page_size;
    return 0;
}
