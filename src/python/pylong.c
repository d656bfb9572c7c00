/* SPDX-License-Identifier: MIT */
/* Decodes int objects (30-bit digit arrays) read from the target. */
#include "pylong.h"

#include <string.h>

#include "error.h"
#include "pylayout.h"
#include "reader.h"

/* PyLong_SHIFT: every 64-bit CPython build we support uses 30-bit digits
 * (Include/cpython/longintrepr.h); 15-bit digits need a non-default
 * configure option that no distribution uses. */
#define DIGIT_BITS 30
#define MAX_DIGITS 3          /* ceil(64 / 30) */
#define HEADER_MAX 64

/* 3.12+ lv_tag (Include/cpython/longintrepr.h): the low two bits are the
 * sign (0 positive, 1 zero, 2 negative), the digit count starts at bit 3. */
#define TAG_SIGN_MASK 3u
#define TAG_SIGN_ZERO 1u
#define TAG_SIGN_NEGATIVE 2u
#define TAG_COUNT_SHIFT 3

/* Digit count of a non-negative int from its size word, or -1 when the
 * word says negative or is malformed. */
static int64_t digit_count(const struct py_layout *l, uint64_t word)
{
    if (!l->long_tagged) {
        int64_t size = (int64_t)word;     /* ob_size: sign of the value, |size| digits */
        return size < 0 ? -1 : size;
    }
    unsigned sign = (unsigned)(word & TAG_SIGN_MASK);
    uint64_t count = word >> TAG_COUNT_SHIFT;
    if (sign == TAG_SIGN_NEGATIVE || sign > TAG_SIGN_NEGATIVE)
        return -1;
    if (sign == TAG_SIGN_ZERO)
        return count == 0 ? 0 : -1;
    return count == 0 || count > INT64_MAX ? -1 : (int64_t)count;
}

int pylong_read_u64(struct reader *r, const struct py_layout *l, uint64_t addr, uint64_t *out)
{
    uint8_t h[HEADER_MAX];
    if (l->long_size_or_tag < 0 || l->long_digits < l->long_size_or_tag + 8 ||
        l->long_digits > HEADER_MAX)
        return ERR_CORRUPT;
    if (!reader_addr_ok(addr, 8))
        return ERR_CORRUPT;
    int rc = reader_read(r, addr, (size_t)l->long_digits, h);
    if (rc < 0)
        return rc;
    uint64_t word;
    memcpy(&word, h + l->long_size_or_tag, sizeof word);
    int64_t n = digit_count(l, word);
    if (n < 0 || n > MAX_DIGITS)
        return ERR_CORRUPT;
    uint32_t digits[MAX_DIGITS];
    rc = reader_read(r, addr + (uint64_t)l->long_digits, (size_t)n * sizeof digits[0], digits);
    if (rc < 0)
        return rc;
    uint64_t v = 0;
    for (int64_t i = 0; i < n; i++) {
        unsigned shift = (unsigned)i * DIGIT_BITS;
        if (digits[i] >> DIGIT_BITS)
            return ERR_CORRUPT;
        /* The top digit may only use the bits left of the 64. */
        if (shift + DIGIT_BITS > 64 && (digits[i] >> (64 - shift)) != 0)
            return ERR_CORRUPT;
        v |= (uint64_t)digits[i] << shift;
    }
    /* A normalised int has no leading zero digit. */
    if (n > 0 && digits[n - 1] == 0)
        return ERR_CORRUPT;
    *out = v;
    return 0;
}
