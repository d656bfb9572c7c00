/* SPDX-License-Identifier: MIT */
/* The live view's loop: wake on keys and on the refresh deadline, take
 * snapshots, carry out the keys' reactions, draw what changed. */
#include "ui.h"

#include <curses.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "procstat.h"
#include "sampler.h"
#include "table.h"
#include "ui_fmt.h"
#include "ui_keys.h"
#include "ui_layout.h"
#include "ui_model.h"
#include "ui_screen.h"
#include "ui_snap.h"
#include "ui_term.h"
#include "ui_theme.h"
#include "ui_view.h"

/* Process-directed signals (SIGTERM, SIGWINCH...) may be delivered to the
 * sampling thread, which leaves our poll() asleep: wake at least this
 * often to look at the quit flag and for a pending resize. */
#define WAKE_MAX_MS 100
#define PROC_EVERY_NS 1000000000ULL    /* CPU % over at least a second */
#define MIN_ROUNDS_FOR_RATE 100        /* fewer rounds: use the asked interval per sample */
#define HOT_EVERY_NS 1000000000ULL     /* busiest lines: recomputed at most this often, */
#define HOT_SOON_NS 250000000ULL       /* or this when a row lacks its line... */
#define HOT_COST_SHARE 100             /* ...and no more than 1/100 of the time */

struct ui {
    const struct ui_options *o;
    struct sampler *s;
    struct ui_view view;
    struct ui_snap snap;
    struct ui_model model;
    struct ui_screen screen;
    struct ui_path_ctx paths;
    char cwd[PATH_MAX];
    struct procstat ps;
    struct procstat_sample proc;
    int proc_ok;
    uint64_t proc_at;
    struct ui_hot_lines hot;      /* each function's busiest line (function level) */
    uint64_t hot_at, hot_cost;    /* when it was computed, and how long that took */
    int hot_stale;                /* recompute at the next snapshot */
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
    const struct sampler_stats *st = &u->snap.stats;
    if (st->taken < MIN_ROUNDS_FOR_RATE)
        return u->o->interval_ns;
    return st->elapsed_ns / st->taken;
}

static struct ui_scene scene(const struct ui *u)
{
    return (struct ui_scene){
        .opt = u->o, .view = &u->view, .model = &u->model, .snap = &u->snap,
        .theme = &u->screen.theme, .paths = &u->paths,
        .proc = u->proc_ok ? &u->proc : NULL, .sample_ns = sample_ns(u),
    };
}

static void remodel(struct ui *u)
{
    struct ui_model_params p = ui_view_params(&u->view);
    size_t rows = (size_t)ui_layout_table_rows(&u->screen.layout);
    if (ui_model_update(&u->model, u->snap.rows, u->snap.nrows, u->snap.samples, &p, rows ? rows : 1) < 0)
        ui_log(u, "out of memory ordering %zu rows", u->snap.nrows);
    u->screen.dirty |= UI_DIRTY_HEADER | UI_DIRTY_TABLE | UI_DIRTY_DETAILS;
}

static void read_proc(struct ui *u, uint64_t now)
{
    if (u->snap.stats.target_exited) {
        u->proc_ok = 0;
        return;
    }
    if (u->proc_ok && now - u->proc_at < PROC_EVERY_NS)
        return;
    u->proc_ok = procstat_read(&u->ps, now, &u->proc) == 0;
    u->proc_at = now;
}

/* Does a row of the snapshot lack its busiest line (a function new since
 * the lines were computed)? */
static int lines_missing(const struct ui *u)
{
    for (size_t i = 0; i < u->snap.nrows; i++)
        if (u->snap.rows[i].func >= u->hot.n || u->hot.line[u->snap.rows[i].func] < 0)
            return 1;
    return 0;
}

/* The busiest lines hold the sampler's lock for a whole line-level view:
 * refresh them when stale or for another thread, else after HOT_EVERY_NS
 * (HOT_SOON_NS when a row lacks its line), stretched so that they never
 * take more than 1/HOT_COST_SHARE of the time. */
static void refresh_hot_lines(struct ui *u, uint64_t now)
{
    if (u->view.by_line)
        return;
    uint64_t every = lines_missing(u) ? HOT_SOON_NS : HOT_EVERY_NS;
    if (u->hot_cost * HOT_COST_SHARE > every)
        every = u->hot_cost * HOT_COST_SHARE;
    if (!u->hot_stale && u->hot.thread == u->view.thread && now - u->hot_at < every)
        return;
    int rc = ui_snap_hot_lines(&u->hot, u->s, u->view.thread);
    if (rc < 0) {
        ui_log(u, "busiest lines: %s", err_str(rc));
        return;
    }
    u->hot_at = now;
    u->hot_cost = clock_now_ns() - now;
    u->hot_stale = 0;
}

static void snapshot(struct ui *u)
{
    int rc = ui_snap_take(&u->snap, u->s, u->view.thread, u->view.by_line);
    if (rc < 0) {
        ui_log(u, "snapshot failed: %s", err_str(rc));
        return;
    }
    /* The rows are copied a moment before the counters: take one more
     * snapshot after sampling stopped so the last round is in. */
    if (!u->snap.stats.running && u->ended < 2) {
        u->ended++;
        u->hot_stale = 1;
    }
    uint64_t now = clock_now_ns();
    refresh_hot_lines(u, now);
    ui_snap_apply_hot_lines(&u->snap, &u->hot);
    read_proc(u, now);
    remodel(u);
}

/* The refresh tick: a new snapshot when the table changed (stacks were
 * recorded), else only the counters (an idle target in --cpu mode costs
 * no table walk). */
static void tick(struct ui *u)
{
    struct sampler_stats st;
    sampler_get_stats(u->s, &st);
    if (st.stacks != u->snap.stats.stacks || !st.running || u->snap.stats.taken == 0) {
        snapshot(u);
        return;
    }
    u->snap.stats = st;
    read_proc(u, clock_now_ns());
    u->screen.dirty |= UI_DIRTY_HEADER;
}

static int snapshot_due(const struct ui *u, uint64_t now)
{
    return !u->view.paused && u->ended < 2 && now >= u->next_snap;
}

static void schedule(struct ui *u, uint64_t now)
{
    uint64_t every = (uint64_t)(u->view.refresh_s * 1e9);
    u->next_snap += every;
    if (u->next_snap <= now)
        u->next_snap = now + every;
}

static int wait_ms(const struct ui *u, uint64_t now)
{
    if (u->view.paused || u->ended >= 2)
        return WAKE_MAX_MS;
    if (u->next_snap <= now)
        return 0;
    uint64_t ms = (u->next_snap - now + 999999) / 1000000;
    return ms < WAKE_MAX_MS ? (int)ms : WAKE_MAX_MS;
}

/* L: keep the selection on the same function (its busiest line). */
static void switch_level(struct ui *u)
{
    const struct ui_row *r = ui_model_selected(&u->model);
    int had = r != NULL && u->model.pinned;    /* an unmoved selection rides on the top */
    struct ui_row_id id = {.func = r ? r->func : TABLE_NONE, .line = -1};
    if (r && u->view.by_line)
        id.line = r->hot_line;
    snapshot(u);                        /* frees the rows r pointed into */
    if (had)
        ui_model_select(&u->model, id);
}

static void move_selection(struct ui *u)
{
    long page = ui_layout_table_rows(&u->screen.layout);
    long step = u->view.move == UI_MOVE_LINE ? 1 : u->view.move == UI_MOVE_PAGE ? (page > 1 ? page : 1)
              : LONG_MAX;
    long delta = u->view.move_dir < 0 ? -step : step;
    u->view.move = UI_MOVE_NONE;
    if (u->view.help) {
        ui_screen_scroll_help(&u->screen, &u->view, delta);
        return;
    }
    int scrolled = ui_model_move(&u->model, delta);
    u->screen.dirty |= (scrolled ? UI_DIRTY_TABLE : UI_DIRTY_ROWS) | UI_DIRTY_DETAILS;
}

/* Carry out what a key asked for; returns 1 to quit. */
static int react(struct ui *u, unsigned r)
{
    if (r & UI_REACT_QUIT)
        return 1;
    if (r & UI_REACT_RESET) {
        ui_log(u, "reset");
        sampler_reset(u->s);
        u->ended = 0;
        u->hot_stale = 1;
        snapshot(u);
    }
    if (r & UI_REACT_THREAD) {
        u->view.thread = ui_view_next_thread(u->view.thread, u->snap.threads, u->snap.nthreads,
                                             u->view.thread_step);
        u->view.thread_step = 0;
        snapshot(u);
    }
    if (r & UI_REACT_RESNAP)
        switch_level(u);
    if (r & UI_REACT_REMODEL)
        remodel(u);
    if (r & UI_REACT_MOVE)
        move_selection(u);
    if (r & UI_REACT_TIMER)
        u->next_snap = clock_now_ns();    /* resuming shows the current state at once */
    if (r & UI_REACT_REDRAW)
        u->screen.dirty |= UI_DIRTY_ALL;
    return 0;
}

/* Read every pending key; returns 1 to quit. */
static int read_keys(struct ui *u)
{
    for (int key; (key = ui_term_key()) != ERR;) {
        if (key == KEY_RESIZE) {
            u->screen.dirty |= UI_DIRTY_LAYOUT;
            continue;
        }
        if (react(u, ui_keys_handle(&u->view, key)))
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
        remodel(u);
    }
    ui_screen_draw(&u->screen, &sc);
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

static void init(struct ui *u, const struct ui_options *o, struct sampler *s)
{
    u->o = o;
    u->s = s;
    ui_view_init(&u->view, o->refresh_s, o->threshold_pct);
    ui_model_init(&u->model);
    ui_screen_init(&u->screen);
    u->hot = (struct ui_hot_lines){.thread = TABLE_NONE};
    u->hot_stale = 1;
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/cwd", (int)o->pid);
    ssize_t n = readlink(link, u->cwd, sizeof u->cwd - 1);
    u->cwd[n > 0 ? n : 0] = '\0';
    u->paths = (struct ui_path_ctx){.cwd = n > 0 ? u->cwd : NULL, .home = getenv("HOME")};
    procstat_init(&u->ps, o->pid, clock_now_ns());
}

int ui_run(const struct ui_options *o, struct sampler *s)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return ERR_TERMINAL;
    struct ui *u = calloc(1, sizeof *u);
    if (!u)
        return ERR_NOMEM;
    init(u, o, s);
    int rc = ui_term_open();
    if (rc == 0) {
        ui_screen_start(&u->screen);
        ui_log(u, "started: %dx%d, %s", COLS, LINES, u->screen.theme.color ? "colour" : "monochrome");
        rc = loop(u);
    }
    ui_screen_free(&u->screen);
    ui_term_close();
    if (rc < 0)
        ui_log(u, "stopped: %s", err_str(rc));
    ui_snap_free(&u->snap);
    ui_snap_hot_lines_free(&u->hot);
    ui_model_free(&u->model);
    free(u);
    return rc;
}
