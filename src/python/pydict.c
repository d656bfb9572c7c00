/* SPDX-License-Identifier: MIT */
/* Dict iteration and str-key look-up over both CPython key-table formats. */
#include "pydict.h"

#include <string.h>

#include "error.h"
#include "pylayout.h"
#include "reader.h"

#define CHUNK 64              /* entries fetched per read */
#define MAX_LOG2_SIZE 21      /* 2M slots: room for PYDICT_MAX_ENTRIES usable entries */
#define HEADER_MAX 64         /* bytes of a dict or key-table header we read */
#define STR_HEADER_MAX 128    /* sizeof(PyASCIIObject) is 40 or 48 */
#define KEYBUF (STR_HEADER_MAX + PYDICT_KEY_MAX + 8)
#define PTR 8u

/* dk_kind, Include/internal/pycore_dict.h (3.11+). */
enum { DK_GENERAL = 0, DK_UNICODE = 1, DK_SPLIT = 2 };

/* Where the entries of a key table are and how to decode them. */
struct keytable {
    uint64_t entries;     /* address of entry 0 */
    uint64_t nentries;    /* entry slots in use, live or deleted */
    unsigned entry_size;  /* 24: {hash, key, value}; 16: {key, value} (3.11+ str keys) */
    int kind;             /* DK_* (3.11+), DK_GENERAL for 3.8-3.10 */
};

/* A split table's values: a pointer array beside the key table. */
struct values {
    uint64_t addr;        /* slot 0, or 0 when values sit in the entries */
    uint64_t cap;         /* slots that exist at addr */
};

static uint64_t load_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Index width for a table of `size` slots, Objects/dict-common.h (3.8-3.10):
 * 1 byte up to 0xff slots, 2 up to 0xffff, 4 beyond (size is bounded). */
static uint64_t index_bytes_38(uint64_t size)
{
    return size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
}

/* log2 of the index array's byte size for 2**log2_size slots, as computed
 * by new_keys_object() in Objects/dictobject.c (3.11+). */
static unsigned log2_index_bytes_311(unsigned log2_size)
{
    if (log2_size < 8)
        return log2_size;
    if (log2_size < 16)
        return log2_size + 1;
    return log2_size + 2;    /* +3 from 2**32 slots, far beyond MAX_LOG2_SIZE */
}

/* Decode the dk_size-era header (3.8-3.10). */
static int keytable_parse_38(const struct py_layout *l, const uint8_t *h, struct keytable *kt)
{
    uint64_t size = load_u64(h + l->dictkeys_size);
    if (size == 0 || (size & (size - 1)) != 0 || size > (1u << MAX_LOG2_SIZE))
        return ERR_CORRUPT;
    kt->entries += size * index_bytes_38(size);
    kt->entry_size = 24;
    kt->kind = DK_GENERAL;
    /* USABLE_FRACTION(size) bounds the entries of any valid table. */
    return kt->nentries <= size * 2 / 3 ? 0 : ERR_CORRUPT;
}

/* Decode the dk_log2_size-era header (3.11+). */
static int keytable_parse_311(const struct py_layout *l, const uint8_t *h, struct keytable *kt)
{
    unsigned log2_size = h[l->dictkeys_size];
    unsigned log2_ix = h[l->dictkeys_log2_index_bytes];
    unsigned kind = h[l->dictkeys_kind];
    if (log2_size > MAX_LOG2_SIZE || log2_ix != log2_index_bytes_311(log2_size) || kind > DK_SPLIT)
        return ERR_CORRUPT;
    kt->entries += (uint64_t)1 << log2_ix;
    kt->entry_size = kind == DK_GENERAL ? 24 : 16;
    kt->kind = (int)kind;
    return kt->nentries <= ((uint64_t)2 << log2_size) / 3 ? 0 : ERR_CORRUPT;
}

static int keytable_read(struct reader *r, const struct py_layout *l, uint64_t keys_addr,
                         struct keytable *kt)
{
    uint8_t h[HEADER_MAX];
    int32_t hlen = l->dictkeys_indices;
    if (hlen > HEADER_MAX || l->dictkeys_nentries < 0 || l->dictkeys_nentries + 8 > hlen ||
        l->dictkeys_size < 0 || l->dictkeys_size + 8 > hlen)
        return ERR_CORRUPT;
    if (!reader_addr_ok(keys_addr, PTR))
        return ERR_CORRUPT;
    int rc = reader_read(r, keys_addr, (size_t)hlen, h);
    if (rc < 0)
        return rc;
    int64_t nentries = (int64_t)load_u64(h + l->dictkeys_nentries);
    if (nentries < 0 || nentries > PYDICT_MAX_ENTRIES)
        return ERR_CORRUPT;
    kt->nentries = (uint64_t)nentries;
    kt->entries = keys_addr + (uint64_t)hlen;
    if (l->dict_model == DICT_MODEL_38)
        return keytable_parse_38(l, h, kt);
    if (l->dict_model != DICT_MODEL_311 || l->dictkeys_kind < 0 || l->dictkeys_kind >= hlen ||
        l->dictkeys_log2_index_bytes < 0 || l->dictkeys_log2_index_bytes >= hlen)
        return ERR_CORRUPT;
    return keytable_parse_311(l, h, kt);
}

/* Entries worth visiting: a split table's values array may be shorter. */
static uint64_t entries_limit(const struct keytable *kt, const struct values *v)
{
    return v->addr && v->cap < kt->nentries ? v->cap : kt->nentries;
}

/* Fetch up to CHUNK entries starting at `first`; live ones go to items.
 * Returns the number of live items, or a negative error. */
static int chunk_read(struct reader *r, const struct keytable *kt, const struct values *v,
                      uint64_t first, struct pydict_item *items)
{
    uint8_t raw[CHUNK * 24];
    uint64_t vals[CHUNK];
    uint64_t limit = entries_limit(kt, v);
    uint64_t k = limit - first < CHUNK ? limit - first : CHUNK;
    int rc = reader_read(r, kt->entries + first * kt->entry_size, k * kt->entry_size, raw);
    if (rc < 0)
        return rc;
    if (v->addr) {
        rc = reader_read(r, v->addr + first * PTR, k * PTR, vals);
        if (rc < 0)
            return rc;
    }
    int n = 0;
    for (uint64_t i = 0; i < k; i++) {
        const uint8_t *e = raw + i * kt->entry_size;
        int has_hash = kt->entry_size == 24;
        struct pydict_item it = {
            .key = load_u64(e + (has_hash ? 8 : 0)),
            .value = v->addr ? vals[i] : load_u64(e + (has_hash ? 16 : 8)),
            .hash = has_hash ? (int64_t)load_u64(e) : 0,
            .has_hash = has_hash,
        };
        if (!it.key || !it.value)
            continue;                 /* deleted, or unset in this split table */
        if (!reader_addr_ok(it.key, PTR) || !reader_addr_ok(it.value, PTR))
            return ERR_CORRUPT;
        items[n++] = it;
    }
    return n;
}

static int table_foreach(struct reader *r, const struct keytable *kt, const struct values *v,
                         pydict_cb cb, void *arg)
{
    struct pydict_item items[CHUNK];
    uint64_t limit = entries_limit(kt, v);
    for (uint64_t first = 0; first < limit; first += CHUNK) {
        int n = chunk_read(r, kt, v, first, items);
        if (n < 0)
            return n;
        for (int i = 0; i < n; i++) {
            int rc = cb(arg, &items[i]);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Resolve a dict object to its key table and, for split dicts, values. */
static int dict_open(struct reader *r, const struct py_layout *l, uint64_t dict_addr,
                     struct keytable *kt, struct values *v, int *empty)
{
    uint8_t h[HEADER_MAX];
    int32_t hlen = l->dict_keys > l->dict_values ? l->dict_keys : l->dict_values;
    hlen = (hlen > l->dict_used ? hlen : l->dict_used) + (int32_t)PTR;
    if (l->dict_used < 0 || l->dict_keys < 0 || l->dict_values < 0 || hlen > HEADER_MAX)
        return ERR_CORRUPT;
    if (!reader_addr_ok(dict_addr, PTR))
        return ERR_CORRUPT;
    int rc = reader_read(r, dict_addr, (size_t)hlen, h);
    if (rc < 0)
        return rc;
    int64_t used = (int64_t)load_u64(h + l->dict_used);
    uint64_t keys = load_u64(h + l->dict_keys), values = load_u64(h + l->dict_values);
    if (used < 0 || used > PYDICT_MAX_ENTRIES)
        return ERR_CORRUPT;
    *empty = used == 0;
    if (*empty)
        return 0;                     /* ma_keys may be the shared empty table */
    rc = keytable_read(r, l, keys, kt);
    if (rc < 0)
        return rc;
    if ((uint64_t)used > kt->nentries)
        return ERR_CORRUPT;
    /* 3.11+: split key tables and separate values always go together. */
    if (l->dict_model == DICT_MODEL_311 && (kt->kind == DK_SPLIT) != (values != 0))
        return ERR_CORRUPT;
    if (values && !reader_addr_ok(values, PTR))
        return ERR_CORRUPT;
    /* ma_values is a PyObject ** before 3.11, a PyDictValues * after. */
    v->addr = values ? values + (uint64_t)(l->dictvalues_values > 0 ? l->dictvalues_values : 0) : 0;
    v->cap = kt->nentries;
    return 0;
}

int pydict_foreach(struct reader *r, const struct py_layout *l, uint64_t dict_addr,
                   pydict_cb cb, void *arg)
{
    struct keytable kt;
    struct values v;
    int empty;
    int rc = dict_open(r, l, dict_addr, &kt, &v, &empty);
    if (rc < 0 || empty)
        return rc;
    return table_foreach(r, &kt, &v, cb, arg);
}

int pydict_keys_foreach(struct reader *r, const struct py_layout *l, uint64_t keys_addr,
                        uint64_t values_addr, uint64_t values_cap, pydict_cb cb, void *arg)
{
    struct keytable kt;
    int rc = keytable_read(r, l, keys_addr, &kt);
    if (rc < 0)
        return rc;
    if (values_addr && !reader_addr_ok(values_addr, PTR))
        return ERR_CORRUPT;
    struct values v = {.addr = values_addr, .cap = values_cap};
    return table_foreach(r, &kt, &v, cb, arg);
}

/* True when buf holds a compact ASCII str header followed by exactly key. */
static int str_matches(const struct py_layout *l, const uint8_t *buf, const char *key, size_t klen)
{
    int64_t length = (int64_t)load_u64(buf + l->unicode_length);
    uint32_t state;
    memcpy(&state, buf + l->unicode_state, sizeof state);
    unsigned kind = (state >> l->unicode_kind_shift) & 7;
    if (length != (int64_t)klen || kind != 1 || !((state >> l->unicode_compact_bit) & 1) ||
        !((state >> l->unicode_ascii_bit) & 1))
        return 0;
    const uint8_t *data = buf + l->unicode_ascii_size;
    return memcmp(data, key, klen) == 0 && data[klen] == 0;
}

/* Read the key objects of n items in one batch and compare them with key.
 * Returns the index of the match, or -1 when none matches. */
static int chunk_match(struct reader *r, const struct py_layout *l, const struct pydict_item *items,
                       int n, const char *key, size_t klen, uint8_t (*bufs)[KEYBUF])
{
    struct read_req reqs[CHUNK];
    size_t want = (size_t)l->unicode_ascii_size + klen + 1;
    for (int i = 0; i < n; i++)
        reqs[i] = (struct read_req){.addr = items[i].key, .len = want, .buf = bufs[i]};
    int batched = reader_readv(r, reqs, n) == 0;
    for (int i = 0; i < n; i++) {
        /* A failed single read means the object is shorter than the key
         * (it ends at a mapping's edge), so it cannot be the key. */
        if (!batched && reader_read(r, reqs[i].addr, want, bufs[i]) < 0)
            continue;
        if (str_matches(l, bufs[i], key, klen))
            return i;
    }
    return -1;
}

static int table_lookup_str(struct reader *r, const struct py_layout *l, const struct keytable *kt,
                            const struct values *v, const char *key, uint64_t *value)
{
    struct pydict_item items[CHUNK];
    uint8_t bufs[CHUNK][KEYBUF];
    size_t klen = strlen(key);
    *value = 0;
    if (klen > PYDICT_KEY_MAX)
        return ERR_USAGE;
    if (l->unicode_ascii_size <= 0 || l->unicode_ascii_size > STR_HEADER_MAX ||
        l->unicode_length < 0 || l->unicode_length + 8 > l->unicode_ascii_size ||
        l->unicode_state < 0 || l->unicode_state + 4 > l->unicode_ascii_size)
        return ERR_CORRUPT;
    uint64_t limit = entries_limit(kt, v);
    for (uint64_t first = 0; first < limit; first += CHUNK) {
        int n = chunk_read(r, kt, v, first, items);
        if (n < 0)
            return n;
        int hit = chunk_match(r, l, items, n, key, klen, bufs);
        if (hit >= 0) {
            *value = items[hit].value;
            return 0;
        }
    }
    return 0;
}

int pydict_lookup_str(struct reader *r, const struct py_layout *l, uint64_t dict_addr,
                      const char *key, uint64_t *value)
{
    struct keytable kt;
    struct values v;
    int empty;
    *value = 0;
    int rc = dict_open(r, l, dict_addr, &kt, &v, &empty);
    if (rc < 0 || empty)
        return rc;
    return table_lookup_str(r, l, &kt, &v, key, value);
}

int pydict_keys_lookup_str(struct reader *r, const struct py_layout *l, uint64_t keys_addr,
                           uint64_t values_addr, uint64_t values_cap, const char *key,
                           uint64_t *value)
{
    struct keytable kt;
    *value = 0;
    int rc = keytable_read(r, l, keys_addr, &kt);
    if (rc < 0)
        return rc;
    if (values_addr && !reader_addr_ok(values_addr, PTR))
        return ERR_CORRUPT;
    struct values v = {.addr = values_addr, .cap = values_cap};
    return table_lookup_str(r, l, &kt, &v, key, value);
}
