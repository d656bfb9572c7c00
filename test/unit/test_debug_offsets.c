/* SPDX-License-Identifier: MIT */
/* Tests the _Py_DebugOffsets parser and the layout choice at attach on
 * blocks captured from live CPython 3.13.0, 3.14.10 and 3.15.2, on a 3.16
 * made from the 3.15 block (newer than every table: tried, with a warning),
 * on free-threaded and corrupted copies, and on random damage.
 * Usage: test_debug_offsets DATA_DIR (holding debug_offsets_<version>.bin) */
#include "check.h"
#include "error.h"
#include "memimage.h"
#include "pylayout.h"
#include "pytarget.h"
#include "reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNTIME_ADDR 0x7f1234560000ull   /* where the images pretend _PyRuntime is */
#define FUZZ_ROUNDS 10000                /* per image */
#define IMAGE_MAX 1024
#define WORD 8

/* Every member of struct py_layout, for field-by-field comparison. */
#define LAYOUT_FIELDS(X)                                                       \
    X(major) X(minor) X(free_threaded) X(frame_model) X(linetable)             \
    X(runtime_interpreters_head) X(runtime_size)                               \
    X(interp_next) X(interp_threads_head) X(interp_modules) X(interp_size)     \
    X(tstate_next) X(tstate_interp) X(tstate_frame) X(cframe_current_frame)    \
    X(tstate_thread_id) X(tstate_native_thread_id) X(tstate_datastack_chunk)   \
    X(tstate_size) X(runtime_gil) X(interp_gil_ptr) X(gil_locked)              \
    X(gil_last_holder) X(gil_size) X(runtime_gc_collecting)                    \
    X(interp_gc_collecting) X(tstate_gil_requested)                            \
    X(frame_back) X(frame_code) X(frame_lasti) X(frame_owner)                  \
    X(frame_is_entry) X(frame_size) X(owner_cstack) X(owner_interpreter)       \
    X(frame_code_tag_mask) X(lasti_is_prev) X(code_filename) X(code_name)      \
    X(code_qualname) X(code_firstlineno) X(code_linetable)                     \
    X(code_code_adaptive) X(code_size)                                         \
    X(ob_type) X(var_ob_size) X(type_name) X(type_basicsize)                   \
    X(type_dictoffset) X(type_flags) X(heaptype_cached_keys)                   \
    X(unicode_length) X(unicode_state) X(unicode_ascii_size)                   \
    X(unicode_compact_size) X(unicode_kind_shift) X(unicode_compact_bit)       \
    X(unicode_ascii_bit) X(bytes_size) X(bytes_sval) X(long_size_or_tag)       \
    X(long_digits) X(long_tagged) X(module_dict) X(dict_model) X(dict_used)    \
    X(dict_keys) X(dict_values) X(dictkeys_size) X(dictkeys_kind)              \
    X(dictkeys_nentries) X(dictkeys_indices) X(dictkeys_log2_index_bytes)      \
    X(dictvalues_values) X(managed_dict_offset)                                \
    X(inline_values_offset_in_type) X(tpflags_managed_dict)                    \
    X(tpflags_inline_values)

/* The fields every _Py_DebugOffsets block (3.13+) describes, except the
 * object-ABI ones (ob_type, var_ob_size, bytes_size) it must agree on. */
#define DEBUG_COVERED(X)                                                       \
    X(runtime_interpreters_head) X(runtime_size) X(interp_next)                \
    X(interp_threads_head) X(interp_modules) X(interp_size) X(tstate_next)     \
    X(tstate_interp) X(tstate_frame) X(tstate_thread_id)                       \
    X(tstate_native_thread_id) X(tstate_datastack_chunk) X(tstate_size)        \
    X(frame_back) X(frame_code) X(frame_lasti) X(frame_owner) X(frame_size)    \
    X(code_filename) X(code_name) X(code_qualname) X(code_firstlineno)         \
    X(code_linetable) X(code_code_adaptive) X(code_size) X(type_name)          \
    X(type_flags) X(dict_keys) X(dict_values) X(long_size_or_tag)              \
    X(long_digits) X(bytes_sval) X(unicode_length) X(unicode_state)            \
    X(unicode_ascii_size) X(interp_gil_ptr) X(gil_locked) X(gil_last_holder)   \
    X(interp_gc_collecting)

/* ... and those only 3.15+ blocks describe. */
#define DEBUG_COVERED_315(X)                                                   \
    X(type_basicsize) X(type_dictoffset) X(heaptype_cached_keys)               \
    X(unicode_compact_size) X(tstate_gil_requested)

struct image {
    const char *version;
    int minor;
    size_t size;              /* sizeof(_Py_DebugOffsets) of that version */
    uint8_t data[IMAGE_MAX];
    int loaded;
};

static struct image images[] = {
    {"3.13.0", 13, 584, {0}, 0},
    {"3.14.10", 14, 760, {0}, 0},
    {"3.15.2", 15, 888, {0}, 0},
};
#define NIMAGES (sizeof images / sizeof images[0])

static int layouts_equal(const struct py_layout *a, const struct py_layout *b, const char *what)
{
    int same = 1;
#define COMPARE(f)                                                             \
    if (a->f != b->f) {                                                        \
        check(0, "%s: %s is %ld, want %ld", what, #f, (long)a->f, (long)b->f); \
        same = 0;                                                              \
    }
    LAYOUT_FIELDS(COMPARE)
#undef COMPARE
    return same;
}

/* A copy of l in which every field the block of 3.minor covers holds a
 * wrong value, so a field the parser forgets to set shows up. */
static struct py_layout poisoned(const struct py_layout *l, int minor)
{
    struct py_layout p = *l;
#define POISON(f) p.f = OFF_NONE;
    DEBUG_COVERED(POISON)
    if (minor >= 15) {
        DEBUG_COVERED_315(POISON)
    }
#undef POISON
    return p;
}

static void load_images(const char *dir)
{
    for (size_t i = 0; i < NIMAGES; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/debug_offsets_%s.bin", dir, images[i].version);
        FILE *f = fopen(path, "rb");
        size_t n = f ? fread(images[i].data, 1, sizeof images[i].data, f) : 0;
        if (f)
            fclose(f);
        images[i].loaded = n == images[i].size;
        check(images[i].loaded, "%s: want %zu bytes, got %zu", path, images[i].size, n);
    }
}

/* Parse an image of len bytes at RUNTIME_ADDR into *out; returns the code. */
static int parse(const uint8_t *data, size_t len, struct py_layout *out,
                 struct pylayout_debug_info *info, unsigned long *reads)
{
    struct memimage *m = memimage_new();
    int rc = ERR_NOMEM;

    if (m && (len == 0 || memimage_add(m, RUNTIME_ADDR, data, len) == 0)) {
        struct reader r = memimage_reader(m);
        rc = pylayout_from_debug_offsets(&r, RUNTIME_ADDR, out, info);
        if (reads)
            *reads = r.reads;
    }
    memimage_free(m);
    return rc;
}

/* pytarget_choose_layout on an image, as attach does it. */
static int choose(const uint8_t *data, size_t len, int minor, const char *version,
                  const char *binary, struct pytarget *t)
{
    struct memimage *m = memimage_new();
    int rc = ERR_NOMEM;

    memset(t, 0, sizeof *t);
    t->pid = 0x3fffffff;
    t->pthread_tid_off = -1;
    t->runtime = RUNTIME_ADDR;
    snprintf(t->version, sizeof t->version, "%s", version);
    snprintf(t->binary, sizeof t->binary, "%s", binary);
    if (m && memimage_add(m, RUNTIME_ADDR, data, len) == 0) {
        struct reader r = memimage_reader(m);
        t->r = &r;
        rc = pytarget_choose_layout(t, minor);
        t->r = NULL;
    }
    memimage_free(m);
    return rc;
}

static void put_word(uint8_t *data, int word, uint64_t value)
{
    memcpy(data + WORD * word, &value, sizeof value);
}

/* Each captured block must reproduce the table generated from the same
 * version's headers, in one read of the header and one of the block. */
static void test_real(const struct image *img)
{
    const struct py_layout *table = pylayout_for_version(3, img->minor);
    struct pylayout_debug_info info;
    unsigned long reads = 0;
    char what[96];

    if (!table)
        return;
    struct py_layout out = poisoned(table, img->minor);
    int rc = parse(img->data, img->size, &out, &info, &reads);
    check(rc == 0, "%s image rejected: %d (%s)", img->version, rc, info.why ? info.why : "");
    check(reads == 2, "%s image took %lu reads, want 2", img->version, reads);
    check(info.shape_minor == img->minor && !info.newer && !info.header.free_threaded,
          "%s: read as 3.%d, newer %d", img->version, info.shape_minor, info.newer);
    check((info.header.hexversion >> 16) == (0x0300u | (unsigned)img->minor), "%s: version %#x",
          img->version, info.header.hexversion);
    snprintf(what, sizeof what, "%s debug offsets vs generated table", img->version);
    if (rc == 0)
        layouts_equal(&out, table, what);
}

/* Set one word of img (word < 0: none) and expect rc; *out must not change
 * when the block is refused. */
static void expect_word(const struct image *img, int word, uint64_t value, int want, const char *what)
{
    const struct py_layout *table = pylayout_for_version(3, img->minor);
    uint8_t data[IMAGE_MAX];
    struct py_layout out = *table;
    char label[160];

    memcpy(data, img->data, img->size);
    if (word >= 0)
        put_word(data, word, value);
    int rc = parse(data, img->size, &out, NULL, NULL);
    check(rc == want, "%s %s: got %d, want %d", img->version, what, rc, want);
    snprintf(label, sizeof label, "%s %s left *out changed", img->version, what);
    if (rc < 0)
        layouts_equal(&out, table, label);
}

static void test_corrupt_313(const struct image *img)
{
    /* Word indices in the 3.13 block (Include/internal/pycore_runtime.h). */
    expect_word(img, 0, 0x7970677562654478ull, ERR_CORRUPT, "bad cookie");
    expect_word(img, 1, 0x030C01F0, ERR_VERSION, "3.12 version in a 3.13 read");
    expect_word(img, 1, 0x040D00F0, ERR_VERSION, "major 4");
    expect_word(img, 1, 0x030D0000, ERR_CORRUPT, "release level 0");
    expect_word(img, 1, 0xFFFFFFFF030D00F0ull, ERR_CORRUPT, "version above 32 bits");
    expect_word(img, 2, 1, ERR_VERSION, "free-threaded build");
    expect_word(img, 2, 7, ERR_CORRUPT, "free_threaded not a boolean");
    expect_word(img, 5, 100, ERR_CORRUPT, "interpreters.head inside the debug block");
    expect_word(img, 5, 1ull << 40, ERR_CORRUPT, "interpreters.head far away");
    expect_word(img, 3, 0, ERR_CORRUPT, "runtime size 0");
    expect_word(img, 23, 1ull << 40, ERR_CORRUPT, "current_frame offset huge");
    expect_word(img, 23, UINT64_MAX, ERR_CORRUPT, "current_frame offset -1");
    expect_word(img, 19, 8, ERR_CORRUPT, "thread state of 8 bytes");
    expect_word(img, 33, 80, ERR_CORRUPT, "owner at the frame's end");
    expect_word(img, 28, UINT64_MAX - 4, ERR_CORRUPT, "frame size wraps");
    expect_word(img, 34, 1u << 30, ERR_CORRUPT, "code object of 1 GiB");
    expect_word(img, 43, 4096, ERR_CORRUPT, "co_code_adaptive past the code object");
    expect_word(img, 70, 4096, ERR_CORRUPT, "ascii object size past the str");
    expect_word(img, 65, 1 << 20, ERR_CORRUPT, "ob_size outside bytes");
    expect_word(img, 63, 31, ERR_CORRUPT, "ob_digit crossing the int's end");
    expect_word(img, 45, 16, ERR_CORRUPT, "ob_type against the object ABI");
    expect_word(img, -1, 0, 0, "unmodified image");

    struct py_layout out = *pylayout_for_version(3, 13);
    check(parse(img->data, img->size - 1, &out, NULL, NULL) == ERR_READ, "truncated image read");
    check(parse(img->data, 0, &out, NULL, NULL) == ERR_READ, "empty image read");
    /* No debug offsets before 3.13. */
    out = *pylayout_for_version(3, 12);
    check(parse(img->data, img->size, &out, NULL, NULL) == ERR_VERSION, "3.12 asked for debug offsets");
}

static void test_corrupt_315(const struct image *img)
{
    /* Word indices in the 3.15 block (Include/internal/pycore_debug_offsets.h). */
    expect_word(img, 30, 1ull << 40, ERR_CORRUPT, "thread_id far outside the thread state");
    expect_word(img, 22, 64, ERR_CORRUPT, "thread state smaller than its fields");
    expect_word(img, 64, 4096, ERR_CORRUPT, "tp_basicsize outside the type");
    expect_word(img, 67, 1u << 20, ERR_CORRUPT, "ht_cached_keys outside the heap type");
    expect_word(img, 93, 1024, ERR_CORRUPT, "compact str larger than PyUnicodeObject");
    expect_word(img, 70, 24, ERR_CORRUPT, "tuple ob_size against the object ABI");
    expect_word(img, 1, 0x030E0AF0, ERR_VERSION, "3.14 version in a 3.15 read");
    expect_word(img, -1, 0, 0, "unmodified image");
    /* A 3.15 block is 888 bytes: one short of it cannot be read. */
    struct py_layout out = *pylayout_for_version(3, 15);
    check(parse(img->data, img->size - 1, &out, NULL, NULL) == ERR_READ, "short 3.15 image read");
}

/* 3.16 made from the 3.15 block: read with the 3.15 struct on the 3.15
 * table, flagged newer; refused on any other table. */
static void test_newer(const struct image *img15)
{
    const struct py_layout *l15 = pylayout_for_version(3, 15);
    struct pylayout_debug_info info;
    uint8_t data[IMAGE_MAX];

    memcpy(data, img15->data, img15->size);
    put_word(data, 1, 0x031000A1);   /* 3.16.0a1 */
    check(pylayout_closest(16, 0) == l15, "3.16 does not start from the 3.15 table");
    struct py_layout out = poisoned(l15, 15), want = *l15;
    int rc = parse(data, img15->size, &out, &info, NULL);
    check(rc == 0, "3.16 block rejected: %d", rc);
    check(info.newer == 1 && info.shape_minor == 15, "3.16: newer %d, read as 3.%d", info.newer,
          info.shape_minor);
    want.minor = 16;
    if (rc == 0)
        layouts_equal(&out, &want, "3.16 from the 3.15 struct");
    out = *pylayout_for_version(3, 14);
    check(parse(data, img15->size, &out, NULL, NULL) == ERR_VERSION, "3.16 read on the 3.14 table");
}

/* A 3.16 whose struct grew inside a section we use (a word inserted at
 * word k) is not what the 3.15 struct describes: the block must be refused
 * or give exactly the 3.15 layout (a word after everything we read). */
static void test_newer_shifted(const struct image *img15)
{
    const struct py_layout *l15 = pylayout_for_version(3, 15);
    int refused = 0;

    for (int k = 3; k <= (int)(img15->size / WORD); k++) {
        uint8_t data[IMAGE_MAX + WORD];
        memcpy(data, img15->data, (size_t)k * WORD);
        put_word(data, k, (uint64_t)(8 * k));   /* a plausible offset */
        memcpy(data + (size_t)(k + 1) * WORD, img15->data + (size_t)k * WORD,
               img15->size - (size_t)k * WORD);
        put_word(data, 1, 0x031000A1);
        struct py_layout out = *l15, want = *l15;
        int rc = parse(data, img15->size + WORD, &out, NULL, NULL);
        want.minor = 16;
        if (rc < 0) {
            refused++;
        } else {
            char what[64];
            snprintf(what, sizeof what, "3.16 with a word inserted at %d", k);
            layouts_equal(&out, &want, what);
        }
    }
    check(refused > 40, "only %d shifted 3.16 blocks refused", refused);
}

static void test_free_threaded(void)
{
    for (size_t i = 0; i < NIMAGES; i++) {
        const struct image *img = &images[i];
        uint8_t data[IMAGE_MAX];
        struct pytarget t;
        if (!img->loaded)
            continue;
        memcpy(data, img->data, img->size);
        put_word(data, 2, 1);
        int rc = choose(data, img->size, img->minor, img->version, "/usr/bin/python3", &t);
        check(rc == ERR_VERSION && strstr(t.why, "free-threaded builds (3.13t+) are not supported yet") &&
              strstr(t.why, img->version), "%s free-threaded: rc %d, why \"%s\"", img->version, rc, t.why);
    }
    /* A 3.13t whose block cannot be read is known by its file name. */
    uint8_t junk[IMAGE_MAX] = {0};
    struct pytarget t;
    int rc = choose(junk, images[0].size, 13, "3.13.0", "/usr/lib/libpython3.13t.so.1.0", &t);
    check(rc == ERR_VERSION && strstr(t.why, "free-threaded"), "3.13t by name: rc %d, why \"%s\"", rc, t.why);
    rc = choose(junk, images[0].size, 13, "3.13.0", "/usr/bin/python3.13", &t);
    check(rc == 0 && strstr(t.warning, "built-in 3.13 table") && t.layout.minor == 13,
          "3.13 without debug offsets: rc %d, warning \"%s\"", rc, t.warning);
}

/* The layout choice at attach: messages for newer, older and broken. */
static void test_choose(const struct image *img15)
{
    uint8_t data[IMAGE_MAX + WORD];
    struct pytarget t;

    int rc = choose(img15->data, img15->size, 15, "3.15.2", "/usr/bin/python3.15", &t);
    check(rc == 0 && !t.warning[0] && t.layout.minor == 15, "3.15: rc %d, warning \"%s\"", rc, t.warning);

    memcpy(data, img15->data, img15->size);
    put_word(data, 1, 0x031000A1);
    rc = choose(data, img15->size, 16, "3.16.0", "/usr/bin/python3.16", &t);
    check(rc == 0 && strstr(t.warning, "Python 3.16.0 is newer than proftui knows") &&
          t.layout.minor == 16, "3.16: rc %d, warning \"%s\"", rc, t.warning);

    /* 3.16 with its thread state grown by a word before thread_id. */
    memcpy(data + 31 * WORD, img15->data + 30 * WORD, img15->size - 30 * WORD);
    put_word(data, 30, 160);
    rc = choose(data, img15->size + WORD, 16, "3.16.0", "/usr/bin/python3.16", &t);
    check(rc == ERR_VERSION && strstr(t.why, "Python 3.16.0") && strstr(t.why, "cannot be read") &&
          !strchr(t.why, '\n'), "shifted 3.16: rc %d, why \"%s\"", rc, t.why);

    memset(data, 0, sizeof data);
    rc = choose(data, img15->size, 16, "3.16.0", "/usr/bin/python3.16", &t);
    check(rc == ERR_VERSION && strstr(t.why, "no valid _Py_DebugOffsets header"),
          "3.16 without a cookie: rc %d, why \"%s\"", rc, t.why);
    rc = choose(data, img15->size, 7, "3.7", "/usr/bin/python3.7", &t);
    check(rc == ERR_VERSION && strstr(t.why, "Python 3.7, which proftui does not support (it needs 3.8"),
          "3.7: rc %d, why \"%s\"", rc, t.why);
}

/* Fixed-seed xorshift64*, so every run mutates the same bytes. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Du) >> 32);
}

/* Random damage past the header: never a crash, and whatever is accepted
 * must still be a consistent layout. */
static void test_fuzz(const struct image *img)
{
    const struct py_layout *table = pylayout_for_version(3, img->minor);
    uint8_t data[IMAGE_MAX];
    int accepted = 0, rejected = 0;

    for (int round = 0; round < FUZZ_ROUNDS; round++) {
        memcpy(data, img->data, img->size);
        int edits = 1 + (int)(rng() % 4);
        for (int e = 0; e < edits; e++)
            data[3 * WORD + rng() % (img->size - 3 * WORD)] = (uint8_t)rng();
        struct py_layout out = *table;
        int rc = parse(data, img->size, &out, NULL, NULL);
        check(rc == 0 || rc == ERR_CORRUPT, "%s fuzz round %d: unexpected code %d", img->version, round, rc);
        if (rc == 0) {
            accepted++;
            check(pylayout_check(&out) == 0, "%s fuzz round %d: inconsistent layout", img->version, round);
        } else {
            rejected++;
        }
    }
    /* Both outcomes must occur, or the mutations test nothing. */
    check(accepted > 0 && rejected > 0, "%s fuzz: %d accepted, %d rejected", img->version, accepted, rejected);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    load_images(argv[1]);
    for (size_t i = 0; i < NIMAGES; i++) {
        if (!images[i].loaded)
            continue;
        test_real(&images[i]);
        test_fuzz(&images[i]);
    }
    if (images[0].loaded)
        test_corrupt_313(&images[0]);
    if (images[2].loaded) {
        test_corrupt_315(&images[2]);
        test_newer(&images[2]);
        test_newer_shifted(&images[2]);
        test_choose(&images[2]);
    }
    test_free_threaded();
    return check_report("debug_offsets");
}
