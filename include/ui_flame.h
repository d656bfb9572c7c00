/* SPDX-License-Identifier: MIT */
/* The flame graph's model: the merged call tree of the thread(s) shown
 * (ui_mtree.h: by function, or by function and line) laid out as boxes, one row
 * per depth, each frame as wide as its total samples in whole columns
 * (children split their parent's columns by cumulative rounding,
 * heaviest first; frames narrower than one column, or under the
 * threshold, merged into one box per parent that says how many). A zoom
 * makes a frame the full width; the selection and the zoom are kept as
 * paths of (function, line) keys, so that they survive refreshes; moves go to the
 * parent, a child (the one last visited, else the heaviest) or the
 * neighbour in the row. The rows are shown from the root down or,
 * inverted, from the bottom up, scrolled to keep the selection in sight.
 * The family of a frame's file chooses its colour. No curses:
 * view_flame.c draws it. */
#ifndef PROFTUI_UI_FLAME_H
#define PROFTUI_UI_FLAME_H

#include <stddef.h>
#include <stdint.h>

#include "family.h"
#include "ui_mtree.h"

#define UI_FLAME_DEPTH_MAX 1024    /* rows laid out; deeper frames count as cut */
#define UI_FLAME_ZOOMS_MAX 64      /* zoom levels remembered for zooming out */
#define UI_FLAME_WIDTH_MAX 4096

/* One box: a frame (a node of the merged tree) or the narrow children of
 * a frame merged. */
struct ui_flame_box {
    uint32_t node;          /* ui_mtree node; TABLE_NONE for a merged box */
    uint32_t parent;        /* box index; TABLE_NONE for the top box */
    uint32_t first_child;   /* box index of its first child, TABLE_NONE when none */
    uint32_t nchildren;     /* its child boxes (a merged one last) */
    uint32_t depth;         /* row: 0 is the top box (the zoomed frame, or the root) */
    int x, w;               /* columns [x, x + w) */
    uint32_t merged;        /* merged box: how many frames it stands for */
    uint64_t samples;       /* total samples */
};

/* Keys from the root down: ids[i] is the (function, line) at depth i + 1
 * (line -1 at function level). */
struct ui_flame_path {
    struct frame_key *ids;  /* owned */
    size_t n, cap;
};

/* Wide nodes whose children are kept as arrays: a layout may draw boxes of
 * tens of them (21 under the lens in bench/ui_bench, where 8 kept arrays
 * were all replaced at every layout and each list walked again). */
#define UI_FLAME_KID_CACHES 32

/* The children of a wide node as an array, in the tree's list order
 * (children made since follow `last` in the list): read ahead, where a
 * walk of a list of thousands waits for memory at each one. */
struct ui_flame_kids {
    uint32_t node, last;
    uint32_t *ids;                  /* owned */
    size_t n, cap;
    uint64_t build;                 /* the tree's build when made (ids valid until it changes) */
    uint64_t used;
};

struct ui_flame {
    const struct ui_mtree *mt;      /* borrowed: the merged tree shown */
    int width;                      /* columns laid out for */
    double threshold_pct;           /* frames under this share are merged */
    int inverted;                   /* the root at the bottom */
    int dirty;                      /* lay out again before use */
    struct ui_flame_box *boxes;     /* owned; by row, then by x */
    size_t nboxes, boxes_cap;
    uint32_t *rows;                 /* owned: rows[d] is the first box of row d; rows[nrows] = nboxes */
    size_t nrows, rows_cap;
    void *scratch;                  /* owned: children being sorted */
    size_t scratch_cap;
    size_t merged;                  /* frames merged into narrow boxes (their subtrees not counted) */
    size_t cut;                     /* frames deeper than UI_FLAME_DEPTH_MAX rows */
    struct ui_flame_path trail;     /* the selection's path and below it the way back down */
    size_t want;                    /* the selection is trail.ids[0..want) (0: the root) */
    uint32_t sel;                   /* the selected box (follows want as far as it is laid out) */
    size_t zooms[UI_FLAME_ZOOMS_MAX];   /* path lengths of the zooms, innermost last */
    size_t nzooms;
    size_t zoom;                    /* the zoomed frame's path length (0: the root) */
    size_t top;                     /* first row in sight (the scroll) */
    struct ui_flame_kids kids[UI_FLAME_KID_CACHES];
    uint64_t kids_clock;
};

/* An empty model (owns nothing yet). */
void ui_flame_init(struct ui_flame *f);
void ui_flame_free(struct ui_flame *f);

/* Show the merged tree mt (borrowed until the next call or
 * ui_flame_free; NULL: none), or the same tree with new counts; the
 * selection and the zoom follow their paths into it. */
void ui_flame_set_tree(struct ui_flame *f, const struct ui_mtree *mt);

/* Change the threshold (frames under pct % of the samples are merged). */
void ui_flame_set_threshold(struct ui_flame *f, double pct);

/* Lay the boxes out for `width` columns (when the tree, the threshold,
 * the zoom or the width changed). 0 or ERR_NOMEM (then no boxes). */
int ui_flame_layout(struct ui_flame *f, int width);

/* The samples of the whole tree (its root's total): the 100 %. */
uint64_t ui_flame_samples(const struct ui_flame *f);

/* Boxes of row d: *first is the index of the first, returns how many. */
size_t ui_flame_row(const struct ui_flame *f, size_t d, size_t *first);

/* The selected box, or NULL when nothing is laid out. */
const struct ui_flame_box *ui_flame_selected(const struct ui_flame *f);

/* The tree node of a box (NULL for a merged box). */
const struct ui_mt_node *ui_flame_node(const struct ui_flame *f, const struct ui_flame_box *b);

/* The function of the selected frame, or TABLE_NONE (the root, nothing). */
uint32_t ui_flame_selected_func(const struct ui_flame *f);

/* Moves; each returns 1 when the selection changed. Toward the root by n
 * rows; away from it by n rows (to the child last visited, else the
 * heaviest); to the neighbour in the row (dir < 0: left); by delta rows
 * on screen (delta < 0: up, which is toward the root unless inverted). */
int ui_flame_up(struct ui_flame *f, size_t n);
int ui_flame_down(struct ui_flame *f, size_t n);
int ui_flame_sibling(struct ui_flame *f, int dir);
int ui_flame_move(struct ui_flame *f, long delta);

/* Select the frame at row d, column x; 1 when there is one (merged boxes
 * are not selectable). */
int ui_flame_select_at(struct ui_flame *f, size_t d, int x);

/* Zoom into the selected frame (it becomes the top box, full width), or
 * out to the previous zoom. 1 when the zoom changed. */
int ui_flame_zoom_in(struct ui_flame *f);
int ui_flame_zoom_out(struct ui_flame *f);

/* The zoomed frames' keys from the root's child down (borrowed, n of
 * them; 0 when not zoomed). */
const struct frame_key *ui_flame_zoom_path(const struct ui_flame *f, size_t *n);

/* Scroll so that the selected row is in sight in a body of `height`
 * rows (and no further than the rows go). Returns 1 when it scrolled. */
int ui_flame_scroll(struct ui_flame *f, size_t height);

/* The row shown on body line y (0 is the first line of `height`) given
 * the scroll and the direction, or -1 when none; and the reverse (-1
 * when row d is out of sight). */
long ui_flame_row_at(const struct ui_flame *f, int y, size_t height);
int ui_flame_line_of(const struct ui_flame *f, size_t d, size_t height);

#endif
