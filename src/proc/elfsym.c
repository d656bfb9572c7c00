/* SPDX-License-Identifier: MIT */
/* Finds symbols and sections in ELF files with libelf. */
#include "elfsym.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

static int first_load(Elf *e, uint64_t *vaddr)
{
    size_t n;
    if (elf_getphdrnum(e, &n) != 0)
        return ERR_ELF;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD) {
            *vaddr = ph.p_vaddr & ~(uint64_t)0xfff;
            return 0;
        }
    }
    return ERR_ELF;
}

static void match_symbols(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, struct elfsym_query *q, int n)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data || sh->sh_entsize == 0)
        return;
    size_t count = sh->sh_size / sh->sh_entsize;
    for (size_t i = 0; i < count; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, (int)i, &sym) || sym.st_value == 0)
            continue;
        const char *name = elf_strptr(e, sh->sh_link, sym.st_name);
        if (!name)
            continue;
        for (int k = 0; k < n; k++)
            if (!q[k].is_section && !q[k].value && strcmp(name, q[k].name) == 0) {
                q[k].value = sym.st_value;
                q[k].size = sym.st_size;
            }
    }
}

static void match_section(const char *name, const GElf_Shdr *sh, struct elfsym_query *q, int n)
{
    for (int k = 0; k < n; k++)
        if (q[k].is_section && !q[k].value && strcmp(name, q[k].name) == 0) {
            q[k].value = sh->sh_addr;
            q[k].size = sh->sh_size;
        }
}

static int scan(Elf *e, struct elfsym_query *q, int n)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(e, &shstrndx) != 0)
        return ERR_ELF;
    for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        if (sh.sh_type == SHT_DYNSYM || sh.sh_type == SHT_SYMTAB)
            match_symbols(e, scn, &sh, q, n);
        const char *name = elf_strptr(e, shstrndx, sh.sh_name);
        if (name)
            match_section(name, &sh, q, n);
    }
    return 0;
}

int elfsym_lookup(const char *path, struct elfsym_query *q, int n, uint64_t *load_vaddr)
{
    for (int k = 0; k < n; k++)
        q[k].value = q[k].size = 0;
    if (elf_version(EV_CURRENT) == EV_NONE)
        return ERR_ELF;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ERR_IO;
    int rc = ERR_ELF;
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!e || elf_kind(e) != ELF_K_ELF)
        goto out;
    rc = first_load(e, load_vaddr);
    if (rc == 0)
        rc = scan(e, q, n);
out:
    if (e)
        elf_end(e);
    close(fd);
    return rc;
}
