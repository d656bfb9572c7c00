/* SPDX-License-Identifier: MIT */
/* The target's address space for the native unwinder: its mappings from
 * /proc/PID/maps, each tied to a module (opened once, cached by path and
 * inode) and the module's load bias; and naming an address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "nunwind_impl.h"

/* A mapping of a file (or of the vDSO) rather than anonymous memory. */
static int is_file(const char *path)
{
    return path[0] == '/' || strcmp(path, "[vdso]") == 0;
}

static int cmp_ent(const void *a, const void *b)
{
    const struct nent *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

/* The entries of m, sorted, into *out (caller frees). */
static int build_ents(const struct maps *m, struct nent **out, size_t *count)
{
    struct nent *v = calloc(m->n ? m->n : 1, sizeof *v);
    if (!v)
        return ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct map_entry *me = &m->v[i];
        if (me->end <= me->start)
            continue;
        v[n++] = (struct nent){.start = me->start, .end = me->end, .offset = me->offset,
                               .path = is_file(me->path) ? me->path : "",
                               .exec = me->perms[2] == 'x', .write = me->perms[1] == 'w'};
    }
    qsort(v, n, sizeof *v, cmp_ent);
    *out = v;
    *count = n;
    return 0;
}

/* Entries of the new maps that are the same mapping as before keep their
 * module and bias. The count of old entries gone or changed. */
static size_t carry_over(struct nent *nv, size_t nn, const struct nent *ov, size_t on)
{
    size_t i = 0, j = 0, same = 0;
    while (i < nn && j < on) {
        if (nv[i].start != ov[j].start) {
            nv[i].start < ov[j].start ? i++ : j++;
            continue;
        }
        if (nv[i].end == ov[j].end && nv[i].offset == ov[j].offset &&
            nv[i].exec == ov[j].exec && strcmp(nv[i].path, ov[j].path) == 0) {
            nv[i].mod = ov[j].mod;
            nv[i].bias = ov[j].bias;
            nv[i].tried = ov[j].tried;
            nv[i].biased = ov[j].biased;
            same++;
        }
        i++;
        j++;
    }
    return on - same;
}

int nspace_init(struct nspace *sp, pid_t pid, struct reader *r)
{
    memset(sp, 0, sizeof *sp);
    sp->pid = pid;
    sp->r = r;
    int rc = maps_read(pid, &sp->maps);
    if (rc < 0)
        return rc;
    rc = build_ents(&sp->maps, &sp->ents, &sp->nents);
    if (rc < 0)
        maps_free(&sp->maps);
    return rc;
}

void nspace_free(struct nspace *sp)
{
    for (size_t i = 0; i < sp->nmods; i++)
        nmod_free(sp->mods[i]);
    free(sp->mods);
    free(sp->ents);
    maps_free(&sp->maps);
    memset(sp, 0, sizeof *sp);
}

int nspace_reread(struct nspace *sp)
{
    struct maps fresh;
    struct nent *v;
    size_t n;
    int rc = maps_read(sp->pid, &fresh);
    if (rc < 0)
        return rc;
    rc = build_ents(&fresh, &v, &n);
    if (rc < 0) {
        maps_free(&fresh);
        return rc;
    }
    size_t gone = carry_over(v, n, sp->ents, sp->nents);
    free(sp->ents);
    maps_free(&sp->maps);
    sp->maps = fresh;
    sp->ents = v;
    sp->nents = n;
    sp->last = NULL;
    return gone > 0;
}

const struct nent *nspace_find(struct nspace *sp, uint64_t addr)
{
    const struct nent *l = sp->last;
    if (l && addr >= l->start && addr < l->end)
        return l;
    size_t lo = 0, hi = sp->nents;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sp->ents[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || addr >= sp->ents[lo - 1].end)
        return NULL;
    sp->last = &sp->ents[lo - 1];
    return sp->last;
}

/* The cached module of path when the file is still the same one. */
static struct nmod *cached(struct nspace *sp, const char *path)
{
    char buf[4096 + 64];
    struct stat st;
    int known = path[0] == '/' &&
                snprintf(buf, sizeof buf, "/proc/%d/root%s", (int)sp->pid, path) < (int)sizeof buf &&
                (stat(buf, &st) == 0 || stat(path, &st) == 0);
    for (size_t i = 0; i < sp->nmods; i++) {
        struct nmod *m = sp->mods[i];
        if (strcmp(m->path, path) != 0)
            continue;
        if (known ? m->dev == st.st_dev && m->ino == st.st_ino : m->ino == 0)
            return m;
    }
    return NULL;
}

static struct nmod *open_module(struct nspace *sp, const struct nent *e)
{
    const char *path = e->path;
    struct nmod *m = cached(sp, path);
    if (m)
        return m;
    if (sp->nmods == sp->mods_cap) {
        size_t cap = sp->mods_cap ? sp->mods_cap * 2 : 32;
        struct nmod **grown = realloc(sp->mods, cap * sizeof *grown);
        if (!grown)
            return NULL;
        sp->mods = grown;
        sp->mods_cap = cap;
    }
    struct nimage img = {sp->r, e->start, e->end};
    if (nmod_open(sp->pid, path, &img, &m) < 0)
        return NULL;
    sp->mods[sp->nmods++] = m;
    return m;
}

/* The mapping of e's file at offset 0 that e belongs to: the nearest
 * one at or below e. */
static const struct nent *file_base(const struct nspace *sp, const struct nent *e)
{
    const struct nent *best = NULL;
    for (size_t i = 0; i < sp->nents && sp->ents[i].start <= e->start; i++)
        if (sp->ents[i].offset == 0 && strcmp(sp->ents[i].path, e->path) == 0)
            best = &sp->ents[i];
    return best;
}

struct nmod *nspace_module(struct nspace *sp, const struct nent *e)
{
    struct nent *w = (struct nent *)e;   /* our own entry: sp->ents */
    if (w->tried)
        return w->mod;
    w->tried = 1;
    if (!e->path[0])
        return NULL;
    w->mod = open_module(sp, e);
    const struct nent *base = file_base(sp, e);
    uint64_t vaddr;
    if (w->mod && base && nmod_base_vaddr(w->mod, &vaddr) == 0) {
        w->bias = base->start - vaddr;
        w->biased = 1;
    }
    return w->mod;
}

int nspace_symbol(struct nspace *sp, uint64_t addr, struct nsym *out)
{
    *out = (struct nsym){.module = ""};
    const struct nent *e = nspace_find(sp, addr);
    if (!e)
        return -1;
    struct nmod *m = nspace_module(sp, e);
    out->offset = addr - e->start + e->offset;
    if (!m)
        return 0;
    out->module = m->path;
    out->interp = m->interp;
    const struct nsymbol *s = e->biased ? nsyms_find(m, addr - e->bias) : NULL;
    if (s) {
        out->name = m->strs + s->name;
        out->offset = addr - e->bias - s->start;
    }
    return 0;
}
