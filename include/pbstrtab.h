/* SPDX-License-Identifier: MIT */
/* pprof's string table (pprof.h): each string once, by index, made valid
 * UTF-8 without control characters (each invalid byte and each C0, DEL,
 * C1, U+2028/9 character becomes '?'). After an allocation failure every
 * intern gives 0 (the empty string) and `oom` stays set, so a writer
 * checks once at the end. */
#ifndef PROFTUI_PBSTRTAB_H
#define PROFTUI_PBSTRTAB_H

#include <stddef.h>
#include <stdint.h>

/* Strings (cleaned, owned) by index, and a hash set of indices (slot value
 * index + 1; 0 is empty). Starts all zero. */
struct strtab {
    char **s;
    size_t n, cap;
    uint32_t *slots;
    size_t nslots;       /* a power of two, over twice n */
    int oom;
};

/* The index of untrusted string raw, cleaned, added when new. */
uint32_t strtab_intern(struct strtab *st, const char *raw);
/* Release every string and make the table empty again. */
void strtab_free(struct strtab *st);

/* FNV-1a of n bytes, mixed: the table's hash, for the writer's other sets. */
uint64_t strtab_hash(const void *p, size_t n);

#endif
