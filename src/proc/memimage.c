/* SPDX-License-Identifier: MIT */
/* In-memory target images: sorted, non-overlapping segments read through the
 * ordinary struct reader interface. */
#include <stdlib.h>
#include <string.h>

#include "memimage.h"
#include "error.h"

struct segment {
    uint64_t addr;
    size_t len;
    uint8_t *bytes;
};

struct memimage {
    struct segment *segs;  /* sorted by addr, never overlapping */
    size_t n, cap;
};

struct memimage *memimage_new(void)
{
    return calloc(1, sizeof(struct memimage));
}

void memimage_free(struct memimage *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->segs[i].bytes);
    free(m->segs);
    free(m);
}

/* Index of the first segment whose start is above addr (0..n). */
static size_t upper_bound(const struct memimage *m, uint64_t addr)
{
    size_t lo = 0, hi = m->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->segs[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int grow(struct memimage *m)
{
    size_t cap = m->cap ? m->cap * 2 : 8;
    struct segment *segs;

    if (cap > SIZE_MAX / sizeof *segs)
        return ERR_NOMEM;
    segs = realloc(m->segs, cap * sizeof *segs);
    if (!segs)
        return ERR_NOMEM;
    m->segs = segs;
    m->cap = cap;
    return 0;
}

int memimage_add(struct memimage *m, uint64_t addr, const void *data, size_t len)
{
    if (len == 0 || addr + len < addr)
        return ERR_USAGE;
    size_t at = upper_bound(m, addr);
    /* The segment before must end at or below addr; the one after must
     * start at or above addr + len. */
    if (at > 0 && m->segs[at - 1].addr + m->segs[at - 1].len > addr)
        return ERR_USAGE;
    if (at < m->n && m->segs[at].addr < addr + len)
        return ERR_USAGE;
    if (m->n == m->cap && grow(m) < 0)
        return ERR_NOMEM;
    uint8_t *copy = malloc(len);
    if (!copy)
        return ERR_NOMEM;
    memcpy(copy, data, len);
    memmove(&m->segs[at + 1], &m->segs[at], (m->n - at) * sizeof *m->segs);
    m->segs[at] = (struct segment){ .addr = addr, .len = len, .bytes = copy };
    m->n++;
    return 0;
}

static int image_read(void *ctx, uint64_t addr, size_t len, void *buf)
{
    const struct memimage *m = ctx;
    uint8_t *out = buf;
    size_t at = upper_bound(m, addr);

    if (len == 0)
        return 0;
    if (at == 0)
        return ERR_READ;
    /* Walk forward through touching segments; each step consumes one. */
    for (size_t i = at - 1; len > 0; i++) {
        if (i >= m->n)
            return ERR_READ;
        const struct segment *s = &m->segs[i];
        if (addr < s->addr || addr - s->addr >= s->len)
            return ERR_READ;
        size_t skip = (size_t)(addr - s->addr);
        size_t take = s->len - skip < len ? s->len - skip : len;
        memcpy(out, s->bytes + skip, take);
        out += take;
        addr += take;
        len -= take;
    }
    return 0;
}

static int image_readv(void *ctx, const struct read_req *reqs, int n)
{
    for (int i = 0; i < n; i++) {
        int rc = image_read(ctx, reqs[i].addr, reqs[i].len, reqs[i].buf);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static const struct reader_ops memimage_ops = {
    .read = image_read,
    .readv = image_readv,
};

struct reader memimage_reader(struct memimage *m)
{
    return (struct reader){ .ops = &memimage_ops, .ctx = m, .reads = 0 };
}
