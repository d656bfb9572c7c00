/* SPDX-License-Identifier: MIT */
/* Micro-benchmark of the live view (issue 4): a profile of 10,000
 * functions, then, per redraw and for every registered view: sync of the
 * reader's replica (the time the writer's lock is held, then the replay
 * without it), the view's update (rows, filter, sort) and its draw into a
 * curses screen whose output goes to /dev/null, with new samples written
 * into the profile between redraws. Then the same with the "your code
 * first" lens on (a third of the files are the user's): the build of the
 * lensed table from the whole replica, and per redraw its update after
 * each sync. Every view stays built until the end, so that the peak
 * memory (bench/maxrss) is the live view's with all of them. Reports
 * milliseconds per phase (mean, median and maximum over the redraws), one
 * "label: N ms" figure per line: the view's
 * update and draw in CPU time of the thread, the sync as profile_sync
 * measures it (wall time).
 *
 * usage: ui_bench [FUNCTIONS [REDRAWS [COLSxLINES [STACKS [SAMPLES [VIEWS]]]]]]
 * STACKS: the random stacks of the first profile (default 4 per function;
 * 40,000 make about 256,000 nodes, 160,000 about 1,000,000); SAMPLES: the
 * samples they hold between them (default one each); VIEWS: the views to
 * run, by name, comma separated (default all; the lens pass only when
 * the list holds "lens"; with "warm" each redraw adds the same 500 stacks,
 * known after the first, instead of 500 new random ones). Each view's first redraw
 * (it is shown: it builds what it keeps) is reported apart; the means and
 * maxima are of the redraws after it, new samples each time. */
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile.h"
#include "tree.h"
#include "table.h"
#include "ui.h"
#include "ui_data.h"
#include "ui_fmt.h"
#include "ui_scene.h"
#include "ui_screen.h"
#include "ui_state.h"
#include "ui_view.h"
#include "usercode.h"

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

/* The CPU time of this thread: on a shared machine, the time the work
 * took, not the time others kept the CPU (the sync's own figures, from
 * profile_sync_cost, are wall time: the writer waits that long). */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A function id skewed towards small ids: a few hot functions, a long tail. */
static uint32_t pick(uint32_t nfuncs)
{
    uint64_t r = next_random() % nfuncs;
    return (uint32_t)(r * r / nfuncs * (next_random() % nfuncs) / nfuncs);
}

/* count random stacks holding `samples` samples between them. */
static void add_stacks(struct table *t, uint32_t nfuncs, uint32_t first_func, size_t count, uint64_t samples)
{
    struct frame_key frames[MAX_DEPTH];
    uint32_t thread = table_thread(t, 1000 + next_random() % 4, "worker");
    for (size_t i = 0; i < count; i++) {
        int depth = 1 + (int)(next_random() % MAX_DEPTH);
        for (int d = 0; d < depth; d++)
            frames[d] = (struct frame_key){.func = first_func + pick(nfuncs), .line = 1 + (int32_t)(next_random() % 300)};
        uint64_t weight = samples / count + (i < samples % count);
        /* Each sample in one of the four thread states, as a live profile. */
        enum table_metric m = (enum table_metric)(TABLE_M_IDLE + next_random() % 4);
        table_add_stack_as(t, thread, frames, depth, weight ? weight : 1, m);
    }
}

/* Functions, threads and the first stacks, into the writer's table t. */
static int fill(struct table *t, uint32_t nfuncs, uint32_t *first_func, size_t stacks, uint64_t samples)
{
    char name[96], file[96];
    for (uint32_t i = 0; i < nfuncs && t; i++) {
        snprintf(name, sizeof name, "package.module_%u.SomeClass.function_number_%u", i % 97, i);
        if (i % 97 < 32)          /* the user's code, for the lens */
            snprintf(file, sizeof file, "/srv/app/src/app/module_%u.py", i % 97);
        else
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
        add_stacks(t, nfuncs, *first_func, stacks, samples);
    return t != NULL;
}

#define KEPT_MAX 4096               /* redraws whose figures are kept for the median */

struct phase {
    const char *name;
    double sum, max;
    double *kept;                /* each redraw's figure (the first KEPT_MAX), or NULL */
    int n;
};

static void record(struct phase *p, double ms)
{
    p->sum += ms;
    if (ms > p->max)
        p->max = ms;
    if (p->kept && p->n < KEPT_MAX)
        p->kept[p->n++] = ms;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of a phase's kept figures (sorts them), 0 when none. */
static double median(struct phase *p)
{
    if (!p->kept || p->n == 0)
        return 0;
    qsort(p->kept, (size_t)p->n, sizeof *p->kept, by_value);
    return p->n % 2 ? p->kept[p->n / 2] : (p->kept[p->n / 2 - 1] + p->kept[p->n / 2]) / 2;
}

enum { PH_LOCK, PH_APPLY, PH_LENS, PH_UPDATE, PH_DRAW, PH_BOTH, PH_COUNT };

/* Everything one redraw touches, as the live view holds it. */
struct bench {
    struct profile *p;
    uint32_t nfuncs, first;
    size_t stacks;               /* of the first profile, and the samples they hold */
    uint64_t samples;
    struct ui_options o;
    struct ui_state st;
    struct ui_data data;
    struct ui_screen screen;
    struct ui_path_ctx paths;
    double first_sync_ms;        /* the whole copy of the first sync */
    struct usercode code;        /* the user's code: /srv/app, not its site-packages */
    void *views[32];             /* each view's state, kept until the end */
    const char *only;            /* the views to run ("tree,flame"), NULL: all */
    int warm;                    /* "warm" among them: each redraw replays the same stacks */
};

/* New samples, written as the sampler does: under the profile's lock.
 * Warm (VIEWS holds "warm"): the same stacks each time (the generator
 * restarted from one seed), as a program that has run a while repeats
 * the stacks it has: after the first redraw no new nodes, new counts. */
#define WARM_SEED 0x2545f4914f6cdd1dULL
static void feed(struct bench *b, size_t count)
{
    uint64_t saved = rng;
    if (b->warm)
        rng = WARM_SEED;
    profile_lock(b->p);
    add_stacks(profile_table(b->p), b->nfuncs, b->first, count, count);
    profile_unlock(b->p);
    if (b->warm)
        rng = saved;
}

/* One redraw of one view: sync, update, draw. */
static int redraw(struct bench *b, const struct ui_view_ops *ops, void *view, struct phase *ph, unsigned why)
{
    feed(b, STACKS_PER_REDRAW);                 /* new counts, not timed */
    if (ui_data_sync(&b->data, b->p, NULL) < 0)
        return -1;
    record(&ph[PH_LOCK], (double)b->data.cost.locked_ns / 1e6);
    record(&ph[PH_APPLY], (double)b->data.cost.apply_ns / 1e6);
    record(&ph[PH_LENS], b->data.lens_on ? (double)b->data.lens_ns / 1e6 : 0);
    struct ui_scene sc = {.opt = &b->o, .state = &b->st, .data = &b->data, .ops = ops, .view = view,
                          .theme = &b->screen.theme, .paths = &b->paths, .sample_ns = 1000000};
    if (ui_screen_layout(&b->screen, &sc) < 0)
        return -1;
    double t0 = now_ms();
    if (ops->update(view, &sc, (size_t)ui_layout_table_rows(&b->screen.layout), why) < 0)
        return -1;
    double t1 = now_ms();
    b->screen.dirty |= UI_DIRTY_ALL;
    ui_screen_draw(&b->screen, &sc, view);
    double t2 = now_ms();
    record(&ph[PH_UPDATE], t1 - t0);
    record(&ph[PH_DRAW], t2 - t1);
    record(&ph[PH_BOTH], t2 - t0);
    return 0;
}

/* One figure per line, "label: N ms" (bench/run.py reads them so). The
 * mean carries the rare redraws that grow a table (a rehash, new pages);
 * the median is the usual redraw. */
static void report(const char *view, const char *lens, struct phase *ph, int redraws, double first_ms)
{
    double total = 0;
    printf("%s view%s, first update and draw (shown, once): %.3f ms\n", view, lens, first_ms);
    for (int i = 0; i < PH_BOTH; i++) {
        if (i == PH_LENS && !*lens)
            continue;
        printf("%s view%s, %s per redraw (mean): %.3f ms\n", view, lens, ph[i].name, ph[i].sum / redraws);
        printf("%s view%s, %s per redraw (median): %.3f ms\n", view, lens, ph[i].name, median(&ph[i]));
        printf("%s view%s, %s per redraw (max): %.3f ms\n", view, lens, ph[i].name, ph[i].max);
        total += ph[i].sum / redraws;
    }
    printf("%s view%s, update and draw (mean): %.3f ms\n", view, lens, ph[PH_BOTH].sum / redraws);
    printf("%s view%s, update and draw (median): %.3f ms\n", view, lens, median(&ph[PH_BOTH]));
    printf("%s view%s, update and draw (max): %.3f ms\n", view, lens, ph[PH_BOTH].max);
    printf("%s view%s, redraw, all phases (mean): %.3f ms\n", view, lens, total);
}

/* Is view `name` among those asked for (all when no list was given)? */
static int wanted(const struct bench *b, const char *name)
{
    if (!b->only)
        return 1;
    size_t n = strlen(name);
    for (const char *s = b->only; (s = strstr(s, name)) != NULL; s += n)
        if ((s == b->only || s[-1] == ',') && (s[n] == ',' || s[n] == '\0'))
            return 1;
    return 0;
}

/* Every registered view in turn, each over `redraws` redraws. */
static int run_views(struct bench *b, int redraws)
{
    const char *lens = b->data.lens_on ? ", lens on" : b->o.baseline ? ", with --diff" : "";
    for (size_t v = 0; v < ui_views_count() && v < sizeof b->views / sizeof b->views[0]; v++) {
        const struct ui_view_ops *ops = ui_views_get(v);
        static double kept[PH_COUNT][KEPT_MAX];
        struct phase ph[PH_COUNT] = {{"sync, writer's lock held", 0, 0, kept[0], 0},
                                     {"sync, replay unlocked", 0, 0, kept[1], 0}, {"lens update", 0, 0, kept[2], 0},
                                     {"view update", 0, 0, kept[3], 0}, {"draw", 0, 0, kept[4], 0},
                                     {"update and draw", 0, 0, kept[5], 0}};
        if (!b->views[v] && !(b->views[v] = ops->create()))
            return -1;
        if (!wanted(b, ops->name))
            continue;
        /* The first redraw shows the view (it builds what it keeps): apart. */
        struct phase first[PH_COUNT] = {{"", 0, 0, NULL, 0}};
        int rc = redraw(b, ops, b->views[v], first, UI_WHY_SHOWN | UI_WHY_DATA);
        for (int i = 0; i < redraws && rc == 0; i++)
            rc = redraw(b, ops, b->views[v], ph, UI_WHY_DATA);
        if (rc < 0)
            return rc;
        report(ops->name, lens, ph, redraws, first[PH_UPDATE].sum + first[PH_DRAW].sum);
    }
    return 0;
}

/* The m key: each mode in turn, wall last. The replica is copied whole in
 * the new mode (the writer's lock is held for that copy, counted apart),
 * then the top view updates and draws: what one refresh after the key
 * costs. */
static int run_modes(struct bench *b)
{
    const struct ui_view_ops *top = ui_views_get(0);
    if (!b->views[0] && !(b->views[0] = top->create()))
        return -1;
    for (int i = 1; i <= TABLE_MODES; i++) {
        int m = i % TABLE_MODES;
        struct phase ph[PH_COUNT] = {{"", 0, 0, NULL, 0}};
        ui_data_mode(&b->data, m);
        b->st.mode = m;
        double t0 = now_ms();
        if (redraw(b, top, b->views[0], ph, UI_WHY_SCOPE | UI_WHY_DATA) < 0)
            return -1;
        printf("mode switch to %s, sync and top view update and draw: %.3f ms "
               "(lock held %.3f ms)\n", table_mode_name((enum table_mode)m), now_ms() - t0,
               ph[PH_LOCK].sum);
    }
    return 0;
}

/* The lens on: its first build (from the whole replica), then every view
 * again. */
static int run_lens(struct bench *b, int redraws)
{
    if (usercode_add_root(&b->code, "/srv/app", NULL, 1) < 0 || usercode_set_prefix(&b->code, "/usr") < 0)
        return -1;
    ui_data_set_code(&b->data, &b->code);
    ui_data_lens(&b->data, 1);
    b->st.lens = 1;
    if (ui_data_sync(&b->data, b->p, NULL) < 0 || !b->data.lens_on)
        return -1;
    printf("lens on: first build from the whole replica (once): %.3f ms (%zu nodes)\n",
           (double)b->data.lens_ns / 1e6, tree_node_count(b->data.table));
    return run_views(b, redraws);
}

/* --diff: the diff view and the flame graph coloured by change, against
 * a baseline that is a copy of the profile as it is now (the cost does
 * not depend on what changed: both sides' flat views, a sort, a lookup
 * per function). */
static int run_diff(struct bench *b, int redraws)
{
    struct table *base = table_new();
    if (!base || profile_sync(b->p, base, NULL) < 0) {
        table_free(base);
        return -1;
    }
    const char *only = b->only;
    b->o.baseline = base;
    b->o.baseline_label = "base.txt";
    b->only = "diff,flame";
    int rc = run_views(b, redraws);
    b->only = only;
    b->o.baseline = NULL;
    table_free(base);
    return rc;
}

static int setup(struct bench *b)
{
    b->p = profile_new();
    if (!b->p || ui_data_init(&b->data) < 0)
        return -1;
    profile_lock(b->p);
    int ok = fill(profile_table(b->p), b->nfuncs, &b->first, b->stacks, b->samples);
    profile_unlock(b->p);
    if (!ok)
        return -1;
    double t0 = now_ms();
    if (ui_data_sync(&b->data, b->p, NULL) < 0)
        return -1;
    b->first_sync_ms = now_ms() - t0;
    return 0;
}

int main(int argc, char **argv)
{
    static struct bench b = {
        .o = {.title = "python3 bench.py", .python_version = "3.12.1", .pid = 1, .interval_ns = 1000000,
              .refresh_s = 0.5},
        .paths = {.cwd = "/srv/app", .home = "/root"},
    };
    b.nfuncs = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 10000;
    int redraws = argc > 2 ? atoi(argv[2]) : 200;
    int cols = 200, lines = 50;
    b.stacks = argc > 4 ? strtoul(argv[4], NULL, 10) : (size_t)b.nfuncs * STACKS_PER_FUNC;
    b.samples = argc > 5 ? strtoull(argv[5], NULL, 10) : b.stacks;
    b.only = argc > 6 ? argv[6] : NULL;
    b.warm = b.only && wanted(&b, "warm");
    if ((argc > 3 && sscanf(argv[3], "%dx%d", &cols, &lines) != 2) || b.nfuncs == 0 || redraws <= 0 ||
        b.stacks == 0)
        return fprintf(stderr, "usage: ui_bench [FUNCTIONS [REDRAWS [COLSxLINES [STACKS [SAMPLES [VIEWS]]]]]]\n"), 2;
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    setlocale(LC_CTYPE, "C.UTF-8");
    SCREEN *scr = setup(&b) == 0 && out && in ? newterm("xterm-256color", out, in) : NULL;
    if (!scr)
        return fprintf(stderr, "ui_bench: cannot set up a profile or a curses screen\n"), 1;
    resizeterm(lines, cols);
    ui_state_init(&b.st, 0.5, 0);
    b.st.focus = b.first;                 /* views opened on a function (callers, source) show the hottest */
    ui_screen_init(&b.screen);
    ui_screen_start(&b.screen);
    printf("ui_bench: %u functions, %zu nodes, %llu samples, %d redraws per view at %dx%d%s\n", b.nfuncs,
           tree_node_count(b.data.table), (unsigned long long)table_samples(b.data.table), redraws, cols, lines,
           b.warm ? ", warm (the same stacks each redraw)" : "");
    printf("first sync, whole copy (once): %.3f ms\n", b.first_sync_ms);
    int rc = run_views(&b, redraws);
    if (rc == 0 && (!b.only || wanted(&b, "modes")))
        rc = run_modes(&b);
    if (rc == 0 && (!b.only || wanted(&b, "diff")))
        rc = run_diff(&b, redraws);
    if (rc == 0 && (!b.only || wanted(&b, "lens")))
        rc = run_lens(&b, redraws);
    for (size_t v = 0; v < ui_views_count() && v < sizeof b.views / sizeof b.views[0]; v++)
        if (b.views[v])
            ui_views_get(v)->destroy(b.views[v]);
    ui_screen_free(&b.screen);
    endwin();
    delscreen(scr);
    ui_data_free(&b.data);
    usercode_free(&b.code);
    profile_free(b.p);
    fclose(out);
    fclose(in);
    return rc == 0 ? 0 : 1;
}
