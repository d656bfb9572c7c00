/* SPDX-License-Identifier: MIT */
/* The terminal under the live view: curses set up and torn down (the
 * terminal is restored on every path, exit() included, mouse reporting
 * off), waiting for keys with a timeout, reading them and mouse events. */
#ifndef PROFTUI_UI_TERM_H
#define PROFTUI_UI_TERM_H

/* Take over the terminal on stdin/stdout: raw keys (Ctrl-C arrives as a
 * key), no echo, keypad, hidden cursor, the locale's character set, and
 * mouse clicks, double clicks and the wheel when the terminal reports
 * them (they arrive as KEY_MOUSE).
 * Returns 0, or ERR_TERMINAL when stdin/stdout is not a terminal or
 * curses cannot use it (unknown TERM...). */
int ui_term_open(void);

/* Give the terminal back (endwin: normal mode, main screen). Safe to call
 * when not open and twice. */
void ui_term_close(void);

/* Wait until a key may be read or timeout_ms pass (a signal also ends the
 * wait). Returns 1 when input is ready, 0 when not, ERR_TERMINAL when the
 * terminal has gone (hang-up). */
int ui_term_wait(int timeout_ms);

/* The next key, KEY_RESIZE after a terminal resize, or ERR when there is
 * none; never blocks. */
int ui_term_key(void);

/* What a mouse event means to the live view. */
enum ui_mouse_kind {
    UI_MOUSE_CLICK,          /* button 1 pressed and released */
    UI_MOUSE_DOUBLE,         /* button 1 clicked twice */
    UI_MOUSE_WHEEL_UP,
    UI_MOUSE_WHEEL_DOWN,
};

struct ui_mouse {
    enum ui_mouse_kind kind;
    int y, x;                /* screen cell */
};

/* After ui_term_key() returned KEY_MOUSE: the event. Returns 1 when it
 * is one of the kinds above, 0 for any other (ignored). */
int ui_term_mouse(struct ui_mouse *m);

#endif
