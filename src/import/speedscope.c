/* SPDX-License-Identifier: MIT */
/* Reading speedscope's file format (https://www.speedscope.app/file-format-schema.json):
 * shared.frames (name, file, line), then one profile per thread, sampled
 * (samples: frame indices root first, with weights) or evented (open and
 * close events at times). Counts: weights in unit "none" or "bytes" as they
 * are; time weights divided by the smallest positive weight of the profile
 * (one sampling interval); evented time in microseconds (one sample per us).
 * proftui's own files (exporter "proftui ...", speedscope.h) carry their
 * metadata under "proftui": the interval (a weight is samples x interval),
 * rounds, times, pid and command; their frames are functions, "line" the
 * function's first line, and their profiles are named "<thread> (tid N)". */
#include "import.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "profile.h"

struct ss {
    struct import_ctx *c;
    struct json j;
    uint32_t *funcs;          /* table function of each shared frame */
    int32_t *lines;
    size_t nframes;
    int proftui;              /* written by proftui: frame lines are first lines */
    uint64_t interval_ns;     /* its "proftui" metadata's interval: one sample's weight in ns */
};

static int too_deep(struct ss *s, size_t prof)
{
    return import_fail(s->c, "profile %zu: a stack deeper than %d frames", prof, IMPORT_DEPTH_MAX);
}

/* Nanoseconds in one unit, 0 for "none", "bytes" and unknown units. */
static double unit_ns(const struct json *j, uint32_t unit)
{
    static const struct { const char *name; double ns; } units[] = {
        {"nanoseconds", 1}, {"microseconds", 1e3}, {"milliseconds", 1e6}, {"seconds", 1e9},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (json_is(j, unit, units[i].name))
            return units[i].ns;
    return 0;
}

static int load_frames(struct ss *s)
{
    const struct json *j = &s->j;
    uint32_t frames = json_get(j, json_get(j, 0, "shared"), "frames");
    if (frames == JSON_NONE || j->n[frames].type != JSON_ARRAY)
        return import_fail(s->c, "no shared.frames array (not a speedscope file)");
    s->nframes = j->n[frames].count;
    s->funcs = malloc((s->nframes + 1) * sizeof *s->funcs);
    s->lines = malloc((s->nframes + 1) * sizeof *s->lines);
    if (!s->funcs || !s->lines)
        return ERR_NOMEM;
    char name[IMPORT_NAME_MAX + 1], file[IMPORT_NAME_MAX + 1];
    size_t i = 0;
    for (uint32_t f = json_first(j, frames); f != JSON_NONE; f = json_next(j, frames, f), i++) {
        long nl = json_string(j, json_get(j, f, "name"), name, sizeof name);
        if (nl < 0)
            return import_fail(s->c, "frame %zu has no name", i);
        long fl = json_string(j, json_get(j, f, "file"), file, sizeof file);
        double line = -1;
        if (json_number(j, json_get(j, f, "line"), &line) < 0 || !(line >= 0 && line <= INT32_MAX))
            line = -1;
        s->lines[i] = s->proftui ? -1 : (int32_t)line;
        s->funcs[i] = table_intern_func_at(s->c->t, name, fl < 0 ? "" : file, s->proftui ? (int32_t)line : -1);
        if (s->funcs[i] == TABLE_NONE)
            return ERR_NOMEM;
    }
    return 0;
}

/* A frame index from a JSON number. */
static int frame_index(struct ss *s, uint32_t node, size_t *out)
{
    double v;
    if (json_number(&s->j, node, &v) < 0 || !(v >= 0) || v >= (double)s->nframes || v != floor(v))
        return -1;
    *out = (size_t)v;
    return 0;
}

/* "MainThread (tid 1234)", "Process 12 Thread 0x7f..", "thread 99": the
 * number after "tid", "thread" or "Thread" (hex with 0x), else 0. */
static uint64_t number_after(const char *name, const char *const *words, size_t nwords)
{
    for (size_t w = 0; w < nwords; w++) {
        const char *p = strstr(name, words[w]);
        if (!p)
            continue;
        p += strlen(words[w]);
        while (*p == ' ' || *p == ':' || *p == '=')
            p++;
        int base = p[0] == '0' && (p[1] == 'x' || p[1] == 'X') ? 16 : 10;
        char *end;
        unsigned long long v = strtoull(p, &end, base);
        if (end != p && (*p >= '0' && *p <= '9'))
            return v;
    }
    return 0;
}

/* The last occurrence of needle in s, or NULL. */
static char *last_of(char *s, const char *needle)
{
    char *last = NULL;
    for (char *q = strstr(s, needle); q; q = strstr(q + 1, needle))
        last = q;
    return last;
}

static uint32_t profile_thread(struct ss *s, uint32_t prof, size_t index)
{
    static const char *const tid_words[] = {"tid", "Thread", "thread"};
    static const char *const pid_words[] = {"pid", "Process", "process"};
    char name[IMPORT_NAME_MAX + 1] = "";
    json_string(&s->j, json_get(&s->j, prof, "name"), name, sizeof name);
    uint64_t tid = number_after(name, tid_words, 3);
    uint64_t pid = number_after(name, pid_words, 3);
    if (pid && !s->c->meta->pid)
        s->c->meta->pid = (int64_t)(pid & INT64_MAX);
    if (!tid)
        tid = index + 1;
    char *paren = last_of(name, " (tid ");             /* proftui: "<name> (tid N)" */
    paren = paren ? paren : last_of(name, " (pid ");
    if (s->proftui && paren)
        *paren = '\0';
    else if (s->proftui && (strncmp(name, "tid ", 4) == 0 || strncmp(name, "pid ", 4) == 0))
        name[0] = '\0';
    /* A name with a process ("(pid P, tid N)", several processes): the thread's. */
    return table_thread_of(s->c->t, import_thread_pid(s->c, pid), tid, name[0] ? name : NULL);
}

static int load_sampled(struct ss *s, uint32_t prof, size_t pi, uint32_t th, double ns)
{
    const struct json *j = &s->j;
    uint32_t samples = json_get(j, prof, "samples"), weights = json_get(j, prof, "weights");
    if (samples == JSON_NONE || j->n[samples].type != JSON_ARRAY || weights == JSON_NONE ||
        j->n[weights].type != JSON_ARRAY || j->n[weights].count != j->n[samples].count)
        return import_fail(s->c, "profile %zu: samples and weights are not two arrays of one length", pi);
    double quantum = 0, w;
    for (uint32_t x = json_first(j, weights); x != JSON_NONE; x = json_next(j, weights, x)) {
        if (json_number(j, x, &w) < 0 || !(w >= 0) || w > 1e300)
            return import_fail(s->c, "profile %zu: a weight that is not a number >= 0", pi);
        if (w > 0 && (quantum == 0 || w < quantum))
            quantum = w;
    }
    if (ns > 0 && s->interval_ns)
        quantum = (double)s->interval_ns / ns;      /* proftui's weights: samples x interval */
    if (ns > 0 && quantum > 0 && !s->c->meta->interval_ns && quantum * ns < 1e12)
        s->c->meta->interval_ns = (uint64_t)(quantum * ns);
    uint32_t x = json_first(j, weights);
    for (uint32_t st = json_first(j, samples); st != JSON_NONE; st = json_next(j, samples, st)) {
        json_number(j, x, &w);
        x = json_next(j, weights, x);
        if (j->n[st].type != JSON_ARRAY)
            return import_fail(s->c, "profile %zu: a sample that is not an array", pi);
        if (j->n[st].count > IMPORT_DEPTH_MAX)
            return too_deep(s, pi);
        int depth = (int)j->n[st].count, k = depth;
        for (uint32_t f = json_first(j, st); f != JSON_NONE; f = json_next(j, st, f)) {
            size_t fi;
            if (frame_index(s, f, &fi) < 0)
                return import_fail(s->c, "profile %zu: a frame index out of range", pi);
            s->c->frames[--k] = (struct frame_key){.func = s->funcs[fi], .line = s->lines[fi]};
        }
        double count = ns > 0 && quantum > 0 ? w / quantum : w;
        if (count >= 0.5 && count > (double)IMPORT_COUNT_MAX)
            return import_fail(s->c, "profile %zu: a weight too large", pi);
        int rc = count >= 0.5 ? import_add(s->c, th, s->c->frames, depth, (uint64_t)llround(count)) : 0;
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Evented: the open frames form the stack (kept leaf first at the end of
 * c->frames); the time between two events goes to the stack open then. */
static int load_evented(struct ss *s, uint32_t prof, size_t pi, uint32_t th, double ns)
{
    const struct json *j = &s->j;
    uint32_t events = json_get(j, prof, "events");
    if (events == JSON_NONE || j->n[events].type != JSON_ARRAY)
        return import_fail(s->c, "profile %zu: no events array", pi);
    double factor = ns > 0 ? ns / 1000.0 : 1.0, prev = 0, at;
    if (ns > 0 && !s->c->meta->interval_ns)
        s->c->meta->interval_ns = 1000;           /* one sample per microsecond */
    struct frame_key *top = s->c->frames + IMPORT_DEPTH_MAX;
    int depth = 0, first = 1;
    size_t ei = 0;
    for (uint32_t e = json_first(j, events); e != JSON_NONE; e = json_next(j, events, e), ei++) {
        uint32_t type = json_get(j, e, "type");
        size_t fi;
        if (json_number(j, json_get(j, e, "at"), &at) < 0 || frame_index(s, json_get(j, e, "frame"), &fi) < 0 ||
            !(json_is(j, type, "O") || json_is(j, type, "C")))
            return import_fail(s->c, "profile %zu, event %zu: needs type O or C, a frame index and a time", pi, ei);
        if (!first && !(at >= prev))
            return import_fail(s->c, "profile %zu, event %zu: goes back in time", pi, ei);
        double w = first ? 0 : (at - prev) * factor;
        if (w > (double)IMPORT_COUNT_MAX)
            return import_fail(s->c, "profile %zu, event %zu: a time span too large", pi, ei);
        int rc = depth && w >= 0.5 ? import_add(s->c, th, top - depth, depth, (uint64_t)llround(w)) : 0;
        if (rc < 0)
            return rc;
        prev = at, first = 0;
        if (json_is(j, type, "O")) {
            if (depth == IMPORT_DEPTH_MAX)
                return too_deep(s, pi);
            depth++;
            top[-depth] = (struct frame_key){.func = s->funcs[fi], .line = s->lines[fi]};
        } else if (depth == 0 || top[-depth].func != s->funcs[fi]) {
            return import_fail(s->c, "profile %zu, event %zu: closes a frame that is not the innermost open one", pi, ei);
        } else {
            depth--;
        }
    }
    return 0;
}

static uint64_t get_uint(const struct json *j, uint32_t obj, const char *key)
{
    uint64_t v = 0;
    return json_uint(j, json_get(j, obj, key), &v) == 0 ? v : 0;
}

static void get_text(const struct json *j, uint32_t obj, const char *key, char *dst, size_t cap)
{
    if (json_string(j, json_get(j, obj, key), dst, cap) < 0)
        dst[0] = '\0';
}

/* "threads": [{"tid", "failed": {"torn": A, ...}}]: each thread's failures
 * by reason, for its [unreadable] samples. */
static int thread_reasons(struct ss *s, uint32_t threads)
{
    const struct json *j = &s->j;
    for (uint32_t t = json_first(j, threads); t != JSON_NONE; t = json_next(j, threads, t)) {
        uint64_t why[WALK_FAIL_COUNT] = {0}, tid;
        uint32_t failed = json_get(j, t, "failed");
        if (json_uint(j, json_get(j, t, "tid"), &tid) < 0 || failed == JSON_NONE)
            continue;
        for (int w = WALK_OK + 1; w < WALK_FAIL_COUNT; w++)
            why[w] = get_uint(j, failed, table_fail_name((enum walk_fail)w));
        int rc = import_reasons(s->c, tid, why);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* "states": [{"pid", "tid", "cpu", "gil", "wait", "idle", "samples"}]:
 * each thread's states, kept as the file says them. */
static int thread_states(struct ss *s, uint32_t states)
{
    const struct json *j = &s->j;
    for (uint32_t e = json_first(j, states); e != JSON_NONE; e = json_next(j, states, e)) {
        uint64_t tid, pid = 0;
        if (json_uint(j, json_get(j, e, "tid"), &tid) < 0)
            continue;
        json_uint(j, json_get(j, e, "pid"), &pid);
        uint32_t th = table_thread_of(s->c->t, import_thread_pid(s->c, pid), tid, NULL);
        if (th == TABLE_NONE)
            return ERR_NOMEM;
        struct table_states ts = {.cpu = get_uint(j, e, "cpu"), .gil = get_uint(j, e, "gil"),
                                  .wait = get_uint(j, e, "wait"), .idle = get_uint(j, e, "idle"),
                                  .samples = get_uint(j, e, "samples")};
        table_set_thread_states(s->c->t, th, &ts);
    }
    return 0;
}

/* "processes": [{"pid", "name"}]: the processes' names. */
static void process_names(struct ss *s, uint32_t procs)
{
    const struct json *j = &s->j;
    for (uint32_t e = json_first(j, procs); e != JSON_NONE; e = json_next(j, procs, e)) {
        uint64_t pid;
        char name[1024];
        if (json_uint(j, json_get(j, e, "pid"), &pid) < 0)
            continue;
        get_text(j, e, "name", name, sizeof name);
        if (name[0])
            table_set_process_name(s->c->t, import_thread_pid(s->c, pid), name);
    }
}

/* The "proftui" key of proftui's own files (speedscope.h): what the schema
 * has no field for. */
static int proftui_meta(struct ss *s)
{
    const struct json *j = &s->j;
    struct profile_meta *m = s->c->meta;
    uint32_t pm = json_get(j, 0, "proftui");
    if (pm == JSON_NONE || j->n[pm].type != JSON_OBJECT)
        return 0;
    get_text(j, pm, "version", m->writer, sizeof m->writer);
    get_text(j, pm, "python", m->python_version, sizeof m->python_version);
    for (int mode = 0; mode < TABLE_MODES; mode++)
        if (json_is(j, json_get(j, pm, "mode"), table_mode_name((enum table_mode)mode)))
            m->mode = mode;
    s->interval_ns = m->interval_ns = get_uint(j, pm, "interval_ns");
    m->start_unix_ns = get_uint(j, pm, "start_unix_ns");
    m->duration_ns = get_uint(j, pm, "duration_ns");
    uint32_t rounds = json_get(j, pm, "rounds");
    m->rounds_known = rounds != JSON_NONE;
    m->taken = get_uint(j, rounds, "taken");
    m->missed = get_uint(j, rounds, "missed");
    m->lost = get_uint(j, rounds, "lost");
    m->pid = (int64_t)(get_uint(j, pm, "pid") & INT64_MAX);
    get_text(j, pm, "command", m->command, sizeof m->command);
    m->launched = m->command[0] != '\0';
    get_text(j, pm, "only", m->only, sizeof m->only);
    get_text(j, pm, "warning", m->warning, sizeof m->warning);
    uint32_t threads = json_get(j, pm, "threads"), states = json_get(j, pm, "states");
    int rc = threads != JSON_NONE && j->n[threads].type == JSON_ARRAY ? thread_reasons(s, threads) : 0;
    if (rc == 0 && states != JSON_NONE && j->n[states].type == JSON_ARRAY)
        rc = thread_states(s, states);
    uint32_t procs = json_get(j, pm, "processes");
    if (rc == 0 && procs != JSON_NONE && j->n[procs].type == JSON_ARRAY)
        process_names(s, procs);
    return rc;
}

static int file_meta(struct ss *s)
{
    char exporter[40] = "", name[PROFILE_TEXT_MAX] = "";
    struct profile_meta *m = s->c->meta;
    if (json_string(&s->j, json_get(&s->j, 0, "exporter"), exporter, sizeof exporter) > 0)
        snprintf(m->format, sizeof m->format, "speedscope (%s)", exporter);
    s->proftui = strncmp(exporter, "proftui", 7) == 0;
    int rc = s->proftui ? proftui_meta(s) : 0;
    if (!s->proftui && json_string(&s->j, json_get(&s->j, 0, "name"), name, sizeof name) > 0 && !m->command[0])
        snprintf(m->command, sizeof m->command, "%s", name);
    return rc;
}

static int load_profiles(struct ss *s)
{
    const struct json *j = &s->j;
    uint32_t profs = json_get(j, 0, "profiles");
    if (profs == JSON_NONE || j->n[profs].type != JSON_ARRAY)
        return import_fail(s->c, "no profiles array (not a speedscope file)");
    size_t pi = 0;
    double span = 0;
    for (uint32_t p = json_first(j, profs); p != JSON_NONE; p = json_next(j, profs, p), pi++) {
        uint32_t type = json_get(j, p, "type");
        double ns = unit_ns(j, json_get(j, p, "unit")), start = 0, end = 0;
        uint32_t th = profile_thread(s, p, pi);
        if (th == TABLE_NONE)
            return ERR_NOMEM;
        int rc = json_is(j, type, "sampled") ? load_sampled(s, p, pi, th, ns)
               : json_is(j, type, "evented") ? load_evented(s, p, pi, th, ns)
               : import_fail(s->c, "profile %zu: type is neither sampled nor evented", pi);
        if (rc < 0)
            return rc;
        if (ns > 0 && json_number(j, json_get(j, p, "startValue"), &start) == 0 &&
            json_number(j, json_get(j, p, "endValue"), &end) == 0 && end - start > span && (end - start) * ns < 1e18)
            span = (end - start) * ns;
    }
    if (!s->c->meta->duration_ns)
        s->c->meta->duration_ns = (uint64_t)span;
    return 0;
}

int import_speedscope(struct import_ctx *c, const char *text, size_t n)
{
    struct ss s = {.c = c};
    size_t where = 0;
    const char *why = NULL;
    int rc = json_parse(&s.j, text, n, &where, &why);
    if (rc == ERR_INPUT)
        rc = import_fail(c, "byte %zu: %s (not valid JSON)", where + 1, why);
    else if (rc == 0 && s.j.n[0].type != JSON_OBJECT)
        rc = import_fail(c, "JSON that is not an object (not a speedscope file)");
    if (rc == 0)
        rc = file_meta(&s);
    if (rc == 0)
        rc = load_frames(&s);
    if (rc == 0)
        rc = load_profiles(&s);
    free(s.funcs);
    free(s.lines);
    json_free(&s.j);
    return rc;
}
