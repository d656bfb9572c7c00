/* SPDX-License-Identifier: MIT */
/* Unit tests of the saved-profile readers: the JSON reader (grammar,
 * escapes, surrogates, depth bound), the protobuf reader (varints, bounds)
 * and a table written as collapsed stacks read back to the same file,
 * failures by reason included; a profile of several processes through
 * every format that names them (collapsed, speedscope, pprof). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "collapsed.h"
#include "error.h"
#include "import.h"
#include "json.h"
#include "pbread.h"
#include "pprof.h"
#include "profile.h"
#include "speedscope.h"
#include "table.h"

static int parses(const char *text)
{
    struct json j;
    size_t where;
    const char *why;
    int rc = json_parse(&j, text, strlen(text), &where, &why);
    json_free(&j);
    return rc == 0;
}

static void test_json_grammar(void)
{
    static const char *const good[] = {
        "{}", "[]", " [1, -0, 0.5, 1e3, -2E-2, true, false, null, \"\"] ", "{\"a\":{\"b\":[[],{}]}}", "0",
    };
    static const char *const bad[] = {
        "", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "[+1]", "[\"\\x\"]",
        "[\"\\u12\"]", "[\"a\nb\"]", "[] []", "{'a':1}", "[tru]", "[1e]", "{\"a\" 1}", "[\"unterminated]",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        check(parses(good[i]), "json should parse: %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        check(!parses(bad[i]), "json should not parse: %s", bad[i]);
    char deep[600];
    memset(deep, '[', 256);
    memset(deep + 256, ']', 256);
    deep[512] = '\0';
    CHECK(parses(deep));                      /* 256 levels: the bound */
    memset(deep, '[', 257);
    memset(deep + 257, ']', 257);
    deep[514] = '\0';
    CHECK(!parses(deep));
    CHECK(!parses("[\"\xc3\x28\"]"));        /* invalid UTF-8 */
    CHECK(!parses("[\"\xed\xa0\x80\"]"));    /* a surrogate in UTF-8 */
}

static void test_json_strings(void)
{
    const char *text = "{\"k\":\"a\\u00e9\\ud83d\\ude00\\n\\\"\\/\",\"lone\":\"\\ud800x\",\"nul\":\"a\\u0000b\",\"n\":12.5,"
                       "\"arr\":[1,2,3]}";
    struct json j;
    size_t where;
    const char *why;
    CHECK_EQ(json_parse(&j, text, strlen(text), &where, &why), 0);
    char buf[64];
    long n = json_string(&j, json_get(&j, 0, "k"), buf, sizeof buf);
    CHECK(n == 10 && memcmp(buf, "a\xc3\xa9\xf0\x9f\x98\x80\n\"/", 10) == 0);
    n = json_string(&j, json_get(&j, 0, "lone"), buf, sizeof buf);
    CHECK(n == 4 && memcmp(buf, "\xef\xbf\xbdx", 4) == 0);
    n = json_string(&j, json_get(&j, 0, "nul"), buf, sizeof buf);     /* no NUL inside */
    CHECK(n == 5 && memcmp(buf, "a\xef\xbf\xbd" "b", 5) == 0);
    n = json_string(&j, json_get(&j, 0, "k"), buf, 4);   /* cut on a character boundary */
    CHECK(n == 3 && strcmp(buf, "a\xc3\xa9") == 0);
    double v = 0;
    CHECK(json_number(&j, json_get(&j, 0, "n"), &v) == 0 && v == 12.5);
    CHECK(json_get(&j, 0, "missing") == JSON_NONE);
    uint32_t arr = json_get(&j, 0, "arr"), k = json_first(&j, arr);
    int count = 0;
    for (; k != JSON_NONE; k = json_next(&j, arr, k))
        count++;
    CHECK_EQ(count, 3);
    json_free(&j);
}

static void test_pbread(void)
{
    /* field 1 varint 300, field 2 bytes "hi", field 3 fixed32, field 4 fixed64 */
    const uint8_t msg[] = {0x08, 0xac, 0x02, 0x12, 0x02, 'h', 'i', 0x1d, 1, 0, 0, 0,
                           0x21, 2, 0, 0, 0, 0, 0, 0, 0};
    struct pbread d = pbread_init(msg, sizeof msg);
    struct pb_field f;
    CHECK(pbread_next(&d, &f) == 1 && f.number == 1 && f.value == 300);
    CHECK(pbread_next(&d, &f) == 1 && f.number == 2 && f.len == 2 && memcmp(f.data, "hi", 2) == 0);
    CHECK(pbread_next(&d, &f) == 1 && f.number == 3 && f.value == 1);
    CHECK(pbread_next(&d, &f) == 1 && f.number == 4 && f.value == 2);
    CHECK(pbread_next(&d, &f) == 0);
    const uint8_t past[] = {0x12, 0x05, 'a'};                     /* a length past the end */
    d = pbread_init(past, sizeof past);
    CHECK(pbread_next(&d, &f) == -1);
    const uint8_t longv[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    d = pbread_init(longv, sizeof longv);                          /* more than 64 bits */
    CHECK(pbread_next(&d, &f) == -1);
    const uint8_t group[] = {0x0b};
    d = pbread_init(group, sizeof group);
    CHECK(pbread_next(&d, &f) == -1);
    const uint8_t zero[] = {0x00, 0x01};                          /* field number 0 */
    d = pbread_init(zero, sizeof zero);
    CHECK(pbread_next(&d, &f) == -1);
}

static char *collapsed_of(const struct table *t, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    struct export_meta meta = {.pid = 7, .version = "9.9", .python_version = "3.12.1", .interval_ns = 250000,
                               .duration_ns = 1500000000, .taken = 50, .missed = 2, .lost = 1,
                               .command = "python3 a b"};
    CHECK(f && collapsed_write(f, t, &meta) == 0);
    fclose(f);
    return buf;
}

static void test_collapsed_round_trip(void)
{
    struct table *t = table_new();
    uint32_t th = table_thread(t, 11, "Main Thread"), w = table_thread(t, 12, "");
    struct frame_key fr[2] = {{table_intern_func(t, "leaf", "a.py"), 3}, {table_intern_func(t, "root", "a.py"), -1}};
    CHECK(table_add_stack(t, th, fr, 2, 40) == 0);
    CHECK(table_add_stack(t, w, fr, 1, 5) == 0);
    CHECK(table_add_stack(t, w, fr, 0, 1) == 0);
    /* a native frame under leaf (--native): "deflate (/lib/libz.so.1)" */
    struct frame_key mixed[3] = {{table_intern_native(t, "deflate", "/lib/libz.so.1"), -1}, fr[0], fr[1]};
    CHECK(table_add_stack(t, th, mixed, 3, 2) == 0);
    CHECK(table_add_failed(t, th, WALK_FAIL_TORN) == 0 && table_add_failed(t, th, WALK_FAIL_READ) == 0);
    CHECK(table_add_failed(t, th, WALK_FAIL_READ) == 0);
    size_t len1 = 0, len2 = 0;
    char *first = collapsed_of(t, &len1);
    const char *want = ";leaf (a.py:3);deflate (/lib/libz.so.1) 2\n";
    CHECK(memmem(first, len1, want, strlen(want)) != NULL);
    struct profile *p = profile_new();
    char err[IMPORT_ERR_MAX];
    CHECK(import_buffer((const uint8_t *)first, len1, "mem", p, err, sizeof err) == 0);
    struct table *replica = table_new();
    CHECK(profile_sync(p, replica, NULL) == 0);
    struct profile_meta m;
    profile_get_meta(p, &m);
    CHECK(m.saved && strcmp(m.source, "mem") == 0 && strcmp(m.python_version, "3.12.1") == 0);
    CHECK(m.pid == 7 && m.launched && strcmp(m.command, "python3 a b") == 0 && m.interval_ns == 250000);
    CHECK(m.rounds_known && m.taken == 50 && m.missed == 2 && m.lost == 1 && m.duration_ns == 1500000000);
    uint32_t rth = table_thread_find(replica, 11);
    CHECK(rth != TABLE_NONE && table_thread_failed(replica, rth, WALK_FAIL_READ) == 2 &&
          table_thread_failed(replica, rth, WALK_FAIL_TORN) == 1);
    int natives = 0;
    for (uint32_t f = 0; f < table_func_count(replica); f++)
        natives += table_func_is_native(replica, f) ? (strcmp(table_func_name(replica, f), "deflate") == 0 ? 1 : 100) : 0;
    CHECK_EQ(natives, 1);
    char *second = collapsed_of(replica, &len2);
    CHECK(len1 == len2 && memcmp(first, second, len1) == 0);
    free(first);
    free(second);
    table_free(replica);
    profile_free(p);
    table_free(t);
}

typedef int (*writer_fn)(FILE *f, const struct table *t, const struct export_meta *meta);

/* Write t with w and read it back into a new replica (caller frees both). */
static struct table *through(writer_fn w, const struct table *t, struct profile **p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct export_meta meta = {.pid = 7, .version = "9.9", .python_version = "3.12.1",
                               .interval_ns = 1000000, .command = "python3 pool.py"};
    CHECK(f && w(f, t, &meta) == 0);
    fclose(f);
    *p = profile_new();
    char err[IMPORT_ERR_MAX] = "";
    int rc = import_buffer((const uint8_t *)buf, len, "mem", *p, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "import: %s\n", err);
    CHECK(rc == 0);
    struct table *replica = table_new();
    CHECK(profile_sync(*p, replica, NULL) == 0);
    free(buf);
    return replica;
}

/* Threads of three processes, two of them with the same tid: each comes
 * back as the same (pid, tid) with its samples, the profile's own process
 * (7, written for pid 0) as pid 0, in (pid, tid) order. */
static void test_processes_round_trip(void)
{
    struct table *t = table_new();
    uint32_t own = table_thread_of(t, 0, 11, "MainThread");
    uint32_t w1 = table_thread_of(t, 901, 901, "MainThread");
    uint32_t w0 = table_thread_of(t, 900, 900, "MainThread");
    uint32_t clash = table_thread_of(t, 902, 11, "worker");
    CHECK(own != clash && table_thread_find_of(t, 902, 11) == clash && table_thread_find(t, 11) == own);
    CHECK(table_thread_pid(t, w1) == 901 && table_thread_pid(t, own) == 0);
    struct frame_key fr[2] = {{table_intern_func(t, "work", "pool.py"), 5},
                              {table_intern_func(t, "main", "pool.py"), 9}};
    CHECK(table_add_stack(t, own, fr + 1, 1, 3) == 0);
    CHECK(table_add_stack(t, w0, fr, 2, 20) == 0);
    CHECK(table_add_stack(t, w1, fr, 2, 40) == 0);
    CHECK(table_add_stack(t, clash, fr, 1, 5) == 0);
    CHECK(table_pid_count(t) == 4);
    uint32_t *order;
    size_t n;
    CHECK(table_threads_by_tid(t, &order, &n) == 0 && n == 4);
    CHECK(order[0] == own && order[1] == w0 && order[2] == w1 && order[3] == clash);
    free(order);
    const writer_fn writers[] = {collapsed_write, speedscope_write, pprof_write};
    for (size_t i = 0; i < sizeof writers / sizeof *writers; i++) {
        struct profile *p;
        struct table *r = through(writers[i], t, &p);
        struct profile_meta m;
        profile_get_meta(p, &m);
        CHECK(m.pid == 7);
        CHECK(table_thread_count(r) == 4 && table_pid_count(r) == 4);
        const uint32_t pids[4] = {0, 900, 901, 902};
        const uint64_t tids[4] = {11, 900, 901, 11}, counts[4] = {3, 20, 40, 5};
        for (int k = 0; k < 4; k++) {
            uint32_t th = table_thread_find_of(r, pids[k], tids[k]);
            if (th == TABLE_NONE || table_thread_samples(r, th) != counts[k])
                fprintf(stderr, "writer %zu: thread (%u, %llu) lost\n", i, (unsigned)pids[k],
                        (unsigned long long)tids[k]);
            CHECK(th != TABLE_NONE && table_thread_samples(r, th) == counts[k]);
        }
        table_free(r);
        profile_free(p);
    }
    table_free(t);
}

/* proftui's collapsed forms, old and new: "P<pid>" or "P<pid> <name>"
 * (a named process), "# thread: TID" or "# thread: TID (pid PID)": the
 * same thread (pid, tid), its samples and its failures by reason. */
static void test_process_frame_forms(void)
{
    static const char *const texts[] = {
        "# proftui: 0.1.0\n# pid: 7 (launched)\n"
        "# thread: 11 \"MainThread\" 3 samples, 1 failed (torn 1, cycle 0, corrupt 0, read 0)\n"
        "P900;T11 MainThread;work (pool.py:5) 2\nP900;T11 MainThread;[unreadable] 1\n",
        "# proftui: 0.1.0\n# pid: 7 (launched)\n"
        "# thread: 11 (pid 900) \"MainThread\" 3 samples, 1 failed (torn 1, cycle 0, corrupt 0, "
        "read 0)\n"
        "P900 python3 pool.py --x;T11 MainThread;work (pool.py:5) 2\n"
        "P900 python3 pool.py --x;T11 MainThread;[unreadable] 1\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        struct profile *p = profile_new();
        char err[IMPORT_ERR_MAX] = "";
        CHECK(import_buffer((const uint8_t *)texts[i], strlen(texts[i]), "mem", p, err, sizeof err) == 0);
        struct table *r = table_new();
        CHECK(profile_sync(p, r, NULL) == 0);
        uint32_t th = table_thread_find_of(r, 900, 11);
        CHECK(th != TABLE_NONE && table_thread_count(r) == 1);
        CHECK(th != TABLE_NONE && table_thread_samples(r, th) == 3 &&
              table_thread_failed(r, th, WALK_FAIL_TORN) == 1);
        int work = 0, leaked = 0;              /* the process frame is no function */
        for (uint32_t k = 0; k < table_func_count(r); k++) {
            work += strcmp(table_func_name(r, k), "work") == 0;
            leaked += table_func_name(r, k)[0] == 'P';
        }
        CHECK(work == 1 && leaked == 0);
        table_free(r);
        profile_free(p);
    }
}

int main(void)
{
    test_json_grammar();
    test_json_strings();
    test_pbread();
    test_collapsed_round_trip();
    test_processes_round_trip();
    test_process_frame_forms();
    return check_report("import");
}
