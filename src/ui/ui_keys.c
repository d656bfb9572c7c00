/* SPDX-License-Identifier: MIT */
/* The global key bindings, their actions, the chained lookup and the
 * filter line editor. */
#include "ui_keys.h"

#include <curses.h>
#include <string.h>

#include "table.h"
#include "ui_view.h"

static unsigned act_help(struct ui_state *v, void *view, int code)
{
    v->help = !v->help;
    v->help_top = 0;
    return UI_REACT_REDRAW;
}

static unsigned act_quit(struct ui_state *v, void *view, int code)
{
    return UI_REACT_QUIT;
}

static unsigned act_pause(struct ui_state *v, void *view, int code)
{
    v->paused = !v->paused;
    return UI_REACT_TIMER | UI_REACT_REDRAW;
}

static unsigned act_reset(struct ui_state *v, void *view, int code)
{
    return UI_REACT_RESET;
}

static unsigned act_save(struct ui_state *v, void *view, int code)
{
    return UI_REACT_SAVE_ASK | UI_REACT_REDRAW;
}

static unsigned act_refresh(struct ui_state *v, void *view, int code)
{
    v->refresh_s = ui_state_refresh_step(v->refresh_s, code == ']' ? 1 : -1);
    return UI_REACT_TIMER | UI_REACT_REDRAW;
}

static unsigned act_filter(struct ui_state *v, void *view, int code)
{
    v->editing = 1;
    return UI_REACT_REDRAW;
}

static unsigned act_escape(struct ui_state *v, void *view, int code)
{
    if (!v->filter[0])
        return UI_REACT_NONE;
    v->filter[0] = '\0';
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static unsigned act_thread(struct ui_state *v, void *view, int code)
{
    v->thread_step = code == KEY_LEFT ? -1 : 1;
    return UI_REACT_THREAD;
}

static unsigned act_level(struct ui_state *v, void *view, int code)
{
    v->by_line = !v->by_line;
    return UI_REACT_RESNAP | UI_REACT_REDRAW;
}

static unsigned act_lens(struct ui_state *v, void *view, int code)
{
    v->lens = !v->lens;
    return UI_REACT_RESNAP | UI_REACT_REDRAW;
}

static unsigned act_mode(struct ui_state *v, void *view, int code)
{
    v->mode = (v->mode + 1) % TABLE_MODES;
    return UI_REACT_RESNAP | UI_REACT_REDRAW;
}

static unsigned act_tasks(struct ui_state *v, void *view, int code)
{
    v->tasks = !v->tasks;
    v->thread = TABLE_NONE;     /* thread indices differ between the two */
    v->task = TABLE_NONE;
    return UI_REACT_RESNAP | UI_REACT_REDRAW;
}

static unsigned act_native(struct ui_state *v, void *view, int code)
{
    v->native = !v->native;
    v->native_key = 1;
    return UI_REACT_RESNAP | UI_REACT_REDRAW;
}

static unsigned act_paths(struct ui_state *v, void *view, int code)
{
    v->full_paths = !v->full_paths;
    return UI_REACT_REDRAW;
}

static unsigned act_threshold(struct ui_state *v, void *view, int code)
{
    v->threshold_pct = ui_state_threshold_step(v->threshold_pct, code == '-' || code == '_' ? -1 : 1);
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static unsigned act_move(struct ui_state *v, void *view, int code)
{
    switch (code) {
    case KEY_UP: case 'k':
        v->move = UI_MOVE_LINE, v->move_dir = -1;
        break;
    case KEY_DOWN: case 'j':
        v->move = UI_MOVE_LINE, v->move_dir = 1;
        break;
    case KEY_PPAGE: case UI_KEY_CTRL('b'):
        v->move = UI_MOVE_PAGE, v->move_dir = -1;
        break;
    case KEY_NPAGE: case UI_KEY_CTRL('f'):
        v->move = UI_MOVE_PAGE, v->move_dir = 1;
        break;
    case KEY_HOME: case 'g':
        v->move = UI_MOVE_EDGE, v->move_dir = -1;
        break;
    default:
        v->move = UI_MOVE_EDGE, v->move_dir = 1;
        break;
    }
    return UI_REACT_MOVE;
}

/* The global bindings in help order; footer hints appear in this order
 * too, after the active view's. */
static const struct ui_key keys[] = {
    {{'?', KEY_F(1)}, "? F1", "? F1", "show / close this help",
     "?", "?", "Help", act_help},
    {{'q', 'Q', UI_KEY_CTRL('c')}, "q Ctrl-C", "q Ctrl-C",
     "quit (a command proftui started is stopped; an attached process keeps running)",
     "q", "q", "Quit", act_quit},
    {{'p', ' '}, "p Space", "p Space", "pause / resume the display (sampling goes on)",
     "p", "p", "Pause", act_pause},
    {{'R'}, "R", "R", "reset: zero every count and the clock",
     "R", "R", "Reset", act_reset},
    {{'s'}, "s", "s", "save the profile to a file: edit the name (its ending chooses the format: "
     ".json speedscope, .txt collapsed ...), Enter writes, Esc cancels",
     "s", "s", "Save", act_save},
    {{'/'}, "/", "/", "filter rows by function or file name as you type (Enter keeps, Esc clears)",
     "/", "/", "Filter", act_filter},
    {{UI_KEY_ESC}, "Esc", "Esc", "clear the filter", NULL, NULL, NULL, act_escape},
    {{KEY_LEFT, KEY_RIGHT}, "← →", "Left Right",
     "previous / next thread view: all threads, then each thread by name",
     "←→", "Left/Right", "Thread", act_thread},
    {{'L'}, "L", "L", "aggregate by function / by line", "L", "L", "Lines", act_level},
    {{'u'}, "u", "u",
     "your code first: charge library and interpreter time to the innermost frame of your own code "
     "(the header says which files; --only sets them)", "u", "u", "Your code", act_lens},
    {{'m'}, "m", "m",
     "next mode: wall (all samples), cpu (on a CPU), gil (holding the GIL), idle (neither), "
     "memory / released (RSS grew / shrank)",
     "m", "m", "Mode", act_mode},
    {{'a'}, "a", "a",
     "thread stacks / asyncio task stacks (--async): [task NAME] under its thread and its awaiter",
     "a", "a", "Tasks", act_tasks},
    {{'X'}, "X", "X",
     "native (C) frames shown / hidden (--native): their location says [native]",
     "X", "X", "Native", act_native},
    {{'+', '=', '-', '_'}, "+ -", "+ -",
     "raise / lower the threshold: hide rows under 0, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50 % total",
     "+-", "+-", "Threshold", act_threshold},
    {{'F'}, "F", "F", "full / short file paths", "F", "F", "Paths", act_paths},
    {{'[', ']'}, "[ ]", "[ ]", "refresh more / less often (0.1 to 10 s)", NULL, NULL, NULL, act_refresh},
    {{KEY_UP, 'k'}, "↑ k", "Up k", "select the row above", NULL, NULL, NULL, act_move},
    {{KEY_DOWN, 'j'}, "↓ j", "Down j", "select the row below", NULL, NULL, NULL, act_move},
    {{KEY_PPAGE, UI_KEY_CTRL('b')}, "PgUp Ctrl-B", "PgUp Ctrl-B", "one page up", NULL, NULL, NULL, act_move},
    {{KEY_NPAGE, UI_KEY_CTRL('f')}, "PgDn Ctrl-F", "PgDn Ctrl-F", "one page down", NULL, NULL, NULL, act_move},
    {{KEY_HOME, 'g'}, "Home g", "Home g", "first row", NULL, NULL, NULL, act_move},
    {{KEY_END, 'G'}, "End G", "End G", "last row", NULL, NULL, NULL, act_move},
};

size_t ui_keys_count(void)
{
    return sizeof keys / sizeof keys[0];
}

const struct ui_key *ui_keys_get(size_t i)
{
    return i < ui_keys_count() ? &keys[i] : NULL;
}

const struct ui_key *ui_keys_find_in(const struct ui_key *table, size_t n, int code)
{
    if (code == 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < UI_KEY_CODES && table[i].codes[j]; j++)
            if (table[i].codes[j] == code)
                return &table[i];
    return NULL;
}

/* Drop the last UTF-8 character of s. */
static void drop_last_char(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && ((unsigned char)s[n - 1] & 0xc0) == 0x80)
        n--;
    if (n > 0)
        n--;
    s[n] = '\0';
}

/* The filter's line editor: 1 when code was an editing key (*react says
 * what to do), 0 when it goes on to the bindings (arrows, Ctrl-C...). */
static int edit_filter(struct ui_state *v, int code, unsigned *react)
{
    size_t len = strlen(v->filter);
    *react = UI_REACT_UPDATE | UI_REACT_REDRAW;
    if (code == '\n' || code == '\r' || code == KEY_ENTER) {
        v->editing = 0;
        *react = UI_REACT_REDRAW;
    } else if (code == UI_KEY_ESC) {
        v->editing = 0;
        v->filter[0] = '\0';
    } else if (code == KEY_BACKSPACE || code == 127 || code == UI_KEY_CTRL('h')) {
        drop_last_char(v->filter);
    } else if (code == UI_KEY_CTRL('u')) {
        v->filter[0] = '\0';
    } else if (code >= 32 && code < 256 && code != 127) {
        if (len + 1 < sizeof v->filter) {
            v->filter[len] = (char)code;
            v->filter[len + 1] = '\0';
        }
    } else {
        return 0;
    }
    return 1;
}

/* The chain: the active view's table, the views' keys, the global table. */
static unsigned dispatch(struct ui_state *st, const struct ui_view_ops *ops, void *view, int code)
{
    st->selected = ops && ops->selected_func && view ? ops->selected_func(view) : TABLE_NONE;
    const struct ui_key *k = ops ? ui_keys_find_in(ops->keys, ops->nkeys, code) : NULL;
    if (k)
        return k->action(st, view, code);
    long v = ui_views_find_key(code == '\r' || code == KEY_ENTER ? '\n' : code);
    if (v >= 0 && ui_views_get((size_t)v)->opens_on_selection)
        return ui_state_open(st, (size_t)v, st->selected);
    if (v >= 0) {
        st->view_next = (size_t)v;
        return UI_REACT_VIEW | UI_REACT_REDRAW;
    }
    k = ui_keys_find_in(keys, ui_keys_count(), code);
    return k ? k->action(st, view, code) : UI_REACT_NONE;
}

/* Keys outside the save prompt. */
static unsigned handle(struct ui_state *st, const struct ui_view_ops *ops, void *view, int code)
{
    unsigned react;
    if (st->editing && edit_filter(st, code, &react))
        return react;
    if (st->help) {
        const struct ui_key *k = ui_keys_find_in(keys, ui_keys_count(), code);
        if (k && (k->action == act_move || k->action == act_quit))
            return k->action(st, view, code);
        st->help = 0;
        return UI_REACT_REDRAW;
    }
    return dispatch(st, ops, view, code);
}

unsigned ui_keys_handle(struct ui_state *st, const struct ui_view_ops *ops, void *view, int code)
{
    /* The footer's message lasts until the next key. */
    unsigned shown = st->status[0] ? UI_REACT_REDRAW : UI_REACT_NONE;
    st->status[0] = '\0';
    if (st->prompt.active)
        return ui_prompt_key(&st->prompt, code) == UI_PROMPT_ACCEPT ? UI_REACT_SAVE | UI_REACT_REDRAW
                                                                     : UI_REACT_REDRAW;
    return handle(st, ops, view, code) | shown;
}
