/* SPDX-License-Identifier: MIT */
/* The registry of views: adding a view is its file and one line here. */
#include "ui_view.h"

#include "ui_views_list.h"

static const struct ui_view_ops *const views[] = {
    &ui_view_top,
    &ui_view_tree,
    &ui_view_flame,
    &ui_view_callers,
    &ui_view_source,
    &ui_view_diff,
    &ui_view_threads,
};

size_t ui_views_count(void)
{
    return sizeof views / sizeof views[0];
}

const struct ui_view_ops *ui_views_get(size_t i)
{
    return i < ui_views_count() ? views[i] : NULL;
}

long ui_views_find_key(int code)
{
    for (size_t i = 0; i < ui_views_count(); i++)
        if (views[i]->key == code)
            return (long)i;
    return -1;
}
