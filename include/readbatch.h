/* SPDX-License-Identifier: MIT */
/* A batch of target-memory ranges read with one batched read (one
 * process_vm_readv for a live process) and served from a local copy.
 * Ranges belong to ordered groups: the batch reads group 0 first, then
 * group 1 and so on, so a pointer can be read before what it points to;
 * within a group ranges are sorted by address and ranges on touching pages
 * are merged into one piece (a piece costs the kernel about as much as
 * copying 4 KiB). */
#ifndef PROFTUI_READBATCH_H
#define PROFTUI_READBATCH_H

#include <stddef.h>
#include <stdint.h>

struct reader;

#define READBATCH_GROUPS 8
#define READBATCH_RANGE_MAX (1u << 17)     /* longest range, and longest merged piece */
#define READBATCH_BYTES_MAX (8u << 20)     /* ranges beyond this many bytes are left out */

struct readbatch_range {
    uint64_t addr;
    uint32_t len;
    uint32_t group;            /* < READBATCH_GROUPS */
};

struct readbatch_piece {
    uint64_t addr;
    uint32_t len;
    uint32_t off;              /* where its bytes are in buf */
};

/* Zero-initialise (or memset to 0) before first use; readbatch_free at
 * the end. Owns its arrays. */
struct readbatch {
    struct readbatch_piece *pieces;
    void *reqs;                /* struct read_req[cap] */
    int npieces, cap;
    int gfirst[READBATCH_GROUPS + 1];
    uint8_t *buf;
    size_t buf_cap;
    int filled;                /* the last readbatch_read succeeded */
};

/* Lay out ranges r[0..n) (sorted in place; ranges of a bad group, empty or
 * longer than READBATCH_RANGE_MAX are skipped) as the pieces of the next
 * read, and drop the bytes of the last one. 0 or ERR_NOMEM (then the batch
 * is empty). */
int readbatch_layout(struct readbatch *b, struct readbatch_range *r, int n);

/* Read every piece in one batched read. Returns 0, or the reader's error;
 * on any error the batch holds nothing (readbatch_find finds nothing) until
 * the next successful read. *bytes (when not NULL) gets the bytes read. */
int readbatch_read(struct readbatch *b, struct reader *r, unsigned long *bytes);

/* The bytes of [addr, addr + len) in group g from the last successful
 * read, or NULL when the batch does not hold all of them. */
const uint8_t *readbatch_find(const struct readbatch *b, unsigned g, uint64_t addr, size_t len);

/* The bytes from addr to the end of the piece that holds them in group g,
 * when that is at least min bytes (*avail gets how many), or NULL. */
const uint8_t *readbatch_find_prefix(const struct readbatch *b, unsigned g, uint64_t addr,
                                     size_t min, size_t *avail);

/* Forget the layout and the bytes. */
void readbatch_clear(struct readbatch *b);

/* Release the arrays. */
void readbatch_free(struct readbatch *b);

#endif
