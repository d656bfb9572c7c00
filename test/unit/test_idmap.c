/* SPDX-License-Identifier: MIT */
/* Unit tests of the table's hash map (src/profile/idmap.c): keys put
 * after reserving room are all found, through every growth, absent keys
 * are not, and the map is never more than 3/4 full (nor grown past what
 * that needs: a table of tree children just past a power of two is not
 * four times its keys). */
#include <stdint.h>

#include "check.h"
#include "idmap.h"
#include "table.h"

enum { NKEYS = 90000 };

static uint64_t key_of(uint32_t i)
{
    return (uint64_t)(i / 7) << 32 | (i % 7);   /* (parent << 32 | func)-like: small ids side by side */
}

static void test_grow_and_find(void)
{
    struct idmap m;
    idmap_init(&m);
    CHECK_EQ(idmap_get(&m, 1, 2), TABLE_NONE);
    size_t bad = 0, overfull = 0, oversized = 0;
    for (uint32_t i = 0; i < NKEYS; i++) {
        CHECK_EQ(idmap_reserve(&m, 13), 0);
        overfull += (m.n + 13) * 4 > m.cap * 3;
        oversized += m.cap > 64 && (m.n + 13) * 4 < m.cap;        /* under 1/4 full */
        idmap_put(&m, key_of(i), i % 301, i);
    }
    for (uint32_t i = 0; i < NKEYS; i++)
        bad += idmap_get(&m, key_of(i), i % 301) != i || idmap_get(&m, key_of(i), 301) != TABLE_NONE;
    CHECK_EQ(bad, 0);
    CHECK_EQ(overfull, 0);
    CHECK_EQ(oversized, 0);
    CHECK_EQ(m.n, NKEYS);
    CHECK_EQ(m.cap, 1u << 17);                   /* 90,000 keys: 131,072 slots, not 262,144 */
    idmap_clear(&m);
    CHECK_EQ(idmap_get(&m, key_of(5), 5), TABLE_NONE);
    idmap_free(&m);
}

int main(void)
{
    test_grow_and_find();
    return check_report("idmap");
}
