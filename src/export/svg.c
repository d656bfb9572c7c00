/* SPDX-License-Identifier: MIT */
/* SVG flame graph export of the table; see include/svg.h for the layout,
 * the script and the escaping of untrusted names. */
#include "svg.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "table.h"
#include "tree.h"
#include "family.h"
#include "svgdata.h"     /* code_family_of: the live flame graph's colour families */
#include "utf8.h"

#define NO_FRAME "[no Python frame]"
#define FRAME_H 16          /* a row */
#define TOP 46              /* title, header line and buttons above the rows */
#define BOTTOM 24           /* the details line below them */
#define CHAR_W 7.0          /* a character of the 11px monospace labels, about */

enum box_kind { BOX_ROOT, BOX_THREAD, BOX_FUNC, BOX_NOFRAME };

/* One frame to draw. */
struct box {
    uint64_t s, n;          /* first sample (of all threads' samples) and samples */
    uint32_t depth;         /* row: 0 is the root */
    uint32_t id;            /* function (BOX_FUNC) or thread index (BOX_THREAD) */
    enum box_kind kind;
};

struct svg {
    FILE *f;
    const struct table *t;
    uint64_t total;
    const char *unit;       /* what the counts are: "samples", or "bytes" (memory mode) */
    struct box *boxes;
    size_t n, cap;
    uint32_t depth;         /* deepest row */
};

static int add_box(struct svg *sv, struct box b)
{
    if (array_reserve((void **)&sv->boxes, &sv->cap, sv->n + 1, sizeof *sv->boxes) < 0)
        return ERR_NOMEM;
    sv->boxes[sv->n++] = b;
    if (b.depth > sv->depth)
        sv->depth = b.depth;
    return 0;
}

/* At least one pixel wide at full width. */
static int wide_enough(const struct svg *sv, uint64_t n)
{
    return sv->total && (double)n * SVG_WIDTH >= (double)sv->total;
}

/* ---- escaping ---- */

/* Write untrusted s as XML character data (svg.h), at most max code points
 * of it; returns 1 when it was cut short. */
static int put_xml(FILE *f, const char *s, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t k = 0; *u; k++) {
        if (k == max)
            return 1;
        uint32_t cp;
        size_t n = utf8_seq(u, &cp);
        if (n == 0 || utf8_is_control(cp) || cp == 0xFFFE || cp == 0xFFFF)
            fputc('?', f);
        else if (cp == '&')
            fputs("&amp;", f);
        else if (cp == '<')
            fputs("&lt;", f);
        else if (cp == '>')
            fputs("&gt;", f);
        else if (cp == '"')
            fputs("&quot;", f);
        else if (cp == '\'')
            fputs("&apos;", f);
        else
            fwrite(u, 1, n, f);
        u += n ? n : 1;
    }
    return 0;
}

/* Code points (or invalid bytes, each one) in s. */
static size_t text_len(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t k = 0;
    for (; *u; k++) {
        uint32_t cp;
        size_t n = utf8_seq(u, &cp);
        u += n ? n : 1;
    }
    return k;
}

/* A label that fits in w pixels: all of s, or its start and "..", or
 * nothing when not even three characters fit. */
static void put_label(FILE *f, const char *s, double w)
{
    double fit = (w - 6) / CHAR_W;
    size_t chars = fit > 0 ? (size_t)fit : 0;
    if (chars < 3)
        return;
    if (text_len(s) <= chars)
        put_xml(f, s, SIZE_MAX);
    else if (put_xml(f, s, chars - 2))
        fputs("..", f);
}

/* ---- colours ---- */

static double name_shade(const char *s)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *u = (const unsigned char *)s; *u; u++)
        h = (h ^ *u) * 16777619u;
    return (double)(h % 1000) / 1000.0;
}

static void box_colour(const struct svg *sv, const struct box *b, char *out, size_t cap)
{
    const char *name = b->kind == BOX_FUNC ? table_func_name(sv->t, b->id) : "";
    const char *file = b->kind == BOX_FUNC ? table_func_file(sv->t, b->id) : "";
    double v = name_shade(name);
    int r = 200, g = 200, bl = 205;                  /* root, threads, markers */
    if (b->kind == BOX_FUNC && !*file && strcmp(name, TABLE_UNREADABLE) == 0)
        r = 225, g = 70, bl = 70;
    else if (b->kind == BOX_FUNC && *file) {
        switch (code_family_of(file, NULL)) {
        case CODE_FAM_STDLIB: r = 90 + (int)(50 * v), g = 175 + (int)(50 * v), bl = 90; break;
        case CODE_FAM_SITE: r = 90 + (int)(40 * v), g = 160 + (int)(40 * v), bl = 225; break;
        case CODE_FAM_BUILTIN: r = 175 + (int)(40 * v), g = 130 + (int)(30 * v), bl = 215; break;
        default: r = 225 + (int)(30 * v), g = 110 + (int)(110 * v), bl = 50; break;
        }
    }
    snprintf(out, cap, "rgb(%d,%d,%d)", r, g, bl);
}

/* ---- the boxes: threads by id, each its tree with lines folded ---- */

/* A frame of the folded tree stands for the table's nodes (tree.h) of one
 * thread whose paths have the same functions: members[first .. first + n)
 * of the arena. Each node is the member of one frame, and no sample passes
 * two members of a frame, so their totals add up. */
struct group {
    uint32_t func;
    size_t first, n;
};

struct member {
    uint32_t node, func;
    const char *name;
};

struct fold {
    struct svg *sv;
    uint32_t *arena;        /* table nodes, grouped */
    size_t narena, acap;
    struct member *kids;    /* the children being grouped */
    size_t nkids, kcap;
    struct pending { struct group g; uint64_t s; uint32_t depth; } *todo;
    size_t ntodo, tcap;
};

static int by_name(const void *pa, const void *pb)
{
    const struct member *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    if (a->func != b->func)
        return (a->func > b->func) - (a->func < b->func);
    return (a->node > b->node) - (a->node < b->node);
}

/* The children of every member of g, sorted by function name into
 * fo->kids; their sum of totals into *sum. */
static int gather(struct fold *fo, const struct group *g, uint64_t *sum)
{
    const struct table *t = fo->sv->t;
    fo->nkids = 0;
    *sum = 0;
    for (size_t i = 0; i < g->n; i++) {
        for (uint32_t c = tree_first_child(t, fo->arena[g->first + i]); c != TABLE_NONE;
             c = tree_next_sibling(t, c)) {
            if (array_reserve((void **)&fo->kids, &fo->kcap, fo->nkids + 1, sizeof *fo->kids) < 0)
                return ERR_NOMEM;
            uint32_t func = tree_site(t, c).func;
            fo->kids[fo->nkids++] = (struct member){c, func, table_func_name(t, func)};
            *sum += tree_total(t, c);
        }
    }
    if (fo->nkids > 1)
        qsort(fo->kids, fo->nkids, sizeof *fo->kids, by_name);
    return 0;
}

/* One child frame from kids[i .. j) (one function) at sample s, to be
 * expanded in turn. */
static int add_group(struct fold *fo, size_t i, size_t j, uint64_t s, uint64_t n, uint32_t depth)
{
    if (array_reserve((void **)&fo->arena, &fo->acap, fo->narena + (j - i), sizeof *fo->arena) < 0 ||
        array_reserve((void **)&fo->todo, &fo->tcap, fo->ntodo + 1, sizeof *fo->todo) < 0)
        return ERR_NOMEM;
    struct group g = {fo->kids[i].func, fo->narena, j - i};
    for (size_t k = i; k < j; k++)
        fo->arena[fo->narena++] = fo->kids[k].node;
    fo->todo[fo->ntodo++] = (struct pending){g, s, depth};
    return add_box(fo->sv, (struct box){s, n, depth, g.func, BOX_FUNC});
}

/* Lay out the children of the frame p: one frame per function, from
 * p's first sample, in name order; under a thread also the samples with
 * no frame. Frames under a pixel are left out. */
static int expand(struct fold *fo, const struct pending *p, uint64_t thread_total)
{
    const struct table *t = fo->sv->t;
    uint64_t sum, at = p->s;
    int rc = gather(fo, &p->g, &sum);
    for (size_t i = 0, j; rc == 0 && i < fo->nkids; i = j) {
        uint64_t n = 0;
        for (j = i; j < fo->nkids && fo->kids[j].func == fo->kids[i].func; j++)
            n += tree_total(t, fo->kids[j].node);
        if (wide_enough(fo->sv, n))
            rc = add_group(fo, i, j, at, n, p->depth + 1);
        at += n;
    }
    if (rc == 0 && p->depth == 1 && thread_total > sum && wide_enough(fo->sv, thread_total - sum))
        rc = add_box(fo->sv, (struct box){at, thread_total - sum, 2, 0, BOX_NOFRAME});
    return rc;
}

/* The thread frame of `thread` at sample s and every frame above it. */
static int add_thread(struct fold *fo, uint32_t thread, uint64_t s, uint64_t total)
{
    uint32_t root = tree_root(fo->sv->t, thread);
    int rc = add_box(fo->sv, (struct box){s, total, 1, thread, BOX_THREAD});
    if (rc < 0 || root == TABLE_NONE)
        return rc;
    if (array_reserve((void **)&fo->arena, &fo->acap, fo->narena + 1, sizeof *fo->arena) < 0 ||
        array_reserve((void **)&fo->todo, &fo->tcap, 1, sizeof *fo->todo) < 0)
        return ERR_NOMEM;
    fo->arena[fo->narena] = root;
    fo->todo[0] = (struct pending){{TABLE_NONE, fo->narena++, 1}, s, 1};
    fo->ntodo = 1;
    while (rc == 0 && fo->ntodo > 0) {
        struct pending p = fo->todo[--fo->ntodo];
        rc = expand(fo, &p, total);
    }
    return rc;
}

/* The root, then each thread with samples (by thread id) and its tree. */
static int add_boxes(struct svg *sv)
{
    uint32_t *threads;
    size_t k;
    if (table_threads_by_tid(sv->t, &threads, &k) < 0)
        return ERR_NOMEM;
    struct fold fo = {.sv = sv};
    int rc = add_box(sv, (struct box){0, sv->total, 0, 0, BOX_ROOT});
    uint64_t at = 0;
    for (size_t i = 0; rc == 0 && i < k; i++) {
        uint64_t n = table_thread_samples(sv->t, threads[i]);
        if (wide_enough(sv, n))
            rc = add_thread(&fo, threads[i], at, n);
        at += n;
    }
    free(fo.arena);
    free(fo.kids);
    free(fo.todo);
    free(threads);
    return rc;
}

/* ---- writing ---- */

/* The frame's name as written (label and first tooltip line); *owned is
 * set when the caller must free it. */
static const char *box_name(const struct svg *sv, const struct box *b, char **owned)
{
    *owned = NULL;
    switch (b->kind) {
    case BOX_ROOT: return "all";
    case BOX_NOFRAME: return NO_FRAME;
    case BOX_FUNC: return table_func_name(sv->t, b->id);
    case BOX_THREAD: break;
    }
    const char *tname = table_thread_name(sv->t, b->id);
    size_t len = strlen(tname) + 48;
    *owned = malloc(len);
    if (!*owned)
        return "?";
    uint32_t pid = table_thread_pid(sv->t, b->id);
    if (pid && table_pid_count(sv->t) > 1)
        snprintf(*owned, len, "%s%s(pid %" PRIu32 ", tid %" PRIu64 ")", tname, *tname ? " " : "",
                 pid, table_thread_tid(sv->t, b->id));
    else
        snprintf(*owned, len, "%s%s(tid %" PRIu64 ")", tname, *tname ? " " : "",
                 table_thread_tid(sv->t, b->id));
    return *owned;
}

static void write_box(struct svg *sv, const struct box *b, int height)
{
    FILE *f = sv->f;
    double x = (double)b->s * SVG_WIDTH / (double)sv->total;
    double w = (double)b->n * SVG_WIDTH / (double)sv->total;
    int y = height - BOTTOM - (int)(b->depth + 1) * FRAME_H;
    char colour[48], *owned;
    const char *name = box_name(sv, b, &owned);
    box_colour(sv, b, colour, sizeof colour);
    fprintf(f, "<g class=\"f\" data-s=\"%" PRIu64 "\" data-n=\"%" PRIu64 "\" data-d=\"%" PRIu32
            "\"><title>", b->s, b->n, b->depth);
    put_xml(f, name, SIZE_MAX);
    fputc('\n', f);
    if (b->kind == BOX_FUNC) {
        put_xml(f, table_func_file(sv->t, b->id), SIZE_MAX);
        if (table_func_first_line(sv->t, b->id) > 0)
            fprintf(f, ":%" PRId32, table_func_first_line(sv->t, b->id));
    }
    else if (b->kind == BOX_THREAD)
        fputs("thread", f);
    fprintf(f, "\n%" PRIu64 " %s, %.2f%%</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
            "height=\"%d\" fill=\"%s\"/><text x=\"%.2f\" y=\"%d\">", b->n, sv->unit,
            100.0 * (double)b->n / (double)sv->total, x, y, w, FRAME_H - 1, colour, x + 3,
            y + FRAME_H - 4);
    put_label(f, name, w);
    fputs("</text></g>\n", f);
    free(owned);
}

/* The failed stacks of every thread. */
static uint64_t failed_stacks(const struct table *t)
{
    uint64_t n = 0;
    for (size_t th = 0; th < table_thread_count(t); th++)
        n += table_thread_failed(t, (uint32_t)th, WALK_OK);
    return n;
}

/* The header line: how the profile was taken (svg.h). cmd_max cuts the
 * command to that many characters. */
static void put_meta(FILE *f, const struct table *t, const struct export_meta *m, size_t cmd_max)
{
    fprintf(f, "%s, ", table_mode_name((enum table_mode)m->mode));
    if (m->interval_ns)         /* 0: unknown, as in a profile read from flamegraph.pl input */
        fprintf(f, "%" PRIu64 "us interval, ", m->interval_ns / 1000);
    else
        fputs("interval unknown, ", f);
    if (m->duration_ns)
        fprintf(f, "%" PRIu64 ".%03" PRIu64 "s, ", m->duration_ns / 1000000000,
                m->duration_ns % 1000000000 / 1000000);
    fprintf(f, "%" PRIu64 " %s in %" PRIu64 " rounds (%" PRIu64 " missed, %" PRIu64
            " lost), %" PRIu64 " failed stacks, Python ", table_samples(t),
            table_mode_counts_bytes(m->mode) ? "bytes" : "samples", m->taken, m->missed,
            m->lost, failed_stacks(t));
    put_xml(f, m->python_version ? m->python_version : "unknown", SIZE_MAX);
    fputs(", proftui ", f);
    put_xml(f, m->version ? m->version : "unknown", SIZE_MAX);
    if (m->pid)
        fprintf(f, ", pid %" PRId64 "%s", m->pid, m->command ? ": " : " (attached)");
    else if (m->command)
        fputs(", ", f);
    if (m->command && put_xml(f, m->command, cmd_max))
        fputs("..", f);
    if (m->only) {
        fputs(", only ", f);
        put_xml(f, m->only, SIZE_MAX);
    }
    if (m->warning) {
        fputs(", warning: ", f);
        put_xml(f, m->warning, SIZE_MAX);
    }
}

static const char STYLE[] =
    "<style>text{font-family:monospace;font-size:11px;fill:#000}"
    ".h{font-size:16px}.b{cursor:pointer;fill:#1a4fa0;text-decoration:underline}"
    ".f{cursor:pointer}.f text{pointer-events:none}.f:hover rect{stroke:#000;stroke-width:0.5}"
    ".p rect{opacity:0.55}</style>\n";

static void write_head(FILE *f, const struct table *t, const struct export_meta *m, int height)
{
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
            "<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "xmlns=\"http://www.w3.org/2000/svg\">\n%s"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"rgb(250,250,246)\"/>\n"
            "<text class=\"h\" x=\"%d\" y=\"18\" text-anchor=\"middle\">proftui flame graph</text>\n",
            SVG_WIDTH, height, SVG_WIDTH, height, STYLE, SVG_WIDTH / 2);
    if (m) {
        fprintf(f, "<text id=\"meta\" x=\"%d\" y=\"36\" text-anchor=\"middle\"><title>",
                SVG_WIDTH / 2);
        put_meta(f, t, m, SIZE_MAX);
        fputs("</title>", f);
        put_meta(f, t, m, 40);
        fputs("</text>\n", f);
    }
    fprintf(f, "<text id=\"unzoom\" class=\"b\" x=\"10\" y=\"18\" style=\"display:none\">"
            "Reset zoom</text>\n<text id=\"search\" class=\"b\" x=\"%d\" y=\"18\" "
            "text-anchor=\"end\">Search</text>\n<text id=\"matched\" x=\"%d\" y=\"%d\" "
            "text-anchor=\"end\"></text>\n<text id=\"details\" x=\"10\" y=\"%d\"></text>\n",
            SVG_WIDTH - 10, SVG_WIDTH - 10, height - 7, height - 7);
}

/* The viewer: zoom, reset, search, details (svg.h). It reads frame names
 * from the tooltips (escaped text), so no target data is ever script. */
static const char SCRIPT[] =
    "<script type=\"text/ecmascript\"><![CDATA[\n"
    "(function () {\n"
    "\"use strict\";\n"
    "var W = %d, CW = %.1f, fr = [].slice.call(document.querySelectorAll(\"g.f\"));\n"
    "var un = document.getElementById(\"unzoom\"), sb = document.getElementById(\"search\");\n"
    "var mt = document.getElementById(\"matched\"), det = document.getElementById(\"details\");\n"
    "var root = fr.filter(function (g) { return g.getAttribute(\"data-d\") === \"0\"; })[0];\n"
    "var term = null;\n"
    "if (!root) return;                     /* an empty profile: nothing to do */\n"
    "function at(g) { return {s: +g.getAttribute(\"data-s\"), n: +g.getAttribute(\"data-n\"),\n"
    "                         d: +g.getAttribute(\"data-d\")}; }\n"
    "function lines(g) { return g.querySelector(\"title\").textContent.split(\"\\n\"); }\n"
    "function place(g, x, w) {\n"
    "  var r = g.querySelector(\"rect\"), t = g.querySelector(\"text\");\n"
    "  r.setAttribute(\"x\", x.toFixed(2)); r.setAttribute(\"width\", w.toFixed(2));\n"
    "  t.setAttribute(\"x\", (x + 3).toFixed(2));\n"
    "  var c = Math.floor((w - 6) / CW), s = Array.from(lines(g)[0]);\n"
    "  t.textContent = c < 3 ? \"\" : s.length <= c ? s.join(\"\") : s.slice(0, c - 2).join(\"\") + \"..\";\n"
    "}\n"
    "function zoom(z) {\n"
    "  var a = at(z);\n"
    "  fr.forEach(function (g) {\n"
    "    var b = at(g), shown = true;\n"
    "    if (b.d <= a.d && b.s <= a.s && b.s + b.n >= a.s + a.n) place(g, 0, W);\n"
    "    else if (b.d > a.d && b.s >= a.s && b.s + b.n <= a.s + a.n)\n"
    "      place(g, (b.s - a.s) / a.n * W, b.n / a.n * W);\n"
    "    else shown = false;\n"
    "    g.style.display = shown ? \"\" : \"none\";\n"
    "    g.classList.toggle(\"p\", shown && b.d < a.d);\n"
    "  });\n"
    "  un.style.display = a.d > 0 ? \"\" : \"none\";\n"
    "}\n"
    "function search(q) {\n"
    "  var re, hits = [];\n"
    "  try { re = new RegExp(q); } catch (e) { re = {test: function (s) { return s.indexOf(q) >= 0; }}; }\n"
    "  term = q;\n"
    "  fr.forEach(function (g) {\n"
    "    var r = g.querySelector(\"rect\");\n"
    "    if (!r.hasAttribute(\"data-c\")) r.setAttribute(\"data-c\", r.getAttribute(\"fill\"));\n"
    "    var hit = q !== null && re.test(lines(g)[0]);\n"
    "    r.setAttribute(\"fill\", hit ? \"rgb(230,0,230)\" : r.getAttribute(\"data-c\"));\n"
    "    g.classList.toggle(\"m\", hit);\n"
    "    if (hit) hits.push(at(g));\n"
    "  });\n"
    "  hits.sort(function (x, y) { return x.s - y.s || x.d - y.d; });\n"
    "  var end = -1, covered = 0;\n"
    "  hits.forEach(function (h) { if (h.s >= end) { covered += h.n; end = h.s + h.n; } });\n"
    "  var total = at(root).n;\n"
    "  mt.textContent = q === null ? \"\" :\n"
    "    \"Matched: \" + (total ? 100 * covered / total : 0).toFixed(1) + \"%%\";\n"
    "  sb.textContent = q === null ? \"Search\" : \"Clear\";\n"
    "}\n"
    "document.documentElement.addEventListener(\"click\", function (e) {\n"
    "  var g = e.target.closest(\"g.f\");\n"
    "  if (g) zoom(g);\n"
    "});\n"
    "un.addEventListener(\"click\", function () { zoom(root); });\n"
    "sb.addEventListener(\"click\", function () {\n"
    "  if (term !== null) { search(null); return; }\n"
    "  var q = window.prompt(\"Search (regular expression)\", \"\");\n"
    "  if (q) search(q);\n"
    "});\n"
    "document.documentElement.addEventListener(\"mouseover\", function (e) {\n"
    "  var g = e.target.closest(\"g.f\");\n"
    "  det.textContent = g ? lines(g).filter(function (s) { return s; }).join(\" \\u00b7 \") : \"\";\n"
    "});\n"
    "})();\n"
    "]]></script>\n";

int svg_write(FILE *f, const struct table *t, const struct export_meta *meta)
{
    struct svg sv = {.f = f, .t = t, .total = table_samples(t),
                     .unit = meta && table_mode_counts_bytes(meta->mode) ? "bytes" : "samples"};
    int rc = add_boxes(&sv);
    if (rc == 0) {
        int height = TOP + (int)(sv.depth + 1) * FRAME_H + BOTTOM;
        write_head(f, t, meta, height);
        if (sv.total)
            for (size_t i = 0; i < sv.n; i++)
                write_box(&sv, &sv.boxes[i], height);
        rc = svgdata_write(f, t, meta);       /* the profile itself, for --open */
        fprintf(f, SCRIPT, SVG_WIDTH, CHAR_W);
        fputs("</svg>\n", f);
        if (rc == 0 && (fflush(f) != 0 || ferror(f)))
            rc = ERR_IO;
    }
    free(sv.boxes);
    return rc;
}
