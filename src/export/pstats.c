/* SPDX-License-Identifier: MIT */
/* pstats export of the table: the marshalled dictionary cProfile writes;
 * see include/pstats.h for what the fields hold for a sampled profile. */
#include "pstats.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "pprof.h"
#include "table.h"
#include "utf8.h"

#define NO_FRAME "[no Python frame]"          /* as in collapsed.c */

/* marshal's type codes (CPython Python/marshal.c, format version 4). */
#define TYPE_NULL '0'
#define TYPE_INT 'i'
#define TYPE_LONG 'l'
#define TYPE_BINARY_FLOAT 'g'
#define TYPE_UNICODE 'u'
#define TYPE_DICT '{'
#define TYPE_SMALL_TUPLE ')'
#define TYPE_REF 'r'
#define FLAG_REF 0x80

/* A function's key, escaped; the text lives in struct keys' buffer. */
struct key {
    size_t file, name;      /* offsets in keys.text */
    int32_t line;
    uint32_t id;            /* function id; nf for NO_FRAME */
};

/* One entry of the dictionary: the functions whose keys are equal. */
struct group {
    uint32_t id;            /* the function whose key it writes */
    uint32_t ref;           /* marshal reference of its key, TABLE_NONE before */
    uint64_t own, total;
    uint64_t seen;          /* the last stack that counted it */
};

/* A caller -> callee pair of groups. */
struct edge {
    uint32_t caller, callee;
    uint64_t nc, cc;
    uint64_t seen;
};

struct ps {
    const struct table *t;
    size_t nf;              /* functions; id nf is NO_FRAME */
    char *text;             /* escaped names and files, NUL-separated */
    size_t len, cap;
    struct key *keys;       /* nf + 1, sorted */
    uint32_t *group_of;     /* by function id */
    struct group *groups;
    size_t ngroups;
    struct edge *edges;
    size_t nedges, edges_cap;
    uint32_t *slots;        /* edge hash: edge index or TABLE_NONE; a power of two */
    size_t nslots;
    uint64_t serial;        /* stacks visited */
    uint32_t nrefs;         /* keys written with FLAG_REF */
};

/* ---- keys ---- */

/* Append s with controls and invalid UTF-8 as '?', and a NUL; returns its
 * offset, or SIZE_MAX on ENOMEM. */
static size_t put_text(struct ps *p, const char *s)
{
    size_t n = strlen(s), at = p->len;
    if (array_reserve((void **)&p->text, &p->cap, p->len + n + 1, 1) < 0)
        return SIZE_MAX;
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        uint32_t cp;
        size_t k = utf8_seq(u, &cp);
        if (k == 0 || utf8_is_control(cp)) {
            p->text[p->len++] = '?';
            u += k ? k : 1;
        } else {
            memcpy(p->text + p->len, u, k);
            p->len += k;
            u += k;
        }
    }
    p->text[p->len++] = '\0';
    return at;
}

static int make_key(struct ps *p, uint32_t id, struct key *k)
{
    const char *name = id < p->nf ? table_func_name(p->t, id) : NO_FRAME;
    const char *file = id < p->nf ? table_func_file(p->t, id) : "";
    int32_t line = id < p->nf ? table_func_first_line(p->t, id) : -1;
    k->id = id;
    k->line = *file && line > 0 ? line : 0;
    k->file = put_text(p, *file ? file : "~");
    k->name = put_text(p, name);
    return k->file == SIZE_MAX || k->name == SIZE_MAX ? ERR_NOMEM : 0;
}

static int key_cmp(const char *text, const struct key *a, const struct key *b)
{
    int c = strcmp(text + a->file, text + b->file);
    if (c == 0)
        c = (a->line > b->line) - (a->line < b->line);
    return c ? c : strcmp(text + a->name, text + b->name);
}

/* qsort has no context: the text pointer rides in front of each key. */
struct keyref {
    const char *text;
    struct key key;
};

static int by_key(const void *pa, const void *pb)
{
    const struct keyref *a = pa, *b = pb;
    int c = key_cmp(a->text, &a->key, &b->key);
    return c ? c : (a->key.id > b->key.id) - (a->key.id < b->key.id);
}

/* Escape every function's key, sort them, and give equal keys one group. */
static int make_groups(struct ps *p)
{
    size_t n = p->nf + 1;
    struct keyref *r = malloc(n * sizeof *r);
    p->group_of = malloc(n * sizeof *p->group_of);
    p->groups = malloc(n * sizeof *p->groups);
    int rc = r && p->group_of && p->groups ? 0 : ERR_NOMEM;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = make_key(p, (uint32_t)i, &r[i].key);
    for (size_t i = 0; i < n && rc == 0; i++)
        r[i].text = p->text;
    if (rc == 0)
        qsort(r, n, sizeof *r, by_key);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i == 0 || key_cmp(p->text, &r[i - 1].key, &r[i].key) != 0)
            p->groups[p->ngroups++] = (struct group){.id = r[i].key.id, .ref = TABLE_NONE};
        p->group_of[r[i].key.id] = (uint32_t)(p->ngroups - 1);
    }
    if (rc == 0) {
        p->keys = malloc(n * sizeof *p->keys);
        rc = p->keys ? 0 : ERR_NOMEM;
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        p->keys[r[i].key.id] = r[i].key;
    free(r);
    return rc;
}

/* ---- counting ---- */

static size_t edge_hash(uint32_t caller, uint32_t callee, size_t nslots)
{
    uint64_t h = ((uint64_t)caller << 32 | callee) * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 32) & (nslots - 1);
}

static int grow_slots(struct ps *p)
{
    size_t n = p->nslots ? p->nslots * 2 : 1024;
    uint32_t *slots = malloc(n * sizeof *slots);
    if (!slots)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        slots[i] = TABLE_NONE;
    for (size_t e = 0; e < p->nedges; e++) {
        size_t i = edge_hash(p->edges[e].caller, p->edges[e].callee, n);
        while (slots[i] != TABLE_NONE)
            i = (i + 1) & (n - 1);
        slots[i] = (uint32_t)e;
    }
    free(p->slots);
    p->slots = slots;
    p->nslots = n;
    return 0;
}

/* The edge caller -> callee, made on first use; NULL on ENOMEM. */
static struct edge *edge_of(struct ps *p, uint32_t caller, uint32_t callee)
{
    if ((p->nedges + 1) * 2 > p->nslots && grow_slots(p) < 0)
        return NULL;
    size_t i = edge_hash(caller, callee, p->nslots);
    for (; p->slots[i] != TABLE_NONE; i = (i + 1) & (p->nslots - 1)) {
        struct edge *e = &p->edges[p->slots[i]];
        if (e->caller == caller && e->callee == callee)
            return e;
    }
    if (p->nedges >= TABLE_NONE ||
        array_reserve((void **)&p->edges, &p->edges_cap, p->nedges + 1, sizeof *p->edges) < 0)
        return NULL;
    p->slots[i] = (uint32_t)p->nedges;
    p->edges[p->nedges] = (struct edge){.caller = caller, .callee = callee};
    return &p->edges[p->nedges++];
}

/* One distinct stack (root first): each group on it counts the samples
 * once, each caller -> callee pair on it once, the leaf its own. */
static int count_stack(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                       uint64_t count)
{
    struct ps *p = arg;
    (void)thread;
    uint64_t serial = ++p->serial;
    uint32_t prev = TABLE_NONE, g = p->group_of[p->nf];
    struct edge *e = NULL;
    for (int i = 0; i < depth; i++, prev = g) {
        if (frames[i].func >= p->nf)
            return ERR_USAGE;
        g = p->group_of[frames[i].func];
        if (p->groups[g].seen != serial) {
            p->groups[g].seen = serial;
            p->groups[g].total += count;
        }
        if (prev == TABLE_NONE)
            continue;
        if (!(e = edge_of(p, prev, g)))
            return ERR_NOMEM;
        if (e->seen != serial) {
            e->seen = serial;
            e->nc += count;
        }
    }
    if (depth == 0)
        p->groups[g].total += count;
    p->groups[g].own += count;
    if (e)
        e->cc += count;
    return 0;
}

static int by_callee(const void *pa, const void *pb)
{
    const struct edge *a = pa, *b = pb;
    if (a->callee != b->callee)
        return (a->callee > b->callee) - (a->callee < b->callee);
    return (a->caller > b->caller) - (a->caller < b->caller);
}

/* ---- marshal ---- */

static void w_int32(FILE *f, int32_t v)
{
    uint32_t u = (uint32_t)v;
    unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                          (unsigned char)(u >> 24)};
    fwrite(b, 1, 4, f);
}

/* An int: 'i' when it fits 32 bits, else marshal's long (15-bit digits). */
static void w_count(FILE *f, uint64_t v)
{
    if (v <= INT32_MAX) {
        putc(TYPE_INT, f);
        w_int32(f, (int32_t)v);
        return;
    }
    int32_t n = 0;
    for (uint64_t x = v; x; x >>= 15)
        n++;
    putc(TYPE_LONG, f);
    w_int32(f, n);
    for (; v; v >>= 15) {
        putc((int)(v & 0xFF), f);
        putc((int)(v >> 8 & 0x7F), f);
    }
}

static void w_float(FILE *f, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    putc(TYPE_BINARY_FLOAT, f);
    for (int i = 0; i < 8; i++)
        putc((int)(u >> 8 * i & 0xFF), f);
}

static void w_str(FILE *f, const char *s)
{
    size_t n = strlen(s);
    putc(TYPE_UNICODE, f);
    w_int32(f, (int32_t)(n > INT32_MAX ? INT32_MAX : n));
    fwrite(s, 1, n, f);
}

/* A group's key: the tuple the first time (flagged, so that later uses
 * refer to it), then a reference. marshal numbers flagged objects in the
 * order it meets them, and keys are the only ones flagged here. */
static void w_key(FILE *f, struct ps *p, uint32_t g)
{
    struct group *gr = &p->groups[g];
    if (gr->ref != TABLE_NONE) {
        putc(TYPE_REF, f);
        w_int32(f, (int32_t)gr->ref);
        return;
    }
    gr->ref = p->nrefs++;
    const struct key *k = &p->keys[gr->id];
    putc(TYPE_SMALL_TUPLE | FLAG_REF, f);
    putc(3, f);
    w_str(f, p->text + k->file);
    putc(TYPE_INT, f);
    w_int32(f, k->line);
    w_str(f, p->text + k->name);
}

/* The dictionary: groups in key order, each with its callers (the edges
 * sorted by callee, so each group's are consecutive). */
static void write_dict(FILE *f, struct ps *p, double sec)
{
    size_t e = 0;
    putc(TYPE_DICT, f);
    for (uint32_t g = 0; g < p->ngroups; g++) {
        const struct group *gr = &p->groups[g];
        if (gr->total == 0)
            continue;
        w_key(f, p, g);
        putc(TYPE_SMALL_TUPLE, f);
        putc(5, f);
        w_count(f, gr->own);
        w_count(f, gr->total);
        w_float(f, (double)gr->own * sec);
        w_float(f, (double)gr->total * sec);
        putc(TYPE_DICT, f);
        for (; e < p->nedges && p->edges[e].callee == g; e++) {
            const struct edge *ed = &p->edges[e];
            w_key(f, p, ed->caller);
            putc(TYPE_SMALL_TUPLE, f);
            putc(4, f);
            w_count(f, ed->nc);
            w_count(f, ed->cc);
            w_float(f, (double)ed->cc * sec);
            w_float(f, (double)ed->nc * sec);
        }
        putc(TYPE_NULL, f);
    }
    putc(TYPE_NULL, f);
}

/* The trailer: the mark, the pprof's length and the pprof (pstats.h). */
static int write_trailer(FILE *f, const struct table *t, const struct export_meta *meta)
{
    char *prof = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&prof, &len);
    if (!m)
        return ERR_NOMEM;
    int rc = pprof_write(m, t, meta);
    if (fclose(m) != 0 && rc == 0)
        rc = ERR_NOMEM;
    if (rc == 0) {
        fprintf(f, PSTATS_PROFILE_MARK "%zu\n", len);
        fwrite(prof, 1, len, f);
    }
    free(prof);
    return rc == ERR_IO ? ERR_NOMEM : rc;      /* a memory stream fails only for memory */
}

int pstats_find_profile(const uint8_t *d, size_t n, const uint8_t **prof, size_t *len)
{
    static const char mark[] = PSTATS_PROFILE_MARK;
    const size_t k = sizeof mark - 1;
    const uint8_t *at = n >= k ? memmem(d, n, mark, k) : NULL;
    if (!at)
        return 1;
    const uint8_t *p = at + k, *end = d + n;
    uint64_t v = 0;
    int digits = 0;
    while (p < end && *p >= '0' && *p <= '9' && digits < 19) {
        v = v * 10 + (uint64_t)(*p++ - '0');
        digits++;
    }
    if (!digits || p >= end || *p != '\n')
        return ERR_INPUT;
    p++;
    if (v != (uint64_t)(end - p))
        return ERR_INPUT;       /* cut short, or something follows it */
    *prof = p;
    *len = (size_t)v;
    return 0;
}

int pstats_write(FILE *f, const struct table *t, const struct export_meta *meta)
{
    if (!meta)
        return ERR_USAGE;
    struct ps p = {.t = t, .nf = table_func_count(t)};
    int rc = p.nf < TABLE_NONE ? make_groups(&p) : ERR_NOMEM;
    if (rc == 0)
        rc = table_foreach_stack(t, count_stack, &p);
    if (rc == 0) {
        if (p.nedges > 1)
            qsort(p.edges, p.nedges, sizeof *p.edges, by_callee);
        write_dict(f, &p, (double)meta->interval_ns * 1e-9);
        rc = write_trailer(f, t, meta);
    }
    if (rc == 0) {
        if (fflush(f) != 0 || ferror(f))
            rc = ERR_IO;
    }
    free(p.text);
    free(p.keys);
    free(p.group_of);
    free(p.groups);
    free(p.edges);
    free(p.slots);
    return rc;
}
