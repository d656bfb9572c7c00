/* SPDX-License-Identifier: MIT */
/* Private to the capture (src/capture/): the capture object and its
 * threads, shared by the perf-event ring reader and the ptrace stopper. */
#ifndef PROFTUI_CAPTURE_IMPL_H
#define PROFTUI_CAPTURE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "ncapture.h"

/* One followed thread. */
struct nthread {
    uint32_t tid;
    int fd;                     /* perf: its event, -1 when none */
    uint8_t *ring;              /* perf: its mmap (a control page, then the data pages) */
    size_t ring_len;
    uint64_t last_head;         /* perf: the ring's data_head at the last take */
    int attached;               /* ptrace: seized and not yet detached (a stop never came) */
};

struct ncapture {
    uint32_t pid;
    enum ncapture_how how;
    unsigned hz;
    struct nthread *th;
    size_t n, cap;
    uint8_t *rec;               /* the sample handed out: a perf record, or the ptrace stack copy */
    struct ncapture_stats st;
};

/* The largest perf sample record the capture's events write, and more
 * than any record can be (a record's size is 16 bits). */
#define NCAPTURE_REC_MAX (64 * 1024)

/* perf (perfring.c): is this kernel willing (0 or a negative enum err),
 * a thread's event opened and mapped, closed, and its newest sample. */
int perfring_probe(struct ncapture *c);
int perfring_open(struct ncapture *c, struct nthread *t);
void perfring_close(struct nthread *t);
int perfring_take(struct ncapture *c, struct nthread *t, struct nsample *out);

/* ptrace (ptstop.c): may we (0 or a negative enum err: one sample of the
 * main thread taken and dropped), a sample taken by stopping the thread, and a thread
 * detached that is still attached (a stop that never came in time). */
int ptstop_probe(struct ncapture *c);
int ptstop_take(struct ncapture *c, struct nthread *t, struct nsample *out);
void ptstop_release(const struct ncapture *c, struct nthread *t);

#endif
