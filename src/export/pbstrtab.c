/* SPDX-License-Identifier: MIT */
/* pprof's string table: cleaned, interned strings (see include/pbstrtab.h). */
#include "pbstrtab.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "utf8.h"

uint64_t strtab_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;          /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

/* s (untrusted) as valid UTF-8 without control characters (pprof.h);
 * never longer than s. NULL on ENOMEM. */
static char *clean(const char *s)
{
    size_t len = strlen(s);
    char *out = malloc(len + 1), *o = out;
    if (!out)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        uint32_t cp;
        size_t n = utf8_seq(u, &cp);
        if (n == 0 || utf8_is_control(cp)) {
            *o++ = '?';
        } else {
            memcpy(o, u, n);
            o += n;
        }
        u += n ? n : 1;
    }
    *o = '\0';
    return out;
}

static int strtab_grow(struct strtab *st)
{
    size_t nslots = st->nslots ? st->nslots * 2 : 1024;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return ERR_NOMEM;
    for (size_t i = 0; i < st->n; i++) {
        size_t h = (size_t)strtab_hash(st->s[i], strlen(st->s[i])) & (nslots - 1);
        while (slots[h])
            h = (h + 1) & (nslots - 1);
        slots[h] = (uint32_t)i + 1;
    }
    free(st->slots);
    st->slots = slots;
    st->nslots = nslots;
    return 0;
}

uint32_t strtab_intern(struct strtab *st, const char *raw)
{
    char *s = st->oom ? NULL : clean(raw);
    if (!s || ((st->n + 1) * 2 >= st->nslots && strtab_grow(st) < 0) ||
        array_reserve((void **)&st->s, &st->cap, st->n + 1, sizeof *st->s) < 0) {
        free(s);
        st->oom = 1;
        return 0;
    }
    size_t h = (size_t)strtab_hash(s, strlen(s)) & (st->nslots - 1);
    for (; st->slots[h]; h = (h + 1) & (st->nslots - 1)) {
        if (strcmp(st->s[st->slots[h] - 1], s) == 0) {
            free(s);
            return st->slots[h] - 1;
        }
    }
    st->s[st->n] = s;
    st->slots[h] = (uint32_t)++st->n;
    return (uint32_t)(st->n - 1);
}

void strtab_free(struct strtab *st)
{
    for (size_t i = 0; i < st->n; i++)
        free(st->s[i]);
    free(st->s);
    free(st->slots);
    *st = (struct strtab){.s = NULL};
}
