/* SPDX-License-Identifier: MIT */
/* The table of output formats: names, endings, availability, dispatch. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "export.h"
#include "table.h"

static void test_names(void)
{
    for (int i = 0; i < EXPORT_FORMATS; i++) {
        enum export_format f;
        CHECK(export_format_parse(export_format_name((enum export_format)i), &f) == 0);
        CHECK_EQ(f, i);
        /* a new file of a format gets an ending that chooses the format again */
        char name[64];
        snprintf(name, sizeof name, "out%s", export_format_ending((enum export_format)i));
        CHECK_EQ(export_format_for_path(name), i);
    }
    enum export_format f = EXPORT_SVG;
    CHECK(export_format_parse("SVG", &f) == ERR_USAGE);
    CHECK(export_format_parse("", &f) == ERR_USAGE);
    CHECK(export_format_parse("collapsedx", &f) == ERR_USAGE);
    CHECK_EQ(f, EXPORT_SVG);                       /* untouched on error */
}

static void test_endings(void)
{
    static const struct { const char *path; enum export_format f; } cases[] = {
        {"p.txt", EXPORT_COLLAPSED}, {"p.collapsed", EXPORT_COLLAPSED},
        {"p.folded", EXPORT_COLLAPSED}, {"-", EXPORT_COLLAPSED}, {"profile", EXPORT_COLLAPSED},
        {"p.json", EXPORT_SPEEDSCOPE}, {"dir.d/p.speedscope.json", EXPORT_SPEEDSCOPE},
        {"p.pb.gz", EXPORT_PPROF}, {"p.pprof", EXPORT_PPROF}, {"p.gz", EXPORT_COLLAPSED},
        {"p.prof", EXPORT_PSTATS}, {"p.pstats", EXPORT_PSTATS}, {"p.svg", EXPORT_SVG},
        {".svg", EXPORT_COLLAPSED},                /* a bare ending is a name, not an ending */
        {"p.json.txt", EXPORT_COLLAPSED},
        /* endings in any case: a PROFILE.SVG of collapsed text opens nowhere */
        {"p.SVG", EXPORT_SVG}, {"P.JSON", EXPORT_SPEEDSCOPE}, {"p.Pb.Gz", EXPORT_PPROF},
        {"p.PROF", EXPORT_PSTATS}, {"p.TXT", EXPORT_COLLAPSED}, {"p.Speedscope.Json", EXPORT_SPEEDSCOPE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(export_format_for_path(cases[i].path) == cases[i].f, "ending of %s", cases[i].path);
    CHECK_EQ(export_format_for_path(NULL), EXPORT_COLLAPSED);
}

static void test_dispatch(void)
{
    struct table *t = table_new();
    CHECK(t != NULL);
    if (!t)
        return;
    uint32_t th = table_thread(t, 7, "main");
    struct frame_key k = {table_intern_func(t, "f", "a.py"), 3};
    CHECK(table_add_stack(t, th, &k, 1, 2) == 0);
    CHECK(export_format_available(EXPORT_COLLAPSED));
    CHECK(!export_format_available(EXPORT_FORMATS));
    CHECK(strstr(export_format_list(), "collapsed") != NULL);
    char buf[256] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    CHECK(export_write(f, EXPORT_COLLAPSED, t, NULL) == 0);
    fclose(f);
    CHECK(strcmp(buf, "T7 main;f (a.py:3) 2\n") == 0);
    for (int i = 0; i < EXPORT_FORMATS; i++) {
        if (export_format_available((enum export_format)i))
            continue;
        f = fmemopen(buf, sizeof buf, "w");
        CHECK(export_write(f, (enum export_format)i, t, NULL) == ERR_USAGE);
        fclose(f);
    }
    table_free(t);
}

int main(void)
{
    test_names();
    test_endings();
    test_dispatch();
    return check_report("export");
}
