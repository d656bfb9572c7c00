/* SPDX-License-Identifier: MIT */
/* Symbol look-up in ELF files (libelf), for finding _PyRuntime and friends. */
#ifndef PROFTUI_ELFSYM_H
#define PROFTUI_ELFSYM_H

#include <stdint.h>

struct elfsym_query {
    const char *name;    /* symbol or, when is_section, section name */
    int is_section;
    uint64_t value;      /* out: link-time address, 0 when absent */
    uint64_t size;       /* out: symbol or section size */
};

/* Resolve each query in the ELF file at path (both .dynsym and .symtab are
 * searched). *load_vaddr gets the page-aligned p_vaddr of the first PT_LOAD
 * segment, so that runtime address = value - *load_vaddr + (start of the
 * file's offset-0 mapping). Returns 0 or ERR_ELF / ERR_IO. */
int elfsym_lookup(const char *path, struct elfsym_query *q, int n, uint64_t *load_vaddr);

#endif
