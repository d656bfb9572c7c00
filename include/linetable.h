/* SPDX-License-Identifier: MIT */
/* Decoders for CPython's three line-number table formats. Pure functions over
 * a byte buffer copied from the target: every loop is bounded by the buffer
 * length, so garbage input yields -1, never a crash. */
#ifndef PROFTUI_LINETABLE_H
#define PROFTUI_LINETABLE_H

#include <stddef.h>
#include <stdint.h>
#include "pylayout.h"

/* Source line of the instruction at byte offset addr in the bytecode
 * (3.8/3.9: f_lasti; 3.10: 2*f_lasti; 3.11+: 2*code-unit index).
 * table/len: the bytes of co_lnotab (3.8, 3.9) or co_linetable (3.10+).
 * Returns the line (>= 0), or -1 when the instruction has no line or the
 * table is malformed. A negative addr (3.12's "not started" position) maps
 * to firstlineno. */
int linetable_line(enum py_linetable_format fmt, const uint8_t *table, size_t len,
                   int firstlineno, int addr);

/* The bytes of bytecode the table describes: the sum of its ranges (3.10)
 * or entries (3.11+), which for every code object CPython makes is the
 * whole of its bytecode (checked on every interpreter's tables by
 * test_linetable). -1 when the table is malformed, or for 3.8/3.9's
 * co_lnotab, which marks only where lines change. The code cache uses it
 * to refuse a code object whose line table pointer is stale. */
long linetable_span(enum py_linetable_format fmt, const uint8_t *table, size_t len);

#endif
