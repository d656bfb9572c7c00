/* SPDX-License-Identifier: MIT */
/* Front door for all target-memory reads: validates addresses, counts calls. */
#include "reader.h"
#include "error.h"

#define USER_SPACE_END 0x0000800000000000ULL
#define NULL_PAGE_END 0x1000ULL

int reader_addr_ok(uint64_t addr, unsigned align)
{
    if (addr < NULL_PAGE_END || addr >= USER_SPACE_END)
        return 0;
    return align <= 1 || (addr & (align - 1)) == 0;
}

int reader_read(struct reader *r, uint64_t addr, size_t len, void *buf)
{
    if (len == 0)
        return 0;
    if (!reader_addr_ok(addr, 1) || len > USER_SPACE_END - addr)
        return ERR_READ;
    r->reads++;
    return r->ops->read(r->ctx, addr, len, buf);
}

int reader_readv(struct reader *r, const struct read_req *reqs, int n)
{
    for (int i = 0; i < n; i++)
        if (!reader_addr_ok(reqs[i].addr, 1) || reqs[i].len > USER_SPACE_END - reqs[i].addr)
            return ERR_READ;
    if (n <= 0)
        return 0;
    r->reads++;
    return r->ops->readv(r->ctx, reqs, n);
}

int reader_read_ptr(struct reader *r, uint64_t addr, uint64_t *out)
{
    return reader_read(r, addr, sizeof *out, out);
}
