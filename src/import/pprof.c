/* SPDX-License-Identifier: MIT */
#include "import.h"
int import_pprof(struct import_ctx *c, const uint8_t *data, size_t n) { return import_fail(c, "todo"); }
