/* SPDX-License-Identifier: MIT */
/* A small Protocol Buffers encoder (wire format only: varints,
 * length-delimited fields, packed repeated varints, nested messages) for
 * the handful of message types pprof's profile.proto has. It writes into a
 * growing buffer; after an allocation failure every call is a no-op and
 * `oom` stays set, so a writer checks once at the end. */
#ifndef PROFTUI_PBENC_H
#define PROFTUI_PBENC_H

#include <stddef.h>
#include <stdint.h>

struct pbenc {
    uint8_t *p;        /* owned (pbenc_free) */
    size_t len, cap;
    int oom;           /* an allocation failed: the contents are incomplete */
};

/* Release the buffer and make it empty again. */
void pbenc_free(struct pbenc *b);

/* A bare varint (no tag). */
void pbenc_varint(struct pbenc *b, uint64_t v);

/* Field `field` (1 .. 2^29-1) as a varint (wire type 0). Negative int64
 * values go as their two's complement (10 bytes), as protobuf's int64 does. */
void pbenc_uint(struct pbenc *b, uint32_t field, uint64_t v);
void pbenc_int(struct pbenc *b, uint32_t field, int64_t v);

/* Field `field` as length-delimited bytes (wire type 2): strings, bytes. */
void pbenc_bytes(struct pbenc *b, uint32_t field, const void *data, size_t n);

/* A packed repeated varint field (one length-delimited field); nothing
 * when n is 0 (an empty repeated field is absent). */
void pbenc_packed(struct pbenc *b, uint32_t field, const uint64_t *v, size_t n);

/* A nested message: pbenc_begin writes the tag and returns a mark,
 * the message's fields follow, pbenc_end writes its length (moving the
 * fields when the length needs more than one byte). Marks nest. */
size_t pbenc_begin(struct pbenc *b, uint32_t field);
void pbenc_end(struct pbenc *b, size_t mark);

#endif
