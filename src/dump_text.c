/* SPDX-License-Identifier: MIT */
/* Escaping text read from a target for the dump's terminal and JSON output. */
#include "dump.h"

/* Bytes of the valid UTF-8 sequence at s, or 0 when it is not one. */
static int utf8_len(const unsigned char *s)
{
    unsigned c = s[0], lo = 0x80, hi = 0xbf;
    int n;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

/* The code point of the valid n-byte sequence at s. */
static unsigned code_point(const unsigned char *s, int n)
{
    static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    unsigned cp = s[0] & lead_mask[n];
    for (int i = 1; i < n; i++)
        cp = cp << 6 | (s[i] & 0x3f);
    return cp;
}

void dump_json_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    fputc('"', out);
    while (*p) {
        int n = utf8_len(p);
        if (n == 0) {
            fputs("\\ufffd", out);
            n = 1;
        } else if (*p == '"' || *p == '\\') {
            fputc('\\', out);
            fputc(*p, out);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(out, "\\u%04x", *p);
        } else if (n == 2 && code_point(p, n) <= 0x9f) {
            fprintf(out, "\\u%04x", code_point(p, n));      /* C1, as the speedscope writer */
        } else if (n == 3 && (code_point(p, n) == 0x2028 || code_point(p, n) == 0x2029)) {
            fprintf(out, "\\u%04x", code_point(p, n));
        } else {
            fwrite(p, 1, (size_t)n, out);
        }
        p += n;
    }
    fputc('"', out);
}

/* Characters a terminal acts on or that reorder or break the line: C1
 * controls, the line and paragraph separators, bidirectional overrides
 * and isolates. */
static int invisible(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void dump_text_string(FILE *out, const char *s, int quoted)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        int n = utf8_len(p);
        if (n == 0 || *p < 0x20 || *p == 0x7f) {
            fprintf(out, "\\x%02x", *p);
            n = 1;
        } else if (n > 1 && invisible(code_point(p, n))) {
            fprintf(out, "\\u%04x", code_point(p, n));
        } else if (quoted && (*p == '"' || *p == '\\')) {
            fputc('\\', out);
            fputc(*p, out);
        } else {
            fwrite(p, 1, (size_t)n, out);
        }
        p += n;
    }
}

