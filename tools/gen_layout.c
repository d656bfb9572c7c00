/* SPDX-License-Identifier: MIT */
/* Prints one struct py_layout initializer for the CPython whose headers it is
 * compiled against (see tools/gen_layout.sh). The only place in proftui where
 * version #ifs are allowed: everything else reads the generated data.
 *
 * Build (done by gen_layout.sh):
 *   cc -DPy_BUILD_CORE -I<prefix>/include -I<prefix>/include/python3.X \
 *      -I<prefix>/include/python3.X/internal gen_layout.c -o gen_layout
 * (<prefix>/include finds Debian's multiarch pyconfig.h.)
 * Nothing is linked from libpython: only offsetof()/sizeof() and a few
 * static inline helpers that do pointer arithmetic are used. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <frameobject.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#if PY_VERSION_HEX < 0x03080000
#error "proftui supports CPython 3.8 and newer"
#endif
#if PY_VERSION_HEX >= 0x03100000
/* Check each struct py_layout field against the new version's headers,
 * extend the #ifs below, then raise this bound and GEN_MAX_MINOR. */
#error "gen_layout.c has not been taught CPython 3.16+ yet"
#endif
#ifdef Py_GIL_DISABLED
/* Another object header and stack-ref tagging: proftui has no tables for
 * free-threaded builds yet (a new table would set .free_threaded = 1). */
#error "gen_layout.c does not generate tables for free-threaded builds"
#endif

#include "pycore_pystate.h"
#if PY_VERSION_HEX >= 0x03090000
#include "pycore_runtime.h"
#include "pycore_interp.h"
#endif
#if PY_VERSION_HEX >= 0x030A0000
#include "pycore_moduleobject.h"
#endif
#if PY_VERSION_HEX >= 0x030B0000
#include "pycore_frame.h"
#include "pycore_code.h"
#include "pycore_dict.h"
#include "pycore_object.h"
#endif
#if PY_VERSION_HEX >= 0x030E0000
#include "pycore_stackref.h"
#endif
#if PY_VERSION_HEX < 0x030B0000
#include <longintrepr.h>  /* 3.11 moved it to cpython/longintrepr.h, included by Python.h */
#endif

#if PY_VERSION_HEX < 0x030A0000
/* 3.8/3.9 keep PyModuleObject private to Objects/moduleobject.c; this mirrors
 * it (unchanged since 3.5): PyObject_HEAD, md_dict, md_def, md_state,
 * md_weaklist, md_name. */
typedef struct {
    PyObject_HEAD
    PyObject *md_dict;
    struct PyModuleDef *md_def;
    void *md_state;
    PyObject *md_weaklist;
    PyObject *md_name;
} PyModuleObject;
#endif

#if PY_VERSION_HEX < 0x030B0000
/* 3.8-3.10 keep the dict keys object private to Objects/dict-common.h; this
 * mirrors its field order (dk_lookup is a function pointer). */
struct gen_dictkeys {
    Py_ssize_t dk_refcnt;
    Py_ssize_t dk_size;
    void *dk_lookup;
    Py_ssize_t dk_usable;
    Py_ssize_t dk_nentries;
    char dk_indices[];
};
#endif

/* An offset or size; -1 prints as OFF_NONE. */
#define FIELD(name, value) print_offset(name, (long)(value))
/* A plain integer (version numbers, enum values, bit positions, flags). */
#define INT(name, value) printf("    .%s = %ld,\n", name, (long)(value))
#define ENUM(name, value) printf("    .%s = %s,\n", name, value)
#define FLAGS(name, value) printf("    .%s = 0x%lxUL,\n", name, (unsigned long)(value))

static void print_offset(const char *name, long value)
{
    if (value == -1)
        printf("    .%s = OFF_NONE,\n", name);
    else
        printf("    .%s = %ld,\n", name, value);
}

/* Bit position of the lowest set bit of the 32-bit word at off in obj: how a
 * bitfield's position is found without offsetof(). */
static int lowest_bit(const void *obj, size_t off)
{
    uint32_t word;
    memcpy(&word, (const char *)obj + off, sizeof word);
    for (int i = 0; i < 32; i++)
        if (word & (UINT32_C(1) << i))
            return i;
    return -1;
}

/* PyASCIIObject.state is an anonymous struct of bitfields (interned, kind,
 * compact, ascii, ...): set each field alone and see which bit lights up. */
static void print_unicode_bits(void)
{
    PyASCIIObject a;
    size_t off = offsetof(PyASCIIObject, state);

    memset(&a, 0, sizeof a);
    a.state.kind = 1;
    INT("unicode_kind_shift", lowest_bit(&a, off));
    memset(&a, 0, sizeof a);
    a.state.compact = 1;
    INT("unicode_compact_bit", lowest_bit(&a, off));
    memset(&a, 0, sizeof a);
    a.state.ascii = 1;
    INT("unicode_ascii_bit", lowest_bit(&a, off));
}

/* Offset of the managed __dict__ pointer from the object start (negative:
 * it sits in the pre-header), or OFF_NONE before 3.11. */
static long managed_dict_offset(void)
{
#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030D0000
    /* 3.12 has no MANAGED_DICT_OFFSET macro; the word is what
     * _PyObject_DictOrValuesPointer() returns (a dict pointer, or the values
     * pointer minus one: odd). Evaluate it on a fake object whose type
     * carries the flag (the helper asserts on it). */
    static PyTypeObject fake_type;
    static union { PyObject *align; char bytes[8 * sizeof(PyObject *)]; } buf;
    PyObject *obj = (PyObject *)(buf.bytes + 4 * sizeof(PyObject *));
    fake_type.tp_flags = Py_TPFLAGS_MANAGED_DICT;
    obj->ob_type = &fake_type;
    return (long)((char *)_PyObject_DictOrValuesPointer(obj) - (char *)obj);
#elif PY_VERSION_HEX >= 0x030B0000
    return (long)MANAGED_DICT_OFFSET;
#else
    return -1;
#endif
}

static void print_runtime_and_interp(void)
{
    FIELD("runtime_interpreters_head", offsetof(_PyRuntimeState, interpreters.head));
    FIELD("runtime_size", sizeof(_PyRuntimeState));
    FIELD("interp_next", offsetof(PyInterpreterState, next));
#if PY_VERSION_HEX >= 0x030B0000
    FIELD("interp_threads_head", offsetof(PyInterpreterState, threads.head));
#else
    FIELD("interp_threads_head", offsetof(PyInterpreterState, tstate_head));
#endif
#if PY_VERSION_HEX >= 0x030C0000
    FIELD("interp_modules", offsetof(PyInterpreterState, imports.modules));
#else
    FIELD("interp_modules", offsetof(PyInterpreterState, modules));
#endif
    FIELD("interp_size", sizeof(PyInterpreterState));
}

static void print_tstate(void)
{
    FIELD("tstate_next", offsetof(PyThreadState, next));
    FIELD("tstate_interp", offsetof(PyThreadState, interp));
#if PY_VERSION_HEX >= 0x030D0000
    FIELD("tstate_frame", offsetof(PyThreadState, current_frame));
    FIELD("cframe_current_frame", -1);
#elif PY_VERSION_HEX >= 0x030B0000
    FIELD("tstate_frame", offsetof(PyThreadState, cframe));
    FIELD("cframe_current_frame", offsetof(_PyCFrame, current_frame));
#else
    FIELD("tstate_frame", offsetof(PyThreadState, frame));
    FIELD("cframe_current_frame", -1);
#endif
    FIELD("tstate_thread_id", offsetof(PyThreadState, thread_id));
#if PY_VERSION_HEX >= 0x030B0000
    FIELD("tstate_native_thread_id", offsetof(PyThreadState, native_thread_id));
    FIELD("tstate_datastack_chunk", offsetof(PyThreadState, datastack_chunk));
#else
    FIELD("tstate_native_thread_id", -1);
    FIELD("tstate_datastack_chunk", -1);
#endif
    FIELD("tstate_size", sizeof(PyThreadState));
}

/* The GIL (locked, last_holder) and the collector's flag. <= 3.11: one
 * GIL in _PyRuntime.ceval; 3.12+: interp->ceval.gil points to the GIL the
 * interpreter uses (its own _gil, or the main interpreter's when shared).
 * 3.8: the collector's state is _PyRuntime.gc; 3.9+: interp->gc. 3.15 adds
 * PyThreadState.gil_requested, set while the thread waits in take_gil(). */
static void print_gil_and_gc(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    FIELD("runtime_gil", -1);
    FIELD("interp_gil_ptr", offsetof(PyInterpreterState, ceval.gil));
#else
    FIELD("runtime_gil", offsetof(_PyRuntimeState, ceval.gil));
    FIELD("interp_gil_ptr", -1);
#endif
    FIELD("gil_locked", offsetof(struct _gil_runtime_state, locked));
    FIELD("gil_last_holder", offsetof(struct _gil_runtime_state, last_holder));
    FIELD("gil_size", sizeof(struct _gil_runtime_state));
#if PY_VERSION_HEX >= 0x03090000
    FIELD("runtime_gc_collecting", -1);
    FIELD("interp_gc_collecting", offsetof(PyInterpreterState, gc.collecting));
#else
    FIELD("runtime_gc_collecting", offsetof(_PyRuntimeState, gc.collecting));
    FIELD("interp_gc_collecting", -1);
#endif
#if PY_VERSION_HEX >= 0x030F0000
    FIELD("tstate_gil_requested", offsetof(PyThreadState, gil_requested));
#else
    FIELD("tstate_gil_requested", -1);
#endif
}

static void print_frame(void)
{
#if PY_VERSION_HEX >= 0x030B0000
    FIELD("frame_back", offsetof(_PyInterpreterFrame, previous));
#if PY_VERSION_HEX >= 0x030D0000
    FIELD("frame_code", offsetof(_PyInterpreterFrame, f_executable));
    FIELD("frame_lasti", offsetof(_PyInterpreterFrame, instr_ptr));
#else
    FIELD("frame_code", offsetof(_PyInterpreterFrame, f_code));
    FIELD("frame_lasti", offsetof(_PyInterpreterFrame, prev_instr));
#endif
    FIELD("frame_owner", offsetof(_PyInterpreterFrame, owner));
#if PY_VERSION_HEX < 0x030C0000
    FIELD("frame_is_entry", offsetof(_PyInterpreterFrame, is_entry));
#else
    FIELD("frame_is_entry", -1);
#endif
    FIELD("frame_size", sizeof(_PyInterpreterFrame));
    /* FRAME_OWNED_BY_CSTACK: 3 in 3.12/3.13, 4 in 3.14 (after the new
     * FRAME_OWNED_BY_INTERPRETER = 3), gone in 3.15. */
#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030F0000
    INT("owner_cstack", FRAME_OWNED_BY_CSTACK);
#else
    INT("owner_cstack", -1);
#endif
#if PY_VERSION_HEX >= 0x030E0000
    INT("owner_interpreter", FRAME_OWNED_BY_INTERPRETER);
    /* f_executable is a _PyStackRef: Py_TAG_BITS are tags, not address. */
    FLAGS("frame_code_tag_mask", Py_TAG_BITS);
#else
    INT("owner_interpreter", -1);
    FLAGS("frame_code_tag_mask", 0);
#endif
    /* 3.11/3.12 keep prev_instr; 3.13 switched to instr_ptr, the current one. */
    INT("lasti_is_prev", PY_VERSION_HEX < 0x030D0000);
#else
    FIELD("frame_back", offsetof(PyFrameObject, f_back));
    FIELD("frame_code", offsetof(PyFrameObject, f_code));
    FIELD("frame_lasti", offsetof(PyFrameObject, f_lasti));
    FIELD("frame_owner", -1);
    FIELD("frame_is_entry", -1);
    FIELD("frame_size", sizeof(PyFrameObject));
    INT("owner_cstack", -1);
    INT("owner_interpreter", -1);
    FLAGS("frame_code_tag_mask", 0);
    INT("lasti_is_prev", 0);
#endif
}

static void print_code(void)
{
    FIELD("code_filename", offsetof(PyCodeObject, co_filename));
    FIELD("code_name", offsetof(PyCodeObject, co_name));
#if PY_VERSION_HEX >= 0x030B0000
    FIELD("code_qualname", offsetof(PyCodeObject, co_qualname));
#else
    FIELD("code_qualname", -1);
#endif
    FIELD("code_firstlineno", offsetof(PyCodeObject, co_firstlineno));
#if PY_VERSION_HEX >= 0x030A0000
    FIELD("code_linetable", offsetof(PyCodeObject, co_linetable));
#else
    FIELD("code_linetable", offsetof(PyCodeObject, co_lnotab));
#endif
#if PY_VERSION_HEX >= 0x030B0000
    FIELD("code_code_adaptive", offsetof(PyCodeObject, co_code_adaptive));
#else
    FIELD("code_code_adaptive", -1);
#endif
    FIELD("code_flags", offsetof(PyCodeObject, co_flags));
    /* 3.11 sizes a frame from co_nlocalsplus + co_stacksize; 3.12 keeps it. */
#if PY_VERSION_HEX >= 0x030C0000
    FIELD("code_framesize", offsetof(PyCodeObject, co_framesize));
#else
    FIELD("code_framesize", -1);
#endif
    FIELD("code_size", sizeof(PyCodeObject));
}

static void print_objects(void)
{
    FIELD("ob_type", offsetof(PyObject, ob_type));
    FIELD("var_ob_size", offsetof(PyVarObject, ob_size));
    FIELD("type_name", offsetof(PyTypeObject, tp_name));
    FIELD("type_basicsize", offsetof(PyTypeObject, tp_basicsize));
    FIELD("type_dictoffset", offsetof(PyTypeObject, tp_dictoffset));
    FIELD("type_flags", offsetof(PyTypeObject, tp_flags));
#if PY_VERSION_HEX >= 0x030B0000
    FIELD("heaptype_cached_keys", offsetof(PyHeapTypeObject, ht_cached_keys));
#else
    FIELD("heaptype_cached_keys", -1);
#endif
    FIELD("unicode_length", offsetof(PyASCIIObject, length));
    FIELD("unicode_state", offsetof(PyASCIIObject, state));
    FIELD("unicode_ascii_size", sizeof(PyASCIIObject));
    FIELD("unicode_compact_size", sizeof(PyCompactUnicodeObject));
    print_unicode_bits();
    FIELD("bytes_size", offsetof(PyBytesObject, ob_base.ob_size));
    FIELD("bytes_sval", offsetof(PyBytesObject, ob_sval));
#if PY_VERSION_HEX >= 0x030C0000
    FIELD("long_size_or_tag", offsetof(PyLongObject, long_value.lv_tag));
    FIELD("long_digits", offsetof(PyLongObject, long_value.ob_digit));
    INT("long_tagged", 1);
#else
    FIELD("long_size_or_tag", offsetof(PyLongObject, ob_base.ob_size));
    FIELD("long_digits", offsetof(PyLongObject, ob_digit));
    INT("long_tagged", 0);
#endif
}

static void print_dicts(void)
{
    FIELD("module_dict", offsetof(PyModuleObject, md_dict));
    FIELD("dict_used", offsetof(PyDictObject, ma_used));
    FIELD("dict_keys", offsetof(PyDictObject, ma_keys));
    FIELD("dict_values", offsetof(PyDictObject, ma_values));
#if PY_VERSION_HEX >= 0x030B0000
    ENUM("dict_model", "DICT_MODEL_311");
    FIELD("dictkeys_size", offsetof(PyDictKeysObject, dk_log2_size));
    FIELD("dictkeys_kind", offsetof(PyDictKeysObject, dk_kind));
    FIELD("dictkeys_nentries", offsetof(PyDictKeysObject, dk_nentries));
    FIELD("dictkeys_indices", offsetof(PyDictKeysObject, dk_indices));
    FIELD("dictkeys_log2_index_bytes", offsetof(PyDictKeysObject, dk_log2_index_bytes));
    FIELD("dictvalues_values", offsetof(PyDictValues, values));
    FLAGS("tpflags_managed_dict", Py_TPFLAGS_MANAGED_DICT);
#else
    ENUM("dict_model", "DICT_MODEL_38");
    FIELD("dictkeys_size", offsetof(struct gen_dictkeys, dk_size));
    FIELD("dictkeys_kind", -1);
    FIELD("dictkeys_nentries", offsetof(struct gen_dictkeys, dk_nentries));
    FIELD("dictkeys_indices", offsetof(struct gen_dictkeys, dk_indices));
    FIELD("dictkeys_log2_index_bytes", -1);
    FIELD("dictvalues_values", -1);
    FLAGS("tpflags_managed_dict", 0);
#endif
    FIELD("managed_dict_offset", managed_dict_offset());
#if PY_VERSION_HEX >= 0x030D0000
    /* _PyObject_InlineValues(): the values follow the object's basic size. */
    FIELD("inline_values_offset_in_type", offsetof(PyTypeObject, tp_basicsize));
    FLAGS("tpflags_inline_values", Py_TPFLAGS_INLINE_VALUES);
#else
    FIELD("inline_values_offset_in_type", -1);
    FLAGS("tpflags_inline_values", 0);
#endif
}

int main(void)
{
    int minor = PY_MINOR_VERSION;

    printf("/* Generated by tools/gen_layout.c from the CPython %s headers. */\n", PY_VERSION);
    printf("static const struct py_layout layout_3_%d = {\n", minor);
    INT("major", PY_MAJOR_VERSION);
    INT("minor", minor);
    INT("free_threaded", 0);
    ENUM("frame_model", PY_VERSION_HEX >= 0x030B0000 ? "FRAME_MODEL_INTERP" : "FRAME_MODEL_OBJECT");
    ENUM("linetable", PY_VERSION_HEX >= 0x030B0000 ? "LINETABLE_LOCATIONS"
                    : PY_VERSION_HEX >= 0x030A0000 ? "LINETABLE_PEP626" : "LINETABLE_LNOTAB");
    print_runtime_and_interp();
    print_tstate();
    print_gil_and_gc();
    print_frame();
    print_code();
    print_objects();
    print_dicts();
    printf("};\n");
    return ferror(stdout) ? 1 : 0;
}
