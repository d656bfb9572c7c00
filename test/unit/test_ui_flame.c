/* SPDX-License-Identifier: MIT */
/* Unit tests of the flame graph's model (ui_flame.c): widths in
 * proportion to samples (a fixed tree and random ones, checked box by box
 * against the exact shares), narrow frames merged with their count, the
 * threshold, moves, the selection kept across refreshes, zoom, inversion
 * and scroll, the families of file names, and a wide tree kept from
 * refresh to refresh (shared with a call tree's rows) as if made at once. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "table.h"
#include "tree.h"
#include "ui_flame.h"
#include "ui_tree.h"

enum { F_MAIN, F_ALPHA, F_BETA, F_BURN, F_TINY, NF = F_TINY + 8 };

static uint32_t fid[NF];

static struct table *make_table(void)
{
    static const char *const names[] = {"main", "alpha", "beta", "burn"};
    struct table *t = table_new();
    char name[32];
    for (int i = 0; i < NF; i++) {
        if (i < F_TINY)
            snprintf(name, sizeof name, "%s", names[i]);
        else
            snprintf(name, sizeof name, "tiny_%d", i - F_TINY);
        fid[i] = table_intern_func(t, name, "/w/app.py");
    }
    CHECK_EQ(table_thread(t, 1, "main"), 0);
    return t;
}

/* Add a stack given ROOT FIRST as function indices (-1 ends it). */
static void add(struct table *t, uint64_t w, const int *path)
{
    struct frame_key f[64];
    int n = 0;
    while (path[n] >= 0)
        n++;
    for (int i = 0; i < n; i++)
        f[n - 1 - i] = (struct frame_key){fid[path[i]], 10 + path[i]};
    CHECK_EQ(table_add_stack(t, 0, f, n, w), 0);
}

/* main -> alpha -> burn 60, main -> beta -> burn 30, main 10. */
static void add_ab(struct table *t, uint64_t ka, uint64_t kb, uint64_t km)
{
    if (ka)
        add(t, ka, (const int[]){F_MAIN, F_ALPHA, F_BURN, -1});
    if (kb)
        add(t, kb, (const int[]){F_MAIN, F_BETA, F_BURN, -1});
    if (km)
        add(t, km, (const int[]){F_MAIN, -1});
}

/* The tree shown (the model borrows it), made from scratch at each load. */
static struct ui_mtree shown;
static int shown_by_line;

static void load(struct ui_flame *f, const struct table *t, int width)
{
    struct ui_mtree_scope scope = {.thread = TABLE_NONE, .by_line = shown_by_line};
    ui_mtree_free(&shown);
    CHECK_EQ(ui_mtree_sync(&shown, t, &scope, 1), 1);
    ui_flame_set_tree(f, &shown);
    CHECK_EQ(ui_flame_layout(f, width), 0);
}

/* The box of function fi in row d, or NULL. */
static const struct ui_flame_box *box_of(const struct ui_flame *f, size_t d, int fi)
{
    size_t first, n = ui_flame_row(f, d, &first);
    for (size_t i = first; i < first + n; i++) {
        const struct ui_mt_node *cn = ui_flame_node(f, &f->boxes[i]);
        if (cn && cn->func == fid[fi])
            return &f->boxes[i];
    }
    return NULL;
}

static void test_widths(void)
{
    struct table *t = make_table();
    struct ui_flame f;
    ui_flame_init(&f);
    add_ab(t, 60, 30, 10);
    load(&f, t, 100);
    CHECK_EQ(f.nrows, 4);
    CHECK_EQ(ui_flame_samples(&f), 100);
    size_t first;
    CHECK_EQ(ui_flame_row(&f, 0, &first), 1);
    CHECK(f.boxes[first].x == 0 && f.boxes[first].w == 100);
    const struct ui_flame_box *a = box_of(&f, 2, F_ALPHA), *b = box_of(&f, 2, F_BETA);
    CHECK(a && b && box_of(&f, 1, F_MAIN)->w == 100);
    CHECK(a && a->x == 0 && a->w == 60 && a->samples == 60);   /* the heaviest first */
    CHECK(b && b->x == 60 && b->w == 30);
    CHECK_EQ(ui_flame_row(&f, 3, &first), 2);
    CHECK(f.boxes[first].w == 60 && f.boxes[first + 1].x == 60 && f.boxes[first + 1].w == 30);
    /* 10 columns: 6 and 3. */
    CHECK_EQ(ui_flame_layout(&f, 10), 0);
    a = box_of(&f, 2, F_ALPHA);
    b = box_of(&f, 2, F_BETA);
    CHECK(a && b && a->w == 6 && b->x == 6 && b->w == 3);
    ui_flame_free(&f);
    table_free(t);
}

/* Five frames of 1 sample in 105 on 50 columns (0.48 column each): one
 * merged box that counts them, not selectable; the threshold merges more. */
static void test_narrow_and_threshold(void)
{
    struct table *t = make_table();
    struct ui_flame f;
    ui_flame_init(&f);
    add_ab(t, 60, 30, 10);
    for (int i = 0; i < 5; i++)
        add(t, 1, (const int[]){F_MAIN, F_TINY + i, -1});
    load(&f, t, 50);
    CHECK_EQ(f.merged, 5);
    size_t first, n = ui_flame_row(&f, 2, &first);
    CHECK_EQ(n, 3);
    const struct ui_flame_box *m = &f.boxes[first + 2];
    CHECK(m->node == TABLE_NONE && m->merged == 5 && m->samples == 5 && m->w >= 1);
    CHECK(!ui_flame_select_at(&f, 2, m->x));
    CHECK(ui_flame_select_at(&f, 2, m->x - 1));          /* beta, then no frame on its right */
    CHECK(ui_flame_selected_func(&f) == fid[F_BETA] && !ui_flame_sibling(&f, 1));
    /* 210 columns: 2 each, every frame its own box. */
    CHECK_EQ(ui_flame_layout(&f, 210), 0);
    CHECK_EQ(f.merged, 0);
    CHECK_EQ(ui_flame_row(&f, 2, &first), 7);
    for (int i = 0; i < 5; i++)
        CHECK(box_of(&f, 2, F_TINY + i) && box_of(&f, 2, F_TINY + i)->w == 2);
    /* Threshold 40 %: beta (29 %) and the tiny ones merge. */
    ui_flame_set_threshold(&f, 40);
    CHECK_EQ(ui_flame_layout(&f, 210), 0);
    CHECK(box_of(&f, 2, F_ALPHA) && !box_of(&f, 2, F_BETA));
    CHECK_EQ(f.merged, 6);
    ui_flame_free(&f);
    table_free(t);
}

/* Every box against the exact share of its parent. */
static void check_boxes(const struct ui_flame *f, double thr_samples)
{
    for (size_t i = 1; i < f->nboxes; i++) {
        const struct ui_flame_box *b = &f->boxes[i], *p = &f->boxes[b->parent];
        const struct ui_mt_node *pn = ui_flame_node(f, p);
        CHECK(b->w >= 1 && b->x >= p->x && b->x + b->w <= p->x + p->w);
        CHECK(b->depth == p->depth + 1 && pn);
        uint64_t ptotal = ui_mtree_total(f->mt, p->node);
        if (!pn || !ptotal)
            continue;
        double ideal = (double)b->samples * p->w / (double)ptotal;
        CHECK(b->w > ideal - 1.0 && b->w < ideal + 1.0);
        if (i + 1 < f->nboxes && f->boxes[i + 1].depth == b->depth)
            CHECK(f->boxes[i + 1].x >= b->x + b->w);       /* in order, no overlap */
        if (b->node != TABLE_NONE)
            CHECK(ideal >= 1.0 && (double)b->samples >= thr_samples);
    }
    /* Every child of a laid-out frame at least one column wide has a box. */
    for (size_t i = 0; i < f->nboxes; i++) {
        const struct ui_mt_node *n = ui_flame_node(f, &f->boxes[i]);
        if (!n || f->boxes[i].depth + 1 >= UI_FLAME_DEPTH_MAX)
            continue;
        size_t kids = 0;
        uint64_t total = ui_mtree_total(f->mt, f->boxes[i].node);
        for (uint32_t c = n->first_child; c != TABLE_NONE; c = f->mt->nodes[c].next_sibling)
            kids += (double)f->mt->nodes[c].total * f->boxes[i].w >= (double)total && (double)f->mt->nodes[c].total >= thr_samples;
        size_t boxed = 0;
        for (uint32_t k = 0; k < f->boxes[i].nchildren; k++)
            boxed += f->boxes[f->boxes[i].first_child + k].node != TABLE_NONE;
        CHECK_EQ(boxed, kids);
    }
}

static void test_random(void)
{
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    for (int round = 0; round < 20; round++) {
        struct table *t = make_table();
        struct ui_flame f;
        ui_flame_init(&f);
        for (int s = 0; s < 300; s++) {
            int path[10], depth = 1;
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            depth += (int)(rng % 8);
            for (int d = 0; d < depth; d++)
                path[d] = (int)((rng >> (8 + 3 * d)) % NF);
            path[depth] = -1;
            add(t, 1 + (rng >> 60), path);
        }
        int width = 20 + round * 7;
        double thr = round % 3 == 0 ? 5.0 : 0;
        ui_flame_set_threshold(&f, thr);
        load(&f, t, width);
        check_boxes(&f, thr / 100.0 * (double)ui_flame_samples(&f));
        ui_flame_free(&f);
        table_free(t);
    }
}

static void test_moves_and_refresh(void)
{
    struct table *t = make_table();
    struct ui_flame f;
    ui_flame_init(&f);
    add_ab(t, 60, 30, 10);
    load(&f, t, 100);
    CHECK_EQ(ui_flame_selected_func(&f), TABLE_NONE);     /* the root */
    CHECK(ui_flame_down(&f, 2));
    CHECK_EQ(ui_flame_selected_func(&f), fid[F_ALPHA]);   /* the heaviest child */
    CHECK(ui_flame_sibling(&f, 1));
    CHECK_EQ(ui_flame_selected_func(&f), fid[F_BETA]);
    CHECK(!ui_flame_sibling(&f, 1));                     /* the end of the row */
    CHECK(ui_flame_down(&f, 1));
    CHECK(ui_flame_up(&f, 2));
    CHECK_EQ(ui_flame_selected_func(&f), fid[F_MAIN]);
    CHECK(ui_flame_down(&f, 1));
    CHECK_EQ(ui_flame_selected_func(&f), fid[F_BETA]);   /* back the way it came */
    /* A refresh keeps it on main > beta; beta narrowed under a column,
     * then its parent; wide again, beta. */
    add_ab(t, 1000, 0, 0);
    load(&f, t, 100);
    CHECK_EQ(ui_flame_selected_func(&f), fid[F_BETA]);
    add_ab(t, 100000, 0, 0);
    load(&f, t, 100);
    CHECK_EQ(ui_flame_selected_func(&f), fid[F_MAIN]);
    add_ab(t, 0, 200000, 0);
    load(&f, t, 100);
    CHECK_EQ(ui_flame_selected_func(&f), fid[F_BETA]);
    /* On screen: up is toward the root, or away from it when inverted. */
    CHECK(ui_flame_move(&f, -1));
    CHECK_EQ(ui_flame_selected_func(&f), fid[F_MAIN]);
    f.inverted = 1;
    CHECK(ui_flame_move(&f, -1));
    CHECK_EQ(ui_flame_selected_func(&f), fid[F_BETA]);
    CHECK(ui_flame_move(&f, LONG_MAX));
    CHECK_EQ(ui_flame_selected_func(&f), TABLE_NONE);
    CHECK(ui_flame_move(&f, LONG_MIN));
    CHECK_EQ(ui_flame_selected_func(&f), fid[F_BURN]);
    ui_flame_free(&f);
    table_free(t);
}

static void test_zoom(void)
{
    struct table *t = make_table();
    struct ui_flame f;
    ui_flame_init(&f);
    add_ab(t, 60, 30, 10);
    load(&f, t, 90);
    CHECK(!ui_flame_zoom_in(&f));                        /* the root: nothing to zoom */
    CHECK(ui_flame_select_at(&f, 2, 70));
    CHECK_EQ(ui_flame_selected_func(&f), fid[F_BETA]);
    CHECK(ui_flame_zoom_in(&f));
    size_t first, n;
    const struct frame_key *zp = ui_flame_zoom_path(&f, &n);
    CHECK(n == 2 && zp[0].func == fid[F_MAIN] && zp[1].func == fid[F_BETA]);
    CHECK_EQ(f.nrows, 2);
    CHECK_EQ(ui_flame_row(&f, 0, &first), 1);
    CHECK(f.boxes[first].x == 0 && f.boxes[first].w == 90 && f.sel == first);
    CHECK_EQ(ui_flame_selected_func(&f), fid[F_BETA]);
    CHECK(box_of(&f, 1, F_BURN) && box_of(&f, 1, F_BURN)->w == 90);
    CHECK(!ui_flame_up(&f, 1));                          /* nothing above the zoomed frame */
    /* The zoom survives a refresh; zooming out keeps the selection. */
    add_ab(t, 60, 30, 10);
    load(&f, t, 90);
    CHECK(box_of(&f, 0, F_BETA) && box_of(&f, 0, F_BETA)->w == 90);
    CHECK(ui_flame_down(&f, 1) && ui_flame_zoom_in(&f));
    CHECK(ui_flame_zoom_out(&f));
    CHECK(box_of(&f, 0, F_BETA) && ui_flame_selected_func(&f) == fid[F_BURN]);
    CHECK(ui_flame_zoom_out(&f));
    CHECK(!ui_flame_zoom_out(&f));
    ui_flame_zoom_path(&f, &n);
    CHECK_EQ(n, 0);
    CHECK(f.nrows == 4 && box_of(&f, 3, F_BURN) && ui_flame_selected_func(&f) == fid[F_BURN]);
    CHECK(f.boxes[f.sel].x == 54 && f.boxes[f.sel].w == 27);
    ui_flame_free(&f);
    table_free(t);
}

/* A chain of 40 frames in a body of 10 rows, top down and inverted. */
static void test_scroll_and_invert(void)
{
    struct table *t = make_table();
    struct ui_flame f;
    ui_flame_init(&f);
    int path[41];
    for (int i = 0; i < 40; i++)
        path[i] = i % NF;
    path[40] = -1;
    add(t, 5, path);
    load(&f, t, 30);
    CHECK_EQ(f.nrows, 41);
    CHECK_EQ(ui_flame_row_at(&f, 0, 10), 0);
    CHECK_EQ(ui_flame_line_of(&f, 0, 10), 0);
    CHECK(ui_flame_down(&f, SIZE_MAX));
    CHECK_EQ(f.boxes[f.sel].depth, 40);
    CHECK(ui_flame_scroll(&f, 10));
    CHECK_EQ(f.top, 31);
    CHECK_EQ(ui_flame_row_at(&f, 9, 10), 40);
    CHECK_EQ(ui_flame_line_of(&f, 40, 10), 9);
    CHECK_EQ(ui_flame_line_of(&f, 0, 10), -1);
    f.inverted = 1;                                      /* the deepest at the top line */
    CHECK_EQ(ui_flame_row_at(&f, 0, 10), 40);
    CHECK_EQ(ui_flame_line_of(&f, 31, 10), 9);
    CHECK(ui_flame_up(&f, SIZE_MAX) && ui_flame_scroll(&f, 10));
    CHECK_EQ(f.top, 0);
    CHECK_EQ(ui_flame_row_at(&f, 9, 10), 0);             /* the root on the bottom line */
    CHECK_EQ(ui_flame_line_of(&f, 0, 10), 9);
    CHECK_EQ(ui_flame_row_at(&f, 10, 10), -1);
    /* Shorter than the body: nothing shown on the lines above. */
    struct table *t2 = make_table();
    add_ab(t2, 6, 3, 1);
    load(&f, t2, 30);
    ui_flame_scroll(&f, 10);
    CHECK_EQ(ui_flame_row_at(&f, 9, 10), 0);
    CHECK_EQ(ui_flame_row_at(&f, 6, 10), 3);
    CHECK_EQ(ui_flame_row_at(&f, 5, 10), -1);
    ui_flame_free(&f);
    table_free(t);
    table_free(t2);
}

/* Deeper than the rows laid out: cut and counted. */
static void test_depth_limit(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 1, "x");
    enum { DEPTH = UI_FLAME_DEPTH_MAX + 10 };
    static struct frame_key frames[DEPTH];
    uint32_t fa = table_intern_func(t, "rec", "/w/r.py");
    for (int i = 0; i < DEPTH; i++)
        frames[i] = (struct frame_key){fa, 1};
    CHECK_EQ(table_add_stack(t, th, frames, DEPTH, 1), 0);
    struct ui_flame f;
    ui_flame_init(&f);
    load(&f, t, 40);
    CHECK_EQ(f.nrows, UI_FLAME_DEPTH_MAX);
    CHECK_EQ(f.cut, 1);
    ui_flame_free(&f);
    table_free(t);
}

static void test_family(void)
{
    const char *cwd = "/home/u/proj/";
    CHECK_EQ(code_family_of("/home/u/proj/app.py", cwd), CODE_FAM_USER);
    CHECK_EQ(code_family_of("pkg/mod.py", cwd), CODE_FAM_USER);
    CHECK_EQ(code_family_of("/home/u/projector/x.py", cwd), CODE_FAM_OTHER);
    CHECK_EQ(code_family_of("/usr/lib/python3.11/json/decoder.py", cwd), CODE_FAM_STDLIB);
    CHECK_EQ(code_family_of("/root/.pyenv/versions/3.13.0/lib/python3.13/threading.py", cwd), CODE_FAM_STDLIB);
    CHECK_EQ(code_family_of("/usr/lib64/python3.9/os.py", NULL), CODE_FAM_STDLIB);
    CHECK_EQ(code_family_of("/usr/lib/python3/dist-packages/pyte/screens.py", cwd), CODE_FAM_SITE);
    CHECK_EQ(code_family_of("/home/u/proj/.venv/lib/python3.12/site-packages/np/x.py", cwd), CODE_FAM_SITE);
    CHECK_EQ(code_family_of("<frozen importlib._bootstrap>", cwd), CODE_FAM_BUILTIN);
    CHECK_EQ(code_family_of("<string>", cwd), CODE_FAM_BUILTIN);
    CHECK_EQ(code_family_of("/opt/tool/run.py", cwd), CODE_FAM_OTHER);
    CHECK_EQ(code_family_of("/opt/tool/run.py", "/"), CODE_FAM_OTHER);
    CHECK_EQ(code_family_of("", cwd), CODE_FAM_OTHER);
    CHECK_EQ(code_family_of(NULL, cwd), CODE_FAM_OTHER);
}

/* A wide tree (more children than the model keeps as arrays), kept from
 * sync to sync through a replica, at function and line level: the boxes
 * equal those laid out from a tree made at once. */
static void test_wide_kept_equals_fresh(void)
{
    enum { WIDE_F = 600 };
    struct table *w = table_new(), *r = table_new();
    uint32_t fw[WIDE_F];
    char name[32];
    for (int i = 0; i < WIDE_F; i++) {
        snprintf(name, sizeof name, "w%03d", i);
        fw[i] = table_intern_func(w, name, "/w/app.py");
    }
    CHECK_EQ(table_thread(w, 1, "main"), 0);
    uint64_t rng = 0x2545F4914F6CDD1DULL;
    for (int by_line = 0; by_line < 2; by_line++) {
        /* The flame graph's tree shared with a call tree's rows, which
         * relink the children of the nodes that are not wide. */
        struct ui_mtree kept, own;
        struct ui_flame fk;
        struct ui_tree rows;
        ui_mtree_init(&kept);
        ui_mtree_init(&own);
        ui_flame_init(&fk);
        ui_tree_init(&rows);
        ui_tree_open_all(&rows);
        struct ui_tree_params tp = {.thread = TABLE_NONE, .by_line = by_line, .filter = "", .shared = &kept};
        for (int step = 0; step < 12; step++) {
            struct ui_mtree_scope scope = {.thread = TABLE_NONE, .by_line = by_line};
            for (int i = 0; i < 300; i++) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                /* leaf first: a wide first level, a wide second one under w000 */
                struct frame_key st[2] = {{fw[rng % WIDE_F], (int32_t)(rng >> 20) % 3},
                                          {fw[(rng >> 40) % 3 ? 0 : (rng >> 30) % WIDE_F], 1}};
                CHECK_EQ(table_add_stack(w, 0, st, 2, 1 + (rng >> 50) % 7), 0);
            }
            CHECK_EQ(table_sync_copy(r, w), 0);
            table_sync_apply(r);
            if (step % 3)
                CHECK_EQ(ui_tree_update(&rows, r, &tp, 30), 0);
            struct ui_mtree *mt = ui_mtree_pick(&kept, &own, &scope, &fk);
            CHECK(mt == &kept && (step == 0 || rows.mt == &kept));
            CHECK(ui_mtree_sync(mt, r, &scope, 0) >= 0);
            ui_flame_set_tree(&fk, mt);
            CHECK_EQ(ui_flame_layout(&fk, 400), 0);
            shown_by_line = by_line;
            struct ui_flame fresh;
            ui_flame_init(&fresh);
            load(&fresh, r, 400);
            CHECK_EQ(fk.nboxes, fresh.nboxes);
            size_t bad = 0;
            for (size_t i = 0; i < fk.nboxes && i < fresh.nboxes; i++) {
                const struct ui_flame_box *a = &fk.boxes[i], *b = &fresh.boxes[i];
                const struct ui_mt_node *na = ui_flame_node(&fk, a), *nb = ui_flame_node(&fresh, b);
                bad += a->x != b->x || a->w != b->w || a->samples != b->samples || a->merged != b->merged ||
                       !na != !nb || (na && (na->func != nb->func || na->line != nb->line));
            }
            check(bad == 0, "line level %d, step %d: %zu of %zu boxes differ", by_line, step, bad, fk.nboxes);
            CHECK(fk.merged > 0);
            ui_flame_free(&fresh);
        }
        ui_flame_free(&fk);
        ui_tree_free(&rows);
        ui_mtree_free(&kept);
        ui_mtree_free(&own);
    }
    shown_by_line = 0;
    table_free(r);
    table_free(w);
}

int main(void)
{
    test_widths();
    test_narrow_and_threshold();
    test_random();
    test_moves_and_refresh();
    test_zoom();
    test_scroll_and_invert();
    test_depth_limit();
    test_family();
    test_wide_kept_equals_fresh();
    ui_mtree_free(&shown);
    return check_report("ui_flame");
}
