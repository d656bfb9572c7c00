/* SPDX-License-Identifier: MIT */
/* pydict and pylong on synthetic images for every built-in layout: look-up,
 * iteration, split tables, both key-table formats, and refusal of corrupt
 * headers, entries and ints (never a crash, always an error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pydict.h"
#include "pylayout.h"
#include "pylong.h"
#include "pyimage.h"
#include "check.h"
#include "pyobj.h"
#include "threadnames.h"


#define NKEYS 200          /* > 64 per chunk, > 0xff slots: 2-byte indices */

struct seen {
    uint64_t keys[NKEYS + 8];
    uint64_t values[NKEYS + 8];
    int n;
    int stop_at;           /* stop after this many (0: never) */
};

static int record(void *arg, const struct pydict_item *it)
{
    struct seen *s = arg;
    if (s->n < NKEYS + 8) {
        s->keys[s->n] = it->key;
        s->values[s->n] = it->value;
    }
    s->n++;
    return s->stop_at && s->n == s->stop_at ? 42 : 0;
}

/* A dict of NKEYS str keys "key-<i>"; entries 7 and 9 deleted. */
static uint64_t big_dict(struct pyimage *g, uint64_t *values, char names[][16])
{
    const char *ptrs[NKEYS];
    for (int i = 0; i < NKEYS; i++) {
        snprintf(names[i], 16, "key-%d", i);
        ptrs[i] = names[i];
        values[i] = (i == 7 || i == 9) ? 0 : pyimage_long(g, (uint64_t)i);
    }
    return pyimage_str_dict(g, ptrs, values, NKEYS);
}

static void test_lookup_and_iterate(struct pyimage *g)
{
    struct reader r = pyimage_reader(g);
    uint64_t values[NKEYS], v = 1;
    static char names[NKEYS][16];
    uint64_t d = big_dict(g, values, names);
    for (int i = 0; i < NKEYS; i += 13) {
        int rc = pydict_lookup_str(&r, g->l, d, names[i], &v);
        CHECKF(rc == 0 && v == values[i], "lookup %s: rc %d, %#llx != %#llx", names[i], rc,
              (unsigned long long)v, (unsigned long long)values[i]);
    }
    /* Absent: a deleted key, a prefix, a longer key, an empty key. */
    const char *absent[] = {"key-7", "key-", "key-1999", "", "KEY-1", "key-10x"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        int rc = pydict_lookup_str(&r, g->l, d, absent[i], &v);
        CHECKF(rc == 0 && v == 0, "absent \"%s\": rc %d, value %#llx", absent[i], rc,
              (unsigned long long)v);
    }
    char longkey[PYDICT_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    CHECKF(pydict_lookup_str(&r, g->l, d, longkey, &v) == ERR_USAGE, "over-long key accepted");

    struct seen s = {0};
    CHECKF(pydict_foreach(&r, g->l, d, record, &s) == 0, "foreach failed");
    CHECKF(s.n == NKEYS - 2, "foreach saw %d entries", s.n);
    for (int i = 0, j = 0; i < NKEYS && j < s.n; i++) {
        if (!values[i])
            continue;
        CHECKF(s.values[j] == values[i], "entry %d out of order", i);
        j++;
    }
    struct seen early = {.stop_at = 70};
    CHECKF(pydict_foreach(&r, g->l, d, record, &early) == 42 && early.n == 70,
          "early stop: n %d", early.n);
}

/* Split table: keys in a shared table, values in a separate array. */
static void test_split(struct pyimage *g)
{
    struct reader r = pyimage_reader(g);
    const char *names[] = {"_target", "_name", "_ident", "_daemonic"};
    struct pyitem items[4];
    uint64_t vals[4] = {0};
    for (int i = 0; i < 4; i++)
        items[i] = (struct pyitem){.key = pyimage_str(g, names[i]), .hash = 99 + i};
    vals[1] = pyimage_str(g, "worker");
    vals[3] = pyimage_long(g, 1);
    uint64_t keys = pyimage_keys(g, items, 4, PYIMAGE_SPLIT);
    uint64_t arr = pyimage_put(g, vals, sizeof vals, 0);
    /* ma_values: a PyObject ** before 3.11, a PyDictValues * after. */
    int32_t skip = g->l->dictvalues_values > 0 ? g->l->dictvalues_values : 0;
    uint64_t ma_values = arr - (uint64_t)skip;
    uint64_t d = pyimage_dict(g, keys, ma_values, 2);
    uint64_t v;
    CHECKF(pydict_lookup_str(&r, g->l, d, "_name", &v) == 0 && v == vals[1], "split _name");
    CHECKF(pydict_lookup_str(&r, g->l, d, "_target", &v) == 0 && v == 0, "unset split slot");
    CHECKF(pydict_keys_lookup_str(&r, g->l, keys, arr, 4, "_daemonic", &v) == 0 && v == vals[3],
          "bare keys lookup");
    CHECKF(pydict_keys_lookup_str(&r, g->l, keys, arr, 2, "_daemonic", &v) == 0 && v == 0,
          "slot beyond values_cap was used");
    struct seen s = {0};
    CHECKF(pydict_foreach(&r, g->l, d, record, &s) == 0 && s.n == 2 && s.values[0] == vals[1],
          "split foreach: n %d", s.n);
    s.n = 0;
    CHECKF(pydict_keys_foreach(&r, g->l, keys, arr, 4, record, &s) == 0 && s.n == 2,
          "bare keys foreach: n %d", s.n);
}

/* One corruption of a valid key table: patch bytes, expect err. */
struct patch {
    const char *what;
    int32_t off;       /* from the table start; -1 marks the end of the list */
    uint64_t value;
    int width;         /* 1 or 8 bytes */
    int err;
};

static void test_corrupt_keys(struct pyimage *g)
{
    const struct py_layout *l = g->l;
    struct reader r = pyimage_reader(g);
    struct pyitem items[5];
    for (int i = 0; i < 5; i++)
        items[i] = (struct pyitem){.key = pyimage_str(g, "k"), .value = pyimage_long(g, 5),
                                   .hash = 1};
    int old = l->dict_model == DICT_MODEL_38;
    const struct patch patches[] = {
        {"nentries > usable", l->dictkeys_nentries, 6, 8, ERR_CORRUPT},
        {"negative nentries", l->dictkeys_nentries, (uint64_t)-1, 8, ERR_CORRUPT},
        {"size not a power of two", old ? l->dictkeys_size : -2, 12, 8, ERR_CORRUPT},
        {"table too small for its entries", old ? l->dictkeys_size : -2, 4, 8, ERR_CORRUPT},
        {"huge size", l->dictkeys_size, old ? 1ull << 40 : 40, old ? 8 : 1, ERR_CORRUPT},
        {"index width disagrees", old ? -2 : l->dictkeys_log2_index_bytes, 7, 1, ERR_CORRUPT},
        {"unknown kind", old ? -2 : l->dictkeys_kind, 3, 1, ERR_CORRUPT},
        {"misaligned key", -3, 0x10000001, 8, ERR_CORRUPT},
        {NULL, -1, 0, 0, 0},
    };
    for (const struct patch *p = patches; p->what; p++) {
        if (p->off == -2)
            continue;                       /* field absent in this format */
        size_t len;
        uint8_t *b = pyimage_keys_bytes(g, items, 5, PYIMAGE_GENERAL, &len);
        if (!b)
            return;
        size_t off = p->off == -3 ? len - 24 + 8 : (size_t)p->off;   /* last entry's key */
        memcpy(b + off, &p->value, (size_t)p->width);
        uint64_t keys = pyimage_put(g, b, len, 0);
        free(b);
        uint64_t d = pyimage_dict(g, keys, 0, 5), v;
        struct seen s = {0};
        int rc = pydict_foreach(&r, l, d, record, &s);
        CHECKF(rc == p->err, "%s: foreach rc %d, want %d", p->what, rc, p->err);
        rc = pydict_lookup_str(&r, l, d, "k", &v);
        CHECKF(rc == p->err, "%s: lookup rc %d, want %d", p->what, rc, p->err);
    }
    /* Entries cut short: the table's tail is not mapped. */
    size_t len;
    uint8_t *b = pyimage_keys_bytes(g, items, 5, PYIMAGE_GENERAL, &len);
    if (b) {
        uint64_t keys = pyimage_put(g, b, len - 30, 0);
        free(b);
        struct seen s = {0};
        CHECKF(pydict_foreach(&r, l, pyimage_dict(g, keys, 0, 5), record, &s) == ERR_READ,
              "truncated entries not refused");
    }
}

static void test_corrupt_dict(struct pyimage *g)
{
    const struct py_layout *l = g->l;
    struct reader r = pyimage_reader(g);
    struct pyitem it = {.key = pyimage_str(g, "k"), .value = pyimage_long(g, 1), .hash = 1};
    uint64_t keys = pyimage_keys(g, &it, 1, PYIMAGE_GENERAL), v;
    struct { const char *what; uint64_t keys, values; int64_t used; int err; } cases[] = {
        {"used > nentries", keys, 0, 2, ERR_CORRUPT},
        {"negative used", keys, 0, -1, ERR_CORRUPT},
        {"misaligned keys", keys + 4, 0, 1, ERR_CORRUPT},
        {"unmapped keys", 0x7f0000000000ull, 0, 1, ERR_READ},
        {"NULL keys", 0, 0, 1, ERR_CORRUPT},
        {"misaligned values", keys, 0x10000003, 1, ERR_CORRUPT},
        {"empty dict", 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t d = pyimage_dict(g, cases[i].keys, cases[i].values, cases[i].used);
        int rc = pydict_lookup_str(&r, l, d, "k", &v);
        CHECKF(rc == cases[i].err, "%s: rc %d want %d", cases[i].what, rc, cases[i].err);
    }
    /* 3.11+: values without a split key table, and the reverse. */
    if (l->dict_model == DICT_MODEL_311) {
        uint64_t arr = pyimage_put(g, &it.value, 8, 0);
        CHECKF(pydict_lookup_str(&r, l, pyimage_dict(g, keys, arr, 1), "k", &v) == ERR_CORRUPT,
              "values with a combined table");
        uint64_t split = pyimage_keys(g, &it, 1, PYIMAGE_SPLIT);
        CHECKF(pydict_lookup_str(&r, l, pyimage_dict(g, split, 0, 1), "k", &v) == ERR_CORRUPT,
              "split table without values");
    }
    CHECKF(pydict_lookup_str(&r, l, 0x10000004, "k", &v) == ERR_CORRUPT, "misaligned dict");
    CHECKF(pydict_lookup_str(&r, l, 0x7f0000000000ull, "k", &v) == ERR_READ, "unmapped dict");
}

static void test_long(struct pyimage *g)
{
    const struct py_layout *l = g->l;
    struct reader r = pyimage_reader(g);
    const uint64_t good[] = {0, 1, (1u << 30) - 1, 1u << 30, 0x7f1234567890ull,
                             (1ull << 60) + 12345, UINT64_MAX};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t v = 0;
        int rc = pylong_read_u64(&r, l, pyimage_long(g, good[i]), &v);
        CHECKF(rc == 0 && v == good[i], "int %llu: rc %d, read %llu",
              (unsigned long long)good[i], rc, (unsigned long long)v);
    }
    int t = l->long_tagged;
    const uint32_t d1[] = {5}, d4[] = {1, 1, 1, 1}, big[] = {1u << 30}, over[] = {1, 1, 16},
                   lead0[] = {7, 0};
    struct { const char *what; uint64_t word; const uint32_t *d; int n; } bad[] = {
        {"negative", t ? 1u << 3 | 2 : (uint64_t)-1, d1, 1},
        {"four digits", t ? 4u << 3 : 4, d4, 4},
        {"digit >= 2**30", t ? 1u << 3 : 1, big, 1},
        {"over 64 bits", t ? 3u << 3 : 3, over, 3},
        {"leading zero digit", t ? 2u << 3 : 2, lead0, 2},
        {"bad sign / huge size", t ? 3 : 1ull << 40, d1, 1},
        {"zero with digits / negative size", t ? 1u << 3 | 1 : 0x8000000000000000ull, d1, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v;
        int rc = pylong_read_u64(&r, l, pyimage_long_raw(g, bad[i].word, bad[i].d, bad[i].n), &v);
        CHECKF(rc == ERR_CORRUPT, "%s: rc %d", bad[i].what, rc);
    }
    uint64_t v;
    CHECKF(pylong_read_u64(&r, l, 0x7f0000000000ull, &v) == ERR_READ, "unmapped int");
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int aligned_items(void *arg, const struct pydict_item *it)
{
    int *bad = arg;
    *bad |= (it->key | it->value) % 8 != 0 || !it->key || !it->value;
    return 0;
}

static int valid_result(int rc)
{
    return rc <= 0 && rc > -ERR_COUNT_;
}

/* Garbage memory whose words often point back into it: every decoder must
 * return 0 or an error code, and never hand out a bad pointer. */
static void test_garbage(struct pyimage *g)
{
    enum { WORDS = 8192 };
    static uint64_t mem[WORDS];
    uint64_t base = g->next + 4096;
    for (int i = 0; i < WORDS; i++) {
        uint64_t x = rng();
        switch (x % 4) {
        case 0: mem[i] = base + (rng() % WORDS) * 8; break;   /* a plausible pointer */
        case 1: mem[i] = x % 64; break;                       /* a small count */
        default: mem[i] = rng(); break;
        }
    }
    base = pyimage_put(g, mem, sizeof mem, 0);
    struct reader r = pyimage_reader(g);
    for (int i = 0; i < 3000; i++) {
        uint64_t at = base + (rng() % WORDS) * 8, v;
        int bad = 0, n;
        struct thread_name out[8];
        char name[32];
        CHECKF(valid_result(pydict_foreach(&r, g->l, at, aligned_items, &bad)) && !bad,
              "garbage dict at %#llx", (unsigned long long)at);
        CHECKF(valid_result(pydict_lookup_str(&r, g->l, at, "threading", &v)), "garbage lookup");
        CHECKF(valid_result(pylong_read_u64(&r, g->l, at, &v)), "garbage int");
        CHECKF(valid_result(pyobj_lookup_attr(&r, g->l, at, "_name", &v)), "garbage object");
        CHECKF(pyobj_type_name(&r, g->l, at, name, sizeof name) < (int)sizeof name, "garbage type");
        CHECKF(valid_result(threadnames_read(&r, g->l, at, out, 8, &n)) && n >= 0 && n <= 8,
              "garbage interpreter");
    }
}

int main(void)
{
    int tested = 0;
    for (int minor = pylayout_min_minor(); minor <= pylayout_max_minor(); minor++) {
        const struct py_layout *l = pylayout_for_version(3, minor);
        if (!l)
            continue;
        check_context("3.%d", minor);
        struct pyimage g;
        CHECKF(pyimage_init(&g, l) == 0, "pyimage_init");
        test_lookup_and_iterate(&g);
        test_split(&g);
        test_corrupt_keys(&g);
        test_corrupt_dict(&g);
        test_long(&g);
        test_garbage(&g);
        CHECKF(!g.failed, "building the image failed");
        pyimage_free(&g);
        tested++;
    }
    CHECKF(tested >= 6, "only %d layouts tested", tested);
    printf("pydict/pylong on %d layouts\n", tested);
    return check_report("pydict/pylong");
}
