/* SPDX-License-Identifier: MIT */
/* Private to the table module: an append-only pool of interned strings.
 * The pool owns every string; pointers it hands out stay valid until
 * strpool_free(). Equal contents always get the same id. */
#ifndef PROFTUI_TABLE_STRPOOL_H
#define PROFTUI_TABLE_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

struct strpool_chunk;

struct strpool_ent {
    const char *s;             /* NUL-terminated, inside a chunk */
    uint32_t len;
    uint32_t hash;
};

struct strpool {
    struct strpool_chunk *chunks;  /* owned, newest first */
    char *cur;                     /* free space in the newest chunk */
    size_t left;
    struct strpool_ent *ents;      /* owned; id -> string */
    uint32_t n, cap;
    uint32_t *slots;               /* owned hash set of ids; TABLE_NONE empty */
    size_t nslots;                 /* power of two or 0 */
};

/* An empty pool that owns nothing yet. */
void strpool_init(struct strpool *p);

/* Free every string; all pointers handed out become invalid. */
void strpool_free(struct strpool *p);

/* The id of the string s[0..len) (copied on first sight), or TABLE_NONE on
 * ENOMEM. s may hold any bytes but NUL. */
uint32_t strpool_intern(struct strpool *p, const char *s, size_t len);

/* The string with that id (id must come from strpool_intern). */
const char *strpool_str(const struct strpool *p, uint32_t id);

#endif
