/* SPDX-License-Identifier: MIT */
/* The help screen, generated from the key table and the column table. */
#include "ui_help.h"

#include <stdio.h>
#include <string.h>

#include "ui_grid.h"
#include "ui_keys.h"
#include "ui_paint.h"
#include "ui_view.h"

#define KEY_COL 18       /* where descriptions start */
#define INDENT 2

/* The explanations after the tables (ASCII, wrapped to the width). */
static const char *const notes[] = {
    "Own: samples in which the function itself was running (the innermost Python frame).",
    "Total: samples in which it was anywhere on the stack, counted once per sample even when it "
    "recurses. Total >= own; the difference is time spent in what it called.",
    "Times: samples x (elapsed / sampling rounds). Each sample stands for one round of the sampler, "
    "so a thread's times add up to its wall-clock time (its CPU time with --cpu).",
    "Shares (%): of the samples of the view: all threads together, or the one thread shown.",
    "Function level: LOCATION is the line of the function with most of its samples. "
    "Line level (L): one row per line that was executing.",
    "Threshold: rows whose %TOTAL is under it are hidden; the header says how many.",
    "Pause freezes the numbers on screen while sampling goes on; resuming shows the current state. "
    "Changing thread or level while paused takes one new snapshot.",
};

/* A virtual cursor over the help's lines: only those in the window are drawn. */
struct pen {
    WINDOW *w;           /* NULL: count only */
    const struct ui_scene *sc;
    int top, height, width;
    int line;            /* next virtual line */
};

static int visible(const struct pen *p)
{
    return p->w && p->line >= p->top && p->line < p->top + p->height;
}

static void put(struct pen *p, int x, const char *s, enum ui_elem el, enum ui_trunc mode)
{
    if (visible(p))
        ui_paint_text(p->w, p->line - p->top, x, s, p->width - x, 0, mode, ui_theme_attr(p->sc->theme, el),
                      p->sc->theme);
}

/* Word-wrap s from column x to the width; one virtual line per piece. */
static void wrap(struct pen *p, int x, const char *s, enum ui_elem el)
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

static void keys_section(struct pen *p)
{
    const struct ui_theme *t = p->sc->theme;
    put(p, 0, "Keys", UI_EL_TITLE, UI_TRUNC_END);
    p->line++;
    for (size_t i = 0; i < ui_keys_count(); i++) {
        const struct ui_key *k = ui_keys_get(i);
        put(p, INDENT, t->utf8 ? k->label : k->plain, UI_EL_KEY, UI_TRUNC_END);
        wrap(p, KEY_COL, k->help, UI_EL_NORMAL);
    }
    put(p, INDENT, "/ then type", UI_EL_KEY, UI_TRUNC_END);
    wrap(p, KEY_COL, "Backspace deletes, Ctrl-U empties, Enter keeps the filter, Esc clears it; "
                     "arrows keep moving the selection", UI_EL_NORMAL);
}

static void columns_section(struct pen *p)
{
    char num[32];
    p->line++;
    put(p, 0, "Columns (the keys 1 to 8 sort by them)", UI_EL_TITLE, UI_TRUNC_END);
    p->line++;
    for (int c = 0; c < UI_COL_COUNT; c++) {
        snprintf(num, sizeof num, "%d %s", c + 1, ui_grid_column_title((enum ui_col)c));
        put(p, INDENT, num, UI_EL_KEY, UI_TRUNC_END);
        wrap(p, KEY_COL, ui_grid_column_help((enum ui_col)c), UI_EL_NORMAL);
    }
    p->line++;
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        wrap(p, INDENT, notes[i], UI_EL_NORMAL);
}

static int render(WINDOW *w, const struct ui_scene *sc, int top, int height, int width)
{
    struct pen p = {.w = w, .sc = sc, .top = top, .height = height, .width = width};
    char title[128];
    snprintf(title, sizeof title, "proftui %s help%s%s scroll%sany other key closes",
             sc->theme->utf8 ? "—" : "-", sc->theme->sep, sc->theme->utf8 ? "↑↓" : "Up/Down", sc->theme->sep);
    put(&p, 0, title, UI_EL_TITLE, UI_TRUNC_END);
    p.line += 2;
    keys_section(&p);
    columns_section(&p);
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
    return render(w, sc, sc->view->help_top, height, width);
}
