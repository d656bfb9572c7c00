/* SPDX-License-Identifier: MIT */
/* Private to the table module: an open-addressing hash map from a 96-bit key
 * (a 64-bit and a 32-bit half) to a 32-bit id, used for every lookup the
 * table makes (function pairs, sites, tree children, thread ids). A slot is
 * 16 bytes, so the wide key costs nothing over a 64-bit one. Values must be
 * below TABLE_NONE, which marks an empty slot. */
#ifndef PROFTUI_TABLE_IDMAP_H
#define PROFTUI_TABLE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap_slot {
    uint64_t key;
    uint32_t key2;
    uint32_t val;              /* TABLE_NONE: empty */
};

struct idmap {
    struct idmap_slot *slots;  /* owned; cap entries, cap a power of two or 0 */
    size_t cap;
    size_t n;                  /* occupied slots */
    unsigned shift;            /* 64 - log2(cap) */
};

/* An empty map that owns nothing yet (no allocation). */
void idmap_init(struct idmap *m);

/* Release the slots; the map is empty and reusable afterwards. */
void idmap_free(struct idmap *m);

/* Make room so that `extra` more idmap_put() calls cannot need to grow.
 * Returns 0 or ERR_NOMEM (the map is unchanged on failure). */
int idmap_reserve(struct idmap *m, size_t extra);

/* The id stored under (key, key2), or TABLE_NONE. */
uint32_t idmap_get(const struct idmap *m, uint64_t key, uint32_t key2);

/* Store (key, key2) -> val (val < TABLE_NONE, key not present yet). The
 * caller must have reserved room with idmap_reserve(). */
void idmap_put(struct idmap *m, uint64_t key, uint32_t key2, uint32_t val);

/* Forget every entry, keeping the allocated slots. */
void idmap_clear(struct idmap *m);

#endif
