/* SPDX-License-Identifier: MIT */
/* The merged call tree's hash tables and arrays, grown without a pause. */
#include "ui_mtmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "error.h"
#include "table.h"

#define SLOTS_MIN 1024
#define MOVE_STEP 4                   /* old slots moved per insert: >= 3 finishes before the next growth */
#define HUGE_PAGE ((size_t)2 << 20)
#define MAPPED_MIN ((size_t)1 << 20)      /* arrays from this size up are mapped apart */
#define PAGE 4096

static uint32_t hash_of(uint32_t a, uint32_t b, int32_t line)
{
    return (uint32_t)ui_mtmem_mix(((uint64_t)a << 32 | b) ^ ui_mtmem_mix((uint64_t)(uint32_t)line + 1));
}

void ui_mtmem_hash_init(struct ui_mtmem_hash *h)
{
    *h = (struct ui_mtmem_hash){0};
}

/* The bytes an array of cap items takes: rounded up to pages when mapped. */
static size_t span(size_t cap, size_t size)
{
    size_t bytes = cap * size;
    return bytes >= MAPPED_MIN ? (bytes + PAGE - 1) & ~(size_t)(PAGE - 1) : bytes;
}

/* Room for n slots, all empty (zero): from 1 MiB up mapped apart, so
 * that its pages are cleared when first used, not all at once here. */
static struct ui_mtmem_slot *slots_new(size_t n)
{
    size_t bytes = span(n, sizeof(struct ui_mtmem_slot));
    if (bytes < MAPPED_MIN)
        return calloc(n, sizeof(struct ui_mtmem_slot));
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (bytes >= HUGE_PAGE)
        (void)madvise(p, bytes, MADV_HUGEPAGE);
    return p;
}

static void slots_free(struct ui_mtmem_slot *s, size_t n)
{
    size_t bytes = span(n, sizeof *s);
    if (bytes >= MAPPED_MIN)
        munmap(s, bytes);
    else
        free(s);
}

void ui_mtmem_hash_free(struct ui_mtmem_hash *h)
{
    slots_free(h->slots, h->n);
    slots_free(h->old, h->nold);
    slots_free(h->next, h->nnext);
    ui_mtmem_hash_init(h);
}

/* Place slot s in the current table (its key is not there). */
static void place(struct ui_mtmem_hash *h, const struct ui_mtmem_slot *s)
{
    size_t k = s->hash & (h->n - 1);
    while (h->slots[k].id1)
        k = (k + 1) & (h->n - 1);
    h->slots[k] = *s;
}

/* Move up to count old slots into the current table; the old table goes
 * when all are moved. */
static void move_old(struct ui_mtmem_hash *h, size_t count)
{
    for (; h->old && count > 0 && h->moved < h->nold; count--, h->moved++)
        if (h->old[h->moved].id1)
            place(h, &h->old[h->moved]);
    if (h->old && h->moved >= h->nold) {
        slots_free(h->old, h->nold);
        h->old = NULL;
        h->nold = h->moved = 0;
    }
}

/* Drop the next table being prepared. */
static void drop_next(struct ui_mtmem_hash *h)
{
    slots_free(h->next, h->nnext);
    h->next = NULL;
    h->nnext = h->ready = 0;
}

void ui_mtmem_hash_settle(struct ui_mtmem_hash *h)
{
    move_old(h, SIZE_MAX);
    drop_next(h);                     /* made again when needed */
}

void ui_mtmem_hash_clear(struct ui_mtmem_hash *h)
{
    ui_mtmem_hash_settle(h);
    h->used = 0;
    if (h->n)
        memset(h->slots, 0, h->n * sizeof *h->slots);
}

/* The current table becomes the old one, next the current one. */
static void switch_next(struct ui_mtmem_hash *h)
{
    move_old(h, SIZE_MAX);            /* not reached with MOVE_STEP >= 3: kept for safety */
    h->old = h->used ? h->slots : NULL;
    if (!h->old)
        slots_free(h->slots, h->n);
    h->nold = h->old ? h->n : 0;
    h->moved = 0;
    h->slots = h->next;
    h->n = h->nnext;
    h->next = NULL;
    h->nnext = h->ready = 0;
}

/* Make the next table, twice the size: a small one is used at once; a
 * mapped one is first touched a page per insert (its pages cleared a few
 * at a time, not all in the insert that fills it), inserts going on
 * meanwhile into the current table, up to 5/8 full. */
static int grow(struct ui_mtmem_hash *h)
{
    size_t n = h->n ? h->n * 2 : SLOTS_MIN;
    if (!h->next) {
        if (!(h->next = slots_new(n)))
            return ERR_NOMEM;
        h->nnext = n;
        h->ready = 0;
    }
    size_t bytes = span(h->nnext, sizeof *h->next);
    if (bytes >= MAPPED_MIN && (h->used + 1) * 8 <= h->n * 5 && h->ready < bytes) {
        ((volatile char *)h->next)[h->ready] = 0;
        h->ready += PAGE;
        return 0;
    }
    switch_next(h);
    return 0;
}

/* What a look-up looks for. */
struct probe {
    uint32_t a, b, hash;
    int32_t line;
    ui_mtmem_same same;
    const void *owner;
};

/* Look for the key from slot k on (its home slot, or a later one of its run). */
static uint32_t find(const struct ui_mtmem_slot *s, size_t n, size_t k, const struct probe *q)
{
    for (size_t i = 0; i < n && s[k].id1; k = (k + 1) & (n - 1), i++)
        if (s[k].hash == q->hash && q->same(q->owner, s[k].id1 - 1, q->a, q->b, q->line))
            return s[k].id1 - 1;
    return TABLE_NONE;
}

uint32_t ui_mtmem_hash_get(const struct ui_mtmem_hash *h, uint32_t a, uint32_t b, int32_t line,
                           ui_mtmem_same same, const void *owner)
{
    struct probe q = {.a = a, .b = b, .hash = hash_of(a, b, line), .line = line, .same = same, .owner = owner};
    uint32_t id = h->n ? find(h->slots, h->n, q.hash & (h->n - 1), &q) : TABLE_NONE;
    if (id != TABLE_NONE || !h->old)
        return id;
    /* A key not moved yet is only in the old table, at or after slot
     * `moved` (slots before it are moved: found above). Its run from a
     * home slot before `moved` cannot wrap to it, so the look starts at
     * `moved`, the slot the moves read last (in cache). */
    size_t home = q.hash & (h->nold - 1);
    return find(h->old, h->nold, home < h->moved ? h->moved : home, &q);
}

int ui_mtmem_hash_put(struct ui_mtmem_hash *h, uint32_t a, uint32_t b, int32_t line, uint32_t id)
{
    if (id == TABLE_NONE)
        return ERR_NOMEM;             /* not a value: cannot be kept */
    if ((h->next || (h->used + 1) * 2 > h->n) && grow(h) < 0)
        return ERR_NOMEM;
    move_old(h, MOVE_STEP);
    place(h, &(struct ui_mtmem_slot){.hash = hash_of(a, b, line), .id1 = id + 1});
    h->used++;
    return 0;
}

void ui_mtmem_hash_prefetch(const struct ui_mtmem_hash *h, uint32_t a, uint32_t b, int32_t line)
{
    if (h->n)
        __builtin_prefetch(&h->slots[hash_of(a, b, line) & (h->n - 1)]);
}

/* ---- arrays ---- */

int ui_mtmem_reserve(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 4 / size)
            return ERR_NOMEM;
        n *= 2;
    }
    size_t old = span(*cap, size), bytes = span(n, size);
    void *p;
    if (bytes < MAPPED_MIN) {
        if (!(p = realloc(*arr, bytes)))
            return ERR_NOMEM;
    } else if (old >= MAPPED_MIN) {
        if ((p = mremap(*arr, old, bytes, MREMAP_MAYMOVE)) == MAP_FAILED)
            return ERR_NOMEM;
    } else {
        if ((p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
            return ERR_NOMEM;
        if (old)
            memcpy(p, *arr, old);
        free(*arr);
    }
    *arr = p;
    *cap = n;
    return 0;
}

void ui_mtmem_release(void *arr, size_t cap, size_t size)
{
    size_t bytes = span(cap, size);
    if (bytes >= MAPPED_MIN)
        munmap(arr, bytes);
    else
        free(arr);
}
