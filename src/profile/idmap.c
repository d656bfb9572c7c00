/* SPDX-License-Identifier: MIT */
/* Open-addressing (linear probing) map from 64-bit keys to 32-bit ids. */
#include "idmap.h"

#include <stdlib.h>

#include "error.h"
#include "table.h"

#define MIN_CAP 64

/* Keys are small ids side by side (parent << 32 | func, line): fold the
 * halves together, then Fibonacci hashing brings every bit to the top bits
 * that pick the slot. */
static size_t slot_of(const struct idmap *m, uint64_t key, uint32_t key2)
{
    key ^= key >> 29;
    key ^= (uint64_t)key2 * UINT64_C(0xC2B2AE3D27D4EB4F);
    return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> m->shift);
}

void idmap_init(struct idmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->n = 0;
    m->shift = 64;
}

void idmap_free(struct idmap *m)
{
    free(m->slots);
    idmap_init(m);
}

void idmap_clear(struct idmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        m->slots[i].val = TABLE_NONE;
    m->n = 0;
}

uint32_t idmap_get(const struct idmap *m, uint64_t key, uint32_t key2)
{
    if (m->n == 0)
        return TABLE_NONE;
    size_t mask = m->cap - 1;
    for (size_t i = slot_of(m, key, key2);; i = (i + 1) & mask) {
        const struct idmap_slot *s = &m->slots[i];
        if (s->val == TABLE_NONE || (s->key == key && s->key2 == key2))
            return s->val;
    }
}

void idmap_put(struct idmap *m, uint64_t key, uint32_t key2, uint32_t val)
{
    size_t mask = m->cap - 1;
    size_t i = slot_of(m, key, key2);
    while (m->slots[i].val != TABLE_NONE)
        i = (i + 1) & mask;
    m->slots[i] = (struct idmap_slot){ .key = key, .key2 = key2, .val = val };
    m->n++;
}

/* Load factor at most 3/4: probe sequences stay short on the hot path
 * (most look-ups find their key), and a table just past a power of two
 * is not four times its keys. */
int idmap_reserve(struct idmap *m, size_t extra)
{
    if (extra > SIZE_MAX / 4 - m->n)
        return ERR_NOMEM;
    size_t need = (m->n + extra) * 4 / 3 + 1;
    if (need <= m->cap)
        return 0;
    size_t cap = m->cap ? m->cap : MIN_CAP;
    unsigned bits = 0;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof(struct idmap_slot))
            return ERR_NOMEM;
        cap *= 2;
    }
    for (size_t c = cap; c > 1; c >>= 1)
        bits++;
    struct idmap_slot *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return ERR_NOMEM;
    for (size_t i = 0; i < cap; i++)
        slots[i].val = TABLE_NONE;

    struct idmap old = *m;
    m->slots = slots;
    m->cap = cap;
    m->n = 0;
    m->shift = 64 - bits;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].val != TABLE_NONE)
            idmap_put(m, old.slots[i].key, old.slots[i].key2, old.slots[i].val);
    free(old.slots);
    return 0;
}
