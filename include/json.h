/* SPDX-License-Identifier: MIT */
/* A small bounded JSON reader for profile files (speedscope): the whole
 * text is checked (RFC 8259 grammar, UTF-8, escapes, nesting at most
 * JSON_DEPTH_MAX, no recursion) and indexed into a flat array of nodes in
 * document order; strings and numbers are decoded on demand. */
#ifndef PROFTUI_JSON_H
#define PROFTUI_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX 256
#define JSON_TEXT_MAX (1ULL << 30)         /* bytes of text */
#define JSON_NONE UINT32_MAX

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_node {
    uint8_t type;          /* enum json_type */
    uint32_t start, len;   /* the text: a string's between its quotes, a number's digits */
    uint32_t count;        /* children: an array's elements, an object's keys and values */
    uint32_t next;         /* the node after this one's subtree */
};

struct json {
    const char *text;      /* borrowed */
    struct json_node *n;   /* owned; n[0] is the document's value */
    size_t count, cap;
};

/* Parse text[0..len). 0, ERR_NOMEM, or ERR_INPUT with *where the byte
 * offset and *why a short reason. json_free() in every case. */
int json_parse(struct json *j, const char *text, size_t len, size_t *where, const char **why);
void json_free(struct json *j);

/* The first child of a container (for an object, the first key; its
 * value follows it), or JSON_NONE. */
uint32_t json_first(const struct json *j, uint32_t node);
/* The next sibling (in an object, keys and values alternate), or JSON_NONE
 * after the last child of parent. */
uint32_t json_next(const struct json *j, uint32_t parent, uint32_t node);
/* The value of key in an object, or JSON_NONE. */
uint32_t json_get(const struct json *j, uint32_t object, const char *key);
/* A string decoded into buf (NUL-terminated, cut at cap - 1 bytes on a
 * character boundary; lone surrogates and \u0000 become U+FFFD, so the
 * length is the C string's). Its length, or -1 when node is not a string. */
long json_string(const struct json *j, uint32_t node, char *buf, size_t cap);
/* Whether node is the string s. */
int json_is(const struct json *j, uint32_t node, const char *s);
/* A number as a double: 0, or -1 when node is not a number. */
int json_number(const struct json *j, uint32_t node, double *out);
/* A non-negative integer written without fraction or exponent, exactly
 * (beyond a double's 2^53): 0, or -1 (not such a number, or > UINT64_MAX). */
int json_uint(const struct json *j, uint32_t node, uint64_t *out);

#endif
