/* SPDX-License-Identifier: MIT */
/* The one-line prompt: a small line editor and its drawing. */
#include "ui_prompt.h"

#include <stdio.h>
#include <string.h>

#include "ui_keys.h"
#include "ui_paint.h"
#include "ui_text.h"

void ui_prompt_open(struct ui_prompt *p, const char *label, const char *text)
{
    snprintf(p->label, sizeof p->label, "%s", label);
    size_t n = strlen(text);
    if (n >= sizeof p->text)
        n = sizeof p->text - 1;
    while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
        n--;                                  /* never cut a character in two */
    memcpy(p->text, text, n);
    p->text[n] = '\0';
    p->cursor = n;
    p->active = 1;
}

void ui_prompt_close(struct ui_prompt *p)
{
    p->active = 0;
}

static int continuation(char c)
{
    return ((unsigned char)c & 0xc0) == 0x80;
}

static size_t prev_char(const char *s, size_t at)
{
    while (at > 0 && continuation(s[--at]))
        ;
    return at;
}

static size_t next_char(const char *s, size_t at)
{
    if (s[at])
        while (s[++at] && continuation(s[at]))
            ;
    return at;
}

/* Remove text[from, to). */
static void cut(struct ui_prompt *p, size_t from, size_t to)
{
    memmove(p->text + from, p->text + to, strlen(p->text + to) + 1);
    p->cursor = from;
}

static void insert(struct ui_prompt *p, char c)
{
    size_t len = strlen(p->text);
    if (len + 1 >= sizeof p->text)
        return;
    memmove(p->text + p->cursor + 1, p->text + p->cursor, len - p->cursor + 1);
    p->text[p->cursor++] = c;
}

/* The keys that move the cursor; 1 when code was one. */
static int move_cursor(struct ui_prompt *p, int code)
{
    switch (code) {
    case KEY_LEFT:
        p->cursor = prev_char(p->text, p->cursor);
        return 1;
    case KEY_RIGHT:
        p->cursor = next_char(p->text, p->cursor);
        return 1;
    case KEY_HOME: case UI_KEY_CTRL('a'):
        p->cursor = 0;
        return 1;
    case KEY_END: case UI_KEY_CTRL('e'):
        p->cursor = strlen(p->text);
        return 1;
    }
    return 0;
}

enum ui_prompt_result ui_prompt_key(struct ui_prompt *p, int code)
{
    if (code == '\n' || code == '\r' || code == KEY_ENTER)
        return UI_PROMPT_ACCEPT;
    if (code == UI_KEY_ESC || code == UI_KEY_CTRL('g') || code == UI_KEY_CTRL('c')) {
        ui_prompt_close(p);
        return UI_PROMPT_CANCEL;
    }
    if (move_cursor(p, code))
        return UI_PROMPT_EDITED;
    if (code == KEY_BACKSPACE || code == 127 || code == UI_KEY_CTRL('h'))
        cut(p, prev_char(p->text, p->cursor), p->cursor);
    else if (code == KEY_DC || code == UI_KEY_CTRL('d'))
        cut(p, p->cursor, next_char(p->text, p->cursor));
    else if (code == UI_KEY_CTRL('u'))
        cut(p, 0, p->cursor);
    else if (code == UI_KEY_CTRL('k'))
        p->text[p->cursor] = '\0';
    else if (code >= 32 && code < 256 && code != 127)
        insert(p, (char)code);
    return UI_PROMPT_EDITED;
}

void ui_prompt_draw(WINDOW *w, const struct ui_prompt *p, int width, const char *note,
                    attr_t note_attr, const struct ui_theme *t)
{
    attr_t text_attr = ui_theme_attr(t, UI_EL_FILTER);
    int x = ui_paint_text(w, 0, 0, p->label, width, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_LABEL), t);
    /* The note (an error) takes up to two thirds of the line, the text
     * the rest; a long note loses its middle (a path's), keeping both ends. */
    int nw = note && note[0] ? ui_text_width(note) + 2 : 0;
    if (nw > 2 * width / 3)
        nw = 2 * width / 3;
    int room = width - x - 1 - nw;
    if (room < 1)
        return;
    /* Scroll so that the cursor is in sight: skip what does not fit before it. */
    char before[UI_PROMPT_MAX];
    memcpy(before, p->text, p->cursor);
    before[p->cursor] = '\0';
    int bw = ui_text_width(before), skip = bw >= room ? bw - room + 1 : 0;
    int cx = x + ui_paint_text(w, 0, x, before, room, skip, UI_TRUNC_END, text_attr, t);
    const char *at = p->text + p->cursor;
    char cur[8] = " ";
    size_t cn = next_char(p->text, p->cursor) - p->cursor;
    if (cn > 0 && cn < sizeof cur) {
        memcpy(cur, at, cn);
        cur[cn] = '\0';
    }
    int end = cx + ui_paint_text(w, 0, cx, cur, 1, 0, UI_TRUNC_END, text_attr | A_REVERSE, t);
    if (*at && cn)
        end += ui_paint_text(w, 0, end, at + cn, x + room + 1 - end, 0, UI_TRUNC_END, text_attr, t);
    if (nw > 2)
        ui_paint_text(w, 0, width - nw + 2, note, nw - 2, 0, UI_TRUNC_MIDDLE, note_attr, t);
}
