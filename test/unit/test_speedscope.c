/* SPDX-License-Identifier: MIT */
/* Unit tests of the speedscope exporter: JSON string escaping of hostile
 * names, one profile per thread with its name, frames per function (lines
 * folded into one sample), weights in nanoseconds or samples, output that
 * does not depend on the order stacks were recorded in, write errors.
 * (The integration tests read the files with speedscope's schema and page.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "speedscope.h"
#include "table.h"

static char *escaped(const char *s)
{
    char *buf = NULL;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    speedscope_put_string(f, s);
    fclose(f);
    return buf;
}

static void test_escaping(void)
{
    static const char *const cases[][2] = {
        {"plain", "\"plain\""},
        {"q\"b\\s/", "\"q\\\"b\\\\s/\""},
        {"nl\ncr\rtab\t\x01\x1f", "\"nl\\u000acr\\u000dtab\\u0009\\u0001\\u001f\""},
        {"del\x7f c1\xc2\x85 ls\xe2\x80\xa8 ps\xe2\x80\xa9", "\"del\\u007f c1\\u0085 ls\\u2028 ps\\u2029\""},
        {"bad\xff\xfe", "\"bad\\ufffd\\ufffd\""},
        {"over\xc0\xaf", "\"over\\ufffd\\ufffd\""},
        {"surr\xed\xa0\x80", "\"surr\\ufffd\\ufffd\\ufffd\""},
        {"trunc\xe4\xb8", "\"trunc\\ufffd\\ufffd\""},
        {"big\xf4\x90\x80\x80", "\"big\\ufffd\\ufffd\\ufffd\\ufffd\""},
        {"Привет 漢字 🔥", "\"Привет 漢字 🔥\""},
        {"", "\"\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = escaped(cases[i][0]);
        check(strcmp(got, cases[i][1]) == 0, "escape case %zu: got %s want %s", i, got, cases[i][1]);
        free(got);
    }
}

static char *write_to_buffer(const struct table *t, const struct export_meta *meta, int *rc)
{
    char *buf = NULL;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    *rc = speedscope_write(f, t, meta);
    fclose(f);
    return buf;
}

static size_t occurrences(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* Two threads (one unnamed), functions with lines that differ between
 * samples, a marker frame, a sample without frames; fed in either order. */
static struct table *build(int reverse)
{
    struct table *t = table_new();
    uint32_t a, b, f_main, f_work;
    if (reverse) {
        b = table_thread(t, 111, NULL);
        a = table_thread(t, 222, "Main\"Thread");
        f_work = table_intern_func(t, "work", "app.py");
        f_main = table_intern_func(t, "main", "app.py");
    } else {
        a = table_thread(t, 222, "Main\"Thread");
        b = table_thread(t, 111, NULL);
        f_main = table_intern_func(t, "main", "app.py");
        f_work = table_intern_func(t, "work", "app.py");
    }
    uint32_t f_trunc = table_intern_func(t, "[truncated]", "");
    struct frame_key s1[] = {{f_work, 10}, {f_main, 3}};
    struct frame_key s2[] = {{f_work, 11}, {f_main, 4}};   /* same functions, other lines */
    struct frame_key s3[] = {{f_main, 5}};
    struct frame_key s4[] = {{f_work, 1}, {f_trunc, -1}};
    for (int k = 0; k < 5; k++) {
        int i = reverse ? 4 - k : k;
        if (i == 0)
            CHECK(table_add_stack(t, a, s1, 2, 3) == 0);
        if (i == 1)
            CHECK(table_add_stack(t, a, s2, 2, 4) == 0);
        if (i == 2)
            CHECK(table_add_stack(t, a, s3, 1, 5) == 0);
        if (i == 3)
            CHECK(table_add_stack(t, b, s4, 2, 6) == 0);
        if (i == 4)
            CHECK(table_add_stack(t, b, NULL, 0, 2) == 0);
    }
    return t;
}

static void test_profiles(void)
{
    struct table *t = build(0), *r = build(1);
    struct export_meta meta = {.pid = 42, .version = "9.9", .interval_ns = 1000000,
                               .command = "python3 x\n.py", .taken = 20};
    int rc;
    char *out = write_to_buffer(t, &meta, &rc);
    CHECK(rc == 0);
    char *again = write_to_buffer(r, &meta, &rc);
    CHECK(rc == 0);
    check(strcmp(out, again) == 0, "the order of recording changes the file:\n%s\n---\n%s", out, again);
    CHECK(strstr(out, "\"$schema\":\"https://www.speedscope.app/file-format-schema.json\"") != NULL);
    CHECK(strstr(out, "\"exporter\":\"proftui 9.9\"") != NULL);
    CHECK(strstr(out, "\"name\":\"python3 x\\u000a.py\"") != NULL);
    CHECK(occurrences(out, "\"type\":\"sampled\"") == 2);
    /* by tid: 111 (unnamed) first; the busier 222 is the active profile */
    const char *p111 = strstr(out, "\"name\":\"tid 111\""), *p222 = strstr(out, "\"name\":\"Main\\\"Thread (tid 222)\"");
    CHECK(p111 && p222 && p111 < p222);
    CHECK(strstr(out, "\"activeProfileIndex\":1") != NULL);
    /* one frame per function: main, work, [truncated], [no Python frame] */
    CHECK(occurrences(out, "{\"name\":\"work\",\"file\":\"app.py\"}") == 1);
    CHECK(occurrences(out, "{\"name\":\"main\",\"file\":\"app.py\"}") == 1);
    CHECK(occurrences(out, "{\"name\":\"[truncated]\"}") == 1);
    CHECK(occurrences(out, "{\"name\":\"[no Python frame]\"}") == 1);
    /* thread 111 first: frames 0 [no Python frame], 1 [truncated], 2 work; then 3 main */
    CHECK(strstr(out, "\"samples\":[\n[0],\n[1,2]],\n\"weights\":[2000000,6000000],\"endValue\":8000000}") != NULL);
    /* thread 222: main (5), main;work (3 + 4 folded into one sample) */
    CHECK(strstr(out, "\"samples\":[\n[3],\n[3,2]],\n\"weights\":[5000000,7000000],\"endValue\":12000000}") != NULL);
    CHECK(strstr(out, "\"unit\":\"nanoseconds\"") != NULL);
    CHECK(strstr(out, "\"proftui\":{\"version\":\"9.9\"") != NULL);
    CHECK(strstr(out, "\"rounds\":{\"taken\":20,") != NULL);
    CHECK(strstr(out, "\"start\":null") != NULL);
    free(again);
    free(out);
    out = write_to_buffer(t, NULL, &rc);         /* no metadata: samples */
    CHECK(rc == 0);
    CHECK(strstr(out, "\"weights\":[5,7],\"endValue\":12}") != NULL);
    CHECK(strstr(out, "\"unit\":\"none\"") != NULL && !strstr(out, "\"proftui\""));
    free(out);
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        CHECK(speedscope_write(full, t, &meta) == ERR_IO);
        fclose(full);
    }
    table_free(t);
    table_free(r);
}

/* Every byte below 0x20 in the file is a newline between elements. */
static void test_no_raw_controls(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 5, "t\x01\n\xff");
    struct frame_key k = {table_intern_func(t, "f\r\x1b[31m\xc0", "a\tb.py"), 1};
    CHECK(table_add_stack(t, th, &k, 1, 1) == 0);
    struct export_meta meta = {.interval_ns = 1000, .warning = "w\x02", .only = "o\n"};
    int rc;
    char *out = write_to_buffer(t, &meta, &rc);
    CHECK(rc == 0);
    for (const char *p = out; *p; p++)
        check((unsigned char)*p >= 0x20 || *p == '\n', "raw control 0x%02x in the file",
              (unsigned char)*p);
    CHECK(strstr(out, "\"t\\u0001\\u000a\\ufffd (tid 5)\"") != NULL);
    CHECK(strstr(out, "\"f\\u000d\\u001b[31m\\ufffd\"") != NULL);
    free(out);
    table_free(t);
}

/* A frame carries its function's first line; two functions of one name
 * and file are two frames. */
static void test_first_lines(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 5, "main");
    struct frame_key a = {table_intern_func_at(t, "run", "c.py", 10), 12};
    struct frame_key b = {table_intern_func_at(t, "run", "c.py", 20), 22};
    CHECK(table_add_stack(t, th, &a, 1, 1) == 0 && table_add_stack(t, th, &b, 1, 1) == 0);
    int rc;
    char *out = write_to_buffer(t, NULL, &rc);
    CHECK(rc == 0);
    CHECK(strstr(out, "{\"name\":\"run\",\"file\":\"c.py\",\"line\":10}") != NULL);
    CHECK(strstr(out, "{\"name\":\"run\",\"file\":\"c.py\",\"line\":20}") != NULL);
    CHECK(strstr(out, "\"samples\":[\n[0],\n[1]]") != NULL);
    free(out);
    table_free(t);
}

int main(void)
{
    test_escaping();
    test_profiles();
    test_no_raw_controls();
    test_first_lines();
    return check_report("speedscope");
}
