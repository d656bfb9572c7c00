/* SPDX-License-Identifier: MIT */
/* Key tables: one entry per binding ({keys, label, help, action}) that
 * drives both the dispatch and the help screen and footer. The global
 * table is here; each view has its own (ui_view.h). A key is looked up in
 * the active view's table, then among the views' keys, then here. Actions
 * change settings only (the shared ones, or the view's) and return
 * reaction flags; the loop carries the reactions out and draws. Also the
 * line editor of the filter. */
#ifndef PROFTUI_UI_KEYS_H
#define PROFTUI_UI_KEYS_H

#include <stddef.h>

#include "ui_state.h"

struct ui_view_ops;

#define UI_KEY_CODES 8
#define UI_KEY_CTRL(c) ((c) & 0x1f)
#define UI_KEY_ESC 27

/* What the loop must do after a key. */
enum ui_react {
    UI_REACT_NONE = 0,
    UI_REACT_MOVE = 1 << 0,      /* carry out state->move (selection or help scroll) */
    UI_REACT_UPDATE = 1 << 1,    /* sort, filter or threshold changed: update the view */
    UI_REACT_RESNAP = 1 << 2,    /* level changed: sync now, the view's rows change */
    UI_REACT_REDRAW = 1 << 3,    /* redraw everything */
    UI_REACT_RESET = 1 << 4,     /* zero the profile */
    UI_REACT_TIMER = 1 << 5,     /* pause or refresh interval changed */
    UI_REACT_QUIT = 1 << 6,
    UI_REACT_THREAD = 1 << 7,    /* carry out state->thread_step */
    UI_REACT_VIEW = 1 << 8,      /* show the view state->view_next */
    UI_REACT_SAVE_ASK = 1 << 9,  /* open the save prompt (ui_save.h) */
    UI_REACT_SAVE = 1 << 10,     /* write the file the save prompt names */
};

struct ui_key {
    int codes[UI_KEY_CODES];     /* curses key codes; unused slots are 0 */
    const char *label;           /* the keys as the help shows them (UTF-8) */
    const char *plain;           /* the same in ASCII, for non-UTF-8 terminals */
    const char *help;            /* what the keys do, one line */
    const char *fkey;            /* the keys in the footer (UTF-8), or NULL when not there */
    const char *fplain;          /* the same in ASCII */
    const char *hint;            /* the footer's word for it */
    /* st: the shared settings; view: the active view's state (a view's
     * own actions use it, global ones ignore it). */
    unsigned (*action)(struct ui_state *st, void *view, int code);
};

/* How many global bindings there are. */
size_t ui_keys_count(void);

/* Global binding i in help order (footer hints follow the same order), or NULL. */
const struct ui_key *ui_keys_get(size_t i);

/* The binding of a key code in a table of n bindings, or NULL. */
const struct ui_key *ui_keys_find_in(const struct ui_key *keys, size_t n, int code);

/* Handle one key: the filter line editor while st->editing, the help
 * screen's rules while st->help (moves scroll it, q quits, any other key
 * closes it), else the binding's action, looked up in the active view's
 * table (ops, view), then the views' keys, then the global table.
 * While the save prompt is open every key goes to it (ui_prompt.h); a
 * message on the footer (st->status) is cleared by the next key.
 * Returns enum ui_react flags. */
unsigned ui_keys_handle(struct ui_state *st, const struct ui_view_ops *ops, void *view, int code);

#endif
