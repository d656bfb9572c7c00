/* SPDX-License-Identifier: MIT */
/* The source view's model: a function's samples per line from the
 * replica, its source file read with bounds, its extent in the file. */
#include "ui_source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "error.h"
#include "table.h"
#include "tree.h"

#define EXTENT_SCAN_UP 5000      /* lines looked at above the first sampled one for the def */
#define DECORATORS_MAX 1000      /* lines of decorators (and comments among them) before a def */
#define ANCESTORS_MAX (1u << 16) /* frames climbed from a node (stacks are far shallower) */

/* ---- samples per line ---- */

void ui_line_stats_free(struct ui_line_stats *s)
{
    free(s->items);
    free(s->near);
    free(s->dense);
    *s = (struct ui_line_stats){.items = NULL};
}

const struct ui_line_stat *ui_line_stats_find(const struct ui_line_stats *s, int32_t line)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->items[mid].line < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->items[lo].line == line ? &s->items[lo] : NULL;
}

/* The stats of a line, added when new (NULL past the caps, or *nomem).
 * Lines 0 .. UI_SOURCE_DENSE_LINES - 1 are found through s->dense, the
 * others (the unknown line -1...) by a search among at most
 * UI_SOURCE_SPARSE_MAX of them. */
static struct ui_line_stat *stat_of(struct ui_line_stats *s, int32_t line, int *nomem)
{
    int dense = line >= 0 && line < UI_SOURCE_DENSE_LINES;
    if (dense && s->dense[line] < s->n && s->items[s->dense[line]].line == line)
        return &s->items[s->dense[line]];
    for (size_t i = 0; !dense && i < s->nsparse; i++)
        if (s->items[s->sparse[i]].line == line)
            return &s->items[s->sparse[i]];
    if (s->n >= UI_SOURCE_LINES_MAX || (!dense && s->nsparse >= UI_SOURCE_SPARSE_MAX)) {
        s->dropped++;
        return NULL;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct ui_line_stat *p = realloc(s->items, cap * sizeof *p);
        if (!p) {
            *nomem = 1;
            return NULL;
        }
        s->items = p;
        s->cap = cap;
    }
    if (dense)
        s->dense[line] = (uint32_t)s->n;
    else
        s->sparse[s->nsparse++] = (uint32_t)s->n;
    s->items[s->n] = (struct ui_line_stat){.line = line};
    return &s->items[s->n++];
}

static int by_line(const void *pa, const void *pb)
{
    const struct ui_line_stat *a = pa, *b = pb;
    return (a->line > b->line) - (a->line < b->line);
}

#define OUT (TABLE_NONE - 1)      /* near[]: a node of another thread */

static int scratch(struct ui_line_stats *s, size_t n)
{
    if (!s->dense && !(s->dense = calloc(UI_SOURCE_DENSE_LINES, sizeof *s->dense)))
        return ERR_NOMEM;
    return array_reserve((void **)&s->near, &s->scratch_cap, n, sizeof *s->near) < 0 ? ERR_NOMEM : 0;
}

/* near[i]: the nearest node at or above node i that is a frame of func
 * (TABLE_NONE: none; OUT: out of the thread's scope), top-down in one
 * pass over the nodes (a table adds a node after its parent). The lines
 * of those frames are read from the table when counted (few nodes are
 * frames of func: an array of every node's line cost 4 bytes a node). */
static void nearest_frames(struct ui_line_stats *s, const struct table *t, uint32_t root, uint32_t func, size_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        struct frame_key k = tree_site(t, i);
        uint32_t p = tree_parent(t, i);
        uint32_t above = p < i ? s->near[p] : OUT;
        if (k.func == TABLE_NONE)        /* a thread's root */
            s->near[i] = root == TABLE_NONE || root == i ? TABLE_NONE : OUT;
        else
            s->near[i] = above != OUT && k.func == func ? i : above;
    }
}

/* Count node i (a frame of func): own always; total only from the
 * outermost frame of the function (of its line), so that a sample counts
 * once however deep it recurses. */
static int count_frame(struct ui_line_stats *s, const struct table *t, uint32_t i)
{
    uint32_t p = tree_parent(t, i);
    uint32_t x = p < i ? s->near[p] : TABLE_NONE;
    int32_t line = tree_site(t, i).line;
    int outer_func = x != TABLE_NONE, outer_line = 0;
    for (size_t steps = 0; x < OUT && steps < ANCESTORS_MAX && !outer_line; steps++) {
        outer_line = tree_site(t, x).line == line;
        p = tree_parent(t, x);
        x = p < x ? s->near[p] : TABLE_NONE;
    }
    uint64_t self = tree_self(t, i), total = tree_total(t, i);
    s->own += self;
    s->total += outer_func ? 0 : total;
    int nomem = 0;
    struct ui_line_stat *ls = stat_of(s, line, &nomem);
    if (ls) {
        uint64_t where[TABLE_WHERES];
        tree_where(t, i, where);
        ls->own += self;
        ls->total += outer_line ? 0 : total;
        for (int w = 0; w < TABLE_WHERES; w++)
            ls->where[w] += where[w];
    }
    return nomem ? ERR_NOMEM : 0;
}

int ui_line_stats_count(struct ui_line_stats *s, const struct table *t, uint32_t thread, uint32_t func)
{
    s->n = s->nsparse = s->dropped = 0;
    s->own = s->total = 0;
    s->samples = thread == TABLE_NONE ? table_samples(t) : table_thread_samples(t, thread);
    uint32_t root = thread == TABLE_NONE ? TABLE_NONE : tree_root(t, thread);
    size_t n = tree_node_count(t);
    if (func == TABLE_NONE || (thread != TABLE_NONE && root == TABLE_NONE) || n == 0)
        return 0;
    int rc = n >= OUT ? ERR_NOMEM : scratch(s, n);
    if (rc == 0)
        nearest_frames(s, t, root, func, n);
    for (uint32_t i = 0; i < n && rc == 0; i++)
        if (s->near[i] == i)
            rc = count_frame(s, t, i);
    if (rc < 0) {
        ui_line_stats_free(s);
        return rc;
    }
    qsort(s->items, s->n, sizeof *s->items, by_line);
    return 0;
}

int32_t ui_line_stats_hottest(const struct ui_line_stats *s)
{
    const struct ui_line_stat *best = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const struct ui_line_stat *l = &s->items[i];
        if (l->line < 0 || (!l->total && !l->own))
            continue;
        if (!best || l->total > best->total || (l->total == best->total && l->own > best->own))
            best = l;
    }
    return best ? best->line : -1;
}

/* ---- the file ---- */

void ui_srcfile_free(struct ui_srcfile *s)
{
    free(s->text);
    free(s->starts);
    s->text = NULL;
    s->starts = NULL;
    s->len = s->nlines = 0;
    s->status = UI_SRC_NONE;
    s->err = 0;
}

/* Read fd (a regular file of `size` bytes) whole, up to max bytes. */
static enum ui_src_status read_all(struct ui_srcfile *s, int fd, size_t size, size_t max)
{
    if (size > max)
        return UI_SRC_TOO_BIG;
    s->text = malloc(size + 1);
    if (!s->text)
        return UI_SRC_NOMEM;
    while (s->len < size) {
        ssize_t n = read(fd, s->text + s->len, size - s->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s->err = errno;
            return UI_SRC_ERRNO;
        }
        if (n == 0)
            break;              /* shorter than it was: what there is */
        s->len += (size_t)n;
    }
    s->text[s->len] = '\0';
    return memchr(s->text, '\0', s->len) ? UI_SRC_BINARY : UI_SRC_OK;
}

static enum ui_src_status split_lines(struct ui_srcfile *s)
{
    size_t n = 0;
    for (const char *p = s->text; (p = memchr(p, '\n', s->len - (size_t)(p - s->text))); p++)
        n++;
    if (s->len && s->text[s->len - 1] != '\n')
        n++;                    /* a last line without its newline */
    s->starts = malloc((n ? n : 1) * sizeof *s->starts);
    if (!s->starts)
        return UI_SRC_NOMEM;
    size_t i = 0, off = 0;
    while (i < n && off < s->len) {
        s->starts[i++] = (uint32_t)off;
        const char *nl = memchr(s->text + off, '\n', s->len - off);
        off = nl ? (size_t)(nl - s->text) + 1 : s->len;
    }
    s->nlines = i;
    return UI_SRC_OK;
}

static enum ui_src_status open_and_read(struct ui_srcfile *s, size_t max)
{
    int fd = open(s->path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        s->err = errno;
        return UI_SRC_ERRNO;
    }
    struct stat st;
    enum ui_src_status rc;
    if (fstat(fd, &st) < 0) {
        s->err = errno;
        rc = UI_SRC_ERRNO;
    } else if (!S_ISREG(st.st_mode)) {
        rc = UI_SRC_NOT_REGULAR;
    } else {
        rc = read_all(s, fd, st.st_size < 0 ? 0 : (size_t)st.st_size, max);
    }
    close(fd);
    return rc == UI_SRC_OK ? split_lines(s) : rc;
}

enum ui_src_status ui_srcfile_load(struct ui_srcfile *s, const char *file, const char *cwd, size_t max_bytes)
{
    ui_srcfile_free(s);
    s->path[0] = '\0';
    if (!file || !*file || file[0] == '<') {
        snprintf(s->path, sizeof s->path, "%s", file ? file : "");
        s->status = UI_SRC_PSEUDO;
        return s->status;
    }
    int n = file[0] == '/' || !cwd || !*cwd ? snprintf(s->path, sizeof s->path, "%s", file)
                                            : snprintf(s->path, sizeof s->path, "%s/%s", cwd, file);
    if (n < 0 || (size_t)n >= sizeof s->path) {
        s->err = ENAMETOOLONG;
        s->status = UI_SRC_ERRNO;
        return s->status;
    }
    s->status = open_and_read(s, max_bytes);
    if (s->status != UI_SRC_OK) {
        free(s->text);
        free(s->starts);
        s->text = NULL;
        s->starts = NULL;
        s->len = s->nlines = 0;
    }
    return s->status;
}

const char *ui_srcfile_line(const struct ui_srcfile *s, size_t i, size_t *len)
{
    if (s->status != UI_SRC_OK || i >= s->nlines) {
        *len = 0;
        return NULL;
    }
    size_t start = s->starts[i];
    size_t end = i + 1 < s->nlines ? s->starts[i + 1] : s->len;
    if (end > start && s->text[end - 1] == '\n')
        end--;
    *len = end - start;
    return s->text + start;
}

const char *ui_srcfile_why(const struct ui_srcfile *s, char *buf, size_t cap)
{
    switch (s->status) {
    case UI_SRC_OK:
        snprintf(buf, cap, "%zu lines", s->nlines);
        break;
    case UI_SRC_PSEUDO:
        snprintf(buf, cap, "no source file: the code comes from %s", s->path[0] ? s->path : "nowhere");
        break;
    case UI_SRC_ERRNO:
        snprintf(buf, cap, "cannot read the file: %s", strerror(s->err));
        break;
    case UI_SRC_NOT_REGULAR:
        snprintf(buf, cap, "not a regular file");
        break;
    case UI_SRC_TOO_BIG:
        snprintf(buf, cap, "the file is larger than %u MiB", UI_SOURCE_MAX_BYTES >> 20);
        break;
    case UI_SRC_BINARY:
        snprintf(buf, cap, "not a text file (it has NUL bytes)");
        break;
    case UI_SRC_NOMEM:
        snprintf(buf, cap, "out of memory");
        break;
    default:
        snprintf(buf, cap, "no file");
        break;
    }
    return buf;
}

size_t ui_srcfile_expand(char *out, size_t cap, const char *line, size_t len)
{
    size_t o = 0, col = 0;
    if (!cap)
        return 0;
    if (len && line[len - 1] == '\r')
        len--;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c == '\t') {
            for (size_t n = UI_SOURCE_TAB - col % UI_SOURCE_TAB; n > 0 && o + 1 < cap; n--, col++)
                out[o++] = ' ';
            continue;
        }
        if ((c & 0xc0) != 0x80)
            col++;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return o;
}

/* ---- the function's extent ---- */

/* Leading blank columns of a line (a tab to the next stop); *skip bytes. */
static size_t indent_of(const char *l, size_t len, size_t *skip)
{
    size_t col = 0, i = 0;
    for (; i < len && (l[i] == ' ' || l[i] == '\t'); i++)
        col = l[i] == '\t' ? col + UI_SOURCE_TAB - col % UI_SOURCE_TAB : col + 1;
    *skip = i;
    return col;
}

static int starts_word(const char *l, size_t len, size_t *i, const char *w)
{
    size_t n = strlen(w);
    if (len - *i < n + 1 || strncmp(l + *i, w, n) != 0 || (l[*i + n] != ' ' && l[*i + n] != '\t'))
        return 0;
    for (*i += n; *i < len && (l[*i] == ' ' || l[*i] == '\t'); (*i)++)
        ;
    return 1;
}

/* Is the line "def name(", "async def name(" or "class name"? */
static int is_def(const char *l, size_t len, const char *name, size_t nlen)
{
    size_t i;
    indent_of(l, len, &i);
    starts_word(l, len, &i, "async");
    if (!starts_word(l, len, &i, "def") && !starts_word(l, len, &i, "class"))
        return 0;
    if (len - i < nlen + 1 || strncmp(l + i, name, nlen) != 0)
        return 0;
    char c = l[i + nlen];
    return c == '(' || c == ':' || c == '[' || c == ' ' || c == '\t';
}

static int blank_or_comment(const char *l, size_t len)
{
    size_t i;
    indent_of(l, len, &i);
    return i == len || l[i] == '#' || l[i] == '\r';
}

/* Where a physical line leaves Python's tokenizer: inside brackets, a
 * string or after a backslash, the next line continues the logical line
 * (and its indentation means nothing). Approximate on purpose: prefixes
 * and nested f-string quotes are not told apart. */
struct pyscan {
    int depth;          /* open brackets */
    char quote;         /* the open string's quote, 0 outside one */
    int triple;         /* that string is triple-quoted */
    int cont;           /* the line ended in a backslash */
};

static void scan_string(struct pyscan *ps, const char *l, size_t len, size_t *i)
{
    char c = l[*i];
    if (c == '\\') {
        ps->cont = ++*i >= len;           /* an escape, or the string goes on */
    } else if (c == ps->quote && !ps->triple) {
        ps->quote = 0;
    } else if (c == ps->quote && len - *i >= 3 && l[*i + 1] == c && l[*i + 2] == c) {
        ps->quote = 0;
        *i += 2;
    }
}

static void scan_line(struct pyscan *ps, const char *l, size_t len)
{
    if (len && l[len - 1] == '\r')
        len--;
    ps->cont = 0;
    for (size_t i = 0; i < len; i++) {
        char c = l[i];
        if (ps->quote) {
            scan_string(ps, l, len, &i);
        } else if (c == '#') {
            break;
        } else if (c == '\\') {
            ps->cont = i + 1 == len;
        } else if (c == '\'' || c == '"') {
            ps->quote = c;
            ps->triple = len - i >= 3 && l[i + 1] == c && l[i + 2] == c;
            i += ps->triple ? 2 : 0;
        } else if (c == '(' || c == '[' || c == '{') {
            ps->depth++;
        } else if ((c == ')' || c == ']' || c == '}') && ps->depth > 0) {
            ps->depth--;
        }
    }
    if (ps->quote && !ps->triple && !ps->cont)
        ps->quote = 0;                     /* a string left open ends with its line */
}

static int scan_open(const struct pyscan *ps)
{
    return ps->depth > 0 || ps->quote || ps->cont;
}

/* The last line (1-based) of the logical line that starts at line k. */
static size_t logical_end(const struct ui_srcfile *s, size_t k)
{
    struct pyscan ps = {0};
    size_t len;
    for (; k <= s->nlines; k++) {
        const char *l = ui_srcfile_line(s, k - 1, &len);
        scan_line(&ps, l, len);
        if (!scan_open(&ps))
            return k;
    }
    return s->nlines;
}

/* The last line of the block whose header (indented di) ends at line
 * head: its last line that is part of a logical line indented deeper, or
 * head for a block on one line. Blank lines and comments end nothing. */
static size_t block_end(const struct ui_srcfile *s, size_t head, size_t di)
{
    struct pyscan ps = {0};
    size_t end = head, len, skip;
    for (size_t k = head + 1; k <= s->nlines; k++) {
        const char *l = ui_srcfile_line(s, k - 1, &len);
        int starts = !scan_open(&ps);
        if (starts && blank_or_comment(l, len))
            continue;
        if (starts && indent_of(l, len, &skip) <= di)
            break;
        scan_line(&ps, l, len);
        end = k;
    }
    return end;
}

/* The def or class line of the definition whose first line (its first
 * decorator, or itself) is k, indented di; 0 when k does not start one. */
static size_t past_decorators(const struct ui_srcfile *s, size_t k, size_t di)
{
    size_t len, skip;
    for (int n = 0; k <= s->nlines && n < DECORATORS_MAX; n++) {
        const char *l = ui_srcfile_line(s, k - 1, &len);
        if (blank_or_comment(l, len)) {
            k++;
            continue;
        }
        if (indent_of(l, len, &skip) != di)
            return 0;
        if (l[skip] != '@')
            return k;
        k = logical_end(s, k) + 1;
    }
    return 0;
}

/* The extent of the definition of `base` whose first line is known:
 * 1 and [*first, *last], or 0 when that line does not start it (the file
 * changed since the code was compiled). */
static int anchored(const struct ui_srcfile *s, const char *base, int32_t first_line, int32_t *first,
                    int32_t *last)
{
    if (first_line < 1 || (size_t)first_line > s->nlines)
        return 0;
    size_t len, skip;
    const char *l = ui_srcfile_line(s, (size_t)first_line - 1, &len);
    size_t di = indent_of(l, len, &skip);
    size_t def = past_decorators(s, (size_t)first_line, di);
    if (!def)
        return 0;
    l = ui_srcfile_line(s, def - 1, &len);
    if (!is_def(l, len, base, strlen(base)))
        return 0;
    *first = first_line;
    *last = (int32_t)block_end(s, logical_end(s, def), di);
    return 1;
}

/* Without a first line: the nearest def of `base` above lo, less
 * indented than lo (or lo itself), to the end of its block. */
static int guessed(const struct ui_srcfile *s, const char *base, int32_t lo, int32_t hi, int32_t *first,
                   int32_t *last)
{
    if (lo < 1 || (size_t)lo > s->nlines || hi < lo)
        return 0;
    size_t len, skip, blen = strlen(base);
    const char *l = ui_srcfile_line(s, (size_t)lo - 1, &len);
    size_t lo_indent = indent_of(l, len, &skip);
    int32_t def = 0;
    for (int32_t k = lo; k >= 1 && k > lo - EXTENT_SCAN_UP && !def; k--) {
        l = ui_srcfile_line(s, (size_t)k - 1, &len);
        if ((k == lo || indent_of(l, len, &skip) < lo_indent) && is_def(l, len, base, blen))
            def = k;
    }
    if (!def)
        return 0;
    l = ui_srcfile_line(s, (size_t)def - 1, &len);
    *first = def;
    *last = (int32_t)block_end(s, logical_end(s, (size_t)def), indent_of(l, len, &skip));
    return 1;
}

void ui_srcfile_extent(const struct ui_srcfile *s, const char *name, int32_t first_line, int32_t lo,
                       int32_t hi, int32_t *first, int32_t *last)
{
    *first = lo;
    *last = hi;
    if (s->status != UI_SRC_OK || !s->nlines || !name)
        return;
    if (strcmp(name, "<module>") == 0) {
        *first = 1;
        *last = (int32_t)s->nlines;
        return;
    }
    const char *base = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
    int32_t f, l;
    if (!base[0])
        return;
    if (base[0] == '<') {                /* a lambda, a comprehension: no def */
        if (first_line < 1 || (size_t)first_line > s->nlines)
            return;
        f = l = first_line;
    } else if (!anchored(s, base, first_line, &f, &l) && !guessed(s, base, lo, hi, &f, &l)) {
        return;
    }
    /* The sampled lines stay in sight (a file edited since: they may
     * fall outside what it says now). */
    *first = lo >= 1 && lo < f ? lo : f;
    *last = hi > l ? hi : l;
}
