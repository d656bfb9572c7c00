/* SPDX-License-Identifier: MIT */
/* The help screen, generated from the key tables and the views' pages. */
#include "ui_help.h"

#include <stdio.h>
#include <string.h>

#include "ui_keys.h"
#include "ui_paint.h"
#include "ui_state.h"
#include "ui_view.h"

#define KEY_COL 18       /* where descriptions start */
#define INDENT 2

/* A virtual cursor over the help's lines: only those in the window are drawn. */
struct ui_help {
    WINDOW *w;           /* NULL: count only */
    const struct ui_scene *sc;
    int top, height, width;
    int line;            /* next virtual line */
};

static int visible(const struct ui_help *p)
{
    return p->w && p->line >= p->top && p->line < p->top + p->height;
}

static void put(struct ui_help *p, int x, const char *s, enum ui_elem el, enum ui_trunc mode)
{
    if (visible(p))
        ui_paint_text(p->w, p->line - p->top, x, s, p->width - x, 0, mode, ui_theme_attr(p->sc->theme, el),
                      p->sc->theme);
}

/* Word-wrap s from column x to the width; one virtual line per piece. */
static void wrap(struct ui_help *p, int x, const char *s, enum ui_elem el)
{
    int room = p->width - x > 20 ? p->width - x : 20;
    char piece[512];
    while (*s) {
        int len = (int)strlen(s);
        int cut = len;
        if (len > room) {
            cut = room;
            while (cut > 0 && s[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = room;
        }
        snprintf(piece, sizeof piece, "%.*s", cut < (int)sizeof piece - 1 ? cut : (int)sizeof piece - 1, s);
        put(p, x, piece, el, UI_TRUNC_END);
        p->line++;
        s += cut;
        while (*s == ' ')
            s++;
    }
}

static void key_lines(struct ui_help *p, const struct ui_key *keys, size_t n)
{
    const struct ui_theme *t = p->sc->theme;
    for (size_t i = 0; i < n; i++) {
        put(p, INDENT, t->utf8 ? keys[i].label : keys[i].plain, UI_EL_KEY, UI_TRUNC_END);
        wrap(p, KEY_COL, keys[i].help, UI_EL_NORMAL);
    }
}

static void keys_section(struct ui_help *p)
{
    const struct ui_view_ops *ops = p->sc->ops;
    char title[128];
    if (ops && ops->nkeys) {
        snprintf(title, sizeof title, "Keys of the %s view", ops->title);
        put(p, 0, title, UI_EL_TITLE, UI_TRUNC_END);
        p->line++;
        key_lines(p, ops->keys, ops->nkeys);
        p->line++;
    }
    put(p, 0, "Keys everywhere", UI_EL_TITLE, UI_TRUNC_END);
    p->line++;
    key_lines(p, ui_keys_get(0), ui_keys_count());
    put(p, INDENT, "/ then type", UI_EL_KEY, UI_TRUNC_END);
    wrap(p, KEY_COL, "Backspace deletes, Ctrl-U empties, Enter keeps the filter, Esc clears it; "
                     "arrows keep moving the selection", UI_EL_NORMAL);
}

static void views_section(struct ui_help *p)
{
    char key[8];
    ui_help_section(p, "Views (each key shows one)");
    for (size_t i = 0; i < ui_views_count(); i++) {
        const struct ui_view_ops *v = ui_views_get(i);
        if (v->key == '\n')
            snprintf(key, sizeof key, "Enter");
        else
            snprintf(key, sizeof key, "%c", v->key);
        ui_help_item(p, key, v->help);
    }
}

void ui_help_section(struct ui_help *h, const char *title)
{
    h->line++;
    if (!title || !*title)
        return;
    put(h, 0, title, UI_EL_TITLE, UI_TRUNC_END);
    h->line++;
}

void ui_help_item(struct ui_help *h, const char *label, const char *text)
{
    put(h, INDENT, label, UI_EL_KEY, UI_TRUNC_END);
    wrap(h, KEY_COL, text, UI_EL_NORMAL);
}

void ui_help_note(struct ui_help *h, const char *text)
{
    wrap(h, INDENT, text, UI_EL_NORMAL);
}

static int render(WINDOW *w, const struct ui_scene *sc, int top, int height, int width)
{
    struct ui_help p = {.w = w, .sc = sc, .top = top, .height = height, .width = width};
    char title[128];
    snprintf(title, sizeof title, "proftui %s help%s%s scroll%sany other key closes",
             sc->theme->utf8 ? "—" : "-", sc->theme->sep, sc->theme->utf8 ? "↑↓" : "Up/Down", sc->theme->sep);
    put(&p, 0, title, UI_EL_TITLE, UI_TRUNC_END);
    p.line += 2;
    keys_section(&p);
    views_section(&p);
    if (sc->ops && sc->ops->help_page)
        sc->ops->help_page(&p);
    return p.line;
}

int ui_help_lines(const struct ui_scene *sc, int width)
{
    return render(NULL, sc, 0, 0, width);
}

int ui_help_draw(WINDOW *w, const struct ui_scene *sc)
{
    int height, width;
    getmaxyx(w, height, width);
    werase(w);
    return render(w, sc, sc->state->help_top, height, width);
}
