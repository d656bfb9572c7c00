/* SPDX-License-Identifier: MIT */
/* Interned strings: an arena of chunks plus an open-addressing set of ids. */
#include "strpool.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "table.h"

#define CHUNK_SIZE 65536

struct strpool_chunk {
    struct strpool_chunk *next;
    char data[];
};

/* FNV-1a: interning happens once per new name, never per sample. */
static uint32_t hash_bytes(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

void strpool_init(struct strpool *p)
{
    memset(p, 0, sizeof *p);
}

void strpool_free(struct strpool *p)
{
    struct strpool_chunk *c = p->chunks;
    while (c) {
        struct strpool_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(p->ents);
    free(p->slots);
    strpool_init(p);
}

const char *strpool_str(const struct strpool *p, uint32_t id)
{
    return p->ents[id].s;
}

/* Copy s into the arena; a string longer than a chunk gets its own chunk. */
static char *arena_copy(struct strpool *p, const char *s, size_t len)
{
    if (len + 1 > p->left) {
        size_t size = len + 1 > CHUNK_SIZE ? len + 1 : CHUNK_SIZE;
        struct strpool_chunk *c = malloc(sizeof *c + size);
        if (!c)
            return NULL;
        c->next = p->chunks;
        p->chunks = c;
        p->cur = c->data;
        p->left = size;
    }
    char *dst = p->cur;
    memcpy(dst, s, len);
    dst[len] = '\0';
    p->cur += len + 1;
    p->left -= len + 1;
    return dst;
}

static void set_insert(uint32_t *slots, size_t nslots, uint32_t hash, uint32_t id)
{
    size_t i = hash & (nslots - 1);
    while (slots[i] != TABLE_NONE)
        i = (i + 1) & (nslots - 1);
    slots[i] = id;
}

/* Room for one more string in both the id array and the set (load <= 1/2). */
static int reserve_one(struct strpool *p)
{
    if (p->n >= TABLE_NONE - 1)
        return ERR_NOMEM;
    if (p->n == p->cap) {
        uint32_t cap = p->cap ? (p->cap > UINT32_MAX / 2 ? UINT32_MAX - 1 : p->cap * 2) : 64;
        struct strpool_ent *e = realloc(p->ents, (size_t)cap * sizeof *e);
        if (!e)
            return ERR_NOMEM;
        p->ents = e;
        p->cap = cap;
    }
    if (((size_t)p->n + 1) * 2 <= p->nslots)
        return 0;
    size_t nslots = p->nslots ? p->nslots * 2 : 128;
    uint32_t *slots = malloc(nslots * sizeof *slots);
    if (!slots)
        return ERR_NOMEM;
    for (size_t i = 0; i < nslots; i++)
        slots[i] = TABLE_NONE;
    for (uint32_t id = 0; id < p->n; id++)
        set_insert(slots, nslots, p->ents[id].hash, id);
    free(p->slots);
    p->slots = slots;
    p->nslots = nslots;
    return 0;
}

uint32_t strpool_intern(struct strpool *p, const char *s, size_t len)
{
    if (len >= UINT32_MAX)
        return TABLE_NONE;
    uint32_t h = hash_bytes(s, len);
    if (p->nslots) {
        size_t mask = p->nslots - 1;
        for (size_t i = h & mask; p->slots[i] != TABLE_NONE; i = (i + 1) & mask) {
            const struct strpool_ent *e = &p->ents[p->slots[i]];
            if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0)
                return p->slots[i];
        }
    }
    if (reserve_one(p) < 0)
        return TABLE_NONE;
    char *copy = arena_copy(p, s, len);
    if (!copy)
        return TABLE_NONE;
    uint32_t id = p->n++;
    p->ents[id] = (struct strpool_ent){ .s = copy, .len = (uint32_t)len, .hash = h };
    set_insert(p->slots, p->nslots, h, id);
    return id;
}
