/* SPDX-License-Identifier: MIT */
/* Sanitising and shortening untrusted text to a number of columns. */
#include "ui_text.h"

#include <limits.h>
#include <string.h>
#include <wchar.h>

/* One character of the input as it will be shown. */
struct unit {
    const char *bytes;   /* what to copy (bytes of s, or the replacement) */
    int len;             /* bytes to copy */
    int width;           /* columns */
};

/* Decode the next character of *s (NUL-terminated) into u; 0 at the end.
 * Names come from the target process: control characters (which could
 * move the cursor or change colours) and undecodable bytes become '?'. */
static int next_unit(const char **s, mbstate_t *st, struct unit *u)
{
    static const char repl[] = "?";
    const unsigned char *p = (const unsigned char *)*s;
    if (!*p)
        return 0;
    *u = (struct unit){.bytes = *s, .len = 1, .width = 1};
    if (*p < 0x80) {
        if (*p < 0x20 || *p == 0x7f)
            u->bytes = repl;
        *s += 1;
        return 1;
    }
    wchar_t wc;
    size_t avail = strnlen(*s, MB_LEN_MAX);
    size_t n = mbrtowc(&wc, *s, avail, st);
    if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
        memset(st, 0, sizeof *st);
        u->bytes = repl;
        *s += 1;
        return 1;
    }
    int w = wcwidth(wc);
    if (w < 0 || (wc >= 0x80 && wc < 0xa0)) {
        u->bytes = repl;
    } else {
        u->len = (int)n;
        u->width = w;    /* 0 for combining marks: they join the previous character */
    }
    *s += n;
    return 1;
}

int ui_text_width(const char *s)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    struct unit u;
    int w = 0;
    while (next_unit(&s, &st, &u))
        w += u.width;
    return w;
}

size_t ui_text_prefix(const char *s, int cols)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    const char *p = s, *end = s;
    struct unit u;
    int used = 0;
    while (next_unit(&p, &st, &u) && used + u.width <= cols) {
        used += u.width;
        end = p;
    }
    return (size_t)(end - s);
}

/* An output buffer that never overflows and stays NUL-terminated. */
struct out {
    char *p;
    size_t cap, len;
    int cols;
};

static void emit(struct out *o, const char *bytes, int len, int width)
{
    if (o->len + (size_t)len + 1 > o->cap)
        return;
    memcpy(o->p + o->len, bytes, (size_t)len);
    o->len += (size_t)len;
    o->p[o->len] = '\0';
    o->cols += width;
}

/* Copy characters of *s while they fit in `cols` columns; advances *s. */
static void emit_head(struct out *o, const char **s, int cols)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    const char *p = *s;
    struct unit u;
    int used = 0;
    while (next_unit(&p, &st, &u) && used + u.width <= cols) {
        emit(o, u.bytes, u.len, u.width);
        used += u.width;
        *s = p;
    }
}

/* Copy the shortest suffix of s that leaves at most `cols` columns. */
static void emit_tail(struct out *o, const char *s, int cols)
{
    int total = ui_text_width(s);
    mbstate_t st;
    memset(&st, 0, sizeof st);
    struct unit u;
    const char *p = s;
    while (total > cols && next_unit(&p, &st, &u))
        total -= u.width;
    emit_head(o, &p, cols);
}

/* Skip the first `skip` columns of *s; returns 1 when something was skipped. */
static int skip_cols(const char **s, int skip)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    struct unit u;
    const char *p = *s;
    int skipped = 0;
    while (skipped < skip && next_unit(&p, &st, &u)) {
        skipped += u.width;
        *s = p;
    }
    return skipped > 0;
}

int ui_text_fit(char *out, size_t cap, const char *s, int width, int skip,
                enum ui_trunc mode, const char *ellipsis)
{
    struct out o = {.p = out, .cap = cap};
    if (cap)
        out[0] = '\0';
    if (width <= 0 || cap == 0)
        return 0;
    int ell_len = (int)strlen(ellipsis);
    if (skip > 0 && skip_cols(&s, skip)) {
        emit(&o, ellipsis, ell_len, 1);
        width--;
        mode = UI_TRUNC_END;
    }
    if (ui_text_width(s) <= width) {
        emit_head(&o, &s, width);
        return o.cols;
    }
    switch (mode) {
    case UI_TRUNC_END:
        emit_head(&o, &s, width - 1);
        emit(&o, ellipsis, ell_len, 1);
        break;
    case UI_TRUNC_LEFT:
        emit(&o, ellipsis, ell_len, 1);
        emit_tail(&o, s, width - 1);
        break;
    case UI_TRUNC_MIDDLE: {
        int before = o.cols;
        emit_head(&o, &s, (width - 1) / 3);
        int head = o.cols - before;
        emit(&o, ellipsis, ell_len, 1);
        emit_tail(&o, s, width - 1 - head);
        break;
    }
    }
    return o.cols;
}
