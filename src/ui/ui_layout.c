/* SPDX-License-Identifier: MIT */
/* Splitting the terminal into the live view's regions. */
#include "ui_layout.h"

void ui_layout_compute(struct ui_layout *l, int lines, int cols, int header_lines)
{
    int fixed = header_lines + UI_COLHEAD_LINES + UI_DETAILS_LINES + UI_FOOTER_LINES;
    *l = (struct ui_layout){.lines = lines, .cols = cols, .min_lines = fixed + UI_MIN_TABLE_ROWS};
    if (cols < UI_MIN_COLS || lines < l->min_lines) {
        l->too_small = 1;
        return;
    }
    int table_h = lines - header_lines - UI_DETAILS_LINES - UI_FOOTER_LINES;
    l->header = (struct ui_rect){0, 0, header_lines, cols};
    l->table = (struct ui_rect){header_lines, 0, table_h, cols};
    l->details = (struct ui_rect){header_lines + table_h, 0, UI_DETAILS_LINES, cols};
    l->footer = (struct ui_rect){lines - UI_FOOTER_LINES, 0, UI_FOOTER_LINES, cols};
}

int ui_layout_table_rows(const struct ui_layout *l)
{
    int rows = l->table.h - UI_COLHEAD_LINES;
    return rows > 0 ? rows : 0;
}
