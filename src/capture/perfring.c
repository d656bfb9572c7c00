/* SPDX-License-Identifier: MIT */
/* Native samples from perf events: one task-clock event per thread with
 * its user registers and a copy of its user stack, read from the event's
 * mmap ring (the newest sample since the last read), and the decoder of
 * one sample record. The target is never stopped or traced. */
#include "capture_impl.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "perfmap.h"

/* Data pages of a thread's ring (a power of two): a sample record with a
 * full stack copy is about 33 KiB, so 32 pages hold three of them: the
 * newest, and room for the kernel to write two more while it is copied.
 * When the locked-memory allowance for perf rings runs out, fewer (16
 * hold one: a copy is then more often written over, and tried again). */
static const unsigned ring_pages[] = {32, 16};

/* perf's register numbers (asm/perf_regs.h) of enum nreg, in its order:
 * ax bx cx dx si di bp sp ip = 0..8, r8..r15 = 16..23. Samples list the
 * registers by increasing number, which is enum nreg's order. */
#define REGS_MASK (0x1ffull | (0xffull << 16))

/* The kernel's ceiling on sampling frequencies (a higher one is EINVAL). */
static unsigned max_rate(void)
{
    unsigned rate = 0;
    FILE *f = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "r");
    if (f) {
        if (fscanf(f, "%u", &rate) != 1)
            rate = 0;
        fclose(f);
    }
    return rate;
}

static int open_event(struct ncapture *c, uint32_t tid)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_TASK_CLOCK;
    a.freq = 1;
    unsigned max = max_rate();
    a.sample_freq = max && c->hz > max ? max : c->hz;
    a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_REGS_USER |
                    PERF_SAMPLE_STACK_USER;
    a.sample_regs_user = REGS_MASK;
    a.sample_stack_user = NSAMPLE_STACK_MAX;
    a.write_backward = 1;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    a.use_clockid = 1;
    a.clockid = CLOCK_MONOTONIC;
    long fd = syscall(SYS_perf_event_open, &a, (pid_t)tid, -1, -1, 0UL);
    if (fd >= 0)
        return (int)fd;
    switch (errno) {
    case EACCES: case EPERM: return ERR_PERM;
    case ENOENT: case ENOSYS: case EOPNOTSUPP: case EINVAL: return ERR_UNSUPPORTED;
    case ESRCH: return ERR_NO_PROCESS;
    case ENOMEM: return ERR_NOMEM;
    default: return ERR_IO;
    }
}

int perfring_probe(struct ncapture *c)
{
    int fd = open_event(c, c->pid);
    if (fd < 0)
        return fd == ERR_NO_PROCESS && kill((pid_t)c->pid, 0) == 0 ? 0 : fd;
    close(fd);
    return 0;
}

int perfring_open(struct ncapture *c, struct nthread *t)
{
    int fd = open_event(c, t->tid);
    if (fd < 0)
        return fd;
    long page = perfmap_page_size();
    for (size_t i = 0; i < sizeof ring_pages / sizeof ring_pages[0]; i++) {
        size_t len = (size_t)page * (1 + ring_pages[i]);
        void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);   /* read-only: overwritten */
        if (m != MAP_FAILED) {
            t->fd = fd;
            t->ring = m;
            t->ring_len = len;
            return 0;
        }
    }
    int rc = errno == EPERM ? ERR_PERM : errno == ENOMEM ? ERR_NOMEM : ERR_IO;
    close(fd);
    return rc;
}

void perfring_close(struct nthread *t)
{
    if (t->ring)
        munmap(t->ring, t->ring_len);
    if (t->fd >= 0)
        close(t->fd);
    t->ring = NULL;
    t->fd = -1;
}

struct ring {
    struct perf_event_mmap_page *ctl;
    const uint8_t *data;
    uint64_t size;
};

/* The ring's data area; 0, or -1 when the control page makes no sense. */
static int ring_of(const struct nthread *t, struct ring *r)
{
    long page = perfmap_page_size();
    r->ctl = (struct perf_event_mmap_page *)t->ring;
    uint64_t off = r->ctl->data_offset, size = r->ctl->data_size;
    if (off == 0) {                     /* kernels before 4.1: the data follow the first page */
        if (t->ring_len <= (size_t)page)
            return -1;
        off = (uint64_t)page;
        size = t->ring_len - (size_t)page;
    }
    if (size == 0 || (size & (size - 1)) || off > t->ring_len || size > t->ring_len - off)
        return -1;
    r->data = t->ring + off;
    r->size = size;
    return 0;
}

/* The ring is written backward and overwritten (attr.write_backward,
 * a read-only mapping): each record goes just below the one before and
 * data_head, which only goes down, is where the newest one starts; the
 * oldest are overwritten, so the newest sample is always there, however
 * late a round comes, and nothing is handed back. The records newer than
 * the last take lie in [head, last_head), newest first. */

/* The newest sample in [head, head + span) (span: bytes written since the
 * last take, at most the ring's size), or UINT64_MAX; the other samples
 * there are superseded. */
static uint64_t ring_newest(struct ncapture *c, const struct ring *r, uint64_t head, uint64_t span,
                            struct perf_event_header *newest_h)
{
    uint64_t newest = UINT64_MAX, limit = span < r->size ? span : r->size;
    uint64_t pos = head;
    while (pos - head + sizeof *newest_h <= limit) {
        struct perf_event_header h;
        perfmap_copy(r->data, r->size, pos, &h, sizeof h);
        if (h.size < sizeof h || h.size > limit - (pos - head)) {
            /* The oldest record of a ring written all round is cut by
             * newer ones; inside, a bad header is malformed. */
            c->st.malformed += span <= r->size;
            break;
        }
        if (h.type == PERF_RECORD_SAMPLE && newest != UINT64_MAX)
            c->st.superseded++;
        if (h.type == PERF_RECORD_SAMPLE && newest == UINT64_MAX) {
            newest = pos;
            *newest_h = h;
        }
        pos += h.size;
    }
    /* Written all round since the last take: the samples before the
     * oldest one still there were overwritten unseen (about this many). */
    if (span > r->size && newest != UINT64_MAX)
        c->st.lost += (span - r->size) / newest_h->size + 1;
    return newest;
}

#define COPY_TRIES 3

/* The newest sample since the last take, copied into c->rec: its length,
 * or -1 when there is none (or a newer one kept overwriting it while it
 * was copied). */
static long ring_take(struct ncapture *c, struct nthread *t, const struct ring *r)
{
    uint64_t last = t->last_head;
    for (int tries = 0; tries < COPY_TRIES; tries++) {
        uint64_t head = __atomic_load_n(&r->ctl->data_head, __ATOMIC_ACQUIRE);
        if (head == last)
            return -1;
        struct perf_event_header h;
        uint64_t newest = ring_newest(c, r, head, last - head, &h);
        t->last_head = head;
        if (newest == UINT64_MAX)
            return -1;
        size_t len = h.size - sizeof h;
        perfmap_copy(r->data, r->size, newest + sizeof h, c->rec, len);
        /* Written over while we copied? The kernel writes below head, and
         * reaches the copy once it has gone round the ring past it. */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        uint64_t now = __atomic_load_n(&r->ctl->data_head, __ATOMIC_RELAXED);
        if ((head - now) + (newest - head) + h.size <= r->size)
            return (long)len;
        c->st.superseded++;
        last = head;
    }
    return -1;
}

int perfring_take(struct ncapture *c, struct nthread *t, struct nsample *out)
{
    struct ring r;
    if (!t->ring || ring_of(t, &r) < 0)
        return 0;
    long len = ring_take(c, t, &r);
    if (len < 0)
        return 0;
    if (ncapture_decode(c->rec, (size_t)len, out) < 0 || out->tid != t->tid) {
        c->st.malformed++;
        return 0;
    }
    return 1;
}

/* Take n bytes at *off of rec (len bytes) into dst; -1 when they are not all there. */
static int take(const uint8_t *rec, size_t len, size_t *off, void *dst, size_t n)
{
    if (n > len - *off)
        return -1;
    memcpy(dst, rec + *off, n);
    *off += n;
    return 0;
}

int ncapture_decode(const uint8_t *rec, size_t len, struct nsample *out)
{
    size_t off = 0;
    uint32_t ids[2];
    uint64_t abi, size, dyn = 0;
    memset(out, 0, sizeof *out);
    if (!rec || take(rec, len, &off, ids, sizeof ids) || take(rec, len, &off, &out->time_ns, 8) ||
        take(rec, len, &off, &abi, 8))
        return ERR_CORRUPT;
    /* Only 64-bit user registers are of use (ABI_NONE: none, a kernel
     * thread; ABI_32: a compat task). */
    if (abi != PERF_SAMPLE_REGS_ABI_64 || take(rec, len, &off, out->regs, sizeof out->regs) ||
        take(rec, len, &off, &size, 8))
        return ERR_CORRUPT;
    out->pid = ids[0];
    out->tid = ids[1];
    out->stack = rec + off;
    if (size == 0)
        return 0;
    if (size > len - off)
        return ERR_CORRUPT;
    size_t at = off;
    off += (size_t)size;
    if (take(rec, len, &off, &dyn, 8) || dyn > size)
        return ERR_CORRUPT;
    out->stack = rec + at;
    out->stack_len = (uint32_t)(dyn < NSAMPLE_STACK_MAX ? dyn : NSAMPLE_STACK_MAX);
    return 0;
}
