/* SPDX-License-Identifier: MIT */
/* Fitting untrusted text into a number of terminal columns: multibyte
 * characters measured with wcwidth(), control characters and invalid
 * bytes replaced by '?', too-long text shortened with an ellipsis. Pure
 * functions (they depend only on the LC_CTYPE locale), no curses. */
#ifndef PROFTUI_UI_TEXT_H
#define PROFTUI_UI_TEXT_H

#include <stddef.h>

/* Where a text too wide for its cell loses characters. */
enum ui_trunc {
    UI_TRUNC_END,      /* "long_function_na…" */
    UI_TRUNC_LEFT,     /* "…/package/module.py:12" (keeps the end of paths) */
    UI_TRUNC_MIDDLE,   /* "pkg.Outer.…inner.helper" (keeps both ends, more of the end) */
};

/* Columns s takes on screen once sanitised. */
int ui_text_width(const char *s);

/* Bytes of the longest prefix of s that takes at most `cols` columns
 * (never splits a character). */
size_t ui_text_prefix(const char *s, int cols);

/* Write into out (cap bytes) the sanitised text of s, first skipping
 * `skip` columns (horizontal scroll; the text then starts with the
 * ellipsis), shortened with `ellipsis` (one column wide) as `mode` says
 * so that it takes at most `width` columns. Returns the columns used.
 * out is always NUL-terminated; cap should allow 4 bytes per column. */
int ui_text_fit(char *out, size_t cap, const char *s, int width, int skip,
                enum ui_trunc mode, const char *ellipsis);

#endif
