/* SPDX-License-Identifier: MIT */
/* The screen of the live view: the layout, one curses window per part,
 * which parts need drawing, and drawing them in one update (wnoutrefresh
 * then doupdate: no flicker). A resize is handled here, in one place:
 * new layout, new windows, everything dirty. */
#ifndef PROFTUI_UI_SCREEN_H
#define PROFTUI_UI_SCREEN_H

#include <curses.h>
#include <stddef.h>

#include "ui_layout.h"
#include "ui_scene.h"
#include "ui_theme.h"

struct ui_state;

enum ui_dirty {
    UI_DIRTY_HEADER = 1 << 0,
    UI_DIRTY_TABLE = 1 << 1,     /* the view's whole body */
    UI_DIRTY_ROWS = 1 << 2,      /* only what the selection left and reached */
    UI_DIRTY_DETAILS = 1 << 3,
    UI_DIRTY_FOOTER = 1 << 4,
    UI_DIRTY_LAYOUT = 1 << 5,    /* the terminal was resized */
    UI_DIRTY_ALL = UI_DIRTY_HEADER | UI_DIRTY_TABLE | UI_DIRTY_DETAILS | UI_DIRTY_FOOTER,
};

struct ui_screen {
    struct ui_theme theme;
    struct ui_layout layout;
    int layout_header;           /* header lines the layout was made for */
    WINDOW *header, *table, *details, *footer, *help;   /* owned */
    unsigned dirty;              /* enum ui_dirty bits */
    int help_lines;              /* length of the help at the last draw */
    int help_shown;              /* the help covers the screen */
};

/* An empty screen (no windows yet). */
void ui_screen_init(struct ui_screen *s);

/* Choose the theme; call once the terminal is open. */
void ui_screen_start(struct ui_screen *s);

/* Delete the windows. */
void ui_screen_free(struct ui_screen *s);

/* Lay the screen out again when the terminal size or the header's height
 * changed (or a resize was flagged). Returns 1 when it did (the table's
 * height may differ: re-apply the model), 0 when not, ERR_NOMEM when the
 * windows could not be made. */
int ui_screen_layout(struct ui_screen *s, const struct ui_scene *sc);

/* Draw the dirty parts (the active view, sc->ops, draws its own with
 * `view`, its state) and update the terminal once. */
void ui_screen_draw(struct ui_screen *s, const struct ui_scene *sc, void *view);

/* Scroll the help by delta lines, within its length. */
void ui_screen_scroll_help(struct ui_screen *s, struct ui_state *v, long delta);

#endif
