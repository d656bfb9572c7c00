/* SPDX-License-Identifier: MIT */
/* Protocol Buffers wire-format encoder (see include/pbenc.h). */
#include "pbenc.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

void pbenc_free(struct pbenc *b)
{
    free(b->p);
    *b = (struct pbenc){.p = NULL};
}

static int reserve(struct pbenc *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (extra > SIZE_MAX - b->len || array_reserve((void **)&b->p, &b->cap, b->len + extra, 1) < 0) {
        b->oom = 1;
        return 0;
    }
    return 1;
}

/* Bytes a varint of v takes (1..10). */
static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void put_varint_at(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p = (uint8_t)v;
}

void pbenc_varint(struct pbenc *b, uint64_t v)
{
    size_t n = varint_size(v);
    if (!reserve(b, n))
        return;
    put_varint_at(b->p + b->len, v);
    b->len += n;
}

static void put_tag(struct pbenc *b, uint32_t field, unsigned wire)
{
    pbenc_varint(b, (uint64_t)field << 3 | wire);
}

void pbenc_uint(struct pbenc *b, uint32_t field, uint64_t v)
{
    put_tag(b, field, WIRE_VARINT);
    pbenc_varint(b, v);
}

void pbenc_int(struct pbenc *b, uint32_t field, int64_t v)
{
    pbenc_uint(b, field, (uint64_t)v);
}

void pbenc_bytes(struct pbenc *b, uint32_t field, const void *data, size_t n)
{
    put_tag(b, field, WIRE_LEN);
    pbenc_varint(b, n);
    if (n && reserve(b, n)) {
        memcpy(b->p + b->len, data, n);
        b->len += n;
    }
}

void pbenc_packed(struct pbenc *b, uint32_t field, const uint64_t *v, size_t n)
{
    if (n == 0)
        return;
    size_t size = 0;
    for (size_t i = 0; i < n; i++)
        size += varint_size(v[i]);
    put_tag(b, field, WIRE_LEN);
    pbenc_varint(b, size);
    if (!reserve(b, size))
        return;
    for (size_t i = 0; i < n; i++) {
        put_varint_at(b->p + b->len, v[i]);
        b->len += varint_size(v[i]);
    }
}

size_t pbenc_begin(struct pbenc *b, uint32_t field)
{
    put_tag(b, field, WIRE_LEN);
    pbenc_varint(b, 0);           /* one byte, fixed in pbenc_end */
    return b->len;
}

void pbenc_end(struct pbenc *b, size_t mark)
{
    if (b->oom || mark > b->len)
        return;
    size_t size = b->len - mark, n = varint_size(size);
    if (n > 1) {
        if (!reserve(b, n - 1))
            return;
        memmove(b->p + mark + n - 1, b->p + mark, size);
        b->len += n - 1;
    }
    put_varint_at(b->p + mark - 1, size);
}
