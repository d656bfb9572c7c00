/* SPDX-License-Identifier: MIT */
/* Live-process memory reader: process_vm_readv, /proc/PID/mem as fallback. */
#include "procmem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "error.h"
#include "reader.h"
#include "taskstat.h"

#define MAX_IOV 64

struct procmem {
    pid_t pid;
    int mem_fd;          /* /proc/PID/mem, opened only when needed */
    int use_fd;          /* process_vm_readv is unavailable */
    struct reader reader;
};

/* ESRCH means the process is gone; anything else is a failed read (an
 * unmapped address in a racing target is normal). */
static int errno_to_err(int e)
{
    if (e == ESRCH)
        return ERR_EXITED;
    if (e == EPERM || e == EACCES)
        return ERR_PERM;
    return ERR_READ;
}

static int fd_read(struct procmem *m, uint64_t addr, size_t len, void *buf)
{
    if (m->mem_fd < 0)
        return ERR_READ;
    ssize_t n = pread(m->mem_fd, buf, len, (off_t)addr);
    if (n == (ssize_t)len)
        return 0;
    if (n < 0)
        return errno_to_err(errno);
    return ERR_READ;
}

static int vm_readv(void *ctx, const struct read_req *reqs, int n)
{
    struct procmem *m = ctx;
    if (m->use_fd) {
        for (int i = 0; i < n; i++) {
            int rc = fd_read(m, reqs[i].addr, reqs[i].len, reqs[i].buf);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    struct iovec local[MAX_IOV], remote[MAX_IOV];
    for (int done = 0; done < n;) {
        int k = n - done < MAX_IOV ? n - done : MAX_IOV;
        size_t want = 0;
        for (int i = 0; i < k; i++) {
            const struct read_req *q = &reqs[done + i];
            local[i] = (struct iovec){.iov_base = q->buf, .iov_len = q->len};
            remote[i] = (struct iovec){.iov_base = (void *)(uintptr_t)q->addr, .iov_len = q->len};
            want += q->len;
        }
        ssize_t got = process_vm_readv(m->pid, local, (unsigned long)k, remote, (unsigned long)k, 0);
        if (got < 0)
            return errno_to_err(errno);
        if ((size_t)got != want)
            return ERR_READ;
        done += k;
    }
    return 0;
}

static int vm_read(void *ctx, uint64_t addr, size_t len, void *buf)
{
    struct read_req q = {.addr = addr, .len = len, .buf = buf};
    return vm_readv(ctx, &q, 1);
}

static const struct reader_ops procmem_ops = {
    .read = vm_read,
    .readv = vm_readv,
};

/* The address of the target's stack pointer region: the first address of
 * its [stack] mapping is always readable when we are allowed to read.
 * *opened tells whether the maps could be read at all. */
static uint64_t probe_address(pid_t pid, int *opened)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    *opened = f != NULL;
    if (!f)
        return 0;
    uint64_t addr = 0, first = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long start = 0;
        if (sscanf(line, "%llx-", &start) != 1)
            continue;
        if (!first && strstr(line, " r"))
            first = start;
        if (strstr(line, "[stack]")) {
            addr = start;
            break;
        }
    }
    fclose(f);
    return addr ? addr : first;
}

static int probe(struct procmem *m)
{
    int opened;
    uint64_t addr = probe_address(m->pid, &opened);
    if (!addr) {
        /* No maps: gone, a zombie, a kernel thread, not ours to see, or
         * a process that is exiting (its maps readable but empty). */
        char state = taskstat_process_state(m->pid);
        if (state == 0)
            return ERR_NO_PROCESS;
        if (state == 'Z' || state == 'X')
            return ERR_EXITED;
        if (taskstat_is_kernel_thread(m->pid))
            return ERR_NOT_PYTHON;
        return opened ? ERR_EXITED : ERR_PERM;
    }
    char byte;
    struct iovec l = {&byte, 1}, r = {(void *)(uintptr_t)addr, 1};
    if (process_vm_readv(m->pid, &l, 1, &r, 1, 0) == 1)
        return 0;
    int e = errno;
    if (e == ESRCH)     /* its maps were there a moment ago: it is exiting */
        return ERR_EXITED;
    if (e != ENOSYS)
        return e == EPERM || e == EACCES ? ERR_PERM : ERR_READ;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)m->pid);
    m->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (m->mem_fd < 0)
        return errno == ENOENT ? ERR_NO_PROCESS : ERR_PERM;
    m->use_fd = 1;
    return fd_read(m, addr, 1, &byte);
}

int procmem_open(pid_t pid, struct procmem **out)
{
    if (pid <= 0)
        return ERR_NO_PROCESS;
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return ERR_NO_PROCESS;
    struct procmem *m = calloc(1, sizeof *m);
    if (!m)
        return ERR_NOMEM;
    m->pid = pid;
    m->mem_fd = -1;
    m->reader = (struct reader){.ops = &procmem_ops, .ctx = m};
    int rc = probe(m);
    if (rc < 0) {
        procmem_close(m);
        return rc;
    }
    *out = m;
    return 0;
}

void procmem_close(struct procmem *m)
{
    if (!m)
        return;
    if (m->mem_fd >= 0)
        close(m->mem_fd);
    free(m);
}

struct reader *procmem_reader(struct procmem *m)
{
    return &m->reader;
}
