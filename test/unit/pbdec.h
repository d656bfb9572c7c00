/* SPDX-License-Identifier: MIT */
/* A tiny protobuf wire-format decoder, for the tests only: it reads what
 * pbenc.h writes (varints and length-delimited fields) and rejects the
 * rest. */
#ifndef PROFTUI_TEST_PBDEC_H
#define PROFTUI_TEST_PBDEC_H

#include <stddef.h>
#include <stdint.h>

struct pbfield {
    uint32_t field;
    int wire;               /* 0 varint, 2 length-delimited */
    uint64_t v;             /* wire 0 */
    const uint8_t *p;       /* wire 2 */
    size_t n;
};

/* A varint at *pos (advanced): 1, or 0 when malformed or cut. */
static inline int pb_varint(const uint8_t **pos, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 70 && *pos < end; shift += 7) {
        uint8_t c = *(*pos)++;
        *v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80))
            return shift < 63 || c <= 1;
    }
    return 0;
}

/* The next field from [*pos, end): 1, 0 at the end, -1 when malformed. */
static inline int pb_next(const uint8_t **pos, const uint8_t *end, struct pbfield *f)
{
    uint64_t tag;
    if (*pos >= end)
        return 0;
    if (!pb_varint(pos, end, &tag) || (tag >> 3) == 0 || (tag >> 3) > UINT32_MAX)
        return -1;
    f->field = (uint32_t)(tag >> 3);
    f->wire = (int)(tag & 7);
    if (f->wire == 0)
        return pb_varint(pos, end, &f->v) ? 1 : -1;
    if (f->wire != 2 || !pb_varint(pos, end, &f->v) || f->v > (uint64_t)(end - *pos))
        return -1;
    f->p = *pos;
    f->n = (size_t)f->v;
    *pos += f->n;
    return 1;
}

/* Every varint of a packed field's payload into out[0..max): how many,
 * or -1 when malformed or more than max. */
static inline int pb_packed(const struct pbfield *f, uint64_t *out, int max)
{
    const uint8_t *pos = f->p, *end = f->p + f->n;
    int n = 0;
    while (pos < end) {
        if (n >= max || !pb_varint(&pos, end, &out[n]))
            return -1;
        n++;
    }
    return n;
}

#endif
