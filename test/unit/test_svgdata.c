/* SPDX-License-Identifier: MIT */
/* The profile inside proftui's SVG files: written and found again, with
 * CDATA's end marker in names, U+FFFE, a cut file, and no profile at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "collapsed.h"
#include "error.h"
#include "svgdata.h"
#include "table.h"

/* The collapsed text of t (svg = 0), or an SVG holding it (svg = 1), in
 * *text (caller frees). */
static void write_to(const struct table *t, int svg, char **text, size_t *len)
{
    FILE *f = open_memstream(text, len);
    if (svg)
        fputs("<svg xmlns=\"http://www.w3.org/2000/svg\">", f);
    CHECK((svg ? svgdata_write(f, t, NULL) : collapsed_write(f, t, NULL)) == 0);
    if (svg)
        fputs("</svg>\n", f);
    fclose(f);
}

int main(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 7, "a]]>b");
    struct frame_key k[2] = {{table_intern_func(t, "f]]]]>x", "a]]>.py"), 3},
                             {table_intern_func(t, "\xef\xbf\xbeg", "y.py"), 1}};
    CHECK(table_add_stack(t, th, k, 2, 4) == 0);
    char *want = NULL, *svg = NULL;
    size_t wlen = 0, n = 0;
    write_to(t, 0, &want, &wlen);
    write_to(t, 1, &svg, &n);
    CHECK(strstr(svg, "f]]]]>x") == NULL);              /* every "]]>" split */
    CHECK(strstr(svg, "\xef\xbf\xbe") == NULL);         /* no U+FFFE in the XML */
    char *got = NULL;
    size_t gotn = 0;
    CHECK(svgdata_find((const uint8_t *)svg, n, &got, &gotn) == 0);
    /* the text comes back whole, U+FFFE as '?' */
    size_t wn = strlen(want), en = 0, seen = 0;
    char *expect = malloc(wn + 1);
    for (size_t i = 0; i < wn; i++) {
        if (i + 3 <= wn && memcmp(want + i, "\xef\xbf\xbe", 3) == 0) {
            expect[en++] = '?';
            i += 2;
            seen++;
        } else {
            expect[en++] = want[i];
        }
    }
    expect[en] = '\0';
    CHECK_EQ(seen, 1);
    check(got && gotn == strlen(expect) + 1 && strcmp(got + 1, expect) == 0,
          "round trip: [%s] vs [%s]", got ? got : "(null)", expect);   /* got starts with '\n' */
    free(got);
    /* cut before the end: not a profile */
    size_t close_at = (size_t)(strstr(svg, SVGDATA_CLOSE) - svg);
    CHECK(svgdata_find((const uint8_t *)svg, close_at + 2, &got, &gotn) == ERR_INPUT);
    /* none at all */
    static const char plain[] = "<svg><rect/></svg>";
    CHECK(svgdata_find((const uint8_t *)plain, sizeof plain - 1, &got, &gotn) == ERR_INPUT);
    free(svg);
    free(expect);
    free(want);
    table_free(t);
    return check_report("svgdata");
}
