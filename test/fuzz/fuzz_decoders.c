/* SPDX-License-Identifier: MIT */
/* Fuzz target: the decoders one by one on small inputs. The first byte
 * chooses the decoder:
 *   0 line tables: format, firstlineno and address from the input, the rest
 *     is the table; the line must be -1 or >= 0, for every address tried;
 *   1 str/bytes objects (pystr_read, pybytes_read) at the start of one
 *     segment: the text must be bounded, NUL-terminated, valid UTF-8;
 *   2 _Py_DebugOffsets at _PyRuntime, chosen through pytarget_choose_layout
 *     for 3.13 to 3.16 (one newer than every table): an accepted block must
 *     give a layout that passes pylayout_check(), a refusal must say why,
 *     and a code object read through the layout must not make the code
 *     cache read out of bounds;
 *   3 dicts, ints, objects and thread names over segments in the fuzz-image
 *     segment format: results bounded and well-formed.
 * Violations abort. */
#include <stdlib.h>
#include <string.h>

#include "codecache.h"
#include "error.h"
#include "fuzzimg.h"
#include "linetable.h"
#include "memimage.h"
#include "pydict.h"
#include "pylayout.h"
#include "pylong.h"
#include "pyobj.h"
#include "pystr.h"
#include "pytarget.h"
#include "threadnames.h"

#define BASE 0x10000ull
#define RUNTIME 0x7f0000001000ull
#define SWEEP 64                /* addresses tried per line table */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void violation(const char *what)
{
    fprintf(stderr, "fuzz_decoders: invariant broken: %s\n", what);
    abort();
}

static uint32_t take32(const uint8_t **p, size_t *left)
{
    uint32_t v = 0;
    size_t n = *left < 4 ? *left : 4;
    memcpy(&v, *p, n);
    *p += n;
    *left -= n;
    return v;
}

/* The layout of 3.(8 + k % count), for the decoders that need one. */
static const struct py_layout *pick_layout(uint8_t k)
{
    int span = pylayout_max_minor() - pylayout_min_minor() + 1;
    return pylayout_for_version(3, pylayout_min_minor() + k % span);
}

static void fuzz_linetable(const uint8_t *p, size_t left)
{
    if (left < 1)
        return;
    enum py_linetable_format fmt = (enum py_linetable_format)(1 + *p++ % 3);
    left--;
    int first = (int)take32(&p, &left);
    uint32_t a = take32(&p, &left);
    for (int i = 0; i < SWEEP; i++) {
        /* The given address, then ones inside the table's range. */
        int addr = i == 0 ? (int)a : (int)((a + (uint32_t)i * 2u) % (uint32_t)(4 * left + 8)) - 2;
        int line = linetable_line(fmt, left ? p : NULL, left, first, addr);
        if (line < -1)
            violation("line below -1");
    }
}

static void fuzz_strings(const uint8_t *p, size_t left)
{
    if (left < 3)
        return;
    const struct py_layout *l = pick_layout(p[0]);
    size_t cap = 8 + (size_t)p[1] * 17 % PYSTR_MAX;
    p += 2;
    left -= 2;
    struct memimage *m = memimage_new();
    if (!m || memimage_add(m, BASE, p, left) < 0)
        abort();
    struct reader r = memimage_reader(m);
    char *text = malloc(cap);
    uint8_t *bytes = malloc(cap);
    if (!text || !bytes)
        abort();
    int n = pystr_read(&r, l, BASE, text, cap);
    if (n >= 0 && ((size_t)n >= cap || text[n] != '\0' || strlen(text) != (size_t)n ||
                   !fuzzimg_utf8_ok(text, (size_t)n)))
        violation("pystr_read result out of bounds, unterminated or not UTF-8");
    n = pybytes_read(&r, l, BASE, bytes, cap);
    if (n > (int)cap)
        violation("pybytes_read longer than its buffer");
    free(text);
    free(bytes);
    memimage_free(m);
}

static void fuzz_debug_offsets(const uint8_t *p, size_t left)
{
    if (left < 2)
        return;
    int minor = 13 + p[0] % 4;
    p++;
    left--;
    struct memimage *m = memimage_new();
    if (!m || memimage_add(m, RUNTIME, p, left) < 0)
        abort();
    struct reader r = memimage_reader(m);
    struct pytarget t = {.pid = 0x3fffffff, .r = &r, .runtime = RUNTIME, .pthread_tid_off = -1};
    snprintf(t.version, sizeof t.version, "3.%d", minor);
    int rc = pytarget_choose_layout(&t, minor);
    if (rc == ERR_VERSION && (!t.why[0] || !fuzzimg_utf8_ok(t.why, strlen(t.why))))
        violation("a refused _Py_DebugOffsets block without a reason");
    if (rc == 0 && minor > pylayout_max_minor() && !t.warning[0])
        violation("a version newer than every table accepted without a warning");
    if (rc == 0) {
        if (pylayout_check(&t.layout) < 0)
            violation("an accepted _Py_DebugOffsets block gives a layout that fails its check");
        /* Use the layout: a code object at the start of _PyRuntime, read
         * without a header from the caller (the cache reads it itself). */
        struct codecache *c = codecache_new();
        struct code_entry *e;
        if (!c)
            abort();
        if (codecache_get(c, &t, RUNTIME, NULL, 0, &e) == 0)
            (void)codecache_line(&t, e, 0);
        codecache_free(c);
    }
    memimage_free(m);
}

static int count_item(void *arg, const struct pydict_item *item)
{
    (void)item;
    return ++*(int *)arg > (int)PYDICT_MAX_ENTRIES ? 1 : 0;
}

static void fuzz_objects(const uint8_t *p, size_t left)
{
    if (left < 1)
        return;
    const struct py_layout *l = pick_layout(p[0]);
    /* Reuse the image loader: the rest of the input is a list of segments. */
    uint8_t *file = calloc(1, FUZZIMG_HEADER + left - 1);
    if (!file)
        abort();
    memcpy(file, FUZZIMG_MAGIC, 8);
    memcpy(file + FUZZIMG_HEADER, p + 1, left - 1);
    struct fuzzimg img;
    if (fuzzimg_load(file, FUZZIMG_HEADER + left - 1, &img) == 0) {
        struct reader *r = &img.reader;
        uint64_t obj = BASE, v = 0;
        char name[64];
        int items = 0;
        (void)pydict_foreach(r, l, obj, count_item, &items);
        (void)pydict_lookup_str(r, l, obj, "_active", &v);
        (void)pylong_read_u64(r, l, obj, &v);
        (void)pyobj_lookup_attr(r, l, obj, "_name", &v);
        int n = pyobj_type_name(r, l, obj, name, sizeof name);
        if (n >= (int)sizeof name || (n >= 0 && strlen(name) != (size_t)n))
            violation("pyobj_type_name result out of bounds or unterminated");
        struct thread_name names[8];
        int count = -1;
        (void)threadnames_read(r, l, obj, names, 8, &count);
        if (count < 0 || count > 8)
            violation("thread name count");
        for (int i = 0; i < count; i++)
            if (strnlen(names[i].name, sizeof names[i].name) == sizeof names[i].name ||
                !fuzzimg_utf8_ok(names[i].name, strlen(names[i].name)))
                violation("thread name unterminated or not UTF-8");
    }
    fuzzimg_free(&img);
    free(file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 4) {
    case 0:
        fuzz_linetable(data + 1, size - 1);
        break;
    case 1:
        fuzz_strings(data + 1, size - 1);
        break;
    case 2:
        fuzz_debug_offsets(data + 1, size - 1);
        break;
    default:
        fuzz_objects(data + 1, size - 1);
        break;
    }
    return 0;
}
