/* SPDX-License-Identifier: MIT */
/* CPython's opcode numbers per minor version (3.8-3.15), as far as the
 * profiler needs them: which instructions call a callable, and how many
 * inline cache code units follow each (3.11+), so a code object's bytecode
 * can be scanned instruction by instruction. */
#ifndef PROFTUI_OPCODES_H
#define PROFTUI_OPCODES_H

#include <stddef.h>
#include <stdint.h>

/* What an opcode number is (opcodes_kind). */
enum opcode_kind {
    OPK_UNDEF = 0,   /* no instruction has this number in that version */
    OPK_OTHER,       /* an instruction that is not a call */
    OPK_CALL,        /* the call family: 3.8-3.10 CALL_FUNCTION, CALL_FUNCTION_KW,
                      * CALL_FUNCTION_EX, CALL_METHOD; 3.11+ PRECALL, CALL, CALL_KW,
                      * CALL_FUNCTION_EX with their specialized, adaptive and
                      * instrumented forms (not CALL_INTRINSIC_*) */
    OPK_EXTARG,      /* EXTENDED_ARG (3.11 also EXTENDED_ARG_QUICK) */
    OPK_HIDDEN,      /* stands in for another instruction it does not name:
                      * INSTRUMENTED_LINE, INSTRUMENTED_INSTRUCTION (3.12+),
                      * ENTER_EXECUTOR (3.13+) */
};

/* The opcode table of 3.minor (major 3), or NULL for a version without one. */
const uint8_t *opcodes_table(int major, int minor);

/* Kind of opcode op (0-255) in table tab. */
enum opcode_kind opcodes_kind(const uint8_t *tab, unsigned op);

/* Inline cache code units after an instruction with opcode op (those of
 * its base instruction; 0 before 3.11). */
unsigned opcodes_caches(const uint8_t *tab, unsigned op);

/* Scan bytecode of nunits 16-bit code units (native order, as in the
 * target: opcode in the low byte) with table tab, setting bit i of bits
 * ((nunits + 7) / 8 bytes, cleared first) for every code unit i that
 * belongs to a call instruction: its opcode unit, its inline caches (where
 * 3.11/3.12 leave a caller's instruction pointer during a Python call),
 * and when extarg_prefix (<= 3.10: f_lasti stays on the first
 * EXTENDED_ARG while the instruction it extends runs) the EXTENDED_ARG
 * units before it. Returns how many units from the start are classified:
 * the scan stops at an opcode that is undefined or hides the real one
 * (OPK_UNDEF, OPK_HIDDEN), as the instructions after it cannot be told
 * from cache data. */
size_t opcodes_scan_calls(const uint8_t *tab, int extarg_prefix, const uint8_t *code,
                          size_t nunits, uint8_t *bits);

#endif
