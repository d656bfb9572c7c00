/* SPDX-License-Identifier: MIT */
/* Unit tests of the pstats exporter: random stacks (recursion, several
 * threads, stacks without frames, a count above 2^31, names that escaping
 * makes equal) written, decoded back with a small marshal reader, and
 * compared with counts made by brute force from the stacks fed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "pstats.h"
#include "table.h"

/* Functions as fed, and the key each must come out as. */
struct fn {
    const char *name, *file;
    int32_t first;                 /* first line, -1 unknown */
    int key;                       /* index of its key in keys[] */
};

struct key {
    const char *name, *file;
    int32_t line;
};

static const struct key keys[] = {
    {"main", "app.py", 3}, {"burn", "app.py", 0}, {"x?", "e.py", 0}, {"bad?", "ü?.py", 0},
    {"[truncated]", "~", 0}, {"rec", "r.py", 7}, {"run", "c.py", 10}, {"run", "c.py", 20},
    {"[no Python frame]", "~", 0},
};
#define NKEYS (sizeof keys / sizeof keys[0])
#define NOFRAME_KEY ((int)NKEYS - 1)

static const struct fn fns[] = {
    {"main", "app.py", 3, 0},
    {"burn", "app.py", -1, 1},
    {"x\x01", "e.py", -1, 2},          /* these two have one key */
    {"x\x02", "e.py", -1, 2},
    {"bad\xff", "ü\n.py", -1, 3},
    {"[truncated]", "", -1, 4},
    {"rec", "r.py", 7, 5},
    {"run", "c.py", 10, 6},            /* two functions of one name and file */
    {"run", "c.py", 20, 7},
};
#define NFNS (sizeof fns / sizeof fns[0])

static int key_of(size_t fn) { return fns[fn].key; }
static const char *key_name(int k) { return keys[k].name; }
static const char *key_file(int k) { return keys[k].file; }

/* The model: counts by key and by (caller key, callee key). */
struct model {
    uint64_t own[NKEYS], total[NKEYS];
    uint64_t nc[NKEYS][NKEYS], cc[NKEYS][NKEYS];
};

static uint64_t rng = 0x2545F4914F6CDD1Du;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* Feed one stack (root first in fn[]) to the table and the model. */
static void feed(struct table *t, uint32_t th, const uint32_t *ids, const size_t *fn, int depth,
                 uint64_t count, struct model *m)
{
    struct frame_key leaf_first[8] = {{0, 0}};
    for (int i = 0; i < depth; i++)
        leaf_first[depth - 1 - i] = (struct frame_key){ids[fn[i]], (int32_t)rnd(50)};
    CHECK(table_add_stack(t, th, leaf_first, depth, count) == 0);
    int seen[NKEYS] = {0}, pair[NKEYS][NKEYS] = {{0}};
    if (depth == 0) {
        m->own[NOFRAME_KEY] += count;
        m->total[NOFRAME_KEY] += count;
        return;
    }
    for (int i = 0; i < depth; i++) {
        int k = key_of(fn[i]);
        if (!seen[k]++)
            m->total[k] += count;
        if (i > 0 && !pair[key_of(fn[i - 1])][k]++)
            m->nc[key_of(fn[i - 1])][k] += count;
    }
    m->own[key_of(fn[depth - 1])] += count;
    if (depth > 1)
        m->cc[key_of(fn[depth - 2])][key_of(fn[depth - 1])] += count;
}

/* ---- a marshal reader for what pstats_write emits ---- */

struct rd {
    const unsigned char *p, *end;
    int bad;
    int refs[4096];          /* key index of each reference */
    int nrefs;
};

static int32_t rd_i32(struct rd *r)
{
    if (r->end - r->p < 4) {
        r->bad = 1;
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    r->p += 4;
    return (int32_t)v;
}

static int rd_byte(struct rd *r)
{
    if (r->p >= r->end) {
        r->bad = 1;
        return -1;
    }
    return *r->p++;
}

static uint64_t rd_count(struct rd *r)
{
    int type = rd_byte(r);
    if (type == 'i')
        return (uint64_t)rd_i32(r);
    if (type != 'l') {
        r->bad = 1;
        return 0;
    }
    int32_t n = rd_i32(r);
    uint64_t v = 0;
    for (int32_t i = 0; i < n && !r->bad; i++) {
        int lo = rd_byte(r), hi = rd_byte(r);
        v |= (uint64_t)(lo | hi << 8) << (15 * i);
    }
    return v;
}

static double rd_float(struct rd *r)
{
    if (rd_byte(r) != 'g' || r->end - r->p < 8) {
        r->bad = 1;
        return 0;
    }
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static int rd_str_is(struct rd *r, const char *want)
{
    if (rd_byte(r) != 'u')
        return r->bad = 1, 0;
    int32_t n = rd_i32(r);
    if (n < 0 || r->end - r->p < n)
        return r->bad = 1, 0;
    int same = (size_t)n == strlen(want) && memcmp(r->p, want, (size_t)n) == 0;
    r->p += n;
    return same;
}

/* A key (tuple or reference): the index of the model key it names, or -1. */
static int rd_key(struct rd *r)
{
    int type = rd_byte(r);
    if (type == 'r') {
        int32_t i = rd_i32(r);
        return i >= 0 && i < r->nrefs ? r->refs[i] : (r->bad = 1, -1);
    }
    if (type != (')' | 0x80) || rd_byte(r) != 3 || r->nrefs >= 4096)
        return r->bad = 1, -1;
    int slot = r->nrefs++;
    const unsigned char *at = r->p;
    int found = -1;
    for (int k = 0; k < (int)NKEYS && found < 0; k++) {
        r->p = at;
        int ok = rd_str_is(r, key_file(k));
        ok &= rd_count(r) == (uint64_t)keys[k].line;
        ok &= rd_str_is(r, key_name(k));
        if (ok)
            found = k;
    }
    r->refs[slot] = found;
    return found;
}

/* What follows the dictionary [p, end): the mark, the length, a newline
 * and a gzipped pprof of that length, up to the end; found again by
 * pstats_find_profile from the start of the file, which a cut or a byte
 * more makes refuse it. */
static void check_trailer(const unsigned char *p, const unsigned char *end)
{
    static const char mark[] = PSTATS_PROFILE_MARK;
    size_t k = sizeof mark - 1;
    CHECK((size_t)(end - p) > k && memcmp(p, mark, k) == 0);
    if ((size_t)(end - p) <= k)
        return;
    char *nl;
    unsigned long long n = strtoull((const char *)p + k, &nl, 10);
    CHECK(*nl == '\n' && (unsigned long long)(end - (const unsigned char *)nl - 1) == n);
    const uint8_t *prof = NULL;
    size_t plen = 0;
    CHECK(pstats_find_profile(p - 1, (size_t)(end - p) + 1, &prof, &plen) == 0);
    CHECK(prof == (const uint8_t *)nl + 1 && plen == n && n >= 2 && prof[0] == 0x1f && prof[1] == 0x8b);
    CHECK(pstats_find_profile(p - 1, (size_t)(end - p), &prof, &plen) == ERR_INPUT);   /* cut */
    CHECK(pstats_find_profile(p - 1, 5, &prof, &plen) == 1);                            /* no mark */
}

static void check_entries(struct rd *r, const struct model *m, double sec)
{
    int got[NKEYS] = {0};
    CHECK(rd_byte(r) == '{');
    while (!r->bad && r->p < r->end && *r->p != '0') {
        int k = rd_key(r);
        CHECK(k >= 0);
        if (k < 0)
            return;
        got[k]++;
        CHECK(rd_byte(r) == ')' && rd_byte(r) == 5);
        uint64_t cc = rd_count(r), nc = rd_count(r);
        double tt = rd_float(r), ct = rd_float(r);
        CHECK_EQ(cc, m->own[k]);
        CHECK_EQ(nc, m->total[k]);
        CHECK(tt == (double)m->own[k] * sec && ct == (double)m->total[k] * sec);
        int callers[NKEYS] = {0};
        CHECK(rd_byte(r) == '{');
        while (!r->bad && r->p < r->end && *r->p != '0') {
            int c = rd_key(r);
            CHECK(c >= 0);
            if (c < 0)
                return;
            callers[c]++;
            CHECK(rd_byte(r) == ')' && rd_byte(r) == 4);
            uint64_t enc = rd_count(r), ecc = rd_count(r);
            double ett = rd_float(r), ect = rd_float(r);
            CHECK_EQ(enc, m->nc[c][k]);
            CHECK_EQ(ecc, m->cc[c][k]);
            CHECK(ett == (double)m->cc[c][k] * sec && ect == (double)m->nc[c][k] * sec);
        }
        CHECK(rd_byte(r) == '0');
        for (int c = 0; c < (int)NKEYS; c++)
            CHECK(callers[c] == (m->nc[c][k] > 0));
    }
    CHECK(rd_byte(r) == '0');
    CHECK(!r->bad);
    check_trailer(r->p, r->end);
    for (int k = 0; k < (int)NKEYS; k++)
        check(got[k] == (m->total[k] > 0), "key %d (%s) appears %d times", k, key_name(k), got[k]);
}

static char *write_to_buffer(const struct table *t, const struct export_meta *meta, size_t *len,
                             int *rc)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    *rc = pstats_write(f, t, meta);
    fclose(f);
    return buf;
}

static void test_random(int round)
{
    struct table *t = table_new();
    struct model m;
    memset(&m, 0, sizeof m);
    uint32_t ids[NFNS], th[2] = {table_thread(t, 10, "a"), table_thread(t, 11, "b")};
    for (size_t i = 0; i < NFNS; i++)
        ids[i] = table_intern_func_at(t, fns[i].name, fns[i].file, fns[i].first);
    for (int s = 0; s < 300; s++) {
        size_t fn[8];
        int depth = (int)rnd(8);
        for (int i = 0; i < depth; i++)
            fn[i] = rnd(4) == 0 && i > 0 ? fn[i - 1] : rnd(NFNS);   /* recursion too */
        feed(t, th[rnd(2)], ids, fn, depth, 1 + rnd(1000), &m);
    }
    if (round == 0) {
        size_t fn[2] = {0, 1};
        feed(t, th[0], ids, fn, 2, UINT64_C(3000000000), &m);   /* a marshal long */
    }
    struct export_meta meta = {.interval_ns = 250000};
    size_t len;
    int rc;
    char *buf = write_to_buffer(t, &meta, &len, &rc);
    CHECK(rc == 0);
    struct rd r = {.p = (const unsigned char *)buf, .end = (const unsigned char *)buf + len};
    check_entries(&r, &m, 250000 * 1e-9);
    free(buf);
    table_free(t);
}

static void test_errors(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 1, "main");
    struct frame_key k = {table_intern_func(t, "f", "a.py"), 3};
    CHECK(table_add_stack(t, th, &k, 1, 2) == 0);
    size_t len;
    int rc;
    free(write_to_buffer(t, NULL, &len, &rc));
    CHECK(rc == ERR_USAGE);
    struct export_meta meta = {.interval_ns = 1000000};
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        CHECK(pstats_write(full, t, &meta) == ERR_IO);
        fclose(full);
    }
    table_free(t);
    t = table_new();                 /* empty: an empty dict */
    char *buf = write_to_buffer(t, &meta, &len, &rc);
    CHECK(rc == 0 && len > 2 && memcmp(buf, "{0", 2) == 0);
    if (rc == 0 && len > 2)
        check_trailer((const unsigned char *)buf + 2, (const unsigned char *)buf + len);
    free(buf);
    table_free(t);
}

int main(void)
{
    for (int round = 0; round < 20; round++)
        test_random(round);
    test_errors();
    return check_report("pstats");
}
