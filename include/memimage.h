/* SPDX-License-Identifier: MIT */
/* A synthetic target memory: a set of (address, bytes) segments behind a
 * struct reader, so decoders, the walker and the fuzzer can be run on
 * captured or hand-built images instead of a live process. */
#ifndef PROFTUI_MEMIMAGE_H
#define PROFTUI_MEMIMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "reader.h"

struct memimage;

/* An empty image; NULL when out of memory. The image owns copies of all the
 * bytes added to it; release it with memimage_free(). */
struct memimage *memimage_new(void);

/* Copy len bytes from data into the image at target address addr.
 * Returns 0, ERR_NOMEM, or ERR_USAGE when len is 0, the range wraps around,
 * or it overlaps a segment already present. */
int memimage_add(struct memimage *m, uint64_t addr, const void *data, size_t len);

/* A reader over the image. It borrows m, which must outlive it. A read
 * succeeds only when every byte lies in the image (reads may span segments
 * that touch end to start); anything else fails with ERR_READ. */
struct reader memimage_reader(struct memimage *m);

/* Release the image and all its bytes. NULL is allowed. */
void memimage_free(struct memimage *m);

#endif
