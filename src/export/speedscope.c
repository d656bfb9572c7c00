/* SPDX-License-Identifier: MIT */
/* speedscope JSON export of the table; see include/speedscope.h for the
 * layout, the choice of frames and weights, and the escaping. */
#include "speedscope.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "error.h"
#include "table.h"
#include "tree.h"
#include "utf8.h"

#define SCHEMA_URL "https://www.speedscope.app/file-format-schema.json"
#define NO_FRAME "[no Python frame]"          /* as in collapsed.c */

/* State of one export. Frames are numbered in order of first use. */
struct ss {
    FILE *f;
    const struct table *t;
    size_t nf;              /* functions in the table; id nf stands for NO_FRAME */
    uint32_t *frame_of;     /* by function id (nf + 1 entries): frame index or TABLE_NONE */
    uint32_t *frames;       /* function id of each frame */
    size_t nframes, frames_cap;
    uint32_t *path;         /* frame indices of the current stack, root first */
    size_t path_cap;
    uint64_t *weights;      /* of the current thread's samples */
    size_t nweights, weights_cap;
    uint64_t scale;         /* weight of one sample */
    const char *unit;       /* of the weights */
};

/* ---- JSON text ---- */

/* The inside of a JSON string for s, without the quotes. */
static void put_escaped(FILE *f, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    const unsigned char *run = u;      /* start of bytes to copy as they are */
    while (*u) {
        uint32_t cp;
        size_t n = utf8_seq(u, &cp);
        if (n != 0 && !utf8_is_control(cp) && cp != '"' && cp != '\\') {
            u += n;
            continue;
        }
        fwrite(run, 1, (size_t)(u - run), f);
        if (n == 0)
            fputs("\\ufffd", f);
        else if (cp == '"' || cp == '\\')
            fprintf(f, "\\%c", (char)cp);
        else
            fprintf(f, "\\u%04" PRIx32, cp);
        u += n ? n : 1;
        run = u;
    }
    fwrite(run, 1, (size_t)(u - run), f);
}

void speedscope_put_string(FILE *f, const char *s)
{
    putc('"', f);
    put_escaped(f, s);
    putc('"', f);
}

/* "key": followed by a string, or null for NULL. */
static void put_key_string(FILE *f, const char *key, const char *value)
{
    fprintf(f, "\"%s\":", key);
    if (value)
        speedscope_put_string(f, value);
    else
        fputs("null", f);
}

/* ---- frames ---- */

static int frame_index(struct ss *s, uint32_t func, uint32_t *out)
{
    if (func > s->nf)
        return ERR_USAGE;
    if (s->frame_of[func] == TABLE_NONE) {
        if (array_reserve((void **)&s->frames, &s->frames_cap, s->nframes + 1,
                          sizeof *s->frames) < 0)
            return ERR_NOMEM;
        s->frame_of[func] = (uint32_t)s->nframes;
        s->frames[s->nframes++] = func;
    }
    *out = s->frame_of[func];
    return 0;
}

static void write_frames(struct ss *s)
{
    fputs("\"shared\":{\"frames\":[", s->f);
    for (size_t i = 0; i < s->nframes; i++) {
        uint32_t func = s->frames[i];
        const char *file = func < s->nf ? table_func_file(s->t, func) : "";
        int32_t line = func < s->nf ? table_func_first_line(s->t, func) : -1;
        fputs(i ? ",\n{" : "\n{", s->f);
        put_key_string(s->f, "name", func < s->nf ? table_func_name(s->t, func) : NO_FRAME);
        if (*file) {
            putc(',', s->f);
            put_key_string(s->f, "file", file);
        }
        if (*file && line >= 0)
            fprintf(s->f, ",\"line\":%" PRId32, line);
        putc('}', s->f);
    }
    fputs("]}", s->f);
}

/* ---- one thread's profile ---- */

struct child {
    uint32_t parent, node;
    const char *name, *file;
    int32_t line;
};

static int by_parent_then_name(const void *pa, const void *pb)
{
    const struct child *a = pa, *b = pb;
    if (a->parent != b->parent)
        return (a->parent > b->parent) - (a->parent < b->parent);
    int c = strcmp(a->name, b->name);
    if (c == 0)
        c = strcmp(a->file, b->file);
    if (c == 0)
        c = (a->line > b->line) - (a->line < b->line);
    return c ? c : (a->node > b->node) - (a->node < b->node);
}

/* Relink every node's children in order of name, file and first line, so
 * that the output does not depend on the order stacks were recorded in. */
static int sort_children(struct calltree *ct, const struct table *t)
{
    if (ct->n < 2)
        return 0;
    struct child *c = malloc((ct->n - 1) * sizeof *c);
    if (!c)
        return ERR_NOMEM;
    for (size_t i = 1; i < ct->n; i++) {
        uint32_t func = ct->nodes[i].func;
        c[i - 1] = (struct child){.parent = ct->nodes[i].parent, .node = (uint32_t)i,
                                  .name = table_func_name(t, func), .file = table_func_file(t, func),
                                  .line = table_func_first_line(t, func)};
    }
    qsort(c, ct->n - 1, sizeof *c, by_parent_then_name);
    for (size_t i = 0; i < ct->n; i++)
        ct->nodes[i].first_child = TABLE_NONE;
    for (size_t k = ct->n - 1; k-- > 0;) {
        struct calltree_node *node = &ct->nodes[c[k].node], *parent = &ct->nodes[c[k].parent];
        node->next_sibling = parent->first_child;
        parent->first_child = c[k].node;
    }
    free(c);
    return 0;
}

/* One entry of "samples" (the path, depth frames) and its weight. */
static int put_sample(struct ss *s, size_t depth, uint64_t count)
{
    if (array_reserve((void **)&s->weights, &s->weights_cap, s->nweights + 1,
                      sizeof *s->weights) < 0)
        return ERR_NOMEM;
    s->weights[s->nweights] = count > UINT64_MAX / s->scale ? UINT64_MAX : count * s->scale;
    fputs(s->nweights++ ? ",\n[" : "\n[", s->f);
    for (size_t i = 0; i < depth; i++)
        fprintf(s->f, i ? ",%" PRIu32 : "%" PRIu32, s->path[i]);
    putc(']', s->f);
    return 0;
}

/* Depth-first over the merged tree: a sample for each node with samples of
 * its own, its path from the root. */
static int write_samples(struct ss *s, const struct calltree *ct)
{
    const struct calltree_node *nd = ct->nodes;
    int rc = 0;
    if (nd[0].self) {
        rc = array_reserve((void **)&s->path, &s->path_cap, 1, sizeof *s->path);
        if (rc == 0)
            rc = frame_index(s, (uint32_t)s->nf, &s->path[0]);
        if (rc == 0)
            rc = put_sample(s, 1, nd[0].self);
    }
    size_t depth = 0;
    uint32_t n = nd[0].first_child;
    while (n != TABLE_NONE && rc == 0) {
        rc = array_reserve((void **)&s->path, &s->path_cap, depth + 1, sizeof *s->path);
        if (rc == 0)
            rc = frame_index(s, nd[n].func, &s->path[depth]);
        if (rc == 0 && nd[n].self)
            rc = put_sample(s, depth + 1, nd[n].self);
        if (nd[n].first_child != TABLE_NONE) {
            n = nd[n].first_child;
            depth++;
            continue;
        }
        while (n != 0 && nd[n].next_sibling == TABLE_NONE) {
            n = nd[n].parent;
            depth -= n != 0;
        }
        n = n == 0 ? TABLE_NONE : nd[n].next_sibling;
    }
    return rc;
}

/* "<name> (tid N)", "tid N" without a name; pid >= 0 adds the process
 * ("<name> (pid P, tid N)") for profiles of several processes. */
static void put_profile_name(FILE *f, const char *name, int64_t pid, uint64_t tid)
{
    putc('"', f);
    put_escaped(f, name);
    fputs(*name ? " (" : "", f);
    if (pid >= 0)
        fprintf(f, "pid %" PRId64 ", ", pid);
    fprintf(f, "tid %" PRIu64 "%s\"", tid, *name ? ")" : "");
}

static int write_profile(struct ss *s, uint32_t thread)
{
    struct calltree ct;
    int rc = tree_merged(s->t, thread, &ct);
    if (rc == 0)
        rc = sort_children(&ct, s->t);
    if (rc < 0) {
        calltree_free(&ct);
        return rc;
    }
    fputs("{\"type\":\"sampled\",\"name\":", s->f);
    int64_t pid = table_pid_count(s->t) > 1 ? (int64_t)table_thread_pid(s->t, thread) : -1;
    put_profile_name(s->f, table_thread_name(s->t, thread), pid, table_thread_tid(s->t, thread));
    fprintf(s->f, ",\"unit\":\"%s\",\"startValue\":0,\"samples\":[", s->unit);
    s->nweights = 0;
    rc = write_samples(s, &ct);
    calltree_free(&ct);
    uint64_t end = 0;
    fputs("],\n\"weights\":[", s->f);
    for (size_t i = 0; i < s->nweights; i++) {
        fprintf(s->f, i ? ",%" PRIu64 : "%" PRIu64, s->weights[i]);
        end = end > UINT64_MAX - s->weights[i] ? UINT64_MAX : end + s->weights[i];
    }
    fprintf(s->f, "],\"endValue\":%" PRIu64 "}", end);
    return rc;
}

/* ---- threads, metadata, the file ---- */

/* ,"states":[{"pid","tid","cpu","gil","wait","idle","samples"}]: each
 * thread's states (table_thread_states), as the collapsed output's
 * "# state:" lines. */
static void put_states(FILE *f, const struct table *t)
{
    struct table_states ts;
    const char *sep = "";
    fputs(",\"states\":[", f);
    for (size_t i = 0; i < table_thread_count(t); i++) {
        if (!table_thread_states(t, (uint32_t)i, &ts))
            continue;
        fprintf(f, "%s{\"pid\":%" PRIu32 ",\"tid\":%" PRIu64 ",\"cpu\":%" PRIu64 ",\"gil\":%" PRIu64
                ",\"wait\":%" PRIu64 ",\"idle\":%" PRIu64 ",\"samples\":%" PRIu64 "}", sep,
                table_thread_pid(t, (uint32_t)i), table_thread_tid(t, (uint32_t)i), ts.cpu, ts.gil,
                ts.wait, ts.idle, ts.samples);
        sep = ",\n";
    }
    fputc(']', f);
}

/* ,"processes":[{"pid","name"}]: each named process (the command line
 * the collapsed output writes after P<pid>). */
static void put_processes(FILE *f, const struct table *t, int64_t own_pid)
{
    const char *sep = "";
    fputs(",\"processes\":[", f);
    for (size_t i = 0; i < table_named_processes(t); i++) {
        uint32_t pid;
        const char *name = table_named_process(t, i, &pid);
        fprintf(f, "%s{\"pid\":%" PRId64 ",", sep, pid ? (int64_t)pid : own_pid);
        put_key_string(f, "name", name);
        putc('}', f);
        sep = ",";
    }
    fputc(']', f);
}

/* {"torn":A,"cycle":B,"corrupt":C,"read":D} of one thread, or of every
 * thread for TABLE_NONE. */
static void put_failed(FILE *f, const struct table *t, uint32_t thread)
{
    size_t first = thread == TABLE_NONE ? 0 : thread;
    size_t end = thread == TABLE_NONE ? table_thread_count(t) : (size_t)thread + 1;
    putc('{', f);
    for (int why = WALK_OK + 1; why < WALK_FAIL_COUNT; why++) {
        uint64_t n = 0;
        for (size_t i = first; i < end; i++)
            n += table_thread_failed(t, (uint32_t)i, (enum walk_fail)why);
        fprintf(f, "%s\"%s\":%" PRIu64, why == WALK_OK + 1 ? "" : ",",
                table_fail_name((enum walk_fail)why), n);
    }
    putc('}', f);
}

static void put_start(FILE *f, uint64_t unix_ns)
{
    time_t sec = (time_t)(unix_ns / 1000000000);
    struct tm tm;
    char text[64];
    if (unix_ns == 0 || !gmtime_r(&sec, &tm) ||
        strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        fputs("\"start\":null", f);
        return;
    }
    fprintf(f, "\"start\":\"%s.%09" PRIu64 "Z\"", text, unix_ns % 1000000000);
}

static void write_meta(FILE *f, const struct table *t, const struct export_meta *m,
                       const uint32_t *th, size_t nth)
{
    fputs("\"proftui\":{", f);
    put_key_string(f, "version", m->version ? m->version : "unknown");
    putc(',', f);
    put_key_string(f, "python", m->python_version);
    fprintf(f, ",\"mode\":\"%s\",\"interval_ns\":%" PRIu64 ",", table_mode_name((enum table_mode)m->mode),
            m->interval_ns);
    put_start(f, m->start_unix_ns);
    fprintf(f, ",\"start_unix_ns\":%" PRIu64 ",\"duration_ns\":%" PRIu64, m->start_unix_ns,
            m->duration_ns);
    fprintf(f, ",\"rounds\":{\"taken\":%" PRIu64 ",\"missed\":%" PRIu64 ",\"lost\":%" PRIu64 "}",
            m->taken, m->missed, m->lost);
    fputs(",\"failed\":", f);
    put_failed(f, t, TABLE_NONE);
    fprintf(f, ",\"recorded\":%" PRIu64 ",\"pid\":%" PRId64 ",", table_samples(t), m->pid);
    put_key_string(f, "command", m->command);
    putc(',', f);
    put_key_string(f, "only", m->only);
    putc(',', f);
    put_key_string(f, "warning", m->warning);
    fputs(",\"threads\":[", f);
    for (size_t i = 0; i < nth; i++) {
        fprintf(f, "%s{\"tid\":%" PRIu64 ",", i ? ",\n" : "\n", table_thread_tid(t, th[i]));
        if (table_thread_pid(t, th[i]))
            fprintf(f, "\"pid\":%" PRIu32 ",", table_thread_pid(t, th[i]));
        put_key_string(f, "name", table_thread_name(t, th[i]));
        fprintf(f, ",\"samples\":%" PRIu64 ",\"failed\":", table_thread_samples(t, th[i]));
        put_failed(f, t, th[i]);
        putc('}', f);
    }
    fputs("]", f);
    put_states(f, t);
    put_processes(f, t, m->pid);
    fputs("},\n", f);
}

/* The file's name: the command, or "pid N" when attached. */
static void write_head(struct ss *s, const struct export_meta *m, const uint32_t *th,
                       size_t nth)
{
    size_t active = 0;
    for (size_t i = 1; i < nth; i++)
        if (table_thread_samples(s->t, th[i]) > table_thread_samples(s->t, th[active]))
            active = i;
    fputs("{\"$schema\":\"" SCHEMA_URL "\",\n", s->f);
    fputs("\"exporter\":\"proftui ", s->f);
    put_escaped(s->f, m && m->version ? m->version : "unknown");
    fputs("\",\n\"name\":", s->f);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %" PRId64, m ? m->pid : 0);
    speedscope_put_string(s->f, !m ? "proftui profile" : m->command ? m->command : pid);
    fprintf(s->f, ",\n\"activeProfileIndex\":%zu,\n", active);
}

static int write_file(struct ss *s, const struct export_meta *m)
{
    size_t nth;
    uint32_t *th;
    int rc = table_threads_by_tid(s->t, &th, &nth);
    if (rc < 0)
        return rc;
    write_head(s, m, th, nth);
    if (m)
        write_meta(s->f, s->t, m, th, nth);
    fputs("\"profiles\":[", s->f);
    for (size_t i = 0; i < nth && rc == 0; i++) {
        fputs(i ? ",\n" : "\n", s->f);
        rc = write_profile(s, th[i]);
    }
    free(th);
    fputs("],\n", s->f);
    write_frames(s);
    fputs("}\n", s->f);
    return rc;
}

int speedscope_write(FILE *f, const struct table *t, const struct export_meta *meta)
{
    struct ss s = {.f = f, .t = t, .nf = table_func_count(t), .scale = 1, .unit = "none"};
    if (meta && table_mode_counts_bytes(meta->mode)) {
        s.unit = "bytes";                     /* the counts are bytes already */
    } else if (meta && meta->interval_ns > 0) {
        s.scale = meta->interval_ns;
        s.unit = "nanoseconds";
    }
    s.frame_of = malloc((s.nf + 1) * sizeof *s.frame_of);
    if (!s.frame_of)
        return ERR_NOMEM;
    for (size_t i = 0; i <= s.nf; i++)
        s.frame_of[i] = TABLE_NONE;
    int rc = write_file(&s, meta);
    free(s.frame_of);
    free(s.frames);
    free(s.path);
    free(s.weights);
    if (rc == 0 && (fflush(f) != 0 || ferror(f)))
        rc = ERR_IO;
    return rc;
}
