/* SPDX-License-Identifier: MIT */
/* CPython struct layouts as data: one table per (minor version, free-threaded
 * or not), generated from each version's internal headers by
 * tools/gen_layout.c, chosen once at attach. On 3.13+ the fields are
 * refreshed from the target's own _Py_DebugOffsets, so new patch releases
 * keep working and a minor version newer than the newest table can be tried
 * with that table. All offsets are in bytes; OFF_NONE marks a field the
 * version does not have. 64-bit only. */
#ifndef PROFTUI_PYLAYOUT_H
#define PROFTUI_PYLAYOUT_H

#include <stdint.h>
#include <stddef.h>

#define OFF_NONE (-1)

struct reader;

/* How a frame records its position and which line table format applies. */
enum py_frame_model {
    FRAME_MODEL_OBJECT = 1,   /* <= 3.10: PyFrameObject chain, int f_lasti */
    FRAME_MODEL_INTERP = 2,   /* >= 3.11: _PyInterpreterFrame chain, instruction pointer */
};

enum py_linetable_format {
    LINETABLE_LNOTAB = 1,     /* 3.8, 3.9: co_lnotab byte pairs, f_lasti in bytes */
    LINETABLE_PEP626 = 2,     /* 3.10: co_linetable, f_lasti in code units */
    LINETABLE_LOCATIONS = 3,  /* 3.11+: location table, varint entries */
};

/* How a dict stores its keys (for thread names). */
enum py_dict_model {
    DICT_MODEL_38 = 1,        /* 3.8-3.10: dk_size, dk_lookup, 24-byte entries */
    DICT_MODEL_311 = 2,       /* 3.11+: dk_log2_size, dk_kind; 16-byte entries for str keys */
};

struct py_layout {
    int major, minor;
    int free_threaded;                   /* 1: a Py_GIL_DISABLED build (3.13t+); no such table yet */
    enum py_frame_model frame_model;
    enum py_linetable_format linetable;

    /* _PyRuntime */
    int32_t runtime_interpreters_head;   /* interpreters.head */
    int32_t runtime_size;

    /* PyInterpreterState */
    int32_t interp_next;
    int32_t interp_threads_head;         /* tstate_head (<=3.10) / threads.head */
    int32_t interp_modules;              /* modules (<=3.11) / imports.modules */
    int32_t interp_size;

    /* PyThreadState */
    int32_t tstate_next;
    int32_t tstate_interp;
    int32_t tstate_frame;                /* frame (<=3.10), cframe (3.11, 3.12), current_frame (3.13+) */
    int32_t cframe_current_frame;        /* _PyCFrame.current_frame (3.11, 3.12) else OFF_NONE */
    int32_t tstate_thread_id;            /* pthread_t */
    int32_t tstate_native_thread_id;     /* OS tid (3.11+) else OFF_NONE */
    int32_t tstate_datastack_chunk;      /* 3.11+ else OFF_NONE */
    int32_t tstate_size;

    /* The GIL and the collector (see README "Thread state") */
    int32_t runtime_gil;                 /* _PyRuntime.ceval.gil, the one GIL (<=3.11) else OFF_NONE */
    int32_t interp_gil_ptr;              /* PyInterpreterState.ceval.gil, a pointer (3.12+) else OFF_NONE */
    int32_t gil_locked;                  /* _gil_runtime_state.locked (int) */
    int32_t gil_last_holder;             /* _gil_runtime_state.last_holder (PyThreadState *) */
    int32_t gil_size;                    /* sizeof(struct _gil_runtime_state) */
    int32_t runtime_gc_collecting;       /* _PyRuntime.gc.collecting (int, 3.8) else OFF_NONE */
    int32_t interp_gc_collecting;        /* PyInterpreterState.gc.collecting (int, 3.9+) else OFF_NONE */
    int32_t tstate_gil_requested;        /* PyThreadState.gil_requested (int, 3.15+) else OFF_NONE */

    /* PyFrameObject (<=3.10) or _PyInterpreterFrame (3.11+) */
    int32_t frame_back;                  /* f_back / previous */
    int32_t frame_code;                  /* f_code / f_executable (3.14: a tagged _PyStackRef) */
    int32_t frame_lasti;                 /* int f_lasti (<=3.10) / prev_instr (3.11, 3.12) / instr_ptr (3.13+) */
    int32_t frame_owner;                 /* char owner (3.11+) else OFF_NONE */
    int32_t frame_is_entry;              /* bool is_entry (3.11 only) else OFF_NONE */
    int32_t frame_size;                  /* bytes worth reading for one frame */
    int owner_cstack;                    /* owner value of C-stack shim frames (3.12+), else -1 */
    int owner_interpreter;               /* 3.14+: FRAME_OWNED_BY_INTERPRETER, else -1 */
    uint64_t frame_code_tag_mask;        /* 3.14+: tag bits of the _PyStackRef f_executable (Py_TAG_BITS) */
    int lasti_is_prev;                   /* 3.11/3.12: pointer is the last executed instruction; 3.13+: the current one */

    /* PyCodeObject */
    int32_t code_filename;
    int32_t code_name;
    int32_t code_qualname;               /* 3.11+ else OFF_NONE */
    int32_t code_firstlineno;            /* int */
    int32_t code_linetable;              /* co_lnotab (<=3.9) / co_linetable (bytes object) */
    int32_t code_code_adaptive;          /* first instruction inside the code object (3.11+) else OFF_NONE */
    int32_t code_flags;                  /* int co_flags; 0 (a table without it) or OFF_NONE: unknown */
    int32_t code_framesize;              /* int co_framesize, frame size in words (3.12+); 0 or OFF_NONE: unknown */
    int32_t code_size;                   /* sizeof(PyCodeObject), excluding the trailing bytecode */

    /* PyObject / PyVarObject / PyTypeObject */
    int32_t ob_type;
    int32_t var_ob_size;
    int32_t type_name;                   /* tp_name (const char *) */
    int32_t type_basicsize;
    int32_t type_dictoffset;             /* tp_dictoffset */
    int32_t type_flags;                  /* tp_flags (unsigned long) */
    int32_t heaptype_cached_keys;        /* ht_cached_keys (3.11+) else OFF_NONE */

    /* str: PyASCIIObject / PyCompactUnicodeObject */
    int32_t unicode_length;
    int32_t unicode_state;               /* the state bitfield word */
    int32_t unicode_ascii_size;          /* sizeof(PyASCIIObject): data of compact ASCII follows */
    int32_t unicode_compact_size;        /* sizeof(PyCompactUnicodeObject): data of compact non-ASCII follows */
    int unicode_kind_shift;              /* bit position of kind (3 bits) in the state word */
    int unicode_compact_bit;             /* bit position of compact */
    int unicode_ascii_bit;               /* bit position of ascii */

    /* bytes */
    int32_t bytes_size;                  /* ob_size */
    int32_t bytes_sval;                  /* ob_sval */

    /* int (for thread idents) */
    int32_t long_size_or_tag;            /* ob_size (<=3.11) / long_value.lv_tag (3.12+) */
    int32_t long_digits;                 /* ob_digit / long_value.ob_digit */
    int long_tagged;                     /* 3.12+: lv_tag encodes sign and count */

    /* module and dict (thread names) */
    int32_t module_dict;                 /* PyModuleObject.md_dict */
    enum py_dict_model dict_model;
    int32_t dict_used;                   /* ma_used */
    int32_t dict_keys;                   /* ma_keys */
    int32_t dict_values;                 /* ma_values */
    int32_t dictkeys_size;               /* dk_size (3.8-3.10, Py_ssize_t) / dk_log2_size (3.11+, uint8) */
    int32_t dictkeys_kind;               /* dk_kind (3.11+, uint8) else OFF_NONE */
    int32_t dictkeys_nentries;           /* dk_nentries */
    int32_t dictkeys_indices;            /* dk_indices */
    int32_t dictkeys_log2_index_bytes;   /* dk_log2_index_bytes (3.11+) else OFF_NONE */
    int32_t dictvalues_values;           /* PyDictValues.values (3.11+) else OFF_NONE */
    int32_t managed_dict_offset;         /* offset of the managed dict pointer from the object (negative, 3.11+; OFF_NONE otherwise) */
    int32_t inline_values_offset_in_type;/* 3.13+: flag-driven inline values; OFF_NONE otherwise */
    unsigned long tpflags_managed_dict;  /* Py_TPFLAGS_MANAGED_DICT (3.11+) else 0 */
    unsigned long tpflags_inline_values; /* Py_TPFLAGS_INLINE_VALUES (3.13+) else 0 */
};

/* The built-in table of the default (GIL) build of major.minor, or NULL
 * when we have none. */
const struct py_layout *pylayout_for_version(int major, int minor);

/* The table to start from for 3.minor (free_threaded: 1 for a Py_GIL_DISABLED
 * build): its own, or for a minor newer than every table the newest table
 * of that kind (to be refreshed from the target's _Py_DebugOffsets). NULL
 * when there is none: older than the oldest table, or no table of that kind. */
const struct py_layout *pylayout_closest(int minor, int free_threaded);

/* Oldest and newest minor versions (of 3.x) with a built-in table. */
int pylayout_min_minor(void);
int pylayout_max_minor(void);

/* The first words of _Py_DebugOffsets (3.13+), the same in every version. */
struct pylayout_debug_header {
    uint32_t hexversion;     /* PY_VERSION_HEX of the target, e.g. 0x030F02F0 */
    int free_threaded;       /* 1 for a Py_GIL_DISABLED build */
};

/* Read and check the cookie, version and free-threaded flag at the start of
 * the target's _PyRuntime. Returns 0, ERR_READ/ERR_EXITED, or ERR_CORRUPT
 * (no "xdebugpy" cookie, or a version or flag no CPython writes). */
int pylayout_debug_header(struct reader *r, uint64_t runtime_addr, struct pylayout_debug_header *h);

/* How pylayout_from_debug_offsets() read the block, for messages. */
struct pylayout_debug_info {
    struct pylayout_debug_header header;
    int shape_minor;         /* the _Py_DebugOffsets struct of 3.shape_minor was used */
    int newer;               /* 1: the target is newer than every struct and table we know */
    const char *why;         /* on failure: why the block was not used (static text) */
};

/* 3.13+: refresh *out, which holds pylayout_closest() of the target's
 * version, from the _Py_DebugOffsets block at the start of the target's
 * _PyRuntime, read with the struct layout of the block's own version (for a
 * version newer than we know: the newest known struct; info->newer is set
 * and out->minor becomes the target's). On failure *out is unchanged.
 * Returns 0, ERR_READ/ERR_EXITED, ERR_CORRUPT (bad cookie or implausible
 * values) or ERR_VERSION (not the version or kind of build *out is for).
 * info may be NULL. */
int pylayout_from_debug_offsets(struct reader *r, uint64_t runtime_addr, struct py_layout *out,
                                struct pylayout_debug_info *info);

/* Sanity checks on a layout (offsets inside struct sizes, etc.): 0 or ERR_CORRUPT. */
int pylayout_check(const struct py_layout *l);

#endif
