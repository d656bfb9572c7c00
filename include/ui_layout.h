/* SPDX-License-Identifier: MIT */
/* Where each part of the live view goes for a terminal size: header,
 * table, details, footer; or "too small" when they cannot all fit. */
#ifndef PROFTUI_UI_LAYOUT_H
#define PROFTUI_UI_LAYOUT_H

#define UI_MIN_COLS 60
#define UI_MIN_TABLE_ROWS 3       /* data rows below the column titles */
#define UI_DETAILS_LINES 2
#define UI_FOOTER_LINES 1
#define UI_COLHEAD_LINES 1

struct ui_rect {
    int y, x, h, w;
};

struct ui_layout {
    int lines, cols;
    int too_small;                /* nothing but a message fits */
    int min_lines;                /* lines needed at this width */
    struct ui_rect header, table, details, footer;
};

/* Lay out a lines x cols terminal for a header of header_lines lines. */
void ui_layout_compute(struct ui_layout *l, int lines, int cols, int header_lines);

/* Data rows the table shows (its height without the column titles). */
int ui_layout_table_rows(const struct ui_layout *l);

#endif
