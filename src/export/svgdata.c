/* SPDX-License-Identifier: MIT */
/* The collapsed stacks inside proftui's SVG files (svgdata.h). */
#include "svgdata.h"

#include <stdlib.h>
#include <string.h>

#include "collapsed.h"
#include "error.h"

#define CDATA_END "]]>"
#define CDATA_SPLIT "]]><![CDATA["       /* ends a section and starts the next */

int svgdata_write(FILE *f, const struct table *t, const struct export_meta *meta)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return ERR_NOMEM;
    int rc = collapsed_write(m, t, meta);
    if (fclose(m) != 0 && rc == 0)
        rc = ERR_NOMEM;
    if (rc < 0) {
        free(text);
        return rc == ERR_IO ? ERR_NOMEM : rc;      /* a memory stream fails only for memory */
    }
    fputs(SVGDATA_OPEN "\n", f);
    size_t from = 0;                  /* text[from..i) is still to be written as it is */
    for (size_t i = 0; i < len; i++) {
        const unsigned char *u = (const unsigned char *)text + i;
        if (*u != ']' && *u != 0xEF)
            continue;                 /* the two bytes that can start what must change */
        if (i + 3 <= len && memcmp(u, CDATA_END, 3) == 0) {
            fwrite(text + from, 1, i - from, f);
            fputs("]]" CDATA_SPLIT ">", f);
            from = i + 3;
            i += 2;
        } else if (i + 3 <= len && u[0] == 0xEF && u[1] == 0xBF && (u[2] == 0xBE || u[2] == 0xBF)) {
            fwrite(text + from, 1, i - from, f);
            fputc('?', f);
            from = i + 3;
            i += 2;
        }
    }
    fwrite(text + from, 1, len - from, f);
    fputs(SVGDATA_CLOSE "\n", f);
    free(text);
    return ferror(f) ? ERR_IO : 0;
}

static const uint8_t *find(const uint8_t *d, size_t n, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= n; i++)
        if (d[i] == (uint8_t)s[0] && memcmp(d + i, s, k) == 0)
            return d + i;
    return NULL;
}

int svgdata_find(const uint8_t *d, size_t n, char **out, size_t *outn)
{
    const uint8_t *start = find(d, n, SVGDATA_OPEN);
    if (!start)
        return ERR_INPUT;
    const uint8_t *p = start + strlen(SVGDATA_OPEN), *end = d + n;
    char *text = malloc((size_t)(end - p) + 1);
    if (!text)
        return ERR_NOMEM;
    size_t len = 0;
    size_t split = strlen(CDATA_SPLIT);
    while (p < end) {
        if (end - p >= 3 && memcmp(p, CDATA_END, 3) == 0) {
            if ((size_t)(end - p) >= split && memcmp(p, CDATA_SPLIT, split) == 0) {
                p += split;                   /* one section ends, the next begins */
                continue;
            }
            text[len] = '\0';
            *out = text;
            *outn = len;
            return 0;
        }
        text[len++] = (char)*p++;
    }
    free(text);
    return ERR_INPUT;                         /* never closed: a cut file */
}
