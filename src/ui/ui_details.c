/* SPDX-License-Identifier: MIT */
/* The selected row's details under the table. */
#include "ui_details.h"

#include <stdio.h>

#include "ui_fmt.h"
#include "ui_model.h"
#include "ui_paint.h"
#include "ui_view.h"

#define TEXT_MAX 4200

static void numbers(char *buf, size_t cap, const struct ui_row *r, const struct ui_scene *sc)
{
    char ot[16], op[16], tt[16], tp[16];
    uint64_t whole = sc->model->samples;
    snprintf(buf, cap, "own %s %s%stotal %s %s",
             ui_fmt_duration(ot, sizeof ot, r->own * sc->sample_ns), ui_fmt_pct(op, sizeof op, r->own, whole),
             sc->theme->sep,
             ui_fmt_duration(tt, sizeof tt, r->total * sc->sample_ns), ui_fmt_pct(tp, sizeof tp, r->total, whole));
}

static void where(char *buf, size_t cap, const struct ui_row *r, const struct ui_scene *sc)
{
    if (r->hot_line < 0)
        snprintf(buf, cap, "%s", r->file);
    else if (sc->view->by_line)
        snprintf(buf, cap, "%s:%d", r->file, (int)r->hot_line);
    else
        snprintf(buf, cap, "%s:%d (its busiest line)", r->file, (int)r->hot_line);
}

void ui_details_draw(WINDOW *w, const struct ui_scene *sc)
{
    const struct ui_theme *t = sc->theme;
    const struct ui_row *r = ui_model_selected(sc->model);
    int width = getmaxx(w);
    werase(w);
    if (!r)
        return;
    char text[TEXT_MAX];
    numbers(text, sizeof text, r, sc);
    /* The name comes first: the numbers are also in the table, so they
     * give way when both do not fit. */
    int nw = ui_text_width(text);
    int x = ui_paint_text(w, 0, 0, t->pointer, width, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_TITLE), t) + 1;
    int both = x + ui_text_width(r->name) + 2 + nw <= width;
    ui_paint_text(w, 0, x, r->name, width - x, 0, UI_TRUNC_MIDDLE, ui_theme_attr(t, UI_EL_VALUE), t);
    if (both)
        ui_paint_right(w, 0, width - nw, text, nw, ui_theme_attr(t, UI_EL_LABEL), t);
    where(text, sizeof text, r, sc);
    ui_paint_text(w, 1, 2, text, width - 2, 0, UI_TRUNC_LEFT, ui_theme_attr(t, UI_EL_LOC), t);
}
