/* SPDX-License-Identifier: MIT */
/* Micro-benchmark of the live view (issue 4): a table of 10,000 functions,
 * then, per redraw, snapshot + filter/sort + draw into a curses screen
 * whose output goes to /dev/null, with new samples between redraws.
 * Reports milliseconds per phase, one "label: N ms" figure per line.
 *
 * usage: ui_bench [FUNCTIONS [REDRAWS [COLSxLINES]]] */
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "table.h"
#include "ui.h"
#include "ui_fmt.h"
#include "ui_model.h"
#include "ui_scene.h"
#include "ui_screen.h"
#include "ui_snap.h"
#include "ui_view.h"

#define MAX_DEPTH 12
#define STACKS_PER_FUNC 4
#define STACKS_PER_REDRAW 500

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A function id skewed towards small ids: a few hot functions, a long tail. */
static uint32_t pick(uint32_t nfuncs)
{
    uint64_t r = next_random() % nfuncs;
    return (uint32_t)(r * r / nfuncs * (next_random() % nfuncs) / nfuncs);
}

static void add_stacks(struct table *t, uint32_t nfuncs, uint32_t first_func, size_t count)
{
    struct frame_key frames[MAX_DEPTH];
    uint32_t thread = table_thread(t, 1000 + next_random() % 4, "worker");
    for (size_t i = 0; i < count; i++) {
        int depth = 1 + (int)(next_random() % MAX_DEPTH);
        for (int d = 0; d < depth; d++)
            frames[d] = (struct frame_key){.func = first_func + pick(nfuncs), .line = 1 + (int32_t)(next_random() % 300)};
        table_add_stack(t, thread, frames, depth, 1);
    }
}

static struct table *make_table(uint32_t nfuncs, uint32_t *first_func)
{
    struct table *t = table_new();
    char name[96], file[96];
    for (uint32_t i = 0; i < nfuncs && t; i++) {
        snprintf(name, sizeof name, "package.module_%u.SomeClass.function_number_%u", i % 97, i);
        snprintf(file, sizeof file, "/srv/app/lib/python3.12/site-packages/package/module_%u.py", i % 97);
        uint32_t id = table_intern_func(t, name, file);
        if (i == 0)
            *first_func = id;
    }
    for (uint32_t tid = 0; tid < 4 && t; tid++) {
        snprintf(name, sizeof name, "worker-%u", tid);
        table_thread(t, 1000 + tid, name);
    }
    if (t)
        add_stacks(t, nfuncs, *first_func, (size_t)nfuncs * STACKS_PER_FUNC);
    return t;
}

struct phase {
    const char *name;
    double sum, max;
};

static void record(struct phase *p, double ms)
{
    p->sum += ms;
    if (ms > p->max)
        p->max = ms;
}

/* Everything one redraw touches, as the live view holds it. */
struct bench {
    struct table *t;
    uint32_t nfuncs, first;
    struct ui_options o;
    struct ui_view view;
    struct ui_snap snap;
    struct ui_hot_lines hot;
    struct ui_model model;
    struct ui_screen screen;
    struct ui_path_ctx paths;
    struct phase ph[4];
};

/* One redraw: snapshot, (every 10th: busiest lines), filter+sort, draw. */
static int redraw(struct bench *b, int i)
{
    add_stacks(b->t, b->nfuncs, b->first, STACKS_PER_REDRAW);     /* new counts, not timed */
    double t0 = now_ms();
    ui_snap_take_table(&b->snap, b->t, b->view.thread, b->view.by_line);
    double snap_ms = now_ms() - t0;
    /* The live view recomputes these at most once a second (and no more
     * than 1% of the time); timed apart, every 10th redraw here. */
    if (i % 10 == 0) {
        double h0 = now_ms();
        ui_snap_hot_lines_table(&b->hot, b->t, b->view.thread);
        record(&b->ph[3], now_ms() - h0);
    }
    ui_snap_apply_hot_lines(&b->snap, &b->hot);
    double t1 = now_ms();
    struct ui_scene sc = {.opt = &b->o, .view = &b->view, .model = &b->model, .snap = &b->snap,
                          .theme = &b->screen.theme, .paths = &b->paths, .sample_ns = 1000000};
    struct ui_model_params p = ui_view_params(&b->view);
    if (ui_screen_layout(&b->screen, &sc) < 0)
        return -1;
    ui_model_update(&b->model, b->snap.rows, b->snap.nrows, b->snap.samples, &p,
                    (size_t)ui_layout_table_rows(&b->screen.layout));
    double t2 = now_ms();
    b->screen.dirty |= UI_DIRTY_ALL;
    ui_screen_draw(&b->screen, &sc);
    record(&b->ph[0], snap_ms);
    record(&b->ph[1], t2 - t1);
    record(&b->ph[2], now_ms() - t2);
    return 0;
}

/* One figure per line, "label: N ms" (bench/run.py reads them so). */
static void report(const struct bench *b, int redraws, int cols, int lines)
{
    printf("ui_bench: %zu rows (%u functions), %d redraws at %dx%d\n", b->snap.nrows, b->nfuncs, redraws,
           cols, lines);
    double total = 0;
    for (int i = 0; i < 3; i++) {
        printf("%s per redraw (mean): %.3f ms\n", b->ph[i].name, b->ph[i].sum / redraws);
        printf("%s per redraw (max): %.3f ms\n", b->ph[i].name, b->ph[i].max);
        total += b->ph[i].sum / redraws;
    }
    printf("redraw, all three (mean): %.3f ms\n", total);
    int hot_runs = (redraws + 9) / 10;
    printf("busiest lines, at most once a second (mean): %.3f ms\n", b->ph[3].sum / hot_runs);
}

int main(int argc, char **argv)
{
    static struct bench b = {
        .o = {.title = "python3 bench.py", .python_version = "3.12.1", .pid = 1, .interval_ns = 1000000,
              .refresh_s = 0.5},
        .snap = {.thread = TABLE_NONE}, .hot = {.thread = TABLE_NONE},
        .paths = {.cwd = "/srv/app", .home = "/root"},
        .ph = {{"snapshot", 0, 0}, {"filter+sort", 0, 0}, {"draw", 0, 0}, {"busiest lines", 0, 0}},
    };
    b.nfuncs = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 10000;
    int redraws = argc > 2 ? atoi(argv[2]) : 200;
    int cols = 200, lines = 50;
    if ((argc > 3 && sscanf(argv[3], "%dx%d", &cols, &lines) != 2) || b.nfuncs == 0 || redraws <= 0)
        return fprintf(stderr, "usage: ui_bench [FUNCTIONS [REDRAWS [COLSxLINES]]]\n"), 2;
    b.t = make_table(b.nfuncs, &b.first);
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    setlocale(LC_CTYPE, "C.UTF-8");
    SCREEN *scr = b.t && out && in ? newterm("xterm-256color", out, in) : NULL;
    if (!scr)
        return fprintf(stderr, "ui_bench: cannot set up a table or a curses screen\n"), 1;
    resizeterm(lines, cols);
    ui_view_init(&b.view, 0.5, 0);
    ui_model_init(&b.model);
    ui_screen_init(&b.screen);
    ui_screen_start(&b.screen);
    int rc = 0;
    for (int i = 0; i < redraws && rc == 0; i++)
        rc = redraw(&b, i);
    ui_screen_free(&b.screen);
    endwin();
    delscreen(scr);
    if (rc == 0)
        report(&b, redraws, cols, lines);
    ui_snap_free(&b.snap);
    ui_snap_hot_lines_free(&b.hot);
    ui_model_free(&b.model);
    table_free(b.t);
    fclose(out);
    fclose(in);
    return rc == 0 ? 0 : 1;
}
