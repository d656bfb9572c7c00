/* SPDX-License-Identifier: MIT */
/* The pprof writer: its output decoded with the tests' own decoder
 * (pbdec.h) and compared with the table it came from: every stack with its
 * thread and count, leaf first; locations and functions; labels; sample
 * and period types; metadata comments; cleaned hostile strings; the gzip
 * wrapper around the same bytes; a profile's every state as sample types
 * (export_meta.by_mode from a modeset). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "error.h"
#include "import.h"
#include "modeset.h"
#include "pbdec.h"
#include "pprof.h"
#include "profile.h"
#include "table.h"
#include "utf8.h"

#define MAXN 256

struct dfunc { uint64_t id, name, sys, file; int64_t start; };
struct dloc { uint64_t id, func; int64_t line; };
struct dsample { uint64_t locs[64]; int nlocs; uint64_t values[8]; int nvalues;
                 uint64_t tname, tid, pid; int has_tname; };

struct decoded {
    const uint8_t *strs[MAXN * 4];
    size_t strn[MAXN * 4];
    size_t nstr;
    uint64_t stype[8][2];
    int nstype;
    struct dsample samples[MAXN];
    int nsamples;
    struct dloc locs[MAXN];
    int nlocs;
    struct dfunc funcs[MAXN];
    int nfuncs;
    uint64_t ptype[2], period, comments[32], time, duration, default_type;
    int ncomments;
    int bad;
};

static void decode_value_type(const struct pbfield *f, uint64_t out[2], int *bad)
{
    const uint8_t *p = f->p, *e = f->p + f->n;
    struct pbfield g;
    int rc;
    while ((rc = pb_next(&p, e, &g)) == 1)
        if (g.field == 1 || g.field == 2)
            out[g.field - 1] = g.v;
    *bad |= rc < 0;
}

static void decode_label(const struct pbfield *f, struct dsample *s, int *bad)
{
    const uint8_t *p = f->p, *e = f->p + f->n;
    struct pbfield g;
    uint64_t v[5] = {0};
    int rc;
    while ((rc = pb_next(&p, e, &g)) == 1)
        if (g.field >= 1 && g.field <= 4)
            v[g.field] = g.v;
    *bad |= rc < 0;
    /* keys: string indices 1, 2, 3 are thread_name, thread_id, pid (setup order) */
    if (v[1] == 1)
        s->tname = v[2], s->has_tname = 1;
    else if (v[1] == 2)
        s->tid = v[3];
    else if (v[1] == 3)
        s->pid = v[3];
    else
        *bad = 1;
}

static void decode_sample(struct decoded *d, const struct pbfield *f)
{
    if (d->nsamples >= MAXN) {
        d->bad = 1;
        return;
    }
    struct dsample *s = &d->samples[d->nsamples++];
    memset(s, 0, sizeof *s);
    const uint8_t *p = f->p, *e = f->p + f->n;
    struct pbfield g;
    int rc;
    while ((rc = pb_next(&p, e, &g)) == 1) {
        if (g.field == 1)
            s->nlocs = pb_packed(&g, s->locs, 64);
        else if (g.field == 2)
            s->nvalues = pb_packed(&g, s->values, 8);
        else if (g.field == 3)
            decode_label(&g, s, &d->bad);
    }
    d->bad |= rc < 0 || s->nlocs < 0 || s->nvalues < 0;
}

static void decode_location(struct decoded *d, const struct pbfield *f)
{
    if (d->nlocs >= MAXN) {
        d->bad = 1;
        return;
    }
    struct dloc *l = &d->locs[d->nlocs++];
    memset(l, 0, sizeof *l);
    const uint8_t *p = f->p, *e = f->p + f->n;
    struct pbfield g, h;
    int rc, lines = 0;
    while ((rc = pb_next(&p, e, &g)) == 1) {
        if (g.field == 1)
            l->id = g.v;
        if (g.field != 4)
            continue;
        lines++;
        const uint8_t *q = g.p, *qe = g.p + g.n;
        while (pb_next(&q, qe, &h) == 1)
            if (h.field == 1)
                l->func = h.v;
            else if (h.field == 2)
                l->line = (int64_t)h.v;
    }
    d->bad |= rc < 0 || lines != 1;
}

static void decode_function(struct decoded *d, const struct pbfield *f)
{
    if (d->nfuncs >= MAXN) {
        d->bad = 1;
        return;
    }
    struct dfunc *fn = &d->funcs[d->nfuncs++];
    memset(fn, 0, sizeof *fn);
    const uint8_t *p = f->p, *e = f->p + f->n;
    struct pbfield g;
    int rc;
    while ((rc = pb_next(&p, e, &g)) == 1) {
        uint64_t *slot[] = {NULL, &fn->id, &fn->name, &fn->sys, &fn->file, (uint64_t *)&fn->start};
        if (g.field >= 1 && g.field <= 5)
            *slot[g.field] = g.v;
    }
    d->bad |= rc < 0;
}

static void decode_profile(struct decoded *d, const uint8_t *buf, size_t len)
{
    memset(d, 0, sizeof *d);
    const uint8_t *p = buf, *e = buf + len;
    struct pbfield f;
    int rc;
    while ((rc = pb_next(&p, e, &f)) == 1) {
        switch (f.field) {
        case 1: if (d->nstype < 8) decode_value_type(&f, d->stype[d->nstype++], &d->bad); break;
        case 2: decode_sample(d, &f); break;
        case 4: decode_location(d, &f); break;
        case 5: decode_function(d, &f); break;
        case 6:
            if (d->nstr < MAXN * 4)
                d->strs[d->nstr] = f.p, d->strn[d->nstr++] = f.n;
            break;
        case 9: d->time = f.v; break;
        case 10: d->duration = f.v; break;
        case 11: decode_value_type(&f, d->ptype, &d->bad); break;
        case 12: d->period = f.v; break;
        case 13: d->ncomments = pb_packed(&f, d->comments, 32); break;
        case 14: d->default_type = f.v; break;
        default: d->bad = 1;
        }
    }
    d->bad |= rc < 0 || d->ncomments < 0;
}

/* String i of the table as a NUL-terminated copy in a static buffer. */
static const char *str(const struct decoded *d, uint64_t i)
{
    static char buf[4][512];
    static int k;
    char *b = buf[k++ & 3];
    if (i >= d->nstr)
        return "<bad index>";
    size_t n = d->strn[i] < 511 ? d->strn[i] : 511;
    memcpy(b, d->strs[i], n);
    b[n] = '\0';
    return b;
}

/* "tid name|func(file):line<func(file):line... xcount" for a decoded sample,
 * leaf first. */
static void describe(const struct decoded *d, const struct dsample *s, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "%llu %s|", (unsigned long long)s->tid,
                                  s->has_tname ? str(d, s->tname) : "-");
    for (int i = 0; i < s->nlocs && len < cap; i++) {
        const struct dloc *l = NULL;
        const struct dfunc *fn = NULL;
        for (int k = 0; k < d->nlocs; k++)
            if (d->locs[k].id == s->locs[i])
                l = &d->locs[k];
        for (int k = 0; l && k < d->nfuncs; k++)
            if (d->funcs[k].id == l->func)
                fn = &d->funcs[k];
        if (!fn) {
            len += (size_t)snprintf(out + len, cap - len, "<no location %llu>",
                                    (unsigned long long)s->locs[i]);
            continue;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s(%s):%lld", i ? "<" : "",
                                str(d, fn->name), str(d, fn->file), (long long)l->line);
    }
    if (len < cap)
        snprintf(out + len, cap - len, " x%llu", (unsigned long long)s->values[0]);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct table *sample_table(void)
{
    struct table *t = table_new();
    if (!t)
        return NULL;
    uint32_t th0 = table_thread(t, 100, "Main\nThr\xff" "ead");
    uint32_t th1 = table_thread(t, 200, NULL);
    uint32_t a = table_intern_func_at(t, "alpha", "/srv/app.py", 8);
    uint32_t b = table_intern_func(t, "beta;x", "/srv/app.py");
    uint32_t h = table_intern_func(t, "bad\x01\xc3(", "/srv/\xe2\x80\xa8.py");
    struct frame_key s1[] = {{a, 10}, {b, 20}}, s2[] = {{b, -1}}, s3[] = {{h, 5}, {a, 11}};
    int rc = table_add_stack(t, th0, s1, 2, 3) | table_add_stack(t, th0, s2, 1, 2) |
             table_add_stack(t, th1, s3, 2, 4) | table_add_stack(t, th1, NULL, 0, 1) |
             table_add_failed(t, th0, WALK_FAIL_READ);
    if (rc) {
        table_free(t);
        return NULL;
    }
    return t;
}

static const struct export_meta META = {
    .pid = 4242, .version = "9.9.9", .python_version = "3.13.0", .mode = 1,
    .interval_ns = 2000000, .start_unix_ns = 1700000000123456789ULL, .duration_ns = 3500000000ULL,
    .taken = 11, .missed = 1, .lost = 0, .command = "python3 \"app;\npy\"", .warning = NULL,
};

static void check_samples(const struct decoded *d)
{
    static const char *want[] = {
        "100 Main?Thr?ead|[unreadable]():0 x1",
        "100 Main?Thr?ead|alpha(/srv/app.py):10<beta;x(/srv/app.py):20 x3",
        "100 Main?Thr?ead|beta;x(/srv/app.py):0 x2",
        "200 -|[no Python frame]():0 x1",
        ("200 -|bad?" "?((/srv/?.py):5<alpha(/srv/app.py):11 x4"),   /* "??(" is a trigraph */
    };
    enum { N = sizeof want / sizeof want[0] };
    CHECK_EQ(d->nsamples, N);
    if (d->nsamples != N)
        return;
    char got[N][512], *sorted[N];
    for (int i = 0; i < N; i++) {
        describe(d, &d->samples[i], got[i], sizeof got[i]);
        sorted[i] = got[i];
        CHECK_EQ(d->samples[i].nvalues, 2);
        CHECK_EQ(d->samples[i].values[1], d->samples[i].values[0] * META.interval_ns);
        CHECK_EQ(d->samples[i].pid, META.pid);
    }
    qsort(sorted, N, sizeof *sorted, cmp_str);
    for (int i = 0; i < N; i++)
        check(strcmp(sorted[i], want[i]) == 0, "sample %d: got \"%s\", want \"%s\"", i,
              sorted[i], want[i]);
}

/* Every string is valid UTF-8 without controls; string 0 is "". */
static void check_strings(const struct decoded *d)
{
    CHECK(d->nstr > 0 && d->strn[0] == 0);
    for (size_t i = 0; i < d->nstr; i++) {
        char s[512];
        snprintf(s, sizeof s, "%s", str(d, i));
        const unsigned char *u = (const unsigned char *)s;
        while (*u) {
            uint32_t cp;
            size_t n = utf8_seq(u, &cp);
            check(n && !utf8_is_control(cp), "string %zu \"%s\" is clean", i, s);
            u += n ? n : 1;
        }
    }
}

static int has_comment(const struct decoded *d, const char *text)
{
    for (int i = 0; i < d->ncomments; i++)
        if (strcmp(str(d, d->comments[i]), text) == 0)
            return 1;
    return 0;
}

static void check_meta(const struct decoded *d)
{
    CHECK_EQ(d->nstype, 2);
    CHECK(strcmp(str(d, d->stype[0][0]), "samples") == 0);
    CHECK(strcmp(str(d, d->stype[0][1]), "count") == 0);
    CHECK(strcmp(str(d, d->stype[1][0]), "cpu") == 0);
    CHECK(strcmp(str(d, d->stype[1][1]), "nanoseconds") == 0);
    CHECK(strcmp(str(d, d->ptype[0]), "cpu") == 0);
    CHECK_EQ(d->period, META.interval_ns);
    CHECK_EQ(d->default_type, 0);       /* the interval is known: time is the default */
    CHECK_EQ(d->time, META.start_unix_ns);
    CHECK_EQ(d->duration, META.duration_ns);
    static const char *want[] = {
        "proftui: 9.9.9", "python: 3.13.0", "mode: cpu", "interval: 2000000ns",
        "samples: 11 rounds", "missed: 1 rounds", "lost: 0 rounds",
        "failed: 1 stacks (torn 0, cycle 0, corrupt 0, read 1)", "pid: 4242 (launched)",
        "command: python3 \"app;?py\"",
    };
    CHECK_EQ(d->ncomments, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        check(has_comment(d, want[i]), "comment \"%s\"", want[i]);
    /* one function per function used, one location per (function, line) */
    CHECK_EQ(d->nfuncs, 5);
    CHECK_EQ(d->nlocs, 7);
    int starts = 0;
    for (int i = 0; i < d->nfuncs; i++) {
        CHECK_EQ(d->funcs[i].name, d->funcs[i].sys);
        if (strcmp(str(d, d->funcs[i].name), "alpha") == 0)
            starts++, CHECK_EQ(d->funcs[i].start, 8);
        else
            CHECK_EQ(d->funcs[i].start, 0);           /* unknown: absent */
    }
    CHECK_EQ(starts, 1);
}

static void test_profile(void)
{
    struct table *t = sample_table();
    CHECK(t != NULL);
    if (!t)
        return;
    unsigned char *buf = NULL;
    size_t len = 0;
    CHECK(pprof_encode(t, &META, &buf, &len) == 0);
    static struct decoded d;
    decode_profile(&d, buf, len);
    CHECK(!d.bad);
    check_strings(&d);
    check_samples(&d);
    check_meta(&d);

    /* pprof_write: the same bytes, gzipped */
    char *gz = NULL;
    size_t gzlen = 0;
    FILE *f = open_memstream(&gz, &gzlen);
    CHECK(f && pprof_write(f, t, &META) == 0);
    if (f)
        fclose(f);
    CHECK(gzlen > 18 && (unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b);
    unsigned char *plain = malloc(len + 16);
    z_stream z = {.next_in = (unsigned char *)gz, .avail_in = (uInt)gzlen, .next_out = plain,
                  .avail_out = (uInt)(len + 16)};
    CHECK(plain && inflateInit2(&z, 15 + 16) == Z_OK);
    CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
    CHECK_EQ(z.total_out, len);
    CHECK(plain && memcmp(plain, buf, len) == 0);
    inflateEnd(&z);
    free(plain);
    free(gz);
    free(buf);
    table_free(t);
}

/* Without metadata: no comments, times or pid labels; wall mode. */
static void test_no_meta(void)
{
    struct table *t = sample_table();
    unsigned char *buf = NULL;
    size_t len = 0;
    CHECK(t && pprof_encode(t, NULL, &buf, &len) == 0);
    static struct decoded d;
    decode_profile(&d, buf, len);
    CHECK(!d.bad);
    CHECK_EQ(d.ncomments, 0);
    CHECK_EQ(d.time, 0);
    CHECK(strcmp(str(&d, d.stype[1][0]), "wall") == 0);
    /* no interval, so every time is 0: pprof shows the counts by default */
    CHECK(d.period == 0 && strcmp(str(&d, d.default_type), "samples") == 0);
    for (int i = 0; i < d.nsamples; i++)
        CHECK_EQ(d.samples[i].pid, 0);
    CHECK_EQ(d.nsamples, 5);
    free(buf);
    table_free(t);

    t = table_new();                     /* an empty table: a valid, empty profile */
    CHECK(t && pprof_encode(t, NULL, &buf, &len) == 0);
    decode_profile(&d, buf, len);
    CHECK(!d.bad && d.nsamples == 0 && d.nstr > 0 && d.strn[0] == 0);
    free(buf);
    table_free(t);
}

/* The stacks of a profile in several states: s1, s2, s5 of thread 100,
 * s3 and s4 of thread 200; s4 has bytes allocated only, s5 freed only. */
static int add_states(struct table *t)
{
    uint32_t th0 = table_thread(t, 100, "main"), th1 = table_thread(t, 200, "w");
    uint32_t a = table_intern_func(t, "a", "/x.py"), b = table_intern_func(t, "b", "/x.py");
    struct frame_key s1[] = {{a, 1}}, s2[] = {{a, 1}, {b, 2}}, s3[] = {{b, 3}}, s4[] = {{a, 4}},
                     s5[] = {{b, 5}, {a, 1}};
    return table_add_stack_as(t, th0, s1, 1, 3, TABLE_M_CPU_GIL) |
           table_add_stack_as(t, th0, s1, 1, 2, TABLE_M_IDLE) |
           table_add_stack_as(t, th0, s2, 2, 1, TABLE_M_GIL) |
           table_add_stack_as(t, th0, s2, 2, 4, TABLE_M_CPU) |
           table_add_stack_as(t, th1, s3, 1, 5, TABLE_M_ANY) |
           table_add_stack_as(t, th1, s3, 1, 1000, TABLE_M_ALLOC) |
           table_add_stack_as(t, th1, s4, 1, 500, TABLE_M_ALLOC) |
           table_add_stack_as(t, th1, s3, 1, 300, TABLE_M_FREED) |
           table_add_stack_as(t, th0, s5, 2, 200, TABLE_M_FREED);
}

/* A sample type's name and unit, "name/unit". */
static const char *type_of(const struct decoded *d, int i)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "%s/", str(d, d->stype[i][0]));
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s", str(d, d->stype[i][1]));
    return buf;
}

/* p's pprof with every mode's table (a modeset's), in gil mode
 * (caller frees *buf). 0 or an error. */
static int encode_states(struct profile *p, unsigned char **buf, size_t *len)
{
    struct modeset *ms = modeset_new();
    struct table *like = table_new();
    int rc = ms && like ? modeset_sync(ms, p, like, NULL) : ERR_NOMEM;
    struct export_meta meta = META;
    meta.mode = TABLE_MODE_GIL;
    for (int m = 0; m < TABLE_MODES; m++)
        meta.by_mode[m] = modeset_table(ms, (enum table_mode)m);
    if (rc == 0)
        rc = pprof_encode(meta.by_mode[TABLE_MODE_GIL], &meta, buf, len);
    table_free(like);
    modeset_free(ms);
    return rc;
}

/* A type per mode (freed_space: released), the mode the default, each stack of
 * add_states() once with its value in each. */
static void check_states(const unsigned char *buf, size_t len)
{
    static struct decoded d;
    decode_profile(&d, buf, len);
    CHECK(!d.bad);
    static const char *types[] = {"samples/count", "cpu/count", "gil/count", "idle/count",
                                  "alloc_space/bytes", "freed_space/bytes"};
    CHECK_EQ(d.nstype, 6);
    for (int i = 0; i < d.nstype && i < 6; i++)
        check(strcmp(type_of(&d, i), types[i]) == 0, "type %d: %s", i, type_of(&d, i));
    CHECK(strcmp(str(&d, d.default_type), "gil") == 0);
    static const struct { const char *stack; uint64_t v[6]; } want[] = {
        {"100 main|a(/x.py):1", {5, 3, 3, 2, 0, 0}},
        {"100 main|a(/x.py):1<b(/x.py):2", {5, 4, 1, 0, 0, 0}},
        {"200 w|b(/x.py):3", {5, 0, 0, 0, 1000, 300}},
        {"200 w|a(/x.py):4", {0, 0, 0, 0, 500, 0}},
        {"100 main|b(/x.py):5<a(/x.py):1", {0, 0, 0, 0, 0, 200}},
    };
    CHECK_EQ(d.nsamples, 5);
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        int found = 0;
        for (int i = 0; i < d.nsamples; i++) {
            char got[256];
            describe(&d, &d.samples[i], got, sizeof got);
            *strrchr(got, ' ') = '\0';                /* the count: values[0] */
            if (strcmp(got, want[k].stack) != 0)
                continue;
            found++;
            CHECK_EQ(d.samples[i].nvalues, 6);
            for (int v = 0; v < 6 && v < d.samples[i].nvalues; v++)
                check(d.samples[i].values[v] == want[k].v[v], "%s value %d: %llu, want %llu",
                      want[k].stack, v, (unsigned long long)d.samples[i].values[v],
                      (unsigned long long)want[k].v[v]);
        }
        check(found == 1, "stack %s once (%d)", want[k].stack, found);
    }
}

/* Every state as sample types (a modeset's tables),
 * and read back state by state (import_buffer_states) the same again. */
static void test_every_state(void)
{
    struct profile *p = profile_new(), *back = profile_new();
    CHECK(p && back);
    if (!p || !back)
        return;
    profile_lock(p);
    CHECK(add_states(profile_table(p)) == 0);
    profile_unlock(p);
    unsigned char *buf = NULL, *again = NULL;
    size_t len = 0, alen = 0;
    CHECK(encode_states(p, &buf, &len) == 0);
    check_states(buf, len);
    char err[IMPORT_ERR_MAX];
    int states = 0;
    CHECK(buf && import_buffer_states(buf, len, "p.pprof", back, err, sizeof err, &states) == 0);
    CHECK_EQ(states, 1);
    CHECK(encode_states(back, &again, &alen) == 0);
    check_states(again, alen);
    free(again);
    free(buf);
    profile_free(back);
    profile_free(p);
}

int main(void)
{
    test_profile();
    test_no_meta();
    test_every_state();
    return check_report("pprof");
}
