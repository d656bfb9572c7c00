/* SPDX-License-Identifier: MIT */
/* Unit tests of the source view's model (ui_source.c): samples per line
 * of one function against a brute-force count over random recursive
 * stacks, and reading files with bounds (size cap, binary and non-regular
 * files refused, missing files, pseudo-files, relative names), lines,
 * tabs, and the function's extent. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "table.h"
#include "ui_source.h"

#define MAXD 10
#define NFUNCS 4
#define NLINES 5

struct rec {
    uint32_t thread;
    int depth;
    struct frame_key f[MAXD];   /* leaf first */
    uint64_t w;
};

static struct rec recs[3000];
static size_t nrecs;
static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 33) % n;
}

/* The brute force: per line of func, and for func itself. */
static void brute(uint32_t thread, uint32_t func, int32_t line, uint64_t *own, uint64_t *total)
{
    *own = *total = 0;
    for (size_t i = 0; i < nrecs; i++) {
        const struct rec *r = &recs[i];
        if (thread != TABLE_NONE && r->thread != thread)
            continue;
        int any = 0;
        for (int d = 0; d < r->depth; d++)
            any |= r->f[d].func == func && (line < 0 || r->f[d].line == line);
        *total += any ? r->w : 0;
        if (r->depth && r->f[0].func == func && (line < 0 || r->f[0].line == line))
            *own += r->w;
    }
}

static void test_line_stats(void)
{
    struct table *t = table_new();
    uint32_t funcs[NFUNCS];
    char name[16];
    for (int i = 0; i < NFUNCS; i++) {
        snprintf(name, sizeof name, "f%d", i);
        funcs[i] = table_intern_func(t, name, "/w/m.py");
    }
    for (int i = 0; i < 3; i++)
        CHECK_EQ(table_thread(t, 10 + (uint64_t)i, "th"), (uint64_t)i);
    for (nrecs = 0; nrecs < sizeof recs / sizeof recs[0]; nrecs++) {
        struct rec *r = &recs[nrecs];
        *r = (struct rec){.thread = rnd(3), .depth = (int)rnd(MAXD + 1), .w = 1 + rnd(4)};
        for (int d = 0; d < r->depth; d++)
            r->f[d] = (struct frame_key){funcs[rnd(NFUNCS)], 1 + (int32_t)rnd(NLINES)};
        CHECK_EQ(table_add_stack(t, r->thread, r->f, r->depth, r->w), 0);
    }
    struct ui_line_stats s = {.items = NULL};
    uint32_t scopes[] = {TABLE_NONE, 0, 2};
    for (size_t sc = 0; sc < 3; sc++) {
        for (int fi = 0; fi < NFUNCS; fi++) {
            CHECK_EQ(ui_line_stats_count(&s, t, scopes[sc], funcs[fi]), 0);
            uint64_t own, total;
            brute(scopes[sc], funcs[fi], -1, &own, &total);
            CHECK_EQ(s.own, own);
            CHECK_EQ(s.total, total);
            CHECK_EQ(s.samples, scopes[sc] == TABLE_NONE ? table_samples(t) : table_thread_samples(t, scopes[sc]));
            for (int32_t l = 0; l <= NLINES + 1; l++) {
                brute(scopes[sc], funcs[fi], l, &own, &total);
                const struct ui_line_stat *ls = ui_line_stats_find(&s, l);
                CHECK_EQ(ls ? ls->own : 0, own);
                CHECK_EQ(ls ? ls->total : 0, total);
            }
            for (size_t i = 1; i < s.n; i++)
                CHECK(s.items[i - 1].line < s.items[i].line);
        }
    }
    CHECK_EQ(ui_line_stats_count(&s, t, TABLE_NONE, TABLE_NONE), 0);
    CHECK(s.n == 0 && ui_line_stats_hottest(&s) == -1);
    ui_line_stats_free(&s);
    table_free(t);
}

static void test_hottest(void)
{
    struct ui_line_stat items[] = {{.line = 3, .own = 5, .total = 10}, {.line = 7, .own = 9, .total = 40},
                                   {.line = 9, .own = 20, .total = 40}, {.line = 12}};
    struct ui_line_stats s = {.items = items, .n = 4};
    CHECK_EQ(ui_line_stats_hottest(&s), 9);     /* most total, then most own */
    items[2].own = 9;
    CHECK_EQ(ui_line_stats_hottest(&s), 7);     /* then the first */
}

static char dir[64];

static void write_file(const char *name, const char *data, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ(fwrite(data, 1, len, f), len);
        fclose(f);
    }
}

static void check_line(const struct ui_srcfile *s, size_t i, const char *want)
{
    size_t len;
    const char *l = ui_srcfile_line(s, i, &len);
    CHECK(l && len == strlen(want) && memcmp(l, want, len) == 0);
}

static void test_files(void)
{
    struct ui_srcfile s = {.status = UI_SRC_NONE};
    char path[128];
    static const char text[] = "def f():\n\tx = 1\r\n    y = '\xff\xfe'\nlast";
    write_file("a.py", text, sizeof text - 1);
    snprintf(path, sizeof path, "%s/a.py", dir);
    CHECK_EQ(ui_srcfile_load(&s, path, NULL, UI_SOURCE_MAX_BYTES), UI_SRC_OK);
    CHECK_EQ(s.nlines, 4);
    check_line(&s, 0, "def f():");
    check_line(&s, 1, "\tx = 1\r");
    check_line(&s, 3, "last");
    size_t len;
    CHECK(ui_srcfile_line(&s, 4, &len) == NULL && len == 0);
    /* Relative names under cwd; the size cap. */
    CHECK_EQ(ui_srcfile_load(&s, "a.py", dir, UI_SOURCE_MAX_BYTES), UI_SRC_OK);
    CHECK(strcmp(s.path, path) == 0 && s.nlines == 4);
    CHECK_EQ(ui_srcfile_load(&s, "a.py", dir, 10), UI_SRC_TOO_BIG);
    CHECK(s.text == NULL && s.nlines == 0 && ui_srcfile_line(&s, 0, &len) == NULL);
    /* Refused: binary, a directory, missing; pseudo-files are not read. */
    write_file("b.bin", "ab\0cd\n", 6);
    CHECK_EQ(ui_srcfile_load(&s, "b.bin", dir, UI_SOURCE_MAX_BYTES), UI_SRC_BINARY);
    CHECK_EQ(ui_srcfile_load(&s, dir, NULL, UI_SOURCE_MAX_BYTES), UI_SRC_NOT_REGULAR);
    CHECK_EQ(ui_srcfile_load(&s, "missing.py", dir, UI_SOURCE_MAX_BYTES), UI_SRC_ERRNO);
    CHECK_EQ(s.err, ENOENT);
    char why[256];
    CHECK(strstr(ui_srcfile_why(&s, why, sizeof why), "No such file") != NULL);
    CHECK_EQ(ui_srcfile_load(&s, "<frozen importlib._bootstrap>", dir, UI_SOURCE_MAX_BYTES), UI_SRC_PSEUDO);
    CHECK(strstr(ui_srcfile_why(&s, why, sizeof why), "<frozen importlib._bootstrap>") != NULL);
    CHECK_EQ(ui_srcfile_load(&s, "/dev/null", NULL, UI_SOURCE_MAX_BYTES), UI_SRC_NOT_REGULAR);
    write_file("empty.py", "", 0);
    CHECK_EQ(ui_srcfile_load(&s, "empty.py", dir, UI_SOURCE_MAX_BYTES), UI_SRC_OK);
    CHECK_EQ(s.nlines, 0);
    ui_srcfile_free(&s);
}

static void test_expand(void)
{
    char out[64];
    CHECK_EQ(ui_srcfile_expand(out, sizeof out, "\tx = 1\r", 7), 13);
    CHECK(strcmp(out, "        x = 1") == 0);
    ui_srcfile_expand(out, sizeof out, "ab\tc", 4);
    CHECK(strcmp(out, "ab      c") == 0);
    ui_srcfile_expand(out, sizeof out, "\xc3\xa9\tc", 4);      /* é is one column */
    CHECK(strcmp(out, "\xc3\xa9       c") == 0);
    CHECK_EQ(ui_srcfile_expand(out, 5, "\t\t", 2), 4);         /* bounded */
    CHECK(strcmp(out, "    ") == 0);
}

static void test_extent(void)
{
    static const char text[] =
        "import os\n"                      /* 1 */
        "\n"                               /* 2 */
        "class K:\n"                       /* 3 */
        "    @staticmethod\n"              /* 4 */
        "    def work(n):\n"               /* 5 */
        "        def inner():\n"           /* 6 */
        "            return 1\n"           /* 7 */
        "        x = inner()\n"            /* 8 */
        "\n"                               /* 9 */
        "        # a comment\n"            /* 10 */
        "        return x\n"               /* 11 */
        "    def other(self): pass\n"      /* 12 */
        "async def work2(a):\n"            /* 13 */
        "    await a\n"                    /* 14 */
        "print(1)\n";                      /* 15 */
    write_file("e.py", text, sizeof text - 1);
    struct ui_srcfile s = {.status = UI_SRC_NONE};
    CHECK_EQ(ui_srcfile_load(&s, "e.py", dir, UI_SOURCE_MAX_BYTES), UI_SRC_OK);
    int32_t first, last;
    /* Without a first line: guessed from the sampled lines. */
    ui_srcfile_extent(&s, "K.work", -1, 8, 8, &first, &last);
    CHECK(first == 5 && last == 11);
    ui_srcfile_extent(&s, "K.work.<locals>.inner", -1, 7, 7, &first, &last);
    CHECK(first == 6 && last == 7);
    ui_srcfile_extent(&s, "work2", -1, 14, 14, &first, &last);
    CHECK(first == 13 && last == 14);
    ui_srcfile_extent(&s, "<module>", -1, 15, 15, &first, &last);
    CHECK(first == 1 && last == 15);
    ui_srcfile_extent(&s, "<lambda>", -1, 7, 8, &first, &last);   /* no def: the sampled lines */
    CHECK(first == 7 && last == 8);
    ui_srcfile_extent(&s, "gone", -1, 8, 11, &first, &last);
    CHECK(first == 8 && last == 11);
    ui_srcfile_extent(&s, "K.work", -1, 400, 401, &first, &last); /* past the end: as sampled */
    CHECK(first == 400 && last == 401);
    ui_srcfile_extent(&s, "K.work", -1, 0, 0, &first, &last);     /* nothing known */
    CHECK(first == 0 && last == 0);
    /* With a first line: from the decorator, also without samples. */
    ui_srcfile_extent(&s, "K.work", 4, 8, 8, &first, &last);
    CHECK(first == 4 && last == 11);
    ui_srcfile_extent(&s, "K.work", 4, 0, 0, &first, &last);
    CHECK(first == 4 && last == 11);
    ui_srcfile_extent(&s, "K.other", 12, 0, 0, &first, &last);     /* a def on one line */
    CHECK(first == 12 && last == 12);
    ui_srcfile_extent(&s, "K", 3, 8, 8, &first, &last);            /* a class body */
    CHECK(first == 3 && last == 12);
    ui_srcfile_extent(&s, "<lambda>", 7, 8, 8, &first, &last);
    CHECK(first == 7 && last == 8);
    /* A first line that starts no def of that name (the file changed):
     * the guess, and the sampled lines stay in. */
    ui_srcfile_extent(&s, "K.work", 8, 8, 8, &first, &last);
    CHECK(first == 5 && last == 11);
    ui_srcfile_extent(&s, "K.other", 5, 8, 8, &first, &last);
    CHECK(first == 8 && last == 8);
    ui_srcfile_extent(&s, "K.work", 9999, 8, 8, &first, &last);
    CHECK(first == 5 && last == 11);
    ui_srcfile_free(&s);

    /* Two classes' run() in one file (one name before 3.11), multi-line
     * decorators and signatures, strings at column 0 and continued lines. */
    static const char two[] =
        "class A:\n"                         /* 1 */
        "    @decorate(\n"                   /* 2 */
        "1)\n"                               /* 3 */
        "    # between\n"                    /* 4 */
        "    @other\n"                       /* 5 */
        "    def run(self,\n"                /* 6 */
        "x=')'):\n"                          /* 7 */
        "        s = \"\"\"\n"               /* 8 */
        "not code\n"                         /* 9 */
        "\"\"\"\n"                           /* 10 */
        "        return (s +\n"              /* 11 */
        "x)\n"                               /* 12 */
        "class B:\n"                         /* 13 */
        "    def run(self):  # (\n"          /* 14 */
        "        y = 1 + \\\n"               /* 15 */
        "2\n"                                /* 16 */
        "        return '\\'('\n"            /* 17 */
        "    def other(self): pass\n";       /* 18 */
    write_file("two.py", two, sizeof two - 1);
    CHECK_EQ(ui_srcfile_load(&s, "two.py", dir, UI_SOURCE_MAX_BYTES), UI_SRC_OK);
    ui_srcfile_extent(&s, "run", 2, 11, 11, &first, &last);
    CHECK(first == 2 && last == 12);
    ui_srcfile_extent(&s, "run", 14, 17, 17, &first, &last);
    CHECK(first == 14 && last == 17);
    ui_srcfile_extent(&s, "B.run", 14, 0, 0, &first, &last);
    CHECK(first == 14 && last == 17);
    ui_srcfile_extent(&s, "A", 1, 0, 0, &first, &last);
    CHECK(first == 1 && last == 12);
    ui_srcfile_extent(&s, "run", 15, 15, 15, &first, &last);     /* not a def: the guess */
    CHECK(first == 14 && last == 17);
    ui_srcfile_free(&s);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/proftui-test-source-XXXXXX");
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    test_line_stats();
    test_hottest();
    test_files();
    test_expand();
    test_extent();
    const char *names[] = {"a.py", "b.bin", "empty.py", "e.py", "two.py"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return check_report("ui_source");
}
