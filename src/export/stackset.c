/* SPDX-License-Identifier: MIT */
/* Distinct stacks of several tables, merged by (thread, location ids). */
#include "stackset.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"

void stackset_init(struct stackset *s, size_t nvalues)
{
    *s = (struct stackset){.nvalues = nvalues};
}

void stackset_free(struct stackset *s)
{
    free(s->stacks);
    free(s->ids);
    free(s->values);
    free(s->slots);
    stackset_init(s, s->nvalues);
}

static uint64_t hash_stack(uint32_t thread, const uint64_t *ids, size_t n)
{
    uint64_t h = 1469598103934665603ULL ^ thread;        /* FNV-1a over the ids */
    for (size_t i = 0; i < n; i++)
        h = (h ^ ids[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static int grow_slots(struct stackset *s)
{
    size_t nslots = s->nslots ? s->nslots * 2 : 1024;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return ERR_NOMEM;
    for (size_t i = 0; i < s->n; i++) {
        const struct stackset_stack *k = &s->stacks[i];
        size_t h = (size_t)hash_stack(k->thread, s->ids + k->off, k->n) & (nslots - 1);
        while (slots[h])
            h = (h + 1) & (nslots - 1);
        slots[h] = (uint32_t)i + 1;
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = nslots;
    return 0;
}

/* A new stack (all values 0) in slot h. 0 or ERR_NOMEM. */
static int append(struct stackset *s, size_t h, uint32_t thread, const uint64_t *ids, size_t n,
                  uint32_t tag)
{
    if (s->n >= UINT32_MAX - 1 || n > UINT32_MAX ||
        array_reserve((void **)&s->stacks, &s->cap, s->n + 1, sizeof *s->stacks) < 0 ||
        array_reserve((void **)&s->ids, &s->idcap, s->nids + n, sizeof *s->ids) < 0 ||
        array_reserve((void **)&s->values, &s->valcap, (s->n + 1) * s->nvalues,
                      sizeof *s->values) < 0)
        return ERR_NOMEM;
    memcpy(s->ids + s->nids, ids, n * sizeof *ids);
    memset(s->values + s->n * s->nvalues, 0, s->nvalues * sizeof *s->values);
    s->stacks[s->n] = (struct stackset_stack){.thread = thread, .tag = tag, .n = (uint32_t)n,
                                              .off = s->nids};
    s->nids += n;
    s->slots[h] = (uint32_t)++s->n;
    return 0;
}

int stackset_add(struct stackset *s, uint32_t thread, const uint64_t *ids, size_t n, uint32_t tag,
                 size_t value, uint64_t count)
{
    if ((s->n + 1) * 2 >= s->nslots && grow_slots(s) < 0)
        return ERR_NOMEM;
    size_t h = (size_t)hash_stack(thread, ids, n) & (s->nslots - 1);
    for (; s->slots[h]; h = (h + 1) & (s->nslots - 1)) {
        size_t i = s->slots[h] - 1;
        const struct stackset_stack *k = &s->stacks[i];
        if (k->thread == thread && k->n == n && memcmp(s->ids + k->off, ids, n * sizeof *ids) == 0)
            break;
    }
    if (!s->slots[h] && append(s, h, thread, ids, n, tag) < 0)
        return ERR_NOMEM;
    uint64_t *v = &s->values[(size_t)(s->slots[h] - 1) * s->nvalues + value];
    *v = count > UINT64_MAX - *v ? UINT64_MAX : *v + count;
    return 0;
}

const uint64_t *stackset_ids(const struct stackset *s, size_t i)
{
    return s->ids + s->stacks[i].off;
}

const uint64_t *stackset_values(const struct stackset *s, size_t i)
{
    return s->values + i * s->nvalues;
}
