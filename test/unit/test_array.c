/* SPDX-License-Identifier: MIT */
/* Unit tests of array.c's nearly-sorted sort: arrays in order but for a
 * few items moved (none, one, some, all, appended at the end, the whole
 * array reversed), of several item sizes, against qsort. */
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

int main(void)
{
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
