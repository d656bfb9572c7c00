/* SPDX-License-Identifier: MIT */
/* Unit tests of the live view's text: number and duration formats at
 * their unit boundaries, short paths, and fitting untrusted text into
 * columns (sanitising, wide characters, the three truncation modes). */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ui_fmt.h"
#include "ui_text.h"

static void expect(const char *got, const char *want, const char *what)
{
    check(strcmp(got, want) == 0, "%s: got \"%s\", want \"%s\"", what, got, want);
}

#define MS 1000000ULL
#define S 1000000000ULL

static void test_durations(void)
{
    static const struct { unsigned long long ns; const char *want; } cases[] = {
        {0, "0"}, {999, "999ns"}, {1000, "1us"}, {999499, "999us"}, {999500, "1ms"},
        {850 * MS, "850ms"}, {999 * MS, "999ms"}, {999600000ULL, "1.0s"}, {12440 * MS, "12.4s"},
        {59940 * MS, "59.9s"}, {59960 * MS, "1'00\""}, {151 * S, "2'31\""}, {3599 * S, "59'59\""},
        {3599600 * MS, "1h00'"}, {3723 * S, "1h02'"}, {36000 * S + 59 * 60 * S, "10h59'"},
    };
    char buf[UI_FMT_CELL + 8];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ui_fmt_duration(buf, sizeof buf, cases[i].ns);
        expect(buf, cases[i].want, "duration");
        check(strlen(buf) <= 6, "duration \"%s\" wider than 6 columns", buf);
    }
    expect(ui_fmt_time(buf, sizeof buf, 850, MS), "850ms", "time");
    expect(ui_fmt_time(buf, sizeof buf, 0, MS), "0", "time");
    expect(ui_fmt_time(buf, sizeof buf, 15, 0), "-", "time, interval unknown");
    expect(ui_fmt_period(buf, sizeof buf, 1440000), "1.44ms", "period");
    expect(ui_fmt_period(buf, sizeof buf, 998000), "998us", "period");
    expect(ui_fmt_period(buf, sizeof buf, 12500000), "12.5ms", "period");
    expect(ui_fmt_period(buf, sizeof buf, 1200 * MS), "1.20s", "period");
    expect(ui_fmt_interval(buf, sizeof buf, MS), "1ms", "interval");
    expect(ui_fmt_interval(buf, sizeof buf, 100000), "100us", "interval");
    expect(ui_fmt_interval(buf, sizeof buf, 1500000), "1500us", "interval");
    expect(ui_fmt_interval(buf, sizeof buf, 2 * S), "2s", "interval");
    expect(ui_fmt_interval(buf, sizeof buf, 1234), "1234ns", "interval");
}

static void test_counts(void)
{
    char buf[32];
    expect(ui_fmt_count(buf, sizeof buf, 0), "0", "count");
    expect(ui_fmt_count(buf, sizeof buf, 99999), "99999", "count");
    expect(ui_fmt_count(buf, sizeof buf, 100000), "100.0k", "count");
    expect(ui_fmt_count(buf, sizeof buf, 999949), "999.9k", "count");
    expect(ui_fmt_count(buf, sizeof buf, 999950), "1.0M", "count");
    expect(ui_fmt_count(buf, sizeof buf, 999949999ULL), "999.9M", "count");
    expect(ui_fmt_count(buf, sizeof buf, 4500000000ULL), "4.5G", "count");
    expect(ui_fmt_count_full(buf, sizeof buf, 0), "0", "count_full");
    expect(ui_fmt_count_full(buf, sizeof buf, 999), "999", "count_full");
    expect(ui_fmt_count_full(buf, sizeof buf, 1000), "1,000", "count_full");
    expect(ui_fmt_count_full(buf, sizeof buf, 1234567), "1,234,567", "count_full");
    expect(ui_fmt_pct(buf, sizeof buf, 0, 0), "-", "pct");
    expect(ui_fmt_pct(buf, sizeof buf, 0, 10), "0.0%", "pct");
    expect(ui_fmt_pct(buf, sizeof buf, 1, 100000), "<0.1%", "pct");
    expect(ui_fmt_pct(buf, sizeof buf, 1, 2), "50.0%", "pct");
    expect(ui_fmt_pct(buf, sizeof buf, 7, 7), "100.0%", "pct");
    expect(ui_fmt_split(buf, sizeof buf, 0, 0), "-", "split");
    expect(ui_fmt_split(buf, sizeof buf, 0, 10), "0%", "split");
    expect(ui_fmt_split(buf, sizeof buf, 1, 1000), "<1%", "split");
    expect(ui_fmt_split(buf, sizeof buf, 1, 200), "<1%", "split");     /* 0.5 % rounds to 0 or 1 */
    expect(ui_fmt_split(buf, sizeof buf, 2, 3), "67%", "split");
    expect(ui_fmt_split(buf, sizeof buf, 9, 9), "100%", "split");
    expect(ui_fmt_threshold(buf, sizeof buf, 0), "0%", "threshold");
    expect(ui_fmt_threshold(buf, sizeof buf, 0.5), "0.5%", "threshold");
    expect(ui_fmt_threshold(buf, sizeof buf, 12.5), "12.5%", "threshold");
    expect(ui_fmt_bytes(buf, sizeof buf, 1023), "1023 B", "bytes");
    expect(ui_fmt_bytes(buf, sizeof buf, 1024), "1.00 KiB", "bytes");
    expect(ui_fmt_bytes(buf, sizeof buf, 47395635), "45.2 MiB", "bytes");
    expect(ui_fmt_bytes(buf, sizeof buf, 1300000000ULL), "1.21 GiB", "bytes");
    expect(ui_fmt_rate(buf, sizeof buf, 998.4), "998/s", "rate");
    expect(ui_fmt_rate(buf, sizeof buf, 0.5), "0.5/s", "rate");
    expect(ui_fmt_rate(buf, sizeof buf, 0), "0/s", "rate");
    expect(ui_fmt_exit(buf, sizeof buf, 0), "exit 0", "exit");
    expect(ui_fmt_exit(buf, sizeof buf, 3 << 8), "exit 3", "exit");
    expect(ui_fmt_exit(buf, sizeof buf, SIGTERM), "killed by SIGTERM", "exit");
    expect(ui_fmt_exit(buf, sizeof buf, 42), "killed by signal 42", "exit");
    expect(ui_fmt_exit(buf, sizeof buf, -1), "status unknown", "exit");
}

static void test_paths(void)
{
    char buf[256];
    struct ui_path_ctx ctx = {.cwd = "/home/u/proj/", .home = "/home/u"};
    expect(ui_fmt_path(buf, sizeof buf, "/usr/lib/python3.11/json/decoder.py", &ctx), "json/decoder.py", "stdlib");
    expect(ui_fmt_path(buf, sizeof buf, "/x/lib/python3.12/site-packages/np/core.py", &ctx), "np/core.py",
           "site-packages");
    expect(ui_fmt_path(buf, sizeof buf, "/usr/lib/python3/dist-packages/pyte/screens.py", &ctx),
           "pyte/screens.py", "dist-packages");
    expect(ui_fmt_path(buf, sizeof buf, "/home/u/proj/a/b.py", &ctx), "a/b.py", "under the cwd");
    expect(ui_fmt_path(buf, sizeof buf, "/home/u/projX/y.py", &ctx), "~/projX/y.py", "a sibling of the cwd");
    expect(ui_fmt_path(buf, sizeof buf, "/home/u/proj", &ctx), "~/proj", "the cwd itself");
    expect(ui_fmt_path(buf, sizeof buf, "<frozen abc>", &ctx), "<frozen abc>", "pseudo-file");
    expect(ui_fmt_path(buf, sizeof buf, "/opt/x.py", &ctx), "/opt/x.py", "elsewhere");
    expect(ui_fmt_path(buf, sizeof buf, "/opt/lib/pythonista/x.py", NULL), "/opt/lib/pythonista/x.py",
           "not a stdlib directory");
}

static void fit(const char *s, int width, int skip, enum ui_trunc mode, const char *want, int want_cols)
{
    char out[256];
    int cols = ui_text_fit(out, sizeof out, s, width, skip, mode, "…");
    expect(out, want, "fit");
    check(cols == want_cols, "fit \"%s\" in %d: %d columns, want %d", s, width, cols, want_cols);
}

static void test_text(void)
{
    fit("abcdef", 10, 0, UI_TRUNC_END, "abcdef", 6);
    fit("abcdef", 6, 0, UI_TRUNC_END, "abcdef", 6);
    fit("abcdef", 4, 0, UI_TRUNC_END, "abc…", 4);
    fit("abcdef", 4, 0, UI_TRUNC_LEFT, "…def", 4);
    fit("abcdefghij", 7, 0, UI_TRUNC_MIDDLE, "ab…ghij", 7);
    fit("abcdef", 10, 2, UI_TRUNC_MIDDLE, "…cdef", 5);
    fit("abcdef", 3, 2, UI_TRUNC_END, "…c…", 3);
    fit("abc", 0, 0, UI_TRUNC_END, "", 0);
    /* Control characters from the target never reach the terminal. */
    fit("a\x1b[31mb\x07", 20, 0, UI_TRUNC_END, "a?[31mb?", 8);
    fit("x\xff\xfey", 20, 0, UI_TRUNC_END, "x??y", 4);
    check(ui_text_width("a\tb") == 3, "a tab is one '?' column");
    /* Wide characters: two columns each, never split. */
    fit("日本語", 6, 0, UI_TRUNC_END, "日本語", 6);
    fit("日本語", 5, 0, UI_TRUNC_END, "日本…", 5);
    fit("日本語", 4, 0, UI_TRUNC_LEFT, "…語", 3);
    check(ui_text_width("日本語") == 6, "three wide characters: 6 columns");
    check(ui_text_prefix("日本語", 5) == 6, "a 5-column prefix holds two of them (6 bytes)");
    check(ui_text_prefix("abc", 2) == 2, "a 2-column prefix of abc");
    char tiny[4];
    ui_text_fit(tiny, sizeof tiny, "abcdefgh", 10, 0, UI_TRUNC_END, "…");
    expect(tiny, "abc", "a full output buffer stays terminated");
}

int main(void)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8")) {
        fprintf(stderr, "no C.UTF-8 locale\n");
        return 77;
    }
    test_durations();
    test_counts();
    test_paths();
    test_text();
    return check_report("ui_fmt");
}
