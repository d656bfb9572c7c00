/* SPDX-License-Identifier: MIT */
/* The bounded JSON reader (json.h): one pass with an explicit stack. */
#include "json.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "import.h"

struct parser {
    struct json *j;
    const char *s;
    size_t len, pos;
    const char *why;
    uint32_t stack[JSON_DEPTH_MAX];     /* open containers */
    int expect_key[JSON_DEPTH_MAX];     /* an object waiting for a key (not a value) */
    int depth;
};

static int bad(struct parser *p, const char *why)
{
    p->why = why;
    return ERR_INPUT;
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                               p->s[p->pos] == '\r'))
        p->pos++;
}

static int add_node(struct parser *p, enum json_type type, size_t start, size_t len, uint32_t *idx)
{
    struct json *j = p->j;
    if (array_reserve((void **)&j->n, &j->cap, j->count + 1, sizeof *j->n) < 0)
        return ERR_NOMEM;
    *idx = (uint32_t)j->count;
    j->n[*idx] = (struct json_node){.type = (uint8_t)type, .start = (uint32_t)start,
                                    .len = (uint32_t)len, .next = *idx + 1};
    j->count++;
    if (p->depth > 0)
        j->n[p->stack[p->depth - 1]].count++;
    return 0;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static int scan_string(struct parser *p, uint32_t *idx)
{
    size_t start = ++p->pos;
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"')
            break;
        if (c < 0x20)
            return bad(p, "a control character in a string");
        if (c == '\\') {
            if (p->pos + 1 >= p->len)
                break;
            char e = p->s[p->pos + 1];
            if (e == 'u') {
                if (p->pos + 6 > p->len || hex4(p->s + p->pos + 2) < 0)
                    return bad(p, "a bad \\u escape");
                p->pos += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return bad(p, "a bad escape");
            p->pos += 2;
            continue;
        }
        p->pos++;
    }
    if (p->pos >= p->len)
        return bad(p, "an unterminated string");
    int rc = add_node(p, JSON_STRING, start, p->pos - start, idx);
    p->pos++;
    return rc;
}

static int scan_number(struct parser *p, uint32_t *idx)
{
    size_t start = p->pos, i = p->pos;
    const char *s = p->s;
    if (i < p->len && s[i] == '-')
        i++;
    if (i < p->len && s[i] == '0')
        i++;
    else if (i < p->len && s[i] >= '1' && s[i] <= '9')
        while (i < p->len && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return bad(p, "a bad number");
    if (i < p->len && s[i] == '.') {
        if (++i >= p->len || s[i] < '0' || s[i] > '9')
            return bad(p, "a bad number");
        while (i < p->len && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= p->len || s[i] < '0' || s[i] > '9')
            return bad(p, "a bad number");
        while (i < p->len && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i - start > 64)
        return bad(p, "a number longer than 64 characters");
    p->pos = i;
    return add_node(p, JSON_NUMBER, start, i - start, idx);
}

/* A value at p->pos: scalars are added whole, containers opened. */
static int scan_value(struct parser *p)
{
    uint32_t idx;
    char c = p->pos < p->len ? p->s[p->pos] : '\0';
    if (c == '{' || c == '[') {
        if (p->depth == JSON_DEPTH_MAX)
            return bad(p, "nested deeper than 256 levels");
        int rc = add_node(p, c == '{' ? JSON_OBJECT : JSON_ARRAY, p->pos, 1, &idx);
        if (rc < 0)
            return rc;
        p->stack[p->depth] = idx;
        p->expect_key[p->depth++] = c == '{';
        p->pos++;
        return 0;
    }
    if (c == '"')
        return scan_string(p, &idx);
    if (c == '-' || (c >= '0' && c <= '9'))
        return scan_number(p, &idx);
    static const struct { const char *word; enum json_type type; } lits[] = {
        {"true", JSON_TRUE}, {"false", JSON_FALSE}, {"null", JSON_NULL},
    };
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(lits[i].word);
        if (p->len - p->pos >= n && memcmp(p->s + p->pos, lits[i].word, n) == 0) {
            p->pos += n;
            return add_node(p, lits[i].type, p->pos - n, n, &idx);
        }
    }
    return bad(p, p->pos < p->len ? "an unexpected character" : "the text ends early");
}

/* Close the innermost container. */
static void close_one(struct parser *p)
{
    uint32_t idx = p->stack[--p->depth];
    p->j->n[idx].next = (uint32_t)p->j->count;
    p->j->n[idx].len = (uint32_t)(p->pos + 1 - p->j->n[idx].start);
    p->pos++;
}

/* After a value or an opening bracket, inside a container: a key, a
 * value, a separator or a close. Returns 1 when a value must follow. */
static int step(struct parser *p, int just_opened)
{
    int d = p->depth - 1;
    int obj = p->j->n[p->stack[d]].type == JSON_OBJECT;
    skip_ws(p);
    char c = p->pos < p->len ? p->s[p->pos] : '\0';
    if (c == (obj ? '}' : ']') && (just_opened || !p->expect_key[d])) {
        close_one(p);
        return 0;
    }
    if (!just_opened) {
        if (c != ',')
            return bad(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        p->pos++;
        skip_ws(p);
        c = p->pos < p->len ? p->s[p->pos] : '\0';
    }
    if (!obj)
        return 1;
    uint32_t idx;
    if (c != '"')
        return bad(p, "expected a key");
    int rc = scan_string(p, &idx);
    if (rc < 0)
        return rc;
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != ':')
        return bad(p, "expected ':'");
    p->pos++;
    p->expect_key[d] = 0;
    return 1;
}

static int run(struct parser *p)
{
    int need_value = 1, opened = 0;
    for (;;) {
        if (need_value) {
            skip_ws(p);
            size_t before = p->j->count;
            int rc = scan_value(p);
            if (rc < 0)
                return rc;
            opened = p->depth > 0 && p->stack[p->depth - 1] == before &&
                     p->j->n[before].type >= JSON_ARRAY;
        }
        if (p->depth == 0)
            break;
        int r = step(p, opened);
        if (r < 0)
            return r;
        need_value = r;
        opened = 0;
    }
    skip_ws(p);
    return p->pos == p->len ? 0 : bad(p, "text after the document");
}

int json_parse(struct json *j, const char *text, size_t len, size_t *where, const char **why)
{
    *j = (struct json){.text = text};
    struct parser *p = calloc(1, sizeof *p);
    if (!p)
        return ERR_NOMEM;
    *p = (struct parser){.j = j, .s = text, .len = len};
    int rc;
    size_t badutf = import_utf8_check((const unsigned char *)text, len);
    if (len > JSON_TEXT_MAX) {
        rc = bad(p, "larger than 1 GiB");
    } else if (badutf < len) {
        p->pos = badutf;
        rc = bad(p, "invalid UTF-8");
    } else {
        rc = run(p);
    }
    *where = p->pos;
    *why = p->why ? p->why : "out of memory";
    free(p);
    return rc;
}

void json_free(struct json *j)
{
    free(j->n);
    *j = (struct json){0};
}

uint32_t json_first(const struct json *j, uint32_t node)
{
    if (node >= j->count || j->n[node].type < JSON_ARRAY || j->n[node].count == 0)
        return JSON_NONE;
    return node + 1;
}

uint32_t json_next(const struct json *j, uint32_t parent, uint32_t node)
{
    if (node >= j->count || parent >= j->count)
        return JSON_NONE;
    uint32_t nx = j->n[node].next;
    return nx < j->n[parent].next && nx < j->count ? nx : JSON_NONE;
}

uint32_t json_get(const struct json *j, uint32_t object, const char *key)
{
    if (object >= j->count || j->n[object].type != JSON_OBJECT)
        return JSON_NONE;
    for (uint32_t k = json_first(j, object); k != JSON_NONE;) {
        uint32_t v = json_next(j, object, k);
        if (v == JSON_NONE)
            return JSON_NONE;
        if (json_is(j, k, key))
            return v;
        k = json_next(j, object, v);
    }
    return JSON_NONE;
}

/* Append code point cp as UTF-8 if it fits whole. */
static size_t put_utf8(char *buf, size_t at, size_t cap, uint32_t cp)
{
    char tmp[4];
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (n == 1)
        tmp[0] = (char)cp;
    else if (n == 2)
        tmp[0] = (char)(0xc0 | cp >> 6), tmp[1] = (char)(0x80 | (cp & 0x3f));
    else if (n == 3)
        tmp[0] = (char)(0xe0 | cp >> 12), tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
        tmp[2] = (char)(0x80 | (cp & 0x3f));
    else
        tmp[0] = (char)(0xf0 | cp >> 18), tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
        tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), tmp[3] = (char)(0x80 | (cp & 0x3f));
    if (at + n >= cap)
        return at;
    memcpy(buf + at, tmp, n);
    return at + n;
}

/* One escape at s[*i] ('\\' already seen): its code point. */
static uint32_t unescape(const char *s, size_t len, size_t *i)
{
    char e = s[*i + 1];
    *i += 2;
    if (e != 'u')
        return e == 'b' ? 8 : e == 'f' ? 12 : e == 'n' ? 10 : e == 'r' ? 13 : e == 't' ? 9 : (uint32_t)e;
    uint32_t cp = (uint32_t)hex4(s + *i);
    *i += 4;
    if (cp >= 0xd800 && cp < 0xdc00 && *i + 6 <= len && s[*i] == '\\' && s[*i + 1] == 'u') {
        int lo = hex4(s + *i + 2);
        if (lo >= 0xdc00 && lo < 0xe000) {
            *i += 6;
            return 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
        }
    }
    return (cp >= 0xd800 && cp < 0xe000) || cp == 0 ? 0xfffd : cp;   /* no NUL inside a C string */
}

long json_string(const struct json *j, uint32_t node, char *buf, size_t cap)
{
    if (node >= j->count || j->n[node].type != JSON_STRING || cap == 0)
        return -1;
    const char *s = j->text + j->n[node].start;
    size_t len = j->n[node].len, out = 0;
    for (size_t i = 0; i < len && out + 1 < cap;) {
        if (s[i] == '\\') {
            out = put_utf8(buf, out, cap, unescape(s, len, &i));
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;   /* valid UTF-8: checked */
        if (out + n >= cap)
            break;
        memcpy(buf + out, s + i, n);
        out += n, i += n;
    }
    buf[out] = '\0';
    return (long)out;
}

int json_is(const struct json *j, uint32_t node, const char *s)
{
    char buf[64];
    size_t n = strlen(s);
    if (n >= sizeof buf || node >= j->count || j->n[node].type != JSON_STRING || j->n[node].len > 6 * n)
        return 0;
    return json_string(j, node, buf, sizeof buf) == (long)n && memcmp(buf, s, n) == 0;
}

int json_number(const struct json *j, uint32_t node, double *out)
{
    if (node >= j->count || j->n[node].type != JSON_NUMBER)
        return -1;
    char buf[72];
    memcpy(buf, j->text + j->n[node].start, j->n[node].len);   /* at most 64 */
    buf[j->n[node].len] = '\0';
    *out = strtod(buf, NULL);
    return 0;
}

int json_uint(const struct json *j, uint32_t node, uint64_t *out)
{
    if (node >= j->count || j->n[node].type != JSON_NUMBER)
        return -1;
    const char *p = j->text + j->n[node].start;
    uint64_t v = 0;
    for (uint32_t i = 0; i < j->n[node].len; i++) {
        if (p[i] < '0' || p[i] > '9' || v > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return 0;
}
