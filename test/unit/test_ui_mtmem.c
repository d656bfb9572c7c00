/* SPDX-License-Identifier: MIT */
/* Unit tests of the merged tree's memory (ui_mtmem.c): a hash table fed
 * 600,000 random keys (through several growths, small and mapped: the
 * next table prepared a page per insert, the old one moved a few slots
 * per insert) answers every key inserted so far with its id and no other
 * key (a slot keeps the id and the key's hash: every hit is checked
 * against the key kept here, as the tree checks its nodes), checked when each phase of a growth starts and ends, midway
 * through preparing, now and then, and after settle and clear; arrays
 * grown across the 1 MiB line keep their contents. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "table.h"
#include "ui_mtmem.h"

#define NKEYS 600000u

struct key {
    uint32_t a, b;
    int32_t line;
    uint32_t id;
};

static uint64_t rng = 0x243F6A8885A308D3ULL;

static uint32_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* Is keys[id] the key (a, b, line)? The ids are indices in keys. */
static int same_key(const void *owner, uint32_t id, uint32_t a, uint32_t b, int32_t line)
{
    const struct key *k = &((const struct key *)owner)[id];
    return k->a == a && k->b == b && k->line == line;
}

static uint32_t get(const struct ui_mtmem_hash *h, const struct key *keys, uint32_t a, uint32_t b, int32_t line)
{
    return ui_mtmem_hash_get(h, a, b, line, same_key, keys);
}

/* Every key of keys[0, n) is found with its id; a few keys never inserted
 * are not. Returns the number of wrong answers. */
static size_t check_keys(const struct ui_mtmem_hash *h, const struct key *keys, size_t n)
{
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++)
        wrong += get(h, keys, keys[i].a, keys[i].b, keys[i].line) != keys[i].id;
    for (uint32_t i = 0; i < 1000; i++)             /* b >= 1000: never inserted */
        wrong += get(h, keys, rnd() % 64, 1000 + rnd() % 1000, (int32_t)(rnd() % 5) - 1) != TABLE_NONE;
    return wrong;
}

static void test_hash(void)
{
    struct key *keys = malloc(NKEYS * sizeof *keys);
    struct ui_mtmem_hash h;
    ui_mtmem_hash_init(&h);
    if (!keys) {
        CHECK(0);
        return;
    }
    /* Distinct keys: (i / 7, i % 7 * 100 + small, line) with few parents, so probes collide. */
    size_t n = 0, wrong = 0, checks = 0, during_next = 0, during_old = 0;
    int last = 0;
    for (uint32_t i = 0; i < NKEYS; i++) {
        keys[n] = (struct key){.a = i / 7, .b = i % 7 * 100 + rnd() % 100, .line = (int32_t)(i % 3) - 1,
                               .id = (uint32_t)n};
        if (get(&h, keys, keys[n].a, keys[n].b, keys[n].line) != TABLE_NONE)
            continue;                               /* the random part repeated a key */
        if (ui_mtmem_hash_put(&h, keys[n].a, keys[n].b, keys[n].line, keys[n].id) < 0)
            break;
        n++;
        /* Check when a growth starts or ends a phase, midway through preparing, and now and then. */
        int state = (h.next != NULL) | (h.old != NULL) << 1;
        int midway = h.next && h.ready == (size_t)64 << 12;
        if (state != last || midway || n % 100000 == 0) {
            last = state;
            during_next += h.next != NULL;
            during_old += h.old != NULL;
            wrong += check_keys(&h, keys, n);
            checks++;
        }
    }
    CHECK(n > NKEYS * 9 / 10);
    CHECK(checks > 5);
    CHECK(during_next > 0);                         /* seen while a mapped table was prepared */
    CHECK(during_old > 0);                          /* and while the old one was moved */
    CHECK_EQ(wrong, 0);
    CHECK(h.used == n && h.used * 8 <= h.n * 5);
    ui_mtmem_hash_settle(&h);
    CHECK(h.old == NULL && h.next == NULL);
    CHECK_EQ(check_keys(&h, keys, n), 0);
    ui_mtmem_hash_clear(&h);
    CHECK_EQ(check_keys(&h, keys, 0), 0);
    CHECK_EQ(get(&h, keys, keys[0].a, keys[0].b, keys[0].line), TABLE_NONE);
    CHECK(ui_mtmem_hash_put(&h, keys[0].a, keys[0].b, keys[0].line, TABLE_NONE) < 0);   /* not a value */
    CHECK(ui_mtmem_hash_put(&h, keys[0].a, keys[0].b, keys[0].line, 0) == 0 &&
          get(&h, keys, keys[0].a, keys[0].b, keys[0].line) == 0);
    ui_mtmem_hash_free(&h);
    free(keys);
}

static void test_arrays(void)
{
    uint64_t *a = NULL;
    size_t cap = 0, wrong = 0;
    for (size_t n = 1; n <= 600000; n += 1 + n / 3) {   /* up to 4.8 MB: from malloc to mapped */
        size_t before = cap;
        if (ui_mtmem_reserve((void **)&a, &cap, n, sizeof *a) < 0) {
            CHECK(0);
            break;
        }
        CHECK(cap >= n);
        for (size_t i = before ? before : 0; i < cap; i++)
            a[i] = i * 2654435761u;
        for (size_t i = 0; i < cap; i++)
            wrong += a[i] != i * 2654435761u;
    }
    CHECK(cap * sizeof *a > (size_t)1 << 20);
    CHECK_EQ(wrong, 0);
    CHECK(ui_mtmem_reserve((void **)&a, &cap, cap, sizeof *a) == 0);   /* room already */
    ui_mtmem_release(a, cap, sizeof *a);
}

int main(void)
{
    test_hash();
    test_arrays();
    return check_report("test_ui_mtmem");
}
