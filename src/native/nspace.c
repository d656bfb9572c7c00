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

/* The entries of sp->maps, sorted; entries of a path seen before keep
 * their module when the file is still the same (dev, inode). */
static int build_ents(struct nspace *sp)
{
    struct nent *v = calloc(sp->maps.n ? sp->maps.n : 1, sizeof *v);
    if (!v)
        return ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < sp->maps.n; i++) {
        const struct map_entry *me = &sp->maps.v[i];
        if (me->end <= me->start)
            continue;
        v[n++] = (struct nent){.start = me->start, .end = me->end, .offset = me->offset,
                               .path = is_file(me->path) ? me->path : "",
                               .exec = me->perms[2] == 'x', .write = me->perms[1] == 'w'};
    }
    qsort(v, n, sizeof *v, cmp_ent);
    free(sp->ents);
    sp->ents = v;
    sp->nents = n;
    sp->last = NULL;
    return 0;
}

int nspace_init(struct nspace *sp, pid_t pid, struct reader *r)
{
    memset(sp, 0, sizeof *sp);
    sp->pid = pid;
    sp->r = r;
    int rc = maps_read(pid, &sp->maps);
    if (rc < 0)
        return rc;
    rc = build_ents(sp);
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
    int rc = maps_read(sp->pid, &fresh);
    if (rc < 0)
        return rc;
    struct maps old = sp->maps;
    sp->maps = fresh;
    rc = build_ents(sp);
    if (rc < 0) {
        sp->maps = old;                  /* the old entries still point into the old maps */
        maps_free(&fresh);
        return rc;
    }
    maps_free(&old);
    return 0;
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
