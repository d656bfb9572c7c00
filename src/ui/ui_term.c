/* SPDX-License-Identifier: MIT */
/* Curses set-up and tear-down, and waiting for keys, for the live view. */
#include "ui_term.h"

#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"

#define ESC_DELAY_MS 25      /* a lone Esc vs. the start of an arrow key's sequence */

/* The wheel is buttons 4 and 5 (ncurses' mouse version 2, xterm's 64 and 65). */
#ifdef BUTTON5_PRESSED
#define WHEEL_EVENTS (BUTTON4_PRESSED | BUTTON5_PRESSED)
#else
#define WHEEL_EVENTS BUTTON4_PRESSED
#endif
#define MOUSE_EVENTS (BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | WHEEL_EVENTS)

/* The one screen (NULL when closed): ui_term_close() runs from atexit too,
 * so that even an unexpected exit() leaves a usable terminal. */
static SCREEN *screen;
static int atexit_done;

int ui_term_open(void)
{
    if (screen)
        return 0;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return ERR_TERMINAL;
    /* LC_CTYPE only: names and paths may be UTF-8, while numbers must keep
     * the '.' decimal point whatever LC_NUMERIC the user has. */
    setlocale(LC_CTYPE, "");
    screen = newterm(NULL, stdout, stdin);
    if (!screen)
        return ERR_TERMINAL;
    if (!atexit_done && atexit(ui_term_close) == 0)
        atexit_done = 1;
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    intrflush(stdscr, FALSE);
    meta(stdscr, TRUE);
    set_escdelay(ESC_DELAY_MS);
    curs_set(0);
    /* Reported only where terminfo knows how (kmous); 0 elsewhere. */
    mousemask(MOUSE_EVENTS, NULL);
    return 0;
}

void ui_term_close(void)
{
    if (!screen)
        return;
    /* Mouse reporting off before anything else: a terminal left
     * reporting would type escape sequences into the shell. (endwin
     * turns it off too; this says so first, whatever endwin does.) */
    mousemask(0, NULL);
    endwin();
    delscreen(screen);
    screen = NULL;
    fflush(stdout);
}

int ui_term_wait(int timeout_ms)
{
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    int n = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);
    if (n > 0 && !(p.revents & POLLIN) && (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
        return ERR_TERMINAL;     /* hung up: polling again would spin */
    return n > 0;
}

int ui_term_key(void)
{
    return wgetch(stdscr);
}

int ui_term_mouse(struct ui_mouse *m)
{
    MEVENT ev;
    if (getmouse(&ev) != OK)
        return 0;
    *m = (struct ui_mouse){.y = ev.y, .x = ev.x};
    if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
        m->kind = UI_MOUSE_DOUBLE;
    else if (ev.bstate & BUTTON1_CLICKED)
        m->kind = UI_MOUSE_CLICK;
    else if (ev.bstate & BUTTON4_PRESSED)
        m->kind = UI_MOUSE_WHEEL_UP;
#ifdef BUTTON5_PRESSED
    else if (ev.bstate & BUTTON5_PRESSED)
        m->kind = UI_MOUSE_WHEEL_DOWN;
#endif
    else
        return 0;
    return 1;
}
