/* SPDX-License-Identifier: MIT */
/* The SVG writer on names Python cannot produce but a corrupt target can
 * (invalid UTF-8, U+FFFE, controls) and on XML's own characters: the
 * output is valid UTF-8 with no control character but newlines, every
 * hostile character comes out as '?' or an entity, and no name opens a
 * tag or a CDATA section. Also: widths, frames under a pixel merged. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "svg.h"
#include "table.h"
#include "utf8.h"

static char *render(const struct table *t, const struct export_meta *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f != NULL);
    if (!f)
        return NULL;
    CHECK(svg_write(f, t, m) == 0);
    fclose(f);
    return buf;
}

static void check_clean(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = 0;
    while (*u) {
        uint32_t cp;
        size_t n = utf8_seq(u, &cp);
        bad += n == 0 || (utf8_is_control(cp) && cp != '\n') || cp == 0xFFFE || cp == 0xFFFF;
        u += n ? n : 1;
    }
    CHECK_EQ(bad, 0);
}

static void test_hostile(void)
{
    struct table *t = table_new();
    CHECK(t != NULL);
    if (!t)
        return;
    uint32_t th = table_thread(t, 9, "t<h>&\"'\x1b[31m");
    uint32_t a = table_intern_func(t, "<script>alert(1)</script>]]>\xff\xc0\xaf", "/a&b\xef\xbf\xbe.py");
    uint32_t b = table_intern_func(t, "x\r\ny\xe2\x80\xa8z\xc2\x85", "<frozen \x01>");
    struct frame_key st[] = {{b, 1}, {a, 2}};
    CHECK(table_add_stack(t, th, st, 2, 5) == 0);
    struct export_meta m = {.pid = 1, .version = "0.1.0", .command = "run </text><x> & ]]>",
                            .interval_ns = 1000000};
    char *out = render(t, &m);
    if (!out) {
        table_free(t);
        return;
    }
    check_clean(out);
    CHECK(strstr(out, "&lt;script&gt;alert(1)&lt;/script&gt;]]&gt;???") != NULL);
    CHECK(strstr(out, "/a&amp;b?.py") != NULL);
    CHECK(strstr(out, "x??y?z?") != NULL);
    CHECK(strstr(out, "t&lt;h&gt;&amp;&quot;&apos;?[31m (tid 9)") != NULL);
    CHECK(strstr(out, "run &lt;/text&gt;&lt;x&gt; &amp; ]]&gt;") != NULL);
    CHECK(strstr(out, "<script>alert") == NULL);
    const char *cdata = strstr(out, "<![CDATA[");         /* the viewer's, once */
    CHECK(cdata != NULL && strstr(cdata + 1, "<![CDATA[") == NULL);
    CHECK(strstr(out, "]]>") == strstr(cdata, "]]>"));
    free(out);
    table_free(t);
}

/* 1,200 pixels for 10,000 samples: a frame of 8 samples (under a pixel)
 * is not written, one of 9 is; the root and the thread are. */
static void test_narrow(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 1, "main");
    uint32_t big = table_intern_func_at(t, "big", "/app.py", 4);
    uint32_t tiny = table_intern_func(t, "tiny", "/app.py");
    uint32_t small = table_intern_func(t, "small", "/app.py");
    struct frame_key s1 = {big, 1}, s2 = {tiny, 1}, s3 = {small, 1};
    CHECK(table_add_stack(t, th, &s1, 1, 10000 - 17) == 0);
    CHECK(table_add_stack(t, th, &s2, 1, 8) == 0);
    CHECK(table_add_stack(t, th, &s3, 1, 9) == 0);
    char *out = render(t, NULL);
    CHECK(out && strstr(out, "<title>big\n/app.py:4\n9983 samples, 99.83%</title>") != NULL);
    CHECK(out && strstr(out, "<title>small\n") != NULL);
    CHECK(out && strstr(out, "<title>tiny\n") == NULL);
    CHECK(out && strstr(out, "<title>main (tid 1)\nthread\n10000 samples, 100.00%</title>"));
    CHECK(out && strstr(out, "<title>all\n\n10000 samples, 100.00%</title><rect x=\"0.00\" "
                             "y=\"") != NULL);
    CHECK(out && strstr(out, "width=\"1200.00\"") != NULL);
    free(out);
    table_free(t);
}

int main(void)
{
    test_hostile();
    test_narrow();
    return check_report("svg");
}
