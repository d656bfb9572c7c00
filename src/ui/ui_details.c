/* SPDX-License-Identifier: MIT */
/* The selected row's details under the table. */
#include "ui_details.h"

#include <stdio.h>

#include "ui_fmt.h"
#include "ui_model.h"
#include "ui_paint.h"
#include "ui_state.h"

#define TEXT_MAX 4200
#define LOC_MIN_ROOM 12      /* less room than this: no path after a wrapped name */

static void numbers(char *buf, size_t cap, const struct ui_row *r, const struct ui_scene *sc,
                    const struct ui_top *top)
{
    char ot[16], op[16], tt[16], tp[16];
    uint64_t whole = top->model.samples;
    if (top->bytes) {
        ui_fmt_bytes(ot, sizeof ot, r->own);
        ui_fmt_bytes(tt, sizeof tt, r->total);
    } else {
        ui_fmt_time(ot, sizeof ot, r->own, sc->sample_ns);
        ui_fmt_time(tt, sizeof tt, r->total, sc->sample_ns);
    }
    snprintf(buf, cap, "own %s %s%stotal %s %s", ot, ui_fmt_pct(op, sizeof op, r->own, whole), sc->theme->sep,
             tt, ui_fmt_pct(tp, sizeof tp, r->total, whole));
}

static void where(char *buf, size_t cap, const struct ui_row *r, const struct ui_top *top)
{
    if (r->hot_line < 0)
        snprintf(buf, cap, "%s", r->file);
    else if (top->by_line)
        snprintf(buf, cap, "%s:%d", r->file, (int)r->hot_line);
    else
        snprintf(buf, cap, "%s:%d (its busiest line)", r->file, (int)r->hot_line);
}

/* A name longer than the first line continues on the second, before
 * the path; the path then gets what room is left (its end first). */
static void draw_wrapped(WINDOW *w, const struct ui_scene *sc, const struct ui_top *top, const struct ui_row *r,
                         int x, int width)
{
    const struct ui_theme *t = sc->theme;
    char where_text[TEXT_MAX], head[TEXT_MAX];
    size_t cut = ui_text_prefix(r->name, width - x);
    snprintf(head, sizeof head, "%.*s", (int)cut, r->name);
    ui_paint_text(w, 0, x, head, width - x, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_VALUE), t);
    int used = ui_paint_text(w, 1, 2, r->name + cut, width - 2, 0, UI_TRUNC_MIDDLE,
                             ui_theme_attr(t, UI_EL_VALUE), t);
    where(where_text, sizeof where_text, r, top);
    int room = width - 2 - used - 2;
    if (room >= LOC_MIN_ROOM)
        ui_paint_text(w, 1, 2 + used + 2, where_text, room, 0, UI_TRUNC_LEFT, ui_theme_attr(t, UI_EL_LOC), t);
}

void ui_details_draw(WINDOW *w, const struct ui_scene *sc, const struct ui_top *top)
{
    const struct ui_theme *t = sc->theme;
    const struct ui_row *r = ui_model_selected(&top->model);
    int width = getmaxx(w);
    werase(w);
    if (!r)
        return;
    int x = ui_paint_text(w, 0, 0, t->pointer, width, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_TITLE), t) + 1;
    if (x + ui_text_width(r->name) > width) {
        draw_wrapped(w, sc, top, r, x, width);
        return;
    }
    /* The name comes first: the numbers are also in the table, so they
     * give way when both do not fit. */
    char text[TEXT_MAX];
    numbers(text, sizeof text, r, sc, top);
    int nw = ui_text_width(text);
    ui_paint_text(w, 0, x, r->name, width - x, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_VALUE), t);
    if (x + ui_text_width(r->name) + 2 + nw <= width)
        ui_paint_right(w, 0, width - nw, text, nw, ui_theme_attr(t, UI_EL_LABEL), t);
    where(text, sizeof text, r, top);
    ui_paint_text(w, 1, 2, text, width - 2, 0, UI_TRUNC_LEFT, ui_theme_attr(t, UI_EL_LOC), t);
}
