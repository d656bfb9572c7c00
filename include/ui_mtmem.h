/* SPDX-License-Identifier: MIT */
/* The memory of the merged call tree (ui_mtree), grown without a pause
 * (at a million nodes, a rehash or a copy stalled the view 50-100 ms):
 * hash tables from a key of two ids and a line to a 32-bit id (open
 * addressing; a slot holds the id and 32 bits of the key's hash, the key
 * itself is the owner's, checked by a function it gives) that move into one twice their size a few slots per insert,
 * looked up in both meanwhile (the larger one's pages are touched first,
 * a page per insert, while the smaller one fills up to 5/8); per-node
 * arrays that grow in place (from 1 MiB up mapped apart and moved by the
 * kernel, not copied). The large tables ask for huge pages (their probes
 * are random); the arrays do not (moving huge pages stalled as long as a
 * copy). No curses. */
#ifndef PROFTUI_UI_MTMEM_H
#define PROFTUI_UI_MTMEM_H

#include <stddef.h>
#include <stdint.h>

/* A 64-bit mixer (splitmix64's finalizer): the hash of the merged tree's
 * keys and paths. */
static inline uint64_t ui_mtmem_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* 8 bytes, not the 16 of the key and id: the tree's nodes hold their
 * keys anyway (a look-up's hit is read next). */
struct ui_mtmem_slot {
    uint32_t hash;               /* of the key: its low bits are its home slot */
    uint32_t id1;                /* the id + 1; 0: empty (fresh pages are empty slots) */
};

/* Whether the item of that id has key (a, b, line): the owner's check of
 * a slot whose hash matches. */
typedef int (*ui_mtmem_same)(const void *owner, uint32_t id, uint32_t a, uint32_t b, int32_t line);

struct ui_mtmem_hash {
    struct ui_mtmem_slot *slots;   /* owned, n of them (a power of two) */
    struct ui_mtmem_slot *old;     /* owned: the table before the last growth, or NULL */
    struct ui_mtmem_slot *next;    /* owned: the table of the next growth, being prepared, or NULL */
    size_t nnext, ready;           /* its slots, and its bytes touched so far */
    size_t n, nold, used;           /* used: keys in both tables */
    size_t moved;                   /* old slots [0, moved) are in slots too */
};

/* An empty table (owns nothing yet). */
void ui_mtmem_hash_init(struct ui_mtmem_hash *h);
void ui_mtmem_hash_free(struct ui_mtmem_hash *h);

/* Forget every key (the memory is kept). */
void ui_mtmem_hash_clear(struct ui_mtmem_hash *h);

/* The id of key (a, b, line), or TABLE_NONE; same(owner, ...) tells
 * whether an id's item has the key. */
uint32_t ui_mtmem_hash_get(const struct ui_mtmem_hash *h, uint32_t a, uint32_t b, int32_t line,
                           ui_mtmem_same same, const void *owner);

/* Add key (a, b, line), which must be absent, with id (not TABLE_NONE);
 * 0 or ERR_NOMEM (the table is unchanged then). */
int ui_mtmem_hash_put(struct ui_mtmem_hash *h, uint32_t a, uint32_t b, int32_t line, uint32_t id);

/* Finish moving the old table's keys, and free it (and a next table being
 * prepared). */
void ui_mtmem_hash_settle(struct ui_mtmem_hash *h);

/* Prefetch the first slot a look-up of key reads. */
void ui_mtmem_hash_prefetch(const struct ui_mtmem_hash *h, uint32_t a, uint32_t b, int32_t line);

/* Make room for need items of size bytes in *arr (capacity *cap items):
 * like array_reserve (doubling, contents kept, new items not initialised),
 * but from 1 MiB up mapped apart and grown by the kernel. 0 or ERR_NOMEM
 * (then *arr and *cap are unchanged and still valid). */
int ui_mtmem_reserve(void **arr, size_t *cap, size_t need, size_t size);

/* Release an array of ui_mtmem_reserve (capacity cap items of size bytes). */
void ui_mtmem_release(void *arr, size_t cap, size_t size);

#endif
