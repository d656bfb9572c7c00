/* SPDX-License-Identifier: MIT */
/* Tests the in-memory target image: reads inside, across and outside its
 * segments, overlap rejection, batched reads, and the reader front door. */
#include "check.h"
#include "memimage.h"
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BASE 0x10000ull

/* Three segments: [BASE, +16) and [BASE+16, +16) touch; [BASE+64, +8) is apart. */
static struct memimage *build(void)
{
    uint8_t a[16], b[16], c[8];
    struct memimage *m = memimage_new();

    for (int i = 0; i < 16; i++) {
        a[i] = (uint8_t)i;
        b[i] = (uint8_t)(16 + i);
    }
    for (int i = 0; i < 8; i++)
        c[i] = (uint8_t)(0xc0 + i);
    if (!m)
        return NULL;
    /* Added out of order on purpose: the image keeps them sorted. */
    check(memimage_add(m, BASE + 64, c, sizeof c) == 0, "add c");
    check(memimage_add(m, BASE + 16, b, sizeof b) == 0, "add b");
    check(memimage_add(m, BASE, a, sizeof a) == 0, "add a");
    return m;
}

static void test_reads(struct memimage *m)
{
    struct reader r = memimage_reader(m);
    uint8_t buf[64];

    check(reader_read(&r, BASE + 4, 8, buf) == 0 && buf[0] == 4 && buf[7] == 11, "read inside a");
    check(reader_read(&r, BASE + 10, 12, buf) == 0 && buf[0] == 10 && buf[11] == 21,
          "read across touching segments");
    check(reader_read(&r, BASE, 32, buf) == 0 && buf[31] == 31, "read both whole");
    check(reader_read(&r, BASE + 64, 8, buf) == 0 && buf[7] == 0xc7, "read c");
    check(reader_read(&r, BASE + 30, 4, buf) == ERR_READ, "read into the gap");
    check(reader_read(&r, BASE + 60, 8, buf) == ERR_READ, "read from the gap into c");
    check(reader_read(&r, BASE + 68, 8, buf) == ERR_READ, "read past c");
    check(reader_read(&r, BASE - 1, 2, buf) == ERR_READ, "read before a");
    check(reader_read(&r, BASE + 72, 1, buf) == ERR_READ, "read just past c");
    check(reader_read(&r, 0x20000, 1, buf) == ERR_READ, "read far away");
    check(reader_read(&r, 0, 8, buf) == ERR_READ, "NULL page");
    check(r.reads == 10, "reads counted: %lu", r.reads);   /* the NULL page never reaches the image */
}

static void test_readv(struct memimage *m)
{
    struct reader r = memimage_reader(m);
    uint8_t x[4], y[4];
    struct read_req ok[2] = { { BASE + 1, 4, x }, { BASE + 66, 4, y } };
    struct read_req bad[2] = { { BASE + 1, 4, x }, { BASE + 40, 4, y } };

    check(reader_readv(&r, ok, 2) == 0 && x[0] == 1 && y[3] == 0xc5, "readv both inside");
    check(reader_readv(&r, bad, 2) == ERR_READ, "readv with one piece outside");
}

static void test_add_rejects(struct memimage *m)
{
    uint8_t z[8] = { 0 };

    check(memimage_add(m, BASE + 8, z, 8) == ERR_USAGE, "overlap inside a");
    check(memimage_add(m, BASE + 60, z, 8) == ERR_USAGE, "overlap start of c");
    check(memimage_add(m, BASE + 70, z, 8) == ERR_USAGE, "overlap end of c");
    check(memimage_add(m, BASE - 4, z, 8) == ERR_USAGE, "overlap start of a");
    check(memimage_add(m, BASE + 40, z, 0) == ERR_USAGE, "empty segment");
    check(memimage_add(m, UINT64_MAX - 3, z, 8) == ERR_USAGE, "wrapping segment");
    check(memimage_add(m, BASE + 32, z, 8) == 0, "segment touching b");
    check(memimage_add(m, BASE + 56, z, 8) == 0, "segment touching c");
}

int main(void)
{
    struct memimage *m = build();

    check(m != NULL, "memimage_new");
    if (m) {
        test_reads(m);
        test_readv(m);
        test_add_rejects(m);
        /* The touching segment added last now bridges a gap. */
        struct reader r = memimage_reader(m);
        uint8_t buf[48];
        check(reader_read(&r, BASE + 24, 24, buf) == ERR_READ, "gap [40, 56) still open");
        check(reader_read(&r, BASE + 56, 16, buf) == 0 && buf[8] == 0xc0, "read across new + c");
    }
    memimage_free(m);
    memimage_free(NULL);
    if (check_failed) {
        printf("%d failure(s)\n", check_failed);
        return 1;
    }
    printf("memimage: all tests passed\n");
    return 0;
}
