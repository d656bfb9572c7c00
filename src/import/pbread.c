/* SPDX-License-Identifier: MIT */
/* The bounded protobuf wire-format reader (pbread.h). */
#include "pbread.h"

#include <string.h>

struct pbread pbread_init(const uint8_t *data, size_t n)
{
    /* A varint field has no bytes (data NULL): NULL + 0 is undefined. */
    return (struct pbread){.p = data, .end = data ? data + n : data};
}

static int varint(struct pbread *d, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (d->p >= d->end)
            return -1;
        uint8_t b = *d->p++;
        if (shift == 63 && b > 1)
            return -1;                      /* more than 64 bits */
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

int pbread_next(struct pbread *d, struct pb_field *f)
{
    if (d->p >= d->end)
        return 0;
    uint64_t key;
    if (varint(d, &key) < 0 || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
        return -1;
    *f = (struct pb_field){.number = (uint32_t)(key >> 3), .wire = (int)(key & 7)};
    size_t left = (size_t)(d->end - d->p);
    switch (f->wire) {
    case PB_VARINT:
        return varint(d, &f->value) < 0 ? -1 : 1;
    case PB_I64:
    case PB_I32: {
        size_t n = f->wire == PB_I64 ? 8 : 4;
        if (left < n)
            return -1;
        for (size_t i = n; i-- > 0;)
            f->value = f->value << 8 | d->p[i];
        d->p += n;
        return 1;
    }
    case PB_LEN: {
        uint64_t n;
        if (varint(d, &n) < 0 || n > (uint64_t)(d->end - d->p))
            return -1;
        f->data = d->p;
        f->len = (size_t)n;
        d->p += n;
        return 1;
    }
    default:
        return -1;                          /* groups (3, 4) and reserved types */
    }
}

int pbread_packed(struct pbread *d, uint64_t *out)
{
    if (d->p >= d->end)
        return 0;
    return varint(d, out) < 0 ? -1 : 1;
}
