/* SPDX-License-Identifier: MIT */
/* Micro-benchmark of the live view (issue 4): a table of 10,000 functions,
 * then, per redraw, snapshot + filter/sort + draw into a curses screen
 * whose output goes to /dev/null. Reports milliseconds per phase.
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

int main(int argc, char **argv)
{
    uint32_t nfuncs = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 10000;
    int redraws = argc > 2 ? atoi(argv[2]) : 200;
    int cols = 200, lines = 50;
    if (argc > 3 && sscanf(argv[3], "%dx%d", &cols, &lines) != 2)
        return fprintf(stderr, "usage: ui_bench [FUNCTIONS [REDRAWS [COLSxLINES]]]\n"), 2;
    if (nfuncs == 0 || redraws <= 0)
        return 2;
    uint32_t first = 0;
    struct table *t = make_table(nfuncs, &first);
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    setlocale(LC_CTYPE, "C.UTF-8");
    SCREEN *scr = t && out && in ? newterm("xterm-256color", out, in) : NULL;
    if (!scr)
        return fprintf(stderr, "ui_bench: cannot set up a table or a curses screen\n"), 1;
    resizeterm(lines, cols);

    struct ui_options o = {.title = "python3 bench.py", .python_version = "3.12.1", .pid = 1,
                           .interval_ns = 1000000, .refresh_s = 0.5};
    struct ui_view view;
    ui_view_init(&view, 0.5, 0);
    struct ui_snap snap = {.thread = TABLE_NONE};
    struct ui_model model;
    ui_model_init(&model);
    struct ui_screen screen;
    ui_screen_init(&screen);
    ui_screen_start(&screen);
    struct ui_path_ctx paths = {.cwd = "/srv/app", .home = "/root"};
    struct phase ph[3] = {{"snapshot"}, {"filter+sort"}, {"draw"}};
    size_t rows = 0;
    for (int i = 0; i < redraws; i++) {
        add_stacks(t, nfuncs, first, STACKS_PER_REDRAW);      /* new counts, not timed */
        double t0 = now_ms();
        ui_snap_take_table(&snap, t, view.thread, view.by_line);
        double t1 = now_ms();
        struct ui_scene sc = {.opt = &o, .view = &view, .model = &model, .snap = &snap,
                              .theme = &screen.theme, .paths = &paths, .sample_ns = 1000000};
        struct ui_model_params p = ui_view_params(&view);
        if (ui_screen_layout(&screen, &sc) < 0)
            return fprintf(stderr, "ui_bench: layout failed\n"), 1;
        ui_model_update(&model, snap.rows, snap.nrows, snap.samples, &p,
                        (size_t)ui_layout_table_rows(&screen.layout));
        double t2 = now_ms();
        screen.dirty |= UI_DIRTY_ALL;
        ui_screen_draw(&screen, &sc);
        double t3 = now_ms();
        record(&ph[0], t1 - t0);
        record(&ph[1], t2 - t1);
        record(&ph[2], t3 - t2);
        rows = snap.nrows;
    }
    ui_screen_free(&screen);
    endwin();
    delscreen(scr);
    printf("ui_bench: %zu rows (%u functions), %d redraws at %dx%d\n", rows, nfuncs, redraws, cols, lines);
    double total = 0;
    for (int i = 0; i < 3; i++) {
        printf("  %-12s %8.3f ms mean  %8.3f ms max\n", ph[i].name, ph[i].sum / redraws, ph[i].max);
        total += ph[i].sum / redraws;
    }
    printf("  %-12s %8.3f ms per redraw\n", "total", total);
    ui_snap_free(&snap);
    ui_model_free(&model);
    table_free(t);
    fclose(out);
    fclose(in);
    return 0;
}
