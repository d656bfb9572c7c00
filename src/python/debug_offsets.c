/* SPDX-License-Identifier: MIT */
/* Refreshing a layout from the _Py_DebugOffsets block that CPython 3.13+
 * keeps at the start of _PyRuntime. Each version's block is described as
 * data (where each field we use sits), chosen by the version the block
 * states; a version newer than every description is read with the newest.
 * The block comes from an untrusted process: every value is checked before
 * use. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "pylayout.h"
#include "error.h"
#include "reader.h"

/* _Py_DebugOffsets has no size field: its length is known per version. It
 * is all uint64_t, led by char cookie[8], version, free_threaded. */
#define WORD 8
#define HEADER_WORDS 3
#define COOKIE "xdebugpy"

/* The fields proftui takes from the block. */
enum dbg_field {
    DF_RUNTIME_SIZE, DF_RUNTIME_INTERP_HEAD,
    DF_INTERP_SIZE, DF_INTERP_NEXT, DF_INTERP_THREADS_HEAD, DF_INTERP_MODULES,
    DF_INTERP_GC, DF_INTERP_CEVAL_GIL, DF_INTERP_GIL, DF_INTERP_GIL_LOCKED, DF_INTERP_GIL_HOLDER,
    DF_TSTATE_SIZE, DF_TSTATE_GIL_REQUESTED, DF_TSTATE_NEXT, DF_TSTATE_INTERP, DF_TSTATE_FRAME,
    DF_TSTATE_THREAD_ID, DF_TSTATE_NATIVE_ID, DF_TSTATE_DATASTACK,
    DF_FRAME_SIZE, DF_FRAME_PREVIOUS, DF_FRAME_EXECUTABLE, DF_FRAME_INSTR_PTR, DF_FRAME_OWNER,
    DF_CODE_SIZE, DF_CODE_FILENAME, DF_CODE_NAME, DF_CODE_QUALNAME, DF_CODE_LINETABLE,
    DF_CODE_FIRSTLINENO, DF_CODE_ADAPTIVE,
    DF_OBJECT_SIZE, DF_OBJECT_TYPE,
    DF_TYPE_SIZE, DF_TYPE_NAME, DF_TYPE_FLAGS, DF_TYPE_BASICSIZE, DF_TYPE_DICTOFFSET,
    DF_HEAPTYPE_SIZE, DF_HEAPTYPE_CACHED_KEYS,
    DF_TUPLE_SIZE, DF_TUPLE_OB_SIZE,
    DF_DICT_SIZE, DF_DICT_KEYS, DF_DICT_VALUES,
    DF_LONG_SIZE, DF_LONG_TAG, DF_LONG_DIGIT,
    DF_BYTES_SIZE, DF_BYTES_OB_SIZE, DF_BYTES_SVAL,
    DF_STR_SIZE, DF_STR_STATE, DF_STR_LENGTH, DF_STR_ASCII_SIZE, DF_STR_COMPACT_SIZE,
    DF_GC_SIZE, DF_GC_COLLECTING, DF_GC_FRAME,
    DF_COUNT
};

/* One version's _Py_DebugOffsets: its length and the word index of each
 * field (0, the cookie's word, for a field that version lacks). */
struct dbg_shape {
    int minor;
    uint16_t words;
    uint8_t at[DF_COUNT];
};

static const struct dbg_shape shapes[] = {
    /* 3.13: Include/internal/pycore_runtime.h. */
    {13, 73, {
        [DF_RUNTIME_SIZE] = 3, [DF_RUNTIME_INTERP_HEAD] = 5,
        [DF_INTERP_SIZE] = 6, [DF_INTERP_NEXT] = 8, [DF_INTERP_THREADS_HEAD] = 9,
        [DF_INTERP_MODULES] = 11,
        [DF_INTERP_GC] = 10, [DF_INTERP_CEVAL_GIL] = 14, [DF_INTERP_GIL] = 15,
        [DF_INTERP_GIL_LOCKED] = 17, [DF_INTERP_GIL_HOLDER] = 18,
        [DF_TSTATE_SIZE] = 19, [DF_TSTATE_NEXT] = 21, [DF_TSTATE_INTERP] = 22,
        [DF_TSTATE_FRAME] = 23, [DF_TSTATE_THREAD_ID] = 24, [DF_TSTATE_NATIVE_ID] = 25,
        [DF_TSTATE_DATASTACK] = 26,
        [DF_FRAME_SIZE] = 28, [DF_FRAME_PREVIOUS] = 29, [DF_FRAME_EXECUTABLE] = 30,
        [DF_FRAME_INSTR_PTR] = 31, [DF_FRAME_OWNER] = 33,
        [DF_CODE_SIZE] = 34, [DF_CODE_FILENAME] = 35, [DF_CODE_NAME] = 36,
        [DF_CODE_QUALNAME] = 37, [DF_CODE_LINETABLE] = 38, [DF_CODE_FIRSTLINENO] = 39,
        [DF_CODE_ADAPTIVE] = 43,
        [DF_OBJECT_SIZE] = 44, [DF_OBJECT_TYPE] = 45,
        [DF_TYPE_SIZE] = 46, [DF_TYPE_NAME] = 47, [DF_TYPE_FLAGS] = 49,
        [DF_TUPLE_SIZE] = 50, [DF_TUPLE_OB_SIZE] = 52,
        [DF_DICT_SIZE] = 56, [DF_DICT_KEYS] = 57, [DF_DICT_VALUES] = 58,
        [DF_LONG_SIZE] = 61, [DF_LONG_TAG] = 62, [DF_LONG_DIGIT] = 63,
        [DF_BYTES_SIZE] = 64, [DF_BYTES_OB_SIZE] = 65, [DF_BYTES_SVAL] = 66,
        [DF_STR_SIZE] = 67, [DF_STR_STATE] = 68, [DF_STR_LENGTH] = 69, [DF_STR_ASCII_SIZE] = 70,
        [DF_GC_SIZE] = 71, [DF_GC_COLLECTING] = 72,
    }},
    /* 3.14: Include/internal/pycore_debug_offsets.h. New: threads_main and
     * two generation counters (interpreter), stackpointer and tlbc_index
     * (frame), co_tlbc, and the set, gen, llist and debugger sections. */
    {14, 95, {
        [DF_RUNTIME_SIZE] = 3, [DF_RUNTIME_INTERP_HEAD] = 5,
        [DF_INTERP_SIZE] = 6, [DF_INTERP_NEXT] = 8, [DF_INTERP_THREADS_HEAD] = 9,
        [DF_INTERP_MODULES] = 12,
        [DF_INTERP_GC] = 11, [DF_INTERP_CEVAL_GIL] = 15, [DF_INTERP_GIL] = 16,
        [DF_INTERP_GIL_LOCKED] = 18, [DF_INTERP_GIL_HOLDER] = 19,
        [DF_TSTATE_SIZE] = 22, [DF_TSTATE_NEXT] = 24, [DF_TSTATE_INTERP] = 25,
        [DF_TSTATE_FRAME] = 26, [DF_TSTATE_THREAD_ID] = 27, [DF_TSTATE_NATIVE_ID] = 28,
        [DF_TSTATE_DATASTACK] = 29,
        [DF_FRAME_SIZE] = 31, [DF_FRAME_PREVIOUS] = 32, [DF_FRAME_EXECUTABLE] = 33,
        [DF_FRAME_INSTR_PTR] = 34, [DF_FRAME_OWNER] = 36,
        [DF_CODE_SIZE] = 39, [DF_CODE_FILENAME] = 40, [DF_CODE_NAME] = 41,
        [DF_CODE_QUALNAME] = 42, [DF_CODE_LINETABLE] = 43, [DF_CODE_FIRSTLINENO] = 44,
        [DF_CODE_ADAPTIVE] = 48,
        [DF_OBJECT_SIZE] = 50, [DF_OBJECT_TYPE] = 51,
        [DF_TYPE_SIZE] = 52, [DF_TYPE_NAME] = 53, [DF_TYPE_FLAGS] = 55,
        [DF_TUPLE_SIZE] = 56, [DF_TUPLE_OB_SIZE] = 58,
        [DF_DICT_SIZE] = 66, [DF_DICT_KEYS] = 67, [DF_DICT_VALUES] = 68,
        [DF_LONG_SIZE] = 71, [DF_LONG_TAG] = 72, [DF_LONG_DIGIT] = 73,
        [DF_BYTES_SIZE] = 74, [DF_BYTES_OB_SIZE] = 75, [DF_BYTES_SVAL] = 76,
        [DF_STR_SIZE] = 77, [DF_STR_STATE] = 78, [DF_STR_LENGTH] = 79, [DF_STR_ASCII_SIZE] = 80,
        [DF_GC_SIZE] = 81, [DF_GC_COLLECTING] = 82,
    }},
    /* 3.15: the same file. New: base_frame, last_profiled_frame(_seq) before
     * thread_id and four fields after status (thread), err_stackitem,
     * tp_basicsize/tp_dictoffset, the heap_type section,
     * compactunicodeobject_size, three gc fields. */
    {15, 111, {
        [DF_RUNTIME_SIZE] = 3, [DF_RUNTIME_INTERP_HEAD] = 5,
        [DF_INTERP_SIZE] = 6, [DF_INTERP_NEXT] = 8, [DF_INTERP_THREADS_HEAD] = 9,
        [DF_INTERP_MODULES] = 12,
        [DF_INTERP_GC] = 11, [DF_INTERP_CEVAL_GIL] = 15, [DF_INTERP_GIL] = 16,
        [DF_INTERP_GIL_LOCKED] = 18, [DF_INTERP_GIL_HOLDER] = 19,
        [DF_TSTATE_SIZE] = 22, [DF_TSTATE_NEXT] = 24, [DF_TSTATE_INTERP] = 25,
        [DF_TSTATE_FRAME] = 26, [DF_TSTATE_THREAD_ID] = 30, [DF_TSTATE_NATIVE_ID] = 31,
        [DF_TSTATE_DATASTACK] = 32,
        [DF_FRAME_SIZE] = 39, [DF_FRAME_PREVIOUS] = 40, [DF_FRAME_EXECUTABLE] = 41,
        [DF_FRAME_INSTR_PTR] = 42, [DF_FRAME_OWNER] = 44,
        [DF_CODE_SIZE] = 47, [DF_CODE_FILENAME] = 48, [DF_CODE_NAME] = 49,
        [DF_CODE_QUALNAME] = 50, [DF_CODE_LINETABLE] = 51, [DF_CODE_FIRSTLINENO] = 52,
        [DF_CODE_ADAPTIVE] = 56,
        [DF_OBJECT_SIZE] = 58, [DF_OBJECT_TYPE] = 59,
        [DF_TYPE_SIZE] = 60, [DF_TYPE_NAME] = 61, [DF_TYPE_FLAGS] = 63,
        [DF_TYPE_BASICSIZE] = 64, [DF_TYPE_DICTOFFSET] = 65,
        [DF_HEAPTYPE_SIZE] = 66, [DF_HEAPTYPE_CACHED_KEYS] = 67,
        [DF_TUPLE_SIZE] = 68, [DF_TUPLE_OB_SIZE] = 70,
        [DF_DICT_SIZE] = 78, [DF_DICT_KEYS] = 79, [DF_DICT_VALUES] = 80,
        [DF_LONG_SIZE] = 83, [DF_LONG_TAG] = 84, [DF_LONG_DIGIT] = 85,
        [DF_BYTES_SIZE] = 86, [DF_BYTES_OB_SIZE] = 87, [DF_BYTES_SVAL] = 88,
        [DF_STR_SIZE] = 89, [DF_STR_STATE] = 90, [DF_STR_LENGTH] = 91, [DF_STR_ASCII_SIZE] = 92,
        [DF_STR_COMPACT_SIZE] = 93,
        [DF_TSTATE_GIL_REQUESTED] = 35, [DF_GC_SIZE] = 94, [DF_GC_COLLECTING] = 95,
        [DF_GC_FRAME] = 96,
    }},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])
#define MAX_WORDS 111   /* the longest shape */

/* How each field is used: an offset of `width` bytes inside the struct
 * whose size is field `in` (a size has in == itself and width 0), stored
 * into the int32_t member of struct py_layout at byte `member`, or nowhere
 * (-1: a size that only bounds other fields). */
struct dbg_use {
    uint8_t field, in, width;
    int16_t member;
};

#define M(name) ((int16_t)offsetof(struct py_layout, name))
static const struct dbg_use uses[] = {
    {DF_RUNTIME_SIZE, DF_RUNTIME_SIZE, 0, M(runtime_size)},
    {DF_RUNTIME_INTERP_HEAD, DF_RUNTIME_SIZE, 8, M(runtime_interpreters_head)},
    {DF_INTERP_SIZE, DF_INTERP_SIZE, 0, M(interp_size)},
    {DF_INTERP_NEXT, DF_INTERP_SIZE, 8, M(interp_next)},
    {DF_INTERP_THREADS_HEAD, DF_INTERP_SIZE, 8, M(interp_threads_head)},
    {DF_INTERP_MODULES, DF_INTERP_SIZE, 8, M(interp_modules)},
    {DF_TSTATE_SIZE, DF_TSTATE_SIZE, 0, M(tstate_size)},
    {DF_TSTATE_NEXT, DF_TSTATE_SIZE, 8, M(tstate_next)},
    {DF_TSTATE_INTERP, DF_TSTATE_SIZE, 8, M(tstate_interp)},
    {DF_TSTATE_FRAME, DF_TSTATE_SIZE, 8, M(tstate_frame)},
    {DF_TSTATE_THREAD_ID, DF_TSTATE_SIZE, 8, M(tstate_thread_id)},
    {DF_TSTATE_NATIVE_ID, DF_TSTATE_SIZE, 8, M(tstate_native_thread_id)},
    {DF_TSTATE_DATASTACK, DF_TSTATE_SIZE, 8, M(tstate_datastack_chunk)},
    {DF_TSTATE_GIL_REQUESTED, DF_TSTATE_SIZE, 4, M(tstate_gil_requested)},
    {DF_INTERP_CEVAL_GIL, DF_INTERP_SIZE, 8, M(interp_gil_ptr)},
    {DF_INTERP_GIL, DF_INTERP_SIZE, 0, -1},       /* the GIL fields: see apply_gil_gc() */
    {DF_INTERP_GIL_LOCKED, DF_INTERP_SIZE, 4, -1},
    {DF_INTERP_GIL_HOLDER, DF_INTERP_SIZE, 8, -1},
    {DF_GC_SIZE, DF_GC_SIZE, 0, -1},
    {DF_GC_COLLECTING, DF_GC_SIZE, 4, -1},
    {DF_GC_FRAME, DF_GC_SIZE, 8, -1},
    {DF_INTERP_GC, DF_INTERP_SIZE, 0, -1},
    {DF_FRAME_SIZE, DF_FRAME_SIZE, 0, M(frame_size)},
    {DF_FRAME_PREVIOUS, DF_FRAME_SIZE, 8, M(frame_back)},
    {DF_FRAME_EXECUTABLE, DF_FRAME_SIZE, 8, M(frame_code)},
    {DF_FRAME_INSTR_PTR, DF_FRAME_SIZE, 8, M(frame_lasti)},
    {DF_FRAME_OWNER, DF_FRAME_SIZE, 1, M(frame_owner)},
    {DF_CODE_SIZE, DF_CODE_SIZE, 0, M(code_size)},
    {DF_CODE_FILENAME, DF_CODE_SIZE, 8, M(code_filename)},
    {DF_CODE_NAME, DF_CODE_SIZE, 8, M(code_name)},
    {DF_CODE_QUALNAME, DF_CODE_SIZE, 8, M(code_qualname)},
    {DF_CODE_LINETABLE, DF_CODE_SIZE, 8, M(code_linetable)},
    {DF_CODE_FIRSTLINENO, DF_CODE_SIZE, 4, M(code_firstlineno)},
    {DF_CODE_ADAPTIVE, DF_CODE_SIZE, 1, M(code_code_adaptive)},
    {DF_OBJECT_SIZE, DF_OBJECT_SIZE, 0, -1},
    {DF_OBJECT_TYPE, DF_OBJECT_SIZE, 8, M(ob_type)},
    {DF_TYPE_SIZE, DF_TYPE_SIZE, 0, -1},
    {DF_TYPE_NAME, DF_TYPE_SIZE, 8, M(type_name)},
    {DF_TYPE_FLAGS, DF_TYPE_SIZE, 8, M(type_flags)},
    {DF_TYPE_BASICSIZE, DF_TYPE_SIZE, 8, M(type_basicsize)},
    {DF_TYPE_DICTOFFSET, DF_TYPE_SIZE, 8, M(type_dictoffset)},
    {DF_HEAPTYPE_SIZE, DF_HEAPTYPE_SIZE, 0, -1},
    {DF_HEAPTYPE_CACHED_KEYS, DF_HEAPTYPE_SIZE, 8, M(heaptype_cached_keys)},
    {DF_TUPLE_SIZE, DF_TUPLE_SIZE, 0, -1},
    {DF_TUPLE_OB_SIZE, DF_TUPLE_SIZE, 8, M(var_ob_size)},  /* PyVarObject.ob_size */
    {DF_DICT_SIZE, DF_DICT_SIZE, 0, -1},
    {DF_DICT_KEYS, DF_DICT_SIZE, 8, M(dict_keys)},
    {DF_DICT_VALUES, DF_DICT_SIZE, 8, M(dict_values)},
    {DF_LONG_SIZE, DF_LONG_SIZE, 0, -1},
    {DF_LONG_TAG, DF_LONG_SIZE, 8, M(long_size_or_tag)},
    {DF_LONG_DIGIT, DF_LONG_SIZE, 4, M(long_digits)},
    {DF_BYTES_SIZE, DF_BYTES_SIZE, 0, -1},
    {DF_BYTES_OB_SIZE, DF_BYTES_SIZE, 8, M(bytes_size)},
    {DF_BYTES_SVAL, DF_BYTES_SIZE, 1, M(bytes_sval)},
    {DF_STR_SIZE, DF_STR_SIZE, 0, -1},
    {DF_STR_ASCII_SIZE, DF_STR_SIZE, 0, M(unicode_ascii_size)},
    {DF_STR_COMPACT_SIZE, DF_STR_SIZE, 0, M(unicode_compact_size)},
    {DF_STR_STATE, DF_STR_ASCII_SIZE, 4, M(unicode_state)},   /* inside PyASCIIObject */
    {DF_STR_LENGTH, DF_STR_ASCII_SIZE, 8, M(unicode_length)},
};
#undef M

/* Members whose values are fixed by the object ABI of a kind of build
 * (PyObject, PyVarObject): a block that disagrees with the table is not
 * laid out the way its shape says (e.g. a newer version's sections moved). */
static const int16_t abi_members[] = {
    offsetof(struct py_layout, ob_type),
    offsetof(struct py_layout, var_ob_size),
    offsetof(struct py_layout, bytes_size),
};

/* Any offset or size above this is garbage (and would not fit an int32_t). */
#define DBG_VALUE_MAX (64u << 20)
/* A GIL field further than this from the GIL's start is not in it. */
#define GIL_VALUE_MAX 512

static int32_t *member(struct py_layout *l, int16_t at)
{
    return (int32_t *)(void *)((char *)l + at);
}

static uint64_t word(const uint8_t *block, int i)
{
    uint64_t v;
    memcpy(&v, block + (size_t)i * WORD, sizeof v);
    return v;
}

int pylayout_debug_header(struct reader *r, uint64_t runtime_addr, struct pylayout_debug_header *h)
{
    uint8_t raw[HEADER_WORDS * WORD];
    int rc = reader_read(r, runtime_addr, sizeof raw, raw);
    if (rc < 0)
        return rc;
    uint64_t version = word(raw, 1), ft = word(raw, 2);
    unsigned level = (unsigned)(version >> 4) & 0xf;
    /* version is PY_VERSION_HEX: 0xMMmmppLS, release level A, B, C or F. */
    if (memcmp(raw, COOKIE, WORD) != 0 || version >> 32 != 0 || ft > 1 ||
        (level != 0xA && level != 0xB && level != 0xC && level != 0xF) || version >> 24 == 0)
        return ERR_CORRUPT;
    h->hexversion = (uint32_t)version;
    h->free_threaded = (int)ft;
    return 0;
}

/* The shape for 3.minor: its own, or the newest for a newer minor. */
static const struct dbg_shape *shape_for(int minor, int *newer)
{
    const struct dbg_shape *newest = &shapes[NSHAPES - 1];
    *newer = minor > newest->minor;
    if (*newer)
        minor = newest->minor;
    for (size_t i = 0; i < NSHAPES; i++)
        if (shapes[i].minor == minor)
            return shapes[i].words <= MAX_WORDS ? &shapes[i] : NULL;
    return NULL;
}

/* width bytes at off lie inside a struct of size bytes. */
static bool fits(uint64_t off, uint64_t width, uint64_t size)
{
    return size <= DBG_VALUE_MAX && off <= size && width <= size - off;
}

/* Check every field the shape has and store it into *l. */
static bool apply(const struct dbg_shape *s, const uint8_t *block, struct py_layout *l)
{
    for (size_t i = 0; i < sizeof uses / sizeof uses[0]; i++) {
        const struct dbg_use *u = &uses[i];
        if (!s->at[u->field])
            continue;           /* an older block: the table's value stays */
        if (!s->at[u->in])
            return false;
        uint64_t v = word(block, s->at[u->field]), size = word(block, s->at[u->in]);
        if (!fits(v, u->width, size))
            return false;
        if (u->member >= 0)
            *member(l, u->member) = (int32_t)v;   /* exact: fits() bounded v */
    }
    return true;
}

/* The block gives the GIL's fields as offsets from the interpreter of its
 * embedded _gil (pycore_debug_offsets.h), but a subinterpreter may share
 * the main one's: the walker follows interp->ceval.gil, so it needs them
 * relative to the struct. Likewise gc.collecting inside interp->gc. The
 * generic checks in apply() have bounded every value by its struct. */
static bool apply_gil_gc(const struct dbg_shape *s, const uint8_t *block, struct py_layout *l)
{
    if (s->at[DF_INTERP_GIL] && s->at[DF_INTERP_GIL_LOCKED] && s->at[DF_INTERP_GIL_HOLDER]) {
        uint64_t gil = word(block, s->at[DF_INTERP_GIL]);
        uint64_t locked = word(block, s->at[DF_INTERP_GIL_LOCKED]);
        uint64_t holder = word(block, s->at[DF_INTERP_GIL_HOLDER]);
        if (locked < gil || holder < gil || locked - gil > GIL_VALUE_MAX || holder - gil > GIL_VALUE_MAX)
            return false;
        l->runtime_gil = OFF_NONE;
        l->gil_locked = (int32_t)(locked - gil);
        l->gil_last_holder = (int32_t)(holder - gil);
        int32_t end = l->gil_locked + 4 > l->gil_last_holder + 8 ? l->gil_locked + 4 : l->gil_last_holder + 8;
        l->gil_size = l->gil_size > end ? l->gil_size : end;
    }
    if (s->at[DF_INTERP_GC] && s->at[DF_GC_SIZE] && s->at[DF_GC_COLLECTING]) {
        uint64_t gc = word(block, s->at[DF_INTERP_GC]), size = word(block, s->at[DF_GC_SIZE]);
        uint64_t interp_size = word(block, s->at[DF_INTERP_SIZE]);
        uint64_t collecting = word(block, s->at[DF_GC_COLLECTING]);
        /* 3.15+: frame follows collecting in struct _gc_runtime_state */
        if (!fits(gc, size, interp_size) ||
            (s->at[DF_GC_FRAME] && word(block, s->at[DF_GC_FRAME]) <= collecting))
            return false;
        l->runtime_gc_collecting = OFF_NONE;
        l->interp_gc_collecting = (int32_t)(gc + collecting);
    }
    return true;
}

/* ERR_VERSION for a block of another version or kind of build than *out. */
static int header_matches(const struct pylayout_debug_header *h, const struct py_layout *out,
                          int newer)
{
    int major = (int)(h->hexversion >> 24), minor = (int)(h->hexversion >> 16) & 0xff;
    if (major != out->major || h->free_threaded != out->free_threaded)
        return ERR_VERSION;
    return minor == out->minor || (newer && minor > out->minor) ? 0 : ERR_VERSION;
}

static int fail(struct pylayout_debug_info *info, int rc, const char *why)
{
    if (info)
        info->why = why;
    return rc;
}

int pylayout_from_debug_offsets(struct reader *r, uint64_t runtime_addr, struct py_layout *out,
                                struct pylayout_debug_info *info)
{
    struct pylayout_debug_header h;
    uint8_t block[MAX_WORDS * WORD];
    int newer = 0;

    if (info)
        memset(info, 0, sizeof *info);
    int rc = pylayout_debug_header(r, runtime_addr, &h);
    if (rc < 0)
        return fail(info, rc, rc == ERR_CORRUPT ? "no valid _Py_DebugOffsets header" :
                              "_Py_DebugOffsets cannot be read");
    if (info)
        info->header = h;
    const struct dbg_shape *s = shape_for((int)(h.hexversion >> 16) & 0xff, &newer);
    if (!s || out->major != 3)
        return fail(info, ERR_VERSION, "no _Py_DebugOffsets layout for this version");
    if (header_matches(&h, out, newer && out->minor == s->minor) < 0)
        return fail(info, ERR_VERSION, "_Py_DebugOffsets of another version or build");
    if (info) {
        info->shape_minor = s->minor;
        info->newer = newer;
    }
    rc = reader_read(r, runtime_addr, (size_t)s->words * WORD, block);
    if (rc < 0)
        return fail(info, rc, "_Py_DebugOffsets cannot be read");

    struct py_layout fresh = *out;
    if (!apply(s, block, &fresh) || !apply_gil_gc(s, block, &fresh))
        return fail(info, ERR_CORRUPT, "_Py_DebugOffsets has offsets outside their structs");
    for (size_t i = 0; i < sizeof abi_members / sizeof abi_members[0]; i++)
        if (*member(&fresh, abi_members[i]) != *member(out, abi_members[i]))
            return fail(info, ERR_CORRUPT, "_Py_DebugOffsets disagrees with the object ABI");
    /* The block itself fills the start of _PyRuntime. */
    if (fresh.runtime_interpreters_head < s->words * WORD)
        return fail(info, ERR_CORRUPT, "_Py_DebugOffsets overlaps the interpreter list");
    fresh.minor = (int)(h.hexversion >> 16) & 0xff;
    if (pylayout_check(&fresh) < 0)
        return fail(info, ERR_CORRUPT, "_Py_DebugOffsets gives an inconsistent layout");
    *out = fresh;
    return 0;
}
