/* SPDX-License-Identifier: MIT */
/* Fitted text and filled spans in curses windows. */
#include "ui_paint.h"

#define CELL_BYTES 4096   /* a line of up to 1024 columns of 4-byte characters */

int ui_paint_text(WINDOW *w, int y, int x, const char *s, int width, int skip,
                  enum ui_trunc mode, attr_t attr, const struct ui_theme *t)
{
    char buf[CELL_BYTES];
    if (width <= 0)
        return 0;
    if (width > CELL_BYTES / 4)
        width = CELL_BYTES / 4;
    int cols = ui_text_fit(buf, sizeof buf, s, width, skip, mode, t->ellipsis);
    wattrset(w, (int)attr);
    mvwaddstr(w, y, x, buf);
    wattrset(w, A_NORMAL);
    return cols;
}

void ui_paint_right(WINDOW *w, int y, int x, const char *s, int width, attr_t attr,
                    const struct ui_theme *t)
{
    int len = ui_text_width(s);
    int pad = width > len ? width - len : 0;
    ui_paint_text(w, y, x + pad, s, width - pad, 0, UI_TRUNC_END, attr, t);
}

void ui_paint_fill(WINDOW *w, int y, int x, int width, attr_t attr)
{
    if (width <= 0)
        return;
    wattrset(w, (int)attr);
    mvwhline(w, y, x, ' ', width);
    wattrset(w, A_NORMAL);
}
