/* SPDX-License-Identifier: MIT */
/* Reading collapsed ("folded") stacks: one "frame;frame;... COUNT" line per
 * stack, root first, in the dialects of proftui (collapsed.h: "# key:
 * value" metadata, "P<pid>[ <process name>];T<tid> <name>;func
 * (file:line)"), py-spy --format raw ("process PID:\"cmd\"", "thread (TID): name",
 * "func (file:line)" or "func (file)"), Austin 3 ("P<pid>;T<iid>:<tid hex>;
 * file:func:line", its metric after the last space, "a,b,c" in full mode:
 * each line is one sample whatever its metric, time or memory), CPython's profiling.sampling
 * --collapsed ("tid:TID;file:func:line") and any flamegraph.pl input
 * ("a;b;c N": bare names without a file). */
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "profile.h"

#define LINE_MAX_BYTES (64u << 20)
#define NO_FRAME IMPORT_NO_FRAME

enum tool { TOOL_NONE, TOOL_PROFTUI, TOOL_AUSTIN, TOOL_PYSPY, TOOL_CPYTHON };

struct folded {
    struct import_ctx *c;
    size_t lineno;
    enum tool tool;                  /* from the metadata, else the first stack */
    int seen_stack;
};

struct span {
    const char *p;
    size_t n;
};

static int span_eq(struct span s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static int all_digits(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* A decimal (or hex with base 16) number of n bytes; -1 on overflow or a bad digit. */
static int parse_u64(const char *p, size_t n, int base, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int d = p[i] >= '0' && p[i] <= '9' ? p[i] - '0'
              : base == 16 && p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10
              : base == 16 && p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 10 : -1;
        if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

/* --- Metadata ("# key: value"). --- */

static struct span unquote(struct span v)
{
    if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"')
        return (struct span){v.p + 1, v.n - 2};
    return v;
}

static void copy_text(char *dst, size_t cap, struct span v)
{
    size_t n = v.n < cap - 1 ? v.n : cap - 1;
    memcpy(dst, v.p, n);
    dst[n] = '\0';
}

/* "1000us", "250ns", "2.013s", "5ms", or a bare number in default_ns units. */
static uint64_t parse_time(struct span v, uint64_t default_ns)
{
    size_t i = 0;
    uint64_t whole = 0, frac = 0, scale = 1;
    while (i < v.n && v.p[i] >= '0' && v.p[i] <= '9' && whole < UINT64_MAX / 100)
        whole = whole * 10 + (uint64_t)(v.p[i++] - '0');
    if (i < v.n && v.p[i] == '.')
        for (i++; i < v.n && v.p[i] >= '0' && v.p[i] <= '9' && scale < 1000000000; i++)
            frac = frac * 10 + (uint64_t)(v.p[i] - '0'), scale *= 10;
    struct span unit = {v.p + i, v.n - i};
    uint64_t ns = span_eq(unit, "s") ? 1000000000 : span_eq(unit, "ms") ? 1000000
                : span_eq(unit, "us") ? 1000 : span_eq(unit, "ns") ? 1 : default_ns;
    if (whole > UINT64_MAX / 2 / ns)
        return 0;
    return whole * ns + frac * ns / scale;
}

/* The first number of a value ("2013 rounds" -> 2013). */
static uint64_t first_number(struct span v)
{
    size_t n = 0;
    while (n < v.n && v.p[n] >= '0' && v.p[n] <= '9')
        n++;
    uint64_t x = 0;
    return parse_u64(v.p, n, 10, &x) == 0 ? x : 0;
}

/* "torn A, cycle B, corrupt C, read D)": counts by reason into why. */
static void reasons_list(const char *p, size_t n, uint64_t why[WALK_FAIL_COUNT])
{
    for (const char *end0 = p + n; p < end0;) {
        const char *end = memchr(p, ',', (size_t)(end0 - p));
        end = end ? end : end0;
        const char *s = memchr(p, ' ', (size_t)(end - p));
        for (int w = WALK_OK + 1; s && w < WALK_FAIL_COUNT; w++)
            if ((size_t)(s - p) == strlen(table_fail_name((enum walk_fail)w)) &&
                memcmp(p, table_fail_name((enum walk_fail)w), (size_t)(s - p)) == 0)
                why[w] = first_number((struct span){s + 1, (size_t)(end - s - 1)});
        p = end + (end < end0);
        while (p < end0 && *p == ' ')
            p++;
    }
}

/* "# thread: <tid> "<name>" S samples, F failed (torn A, cycle B, ...)":
 * the failures by reason, to give the [unreadable] samples their reasons
 * back. The name (quoted, anything inside) is read from the stack lines. */
static int thread_line(struct folded *f, struct span v)
{
    size_t sp = 0;
    while (sp < v.n && v.p[sp] != ' ')
        sp++;
    uint64_t tid, why[WALK_FAIL_COUNT] = {0};
    if (parse_u64(v.p, sp, 10, &tid) < 0)
        return 0;                               /* not ours: ignored */
    const char *q = v.p + v.n;
    while (q > v.p && q[-1] != '"')            /* past the closing quote of the name */
        q--;
    const char *open = memchr(q, '(', (size_t)(v.p + v.n - q));
    if (!open)
        return 0;
    reasons_list(open + 1, (size_t)(v.p + v.n - open - 1), why);
    return import_reasons(f->c, tid, why);
}


/* "# state: P<pid> T<tid> cpu C, gil G, wait W, idle I of S samples"
 * (collapsed.c): a thread's states, kept as the file says them. */
static int state_line(struct folded *f, struct span v)
{
    char line[160];
    unsigned long long pid, tid, st[5];
    if (v.n >= sizeof line)
        return 0;                               /* not ours: ignored */
    memcpy(line, v.p, v.n);
    line[v.n] = '\0';
    if (sscanf(line, "P%llu T%llu cpu %llu, gil %llu, wait %llu, idle %llu of %llu samples", &pid, &tid,
               &st[0], &st[1], &st[2], &st[3], &st[4]) != 7)
        return 0;
    uint32_t th = table_thread_of(f->c->t, import_thread_pid(f->c, pid), tid, NULL);
    if (th == TABLE_NONE)
        return ERR_NOMEM;
    struct table_states ts = {.cpu = st[0], .gil = st[1], .wait = st[2], .idle = st[3], .samples = st[4]};
    table_set_thread_states(f->c->t, th, &ts);
    return 0;
}

/* Name process pid (as the table keys it) name[0..n), unless it has that
 * name already; a name over 4,096 bytes, or lost to ENOMEM, is no error. */
static void name_process(struct folded *f, uint32_t pid, const char *p, size_t n)
{
    char name[4097];
    if (n == 0 || n >= sizeof name)
        return;
    memcpy(name, p, n);
    name[n] = '\0';
    if (strcmp(table_process_name(f->c->t, pid), name) != 0)
        table_set_process_name(f->c->t, pid, name);
}

/* "process: PID NAME" (pprof's comments, pprof.c): a process's name. */
static int process_line(struct folded *f, struct span v)
{
    size_t sp = 0;
    uint64_t pid;
    while (sp < v.n && v.p[sp] != ' ')
        sp++;
    if (sp + 1 >= v.n || parse_u64(v.p, sp, 10, &pid) < 0)
        return 0;                               /* not ours: ignored */
    name_process(f, import_thread_pid(f->c, pid), v.p + sp + 1, v.n - sp - 1);
    return 0;
}

static void tool_from_meta(struct folded *f, struct span key, struct span v)
{
    struct profile_meta *m = f->c->meta;
    if (span_eq(key, "proftui") && !f->seen_stack) {
        f->tool = TOOL_PROFTUI;
        char ver[32];
        copy_text(ver, sizeof ver, unquote(v));
        snprintf(m->writer, sizeof m->writer, "%s", ver);
        snprintf(m->format, sizeof m->format, "collapsed (proftui %s)", ver);
    } else if (span_eq(key, "austin") && !f->seen_stack) {
        f->tool = TOOL_AUSTIN;
        char ver[32];
        copy_text(ver, sizeof ver, v);
        snprintf(m->format, sizeof m->format, "collapsed (Austin %s)", ver);
    }
}

static int meta_line(struct folded *f, const char *p, size_t n)
{
    struct profile_meta *m = f->c->meta;
    size_t i = 1;
    while (i < n && p[i] == ' ')
        i++;
    const char *colon = memchr(p + i, ':', n - i);
    if (!colon || (size_t)(colon - p) + 1 >= n || colon[1] != ' ')
        return 0;                               /* a comment */
    struct span key = {p + i, (size_t)(colon - p) - i};
    struct span v = {colon + 2, n - (size_t)(colon - p) - 2};
    uint64_t us = 1000;                         /* bare numbers (Austin's) are microseconds */
    tool_from_meta(f, key, v);
    if (span_eq(key, "python") && !span_eq(v, "unknown"))
        copy_text(m->python_version, sizeof m->python_version, unquote(v));
    else if (span_eq(key, "mode")) {
        for (int mode = 0; mode < TABLE_MODES; mode++)
            if (span_eq(v, table_mode_name((enum table_mode)mode)))
                m->mode = mode;
    }
    else if (span_eq(key, "interval"))
        m->interval_ns = parse_time(v, us);
    else if (span_eq(key, "duration"))
        m->duration_ns = parse_time(v, us);
    else if (span_eq(key, "samples") || span_eq(key, "missed") || span_eq(key, "lost")) {
        uint64_t *dst = key.p[0] == 's' ? &m->taken : key.p[0] == 'm' ? &m->missed : &m->lost;
        *dst = first_number(v);
        m->rounds_known = 1;
    } else if (span_eq(key, "pid")) {
        m->pid = (int64_t)(first_number(v) & INT64_MAX);
        m->launched = v.n >= 10 && memcmp(v.p + v.n - 10, "(launched)", 10) == 0;
    } else if (span_eq(key, "command")) {
        copy_text(m->command, sizeof m->command, unquote(v));
    } else if (span_eq(key, "only")) {
        copy_text(m->only, sizeof m->only, unquote(v));
    } else if (span_eq(key, "warning")) {
        copy_text(m->warning, sizeof m->warning, unquote(v));
    } else if (span_eq(key, "thread") && f->tool == TOOL_PROFTUI) {
        return thread_line(f, v);
    } else if (span_eq(key, "state") && f->tool == TOOL_PROFTUI) {
        return state_line(f, v);
    } else if (span_eq(key, "process") && f->tool == TOOL_PROFTUI) {
        return process_line(f, v);
    } else if (span_eq(key, "failed") && f->tool == TOOL_PROFTUI) {
        uint64_t why[WALK_FAIL_COUNT] = {0};       /* all threads' (pprof has no per-thread line) */
        const char *open = memchr(v.p, '(', v.n);
        if (open)
            reasons_list(open + 1, (size_t)(v.p + v.n - open - 1), why);
        return import_reasons(f->c, IMPORT_ANY_THREAD, why);
    }
    return 0;
}

int import_meta_text(struct import_ctx *c, const char *text, size_t n)
{
    struct folded f = {.c = c, .tool = TOOL_PROFTUI};
    char line[PROFILE_TEXT_MAX + 64], format[sizeof c->meta->format];
    memcpy(format, c->meta->format, sizeof format);       /* "proftui: V" sets the writer only */
    n = n < sizeof line - 3 ? n : sizeof line - 3;
    line[0] = '#', line[1] = ' ';
    memcpy(line + 2, text, n);
    int rc = 0;
    if (n < 8 || memcmp(text, "thread: ", 8) != 0)     /* per-thread lines come from collapsed files */
        rc = meta_line(&f, line, n + 2);
    memcpy(c->meta->format, format, sizeof format);
    return rc;
}

/* --- Stack lines. --- */

/* The thread a line's leading frames name, or the default one; *used is
 * how many frames that took. */
static uint32_t line_thread(struct folded *f, struct span *fr, size_t n, size_t *used)
{
    struct table *t = f->c->t;
    size_t i = 0;
    uint64_t v = 0, tid = 0;
    uint32_t pid = 0;
    struct span name = {"", 0};
    enum tool tool = TOOL_NONE;
    /* "P<pid>", or in proftui's files "P<pid> <name>" (the process named). */
    const char *psp = f->tool == TOOL_PROFTUI && fr[0].n ? memchr(fr[0].p, ' ', fr[0].n) : NULL;
    size_t plen = psp ? (size_t)(psp - fr[0].p) : fr[0].n;
    if (n > 1 && plen > 1 && fr[0].p[0] == 'P' && parse_u64(fr[0].p + 1, plen - 1, 10, &v) == 0) {
        f->c->meta->pid = f->c->meta->pid ? f->c->meta->pid : (int64_t)(v & INT64_MAX);
        pid = import_thread_pid(f->c, v);
        i = 1;
        if (psp)                                /* the process's name */
            name_process(f, pid, psp + 1, fr[0].n - plen - 1);
    } else if (n > 1 && fr[0].n > 9 && memcmp(fr[0].p, "process ", 8) == 0) {
        tool = TOOL_PYSPY;
        const char *colon = memchr(fr[0].p, ':', fr[0].n);
        if (colon && parse_u64(fr[0].p + 8, (size_t)(colon - fr[0].p) - 8, 10, &v) == 0 && !f->c->meta->pid)
            f->c->meta->pid = (int64_t)(v & INT64_MAX);
        if (colon && !f->c->meta->command[0])
            copy_text(f->c->meta->command, sizeof f->c->meta->command,
                      unquote((struct span){colon + 1, fr[0].n - (size_t)(colon - fr[0].p) - 1}));
        i = 1;
    }
    struct span s = i < n ? fr[i] : (struct span){"", 0};
    const char *sp = memchr(s.p, ' ', s.n), *colon = memchr(s.p, ':', s.n);
    size_t idlen = sp ? (size_t)(sp - s.p) : s.n;
    if (i == 1 && s.n > 1 && s.p[0] == 'T' && colon && colon < s.p + idlen &&
        parse_u64(colon + 1, (size_t)(s.p + idlen - colon - 1), 16, &tid) == 0 && all_digits(s.p + 1, (size_t)(colon - s.p) - 1)) {
        tool = TOOL_AUSTIN, i++;
    } else if (i == 1 && s.n > 1 && s.p[0] == 'T' && parse_u64(s.p + 1, idlen - 1, 10, &tid) == 0) {
        tool = TOOL_PROFTUI, i++;
        if (sp)
            name = (struct span){sp + 1, s.n - idlen - 1};
    } else if (i == 0 && n > 1 && s.n > 4 && memcmp(s.p, "tid:", 4) == 0 &&
               parse_u64(s.p + 4, s.n - 4, 10, &tid) == 0) {
        tool = TOOL_CPYTHON, i++;
    } else if (n > i + 1 && s.n > 9 && memcmp(s.p, "thread (", 8) == 0) {
        const char *close = memchr(s.p, ')', s.n);
        size_t len = close ? (size_t)(close - s.p) - 8 : 0;
        int hex = len > 2 && s.p[8] == '0' && (s.p[9] == 'x' || s.p[9] == 'X');
        if (close && parse_u64(s.p + 8 + 2 * hex, len - 2 * (size_t)hex, hex ? 16 : 10, &tid) == 0) {
            tool = TOOL_PYSPY, i++;
            if ((size_t)(close - s.p) + 3 <= s.n && close[1] == ':' && close[2] == ' ')
                name = (struct span){close + 3, s.n - (size_t)(close - s.p) - 3};
        }
    }
    if (!f->seen_stack && f->tool == TOOL_NONE)
        f->tool = tool;
    *used = i;
    char nb[IMPORT_NAME_MAX + 1];
    copy_text(nb, sizeof nb, name);
    return table_thread_of(t, pid, tid, name.n ? nb : NULL);
}

/* One frame: "func (file:line)", "func (file:?)", "func (file)" (in a
 * proftui file: a native function and its module), "file:func:line"
 * (Austin, CPython) or a bare name. */
static uint32_t frame_func(struct folded *f, struct span s, int32_t *line)
{
    *line = -1;
    if (s.n > 3 && s.p[s.n - 1] == ')') {
        for (size_t k = s.n - 1; k-- > 1;) {
            if (s.p[k] != '(' || s.p[k - 1] != ' ')
                continue;
            struct span inner = {s.p + k + 1, s.n - k - 2};
            const char *c = inner.n ? memrchr(inner.p, ':', inner.n) : NULL;
            size_t tail = c ? inner.n - (size_t)(c - inner.p) - 1 : 0;
            uint64_t ln;
            if (c && tail == 1 && c[1] == '?')
                inner.n = (size_t)(c - inner.p);
            else if (c && all_digits(c + 1, tail) && parse_u64(c + 1, tail, 10, &ln) == 0 && ln <= INT32_MAX)
                inner.n = (size_t)(c - inner.p), *line = (int32_t)ln;
            else if (f->tool == TOOL_PROFTUI)
                return import_native(f->c, s.p, k - 1, inner.p, inner.n);
            return import_func(f->c, s.p, k - 1, inner.p, inner.n);
        }
    }
    const char *c2 = s.n ? memrchr(s.p, ':', s.n) : NULL;
    const char *c1 = c2 && c2 > s.p ? memrchr(s.p, ':', (size_t)(c2 - s.p)) : NULL;
    size_t tail = c2 ? s.n - (size_t)(c2 - s.p) - 1 : 0;
    uint64_t ln;
    if (f->tool != TOOL_PROFTUI && c1 && c1 > s.p && all_digits(c2 + 1, tail) &&
        parse_u64(c2 + 1, tail, 10, &ln) == 0 && ln <= INT32_MAX) {
        *line = (int32_t)ln;
        return import_func(f->c, c1 + 1, (size_t)(c2 - c1) - 1, s.p, (size_t)(c1 - s.p));
    }
    return import_func(f->c, s.p, s.n, "", 0);
}

/* "frames COUNT": the count after the last space (Austin's full mode
 * "time,idle,memory": the first of them). */
static int split_count(struct folded *f, const char *p, size_t n, size_t *frames_len, uint64_t *count)
{
    const char *sp = memrchr(p, ' ', n), *tab = memrchr(p, '\t', n);
    if (tab && (!sp || tab > sp))
        sp = tab;                                 /* flamegraph.pl splits at any blank */
    if (!sp)
        return import_fail(f->c, "line %zu: no sample count after the stack", f->lineno);
    const char *num = sp + 1, *end = p + n;
    while (sp > p && (sp[-1] == ' ' || sp[-1] == '\t'))
        sp--;                                     /* "a;b  3": the leaf is "b" */
    const char *comma = memchr(num, ',', (size_t)(end - num));
    size_t len = (size_t)((comma ? comma : end) - num);
    if (f->tool == TOOL_AUSTIN && len > 1 && num[0] == '-' && all_digits(num + 1, len - 1)) {
        *count = 0;                               /* memory mode: a deallocation */
        *frames_len = (size_t)(sp - p);
        return 0;
    }
    if (!all_digits(num, len))
        return import_fail(f->c, "line %zu: the sample count '%.*s' is not a whole number", f->lineno,
                           (int)(len > 40 ? 40 : len), num);
    if (parse_u64(num, len, 10, count) < 0 || *count > IMPORT_COUNT_MAX)
        return import_fail(f->c, "line %zu: sample count too large", f->lineno);
    *frames_len = (size_t)(sp - p);
    return 0;
}

/* Split on ';' into at most IMPORT_DEPTH_MAX + 2 frames (empty ones
 * dropped: py-spy once ended each stack with ';'). */
static int split_frames(struct folded *f, const char *p, size_t n, struct span *out, size_t *nout)
{
    size_t k = 0;
    for (size_t i = 0; i <= n;) {
        const char *semi = i < n ? memchr(p + i, ';', n - i) : NULL;
        size_t end = semi ? (size_t)(semi - p) : n;
        if (end > i) {
            if (k == IMPORT_DEPTH_MAX + 2)
                return import_fail(f->c, "line %zu: a stack deeper than %d frames", f->lineno, IMPORT_DEPTH_MAX);
            out[k++] = (struct span){p + i, end - i};
        }
        i = end + 1;
    }
    *nout = k;
    return 0;
}

static int stack_line(struct folded *f, const char *p, size_t n, struct span *fr)
{
    size_t flen = 0, nfr = 0, used = 0;
    uint64_t count = 0;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;                                      /* "a;b 3 ": blanks after the count */
    int rc = split_count(f, p, n, &flen, &count);
    if (rc == 0)
        rc = split_frames(f, p, flen, fr, &nfr);
    if (rc < 0)
        return rc;
    if (nfr == 0)
        return import_fail(f->c, "line %zu: a count without a stack", f->lineno);
    uint32_t th = line_thread(f, fr, nfr, &used);
    f->seen_stack = 1;
    if (th == TABLE_NONE)
        return ERR_NOMEM;
    size_t depth = nfr - used;
    if (depth > IMPORT_DEPTH_MAX)
        return import_fail(f->c, "line %zu: a stack deeper than %d frames", f->lineno, IMPORT_DEPTH_MAX);
    if (count == 0)
        return 0;
    if (f->tool == TOOL_AUSTIN)
        count = 1;                                /* one line, one sample; its metric is time or memory */
    if (depth == 1 && span_eq(fr[used], NO_FRAME))
        return import_add(f->c, th, f->c->frames, 0, count);
    for (size_t i = 0; i < depth; i++) {          /* root first in the file, leaf first in the table */
        struct frame_key *k = &f->c->frames[depth - 1 - i];
        k->func = frame_func(f, fr[used + i], &k->line);
        if (k->func == TABLE_NONE)
            return ERR_NOMEM;
    }
    return import_add(f->c, th, f->c->frames, (int)depth, count);
}

static const char *tool_format(enum tool t)
{
    switch (t) {
    case TOOL_PROFTUI: return "collapsed (proftui)";
    case TOOL_AUSTIN: return "collapsed (Austin)";
    case TOOL_PYSPY: return "collapsed (py-spy raw)";
    case TOOL_CPYTHON: return "collapsed (CPython profiling.sampling)";
    default: return "collapsed";
    }
}

static int one_line(struct folded *f, const char *p, size_t n, struct span *fr)
{
    if (n && p[n - 1] == '\r')
        n--;
    size_t bad = import_utf8_check((const unsigned char *)p, n);
    if (bad < n)
        return import_fail(f->c, "line %zu, byte %zu: invalid UTF-8", f->lineno, bad + 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 && p[i] != '\t')
            return import_fail(f->c, "line %zu, byte %zu: a control character", f->lineno, i + 1);
    if (n == 0)
        return 0;
    if (p[0] == '#')                            /* Austin writes its duration last */
        return meta_line(f, p, n);
    return stack_line(f, p, n, fr);
}

int import_folded(struct import_ctx *c, const char *text, size_t n)
{
    struct folded f = {.c = c};
    struct span *fr = malloc((IMPORT_DEPTH_MAX + 2) * sizeof *fr);
    if (!fr)
        return ERR_NOMEM;
    if (n >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        text += 3, n -= 3;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - text) : n;
        f.lineno++;
        if (end - i > LINE_MAX_BYTES)
            rc = import_fail(c, "line %zu: longer than %u bytes", f.lineno, LINE_MAX_BYTES);
        else
            rc = one_line(&f, text + i, end - i, fr);
        i = end + 1;
    }
    if (rc == 0 && !f.seen_stack && f.tool != TOOL_PROFTUI)   /* proftui writes empty profiles too */
        rc = import_fail(c, "no stack in the file (not a profile proftui reads)");
    if (rc == 0 && !c->meta->format[0])
        snprintf(c->meta->format, sizeof c->meta->format, "%s", tool_format(f.tool));
    free(fr);
    return rc;
}
