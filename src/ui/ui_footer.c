/* SPDX-License-Identifier: MIT */
/* The footer line: key hints from the key table, or the filter prompt. */
#include "ui_footer.h"

#include <stdio.h>

#include "ui_keys.h"
#include "ui_paint.h"
#include "ui_view.h"

static void draw_prompt(WINDOW *w, const struct ui_scene *sc, int width)
{
    const struct ui_theme *t = sc->theme;
    char tail[128];
    snprintf(tail, sizeof tail, "  Enter keeps%sEsc clears%s%s moves", t->sep, t->sep,
             t->utf8 ? "↑↓" : "Up/Down");
    int tw = ui_text_width(tail);
    int x = ui_paint_text(w, 0, 0, "Filter: ", width, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_LABEL), t);
    int room = width - x - 1 - (tw < width / 2 ? tw : 0);
    /* Keep the end of a long filter in sight: that is where one types. */
    x += ui_paint_text(w, 0, x, sc->view->filter, room, 0, UI_TRUNC_LEFT, ui_theme_attr(t, UI_EL_FILTER), t);
    x += ui_paint_text(w, 0, x, t->utf8 ? "▏" : "_", 1, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_FILTER), t);
    if (tw < width / 2 && x + tw <= width)
        ui_paint_text(w, 0, x, tail, width - x, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_DIM), t);
}

static void draw_hints(WINDOW *w, const struct ui_scene *sc, int width)
{
    const struct ui_theme *t = sc->theme;
    int x = 0;
    for (size_t i = 0; i < ui_keys_count(); i++) {
        const struct ui_key *k = ui_keys_get(i);
        if (!k->hint)
            continue;
        const char *key = t->utf8 ? k->fkey : k->fplain;
        int need = ui_text_width(key) + 1 + ui_text_width(k->hint);
        if (x + need > width)
            break;
        x += ui_paint_text(w, 0, x, key, width - x, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_KEY), t);
        x += 1 + ui_paint_text(w, 0, x + 1, k->hint, width - x - 1, 0, UI_TRUNC_END,
                               ui_theme_attr(t, UI_EL_HINT), t);
        x += 2;
    }
}

void ui_footer_draw(WINDOW *w, const struct ui_scene *sc)
{
    int width = getmaxx(w);
    werase(w);
    if (sc->view->editing)
        draw_prompt(w, sc, width);
    else
        draw_hints(w, sc, width);
}
