/* SPDX-License-Identifier: MIT */
/* A bounded protobuf wire-format reader: one field at a time from a byte
 * range, every length checked against what is left. No allocation, no
 * recursion: a nested message is read with a reader over its bytes. */
#ifndef PROFTUI_PBREAD_H
#define PROFTUI_PBREAD_H

#include <stddef.h>
#include <stdint.h>

struct pbread {
    const uint8_t *p, *end;
};

enum pb_wire { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

/* One field: its number, wire type, and its value (varint, fixed) or its
 * bytes (PB_LEN: data/len). */
struct pb_field {
    uint32_t number;
    int wire;
    uint64_t value;
    const uint8_t *data;
    size_t len;
};

/* A reader over data[0..n). */
struct pbread pbread_init(const uint8_t *data, size_t n);

/* Read the next field: 1, 0 at the end, or -1 for malformed input (a
 * truncated varint or field, a group, field number 0, an unknown wire
 * type). */
int pbread_next(struct pbread *d, struct pb_field *f);

/* The next varint of a packed repeated field's bytes: 1, 0 at the end, -1
 * when malformed. */
int pbread_packed(struct pbread *d, uint64_t *out);

#endif
