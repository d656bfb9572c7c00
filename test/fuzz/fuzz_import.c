/* SPDX-License-Identifier: MIT */
/* Fuzz target: the saved-profile loaders (import.h). The first byte
 * chooses what runs on the rest:
 *   0 import_buffer: detection, gzip, every loader;
 *   1 json_parse, then every node visited and every string decoded;
 *   2 the pprof loader (pbread) directly;
 *   3 the collapsed-stack loader directly;
 *   4 the speedscope loader directly;
 *   5 the pprof loader directly, reading every state (import_file_states)
 *     as in a file proftui wrote.
 * Invariants: a load either succeeds with the samples it counted in the
 * table, or fails with a one-line message naming the input; parsed JSON
 * nodes nest properly and decoded strings are bounded, NUL-terminated,
 * valid UTF-8. Violations abort. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "import.h"
#include "json.h"
#include "profile.h"
#include "table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void violation(const char *what)
{
    fprintf(stderr, "fuzz_import: invariant broken: %s\n", what);
    abort();
}

static void check_json(const uint8_t *d, size_t n)
{
    struct json j;
    size_t where;
    const char *why;
    int rc = json_parse(&j, (const char *)d, n, &where, &why);
    if (rc == ERR_INPUT && (where > n || !why))
        violation("json error offset past the end or no reason");
    for (size_t i = 0; rc == 0 && i < j.count; i++) {
        const struct json_node *x = &j.n[i];
        if (x->next <= i || x->next > j.count || (size_t)x->start + x->len > n)
            violation("json node out of bounds");
        if (x->type >= JSON_ARRAY) {
            uint32_t k = json_first(&j, (uint32_t)i), seen = 0;
            for (; k != JSON_NONE; k = json_next(&j, (uint32_t)i, k))
                seen++;
            if (seen != x->count || (x->type == JSON_OBJECT && seen % 2))
                violation("json children count");
        }
        char buf[64];
        long len = json_string(&j, (uint32_t)i, buf, sizeof buf);
        if (len >= (long)sizeof buf || (len >= 0 && (buf[len] != '\0' || strlen(buf) != (size_t)len ||
                                                     import_utf8_check((const unsigned char *)buf, (size_t)len) != (size_t)len)))
            violation("json string not bounded, NUL-terminated, valid UTF-8");
    }
    json_free(&j);
}

static void check_load(uint8_t which, const uint8_t *d, size_t n)
{
    struct profile *p = profile_new();
    if (!p)
        return;
    char err[IMPORT_ERR_MAX] = "";
    int rc;
    if (which == 0) {
        rc = import_buffer(d, n, "fuzz", p, err, sizeof err);
    } else {
        struct profile_meta m = {0};
        struct frame_key *frames = malloc(IMPORT_DEPTH_MAX * sizeof *frames);
        if (!frames) {
            profile_free(p);
            return;
        }
        struct import_ctx c = {.t = profile_table(p), .meta = &m, .name = "fuzz", .err = err,
                               .cap = sizeof err, .frames = frames, .states = which == 5};
        if (which == 5)
            snprintf(m.writer, sizeof m.writer, "fuzz");     /* as "proftui: V" would */
        rc = which == 2 || which == 5 ? import_pprof(&c, d, n)
           : which == 3 ? import_folded(&c, (const char *)d, n)
           : import_speedscope(&c, (const char *)d, n);
        if (rc == 0 && c.total != table_samples(c.t))
            violation("samples counted and samples in the table differ");
        import_ctx_release(&c);
        free(frames);
    }
    if (rc < 0 && rc != ERR_NOMEM && (strncmp(err, "fuzz: ", 6) != 0 || strchr(err, '\n')))
        violation("a failure without a one-line message naming the input");
    if (rc == 0) {
        uint64_t sum = 0;
        const struct table *t = profile_table(p);
        for (size_t i = 0; i < table_thread_count(t); i++)
            sum += table_thread_samples(t, (uint32_t)i);
        if (sum != table_samples(t))
            violation("thread samples do not add up");
    }
    profile_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] % 6 == 1)
        check_json(data + 1, size - 1);
    else
        check_load(data[0] % 6, data + 1, size - 1);
    return 0;
}
