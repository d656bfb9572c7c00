/* SPDX-License-Identifier: MIT */
/* Unit tests of array.c's sorts against qsort: the nearly-sorted sort on
 * arrays in order but for a few items moved (none, one, some, all,
 * appended at the end, the whole array reversed), of several item sizes;
 * the radix sort by a number on keys of every kind (ties, zeros of both
 * signs, negatives, tiny and huge, infinities), stable. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "check.h"

struct item {
    uint64_t key;
    uint32_t id;                  /* breaks ties: every order is total */
    char pad[5];                  /* an odd size */
};

static uint64_t rng = 0x243F6A8885A308D3ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 33) % n;
}

static int by_key(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;
    if (a->key != b->key)
        return (a->key < b->key) - (a->key > b->key);     /* largest first */
    return (a->id > b->id) - (a->id < b->id);
}

static int by_int(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    return (a > b) - (a < b);
}

/* n sorted items, then `moved` of them given new keys, and `added` more
 * appended: sorted nearly equals sorted by qsort. */
static void check_items(size_t n, size_t moved, size_t added, int reversed)
{
    size_t all = n + added;
    struct item *a = calloc(all + 1, sizeof *a), *want = calloc(all + 1, sizeof *a), *tmp = calloc(all + 1, sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = (struct item){.key = rnd(50), .id = (uint32_t)i};
    qsort(a, n, sizeof *a, by_key);
    if (reversed)
        for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
            struct item t = a[i];
            a[i] = a[j - 1];
            a[j - 1] = t;
        }
    for (size_t k = 0; k < moved && n; k++)
        a[rnd((uint32_t)n)].key = rnd(60);
    for (size_t i = n; i < all; i++)
        a[i] = (struct item){.key = rnd(60), .id = (uint32_t)i};
    memcpy(want, a, all * sizeof *a);
    qsort(want, all, sizeof *want, by_key);
    array_sort_nearly(a, tmp, all, sizeof *a, by_key);
    size_t bad = 0;
    for (size_t i = 0; i < all; i++)
        bad += a[i].key != want[i].key || a[i].id != want[i].id;
    check(bad == 0, "%zu items, %zu moved, %zu added%s: %zu out of place", n, moved, added,
          reversed ? ", reversed" : "", bad);
    free(a);
    free(want);
    free(tmp);
}

static int by_keyed(const void *pa, const void *pb)
{
    const struct array_keyed *a = pa, *b = pb;
    if (a->key != b->key)
        return (a->key < b->key) - (a->key > b->key);     /* largest first */
    return (a->id > b->id) - (a->id < b->id);             /* then as they came (id order) */
}

/* One key of the kind asked: few distinct values (ties), shares 0-100,
 * any sign and size, or the edge values. */
static double key_of(int kind)
{
    static const double edges[] = {0.0, -0.0, 1.0, -1.0, 5e-324, -5e-324, 1.7976931348623157e308,
                                   -1.7976931348623157e308, INFINITY, -INFINITY, 100.0, 1e-300};
    switch (kind) {
    case 0:
        return (double)rnd(4) / 2;
    case 1:
        return rnd(1000000) / 10000.0;
    case 2:
        return ldexp((double)rnd(1u << 30) - (double)(1u << 29), (int)rnd(200) - 100);
    default:
        return edges[rnd(sizeof edges / sizeof edges[0])];
    }
}

/* n keyed items of one kind, ids in order: array_sort_desc equals qsort
 * by (key largest first, id); zeros compare equal whatever their sign. */
static void check_desc(size_t n, int kind)
{
    struct array_keyed *a = calloc(n + 1, sizeof *a), *want = calloc(n + 1, sizeof *a),
                       *tmp = calloc(n + 1, sizeof *a);
    if (!a || !want || !tmp)
        abort();
    for (size_t i = 0; i < n; i++)
        a[i] = want[i] = (struct array_keyed){key_of(kind), (uint32_t)i};
    qsort(want, n, sizeof *want, by_keyed);
    array_sort_desc(a, tmp, n);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += a[i].key != want[i].key || a[i].id != want[i].id;
    check(bad == 0, "radix, %zu keys of kind %d: %zu out of place", n, kind, bad);
    free(a);
    free(want);
    free(tmp);
}

int main(void)
{
    const size_t counts[] = {0, 1, 2, 3, 17, 1000, 20000};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
        for (int kind = 0; kind < 4; kind++)
            check_desc(counts[c], kind);
    struct array_keyed z[2] = {{-0.0, 0}, {0.0, 1}}, zt[2];
    array_sort_desc(z, zt, 2);
    CHECK_EQ(z[0].id, 0u);                         /* equal keys: as they came */
    check(z[0].key == 0 && !signbit(z[0].key), "-0.0 sorts and comes back as 0.0");
    const size_t sizes[] = {0, 1, 2, 3, 17, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        check_items(n, 0, 0, 0);
        check_items(n, 1, 0, 0);
        check_items(n, n / 10 + 1, 0, 0);
        check_items(n, n, 0, 0);
        check_items(n, 0, 5, 0);
        check_items(n, 3, 40, 0);
        check_items(n, 0, 0, 1);
    }
    int v[7] = {1, 2, 9, 3, 4, 0, 5}, t[7];       /* plain ints: size 4 */
    array_sort_nearly(v, t, 7, sizeof *v, by_int);
    for (int i = 0; i < 7; i++)
        CHECK_EQ(v[i], i < 6 ? i : 9);
    return check_report("array");
}
