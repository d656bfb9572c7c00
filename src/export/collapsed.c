/* SPDX-License-Identifier: MIT */
/* Collapsed-stack ("folded") export of the table; see include/collapsed.h
 * for the format and the escaping of untrusted names. */
#include "collapsed.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "table.h"
#include "utf8.h"

/* The frame written for a sample that had no Python frame at all. */
#define NO_FRAME "[no Python frame]"
#define TRUNCATED_FRAME "[truncated]"         /* RECORD_TRUNCATED, see record.h */
#define GC_FRAME "[gc]"                       /* RECORD_GC, see record.h */
#define TASK_FRAME TABLE_TASK_PREFIX          /* "[task NAME]" */
#define OUTSIDE_FRAME "[outside your code]"   /* PROFILE_OUTSIDE_NAME, see profile.h */
#define NATIVE_CUT_FRAME "[native stack cut]" /* NMERGE_CUT, see nmerge.h */

/* A growing text buffer; after an allocation failure it only sets oom. */
struct buf {
    char *p;
    size_t len, cap;
    int oom;
};

static int buf_reserve(struct buf *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (extra > SIZE_MAX - b->len ||
        array_reserve((void **)&b->p, &b->cap, b->len + extra, 1) < 0) {
        b->oom = 1;
        return 0;
    }
    return 1;
}

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n)) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

static void buf_str(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

static void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Only for short, fixed-shape text (numbers, keys). */
static void buf_printf(struct buf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Append untrusted text s with the escaping described in collapsed.h;
 * in_frame also turns the frame separator ';' into ':'. */
static void put_escaped(struct buf *b, const char *s, int in_frame)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        uint32_t cp;
        size_t n = utf8_seq(u, &cp);
        if (n == 0 || utf8_is_control(cp))
            buf_put(b, "?", 1);
        else if (cp == ';' && in_frame)
            buf_put(b, ":", 1);
        else
            buf_put(b, (const char *)u, n);
        u += n ? n : 1;
    }
}

/* The frames that stand for no Python function, written bare like
 * NO_FRAME: the ones the sampler writes for a stack cut at the walker's
 * depth bound, for one that could not be read (TABLE_UNREADABLE) and
 * innermost on a thread running the garbage collector, "[task NAME]" at
 * the root of an asyncio task's stack, and the one the
 * lens puts for a stack with none of the user's code (functions of those
 * names without a file). */
static int is_marker(const char *name, const char *file)
{
    size_t n = strlen(name);
    return !*file && (strcmp(name, TRUNCATED_FRAME) == 0 || strcmp(name, TABLE_UNREADABLE) == 0 ||
                      strcmp(name, OUTSIDE_FRAME) == 0 || strcmp(name, GC_FRAME) == 0 ||
                      strcmp(name, NATIVE_CUT_FRAME) == 0 ||
                      (strncmp(name, TASK_FRAME, sizeof TASK_FRAME - 1) == 0 && name[n - 1] == ']'));
}

/* State of one export: the rendered stack lines, NUL-separated in text. */
struct export {
    const struct table *t;
    const struct export_meta *meta;
    struct buf text;
    size_t *offs;      /* start of each line in text */
    size_t n, cap;
};

static int add_line(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                    uint64_t count)
{
    struct export *e = arg;
    struct buf *b = &e->text;
    if (array_reserve((void **)&e->offs, &e->cap, e->n + 1, sizeof *e->offs) < 0)
        return ERR_NOMEM;
    e->offs[e->n++] = b->len;
    uint32_t pid = table_thread_pid(e->t, thread);
    if (pid)
        buf_printf(b, "P%" PRIu32, pid);
    else if (e->meta)
        buf_printf(b, "P%" PRId64, e->meta->pid);
    const char *pname = table_process_name(e->t, pid);
    if ((pid || e->meta) && *pname) {                 /* "P<pid> <command>" */
        buf_put(b, " ", 1);
        put_escaped(b, pname, 1);
    }
    if (pid || e->meta)
        buf_put(b, ";", 1);
    buf_printf(b, "T%" PRIu64, table_thread_tid(e->t, thread));
    const char *tname = table_thread_name(e->t, thread);
    if (*tname) {
        buf_put(b, " ", 1);
        put_escaped(b, tname, 1);
    }
    for (int i = 0; i < depth; i++) {
        buf_put(b, ";", 1);
        const char *name = table_func_name(e->t, frames[i].func);
        put_escaped(b, name, 1);
        if (is_marker(name, table_func_file(e->t, frames[i].func)))
            continue;
        buf_put(b, " (", 2);
        put_escaped(b, table_func_file(e->t, frames[i].func), 1);
        if (table_func_is_native(e->t, frames[i].func))
            buf_put(b, ")", 1);           /* "deflate (/usr/lib/.../libz.so.1)": no line */
        else if (frames[i].line >= 0)
            buf_printf(b, ":%" PRId32 ")", frames[i].line);
        else
            buf_put(b, ":?)", 3);
    }
    if (depth == 0)
        buf_str(b, ";" NO_FRAME);
    buf_printf(b, " %" PRIu64, count);
    buf_put(b, "", 1);
    return b->oom ? ERR_NOMEM : 0;
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Does s end in a word that flamegraph.pl or speedscope would read as a
 * sample count ("12", "1.5")? Such a line would be taken for a stack. */
static int ends_with_number(const char *s, size_t len)
{
    size_t start = len;
    while (start > 0 && s[start - 1] != ' ')
        start--;
    size_t i = start, digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            ;
    return digits > 0 && i == len;
}

/* "# key: value" for free text, quoted when empty, when asked, or when it
 * would otherwise end in a number. */
static void meta_text(struct buf *b, const char *key, const char *value, int quote)
{
    struct buf v = { .p = NULL };
    put_escaped(&v, value, 0);
    if (v.len == 0 || ends_with_number(v.p, v.len))
        quote = 1;
    buf_printf(b, "# %s: ", key);
    if (quote)
        buf_put(b, "\"", 1);
    if (v.len)
        buf_put(b, v.p, v.len);
    if (quote)
        buf_put(b, "\"", 1);
    buf_put(b, "\n", 1);
    b->oom |= v.oom;
    free(v.p);
}

/* " (torn A, cycle B, corrupt C, read D)": failures of one thread, or of
 * every thread when thread is TABLE_NONE; the total goes to *total. */
static void put_reasons(struct buf *b, const struct table *t, uint32_t thread, uint64_t *total)
{
    size_t first = thread == TABLE_NONE ? 0 : thread;
    size_t end = thread == TABLE_NONE ? table_thread_count(t) : (size_t)thread + 1;
    uint64_t n[WALK_FAIL_COUNT] = {0};
    *total = 0;
    for (size_t i = first; i < end; i++)
        for (int why = WALK_OK + 1; why < WALK_FAIL_COUNT; why++) {
            n[why] += table_thread_failed(t, (uint32_t)i, (enum walk_fail)why);
            *total += table_thread_failed(t, (uint32_t)i, (enum walk_fail)why);
        }
    for (int why = WALK_OK + 1; why < WALK_FAIL_COUNT; why++)
        buf_printf(b, "%s%s %" PRIu64, why == WALK_OK + 1 ? " (" : ", ",
                   table_fail_name((enum walk_fail)why), n[why]);
    buf_put(b, ")", 1);
}

/* "# failed: N stacks (torn A, cycle B, corrupt C, read D)". */
static void write_failed(struct buf *b, const struct table *t)
{
    struct buf why = { .p = NULL };
    uint64_t total;
    put_reasons(&why, t, TABLE_NONE, &total);
    buf_printf(b, "# failed: %" PRIu64 " stacks", total);
    buf_put(b, why.p, why.len);
    buf_put(b, "\n", 1);
    b->oom |= why.oom;
    free(why.p);
}

/* "# thread: <tid> (pid <pid>) "<name>" S samples, F failed (torn A,
 * ...)": the pid is the thread's process (the profile's own for a thread
 * registered without one), left out when unknown. The name is always
 * quoted; the fixed-shape tail makes the line parse from its end whatever
 * the name holds. */
static void write_thread(struct buf *b, const struct table *t, uint32_t th, int64_t own_pid)
{
    struct buf why = { .p = NULL };
    uint64_t failed;
    put_reasons(&why, t, th, &failed);
    int64_t pid = table_thread_pid(t, th) ? (int64_t)table_thread_pid(t, th) : own_pid;
    buf_printf(b, "# thread: %" PRIu64, table_thread_tid(t, th));
    if (pid > 0)
        buf_printf(b, " (pid %" PRId64 ")", pid);
    buf_str(b, " \"");
    put_escaped(b, table_thread_name(t, th), 0);
    buf_printf(b, "\" %" PRIu64 " samples, %" PRIu64 " failed", table_thread_samples(t, th), failed);
    buf_put(b, why.p, why.len);
    buf_put(b, "\n", 1);
    b->oom |= why.oom;
    free(why.p);
}

/* One line per thread with samples, by OS thread id (so that the same
 * profile always gives the same file). */
static void write_threads(struct buf *b, const struct table *t, int64_t own_pid)
{
    uint32_t *threads;
    size_t k;
    if (table_threads_by_tid(t, &threads, &k) < 0) {
        b->oom = 1;
        return;
    }
    for (size_t i = 0; i < k; i++)
        write_thread(b, t, threads[i], own_pid);
    free(threads);
}

struct state_line {
    uint32_t pid;
    uint64_t tid;
    struct table_states st;
};

static int by_pid_tid(const void *pa, const void *pb)
{
    const struct state_line *a = pa, *b = pb;
    if (a->pid != b->pid)
        return (a->pid > b->pid) - (a->pid < b->pid);
    return (a->tid > b->tid) - (a->tid < b->tid);
}

/* "# state: P<pid> T<tid> cpu C, gil G, wait W, idle I of S samples": what
 * each thread's samples found it doing, every mode's (whatever mode the
 * stacks are in), for the threads whose state is known (table_thread_states):
 * cpu on a CPU, gil holding the GIL, wait waiting for it, idle neither on a
 * CPU nor holding it; S counts them all (the line ends in a unit, as every
 * metadata line: flamegraph.pl reads a line ending in a number as a
 * stack). By process, then thread id. */
static void write_states(struct buf *b, const struct table *t, int64_t own_pid)
{
    size_t n = table_thread_count(t), k = 0;
    struct state_line *l = n ? malloc(n * sizeof *l) : NULL;
    if (n && !l) {
        b->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t pid = table_thread_pid(t, (uint32_t)i);        /* 0: the profile's own */
        struct state_line s = {.pid = pid ? pid : (uint32_t)own_pid,
                               .tid = table_thread_tid(t, (uint32_t)i)};
        if (table_thread_states(t, (uint32_t)i, &s.st))
            l[k++] = s;
    }
    if (k > 1)
        qsort(l, k, sizeof *l, by_pid_tid);
    for (size_t i = 0; i < k; i++)
        buf_printf(b, "# " EXPORT_STATE_LINE "\n", l[i].pid, l[i].tid, l[i].st.cpu, l[i].st.gil,
                   l[i].st.wait, l[i].st.idle, l[i].st.samples);
    free(l);
}

static void write_meta(struct buf *b, const struct table *t, const struct export_meta *m)
{
    meta_text(b, "proftui", m->version ? m->version : "unknown", 0);
    meta_text(b, "python", m->python_version ? m->python_version : "unknown", 0);
    buf_printf(b, "# mode: %s\n", table_mode_name((enum table_mode)m->mode));
    if (m->interval_ns % 1000 == 0)
        buf_printf(b, "# interval: %" PRIu64 "us\n", m->interval_ns / 1000);
    else
        buf_printf(b, "# interval: %" PRIu64 "ns\n", m->interval_ns);
    buf_printf(b, "# duration: %" PRIu64 ".%03" PRIu64 "s\n", m->duration_ns / 1000000000,
               m->duration_ns % 1000000000 / 1000000);
    buf_printf(b, "# samples: %" PRIu64 " rounds\n", m->taken);
    buf_printf(b, "# missed: %" PRIu64 " rounds\n", m->missed);
    buf_printf(b, "# lost: %" PRIu64 " rounds\n", m->lost);
    write_failed(b, t);
    buf_printf(b, "# recorded: %" PRIu64 " %s\n", table_samples(t),
               table_mode_counts_bytes(m->mode) ? "bytes" : "stacks");
    buf_printf(b, "# pid: %" PRId64 " (%s)\n", m->pid, m->command ? "launched" : "attached");
    if (m->command)
        meta_text(b, "command", m->command, 1);
    if (m->only)
        meta_text(b, "only", m->only, 1);
    if (m->warning)
        meta_text(b, "warning", m->warning, 0);
    write_threads(b, t, m->pid);
    write_states(b, t, m->pid);
}

/* Sort the rendered lines and write them after the metadata. */
static int write_all(FILE *f, struct export *e, const struct buf *head)
{
    const char **lines = NULL;
    if (e->n) {
        lines = malloc(e->n * sizeof *lines);
        if (!lines)
            return ERR_NOMEM;
        for (size_t i = 0; i < e->n; i++)
            lines[i] = e->text.p + e->offs[i];
        qsort(lines, e->n, sizeof *lines, cmp_lines);
    }
    int bad = head->len && fwrite(head->p, 1, head->len, f) != head->len;
    for (size_t i = 0; i < e->n && !bad; i++)
        bad = fputs(lines[i], f) == EOF || fputc('\n', f) == EOF;
    free(lines);
    if (fflush(f) != 0 || ferror(f))
        bad = 1;
    return bad ? ERR_IO : 0;
}

int collapsed_write(FILE *f, const struct table *t, const struct export_meta *meta)
{
    struct export e = { .t = t, .meta = meta };
    struct buf head = { .p = NULL };
    int rc = table_foreach_stack(t, add_line, &e);
    if (rc == 0 && meta)
        write_meta(&head, t, meta);
    if (rc == 0 && (head.oom || e.text.oom))
        rc = ERR_NOMEM;
    if (rc == 0)
        rc = write_all(f, &e, &head);
    free(head.p);
    free(e.text.p);
    free(e.offs);
    return rc;
}
