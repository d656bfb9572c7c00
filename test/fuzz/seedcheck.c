/* SPDX-License-Identifier: MIT */
/* Replays a snapshot of a live interpreter and compares what the read path
 * finds in it with what it found in the live process when the snapshot was
 * taken (the .expect file the snapshot tool wrote): the walker, the code
 * cache and the name readers give the same stacks on the image as on the
 * real memory, for every interpreter version a seed exists for.
 * Usage: fuzz_seedcheck IMAGE EXPECT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzimg.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (cap - *len < 65536) {
            cap = cap ? cap * 2 : 1 << 20;
            char *grown = realloc(buf, cap + 1);
            if (!grown)
                abort();
            buf = grown;
        }
        size_t got = fread(buf + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

/* Print the first line where a and b differ. */
static void first_difference(const char *a, const char *b)
{
    int line = 1;
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++, b++;
    }
    fprintf(stderr, "first difference at line %d:\n  expected: %.*s\n  got:      %.*s\n", line,
            (int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"), lb);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s IMAGE EXPECT\n", argv[0]);
        return 2;
    }
    size_t ilen, elen;
    char *image = slurp(argv[1], &ilen), *expect = slurp(argv[2], &elen);
    if (!image || !expect) {
        fprintf(stderr, "cannot read %s\n", image ? argv[2] : argv[1]);
        return 1;
    }
    struct fuzzimg img;
    int rc = fuzzimg_load((const uint8_t *)image, ilen, &img);
    if (rc < 0 || img.layout_rc < 0) {
        fprintf(stderr, "%s: not a usable image (%d, layout %d)\n", argv[1], rc, img.layout_rc);
        return 1;
    }
    char *got = NULL;
    size_t glen = 0;
    FILE *out = open_memstream(&got, &glen);
    if (!out)
        abort();
    fuzzimg_walk(&img.target, out);
    fclose(out);
    int same = glen == elen && memcmp(got, expect, elen) == 0;
    if (!same)
        first_difference(expect, got);
    /* The seed must show something worth fuzzing: stacks with frames. */
    int frames = strstr(got, "\n  at ") != NULL;
    if (!frames)
        fprintf(stderr, "%s: no Python frame in the image\n", argv[1]);
    printf("%s: %s\n", argv[1], same && frames ? "same stacks as the live process" : "MISMATCH");
    fuzzimg_free(&img);
    free(got);
    free(image);
    free(expect);
    return same && frames ? 0 : 1;
}
