/* SPDX-License-Identifier: MIT */
/* Descendants of a process through /proc/PID/task/TID/children. */
#include "proctree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"

#define CHILDREN_BUF 8192   /* one thread's list: ~1,000 pids; the rest is not seen this time */

/* Parse "123 456 " into out (at most cap), counting all; returns the count. */
static size_t parse_pids(const char *buf, size_t len, pid_t *out, size_t cap, size_t have)
{
    size_t n = have;
    long v = -1;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? buf[i] : ' ';
        if (c >= '0' && c <= '9') {
            v = (v < 0 ? 0 : v) * 10 + (c - '0');
            if (v > 0x3fffffff)
                v = 0x3fffffff + 1L;              /* no pid is this large: dropped below */
        } else {
            if (v > 0 && v <= 0x3fffffff) {
                if (n < cap)
                    out[n] = (pid_t)v;
                n++;
            }
            v = -1;
        }
    }
    return n;
}

long proctree_children(pid_t pid, pid_t *out, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT || errno == ESRCH ? ERR_NO_PROCESS : ERR_READ;
    static _Thread_local char buf[CHILDREN_BUF];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long tid = strtol(e->d_name, &end, 10);
        if (*end || tid <= 0)
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%ld/children", (int)pid, tid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;                             /* the thread ended meanwhile */
        ssize_t len;
        do
            len = read(fd, buf, sizeof buf);
        while (len < 0 && errno == EINTR);
        close(fd);
        if (len > 0)
            n = parse_pids(buf, (size_t)len, out, cap, n);
    }
    closedir(d);
    return (long)n;
}

static int seen(const pid_t *list, size_t n, pid_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == pid)
            return 1;
    return 0;
}

size_t proctree_descendants(pid_t root, pid_t *out, size_t cap)
{
    size_t n = 0;
    pid_t kids[256];
    /* out doubles as the queue: entries [next, n) are still to be expanded. */
    for (size_t next = 0; next <= n && n < cap; next++) {
        pid_t parent = next == 0 ? root : out[next - 1];
        long k = proctree_children(parent, kids, sizeof kids / sizeof kids[0]);
        if (k > (long)(sizeof kids / sizeof kids[0]))
            k = (long)(sizeof kids / sizeof kids[0]);
        for (long i = 0; i < k && n < cap; i++)
            if (kids[i] != root && !seen(out, n, kids[i]))   /* pids are reused: no loops */
                out[n++] = kids[i];
    }
    return n;
}
