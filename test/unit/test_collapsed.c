/* SPDX-License-Identifier: MIT */
/* Unit tests of the collapsed-stack exporter: write a table to a temporary
 * file, parse it back the way flamegraph.pl and speedscope do, and check
 * names, counts, escaping of hostile names, metadata and determinism. */
#include <locale.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "collapsed.h"
#include "error.h"
#include "table.h"

/* Raw names as a target could report them, and how they must come out. */
struct fn_case {
    const char *name, *file;
    const char *ename, *efile;
};

static const struct fn_case fns[] = {
    { "main", "app.py", "main", "app.py" },
    { "a;b", "dir;x/f.py", "a:b", "dir:x/f.py" },
    { "line\nbreak", "tab\there.py", "line?break", "tab?here.py" },
    { "cr\rx\x1b[31m", "del\x7f.py", "cr?x?[31m", "del?.py" },
    { "Привет.мир", "путь/модуль.py", "Привет.мир", "путь/модуль.py" },
    { "漢字の関数", "文件.py", "漢字の関数", "文件.py" },
    { "emoji 🔥 fn", "😀.py", "emoji 🔥 fn", "😀.py" },
    { "nel\xc2\x85x", "ls\xe2\x80\xa8ps\xe2\x80\xa9.py", "nel?x", "ls?ps?.py" },
    { "bad\xff\xfeutf", "over\xc0\xaflong.py", "bad??utf", "over??long.py" },
    { "surr\xed\xa0\x80", "trunc\xe4\xb8", "surr???", "trunc??" },
    { "ov\xe0\x80\xaf" "er", "big\xf4\x90\x80\x80.py", "ov???er", "big????.py" },
    { "ends with 12", "sp ace 7", "ends with 12", "sp ace 7" },
    { "<lambda>", "x.py", "<lambda>", "x.py" },
    { "", "", "", "" },
    { NULL, "long.py", NULL, "long.py" }, /* the 10,000-char name, built below */
};
#define NFNS (sizeof fns / sizeof fns[0])
#define LONG_LEN 10000

struct th_case {
    uint64_t tid;
    const char *name, *ename; /* ename: thread frame text after "T<tid>" */
};

static const struct th_case ths[] = {
    { 111, "MainThread", " MainThread" },
    { 222, "evil;thread\nname 5", " evil:thread?name 5" },
    { 333, NULL, "" },
    { 444, "worker 3", " worker 3" },
};
#define NTHS (sizeof ths / sizeof ths[0])

static char long_raw[LONG_LEN + 1], long_esc[LONG_LEN + 1];

/* A long name with a separator and a newline every 100 characters. */
static void make_long_name(void)
{
    for (int i = 0; i < LONG_LEN; i++) {
        char c = (char)('a' + i % 26);
        long_raw[i] = i % 100 == 0 ? ';' : i % 100 == 50 ? '\n' : c;
        long_esc[i] = i % 100 == 0 ? ':' : i % 100 == 50 ? '?' : c;
    }
}

static const char *raw_name(size_t i) { return fns[i].name ? fns[i].name : long_raw; }
static const char *esc_name(size_t i) { return fns[i].ename ? fns[i].ename : long_esc; }

/* A stack as fed: thread case, function cases and lines root first. */
struct stack {
    size_t th;
    int depth;
    size_t fn[8];
    int32_t line[8];
    uint64_t count;
};

static uint64_t rng_state = 88172645463325252u;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Distinct random stacks; thread 3 also gets one sample with no frame. */
static size_t make_stacks(struct stack *s, size_t n)
{
    size_t k = 0;
    while (k < n) {
        struct stack c = { .th = rnd(NTHS), .depth = 1 + (int)rnd(8), .count = 1 + rnd(5) };
        for (int d = 0; d < c.depth; d++) {
            c.fn[d] = rnd(NFNS);
            c.line[d] = rnd(6) == 0 ? -1 : (int32_t)rnd(3000);
        }
        int dup = 0;
        for (size_t j = 0; j < k && !dup; j++)
            dup = s[j].th == c.th && s[j].depth == c.depth &&
                  memcmp(s[j].fn, c.fn, sizeof c.fn) == 0 &&
                  memcmp(s[j].line, c.line, sizeof c.line) == 0;
        if (!dup)
            s[k++] = c;
    }
    s[n - 1] = (struct stack){ .th = 3, .depth = 0, .count = 7 };
    return n;
}

/* Build a table from the stacks; `reverse` interns and feeds everything in
 * the opposite order (different ids, same profile). */
static struct table *build(const struct stack *s, size_t n, int reverse)
{
    struct table *t = table_new();
    uint32_t fid[NFNS], tix[NTHS];
    for (size_t k = 0; k < NFNS; k++) {
        size_t i = reverse ? NFNS - 1 - k : k;
        fid[i] = table_intern_func(t, raw_name(i), fns[i].file);
    }
    for (size_t k = 0; k < NTHS; k++) {
        size_t i = reverse ? NTHS - 1 - k : k;
        tix[i] = table_thread(t, ths[i].tid, ths[i].name);
    }
    for (size_t k = 0; k < n; k++) {
        const struct stack *st = &s[reverse ? n - 1 - k : k];
        struct frame_key fr[8];
        for (int d = 0; d < st->depth; d++)
            fr[st->depth - 1 - d] = (struct frame_key){ fid[st->fn[d]], st->line[d] };
        /* Split the count over two calls to exercise merging. */
        CHECK(table_add_stack(t, tix[st->th], fr, st->depth, 1) == 0);
        if (st->count > 1)
            CHECK(table_add_stack(t, tix[st->th], fr, st->depth, st->count - 1) == 0);
    }
    return t;
}

/* The whole file as one string. */
static char *slurp(FILE *f, size_t *len)
{
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = '\0';
    return buf;
}

static char *write_to_string(const struct table *t, const struct export_meta *m, size_t *len)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    CHECK(collapsed_write(f, t, m) == 0);
    char *s = slurp(f, len);
    fclose(f);
    return s;
}

/* Append to a growing string. */
static void cat(char **s, size_t *len, const char *add)
{
    size_t n = strlen(add);
    *s = realloc(*s, *len + n + 1);
    memcpy(*s + *len, add, n + 1);
    *len += n;
}

/* The line the format promises for stack s (the specification, spelled out). */
static char *expected_line(const struct stack *s, int with_pid)
{
    char *out = NULL, num[64];
    size_t len = 0;
    cat(&out, &len, with_pid ? "P1234;" : "");
    snprintf(num, sizeof num, "T%llu", (unsigned long long)ths[s->th].tid);
    cat(&out, &len, num);
    cat(&out, &len, ths[s->th].ename);
    for (int d = 0; d < s->depth; d++) {
        cat(&out, &len, ";");
        cat(&out, &len, esc_name(s->fn[d]));
        cat(&out, &len, " (");
        cat(&out, &len, fns[s->fn[d]].efile);
        if (s->line[d] < 0)
            snprintf(num, sizeof num, ":?)");
        else
            snprintf(num, sizeof num, ":%d)", (int)s->line[d]);
        cat(&out, &len, num);
    }
    if (s->depth == 0)
        cat(&out, &len, ";[no Python frame]");
    snprintf(num, sizeof num, " %llu", (unsigned long long)s->count);
    cat(&out, &len, num);
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Split text into lines (in place). Returns the count; the text must end in
 * a newline. */
static size_t split_lines(char *text, size_t len, char **lines, size_t max)
{
    size_t n = 0;
    CHECK(len > 0 && text[len - 1] == '\n');
    for (char *p = text; *p && n < max;) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        lines[n++] = p;
        p = nl + 1;
    }
    return n;
}

static const struct export_meta meta = {
    .pid = 1234,
    .version = "0.1.0",
    .python_version = "3",
    .mode = 1,
    .interval_ns = 1000000,
    .duration_ns = 2013456789,
    .taken = 2013,
    .missed = 4,
    .lost = 2,
    .command = "python3 -c 'import x; x.run()'\n 10",
};

/* Lines that the readers' own patterns would take for a stack. */
static regex_t speedscope_re, flamegraph_re;

static void test_roundtrip(void)
{
    enum { NSTACKS = 400 };
    static struct stack st[NSTACKS];
    size_t n = make_stacks(st, NSTACKS);
    struct table *t = build(st, n, 0);
    size_t len;
    char *text = write_to_string(t, &meta, &len);
    CHECK(mbstowcs(NULL, text, 0) != (size_t)-1); /* valid UTF-8 throughout */

    char **lines = malloc((NSTACKS + 64) * sizeof *lines);
    size_t nl = split_lines(text, len, lines, NSTACKS + 64);
    size_t nmeta = 0;
    while (nmeta < nl && lines[nmeta][0] == '#')
        nmeta++;
    size_t sampled = 0;
    for (uint32_t i = 0; i < table_thread_count(t); i++)
        sampled += table_thread_samples(t, i) > 0;
    CHECK(sampled == NTHS);
    CHECK(nmeta == 12 + sampled); /* one "# thread:" line per thread with samples */
    CHECK(nl - nmeta == n); /* one line per distinct stack, nothing split */
    for (size_t i = 0; i < nmeta; i++) {
        CHECK(regexec(&speedscope_re, lines[i], 0, NULL, 0) != 0);
        CHECK(regexec(&flamegraph_re, lines[i], 0, NULL, 0) != 0);
    }
    uint64_t sum = 0;
    for (size_t i = nmeta; i < nl; i++) {
        regmatch_t m[3];
        CHECK(lines[i][0] != '#');
        CHECK(regexec(&speedscope_re, lines[i], 3, m, 0) == 0);
        CHECK(i == nmeta || strcmp(lines[i - 1], lines[i]) < 0); /* sorted */
        sum += strtoull(lines[i] + m[2].rm_so, NULL, 10);
        /* flamegraph.pl would read a stack ending in a number as a
         * two-column differential line: the stack part must not. */
        char *stack = strndup(lines[i], (size_t)m[1].rm_eo);
        CHECK(regexec(&flamegraph_re, stack, 0, NULL, 0) != 0);
        size_t frames = 1;
        for (char *p = stack; *p; p++)
            frames += *p == ';';
        CHECK(strncmp(stack, "P1234;T", 7) == 0);
        CHECK(frames >= 3 && frames <= 10);
        free(stack);
    }
    CHECK(sum == table_samples(t));

    /* Every line is exactly the one the format promises. */
    char **want = malloc(n * sizeof *want);
    for (size_t i = 0; i < n; i++)
        want[i] = expected_line(&st[i], 1);
    qsort(want, n, sizeof *want, cmp_str);
    for (size_t i = 0; i < n && nmeta + i < nl; i++) {
        int same = strcmp(want[i], lines[nmeta + i]) == 0;
        CHECK(same);
        if (!same)
            fprintf(stderr, "  want: %.200s\n  got:  %.200s\n", want[i], lines[nmeta + i]);
    }
    for (size_t i = 0; i < n; i++)
        free(want[i]);
    free(want);
    free(lines);
    free(text);
    table_free(t);
}

static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return 1;
    return 0;
}

/* The "# thread:" line of a thread of another process says that pid; one
 * of the profile's own process, the profile's. */
static void test_thread_pids(void)
{
    struct table *t = table_new();
    uint32_t own = table_thread(t, 5, "MainThread");
    uint32_t other = table_thread_of(t, 4321, 8, "worker");
    uint32_t f = table_intern_func(t, "f", "f.py");
    CHECK(table_add_stack(t, own, &(struct frame_key){ f, 3 }, 1, 2) == 0);
    CHECK(table_add_stack(t, other, &(struct frame_key){ f, 3 }, 1, 1) == 0);
    size_t len;
    char *text = write_to_string(t, &meta, &len);
    CHECK(has_line(text, "# thread: 5 (pid 1234) \"MainThread\" 2 samples, 0 failed "
                         "(torn 0, cycle 0, corrupt 0, read 0)"));
    CHECK(has_line(text, "# thread: 8 (pid 4321) \"worker\" 1 samples, 0 failed "
                         "(torn 0, cycle 0, corrupt 0, read 0)"));
    CHECK(has_line(text, "P4321;T8 worker;f (f.py:3) 1"));
    free(text);
    table_free(t);
}

static void test_metadata(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 5, "MainThread");
    uint32_t w = table_thread(t, 6, "say \"hi\" 3");
    table_thread(t, 7, "idle");                      /* no samples: no "# thread:" line */
    uint32_t f = table_intern_func(t, "f", "f.py");
    CHECK(table_add_stack(t, th, &(struct frame_key){ f, 3 }, 1, 9) == 0);
    CHECK(table_add_failed(t, th, WALK_FAIL_TORN) == 0);
    CHECK(table_add_failed(t, th, WALK_FAIL_READ) == 0);
    CHECK(table_add_failed(t, w, WALK_FAIL_CYCLE) == 0);
    size_t len;
    char *text = write_to_string(t, &meta, &len);
    CHECK(strncmp(text, "# proftui: 0.1.0\n", 17) == 0);
    CHECK(has_line(text, "# python: \"3\""));
    CHECK(has_line(text, "# mode: cpu"));
    CHECK(has_line(text, "# interval: 1000us"));
    CHECK(has_line(text, "# duration: 2.013s"));
    CHECK(has_line(text, "# samples: 2013 rounds"));
    CHECK(has_line(text, "# missed: 4 rounds"));
    CHECK(has_line(text, "# lost: 2 rounds"));
    CHECK(has_line(text, "# failed: 3 stacks (torn 1, cycle 1, corrupt 0, read 1)"));
    CHECK(has_line(text, "# recorded: 12 stacks"));
    CHECK(has_line(text, "# pid: 1234 (launched)"));
    CHECK(has_line(text, "# command: \"python3 -c 'import x; x.run()'? 10\""));
    CHECK(has_line(text, "# thread: 5 (pid 1234) \"MainThread\" 11 samples, 2 failed "
                         "(torn 1, cycle 0, corrupt 0, read 1)"));
    CHECK(has_line(text, "# thread: 6 (pid 1234) \"say \"hi\" 3\" 1 samples, 1 failed "
                         "(torn 0, cycle 1, corrupt 0, read 0)"));
    CHECK(strstr(text, "# thread: 7") == NULL);
    CHECK(strstr(text, "# thread: 5") < strstr(text, "# thread: 6")); /* by thread id */
    CHECK(strstr(text, "# command") < strstr(text, "# thread: 5")); /* after the fixed keys */
    CHECK(has_line(text, "P1234;T5 MainThread;f (f.py:3) 9"));
    CHECK(has_line(text, "P1234;T5 MainThread;[unreadable] 2")); /* bare, like [truncated] */
    CHECK(has_line(text, "P1234;T6 say \"hi\" 3;[unreadable] 1"));
    free(text);

    struct export_meta m2 = meta;
    m2.command = NULL;
    m2.python_version = NULL;
    m2.mode = 0;
    m2.interval_ns = 1500;
    text = write_to_string(t, &m2, &len);
    CHECK(has_line(text, "# python: unknown"));
    CHECK(has_line(text, "# mode: wall"));
    CHECK(has_line(text, "# interval: 1500ns"));
    CHECK(has_line(text, "# pid: 1234 (attached)"));
    CHECK(strstr(text, "# command") == NULL);
    free(text);

    /* Without metadata: bare stacks starting at the thread frame. */
    text = write_to_string(t, NULL, &len);
    CHECK(strcmp(text, "T5 MainThread;[unreadable] 2\nT5 MainThread;f (f.py:3) 9\n"
                       "T6 say \"hi\" 3;[unreadable] 1\n") == 0);
    free(text);
    table_free(t);
}

/* Same profile, other ids and insertion order: byte-identical output. */
static void test_deterministic(void)
{
    enum { NSTACKS = 300 };
    static struct stack st[NSTACKS];
    size_t n = make_stacks(st, NSTACKS);
    struct table *a = build(st, n, 0), *b = build(st, n, 1);
    size_t la, lb, la2;
    char *ta = write_to_string(a, &meta, &la);
    char *tb = write_to_string(b, &meta, &lb);
    char *ta2 = write_to_string(a, &meta, &la2);
    CHECK(la == lb && memcmp(ta, tb, la) == 0);
    CHECK(la == la2 && memcmp(ta, ta2, la) == 0);
    free(ta);
    free(tb);
    free(ta2);
    table_free(a);
    table_free(b);
}

static void test_empty_and_errors(void)
{
    struct table *t = table_new();
    size_t len;
    char *text = write_to_string(t, NULL, &len);
    CHECK(len == 0);
    free(text);
    text = write_to_string(t, &meta, &len);
    CHECK(has_line(text, "# recorded: 0 stacks"));
    CHECK(has_line(text, "# failed: 0 stacks (torn 0, cycle 0, corrupt 0, read 0)"));
    CHECK(strstr(text, "# thread:") == NULL);
    CHECK(strstr(text, "\nP") == NULL);
    free(text);

    uint32_t th = table_thread(t, 5, NULL);
    uint32_t f = table_intern_func(t, "f", "f.py");
    for (int32_t line = 0; line < 2000; line++)
        CHECK(table_add_stack(t, th, &(struct frame_key){ f, line }, 1, 1) == 0);
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        CHECK(collapsed_write(full, t, &meta) == ERR_IO);
        fclose(full);
    }
    table_free(t);
}

int main(void)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8"))
        setlocale(LC_CTYPE, "en_US.UTF-8");
    make_long_name();
    /* speedscope's importer: /^(.*) (\d+)$/; flamegraph.pl's:
     * /^(.*)\s+?(\d+(?:\.\d*)?)$/ */
    if (regcomp(&speedscope_re, "^(.*) ([0-9]+)$", REG_EXTENDED) != 0 ||
        regcomp(&flamegraph_re, "^(.*)[[:space:]]+([0-9]+(\\.[0-9]*)?)$", REG_EXTENDED) != 0)
        return 1;
    test_roundtrip();
    test_metadata();
    test_thread_pids();
    test_deterministic();
    test_empty_and_errors();
    regfree(&speedscope_re);
    regfree(&flamegraph_re);
    printf("test_collapsed: %d checks, %d failed\n", check_count, check_failed);
    return check_failed ? 1 : 0;
}
