/* SPDX-License-Identifier: MIT */
/* The callers / callees view's lines and selection. */
#include "ui_callers.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "tree.h"

void ui_callers_init(struct ui_callers *c)
{
    *c = (struct ui_callers){.focus = TABLE_NONE, .height = 1};
    ui_links_init(&c->links);
}

void ui_callers_free(struct ui_callers *c)
{
    free(c->lines);
    ui_links_free(&c->links);
    ui_callers_init(c);
}

static int selectable(const struct ui_callers_line *l)
{
    return l->kind != UI_CL_HEAD_CALLERS && l->kind != UI_CL_HEAD_CALLEES;
}

static int add(struct ui_callers *c, enum ui_callers_kind kind, uint32_t func, uint64_t samples)
{
    if (array_reserve((void **)&c->lines, &c->cap, c->n + 1, sizeof *c->lines) < 0)
        return ERR_NOMEM;
    c->lines[c->n++] = (struct ui_callers_line){.kind = (uint8_t)kind, .func = func, .samples = samples};
    return 0;
}

struct shown {
    const struct table *t;
    double pct;
    const char *filter;
};

/* Add the links that pass the threshold and the filter (the [self] line
 * where its samples put it, when self_samples is not UINT64_MAX). */
static int add_links(struct ui_callers *c, const struct shown *s, const struct tree_links *l,
                     enum ui_callers_kind kind, uint64_t self_samples, size_t *count)
{
    int rc = 0;
    for (size_t i = 0; i <= l->n && rc == 0; i++) {
        const struct tree_link *k = i < l->n ? &l->items[i] : NULL;
        if (self_samples != UINT64_MAX && (!k || k->samples < self_samples)) {
            rc = add(c, UI_CL_SELF, c->focus, self_samples);
            self_samples = UINT64_MAX;
        }
        if (!k || rc < 0)
            continue;
        const char *name = table_func_name(s->t, k->func), *file = table_func_file(s->t, k->func);
        if (s->filter[0] && !strcasestr(name, s->filter) && !strcasestr(file, s->filter))
            continue;
        c->matched += s->filter[0] != 0;
        if (s->pct > 0 && (double)k->samples * 100.0 < s->pct * (double)c->samples) {
            c->below++;
            continue;
        }
        rc = add(c, kind, k->func, k->samples);
        *count += rc == 0;
    }
    return rc;
}

static int build(struct ui_callers *c, const struct table *t, uint32_t thread, const struct shown *s)
{
    struct tree_links up = {.items = NULL}, down = {.items = NULL};
    int known = c->focus < table_func_count(t) && (thread == TABLE_NONE || thread < table_thread_count(t));
    int rc = known ? ui_links_get(&c->links, t, thread, c->focus, &up, &down) : 0;
    c->total = up.total;
    c->self = up.self;
    if (rc == 0 && c->total > 0) {
        rc = add(c, UI_CL_HEAD_CALLERS, c->focus, 0);
        if (rc == 0)
            rc = add_links(c, s, &up, UI_CL_CALLER, UINT64_MAX, &c->ncallers);
        if (rc == 0)
            rc = add(c, UI_CL_FOCUS, c->focus, c->total);
        if (rc == 0)
            rc = add(c, UI_CL_HEAD_CALLEES, c->focus, 0);
        if (rc == 0)
            rc = add_links(c, s, &down, UI_CL_CALLEE, c->self, &c->ncallees);
    }
    tree_links_free(&up);
    tree_links_free(&down);
    return rc;
}

static long find(const struct ui_callers *c, enum ui_callers_kind kind, uint32_t func)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->lines[i].kind == kind && c->lines[i].func == func)
            return (long)i;
    return -1;
}

static int clamp_window(struct ui_callers *c)
{
    size_t old = c->top, want = c->sel;
    if (want > 0 && !selectable(&c->lines[want - 1]))
        want--;                  /* a heading comes into sight with its first line */
    if (want < c->top)
        c->top = want;
    if (c->sel >= c->top + c->height)
        c->top = c->sel - c->height + 1;
    if (c->n <= c->height)
        c->top = 0;
    else if (c->top > c->n - c->height)
        c->top = c->n - c->height;
    return c->top != old;
}

static void set_sel(struct ui_callers *c, size_t i)
{
    c->sel = i;
    c->sel_id = c->lines[i];
    c->has_sel = 1;
}

/* A new focus: the line of the one before it, else the focus; centred. */
static void place_new(struct ui_callers *c, uint32_t before)
{
    long at = find(c, UI_CL_CALLEE, before);
    if (at < 0)
        at = find(c, UI_CL_CALLER, before);
    long focus = find(c, UI_CL_FOCUS, c->focus);
    set_sel(c, (size_t)(at >= 0 ? at : focus));
    size_t mid = (size_t)focus;
    c->top = mid > c->height / 2 ? mid - c->height / 2 : 0;
    clamp_window(c);
}

static void place_same(struct ui_callers *c)
{
    long at = c->has_sel ? find(c, (enum ui_callers_kind)c->sel_id.kind, c->sel_id.func) : -1;
    if (at < 0)
        at = find(c, UI_CL_FOCUS, c->focus);
    set_sel(c, (size_t)at);
    clamp_window(c);
}

int ui_callers_update(struct ui_callers *c, const struct table *t, uint32_t thread, uint32_t focus,
                      double threshold_pct, const char *filter, size_t height)
{
    uint32_t before = c->focus;
    struct shown s = {.t = t, .pct = threshold_pct, .filter = filter ? filter : ""};
    c->height = height ? height : 1;
    c->focus = focus;
    c->n = c->ncallers = c->ncallees = c->below = c->matched = 0;
    c->total = c->self = 0;
    c->samples = 0;
    if (thread == TABLE_NONE || thread < table_thread_count(t))
        c->samples = thread == TABLE_NONE ? table_samples(t) : table_thread_samples(t, thread);
    int rc = focus == TABLE_NONE ? 0 : build(c, t, thread, &s);
    if (rc < 0)
        c->n = 0;
    if (c->n == 0) {
        c->sel = c->top = 0;
        return rc;
    }
    if (before != focus || !c->has_sel)
        place_new(c, before);
    else
        place_same(c);
    return 0;
}

void ui_callers_set_height(struct ui_callers *c, size_t height)
{
    c->height = height ? height : 1;
    if (c->n)
        clamp_window(c);
}

int ui_callers_select(struct ui_callers *c, size_t i)
{
    if (i >= c->n || !selectable(&c->lines[i]))
        return 0;
    set_sel(c, i);
    clamp_window(c);
    return 1;
}

int ui_callers_move(struct ui_callers *c, long delta)
{
    if (c->n == 0)
        return 0;
    size_t old = c->top, i = c->sel;
    unsigned long steps = delta == LONG_MIN ? ULONG_MAX : delta < 0 ? (unsigned long)-delta : (unsigned long)delta;
    for (size_t k = i; steps > 0;) {
        if (delta < 0 ? k == 0 : k + 1 >= c->n)
            break;
        k = delta < 0 ? k - 1 : k + 1;
        if (selectable(&c->lines[k])) {
            i = k;
            steps--;
        }
    }
    set_sel(c, i);
    clamp_window(c);
    return c->top != old;
}

const struct ui_callers_line *ui_callers_selected(const struct ui_callers *c)
{
    return c->n && c->sel < c->n ? &c->lines[c->sel] : NULL;
}
