/* SPDX-License-Identifier: MIT */
/* The live view's loop: wake on keys and on the refresh deadline, sync
 * the data, let the active view update, carry out the keys' reactions
 * (the active view's, then the global ones), draw what changed. */
#include "ui.h"

#include <curses.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "profile.h"
#include "sampler.h"
#include "table.h"
#include "ui_data.h"
#include "ui_fmt.h"
#include "ui_keys.h"
#include "ui_layout.h"
#include "ui_save.h"
#include "ui_screen.h"
#include "ui_state.h"
#include "ui_term.h"
#include "ui_theme.h"
#include "ui_view.h"

/* Process-directed signals (SIGTERM, SIGWINCH...) may be delivered to the
 * sampling thread, which leaves our poll() asleep: wake at least this
 * often to look at the quit flag and for a pending resize. */
#define WAKE_MAX_MS 100
#define MIN_ROUNDS_FOR_RATE 100        /* fewer rounds: use the asked interval per sample */
#define VIEWS_MAX 16
#define WHEEL_ROWS 3                   /* rows one notch of the mouse wheel moves */

struct ui {
    const struct ui_options *o;
    struct profile *profile;
    struct sampler *s;            /* may be NULL (no live sampling) */
    struct ui_state st;
    struct ui_data data;
    void *views[VIEWS_MAX];       /* each registered view's state, made when first shown */
    struct ui_screen screen;
    struct ui_path_ctx paths;
    uint64_t next_snap;           /* monotonic deadline of the next snapshot */
    int ended;                    /* snapshots seen since sampling stopped (the last is final) */
};

static void ui_log(const struct ui *u, const char *fmt, ...)
{
    if (!u->o->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(u->o->log, "proftui ui: ");
    vfprintf(u->o->log, fmt, ap);
    fputc('\n', u->o->log);
    fflush(u->o->log);
    va_end(ap);
}

/* The time one sample stands for: elapsed / rounds once there are enough
 * rounds to average (missed rounds make it longer than the interval). */
static uint64_t sample_ns(const struct ui *u)
{
    const struct sampler_stats *st = &u->data.stats;
    if (st->taken < MIN_ROUNDS_FOR_RATE || !st->elapsed_ns)
        return u->o->interval_ns;
    return st->elapsed_ns / st->taken;
}

static const struct ui_view_ops *active_ops(const struct ui *u)
{
    return ui_views_get(u->st.view);
}

static struct ui_scene scene(const struct ui *u)
{
    return (struct ui_scene){
        .opt = u->o, .state = &u->st, .data = &u->data, .ops = active_ops(u),
        .view = u->views[u->st.view], .theme = &u->screen.theme, .paths = &u->paths,
        .sample_ns = sample_ns(u),
    };
}

/* Let the active view derive what it shows again. */
static void update_view(struct ui *u, unsigned why)
{
    const struct ui_view_ops *ops = active_ops(u);
    struct ui_scene sc = scene(u);
    size_t rows = (size_t)ui_layout_table_rows(&u->screen.layout);
    int rc = ops->update(u->views[u->st.view], &sc, rows ? rows : 1, why);
    if (rc < 0)
        ui_log(u, "%s view: %s", ops->name, err_str(rc));
    u->screen.dirty |= UI_DIRTY_HEADER | UI_DIRTY_TABLE | UI_DIRTY_DETAILS;
}

/* A saved profile's counters: from its metadata and its table (no sampler). */
static void saved_stats(struct ui *u)
{
    const struct profile_meta *m = u->o->saved;
    const struct table *t = u->data.replica;
    uint64_t samples = table_samples(t), failed = 0;
    for (size_t i = 0; i < table_thread_count(t); i++)
        failed += table_thread_failed(t, (uint32_t)i, WALK_OK);
    u->data.stats = (struct sampler_stats){
        .taken = m->rounds_known ? m->taken : samples, .missed = m->missed, .lost = m->lost,
        .failed = failed, .stacks = samples, .elapsed_ns = m->duration_ns,
        .interval_ns = m->interval_ns, .threads = (unsigned)u->data.nthreads, .exit_status = -1,
    };
}

/* The mode the views count in. A saved profile holds one, whatever its
 * counts are of (its replica stays in wall mode: every sample it has),
 * unless it holds every thread state (ui_options.saved_states). */
static void apply_mode(struct ui *u)
{
    int one_mode = u->o->saved && !u->o->saved_states;
    if (one_mode && u->st.mode != u->o->saved->mode) {
        u->st.mode = u->o->saved->mode;
        snprintf(u->st.status, sizeof u->st.status,
                 "a saved profile holds one mode (%s): record with proftui to switch modes",
                 table_mode_name((enum table_mode)u->st.mode));
        u->st.status_error = 1;
    }
    if (!one_mode && u->st.mode != u->data.mode)
        ui_data_mode(&u->data, u->st.mode);
    if (u->st.tasks && !u->o->tasks && !table_has_tasks(u->data.replica)) {
        u->st.tasks = 0;
        u->st.task = TABLE_NONE;
        snprintf(u->st.status, sizeof u->st.status, "no asyncio task stacks: %s",
                 u->o->saved ? "this profile has none"
                             : "start proftui with --async (CPython 3.11+) to sample tasks");
        u->st.status_error = 1;
    }
    if (u->st.native_key && !table_has_native(u->data.replica)) {
        snprintf(u->st.status, sizeof u->st.status, "no native frames: %s",
                 u->o->saved ? "this profile has none" : "start proftui with --native to sample them");
        u->st.status_error = 1;
    } else if (u->st.native_key) {
        snprintf(u->st.status, sizeof u->st.status, "native frames %s",
                 u->st.native ? "shown" : "hidden: Python frames only");
        u->st.status_error = 0;
    }
    u->st.native_key = 0;
    ui_data_native(&u->data, u->st.native);
    ui_data_tasks(&u->data, u->st.tasks);
    ui_data_task(&u->data, u->st.tasks ? u->st.task : TABLE_NONE);
    ui_data_process(&u->data, u->st.proc_only, u->st.proc_pid);
}

static void snapshot(struct ui *u, unsigned why)
{
    ui_data_lens(&u->data, u->st.lens);
    apply_mode(u);
    int rc = ui_data_sync(&u->data, u->profile, u->s);
    if (rc < 0)
        ui_log(u, "snapshot failed: %s", err_str(rc));
    if (u->o->saved)
        saved_stats(u);
    /* The rows are copied a moment before the counters: take one more
     * snapshot after sampling stopped so the last round is in. */
    if (!u->data.stats.running && u->ended < 2)
        u->ended++;
    update_view(u, why | UI_WHY_DATA);
}

/* The refresh tick: a new snapshot when the profile changed (stacks were
 * recorded), else only the counters (an idle target in --cpu mode costs
 * no sync and no view update). */
static void tick(struct ui *u)
{
    struct sampler_stats st;
    if (!u->s) {
        snapshot(u, 0);
        return;
    }
    sampler_get_stats(u->s, &st);
    if (st.stacks != u->data.stats.stacks || !st.running || u->data.stats.taken == 0) {
        snapshot(u, 0);
        return;
    }
    u->data.stats = st;
    u->screen.dirty |= UI_DIRTY_HEADER;
}

static int snapshot_due(const struct ui *u, uint64_t now)
{
    return !u->st.paused && u->ended < 2 && now >= u->next_snap;
}

static void schedule(struct ui *u, uint64_t now)
{
    uint64_t every = (uint64_t)(u->st.refresh_s * 1e9);
    u->next_snap += every;
    if (u->next_snap <= now)
        u->next_snap = now + every;
}

static int wait_ms(const struct ui *u, uint64_t now)
{
    if (u->st.paused || u->ended >= 2)
        return WAKE_MAX_MS;
    if (u->next_snap <= now)
        return 0;
    uint64_t ms = (u->next_snap - now + 999999) / 1000000;
    return ms < WAKE_MAX_MS ? (int)ms : WAKE_MAX_MS;
}

/* Show view i, made on first use. */
static void show_view(struct ui *u, size_t i)
{
    if (i >= ui_views_count() || i >= VIEWS_MAX)
        return;
    if (!u->views[i])
        u->views[i] = ui_views_get(i)->create();
    if (!u->views[i]) {
        ui_log(u, "out of memory making the %s view", ui_views_get(i)->name);
        return;
    }
    if (i != u->st.view)
        u->st.view_prev = u->st.view;
    u->st.view = i;
    update_view(u, UI_WHY_SHOWN);
}

/* Move the active view's selection (or scroll the help) by delta rows. */
static void move_by(struct ui *u, long delta)
{
    if (u->st.help) {
        ui_screen_scroll_help(&u->screen, &u->st, delta);
        return;
    }
    int scrolled = active_ops(u)->move_by(u->views[u->st.view], delta);
    u->screen.dirty |= (scrolled ? UI_DIRTY_TABLE : UI_DIRTY_ROWS) | UI_DIRTY_DETAILS;
}

static void move_selection(struct ui *u)
{
    long page = ui_layout_table_rows(&u->screen.layout);
    long step = u->st.move == UI_MOVE_LINE ? 1 : u->st.move == UI_MOVE_PAGE ? (page > 1 ? page : 1)
              : LONG_MAX;
    u->st.move = UI_MOVE_NONE;
    move_by(u, u->st.move_dir < 0 ? -step : step);
}

/* Carry out what a key asked for; returns 1 to quit. */
static int react(struct ui *u, unsigned r)
{
    if (r & UI_REACT_QUIT)
        return 1;
    if (u->o->saved) {                    /* nothing to pause or reset: the state line says so */
        r &= ~(unsigned)UI_REACT_RESET;
        u->st.paused = 0;
    }
    if (r & UI_REACT_RESET) {
        ui_log(u, "reset");
        if (u->s)
            sampler_reset(u->s);
        else
            profile_reset(u->profile);
        u->ended = 0;
        snapshot(u, 0);
    }
    if (r & UI_REACT_THREAD) {
        u->st.thread = ui_state_next_thread(u->st.thread, u->data.threads, u->data.nthreads,
                                            u->st.thread_step);
        u->st.thread_step = 0;
        u->st.proc_only = 0;                   /* a thread of any process */
        u->st.task = TABLE_NONE;               /* every task of it */
        snapshot(u, UI_WHY_SCOPE);
    }
    if (r & UI_REACT_RESNAP)
        snapshot(u, UI_WHY_SCOPE);
    if (r & UI_REACT_VIEW)
        show_view(u, u->st.view_next);
    if (r & UI_REACT_UPDATE)
        update_view(u, UI_WHY_SETTINGS);
    if (r & UI_REACT_MOVE)
        move_selection(u);
    if (r & UI_REACT_TIMER)
        u->next_snap = clock_now_ns();    /* resuming shows the current state at once */
    if (r & (UI_REACT_SAVE_ASK | UI_REACT_SAVE))
        ui_save_react(&u->st, r, &u->data, u->o, u->profile, u->s);
    if (r & UI_REACT_REDRAW)
        u->screen.dirty |= UI_DIRTY_ALL;
    return 0;
}

/* A mouse event: the wheel moves the selection (or scrolls the help); a
 * click or double click in the view's body goes to its click op, in body
 * coordinates. Returns 1 to quit. */
static int on_mouse(struct ui *u)
{
    struct ui_mouse m;
    if (!ui_term_mouse(&m) || u->screen.layout.too_small)
        return 0;
    if (m.kind == UI_MOUSE_WHEEL_UP || m.kind == UI_MOUSE_WHEEL_DOWN) {
        move_by(u, m.kind == UI_MOUSE_WHEEL_UP ? -WHEEL_ROWS : WHEEL_ROWS);
        return 0;
    }
    const struct ui_rect *r = &u->screen.layout.table;
    const struct ui_view_ops *ops = active_ops(u);
    if (u->st.help || !ops->click || m.y < r->y || m.y >= r->y + r->h || m.x < r->x || m.x >= r->x + r->w)
        return 0;
    unsigned flags = ops->click(u->views[u->st.view], &u->st, m.y - r->y, m.x - r->x, m.kind == UI_MOUSE_DOUBLE);
    u->screen.dirty |= UI_DIRTY_TABLE | UI_DIRTY_DETAILS;
    return react(u, flags);
}

/* Read every pending key; returns 1 to quit. */
static int read_keys(struct ui *u)
{
    for (int key; (key = ui_term_key()) != ERR;) {
        if (key == KEY_RESIZE) {
            u->screen.dirty |= UI_DIRTY_LAYOUT;
            continue;
        }
        if (key == KEY_MOUSE) {
            if (on_mouse(u))
                return 1;
            continue;
        }
        if (react(u, ui_keys_handle(&u->st, active_ops(u), u->views[u->st.view], key)))
            return 1;
    }
    return 0;
}

/* Lay out again if needed (the model then follows the table's height),
 * then draw what is dirty. */
static int draw(struct ui *u)
{
    if (!u->screen.dirty)
        return 0;
    struct ui_scene sc = scene(u);
    int rc = ui_screen_layout(&u->screen, &sc);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        ui_log(u, "layout for %dx%d", u->screen.layout.cols, u->screen.layout.lines);
        update_view(u, UI_WHY_SIZE);
        sc = scene(u);
    }
    ui_screen_draw(&u->screen, &sc, u->views[u->st.view]);
    return 0;
}

static int loop(struct ui *u)
{
    u->screen.dirty = UI_DIRTY_LAYOUT;
    u->next_snap = clock_now_ns();
    while (!*u->o->quit) {
        uint64_t now = clock_now_ns();
        if (snapshot_due(u, now)) {
            tick(u);
            schedule(u, now);
        }
        int rc = draw(u);
        if (rc < 0)
            return rc;
        rc = ui_term_wait(wait_ms(u, clock_now_ns()));
        if (rc < 0)
            return 0;                     /* the terminal hung up: nothing left to show */
        if (read_keys(u))
            return 0;
    }
    ui_log(u, "quit on signal %d", (int)*u->o->quit);
    return 0;
}

static int init(struct ui *u, const struct ui_options *o, struct profile *p, struct sampler *s)
{
    u->o = o;
    u->profile = p;
    u->s = s;
    ui_state_init(&u->st, o->refresh_s, o->threshold_pct);
    ui_screen_init(&u->screen);
    u->paths = (struct ui_path_ctx){.cwd = o->cwd && o->cwd[0] ? o->cwd : NULL, .home = getenv("HOME")};
    u->views[0] = ui_views_get(0)->create();
    if (ui_data_init(&u->data) < 0 || !u->views[0])
        return ERR_NOMEM;
    ui_data_set_code(&u->data, o->code);
    u->st.lens = o->lens;
    u->st.mode = o->saved ? o->saved->mode : o->mode;
    u->st.tasks = o->tasks;
    long d = o->baseline ? ui_views_find_key('d') : -1;   /* --diff: the comparison first */
    if (d > 0 && d < VIEWS_MAX && (u->views[d] = ui_views_get((size_t)d)->create()) != NULL)
        u->st.view = (size_t)d;
    return 0;
}

static void release(struct ui *u)
{
    for (size_t i = 0; i < ui_views_count() && i < VIEWS_MAX; i++)
        if (u->views[i])
            ui_views_get(i)->destroy(u->views[i]);
    ui_data_free(&u->data);
    free(u);
}

int ui_run(const struct ui_options *o, struct profile *p, struct sampler *s)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return ERR_TERMINAL;
    struct ui *u = calloc(1, sizeof *u);
    if (!u)
        return ERR_NOMEM;
    int rc = init(u, o, p, s);
    if (rc == 0)
        rc = ui_term_open();
    else
        ui_log(u, "cannot start: %s", err_str(rc));
    if (rc == 0) {
        ui_screen_start(&u->screen);
        ui_log(u, "started: %dx%d, %s", COLS, LINES, u->screen.theme.color ? "colour" : "monochrome");
        rc = loop(u);
        ui_screen_free(&u->screen);
        ui_term_close();
    }
    if (rc < 0)
        ui_log(u, "stopped: %s", err_str(rc));
    release(u);
    return rc;
}
