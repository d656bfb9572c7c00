/* SPDX-License-Identifier: MIT */
/* Unit tests of the live view's model: comparators, the windowed sort
 * against a full sort, filter and threshold counts, and a selection that
 * stays on its row across updates and re-sorts. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ui_model.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define NAMES 64
static char names[NAMES][16];
static const char *files[] = {"/a/alpha.py", "/b/beta.py", "/c/gamma.py", "<frozen abc>"};

/* n rows with random counts from a small range (many ties) and names. */
static struct ui_row *make_rows(size_t n, uint64_t spread)
{
    struct ui_row *rows = calloc(n ? n : 1, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        uint64_t own = next_random() % spread;
        rows[i] = (struct ui_row){
            .func = (uint32_t)i, .line = -1, .hot_line = (int32_t)(next_random() % 50),
            .own = own, .total = own + next_random() % spread,
            .name = names[next_random() % NAMES], .file = files[next_random() % 4],
        };
    }
    return rows;
}

/* The reference order: a full sort with the same comparator. */
static const struct ui_row *ref_rows;
static const struct ui_model_params *ref_params;

static int ref_compare(const void *a, const void *b)
{
    return ui_model_compare(&ref_rows[*(const uint32_t *)a], &ref_rows[*(const uint32_t *)b], ref_params);
}

static uint32_t *reference(const struct ui_row *rows, size_t n, const struct ui_model_params *p)
{
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    ref_rows = rows;
    ref_params = p;
    qsort(idx, n, sizeof *idx, ref_compare);
    return idx;
}

/* Every row of the window is the reference row of the same rank. */
static void check_window(const struct ui_model *m, const uint32_t *ref, const char *what)
{
    for (size_t i = 0; i < ui_model_window(m); i++) {
        const struct ui_row *r = ui_model_row(m, i);
        check(r == &m->rows[ref[m->top + i]], "%s: rank %zu is row %u, expected %u", what, m->top + i,
              r->func, ref[m->top + i]);
    }
    if (m->nvis) {
        check(m->sel >= m->top && m->sel < m->top + m->height, "%s: selection outside the window", what);
        check(ui_model_selected(m) == &m->rows[ref[m->sel]], "%s: selected row is not rank %zu", what, m->sel);
    }
}

static void test_compare(void)
{
    struct ui_row a = {.func = 1, .line = -1, .own = 5, .total = 9, .name = "b", .file = "x.py", .hot_line = 3};
    struct ui_row b = {.func = 2, .line = -1, .own = 5, .total = 7, .name = "a", .file = "y.py", .hot_line = 1};
    struct ui_model_params p = {.key = UI_SORT_OWN};
    check(ui_model_compare(&a, &b, &p) < 0, "own tie: more total first");
    p.reversed = 1;
    check(ui_model_compare(&a, &b, &p) > 0, "reversed own");
    p = (struct ui_model_params){.key = UI_SORT_NAME};
    check(ui_model_compare(&a, &b, &p) > 0, "name: a before b");
    check(ui_model_compare(&a, &a, &p) == 0, "a row equals itself");
    p.key = UI_SORT_LOCATION;
    check(ui_model_compare(&a, &b, &p) < 0, "location: x.py before y.py");
    b.file = "x.py";
    check(ui_model_compare(&a, &b, &p) > 0, "location: same file, line 1 before 3");
    /* Equal keys: the tiebreak by name is not reversed. */
    struct ui_row c = a, d = a;
    c.name = "c", c.func = 3;
    d.name = "d", d.func = 4;
    p = (struct ui_model_params){.key = UI_SORT_OWN, .reversed = 1};
    check(ui_model_compare(&c, &d, &p) < 0, "tiebreak by name ascending even when reversed");
    d.name = "c";
    check(ui_model_compare(&c, &d, &p) < 0, "last tiebreak: function id");
}

static void test_windows_match_full_sort(void)
{
    static const size_t sizes[] = {0, 1, 2, 3, 17, 100, 1000, 5000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int key = UI_SORT_OWN; key <= UI_SORT_LOCATION; key++) {
            size_t n = sizes[s];
            struct ui_row *rows = make_rows(n, s % 2 ? 4 : 1000);
            struct ui_model_params p = {.key = (enum ui_sort_key)key, .reversed = (int)(n % 2), .filter = ""};
            uint32_t *ref = reference(rows, n, &p);
            struct ui_model m;
            ui_model_init(&m);
            size_t height = 1 + next_random() % 40;
            check(ui_model_update(&m, rows, n, 100, &p, height) == 0, "update");
            check(m.nvis == n && m.matched == n && m.below == 0, "no filter: all %zu rows shown", n);
            check_window(&m, ref, "first window");
            for (int step = 0; step < 30 && n; step++) {
                long delta = (long)(next_random() % (2 * n + 1)) - (long)n;
                ui_model_move(&m, delta);
                check_window(&m, ref, "after a move");
            }
            ui_model_move(&m, LONG_MAX);
            check(n == 0 || m.sel == n - 1, "End: last row (%zu of %zu)", m.sel, n);
            check_window(&m, ref, "at the end");
            ui_model_move(&m, LONG_MIN);
            check(m.sel == 0 && m.top == 0, "Home: first row");
            free(ref);
            free(rows);
            ui_model_free(&m);
        }
    }
}

/* Sorted, reverse-sorted and all-equal inputs are the classic quicksort
 * killers: results must still be right (the heap-sort fallback). */
static void test_adversarial_orders(void)
{
    size_t n = 20000;
    struct ui_row *rows = calloc(n, sizeof *rows);
    for (int pattern = 0; pattern < 3; pattern++) {
        for (size_t i = 0; i < n; i++)
            rows[i] = (struct ui_row){.func = (uint32_t)i, .line = -1, .name = "same", .file = "f.py",
                                      .own = pattern == 0 ? i : pattern == 1 ? n - i : 7, .total = 7 + i % 3};
        struct ui_model_params p = {.key = UI_SORT_OWN, .filter = ""};
        uint32_t *ref = reference(rows, n, &p);
        struct ui_model m;
        ui_model_init(&m);
        ui_model_update(&m, rows, n, n, &p, 50);
        check_window(&m, ref, "adversarial first window");
        ui_model_move(&m, (long)n / 2);
        check_window(&m, ref, "adversarial middle window");
        free(ref);
        ui_model_free(&m);
    }
    free(rows);
}

static void test_filter_and_threshold(void)
{
    struct ui_row rows[] = {
        {.func = 0, .line = -1, .own = 50, .total = 60, .name = "hot_loop", .file = "/app/work.py"},
        {.func = 1, .line = -1, .own = 30, .total = 30, .name = "Parser.parse", .file = "/app/parse.py"},
        {.func = 2, .line = -1, .own = 1, .total = 1, .name = "tiny", .file = "/app/work.py"},
        {.func = 3, .line = -1, .own = 0, .total = 100, .name = "main", .file = "/app/main.py"},
    };
    struct ui_model m;
    ui_model_init(&m);
    struct ui_model_params p = {.key = UI_SORT_OWN, .threshold_pct = 5, .filter = ""};
    ui_model_update(&m, rows, 4, 100, &p, 10);
    check(m.nvis == 3 && m.below == 1 && m.matched == 4, "threshold 5%%: tiny hidden (%zu shown)", m.nvis);
    p.filter = "WORK";                  /* case-insensitive, matches the file too */
    ui_model_update(&m, rows, 4, 100, &p, 10);
    check(m.matched == 2 && m.nvis == 1 && m.below == 1, "filter on the file: %zu matched", m.matched);
    p.filter = "parse";
    p.threshold_pct = 0;
    ui_model_update(&m, rows, 4, 100, &p, 10);
    check(m.nvis == 1 && ui_model_selected(&m)->func == 1, "filter on the name");
    p.filter = "nothing matches";
    ui_model_update(&m, rows, 4, 100, &p, 10);
    check(m.nvis == 0 && ui_model_selected(&m) == NULL && ui_model_window(&m) == 0, "empty");
    ui_model_free(&m);
}

static void test_selection_is_stable(void)
{
    struct ui_row rows[] = {
        {.func = 0, .line = -1, .own = 50, .total = 60, .name = "a", .file = "f"},
        {.func = 1, .line = -1, .own = 40, .total = 70, .name = "b", .file = "f"},
        {.func = 2, .line = -1, .own = 30, .total = 80, .name = "c", .file = "f"},
        {.func = 3, .line = -1, .own = 20, .total = 90, .name = "d", .file = "f"},
    };
    struct ui_model m;
    ui_model_init(&m);
    struct ui_model_params p = {.key = UI_SORT_OWN, .filter = ""};
    ui_model_update(&m, rows, 4, 100, &p, 2);
    check(ui_model_selected(&m)->func == 0, "unpinned: the top row");
    rows[3].own = 99;                   /* d becomes hottest: the selection rides on the top */
    ui_model_update(&m, rows, 4, 100, &p, 2);
    check(ui_model_selected(&m)->func == 3, "unpinned follows the top row");
    check(ui_model_move(&m, 2) == 1, "moving past the window scrolls");
    check(ui_model_selected(&m)->func == 1 && m.sel == 2 && m.top == 1, "two down: b (rank 2)");
    check(ui_model_move(&m, -1) == 0, "moving inside the window does not scroll");
    check(ui_model_selected(&m)->func == 0, "one up: a");
    p.key = UI_SORT_TOTAL;              /* re-sort: a is now last */
    ui_model_update(&m, rows, 4, 100, &p, 2);
    check(ui_model_selected(&m)->func == 0 && m.sel == 3 && m.top == 2, "a followed to rank 3");
    rows[0].own = 1000;                 /* refresh with new counts: still a */
    p.key = UI_SORT_OWN;
    ui_model_update(&m, rows, 4, 100, &p, 2);
    check(ui_model_selected(&m)->func == 0 && m.sel == 0, "a followed to rank 0");
    p.filter = "b";                     /* a filtered out: the row at its rank */
    ui_model_update(&m, rows, 4, 100, &p, 2);
    check(ui_model_selected(&m)->func == 1, "the row now at the rank is selected");
    p.filter = "";
    ui_model_update(&m, rows, 4, 100, &p, 2);
    check(ui_model_selected(&m)->func == 1, "and stays selected after");
    ui_model_select(&m, (struct ui_row_id){.func = 2, .line = -1});
    check(ui_model_selected(&m)->func == 2, "ui_model_select");
    ui_model_free(&m);
}

int main(void)
{
    for (int i = 0; i < NAMES; i++)
        snprintf(names[i], sizeof names[i], "f%02d", (int)(next_random() % 40));
    test_compare();
    test_windows_match_full_sort();
    test_adversarial_orders();
    test_filter_and_threshold();
    test_selection_is_stable();
    return check_report("ui_model");
}
