/* SPDX-License-Identifier: MIT */
/* Views as a set: each view (the top functions list first; the call
 * tree, flame graph, callers / callees and source views later) is one
 * file holding a const struct ui_view_ops, listed once in the registry
 * (src/ui/ui_views.c). A view keeps its own state and its own key table;
 * keys are looked up in the active view's table, then the views' switch
 * keys, then the global table (ui_keys.h), and the help and the footer
 * are generated from all of them. The loop hands a view the shared data
 * (ui_data.h: a replica of the profile, no lock needed) and the shared
 * settings (ui_state.h); a view derives what it shows in update() and
 * draws it in draw(). Models: htop's Panel, tmux's mode-tree. */
#ifndef PROFTUI_UI_VIEW_H
#define PROFTUI_UI_VIEW_H

#include <curses.h>
#include <stddef.h>
#include <stdint.h>

#include "ui_scene.h"

struct ui_key;
struct ui_help;
struct ui_fields;
struct ui_state;

/* Why update() is called (bits). */
enum ui_why {
    UI_WHY_DATA = 1 << 0,        /* the replica changed (a refresh) */
    UI_WHY_SCOPE = 1 << 1,       /* thread or level changed: rows are different things */
    UI_WHY_SETTINGS = 1 << 2,    /* filter, threshold or the view's own order changed */
    UI_WHY_SIZE = 1 << 3,        /* the view's height changed */
    UI_WHY_SHOWN = 1 << 4,       /* the view became the active one */
};

/* What draw() must repaint (bits). */
enum ui_part {
    UI_PART_BODY = 1 << 0,       /* the whole body */
    UI_PART_ROWS = 1 << 1,       /* only what the selection left and reached */
    UI_PART_DETAILS = 1 << 2,
};

/* The windows a view draws into: its body (the table's place, first line
 * for titles) and the two details lines under it. */
struct ui_view_windows {
    WINDOW *body, *details;
    unsigned parts;              /* enum ui_part bits */
};

struct ui_view_ops {
    const char *name;            /* "top": for the log and the benchmark */
    const char *title;           /* "top functions": in the help and the header */
    int key;                     /* the key that shows it ('t'; '\n' also answers Enter) */
    int opens_on_selection;      /* the key opens it on the active view's selected
                                  * function (state->focus), remembering the way back */
    const char *help;            /* one line for the help's list of views */
    const struct ui_key *keys;   /* its own bindings (see ui_keys.h) */
    size_t nkeys;
    /* A new instance (NULL on ENOMEM) and its release. */
    void *(*create)(void);
    void (*destroy)(void *v);
    /* Derive what the view shows from sc->data and sc->state, for a body
     * of `height` rows. 0 or a negative enum err. */
    int (*update)(void *v, const struct ui_scene *sc, size_t height, unsigned why);
    /* Move the selection by delta rows (LONG_MIN / LONG_MAX: to an edge).
     * Returns 1 when the body must be redrawn whole, 0 when only the rows
     * the selection left and reached. */
    int (*move_by)(void *v, long delta);
    /* Draw the dirty parts into w (never refresh). */
    void (*draw)(void *v, const struct ui_view_windows *w, const struct ui_scene *sc);
    /* The function the selection stands for, or TABLE_NONE (what a
     * callers or source view opens on). */
    uint32_t (*selected_func)(const void *v);
    /* Add the view's fields to the header (after the shared ones). */
    void (*header)(const void *v, const struct ui_scene *sc, struct ui_fields *fs);
    /* Add the view's sections to the help screen (after the keys). */
    void (*help_page)(struct ui_help *h);
    /* Optional (NULL: clicks are ignored): a mouse click at (y, x) of the
     * body window; twice for a double click. Selects what is under the
     * pointer; a double click opens it (callers / callees, zoom...).
     * Returns enum ui_react flags. */
    unsigned (*click)(void *v, struct ui_state *st, int y, int x, int twice);
};

/* The registry: the views in the order of their keys in the help. */
size_t ui_views_count(void);
const struct ui_view_ops *ui_views_get(size_t i);
/* The index of the view shown by key `code`, or -1. */
long ui_views_find_key(int code);

#endif
