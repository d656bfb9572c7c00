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
 *     segment format: results bounded and well-formed;
 *   4 asyncio tasks (the task walker's decoders, taskwalk_impl.h): a minor
 *     3.11+ (11 + byte % 5), a flags byte (bit 0: read the task as running),
 *     the task's address (8 bytes), then segments as in 3: the task read,
 *     its chain and name, its awaiter, its children, the 3.14+ task lists
 *     from the same address taken as an interpreter state, sets and lists;
 *     chains bounded, failed ones empty, names bounded valid UTF-8;
 *   5 (first byte 250-255, so the corpus of 0-4 keeps its meaning) bytecode
 *     scanned for call instructions (opcodes_scan_calls): a minor 3.(7 +
 *     byte % 10) (3.7 and 3.16 have no table), then the code units: the
 *     classified prefix within the input, no bit set past it, and every
 *     call unit inside an instruction whose opcode is a call (or, <= 3.10,
 *     an EXTENDED_ARG chain before one).
 *   6 (first byte 240-249) the kernel's context-switch records
 *     (cpuswitch_feed): the rest is records back to back, each as long as
 *     the 16-bit length before it, fed to a tracker that watches threads 1
 *     to 8 (seeded off at time 0) from CPU 0 with sampling thread 9: every
 *     state one of on, off, off and displaced, or gone (then off), and a
 *     record counted at most once.
 * Violations abort. */
#include <stdlib.h>
#include <string.h>

#include "codecache.h"
#include "cpuswitch.h"
#include "error.h"
#include "fuzzimg.h"
#include "linetable.h"
#include "memimage.h"
#include "opcodes.h"
#include "pydict.h"
#include "pylayout.h"
#include "pylong.h"
#include "pyobj.h"
#include "pystr.h"
#include "pytarget.h"
#include "pyset.h"
#include "taskwalk_impl.h"
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
    /* The span the code cache checks: -1, or at most 8 code units (16
     * bytes) per table byte (3.11+) and 255 bytes per pair (3.10). */
    long span = linetable_span(fmt, left ? p : NULL, left);
    if (span < -1 || span > 255 * (long)left)
        violation("line table span out of range");
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

static void check_frames(const struct task_sample *s, int cap)
{
    if (s->depth < 0 || s->depth > cap || (s->failed && s->depth))
        violation("a task's chain out of bounds, or a failed one with frames");
    for (int i = 0; i < s->depth; i++) {
        const struct code_entry *e = s->frames[i].code;
        if (!e || !e->name || !e->file || s->frames[i].line < -1 ||
            !fuzzimg_utf8_ok(e->name, strlen(e->name)) || !fuzzimg_utf8_ok(e->file, strlen(e->file)))
            violation("a task's frame without a valid code entry or line");
    }
}

static int count_key(void *arg, uint64_t key, int64_t hash)
{
    (void)key;
    (void)hash;
    return ++*(int *)arg > (int)PYSET_MAX_SLOTS ? 1 : 0;
}

/* The task decoders on one address of an image (see the top). */
static void fuzz_task_reads(struct pytarget *t, const struct task_layout *tl, uint64_t task,
                            int running)
{
    struct codecache *c = codecache_new();
    struct task_types types = {0};
    if (!c)
        abort();
    struct taskread_ctx x = {.t = t, .c = c, .tl = tl, .types = &types};
    codecache_new_round(c);
    taskread_new_round(&x);
    static struct walk_frame frames[TASKWALK_MAX_CHAIN];
    int cap = 1 + (int)(task % TASKWALK_MAX_CHAIN);
    struct task_sample s = {.task = task, .running = running};
    struct taskread_more more;
    char name[TASKWALK_NAME_MAX];
    struct task_hint hint = {0};
    if (taskread_task(&x, &s, frames, cap, &more, &hint) == 0) {
        check_frames(&s, cap);
        /* again through the hint (one batched read): the same chain */
        static struct walk_frame again[TASKWALK_MAX_CHAIN];
        struct task_sample s2 = {.task = task, .running = running};
        struct taskread_more more2;
        if (hint.n < 1 || hint.n > TASKHINT_MAX)
            violation("a hint out of bounds");
        if (taskread_task(&x, &s2, again, cap, &more2, &hint) != 0 || s2.depth != s.depth ||
            s2.failed != s.failed || more2.awaited != more.awaited)
            violation("a task read through its hint differs");
        check_frames(&s2, cap);
        if (taskread_name(&x, more.name_obj, name, sizeof name) == 0 &&
            (strnlen(name, sizeof name) == sizeof name || !fuzzimg_utf8_ok(name, strlen(name))))
            violation("a task name unterminated or not UTF-8");
    }
    (void)taskread_awaited_by(&x, task);
    uint64_t kids[8];
    if (taskread_children(&x, task, TK_OTHER, kids, 8) > 8)
        violation("more children than room");
    static struct task_ref refs[64];
    int n = -1, items = 0;
    unsigned cut = 0;
    if (tl->minor >= 14 && tasklist_threads(&x, task, refs, 64, &n, &cut) == 0 && (n < 0 || n > 64))
        violation("a task list longer than its room");
    (void)pyset_foreach(t->r, &t->layout, task, count_key, &items);
    (void)pylist_items(t->r, &t->layout, task, kids, 8);
    codecache_free(c);
}

static void fuzz_tasks(const uint8_t *p, size_t left)
{
    if (left < 10)
        return;
    const struct task_layout *tl = tasklayout_for(11 + p[0] % 5);
    const struct py_layout *l = pylayout_for_version(3, tl->minor);
    int running = p[1] & 1;
    uint64_t task;
    memcpy(&task, p + 2, sizeof task);
    uint8_t *file = calloc(1, FUZZIMG_HEADER + left - 10);
    if (!file || !l)
        abort();
    memcpy(file, FUZZIMG_MAGIC, 8);
    memcpy(file + FUZZIMG_HEADER, p + 10, left - 10);
    struct fuzzimg img;
    if (fuzzimg_load(file, FUZZIMG_HEADER + left - 10, &img) == 0) {
        img.target.layout = *l;
        fuzz_task_reads(&img.target, tl, task, running);
    }
    fuzzimg_free(&img);
    free(file);
}

/* Whether unit u may be marked as a call: the instruction it belongs to
 * (found by a scan of its own from the start) is a call, or (extarg) an
 * EXTENDED_ARG chain before one. */
static int call_unit_ok(const uint8_t *tab, int extarg, const uint8_t *code, size_t n, size_t u)
{
    size_t i = 0;
    while (i < n) {
        size_t end = i + 1 + opcodes_caches(tab, code[2 * i]);
        if (u < end) {
            size_t j = i;
            while (extarg && opcodes_kind(tab, code[2 * j]) == OPK_EXTARG && j + 1 < n)
                j++;
            return opcodes_kind(tab, code[2 * j]) == OPK_CALL;
        }
        i = end;
    }
    return 0;
}

static void fuzz_bytecode(const uint8_t *p, size_t left)
{
    if (left < 1)
        return;
    int minor = 7 + p[0] % 10;
    const uint8_t *tab = opcodes_table(3, minor);
    p++;
    left--;
    if (!tab)
        return;
    size_t n = left / 2;
    uint8_t *code = malloc(left + 1), *bits = malloc(n / 8 + 1);
    if (!code || !bits)
        abort();
    memcpy(code, p, left);      /* its own copy, so ASan sees any read past the units */
    size_t known = opcodes_scan_calls(tab, minor <= 10, code, n, bits);
    if (known > n)
        violation("more units classified than given");
    for (size_t u = 0; u < n; u++) {
        int bit = bits[u / 8] >> (u % 8) & 1;
        if (bit && (u >= known || !call_unit_ok(tab, minor <= 10, code, n, u)))
            violation("a call bit outside a call instruction or past the classified units");
    }
    free(code);
    free(bits);
}

static void fuzz_switches(const uint8_t *data, size_t size)
{
    struct cpuswitch *cs = cpuswitch_new_detached(1);
    if (!cs)
        return;
    for (pid_t t = 1; t <= 8; t++)
        cpuswitch_seed(cs, t, 0, 0);
    uint64_t fed = 0;
    for (size_t at = 0; at + 2 <= size;) {
        size_t len = (size_t)data[at] | (size_t)data[at + 1] << 8;
        at += 2;
        if (len > size - at)
            len = size - at;
        cpuswitch_feed(cs, data + at, len, 9);
        fed++;
        at += len;
        for (pid_t t = 1; t <= 8; t++) {
            struct cpuswitch_thread th;
            if (!cpuswitch_state(cs, t, &th))
                continue;
            if ((th.on != 0 && th.on != 1) || (th.displaced && th.on) || (th.gone && th.on))
                violation("a thread both on and off a CPU, or gone and on one");
        }
    }
    struct cpuswitch_stats st;
    cpuswitch_stats(cs, &st);
    if (st.records + st.malformed > fed)
        violation("more records counted than fed");
    cpuswitch_free(cs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] >= 240 && data[0] < 250) {
        fuzz_switches(data + 1, size - 1);
        return 0;
    }
    if (data[0] >= 250) {
        fuzz_bytecode(data + 1, size - 1);
        return 0;
    }
    switch (data[0] % 5) {
    case 0:
        fuzz_linetable(data + 1, size - 1);
        break;
    case 1:
        fuzz_strings(data + 1, size - 1);
        break;
    case 2:
        fuzz_debug_offsets(data + 1, size - 1);
        break;
    case 3:
        fuzz_objects(data + 1, size - 1);
        break;
    default:
        fuzz_tasks(data + 1, size - 1);
        break;
    }
    return 0;
}
