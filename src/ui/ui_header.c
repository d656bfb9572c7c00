/* SPDX-License-Identifier: MIT */
/* The live view's header: title line, flowed fields, state line. */
#include "ui_header.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "profile.h"
#include "sampler.h"
#include "table.h"
#include "ui.h"
#include "ui_data.h"
#include "ui_fmt.h"
#include "ui_paint.h"
#include "ui_state.h"
#include "ui_view.h"
#include "usercode.h"

#define MAX_FIELDS 24
#define VALUE_MAX UI_FIELD_VALUE_MAX
#define FIELD_GAP 2
#define RATE_WARN 0.9        /* achieved / requested below this is shown as a warning */
#define LOSS_WARN 0.01       /* missed or failed above this share is shown as a warning */

struct field {
    const char *label;
    char value[VALUE_MAX];
    enum ui_elem elem;
    int newline;             /* start a new line with this field */
};

struct ui_fields {
    struct field f[MAX_FIELDS];
    int n;
};

static struct field *add(struct ui_fields *fs, const char *label, enum ui_elem elem)
{
    struct field *f = &fs->f[fs->n < MAX_FIELDS ? fs->n++ : MAX_FIELDS - 1];
    *f = (struct field){.label = label, .elem = elem};
    return f;
}

char *ui_fields_add(struct ui_fields *fs, const char *label, enum ui_elem elem, int newline)
{
    struct field *f = add(fs, label, elem);
    f->newline = newline;
    return f->value;
}

static int share_warn(uint64_t part, uint64_t whole)
{
    return whole && (double)part > LOSS_WARN * (double)whole;
}

/* A thread view's failures: "12 (0.6%: torn 3, read 9)", the share of
 * that thread's samples and the reasons that occurred (table.h keeps them
 * per thread; the replica has them). */
static void thread_failed(char *buf, const struct table *t, uint32_t th)
{
    uint64_t n = table_thread_failed(t, th, WALK_OK), samples = table_thread_samples(t, th);
    ui_fmt_count_full(buf, VALUE_MAX, n);
    if (!n)
        return;
    size_t len = strlen(buf);
    len += (size_t)snprintf(buf + len, VALUE_MAX - len, " (%.1f%%",
                            samples ? 100.0 * (double)n / (double)samples : 0.0);
    const char *sep = ": ";
    for (int why = WALK_OK + 1; why < WALK_FAIL_COUNT && len < VALUE_MAX; why++) {
        uint64_t k = table_thread_failed(t, th, (enum walk_fail)why);
        if (!k)
            continue;
        len += (size_t)snprintf(buf + len, VALUE_MAX - len, "%s%s %llu", sep,
                                table_fail_name((enum walk_fail)why), (unsigned long long)k);
        sep = ", ";
    }
    if (len < VALUE_MAX)
        snprintf(buf + len, VALUE_MAX - len, ")");
}

/* Failed: the total in the all-threads view, the thread's own failures
 * (with their share of its samples and their reasons) in a thread view. */
static void failed_field(struct ui_fields *fs, const struct ui_scene *sc)
{
    const struct sampler_stats *st = &sc->data->stats;
    const struct table *t = sc->data->replica;   /* the lens leaves failures alone */
    uint32_t th = sc->state->thread;
    if (th != TABLE_NONE && th < table_thread_count(t)) {
        int warn = share_warn(table_thread_failed(t, th, WALK_OK), table_thread_samples(t, th));
        thread_failed(add(fs, "Failed", warn ? UI_EL_WARN : UI_EL_VALUE)->value, t, th);
        return;
    }
    ui_fmt_count_full(add(fs, "Failed", share_warn(st->failed, st->stacks) ? UI_EL_WARN
                          : UI_EL_VALUE)->value, VALUE_MAX, st->failed);
}

/* GIL: the share of the rounds in which a thread held it, and how many
 * threads waited for it at the last round. */
static void gil_field(struct ui_fields *fs, const struct ui_scene *sc)
{
    const struct ui_data *d = sc->data;
    if (d->gil_pct < 0)
        return;
    snprintf(add(fs, "GIL", UI_EL_VALUE)->value, VALUE_MAX, "%.0f%% held, %u waiting",
             d->gil_pct, d->stats.gil_waiting);
}

/* The task stacks are shown: how many tasks there are, and how many are
 * beyond the listing's bound, never read (taskwalk.h). */
static void tasks_field(struct ui_fields *fs, const struct ui_scene *sc)
{
    const struct sampler_stats *st = &sc->data->stats;
    struct field *f = add(fs, "Tasks", st->tasks_cut ? UI_EL_WARN : UI_EL_VALUE);
    if (st->tasks_cut)
        snprintf(f->value, VALUE_MAX, "%u (%u more not read)", st->tasks, st->tasks_cut);
    else
        snprintf(f->value, VALUE_MAX, "%u", st->tasks);
}

/* --native: the shares of the thread samples recorded as mixed stacks and
 * refused (C and Python stacks disagreed: failed samples), since the last
 * reset; "hidden, " first while X hides the C frames, "(ptrace)" after
 * with --native-ptrace, in yellow with threads or processes whose native
 * frames could not be had (and how many). */
static void native_field(struct ui_fields *fs, const struct ui_scene *sc)
{
    const struct sampler_stats *st = &sc->data->stats;
    int without = st->native_threads_failed || st->native_procs_failed;
    char *v = add(fs, "Native", without ? UI_EL_WARN : UI_EL_VALUE)->value;
    double whole = st->stacks ? (double)st->stacks : 1.0;
    int n = snprintf(v, VALUE_MAX, "%s%.0f%% mixed, %.1f%% refused%s", sc->state->native ? "" : "hidden, ",
                     100.0 * (double)st->native_mixed / whole, 100.0 * (double)st->native_mismatch / whole,
                     sc->opt->native == SAMPLER_NATIVE_PTRACE ? " (ptrace)" : "");
    if (without && n > 0 && n < VALUE_MAX)
        snprintf(v + n, VALUE_MAX - (size_t)n, "; none for %u thread%s, %u process%s",
                 st->native_threads_failed, st->native_threads_failed == 1 ? "" : "s",
                 st->native_procs_failed, st->native_procs_failed == 1 ? "" : "es");
}

static void sampling_fields(struct ui_fields *fs, const struct ui_scene *sc)
{
    const struct sampler_stats *st = &sc->data->stats;
    char a[32], b[32];
    snprintf(add(fs, "Mode", UI_EL_VALUE)->value, VALUE_MAX, "%s",
             table_mode_name((enum table_mode)sc->state->mode));
    if (sc->state->tasks)
        tasks_field(fs, sc);
    gil_field(fs, sc);
    ui_fmt_interval(add(fs, "Interval", UI_EL_VALUE)->value, VALUE_MAX, sc->opt->interval_ns);
    ui_fmt_duration(add(fs, "Elapsed", UI_EL_VALUE)->value, VALUE_MAX, st->elapsed_ns);
    ui_fmt_count_full(add(fs, "Samples", UI_EL_VALUE)->value, VALUE_MAX, st->taken);
    double secs = (double)st->elapsed_ns / 1e9;
    double rate = secs > 0 ? (double)st->taken / secs : 0;
    double asked = sc->opt->interval_ns ? 1e9 / (double)sc->opt->interval_ns : 0;
    int slow = secs >= 1.0 && asked > 0 && rate < RATE_WARN * asked;
    snprintf(add(fs, "Rate", slow ? UI_EL_WARN : UI_EL_VALUE)->value, VALUE_MAX, "%s of %s",
             ui_fmt_rate(a, sizeof a, rate), ui_fmt_rate(b, sizeof b, asked));
    ui_fmt_count_full(add(fs, "Missed", share_warn(st->missed, st->taken + st->missed) ? UI_EL_WARN
                          : UI_EL_VALUE)->value, VALUE_MAX, st->missed);
    failed_field(fs, sc);
    if (st->lost)
        ui_fmt_count_full(add(fs, "Lost", UI_EL_WARN)->value, VALUE_MAX, st->lost);
    if (sc->opt->native)
        native_field(fs, sc);
}

/* A saved profile (--open): what it recorded, when, how long, and the
 * threads in it, in place of the live counters and the target's CPU. */
static void saved_fields(struct ui_fields *fs, const struct ui_scene *sc)
{
    const struct profile_meta *m = sc->opt->saved;
    const struct sampler_stats *st = &sc->data->stats;
    int mode = sc->opt->saved_states ? sc->state->mode : m->mode;     /* m switches it: every state */
    snprintf(add(fs, "Mode", UI_EL_VALUE)->value, VALUE_MAX, "%s", table_mode_name((enum table_mode)mode));
    if (m->interval_ns)
        ui_fmt_interval(add(fs, "Interval", UI_EL_VALUE)->value, VALUE_MAX, m->interval_ns);
    if (m->duration_ns)
        ui_fmt_duration(add(fs, "Duration", UI_EL_VALUE)->value, VALUE_MAX, m->duration_ns);
    /* Samples are sampling rounds, as in the live view, when the file says
     * how many; otherwise (another tool's file) the stacks it holds. */
    if (m->rounds_known)
        ui_fmt_count_full(add(fs, "Samples", UI_EL_VALUE)->value, VALUE_MAX, m->taken);
    else
        ui_fmt_count_full(add(fs, "Stacks", UI_EL_VALUE)->value, VALUE_MAX, st->stacks);
    if (m->rounds_known)
        ui_fmt_count_full(add(fs, "Missed", UI_EL_VALUE)->value, VALUE_MAX, st->missed);
    failed_field(fs, sc);
    if (st->lost)
        ui_fmt_count_full(add(fs, "Lost", UI_EL_WARN)->value, VALUE_MAX, st->lost);
    struct field *f = add(fs, "Taken", UI_EL_VALUE);
    f->newline = 1;
    time_t when = (time_t)(m->start_unix_ns / 1000000000ULL);
    struct tm tm;
    if (m->start_unix_ns && gmtime_r(&when, &tm))
        strftime(f->value, VALUE_MAX, "%Y-%m-%d %H:%M:%S UTC", &tm);
    else
        snprintf(f->value, VALUE_MAX, "unknown");
    snprintf(add(fs, "Format", UI_EL_VALUE)->value, VALUE_MAX, "%s", m->format);
    snprintf(add(fs, "Threads", UI_EL_VALUE)->value, VALUE_MAX, "%zu", sc->data->nthreads);
}

/* The resident memory of the last refreshes as a sparkline after its
 * value (" ▁▂▄█", or " _.-^" without UTF-8), scaled from the lowest
 * reading to the highest; nothing while it has not changed. */
static void rss_spark(char *buf, const struct ui_scene *sc)
{
    static const char *const bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    static const char ascii[] = "_.-^";
    const struct ui_data *d = sc->data;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < d->nrss; i++) {
        lo = d->rss[i] < lo ? d->rss[i] : lo;
        hi = d->rss[i] > hi ? d->rss[i] : hi;
    }
    if (d->nrss < 2 || hi == lo)
        return;
    size_t len = strlen(buf);
    len += (size_t)snprintf(buf + len, VALUE_MAX - len, " ");
    for (size_t i = 0; i < d->nrss && len + 4 < VALUE_MAX; i++) {
        double f = (double)(d->rss[i] - lo) / (double)(hi - lo);
        if (sc->theme->utf8)
            len += (size_t)snprintf(buf + len, VALUE_MAX - len, "%s", bars[(int)(f * 7.0 + 0.5)]);
        else
            len += (size_t)snprintf(buf + len, VALUE_MAX - len, "%c", ascii[(int)(f * 3.0 + 0.5)]);
    }
}

static void target_fields(struct ui_fields *fs, const struct ui_scene *sc)
{
    const struct sampler_stats *p = &sc->data->stats;
    struct field *cpu = add(fs, "CPU", UI_EL_VALUE);
    cpu->newline = 1;
    if (p->proc_ok && p->cpu_pct >= 0)
        snprintf(cpu->value, VALUE_MAX, "%.1f%%", p->cpu_pct);
    else
        snprintf(cpu->value, VALUE_MAX, "-");
    struct field *rss = add(fs, "RSS", UI_EL_VALUE);
    if (p->proc_ok) {
        ui_fmt_bytes(rss->value, VALUE_MAX, p->rss_bytes);
        rss_spark(rss->value, sc);
    } else {
        snprintf(rss->value, VALUE_MAX, "-");
    }
    snprintf(add(fs, "Procs", UI_EL_VALUE)->value, VALUE_MAX, "%u", p->procs);
    snprintf(add(fs, "Threads", UI_EL_VALUE)->value, VALUE_MAX, "%u", p->threads);
}

static void thread_value(char *buf, const struct ui_scene *sc)
{
    uint32_t th = sc->state->thread;
    const struct ui_thread *t = th == TABLE_NONE ? NULL : ui_data_thread(sc->data, th);
    char task[VALUE_MAX];
    if (sc->state->tasks && ui_fmt_task_name(task, sizeof task, sc->data->replica, sc->state->task))
        snprintf(buf, VALUE_MAX, "task %.120s", task);
    else if (th == TABLE_NONE && sc->state->proc_only)
        snprintf(buf, VALUE_MAX, "process %u, all its threads (%.60s)", (unsigned)sc->state->proc_pid,
                 table_process_name(sc->data->replica, sc->state->proc_pid));
    else if (th == TABLE_NONE)
        snprintf(buf, VALUE_MAX, "all threads");
    else if (t && t->several && t->pid)
        snprintf(buf, VALUE_MAX, "thread %s (pid %u, tid %llu)", t->name[0] ? t->name : "?",
                 (unsigned)t->pid, (unsigned long long)t->tid);
    else if (t)
        snprintf(buf, VALUE_MAX, "thread %s (tid %llu)", t->name[0] ? t->name : "?",
                 (unsigned long long)t->tid);
    else
        snprintf(buf, VALUE_MAX, "thread #%u", (unsigned)th);
}

/* "Lens your code (2 dirs, 1 file)" while the lens is on: never hidden. */
static void lens_field(struct ui_fields *fs, const struct ui_scene *sc)
{
    const struct ui_data *d = sc->data;
    if (d->lens_failed) {
        snprintf(add(fs, "Lens", UI_EL_WARN)->value, VALUE_MAX, "your code: out of memory, off");
        return;
    }
    if (!d->lens_on)
        return;
    size_t dirs = d->code ? usercode_count(d->code, 1) : 0, files = d->code ? usercode_count(d->code, 0) : 0;
    char *v = add(fs, "Lens", UI_EL_FILTER)->value;
    if (dirs && files)
        snprintf(v, VALUE_MAX, "your code (%zu dir%s, %zu file%s)", dirs, dirs == 1 ? "" : "s", files,
                 files == 1 ? "" : "s");
    else if (dirs || files)
        snprintf(v, VALUE_MAX, "your code (%zu %s%s)", dirs + files, dirs ? "dir" : "file",
                 dirs + files == 1 ? "" : "s");
    else
        snprintf(v, VALUE_MAX, "your code (no path known)");
}

/* The shared settings, then the active view's fields. */
static void view_fields(struct ui_fields *fs, const struct ui_scene *sc)
{
    struct field *f = add(fs, "View", UI_EL_VALUE);
    thread_value(f->value, sc);
    f->newline = 1;
    snprintf(add(fs, "Level", UI_EL_VALUE)->value, VALUE_MAX, "%s", sc->state->by_line ? "line" : "function");
    lens_field(fs, sc);
    if (sc->ops && sc->ops->header)
        sc->ops->header(sc->view, sc, fs);
}

static void build(struct ui_fields *fs, const struct ui_scene *sc)
{
    fs->n = 0;
    if (sc->opt->saved) {
        saved_fields(fs, sc);
    } else {
        sampling_fields(fs, sc);
        target_fields(fs, sc);
    }
    view_fields(fs, sc);
}

/* Lay the fields out from line y0 (drawing when w is not NULL); returns
 * the lines used. A field too wide for a line of its own is shortened. */
static int flow(WINDOW *w, const struct ui_scene *sc, const struct ui_fields *fs, int y0, int width)
{
    const struct ui_theme *t = sc->theme;
    int x = 0, y = y0;
    for (int i = 0; i < fs->n; i++) {
        const struct field *f = &fs->f[i];
        int need = ui_text_width(f->label) + 1 + ui_text_width(f->value);
        if (x > 0 && (f->newline || x + FIELD_GAP + need > width)) {
            y++;
            x = 0;
        }
        if (x > 0)
            x += FIELD_GAP;
        if (w) {
            int lx = x + ui_paint_text(w, y, x, f->label, width - x, 0, UI_TRUNC_END,
                                       ui_theme_attr(t, UI_EL_LABEL), t);
            ui_paint_text(w, y, lx + 1, f->value, width - lx - 1, 0, UI_TRUNC_END,
                          ui_theme_attr(t, f->elem), t);
        }
        x += need;
    }
    return y - y0 + 1;
}

static void draw_title(WINDOW *w, const struct ui_scene *sc, int width)
{
    const struct ui_theme *t = sc->theme;
    char right[96];
    if (sc->opt->saved && !sc->opt->pid)          /* a saved profile that does not say */
        snprintf(right, sizeof right, "Python %s  PID ?", sc->opt->python_version ? sc->opt->python_version : "?");
    else
        snprintf(right, sizeof right, "Python %s  PID %d", sc->opt->python_version ? sc->opt->python_version : "?",
                 (int)sc->opt->pid);
    int rw = ui_text_width(right);
    int x = ui_paint_text(w, 0, 0, "proftui", width, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_TITLE), t);
    int room = width - x - 2 - rw - 2;
    if (room > 0)
        ui_paint_text(w, 0, x + 2, sc->opt->title ? sc->opt->title : "", room, 0, UI_TRUNC_END,
                      ui_theme_attr(t, UI_EL_VALUE), t);
    if (rw < width - x)
        ui_paint_text(w, 0, width - rw, right, rw, 0, UI_TRUNC_END, ui_theme_attr(t, UI_EL_LABEL), t);
}

/* The state: badge text, its element, and the explanation after it. */
static void state_of(const struct ui_scene *sc, char *badge, size_t cap, enum ui_elem *el, char *text,
                     size_t tcap)
{
    const struct sampler_stats *st = &sc->data->stats;
    const struct ui_theme *t = sc->theme;
    char a[48];
    if (sc->opt->saved) {
        snprintf(badge, cap, " SAVED ");
        *el = UI_EL_FINISHED;
        int room = tcap > 64 ? (int)(tcap - 64) : 0;      /* the path shortened to leave the rest */
        snprintf(text, tcap, "saved profile %.*s%snothing to pause or reset%sq quits", room,
                 sc->opt->saved->source, t->sep, t->sep);
    } else if (sc->state->paused) {
        snprintf(badge, cap, " PAUSED ");
        *el = UI_EL_PAUSED;
        snprintf(text, tcap, "display frozen, sampling goes on%sp resumes", t->sep);
    } else if (st->target_exited) {
        int ok = st->exit_status == -1 || st->exit_status == 0;
        if (sc->opt->launched)
            snprintf(badge, cap, " FINISHED (%s) ", ui_fmt_exit(a, sizeof a, st->exit_status));
        else
            snprintf(badge, cap, " TARGET EXITED ");
        *el = ok ? UI_EL_FINISHED : UI_EL_FAILED;
        const char *out = sc->opt->child_output;
        if (!ok && out && out[0])
            snprintf(text, tcap, "final numbers%sq quits and prints the end of the program's output "
                     "(all of it: %s)", t->sep, out);
        else
            snprintf(text, tcap, "final numbers%sq quits", t->sep);
    } else if (!st->running) {
        snprintf(badge, cap, " STOPPED ");
        *el = UI_EL_FINISHED;
        snprintf(text, tcap, "sampling ended (duration reached)%sfinal numbers%sq quits", t->sep, t->sep);
    } else {
        snprintf(badge, cap, "%s SAMPLING", t->utf8 ? "●" : "*");
        *el = UI_EL_RUNNING;
        int n = snprintf(text, tcap, "refresh %gs%s1 sample = %s (elapsed / samples)", sc->state->refresh_s,
                         t->sep, ui_fmt_period(a, sizeof a, sc->sample_ns));
        const char *out = sc->opt->child_output;
        if (out && out[0] && n > 0 && (size_t)n < tcap)
            snprintf(text + n, tcap - (size_t)n, "%sprogram output: %s", t->sep, out);
    }
}

static void draw_state(WINDOW *w, const struct ui_scene *sc, int y, int width)
{
    char badge[80], text[4400];
    enum ui_elem el;
    state_of(sc, badge, sizeof badge, &el, text, sizeof text);
    int x = ui_paint_text(w, y, 0, badge, width, 0, UI_TRUNC_END, ui_theme_attr(sc->theme, el), sc->theme);
    ui_paint_text(w, y, x + 2, text, width - x - 2, 0, UI_TRUNC_END, ui_theme_attr(sc->theme, UI_EL_DIM),
                  sc->theme);
}

int ui_header_lines(const struct ui_scene *sc, int width)
{
    struct ui_fields fs;
    build(&fs, sc);
    return 1 + flow(NULL, sc, &fs, 1, width) + 1;
}

void ui_header_draw(WINDOW *w, const struct ui_scene *sc)
{
    int lines, width;
    getmaxyx(w, lines, width);
    struct ui_fields fs;
    build(&fs, sc);
    werase(w);
    draw_title(w, sc, width);
    int used = flow(w, sc, &fs, 1, width);
    if (1 + used < lines)
        draw_state(w, sc, 1 + used, width);
}
