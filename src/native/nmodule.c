/* SPDX-License-Identifier: MIT */
/* One mapped file of the target for the native unwinder: its loadable
 * segments, its .eh_frame_hdr search table, and the bytes of
 * .eh_frame_hdr and .eh_frame that libunwind reads (copied once). */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "nunwind_impl.h"
#include "reader.h"

#define DW_EH_PE_omit 0xff
#define TABLE_ENC 0x3b                   /* DW_EH_PE_datarel | DW_EH_PE_sdata4 */

/* Open path as the target sees it: through /proc/pid/root (another mount
 * namespace), else as is. */
static int open_target_file(pid_t pid, const char *path)
{
    char buf[4096 + 64];
    if (snprintf(buf, sizeof buf, "/proc/%d/root%s", (int)pid, path) < (int)sizeof buf) {
        int fd = open(buf, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            return fd;
    }
    return open(path, O_RDONLY | O_CLOEXEC);
}

int nmod_base_vaddr(const struct nmod *m, uint64_t *vaddr)
{
    const struct nload *first = NULL;
    for (int i = 0; i < m->nload; i++)
        if (!first || m->load[i].offset < first->offset)
            first = &m->load[i];
    if (!first || first->offset >= 4096 || first->vaddr < first->offset)
        return -1;
    *vaddr = first->vaddr - first->offset;
    return 0;
}

const struct nspan *nmod_span(const struct nmod *m, uint64_t vaddr, size_t len)
{
    for (int i = 0; i < 2; i++) {
        const struct nspan *s = &m->span[i];
        if (s->bytes && vaddr >= s->lo && vaddr < s->hi && len <= s->hi - vaddr)
            return s;
    }
    return NULL;
}

int nmod_read(const struct nmod *m, uint64_t vaddr, void *buf, size_t len)
{
    const struct nspan *s = nmod_span(m, vaddr, len);
    if (!s)
        return -1;
    memcpy(buf, s->bytes + (vaddr - s->lo), len);
    return 0;
}

/* The file bytes at link addresses [lo, hi) into a new span: what lies
 * outside the file (or outside every PT_LOAD) stays zero. */
static int fill_span(struct nmod *m, int fd, uint64_t lo, uint64_t hi, struct nspan *s)
{
    lo &= ~7ull;
    hi = (hi + 15) & ~7ull;
    if (hi <= lo || hi - lo > NMOD_SPAN_MAX)
        return -1;
    s->bytes = calloc(1, hi - lo);
    if (!s->bytes)
        return ERR_NOMEM;
    s->lo = lo;
    s->hi = hi;
    for (int i = 0; i < m->nload; i++) {
        const struct nload *l = &m->load[i];
        uint64_t a = lo > l->vaddr ? lo : l->vaddr;
        uint64_t b = hi < l->vaddr + l->filesz ? hi : l->vaddr + l->filesz;
        if (a >= b)
            continue;
        ssize_t got = pread(fd, s->bytes + (a - lo), b - a, (off_t)(l->offset + (a - l->vaddr)));
        (void)got;                       /* a short read leaves zeros: libunwind sees bad tables */
    }
    return 0;
}

/* Decode one pointer of the .eh_frame_hdr (the encodings linkers write
 * there). Returns the bytes used, or -1. */
static int decode_ptr(const uint8_t *p, size_t left, uint8_t enc, uint64_t at, uint64_t hdr,
                      uint64_t *out)
{
    uint64_t v;
    int n;
    switch (enc & 0x0f) {
    case 0x00: case 0x04: case 0x0c: n = 8; break;      /* absptr, udata8, sdata8 */
    case 0x03: case 0x0b: n = 4; break;                 /* udata4, sdata4 */
    default: return -1;
    }
    if ((size_t)n > left)
        return -1;
    if (n == 8) {
        memcpy(&v, p, 8);
    } else {
        uint32_t u;
        memcpy(&u, p, 4);
        v = (enc & 0x0f) == 0x0b ? (uint64_t)(int64_t)(int32_t)u : u;
    }
    switch (enc & 0x70) {
    case 0x00: break;
    case 0x10: v += at; break;                          /* pcrel */
    case 0x30: v += hdr; break;                         /* datarel */
    default: return -1;
    }
    *out = v;
    return n;
}

/* The .eh_frame_hdr at link address hdr (size len): its search table,
 * and where .eh_frame starts. */
static int parse_hdr(struct nmod *m, int fd, uint64_t hdr, uint64_t len, uint64_t *eh_frame)
{
    if (len < 12 || fill_span(m, fd, hdr, hdr + len, &m->span[0]) != 0)
        return -1;
    uint8_t b[32] = {0};
    if (nmod_read(m, hdr, b, len < sizeof b ? len : sizeof b) != 0 || b[0] != 1)
        return -1;
    uint64_t count;
    int n1 = decode_ptr(b + 4, sizeof b - 4, b[1], hdr + 4, hdr, eh_frame);
    if (n1 < 0 || b[2] == DW_EH_PE_omit || b[3] != TABLE_ENC)
        return -1;
    int n2 = decode_ptr(b + 4 + n1, sizeof b - 4 - (size_t)n1, b[2], hdr + 4 + (uint64_t)n1, hdr,
                        &count);
    if (n2 < 0 || count == 0 || count > (len - 4 - (uint64_t)n1 - (uint64_t)n2) / 8)
        return -1;
    m->hdr_vaddr = hdr;
    m->table_vaddr = hdr + 4 + (uint64_t)n1 + (uint64_t)n2;
    m->fde_count = (uint32_t)count;
    return 0;
}

/* The size of .eh_frame at link address at: its section's when the file
 * has section headers, else up to the end of its PT_LOAD. */
static uint64_t eh_frame_size(const struct nmod *m, Elf *e, uint64_t at)
{
    for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) && sh.sh_addr == at && sh.sh_type == SHT_PROGBITS &&
            sh.sh_size)
            return sh.sh_size;
    }
    for (int i = 0; i < m->nload; i++)
        if (at >= m->load[i].vaddr && at < m->load[i].vaddr + m->load[i].filesz)
            return m->load[i].vaddr + m->load[i].filesz - at;
    return 0;
}

/* The program headers: loadable segments, the executable range, and the
 * unwind table (PT_GNU_EH_FRAME). */
static void read_phdrs(struct nmod *m, Elf *e, int fd)
{
    size_t n;
    uint64_t hdr = 0, hdr_len = 0;
    if (elf_getphdrnum(e, &n) != 0)
        return;
    m->text_lo = UINT64_MAX;
    for (size_t i = 0; i < n && i < 256; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph))
            continue;
        if (ph.p_type == PT_GNU_EH_FRAME) {
            hdr = ph.p_vaddr;
            hdr_len = ph.p_memsz;
        }
        if (ph.p_type != PT_LOAD || m->nload == NMOD_LOADS || ph.p_filesz > ph.p_memsz)
            continue;
        m->load[m->nload++] = (struct nload){ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz,
                                             ph.p_flags};
        if ((ph.p_flags & PF_X) && ph.p_vaddr < m->text_lo)
            m->text_lo = ph.p_vaddr;
        if ((ph.p_flags & PF_X) && ph.p_vaddr + ph.p_memsz > m->text_hi)
            m->text_hi = ph.p_vaddr + ph.p_memsz;
    }
    uint64_t eh = 0;
    if (m->text_lo < m->text_hi && hdr && hdr_len <= NMOD_SPAN_MAX &&
        parse_hdr(m, fd, hdr, hdr_len, &eh) == 0) {
        uint64_t size = eh_frame_size(m, e, eh);
        m->has_table = size && fill_span(m, fd, eh, eh + size, &m->span[1]) == 0;
    }
}

/* A copy of an ELF image in the target's memory (the vDSO), as a file:
 * an fd, or -1. */
static int image_file(const struct nimage *img)
{
    if (!img || !img->r || img->end <= img->start || img->end - img->start > NMOD_IMAGE_MAX)
        return -1;
    size_t len = img->end - img->start;
    uint8_t *buf = malloc(len);
    int fd = buf ? memfd_create("proftui-vdso", MFD_CLOEXEC) : -1;
    if (fd >= 0 && (reader_read(img->r, img->start, len, buf) != 0 ||
                    write(fd, buf, len) != (ssize_t)len)) {
        close(fd);
        fd = -1;
    }
    free(buf);
    return fd;
}

int nmod_open(pid_t pid, const char *path, const struct nimage *img, struct nmod **out)
{
    struct nmod *m = calloc(1, sizeof *m);
    if (!m || !(m->path = strdup(path))) {
        free(m);
        return ERR_NOMEM;
    }
    int fd = path[0] == '/' ? open_target_file(pid, path) : image_file(img);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        *out = m;                        /* a module known by name only */
        return 0;
    }
    if (path[0] == '/') {
        m->dev = st.st_dev;
        m->ino = st.st_ino;
    }
    int rc = 0;
    Elf *e = elf_version(EV_CURRENT) != EV_NONE ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
    if (e && elf_kind(e) == ELF_K_ELF && gelf_getclass(e) == ELFCLASS64) {
        read_phdrs(m, e, fd);
        rc = nsyms_load(m, e);
    }
    if (e)
        elf_end(e);
    close(fd);
    if (rc < 0) {
        nmod_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void nmod_free(struct nmod *m)
{
    if (!m)
        return;
    free(m->span[0].bytes);
    free(m->span[1].bytes);
    free(m->syms);
    free(m->strs);
    free(m->path);
    free(m);
}
