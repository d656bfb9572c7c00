/* SPDX-License-Identifier: MIT */
/* For the unit tests that walk a live interpreter: a round's stacks as
 * names and lines, to compare rounds. */
#ifndef PROFTUI_TEST_WALKSHAPE_H
#define PROFTUI_TEST_WALKSHAPE_H

#include <stdint.h>

#define WALKSHAPE_FRAMES 16

struct walker;

/* A stack as names and lines, leaf first, with how the walker got it. */
struct walkshape {
    uint64_t tid;
    int depth;                  /* -1 when the stack failed */
    char name[WALKSHAPE_FRAMES][64];
    int line[WALKSHAPE_FRAMES];
    uint64_t read_ns;
    int copied, kept;
};

/* The first n stacks of w's last round (at most max) into out: how many. */
int walkshape_of(struct walker *w, int n, struct walkshape *out, int max);

/* Same thread, same frames and lines. */
int walkshape_same(const struct walkshape *a, const struct walkshape *b);

/* The index of the first of s[0..n) whose frames include function name
 * (its qualified name's last part), or -1. */
int walkshape_find(const struct walkshape *s, int n, const char *name);

#endif
