/* SPDX-License-Identifier: MIT */
/* Private to opcodes.c: the generated per-version opcode tables. */
#ifndef PROFTUI_OPCODES_TABLES_H
#define PROFTUI_OPCODES_TABLES_H

#include <stdint.h>

#include "opcodes.h"

/* An entry: kind (enum opcode_kind) in the top 3 bits, inline cache units
 * in the low 5. */
#define OP(kind, caches) ((uint8_t)((kind) << 5 | (caches)))
#define OP_UNDEF OPK_UNDEF
#define OP_OTHER OPK_OTHER
#define OP_CALL OPK_CALL
#define OP_EXTARG OPK_EXTARG
#define OP_HIDDEN OPK_HIDDEN

extern const uint8_t opcodes_3_8[256], opcodes_3_9[256], opcodes_3_10[256], opcodes_3_11[256],
    opcodes_3_12[256], opcodes_3_13[256], opcodes_3_14[256], opcodes_3_15[256];

#endif
