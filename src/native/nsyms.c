/* SPDX-License-Identifier: MIT */
/* Function symbols of a module for naming native addresses: .symtab and
 * .dynsym, the xz-compressed mini symbol table in .gnu_debugdata, and the
 * separate debug file named by the build-id under /usr/lib/debug. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "nunwind_impl.h"

#define DEBUGDATA_MAX (64u << 20)        /* bytes a .gnu_debugdata may unpack to */
#define NESTED_BACK 16                   /* earlier symbols tried when the nearest does not cover */
#define BUILD_ID_DIR "/usr/lib/debug/.build-id"

static int add_name(struct nmod *m, const char *name, uint32_t *at)
{
    size_t len = strnlen(name, 4096);
    if (m->strs_len + len + 1 > m->strs_cap) {
        size_t cap = m->strs_cap ? m->strs_cap * 2 : 65536;
        while (cap < m->strs_len + len + 1)
            cap *= 2;
        if (cap > UINT32_MAX)
            return -1;
        char *grown = realloc(m->strs, cap);
        if (!grown)
            return ERR_NOMEM;
        m->strs = grown;
        m->strs_cap = cap;
    }
    memcpy(m->strs + m->strs_len, name, len);
    m->strs[m->strs_len + len] = '\0';
    *at = (uint32_t)m->strs_len;
    m->strs_len += len + 1;
    return 0;
}

static int add_symbol(struct nmod *m, size_t *cap, const GElf_Sym *sym, const char *name)
{
    if (m->nsyms == *cap) {
        if (*cap >= NMOD_SYMS_MAX)
            return -1;
        size_t ncap = *cap ? *cap * 2 : 1024;
        struct nsymbol *grown = realloc(m->syms, ncap * sizeof *grown);
        if (!grown)
            return ERR_NOMEM;
        m->syms = grown;
        *cap = ncap;
    }
    struct nsymbol *s = &m->syms[m->nsyms];
    int rc = add_name(m, name, &s->name);
    if (rc < 0)
        return rc;
    int bind = GELF_ST_BIND(sym->st_info);
    s->start = sym->st_value;
    s->size = sym->st_size;
    s->rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
    m->nsyms++;
    if (strcmp(name, "_PyEval_EvalFrameDefault") == 0)
        m->interp = 1;
    return 0;
}

/* The FUNC (and IFUNC) symbols of every symbol table of e. */
static int load_tables(struct nmod *m, Elf *e, size_t *cap)
{
    for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
            sh.sh_entsize == 0)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        size_t count = d ? d->d_size / sh.sh_entsize : 0;
        for (size_t i = 0; i < count && i < INT32_MAX; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || sym.st_size == 0 ||
                sym.st_value == 0)
                continue;
            int type = GELF_ST_TYPE(sym.st_info);
            if (type != STT_FUNC && type != STT_GNU_IFUNC)
                continue;
            const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
            if (!name || !name[0])
                continue;
            int rc = add_symbol(m, cap, &sym, name);
            if (rc == ERR_NOMEM)
                return rc;
            if (rc < 0)
                return 0;                /* the bound: keep what we have */
        }
    }
    return 0;
}

/* The section of e called name, or NULL. */
static Elf_Scn *section_named(Elf *e, const char *name)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(e, &shstrndx) != 0)
        return NULL;
    for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        const char *n;
        if (gelf_getshdr(scn, &sh) && (n = elf_strptr(e, shstrndx, sh.sh_name)) &&
            strcmp(n, name) == 0)
            return sh.sh_type == SHT_NOBITS ? NULL : scn;
    }
    return NULL;
}

/* .gnu_debugdata: an xz-compressed ELF whose .symtab has the local
 * functions a stripped file lost. */
static int load_debugdata(struct nmod *m, Elf *e, size_t *cap)
{
    Elf_Scn *scn = section_named(e, ".gnu_debugdata");
    Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
    if (!d || !d->d_buf || d->d_size == 0)
        return 0;
    size_t out_cap = d->d_size * 8 < DEBUGDATA_MAX ? d->d_size * 8 : DEBUGDATA_MAX;
    uint8_t *out = NULL;
    int rc = 0;
    for (;;) {
        free(out);
        if (!(out = malloc(out_cap)))
            return ERR_NOMEM;
        uint64_t memlimit = 256u << 20;
        size_t in_pos = 0, out_pos = 0;
        lzma_ret r = lzma_stream_buffer_decode(&memlimit, 0, NULL, d->d_buf, &in_pos, d->d_size,
                                               out, &out_pos, out_cap);
        if (r == LZMA_BUF_ERROR && out_cap < DEBUGDATA_MAX) {
            out_cap = out_cap * 4 < DEBUGDATA_MAX ? out_cap * 4 : DEBUGDATA_MAX;
            continue;
        }
        if (r == LZMA_OK) {
            Elf *mini = elf_memory((char *)out, out_pos);
            if (mini && elf_kind(mini) == ELF_K_ELF)
                rc = load_tables(m, mini, cap);
            if (mini)
                elf_end(mini);
        }
        break;
    }
    free(out);
    return rc;
}

/* The GNU build-id of e as hex into hex (at least 2 * 64 + 1 bytes), or 0. */
static size_t build_id(Elf *e, char *hex)
{
    for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        GElf_Nhdr nh;
        size_t off = 0, name_off, desc_off, next;
        while (d && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && nh.n_descsz >= 2 &&
                nh.n_descsz <= 64 && memcmp((char *)d->d_buf + name_off, "GNU", 4) == 0) {
                const uint8_t *id = (const uint8_t *)d->d_buf + desc_off;
                for (size_t i = 0; i < nh.n_descsz; i++)
                    sprintf(hex + 2 * i, "%02x", id[i]);
                return nh.n_descsz;
            }
            off = next;
        }
    }
    return 0;
}

/* The separate debug file /usr/lib/debug/.build-id/xx/yyyy.debug. */
static int load_debug_file(struct nmod *m, Elf *e, size_t *cap)
{
    char hex[2 * 64 + 1], path[sizeof BUILD_ID_DIR + sizeof hex + 16];
    if (!build_id(e, hex))
        return 0;
    snprintf(path, sizeof path, "%s/%.2s/%s.debug", BUILD_ID_DIR, hex, hex + 2);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int rc = 0;
    Elf *dbg = elf_begin(fd, ELF_C_READ, NULL);
    if (dbg && elf_kind(dbg) == ELF_K_ELF && gelf_getclass(dbg) == ELFCLASS64)
        rc = load_tables(m, dbg, cap);
    if (dbg)
        elf_end(dbg);
    close(fd);
    return rc;
}

static int cmp_sym(const void *a, const void *b)
{
    const struct nsymbol *x = a, *y = b;
    if (x->start != y->start)
        return (x->start > y->start) - (x->start < y->start);
    if (x->rank != y->rank)
        return (x->rank > y->rank) - (x->rank < y->rank);
    return (x->name > y->name) - (x->name < y->name);   /* the table's order */
}

/* Sorted, one symbol per start (the best bound, then the first found). */
static void sort_unique(struct nmod *m)
{
    if (m->nsyms == 0)
        return;
    qsort(m->syms, m->nsyms, sizeof *m->syms, cmp_sym);
    size_t k = 1;
    for (size_t i = 1; i < m->nsyms; i++)
        if (m->syms[i].start != m->syms[k - 1].start)
            m->syms[k++] = m->syms[i];
    m->nsyms = k;
}

int nsyms_load(struct nmod *m, Elf *e)
{
    size_t cap = 0;
    int rc = load_tables(m, e, &cap);
    if (rc == 0)
        rc = load_debugdata(m, e, &cap);
    if (rc == 0)
        rc = load_debug_file(m, e, &cap);
    if (rc < 0)
        return rc;
    sort_unique(m);
    const char *base = strrchr(m->path, '/');
    base = base ? base + 1 : m->path;
    if (strncmp(base, "libpython", 9) == 0 || strncmp(base, "python", 6) == 0)
        m->interp = 1;
    return 0;
}

const struct nsymbol *nsyms_find(const struct nmod *m, uint64_t vaddr)
{
    size_t lo = 0, hi = m->nsyms;        /* the first symbol starting after vaddr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->syms[mid].start <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo, k = 0; i > 0 && k < NESTED_BACK; i--, k++) {
        const struct nsymbol *s = &m->syms[i - 1];
        if (vaddr - s->start < s->size)
            return s;
    }
    return NULL;
}
