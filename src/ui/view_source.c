/* SPDX-License-Identifier: MIT */
/* The source view (key v, opened on the selected function): the
 * function's source file, read locally, each line with the function's own
 * and total samples on it and a bar; the hottest line selected; lines
 * outside the function dimmed. When the file cannot be shown, the lines
 * with samples alone, and why. The model is in ui_source.c. */
#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "table.h"
#include "ui.h"
#include "ui_data.h"
#include "ui_fmt.h"
#include "ui_header.h"
#include "ui_help.h"
#include "ui_keys.h"
#include "ui_paint.h"
#include "ui_source.h"
#include "ui_state.h"
#include "ui_views_list.h"

#define TEXT_MAX (UI_SOURCE_PATH_MAX + 1024)
#define CODE_MAX 16384        /* bytes of a line shown (tabs expanded) */
#define HSCROLL_STEP 8
#define HSCROLL_MAX 4096
#define BAR_COLS 8
#define PCT_COLS 6
#define SPLIT_COLS 4          /* "100%" */
#define HOT_PCT 20.0
#define WARM_PCT 5.0
#define COUNT_COST_SHARE 20          /* counting lines: at most 1/20 of the time */

struct source_view {
    uint32_t func;                 /* the function shown (TABLE_NONE: none yet) */
    struct ui_srcfile file;
    struct ui_line_stats ls;
    int32_t first, last;           /* the function's lines (1-based; 0 when unknown) */
    uint64_t max_total;            /* the bars' 100 % */
    int where;                     /* the lines have the split by where (table_keeps_where) */
    size_t nrows;                  /* file lines, or the sampled lines when there is no file */
    size_t sel, top;               /* selected row, first row in sight */
    int pinned;                    /* moved by hand: no longer on the hottest line */
    int hscroll;
    size_t height;                 /* body rows under the title */
    uint64_t count_at, count_cost; /* when the lines were counted, and how long that took */
};

/* Rows under the title that show lines (one less when a notice says
 * why there is no file). */
static size_t page(const struct source_view *sv)
{
    size_t h = sv->file.status == UI_SRC_OK ? sv->height : sv->height - 1;
    return h ? h : 1;
}

static int32_t row_line(const struct source_view *sv, size_t row)
{
    if (sv->file.status == UI_SRC_OK)
        return (int32_t)row + 1;
    return row < sv->ls.n ? sv->ls.items[row].line : -1;
}

static size_t line_row(const struct source_view *sv, int32_t line)
{
    if (sv->file.status == UI_SRC_OK)
        return line >= 1 && (size_t)line <= sv->nrows ? (size_t)line - 1 : 0;
    for (size_t i = 0; i < sv->ls.n; i++)
        if (sv->ls.items[i].line == line)
            return i;
    return 0;
}

/* Keep the selection in sight; 1 when the window moved. */
static int follow(struct source_view *sv, int centre)
{
    size_t h = page(sv), top = sv->top;
    if (sv->sel >= sv->nrows)
        sv->sel = sv->nrows ? sv->nrows - 1 : 0;
    if (centre)
        top = sv->sel > h / 2 ? sv->sel - h / 2 : 0;
    else if (sv->sel < top)
        top = sv->sel;
    else if (sv->sel >= top + h)
        top = sv->sel - h + 1;
    if (top + h > sv->nrows)
        top = sv->nrows > h ? sv->nrows - h : 0;
    int moved = top != sv->top;
    sv->top = top;
    return moved;
}

static unsigned act_back(struct ui_state *st, void *view, int code)
{
    return ui_state_back(st);
}

/* n / N: the next / previous line with samples. */
static unsigned act_next(struct ui_state *st, void *view, int code)
{
    struct source_view *sv = view;
    int dir = code == 'N' ? -1 : 1;
    for (size_t r = sv->sel; dir > 0 ? r + 1 < sv->nrows : r > 0;) {
        r = dir > 0 ? r + 1 : r - 1;
        const struct ui_line_stat *ls = ui_line_stats_find(&sv->ls, row_line(sv, r));
        if (ls && (ls->total || ls->own)) {
            sv->sel = r;
            sv->pinned = 1;
            follow(sv, 0);
            return UI_REACT_REDRAW;
        }
    }
    return UI_REACT_NONE;
}

static unsigned act_hscroll(struct ui_state *st, void *view, int code)
{
    struct source_view *sv = view;
    if (code == 'h' || code == KEY_SLEFT)
        sv->hscroll = sv->hscroll > HSCROLL_STEP ? sv->hscroll - HSCROLL_STEP : 0;
    else if (sv->hscroll + HSCROLL_STEP <= HSCROLL_MAX)
        sv->hscroll += HSCROLL_STEP;
    return UI_REACT_REDRAW;
}

static const struct ui_key source_keys[] = {
    {{UI_KEY_ESC, KEY_BACKSPACE, 127, UI_KEY_CTRL('h')}, "Esc Backspace", "Esc Backspace",
     "go back to the view the source was opened from", "Esc", "Esc", "Back", act_back},
    {{'n', 'N'}, "n N", "n N", "select the next / previous line with samples", "n", "n", "Next hot", act_next},
    {{'h', 'l', KEY_SLEFT, KEY_SRIGHT}, "h l  Shift-← →", "h l  Shift-Left Right",
     "scroll the code left / right", NULL, NULL, NULL, act_hscroll},
};

static void *source_create(void)
{
    struct source_view *sv = calloc(1, sizeof *sv);
    if (sv)
        sv->func = TABLE_NONE;
    return sv;
}

static void source_destroy(void *v)
{
    struct source_view *sv = v;
    if (sv) {
        ui_srcfile_free(&sv->file);
        ui_line_stats_free(&sv->ls);
    }
    free(sv);
}

/* The samples per line again, and what follows from them. */
static int recount(struct source_view *sv, const struct ui_scene *sc)
{
    const struct table *t = sc->data->table;
    int rc = ui_line_stats_count(&sv->ls, t, sc->state->thread, sv->func);
    sv->where = table_keeps_where(t);
    int32_t lo = 0, hi = 0;
    sv->max_total = 0;
    for (size_t i = 0; i < sv->ls.n; i++) {
        const struct ui_line_stat *l = &sv->ls.items[i];
        if (l->line >= 1 && (!lo || l->line < lo))
            lo = l->line;
        if (l->line > hi)
            hi = l->line;
        if (l->total > sv->max_total)
            sv->max_total = l->total;
    }
    ui_srcfile_extent(&sv->file, table_func_name(t, sv->func), table_func_first_line(t, sv->func), lo, hi,
                      &sv->first, &sv->last);
    sv->nrows = sv->file.status == UI_SRC_OK ? sv->file.nlines : sv->ls.n;
    return rc;
}

static int source_update(void *v, const struct ui_scene *sc, size_t height, unsigned why)
{
    struct source_view *sv = v;
    const struct ui_state *st = sc->state;
    int opened = st->focus != sv->func || (why & UI_WHY_SHOWN);
    sv->height = height ? height : 1;
    if (opened) {
        sv->func = st->focus;
        sv->pinned = 0;
        sv->hscroll = 0;
        if (sv->func == TABLE_NONE)
            ui_srcfile_free(&sv->file);
        else
            ui_srcfile_load(&sv->file, table_func_file(sc->data->table, sv->func), sc->opt->cwd,
                            UI_SOURCE_MAX_BYTES);
    }
    int rc = 0;
    /* Counting is a pass over every node: at most 1 / COUNT_COST_SHARE
     * of the time, but always for a new scope and for the final numbers. */
    uint64_t now = clock_now_ns();
    int due = (why & UI_WHY_DATA) && (now - sv->count_at >= sv->count_cost * COUNT_COST_SHARE ||
                                      !sc->data->stats.running);
    if (opened || due || (why & UI_WHY_SCOPE)) {
        rc = recount(sv, sc);
        sv->count_at = now;
        sv->count_cost = clock_now_ns() - now;
    }
    if (!sv->pinned) {
        int32_t hot = ui_line_stats_hottest(&sv->ls);
        sv->sel = hot >= 0 ? line_row(sv, hot) : (sv->first > 0 ? line_row(sv, sv->first) : 0);
    }
    follow(sv, !sv->pinned);
    return rc;
}

static int source_move(void *v, long delta)
{
    struct source_view *sv = v;
    if (delta < 0)
        sv->sel = delta == LONG_MIN || (size_t)-delta > sv->sel ? 0 : sv->sel - (size_t)-delta;
    else
        sv->sel = (size_t)delta >= sv->nrows - sv->sel ? (sv->nrows ? sv->nrows - 1 : 0) : sv->sel + (size_t)delta;
    sv->pinned = 1;
    follow(sv, 0);
    return 1;
}

static uint32_t source_selected_func(const void *v)
{
    return ((const struct source_view *)v)->func;
}

/* ---- drawing ---- */

/* Columns: line number, %own, %total, the split (%PY, %C, %SYS: when
 * kept), bar, code. */
struct cols {
    int num, own, total, split, bar, code;
};

static struct cols columns(const struct source_view *sv)
{
    int digits = 4;
    for (size_t n = sv->file.status == UI_SRC_OK ? sv->nrows : 9999; n >= 10000 && digits < 10; n /= 10)
        digits++;
    struct cols c = {.num = 0};
    c.own = digits + 1;
    c.total = c.own + PCT_COLS + 1;
    c.split = sv->where ? c.total + PCT_COLS + 1 : 0;
    c.bar = c.split ? c.split + 3 * (SPLIT_COLS + 1) : c.total + PCT_COLS + 1;
    c.code = c.bar + BAR_COLS + 1;
    return c;
}

static enum ui_elem share_elem(uint64_t part, uint64_t whole)
{
    double pct = whole ? 100.0 * (double)part / (double)whole : 0;
    return pct >= HOT_PCT ? UI_EL_HOT : pct >= WARM_PCT ? UI_EL_WARM : UI_EL_NORMAL;
}

static void bar_text(char *buf, size_t cap, uint64_t part, uint64_t whole, const struct ui_theme *t)
{
    static const char *const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    size_t len = 0;
    unsigned n = whole ? (unsigned)((double)part / (double)whole * BAR_COLS * 8 + 0.5) : 0;
    if (part && !n)
        n = 1;
    buf[0] = '\0';
    for (unsigned i = 0; i < n / 8 && len + 4 < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s", t->utf8 ? "█" : "#");
    if (t->utf8 && n % 8 && len + 4 < cap)
        snprintf(buf + len, cap - len, "%s", eighths[n % 8]);
}

static void draw_numbers(WINDOW *w, int y, const struct source_view *sv, const struct ui_line_stat *ls,
                         const struct cols *c, attr_t base, const struct ui_scene *sc)
{
    const struct ui_theme *t = sc->theme;
    char buf[64];
    uint64_t whole = sv->ls.samples;
    if (!ls || (!ls->own && !ls->total))
        return;
    int sel = base == ui_theme_attr(t, UI_EL_SELECTED);
    attr_t a = sel ? base : ui_theme_attr(t, ls->own ? share_elem(ls->own, whole) : UI_EL_DIM);
    ui_paint_right(w, y, c->own, ui_fmt_pct(buf, sizeof buf, ls->own, whole), PCT_COLS, a, t);
    a = sel ? base : ui_theme_attr(t, share_elem(ls->total, whole));
    ui_paint_right(w, y, c->total, ui_fmt_pct(buf, sizeof buf, ls->total, whole), PCT_COLS, a, t);
    bar_text(buf, sizeof buf, ls->total, sv->max_total, t);
    ui_paint_text(w, y, c->bar, buf, BAR_COLS, 0, UI_TRUNC_END, a, t);
    uint64_t on_cpu = ls->where[TABLE_W_PYTHON] + ls->where[TABLE_W_C] + ls->where[TABLE_W_SYSTEM];
    for (int k = 0; c->split && k < TABLE_WHERES; k++) {
        a = sel ? base : ui_theme_attr(t, on_cpu && ls->where[k] ? UI_EL_NORMAL : UI_EL_DIM);
        ui_paint_right(w, y, c->split + k * (SPLIT_COLS + 1), ui_fmt_split(buf, sizeof buf, ls->where[k], on_cpu),
                       SPLIT_COLS, a, t);
    }
}

static void draw_row(WINDOW *w, int y, const struct source_view *sv, size_t row, const struct cols *c,
                     const struct ui_scene *sc)
{
    const struct ui_theme *t = sc->theme;
    int width = getmaxx(w);
    int32_t line = row_line(sv, row);
    int inside = !sv->first || (line >= sv->first && line <= sv->last);
    attr_t base = ui_theme_attr(t, row == sv->sel ? UI_EL_SELECTED : inside ? UI_EL_NORMAL : UI_EL_DIM);
    char num[16], code[CODE_MAX];
    if (row == sv->sel)
        ui_paint_fill(w, y, 0, width, base);
    snprintf(num, sizeof num, line >= 0 ? "%d" : "?", (int)line);
    ui_paint_right(w, y, 0, num, c->own - 1, row == sv->sel ? base : ui_theme_attr(t, inside ? UI_EL_LOC : UI_EL_DIM),
                   t);
    draw_numbers(w, y, sv, ui_line_stats_find(&sv->ls, line), c, base, sc);
    size_t len;
    const char *text = ui_srcfile_line(&sv->file, row, &len);
    if (text) {
        ui_srcfile_expand(code, sizeof code, text, len);
        ui_paint_text(w, y, c->code, code, width - c->code, sv->hscroll, UI_TRUNC_END, base, t);
    }
}

static void draw_title(WINDOW *w, const struct source_view *sv, const struct cols *c, const struct ui_scene *sc)
{
    const struct ui_theme *t = sc->theme;
    int width = getmaxx(w);
    attr_t a = ui_theme_attr(t, UI_EL_COLHEAD);
    char text[TEXT_MAX];
    ui_paint_fill(w, 0, 0, width, a);
    ui_paint_right(w, 0, 0, "LINE", c->own - 1, a, t);
    ui_paint_right(w, 0, c->own, "%OWN", PCT_COLS, a, t);
    ui_paint_right(w, 0, c->total, "%TOTAL", PCT_COLS, a, t);
    static const char *const split[TABLE_WHERES] = {"%PY", "%C", "%SYS"};
    for (int k = 0; c->split && k < TABLE_WHERES; k++)
        ui_paint_right(w, 0, c->split + k * (SPLIT_COLS + 1), split[k], SPLIT_COLS, a, t);
    snprintf(text, sizeof text, "SOURCE of %s%s%s", table_func_name(sc->data->table, sv->func), t->sep,
             sv->file.path);
    ui_paint_text(w, 0, c->code, text, width - c->code, 0, UI_TRUNC_LEFT, a, t);
}

static void draw_body(WINDOW *w, struct source_view *sv, const struct ui_scene *sc)
{
    const struct ui_theme *t = sc->theme;
    struct cols c = columns(sv);
    int width = getmaxx(w), y = 1;
    char why[256], text[TEXT_MAX];
    werase(w);
    if (sv->func == TABLE_NONE) {
        ui_paint_text(w, 1, 1, "No function: select one in another view, then press v.", width - 1, 0,
                      UI_TRUNC_END, ui_theme_attr(t, UI_EL_DIM), t);
        return;
    }
    draw_title(w, sv, &c, sc);
    if (sv->file.status != UI_SRC_OK) {
        const char *path = sv->file.path;       /* "": a profile that names no file */
        snprintf(text, sizeof text, "Source not shown: %s%s%s. The lines with samples:", path,
                 path[0] ? ": " : "", ui_srcfile_why(&sv->file, why, sizeof why));
        ui_paint_text(w, y++, 1, text, width - 1, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_WARN), t);
    }
    for (size_t r = sv->top; r < sv->nrows && y <= (int)sv->height; r++)
        draw_row(w, y++, sv, r, &c, sc);
}

static void draw_details(WINDOW *w, const struct source_view *sv, const struct ui_scene *sc)
{
    const struct ui_theme *t = sc->theme;
    int width = getmaxx(w);
    char text[TEXT_MAX], a[16], b[16], cbuf[16], d[16];
    werase(w);
    if (sv->func == TABLE_NONE || !sv->nrows)
        return;
    int32_t line = row_line(sv, sv->sel);
    const struct ui_line_stat *ls = ui_line_stats_find(&sv->ls, line);
    uint64_t own = ls ? ls->own : 0, total = ls ? ls->total : 0, whole = sv->ls.samples;
    int x = ui_paint_text(w, 0, 0, t->pointer, width, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_TITLE), t) + 1;
    snprintf(text, sizeof text, "line %d: own %s %s%stotal %s %s", (int)line,
             ui_fmt_pct(a, sizeof a, own, whole), ui_fmt_time(b, sizeof b, own, sc->sample_ns), t->sep,
             ui_fmt_pct(cbuf, sizeof cbuf, total, whole), ui_fmt_time(d, sizeof d, total, sc->sample_ns));
    ui_paint_text(w, 0, x, text, width - x, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_VALUE), t);
    snprintf(text, sizeof text, "%s: own %s%stotal %s%s%s:%d", table_func_name(sc->data->table, sv->func),
             ui_fmt_pct(a, sizeof a, sv->ls.own, whole), t->sep, ui_fmt_pct(b, sizeof b, sv->ls.total, whole),
             t->sep, table_func_file(sc->data->table, sv->func), (int)line);
    ui_paint_text(w, 1, 2, text, width - 2, 0, UI_TRUNC_LEFT, ui_theme_attr(t, UI_EL_LOC), t);
}

static void source_draw(void *v, const struct ui_view_windows *w, const struct ui_scene *sc)
{
    struct source_view *sv = v;
    int lines = getmaxy(w->body);
    size_t h = lines > 1 ? (size_t)lines - 1 : 1;
    if (h != sv->height) {
        sv->height = h;
        follow(sv, 0);
    }
    if (w->parts & (UI_PART_BODY | UI_PART_ROWS))
        draw_body(w->body, sv, sc);
    if (w->parts & UI_PART_DETAILS)
        draw_details(w->details, sv, sc);
}

/* ---- mouse, header, help ---- */

static unsigned source_click(void *v, struct ui_state *st, int y, int x, int twice)
{
    struct source_view *sv = v;
    int first = sv->file.status == UI_SRC_OK ? 1 : 2;       /* the title, and the notice */
    if (y < first || sv->func == TABLE_NONE || sv->top + (size_t)(y - first) >= sv->nrows)
        return UI_REACT_NONE;
    sv->sel = sv->top + (size_t)(y - first);
    sv->pinned = 1;
    return UI_REACT_REDRAW;
}

static void source_header(const void *v, const struct ui_scene *sc, struct ui_fields *fs)
{
    const struct source_view *sv = v;
    char why[256];
    if (sv->func == TABLE_NONE)
        return;
    snprintf(ui_fields_add(fs, "Function", UI_EL_VALUE, 0), UI_FIELD_VALUE_MAX, "%s",
             table_func_name(sc->data->table, sv->func));
    if (sv->first > 0)
        snprintf(ui_fields_add(fs, "Lines", UI_EL_VALUE, 0), UI_FIELD_VALUE_MAX, "%d-%d of %s",
                 (int)sv->first, (int)sv->last, ui_srcfile_why(&sv->file, why, sizeof why));
}

static const char *const notes[] = {
    "The file is read from this machine: the path the code object names, relative ones under the "
    "target's working directory. It may have changed since the target loaded it.",
    "%OWN: samples in which the line was running. %TOTAL: samples in which the line was on the stack "
    "(the time of the calls it makes included), once per sample. Shares of the samples of the view; "
    "the bar is the total, scaled to the busiest line.",
    "%PY, %C, %SYS (wall and cpu modes of a live run): of the line's own samples on a CPU, the share "
    "running Python bytecode, inside C code the line called, and in the kernel.",
    "Lines outside the function (from its def line to the last line indented under it) are dimmed. "
    "The hottest line is selected until you move. Without a file (<frozen ...>, <string>, a file "
    "that cannot be read) only the lines with samples are listed.",
};

static void source_help_page(struct ui_help *h)
{
    ui_help_section(h, "Reading the source view");
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        ui_help_note(h, notes[i]);
}

const struct ui_view_ops ui_view_source = {
    .name = "source",
    .title = "source",
    .key = 'v',
    .opens_on_selection = 1,
    .help = "source of the selected function, with the samples of each line",
    .keys = source_keys,
    .nkeys = sizeof source_keys / sizeof source_keys[0],
    .create = source_create,
    .destroy = source_destroy,
    .update = source_update,
    .move_by = source_move,
    .draw = source_draw,
    .selected_func = source_selected_func,
    .header = source_header,
    .help_page = source_help_page,
    .click = source_click,
};
