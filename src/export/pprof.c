/* SPDX-License-Identifier: MIT */
/* pprof export: the table as gzipped profile.proto (see include/pprof.h). */
#include "pprof.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "array.h"
#include "error.h"
#include "pbenc.h"
#include "pbstrtab.h"
#include "stackset.h"
#include "table.h"

/* The function of a sample with no Python frame (as in collapsed.h). */
#define NO_FRAME "[no Python frame]"

/* profile.proto's field numbers. */
enum {
    PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_LOCATION = 4, PROFILE_FUNCTION = 5,
    PROFILE_STRING = 6, PROFILE_TIME = 9, PROFILE_DURATION = 10, PROFILE_PERIOD_TYPE = 11,
    PROFILE_PERIOD = 12, PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
    VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2,
    SAMPLE_LOCATION = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
    LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3,
    LOCATION_ID = 1, LOCATION_LINE = 4,
    LINE_FUNCTION = 1, LINE_LINE = 2,
    FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
    FUNCTION_START_LINE = 5,
};

/* Locations: (function, line) pairs by id - 1, and a hash set of ids. */
struct loctab {
    struct frame_key *locs;
    size_t n, cap;
    uint32_t *slots;
    size_t nslots;
    int oom;
};

#define TASK_PREFIX TABLE_TASK_PREFIX
#define TASK_LABEL_MAX 256

/* One sample type: its name, unit and the table whose counts it holds. */
struct ptype {
    const char *name, *unit;
    const struct table *t;
};

struct pprof {
    const struct table *t;    /* the profile in its mode (meta->mode) */
    const struct table *names; /* the table of the most functions: names, threads */
    const struct export_meta *m;
    uint64_t period;
    int bytes;                /* memory mode: the counts are bytes */
    struct ptype types[TABLE_MODES]; /* a mode's each */
    size_t ntypes, cur;       /* cur: the type being collected */
    int timed;                /* one type of samples: its time (count * period) follows */
    struct stackset ss;       /* the samples: every type's stacks, merged */
    struct pbenc b;
    struct strtab st;
    struct loctab lt;
    uint8_t *used;            /* per function id (+ the no-frame one): referenced */
    uint32_t nofunc;          /* the id standing for NO_FRAME: the function count */
    uint32_t *tname;          /* per thread: its name's string, UINT32_MAX until needed */
    uint32_t *task;           /* per function id: the string of NAME for "[task NAME]", 0 for
                               * any other function, UINT32_MAX until needed */
    uint64_t *ids;            /* one sample's location ids */
    size_t idcap;
    uint32_t k_thread_name, k_thread_id, k_pid, k_task;
};

static size_t loc_hash(const struct frame_key *k, size_t nslots)
{
    uint64_t key[2] = {k->func, (uint64_t)(int64_t)k->line};
    return (size_t)strtab_hash(key, sizeof key) & (nslots - 1);
}

static int loctab_grow(struct loctab *lt)
{
    size_t nslots = lt->nslots ? lt->nslots * 2 : 1024;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return ERR_NOMEM;
    for (size_t i = 0; i < lt->n; i++) {
        size_t h = loc_hash(&lt->locs[i], nslots);
        while (slots[h])
            h = (h + 1) & (nslots - 1);
        slots[h] = (uint32_t)i + 1;
    }
    free(lt->slots);
    lt->slots = slots;
    lt->nslots = nslots;
    return 0;
}

/* The location id (from 1) of (func, line); 0 after an allocation failure. */
static uint32_t loc_id(struct pprof *pp, uint32_t func, int32_t line)
{
    struct loctab *lt = &pp->lt;
    struct frame_key k = {func, line};
    if (lt->oom || ((lt->n + 1) * 2 >= lt->nslots && loctab_grow(lt) < 0) ||
        array_reserve((void **)&lt->locs, &lt->cap, lt->n + 1, sizeof *lt->locs) < 0) {
        lt->oom = 1;
        return 0;
    }
    size_t h = loc_hash(&k, lt->nslots);
    for (; lt->slots[h]; h = (h + 1) & (lt->nslots - 1)) {
        const struct frame_key *o = &lt->locs[lt->slots[h] - 1];
        if (o->func == func && o->line == line)
            return lt->slots[h];
    }
    lt->locs[lt->n] = k;
    lt->slots[h] = (uint32_t)++lt->n;
    if (func <= pp->nofunc)
        pp->used[func] = 1;
    return lt->slots[h];
}

/* A label {key, str} or {key, num}. */
static void put_label(struct pbenc *b, uint32_t key, int is_num, uint64_t v)
{
    size_t mark = pbenc_begin(b, SAMPLE_LABEL);
    pbenc_uint(b, LABEL_KEY, key);
    pbenc_uint(b, is_num ? LABEL_NUM : LABEL_STR, v);
    pbenc_end(b, mark);
}

static void put_labels(struct pprof *pp, uint32_t thread)
{
    if (thread < table_thread_count(pp->names)) {
        if (pp->tname[thread] == UINT32_MAX)
            pp->tname[thread] = strtab_intern(&pp->st, table_thread_name(pp->names, thread));
        if (pp->tname[thread])       /* 0: "", an unnamed thread */
            put_label(&pp->b, pp->k_thread_name, 0, pp->tname[thread]);
    }
    put_label(&pp->b, pp->k_thread_id, 1, table_thread_tid(pp->names, thread));
    uint32_t pid = table_thread_pid(pp->names, thread);
    if (pid)
        put_label(&pp->b, pp->k_pid, 1, pid);
    else if (pp->m)
        put_label(&pp->b, pp->k_pid, 1, (uint64_t)pp->m->pid);
}

/* The string of NAME when func is an asyncio task's frame "[task NAME]"
 * (record.h), else 0. */
static uint32_t task_of(struct pprof *pp, uint32_t func)
{
    if (func >= pp->nofunc)
        return 0;
    if (pp->task[func] == UINT32_MAX) {
        const char *name = table_func_name(pp->names, func);
        size_t n = strlen(name), p = sizeof TASK_PREFIX - 1;
        pp->task[func] = 0;
        if (!*table_func_file(pp->names, func) && n > p && strncmp(name, TASK_PREFIX, p) == 0 &&
            name[n - 1] == ']') {
            char label[TASK_LABEL_MAX];
            snprintf(label, sizeof label, "%.*s", (int)(n - p - 1), name + p);
            pp->task[func] = strtab_intern(&pp->st, label);
        }
    }
    return pp->task[func];
}

/* The string of the innermost task of a task stack (frames root first),
 * 0 when it has none. */
static uint32_t task_label(struct pprof *pp, const struct frame_key *frames, int depth)
{
    for (int i = depth - 1; i >= 0; i--) {
        uint32_t s = task_of(pp, frames[i].func);
        if (s)
            return s;
    }
    return 0;
}

/* table_foreach_stack's callback: the stack's count into the type being
 * collected. */
static int collect_stack(void *arg, uint32_t thread, const struct frame_key *frames, int depth,
                         uint64_t count)
{
    struct pprof *pp = arg;
    size_t n = depth > 0 ? (size_t)depth : 1;
    if (array_reserve((void **)&pp->ids, &pp->idcap, n, sizeof *pp->ids) < 0)
        return ERR_NOMEM;
    if (depth <= 0)
        pp->ids[0] = loc_id(pp, pp->nofunc, -1);
    for (int i = 0; i < depth; i++) {                /* root first -> leaf first */
        if (frames[i].func >= pp->nofunc)
            return ERR_USAGE;                        /* tables not of one profile */
        pp->ids[depth - 1 - i] = loc_id(pp, frames[i].func, frames[i].line);
    }
    uint32_t tag = table_thread_is_tasks(pp->names, thread) ? task_label(pp, frames, depth) : 0;
    if (stackset_add(&pp->ss, thread, pp->ids, n, tag, pp->cur, count) < 0)
        return ERR_NOMEM;
    return pp->lt.oom || pp->st.oom ? ERR_NOMEM : 0;
}

/* Every type's stacks, then one Sample each: location ids leaf first, a
 * value per type (and the time of one type of samples), the labels. */
static int put_samples(struct pprof *pp)
{
    for (pp->cur = 0; pp->cur < pp->ntypes; pp->cur++) {
        int rc = table_foreach_stack(pp->types[pp->cur].t, collect_stack, pp);
        if (rc < 0)
            return rc;
    }
    uint64_t values[TABLE_MODES + 1];
    for (size_t i = 0; i < pp->ss.n && !pp->b.oom; i++) {
        const struct stackset_stack *k = &pp->ss.stacks[i];
        memcpy(values, stackset_values(&pp->ss, i), pp->ntypes * sizeof *values);
        if (pp->timed)
            values[1] = pp->period && values[0] > (uint64_t)INT64_MAX / pp->period
                            ? (uint64_t)INT64_MAX : values[0] * pp->period;
        size_t mark = pbenc_begin(&pp->b, PROFILE_SAMPLE);
        pbenc_packed(&pp->b, SAMPLE_LOCATION, stackset_ids(&pp->ss, i), k->n);
        pbenc_packed(&pp->b, SAMPLE_VALUE, values, pp->ntypes + (pp->timed ? 1 : 0));
        put_labels(pp, k->thread);
        if (k->tag)
            put_label(&pp->b, pp->k_task, 0, k->tag);
        pbenc_end(&pp->b, mark);
    }
    return pp->b.oom || pp->st.oom ? ERR_NOMEM : 0;
}

static void put_value_type(struct pprof *pp, uint32_t field, const char *type, const char *unit)
{
    size_t mark = pbenc_begin(&pp->b, field);
    pbenc_uint(&pp->b, VALUETYPE_TYPE, strtab_intern(&pp->st, type));
    pbenc_uint(&pp->b, VALUETYPE_UNIT, strtab_intern(&pp->st, unit));
    pbenc_end(&pp->b, mark);
}

static void put_locations(struct pprof *pp)
{
    for (size_t i = 0; i < pp->lt.n; i++) {
        const struct frame_key *k = &pp->lt.locs[i];
        size_t mark = pbenc_begin(&pp->b, PROFILE_LOCATION);
        pbenc_uint(&pp->b, LOCATION_ID, i + 1);
        size_t line = pbenc_begin(&pp->b, LOCATION_LINE);
        pbenc_uint(&pp->b, LINE_FUNCTION, (uint64_t)k->func + 1);
        if (k->line > 0)
            pbenc_int(&pp->b, LINE_LINE, k->line);
        pbenc_end(&pp->b, line);
        pbenc_end(&pp->b, mark);
    }
}

static void put_functions(struct pprof *pp)
{
    for (uint32_t f = 0; f <= pp->nofunc; f++) {
        if (!pp->used[f])
            continue;
        int nof = f == pp->nofunc;
        uint32_t name = strtab_intern(&pp->st, nof ? NO_FRAME : table_func_name(pp->names, f));
        int32_t start = nof ? -1 : table_func_first_line(pp->names, f);
        size_t mark = pbenc_begin(&pp->b, PROFILE_FUNCTION);
        pbenc_uint(&pp->b, FUNCTION_ID, (uint64_t)f + 1);
        pbenc_uint(&pp->b, FUNCTION_NAME, name);
        pbenc_uint(&pp->b, FUNCTION_SYSTEM_NAME, name);
        pbenc_uint(&pp->b, FUNCTION_FILENAME,
                   strtab_intern(&pp->st, nof ? "" : table_func_file(pp->names, f)));
        if (start > 0)
            pbenc_int(&pp->b, FUNCTION_START_LINE, start);
        pbenc_end(&pp->b, mark);
    }
}

#define COMMENTS_MAX 1000       /* the importer reads as many (src/import/pprof.c) */

struct comments {
    uint64_t idx[COMMENTS_MAX];
    size_t n;
};

static void comment(struct pprof *pp, struct comments *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One comment, formatted (values from the target are cleaned with the rest). */
static void comment(struct pprof *pp, struct comments *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 && c->n < COMMENTS_MAX ? malloc((size_t)n + 1) : NULL;
    if (!s) {
        pp->st.oom |= n >= 0 && c->n < COMMENTS_MAX;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    c->idx[c->n++] = strtab_intern(&pp->st, s);
    free(s);
}

/* "failed: N stacks (torn A, cycle B, corrupt C, read D)" over every thread. */
static void comment_failed(struct pprof *pp, struct comments *c)
{
    uint64_t n[WALK_FAIL_COUNT] = {0}, total = 0;
    for (size_t th = 0; th < table_thread_count(pp->t); th++)
        for (int why = WALK_OK + 1; why < WALK_FAIL_COUNT; why++) {
            n[why] += table_thread_failed(pp->t, (uint32_t)th, (enum walk_fail)why);
            total += table_thread_failed(pp->t, (uint32_t)th, (enum walk_fail)why);
        }
    char why[160] = "";
    size_t len = 0;
    for (int w = WALK_OK + 1; w < WALK_FAIL_COUNT && len < sizeof why; w++)
        len += (size_t)snprintf(why + len, sizeof why - len, "%s%s %" PRIu64,
                                w == WALK_OK + 1 ? "" : ", ", table_fail_name((enum walk_fail)w),
                                n[w]);
    comment(pp, c, "failed: %" PRIu64 " stacks (%s)", total, why);
}

static void put_meta(struct pprof *pp)
{
    const struct export_meta *m = pp->m;
    struct comments c = {.n = 0};
    comment(pp, &c, "proftui: %s", m->version ? m->version : "unknown");
    comment(pp, &c, "python: %s", m->python_version ? m->python_version : "unknown");
    comment(pp, &c, "mode: %s", table_mode_name((enum table_mode)m->mode));
    comment(pp, &c, "interval: %" PRIu64 "ns", m->interval_ns);
    comment(pp, &c, "samples: %" PRIu64 " rounds", m->taken);
    comment(pp, &c, "missed: %" PRIu64 " rounds", m->missed);
    comment(pp, &c, "lost: %" PRIu64 " rounds", m->lost);
    comment_failed(pp, &c);
    comment(pp, &c, "pid: %" PRId64 " (%s)", m->pid, m->command ? "launched" : "attached");
    if (m->command)
        comment(pp, &c, "command: %s", m->command);
    if (m->only)
        comment(pp, &c, "only: %s", m->only);
    if (m->warning)
        comment(pp, &c, "warning: %s", m->warning);
    /* Each process's name ("process: PID NAME"), then each thread's
     * states, as the collapsed output's "# state:" lines (as many as the
     * comments hold). */
    for (size_t i = 0; i < table_named_processes(pp->t); i++) {
        uint32_t pid;
        const char *name = table_named_process(pp->t, i, &pid);
        comment(pp, &c, "process: %" PRIu32 " %s", pid ? pid : (uint32_t)m->pid, name);
    }
    struct table_states ts;
    for (size_t i = 0; i < table_thread_count(pp->t); i++)
        if (table_thread_states(pp->t, (uint32_t)i, &ts))
            comment(pp, &c, EXPORT_STATE_LINE,
                    table_thread_pid(pp->t, (uint32_t)i) ? table_thread_pid(pp->t, (uint32_t)i)
                                                         : (uint32_t)m->pid,
                    table_thread_tid(pp->t, (uint32_t)i),
                    ts.cpu, ts.gil, ts.wait, ts.idle, ts.samples);
    pbenc_packed(&pp->b, PROFILE_COMMENT, c.idx, c.n);
    if (m->start_unix_ns)
        pbenc_int(&pp->b, PROFILE_TIME, (int64_t)(m->start_unix_ns & INT64_MAX));
    pbenc_int(&pp->b, PROFILE_DURATION, (int64_t)(m->duration_ns & INT64_MAX));
}

const char *pprof_type_name(enum table_mode m)
{
    switch (m) {
    case TABLE_MODE_WALL:
        return "samples";
    case TABLE_MODE_MEMORY:
        return "alloc_space";
    case TABLE_MODE_RELEASED:
        return "freed_space";
    default:
        return table_mode_name(m);
    }
}

const char *pprof_type_unit(enum table_mode m)
{
    return table_mode_counts_bytes(m) ? "bytes" : "count";
}

static struct ptype mode_type(enum table_mode m, const struct table *t)
{
    return (struct ptype){.name = pprof_type_name(m), .unit = pprof_type_unit(m), .t = t};
}

/* Whether meta->by_mode knows the states of the stacks: some mode of
 * samples other than wall has a sample. */
static int states_known(const struct export_meta *meta)
{
    for (int m = 0; meta && m < TABLE_MODES; m++)
        if (m != TABLE_MODE_WALL && !table_mode_counts_bytes((enum table_mode)m) && meta->by_mode[m] &&
            table_samples(meta->by_mode[m]))
            return 1;
    return 0;
}

/* The sample types: with the states known, a type per mode (one of bytes
 * only when it is the chosen mode or has a count); else the one table,
 * as samples (and their time) or bytes. */
static void choose_types(struct pprof *pp, const struct table *t, const struct export_meta *meta)
{
    int chosen = meta ? meta->mode : TABLE_MODE_WALL;
    if (!states_known(meta)) {
        pp->types[0] = mode_type(pp->bytes ? (enum table_mode)chosen : TABLE_MODE_WALL, t);
        pp->ntypes = 1;
        pp->timed = !pp->bytes;
        return;
    }
    for (int m = 0; m < TABLE_MODES; m++) {
        const struct table *mt = meta->by_mode[m];
        if (mt && (m == chosen || !table_mode_counts_bytes((enum table_mode)m) || table_samples(mt)))
            pp->types[pp->ntypes++] = mode_type((enum table_mode)m, mt);
    }
}

/* The table of the most functions (the others' ids are its), t if none
 * has more. */
static const struct table *names_of(const struct table *t, const struct pprof *pp)
{
    const struct table *best = t;
    for (size_t i = 0; i < pp->ntypes; i++)
        if (table_func_count(pp->types[i].t) > table_func_count(best) ||
            (table_func_count(pp->types[i].t) == table_func_count(best) &&
             table_thread_count(pp->types[i].t) > table_thread_count(best)))
            best = pp->types[i].t;
    return best;
}

static int setup(struct pprof *pp, const struct table *t, const struct export_meta *meta)
{
    *pp = (struct pprof){.t = t, .m = meta, .period = meta ? meta->interval_ns : 0,
                         .bytes = meta && table_mode_counts_bytes((enum table_mode)meta->mode)};
    choose_types(pp, t, meta);
    stackset_init(&pp->ss, pp->ntypes);
    pp->names = names_of(t, pp);
    size_t nf = table_func_count(pp->names), nt = table_thread_count(pp->names);
    if (nf >= UINT32_MAX - 1)
        return ERR_NOMEM;
    pp->nofunc = (uint32_t)nf;
    pp->used = calloc(nf + 1, 1);
    pp->tname = malloc((nt ? nt : 1) * sizeof *pp->tname);
    pp->task = malloc((nf + 1) * sizeof *pp->task);
    if (!pp->used || !pp->tname || !pp->task)
        return ERR_NOMEM;
    memset(pp->tname, 0xFF, (nt ? nt : 1) * sizeof *pp->tname);
    memset(pp->task, 0xFF, (nf + 1) * sizeof *pp->task);
    strtab_intern(&pp->st, "");                        /* string_table[0] */
    pp->k_thread_name = strtab_intern(&pp->st, "thread_name");
    pp->k_thread_id = strtab_intern(&pp->st, "thread_id");
    pp->k_pid = strtab_intern(&pp->st, "pid");
    pp->k_task = strtab_intern(&pp->st, "task");
    return pp->st.oom ? ERR_NOMEM : 0;
}

static void release(struct pprof *pp)
{
    strtab_free(&pp->st);
    stackset_free(&pp->ss);
    free(pp->lt.locs);
    free(pp->lt.slots);
    free(pp->used);
    free(pp->task);
    free(pp->tname);
    free(pp->ids);
}

/* The sample types (the time of one type of samples after it), then the
 * default: the chosen mode's type, or the counts when there is no time. */
static void put_types(struct pprof *pp)
{
    const char *mode = table_mode_name(pp->m ? (enum table_mode)pp->m->mode : TABLE_MODE_WALL);
    for (size_t i = 0; i < pp->ntypes; i++)
        put_value_type(pp, PROFILE_SAMPLE_TYPE, pp->types[i].name, pp->types[i].unit);
    if (pp->timed)
        put_value_type(pp, PROFILE_SAMPLE_TYPE, mode, "nanoseconds");
    const char *deflt = NULL;
    if (pp->ntypes > 1)
        deflt = mode_type(pp->m ? (enum table_mode)pp->m->mode : TABLE_MODE_WALL, NULL).name;
    else if (pp->timed && !pp->period)   /* interval unknown (a converted flamegraph.pl file):
                                          * every time is 0, so pprof shows the counts */
        deflt = pp->types[0].name;
    if (deflt)
        pbenc_int(&pp->b, PROFILE_DEFAULT_SAMPLE_TYPE, (int64_t)strtab_intern(&pp->st, deflt));
}

int pprof_encode(const struct table *t, const struct export_meta *meta, unsigned char **out,
                 size_t *len)
{
    struct pprof pp;
    int rc = setup(&pp, t, meta);
    const char *mode = table_mode_name(meta ? (enum table_mode)meta->mode : TABLE_MODE_WALL);
    if (rc == 0) {
        put_types(&pp);
        rc = put_samples(&pp);
    }
    if (rc == 0) {
        put_locations(&pp);
        put_functions(&pp);
        put_value_type(&pp, PROFILE_PERIOD_TYPE, pp.bytes ? "space" : mode,
                       pp.bytes ? "bytes" : "nanoseconds");
        pbenc_int(&pp.b, PROFILE_PERIOD, pp.bytes ? 1 : (int64_t)(pp.period & INT64_MAX));
        if (meta)
            put_meta(&pp);
        for (size_t i = 0; i < pp.st.n; i++)
            pbenc_bytes(&pp.b, PROFILE_STRING, pp.st.s[i], strlen(pp.st.s[i]));
        if (pp.b.oom || pp.st.oom || pp.lt.oom)
            rc = ERR_NOMEM;
    }
    release(&pp);
    if (rc < 0) {
        pbenc_free(&pp.b);
        return rc;
    }
    *out = pp.b.p;
    *len = pp.b.len;
    return 0;
}

/* Write p[0..n) to f gzipped (a gzip member: zlib's deflate with a gzip
 * wrapper). The fastest level: for a 10,000-stack profile it is 2.5 times
 * faster than the default and the file 5 % larger. */
static int gzip_write(FILE *f, const unsigned char *p, size_t n)
{
    z_stream z = {.zalloc = Z_NULL, .zfree = Z_NULL, .opaque = Z_NULL};
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return ERR_NOMEM;
    unsigned char out[65536];
    int rc = 0, zrc = Z_OK;
    z.next_in = (unsigned char *)(uintptr_t)p;
    while (rc == 0 && zrc != Z_STREAM_END) {
        size_t chunk = n < (1u << 30) ? n : (1u << 30);
        if (z.avail_in == 0) {
            z.avail_in = (uInt)chunk;
            n -= chunk;
        }
        z.next_out = out;
        z.avail_out = sizeof out;
        zrc = deflate(&z, n == 0 ? Z_FINISH : Z_NO_FLUSH);
        if (zrc == Z_STREAM_ERROR)
            rc = ERR_NOMEM;
        size_t have = sizeof out - z.avail_out;
        if (have && fwrite(out, 1, have, f) != have)
            rc = ERR_IO;
    }
    deflateEnd(&z);
    return rc;
}

int pprof_write(FILE *f, const struct table *t, const struct export_meta *meta)
{
    unsigned char *p = NULL;
    size_t n = 0;
    int rc = pprof_encode(t, meta, &p, &n);
    if (rc == 0)
        rc = gzip_write(f, p, n);
    free(p);
    if (rc == 0 && (fflush(f) != 0 || ferror(f)))
        rc = ERR_IO;
    return rc;
}
