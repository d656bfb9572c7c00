/* SPDX-License-Identifier: MIT */
/* Loading a saved profile: read the file (bounded), inflate gzip (bounded),
 * detect the format from the content, hand it to its loader. */
#include "import.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "array.h"
#include "error.h"
#include "profile.h"
#include "pstats.h"
#include "svgdata.h"

enum kind { KIND_TEXT, KIND_JSON, KIND_PSTATS, KIND_SVG, KIND_PROTO, KIND_GZIP };

int import_fail(struct import_ctx *c, const char *fmt, ...)
{
    if (c->err && c->cap) {
        int n = snprintf(c->err, c->cap, "%s: ", c->name);
        if (n >= 0 && (size_t)n < c->cap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + n, c->cap - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return ERR_INPUT;
}

int import_reasons(struct import_ctx *c, uint64_t tid, const uint64_t why[WALK_FAIL_COUNT])
{
    if (c->nreasons >= IMPORT_REASONS_MAX)
        return 0;
    if (array_reserve((void **)&c->reasons, &c->capreasons, c->nreasons + 1, sizeof *c->reasons) < 0)
        return ERR_NOMEM;
    struct import_reasons *r = &c->reasons[c->nreasons++];
    r->tid = tid;
    memcpy(r->why, why, sizeof r->why);
    return 0;
}

void import_ctx_release(struct import_ctx *c)
{
    free(c->reasons);
    c->reasons = NULL;
    c->nreasons = c->capreasons = 0;
}

static struct import_reasons *reasons_of(struct import_ctx *c, uint64_t tid)
{
    for (size_t i = 0; i < c->nreasons; i++)
        if (c->reasons[i].tid == tid)
            return &c->reasons[i];
    return tid == IMPORT_ANY_THREAD ? NULL : reasons_of(c, IMPORT_ANY_THREAD);
}

/* [unreadable] samples of a thread whose failures by reason the file gave:
 * as many table_add_failed() as those cover; returns the samples left. */
static int add_failed(struct import_ctx *c, uint32_t thread, uint64_t *weight,
                      enum table_metric metric)
{
    struct import_reasons *r = reasons_of(c, table_thread_tid(c->t, thread));
    for (int why = WALK_OK + 1; r && why < WALK_FAIL_COUNT && *weight; why++) {
        for (; r->why[why] && *weight && c->restored < IMPORT_RESTORE_MAX; r->why[why]--, (*weight)--) {
            if (c->total >= IMPORT_COUNT_MAX)
                return import_fail(c, "more than %llu samples in all", (unsigned long long)IMPORT_COUNT_MAX);
            int rc = table_add_failed_as(c->t, thread, (enum walk_fail)why, metric);
            if (rc < 0)
                return rc;
            c->restored++;
            c->total++;
        }
    }
    return 0;
}

int import_add(struct import_ctx *c, uint32_t thread, const struct frame_key *frames, int depth,
               uint64_t weight)
{
    return import_add_as(c, thread, frames, depth, weight, TABLE_M_ANY);
}

int import_add_as(struct import_ctx *c, uint32_t thread, const struct frame_key *frames, int depth,
                  uint64_t weight, enum table_metric metric)
{
    int samples = (table_mode_mask(TABLE_MODE_WALL) >> metric & 1u) != 0;
    if (depth == 1 && c->nreasons && samples && !*table_func_file(c->t, frames[0].func) &&
        strcmp(table_func_name(c->t, frames[0].func), TABLE_UNREADABLE) == 0) {
        int rc = add_failed(c, thread, &weight, metric);
        if (rc < 0 || weight == 0)
            return rc;
    }
    if (depth == 1 && !*table_func_file(c->t, frames[0].func) &&
        strcmp(table_func_name(c->t, frames[0].func), IMPORT_NO_FRAME) == 0)
        depth = 0;                    /* a sample without a Python frame, as the writers mark it */
    uint64_t *sum = samples ? &c->total : &c->bytes;
    if (weight > IMPORT_COUNT_MAX - *sum)
        return import_fail(c, "more than %llu %s in all", (unsigned long long)IMPORT_COUNT_MAX,
                           samples ? "samples" : "bytes");
    int rc = table_add_stack_as(c->t, thread, frames, depth, weight, metric);
    if (rc == 0)
        *sum += weight;
    return rc == ERR_USAGE ? import_fail(c, "internal: a frame or thread was not interned") : rc;
}

uint32_t import_func(struct import_ctx *c, const char *name, size_t nlen, const char *file, size_t flen)
{
    return import_func_at(c, name, nlen, file, flen, -1);
}

static uint32_t intern(struct import_ctx *c, const char *name, size_t nlen, const char *file, size_t flen,
                       int32_t first_line, int native)
{
    char nb[IMPORT_NAME_MAX + 1], fb[IMPORT_NAME_MAX + 1];
    nlen = nlen > IMPORT_NAME_MAX ? IMPORT_NAME_MAX : nlen;
    flen = flen > IMPORT_NAME_MAX ? IMPORT_NAME_MAX : flen;
    memcpy(nb, name, nlen);
    nb[nlen] = '\0';
    memcpy(fb, file, flen);
    fb[flen] = '\0';
    return native ? table_intern_native(c->t, nb, fb) : table_intern_func_at(c->t, nb, fb, first_line);
}

uint32_t import_func_at(struct import_ctx *c, const char *name, size_t nlen, const char *file, size_t flen,
                        int32_t first_line)
{
    return intern(c, name, nlen, file, flen, first_line, 0);
}

uint32_t import_native(struct import_ctx *c, const char *name, size_t nlen, const char *module, size_t mlen)
{
    return intern(c, name, nlen, module, mlen, -1, 1);
}

/* Valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF)?
 * Returns the offset of the first bad byte, or n. */
size_t import_utf8_check(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        size_t len = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || i + len > n || (len == 2 && b < 0xc2))
            return i;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
        if (len == 3 && ((b == 0xe0 && s[i + 1] < 0xa0) || (b == 0xed && s[i + 1] >= 0xa0)))
            return i;
        if (len == 4 && ((b == 0xf0 && s[i + 1] < 0x90) || b > 0xf4 || (b == 0xf4 && s[i + 1] >= 0x90)))
            return i;
        i += len;
    }
    return n;
}

/* Text: valid UTF-8 (checked by the loader) without C0 controls but tab,
 * CR and LF, judged on the first 4 KiB. */
static int looks_text(const uint8_t *d, size_t n)
{
    size_t lim = n < 4096 ? n : 4096;
    for (size_t i = 0; i < lim; i++)
        if (d[i] < 0x20 && d[i] != '\t' && d[i] != '\n' && d[i] != '\r')
            return 0;
    return 1;
}

static enum kind detect(const uint8_t *d, size_t n)
{
    if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b)
        return KIND_GZIP;
    /* marshal: TYPE_DICT '{' (| FLAG_REF 0x80), its first key a tuple. */
    if (n >= 2 && (d[0] == 0xfb || d[0] == '{') && (d[1] == '(' || d[1] == ')' || d[1] == 0xa8 ||
                                                    d[1] == 0xa9 || d[1] == '0'))
        return KIND_PSTATS;
    size_t i = 0;
    if (n >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf)
        i = 3;                                   /* a UTF-8 byte order mark */
    while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
        i++;
    if (i < n && (d[i] == '{' || d[i] == '[') && looks_text(d, n))
        return KIND_JSON;
    if (i + 4 <= n && (memcmp(d + i, "<svg", 4) == 0 || memcmp(d + i, "<?xm", 4) == 0 ||
                       memcmp(d + i, "<!DO", 4) == 0))
        return KIND_SVG;
    if (n == 0 || looks_text(d, n))
        return KIND_TEXT;
    return KIND_PROTO;
}

/* Inflate a gzip file into a new buffer of at most the bound. */
static int gunzip(struct import_ctx *c, const uint8_t *d, size_t n, uint8_t **out, size_t *outn)
{
    uint64_t cap = (uint64_t)n * IMPORT_INFLATE_RATIO;
    cap = cap < IMPORT_INFLATE_MIN ? IMPORT_INFLATE_MIN : cap;
    cap = cap > IMPORT_INFLATE_MAX ? IMPORT_INFLATE_MAX : cap;
    z_stream z = {0};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return ERR_NOMEM;
    size_t size = 0, alloc = n * 4 + 4096 < cap ? n * 4 + 4096 : (size_t)cap;
    uint8_t *buf = malloc(alloc + 1);
    int rc = buf ? 0 : ERR_NOMEM, zr = Z_OK;
    z.next_in = (Bytef *)d;
    z.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
    while (rc == 0 && zr != Z_STREAM_END) {
        if (size == alloc) {
            if (alloc >= cap) {
                rc = import_fail(c, "gzip data inflates to more than %llu bytes (%d x its size, "
                                 "at most 1 GiB): refused", (unsigned long long)cap, IMPORT_INFLATE_RATIO);
                break;
            }
            size_t grow = alloc * 2 < cap ? alloc * 2 : (size_t)cap;
            uint8_t *nb = realloc(buf, grow + 1);
            if (!nb) {
                rc = ERR_NOMEM;
                break;
            }
            buf = nb, alloc = grow;
        }
        z.next_out = buf + size;
        z.avail_out = (uInt)(alloc - size > UINT32_MAX ? UINT32_MAX : alloc - size);
        zr = inflate(&z, Z_NO_FLUSH);
        size = (size_t)(z.next_out - buf);
        if (zr == Z_BUF_ERROR && z.avail_out > 0)
            rc = import_fail(c, "truncated gzip data (ends at byte %zu of the file)", n);
        else if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            rc = import_fail(c, "corrupt gzip data near byte %zu: %s", (size_t)(z.next_in - d),
                             z.msg ? z.msg : "inflate failed");
    }
    inflateEnd(&z);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *outn = size;
    return 0;
}

static void set_format(struct import_ctx *c, const char *fmt)
{
    if (!c->meta->format[0])
        snprintf(c->meta->format, sizeof c->meta->format, "%s", fmt);
}

static int dispatch(struct import_ctx *c, const uint8_t *d, size_t n, int depth)
{
    switch (detect(d, n)) {
    case KIND_GZIP: {
        if (depth > 0)
            return import_fail(c, "gzip inside gzip: not a profile proftui reads");
        uint8_t *in = NULL;
        size_t inn = 0;
        int rc = gunzip(c, d, n, &in, &inn);
        if (rc == 0)
            rc = dispatch(c, in, inn, depth + 1);
        free(in);
        return rc;
    }
    case KIND_PSTATS: {
        /* proftui's own carries the profile after the dictionary (pstats.h) */
        const uint8_t *prof = NULL;
        size_t len = 0;
        int rc = depth > 0 ? 1 : pstats_find_profile(d, n, &prof, &len);
        if (rc == 1) {
            import_fail(c, "a pstats file holds caller->callee pairs, not stacks: proftui cannot "
                        "show it (only the pstats files proftui writes carry their stacks)");
            return ERR_USAGE;
        }
        if (rc < 0 || len < 2 || prof[0] != 0x1f || prof[1] != 0x8b)
            return import_fail(c, "the profile proftui keeps after the pstats dictionary is cut "
                               "short, or followed by other bytes");
        set_format(c, "pstats");
        return dispatch(c, prof, len, depth);   /* gzip: what it holds is read at depth 1 */
    }
    case KIND_SVG: {
        char *text = NULL;
        size_t len = 0;
        int rc = svgdata_find(d, n, &text, &len);
        if (rc == ERR_NOMEM) {
            import_fail(c, "%s", err_str(rc));
            return rc;
        }
        if (rc < 0) {
            import_fail(c, "an SVG without proftui's embedded profile (another tool's flame graph) "
                        "is a drawing, not stacks: open the profile it was made from");
            return ERR_USAGE;
        }
        set_format(c, "svg");
        rc = import_folded(c, text, len);
        free(text);
        return rc;
    }
    case KIND_JSON:
        set_format(c, "speedscope");
        return import_speedscope(c, (const char *)d, n);
    case KIND_PROTO:
        set_format(c, "pprof");
        return import_pprof(c, d, n);
    case KIND_TEXT:
    default:
        return import_folded(c, (const char *)d, n);
    }
}

static int load(const uint8_t *data, size_t n, const char *name, struct profile *p, char *err,
                size_t cap, int want_states, int *states);

int import_buffer(const uint8_t *data, size_t n, const char *name, struct profile *p, char *err, size_t cap)
{
    int states;
    return load(data, n, name, p, err, cap, 0, &states);
}

int import_buffer_states(const uint8_t *data, size_t n, const char *name, struct profile *p,
                         char *err, size_t cap, int *states)
{
    return load(data, n, name, p, err, cap, 1, states);
}

/* Read data into p, every state of a proftui pprof when want_states. */
static int load(const uint8_t *data, size_t n, const char *name, struct profile *p, char *err,
                size_t cap, int want_states, int *states)
{
    *states = 0;
    struct profile_meta *m = calloc(1, sizeof *m);
    struct frame_key *frames = malloc(IMPORT_DEPTH_MAX * sizeof *frames);
    if (!m || !frames) {
        free(m);
        free(frames);
        snprintf(err, cap, "%s: %s", name, err_str(ERR_NOMEM));
        return ERR_NOMEM;
    }
    struct import_ctx c = {.meta = m, .name = name, .err = err, .cap = cap, .frames = frames,
                           .states = want_states};
    if (cap)
        err[0] = '\0';
    profile_get_meta(p, m);
    profile_lock(p);
    c.t = profile_table(p);
    int rc = dispatch(&c, data, n, 0);
    profile_unlock(p);
    if (rc == 0) {
        m->saved = 1;
        snprintf(m->source, sizeof m->source, "%s", name);
        profile_set_meta(p, m);
        *states = c.got_states;
    } else if (rc == ERR_NOMEM && cap) {
        snprintf(err, cap, "%s: %s", name, err_str(ERR_NOMEM));
    }
    import_ctx_release(&c);
    free(frames);
    free(m);
    return rc;
}

/* The whole file, at most IMPORT_FILE_MAX bytes. */
static int read_all(const char *path, uint8_t **out, size_t *outn, char *err, size_t cap)
{
    int std = strcmp(path, "-") == 0;          /* '-': standard input (a pipe) */
    FILE *f = std ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return ERR_IO;
    }
    size_t size = 0, alloc = 1 << 16;
    uint8_t *buf = malloc(alloc);
    int rc = buf ? 0 : ERR_NOMEM;
    while (rc == 0) {
        if (size == alloc) {
            if (alloc >= IMPORT_FILE_MAX) {
                snprintf(err, cap, "%s: larger than 1 GiB: refused", path);
                rc = ERR_INPUT;
                break;
            }
            uint8_t *nb = realloc(buf, alloc * 2);
            if (!nb) {
                rc = ERR_NOMEM;
                break;
            }
            buf = nb, alloc *= 2;
        }
        size_t got = fread(buf + size, 1, alloc - size, f);
        size += got;
        if (got == 0) {
            if (ferror(f)) {
                snprintf(err, cap, "%s: %s", path, strerror(errno ? errno : EIO));
                rc = ERR_IO;
            }
            break;
        }
    }
    if (!std)
        fclose(f);
    if (rc == ERR_NOMEM)
        snprintf(err, cap, "%s: %s", path, err_str(ERR_NOMEM));
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *outn = size;
    return 0;
}

static int import_file_as(const char *path, struct profile *p, char *err, size_t cap,
                          int want_states, int *states)
{
    uint8_t *d = NULL;
    size_t n = 0;
    *states = 0;
    int rc = read_all(path, &d, &n, err, cap);
    if (rc == 0)
        rc = load(d, n, path, p, err, cap, want_states, states);
    free(d);
    return rc;
}

int import_file(const char *path, struct profile *p, char *err, size_t cap)
{
    int states;
    return import_file_as(path, p, err, cap, 0, &states);
}

int import_file_states(const char *path, struct profile *p, char *err, size_t cap, int *states)
{
    return import_file_as(path, p, err, cap, 1, states);
}

uint32_t import_thread_pid(const struct import_ctx *c, uint64_t pid)
{
    if (pid > UINT32_MAX || (int64_t)pid == c->meta->pid)
        return 0;
    return (uint32_t)pid;
}
