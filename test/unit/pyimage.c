/* SPDX-License-Identifier: MIT */
/* Test helper: synthetic CPython objects for any layout, in a memimage. */
#include "pyimage.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

#define BASE 0x10000000ull
#define GAP 64                  /* unmapped bytes after each segment */
#define PAGE 4096ull
#define PTR 8
#define TPFLAGS_HEAPTYPE (1ul << 9)
#define PRE 32                  /* bytes before a 3.11+ managed-dict instance */

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof v);
}

uint64_t pyimage_put(struct pyimage *g, const void *bytes, size_t len, size_t pre)
{
    uint64_t at = g->next;
    if (memimage_add(g->m, at, bytes, len) < 0) {
        g->failed = 1;
        return 0;
    }
    g->next = (at + len + GAP + 15) & ~15ull;
    return at + pre;
}

uint64_t pyimage_cstring(struct pyimage *g, const char *s)
{
    /* Fill the rest of the page: names are read up to the page's end. */
    size_t len = strlen(s) + 1;
    uint64_t start = (g->next + PAGE - 1) & ~(PAGE - 1);
    size_t span = (size_t)(((start + len + PAGE - 1) & ~(PAGE - 1)) - start);
    uint8_t *buf = calloc(1, span);
    if (!buf) {
        g->failed = 1;
        return 0;
    }
    memcpy(buf, s, len);
    g->next = start;
    uint64_t at = pyimage_put(g, buf, span, 0);
    free(buf);
    return at;
}

static uint8_t *object(struct pyimage *g, size_t len, uint64_t type)
{
    uint8_t *b = calloc(1, len);
    if (!b) {
        g->failed = 1;
        return NULL;
    }
    put64(b, 1);                                   /* ob_refcnt */
    put64(b + g->l->ob_type, type);
    return b;
}

static uint64_t commit(struct pyimage *g, uint8_t *b, size_t len, size_t pre)
{
    if (!b)
        return 0;
    uint64_t at = pyimage_put(g, b, len, pre);
    free(b);
    return at;
}

/* Decode UTF-8 (trusted test input) into code points; returns the count. */
static size_t utf8_decode(const char *s, uint32_t *cp, size_t cap, uint32_t *max)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t n = 0;
    *max = 0;
    while (*p && n < cap) {
        uint32_t c = *p;
        int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        c &= extra ? 0x3fu >> extra : 0x7fu;
        for (p++; extra-- > 0 && *p; p++)
            c = c << 6 | (*p & 0x3fu);
        cp[n++] = c;
        *max = c > *max ? c : *max;
    }
    return n;
}

uint64_t pyimage_str(struct pyimage *g, const char *utf8)
{
    const struct py_layout *l = g->l;
    uint32_t cp[512], max;
    size_t n = utf8_decode(utf8, cp, 512, &max);
    unsigned kind = max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
    int ascii = max < 0x80;
    size_t hdr = (size_t)(ascii ? l->unicode_ascii_size : l->unicode_compact_size);
    size_t len = hdr + (n + 1) * kind;
    uint8_t *b = object(g, len, g->str_type);
    if (!b)
        return 0;
    uint32_t state = kind << l->unicode_kind_shift | 1u << l->unicode_compact_bit |
                     (uint32_t)ascii << l->unicode_ascii_bit;
    put64(b + l->unicode_length, n);
    memcpy(b + l->unicode_state, &state, sizeof state);
    for (size_t i = 0; i < n; i++) {
        uint8_t *d = b + hdr + i * kind;
        if (kind == 1)
            *d = (uint8_t)cp[i];
        else if (kind == 2)
            memcpy(d, &(uint16_t){(uint16_t)cp[i]}, 2);
        else
            memcpy(d, &cp[i], 4);
    }
    return commit(g, b, len, 0);
}

uint64_t pyimage_long_raw(struct pyimage *g, uint64_t size_word, const uint32_t *digits, int n)
{
    size_t len = (size_t)g->l->long_digits + 4 * (size_t)n;
    uint8_t *b = object(g, len, g->int_type);
    if (!b)
        return 0;
    put64(b + g->l->long_size_or_tag, size_word);
    memcpy(b + g->l->long_digits, digits, 4 * (size_t)n);
    return commit(g, b, len, 0);
}

uint64_t pyimage_long(struct pyimage *g, uint64_t v)
{
    uint32_t d[3];
    int n = 0;
    for (; v; v >>= 30)
        d[n++] = (uint32_t)(v & 0x3fffffff);
    /* 3.12+ lv_tag: digit count << 3, sign bits 0 (positive) or 1 (zero). */
    uint64_t word = g->l->long_tagged ? (uint64_t)n << 3 | (n == 0) : (uint64_t)n;
    return pyimage_long_raw(g, word, d, n ? n : 1);
}

/* Slots and index bytes of the smallest table holding n entries. */
static void table_geometry(const struct py_layout *l, int n, unsigned *log2, size_t *ixbytes)
{
    *log2 = 3;
    while ((2ull << *log2) / 3 < (uint64_t)n)
        (*log2)++;
    uint64_t size = 1ull << *log2;
    if (l->dict_model == DICT_MODEL_38)
        *ixbytes = size * (size <= 0xff ? 1 : size <= 0xffff ? 2 : 4);
    else
        *ixbytes = 1ull << (*log2 < 8 ? *log2 : *log2 < 16 ? *log2 + 1 : *log2 + 2);
}

uint8_t *pyimage_keys_bytes(struct pyimage *g, const struct pyitem *items, int n, int kind,
                            size_t *len)
{
    const struct py_layout *l = g->l;
    unsigned log2;
    size_t ixbytes;
    table_geometry(l, n, &log2, &ixbytes);
    int wide = l->dict_model == DICT_MODEL_38 || kind == PYIMAGE_GENERAL;
    size_t esize = wide ? 24 : 16;
    size_t hdr = (size_t)l->dictkeys_indices;
    *len = hdr + ixbytes + esize * (size_t)n;
    uint8_t *b = calloc(1, *len);
    if (!b) {
        g->failed = 1;
        return NULL;
    }
    put64(b, 1);                                     /* dk_refcnt */
    if (l->dict_model == DICT_MODEL_38) {
        put64(b + l->dictkeys_size, 1ull << log2);
    } else {
        b[l->dictkeys_size] = (uint8_t)log2;
        b[l->dictkeys_log2_index_bytes] = (uint8_t)__builtin_ctzll(ixbytes);
        b[l->dictkeys_kind] = (uint8_t)kind;
    }
    put64(b + l->dictkeys_nentries, (uint64_t)n);
    memset(b + hdr, 0xff, ixbytes);                  /* DKIX_EMPTY: we never probe */
    for (int i = 0; i < n; i++) {
        uint8_t *e = b + hdr + ixbytes + esize * (size_t)i;
        if (wide)
            put64(e, (uint64_t)items[i].hash), e += 8;
        put64(e, items[i].key);
        put64(e + 8, kind == PYIMAGE_SPLIT ? 0 : items[i].value);
    }
    return b;
}

uint64_t pyimage_keys(struct pyimage *g, const struct pyitem *items, int n, int kind)
{
    size_t len;
    uint8_t *b = pyimage_keys_bytes(g, items, n, kind, &len);
    return commit(g, b, len, 0);
}

uint64_t pyimage_dict(struct pyimage *g, uint64_t keys, uint64_t values, int64_t used)
{
    const struct py_layout *l = g->l;
    size_t len = (size_t)l->dict_values + PTR;
    uint8_t *b = object(g, len, g->dict_type);
    if (!b)
        return 0;
    put64(b + l->dict_used, (uint64_t)used);
    put64(b + l->dict_keys, keys);
    put64(b + l->dict_values, values);
    return commit(g, b, len, 0);
}

uint64_t pyimage_str_dict(struct pyimage *g, const char *const *names, const uint64_t *values,
                          int n)
{
    struct pyitem items[256];
    int used = 0;
    for (int i = 0; i < n && i < 256; i++) {
        items[i] = (struct pyitem){.key = pyimage_str(g, names[i]), .value = values[i],
                                   .hash = 0x1234 + i};
        used += values[i] != 0;
    }
    uint64_t keys = pyimage_keys(g, items, n, PYIMAGE_UNICODE);
    return pyimage_dict(g, keys, 0, used);
}

uint64_t pyimage_type(struct pyimage *g, const char *name, int heap, uint64_t cached_keys)
{
    const struct py_layout *l = g->l;
    size_t len = 512;
    if (l->heaptype_cached_keys >= 0 && (size_t)l->heaptype_cached_keys + PTR > len)
        len = (size_t)l->heaptype_cached_keys + PTR;
    uint64_t tp_name = pyimage_cstring(g, name);
    uint8_t *b = object(g, len, 0);
    if (!b)
        return 0;
    unsigned long flags = 0;
    if (heap)
        flags = TPFLAGS_HEAPTYPE | l->tpflags_managed_dict | l->tpflags_inline_values;
    int64_t basicsize = 2 * PTR, dictoffset = 0;
    if (heap && !l->tpflags_managed_dict) {
        basicsize = 4 * PTR;               /* object, then __dict__, then __weakref__ */
        dictoffset = 2 * PTR;
    }
    put64(b + l->type_name, tp_name);
    put64(b + l->type_basicsize, (uint64_t)basicsize);
    put64(b + l->type_dictoffset, (uint64_t)dictoffset);
    put64(b + l->type_flags, flags);
    if (heap && l->heaptype_cached_keys >= 0)
        put64(b + l->heaptype_cached_keys, cached_keys);
    return commit(g, b, len, 0);
}

uint64_t pyimage_module(struct pyimage *g, uint64_t dict)
{
    size_t len = (size_t)g->l->module_dict + 4 * PTR;
    uint8_t *b = object(g, len, g->module_type);
    if (!b)
        return 0;
    put64(b + g->l->module_dict, dict);
    return commit(g, b, len, 0);
}

/* 3.13+: the object followed by its inline PyDictValues (prefix of
 * capacity, size, embedded, valid; slots from dictvalues_values). */
static uint64_t inline_instance(struct pyimage *g, uint64_t type, enum pyimage_storage storage,
                                const char *const *names, const uint64_t *values, int n)
{
    const struct py_layout *l = g->l;
    size_t slots = (size_t)l->dictvalues_values;
    size_t len = PRE + 2 * PTR + slots + PTR * (size_t)n;
    uint8_t *b = calloc(1, len);
    if (!b) {
        g->failed = 1;
        return 0;
    }
    put64(b + PRE, 1);
    put64(b + PRE + l->ob_type, type);
    uint8_t *iv = b + PRE + 2 * PTR;
    iv[0] = (uint8_t)n;                                  /* capacity */
    iv[3] = storage == PYIMAGE_VALUES;                   /* valid */
    for (int i = 0; i < n && storage != PYIMAGE_DICT; i++)
        put64(iv + slots + PTR * (size_t)i,
              storage == PYIMAGE_VALUES ? values[i] : pyimage_str(g, "stale"));
    if (storage != PYIMAGE_VALUES)
        put64(b + PRE + l->managed_dict_offset, pyimage_str_dict(g, names, values, n));
    return commit(g, b, len, PRE);
}

uint64_t pyimage_instance(struct pyimage *g, uint64_t type, enum pyimage_storage storage,
                          const char *const *names, const uint64_t *values, int n)
{
    const struct py_layout *l = g->l;
    if (!l->tpflags_managed_dict) {
        uint8_t *b = object(g, 4 * PTR, type);
        if (b)
            put64(b + 2 * PTR, pyimage_str_dict(g, names, values, n));
        return commit(g, b, 4 * PTR, 0);
    }
    if (l->tpflags_inline_values)
        return inline_instance(g, type, storage, names, values, n);
    uint8_t *b = calloc(1, PRE + 2 * PTR);
    if (!b) {
        g->failed = 1;
        return 0;
    }
    put64(b + PRE, 1);
    put64(b + PRE + l->ob_type, type);
    uint64_t word = 0;
    if (storage == PYIMAGE_VALUES) {
        uint64_t arr = pyimage_put(g, values, PTR * (size_t)n, 0);
        if (l->minor == 11)
            put64(b, arr);                   /* 3.11: PyDictValues * at obj - 32 */
        else
            word = arr - 1;                  /* 3.12: tagged PyDictOrValues */
    } else {
        word = pyimage_str_dict(g, names, values, n);
    }
    put64(b + PRE + l->managed_dict_offset, word);
    return commit(g, b, PRE + 2 * PTR, PRE);
}

int pyimage_init(struct pyimage *g, const struct py_layout *l)
{
    *g = (struct pyimage){.m = memimage_new(), .l = l, .next = BASE};
    if (!g->m)
        return ERR_NOMEM;
    g->str_type = pyimage_type(g, "str", 0, 0);
    g->int_type = pyimage_type(g, "int", 0, 0);
    g->dict_type = pyimage_type(g, "dict", 0, 0);
    g->module_type = pyimage_type(g, "module", 0, 0);
    return g->failed ? ERR_NOMEM : 0;
}

void pyimage_free(struct pyimage *g)
{
    memimage_free(g->m);
    g->m = NULL;
}

struct reader pyimage_reader(struct pyimage *g)
{
    return memimage_reader(g->m);
}
