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
