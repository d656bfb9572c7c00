/* SPDX-License-Identifier: MIT */
/* Bytecode offset -> source line for CPython's three line-table formats. */
#include "linetable.h"

#include <limits.h>

/* Location-table varints carry 6 bits per byte. CPython writes line deltas
 * from an int, so a well-formed svarint needs at most 6 chunks (36 bits). */
#define VARINT_MAX_CHUNKS 6

/* PEP 626 marker byte for "this range has no line" (Objects/lnotab_notes.txt, 3.10). */
#define PEP626_NO_LINE 0x80

/* Location-table entry kinds (_PyCodeLocationInfoKind, Include/cpython/code.h). */
#define LOC_ONE_LINE0 10
#define LOC_ONE_LINE1 11
#define LOC_ONE_LINE2 12
#define LOC_NO_COLUMNS 13
#define LOC_LONG 14
#define LOC_NONE 15

/* Two's-complement value of a byte, without implementation-defined casts. */
static int signed_byte(uint8_t b)
{
    return b < 0x80 ? (int)b : (int)b - 0x100;
}

/* Lines are C ints inside CPython; a table that walks outside that range is
 * garbage, and stopping there keeps the int64 accumulator from overflowing. */
static int line_plausible(int64_t line)
{
    return line >= INT_MIN && line <= INT_MAX;
}

/* The public contract only hands out lines >= 0; anything else is "no line". */
static int line_result(int64_t line)
{
    return line >= 0 && line <= INT_MAX ? (int)line : -1;
}

/* 3.8/3.9 co_lnotab, as PyCode_Addr2Line in Objects/codeobject.c reads it:
 * (address increment, line increment) byte pairs; the line increment applies
 * from the incremented address on and has been a signed byte since 3.6.
 * Addresses past the last pair keep the last line, as CPython does. CPython
 * ignores a dangling odd byte; real tables never have one, so it is taken as
 * a sign of a bad read here. */
static int lnotab_line(const uint8_t *t, size_t len, int firstlineno, int addr)
{
    int64_t line = firstlineno;
    int64_t start = 0;

    if (len % 2 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 2) {
        start += t[i];
        if (start > addr)
            break;
        line += signed_byte(t[i + 1]);
        if (!line_plausible(line))
            return -1;
    }
    return line_result(line);
}

/* 3.10 co_linetable (PEP 626), as advance() in 3.10's Objects/codeobject.c
 * reads it: (byte length, line delta) pairs describing consecutive address
 * ranges; a delta of -128 means the range has no line and leaves the running
 * line untouched. The compiler splits lengths > 254 and deltas beyond +-127
 * into extra pairs, some of zero length; those still move the running line.
 * Past the last range there is no line. An odd length (a torn pair, which
 * CPython would read past) is malformed. */
static int pep626_line(const uint8_t *t, size_t len, int firstlineno, int addr)
{
    int64_t line = firstlineno;
    int64_t end = 0;

    if (len % 2 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 2) {
        int no_line = t[i + 1] == PEP626_NO_LINE;

        end += t[i];
        if (!no_line) {
            line += signed_byte(t[i + 1]);
            if (!line_plausible(line))
                return -1;
        }
        /* Earlier ranges ended at or before addr, so this one starts there. */
        if (addr < end)
            return no_line ? -1 : line_result(line);
    }
    return -1;
}

/* Reads the svarint at t[*pos] (6-bit chunks, least significant first, bit 6
 * = more follows; bit 0 of the result is the sign). Every byte must lie
 * inside the table and have bit 7 clear, or the table is malformed. */
static int read_svarint(const uint8_t *t, size_t len, size_t *pos, int64_t *out)
{
    uint64_t val = 0;

    for (int chunk = 0; chunk < VARINT_MAX_CHUNKS; chunk++) {
        uint8_t b;

        if (*pos >= len || (t[*pos] & 0x80))
            return -1;
        b = t[(*pos)++];
        val |= (uint64_t)(b & 63) << (6 * chunk);
        if (!(b & 64)) {
            *out = (val & 1) ? -(int64_t)(val >> 1) : (int64_t)(val >> 1);
            return 0;
        }
    }
    return -1;
}

/* Line delta of the entry whose first byte is t[*pos - 1] (get_line_delta()
 * in Objects/codeobject.c, 3.11-3.14); advances *pos past a varint if any. */
static int entry_line_delta(int kind, const uint8_t *t, size_t len, size_t *pos,
                            int64_t *delta)
{
    switch (kind) {
    case LOC_NO_COLUMNS:
    case LOC_LONG:
        return read_svarint(t, len, pos, delta);
    case LOC_ONE_LINE1:
        *delta = 1;
        return 0;
    case LOC_ONE_LINE2:
        *delta = 2;
        return 0;
    case LOC_ONE_LINE0:
    default:        /* short forms 0-9 and LOC_NONE keep the line too */
        *delta = 0;
        return 0;
    }
}

/* 3.11+ location table (Objects/locations.md; unchanged through 3.14): each
 * entry starts with a byte 1KKKKLLL (kind, length in code units - 1) followed
 * by bytes with bit 7 clear. Only the start-line delta matters here; column
 * data is skipped the way CPython's advance() skips it, by looking for the
 * next byte with bit 7 set. Kind 15 covers code with no location. Past the
 * last entry there is no line. */
static int locations_line(const uint8_t *t, size_t len, int firstlineno, int addr)
{
    int64_t line = firstlineno;
    int64_t end = 0;
    size_t pos = 0;

    while (pos < len) {
        uint8_t head = t[pos++];
        int kind = (head >> 3) & 15;
        int64_t delta;

        if (!(head & 0x80))
            return -1;
        if (entry_line_delta(kind, t, len, &pos, &delta) < 0)
            return -1;
        line += delta;
        if (!line_plausible(line))
            return -1;
        end += ((head & 7) + 1) * 2;   /* code units of 2 bytes (_Py_CODEUNIT) */
        if (addr < end)
            return kind == LOC_NONE ? -1 : line_result(line);
        while (pos < len && !(t[pos] & 0x80))
            pos++;
    }
    return -1;
}

int linetable_line(enum py_linetable_format fmt, const uint8_t *table, size_t len,
                   int firstlineno, int addr)
{
    /* 3.12+ frames that have not started yet sit before the first
     * instruction; PyCode_Addr2Line answers co_firstlineno for them. */
    if (addr < 0)
        return line_result(firstlineno);
    if (table == NULL && len != 0)
        return -1;
    switch (fmt) {
    case LINETABLE_LNOTAB:
        return lnotab_line(table, len, firstlineno, addr);
    case LINETABLE_PEP626:
        return pep626_line(table, len, firstlineno, addr);
    case LINETABLE_LOCATIONS:
        return locations_line(table, len, firstlineno, addr);
    }
    return -1;
}

long linetable_span(enum py_linetable_format fmt, const uint8_t *table, size_t len)
{
    long span = 0;
    if (table == NULL && len != 0)
        return -1;
    switch (fmt) {
    case LINETABLE_LNOTAB:
        return -1;
    case LINETABLE_PEP626:
        if (len % 2 != 0)
            return -1;
        for (size_t i = 0; i < len; i += 2)
            span += table[i];
        return span;
    case LINETABLE_LOCATIONS:
        /* Entry heads have bit 7 set; the bytes between them, clear. */
        if (len > 0 && !(table[0] & 0x80))
            return -1;
        for (size_t pos = 0; pos < len; pos++)
            if (table[pos] & 0x80)
                span += ((table[pos] & 7) + 1) * 2;
        return span;
    }
    return -1;
}
