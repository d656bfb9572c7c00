/* SPDX-License-Identifier: MIT */
/* Windows, layout and the drawing pass of the live view. */
#include "ui_screen.h"

#include <stdio.h>

#include "error.h"
#include "ui_footer.h"
#include "ui_header.h"
#include "ui_help.h"
#include "ui_paint.h"
#include "ui_state.h"
#include "ui_view.h"

void ui_screen_init(struct ui_screen *s)
{
    *s = (struct ui_screen){.dirty = UI_DIRTY_LAYOUT};
}

void ui_screen_start(struct ui_screen *s)
{
    ui_theme_init(&s->theme);
}

static void delete_windows(struct ui_screen *s)
{
    WINDOW **all[] = {&s->header, &s->table, &s->details, &s->footer, &s->help};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (*all[i])
            delwin(*all[i]);
        *all[i] = NULL;
    }
}

void ui_screen_free(struct ui_screen *s)
{
    delete_windows(s);
}

static WINDOW *window(const struct ui_rect *r)
{
    return newwin(r->h, r->w, r->y, r->x);
}

static int make_windows(struct ui_screen *s)
{
    const struct ui_layout *l = &s->layout;
    struct ui_rect full = {0, 0, l->lines, l->cols};
    delete_windows(s);
    if (l->too_small)
        return 0;
    s->header = window(&l->header);
    s->table = window(&l->table);
    s->details = window(&l->details);
    s->footer = window(&l->footer);
    s->help = window(&full);
    if (!s->header || !s->table || !s->details || !s->footer || !s->help) {
        delete_windows(s);
        return ERR_NOMEM;
    }
    return 0;
}

int ui_screen_layout(struct ui_screen *s, const struct ui_scene *sc)
{
    int lines, cols;
    getmaxyx(stdscr, lines, cols);
    int hl = ui_header_lines(sc, cols);
    if (!(s->dirty & UI_DIRTY_LAYOUT) && lines == s->layout.lines && cols == s->layout.cols &&
        hl == s->layout_header)
        return 0;
    ui_layout_compute(&s->layout, lines, cols, hl);
    s->layout_header = hl;
    /* A blank stdscr under the windows, refreshed now so that the next
     * wgetch(stdscr) has nothing to repaint over them. */
    werase(stdscr);
    wnoutrefresh(stdscr);
    s->dirty = (s->dirty & ~(unsigned)UI_DIRTY_LAYOUT) | UI_DIRTY_ALL;
    int rc = make_windows(s);
    return rc < 0 ? rc : 1;
}

static void draw_too_small(const struct ui_screen *s)
{
    const struct ui_layout *l = &s->layout;
    const struct ui_theme *t = &s->theme;
    char msg[3][96];
    snprintf(msg[0], sizeof msg[0], "The terminal is too small for proftui.");
    snprintf(msg[1], sizeof msg[1], "It is %dx%d; the view needs at least %dx%d.", l->cols, l->lines,
             UI_MIN_COLS, l->min_lines);
    snprintf(msg[2], sizeof msg[2], "Enlarge it, or press q to quit.");
    werase(stdscr);
    int y0 = l->lines > 3 ? (l->lines - 3) / 2 : 0;
    for (int i = 0; i < 3 && y0 + i < l->lines; i++)
        ui_paint_text(stdscr, y0 + i, 0, msg[i], l->cols, 0, UI_TRUNC_END,
                      ui_theme_attr(t, i == 0 ? UI_EL_WARN : UI_EL_NORMAL), t);
    wnoutrefresh(stdscr);
}

static void draw_help(struct ui_screen *s, const struct ui_scene *sc)
{
    s->help_lines = ui_help_draw(s->help, sc);
    wnoutrefresh(s->help);
    s->help_shown = 1;
}

/* The active view draws its body and details; it knows what moved. */
static void draw_view(struct ui_screen *s, const struct ui_scene *sc, void *view)
{
    unsigned parts = (s->dirty & UI_DIRTY_TABLE ? UI_PART_BODY : 0) |
                     (s->dirty & UI_DIRTY_ROWS ? UI_PART_ROWS : 0) |
                     (s->dirty & UI_DIRTY_DETAILS ? UI_PART_DETAILS : 0);
    struct ui_view_windows w = {.body = s->table, .details = s->details, .parts = parts};
    if (!parts || !sc->ops)
        return;
    sc->ops->draw(view, &w, sc);
    if (parts & (UI_PART_BODY | UI_PART_ROWS))
        wnoutrefresh(s->table);
    if (parts & UI_PART_DETAILS)
        wnoutrefresh(s->details);
}

static void draw_parts(struct ui_screen *s, const struct ui_scene *sc, void *view)
{
    if (s->help_shown) {           /* coming back from the help: it covered everything */
        s->help_shown = 0;
        s->dirty |= UI_DIRTY_ALL;
    }
    if (s->dirty & UI_DIRTY_HEADER) {
        ui_header_draw(s->header, sc);
        wnoutrefresh(s->header);
    }
    draw_view(s, sc, view);
    if (s->dirty & UI_DIRTY_FOOTER) {
        ui_footer_draw(s->footer, sc);
        wnoutrefresh(s->footer);
    }
}

void ui_screen_draw(struct ui_screen *s, const struct ui_scene *sc, void *view)
{
    if (!s->dirty)
        return;
    if (s->layout.too_small)
        draw_too_small(s);
    else if (sc->state->help)
        draw_help(s, sc);
    else
        draw_parts(s, sc, view);
    doupdate();
    s->dirty = 0;
}

void ui_screen_scroll_help(struct ui_screen *s, struct ui_state *v, long delta)
{
    long max = (long)s->help_lines - s->layout.lines;
    long top = (long)v->help_top;
    if (delta < 0)
        top = delta < -top ? 0 : top + delta;
    else
        top = delta > max - top ? max : top + delta;
    v->help_top = (int)(top > 0 ? top : 0);
    s->dirty |= UI_DIRTY_ALL;
}
