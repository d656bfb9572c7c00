/* SPDX-License-Identifier: MIT */
/* Growing arrays by doubling their capacity. */
#include "array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define ARRAY_MIN 16

int array_grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : ARRAY_MIN;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return ERR_NOMEM;
        n *= 2;
    }
    if (size && n > SIZE_MAX / size)
        return ERR_NOMEM;
    void *p = realloc(*arr, n * size);
    if (!p)
        return ERR_NOMEM;
    *arr = p;
    *cap = n;
    return 0;
}

void array_sort_nearly(void *a, void *tmp, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *x = a, *t = tmp;
    size_t kept = 0, out = 0;
    for (size_t i = 0; i < n; i++) {
        char *item = x + i * size;
        if (kept && cmp(item, x + (kept - 1) * size) < 0)
            memcpy(t + out++ * size, item, size);
        else if (kept++ != i)
            memcpy(x + (kept - 1) * size, item, size);
    }
    if (!out)
        return;
    qsort(t, out, size, cmp);
    size_t i = kept, j = out, k = n;
    while (j > 0) {                   /* merge from the end: no item is overwritten unread */
        if (i > 0 && cmp(x + (i - 1) * size, t + (j - 1) * size) > 0)
            memcpy(x + --k * size, x + --i * size, size);
        else
            memcpy(x + --k * size, t + --j * size, size);
    }
}

#define RADIX_BITS 11
#define RADIX_PASSES ((64 + RADIX_BITS - 1) / RADIX_BITS)
#define RADIX_BUCKETS (1u << RADIX_BITS)

/* The bits of key as an unsigned number in the reverse order of the keys
 * (the largest key has the smallest number): the sign bit set for every
 * key >= 0, all bits flipped for the negative, then all flipped again. */
static uint64_t desc_bits(double key)
{
    uint64_t u;
    if (key == 0)
        key = 0;                      /* -0.0 is 0.0 */
    memcpy(&u, &key, sizeof u);
    u = u >> 63 ? ~u : u | (1ULL << 63);
    return ~u;
}

void array_sort_desc(struct array_keyed *a, struct array_keyed *tmp, size_t n)
{
    if (n < 2)
        return;
    /* The keys' sortable bits go in place of the keys while sorting. */
    size_t count[RADIX_PASSES][RADIX_BUCKETS] = {{0}};
    for (size_t i = 0; i < n; i++) {
        uint64_t u = desc_bits(a[i].key);
        memcpy(&a[i].key, &u, sizeof u);
        for (int p = 0; p < RADIX_PASSES; p++)
            count[p][(u >> (p * RADIX_BITS)) & (RADIX_BUCKETS - 1)]++;
    }
    struct array_keyed *src = a, *dst = tmp;
    for (int p = 0; p < RADIX_PASSES; p++) {
        size_t *c = count[p];
        uint64_t first;
        memcpy(&first, &src[0].key, sizeof first);
        if (c[(first >> (p * RADIX_BITS)) & (RADIX_BUCKETS - 1)] == n)
            continue;                 /* every key has this digit: nothing moves */
        size_t at = 0;
        for (uint32_t b = 0; b < RADIX_BUCKETS; b++) {
            size_t k = c[b];
            c[b] = at;
            at += k;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t u;
            memcpy(&u, &src[i].key, sizeof u);
            dst[c[(u >> (p * RADIX_BITS)) & (RADIX_BUCKETS - 1)]++] = src[i];
        }
        struct array_keyed *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
    for (size_t i = 0; i < n; i++) {  /* the keys back */
        uint64_t u;
        memcpy(&u, &a[i].key, sizeof u);
        u = ~u;
        u = u >> 63 ? u & ~(1ULL << 63) : ~u;
        memcpy(&a[i].key, &u, sizeof u);
    }
}
