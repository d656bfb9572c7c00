/* SPDX-License-Identifier: MIT */
/* Refreshing a layout from the _Py_DebugOffsets block that CPython 3.13+
 * keeps at the start of _PyRuntime. The block comes from an untrusted
 * process: it is read once, then every value is checked before use. */
#include <stdbool.h>
#include <string.h>

#include "pylayout.h"
#include "error.h"
#include "reader.h"

/* Mirrors of _Py_DebugOffsets. Every member is a uint64_t, so these C structs
 * have no padding and match the target byte for byte. The sections below have
 * the same shape in 3.13 and 3.14. */
struct dbg_runtime { uint64_t size, finalizing, interpreters_head; };
struct dbg_tstate {
    uint64_t size, prev, next, interp, current_frame, thread_id, native_thread_id,
             datastack_chunk, status;
};
struct dbg_pyobject { uint64_t size, ob_type; };
struct dbg_type { uint64_t size, tp_name, tp_repr, tp_flags; };
struct dbg_seq { uint64_t size, ob_item, ob_size; };  /* tuple and list */
struct dbg_dict { uint64_t size, ma_keys, ma_values; };
struct dbg_float { uint64_t size, ob_fval; };
struct dbg_long { uint64_t size, lv_tag, ob_digit; };
struct dbg_bytes { uint64_t size, ob_size, ob_sval; };
struct dbg_unicode { uint64_t size, state, length, asciiobject_size; };
struct dbg_gc { uint64_t size, collecting; };

/* 3.13: Include/internal/pycore_runtime.h */
struct dbg_interp_313 {
    uint64_t size, id, next, threads_head, gc, imports_modules, sysdict, builtins,
             ceval_gil, gil_runtime_state, gil_runtime_state_enabled,
             gil_runtime_state_locked, gil_runtime_state_holder;
};
struct dbg_frame_313 { uint64_t size, previous, executable, instr_ptr, localsplus, owner; };
struct dbg_code_313 {
    uint64_t size, filename, name, qualname, linetable, firstlineno, argcount,
             localsplusnames, localspluskinds, co_code_adaptive;
};
struct debug_offsets_313 {
    char cookie[8];
    uint64_t version, free_threaded;
    struct dbg_runtime runtime_state;
    struct dbg_interp_313 interpreter_state;
    struct dbg_tstate thread_state;
    struct dbg_frame_313 interpreter_frame;
    struct dbg_code_313 code_object;
    struct dbg_pyobject pyobject;
    struct dbg_type type_object;
    struct dbg_seq tuple_object, list_object;
    struct dbg_dict dict_object;
    struct dbg_float float_object;
    struct dbg_long long_object;
    struct dbg_bytes bytes_object;
    struct dbg_unicode unicode_object;
    struct dbg_gc gc;
};

/* 3.14: Include/internal/pycore_debug_offsets.h. New: threads_main and the
 * generation counters in the interpreter section, stackpointer/tlbc_index in
 * the frame, co_tlbc, and the set, generator, llist and debugger sections. */
struct dbg_interp_314 {
    uint64_t size, id, next, threads_head, threads_main, gc, imports_modules, sysdict,
             builtins, ceval_gil, gil_runtime_state, gil_runtime_state_enabled,
             gil_runtime_state_locked, gil_runtime_state_holder,
             code_object_generation, tlbc_generation;
};
struct dbg_frame_314 {
    uint64_t size, previous, executable, instr_ptr, localsplus, owner, stackpointer,
             tlbc_index;
};
struct dbg_code_314 {
    uint64_t size, filename, name, qualname, linetable, firstlineno, argcount,
             localsplusnames, localspluskinds, co_code_adaptive, co_tlbc;
};
struct dbg_set { uint64_t size, used, table, mask; };
struct dbg_gen { uint64_t size, gi_name, gi_iframe, gi_frame_state; };
struct dbg_llist { uint64_t next, prev; };
struct dbg_debugger {
    uint64_t eval_breaker, remote_debugger_support, remote_debugging_enabled,
             debugger_pending_call, debugger_script_path, debugger_script_path_size;
};
struct debug_offsets_314 {
    char cookie[8];
    uint64_t version, free_threaded;
    struct dbg_runtime runtime_state;
    struct dbg_interp_314 interpreter_state;
    struct dbg_tstate thread_state;
    struct dbg_frame_314 interpreter_frame;
    struct dbg_code_314 code_object;
    struct dbg_pyobject pyobject;
    struct dbg_type type_object;
    struct dbg_seq tuple_object, list_object;
    struct dbg_set set_object;
    struct dbg_dict dict_object;
    struct dbg_float float_object;
    struct dbg_long long_object;
    struct dbg_bytes bytes_object;
    struct dbg_unicode unicode_object;
    struct dbg_gc gc;
    struct dbg_gen gen_object;
    struct dbg_llist llist_node;
    struct dbg_debugger debugger_support;
};

_Static_assert(sizeof(struct debug_offsets_313) == 584, "3.13 _Py_DebugOffsets is 73 words");
_Static_assert(sizeof(struct debug_offsets_314) == 760, "3.14 _Py_DebugOffsets is 95 words");

/* The values we use, whatever the version. */
struct dbg_view {
    uint64_t block_size;
    struct dbg_runtime runtime;
    uint64_t interp_size, interp_next, interp_threads_head, interp_modules;
    struct dbg_tstate tstate;
    uint64_t frame_size, frame_previous, frame_executable, frame_instr_ptr, frame_owner;
    uint64_t code_size, code_filename, code_name, code_qualname, code_linetable,
             code_firstlineno, code_adaptive;
    struct dbg_pyobject pyobject;
    struct dbg_type type;
    struct dbg_seq tuple;
    struct dbg_dict dict;
    struct dbg_long lng;
    struct dbg_bytes bytes;
    struct dbg_unicode unicode;
};

/* Copy the sections that moved between versions into a dbg_view. */
#define VIEW_FROM(view, d) do {                                             \
        (view)->block_size = sizeof *(d);                                   \
        (view)->runtime = (d)->runtime_state;                               \
        (view)->interp_size = (d)->interpreter_state.size;                  \
        (view)->interp_next = (d)->interpreter_state.next;                  \
        (view)->interp_threads_head = (d)->interpreter_state.threads_head;  \
        (view)->interp_modules = (d)->interpreter_state.imports_modules;    \
        (view)->tstate = (d)->thread_state;                                 \
        (view)->frame_size = (d)->interpreter_frame.size;                   \
        (view)->frame_previous = (d)->interpreter_frame.previous;           \
        (view)->frame_executable = (d)->interpreter_frame.executable;       \
        (view)->frame_instr_ptr = (d)->interpreter_frame.instr_ptr;         \
        (view)->frame_owner = (d)->interpreter_frame.owner;                 \
        (view)->code_size = (d)->code_object.size;                          \
        (view)->code_filename = (d)->code_object.filename;                  \
        (view)->code_name = (d)->code_object.name;                          \
        (view)->code_qualname = (d)->code_object.qualname;                  \
        (view)->code_linetable = (d)->code_object.linetable;                \
        (view)->code_firstlineno = (d)->code_object.firstlineno;            \
        (view)->code_adaptive = (d)->code_object.co_code_adaptive;          \
        (view)->pyobject = (d)->pyobject;                                   \
        (view)->type = (d)->type_object;                                    \
        (view)->tuple = (d)->tuple_object;                                  \
        (view)->dict = (d)->dict_object;                                    \
        (view)->lng = (d)->long_object;                                     \
        (view)->bytes = (d)->bytes_object;                                  \
        (view)->unicode = (d)->unicode_object;                              \
    } while (0)

/* Any offset or size above this is garbage (and would not fit an int32_t). */
#define DBG_VALUE_MAX (64u << 20)

/* width bytes at off lie inside a struct of size bytes. */
static bool fits(uint64_t off, uint64_t width, uint64_t size)
{
    return size <= DBG_VALUE_MAX && off <= size && width <= size - off;
}

/* Each field read through the layout must lie inside its struct; pointers
 * and Py_ssize_t are 8 bytes, firstlineno and ob_digit[0] 4, owner 1. */
static bool view_ok(const struct dbg_view *v)
{
    const struct { uint64_t off, width, size; } spans[] = {
        { v->runtime.interpreters_head, 8, v->runtime.size },
        { v->interp_next, 8, v->interp_size },
        { v->interp_threads_head, 8, v->interp_size },
        { v->interp_modules, 8, v->interp_size },
        { v->tstate.next, 8, v->tstate.size },
        { v->tstate.interp, 8, v->tstate.size },
        { v->tstate.current_frame, 8, v->tstate.size },
        { v->tstate.thread_id, 8, v->tstate.size },
        { v->tstate.native_thread_id, 8, v->tstate.size },
        { v->tstate.datastack_chunk, 8, v->tstate.size },
        { v->frame_previous, 8, v->frame_size },
        { v->frame_executable, 8, v->frame_size },
        { v->frame_instr_ptr, 8, v->frame_size },
        { v->frame_owner, 1, v->frame_size },
        { v->code_filename, 8, v->code_size },
        { v->code_name, 8, v->code_size },
        { v->code_qualname, 8, v->code_size },
        { v->code_linetable, 8, v->code_size },
        { v->code_firstlineno, 4, v->code_size },
        { v->code_adaptive, 1, v->code_size },
        { v->pyobject.ob_type, 8, v->pyobject.size },
        { v->type.tp_name, 8, v->type.size },
        { v->type.tp_flags, 8, v->type.size },
        { v->tuple.ob_size, 8, v->tuple.size },
        { v->dict.ma_keys, 8, v->dict.size },
        { v->dict.ma_values, 8, v->dict.size },
        { v->lng.lv_tag, 8, v->lng.size },
        { v->lng.ob_digit, 4, v->lng.size },
        { v->bytes.ob_size, 8, v->bytes.size },
        { v->bytes.ob_sval, 1, v->bytes.size },
        { v->unicode.length, 8, v->unicode.asciiobject_size },
        { v->unicode.state, 4, v->unicode.asciiobject_size },
        { v->unicode.asciiobject_size, 0, v->unicode.size },
    };

    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
        if (!fits(spans[i].off, spans[i].width, spans[i].size))
            return false;
    /* The debug block itself fills the start of _PyRuntime. */
    return v->runtime.interpreters_head >= v->block_size;
}

/* Overwrite what the target describes. view_ok() bounded every value below
 * DBG_VALUE_MAX, so the int32_t conversions are exact. */
static void view_apply(const struct dbg_view *v, struct py_layout *l)
{
    l->runtime_interpreters_head = (int32_t)v->runtime.interpreters_head;
    l->runtime_size = (int32_t)v->runtime.size;
    l->interp_next = (int32_t)v->interp_next;
    l->interp_threads_head = (int32_t)v->interp_threads_head;
    l->interp_modules = (int32_t)v->interp_modules;
    l->interp_size = (int32_t)v->interp_size;
    l->tstate_next = (int32_t)v->tstate.next;
    l->tstate_interp = (int32_t)v->tstate.interp;
    l->tstate_frame = (int32_t)v->tstate.current_frame;
    l->tstate_thread_id = (int32_t)v->tstate.thread_id;
    l->tstate_native_thread_id = (int32_t)v->tstate.native_thread_id;
    l->tstate_datastack_chunk = (int32_t)v->tstate.datastack_chunk;
    l->tstate_size = (int32_t)v->tstate.size;
    l->frame_back = (int32_t)v->frame_previous;
    l->frame_code = (int32_t)v->frame_executable;
    l->frame_lasti = (int32_t)v->frame_instr_ptr;
    l->frame_owner = (int32_t)v->frame_owner;
    l->frame_size = (int32_t)v->frame_size;
    l->code_filename = (int32_t)v->code_filename;
    l->code_name = (int32_t)v->code_name;
    l->code_qualname = (int32_t)v->code_qualname;
    l->code_firstlineno = (int32_t)v->code_firstlineno;
    l->code_linetable = (int32_t)v->code_linetable;
    l->code_code_adaptive = (int32_t)v->code_adaptive;
    l->code_size = (int32_t)v->code_size;
    l->ob_type = (int32_t)v->pyobject.ob_type;
    l->var_ob_size = (int32_t)v->tuple.ob_size;   /* PyTupleObject.ob_base.ob_size */
    l->type_name = (int32_t)v->type.tp_name;
    l->type_flags = (int32_t)v->type.tp_flags;
    l->dict_keys = (int32_t)v->dict.ma_keys;
    l->dict_values = (int32_t)v->dict.ma_values;
    l->long_size_or_tag = (int32_t)v->lng.lv_tag;
    l->long_digits = (int32_t)v->lng.ob_digit;
    l->bytes_size = (int32_t)v->bytes.ob_size;
    l->bytes_sval = (int32_t)v->bytes.ob_sval;
    l->unicode_length = (int32_t)v->unicode.length;
    l->unicode_state = (int32_t)v->unicode.state;
    l->unicode_ascii_size = (int32_t)v->unicode.asciiobject_size;
}

/* version is PY_VERSION_HEX: 0xMMmmppLS. ERR_CORRUPT for a value no
 * CPython would write, ERR_VERSION for a CPython other than the expected. */
static int check_header(const char cookie[8], uint64_t version, uint64_t free_threaded,
                        const struct py_layout *expect)
{
    unsigned level = (unsigned)(version >> 4) & 0xf;

    if (memcmp(cookie, "xdebugpy", 8) != 0 || version >> 32 != 0 || free_threaded > 1)
        return ERR_CORRUPT;
    if (level != 0xA && level != 0xB && level != 0xC && level != 0xF)
        return ERR_CORRUPT;
    if ((int)(version >> 24) != expect->major || (int)((version >> 16) & 0xff) != expect->minor)
        return ERR_VERSION;
    /* A free-threaded build has another object header and stack-ref tagging,
     * which no built-in table describes. */
    if (free_threaded)
        return ERR_VERSION;
    return 0;
}

int pylayout_from_debug_offsets(struct reader *r, uint64_t runtime_addr, struct py_layout *out)
{
    union {
        struct debug_offsets_313 v13;
        struct debug_offsets_314 v14;
    } raw;
    struct dbg_view view;
    size_t len;
    int rc;

    if (out->major != 3 || out->minor < 13 || out->minor > 14)
        return ERR_VERSION;
    len = out->minor == 13 ? sizeof raw.v13 : sizeof raw.v14;
    rc = reader_read(r, runtime_addr, len, &raw);
    if (rc < 0)
        return rc;
    if (out->minor == 13) {
        rc = check_header(raw.v13.cookie, raw.v13.version, raw.v13.free_threaded, out);
        VIEW_FROM(&view, &raw.v13);
    } else {
        rc = check_header(raw.v14.cookie, raw.v14.version, raw.v14.free_threaded, out);
        VIEW_FROM(&view, &raw.v14);
    }
    if (rc < 0)
        return rc;
    if (!view_ok(&view))
        return ERR_CORRUPT;

    struct py_layout fresh = *out;
    view_apply(&view, &fresh);
    if (pylayout_check(&fresh) < 0)
        return ERR_CORRUPT;
    *out = fresh;
    return 0;
}
