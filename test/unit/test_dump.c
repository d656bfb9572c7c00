/* SPDX-License-Identifier: MIT */
/* Unit tests of --dump's string encoders (dump.h): hostile names from a
 * target written as JSON strings and as terminal text, case by case, and
 * every byte string of up to three bytes from an alphabet of troublesome
 * bytes checked for JSON validity (escapes, UTF-8) and for no control
 * character reaching the terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dump.h"

static char *encode(const char *s, int json, int quoted)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    if (json)
        dump_json_string(f, s);
    else
        dump_text_string(f, s, quoted);
    fclose(f);
    return buf;
}

static void expect(const char *s, int json, int quoted, const char *want)
{
    char *got = encode(s, json, quoted);
    check(got && strcmp(got, want) == 0, "%s of %s: got [%s], want [%s]", json ? "json" : "text",
          s, got ? got : "(null)", want);
    free(got);
}

static void cases(void)
{
    expect("plain", 1, 0, "\"plain\"");
    expect("a\"b\\c", 1, 0, "\"a\\\"b\\\\c\"");
    expect("nl\ntab\tesc\x1b" "del\x7f", 1, 0, "\"nl\\u000atab\\u0009esc\\u001bdel\\u007f\"");
    expect("bad\xff\xc0\xaf", 1, 0, "\"bad\\ufffd\\ufffd\\ufffd\"");
    expect("surr\xed\xa0\x80", 1, 0, "\"surr\\ufffd\\ufffd\\ufffd\"");
    expect("cut\xe4\xb8", 1, 0, "\"cut\\ufffd\\ufffd\"");
    expect("big\xf4\x90\x80\x80", 1, 0, "\"big\\ufffd\\ufffd\\ufffd\\ufffd\"");
    expect("ok é 漢 🔥", 1, 0, "\"ok é 漢 🔥\"");
    expect("", 1, 0, "\"\"");
    expect("c1\xc2\x9b" "x\xe2\x80\xa8", 1, 0, "\"c1\\u009bx\\u2028\"");
    expect("a\"b\\c", 0, 1, "a\\\"b\\\\c");
    expect("a\"b\\c", 0, 0, "a\"b\\c");
    expect("nl\nesc\x1b[31m", 0, 0, "nl\\x0aesc\\x1b[31m");
    expect("bad\xff", 0, 0, "bad\\xff");
    expect("c1\xc2\x9b" "x", 0, 0, "c1\\u009bx");
    expect("ls\xe2\x80\xa8ps\xe2\x80\xa9", 0, 0, "ls\\u2028ps\\u2029");
    expect("rlo\xe2\x80\xae" "x", 0, 0, "rlo\\u202ex");
    expect("ok é 漢 🔥", 0, 1, "ok é 漢 🔥");
}

/* The next code point of valid UTF-8 at *s (advanced), or -1. Written
 * apart from dump.c's own check: shortest forms, no surrogates, <= 0x10ffff. */
static long next_cp(const unsigned char **s)
{
    const unsigned char *p = *s;
    int n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
          : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (!n)
        return -1;
    long cp = n == 1 ? p[0] : p[0] & (0x7f >> n);
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    static const long min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *s = p + n;
    return cp;
}

/* Valid UTF-8 without C0, DEL or C1 controls. */
static int clean_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        long cp = next_cp(&p);
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
            return 0;
    }
    return 1;
}

/* A JSON string as RFC 8259 has it, in valid UTF-8. */
static int valid_json(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return 0;
    for (size_t i = 1; i + 1 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"')
            return 0;
        if (c == '\\') {
            char e = s[++i];
            if (e == 'u') {
                for (int k = 1; k <= 4; k++)
                    if (!strchr("0123456789abcdef", s[i + k]) || !s[i + k])
                        return 0;
                i += 4;
            } else if (!strchr("\"\\/bfnrt", e) || !e) {
                return 0;
            }
        }
    }
    const unsigned char *p = (const unsigned char *)s;
    while (*p)                    /* valid UTF-8 (raw C1 characters are valid JSON) */
        if (next_cp(&p) < 0)
            return 0;
    return 1;
}

static void all_short_strings(void)
{
    static const unsigned char alphabet[] = {'a', '"', '\\', '\n', 0x1b, 0x7f, 0x80, 0x9b, 0xc2,
                                             0xe2, 0xed, 0xf4, 0xff};
    size_t na = sizeof alphabet;
    int bad_json = 0, bad_text = 0, total = 0;
    for (size_t a = 0; a < na; a++)
        for (size_t b = 0; b <= na; b++)
            for (size_t c = 0; c <= na; c++) {
                char s[4] = {(char)alphabet[a], b < na ? (char)alphabet[b] : 0,
                             b < na && c < na ? (char)alphabet[c] : 0, 0};
                char *j = encode(s, 1, 0), *t = encode(s, 0, 1);
                bad_json += !j || !valid_json(j);
                bad_text += !t || !clean_text(t);
                total++;
                free(j);
                free(t);
            }
    check(bad_json == 0, "%d of %d short strings gave invalid JSON", bad_json, total);
    check(bad_text == 0, "%d control or stray bytes reached the text of %d strings", bad_text, total);
}

int main(void)
{
    cases();
    all_short_strings();
    return check_report("dump");
}
