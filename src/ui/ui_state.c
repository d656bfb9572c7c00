/* SPDX-License-Identifier: MIT */
/* The live view's shared settings and the ladders the keys step along. */
#include "ui_state.h"

#include "table.h"
#include "ui_keys.h"

#define REFRESH_MIN 0.05
#define REFRESH_MAX 60.0
#define THRESHOLD_MAX 100.0
#define EPS 1e-9

static const double threshold_ladder[] = {0, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50};
static const double refresh_ladder[] = {0.1, 0.2, 0.5, 1, 2, 5, 10};

void ui_state_init(struct ui_state *st, double refresh_s, double threshold_pct)
{
    *st = (struct ui_state){
        .thread = TABLE_NONE,
        .task = TABLE_NONE,
        .native = 1,
        .selected = TABLE_NONE,
        .focus = TABLE_NONE,
        .refresh_s = refresh_s >= REFRESH_MIN ? (refresh_s <= REFRESH_MAX ? refresh_s : REFRESH_MAX)
                                              : (refresh_s > 0 ? REFRESH_MIN : 0.5),
        .threshold_pct = threshold_pct > 0 ? (threshold_pct < THRESHOLD_MAX ? threshold_pct : THRESHOLD_MAX) : 0,
    };
}

/* The next value of an ascending ladder strictly above / below cur. */
static double ladder_step(const double *ladder, size_t n, double cur, int dir)
{
    if (dir > 0) {
        for (size_t i = 0; i < n; i++)
            if (ladder[i] > cur + EPS)
                return ladder[i];
        return cur > ladder[n - 1] ? cur : ladder[n - 1];
    }
    for (size_t i = n; i-- > 0;)
        if (ladder[i] < cur - EPS)
            return ladder[i];
    return ladder[0] < cur ? ladder[0] : cur;
}

double ui_state_threshold_step(double pct, int dir)
{
    return ladder_step(threshold_ladder, sizeof threshold_ladder / sizeof threshold_ladder[0], pct, dir);
}

double ui_state_refresh_step(double s, int dir)
{
    return ladder_step(refresh_ladder, sizeof refresh_ladder / sizeof refresh_ladder[0], s, dir);
}

uint32_t ui_state_next_thread(uint32_t cur, const struct ui_thread *threads, size_t n, int dir)
{
    if (n == 0)
        return TABLE_NONE;
    /* Position in the cycle: 0 = all threads, i + 1 = threads[i]. */
    size_t pos = 0;
    for (size_t i = 0; i < n && cur != TABLE_NONE; i++)
        if (threads[i].index == cur)
            pos = i + 1;
    pos = dir > 0 ? (pos + 1) % (n + 1) : (pos + n) % (n + 1);
    return pos == 0 ? TABLE_NONE : threads[pos - 1].index;
}

unsigned ui_state_open(struct ui_state *st, size_t view, uint32_t func)
{
    if (func == TABLE_NONE)
        return UI_REACT_NONE;
    if (st->nback == UI_BACK_MAX) {      /* forget the oldest */
        for (size_t i = 1; i < UI_BACK_MAX; i++)
            st->back[i - 1] = st->back[i];
        st->nback--;
    }
    st->back[st->nback].view = st->view;
    st->back[st->nback++].focus = st->focus;
    st->focus = func;
    st->view_next = view;
    return UI_REACT_VIEW | UI_REACT_REDRAW;
}

unsigned ui_state_back(struct ui_state *st)
{
    if (!st->nback)
        return UI_REACT_NONE;
    st->nback--;
    st->focus = st->back[st->nback].focus;
    st->view_next = st->back[st->nback].view;
    return UI_REACT_VIEW | UI_REACT_REDRAW;
}
