/* SPDX-License-Identifier: MIT */
/* Growing arrays: the one place that doubles a buffer's capacity, for the
 * arrays every layer keeps and reuses (scratch stacks, node arrays, rows). */
#ifndef PROFTUI_ARRAY_H
#define PROFTUI_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Reallocate *arr (capacity *cap items of size bytes) to the smallest
 * doubling of *cap (from 16 items) that holds need items. Returns 0, or
 * ERR_NOMEM (then *arr and *cap are unchanged, and still valid). The
 * contents are kept; the new items are not initialised. */
int array_grow(void **arr, size_t *cap, size_t need, size_t size);

/* Make room for need items in *arr: nothing when *cap holds them already
 * (inline: the hot paths push one item at a time), else array_grow(). */
static inline int array_reserve(void **arr, size_t *cap, size_t need, size_t size)
{
    return need <= *cap ? 0 : array_grow(arr, cap, need, size);
}

/* Sort a[0..n) (items of size bytes, by cmp) when it is in order but for a
 * few items (grown past others, new ones appended): those are taken out
 * into tmp (room for n items), sorted and merged back, O(n + k log k) for
 * k taken out. A stable order needs a cmp that breaks every tie. */
void array_sort_nearly(void *a, void *tmp, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* An item sorted by a number (array_sort_desc): a row's key and its id. */
struct array_keyed {
    double key;
    uint32_t id;
};

/* Sort a[0..n) by key, largest first, keeping items of equal keys in the
 * order they came (pass them in id order for ties by id). O(n): a radix
 * sort of the keys' bits, for rows re-ranked at every refresh, where most
 * keys move a little. Keys must not be NaN (-0.0 sorts as 0.0); tmp has
 * room for n items. */
void array_sort_desc(struct array_keyed *a, struct array_keyed *tmp, size_t n);

#endif
