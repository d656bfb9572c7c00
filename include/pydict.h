/* SPDX-License-Identifier: MIT */
/* Reading dict objects out of the target: iterate the live entries of a
 * dict, or find the value of a str key. Handles both key-table formats
 * (py_layout.dict_model) and split tables whose values live apart from the
 * keys. Every size read from the target is bounded before use. */
#ifndef PROFTUI_PYDICT_H
#define PROFTUI_PYDICT_H

#include <stdint.h>

struct reader;
struct py_layout;

/* Dicts with more entry slots than this are refused (ERR_CORRUPT). */
#define PYDICT_MAX_ENTRIES (1u << 20)

/* Longest key pydict_lookup_str() accepts, in bytes. */
#define PYDICT_KEY_MAX 64

/* One live entry: addresses of the key and value objects in the target. */
struct pydict_item {
    uint64_t key;
    uint64_t value;
    int64_t hash;       /* the stored hash, when has_hash */
    int has_hash;       /* 0 for str-only key tables (3.11+), which keep no hash */
};

/* Called once per live entry, in insertion order. Return 0 to go on, or
 * anything else to stop: pydict_foreach() then returns that value. */
typedef int (*pydict_cb)(void *arg, const struct pydict_item *item);

/* Visit the entries of the dict object at dict_addr. Returns 0, the
 * callback's non-zero value, ERR_READ, or ERR_CORRUPT when the dict's
 * header or key table fails validation. Entries whose key or value is
 * NULL (deleted, or unset in a split table) are skipped. */
int pydict_foreach(struct reader *r, const struct py_layout *l, uint64_t dict_addr,
                   pydict_cb cb, void *arg);

/* Like pydict_foreach() for a bare key table (PyDictKeysObject) at
 * keys_addr. When values_addr is non-zero the values are taken from the
 * pointer array at values_addr (a split table, e.g. an instance's values
 * on 3.11+; the address of slot 0), of which only the first values_cap
 * slots exist: later entries count as absent. With values_addr 0 the values
 * are those stored in the entries and values_cap is ignored. */
int pydict_keys_foreach(struct reader *r, const struct py_layout *l, uint64_t keys_addr,
                        uint64_t values_addr, uint64_t values_cap, pydict_cb cb, void *arg);

/* Find the value stored under the str key `key` (ASCII, at most
 * PYDICT_KEY_MAX bytes) in the dict at dict_addr. *value gets the value's
 * address, or 0 when the key is absent. Returns 0, ERR_READ, ERR_CORRUPT,
 * or ERR_USAGE when key is too long. Keys are compared by content (the
 * target's hash seed is unknown, so the index cannot be probed): the key
 * objects are fetched in batches of up to 64 per read. */
int pydict_lookup_str(struct reader *r, const struct py_layout *l, uint64_t dict_addr,
                      const char *key, uint64_t *value);

/* pydict_lookup_str() over a bare key table, values as in
 * pydict_keys_foreach(). */
int pydict_keys_lookup_str(struct reader *r, const struct py_layout *l, uint64_t keys_addr,
                           uint64_t values_addr, uint64_t values_cap, const char *key,
                           uint64_t *value);

#endif
