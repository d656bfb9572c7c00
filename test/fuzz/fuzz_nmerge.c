/* SPDX-License-Identifier: MIT */
/* Fuzz target: nmerge_stack (nmerge.h) on random native and Python stacks.
 * Input: byte 0 flags (bit 0 complete, bit 1 the Python stack truncated,
 * bit 2 failed, bit 3 a small output bound from byte 1, bit 4 stack
 * pointers given, bit 5 one of them out of order); then one byte per
 * native frame up to a 0xff byte (its low 3 bits the kind of name: the
 * evaluation loop, a split part of it, its .cold part, machinery, a
 * function, a nameless frame, the loop's name in another module, another
 * module's function; the high 5 bits its frame's size); then one byte per
 * Python frame (bit 0: an entry; the rest: where its C-stack entry frame
 * is: none, inside a native frame, or below the leaf).
 * Invariants: the result is ERR_CORRUPT or a count within the bound; no
 * write past the bound; Python items are frames of the stack, each at most
 * once, leaf first; native items are input frames to show (NATIVE), each
 * at most once, innermost first; on a complete, agreeing stack that fits,
 * every Python frame is there. Violations abort. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecache.h"
#include "error.h"
#include "nmerge.h"
#include "walker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX (NUNWIND_MAX_DEPTH + WALK_MAX_DEPTH)

static void violation(const char *what)
{
    fprintf(stderr, "fuzz_nmerge: invariant broken: %s\n", what);
    abort();
}

static const char *const names[8] = {
    "_PyEval_EvalFrameDefault", "_PyEval_EvalFrameDefault.part.0", "_PyEval_EvalFrameDefault.cold",
    "_PyObject_VectorcallTstate", "builtin_sorted", NULL, "_PyEval_EvalFrameDefault", "read",
};

static struct nsym nat[NUNWIND_MAX_DEPTH];
static uint64_t sps[NUNWIND_MAX_DEPTH];
static struct walk_frame frames[WALK_MAX_DEPTH];
static struct code_entry code = {.name = "f", .file = "f.py"};
static struct nmerge_item out[OUT_MAX + 1];
static uint8_t seen_py[WALK_MAX_DEPTH], seen_nat[NUNWIND_MAX_DEPTH];

/* Parse the input into nat[0..*nn) and ws. */
static void parse(const uint8_t *data, size_t size, size_t i, int *nn, struct walk_stack *ws)
{
    *nn = 0;
    uint64_t sp = 0x7ffd00000000ull;
    for (; i < size && data[i] != 0xff && *nn < NUNWIND_MAX_DEPTH; i++) {
        int k = data[i] & 7;
        sps[*nn] = sp;
        sp += 16u * (unsigned)(data[i] >> 3);
        nat[*nn] = (struct nsym){.name = names[k], .module = k >= 6 ? "/lib/libc.so.6" : "/usr/bin/python3",
                                 .interp = k < 6, .offset = (uint64_t)*nn};
        (*nn)++;
    }
    while (i < size && data[i] != 0xff)
        i++;                   /* natives past the bound */
    for (i++; i < size && ws->depth < WALK_MAX_DEPTH; i++) {
        int t = (data[i] >> 1) % (*nn + 2);
        uint64_t cstack = t == 0 ? 0 : t == *nn + 1 ? sps[0] - 8 : sps[t - 1] + 8;
        frames[ws->depth++] = (struct walk_frame){.code = &code, .line = 1,
                                                  .entry = (uint8_t)(data[i] & 1),
                                                  .cstack = cstack};
    }
}

static void check_items(int n, int nn, const struct walk_stack *ws)
{
    int last_py = -1, last_nat = -1, npy = 0, cuts = 0;
    memset(seen_py, 0, sizeof seen_py);
    memset(seen_nat, 0, sizeof seen_nat);
    for (int i = 0; i < n; i++) {
        if (out[i].py) {
            long d = out[i].py - frames;
            if (d < 0 || d >= ws->depth || out[i].py != &frames[d])
                violation("a Python item is no frame of the stack");
            if (seen_py[d]++ || d <= last_py)
                violation("a Python frame twice or out of order");
            last_py = (int)d;
            npy++;
            continue;
        }
        if (!out[i].native.module) {
            /* the cut: once, after a merged part, before an outer run */
            if (cuts++ || i == 0 || i + 1 >= n || !out[i + 1].py ||
                strcmp(out[i].native.name, NMERGE_CUT) != 0)
                violation("a misplaced cut marker");
            continue;
        }
        uint64_t k = out[i].native.offset;
        if (k >= (uint64_t)nn || out[i].native.name != nat[k].name)
            violation("a native item is no input frame");
        if (seen_nat[k]++ || (int)k <= last_nat)
            violation("a native frame twice or out of order");
        if (nmerge_classify(&nat[k]) != NMERGE_NATIVE)
            violation("the evaluation loop or machinery shown");
        last_nat = (int)k;
    }
    if (npy > ws->depth)
        violation("more Python frames than given");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct walk_stack ws = {.frames = frames};
    int nn, complete = data[0] & 1;
    ws.truncated = (data[0] >> 1) & 1;
    ws.failed = (data[0] >> 2) & 1;
    parse(data, size, 2, &nn, &ws);
    if (ws.failed)
        ws.depth = 0;
    int max = data[0] & 8 ? data[1] % 16 : OUT_MAX;
    memset(&out[max], 0xa5, sizeof out[max]);
    if ((data[0] & 32) && nn > 1)
        sps[data[1] % nn] ^= 0x1000;
    int n = nmerge_stack(nat, data[0] & 16 ? sps : NULL, nn, complete, &ws, out, max);
    const uint8_t *canary = (const uint8_t *)&out[max];
    if (canary[0] != 0xa5 || canary[sizeof out[max] - 1] != 0xa5)
        violation("a write past the bound");
    if (n == ERR_CORRUPT)
        return 0;
    if (n < 0 || n > max)
        violation("a count out of bounds");
    if (ws.failed)
        violation("a failed stack merged");
    check_items(n, nn, &ws);
    int npy = 0;
    for (int i = 0; i < n; i++)
        npy += out[i].py != NULL;
    if (complete && !ws.truncated && n < max && npy != ws.depth)
        violation("a complete stack lost Python frames");
    return 0;
}
