/* SPDX-License-Identifier: MIT */
/* Unit tests of the recorder (walked stacks into the table) on synthetic
 * walker results: failed stacks keep their thread's share as one
 * [unreadable] frame counted per reason, cut stacks get [truncated], and
 * thread labels follow renames whether or not a thread is sampled. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codecache.h"
#include "error.h"
#include "nmerge.h"
#include "record.h"
#include "table.h"
#include "taskwalk.h"
#include "walker.h"

#define NTHREADS 4
#define ROUNDS 20000

struct labels {
    const char *name[NTHREADS];  /* by tid - 100 */
    int calls, first_calls;
};

/* Names from l->name; NULL means "not known now: keep the label". */
static int label(void *arg, const struct walk_stack *ws, int first, char *buf, size_t cap)
{
    struct labels *l = arg;
    l->calls++;
    l->first_calls += first;
    const char *name = l->name[ws->tid - 100];
    if (!name)
        return 0;
    snprintf(buf, cap, "%s", name);
    return 1;
}

static struct code_entry code[3] = {
    { .name = "main", .file = "app.py", .firstlineno = 1, .user = UINT32_MAX },
    { .name = "recurse", .file = "app.py", .firstlineno = 8, .user = UINT32_MAX },
    { .name = "spin", .file = "app.py", .user = UINT32_MAX },     /* first line 0: not plausible */
};

/* Thread i's stack in round r: thread 0 recurses (main, recurse x k) and
 * fails in 3 rounds of 10, for a reason that cycles through all four;
 * the others spin (main, spin). */
static void make_stack(struct walk_stack *ws, struct walk_frame *fr, int i, int r)
{
    *ws = (struct walk_stack){ .ident = 0x1000 + (uint64_t)i, .tid = 100 + (uint64_t)i,
                               .frames = fr };
    if (i == 0 && r % 10 < 3) {
        ws->failed = 1;
        ws->why = (enum walk_fail)(WALK_FAIL_TORN + r / 10 % 4);
        return;
    }
    int k = i == 0 ? 1 + r % 7 : 1;
    for (int d = 0; d < k; d++)
        fr[d] = (struct walk_frame){ .code = &code[i == 0 ? 1 : 2], .line = 10 + d };
    fr[k] = (struct walk_frame){ .code = &code[0], .line = 3 };
    ws->depth = k + 1;
}

/* Code entries remember their table id (code_entry.user): a new table
 * needs fresh entries, as the sampler has one table per code cache. */
static void forget_ids(void)
{
    for (size_t i = 0; i < sizeof code / sizeof code[0]; i++)
        code[i].user = UINT32_MAX;
}

static int count_unreadable(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                            uint64_t count)
{
    uint64_t *per = arg;
    (void)frames;
    if (depth == 1 && thread < NTHREADS && per[NTHREADS] == frames[0].func)
        per[thread] += count;
    return 0;
}

static void test_shares_with_failures(void)
{
    forget_ids();
    struct table *t = table_new();
    struct labels l = { .name = { "MainThread", "w1", "w2", "w3" } };
    struct recorder *r = recorder_new(t, label, &l);
    CHECK(r != NULL);
    struct walk_frame fr[16];
    uint64_t added = 0;
    for (int round = 0; round < ROUNDS; round++)
        for (int i = 0; i < NTHREADS; i++) {
            struct walk_stack ws;
            make_stack(&ws, fr, i, round);
            added += recorder_add(r, &ws, NULL) == 1;
        }
    CHECK_EQ(added, (uint64_t)ROUNDS * NTHREADS);
    CHECK_EQ(table_samples(t), (uint64_t)ROUNDS * NTHREADS);
    for (uint32_t th = 0; th < NTHREADS; th++) {
        double share = (double)table_thread_samples(t, th) / (double)table_samples(t);
        CHECK(share > 0.25 - 0.03 && share < 0.25 + 0.03);
        CHECK_EQ(table_thread_samples(t, th), ROUNDS);   /* exactly one per round */
    }
    uint32_t main_th = table_thread_find(t, 100);
    CHECK_EQ(table_thread_failed(t, main_th, WALK_OK), ROUNDS * 3 / 10);
    for (int why = WALK_FAIL_TORN; why < WALK_FAIL_COUNT; why++)
        CHECK_EQ(table_thread_failed(t, main_th, (enum walk_fail)why), ROUNDS * 3 / 10 / 4);
    CHECK_EQ(table_thread_failed(t, table_thread_find(t, 101), WALK_OK), 0);
    /* The failures are in the stacks as the single frame [unreadable]. */
    uint64_t per[NTHREADS + 1] = { 0 };
    per[NTHREADS] = table_intern_func(t, TABLE_UNREADABLE, "");
    CHECK_EQ(table_foreach_stack(t, count_unreadable, per), 0);
    CHECK_EQ(per[main_th], ROUNDS * 3 / 10);
    CHECK_EQ(per[table_thread_find(t, 102)], 0);
    CHECK(strcmp(table_thread_name(t, main_th), "MainThread") == 0);
    CHECK_EQ(l.first_calls, NTHREADS);   /* labelled once each, when first seen */
    CHECK_EQ(l.calls, NTHREADS);
    recorder_free(r);
    table_free(t);
}

/* What the same rounds would give if failed stacks were dropped: the
 * recursing thread's share falls, which is the bias the recorder avoids. */
static void test_dropping_would_bias(void)
{
    uint64_t kept[NTHREADS] = { 0 }, all = 0;
    struct walk_frame fr[16];
    for (int round = 0; round < ROUNDS; round++)
        for (int i = 0; i < NTHREADS; i++) {
            struct walk_stack ws;
            make_stack(&ws, fr, i, round);
            kept[i] += !ws.failed;
            all += !ws.failed;
        }
    CHECK((double)kept[0] / (double)all < 0.25 - 0.03);
}

static void test_labels_and_markers(void)
{
    forget_ids();
    struct table *t = table_new();
    struct labels l = { .name = { "MainThread", "python3.12", "w2", "w3" } };
    struct recorder *r = recorder_new(t, label, &l);
    struct walk_frame fr[WALK_MAX_DEPTH];
    struct walk_stack ws = { .tid = 101, .ident = 1, .frames = fr };

    CHECK_EQ(recorder_add(r, &ws, NULL), 0);             /* no frame, not failed: no sample */
    CHECK_EQ(table_samples(t), 0);
    ws.failed = 1;                                 /* failed without a reason: corrupt */
    CHECK_EQ(recorder_add(r, &ws, NULL), 1);
    uint32_t th = table_thread_find(t, 101);
    CHECK_EQ(table_thread_failed(t, th, WALK_FAIL_CORRUPT), 1);
    CHECK(strcmp(table_thread_name(t, th), "python3.12") == 0);

    /* Renamed: the label changes at the next record after names changed. */
    l.name[1] = "napper";
    ws = (struct walk_stack){ .tid = 101, .ident = 1, .frames = fr, .depth = 1 };
    fr[0] = (struct walk_frame){ .code = &code[2], .line = 5 };
    CHECK_EQ(recorder_add(r, &ws, NULL), 1);
    CHECK(strcmp(table_thread_name(t, th), "python3.12") == 0);
    recorder_names_changed(r);
    CHECK_EQ(recorder_add(r, &ws, NULL), 1);
    CHECK(strcmp(table_thread_name(t, th), "napper") == 0);

    /* Renamed again: once per names generation, however often recorded. */
    l.name[1] = "renamed";
    recorder_names_changed(r);
    CHECK_EQ(recorder_add(r, &ws, NULL), 1);
    CHECK(strcmp(table_thread_name(t, th), "renamed") == 0);
    int calls = l.calls;
    CHECK_EQ(recorder_add(r, &ws, NULL), 1);       /* labelled in this generation already */
    CHECK_EQ(l.calls, calls);

    /* A name that cannot be found now leaves the label as it is. */
    l.name[1] = NULL;
    recorder_names_changed(r);
    CHECK_EQ(recorder_add(r, &ws, NULL), 1);
    CHECK(strcmp(table_thread_name(t, th), "renamed") == 0);

    /* A cut stack gets [truncated] at its root end. */
    for (int d = 0; d < WALK_MAX_DEPTH; d++)
        fr[d] = (struct walk_frame){ .code = &code[1], .line = d };
    ws.depth = WALK_MAX_DEPTH;
    ws.truncated = 1;
    CHECK_EQ(recorder_add(r, &ws, NULL), 1);
    struct flat_view v;
    CHECK_EQ(table_flat(t, th, 0, &v), 0);
    uint32_t cut = table_intern_func(t, RECORD_TRUNCATED, "");
    int found = 0;
    for (size_t i = 0; i < v.n; i++)
        found += v.rows[i].func == cut && v.rows[i].total == 1 && v.rows[i].own == 0;
    CHECK_EQ(found, 1);
    flat_view_free(&v);
    recorder_free(r);
    table_free(t);
}

/* Code objects' first lines reach the table: two of one name in one file
 * (before 3.11, co_name of two classes' "run") stay apart, an implausible
 * first line is unknown, and the markers have none. */
static void test_first_lines(void)
{
    forget_ids();
    struct table *t = table_new();
    struct labels l = { .name = { "MainThread", "w1", "w2", "w3" } };
    struct recorder *r = recorder_new(t, label, &l);
    struct code_entry runs[3] = {
        { .name = "run", .file = "app.py", .firstlineno = 20, .user = UINT32_MAX },
        { .name = "run", .file = "app.py", .firstlineno = 30, .user = UINT32_MAX },
        { .name = "run", .file = "app.py", .firstlineno = TABLE_LINE_MAX, .user = UINT32_MAX },
    };
    struct walk_frame fr[WALK_MAX_DEPTH];
    struct walk_stack ws = { .tid = 100, .ident = 1, .frames = fr, .depth = 3 };
    fr[0] = (struct walk_frame){ .code = &runs[0], .line = 21 };
    fr[1] = (struct walk_frame){ .code = &runs[1], .line = 31 };
    fr[2] = (struct walk_frame){ .code = &code[0], .line = 3 };
    CHECK_EQ(recorder_add(r, &ws, NULL), 1);
    fr[0] = (struct walk_frame){ .code = &runs[2], .line = 5 };
    fr[1] = (struct walk_frame){ .code = &code[2], .line = 6 };
    CHECK_EQ(recorder_add(r, &ws, NULL), 1);
    CHECK(runs[0].user != runs[1].user && runs[0].user != runs[2].user && runs[1].user != runs[2].user);
    CHECK_EQ(table_func_first_line(t, runs[0].user), 20);
    CHECK_EQ(table_func_first_line(t, runs[1].user), 30);
    CHECK_EQ(table_func_first_line(t, runs[2].user), -1);
    CHECK_EQ(table_func_first_line(t, code[0].user), 1);
    CHECK_EQ(table_func_first_line(t, code[2].user), -1);
    CHECK(strcmp(table_func_name(t, runs[1].user), "run") == 0);
    ws.failed = 1;
    CHECK_EQ(recorder_add(r, &ws, NULL), 1);
    CHECK_EQ(table_func_first_line(t, table_intern_func(t, TABLE_UNREADABLE, "")), -1);
    CHECK_EQ(table_func_first_line(t, table_intern_func(t, RECORD_TRUNCATED, "")), -1);
    recorder_free(r);
    table_free(t);
}

/* The thread's state picks the metric; [gc] goes innermost; a GIL wait is
 * counted; memory bytes land on the same stack in their own metric. */
static void test_states(void)
{
    forget_ids();
    struct table *t = table_new();
    struct labels l = { .name = { "MainThread", "w1", "w2", "w3" } };
    struct recorder *r = recorder_new(t, label, &l);
    struct walk_frame fr[2] = { { .code = &code[0], .line = 3 }, { .code = &code[1], .line = 4 } };
    struct walk_stack ws = { .tid = 100, .ident = 1, .frames = fr, .depth = 2, .gil = 1 };
    struct record_state st = { .on_cpu = 1, .rss_delta = 4096 };
    CHECK_EQ(recorder_add(r, &ws, &st), 1);
    uint32_t th = table_thread_find(t, 100);
    CHECK_EQ(table_thread_metric(t, th, TABLE_M_CPU_GIL), 1);
    CHECK_EQ(table_thread_metric(t, th, TABLE_M_ALLOC), 4096);
    CHECK_EQ(table_samples(t), 1);                 /* bytes are no sample */
    st = (struct record_state){ .on_cpu = 0, .rss_delta = -100 };
    ws.gil = 0;
    ws.gil_wait = 1;
    CHECK_EQ(recorder_add(r, &ws, &st), 1);
    CHECK_EQ(table_thread_metric(t, th, TABLE_M_IDLE), 1);
    CHECK_EQ(table_thread_metric(t, th, TABLE_M_FREED), 100);
    CHECK_EQ(table_thread_gil_waits(t, th), 1);
    ws.gil_wait = 0;
    ws.gil = -1;
    CHECK_EQ(recorder_add(r, &ws, NULL), 1);
    CHECK_EQ(table_thread_metric(t, th, TABLE_M_ANY), 1);
    ws.gil = 1;
    ws.gc = 1;
    st = (struct record_state){ .on_cpu = 1 };
    CHECK_EQ(recorder_add(r, &ws, &st), 1);
    struct flat_view v;
    CHECK_EQ(table_flat(t, th, 0, &v), 0);
    uint32_t gc = table_intern_func(t, RECORD_GC, "");
    int found = 0;
    for (size_t i = 0; i < v.n; i++)
        found += v.rows[i].func == gc && v.rows[i].own == 1 && v.rows[i].total == 1;
    CHECK_EQ(found, 1);
    flat_view_free(&v);
    /* A failed stack keeps its state and its bytes. */
    ws = (struct walk_stack){ .tid = 100, .ident = 1, .frames = fr, .failed = 1,
                              .why = WALK_FAIL_TORN, .gil = 1 };
    st = (struct record_state){ .on_cpu = 1, .rss_delta = 10 };
    CHECK_EQ(recorder_add(r, &ws, &st), 1);
    CHECK_EQ(table_thread_metric(t, th, TABLE_M_CPU_GIL), 3);
    CHECK_EQ(table_thread_metric(t, th, TABLE_M_ALLOC), 4106);
    CHECK_EQ(table_thread_failed(t, th, WALK_FAIL_TORN), 1);
    recorder_free(r);
    table_free(t);
}

/* Stacks of a table as "count:root;...;leaf" lines, in
 * table_foreach_stack order. */
struct stacks_text {
    const struct table *t;
    char buf[4096];
    size_t len;
};

static int stack_line(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                      uint64_t count)
{
    (void)thread;
    struct stacks_text *s = arg;
    s->len += (size_t)snprintf(s->buf + s->len, sizeof s->buf - s->len, "%llu:",
                               (unsigned long long)count);
    for (int d = 0; d < depth && s->len < sizeof s->buf; d++)
        s->len += (size_t)snprintf(s->buf + s->len, sizeof s->buf - s->len, "%s%s", d ? ";" : "",
                                   table_func_name(s->t, frames[d].func));
    if (s->len < sizeof s->buf)
        s->len += (size_t)snprintf(s->buf + s->len, sizeof s->buf - s->len, "\n");
    return s->len >= sizeof s->buf;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The lines sorted (the order of table_foreach_stack is not the point). */
static void stacks_of(const struct table *t, struct stacks_text *s)
{
    memset(s, 0, sizeof *s);
    s->t = t;
    CHECK_EQ(table_foreach_stack(t, stack_line, s), 0);
    char copy[sizeof s->buf], *line[64];
    size_t n = 0;
    memcpy(copy, s->buf, sizeof copy);
    for (char *p = strtok(copy, "\n"); p && n < 64; p = strtok(NULL, "\n"))
        line[n++] = p;
    qsort(line, n, sizeof line[0], by_text);
    s->len = 0;
    for (size_t i = 0; i < n; i++)
        s->len += (size_t)snprintf(s->buf + s->len, sizeof s->buf - s->len, "%s\n", line[i]);
}

#define CHECK_STR(a, b) CHECKF(strcmp((a), (b)) == 0, "got:\n%s\nwanted:\n%s", (a), (b))

/* A replica of t showing the task stacks (tasks set) or the threads'. */
static struct table *replica_of(struct table *t, int tasks)
{
    struct table *r = table_new();
    table_set_tasks(r, tasks);
    CHECK_EQ(table_sync_copy(r, t), 0);
    table_sync_apply(r);
    return r;
}

/* A replica of t in mode m, as a sorted text of its stacks. */
static void stacks_in(struct table *t, enum table_mode m, struct stacks_text *s)
{
    struct table *r = table_new();
    CHECK_EQ(table_set_mode(r, m), 0);
    CHECK_EQ(table_sync_copy(r, t), 0);
    table_sync_apply(r);
    stacks_of(r, s);
    table_free(r);
}

/* Memory that changed in a round with no owner goes to the last owner's
 * stack (not to the next one's, nor to one not marked as the owner); to
 * its [unreadable] when that stack failed; nowhere when no owner is known
 * since the table's reset. */
static void test_unowned_memory(void)
{
    forget_ids();
    struct table *t = table_new();
    struct labels l = { .name = { "MainThread", "w1", "w2", "w3" } };
    struct recorder *r = recorder_new(t, label, &l);
    CHECK_EQ(recorder_add_unowned(r, -100), 0);            /* no owner seen yet */
    struct walk_frame a[2] = { { .code = &code[1], .line = 9 }, { .code = &code[0], .line = 3 } };
    struct walk_frame b[2] = { { .code = &code[2], .line = 5 }, { .code = &code[0], .line = 4 } };
    struct walk_stack ws = { .tid = 100, .ident = 1, .frames = a, .depth = 2, .gil = 1 };
    struct record_state st = { .on_cpu = 1, .mem_owner = 1 };
    CHECK_EQ(recorder_add(r, &ws, &st), 1);
    ws = (struct walk_stack){ .tid = 101, .ident = 2, .frames = b, .depth = 2, .gil = 0 };
    st = (struct record_state){ .on_cpu = 1 };
    CHECK_EQ(recorder_add(r, &ws, &st), 1);                /* on a CPU, not the owner */
    CHECK_EQ(recorder_add_unowned(r, -500), 1);
    CHECK_EQ(recorder_add_unowned(r, 0), 0);
    struct stacks_text s;
    stacks_in(t, TABLE_MODE_RELEASED, &s);
    CHECK_STR(s.buf, "500:main;recurse\n");
    /* a later owner takes over; a failed one leaves [unreadable] */
    ws = (struct walk_stack){ .tid = 101, .ident = 2, .frames = b, .depth = 2, .gil = 1 };
    st = (struct record_state){ .on_cpu = 1, .mem_owner = 1 };
    CHECK_EQ(recorder_add(r, &ws, &st), 1);
    CHECK_EQ(recorder_add_unowned(r, 300), 1);
    ws.failed = 1;
    ws.why = WALK_FAIL_TORN;
    CHECK_EQ(recorder_add(r, &ws, &st), 1);
    CHECK_EQ(recorder_add_unowned(r, 70), 1);
    stacks_in(t, TABLE_MODE_MEMORY, &s);
    CHECK_STR(s.buf, "300:main;spin\n70:[unreadable]\n");
    CHECK_EQ(table_thread_metric(t, table_thread_find(t, 101), TABLE_M_ALLOC), 370);
    CHECK_EQ(table_thread_metric(t, table_thread_find(t, 100), TABLE_M_FREED), 500);
    /* a reset forgets the owner */
    table_reset(t);
    CHECK_EQ(recorder_add_unowned(r, 10), 0);
    CHECK_EQ(table_thread_metric(t, table_thread_find(t, 101), TABLE_M_ALLOC), 0);
    recorder_free(r);
    table_free(t);
}

/* Task stacks: a running task is the part of its thread's stack down to
 * its coroutine's frame, a suspended one its chain; each under
 * "[task NAME]" and under the task that awaits it; a task whose frame is
 * not on the thread's stack, or that failed, is one [unreadable]; an
 * await cycle ends at the repeat; the thread's own stacks and the task
 * stacks are apart (table_set_tasks). */
static void test_tasks(void)
{
    forget_ids();
    static struct code_entry c[6] = {
        { .name = "inner", .file = "app.py", .user = UINT32_MAX },
        { .name = "child", .file = "app.py", .user = UINT32_MAX },
        { .name = "_run_once", .file = "base_events.py", .user = UINT32_MAX },
        { .name = "main", .file = "app.py", .user = UINT32_MAX },
        { .name = "handler", .file = "app.py", .user = UINT32_MAX },
        { .name = "fetch", .file = "app.py", .user = UINT32_MAX },
    };
    struct table *t = table_new();
    struct labels l = { .name = { "MainThread", "w1", "w2", "w3" } };
    struct recorder *r = recorder_new(t, label, &l);
    struct walk_frame fr[4] = { { .code = &c[0], .line = 1, .frame = 0xA0 },
                                { .code = &c[1], .line = 2, .frame = 0xB0 },
                                { .code = &c[2], .line = 3, .frame = 0xC0 },
                                { .code = &c[3], .line = 4, .frame = 0xD0 } };
    struct walk_stack ws = { .tid = 100, .ident = 1, .frames = fr, .depth = 4, .gil = 1 };
    struct record_state st = { .on_cpu = 1 };
    CHECK_EQ(recorder_add(r, &ws, &st), 1);
    struct walk_frame hf[1] = { { .code = &c[4], .line = 20 } };
    struct walk_frame ff[1] = { { .code = &c[5], .line = 30 } };
    struct task_sample ts[6] = {
        { .task = 0x10, .thread_ident = 1, .depth = 1, .frames = hf, .name = "handler" },
        { .task = 0x20, .thread_ident = 1, .running = 1, .coro_frame = 0xB0, .awaited_by = 0x10,
          .name = "child-1" },
        { .task = 0x30, .thread_ident = 1, .depth = 1, .frames = ff, .awaited_by = 0x10,
          .name = "child-2" },
        { .task = 0x40, .thread_ident = 1, .running = 1, .coro_frame = 0xEE, .name = "gone" },
        { .task = 0x50, .thread_ident = 1, .depth = 1, .frames = ff, .awaited_by = 0x60,
          .name = "cyc-a" },
        { .task = 0x60, .thread_ident = 1, .depth = 1, .frames = hf, .awaited_by = 0x50,
          .name = "cyc-b" },
    };
    const struct task_sample *tp[6];
    const struct walk_stack *wp[6];
    struct record_state sp[6];
    for (int i = 0; i < 6; i++) {
        ts[i].weight = 1;
        tp[i] = &ts[i];
        wp[i] = &ws;
        sp[i] = st;
    }
    struct record_tasks set = { .tasks = tp, .threads = wp, .states = sp, .n = 6 };
    for (int i = 0; i < 6; i++)
        CHECK_EQ(recorder_add_task(r, &set, i), 1);
    CHECK(table_has_tasks(t));
    struct table *threads = replica_of(t, 0), *tasks = replica_of(t, 1);
    CHECK_EQ(table_samples(threads), 1);
    CHECK_EQ(table_samples(tasks), 6);
    struct stacks_text s;
    stacks_of(threads, &s);
    CHECK_STR(s.buf, "1:main;_run_once;child;inner\n");
    stacks_of(tasks, &s);
    CHECK_STR(s.buf, "1:[task cyc-a];fetch;[task cyc-b];handler\n"
                     "1:[task cyc-b];handler;[task cyc-a];fetch\n"
                     "1:[task handler];handler\n"
                     "1:[task handler];handler;[task child-1];child;inner\n"
                     "1:[task handler];handler;[task child-2];fetch\n"
                     "1:[unreadable]\n");
    /* the running task in its thread's state, the suspended ones idle */
    uint32_t th = table_thread_find(tasks, 100);
    CHECK(th != TABLE_NONE && table_thread_is_tasks(tasks, th));
    CHECK_EQ(table_thread_metric(tasks, th, TABLE_M_CPU_GIL), 2);
    CHECK_EQ(table_thread_metric(tasks, th, TABLE_M_IDLE), 4);
    CHECK_EQ(table_thread_failed(tasks, th, WALK_FAIL_TORN), 1);
    CHECK_STR(table_thread_name(tasks, th), "MainThread");
    /* A task read in turn stands for the rounds since its last read. */
    ts[2].weight = 5;
    CHECK_EQ(recorder_add_task(r, &set, 2), 1);
    table_free(tasks);
    tasks = replica_of(t, 1);
    CHECK_EQ(table_samples(tasks), 11);
    CHECK_EQ(table_thread_metric(tasks, th, TABLE_M_IDLE), 9);
    /* An awaiter read for context only (weight 0) is no sample, but its
     * frames are above the task it awaits. */
    ts[0].weight = 0;
    CHECK_EQ(recorder_add_task(r, &set, 0), 0);
    ts[2].weight = 1;
    CHECK_EQ(recorder_add_task(r, &set, 2), 1);
    table_free(tasks);
    tasks = replica_of(t, 1);
    CHECK_EQ(table_samples(tasks), 12);
    /* A task that fails, read in turn: one failure per round it stands for. */
    ts[3].weight = 4;
    CHECK_EQ(recorder_add_task(r, &set, 3), 1);
    table_free(tasks);
    tasks = replica_of(t, 1);
    CHECK_EQ(table_samples(tasks), 16);
    CHECK_EQ(table_thread_failed(tasks, th, WALK_FAIL_TORN), 5);
    ts[3].weight = 1;
    stacks_of(tasks, &s);
    CHECKF(strstr(s.buf, "\n7:[task handler];handler;[task child-2];fetch\n") != NULL, "%s", s.buf);
    /* Waiting time owed since a suspended task's last read goes to the
     * stack that read found (its mark), idle; a running task leaves none. */
    uint64_t marks[6] = {0};
    for (int i = 0; i < 6; i++)
        ts[i].mark = &marks[i];
    CHECK_EQ(recorder_add_task(r, &set, 2), 1);
    CHECK_EQ(recorder_add_task(r, &set, 1), 1);
    CHECK(marks[2] != 0 && marks[1] == 0);
    CHECK_EQ(recorder_add_owed(r, marks[2], 10), 1);
    CHECK_EQ(recorder_add_owed(r, 0, 10), 0);
    CHECK_EQ(recorder_add_owed(r, (uint64_t)999 << 32 | 1, 10), 0);   /* no such thread */
    table_free(tasks);
    tasks = replica_of(t, 1);
    stacks_of(tasks, &s);
    CHECKF(strncmp(s.buf, "18:[task handler];handler;[task child-2];fetch\n", 47) == 0, "%s", s.buf);
    CHECK_EQ(table_thread_metric(tasks, th, TABLE_M_IDLE), 10 + 1 + 10);
    table_free(threads);
    table_free(tasks);
    recorder_free(r);
    table_free(t);
}

/* The stack of thread th (its last, when it has several) as
 * "name@file:line;..." leaf first, and which of its frames are native. */
struct one_stack {
    const struct table *t;
    uint32_t th;
    char text[1024];
    int native[16];
    uint64_t count;
};

static int one_stack_line(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                          uint64_t count)
{
    struct one_stack *o = arg;
    if (thread != o->th)
        return 0;
    size_t len = 0;
    o->text[0] = '\0';
    for (int d = 0; d < depth && len < sizeof o->text; d++) {   /* frames are root first */
        const struct frame_key *k = &frames[depth - 1 - d];
        len += (size_t)snprintf(o->text + len, sizeof o->text - len, "%s%s@%s:%d", d ? ";" : "",
                                table_func_name(o->t, k->func), table_func_file(o->t, k->func),
                                (int)k->line);
        if (d < 16)
            o->native[d] = table_func_is_native(o->t, k->func);
    }
    o->count += count;
    return 0;
}

static struct one_stack stack_of(const struct table *t, uint32_t th)
{
    struct one_stack o = {.t = t, .th = th};
    CHECK_EQ(table_foreach_stack(t, one_stack_line, &o), 0);
    return o;
}

/* recorder_add_native: the mixed stack goes to the thread's mixed record
 * (named like it, same metric), native frames as native functions (a
 * nameless one as BASENAME+0xOFFSET), Python ones as recorder_add keys
 * them; n 0 records ws's own frames, n < 0 one torn failure, a failed ws
 * its own failure; [gc] and [truncated] as in recorder_add; the Python
 * record is untouched by it. */
static void test_native(void)
{
    forget_ids();
    struct table *t = table_new();
    struct labels l = { .name = { "MainThread" } };
    struct recorder *r = recorder_new(t, label, &l);
    struct walk_frame fr[2] = { { .code = &code[2], .line = 5, .entry = 1 },
                                { .code = &code[0], .line = 3, .entry = 1 } };
    struct walk_stack ws = { .ident = 0x1000, .tid = 100, .depth = 2, .frames = fr, .gil = 1 };
    struct record_state st = { .on_cpu = 1 };
    struct nmerge_item items[4] = {
        { .native = { .name = "read", .module = "/lib/libc.so.6" } },
        { .py = &fr[0] },
        { .native = { .name = NULL, .module = "/usr/lib/libfoo.so", .offset = 0x1a2b } },
        { .py = &fr[1] },
    };
    CHECK_EQ(recorder_add(r, &ws, &st), 1);
    CHECK_EQ(recorder_add_native(r, &ws, &st, items, 4), 1);
    uint32_t py = table_thread_find(t, 100);
    uint32_t nat = table_native_thread_of(t, 0, 100, NULL);
    CHECK(py != TABLE_NONE && nat != TABLE_NONE && py != nat);
    CHECK(table_thread_is_native(t, nat) && !table_thread_is_native(t, py));
    CHECK(strcmp(table_thread_name(t, nat), "MainThread") == 0);
    CHECK_EQ(table_thread_samples(t, nat), 1);
    CHECK_EQ(table_thread_samples(t, py), 1);
    enum table_metric m = table_metric_of(1, 1);
    CHECK_EQ(table_thread_metric(t, nat, m), 1);
    CHECK_EQ(table_thread_metric(t, py, m), 1);
    struct one_stack o = stack_of(t, nat);
    CHECK_STR(o.text, "read@/lib/libc.so.6:-1;spin@app.py:5;libfoo.so+0x1a2b@/usr/lib/libfoo.so:-1;"
                      "main@app.py:3");
    CHECK(o.native[0] && !o.native[1] && o.native[2] && !o.native[3]);
    o = stack_of(t, py);
    CHECK_STR(o.text, "spin@app.py:5;main@app.py:3");
    /* No native sample this round: the Python stack, in the mixed record too. */
    CHECK_EQ(recorder_add_native(r, &ws, &st, NULL, 0), 1);
    CHECK_EQ(table_thread_samples(t, nat), 2);
    /* A refused merge: one torn failure, in the mixed record only. */
    CHECK_EQ(recorder_add_native(r, &ws, &st, NULL, ERR_CORRUPT), 1);
    CHECK_EQ(table_thread_failed(t, nat, WALK_FAIL_TORN), 1);
    CHECK_EQ(table_thread_failed(t, py, WALK_OK), 0);
    /* A failed stack is its own failure whatever the merge gave. */
    struct walk_stack bad = { .ident = 0x1000, .tid = 100, .failed = 1, .why = WALK_FAIL_READ };
    CHECK_EQ(recorder_add_native(r, &bad, &st, items, 4), 1);
    CHECK_EQ(table_thread_failed(t, nat, WALK_FAIL_READ), 1);
    /* No frames and no failure: no sample. */
    struct walk_stack none = { .ident = 0x1000, .tid = 100 };
    CHECK_EQ(recorder_add_native(r, &none, &st, items, 0), 0);
    CHECK_EQ(table_thread_samples(t, nat), 4);
    recorder_free(r);
    table_free(t);

    /* [gc] leaf-most, [truncated] root-most, on a fresh table. */
    forget_ids();
    t = table_new();
    r = recorder_new(t, label, &l);
    ws.gc = 1;
    ws.truncated = 1;
    CHECK_EQ(recorder_add_native(r, &ws, &st, items, 2), 1);
    o = stack_of(t, table_native_thread_of(t, 0, 100, NULL));
    CHECK_STR(o.text, "[gc]@:-1;read@/lib/libc.so.6:-1;spin@app.py:5;[truncated]@:-1");
    recorder_free(r);
    table_free(t);
}

int main(void)
{
    test_native();
    test_tasks();
    test_states();
    test_unowned_memory();
    test_shares_with_failures();
    test_dropping_would_bias();
    test_labels_and_markers();
    test_first_lines();
    return check_report("test_record");
}
