/* SPDX-License-Identifier: MIT */
/* set and list objects of the target, bounded and validated. */
#include "pyset.h"

#include <string.h>

#include "error.h"
#include "pylayout.h"
#include "reader.h"

/* PySetObject (Include/cpython/setobject.h, the same 3.8-3.15): fill,
 * used and mask (Py_ssize_t) after the object header, then the table
 * pointer; a table slot is {key, hash}. A deleted slot holds the dummy
 * key with hash -1, an empty one a NULL key. */
#define SET_USED 24
#define SET_MASK 32
#define SET_TABLE 40
#define SET_HEAD 48
#define SLOT 16
#define CHUNK 512               /* slots read at once */
/* PyListObject: ob_size, then ob_item. */
#define LIST_SIZE 16
#define LIST_ITEMS 24

static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static int visit_chunk(struct reader *r, uint64_t table, uint64_t first, uint64_t count,
                       pyset_cb cb, void *arg)
{
    static _Thread_local uint8_t buf[CHUNK * SLOT];
    int rc = reader_read(r, table + first * SLOT, (size_t)(count * SLOT), buf);
    if (rc < 0)
        return rc;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t key = get64(buf + i * SLOT);
        int64_t hash = (int64_t)get64(buf + i * SLOT + 8);
        if (!key || hash == -1)
            continue;
        if ((rc = cb(arg, key, hash)) != 0)
            return rc;
    }
    return 0;
}

int pyset_foreach(struct reader *r, const struct py_layout *l, uint64_t set_addr, pyset_cb cb,
                  void *arg)
{
    uint8_t head[SET_HEAD];
    (void)l;
    if (!reader_addr_ok(set_addr, 8))
        return ERR_CORRUPT;
    int rc = reader_read(r, set_addr, sizeof head, head);
    if (rc < 0)
        return rc;
    int64_t used = (int64_t)get64(head + SET_USED), mask = (int64_t)get64(head + SET_MASK);
    uint64_t table = get64(head + SET_TABLE);
    /* the table's size is a power of two, at least 8, and more than used */
    if (mask < 7 || (uint64_t)mask + 1 > PYSET_MAX_SLOTS || (mask & (mask + 1)) ||
        used < 0 || used > mask || !reader_addr_ok(table, 8))
        return ERR_CORRUPT;
    for (uint64_t first = 0; first <= (uint64_t)mask; first += CHUNK) {
        uint64_t count = (uint64_t)mask + 1 - first;
        rc = visit_chunk(r, table, first, count < CHUNK ? count : CHUNK, cb, arg);
        if (rc)
            return rc;
    }
    return 0;
}

int pylist_items(struct reader *r, const struct py_layout *l, uint64_t list_addr, uint64_t *out,
                 int cap)
{
    uint8_t head[LIST_ITEMS + 8];
    (void)l;
    if (!reader_addr_ok(list_addr, 8))
        return ERR_CORRUPT;
    int rc = reader_read(r, list_addr, sizeof head, head);
    if (rc < 0)
        return rc;
    int64_t size = (int64_t)get64(head + LIST_SIZE);
    uint64_t items = get64(head + LIST_ITEMS);
    if (size < 0 || size > (int64_t)PYSET_MAX_SLOTS || (size && !reader_addr_ok(items, 8)))
        return ERR_CORRUPT;
    int n = size < cap ? (int)size : cap;
    if (n > 0 && (rc = reader_read(r, items, (size_t)n * 8, out)) < 0)
        return rc;
    return (int)size;
}
