/* SPDX-License-Identifier: MIT */
/* What the readers of perf event rings share (src/os/cpuswitch.c,
 * src/capture/perfring.c): the page size their mappings are counted in,
 * and a copy out of a ring's data area, which wraps. */
#ifndef PROFTUI_PERFMAP_H
#define PROFTUI_PERFMAP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static inline long perfmap_page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? p : 4096;
}

/* len bytes at ring position pos (any u64: wrapped by size, a power of
 * two, len at most size) into dst. */
static inline void perfmap_copy(const uint8_t *data, uint64_t size, uint64_t pos, void *dst,
                                size_t len)
{
    size_t at = (size_t)(pos & (size - 1));
    size_t first = len < size - at ? len : (size_t)(size - at);
    memcpy(dst, data + at, first);
    memcpy((uint8_t *)dst + first, data, len - first);
}

#endif
