/* SPDX-License-Identifier: MIT */
/* The colour scheme table and the glyph sets of the live view. */
#include "ui_theme.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>

/* One scheme entry: colours (-1 = the terminal's default, see
 * use_default_colors()) and attributes with colour, attributes without. */
struct scheme {
    short fg, bg;
    attr_t color_attr;
    attr_t mono_attr;
};

/* Only the 8 basic colours: they exist on every colour terminal. */
static const struct scheme scheme[UI_EL_COUNT] = {
    [UI_EL_NORMAL] = {-1, -1, A_NORMAL, A_NORMAL},
    [UI_EL_TITLE] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
    [UI_EL_LABEL] = {COLOR_CYAN, -1, A_NORMAL, A_DIM},
    [UI_EL_VALUE] = {-1, -1, A_BOLD, A_BOLD},
    [UI_EL_WARN] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_UNDERLINE},
    [UI_EL_COLHEAD] = {COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE},
    [UI_EL_COLSORT] = {COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD | A_UNDERLINE},
    [UI_EL_SELECTED] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
    [UI_EL_HOT] = {COLOR_RED, -1, A_BOLD, A_BOLD},
    [UI_EL_WARM] = {COLOR_YELLOW, -1, A_NORMAL, A_NORMAL},
    [UI_EL_DIM] = {-1, -1, A_DIM, A_DIM},
    [UI_EL_FUNC] = {-1, -1, A_NORMAL, A_NORMAL},
    [UI_EL_LOC] = {COLOR_BLUE, -1, A_BOLD, A_NORMAL},
    [UI_EL_KEY] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
    [UI_EL_HINT] = {-1, -1, A_NORMAL, A_NORMAL},
    [UI_EL_RUNNING] = {COLOR_GREEN, -1, A_BOLD, A_BOLD},
    [UI_EL_PAUSED] = {COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE | A_BOLD},
    [UI_EL_FINISHED] = {COLOR_BLACK, COLOR_GREEN, A_BOLD, A_REVERSE | A_BOLD},
    [UI_EL_FAILED] = {COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD},
    [UI_EL_FILTER] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_UNDERLINE},
    /* Flame graph boxes: a background per family; without colours all
     * are reversed and neighbours alternate bold (view_flame.c). */
    [UI_EL_FLAME_USER] = {COLOR_BLACK, COLOR_YELLOW, A_NORMAL, A_REVERSE},
    [UI_EL_FLAME_STDLIB] = {COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE},
    [UI_EL_FLAME_SITE] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
    [UI_EL_FLAME_BUILTIN] = {COLOR_BLACK, COLOR_MAGENTA, A_NORMAL, A_REVERSE | A_DIM},
    [UI_EL_FLAME_OTHER] = {COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_REVERSE},
    [UI_EL_FLAME_SEL] = {COLOR_WHITE, COLOR_BLUE, A_BOLD, A_BOLD | A_UNDERLINE},
    [UI_EL_FLAME_DIM] = {-1, -1, A_DIM | A_UNDERLINE, A_DIM | A_UNDERLINE},
    [UI_EL_DIFF_GROWN] = {COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD},
    [UI_EL_DIFF_SHRUNK] = {COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_REVERSE | A_DIM},
    [UI_EL_DIFF_SAME] = {COLOR_BLACK, COLOR_WHITE, A_DIM, A_REVERSE},
};

static int want_color(void)
{
    const char *no = getenv("NO_COLOR");     /* https://no-color.org: any non-empty value */
    return !(no && no[0]) && has_colors();
}

static void set_glyphs(struct ui_theme *t)
{
    const char *cs = nl_langinfo(CODESET);
    t->utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
    t->ellipsis = t->utf8 ? "…" : "~";
    t->sort_desc = t->utf8 ? "▼" : "v";
    t->sort_asc = t->utf8 ? "▲" : "^";
    t->sep = t->utf8 ? " · " : " | ";
    t->pointer = t->utf8 ? "▶" : ">";
}

void ui_theme_init(struct ui_theme *t)
{
    *t = (struct ui_theme){.color = 0};
    set_glyphs(t);
    t->color = want_color() && start_color() != ERR;
    /* Without default-colour support, -1 is no colour: use white on black. */
    int defaults = t->color && use_default_colors() != ERR;
    for (int e = 0; e < UI_EL_COUNT; e++) {
        const struct scheme *s = &scheme[e];
        if (!t->color) {
            t->attr[e] = s->mono_attr;
            continue;
        }
        short pair = (short)(e + 1);
        short fg = s->fg < 0 && !defaults ? COLOR_WHITE : s->fg;
        short bg = s->bg < 0 && !defaults ? COLOR_BLACK : s->bg;
        if (pair < COLOR_PAIRS && init_pair(pair, fg, bg) != ERR)
            t->attr[e] = s->color_attr | (attr_t)COLOR_PAIR(pair);
        else
            t->attr[e] = s->mono_attr;
    }
}

attr_t ui_theme_attr(const struct ui_theme *t, enum ui_elem e)
{
    return (unsigned)e < UI_EL_COUNT ? t->attr[e] : A_NORMAL;
}
