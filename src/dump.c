/* SPDX-License-Identifier: MIT */
/* --dump: read every thread's stack once, name the threads, tell the
 * active from the idle ones, print them as text or JSON. */
#include "dump.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "codecache.h"
#include "dump_impl.h"
#include "error.h"
#include "procstat.h"
#include "pytarget.h"
#include "table.h"
#include "taskstat.h"
#include "threadnames.h"
#include "walker.h"

#define NAMES_MAX 1024
#define RETRY_PAUSE_NS 2000000ULL      /* between rounds for stacks not read yet */

struct dump_thread {
    uint64_t ident, interp, tid;
    char name[64];
    int active;
    int8_t gil, gil_wait, gc;    /* as walk_stack: 1, 0, -1 unknown */
    int have;                    /* frames were read */
    int truncated;
    enum walk_fail why;          /* the last failure, while !have */
    int depth;
    struct dump_frame *frames;   /* owned, innermost first */
};

struct dump {
    struct pytarget *t;
    struct dump_thread *threads; /* owned */
    int n;
    int round_rc;                /* the last walker_round's error */
    int with_tasks;              /* --async: the asyncio tasks too */
    struct dump_tasks tasks;
    struct taskstat *ts;         /* the threads' kernel state (gil_wait before 3.15), or NULL */
};

/* ---------------------------------------------------------------- reading */

static void free_frames(struct dump_thread *th)
{
    dump_frames_free(th->frames, th->depth);
    th->frames = NULL;
    th->depth = 0;
}

/* Copy a stack read in this round (its code entries last until the next). */
static int copy_stack(struct dump_thread *th, const struct walk_stack *ws)
{
    th->frames = calloc(ws->depth > 0 ? (size_t)ws->depth : 1, sizeof *th->frames);
    if (!th->frames)
        return ERR_NOMEM;
    for (int i = 0; i < ws->depth; i++) {
        const struct code_entry *c = ws->frames[i].code;
        struct dump_frame *f = &th->frames[th->depth++];
        f->name = strdup(c && c->name ? c->name : "");
        f->file = strdup(c && c->file ? c->file : "");
        f->line = ws->frames[i].line;
        f->in_call = ws->frames[i].in_call;
        if (!f->name || !f->file)
            return ERR_NOMEM;
    }
    th->have = 1;
    th->truncated = ws->truncated;
    return 0;
}

static struct dump_thread *find(struct dump *d, const struct walk_stack *ws)
{
    for (int i = 0; i < d->n; i++)
        if (d->threads[i].ident == ws->ident && d->threads[i].interp == ws->interp)
            return &d->threads[i];
    return NULL;
}

/* The first round that reads a thread list fixes the threads. */
static int take_threads(struct dump *d, struct walker *w, int n)
{
    d->threads = calloc(n > 0 ? (size_t)n : 1, sizeof *d->threads);
    if (!d->threads)
        return ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        const struct walk_stack *ws = walker_stack(w, i);
        d->threads[i] = (struct dump_thread){.ident = ws->ident, .interp = ws->interp, .tid = ws->tid,
                                             .gil = ws->gil, .gil_wait = ws->gil_wait, .gc = ws->gc};
    }
    d->n = n;
    return 0;
}

/* Before 3.15: whether the thread of ws sleeps on its GIL's lock, read
 * just after its stack (walker.h gil_at; the sampler does the same:
 * sampler/proc.c): 1 or 0, -1 when that cannot be told. */
static int8_t asleep_on_gil(struct dump *d, const struct walk_stack *ws)
{
    uint64_t uaddr;
    if (!ws->gil_at || !ws->tid)
        return -1;
    if (ws->gil == 1 || ws->gil_locked == 0)
        return 0;
    if (!d->ts && !(d->ts = taskstat_new(d->t->pid)))
        return -1;
    int rc = taskstat_futex(d->ts, (pid_t)ws->tid, &uaddr);
    if (rc < 0)
        return -1;
    return (int8_t)(rc == 1 && walk_gil_lock_at(ws, uaddr));
}

/* One round; returns how many threads still have no stack, or an error. */
static int one_round(struct dump *d, struct walker *w)
{
    int n = walker_round(w), missing = 0;
    if (n < 0) {
        d->round_rc = n;
        n = 0;
        if (!d->threads)
            return 1;
    }
    if (!d->threads && take_threads(d, w, n) < 0)
        return ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        const struct walk_stack *ws = walker_stack(w, i);
        struct dump_thread *th = find(d, ws);
        if (!th || th->have)
            continue;
        /* the thread's state as of the round its stack comes from */
        th->gil = ws->gil;
        th->gil_wait = ws->gil_wait >= 0 ? ws->gil_wait : asleep_on_gil(d, ws);
        th->gc = ws->gc;
        if (ws->failed)
            th->why = ws->why;
        else if (copy_stack(th, ws) < 0)
            return ERR_NOMEM;
    }
    for (int i = 0; i < d->n; i++)
        missing += !d->threads[i].have;
    return missing;
}

static int read_stacks(struct dump *d)
{
    struct codecache *cache = codecache_new();
    struct walker *w = NULL;
    int rc = cache ? walker_new(d->t, cache, &w) : ERR_NOMEM;
    for (int i = 0; rc == 0 && i < DUMP_TRIES; i++) {
        if (i)
            clock_sleep_ns(RETRY_PAUSE_NS);
        int missing = one_round(d, w);
        if (missing <= 0) {
            rc = missing;
            break;
        }
    }
    walker_free(w);
    codecache_free(cache);
    if (rc == 0 && !d->threads)
        rc = d->round_rc ? d->round_rc : ERR_READ;
    return rc;
}

/* Python's names (threading), else MainThread for the process's own
 * thread, else the OS's name. */
static void name_threads(struct dump *d)
{
    static struct thread_name names[NAMES_MAX];
    int n = 0;
    if (d->n == 0 ||
        threadnames_read(d->t->r, &d->t->layout, d->threads[0].interp, names, NAMES_MAX, &n) < 0)
        n = 0;
    for (int i = 0; i < d->n; i++) {
        struct dump_thread *th = &d->threads[i];
        for (int k = 0; k < n && !th->name[0]; k++)
            if (names[k].ident == th->ident)
                snprintf(th->name, sizeof th->name, "%s", names[k].name);
        if (th->name[0])
            continue;
        if (th->tid == (uint64_t)d->t->pid)
            snprintf(th->name, sizeof th->name, "MainThread");
        else if (th->tid)
            taskstat_name(d->t->pid, (pid_t)th->tid, th->name, sizeof th->name);
    }
}

/* Active: on a CPU at any of DUMP_CPU_LOOKS looks, or its CPU time grew
 * between the first and the last (on a loaded machine a running thread
 * may wait for a CPU at every look, but it gets some in 0.2 s). */
static void find_active(struct dump *d)
{
    struct taskstat *ts = taskstat_new(d->t->pid);
    uint64_t *run0 = calloc(d->n > 0 ? (size_t)d->n : 1, sizeof *run0);
    if (!ts || !run0)
        goto out;
    for (int i = 0; i < d->n; i++)
        if (!d->threads[i].tid || taskstat_run_ns(d->t->pid, (pid_t)d->threads[i].tid, &run0[i]) < 0)
            run0[i] = UINT64_MAX;
    for (int look = 0; look < DUMP_CPU_LOOKS; look++) {
        if (look)
            clock_sleep_ns(DUMP_CPU_EVERY_NS);
        taskstat_round(ts);
        for (int i = 0; i < d->n; i++) {
            struct dump_thread *th = &d->threads[i];
            if (!th->active && th->tid)
                th->active = taskstat_on_cpu(ts, (pid_t)th->tid) == 1;
        }
    }
    for (int i = 0; i < d->n; i++) {
        uint64_t run;
        if (run0[i] != UINT64_MAX && taskstat_run_ns(d->t->pid, (pid_t)d->threads[i].tid, &run) == 0)
            d->threads[i].active |= run > run0[i];
    }
out:
    free(run0);
    taskstat_free(ts);
}

/* ---------------------------------------------------------------- printing */

struct process_info {
    char command[4096];          /* the command line, arguments joined by spaces */
    char exe[4096];              /* the interpreter's executable */
};

static void process_info(const struct pytarget *t, struct process_info *pi)
{
    char buf[4096], *argv[256];
    int argc = procstat_cmdline(t->pid, buf, sizeof buf, argv, 256);
    size_t len = 0;
    pi->command[0] = '\0';
    for (int i = 0; i < argc && len + 1 < sizeof pi->command; i++)
        len += (size_t)snprintf(pi->command + len, sizeof pi->command - len, "%s%s", i ? " " : "", argv[i]);
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)t->pid);
    ssize_t n = readlink(link, pi->exe, sizeof pi->exe - 1);
    if (n <= 0)
        snprintf(pi->exe, sizeof pi->exe, "%s", t->binary);
    else
        pi->exe[n] = '\0';
}

static void text_thread(FILE *out, const struct dump_thread *th)
{
    fprintf(out, "\nThread %llu (%s%s%s%s): \"", (unsigned long long)th->tid, th->active ? "active" : "idle",
            th->gil == 1 ? ", holds GIL" : "", th->gil_wait == 1 ? ", waits for GIL" : "",
            th->gc == 1 ? ", in GC" : "");
    dump_text_string(out, th->name, 1);
    fputs("\"\n", out);
    if (!th->have) {
        fprintf(out, "    [unreadable: %s, in %d tries]\n", table_fail_name(th->why), DUMP_TRIES);
        return;
    }
    for (int i = 0; i < th->depth; i++) {
        const struct dump_frame *f = &th->frames[i];
        fputs("    ", out);
        dump_text_string(out, f->name[0] ? f->name : "?", 0);
        fputs(" (", out);
        dump_text_string(out, f->file, 0);
        if (f->line >= 0)
            fprintf(out, ":%d", (int)f->line);
        fputs(")\n", out);
    }
    if (th->truncated)
        fprintf(out, "    [truncated: the outermost frames beyond %d are not shown]\n", WALK_MAX_DEPTH);
}

/* dump_tid_fn over the threads read */
static uint64_t tid_of(const void *arg, uint64_t ident)
{
    const struct dump *d = arg;
    for (int i = 0; i < d->n; i++)
        if (d->threads[i].ident == ident)
            return d->threads[i].tid;
    return 0;
}

static void print_text(FILE *out, const struct dump *d, const struct process_info *pi)
{
    fprintf(out, "Process %d: ", (int)d->t->pid);
    dump_text_string(out, pi->command, 0);
    fputs("\nPython v", out);
    dump_text_string(out, d->t->version, 0);
    fputs(" (", out);
    dump_text_string(out, pi->exe, 0);
    fputs(")\n", out);
    for (int i = 0; i < d->n; i++)
        text_thread(out, &d->threads[i]);
    if (d->with_tasks)
        dumptasks_text(out, &d->tasks, tid_of, d);
}

static const char *json_flag(int8_t v)
{
    return v == 1 ? "true" : v == 0 ? "false" : "null";
}

static void json_thread(FILE *out, const struct dump_thread *th)
{
    fprintf(out, "{\"tid\":%llu,\"name\":", (unsigned long long)th->tid);
    dump_json_string(out, th->name);
    fprintf(out, ",\"active\":%s,\"gil\":%s,\"gil_wait\":%s,\"gc\":%s,\"truncated\":%s,\"error\":",
            th->active ? "true" : "false", json_flag(th->gil), json_flag(th->gil_wait), json_flag(th->gc),
            th->truncated ? "true" : "false");
    if (th->have)
        fputs("null", out);
    else
        dump_json_string(out, table_fail_name(th->why));
    fputs(",\"frames\":[", out);
    for (int i = 0; i < th->depth; i++) {
        const struct dump_frame *f = &th->frames[i];
        fputs(i ? ",{\"name\":" : "{\"name\":", out);
        dump_json_string(out, f->name);
        fputs(",\"file\":", out);
        dump_json_string(out, f->file);
        if (f->line >= 0)
            fprintf(out, ",\"line\":%d", (int)f->line);
        else
            fputs(",\"line\":null", out);
        fprintf(out, ",\"in_call\":%s}", json_flag(f->in_call));
    }
    fputs("]}", out);
}

static void print_json(FILE *out, const struct dump *d, const struct process_info *pi, int open)
{
    fprintf(out, "{\"pid\":%d,\"command\":", (int)d->t->pid);
    dump_json_string(out, pi->command);
    fputs(",\"python_version\":", out);
    dump_json_string(out, d->t->version);
    fputs(",\"executable\":", out);
    dump_json_string(out, pi->exe);
    fputs(",\"proftui_version\":", out);
    dump_json_string(out, PROFTUI_VERSION);
    fputs(",\"threads\":[", out);
    for (int i = 0; i < d->n; i++) {
        if (i)
            fputc(',', out);
        json_thread(out, &d->threads[i]);
    }
    fputc(']', out);
    if (d->with_tasks) {
        fputs(",\"tasks\":", out);
        dumptasks_json(out, &d->tasks, tid_of, d);
    }
    if (!open)
        fputs("}\n", out);
}

int dump_print(struct pytarget *t, int json, FILE *out)
{
    return dump_print_async(t, json, 0, out);
}

int dump_print_async(struct pytarget *t, int json, int tasks, FILE *out)
{
    return dump_print_one(t, json, tasks, 0, out);
}

int dump_print_one(struct pytarget *t, int json, int tasks, int open, FILE *out)
{
    struct dump d = {.t = t, .with_tasks = tasks};
    int rc = 0;
    if (tasks) {
        /* before anything is printed: ERR_VERSION before 3.11 */
        struct taskwalk *tw;
        if ((rc = taskwalk_new(t, NULL, &tw)) < 0)
            return rc;
        taskwalk_free(tw);
    }
    rc = read_stacks(&d);
    if (rc == 0 && tasks)
        rc = dumptasks_read(t, &d.tasks);
    if (rc == 0) {
        name_threads(&d);
        find_active(&d);
        struct process_info *pi = malloc(sizeof *pi);
        if (pi) {
            process_info(t, pi);
            if (json)
                print_json(out, &d, pi, open);
            else
                print_text(out, &d, pi);
            free(pi);
            rc = fflush(out) == 0 && !ferror(out) ? 0 : ERR_IO;
        } else {
            rc = ERR_NOMEM;
        }
    }
    for (int i = 0; i < d.n; i++)
        free_frames(&d.threads[i]);
    free(d.threads);
    dumptasks_free(&d.tasks);
    taskstat_free(d.ts);
    return rc;
}
