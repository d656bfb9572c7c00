/* SPDX-License-Identifier: MIT */
/* Semantic screen elements and the scheme that gives them colours (or
 * monochrome attributes when the terminal has no colours or NO_COLOR is
 * set), plus the glyphs the terminal's character set can show. */
#ifndef PROFTUI_UI_THEME_H
#define PROFTUI_UI_THEME_H

#include <curses.h>

enum ui_elem {
    UI_EL_NORMAL,
    UI_EL_TITLE,         /* "proftui" and the command */
    UI_EL_LABEL,         /* header field names */
    UI_EL_VALUE,         /* header field values */
    UI_EL_WARN,          /* a value that needs attention (missed samples...) */
    UI_EL_COLHEAD,       /* column titles */
    UI_EL_COLSORT,       /* the sort column's title */
    UI_EL_SELECTED,      /* the selected row */
    UI_EL_HOT,           /* a large share */
    UI_EL_WARM,          /* a noticeable share */
    UI_EL_DIM,           /* zeros, secondary text */
    UI_EL_FUNC,          /* function names */
    UI_EL_LOC,           /* file:line */
    UI_EL_KEY,           /* a key in the footer or the help */
    UI_EL_HINT,          /* what a footer key does */
    UI_EL_RUNNING,       /* the state line while sampling */
    UI_EL_PAUSED,
    UI_EL_FINISHED,      /* the target exited normally */
    UI_EL_FAILED,        /* the target exited with an error or a signal */
    UI_EL_FILTER,        /* the filter being typed */
    UI_EL_FLAME_USER,    /* flame graph boxes by the family of their code: the user's own, */
    UI_EL_FLAME_STDLIB,  /* the standard library, */
    UI_EL_FLAME_SITE,    /* site-packages, */
    UI_EL_FLAME_BUILTIN, /* <frozen ...> and other code without a file, */
    UI_EL_FLAME_OTHER,   /* anything else (and the root) */
    UI_EL_FLAME_SEL,     /* the selected flame graph box */
    UI_EL_FLAME_DIM,     /* a box the filter does not match */
    UI_EL_DIFF_GROWN,    /* --diff: a function whose share grew (red; bold without colours), */
    UI_EL_DIFF_SHRUNK,   /* shrank (blue; dim), */
    UI_EL_DIFF_SAME,     /* or neither, or is new (grey; plain) */
    UI_EL_COUNT
};

struct ui_theme {
    attr_t attr[UI_EL_COUNT];   /* attributes including the colour pair */
    int color;                  /* colours are in use */
    int utf8;                   /* the locale can show the glyphs below */
    const char *ellipsis;       /* one column each */
    const char *sort_desc;
    const char *sort_asc;
    const char *sep;            /* between header fields */
    const char *pointer;        /* before the selected name in the details */
};

/* Choose colours (has_colors(), not NO_COLOR) or monochrome and the glyph
 * set (UTF-8 locale or ASCII). Call after the screen is initialised. */
void ui_theme_init(struct ui_theme *t);

/* Attributes of an element. */
attr_t ui_theme_attr(const struct ui_theme *t, enum ui_elem e);

#endif
