/* SPDX-License-Identifier: MIT */
/* Choosing a built-in CPython layout table and checking that a layout (built
 * in, or refreshed from a target's _Py_DebugOffsets) is self-consistent. */
#include <stdbool.h>

#include "pylayout.h"
#include "error.h"
#include "layout_tables.h"

/* Generous ceilings for structs whose size the layout does not record. */
#define POINTER 8
#define OBJECT_HEAD_MAX 64     /* PyObject / PyVarObject header */
#define TYPE_MAX 1024          /* PyTypeObject (416 bytes in 3.14) */
#define HEAPTYPE_MAX 2048      /* PyHeapTypeObject (936 bytes in 3.14) */
#define SMALL_OBJECT_MAX 256   /* str, bytes, int, module, dict headers */
#define CFRAME_MAX 64          /* _PyCFrame */

/* Ceilings for the sizes the layout does record. */
#define RUNTIME_MAX (16 << 20)
#define INTERP_MAX (16 << 20)
#define TSTATE_MAX (64 << 10)
#define FRAME_MAX 1024
#define CODE_MAX 4096
#define GIL_MAX 1024           /* struct _gil_runtime_state (208 bytes) */

static const struct py_layout *find(int minor, int free_threaded)
{
    for (size_t i = 0; i < pylayout_ntables; i++)
        if (pylayout_tables[i]->minor == minor && pylayout_tables[i]->free_threaded == free_threaded)
            return pylayout_tables[i];
    return NULL;
}

const struct py_layout *pylayout_for_version(int major, int minor)
{
    return major == 3 ? find(minor, 0) : NULL;
}

const struct py_layout *pylayout_closest(int minor, int free_threaded)
{
    const struct py_layout *newest = NULL;
    for (size_t i = 0; i < pylayout_ntables; i++) {
        const struct py_layout *l = pylayout_tables[i];
        if (l->free_threaded == free_threaded && (!newest || l->minor > newest->minor))
            newest = l;
    }
    if (newest && minor > newest->minor)
        return newest;
    return find(minor, free_threaded);
}

int pylayout_min_minor(void)
{
    int min = pylayout_tables[0]->minor;
    for (size_t i = 1; i < pylayout_ntables; i++)
        if (pylayout_tables[i]->minor < min)
            min = pylayout_tables[i]->minor;
    return min;
}

int pylayout_max_minor(void)
{
    int max = pylayout_tables[0]->minor;
    for (size_t i = 1; i < pylayout_ntables; i++)
        if (pylayout_tables[i]->minor > max)
            max = pylayout_tables[i]->minor;
    return max;
}

/* One offset field: width bytes are read at off inside a struct of size limit. */
struct span {
    int32_t off;
    int32_t width;
    int32_t limit;
};

static bool span_ok(struct span s)
{
    if (s.off == OFF_NONE)
        return true;
    return s.off >= 0 && s.limit > 0 && s.width <= s.limit && s.off <= s.limit - s.width;
}

static bool size_ok(int32_t size, int32_t min, int32_t max)
{
    return size >= min && size <= max;
}

/* Every offset fits inside its struct. */
static bool spans_ok(const struct py_layout *l)
{
    const int32_t lasti_width = l->frame_model == FRAME_MODEL_OBJECT ? 4 : POINTER;
    const int32_t dk_size_width = l->dict_model == DICT_MODEL_38 ? 8 : 1;
    const struct span spans[] = {
        { l->runtime_interpreters_head, POINTER, l->runtime_size },
        { l->interp_next, POINTER, l->interp_size },
        { l->interp_threads_head, POINTER, l->interp_size },
        { l->interp_modules, POINTER, l->interp_size },
        { l->tstate_next, POINTER, l->tstate_size },
        { l->tstate_interp, POINTER, l->tstate_size },
        { l->tstate_frame, POINTER, l->tstate_size },
        { l->cframe_current_frame, POINTER, CFRAME_MAX },
        { l->tstate_thread_id, 8, l->tstate_size },
        { l->tstate_native_thread_id, 8, l->tstate_size },
        { l->tstate_datastack_chunk, POINTER, l->tstate_size },
        { l->tstate_gil_requested, 4, l->tstate_size },
        { l->runtime_gil, l->gil_size, l->runtime_size },
        { l->interp_gil_ptr, POINTER, l->interp_size },
        { l->gil_locked, 4, l->gil_size },
        { l->gil_last_holder, POINTER, l->gil_size },
        { l->runtime_gc_collecting, 4, l->runtime_size },
        { l->interp_gc_collecting, 4, l->interp_size },
        { l->frame_back, POINTER, l->frame_size },
        { l->frame_code, POINTER, l->frame_size },
        { l->frame_lasti, lasti_width, l->frame_size },
        { l->frame_owner, 1, l->frame_size },
        { l->frame_is_entry, 1, l->frame_size },
        { l->code_filename, POINTER, l->code_size },
        { l->code_name, POINTER, l->code_size },
        { l->code_qualname, POINTER, l->code_size },
        { l->code_firstlineno, 4, l->code_size },
        { l->code_linetable, POINTER, l->code_size },
        { l->code_code_adaptive, 1, l->code_size },
        { l->code_flags, 4, l->code_size },
        { l->code_framesize, 4, l->code_size },
        { l->ob_type, POINTER, OBJECT_HEAD_MAX },
        { l->var_ob_size, 8, OBJECT_HEAD_MAX },
        { l->type_name, POINTER, TYPE_MAX },
        { l->type_basicsize, 8, TYPE_MAX },
        { l->type_dictoffset, 8, TYPE_MAX },
        { l->type_flags, 8, TYPE_MAX },
        { l->heaptype_cached_keys, POINTER, HEAPTYPE_MAX },
        { l->unicode_length, 8, l->unicode_ascii_size },
        { l->unicode_state, 4, l->unicode_ascii_size },
        { l->bytes_size, 8, SMALL_OBJECT_MAX },
        { l->bytes_sval, 1, SMALL_OBJECT_MAX },
        { l->long_size_or_tag, 8, SMALL_OBJECT_MAX },
        { l->long_digits, 4, SMALL_OBJECT_MAX },
        { l->module_dict, POINTER, SMALL_OBJECT_MAX },
        { l->dict_used, 8, SMALL_OBJECT_MAX },
        { l->dict_keys, POINTER, SMALL_OBJECT_MAX },
        { l->dict_values, POINTER, SMALL_OBJECT_MAX },
        { l->dictkeys_size, dk_size_width, SMALL_OBJECT_MAX },
        { l->dictkeys_kind, 1, SMALL_OBJECT_MAX },
        { l->dictkeys_nentries, 8, SMALL_OBJECT_MAX },
        { l->dictkeys_indices, 1, SMALL_OBJECT_MAX },
        { l->dictkeys_log2_index_bytes, 1, SMALL_OBJECT_MAX },
        { l->dictvalues_values, POINTER, SMALL_OBJECT_MAX },
        { l->inline_values_offset_in_type, 8, TYPE_MAX },
    };

    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
        if (!span_ok(spans[i]))
            return false;
    return true;
}

static bool sizes_ok(const struct py_layout *l)
{
    return size_ok(l->runtime_size, 64, RUNTIME_MAX) &&
           size_ok(l->interp_size, 64, INTERP_MAX) &&
           size_ok(l->tstate_size, 64, TSTATE_MAX) &&
           size_ok(l->frame_size, 32, FRAME_MAX) &&
           size_ok(l->code_size, 64, CODE_MAX) &&
           (l->gil_size == 0 || size_ok(l->gil_size, 16, GIL_MAX)) &&
           size_ok(l->unicode_ascii_size, 24, SMALL_OBJECT_MAX) &&
           size_ok(l->unicode_compact_size, l->unicode_ascii_size, SMALL_OBJECT_MAX);
}

/* Fields every walker and name reader needs, whatever the version. */
static bool required_ok(const struct py_layout *l)
{
    const int32_t required[] = {
        l->runtime_interpreters_head, l->interp_next, l->interp_threads_head,
        l->interp_modules, l->tstate_next, l->tstate_interp, l->tstate_frame,
        l->tstate_thread_id, l->frame_back, l->frame_code, l->frame_lasti,
        l->code_filename, l->code_name, l->code_firstlineno, l->code_linetable,
        l->ob_type, l->var_ob_size, l->type_name, l->type_basicsize,
        l->type_dictoffset, l->type_flags, l->unicode_length, l->unicode_state,
        l->bytes_size, l->bytes_sval, l->long_size_or_tag, l->long_digits,
        l->module_dict, l->dict_used, l->dict_keys, l->dict_values,
        l->dictkeys_size, l->dictkeys_nentries, l->dictkeys_indices,
    };

    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (required[i] == OFF_NONE)
            return false;
    return true;
}

/* <= 3.10: PyFrameObject chain, int f_lasti, no 3.11+ extras. */
static bool object_model_ok(const struct py_layout *l)
{
    return (l->linetable == LINETABLE_LNOTAB || l->linetable == LINETABLE_PEP626) &&
           l->minor <= 10 &&
           l->frame_owner == OFF_NONE && l->frame_is_entry == OFF_NONE &&
           l->cframe_current_frame == OFF_NONE && l->code_qualname == OFF_NONE &&
           l->code_code_adaptive == OFF_NONE && l->tstate_native_thread_id == OFF_NONE &&
           l->tstate_datastack_chunk == OFF_NONE && l->owner_cstack == -1 &&
           l->owner_interpreter == -1 && l->lasti_is_prev == 0 && l->frame_code_tag_mask == 0;
}

static bool owner_value_ok(int v)
{
    return v >= -1 && v <= 127;
}

/* >= 3.11: _PyInterpreterFrame chain with an owner byte and code units
 * inside the code object. 3.11/3.12 reach the frame through a _PyCFrame. */
static bool interp_model_ok(const struct py_layout *l)
{
    bool via_cframe = l->minor == 11 || l->minor == 12;

    return l->linetable == LINETABLE_LOCATIONS && l->minor >= 11 &&
           l->frame_owner != OFF_NONE && l->code_qualname != OFF_NONE &&
           l->code_code_adaptive != OFF_NONE && l->tstate_native_thread_id != OFF_NONE &&
           l->tstate_datastack_chunk != OFF_NONE &&
           (l->cframe_current_frame != OFF_NONE) == via_cframe &&
           owner_value_ok(l->owner_cstack) && owner_value_ok(l->owner_interpreter) &&
           (l->owner_cstack == -1 || l->owner_cstack != l->owner_interpreter) &&
           (l->lasti_is_prev == 0 || l->lasti_is_prev == 1) &&
           l->frame_code_tag_mask < POINTER;   /* tags live below the pointer alignment */
}

static bool one_bit(unsigned long v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static bool dict_model_ok(const struct py_layout *l)
{
    bool inline_values = l->tpflags_inline_values != 0;

    if (inline_values != (l->inline_values_offset_in_type != OFF_NONE))
        return false;
    if (inline_values && (!one_bit(l->tpflags_inline_values) ||
                          l->tpflags_inline_values == l->tpflags_managed_dict))
        return false;
    if (l->dict_model == DICT_MODEL_38)
        return l->dictkeys_kind == OFF_NONE && l->dictkeys_log2_index_bytes == OFF_NONE &&
               l->dictvalues_values == OFF_NONE && l->tpflags_managed_dict == 0 &&
               l->managed_dict_offset == OFF_NONE && !inline_values &&
               l->heaptype_cached_keys == OFF_NONE;
    if (l->dict_model != DICT_MODEL_311)
        return false;
    /* The managed dict pointer lives in the pre-header, before the object. */
    return l->dictkeys_kind != OFF_NONE && l->dictkeys_log2_index_bytes != OFF_NONE &&
           l->dictvalues_values != OFF_NONE && l->heaptype_cached_keys != OFF_NONE &&
           one_bit(l->tpflags_managed_dict) &&
           l->managed_dict_offset < 0 && l->managed_dict_offset >= -8 * POINTER &&
           l->managed_dict_offset % POINTER == 0;
}

/* kind is 3 bits wide; compact and ascii one bit each; none may overlap. */
static bool unicode_bits_ok(const struct py_layout *l)
{
    int k = l->unicode_kind_shift, c = l->unicode_compact_bit, a = l->unicode_ascii_bit;

    if (k < 0 || k > 29 || c < 0 || c > 31 || a < 0 || a > 31 || c == a)
        return false;
    return (c < k || c > k + 2) && (a < k || a > k + 2);
}

int pylayout_check(const struct py_layout *l)
{
    if (!l || l->major != 3 || l->minor < 8 || l->minor > 99 ||
        (l->free_threaded != 0 && l->free_threaded != 1))
        return ERR_CORRUPT;
    bool model_ok = l->frame_model == FRAME_MODEL_OBJECT ? object_model_ok(l)
                  : l->frame_model == FRAME_MODEL_INTERP ? interp_model_ok(l)
                  : false;
    /* One place for the GIL: in _PyRuntime (<= 3.11) or behind the
     * interpreter's pointer (3.12+); the collector's flag likewise. */
    bool gil_ok = l->runtime_gil == OFF_NONE || l->interp_gil_ptr == OFF_NONE;
    bool gc_ok = l->runtime_gc_collecting == OFF_NONE || l->interp_gc_collecting == OFF_NONE;
    if (!model_ok || !gil_ok || !gc_ok || !sizes_ok(l) || !required_ok(l) || !spans_ok(l) ||
        !dict_model_ok(l) || !unicode_bits_ok(l) ||
        (l->long_tagged != 0 && l->long_tagged != 1))
        return ERR_CORRUPT;
    return 0;
}
