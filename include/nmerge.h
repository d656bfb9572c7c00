/* SPDX-License-Identifier: MIT */
/* One mixed stack from a thread's native frames and its Python frames:
 * each run of Python frames one call of the interpreter's evaluation loop
 * ran takes the place of that call's evaluation-loop frame, and the
 * interpreter's own call machinery around it is left out. The two stacks
 * were read at slightly different instants: when their counts disagree
 * (evaluation-loop frames against the Python frames that were entered
 * from C, walk_frame.entry) the stack is refused, never guessed. */
#ifndef PROFTUI_NMERGE_H
#define PROFTUI_NMERGE_H

#include <stdint.h>

#include "nsample.h"
#include "nunwind.h"
#include "walker.h"

enum nmerge_kind {
    NMERGE_NATIVE,      /* a C frame to show */
    NMERGE_EVAL,        /* an evaluation-loop frame: one run of Python frames goes here */
    NMERGE_PLUMBING     /* the interpreter's call machinery around it: left out */
};

/* What a named native frame is: EVAL and PLUMBING only for names in the
 * interpreter's module (s->interp); a frame without a name is NATIVE.
 * The lists, and how they were found, are in nmerge.c and README "How
 * native and Python frames are merged". */
enum nmerge_kind nmerge_classify(const struct nsym *s);

/* The frame between the runs merged with native frames and the outer
 * runs of a copy that ended first (its native frames were not read: the
 * C frames between those outer runs are not known, so none is claimed). A
 * function of that name with an empty file. */
#define NMERGE_CUT "[native stack cut]"

/* One frame of a mixed stack: a Python frame (py set) or a native one;
 * py NULL and native.module NULL: the NMERGE_CUT marker. */
struct nmerge_item {
    const struct walk_frame *py;    /* borrowed from the walk_stack */
    struct nsym native;             /* when py is NULL */
};

/* The mixed stack of native frames nat[0..nn) (innermost first, named,
 * nn <= NUNWIND_MAX_DEPTH; sps[0..nn) their stack pointers, or NULL;
 * complete as nunwind_stack said) and the Python stack ws, innermost
 * first, into out[0..max).
 * Returns the count, or ERR_CORRUPT when the two disagree (the caller
 * counts it as a failed sample: WALK_FAIL_TORN in the mixed stacks, and
 * as a mismatch in the sampler's statistics).
 *
 * ws's frames split into g runs at its entry markers (a run ends at a
 * frame with entry set, or at the last frame). Each run takes the place
 * of the native frame that ran it, found:
 *
 * By address (3.12+: sps given and the runs' walk_frame.cstack known):
 * the frame whose stack range [sps[i], sps[i + 1]) holds the run's
 * C-stack entry frame, whatever its name (a stripped interpreter's
 * evaluation loop can be nameless: Debian's static 3.14/3.15). Refused
 * when an address lies above the leaf's stack pointer, two runs fall in
 * one frame or out of order or in a frame of another module, a complete
 * stack has no frame for a run, or a frame named EVAL holds no run (but
 * the outermost frame of a copy that ended, and the frame right outside
 * one that holds a run: a split part of the loop holds the locals).
 *
 * By name (sps NULL, <= 3.11, or the addresses not known): run i (from
 * the leaf) goes to EVAL frame i. With k EVAL frames they agree when:
 * complete, k == g; not complete (the copy ended), k <= g;
 * ws->truncated (root-side frames dropped), k >= g when complete, always
 * when not.
 *
 * PLUMBING frames are left out, and so are all frames outer of the last
 * frame a run took the place of (the stack starts at the Python root, as
 * the Python-only one does) unless there is none; runs whose frames are
 * past the end of a copy that ended follow root-ward with nothing between
 * them. NATIVE frames are kept, nameless ones too. out needs nn +
 * ws->depth items for every stack to fit; beyond max the root-side items
 * are left out (the count is then max). A failed ws (no frames) is
 * ERR_CORRUPT too: the caller records its own failure instead
 * (recorder_add_native). */
int nmerge_stack(const struct nsym *nat, const uint64_t *sps, int nn, int complete,
                 const struct walk_stack *ws, struct nmerge_item *out, int max);

/* Whether the sample's innermost native frames, up to the first
 * evaluation call, are the interpreter's own (the loop, or its call
 * machinery): no C frame stands above the innermost run of Python frames,
 * so that run may have changed between the two reads without a C frame
 * going under the wrong Python frame. nat[0..nn) innermost first. */
int nmerge_leaf_in_eval(const struct nsym *nat, int nn);

/* Whether the Python stack ws is the one of the native sample s where the
 * copy of its C stack can say. A pair read some microseconds apart in code
 * that calls back and forth between C and Python can agree on their counts
 * and still differ; the evaluation calls keep state on the C stack:
 * - 3.12+: each entry frame on the C stack (walk_frame.cstack of a run's
 *   outermost frame) points (its field at off_previous,
 *   _PyInterpreterFrame.previous) at the frame that called into C when s
 *   was taken: the frame the walk found next (the outer run's innermost);
 * - 3.11/3.12: each evaluation call's _PyCFrame (the innermost at
 *   walk_stack.cframe, then each one's previous, 8 bytes after its
 *   current_frame at off_cframe) points at the frame it was running when
 *   s was taken: run r's innermost frame, the leaf for the innermost; one
 *   below the sample's stack pointer belongs to a call that had returned.
 *   With leaf_in_eval (nmerge_leaf_in_eval) the innermost run's is not
 *   asked: nothing but Python frames goes above it, and the walk's are
 *   the newer (in a loop of Python calls it differs in most samples).
 * off_previous / off_cframe < 0: not that version's. Returns how many were
 * checked (those in the copy), or ERR_CORRUPT at the first that differs. */
int nmerge_check_links(const struct nsample *s, const struct walk_stack *ws, int leaf_in_eval,
                       int32_t off_previous,
                       int32_t off_cframe);

/* nmerge_stack with each run's evaluation call placed by the C-stack
 * address runaddr[r] (runs innermost first; 0: not known) instead of its
 * outermost frame's cstack: for 3.11, whose evaluation calls keep a
 * _PyCFrame on the C stack but no entry frame there. */
int nmerge_stack_at(const struct nsym *nat, const uint64_t *sps, int nn, int complete,
                    const struct walk_stack *ws, const uint64_t *runaddr, struct nmerge_item *out,
                    int max);

/* 3.11/3.12: the address of each run's _PyCFrame (a local of its
 * evaluation call), innermost first into runaddr[0..runs): the innermost
 * is walk_stack.cframe, each next one the previous (8 bytes after
 * current_frame at off_cframe) of the one before as the sample's copy has
 * it. Returns how many are known (the chain leaves the copy, or ends, at
 * the rest: 0). runaddr has room for WALK_MAX_DEPTH. */
int nmerge_cframe_runs(const struct nsample *s, const struct walk_stack *ws, int32_t off_cframe,
                       uint64_t *runaddr);

#endif
