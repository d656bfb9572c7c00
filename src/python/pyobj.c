/* SPDX-License-Identifier: MIT */
/* Type names and instance-attribute storage of target objects, per version. */
#include "pyobj.h"

#include <string.h>

#include "error.h"
#include "pydict.h"
#include "pylayout.h"
#include "reader.h"

#define PTR 8u
#define TYPE_HEADER_MAX 512    /* the PyTypeObject fields we need lie well inside this */
#define BASICSIZE_MAX 65536    /* plausibility bound for tp_basicsize / tp_dictoffset */
#define PAGE 4096u

/* Py_TPFLAGS_HEAPTYPE (Include/object.h), the same bit in every 3.x:
 * only heap types are PyHeapTypeObjects with ht_cached_keys. */
#define TPFLAGS_HEAPTYPE (1ul << 9)

/* TODO(pylayout): struct py_layout does not describe the memory before and
 * after a managed-dict object yet. Until it does, these facts from
 * Include/internal/pycore_object.h and pycore_dict.h live here:
 *  - 3.11: _PyObject_ValuesPointer() is obj - 4 words (PyDictValues *),
 *    the dict pointer obj - 3 words (managed_dict_offset);
 *  - 3.12: one PyDictOrValues word at obj - 3 words: an odd value is the
 *    PyDictValues pointer minus one, an even one the dict;
 *  - 3.13: PyDictValues inline after the object (where is given by
 *    inline_values_offset_in_type), led by uint8_t capacity (byte 0) and
 *    valid (byte 3); the dict pointer stays at managed_dict_offset. */
#define VALUES_PTR_OFFSET_311 (-4 * 8)
#define DICTVALUES_CAPACITY 0
#define DICTVALUES_VALID 3
#define DICTVALUES_PREFIX 4

enum managed_model {
    MANAGED_NONE,     /* dict pointer at tp_dictoffset, if any */
    MANAGED_SPLIT,    /* 3.11 */
    MANAGED_TAGGED,   /* 3.12 */
    MANAGED_INLINE,   /* 3.13+ */
};

struct typeinfo {
    uint64_t addr;
    unsigned long flags;
    int64_t basicsize;
    int64_t dictoffset;
    int64_t inline_offset;    /* 3.13+: inline values at obj + this; else -1 */
};

static enum managed_model managed_model(const struct py_layout *l, unsigned long flags)
{
    if (!l->tpflags_managed_dict || !(flags & l->tpflags_managed_dict))
        return MANAGED_NONE;
    if (l->tpflags_inline_values)
        return MANAGED_INLINE;
    return l->minor == 11 ? MANAGED_SPLIT : MANAGED_TAGGED;
}

static int64_t load_i64(const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static int type_read(struct reader *r, const struct py_layout *l, uint64_t obj, struct typeinfo *ti)
{
    uint8_t h[TYPE_HEADER_MAX];
    int32_t hi = l->type_flags;
    hi = l->type_basicsize > hi ? l->type_basicsize : hi;
    hi = l->type_dictoffset > hi ? l->type_dictoffset : hi;
    hi = l->inline_values_offset_in_type > hi ? l->inline_values_offset_in_type : hi;
    if (l->ob_type < 0 || l->type_flags < 0 || l->type_basicsize < 0 || l->type_dictoffset < 0 ||
        hi + (int32_t)PTR > TYPE_HEADER_MAX)
        return ERR_CORRUPT;
    if (!reader_addr_ok(obj, PTR))
        return ERR_CORRUPT;
    int rc = reader_read_ptr(r, obj + (uint64_t)l->ob_type, &ti->addr);
    if (rc < 0)
        return rc;
    if (!reader_addr_ok(ti->addr, PTR))
        return ERR_CORRUPT;
    rc = reader_read(r, ti->addr, (size_t)hi + PTR, h);
    if (rc < 0)
        return rc;
    ti->flags = (unsigned long)load_i64(h + l->type_flags);
    ti->basicsize = load_i64(h + l->type_basicsize);
    ti->dictoffset = load_i64(h + l->type_dictoffset);
    /* 3.13+: the type field that gives where inline values start
     * (tp_basicsize: _PyObject_InlineValues() in pycore_object.h). */
    ti->inline_offset = l->inline_values_offset_in_type >= 0
                            ? load_i64(h + l->inline_values_offset_in_type) : -1;
    if (ti->basicsize < (int64_t)(2 * PTR) || ti->basicsize > BASICSIZE_MAX ||
        ti->dictoffset > BASICSIZE_MAX || ti->dictoffset < -BASICSIZE_MAX ||
        ti->inline_offset > BASICSIZE_MAX)
        return ERR_CORRUPT;
    return 0;
}

/* The shared key table of a heap type's instances (ht_cached_keys). */
static int cached_keys(struct reader *r, const struct py_layout *l, const struct typeinfo *ti,
                       uint64_t *keys)
{
    if (l->heaptype_cached_keys < 0 || !(ti->flags & TPFLAGS_HEAPTYPE))
        return ERR_CORRUPT;
    int rc = reader_read_ptr(r, ti->addr + (uint64_t)l->heaptype_cached_keys, keys);
    if (rc < 0)
        return rc;
    return reader_addr_ok(*keys, PTR) ? 0 : ERR_CORRUPT;
}

/* Look name up in split values at `values` (a PyDictValues *) keyed by
 * the type's shared keys. */
static int values_lookup(struct reader *r, const struct py_layout *l, const struct typeinfo *ti,
                         uint64_t values, uint64_t cap, const char *name, uint64_t *value)
{
    uint64_t keys;
    if (!reader_addr_ok(values, PTR))
        return ERR_CORRUPT;
    int rc = cached_keys(r, l, ti, &keys);
    if (rc < 0)
        return rc;
    uint64_t slots = values + (uint64_t)(l->dictvalues_values > 0 ? l->dictvalues_values : 0);
    return pydict_keys_lookup_str(r, l, keys, slots, cap, name, value);
}

static int dict_lookup(struct reader *r, const struct py_layout *l, uint64_t dict,
                       const char *name, uint64_t *value)
{
    if (!dict)
        return 0;                /* no __dict__ materialised: no attributes */
    return pydict_lookup_str(r, l, dict, name, value);
}

/* 3.13+: the inline values when they are still valid, else the dict. */
static int inline_lookup(struct reader *r, const struct py_layout *l, uint64_t obj,
                         const struct typeinfo *ti, const char *name, uint64_t *value)
{
    uint8_t prefix[DICTVALUES_PREFIX];
    uint64_t values = obj + (uint64_t)ti->inline_offset;
    if (ti->flags & l->tpflags_inline_values) {
        if (ti->inline_offset < (int64_t)(2 * PTR) || ti->inline_offset % PTR != 0)
            return ERR_CORRUPT;
        int rc = reader_read(r, values, sizeof prefix, prefix);
        if (rc < 0)
            return rc;
        if (prefix[DICTVALUES_VALID])
            return values_lookup(r, l, ti, values, prefix[DICTVALUES_CAPACITY], name, value);
    }
    uint64_t dict;
    int rc = reader_read_ptr(r, obj + (uint64_t)(int64_t)l->managed_dict_offset, &dict);
    return rc < 0 ? rc : dict_lookup(r, l, dict, name, value);
}

static int managed_lookup(struct reader *r, const struct py_layout *l, uint64_t obj,
                          const struct typeinfo *ti, enum managed_model model,
                          const char *name, uint64_t *value)
{
    uint64_t word, values = 0;
    if (l->managed_dict_offset >= 0)
        return ERR_CORRUPT;
    if (model == MANAGED_INLINE)
        return inline_lookup(r, l, obj, ti, name, value);
    if (model == MANAGED_SPLIT) {
        int rc = reader_read_ptr(r, obj + (uint64_t)(int64_t)VALUES_PTR_OFFSET_311, &values);
        if (rc < 0)
            return rc;
    }
    int rc = reader_read_ptr(r, obj + (uint64_t)(int64_t)l->managed_dict_offset, &word);
    if (rc < 0)
        return rc;
    if (model == MANAGED_TAGGED && (word & 1)) {
        values = word + 1;
        word = 0;
    }
    /* Split values are sized for the whole shared key table, so the key
     * table's own bound is the only one (new_values() in dictobject.c). */
    if (values)
        return values_lookup(r, l, ti, values, PYDICT_MAX_ENTRIES, name, value);
    return dict_lookup(r, l, word, name, value);
}

int pyobj_lookup_attr(struct reader *r, const struct py_layout *l, uint64_t obj_addr,
                      const char *name, uint64_t *value)
{
    struct typeinfo ti;
    *value = 0;
    int rc = type_read(r, l, obj_addr, &ti);
    if (rc < 0)
        return rc;
    enum managed_model model = managed_model(l, ti.flags);
    if (model != MANAGED_NONE)
        return managed_lookup(r, l, obj_addr, &ti, model, name, value);
    if (ti.dictoffset == 0)
        return 0;                /* instances have no __dict__ */
    /* A negative tp_dictoffset counts from the end of a variable-size
     * object; no object we read is one. */
    if (ti.dictoffset < 0 || ti.dictoffset % PTR != 0)
        return ERR_CORRUPT;
    uint64_t dict;
    rc = reader_read_ptr(r, obj_addr + (uint64_t)ti.dictoffset, &dict);
    if (rc < 0)
        return rc;
    return dict_lookup(r, l, dict, name, value);
}

int pyobj_type_name(struct reader *r, const struct py_layout *l, uint64_t obj_addr,
                    char *buf, size_t cap)
{
    uint64_t type, name;
    if (cap < 2 || l->ob_type < 0 || l->type_name < 0 || !reader_addr_ok(obj_addr, PTR))
        return ERR_CORRUPT;
    int rc = reader_read_ptr(r, obj_addr + (uint64_t)l->ob_type, &type);
    if (rc < 0)
        return rc;
    if (!reader_addr_ok(type, PTR))
        return ERR_CORRUPT;
    rc = reader_read_ptr(r, type + (uint64_t)l->type_name, &name);
    if (rc < 0)
        return rc;
    if (!reader_addr_ok(name, 1))
        return ERR_CORRUPT;
    /* Stay inside the page the name starts in: the bytes after a short
     * name may be unmapped. Longer names are cut there. */
    size_t len = PAGE - (size_t)(name % PAGE);
    len = len < cap - 1 ? len : cap - 1;
    rc = reader_read(r, name, len, buf);
    if (rc < 0)
        return rc;
    buf[len] = '\0';
    return (int)strlen(buf);
}
