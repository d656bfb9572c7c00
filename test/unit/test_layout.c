/* SPDX-License-Identifier: MIT */
/* Tests the built-in CPython layout tables (sanity and known version facts),
 * the choice of a table by (version, free-threaded) and pylayout_check().
 * The _Py_DebugOffsets parser has its own test (test_debug_offsets.c). */
#include "check.h"
#include "pylayout.h"
#include "error.h"

#include <stdio.h>

static void test_tables(void)
{
    check(pylayout_min_minor() == 8, "oldest table is 3.%d, want 3.8", pylayout_min_minor());
    check(pylayout_max_minor() == 15, "newest table is 3.%d, want 3.15", pylayout_max_minor());
    check(pylayout_for_version(3, 7) == NULL, "3.7 must have no table");
    check(pylayout_for_version(3, pylayout_max_minor() + 1) == NULL, "no table past the newest");
    check(pylayout_for_version(2, 8) == NULL, "2.8 must have no table");
    for (int minor = 8; minor <= 15; minor++) {
        const struct py_layout *l = pylayout_for_version(3, minor);
        check(l != NULL, "3.%d: no table", minor);
        if (!l)
            continue;
        check(l->major == 3 && l->minor == minor, "3.%d: table says %d.%d", minor, l->major, l->minor);
        check(l->free_threaded == 0, "3.%d: the default build's table is free-threaded", minor);
        check(pylayout_check(l) == 0, "3.%d: table fails pylayout_check", minor);
    }
}

/* Facts from CPython's history that the tables must reflect. */
static void test_version_facts(int minor, const struct py_layout *l)
{
    int interp = minor >= 11;

    check(l->frame_model == (interp ? FRAME_MODEL_INTERP : FRAME_MODEL_OBJECT), "3.%d: frame model", minor);
    check(l->linetable == (minor <= 9 ? LINETABLE_LNOTAB : minor == 10 ? LINETABLE_PEP626
                                                                       : LINETABLE_LOCATIONS),
          "3.%d: line table format", minor);
    /* co_qualname and PyThreadState.native_thread_id and datastack_chunk
     * all arrived in 3.11 (Include/cpython/code.h, cpython/pystate.h). */
    check((l->code_qualname != OFF_NONE) == interp, "3.%d: co_qualname presence", minor);
    check((l->tstate_native_thread_id != OFF_NONE) == interp, "3.%d: native_thread_id presence", minor);
    check((l->tstate_datastack_chunk != OFF_NONE) == interp, "3.%d: datastack_chunk presence", minor);
    check((l->code_code_adaptive != OFF_NONE) == interp, "3.%d: co_code_adaptive presence", minor);
    /* tstate->cframe->current_frame in 3.11/3.12; tstate->current_frame from 3.13. */
    check((l->cframe_current_frame != OFF_NONE) == (minor == 11 || minor == 12), "3.%d: cframe", minor);
    check((l->frame_is_entry != OFF_NONE) == (minor == 11), "3.%d: is_entry only on 3.11", minor);
    check((l->frame_owner != OFF_NONE) == interp, "3.%d: owner presence", minor);
    /* FRAME_OWNED_BY_CSTACK = 3 in 3.12/3.13; 3.14 inserted
     * FRAME_OWNED_BY_INTERPRETER = 3 and moved CSTACK to 4; 3.15 dropped
     * CSTACK (pycore_interpframe_structs.h). */
    check(l->owner_cstack == (minor < 12 ? -1 : minor < 14 ? 3 : minor == 14 ? 4 : -1),
          "3.%d: owner_cstack %d", minor, l->owner_cstack);
    check(l->owner_interpreter == (minor >= 14 ? 3 : -1), "3.%d: owner_interpreter %d", minor, l->owner_interpreter);
    /* 3.14 made f_executable a _PyStackRef; GIL builds tag its low two bits
     * (Py_TAG_BITS in pycore_stackref.h). */
    check(l->frame_code_tag_mask == (minor >= 14 ? 3u : 0u), "3.%d: f_executable tag mask %#lx", minor,
          (unsigned long)l->frame_code_tag_mask);
    check(l->lasti_is_prev == (minor == 11 || minor == 12), "3.%d: lasti_is_prev", minor);
    check(l->long_tagged == (minor >= 12), "3.%d: long_tagged", minor);
    check(l->dict_model == (interp ? DICT_MODEL_311 : DICT_MODEL_38), "3.%d: dict model", minor);
    check((l->tpflags_inline_values != 0) == (minor >= 13), "3.%d: inline values flag", minor);
    check((l->tpflags_managed_dict != 0) == interp, "3.%d: managed dict flag", minor);
    if (interp) {
        /* co_code_adaptive is the trailing array of PyCodeObject. */
        check(l->code_code_adaptive < l->code_size && l->code_size - l->code_code_adaptive <= 8,
              "3.%d: co_code_adaptive %d is not the last member of %d bytes", minor,
              l->code_code_adaptive, l->code_size);
    }
    /* Every version's str state packs interned:2, kind:3, compact:1, ascii:1. */
    check(l->unicode_kind_shift == 2 && l->unicode_compact_bit == 5 && l->unicode_ascii_bit == 6,
          "3.%d: unicode state bits", minor);
}

/* Where the GIL and the collector's flag live (pycore_gil.h,
 * pycore_ceval_state.h, pycore_gc.h): one GIL in _PyRuntime.ceval up to
 * 3.11, behind interp->ceval.gil from 3.12 (per-interpreter GIL, PEP 684);
 * gc state in _PyRuntime in 3.8, per interpreter from 3.9;
 * PyThreadState.gil_requested new in 3.15. _gil_runtime_state starts with
 * interval, last_holder, locked in every version. */
static void test_gil_facts(int minor, const struct py_layout *l)
{
    check((l->runtime_gil != OFF_NONE) == (minor <= 11), "3.%d: GIL in _PyRuntime", minor);
    check((l->interp_gil_ptr != OFF_NONE) == (minor >= 12), "3.%d: GIL behind the interpreter", minor);
    check(l->gil_last_holder == 8 && l->gil_locked == 16, "3.%d: last_holder %d, locked %d", minor,
          (int)l->gil_last_holder, (int)l->gil_locked);
    check((l->runtime_gc_collecting != OFF_NONE) == (minor == 8), "3.%d: gc state in _PyRuntime", minor);
    check((l->interp_gc_collecting != OFF_NONE) == (minor >= 9), "3.%d: gc state per interpreter", minor);
    check((l->tstate_gil_requested != OFF_NONE) == (minor >= 15), "3.%d: gil_requested", minor);
    /* 3.13 moved ceval near the start of PyInterpreterState */
    if (minor >= 13)
        check(l->interp_gil_ptr < 64, "3.%d: ceval.gil at %d", minor, (int)l->interp_gil_ptr);
}

static void test_facts(void)
{
    for (int minor = 8; minor <= 15; minor++) {
        const struct py_layout *l = pylayout_for_version(3, minor);
        if (l) {
            test_version_facts(minor, l);
            test_gil_facts(minor, l);
        }
    }
    const struct py_layout *l11 = pylayout_for_version(3, 11), *l12 = pylayout_for_version(3, 12);
    /* PEP 623 removed PyASCIIObject.wstr in 3.12: one pointer less. */
    if (l11 && l12)
        check(l11->unicode_ascii_size - l12->unicode_ascii_size == 8, "3.12 dropped wstr");
}

/* The table to start from, keyed by (minor, free-threaded). */
static void test_closest(void)
{
    int newest = pylayout_max_minor();

    for (int minor = 8; minor <= newest; minor++)
        check(pylayout_closest(minor, 0) == pylayout_for_version(3, minor), "3.%d: closest is not its own", minor);
    /* A newer version starts from the newest table (then its debug offsets). */
    check(pylayout_closest(newest + 1, 0) == pylayout_for_version(3, newest), "3.%d: not the newest table", newest + 1);
    check(pylayout_closest(99, 0) == pylayout_for_version(3, newest), "3.99: not the newest table");
    check(pylayout_closest(7, 0) == NULL, "3.7 got a table");
    /* No free-threaded tables yet: every version of that kind has none. */
    for (int minor = 13; minor <= newest + 1; minor++)
        check(pylayout_closest(minor, 1) == NULL, "3.%dt got a table", minor);
}

/* Each broken copy of a valid table must be rejected. */
static void test_check_rejects(void)
{
    const struct py_layout *l12 = pylayout_for_version(3, 12), *l9 = pylayout_for_version(3, 9);
    struct py_layout b;

    if (!l12 || !l9)
        return;
    check(pylayout_check(NULL) == ERR_CORRUPT, "NULL layout accepted");
#define REJECT(base, stmt, what)                                               \
    do {                                                                       \
        b = *(base);                                                           \
        stmt;                                                                  \
        check(pylayout_check(&b) == ERR_CORRUPT, "accepted: %s", what);        \
    } while (0)
    REJECT(l12, b.frame_owner = b.frame_size, "owner at the frame's end");
    REJECT(l12, b.frame_lasti = b.frame_size - 4, "8-byte instr_ptr crossing the frame's end");
    REJECT(l12, b.code_filename = -8, "negative offset");
    REJECT(l12, b.frame_back = OFF_NONE, "missing frame back link");
    REJECT(l12, b.tstate_frame = OFF_NONE, "missing tstate frame");
    REJECT(l12, b.cframe_current_frame = OFF_NONE, "3.12 without cframe");
    REJECT(l12, b.frame_model = FRAME_MODEL_OBJECT, "3.12 with object frames");
    REJECT(l12, b.linetable = LINETABLE_LNOTAB, "3.12 with lnotab");
    REJECT(l12, b.frame_model = 0, "unknown frame model");
    REJECT(l12, b.dict_model = DICT_MODEL_38, "3.12 with the 3.8 dict");
    REJECT(l12, b.tpflags_managed_dict = 0x30, "two-bit flag");
    REJECT(l12, b.managed_dict_offset = 8, "managed dict after the header");
    REJECT(l12, b.unicode_compact_bit = b.unicode_kind_shift + 1, "compact bit inside kind");
    REJECT(l12, b.unicode_compact_size = b.unicode_ascii_size - 8, "compact smaller than ascii");
    REJECT(l12, b.long_tagged = 2, "non-boolean long_tagged");
    REJECT(l12, b.owner_cstack = 300, "owner out of char range");
    REJECT(l12, b.tstate_size = 0, "zero tstate size");
    REJECT(l12, b.runtime_gil = 0, "two GILs");
    REJECT(l12, b.gil_last_holder = b.gil_size - 4, "last_holder crossing the GIL's end");
    REJECT(l12, b.interp_gil_ptr = b.interp_size, "GIL pointer past the interpreter");
    REJECT(l9, b.runtime_gc_collecting = 0, "two gc states");
    REJECT(l9, b.runtime_gil = b.runtime_size - 8, "GIL crossing _PyRuntime's end");
    REJECT(l12, b.interp_size = 1 << 30, "absurd interpreter size");
    REJECT(l12, b.minor = 99 + 1, "absurd minor");
    REJECT(l9, b.code_qualname = 128, "co_qualname on 3.9");
    REJECT(l9, b.frame_owner = 40, "owner on 3.9");
    REJECT(l9, b.tpflags_inline_values = 4, "inline values flag without offset");
    REJECT(l9, b.frame_code_tag_mask = 3, "tagged f_code on 3.9");
    REJECT(l12, b.frame_code_tag_mask = 8, "a tag bit at or above the pointer alignment");
    REJECT(l12, b.free_threaded = 2, "non-boolean free_threaded");
#undef REJECT
}

int main(void)
{
    test_tables();
    test_facts();
    test_closest();
    test_check_rejects();
    if (check_failed) {
        printf("%d failure(s)\n", check_failed);
        return 1;
    }
    printf("layout: all tests passed\n");
    return 0;
}
