/* SPDX-License-Identifier: MIT */
/* Growing arrays by doubling their capacity. */
#include "array.h"

#include <stdint.h>
#include <stdlib.h>

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
