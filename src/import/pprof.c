/* SPDX-License-Identifier: MIT */
/* Reading pprof's profile.proto (github.com/google/pprof/proto/profile.proto):
 * strings, functions (name, file), locations (lines: the first is the
 * innermost, later ones the callers it was inlined into), then samples
 * (location ids leaf first) counted by the default sample type (proftui
 * writes its mode's there: the counts its comment "mode: M" names), else
 * the type named "samples" (or "sample"), else the first, or, when the
 * states are wanted (import_file_states) and proftui wrote the file with
 * every one, by every type (split_states); labels "thread_id"/"thread"/"tid" and
 * "thread_name" give the thread, "pid" the process. */
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "pbread.h"
#include "pprof.h"
#include "profile.h"

/* profile.proto field numbers. */
enum { P_SAMPLE_TYPE = 1, P_SAMPLE = 2, P_LOCATION = 4, P_FUNCTION = 5, P_STRING = 6,
       P_TIME = 9, P_DURATION = 10, P_PERIOD_TYPE = 11, P_PERIOD = 12, P_COMMENT = 13,
       P_DEFAULT_SAMPLE_TYPE = 14 };

struct str { const uint8_t *p; size_t n; };

struct func { uint64_t id; uint32_t table_id; };
struct line { uint32_t table_id; int32_t line; };
struct loc { uint64_t id; size_t first, n; uint64_t address; };

struct pp {
    struct import_ctx *c;
    struct str *strs;
    size_t nstrs, capstrs;
    struct func *funcs;
    size_t nfuncs, capfuncs;
    struct loc *locs;
    size_t nlocs, caplocs;
    struct line *lines;
    size_t nlines, caplines;
    uint64_t types[64];              /* sample_type's type string of each value */
    uint64_t units[64];              /* ... and its unit string */
    size_t ntypes;
    int states;                      /* read every state (import_ctx.states, a proftui file) */
    int role[64];                    /* with states: each value's mode, or -1 */
    size_t value;                    /* the value counted */
    uint64_t period_type_unit;
    uint64_t period;
    uint64_t default_type;           /* its string, 0: none */
};

static int malformed(struct pp *p, const uint8_t *at, const uint8_t *base, const char *what)
{
    return import_fail(p->c, "byte %zu: %s (not a pprof profile)", (size_t)(at - base) + 1, what);
}

static int str_is(const struct pp *p, uint64_t idx, const char *s)
{
    return idx < p->nstrs && p->strs[idx].n == strlen(s) && memcmp(p->strs[idx].p, s, p->strs[idx].n) == 0;
}

static int by_func_id(const void *a, const void *b)
{
    uint64_t x = ((const struct func *)a)->id, y = ((const struct func *)b)->id;
    return (x > y) - (x < y);
}

static int by_loc_id(const void *a, const void *b)
{
    uint64_t x = ((const struct loc *)a)->id, y = ((const struct loc *)b)->id;
    return (x > y) - (x < y);
}

/* Function{id 1, name 2, system_name 3, filename 4, start_line 5}. */
static int read_function(struct pp *p, const uint8_t *d, size_t n)
{
    struct pbread r = pbread_init(d, n);
    struct pb_field f;
    uint64_t id = 0, name = 0, file = 0, first = 0;
    int rc;
    while ((rc = pbread_next(&r, &f)) > 0) {
        if (f.wire == PB_VARINT && f.number == 1)
            id = f.value;
        else if (f.wire == PB_VARINT && f.number == 2)
            name = f.value;
        else if (f.wire == PB_VARINT && f.number == 4)
            file = f.value;
        else if (f.wire == PB_VARINT && f.number == 5)
            first = f.value;
    }
    if (rc < 0 || name >= p->nstrs || file >= p->nstrs)
        return ERR_CORRUPT;
    if (array_reserve((void **)&p->funcs, &p->capfuncs, p->nfuncs + 1, sizeof *p->funcs) < 0)
        return ERR_NOMEM;
    uint32_t tid = import_func_at(p->c, (const char *)p->strs[name].p, p->strs[name].n,
                                  (const char *)p->strs[file].p, p->strs[file].n,
                                  first > 0 && first < INT32_MAX ? (int32_t)first : -1);
    if (tid == TABLE_NONE)
        return ERR_NOMEM;
    p->funcs[p->nfuncs++] = (struct func){.id = id, .table_id = tid};
    return 0;
}

static const struct func *find_func(const struct pp *p, uint64_t id)
{
    struct func key = {.id = id};
    return p->nfuncs ? bsearch(&key, p->funcs, p->nfuncs, sizeof key, by_func_id) : NULL;
}

/* Location{id 1, mapping_id 2, address 3, line 4 (Line{function_id 1, line 2})}. */
static int read_location(struct pp *p, const uint8_t *d, size_t n)
{
    struct pbread r = pbread_init(d, n);
    struct pb_field f;
    struct loc l = {.first = p->nlines};
    int rc;
    while ((rc = pbread_next(&r, &f)) > 0) {
        if (f.wire == PB_VARINT && f.number == 1)
            l.id = f.value;
        else if (f.wire == PB_VARINT && f.number == 3)
            l.address = f.value;
        if (f.wire != PB_LEN || f.number != 4)
            continue;
        struct pbread lr = pbread_init(f.data, f.len);
        struct pb_field lf;
        uint64_t fid = 0, line = 0;
        int lrc;
        while ((lrc = pbread_next(&lr, &lf)) > 0) {
            if (lf.wire == PB_VARINT && lf.number == 1)
                fid = lf.value;
            else if (lf.wire == PB_VARINT && lf.number == 2)
                line = lf.value;
        }
        const struct func *fn = find_func(p, fid);
        if (lrc < 0 || !fn)
            return ERR_CORRUPT;
        if (array_reserve((void **)&p->lines, &p->caplines, p->nlines + 1, sizeof *p->lines) < 0)
            return ERR_NOMEM;
        p->lines[p->nlines++] = (struct line){.table_id = fn->table_id,
                                              .line = line > 0 && line <= INT32_MAX ? (int32_t)line : -1};
    }
    if (rc < 0)
        return ERR_CORRUPT;
    l.n = p->nlines - l.first;
    if (array_reserve((void **)&p->locs, &p->caplocs, p->nlocs + 1, sizeof *p->locs) < 0)
        return ERR_NOMEM;
    p->locs[p->nlocs++] = l;
    return 0;
}

static const struct loc *find_loc(const struct pp *p, uint64_t id)
{
    struct loc key = {.id = id};
    return p->nlocs ? bsearch(&key, p->locs, p->nlocs, sizeof key, by_loc_id) : NULL;
}

/* Append location id's frames (its lines in order: innermost first). */
static int add_location(struct pp *p, uint64_t id, int *depth)
{
    const struct loc *l = find_loc(p, id);
    if (!l)
        return import_fail(p->c, "a sample names location %llu, which is not in the profile",
                           (unsigned long long)id);
    if (*depth + (l->n ? (int)l->n : 1) > IMPORT_DEPTH_MAX)
        return import_fail(p->c, "a stack deeper than %d frames", IMPORT_DEPTH_MAX);
    if (l->n == 0) {                        /* an address without symbols */
        char name[32];
        int len = snprintf(name, sizeof name, "0x%llx", (unsigned long long)l->address);
        uint32_t f = import_func(p->c, name, (size_t)len, "", 0);
        if (f == TABLE_NONE)
            return ERR_NOMEM;
        p->c->frames[(*depth)++] = (struct frame_key){.func = f, .line = -1};
        return 0;
    }
    for (size_t i = 0; i < l->n; i++)
        p->c->frames[(*depth)++] = (struct frame_key){.func = p->lines[l->first + i].table_id,
                                                      .line = p->lines[l->first + i].line};
    return 0;
}

struct labels {
    uint64_t tid;
    uint32_t pid;                       /* 0: none, or not a pid */
    struct str name;
};

/* Label{key 1, str 2, num 3}: the thread and the process. */
static int read_label(struct pp *p, const uint8_t *d, size_t n, struct labels *out)
{
    struct pbread r = pbread_init(d, n);
    struct pb_field f;
    uint64_t key = 0, s = 0, num = 0;
    int rc, has_num = 0;
    while ((rc = pbread_next(&r, &f)) > 0) {
        if (f.wire == PB_VARINT && f.number == 1)
            key = f.value;
        else if (f.wire == PB_VARINT && f.number == 2)
            s = f.value;
        else if (f.wire == PB_VARINT && f.number == 3)
            num = f.value, has_num = 1;
    }
    if (rc < 0 || key >= p->nstrs || s >= p->nstrs)
        return ERR_CORRUPT;
    uint64_t v = num;
    if (!has_num && p->strs[s].n && p->strs[s].n < 20) {
        char buf[24];
        memcpy(buf, p->strs[s].p, p->strs[s].n);
        buf[p->strs[s].n] = '\0';
        char *end;
        v = strtoull(buf, &end, 0);
        has_num = *end == '\0';
    }
    if ((str_is(p, key, "thread_id") || str_is(p, key, "thread") || str_is(p, key, "tid")) && has_num)
        out->tid = v;
    else if (str_is(p, key, "thread") || str_is(p, key, "thread_name"))
        out->name = p->strs[s];
    else if (str_is(p, key, "pid") && has_num) {
        if (!p->c->meta->pid)
            p->c->meta->pid = (int64_t)(v & INT64_MAX);
        out->pid = import_thread_pid(p->c, v);
    }
    return 0;
}

/* The next number of a repeated field: the value itself (once) when not
 * packed, else the next varint of its bytes. 1, 0 at the end, -1. */
static int next_number(const struct pb_field *f, struct pbread *packed, int *used, uint64_t *v)
{
    if (f->wire != PB_VARINT)
        return pbread_packed(packed, v);
    if (*used)
        return 0;
    *used = 1;
    *v = f->value;
    return 1;
}

/* The first metric of mode m (a mode of bytes has one), -1 for none. */
static int first_metric(int m)
{
    for (int k = 0; k < TABLE_METRICS; k++)
        if (table_mode_mask((enum table_mode)m) >> k & 1u)
            return k;
    return -1;
}

/* Split one stack's values (by type) into counts by metric such that
 * every mode the file has sums its own value: the metrics in the most of
 * those modes first, each as much as all of its modes have left; bytes
 * to the metric of their mode. 0, or -1 when the values
 * do not add up (a sample on a CPU and idle, say). */
static int split_states(const struct pp *p, const uint64_t *v, uint64_t x[TABLE_METRICS])
{
    uint64_t rem[TABLE_MODES] = {0};
    unsigned present = 0, wall = table_mode_mask(TABLE_MODE_WALL);
    memset(x, 0, TABLE_METRICS * sizeof *x);
    for (size_t i = 0; i < p->ntypes; i++) {
        int m = p->role[i];
        if (m >= 0 && table_mode_counts_bytes((enum table_mode)m) && first_metric(m) >= 0)
            x[first_metric(m)] += v[i];
        else if (m >= 0)
            rem[m] = v[i], present |= 1u << m;
    }
    for (int k = TABLE_MODES; k >= 1; k--) {
        for (int metric = 0; metric < TABLE_METRICS; metric++) {
            unsigned sig = 0;
            for (int m = 0; m < TABLE_MODES; m++)
                if ((present >> m & 1u) && (table_mode_mask((enum table_mode)m) >> metric & 1u))
                    sig |= 1u << m;
            int in = 0;
            for (int m = 0; m < TABLE_MODES; m++)
                in += sig >> m & 1u;
            if (!(wall >> metric & 1u) || in != k)
                continue;
            uint64_t take = UINT64_MAX;
            for (int m = 0; m < TABLE_MODES; m++)
                if (sig >> m & 1u)
                    take = rem[m] < take ? rem[m] : take;
            for (int m = 0; m < TABLE_MODES; m++)
                if (sig >> m & 1u)
                    rem[m] -= take;
            x[metric] += take;
        }
    }
    for (int m = 0; m < TABLE_MODES; m++)
        if (rem[m])
            return -1;
    return 0;
}

/* One stack's values, every state's, into the table. */
static int add_states(struct pp *p, uint32_t th, int depth, const uint64_t *v)
{
    uint64_t x[TABLE_METRICS];
    for (size_t i = 0; i < p->ntypes; i++)
        if (v[i] > IMPORT_COUNT_MAX)                     /* a negative int64 */
            return import_fail(p->c, "a sample's value is negative");
    if (split_states(p, v, x) < 0)
        return import_fail(p->c, "a sample's states do not add up (more on a CPU and idle than "
                                 "samples)");
    for (int m = 0; m < TABLE_METRICS; m++) {
        int rc = x[m] ? import_add_as(p->c, th, p->c->frames, depth, x[m], (enum table_metric)m)
                      : 0;
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Sample{location_id 1, value 2, label 3}; ids and values packed or not. */
static int read_sample(struct pp *p, const uint8_t *d, size_t n)
{
    struct pbread r = pbread_init(d, n);
    struct pb_field f;
    struct labels lab = {0};
    uint64_t value = 0, v, values[64] = {0};
    size_t vi = 0;
    int rc, depth = 0;
    while ((rc = pbread_next(&r, &f)) > 0) {
        struct pbread packed = pbread_init(f.data, f.len);
        int num = f.wire == PB_VARINT || f.wire == PB_LEN, used = 0, k = 0, prc = 0;
        if (f.number == 1 && num) {
            while (prc == 0 && (k = next_number(&f, &packed, &used, &v)) > 0)
                prc = add_location(p, v, &depth);
            if (prc < 0 || k < 0)
                return prc < 0 ? prc : ERR_CORRUPT;
        } else if (f.number == 2 && num) {
            while ((k = next_number(&f, &packed, &used, &v)) > 0) {
                if (vi < sizeof values / sizeof values[0])
                    values[vi] = v;
                value = vi++ == p->value ? v : value;
            }
            if (k < 0)
                return ERR_CORRUPT;
        } else if (f.number == 3 && f.wire == PB_LEN && read_label(p, f.data, f.len, &lab) < 0) {
            return ERR_CORRUPT;
        }
    }
    if (rc < 0)
        return ERR_CORRUPT;
    if (!p->states && (value == 0 || value > IMPORT_COUNT_MAX))   /* none, or a negative int64 */
        return 0;
    char name[IMPORT_NAME_MAX + 1];
    size_t nl = lab.name.n < IMPORT_NAME_MAX ? lab.name.n : IMPORT_NAME_MAX;
    if (nl)
        memcpy(name, lab.name.p, nl);
    name[nl] = '\0';
    uint32_t th = table_thread_of(p->c->t, lab.pid, lab.tid, nl ? name : NULL);
    if (th == TABLE_NONE)
        return ERR_NOMEM;
    return p->states ? add_states(p, th, depth, values)
                     : import_add(p->c, th, p->c->frames, depth, value);
}

/* The first pass: strings, sample types, times and period. */
static int pass_header(struct pp *p, const uint8_t *d, size_t n)
{
    struct pbread r = pbread_init(d, n);
    struct pb_field f;
    int rc;
    while ((rc = pbread_next(&r, &f)) > 0) {
        if (f.number == P_STRING && f.wire == PB_LEN) {
            if (array_reserve((void **)&p->strs, &p->capstrs, p->nstrs + 1, sizeof *p->strs) < 0)
                return ERR_NOMEM;
            p->strs[p->nstrs++] = (struct str){f.data, f.len};
        } else if ((f.number == P_SAMPLE_TYPE || f.number == P_PERIOD_TYPE) && f.wire == PB_LEN) {
            struct pbread vr = pbread_init(f.data, f.len);
            struct pb_field vf;
            uint64_t type = 0, unit = 0;
            int vrc;
            while ((vrc = pbread_next(&vr, &vf)) > 0)
                *(vf.number == 1 ? &type : vf.number == 2 ? &unit : &(uint64_t){0}) = vf.value;
            if (vrc < 0)
                return malformed(p, f.data, d, "a bad value type");
            if (f.number == P_PERIOD_TYPE)
                p->period_type_unit = unit;
            else if (p->ntypes < sizeof p->types / sizeof p->types[0])
                p->units[p->ntypes] = unit, p->types[p->ntypes++] = type;
        } else if (f.wire == PB_VARINT && f.number == P_DEFAULT_SAMPLE_TYPE) {
            p->default_type = f.value;
        } else if (f.wire == PB_VARINT && (f.number == P_TIME || f.number == P_DURATION || f.number == P_PERIOD)) {
            uint64_t v = f.value > INT64_MAX ? 0 : f.value;
            *(f.number == P_TIME ? &p->c->meta->start_unix_ns : f.number == P_DURATION
              ? &p->c->meta->duration_ns : &p->period) = v;
        }
    }
    return rc < 0 ? malformed(p, r.p, d, "a truncated or invalid field") : 0;
}

/* One more pass over the top-level fields number `which`, each read by fn. */
static int pass(struct pp *p, const uint8_t *d, size_t n, uint32_t which,
                int (*fn)(struct pp *, const uint8_t *, size_t), const char *what)
{
    struct pbread r = pbread_init(d, n);
    struct pb_field f;
    int rc;
    while ((rc = pbread_next(&r, &f)) > 0) {
        if (f.number != which || f.wire != PB_LEN)
            continue;
        int frc = fn(p, f.data, f.len);
        if (frc == ERR_CORRUPT)
            return malformed(p, f.data, d, what);
        if (frc < 0)
            return frc;
    }
    return rc < 0 ? malformed(p, r.p, d, "a truncated or invalid field") : 0;
}

/* Comments (string indices, packed or not): proftui writes its metadata
 * there as "key: value" (pprof.h), read as the collapsed output's lines. */
static int pass_comments(struct pp *p, const uint8_t *d, size_t n)
{
    struct pbread r = pbread_init(d, n);
    struct pb_field f;
    int rc, k, count = 0;
    while ((rc = pbread_next(&r, &f)) > 0) {
        if (f.number != P_COMMENT || (f.wire != PB_VARINT && f.wire != PB_LEN))
            continue;
        struct pbread packed = pbread_init(f.data, f.len);
        int used = 0;
        uint64_t idx;
        int mrc = 0;
        while (mrc == 0 && (k = next_number(&f, &packed, &used, &idx)) > 0 && count++ < 1000)
            if (idx < p->nstrs)
                mrc = import_meta_text(p->c, (const char *)p->strs[idx].p, p->strs[idx].n);
        if (mrc < 0)
            return mrc;
        if (k < 0)
            return malformed(p, f.data, d, "a bad comment list");
    }
    return rc < 0 ? malformed(p, r.p, d, "a truncated or invalid field") : 0;
}

/* The value counted: the default type's, else samples, else the first. */
static void choose_value(struct pp *p)
{
    p->value = 0;
    for (size_t i = 0; i < p->ntypes; i++)
        if (str_is(p, p->types[i], "samples") || str_is(p, p->types[i], "sample")) {
            p->value = i;
            break;
        }
    const struct str *d =
        p->default_type && p->default_type < p->nstrs ? &p->strs[p->default_type] : NULL;
    for (size_t i = 0; d && i < p->ntypes; i++)
        if (p->types[i] < p->nstrs && p->strs[p->types[i]].n == d->n &&
            memcmp(p->strs[p->types[i]].p, d->p, d->n) == 0) {
            p->value = i;
            break;
        }
    if (p->period && str_is(p, p->period_type_unit, "nanoseconds") && !p->c->meta->interval_ns)
        p->c->meta->interval_ns = p->period;
}

/* The role of each value when the states are wanted and proftui wrote
 * the file with every one: a type named and counted as a mode's
 * (pprof_type_name, pprof_type_unit) gives that mode. */
static void choose_states(struct pp *p)
{
    unsigned found = 0;
    p->states = 0;
    if (!p->c->states || !p->c->meta->writer[0])
        return;
    for (size_t i = 0; i < p->ntypes; i++) {
        p->role[i] = -1;
        for (int m = 0; m < TABLE_MODES && p->role[i] < 0; m++)
            if (str_is(p, p->types[i], pprof_type_name((enum table_mode)m)) &&
                str_is(p, p->units[i], pprof_type_unit((enum table_mode)m)) && !(found >> m & 1u))
                p->role[i] = m, found |= 1u << m;
    }
    /* every sample with its state: wall and some other mode of samples */
    for (int m = 0; m < TABLE_MODES; m++)
        if (m != TABLE_MODE_WALL && !table_mode_counts_bytes((enum table_mode)m) && (found >> m & 1u))
            p->states = (found >> TABLE_MODE_WALL & 1u) != 0;
}

int import_pprof(struct import_ctx *c, const uint8_t *data, size_t n)
{
    struct pp p = {.c = c};
    int rc = pass_header(&p, data, n);
    if (rc == 0 && p.ntypes == 0)
        rc = import_fail(c, "no sample type (not a pprof profile)");
    if (rc == 0 && (p.nstrs == 0 || p.strs[0].n != 0))
        rc = import_fail(c, "the string table does not start with \"\" (not a pprof profile)");
    if (rc == 0)
        rc = pass_comments(&p, data, n);
    if (rc == 0)
        rc = pass(&p, data, n, P_FUNCTION, read_function, "a bad function");
    if (rc == 0 && p.nfuncs > 1)
        qsort(p.funcs, p.nfuncs, sizeof *p.funcs, by_func_id);
    if (rc == 0)
        rc = pass(&p, data, n, P_LOCATION, read_location, "a bad location");
    if (rc == 0 && p.nlocs > 1)
        qsort(p.locs, p.nlocs, sizeof *p.locs, by_loc_id);
    if (rc == 0) {
        choose_value(&p);
        choose_states(&p);
        c->got_states = p.states;
        rc = pass(&p, data, n, P_SAMPLE, read_sample, "a bad sample");
    }
    free(p.strs);
    free(p.funcs);
    free(p.locs);
    free(p.lines);
    return rc;
}
