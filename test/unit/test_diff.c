/* SPDX-License-Identifier: MIT */
/* Unit tests of the comparison (diff.h): shares now and in a baseline,
 * new and gone functions, one thread against the whole baseline, a
 * baseline's side made once, and the marks the flame graph colours by. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "diff.h"
#include "table.h"

/* root -> leaf, `n` samples, in thread th. */
static void add(struct table *t, uint32_t th, const char *leaf, const char *file, uint64_t n)
{
    struct frame_key fr[2] = {{table_intern_func(t, leaf, file), 3}, {table_intern_func(t, "main", "a.py"), 1}};
    CHECK(table_add_stack(t, th, fr, 2, n) == 0);
}

static const struct diff_row *row(const struct diff *d, const char *name, const char *file)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->rows[i].name, name) == 0 && strcmp(d->rows[i].file, file) == 0)
            return &d->rows[i];
    return NULL;
}

static int near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

int main(void)
{
    struct table *now = table_new(), *base = table_new();
    uint32_t a = table_thread(now, 1, "A"), b = table_thread(now, 2, "B"), z = table_thread(base, 9, "Z");
    add(now, a, "alpha", "a.py", 60);
    add(now, a, "beta", "a.py", 40);
    add(now, b, "work", "a.py", 100);
    add(now, b, "alpha", "b.py", 1);           /* another file: another function */
    add(base, z, "alpha", "a.py", 50);
    add(base, z, "gone", "a.py", 50);

    struct diff d;
    CHECK(diff_build(&d, now, base) == 0);
    CHECK_EQ(d.samples[0], 201);
    CHECK_EQ(d.samples[1], 100);
    const struct diff_row *r = row(&d, "alpha", "a.py");
    CHECK(r && r->status == 0 && near(r->total_pct[0], 6000.0 / 201) && near(r->total_pct[1], 50) &&
          near(r->change, 6000.0 / 201 - 50));
    CHECK((r = row(&d, "beta", "a.py")) && r->status == DIFF_NEW && r->total[1] == 0);
    CHECK((r = row(&d, "gone", "a.py")) && r->status == DIFF_GONE && r->own[0] == 0 && near(r->own_pct[1], 50));
    CHECK((r = row(&d, "alpha", "b.py")) && r->status == DIFF_NEW);
    CHECK(strcmp(d.rows[0].name, "gone") == 0);            /* by |change|: gone -50 first */
    for (size_t i = 1; i < d.n; i++)
        CHECKF(fabs(d.rows[i - 1].change) >= fabs(d.rows[i].change), "row %zu out of order", i);

    /* Thread A against the whole baseline: alpha grew to 60 %. */
    struct diff_base *side;
    struct diff t;
    CHECK(diff_base_new(base, &side) == 0);
    CHECK(diff_build_from(&t, now, a, side, 0) == 0 && t.by_key && t.samples[0] == 100 && t.samples[1] == 100);
    CHECK((r = row(&t, "alpha", "a.py")) && near(r->change, 10));
    CHECK(row(&t, "work", "a.py") == NULL);                  /* not in thread A, not in the baseline */
    for (size_t i = 1; i < t.n; i++)
        CHECKF(strcmp(t.rows[i - 1].name, t.rows[i].name) <= 0, "row %zu not by name", i);

    /* Marks by function id of `now`, from either order of rows. */
    size_t n = table_func_count(now);
    signed char marks[16];
    CHECK(n <= sizeof marks);
    uint32_t alpha = table_intern_func(now, "alpha", "a.py"), beta = table_intern_func(now, "beta", "a.py");
    uint32_t mainf = table_intern_func(now, "main", "a.py");
    CHECK(diff_marks(&t, now, 0.5, marks, n) == 0);
    CHECK(marks[alpha] == DIFF_MARK_GROWN && marks[beta] == DIFF_MARK_SAME && marks[mainf] == DIFF_MARK_SAME);
    CHECK(diff_marks(&d, now, 0.5, marks, n) == 0);
    CHECK(marks[alpha] == DIFF_MARK_SHRUNK);
    CHECK(diff_marks(&d, now, 30, marks, n) == 0);           /* -20 pp is under 30: grey */
    CHECK(marks[alpha] == DIFF_MARK_SAME);

    diff_free(&t);
    diff_base_free(side);
    diff_free(&d);
    table_free(now);
    table_free(base);
    return check_report("diff");
}
