/* SPDX-License-Identifier: MIT */
/* Fuzz images: loading, writing, and the checked read path run on them. */
#include "fuzzimg.h"

#include <stdlib.h>
#include <string.h>

#include "codecache.h"
#include "error.h"
#include "pylayout.h"
#include "pystr.h"
#include "threadnames.h"
#include "walker.h"

/* More segments than any snapshot has; bounds the work of a mutated file. */
#define MAX_SEGMENTS 4096

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

int fuzzimg_choose_layout(struct pytarget *t, int minor)
{
    return pytarget_choose_layout(t, minor);
}

static int load_segments(struct fuzzimg *img, const uint8_t *p, size_t left)
{
    for (int n = 0; left >= FUZZIMG_SEG_HEADER && n < MAX_SEGMENTS; n++) {
        uint64_t addr = get64(p);
        size_t len = get32(p + 8);
        p += FUZZIMG_SEG_HEADER;
        left -= FUZZIMG_SEG_HEADER;
        if (len > left)
            len = left;
        /* Zero-length, wrapping or overlapping segments are skipped. */
        if (len && memimage_add(img->m, addr, p, len) == ERR_NOMEM)
            return ERR_NOMEM;
        p += len;
        left -= len;
    }
    return 0;
}

int fuzzimg_load(const uint8_t *data, size_t size, struct fuzzimg *img)
{
    memset(img, 0, sizeof *img);
    if (size < FUZZIMG_HEADER || memcmp(data, FUZZIMG_MAGIC, 8) != 0)
        return ERR_CORRUPT;
    img->m = memimage_new();
    if (!img->m)
        return ERR_NOMEM;
    int rc = load_segments(img, data + FUZZIMG_HEADER, size - FUZZIMG_HEADER);
    if (rc < 0)
        return rc;
    img->reader = memimage_reader(img->m);
    struct pytarget *t = &img->target;
    t->pid = 0x3fffffff;             /* no such process: nothing is looked up live */
    t->r = &img->reader;
    t->hexversion = get32(data + 12);
    t->runtime = get64(data + 16);
    t->pthread_tid_off = (int32_t)get32(data + 24);
    if (t->pthread_tid_off < -1 || t->pthread_tid_off > 4096)
        t->pthread_tid_off = -1;
    /* The same text pytarget.c makes, so descriptions of a live target
     * and of its image compare equal. */
    if (t->hexversion >> 24 == 3)
        snprintf(t->version, sizeof t->version, "3.%u.%u", (t->hexversion >> 16) & 0xff,
                 (t->hexversion >> 8) & 0xff);
    else
        snprintf(t->version, sizeof t->version, "%u.%u", data[8], data[9]);
    img->layout_rc = data[8] == 3 ? fuzzimg_choose_layout(t, data[9]) : ERR_VERSION;
    return 0;
}

void fuzzimg_free(struct fuzzimg *img)
{
    memimage_free(img->m);
    img->m = NULL;
}

int fuzzimg_write_header(FILE *f, const struct pytarget *t, uint32_t nsegs)
{
    uint8_t h[FUZZIMG_HEADER] = {0};
    memcpy(h, FUZZIMG_MAGIC, 8);
    h[8] = (uint8_t)t->layout.major;
    h[9] = (uint8_t)(t->hexversion >> 24 == 3 ? (t->hexversion >> 16) & 0xff
                                               : (uint32_t)t->layout.minor);
    memcpy(h + 12, &t->hexversion, 4);
    memcpy(h + 16, &t->runtime, 8);
    memcpy(h + 24, &t->pthread_tid_off, 4);
    memcpy(h + 28, &nsegs, 4);
    return fwrite(h, 1, sizeof h, f) == sizeof h ? 0 : ERR_IO;
}

int fuzzimg_write_segment(FILE *f, uint64_t addr, const void *bytes, uint32_t len)
{
    uint8_t h[FUZZIMG_SEG_HEADER] = {0};
    memcpy(h, &addr, 8);
    memcpy(h + 8, &len, 4);
    if (fwrite(h, 1, sizeof h, f) != sizeof h || fwrite(bytes, 1, len, f) != len)
        return ERR_IO;
    return 0;
}

/* ------------------------------------------------------------ invariants */

static void violation(const char *what, const char *detail)
{
    fprintf(stderr, "fuzzimg: invariant broken: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    abort();
}

int fuzzimg_utf8_ok(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned c = u[i];
        size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : (c & 0xf0) == 0xe0 ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (n == 0 || c == 0 || i + n > len)
            return 0;
        uint32_t cp = n == 1 ? c : c & (0x7f >> n);
        for (size_t k = 1; k < n; k++) {
            if ((u[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (u[i + k] & 0x3f);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n;
    }
    return 1;
}

/* A name copied out of the target: present, bounded, valid UTF-8. */
static void check_text(const char *s, size_t cap, const char *what)
{
    if (!s)
        violation(what, "NULL");
    size_t len = strnlen(s, cap);
    if (len == cap)
        violation(what, "longer than its bound");
    if (!fuzzimg_utf8_ok(s, len))
        violation(what, "not valid UTF-8");
}

static void check_stack(const struct walk_stack *s)
{
    if (s->depth < 0 || s->depth > WALK_MAX_DEPTH || (s->truncated != 0 && s->truncated != 1) ||
        (s->failed && (s->depth != 0 || s->truncated)))
        violation("stack shape", NULL);
    if (s->depth > 0 && !s->frames)
        violation("frames missing", NULL);
    if (s->gil < -1 || s->gil > 1 || s->gil_wait < -1 || s->gil_wait > 1 || s->gc < -1 || s->gc > 1)
        violation("thread state out of range", NULL);
    if ((s->gil == 1 && s->gil_wait == 1) || (s->gc == 1 && s->gil != 1))
        violation("thread state contradicts itself", NULL);
    for (int d = 0; d < s->depth; d++) {
        const struct walk_frame *f = &s->frames[d];
        if (!f->code)
            violation("frame without a code entry", NULL);
        /* 3.13's _Py_InitCleanup shim: file, name and qualname are one str. */
        if (f->code->id_fields[0] == f->code->id_fields[1])
            violation("an interpreter shim frame was reported", NULL);
        check_text(f->code->name, PYSTR_MAX, "function name");
        check_text(f->code->file, PYSTR_MAX, "file name");
        if (f->line < -1)
            violation("line below -1", NULL);
        if (f->in_call < -1 || f->in_call > 1 || (f->code->calls_known && !f->code->calls))
            violation("in_call out of range, or a call map without its bits", NULL);
    }
}

/* FNV-1a over everything a stack reports. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t stack_hash(const struct walk_stack *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = mix(h, &s->failed, sizeof s->failed);
    h = mix(h, &s->interp, sizeof s->interp);
    h = mix(h, &s->ident, sizeof s->ident);
    h = mix(h, &s->tid, sizeof s->tid);
    h = mix(h, &s->depth, sizeof s->depth);
    h = mix(h, &s->truncated, sizeof s->truncated);
    h = mix(h, &s->gil, sizeof s->gil);
    h = mix(h, &s->gil_wait, sizeof s->gil_wait);
    h = mix(h, &s->gc, sizeof s->gc);
    for (int d = 0; d < s->depth; d++) {
        const struct walk_frame *f = &s->frames[d];
        h = mix(h, f->code->name, strlen(f->code->name) + 1);
        h = mix(h, f->code->file, strlen(f->code->file) + 1);
        h = mix(h, &f->line, sizeof f->line);
        h = mix(h, &f->in_call, sizeof f->in_call);
    }
    return h;
}

/* ------------------------------------------------------------ description */

static void put_escaped(FILE *out, const char *s)
{
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        if (*u < 0x20 || *u == 0x7f || *u == '\\')
            fprintf(out, "\\x%02x", *u);
        else
            fputc(*u, out);
    }
}

static void describe_stack(FILE *out, int i, const struct walk_stack *s)
{
    fprintf(out, "thread %d ident=0x%llx", i, (unsigned long long)s->ident);
    if (s->failed) {
        fputs(" failed\n", out);
        return;
    }
    fprintf(out, " tid=%llu depth=%d truncated=%d\n", (unsigned long long)s->tid, s->depth,
            s->truncated);
    for (int d = 0; d < s->depth; d++) {
        fputs("  at ", out);
        put_escaped(out, s->frames[d].code->name);
        fputs(" (", out);
        put_escaped(out, s->frames[d].code->file);
        fprintf(out, ":%d)\n", (int)s->frames[d].line);
    }
}

/* ------------------------------------------------------------ the read path */

static uint64_t first_round[FUZZIMG_MAX_THREADS];

/* Thread names of each interpreter the stacks belong to. */
static void walk_names(struct pytarget *t, const uint64_t *interps, int n, FILE *out)
{
    struct thread_name names[FUZZIMG_MAX_THREADS];
    for (int i = 0; i < n; i++) {
        int count = -1;
        int rc = threadnames_read(t->r, &t->layout, interps[i], names, FUZZIMG_MAX_THREADS,
                                  &count);
        if (count < 0 || count > FUZZIMG_MAX_THREADS || (rc < 0 && count != 0))
            violation("thread name count", NULL);
        if (out)
            fprintf(out, "names interp=0x%llx rc=%d count=%d\n",
                    (unsigned long long)interps[i], rc, count);
        for (int k = 0; k < count; k++) {
            check_text(names[k].name, sizeof names[k].name, "thread name");
            if (out) {
                fprintf(out, "  ident=0x%llx ", (unsigned long long)names[k].ident);
                put_escaped(out, names[k].name);
                fputc('\n', out);
            }
        }
    }
}

/* One round; the first records what it found (and, in interps, each
 * interpreter seen), the later ones (from warm caches, interps NULL) must
 * find the same. Returns the thread count or the error. */
static int one_round(struct walker *w, int round, uint64_t *interps, int *ninterps, FILE *out)
{
    int n = walker_round(w);
    if (out)
        fprintf(out, "round %d threads=%d\n", round, n);
    int shown = n < FUZZIMG_MAX_THREADS ? n : FUZZIMG_MAX_THREADS;
    for (int i = 0; i < shown; i++) {
        const struct walk_stack *s = walker_stack(w, i);
        if (!s)
            violation("no stack for a thread the round counted", NULL);
        check_stack(s);
        uint64_t h = stack_hash(s);
        if (round == 0)
            first_round[i] = h;
        else if (h != first_round[i])
            violation("a round from warm caches differs from the cold one", NULL);
        if (out && round == 0)
            describe_stack(out, i, s);
        for (int k = 0; k < i && s->gil == 1; k++) {
            const struct walk_stack *o = walker_stack(w, k);
            if (o->gil == 1 && o->interp == s->interp)
                violation("two threads of an interpreter hold the GIL", NULL);
        }
        int seen = !interps;
        for (int k = 0; !seen && k < *ninterps; k++)
            seen = interps[k] == s->interp;
        if (!seen && *ninterps < FUZZIMG_MAX_THREADS)
            interps[(*ninterps)++] = s->interp;
    }
    return n;
}

void fuzzimg_walk(struct pytarget *t, FILE *out)
{
    int rc = pytarget_ready(t);
    if (out)
        fprintf(out, "python %s ready=%d\n", t->version, rc);
    struct codecache *c = codecache_new();
    struct walker *w = NULL;
    if (!c || walker_new(t, c, &w) < 0)
        abort();
    uint64_t interps[FUZZIMG_MAX_THREADS];
    int ninterps = 0;
    int n0 = one_round(w, 0, interps, &ninterps, out);
    int n1 = one_round(w, 1, NULL, &ninterps, NULL);
    if (n0 != n1)
        violation("a round from warm caches found another thread count", NULL);
    /* the image does not change: stacks copied (walker_still) are the same */
    for (int i = 0; i < n1; i++)
        walker_still(w, i, 1);
    if (one_round(w, 2, NULL, &ninterps, NULL) != n0)
        violation("a round with every thread still found another thread count", NULL);
    walker_free(w);
    codecache_free(c);
    walk_names(t, interps, ninterps, out);
}
