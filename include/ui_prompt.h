/* SPDX-License-Identifier: MIT */
/* A one-line prompt on the footer line (the save key's file name): an
 * editable text with a cursor, accepted with Enter, cancelled with Esc.
 * Every key goes to the prompt while it is open, so nothing typed into it
 * acts as a view key. Keys are the curses codes the loop reads; the text
 * is bytes (UTF-8 typed in a UTF-8 terminal arrives one byte at a time
 * and is kept whole: the cursor moves and deletes by character). */
#ifndef PROFTUI_UI_PROMPT_H
#define PROFTUI_UI_PROMPT_H

#include <curses.h>
#include <stddef.h>

#include "ui_theme.h"

#define UI_PROMPT_MAX 1024       /* bytes of text, NUL included */
#define UI_PROMPT_LABEL_MAX 32

struct ui_prompt {
    int active;                          /* open: keys go to it */
    char label[UI_PROMPT_LABEL_MAX];     /* "Save as: " */
    char text[UI_PROMPT_MAX];
    size_t cursor;                       /* byte offset in text, at a character start */
};

/* What a key did to an open prompt. */
enum ui_prompt_result {
    UI_PROMPT_EDITED,        /* text or cursor changed (or nothing): redraw the line */
    UI_PROMPT_ACCEPT,        /* Enter: the text is the answer (the prompt stays open) */
    UI_PROMPT_CANCEL,        /* Esc, Ctrl-G or Ctrl-C: closed */
};

/* Open p with a label and a first text (cut to fit), cursor at its end. */
void ui_prompt_open(struct ui_prompt *p, const char *label, const char *text);

/* Close p (its text is kept until the next open). */
void ui_prompt_close(struct ui_prompt *p);

/* Edit p with one key: printable characters insert at the cursor;
 * Backspace / Delete remove before / at it; Left, Right, Home (Ctrl-A),
 * End (Ctrl-E) move it; Ctrl-U deletes everything before it, Ctrl-K
 * everything after. Other keys are ignored. */
enum ui_prompt_result ui_prompt_key(struct ui_prompt *p, int code);

/* Draw p on line 0 of w from column 0 in `width` columns: the label, the
 * text scrolled so the cursor stays in sight, the cursor, then `note`
 * (may be NULL) in attribute note_attr where room is left. */
void ui_prompt_draw(WINDOW *w, const struct ui_prompt *p, int width, const char *note,
                    attr_t note_attr, const struct ui_theme *t);

#endif
