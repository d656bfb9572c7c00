/* SPDX-License-Identifier: MIT */
/* Descendants of a process through /proc/PID/task/TID/children, read
 * afresh or through files kept open (proctree.h). */
#include "proctree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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

/* One cached file: the task directory of pid (tid 0) or the children
 * file of thread tid of pid. */
struct tree_file {
    pid_t pid, tid;
    int fd;                 /* children file; -1 when the slot is free */
    DIR *dir;               /* task directory; NULL when the slot is free */
    unsigned used;          /* the call that last read it */
};

#define SLOTS (2 * PROCTREE_FILES_MAX)   /* power of two */
#define PROBE 8                          /* slots a file may use */

struct proctree {
    struct tree_file slots[SLOTS];
    size_t open;            /* files open */
    unsigned call;          /* calls so far */
};

struct proctree *proctree_new(void)
{
    struct proctree *pt = calloc(1, sizeof *pt);
    if (!pt)
        return NULL;
    for (size_t i = 0; i < SLOTS; i++)
        pt->slots[i].fd = -1;
    return pt;
}

static void file_close(struct proctree *pt, struct tree_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->dir)
        closedir(f->dir);
    if (f->fd >= 0 || f->dir)
        pt->open--;
    *f = (struct tree_file){.fd = -1};
}

/* Close the files not read by this call (all of them with all set). */
static void sweep(struct proctree *pt, int all)
{
    for (size_t i = 0; i < SLOTS && pt->open; i++) {
        struct tree_file *f = &pt->slots[i];
        if ((f->fd >= 0 || f->dir) && (all || f->used != pt->call))
            file_close(pt, f);
    }
}

void proctree_free(struct proctree *pt)
{
    if (!pt)
        return;
    sweep(pt, 1);
    free(pt);
}

/* The slot of (pid, tid): *hit set when it holds the file; NULL when the
 * file is not held and there is no room for it (read it uncached). */
static struct tree_file *slot_of(struct proctree *pt, pid_t pid, pid_t tid, int *hit)
{
    unsigned h = ((unsigned)pid * 2654435761u) ^ (unsigned)tid;
    struct tree_file *free_slot = NULL;
    *hit = 0;
    for (unsigned i = 0; i < PROBE; i++) {
        struct tree_file *f = &pt->slots[(h + i) & (SLOTS - 1)];
        int held = f->fd >= 0 || f->dir;
        if (held && f->pid == pid && f->tid == tid) {
            *hit = 1;
            f->used = pt->call;
            return f;
        }
        if (!held && !free_slot)
            free_slot = f;
    }
    return pt->open < PROCTREE_FILES_MAX ? free_slot : NULL;
}

/* The task directory of pid, at its start; *cached when pt keeps it
 * (else the caller closes it). NULL with errno set when it cannot be
 * opened. */
static DIR *task_dir(struct proctree *pt, pid_t pid, int *cached)
{
    int hit = 0;
    struct tree_file *f = pt ? slot_of(pt, pid, 0, &hit) : NULL;
    *cached = f != NULL;
    if (hit) {
        rewinddir(f->dir);
        return f->dir;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (d && f) {
        *f = (struct tree_file){.pid = pid, .tid = 0, .fd = -1, .dir = d, .used = pt->call};
        pt->open++;
    }
    *cached = d && f;
    return d;
}

/* The children file of thread tid of pid into buf: its length, or -1. */
static ssize_t read_children(struct proctree *pt, pid_t pid, pid_t tid, char *buf, size_t cap)
{
    int hit = 0;
    struct tree_file *f = pt ? slot_of(pt, pid, tid, &hit) : NULL;
    int fd = hit ? f->fd : -1;
    if (!hit) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)tid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;                            /* the thread ended meanwhile */
    }
    ssize_t len;
    do
        len = pread(fd, buf, cap, 0);
    while (len < 0 && errno == EINTR);
    if (hit && len < 0) {
        file_close(pt, f);
    } else if (!hit && f && len >= 0) {
        *f = (struct tree_file){.pid = pid, .tid = tid, .fd = fd, .used = pt->call};
        pt->open++;
    } else if (!hit) {
        close(fd);
    }
    return len;
}

/* The children of every thread of pid (proctree_children), through pt's
 * files when pt is not NULL. A kept task directory of a process that has
 * gone (its pid may name a new one) is dropped and opened afresh once. */
static long children_of(struct proctree *pt, pid_t pid, pid_t *out, size_t cap, int again)
{
    int cached;
    DIR *d = task_dir(pt, pid, &cached);
    if (!d)
        return errno == ENOENT || errno == ESRCH ? ERR_NO_PROCESS : ERR_READ;
    static _Thread_local char buf[CHILDREN_BUF];
    size_t n = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long tid = strtol(e->d_name, &end, 10);
        if (*end || tid <= 0 || tid > INT32_MAX)
            continue;
        ssize_t len = read_children(pt, pid, (pid_t)tid, buf, sizeof buf);
        if (len > 0)
            n = parse_pids(buf, (size_t)len, out, cap, n);
        errno = 0;
    }
    int gone = errno == ENOENT || errno == ESRCH;
    if (!cached) {
        closedir(d);
    } else if (gone) {
        int hit;
        struct tree_file *f = slot_of(pt, pid, 0, &hit);
        if (f && hit)
            file_close(pt, f);
        if (again)
            return children_of(pt, pid, out, cap, 0);
    }
    return gone && n == 0 ? ERR_NO_PROCESS : (long)n;
}

long proctree_children(pid_t pid, pid_t *out, size_t cap)
{
    return children_of(NULL, pid, out, cap, 0);
}

static int seen(const pid_t *list, size_t n, pid_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == pid)
            return 1;
    return 0;
}

static size_t descendants(struct proctree *pt, pid_t root, pid_t *out, size_t cap)
{
    size_t n = 0;
    pid_t kids[256];
    /* out doubles as the queue: entries [next, n) are still to be expanded. */
    for (size_t next = 0; next <= n && n < cap; next++) {
        pid_t parent = next == 0 ? root : out[next - 1];
        long k = children_of(pt, parent, kids, sizeof kids / sizeof kids[0], 1);
        if (k > (long)(sizeof kids / sizeof kids[0]))
            k = (long)(sizeof kids / sizeof kids[0]);
        for (long i = 0; i < k && n < cap; i++)
            if (kids[i] != root && !seen(out, n, kids[i]))   /* pids are reused: no loops */
                out[n++] = kids[i];
    }
    return n;
}

size_t proctree_descendants(pid_t root, pid_t *out, size_t cap)
{
    return descendants(NULL, root, out, cap);
}

size_t proctree_descendants_cached(struct proctree *pt, pid_t root, pid_t *out, size_t cap)
{
    if (pt->call % PROCTREE_REOPEN_EVERY == 0)
        sweep(pt, 1);
    pt->call++;
    size_t n = descendants(pt, root, out, cap);
    sweep(pt, 0);
    return n;
}
