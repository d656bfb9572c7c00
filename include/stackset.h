/* SPDX-License-Identifier: MIT */
/* The distinct stacks of several tables merged, for the pprof writer
 * (pprof.h): each (thread, stack of location ids) once, with a value per
 * sample type (one table each) and a tag the writer chooses (its task
 * label), in the order the stacks were first added. */
#ifndef PROFTUI_STACKSET_H
#define PROFTUI_STACKSET_H

#include <stddef.h>
#include <stdint.h>

struct stackset {
    size_t nvalues;            /* values per stack (sample types) */
    size_t n;                  /* stacks */
    struct stackset_stack *stacks;
    size_t cap;
    uint64_t *ids;             /* every stack's location ids, one after another */
    size_t nids, idcap;
    uint64_t *values;          /* stack i's values at [i * nvalues, (i + 1) * nvalues) */
    size_t valcap;
    uint32_t *slots;           /* hash set of stack index + 1 (0: empty) */
    size_t nslots;             /* a power of two, over twice n */
};

struct stackset_stack {
    uint32_t thread;
    uint32_t tag;
    uint32_t n;                /* location ids, leaf first */
    size_t off;                /* in stackset.ids */
};

/* An empty set of stacks with nvalues values each (1 .. 64). */
void stackset_init(struct stackset *s, size_t nvalues);
void stackset_free(struct stackset *s);

/* Add count to value `value` of the stack (thread, ids[0..n)) (n >= 1),
 * made with tag `tag` and all values 0 when new. 0 or ERR_NOMEM. */
int stackset_add(struct stackset *s, uint32_t thread, const uint64_t *ids, size_t n, uint32_t tag,
                 size_t value, uint64_t count);

/* Stack i's location ids and values (borrowed, valid until the next add). */
const uint64_t *stackset_ids(const struct stackset *s, size_t i);
const uint64_t *stackset_values(const struct stackset *s, size_t i);

#endif
