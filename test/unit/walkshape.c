/* SPDX-License-Identifier: MIT */
#include "walkshape.h"

#include <stdio.h>
#include <string.h>

#include "codecache.h"
#include "walker.h"

int walkshape_of(struct walker *w, int n, struct walkshape *out, int max)
{
    int k = 0;
    for (int i = 0; i < n && k < max; i++) {
        const struct walk_stack *ws = walker_stack(w, i);
        struct walkshape *s = &out[k++];
        memset(s, 0, sizeof *s);
        s->tid = ws->tid;
        s->depth = ws->failed ? -1 : ws->depth;
        s->read_ns = ws->read_ns;
        s->copied = ws->copied;
        s->kept = ws->kept;
        for (int d = 0; d < ws->depth && d < WALKSHAPE_FRAMES; d++) {
            snprintf(s->name[d], sizeof s->name[d], "%s", ws->frames[d].code->name);
            s->line[d] = ws->frames[d].line;
        }
    }
    return k;
}

int walkshape_same(const struct walkshape *a, const struct walkshape *b)
{
    if (a->tid != b->tid || a->depth != b->depth)
        return 0;
    for (int d = 0; d < a->depth && d < WALKSHAPE_FRAMES; d++)
        if (strcmp(a->name[d], b->name[d]) != 0 || a->line[d] != b->line[d])
            return 0;
    return 1;
}

int walkshape_find(const struct walkshape *s, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        for (int d = 0; d < s[i].depth && d < WALKSHAPE_FRAMES; d++) {
            const char *dot = strrchr(s[i].name[d], '.');
            if (strcmp(dot ? dot + 1 : s[i].name[d], name) == 0)
                return i;
        }
    return -1;
}
