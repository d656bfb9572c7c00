/* SPDX-License-Identifier: MIT */
/* A selection in a windowed list of rows (ui_list.h). */
#include "ui_list.h"

#include <limits.h>

void ui_list_clamp(struct ui_list *l, size_t n)
{
    if (l->height == 0)
        l->height = 1;
    if (l->sel >= n)
        l->sel = n ? n - 1 : 0;
    if (l->sel < l->top)
        l->top = l->sel;
    if (l->sel >= l->top + l->height)
        l->top = l->sel - l->height + 1;
    if (l->top + l->height > n)
        l->top = n > l->height ? n - l->height : 0;
}

void ui_list_move(struct ui_list *l, long delta, size_t n)
{
    if (delta == LONG_MIN || (delta < 0 && (size_t)-(delta + 1) >= l->sel))
        l->sel = 0;
    else if (delta < 0)
        l->sel -= (size_t)-delta;
    else if (delta == LONG_MAX || (size_t)delta >= n - l->sel)
        l->sel = n ? n - 1 : 0;
    else
        l->sel += (size_t)delta;
    ui_list_clamp(l, n);
}
