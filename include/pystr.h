/* SPDX-License-Identifier: MIT */
/* Reading str and bytes objects out of the target, bounded and validated. */
#ifndef PROFTUI_PYSTR_H
#define PROFTUI_PYSTR_H

#include <stddef.h>
#include <stdint.h>

struct reader;
struct py_layout;

/* Longest str we copy out of a target; longer names are cut (and marked). */
#define PYSTR_MAX 4096

/* Read the str object at addr as NUL-terminated UTF-8 into buf (cap >= 8).
 * Compact ASCII and compact UCS1/UCS2/UCS4 strings are supported; text
 * longer than fits is cut at a character boundary and ends with "...".
 * NUL characters and lone surrogates come out as U+FFFD, so the text never
 * has a NUL inside and is always valid UTF-8. A str that has been freed
 * (its refcount overwritten by pymalloc) is ERR_CORRUPT.
 * Returns the byte length written, or ERR_READ / ERR_CORRUPT. */
int pystr_read(struct reader *r, const struct py_layout *l, uint64_t addr, char *buf, size_t cap);

/* Read the bytes object at addr: its contents into buf (at most cap bytes).
 * Returns the length, or ERR_READ / ERR_CORRUPT (negative or over cap). */
int pybytes_read(struct reader *r, const struct py_layout *l, uint64_t addr, uint8_t *buf, size_t cap);

#endif
