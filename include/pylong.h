/* SPDX-License-Identifier: MIT */
/* Reading int objects out of the target (thread idents, counters). */
#ifndef PROFTUI_PYLONG_H
#define PROFTUI_PYLONG_H

#include <stdint.h>

struct reader;
struct py_layout;

/* Read the int object at addr as an unsigned 64-bit value. Returns 0,
 * ERR_READ, or ERR_CORRUPT when the value is negative, does not fit in 64
 * bits or its header or digits are malformed. */
int pylong_read_u64(struct reader *r, const struct py_layout *l, uint64_t addr, uint64_t *out);

#endif
