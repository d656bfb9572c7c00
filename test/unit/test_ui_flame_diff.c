/* SPDX-License-Identifier: MIT */
/* Unit tests of the flame graph's --diff colours (ui_flame_diff.c): on
 * random profiles (functions sharing a name and file, functions in only
 * one profile, several threads), after each batch of new stacks and new
 * functions, its marks equal diff_marks() of diff_build_from() for every
 * thread and for all threads, with some functions grown, some shrunk, and
 * its rows equal diff_build_from()'s by the change, field for field, new
 * and gone functions among them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diff.h"
#include "table.h"
#include "ui_flame_diff.h"

#define NTHREADS 3
#define MAXD 8

static uint64_t rng = 0x13198A2E03707344ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 33) % n;
}

/* Functions named f<i % 20> in one of 2 files (so some share a
 * name and file: told apart by their first line), from id `from` on. */
static void intern(struct table *t, int from, int to, const char *tag)
{
    char name[32], file[32];
    for (int i = from; i < to; i++) {
        snprintf(name, sizeof name, "%sf%d", i % 7 == 0 ? tag : "", i % 20);
        snprintf(file, sizeof file, "/w/m%d.py", i % 2);
        table_intern_func_at(t, name, file, 1 + i);
    }
}

/* Random stacks over functions [0, nf) skewed by `skew`. */
static void feed(struct table *t, int nf, int count, int skew)
{
    struct frame_key fr[MAXD];
    for (int i = 0; i < count; i++) {
        int d = 1 + (int)rnd(MAXD);
        for (int k = 0; k < d; k++) {
            uint32_t f = rnd((uint32_t)nf);
            if (skew && rnd(3) == 0)
                f = f % 5;
            fr[k] = (struct frame_key){.func = f, .line = 1 + (int32_t)rnd(4)};
        }
        table_add_stack(t, table_thread(t, 100 + rnd(NTHREADS), "th"), fr, d, 1 + rnd(3));
    }
}

static int compare(struct ui_flame_diff *fd, const struct table *now, const struct table *base, uint32_t thread,
                   size_t *grown, size_t *shrunk, size_t *rows, size_t *news, size_t *gones)
{
    size_t n = table_func_count(now);
    signed char *want = malloc(n + 1), *got = malloc(n + 1);
    struct diff d = {0};
    struct diff_base *b = NULL;
    int bad = !want || !got || diff_base_new(base, &b) < 0 || diff_build_from(&d, now, thread, b, 0) < 0 ||
              diff_marks(&d, now, 0.5, want, n) < 0 || ui_flame_diff_marks(fd, now, thread, base, 0.5, got, n) < 0;
    for (size_t f = 0; !bad && f < n; f++) {
        bad |= want[f] != got[f];
        *grown += want[f] == DIFF_MARK_GROWN;
        *shrunk += want[f] == DIFF_MARK_SHRUNK;
    }
    /* The rows: diff_build_from by the change, field for field. */
    struct diff e = {0}, r = {0};
    bad |= diff_build_from(&e, now, thread, b, 1) < 0 || ui_flame_diff_rows(fd, now, thread, base, &r) < 0;
    bad |= e.n != r.n || e.samples[0] != r.samples[0] || e.samples[1] != r.samples[1];
    for (size_t i = 0; !bad && i < e.n; i++) {
        const struct diff_row *x = &e.rows[i], *y = &r.rows[i];
        bad |= strcmp(x->name, y->name) != 0 || strcmp(x->file, y->file) != 0 || x->status != y->status ||
               x->change != y->change;
        for (int side = 0; side < 2; side++)
            bad |= x->own[side] != y->own[side] || x->total[side] != y->total[side] ||
                   x->own_pct[side] != y->own_pct[side] || x->total_pct[side] != y->total_pct[side];
        *rows += 1;
        *news += x->status == DIFF_NEW;
        *gones += x->status == DIFF_GONE;
    }
    diff_free(&e);
    diff_free(&r);
    diff_free(&d);
    diff_base_free(b);
    free(want);
    free(got);
    return bad;
}

int main(void)
{
    struct table *base = table_new(), *now = table_new();
    struct ui_flame_diff fd;
    ui_flame_diff_init(&fd);
    if (!base || !now)
        return 1;
    intern(base, 0, 60, "old_");
    feed(base, 60, 3000, 0);
    int nf = 50;
    intern(now, 0, nf, "new_");
    size_t bad = 0, rounds = 0, grown = 0, shrunk = 0, rows = 0, news = 0, gones = 0;
    for (int round = 0; round < 12; round++) {
        if (round % 4 == 3) {                      /* new functions now and then */
            intern(now, nf, nf + 10, "new_");
            nf += 10;
        }
        feed(now, nf, 400, round % 2);
        for (uint32_t th = 0; th <= NTHREADS; th++) {
            uint32_t thread = th == NTHREADS ? TABLE_NONE : th;
            if (thread != TABLE_NONE && thread >= table_thread_count(now))
                continue;
            bad += (size_t)compare(&fd, now, base, thread, &grown, &shrunk, &rows, &news, &gones);
            rounds++;
        }
    }
    CHECK(rounds >= 40);
    CHECK(grown > 10 && shrunk > 10);
    CHECK(rows > 1000 && news > 10 && gones > 10);
    CHECK_EQ(bad, 0);
    ui_flame_diff_free(&fd);
    table_free(now);
    table_free(base);
    return check_report("test_ui_flame_diff");
}
