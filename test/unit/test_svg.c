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
#include "svgdata.h"
#include "table.h"
#include "utf8.h"

/* Cut the embedded profile (svgdata.h: the collapsed stacks for --open,
 * tested in test_svgdata.c) out of an SVG, in place: what is left is the
 * drawing. Returns its length. */
static size_t drawing_only(char *svg)
{
    char *open = strstr(svg, SVGDATA_OPEN);
    CHECK(open != NULL);
    char *close = open ? strstr(open, SVGDATA_CLOSE) : NULL;
    CHECK(close != NULL);
    if (open && close)
        memmove(open, close + strlen(SVGDATA_CLOSE), strlen(close + strlen(SVGDATA_CLOSE)) + 1);
    return strlen(svg);
}

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
    drawing_only(buf);
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

/* Lines of a function fold into one frame; threads by id, each under its
 * own frame; samples without a frame become "[no Python frame]"; x from
 * the samples before (widths of 1200 pixels: 12 px a sample here). */
static void test_fold(void)
{
    struct table *t = table_new();
    uint32_t t2 = table_thread(t, 20, "two"), t1 = table_thread(t, 10, "one");
    uint32_t f = table_intern_func(t, "f", "/a.py"), g = table_intern_func(t, "g", "/a.py");
    uint32_t h = table_intern_func(t, "h", "/a.py");
    struct frame_key a[] = {{g, 5}, {f, 1}}, b[] = {{g, 6}, {f, 2}}, c[] = {{h, 1}, {f, 2}};
    CHECK(table_add_stack(t, t1, a, 2, 30) == 0);
    CHECK(table_add_stack(t, t1, b, 2, 20) == 0);
    CHECK(table_add_stack(t, t1, c, 2, 10) == 0);
    CHECK(table_add_stack(t, t1, NULL, 0, 15) == 0);
    CHECK(table_add_stack(t, t2, a, 2, 25) == 0);
    char *out = render(t, NULL);
    static const char *want[] = {
        "data-s=\"0\" data-n=\"100\" data-d=\"0\"><title>all\n",
        "data-s=\"0\" data-n=\"75\" data-d=\"1\"><title>one (tid 10)\n",
        "data-s=\"0\" data-n=\"60\" data-d=\"2\"><title>f\n/a.py\n60 samples, 60.00%</title>"
        "<rect x=\"0.00\"",
        "data-s=\"60\" data-n=\"15\" data-d=\"2\"><title>[no Python frame]\n",
        "data-s=\"0\" data-n=\"50\" data-d=\"3\"><title>g\n",
        "data-s=\"50\" data-n=\"10\" data-d=\"3\"><title>h\n/a.py\n10 samples, 10.00%</title>"
        "<rect x=\"600.00\"",
        "data-s=\"75\" data-n=\"25\" data-d=\"1\"><title>two (tid 20)\n",
        "data-s=\"75\" data-n=\"25\" data-d=\"2\"><title>f\n",
        "data-s=\"75\" data-n=\"25\" data-d=\"3\"><title>g\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        check(out && strstr(out, want[i]) != NULL, "frame %zu: %s", i, want[i]);
    size_t frames = 0;
    for (const char *p = out; p && (p = strstr(p, "<g class=\"f\"")); p++)
        frames++;
    CHECK_EQ(frames, sizeof want / sizeof want[0]);
    free(out);
    table_free(t);
}

/* 10,000 stacks of 30 frames over 10,000 functions and 1,000,000
 * samples: frames under a pixel merged, the file stays small (a few
 * hundred KB; "a few MB at most" is the goal). */
static void test_size(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 1, "main");
    char name[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(name, sizeof name, "func_%d", i);
        table_intern_func(t, name, "/srv/app/module.py");
    }
    uint64_t x = 88172645463325252ULL;
    struct frame_key st[30];
    for (int s = 0; s < 10000; s++) {
        for (int d = 0; d < 30; d++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* shared roots: the first frames come from few functions */
            st[29 - d] = (struct frame_key){(uint32_t)(x % (uint64_t)(d < 5 ? 3 * (d + 1) : 10000)),
                                            (int32_t)(x % 100)};
        }
        CHECK(table_add_stack(t, th, st, 30, 100) == 0);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f && svg_write(f, t, NULL) == 0);
    if (f)
        fclose(f);
    len = buf ? drawing_only(buf) : 0;
    check(len > 10000 && len < 3000000, "10,000 stacks: %zu bytes of drawing", len);
    free(buf);
    table_free(t);
}

int main(void)
{
    test_size();
    test_fold();
    test_hostile();
    test_narrow();
    return check_report("svg");
}
