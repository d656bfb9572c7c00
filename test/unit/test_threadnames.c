/* SPDX-License-Identifier: MIT */
/* threadnames_read() and pyobj_lookup_attr() on synthetic interpreters for
 * every built-in layout: sys.modules -> threading -> _active -> Thread
 * objects whose _name lives in each version's instance storage (dict,
 * split values, tagged values, inline values, invalidated inline values),
 * plus the entries that must be skipped and the not-ready states. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "pylayout.h"
#include "pyimage.h"
#include "check.h"
#include "pyobj.h"
#include "threadnames.h"

#define HASH_MODULUS ((UINT64_C(1) << 61) - 1)
#define NMODULES 100


/* One entry of threading._active. */
struct spec {
    uint64_t ident;
    const char *name;           /* NULL: no _name attribute */
    enum pyimage_storage storage;
    int name_is_int;            /* _name holds an int: skipped */
    int bad_hash;               /* stored hash disagrees with the key: skipped */
};

static const struct spec specs[] = {
    {140000000001000, "MainThread", PYIMAGE_VALUES, 0, 0},
    {140000000002000, "\xe7\xb7\x9a\xe7\xa8\x8b", PYIMAGE_DICT, 0, 0},               /* UCS2 */
    {140000000003000, "\xf0\x9f\xa7\xb5 spool", PYIMAGE_STALE_VALUES, 0, 0},         /* UCS4 */
    {140000000004000, "caf\xc3\xa9", PYIMAGE_VALUES, 0, 0},                           /* UCS1 */
    {140000000005000, NULL, PYIMAGE_DICT, 0, 0},
    {140000000006000, "int name", PYIMAGE_DICT, 1, 0},
    {140000000007000, "bad hash", PYIMAGE_DICT, 0, 1},
    {(UINT64_C(1) << 62) + 5, "high ident", PYIMAGE_VALUES, 0, 0},
};
#define NSPECS ((int)(sizeof specs / sizeof specs[0]))

static int readable(const struct spec *s)
{
    return s->name && !s->name_is_int && !s->bad_hash;
}

/* Split storage exists from 3.11, invalidated inline values from 3.13. */
static enum pyimage_storage storage_for(const struct py_layout *l, enum pyimage_storage want)
{
    if (want == PYIMAGE_STALE_VALUES && !l->tpflags_inline_values)
        return PYIMAGE_DICT;
    if (want == PYIMAGE_VALUES && !l->tpflags_managed_dict)
        return PYIMAGE_DICT;
    return want;
}

static uint64_t thread_object(struct pyimage *g, uint64_t type, const struct spec *s)
{
    static const char *const attrs[] = {"_target", "_name", "_ident"};
    uint64_t values[3] = {pyimage_str(g, "target"), 0, pyimage_long(g, s->ident)};
    if (s->name)
        values[1] = s->name_is_int ? pyimage_long(g, 7) : pyimage_str(g, s->name);
    return pyimage_instance(g, type, storage_for(g->l, s->storage), attrs, values, 3);
}

/* The Thread class: a heap type whose cached keys are its attribute names. */
static uint64_t thread_class(struct pyimage *g)
{
    static const char *const attrs[] = {"_target", "_name", "_ident"};
    struct pyitem items[3];
    for (int i = 0; i < 3; i++)
        items[i] = (struct pyitem){.key = pyimage_str(g, attrs[i]), .hash = 77 + i};
    return pyimage_type(g, "Thread", 1, pyimage_keys(g, items, 3, PYIMAGE_SPLIT));
}

static uint64_t active_dict(struct pyimage *g)
{
    struct pyitem items[NSPECS];
    uint64_t type = thread_class(g);
    for (int i = 0; i < NSPECS; i++) {
        uint64_t h = specs[i].ident % HASH_MODULUS;
        items[i] = (struct pyitem){.key = pyimage_long(g, specs[i].ident),
                                   .value = thread_object(g, type, &specs[i]),
                                   .hash = (int64_t)(specs[i].bad_hash ? h + 1 : h)};
    }
    return pyimage_dict(g, pyimage_keys(g, items, NSPECS, PYIMAGE_GENERAL), 0, NSPECS);
}

/* sys.modules with NMODULES entries, near-misses of "threading" among them,
 * and `threading` (if non-zero) at position 90: past the first read chunk. */
static uint64_t modules_dict(struct pyimage *g, uint64_t threading)
{
    static char names[NMODULES][24];
    const char *ptrs[NMODULES];
    uint64_t values[NMODULES];
    uint64_t other = pyimage_module(g, pyimage_str_dict(g, NULL, NULL, 0));
    for (int i = 0; i < NMODULES; i++) {
        snprintf(names[i], sizeof names[i], "mod%d", i);
        ptrs[i] = names[i];
        values[i] = other;
    }
    ptrs[10] = "threadin";
    ptrs[11] = "threading_";
    ptrs[12] = "Threading";
    ptrs[13] = "threadinG";
    if (threading)
        ptrs[90] = "threading", values[90] = threading;
    return pyimage_str_dict(g, ptrs, values, NMODULES);
}

static uint64_t interp(struct pyimage *g, uint64_t modules)
{
    uint8_t buf[16384] = {0};
    size_t len = (size_t)g->l->interp_modules + 8;
    if (len > sizeof buf)
        return 0;
    memcpy(buf + g->l->interp_modules, &modules, 8);
    return pyimage_put(g, buf, len, 0);
}

static void test_names(struct pyimage *g, uint64_t ip)
{
    struct reader r = pyimage_reader(g);
    struct thread_name out[NSPECS];
    int n = -1, k = 0;
    int rc = threadnames_read(&r, g->l, ip, out, NSPECS, &n);
    CHECKF(rc == 0, "threadnames_read: %s", err_str(rc));
    for (int i = 0; i < NSPECS && rc == 0; i++) {
        if (!readable(&specs[i]))
            continue;
        CHECKF(k < n && out[k].ident == specs[i].ident && strcmp(out[k].name, specs[i].name) == 0,
              "entry %d: got %llu \"%s\", want %llu \"%s\"", k,
              k < n ? (unsigned long long)out[k].ident : 0ull, k < n ? out[k].name : "",
              (unsigned long long)specs[i].ident, specs[i].name);
        k++;
    }
    CHECKF(rc != 0 || n == k, "read %d names, want %d", n, k);
    rc = threadnames_read(&r, g->l, ip, out, 2, &n);
    CHECKF(rc == 0 && n == 2 && out[1].ident == specs[1].ident, "max 2: rc %d n %d", rc, n);
}

static void test_states(struct pyimage *g)
{
    struct reader r = pyimage_reader(g);
    const char *const names[] = {"__name__", "_limbo"};
    const uint64_t vals[] = {pyimage_str(g, "threading"), pyimage_str(g, "x")};
    uint64_t half = pyimage_module(g, pyimage_str_dict(g, names, vals, 2));
    uint64_t not_module = pyimage_str_dict(g, names, vals, 2);
    const char *const one[] = {"_active"};
    uint64_t no_threads = pyimage_str_dict(g, NULL, NULL, 0);
    uint64_t idle = pyimage_module(g, pyimage_str_dict(g, one, &no_threads, 1));
    struct {
        const char *what;
        uint64_t interp;
        int err;
    } cases[] = {
        {"threading not imported", interp(g, modules_dict(g, 0)), ERR_NOT_READY},
        {"threading without _active", interp(g, modules_dict(g, half)), ERR_NOT_READY},
        {"no sys.modules yet", interp(g, 0), ERR_NOT_READY},
        {"threading is not a module", interp(g, modules_dict(g, not_module)), ERR_CORRUPT},
        {"threading module without dict", interp(g, modules_dict(g, pyimage_module(g, 0))),
         ERR_NOT_READY},
        {"unmapped interpreter", 0x7f0000000000ull, ERR_READ},
        {"empty _active", interp(g, modules_dict(g, idle)), 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct thread_name out[4];
        int n = -1;
        int rc = threadnames_read(&r, g->l, cases[i].interp, out, 4, &n);
        CHECKF(rc == cases[i].err && n == 0, "%s: rc %d (%s), n %d", cases[i].what, rc,
              err_str(rc), n);
    }
}

/* pyobj_lookup_attr on a class without instance dicts and on absent names. */
static void test_attr_edges(struct pyimage *g)
{
    struct reader r = pyimage_reader(g);
    const struct spec s = {1, "n", PYIMAGE_VALUES, 0, 0};
    uint64_t obj = thread_object(g, thread_class(g), &s), v = 1;
    CHECKF(pyobj_lookup_attr(&r, g->l, obj, "_missing", &v) == 0 && v == 0, "absent attribute");
    uint64_t plain = pyimage_str(g, "no __dict__");
    CHECKF(pyobj_lookup_attr(&r, g->l, plain, "_name", &v) == 0 && v == 0, "object without dict");
    char name[16];
    CHECKF(pyobj_type_name(&r, g->l, plain, name, sizeof name) == 3 && strcmp(name, "str") == 0,
          "type name \"%s\"", name);
    CHECKF(pyobj_type_name(&r, g->l, obj, name, 4) == 3 && strcmp(name, "Thr") == 0,
          "cut type name \"%s\"", name);
    CHECKF(pyobj_lookup_attr(&r, g->l, 0x10000004, "_name", &v) == ERR_CORRUPT, "misaligned object");
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
        const char *const names[] = {"__name__", "_active"};
        uint64_t active = active_dict(&g);
        const uint64_t vals[] = {pyimage_str(&g, "threading"), active};
        uint64_t threading = pyimage_module(&g, pyimage_str_dict(&g, names, vals, 2));
        test_names(&g, interp(&g, modules_dict(&g, threading)));
        test_states(&g);
        test_attr_edges(&g);
        CHECKF(!g.failed, "building the image failed");
        pyimage_free(&g);
        tested++;
    }
    CHECKF(tested >= 6, "only %d layouts tested", tested);
    printf("threadnames on %d layouts\n", tested);
    return check_report("threadnames");
}
