/* SPDX-License-Identifier: MIT */
/* The key table: one entry per binding ({keys, label, help, action}) that
 * drives both the dispatch and the help screen and footer. Actions change
 * the view settings only and return reaction flags; the loop carries the
 * reactions out and draws. Also the line editor of the filter. */
#ifndef PROFTUI_UI_KEYS_H
#define PROFTUI_UI_KEYS_H

#include <stddef.h>

#include "ui_view.h"

#define UI_KEY_CODES 8
#define UI_KEY_CTRL(c) ((c) & 0x1f)
#define UI_KEY_ESC 27

/* What the loop must do after a key. */
enum ui_react {
    UI_REACT_NONE = 0,
    UI_REACT_MOVE = 1 << 0,      /* carry out view->move (selection or help scroll) */
    UI_REACT_REMODEL = 1 << 1,   /* sort, filter or threshold changed: re-apply the model */
    UI_REACT_RESNAP = 1 << 2,    /* thread or level changed: take a new snapshot now */
    UI_REACT_REDRAW = 1 << 3,    /* redraw everything */
    UI_REACT_RESET = 1 << 4,     /* zero the profile */
    UI_REACT_TIMER = 1 << 5,     /* pause or refresh interval changed */
    UI_REACT_QUIT = 1 << 6,
    UI_REACT_THREAD = 1 << 7,    /* carry out view->thread_step */
};

struct ui_key {
    int codes[UI_KEY_CODES];     /* curses key codes; unused slots are 0 */
    const char *label;           /* the keys as the help shows them (UTF-8) */
    const char *plain;           /* the same in ASCII, for non-UTF-8 terminals */
    const char *help;            /* what the keys do, one line */
    const char *fkey;            /* the keys in the footer (UTF-8), or NULL when not there */
    const char *fplain;          /* the same in ASCII */
    const char *hint;            /* the footer's word for it */
    unsigned (*action)(struct ui_view *v, int code);
};

/* How many bindings there are. */
size_t ui_keys_count(void);

/* Binding i in help order (footer hints follow the same order), or NULL. */
const struct ui_key *ui_keys_get(size_t i);

/* The binding of a key code, or NULL. */
const struct ui_key *ui_keys_find(int code);

/* Handle one key: the filter line editor while v->editing, the help
 * screen's rules while v->help (moves scroll it, q quits, any other key
 * closes it), else the binding's action. Returns enum ui_react flags. */
unsigned ui_keys_handle(struct ui_view *v, int code);

#endif
