/* SPDX-License-Identifier: MIT */
/* The footer line: key hints from the key tables, the filter prompt, or
 * the save prompt and its message. */
#include "ui_footer.h"

#include <stdio.h>

#include "ui_keys.h"
#include "ui_paint.h"
#include "ui_state.h"
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
    x += ui_paint_text(w, 0, x, sc->state->filter, room, 0, UI_TRUNC_LEFT, ui_theme_attr(t, UI_EL_FILTER), t);
    x += ui_paint_text(w, 0, x, t->utf8 ? "▏" : "_", 1, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_FILTER), t);
    if (tw < width / 2 && x + tw <= width)
        ui_paint_text(w, 0, x, tail, width - x, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_DIM), t);
}

/* Hints of one key table from column x; returns the next x, or -1 when
 * the line is full. */
static int hints(WINDOW *w, const struct ui_scene *sc, const struct ui_key *keys, size_t n, int x, int width)
{
    const struct ui_theme *t = sc->theme;
    for (size_t i = 0; i < n; i++) {
        const struct ui_key *k = &keys[i];
        if (!k->hint)
            continue;
        const char *key = t->utf8 ? k->fkey : k->fplain;
        int need = ui_text_width(key) + 1 + ui_text_width(k->hint);
        if (x + need > width)
            return -1;
        x += ui_paint_text(w, 0, x, key, width - x, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_KEY), t);
        x += 1 + ui_paint_text(w, 0, x + 1, k->hint, width - x - 1, 0, UI_TRUNC_END,
                               ui_theme_attr(t, UI_EL_HINT), t);
        x += 2;
    }
    return x;
}

/* The global keys, then the active view's. */
static void draw_hints(WINDOW *w, const struct ui_scene *sc, int width)
{
    int x = hints(w, sc, ui_keys_get(0), ui_keys_count(), 0, width);
    if (x >= 0 && sc->ops)
        hints(w, sc, sc->ops->keys, sc->ops->nkeys, x, width);
}

/* The save prompt, with the last error; or the message of the last action. */
static int draw_save(WINDOW *w, const struct ui_scene *sc, int width)
{
    const struct ui_state *st = sc->state;
    attr_t note = ui_theme_attr(sc->theme, st->status_error ? UI_EL_WARN : UI_EL_VALUE);
    if (st->prompt.active) {
        ui_prompt_draw(w, &st->prompt, width, st->status[0] ? st->status : "Enter saves  Esc cancels",
                       st->status[0] ? note : ui_theme_attr(sc->theme, UI_EL_DIM), sc->theme);
        return 1;
    }
    if (!st->status[0])
        return 0;
    ui_paint_text(w, 0, 0, st->status, width, 0, UI_TRUNC_LEFT, note, sc->theme);
    return 1;
}

void ui_footer_draw(WINDOW *w, const struct ui_scene *sc)
{
    int width = getmaxx(w);
    werase(w);
    if (draw_save(w, sc, width))
        return;
    if (sc->state->editing)
        draw_prompt(w, sc, width);
    else
        draw_hints(w, sc, width);
}
