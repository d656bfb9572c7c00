/* SPDX-License-Identifier: MIT */
/* Batched reads of planned target-memory ranges (see readbatch.h). */
#include "readbatch.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "reader.h"

#define PAGE 4096u

static int range_cmp(const void *a, const void *b)
{
    const struct readbatch_range *x = a, *y = b;
    if (x->group != y->group)
        return (x->group > y->group) - (x->group < y->group);
    return (x->addr > y->addr) - (x->addr < y->addr);
}

static int reserve(struct readbatch *b, int n)
{
    if (n <= b->cap)
        return 0;
    int cap = b->cap ? b->cap : 64;
    while (cap < n)
        cap *= 2;
    struct readbatch_piece *p = realloc(b->pieces, (size_t)cap * sizeof *p);
    if (!p)
        return ERR_NOMEM;
    b->pieces = p;
    struct read_req *q = realloc(b->reqs, (size_t)cap * sizeof *q);
    if (!q)
        return ERR_NOMEM;
    b->reqs = q;
    b->cap = cap;
    return 0;
}

/* Append range r to the pieces of its group: merged into the last piece
 * when their pages touch (a span of contiguous pages that holds mapped
 * ranges is itself mapped), else as a piece of its own. *off counts the
 * bytes laid out so far. */
static void add_piece(struct readbatch *b, int first, const struct readbatch_range *r,
                      uint32_t *off)
{
    struct readbatch_piece *last = b->npieces > first ? &b->pieces[b->npieces - 1] : NULL;
    uint64_t end = last ? last->addr + last->len : 0, r_end = r->addr + r->len;
    if (last && r->addr / PAGE <= (end - 1) / PAGE + 1 &&
        r_end - last->addr <= READBATCH_RANGE_MAX) {
        uint32_t extra = r_end > end ? (uint32_t)(r_end - end) : 0;
        if (*off + extra <= READBATCH_BYTES_MAX) {
            *off += extra;
            last->len += extra;
        }
        return;
    }
    if (*off + r->len > READBATCH_BYTES_MAX)
        return;
    b->pieces[b->npieces++] = (struct readbatch_piece){.addr = r->addr, .len = r->len, .off = *off};
    *off += r->len;
}

int readbatch_layout(struct readbatch *b, struct readbatch_range *r, int n)
{
    readbatch_clear(b);
    if (reserve(b, n) < 0)
        return ERR_NOMEM;
    qsort(r, (size_t)n, sizeof *r, range_cmp);
    uint32_t off = 0;
    int i = 0;
    for (unsigned g = 0; g < READBATCH_GROUPS; g++) {
        b->gfirst[g] = b->npieces;
        for (; i < n && r[i].group == g; i++)
            if (r[i].len && r[i].len <= READBATCH_RANGE_MAX && r[i].addr + r[i].len > r[i].addr)
                add_piece(b, b->gfirst[g], &r[i], &off);
    }
    b->gfirst[READBATCH_GROUPS] = b->npieces;
    if (off > b->buf_cap) {
        uint8_t *p = realloc(b->buf, off);
        if (!p) {
            readbatch_clear(b);
            return ERR_NOMEM;
        }
        b->buf = p;
        b->buf_cap = off;
    }
    return 0;
}

int readbatch_read(struct readbatch *b, struct reader *r, unsigned long *bytes)
{
    struct read_req *reqs = b->reqs;
    unsigned long n = 0;
    b->filled = 0;
    if (bytes)
        *bytes = 0;
    if (!b->npieces)
        return 0;
    for (int i = 0; i < b->npieces; i++) {
        const struct readbatch_piece *p = &b->pieces[i];
        reqs[i] = (struct read_req){.addr = p->addr, .len = p->len, .buf = b->buf + p->off};
        n += p->len;
    }
    int rc = reader_readv(r, reqs, b->npieces);
    if (rc < 0)
        return rc;
    b->filled = 1;
    if (bytes)
        *bytes = n;
    return 0;
}

/* The piece of group g that starts at or before addr, or NULL. */
static const struct readbatch_piece *piece_at(const struct readbatch *b, unsigned g, uint64_t addr)
{
    if (!b->filled || g >= READBATCH_GROUPS)
        return NULL;
    int lo = b->gfirst[g], hi = b->gfirst[g + 1], first = lo;
    while (lo < hi) {           /* first piece starting after addr */
        int mid = lo + (hi - lo) / 2;
        if (b->pieces[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == first ? NULL : &b->pieces[lo - 1];
}

const uint8_t *readbatch_find(const struct readbatch *b, unsigned g, uint64_t addr, size_t len)
{
    const struct readbatch_piece *p = piece_at(b, g, addr);
    if (!p || addr - p->addr > p->len || len > p->len - (addr - p->addr))
        return NULL;
    return b->buf + p->off + (addr - p->addr);
}

const uint8_t *readbatch_find_prefix(const struct readbatch *b, unsigned g, uint64_t addr,
                                     size_t min, size_t *avail)
{
    const struct readbatch_piece *p = piece_at(b, g, addr);
    if (!p || addr - p->addr > p->len || min > p->len - (addr - p->addr))
        return NULL;
    *avail = p->len - (addr - p->addr);
    return b->buf + p->off + (addr - p->addr);
}

void readbatch_clear(struct readbatch *b)
{
    b->npieces = 0;
    b->filled = 0;
    memset(b->gfirst, 0, sizeof b->gfirst);
}

void readbatch_free(struct readbatch *b)
{
    free(b->pieces);
    free(b->reqs);
    free(b->buf);
    memset(b, 0, sizeof *b);
}
