/* SPDX-License-Identifier: MIT */
/* The threads view (key T): every process and thread of the profile with
 * what its samples found it doing (on a CPU, holding the GIL, waiting for
 * it, neither), sortable; Enter shows the selected thread, process, or
 * everything in the other views. The shares are of every mode's samples
 * (ui_data.h keeps them per thread), whatever mode the views are in. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "table.h"
#include "ui.h"
#include "ui_data.h"
#include "ui_fmt.h"
#include "ui_header.h"
#include "ui_help.h"
#include "ui_keys.h"
#include "ui_layout.h"
#include "ui_list.h"
#include "ui_paint.h"
#include "ui_state.h"
#include "ui_views_list.h"

#define CELL 9                          /* a number column and a space */
#define NUM_COLS 5
#define ID_W 9                          /* a pid or a tid */
#define TEXT_MAX 256

enum col { COL_SAMPLES, COL_CPU, COL_GIL, COL_WAIT, COL_IDLE };

/* A row: everything, one process, one thread, or one asyncio task. */
struct trow {
    int kind;                           /* 0 all, 1 process, 2 thread, 3 task */
    uint32_t pid;
    uint32_t thread;                    /* table index (kind 2), "[task NAME]" function (kind 3) */
    uint64_t tid;
    const char *name;                   /* borrowed from ui_data's threads (kind 2) */
    uint64_t all, known, on_cpu, gil, waits, idle;
    unsigned nthreads;                  /* kind 0 and 1 */
    double key;                         /* the sort column's value, negated when reversed */
};

struct threads_view {
    struct trow *rows;
    size_t n, cap;
    struct ui_list list;                /* selection and window */
    enum col sort;
    int reversed;
    int several;                        /* processes get rows of their own */
    size_t ntasks;                      /* task rows (after the threads') */
    struct trow keep;                   /* the selection, across rebuilds */
};

static const char *const titles[NUM_COLS] = {"SAMPLES", "%CPU", "%GIL", "%WAIT", "%IDLE"};

static unsigned act_sort(struct ui_state *st, void *view, int code)
{
    struct threads_view *tv = view;
    enum col c = (enum col)(code - '1');
    tv->reversed = c == tv->sort ? !tv->reversed : 0;
    tv->sort = c;
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

static unsigned act_reverse(struct ui_state *st, void *view, int code)
{
    struct threads_view *tv = view;
    tv->reversed = !tv->reversed;
    return UI_REACT_UPDATE | UI_REACT_REDRAW;
}

/* Enter: the other views show the selected row's threads; back to the
 * view shown before this one. */
static unsigned act_choose(struct ui_state *st, void *view, int code)
{
    struct threads_view *tv = view;
    if (!tv->n)
        return UI_REACT_NONE;
    const struct trow *r = &tv->rows[tv->list.sel];
    st->thread = r->kind == 2 ? r->thread : TABLE_NONE;
    st->task = r->kind == 3 ? r->thread : TABLE_NONE;
    st->proc_only = r->kind == 1;
    st->proc_pid = r->pid;
    st->view_next = st->view_prev != st->view ? st->view_prev : 0;
    return UI_REACT_RESNAP | UI_REACT_VIEW | UI_REACT_REDRAW;
}

static const struct ui_key threads_keys[] = {
    {{'\n', '\r', KEY_ENTER}, "Enter", "Enter",
     "show the selected thread, process, task, or everything in the other views", "Enter", "Enter",
     "Show", act_choose},
    {{'1', '2', '3', '4', '5'}, "1 … 5", "1 .. 5",
     "sort by samples, %CPU, %GIL, %WAIT, %IDLE (threads within their process); again reverses",
     "1-5", "1-5", "Sort", act_sort},
    {{'r'}, "r", "r", "reverse the sort order", "r", "r", "Reverse", act_reverse},
};

static void *threads_create(void)
{
    struct threads_view *tv = calloc(1, sizeof *tv);
    if (tv)
        tv->sort = COL_CPU;
    return tv;
}

static void threads_destroy(void *v)
{
    struct threads_view *tv = v;
    if (tv)
        free(tv->rows);
    free(tv);
}

static void add_counts(struct trow *to, const struct ui_thread *th)
{
    to->all += th->all;
    to->known += th->known;
    to->on_cpu += th->on_cpu;
    to->gil += th->gil;
    to->waits += th->waits;
    to->idle += th->idle;
    to->nthreads++;
}

static double share(uint64_t part, uint64_t known)
{
    return known ? 100.0 * (double)part / (double)known : -1;
}

static double sort_key(const struct trow *r, enum col c)
{
    switch (c) {
    case COL_SAMPLES:
        return (double)r->all;
    case COL_CPU:
        return share(r->on_cpu, r->known);
    case COL_GIL:
        return share(r->gil, r->known);
    case COL_WAIT:
        return share(r->waits, r->known);
    default:
        return share(r->idle, r->known);
    }
}

/* Largest key first; ties by pid, then tid. */
static int row_order(const void *pa, const void *pb)
{
    const struct trow *a = pa, *b = pb;
    if (a->key != b->key)
        return (a->key < b->key) - (a->key > b->key);
    if (a->pid != b->pid)
        return (a->pid > b->pid) - (a->pid < b->pid);
    return (a->tid > b->tid) - (a->tid < b->tid);
}

static void sort_rows(struct trow *r, size_t n, enum col c, int reversed)
{
    for (size_t i = 0; i < n; i++)
        r[i].key = reversed ? -sort_key(&r[i], c) : sort_key(&r[i], c);
    qsort(r, n, sizeof *r, row_order);
}

static int grow(struct threads_view *tv, size_t need)
{
    if (need <= tv->cap)
        return 0;
    struct trow *r = realloc(tv->rows, need * sizeof *r);
    if (!r)
        return ERR_NOMEM;
    tv->rows = r;
    tv->cap = need;
    return 0;
}

/* Most samples first, then by function id. */
static int task_order(const void *pa, const void *pb)
{
    const struct trow *a = pa, *b = pb;
    if (a->all != b->all)
        return (a->all < b->all) - (a->all > b->all);
    return (a->thread > b->thread) - (a->thread < b->thread);
}

/* By name ("[task NAME]"), then by function id. */
static int task_name_order(const void *pa, const void *pb)
{
    const struct trow *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->thread > b->thread) - (a->thread < b->thread);
}

/* The task stacks shown: a row per task with samples (in the views'
 * mode). Sorted by samples (key 1), most first; by any other column, whose
 * shares a task has not (all "-"), by name: in wall mode every task gets
 * a sample a round, and ordering them by counts that differ by a few
 * would reshuffle the rows at every refresh. */
static int add_task_rows(struct threads_view *tv, const struct table *t)
{
    size_t first = tv->n, nf = table_func_count(t);
    for (size_t f = 0; f < nf; f++) {
        uint64_t n = table_task_samples(t, (uint32_t)f);
        if (!n)
            continue;
        if (grow(tv, tv->n + 1) < 0)
            return ERR_NOMEM;
        tv->rows[tv->n++] = (struct trow){.kind = 3, .thread = (uint32_t)f,
                                          .name = table_func_name(t, (uint32_t)f), .all = n};
    }
    tv->ntasks = tv->n - first;
    qsort(tv->rows + first, tv->ntasks, sizeof *tv->rows,
          tv->sort == COL_SAMPLES ? task_order : task_name_order);
    return 0;
}

/* The row of everything, then the process rows (when several) in order,
 * each followed by its threads in order. */
static int build_rows(struct threads_view *tv, const struct ui_data *d)
{
    size_t nt = d->nthreads, np = 0;
    struct trow *procs = malloc((nt ? nt : 1) * sizeof *procs);
    if (!procs || grow(tv, 2 * nt + 1) < 0) {
        free(procs);
        return ERR_NOMEM;
    }
    struct trow all = {.kind = 0, .name = ""};
    for (size_t i = 0; i < nt; i++) {
        const struct ui_thread *th = &d->threads[i];
        if (!th->all)
            continue;
        add_counts(&all, th);
        size_t k = 0;
        while (k < np && procs[k].pid != th->pid)
            k++;
        if (k == np)
            procs[np++] = (struct trow){.kind = 1, .pid = th->pid, .name = ""};
        add_counts(&procs[k], th);
    }
    sort_rows(procs, np, tv->sort, tv->reversed);
    tv->several = np > 1;
    tv->n = 0;
    tv->rows[tv->n++] = all;
    for (size_t k = 0; k < np; k++) {
        if (tv->several)
            tv->rows[tv->n++] = procs[k];
        size_t first = tv->n;
        for (size_t i = 0; i < nt; i++) {
            const struct ui_thread *th = &d->threads[i];
            if (!th->all || th->pid != procs[k].pid)
                continue;
            struct trow r = {.kind = 2, .pid = th->pid, .thread = th->index, .tid = th->tid,
                             .name = th->name};
            add_counts(&r, th);
            tv->rows[tv->n++] = r;
        }
        sort_rows(tv->rows + first, tv->n - first, tv->sort, tv->reversed);
    }
    free(procs);
    return 0;
}

static int same_row(const struct trow *a, const struct trow *b)
{
    return a->kind == b->kind && a->pid == b->pid && (a->kind != 2 || a->tid == b->tid) &&
           (a->kind != 3 || a->thread == b->thread);
}

static int threads_update(void *v, const struct ui_scene *sc, size_t height, unsigned why)
{
    struct threads_view *tv = v;
    tv->list.height = height ? height : 1;
    if (tv->n)
        tv->keep = tv->rows[tv->list.sel];
    tv->ntasks = 0;
    int rc = build_rows(tv, sc->data);
    if (rc == 0 && sc->state->tasks)
        rc = add_task_rows(tv, sc->data->replica);
    if (rc < 0) {
        tv->n = 0;
        return rc;
    }
    for (size_t i = 0; i < tv->n; i++)
        if (same_row(&tv->rows[i], &tv->keep))
            tv->list.sel = i;
    ui_list_clamp(&tv->list, tv->n);
    return 0;
}

static int threads_move(void *v, long delta)
{
    struct threads_view *tv = v;
    ui_list_move(&tv->list, delta, tv->n);
    return 1;
}

static void draw_colhead(WINDOW *w, const struct threads_view *tv, const struct ui_theme *t, int width)
{
    ui_paint_fill(w, 0, 0, width, ui_theme_attr(t, UI_EL_COLHEAD));
    for (int c = 0; c < NUM_COLS; c++)
        ui_paint_right(w, 0, c * CELL, titles[c], CELL - 1,
                       ui_theme_attr(t, (int)tv->sort == c ? UI_EL_COLSORT : UI_EL_COLHEAD), t);
    int x = NUM_COLS * CELL + 1;
    ui_paint_right(w, 0, x, "PID", ID_W - 1, ui_theme_attr(t, UI_EL_COLHEAD), t);
    ui_paint_right(w, 0, x + ID_W, "TID", ID_W - 1, ui_theme_attr(t, UI_EL_COLHEAD), t);
    if (width > x + 2 * ID_W + 1)
        ui_paint_text(w, 0, x + 2 * ID_W + 1, "NAME", width - x - 2 * ID_W - 1, 0, UI_TRUNC_END,
                      ui_theme_attr(t, UI_EL_COLHEAD), t);
}

/* A process row: "process 1234 (3 threads) CPU 45.0% RSS 30.1 MiB  python3 app.py",
 * or "ended" for one that is not sampled any more. */
static void process_text(const struct trow *r, const struct ui_scene *sc, char *text, size_t cap)
{
    const struct sampler_proc_info *pi = ui_data_proc(sc->data, r->pid);
    char rss[32] = "";
    size_t len = (size_t)snprintf(text, cap, "process %u (%u thread%s)", (unsigned)r->pid,
                                  r->nthreads, r->nthreads == 1 ? "" : "s");
    if (pi && !pi->alive)
        len += (size_t)snprintf(text + len, cap - len, " ended");
    else if (pi && pi->cpu_pct >= 0) {
        ui_fmt_bytes(rss, sizeof rss, pi->rss_bytes);
        len += (size_t)snprintf(text + len, cap - len, " CPU %.1f%% RSS %s", pi->cpu_pct, rss);
    }
    const char *cmd = table_process_name(sc->data->replica, r->pid);
    if (*cmd && len < cap)
        snprintf(text + len, cap - len, "  %s", cmd);
}

static void row_text(const struct threads_view *tv, const struct trow *r, const struct ui_scene *sc,
                     char *text, size_t cap)
{
    char task[TEXT_MAX];
    if (r->kind == 0 && tv->ntasks)
        snprintf(text, cap, "all (%u thread%s%s, %zu task%s)", r->nthreads, r->nthreads == 1 ? "" : "s",
                 tv->several ? ", every process" : "", tv->ntasks, tv->ntasks == 1 ? "" : "s");
    else if (r->kind == 0)
        snprintf(text, cap, "all (%u thread%s%s)", r->nthreads, r->nthreads == 1 ? "" : "s",
                 tv->several ? ", every process" : "");
    else if (r->kind == 3)
        snprintf(text, cap, "task %.200s",
                 ui_fmt_task_name(task, sizeof task, sc->data->replica, r->thread) ? task : "?");
    else if (r->kind == 1)
        process_text(r, sc, text, cap);
    else
        snprintf(text, cap, "%s%s", tv->several ? "  " : "", r->name[0] ? r->name : "?");
}

static void draw_row(WINDOW *w, int y, const struct threads_view *tv, const struct trow *r,
                     int selected, const struct ui_scene *sc, int width)
{
    const struct ui_theme *t = sc->theme;
    attr_t base = ui_theme_attr(t, selected ? UI_EL_SELECTED : UI_EL_NORMAL);
    ui_paint_fill(w, y, 0, width, base);
    char cell[32], text[TEXT_MAX];
    for (int c = 0; c < NUM_COLS; c++) {
        double k = sort_key(r, (enum col)c);
        if (c == COL_SAMPLES)
            snprintf(cell, sizeof cell, "%llu", (unsigned long long)r->all);
        else if (k < 0)
            snprintf(cell, sizeof cell, "-");
        else
            snprintf(cell, sizeof cell, "%.1f", k);
        ui_paint_right(w, y, c * CELL, cell, CELL - 1, base, t);
    }
    int x = NUM_COLS * CELL + 1;
    /* A saved profile keeps its own process's threads under pid 0; its
     * metadata says the pid (the header's PID), when it does. */
    unsigned pid = r->pid ? (unsigned)r->pid : sc->opt->pid > 0 ? (unsigned)sc->opt->pid : 0;
    if (r->kind >= 1 && r->kind <= 2 && pid) {
        snprintf(cell, sizeof cell, "%u", pid);
        ui_paint_right(w, y, x, cell, ID_W - 1, base, t);
    }
    if (r->kind == 2) {
        snprintf(cell, sizeof cell, "%llu", (unsigned long long)r->tid);
        ui_paint_right(w, y, x + ID_W, cell, ID_W - 1, base, t);
    }
    row_text(tv, r, sc, text, sizeof text);
    if (width > x + 2 * ID_W + 1)
        ui_paint_text(w, y, x + 2 * ID_W + 1, text, width - x - 2 * ID_W - 1, 0, UI_TRUNC_END,
                      selected ? base : ui_theme_attr(t, r->kind == 2 ? UI_EL_FUNC : UI_EL_VALUE), t);
}

static void draw_details(WINDOW *w, const struct threads_view *tv, const struct ui_scene *sc, int width)
{
    werase(w);
    if (!tv->n)
        return;
    const struct trow *r = &tv->rows[tv->list.sel];
    char text[TEXT_MAX + 16], what[TEXT_MAX];
    row_text(tv, r, sc, what, sizeof what);
    snprintf(text, sizeof text, "%s %s", sc->theme->pointer, what);
    ui_paint_text(w, 0, 0, text, width, 0, UI_TRUNC_END, ui_theme_attr(sc->theme, UI_EL_VALUE), sc->theme);
    if (r->kind == 3)
        snprintf(text, sizeof text, "  %llu samples in the views' mode (%s) whose innermost task it is; "
                 "Enter shows this task alone in the other views", (unsigned long long)r->all,
                 table_mode_name((enum table_mode)sc->state->mode));
    else if (!r->known)
        snprintf(text, sizeof text, "  %llu samples; no thread state recorded (a saved profile)",
                 (unsigned long long)r->all);
    else
        snprintf(text, sizeof text, "  of its %llu samples: %llu on a CPU, %llu holding "
                 "the GIL, %llu waiting for it, %llu neither; Enter shows it in the other views",
                 (unsigned long long)r->known, (unsigned long long)r->on_cpu, (unsigned long long)r->gil,
                 (unsigned long long)r->waits, (unsigned long long)r->idle);
    ui_paint_text(w, 1, 0, text, width, 0, UI_TRUNC_END, ui_theme_attr(sc->theme, UI_EL_LABEL), sc->theme);
}

static void threads_draw(void *v, const struct ui_view_windows *w, const struct ui_scene *sc)
{
    struct threads_view *tv = v;
    int width = getmaxx(w->body);
    if (w->parts & (UI_PART_BODY | UI_PART_ROWS)) {
        werase(w->body);
        draw_colhead(w->body, tv, sc->theme, width);
        for (size_t i = 0; i < tv->list.height && tv->list.top + i < tv->n; i++)
            draw_row(w->body, (int)i + UI_COLHEAD_LINES, tv, &tv->rows[tv->list.top + i],
                     tv->list.top + i == tv->list.sel, sc, width);
    }
    if (w->parts & UI_PART_DETAILS)
        draw_details(w->details, tv, sc, getmaxx(w->details));
}

static uint32_t threads_selected_func(const void *v)
{
    return TABLE_NONE;
}

static unsigned threads_click(void *v, struct ui_state *st, int y, int x, int twice)
{
    struct threads_view *tv = v;
    if (y < UI_COLHEAD_LINES || tv->list.top + (size_t)(y - UI_COLHEAD_LINES) >= tv->n)
        return UI_REACT_NONE;
    tv->list.sel = tv->list.top + (size_t)(y - UI_COLHEAD_LINES);
    return twice ? act_choose(st, tv, '\n') : UI_REACT_REDRAW;
}

static void threads_header(const void *v, const struct ui_scene *sc, struct ui_fields *fs)
{
    const struct threads_view *tv = v;
    snprintf(ui_fields_add(fs, "Sort", UI_EL_VALUE, 0), UI_FIELD_VALUE_MAX, "%s%s", titles[tv->sort],
             tv->reversed ? " (reversed)" : "");
}

static const char *const notes[] = {
    "Each thread's samples, and the share of those (with a known state) in which it was on a CPU "
    "(%CPU), held its interpreter's GIL (%GIL), waited to take the GIL (%WAIT: where proftui can "
    "tell, see the README), or was neither on a CPU nor holding the GIL (%IDLE). A thread can be "
    "on a CPU without the GIL (C code that released it) and hold the GIL off a CPU (preempted).",
    "The shares count every sample, whatever mode (m) the other views are in.",
    "With several processes, each has a row with its threads' sums; Enter on it shows that process "
    "alone in every view, Enter on a thread that thread, Enter on the first row everything. "
    "Left / Right step through the threads of every process.",
    "With the asyncio task stacks shown (a), each task follows the threads (by name; sorted by "
    "samples, key 1, most first): its "
    "samples in the views' mode are those whose innermost task it is (its own stack, not those of "
    "the tasks it awaits); Enter on it shows that task alone in every view.",
};

static void threads_help_page(struct ui_help *h)
{
    ui_help_section(h, "Threads and their states");
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        ui_help_note(h, notes[i]);
}

const struct ui_view_ops ui_view_threads = {
    .name = "threads",
    .title = "threads",
    .key = 'T',
    .help = "threads: each process and thread, on CPU / GIL / waiting / idle shares; Enter shows it",
    .keys = threads_keys,
    .nkeys = sizeof threads_keys / sizeof threads_keys[0],
    .create = threads_create,
    .destroy = threads_destroy,
    .update = threads_update,
    .move_by = threads_move,
    .draw = threads_draw,
    .selected_func = threads_selected_func,
    .header = threads_header,
    .help_page = threads_help_page,
    .click = threads_click,
};
