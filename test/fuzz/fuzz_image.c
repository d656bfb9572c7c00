/* SPDX-License-Identifier: MIT */
/* Fuzz target: the whole read path (layout choice, readiness, thread list,
 * frame walk with a code cache, thread names) on a fuzz image. Built with
 * libFuzzer it also has a mutator that knows the image format: it edits
 * segment bytes, redirects pointers into other segments and plants
 * boundary values, so mutated real images stay images. */
#include <stdint.h>
#include <string.h>

#include "fuzzimg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzzimg img;
    if (fuzzimg_load(data, size, &img) == 0 && img.layout_rc == 0)
        fuzzimg_walk(&img.target, NULL);
    fuzzimg_free(&img);
    return 0;
}

#ifdef PROFTUI_LIBFUZZER

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

#define MAX_INDEXED 4096

struct seg {
    size_t off, len;    /* payload position in the file */
    uint64_t addr;
};

static struct seg segs[MAX_INDEXED];

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int index_segments(const uint8_t *data, size_t size)
{
    int n = 0;
    size_t at = FUZZIMG_HEADER;
    while (n < MAX_INDEXED && size - at >= FUZZIMG_SEG_HEADER) {
        uint32_t len;
        memcpy(&segs[n].addr, data + at, 8);
        memcpy(&len, data + at + 8, 4);
        at += FUZZIMG_SEG_HEADER;
        segs[n].off = at;
        segs[n].len = len > size - at ? size - at : len;
        at += segs[n].len;
        if (segs[n].len >= 8)
            n++;
    }
    return n;
}

/* A value worth planting in a field: a pointer into some segment (aligned
 * or not), just past one, or a boundary integer. */
static uint64_t pick_value(uint64_t *rs, int n)
{
    static const uint64_t edges[] = {
        0, 1, 7, 8, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000,
        0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, 0x1000,
        0x00007fffffffffffull, 0x0000800000000000ull,
    };
    const struct seg *t = &segs[next_rand(rs) % (uint64_t)n];
    uint64_t off = next_rand(rs) % (t->len + 16);
    switch (next_rand(rs) % 4) {
    case 0:
        return t->addr + (off & ~7ull);
    case 1:
        return t->addr + off;
    case 2:
        return t->addr + t->len;
    default:
        return edges[next_rand(rs) % (sizeof edges / sizeof edges[0])];
    }
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    uint64_t rs = seed | 1ull << 40;
    int n = size >= FUZZIMG_HEADER && memcmp(data, FUZZIMG_MAGIC, 8) == 0
          ? index_segments(data, size) : 0;
    if (n == 0 || next_rand(&rs) % 16 == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    const struct seg *s = &segs[next_rand(&rs) % (uint64_t)n];
    if (next_rand(&rs) % 3 == 0) {
        /* Byte-level mutation of a window, keeping the file's framing. */
        size_t w = s->len < 64 ? s->len : 64;
        size_t at = s->off + next_rand(&rs) % (s->len - w + 1);
        LLVMFuzzerMutate(data + at, w, w);
        return size;
    }
    int width = (int[]){1, 4, 8, 8}[next_rand(&rs) % 4];
    size_t at = s->off + (next_rand(&rs) % (s->len - 7) & ~(uint64_t)(width == 1 ? 0 : width - 1));
    uint64_t v = pick_value(&rs, n);
    if (next_rand(&rs) % 4 == 0) {
        uint64_t old;
        memcpy(&old, data + at, 8);
        v = old + (next_rand(&rs) % 33) * 8 - 128;    /* nudge an existing pointer */
    }
    memcpy(data + at, &v, (size_t)width);
    return size;
}

#endif
