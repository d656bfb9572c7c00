/* SPDX-License-Identifier: MIT */
/* Tests the built-in CPython layout tables (sanity and known version facts),
 * pylayout_check(), and the _Py_DebugOffsets parser on a block captured from
 * a live CPython 3.13.0, on a synthetic 3.14 block and on corrupted copies.
 * Usage: test_layout DEBUG_OFFSETS_3_13_0_BIN */
#include "check.h"
#include "pylayout.h"
#include "memimage.h"
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNTIME_ADDR 0x7f1234560000ull   /* where the images pretend _PyRuntime is */
#define IMAGE_313_SIZE 584               /* sizeof(_Py_DebugOffsets) in 3.13 */
#define IMAGE_314_WORDS 95               /* sizeof(_Py_DebugOffsets) / 8 in 3.14 */
#define FUZZ_ROUNDS 20000

/* Every member of struct py_layout, for field-by-field comparison. */
#define LAYOUT_FIELDS(X)                                                       \
    X(major) X(minor) X(frame_model) X(linetable)                              \
    X(runtime_interpreters_head) X(runtime_size)                               \
    X(interp_next) X(interp_threads_head) X(interp_modules) X(interp_size)     \
    X(tstate_next) X(tstate_interp) X(tstate_frame) X(cframe_current_frame)    \
    X(tstate_thread_id) X(tstate_native_thread_id) X(tstate_datastack_chunk)   \
    X(tstate_size) X(frame_back) X(frame_code) X(frame_lasti) X(frame_owner)   \
    X(frame_is_entry) X(frame_size) X(owner_cstack) X(owner_interpreter)       \
    X(lasti_is_prev) X(code_filename) X(code_name) X(code_qualname)            \
    X(code_firstlineno) X(code_linetable) X(code_code_adaptive) X(code_size)   \
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

/* The fields a _Py_DebugOffsets block describes (3.13 and 3.14 alike). */
#define DEBUG_COVERED(X)                                                       \
    X(runtime_interpreters_head) X(runtime_size) X(interp_next)                \
    X(interp_threads_head) X(interp_modules) X(interp_size) X(tstate_next)     \
    X(tstate_interp) X(tstate_frame) X(tstate_thread_id)                       \
    X(tstate_native_thread_id) X(tstate_datastack_chunk) X(tstate_size)        \
    X(frame_back) X(frame_code) X(frame_lasti) X(frame_owner) X(frame_size)    \
    X(code_filename) X(code_name) X(code_qualname) X(code_firstlineno)         \
    X(code_linetable) X(code_code_adaptive) X(code_size) X(ob_type)            \
    X(var_ob_size) X(type_name) X(type_flags) X(dict_keys) X(dict_values)      \
    X(long_size_or_tag) X(long_digits) X(bytes_size) X(bytes_sval)             \
    X(unicode_length) X(unicode_state) X(unicode_ascii_size)

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

/* A copy of l in which every field the debug offsets cover holds a value
 * that is wrong for it, so a field the parser forgets to set shows up. */
static struct py_layout poisoned(const struct py_layout *l)
{
    struct py_layout p = *l;
#define POISON(f) p.f = OFF_NONE;
    DEBUG_COVERED(POISON)
#undef POISON
    return p;
}

static void test_tables(void)
{
    check(pylayout_min_minor() == 8, "oldest table is 3.%d, want 3.8", pylayout_min_minor());
    check(pylayout_max_minor() == 14, "newest table is 3.%d, want 3.14", pylayout_max_minor());
    check(pylayout_for_version(3, 7) == NULL, "3.7 must have no table");
    check(pylayout_for_version(3, pylayout_max_minor() + 1) == NULL, "no table past the newest");
    check(pylayout_for_version(2, 8) == NULL, "2.8 must have no table");
    for (int minor = 8; minor <= 14; minor++) {
        const struct py_layout *l = pylayout_for_version(3, minor);
        check(l != NULL, "3.%d: no table", minor);
        if (!l)
            continue;
        check(l->major == 3 && l->minor == minor, "3.%d: table says %d.%d", minor, l->major, l->minor);
        check(pylayout_check(l) == 0, "3.%d: table fails pylayout_check", minor);
    }
}

/* Facts from CPython's history that the tables must reflect. */
static void test_version_facts(int minor, const struct py_layout *l)
{
    int interp = minor >= 11;

    check(l->frame_model == (interp ? FRAME_MODEL_INTERP : FRAME_MODEL_OBJECT), "3.%d: frame model", minor);
    check(l->linetable == (minor <= 9 ? LINETABLE_LNOTAB : minor == 10 ? LINETABLE_PEP626
                                                                       : LINETABLE_LOCATIONS),
          "3.%d: line table format", minor);
    /* co_qualname and PyThreadState.native_thread_id and datastack_chunk
     * all arrived in 3.11 (Include/cpython/code.h, cpython/pystate.h). */
    check((l->code_qualname != OFF_NONE) == interp, "3.%d: co_qualname presence", minor);
    check((l->tstate_native_thread_id != OFF_NONE) == interp, "3.%d: native_thread_id presence", minor);
    check((l->tstate_datastack_chunk != OFF_NONE) == interp, "3.%d: datastack_chunk presence", minor);
    check((l->code_code_adaptive != OFF_NONE) == interp, "3.%d: co_code_adaptive presence", minor);
    /* tstate->cframe->current_frame in 3.11/3.12; tstate->current_frame from 3.13. */
    check((l->cframe_current_frame != OFF_NONE) == (minor == 11 || minor == 12), "3.%d: cframe", minor);
    check((l->frame_is_entry != OFF_NONE) == (minor == 11), "3.%d: is_entry only on 3.11", minor);
    check((l->frame_owner != OFF_NONE) == interp, "3.%d: owner presence", minor);
    /* FRAME_OWNED_BY_CSTACK = 3 in 3.12/3.13; 3.14 inserted
     * FRAME_OWNED_BY_INTERPRETER = 3 and moved CSTACK to 4. */
    check(l->owner_cstack == (minor < 12 ? -1 : minor < 14 ? 3 : 4), "3.%d: owner_cstack %d", minor, l->owner_cstack);
    check(l->owner_interpreter == (minor >= 14 ? 3 : -1), "3.%d: owner_interpreter %d", minor, l->owner_interpreter);
    check(l->lasti_is_prev == (minor == 11 || minor == 12), "3.%d: lasti_is_prev", minor);
    check(l->long_tagged == (minor >= 12), "3.%d: long_tagged", minor);
    check(l->dict_model == (interp ? DICT_MODEL_311 : DICT_MODEL_38), "3.%d: dict model", minor);
    check((l->tpflags_inline_values != 0) == (minor >= 13), "3.%d: inline values flag", minor);
    check((l->tpflags_managed_dict != 0) == interp, "3.%d: managed dict flag", minor);
    if (interp) {
        /* co_code_adaptive is the trailing array of PyCodeObject. */
        check(l->code_code_adaptive < l->code_size && l->code_size - l->code_code_adaptive <= 8,
              "3.%d: co_code_adaptive %d is not the last member of %d bytes", minor,
              l->code_code_adaptive, l->code_size);
    }
    /* Every version's str state packs interned:2, kind:3, compact:1, ascii:1. */
    check(l->unicode_kind_shift == 2 && l->unicode_compact_bit == 5 && l->unicode_ascii_bit == 6,
          "3.%d: unicode state bits", minor);
}

static void test_facts(void)
{
    for (int minor = 8; minor <= 14; minor++) {
        const struct py_layout *l = pylayout_for_version(3, minor);
        if (l)
            test_version_facts(minor, l);
    }
    const struct py_layout *l11 = pylayout_for_version(3, 11), *l12 = pylayout_for_version(3, 12);
    /* PEP 623 removed PyASCIIObject.wstr in 3.12: one pointer less. */
    if (l11 && l12)
        check(l11->unicode_ascii_size - l12->unicode_ascii_size == 8, "3.12 dropped wstr");
}

/* Each broken copy of a valid table must be rejected. */
static void test_check_rejects(void)
{
    const struct py_layout *l12 = pylayout_for_version(3, 12), *l9 = pylayout_for_version(3, 9);
    struct py_layout b;

    if (!l12 || !l9)
        return;
    check(pylayout_check(NULL) == ERR_CORRUPT, "NULL layout accepted");
#define REJECT(base, stmt, what)                                               \
    do {                                                                       \
        b = *(base);                                                           \
        stmt;                                                                  \
        check(pylayout_check(&b) == ERR_CORRUPT, "accepted: %s", what);        \
    } while (0)
    REJECT(l12, b.frame_owner = b.frame_size, "owner at the frame's end");
    REJECT(l12, b.frame_lasti = b.frame_size - 4, "8-byte instr_ptr crossing the frame's end");
    REJECT(l12, b.code_filename = -8, "negative offset");
    REJECT(l12, b.frame_back = OFF_NONE, "missing frame back link");
    REJECT(l12, b.tstate_frame = OFF_NONE, "missing tstate frame");
    REJECT(l12, b.cframe_current_frame = OFF_NONE, "3.12 without cframe");
    REJECT(l12, b.frame_model = FRAME_MODEL_OBJECT, "3.12 with object frames");
    REJECT(l12, b.linetable = LINETABLE_LNOTAB, "3.12 with lnotab");
    REJECT(l12, b.frame_model = 0, "unknown frame model");
    REJECT(l12, b.dict_model = DICT_MODEL_38, "3.12 with the 3.8 dict");
    REJECT(l12, b.tpflags_managed_dict = 0x30, "two-bit flag");
    REJECT(l12, b.managed_dict_offset = 8, "managed dict after the header");
    REJECT(l12, b.unicode_compact_bit = b.unicode_kind_shift + 1, "compact bit inside kind");
    REJECT(l12, b.unicode_compact_size = b.unicode_ascii_size - 8, "compact smaller than ascii");
    REJECT(l12, b.long_tagged = 2, "non-boolean long_tagged");
    REJECT(l12, b.owner_cstack = 300, "owner out of char range");
    REJECT(l12, b.tstate_size = 0, "zero tstate size");
    REJECT(l12, b.interp_size = 1 << 30, "absurd interpreter size");
    REJECT(l12, b.minor = 99 + 1, "absurd minor");
    REJECT(l9, b.code_qualname = 128, "co_qualname on 3.9");
    REJECT(l9, b.frame_owner = 40, "owner on 3.9");
    REJECT(l9, b.tpflags_inline_values = 4, "inline values flag without offset");
#undef REJECT
}

static uint8_t *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;

    *len = 0;
    if (!f)
        return NULL;
    buf = malloc(4096);
    if (buf)
        *len = fread(buf, 1, 4096, f);
    fclose(f);
    return buf;
}

/* Parse an image of len bytes at RUNTIME_ADDR into *out; returns the code. */
static int parse(const uint8_t *image, size_t len, struct py_layout *out, unsigned long *reads)
{
    struct memimage *m = memimage_new();
    int rc = ERR_NOMEM;

    if (m && (len == 0 || memimage_add(m, RUNTIME_ADDR, image, len) == 0)) {
        struct reader r = memimage_reader(m);
        rc = pylayout_from_debug_offsets(&r, RUNTIME_ADDR, out);
        if (reads)
            *reads = r.reads;
    }
    memimage_free(m);
    return rc;
}

static void put_word(uint8_t *image, int word, uint64_t value)
{
    memcpy(image + 8 * word, &value, sizeof value);
}

/* The captured 3.13.0 block must reproduce the generated 3.13 table. */
static void test_real_313(const uint8_t *image)
{
    const struct py_layout *l13 = pylayout_for_version(3, 13);
    struct py_layout out;
    unsigned long reads = 0;

    if (!l13)
        return;
    out = poisoned(l13);
    int rc = parse(image, IMAGE_313_SIZE, &out, &reads);
    check(rc == 0, "3.13.0 image rejected: %d", rc);
    check(reads == 1, "3.13.0 image took %lu reads, want 1", reads);
    if (rc == 0)
        layouts_equal(&out, l13, "3.13.0 debug offsets vs generated table");
}

/* Word indices inside the 3.14 block (Include/internal/pycore_debug_offsets.h):
 * header 0-2, runtime_state 3-5, interpreter_state 6-21, thread_state 22-30,
 * interpreter_frame 31-38, code_object 39-49, pyobject 50-51, type_object
 * 52-55, tuple 56-58, list 59-61, set 62-65, dict 66-68, float 69-70, long
 * 71-73, bytes 74-76, unicode 77-80, gc 81-82, gen 83-86, llist 87-88,
 * debugger_support 89-94. */
static void encode_314(const struct py_layout *l, uint8_t *image)
{
    memset(image, 0, 8 * IMAGE_314_WORDS);
    memcpy(image, "xdebugpy", 8);
    put_word(image, 1, 0x030E00F0);   /* 3.14.0 final */
    const struct { int word; int64_t value; } w[] = {
        { 3, l->runtime_size }, { 5, l->runtime_interpreters_head },
        { 6, l->interp_size }, { 8, l->interp_next }, { 9, l->interp_threads_head },
        { 12, l->interp_modules },
        { 22, l->tstate_size }, { 24, l->tstate_next }, { 25, l->tstate_interp },
        { 26, l->tstate_frame }, { 27, l->tstate_thread_id }, { 28, l->tstate_native_thread_id },
        { 29, l->tstate_datastack_chunk },
        { 31, l->frame_size }, { 32, l->frame_back }, { 33, l->frame_code },
        { 34, l->frame_lasti }, { 36, l->frame_owner },
        { 39, l->code_size }, { 40, l->code_filename }, { 41, l->code_name },
        { 42, l->code_qualname }, { 43, l->code_linetable }, { 44, l->code_firstlineno },
        { 48, l->code_code_adaptive },
        { 50, 16 }, { 51, l->ob_type }, { 52, 416 }, { 53, l->type_name }, { 55, l->type_flags },
        { 56, 32 }, { 58, l->var_ob_size }, { 66, 48 }, { 67, l->dict_keys }, { 68, l->dict_values },
        { 71, 32 }, { 72, l->long_size_or_tag }, { 73, l->long_digits },
        { 74, 40 }, { 75, l->bytes_size }, { 76, l->bytes_sval },
        { 77, 64 }, { 78, l->unicode_state }, { 79, l->unicode_length }, { 80, l->unicode_ascii_size },
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        put_word(image, w[i].word, (uint64_t)w[i].value);
}

/* A 3.14 block built from the hand-derived table must decode back to it:
 * this pins the 3.14 word positions the parser uses. */
static void test_synthetic_314(void)
{
    const struct py_layout *l14 = pylayout_for_version(3, 14);
    uint8_t image[8 * IMAGE_314_WORDS];
    struct py_layout out;

    if (!l14)
        return;
    encode_314(l14, image);
    out = poisoned(l14);
    int rc = parse(image, sizeof image, &out, NULL);
    check(rc == 0, "synthetic 3.14 image rejected: %d", rc);
    if (rc == 0)
        layouts_equal(&out, l14, "3.14 synthetic debug offsets vs table");

    /* A 3.14 block shorter than its 760 bytes cannot be read. */
    out = *l14;
    check(parse(image, sizeof image - 1, &out, NULL) == ERR_READ, "short 3.14 image read");
    /* A 3.15 target read with the 3.14 table as a base. */
    put_word(image, 1, 0x030F00A1);
    check(parse(image, sizeof image, &out, NULL) == ERR_VERSION, "3.15 block accepted as 3.14");
}

/* Corrupt one word of the 3.13 image and expect rc; *out must not change. */
static void expect_313(const uint8_t *good, int word, uint64_t value, int want, const char *what)
{
    const struct py_layout *l13 = pylayout_for_version(3, 13);
    uint8_t image[IMAGE_313_SIZE];
    struct py_layout out;

    memcpy(image, good, sizeof image);
    if (word >= 0)
        put_word(image, word, value);
    out = *l13;
    int rc = parse(image, sizeof image, &out, NULL);
    check(rc == want, "%s: got %d, want %d", what, rc, want);
    if (rc < 0) {
        char label[128];
        snprintf(label, sizeof label, "%s left *out changed", what);
        layouts_equal(&out, l13, label);
    }
}

static void test_corrupt_313(const uint8_t *good)
{
    const struct py_layout *l13 = pylayout_for_version(3, 13);
    uint8_t image[IMAGE_313_SIZE];
    struct py_layout out;

    if (!l13)
        return;
    memcpy(image, good, sizeof image);
    image[3] ^= 0x20;   /* "xdeBugpy" */
    out = *l13;
    check(parse(image, sizeof image, &out, NULL) == ERR_CORRUPT, "bad cookie accepted");

    /* Word indices in the 3.13 block (Include/internal/pycore_runtime.h). */
    expect_313(good, 1, 0x030C01F0, ERR_VERSION, "3.12 version in a 3.13 read");
    expect_313(good, 1, 0x040D00F0, ERR_VERSION, "major 4");
    expect_313(good, 1, 0x030D0000, ERR_CORRUPT, "release level 0");
    expect_313(good, 1, 0xFFFFFFFF030D00F0ull, ERR_CORRUPT, "version above 32 bits");
    expect_313(good, 2, 1, ERR_VERSION, "free-threaded build");
    expect_313(good, 2, 7, ERR_CORRUPT, "free_threaded not a boolean");
    expect_313(good, 5, 100, ERR_CORRUPT, "interpreters.head inside the debug block");
    expect_313(good, 5, 1ull << 40, ERR_CORRUPT, "interpreters.head far away");
    expect_313(good, 3, 0, ERR_CORRUPT, "runtime size 0");
    expect_313(good, 23, 1ull << 40, ERR_CORRUPT, "current_frame offset huge");
    expect_313(good, 23, UINT64_MAX, ERR_CORRUPT, "current_frame offset -1");
    expect_313(good, 19, 8, ERR_CORRUPT, "thread state of 8 bytes");
    expect_313(good, 33, 80, ERR_CORRUPT, "owner at the frame's end");
    expect_313(good, 28, UINT64_MAX - 4, ERR_CORRUPT, "frame size wraps");
    expect_313(good, 34, 1u << 30, ERR_CORRUPT, "code object of 1 GiB");
    expect_313(good, 43, 4096, ERR_CORRUPT, "co_code_adaptive past the code object");
    expect_313(good, 70, 4096, ERR_CORRUPT, "ascii object size past the str");
    expect_313(good, 65, 1 << 20, ERR_CORRUPT, "ob_size outside bytes");
    expect_313(good, 63, 31, ERR_CORRUPT, "ob_digit crossing the int's end");
    expect_313(good, -1, 0, 0, "unmodified image");

    /* Truncated or missing images fail the one read. */
    out = *l13;
    check(parse(good, IMAGE_313_SIZE - 1, &out, NULL) == ERR_READ, "truncated image read");
    check(parse(good, 0, &out, NULL) == ERR_READ, "empty image read");

    /* No debug offsets before 3.13. */
    out = *pylayout_for_version(3, 12);
    check(parse(good, IMAGE_313_SIZE, &out, NULL) == ERR_VERSION, "3.12 asked for debug offsets");
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
static void test_fuzz_313(const uint8_t *good)
{
    const struct py_layout *l13 = pylayout_for_version(3, 13);
    uint8_t image[IMAGE_313_SIZE];
    int accepted = 0, rejected = 0;

    for (int round = 0; round < FUZZ_ROUNDS; round++) {
        memcpy(image, good, sizeof image);
        int edits = 1 + (int)(rng() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = 24 + rng() % (sizeof image - 24);
            image[at] = (uint8_t)rng();
        }
        struct py_layout out = *l13;
        int rc = parse(image, sizeof image, &out, NULL);
        check(rc == 0 || rc == ERR_CORRUPT, "fuzz round %d: unexpected code %d", round, rc);
        if (rc == 0) {
            accepted++;
            check(pylayout_check(&out) == 0, "fuzz round %d: accepted an inconsistent layout", round);
        } else {
            rejected++;
        }
    }
    /* Both outcomes must occur, or the mutations test nothing. */
    check(accepted > 0 && rejected > 0, "fuzz: %d accepted, %d rejected", accepted, rejected);
}

int main(int argc, char **argv)
{
    size_t len = 0;
    uint8_t *image;

    if (argc != 2) {
        fprintf(stderr, "usage: %s debug_offsets_3.13.0.bin\n", argv[0]);
        return 2;
    }
    test_tables();
    test_facts();
    test_check_rejects();
    test_synthetic_314();
    image = load(argv[1], &len);
    check(image != NULL && len == IMAGE_313_SIZE, "%s: want %d bytes, got %zu", argv[1],
          IMAGE_313_SIZE, len);
    if (image && len == IMAGE_313_SIZE) {
        test_real_313(image);
        test_corrupt_313(image);
        test_fuzz_313(image);
    }
    free(image);
    if (check_failed) {
        printf("%d failure(s)\n", check_failed);
        return 1;
    }
    printf("layout: all tests passed\n");
    return 0;
}
