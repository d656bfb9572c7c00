/* SPDX-License-Identifier: MIT */
/* Inside the native unwinder (nunwind.h): one mapped file (a module: its
 * loadable segments, its .eh_frame_hdr table and the bytes libunwind reads
 * from it, its function symbols) and the target's address space (the
 * mappings, each tied to its module and load bias). Not thread-safe: an
 * unwinder is used by one thread at a time. */
#ifndef PROFTUI_NUNWIND_IMPL_H
#define PROFTUI_NUNWIND_IMPL_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "maps.h"
#include "nunwind.h"

#define NMOD_LOADS 16                    /* PT_LOAD segments kept per module */
#define NMOD_SPAN_MAX (64u << 20)        /* bytes of unwind tables kept per span */
#define NMOD_SYMS_MAX (4u << 20)         /* function symbols kept per module */
#define NMOD_IMAGE_MAX (1u << 20)        /* bytes of a module read from memory (the vDSO) */

/* Bytes of a module's file at link addresses [lo, hi) (zero where the
 * file has none). */
struct nspan {
    uint64_t lo, hi;
    uint8_t *bytes;                      /* owned, hi - lo bytes */
};

/* One function symbol: [start, start + size) at link addresses. */
struct nsymbol {
    uint64_t start, size;
    uint32_t name;                       /* offset in the module's strs */
    uint8_t rank;                        /* binding preference: lower wins a tie */
};

struct nload {
    uint64_t vaddr, offset, filesz, memsz;
    uint32_t flags;
};

/* One mapped file. Strings and symbols live as long as the module. */
struct nmod {
    char *path;                          /* as in /proc/PID/maps, owned */
    dev_t dev;
    ino_t ino;
    struct nload load[NMOD_LOADS];
    int nload;
    int has_table;                       /* a usable .eh_frame_hdr binary-search table */
    uint64_t hdr_vaddr, table_vaddr;     /* link addresses of the header and its table */
    uint32_t fde_count;
    uint64_t text_lo, text_hi;           /* link range of the executable segments */
    struct nspan span[2];                /* .eh_frame_hdr and .eh_frame */
    struct nsymbol *syms;                /* sorted by start, owned */
    size_t nsyms;
    char *strs;                          /* names, owned */
    size_t strs_len, strs_cap;
    int interp;                          /* the python executable or libpython */
};

/* An ELF image in the target's memory rather than in a file: the vDSO. */
struct nimage {
    struct reader *r;
    uint64_t start, end;
};

/* Open the module at path (read through /proc/pid/root when it exists),
 * or, for a path that is not a file's ("[vdso]"), from img when given.
 * One that cannot be read or is not ELF still gives a module (no table,
 * no symbols, dev = ino = 0) so that its addresses are named by offset.
 * Caller owns *out. 0 or ERR_NOMEM. */
int nmod_open(pid_t pid, const char *path, const struct nimage *img, struct nmod **out);
void nmod_free(struct nmod *m);

/* The span holding len bytes at link address vaddr, or NULL. */
const struct nspan *nmod_span(const struct nmod *m, uint64_t vaddr, size_t len);

/* Copy len bytes at link address vaddr from the module's spans: 0, or -1
 * when they are not all there. */
int nmod_read(const struct nmod *m, uint64_t vaddr, void *buf, size_t len);

/* The link address that file offset 0 is loaded at (the first PT_LOAD's
 * page), so that bias = start of the file's offset-0 mapping - *vaddr.
 * 0, or -1 for a module without loadable segments. */
int nmod_base_vaddr(const struct nmod *m, uint64_t *vaddr);

/* Load the function symbols of e (.symtab, .dynsym, .gnu_debugdata) and
 * of the separate debug file named by its build-id when one exists; set
 * m->interp. 0 or ERR_NOMEM (a module without symbols is not an error). */
int nsyms_load(struct nmod *m, Elf *e);

/* The symbol covering link address vaddr, or NULL. */
const struct nsymbol *nsyms_find(const struct nmod *m, uint64_t vaddr);

/* One mapping of the target, tied to its module (opened on first use). */
struct nent {
    uint64_t start, end, offset;
    const char *path;                    /* borrowed from the maps; "" when anonymous */
    struct nmod *mod;                    /* borrowed from the cache; NULL until opened */
    uint64_t bias;                       /* runtime address - link address */
    uint8_t exec, write, tried, biased;
};

/* The target's address space. */
struct nspace {
    pid_t pid;
    struct reader *r;                    /* the target's memory (the vDSO), borrowed */
    struct maps maps;
    struct nent *ents;                   /* sorted by start, owned */
    size_t nents;
    struct nmod **mods;                  /* every module ever opened, owned */
    size_t nmods, mods_cap;
    const struct nent *last;             /* the entry found last (a cache) */
};

/* Read the maps of pid; r (borrowed, may be NULL) reads the vDSO. 0, ERR_NO_PROCESS, ERR_PERM, ERR_NOMEM. */
int nspace_init(struct nspace *sp, pid_t pid, struct reader *r);
void nspace_free(struct nspace *sp);

/* Read the maps again. Mappings that are still there keep their module
 * (entries found before are no longer valid). 1 when some mapping known
 * before is gone or changed, 0 when none is, or an error. */
int nspace_reread(struct nspace *sp);

/* The mapping holding addr, or NULL. */
const struct nent *nspace_find(struct nspace *sp, uint64_t addr);

/* The module of e, opened on first use (NULL when e is anonymous or its
 * file cannot be read); e->bias is set with it. */
struct nmod *nspace_module(struct nspace *sp, const struct nent *e);

/* Name addr (nunwind_symbol without the re-read). 0 when a mapping holds
 * addr, -1 when none does. */
int nspace_symbol(struct nspace *sp, uint64_t addr, struct nsym *out);

#endif
