/* SPDX-License-Identifier: MIT */
/* Growing arrays: the one place that doubles a buffer's capacity, for the
 * arrays every layer keeps and reuses (scratch stacks, node arrays, rows). */
#ifndef PROFTUI_ARRAY_H
#define PROFTUI_ARRAY_H

#include <stddef.h>

/* Make room for need items of size bytes in *arr, whose capacity is *cap
 * items: when need exceeds it, the capacity doubles (from 16 items) until
 * need fits and *arr is reallocated. Returns 0, or ERR_NOMEM (then *arr
 * and *cap are unchanged, and still valid). The contents are kept; the
 * new items are not initialised. */
int array_reserve(void **arr, size_t *cap, size_t need, size_t size);

#endif
