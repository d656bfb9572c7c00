/* SPDX-License-Identifier: MIT */
/* Unit tests of modes: a profile fed samples of every thread state (and
 * bytes of memory) is read through replicas in each mode, synced in steps
 * with the mode changed between them, and each replica's stacks, flat
 * rows, tree and per-thread counts are compared with a brute-force recount
 * of what was fed, restricted to the mode's metrics. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "profile.h"
#include "table.h"
#include "tree.h"

#define NFUNCS 6
#define NTASKS 2               /* the last functions are "[task NAME]" frames */
#define NTHREADS 5
#define MAXD 4
#define MAXFED 4000

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint32_t rnd(uint32_t n)
{
    return check_rand(&rng_state, n);
}

struct fed {
    uint32_t thread;
    int depth;
    uint32_t funcs[MAXD];      /* root first */
    enum table_metric metric;
    enum table_where where;    /* a sample on a CPU: where it ran, else TABLE_W_NONE */
    uint64_t weight;
};

static int with_where;         /* samples on a CPU say where they ran (from a later step on) */
static int fed_where;          /* some did */

static struct fed fed[MAXFED];
static int nfed;
static uint32_t func_ids[NFUNCS], thread_ids[NTHREADS];
static const uint32_t thread_pid[NTHREADS] = {10, 10, 20, 10, 10};   /* two processes */
/* The fourth is the asyncio task stacks of the first (table_task_thread_of),
 * the last its mixed native stacks (table_native_thread_of). */
enum { OWN, TASKS, NATIVE };
static const int thread_kind[NTHREADS] = {OWN, OWN, OWN, TASKS, NATIVE};
static const uint64_t thread_tid[NTHREADS] = {100, 101, 102, 100, 100};

/* A replica's scope: its process (0: all) and kind of stacks. */
struct scope {
    uint32_t pid;
    int tasks, native;
    uint32_t focus;            /* one task's stacks (table_set_task), TABLE_NONE: all */
};

/* The kind a replica shows (there are native stacks). */
static int shown(struct scope sc)
{
    return sc.tasks ? TASKS : sc.native ? NATIVE : OWN;
}

static int in_scope(uint32_t thread, struct scope sc)
{
    return (!sc.pid || thread_pid[thread] == sc.pid) && thread_kind[thread] == shown(sc);
}

/* The innermost task frame of a fed stack (root first), or TABLE_NONE. */
static uint32_t inner_task(const struct fed *f)
{
    for (int d = f->depth; d-- > 0;)
        if (f->funcs[d] >= func_ids[NFUNCS - NTASKS])
            return f->funcs[d];
    return TABLE_NONE;
}

/* Whether a fed sample is in a replica's scope, its task included. */
static int fed_in(const struct fed *f, struct scope sc)
{
    return in_scope(f->thread, sc) && (!sc.tasks || sc.focus == TABLE_NONE || inner_task(f) == sc.focus);
}

static void feed(struct profile *p, int n)
{
    struct table *t = profile_table(p);
    profile_lock(p);
    for (int i = 0; i < n && nfed < MAXFED; i++) {
        struct fed *f = &fed[nfed++];
        f->thread = thread_ids[rnd(NTHREADS)];
        f->depth = 1 + (int)rnd(MAXD);
        for (int d = 0; d < f->depth; d++)
            f->funcs[d] = func_ids[rnd(NFUNCS)];
        f->metric = (enum table_metric)rnd(TABLE_METRICS);
        f->weight = f->metric >= TABLE_M_ALLOC ? 1 + rnd(1000) : 1;
        int on_cpu = f->metric == TABLE_M_CPU || f->metric == TABLE_M_CPU_GIL;
        f->where = with_where && on_cpu && rnd(5) ? (enum table_where)rnd(TABLE_WHERES) : TABLE_W_NONE;
        fed_where |= f->where != TABLE_W_NONE;
        struct frame_key fr[MAXD];
        for (int d = 0; d < f->depth; d++)
            fr[f->depth - 1 - d] = (struct frame_key){.func = f->funcs[d], .line = (int32_t)d + 1};
        CHECK(table_add_stack_where(t, f->thread, fr, f->depth, f->weight, f->metric, f->where) == 0);
        if (rnd(4) == 0 && nfed < MAXFED) {
            /* more of the same stack at its leaf (a task's waiting time
             * recorded later: table_add_at) */
            struct fed *g = &fed[nfed++];
            *g = *f;
            g->where = TABLE_W_NONE;
            g->weight = 1 + rnd(50);
            CHECK(table_add_at(t, g->thread, table_last_leaf(t), g->weight, g->metric) == 0);
        }
    }
    CHECK(table_add_at(t, thread_ids[0], tree_root(t, thread_ids[1]), 1, TABLE_M_ANY) == ERR_USAGE);
    profile_unlock(p);
}

/* The brute-force count of one stack (root first) in a mode. */
static uint64_t brute_stack(uint32_t thread, const struct frame_key *frames, int depth, unsigned mask,
                            struct scope sc)
{
    uint64_t sum = 0;
    for (int i = 0; i < nfed; i++) {
        const struct fed *f = &fed[i];
        if (f->thread != thread || f->depth != depth || !(mask >> f->metric & 1u) || !fed_in(f, sc))
            continue;
        int same = 1;
        for (int d = 0; d < depth && same; d++)
            same = f->funcs[d] == frames[d].func && frames[d].line == (int32_t)d + 1;
        sum += same ? f->weight : 0;
    }
    return sum;
}

struct visit {
    unsigned mask;
    struct scope sc;
    uint64_t seen;             /* sum of the counts visited */
    int bad;
};

static int visit_stack(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                       uint64_t count)
{
    struct visit *v = arg;
    v->seen += count;
    uint64_t want = !in_scope(thread, v->sc) ? 0 : brute_stack(thread, frames, depth, v->mask, v->sc);
    if (want != count && v->bad++ < 3)
        check(0, "stack of depth %d in thread %u: %llu, brute force %llu", depth, thread,
              (unsigned long long)count, (unsigned long long)want);
    return 0;
}

/* Every linked node of the replica has a count, and its total is the sum
 * of its own and its children's. */
static void check_linked(const struct table *t, uint32_t node, int *bad)
{
    uint64_t kids = 0;
    for (uint32_t c = tree_first_child(t, node); c != TABLE_NONE; c = tree_next_sibling(t, c)) {
        if (!tree_total(t, c) && (*bad)++ < 3)
            check(0, "node %u is linked with no count", c);
        kids += tree_total(t, c);
        check_linked(t, c, bad);
    }
    if (tree_self(t, node) + kids != tree_total(t, node) && (*bad)++ < 3)
        check(0, "node %u: self %llu + children %llu != total %llu", node,
              (unsigned long long)tree_self(t, node), (unsigned long long)kids,
              (unsigned long long)tree_total(t, node));
}

/* sc: the replica's process scope and kind of stacks. */
static void check_replica(const struct table *r, enum table_mode m, struct scope sc)
{
    unsigned mask = table_mode_mask(m);
    check_context("mode %s, process %u, tasks %d, native %d, task %u, %d fed", table_mode_name(m),
                  sc.pid, sc.tasks, sc.native, sc.focus, nfed);
    CHECK(table_get_mode(r) == m);
    uint64_t want_all = 0, want_thread[NTHREADS] = {0};
    for (int i = 0; i < nfed; i++)
        if ((mask >> fed[i].metric & 1u) && fed_in(&fed[i], sc)) {
            want_all += fed[i].weight;
            for (int k = 0; k < NTHREADS; k++)
                want_thread[k] += fed[i].thread == thread_ids[k] ? fed[i].weight : 0;
        }
    CHECK_EQ(table_samples(r), want_all);
    struct visit v = {.mask = mask, .sc = sc};
    CHECK(table_foreach_stack(r, visit_stack, &v) == 0);
    CHECK_EQ(v.seen, want_all);
    int bad = 0;
    for (int k = 0; k < NTHREADS; k++) {
        /* found by (pid, tid) among the threads of the kind shown */
        uint32_t th = thread_kind[k] == shown(sc) ? table_thread_find_of(r, thread_pid[k], thread_tid[k])
                                                  : thread_ids[k];
        CHECK_EQ(th, thread_ids[k]);
        CHECK_EQ(table_thread_samples(r, th), want_thread[k]);
        if (tree_root(r, th) != TABLE_NONE)
            check_linked(r, tree_root(r, th), &bad);
    }
    /* The flat views, of all threads and of each: a function's (a
     * line's) own is the samples whose leaf it is, split by where they ran
     * in wall and cpu mode. */
    int splits = (m == TABLE_MODE_WALL || m == TABLE_MODE_CPU) && fed_where;
    CHECK_EQ(table_keeps_where(r), splits);
    for (int view = 0; view < 2 * (NTHREADS + 1); view++) {
        int by_line = view % 2;
        uint32_t thread = view / 2 == NTHREADS ? TABLE_NONE : thread_ids[view / 2];
        struct flat_view fv;
        CHECK(table_flat(r, thread, by_line, &fv) == 0);
        if (thread == TABLE_NONE)
            CHECK_EQ(fv.samples, want_all);
        for (size_t i = 0; i < fv.n; i++) {
            uint64_t own = 0, where[TABLE_WHERES] = {0};
            for (int j = 0; j < nfed; j++) {
                const struct fed *f = &fed[j];
                if (!(mask >> f->metric & 1u) || f->funcs[f->depth - 1] != fv.rows[i].func ||
                    (by_line && fv.rows[i].line != f->depth) || !fed_in(f, sc) ||
                    (thread != TABLE_NONE && f->thread != thread))
                    continue;
                own += f->weight;
                if (splits && f->where != TABLE_W_NONE)
                    where[f->where] += f->weight;
            }
            CHECK_EQ(fv.rows[i].own, own);
            CHECK(fv.rows[i].total > 0);
            for (int w = 0; w < TABLE_WHERES; w++)
                CHECK_EQ(fv.rows[i].where[w], where[w]);
        }
        flat_view_free(&fv);
    }
    /* Each task's samples, whatever task is shown. */
    for (int k = NFUNCS - NTASKS; k < NFUNCS; k++) {
        uint64_t want = 0;
        for (int i = 0; i < nfed && sc.tasks; i++)
            if ((mask >> fed[i].metric & 1u) && in_scope(fed[i].thread, sc) && inner_task(&fed[i]) == func_ids[k])
                want += fed[i].weight;
        CHECK_EQ(table_task_samples(r, func_ids[k]), want);
    }
    /* every other function, those interned late too, has none */
    for (uint32_t f = 0; f < (uint32_t)table_func_count(r); f++)
        if (f < func_ids[NFUNCS - NTASKS] || f > func_ids[NFUNCS - 1])
            CHECK_EQ(table_task_samples(r, f), 0);
    check_context("%s", "");
}

static void test_modes_random(void)
{
    struct profile *p = profile_new();
    struct table *t = profile_table(p);
    profile_lock(p);
    for (int i = 0; i < NFUNCS; i++) {
        char name[16];
        snprintf(name, sizeof name, i < NFUNCS - NTASKS ? "f%d" : "[task T%d]", i);
        func_ids[i] = table_intern_func(t, name, i < NFUNCS - NTASKS ? "m.py" : "");
    }
    for (int i = 0; i < NTHREADS; i++)
        thread_ids[i] = thread_kind[i] == TASKS    ? table_task_thread_of(t, thread_pid[i], thread_tid[i], "T")
                        : thread_kind[i] == NATIVE ? table_native_thread_of(t, thread_pid[i], thread_tid[i], "T")
                                                   : table_thread_of(t, thread_pid[i], thread_tid[i], "T");
    profile_unlock(p);
    /* Thread ids 100.. map to indices: remember the index, find by tid. */
    for (int i = 0; i < NTHREADS; i++)
        CHECK(thread_ids[i] == (uint32_t)i);

    struct table *r[TABLE_MODES];
    for (int m = 0; m < TABLE_MODES; m++) {
        r[m] = table_new();
        CHECK(table_set_mode(r[m], (enum table_mode)m) == 0);
    }
    /* A replica that changes its mode and its process at every step, and
     * one per mode. */
    struct table *moving = table_new();
    for (int step = 0; step < 12; step++) {
        with_where = step >= 2;
        feed(p, 1 + (int)rnd(300));
        for (int m = 0; m < TABLE_MODES; m++) {
            if (step % 3 == 0 || m == step % TABLE_MODES) {
                CHECK(profile_sync(p, r[m], NULL) == 0);
                check_replica(r[m], (enum table_mode)m, (struct scope){0, 0, 0, TABLE_NONE});
            }
        }
        enum table_mode mm = (enum table_mode)(step * 2 % TABLE_MODES);
        struct scope sc = {step % 3 == 0 ? 0 : step % 3 == 1 ? 10 : 20, step % 4 >= 2, step % 5 >= 2,
                           step % 7 < 2 ? TABLE_NONE : func_ids[NFUNCS - NTASKS + step % 2]};
        CHECK(table_set_mode(moving, mm) == 0);
        table_set_process(moving, sc.pid != 0, sc.pid);
        table_set_tasks(moving, sc.tasks);
        table_set_native(moving, sc.native);
        table_set_task(moving, sc.focus);
        CHECK(profile_sync(p, moving, NULL) == 0);
        check_replica(moving, mm, sc);
        /* The same scope again: an incremental sync (with functions
         * interned since, now and then). */
        if (step % 2) {
            profile_lock(p);
            for (int k = 0; k < 50; k++) {
                char name[32];
                snprintf(name, sizeof name, "late%d_%d", step, k);
                CHECK(table_intern_func(t, name, "late.py") != TABLE_NONE);
            }
            profile_unlock(p);
        }
        feed(p, 1 + (int)rnd(100));
        CHECK(profile_sync(p, moving, NULL) == 0);
        check_replica(moving, mm, sc);
    }
    /* A replica that alone follows the profile syncs incrementally: the
     * adds replayed carry where they ran (each mode, and back to wall). */
    for (int k = 0; k < 6; k++) {
        enum table_mode mm = k < 2 ? TABLE_MODE_WALL : k < 4 ? TABLE_MODE_CPU : k < 5 ? TABLE_MODE_GIL
                                                                                   : TABLE_MODE_WALL;
        CHECK(table_set_mode(moving, mm) == 0);
        table_set_process(moving, k == 3, 10);
        table_set_tasks(moving, 0);
        table_set_native(moving, 0);
        table_set_task(moving, TABLE_NONE);
        struct scope sc = {k == 3 ? 10 : 0, 0, 0, TABLE_NONE};
        for (int i = 0; i < 3; i++) {
            uint64_t whole = 0, before, applies = table_sync_replayed(moving, &(size_t){0}, &before);
            feed(p, 1 + (int)rnd(200));
            CHECK(profile_sync(p, moving, NULL) == 0);
            check_replica(moving, mm, sc);
            CHECK(table_sync_replayed(moving, &(size_t){0}, &whole) == applies + 1);
            if (i > 0)
                CHECK_EQ(whole, before);             /* incremental */
        }
    }
    /* The writer's own counts are wall's, and per thread every metric. */
    uint64_t wall = 0, by_metric[TABLE_METRICS] = {0};
    for (int i = 0; i < nfed; i++) {
        wall += fed[i].metric < TABLE_M_ALLOC ? fed[i].weight : 0;
        by_metric[fed[i].metric] += fed[i].weight;
    }
    CHECK_EQ(table_samples(t), wall);
    CHECK(profile_sync(p, r[TABLE_MODE_CPU], NULL) == 0);
    for (int m = 0; m < TABLE_METRICS; m++) {
        uint64_t sum = 0;
        for (int k = 0; k < NTHREADS; k++)
            sum += table_thread_metric(r[TABLE_MODE_CPU], (uint32_t)k, (enum table_metric)m);
        CHECK_EQ(sum, by_metric[m]);
    }
    for (int m = 0; m < TABLE_MODES; m++)
        table_free(r[m]);
    table_free(moving);
    profile_free(p);
}

static void test_names_and_metrics(void)
{
    for (int m = 0; m < TABLE_MODES; m++)
        CHECK(table_mode_parse(table_mode_name((enum table_mode)m)) == m);
    CHECK(table_mode_parse("walls") == -1);
    CHECK(table_mode_parse(NULL) == -1);
    CHECK(table_mode_mask(TABLE_MODES) == 0);
    CHECK(table_metric_of(-1, -1) == TABLE_M_ANY);
    CHECK(table_metric_of(1, -1) == TABLE_M_CPU);
    CHECK(table_metric_of(0, 1) == TABLE_M_GIL);
    CHECK(table_metric_of(1, 1) == TABLE_M_CPU_GIL);
    CHECK(table_metric_of(0, 0) == TABLE_M_IDLE);
    CHECK(table_metric_of(-1, 0) == TABLE_M_IDLE);
    /* Every sample is in wall and in exactly one of cpu-or-gil, idle. */
    for (int m = TABLE_M_IDLE; m < TABLE_M_ALLOC; m++) {
        int in_cpu = table_mode_mask(TABLE_MODE_CPU) >> m & 1u;
        int in_gil = table_mode_mask(TABLE_MODE_GIL) >> m & 1u;
        int in_idle = table_mode_mask(TABLE_MODE_IDLE) >> m & 1u;
        CHECK(table_mode_mask(TABLE_MODE_WALL) >> m & 1u);
        CHECK((in_cpu || in_gil) != in_idle);
    }
    struct table *t = table_new();
    uint32_t th = table_thread(t, 7, "x");
    uint32_t f = table_intern_func(t, "f", "x.py");
    struct frame_key k = {.func = f, .line = 1};
    CHECK(table_add_stack_as(t, th, &k, 1, 1, TABLE_METRICS) == ERR_USAGE);
    CHECK(table_add_failed_as(t, th, WALK_FAIL_TORN, TABLE_M_ALLOC) == ERR_USAGE);
    CHECK(table_add_failed_as(t, th, WALK_FAIL_TORN, TABLE_M_CPU) == 0);
    CHECK(table_note_gil_wait(t, th) == 0);
    CHECK_EQ(table_thread_gil_waits(t, th), 1);
    CHECK_EQ(table_thread_failed(t, th, WALK_FAIL_TORN), 1);
    CHECK(table_set_mode(t, TABLE_MODES) == ERR_USAGE);
    table_free(t);
}

/* The samples of a replica in mode m: its nodes' own counts. */
static uint64_t replica_samples(struct table *w, enum table_mode m)
{
    struct table *r = table_new();
    CHECK(table_set_mode(r, m) == 0);
    CHECK(table_sync_copy(r, w) == 0);
    table_sync_apply(r);
    uint64_t sum = 0;
    for (uint32_t n = 0; n < tree_node_count(r); n++)
        sum += tree_self(r, n);
    table_free(r);
    return sum;
}

/* The writer's counts by metric are zeroed node by node as nodes are
 * made, not for the whole capacity: a metric first counted when few
 * nodes existed, nodes made past its array's end by another metric, and
 * node ids made again after a reset all start at zero. */
static void test_metric_counts_of_new_nodes(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 7, "x");
    struct frame_key k[40];
    for (int i = 0; i < 40; i++)
        k[i] = (struct frame_key){.func = table_intern_func(t, "f", "x.py"), .line = 1 + i};
    CHECK(table_add_stack_as(t, th, k, 1, 5, TABLE_M_CPU) == 0);
    CHECK(table_add_stack_as(t, th, k, 40, 3, TABLE_M_IDLE) == 0);    /* past the cpu array's end */
    CHECK(table_add_stack_as(t, th, k, 40, 2, TABLE_M_CPU) == 0);
    CHECK_EQ(replica_samples(t, TABLE_MODE_CPU), 7);
    CHECK_EQ(replica_samples(t, TABLE_MODE_IDLE), 3);
    table_reset(t);
    CHECK(table_add_stack_as(t, th, k, 40, 1, TABLE_M_IDLE) == 0);    /* the same ids again */
    CHECK_EQ(replica_samples(t, TABLE_MODE_CPU), 0);
    CHECK_EQ(replica_samples(t, TABLE_MODE_IDLE), 1);
    table_free(t);
}

/* The writer keeps a node's counts by metric as a list of the metrics it
 * has: one leaf counted in every metric in turn, in an order that finds
 * each count at every place of its list, and a second leaf in one metric
 * only; every mode sums exactly its metrics of both. */
static void test_metric_lists(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 7, "x");
    struct frame_key a = {.func = table_intern_func(t, "a", "x.py"), .line = 1};
    struct frame_key b = {.func = table_intern_func(t, "b", "x.py"), .line = 2};
    uint64_t want[TABLE_METRICS] = {0};
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < TABLE_METRICS; i++) {
            enum table_metric m = (enum table_metric)((i * 3 + round) % TABLE_METRICS);
            uint64_t w = 1 + (uint64_t)(round * TABLE_METRICS + i);
            CHECK(table_add_stack_as(t, th, &a, 1, w, m) == 0);
            want[m] += w;
        }
    CHECK(table_add_stack_as(t, th, &b, 1, 1000, TABLE_M_GIL) == 0);
    want[TABLE_M_GIL] += 1000;
    for (int mode = 0; mode < TABLE_MODES; mode++) {
        unsigned mask = table_mode_mask((enum table_mode)mode);
        uint64_t sum = 0;
        for (int m = 0; m < TABLE_METRICS; m++)
            sum += mask >> m & 1u ? want[m] : 0;
        CHECK_EQ(replica_samples(t, (enum table_mode)mode), sum);
    }
    table_free(t);
}

int main(void)
{
    test_names_and_metrics();
    test_metric_counts_of_new_nodes();
    test_metric_lists();
    test_modes_random();
    return check_report("modes");
}
