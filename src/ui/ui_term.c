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
    return 0;
}

void ui_term_close(void)
{
    if (!screen)
        return;
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
