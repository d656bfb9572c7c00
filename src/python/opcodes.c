/* SPDX-License-Identifier: MIT */
/* Per-version opcode tables and the scan of bytecode for call instructions. */
#include "opcodes.h"

#include <string.h>

#include "opcodes_tables.h"

const uint8_t *opcodes_table(int major, int minor)
{
    static const uint8_t *const tabs[] = {opcodes_3_8,  opcodes_3_9,  opcodes_3_10, opcodes_3_11,
                                          opcodes_3_12, opcodes_3_13, opcodes_3_14, opcodes_3_15};
    if (major != 3 || minor < 8 || minor >= 8 + (int)(sizeof tabs / sizeof *tabs))
        return NULL;
    return tabs[minor - 8];
}

enum opcode_kind opcodes_kind(const uint8_t *tab, unsigned op)
{
    return (enum opcode_kind)(tab[op & 0xff] >> 5);
}

unsigned opcodes_caches(const uint8_t *tab, unsigned op)
{
    return tab[op & 0xff] & 0x1f;
}

static void set_bit(uint8_t *bits, size_t i)
{
    bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

size_t opcodes_scan_calls(const uint8_t *tab, int extarg_prefix, const uint8_t *code,
                          size_t nunits, uint8_t *bits)
{
    memset(bits, 0, (nunits + 7) / 8);
    size_t i = 0, ext = 0;      /* ext: EXTENDED_ARG units just before unit i */
    while (i < nunits) {
        unsigned op = code[2 * i];      /* little-endian hosts and targets only (64-bit x86/arm) */
        enum opcode_kind k = opcodes_kind(tab, op);
        if (k == OPK_UNDEF || k == OPK_HIDDEN)
            return i;
        size_t end = i + 1 + opcodes_caches(tab, op);
        if (end > nunits)
            return i;           /* cut short: the last instruction is not whole */
        if (k == OPK_CALL) {
            for (size_t u = extarg_prefix ? i - ext : i; u < end; u++)
                set_bit(bits, u);
        }
        ext = k == OPK_EXTARG ? ext + 1 : 0;
        i = end;
    }
    return i;
}
