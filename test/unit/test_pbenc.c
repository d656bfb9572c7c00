/* SPDX-License-Identifier: MIT */
/* The protobuf encoder: byte-exact encodings from the protobuf
 * documentation, nested messages whose length needs several bytes, and a
 * round trip through the tests' decoder (pbdec.h). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pbdec.h"
#include "pbenc.h"

static int bytes_are(const struct pbenc *b, const uint8_t *want, size_t n)
{
    return !b->oom && b->len == n && memcmp(b->p, want, n) == 0;
}

static void test_known_bytes(void)
{
    struct pbenc b = {.p = NULL};
    pbenc_uint(&b, 1, 150);                   /* the documentation's "08 96 01" */
    static const uint8_t a[] = {0x08, 0x96, 0x01};
    CHECK(bytes_are(&b, a, sizeof a));
    pbenc_free(&b);

    pbenc_bytes(&b, 2, "testing", 7);         /* "12 07 74 65 73 74 69 6e 67" */
    static const uint8_t s[] = {0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'};
    CHECK(bytes_are(&b, s, sizeof s));
    pbenc_free(&b);

    uint64_t v[] = {3, 270, 86942};           /* packed: "22 06 03 8E 02 9E A7 05" */
    pbenc_packed(&b, 4, v, 3);
    static const uint8_t p[] = {0x22, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05};
    CHECK(bytes_are(&b, p, sizeof p));
    pbenc_packed(&b, 4, v, 0);                /* empty: nothing */
    CHECK(bytes_are(&b, p, sizeof p));
    pbenc_free(&b);

    pbenc_int(&b, 1, -1);                     /* int64 -1: ten bytes */
    static const uint8_t m[] = {0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    CHECK(bytes_are(&b, m, sizeof m));
    pbenc_free(&b);

    pbenc_uint(&b, 1u << 20, 0);              /* a large field number: tag 0x800000 */
    static const uint8_t t[] = {0x80, 0x80, 0x80, 0x04, 0x00};
    CHECK(bytes_are(&b, t, sizeof t));
    pbenc_free(&b);
}

/* A message {1: i, 2: "x" * len} nested in field 3, for several lengths
 * (one- two- and three-byte length prefixes), read back. */
static void test_nested(void)
{
    static const size_t lens[] = {0, 1, 120, 125, 126, 127, 200, 16380, 16400, 70000};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        struct pbenc b = {.p = NULL};
        char *text = malloc(lens[k] + 1);
        CHECK(text != NULL);
        if (!text)
            return;
        memset(text, 'x', lens[k]);
        pbenc_uint(&b, 9, 7);
        size_t outer = pbenc_begin(&b, 3);
        pbenc_uint(&b, 1, k);
        size_t inner = pbenc_begin(&b, 4);
        pbenc_bytes(&b, 2, text, lens[k]);
        pbenc_end(&b, inner);
        pbenc_end(&b, outer);
        pbenc_uint(&b, 10, 8);
        CHECK(!b.oom);

        const uint8_t *pos = b.p, *end = b.p + b.len;
        struct pbfield f, g, h;
        CHECK(pb_next(&pos, end, &f) == 1 && f.field == 9 && f.v == 7);
        CHECK(pb_next(&pos, end, &f) == 1 && f.field == 3 && f.wire == 2);
        const uint8_t *ip = f.p, *ie = f.p + f.n;
        CHECK(pb_next(&ip, ie, &g) == 1 && g.field == 1 && g.v == k);
        CHECK(pb_next(&ip, ie, &g) == 1 && g.field == 4 && g.wire == 2);
        const uint8_t *jp = g.p, *je = g.p + g.n;
        check(pb_next(&jp, je, &h) == 1 && h.field == 2 && h.n == lens[k] &&
              (lens[k] == 0 || memcmp(h.p, text, lens[k]) == 0), "string of %zu bytes", lens[k]);
        CHECK(pb_next(&jp, je, &h) == 0);
        CHECK(pb_next(&ip, ie, &g) == 0);
        CHECK(pb_next(&pos, end, &f) == 1 && f.field == 10 && f.v == 8);
        CHECK(pb_next(&pos, end, &f) == 0);
        free(text);
        pbenc_free(&b);
    }
}

/* Varints at every bit length, packed, read back. */
static void test_varints(void)
{
    uint64_t v[130];
    int n = 0;
    for (int bit = 0; bit < 64; bit++) {
        v[n++] = (uint64_t)1 << bit;
        v[n++] = ((uint64_t)1 << bit) - 1;
    }
    v[n++] = UINT64_MAX;
    struct pbenc b = {.p = NULL};
    pbenc_packed(&b, 5, v, (size_t)n);
    const uint8_t *pos = b.p, *end = b.p + b.len;
    struct pbfield f;
    uint64_t got[130];
    CHECK(pb_next(&pos, end, &f) == 1 && f.field == 5);
    CHECK_EQ(pb_packed(&f, got, 130), n);
    for (int i = 0; i < n; i++)
        check(got[i] == v[i], "varint %d: %llu != %llu", i, (unsigned long long)got[i],
              (unsigned long long)v[i]);
    pbenc_free(&b);
}

int main(void)
{
    test_known_bytes();
    test_nested();
    test_varints();
    return check_report("pbenc");
}
