/* SPDX-License-Identifier: MIT */
/* The one way to read target memory. Every decoder and the frame walker take
 * a struct reader, so tests and the fuzzer can substitute a synthetic memory
 * image for a live process. */
#ifndef PROFTUI_READER_H
#define PROFTUI_READER_H

#include <stddef.h>
#include <stdint.h>

/* One piece of a batched read. */
struct read_req {
    uint64_t addr;
    size_t len;
    void *buf;
};

struct reader_ops {
    /* Read exactly len bytes at addr into buf: 0 or ERR_READ (or ERR_EXITED). */
    int (*read)(void *ctx, uint64_t addr, size_t len, void *buf);
    /* Read n pieces; returns 0 only when every piece was read whole. */
    int (*readv)(void *ctx, const struct read_req *reqs, int n);
};

struct reader {
    const struct reader_ops *ops;
    void *ctx;
    unsigned long reads;      /* number of read calls made (statistics) */
};

/* Read len bytes of target memory at addr. Rejects NULL-page and
 * non-canonical addresses without calling into the implementation. */
int reader_read(struct reader *r, uint64_t addr, size_t len, void *buf);

/* Read several pieces at once (one system call for a live process). */
int reader_readv(struct reader *r, const struct read_req *reqs, int n);

/* Read a pointer-sized value. */
int reader_read_ptr(struct reader *r, uint64_t addr, uint64_t *out);

/* True when addr could be a user-space pointer of the target (x86-64/arm64
 * canonical lower half, above the NULL page, aligned to align). */
int reader_addr_ok(uint64_t addr, unsigned align);

#endif
