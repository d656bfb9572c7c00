/* SPDX-License-Identifier: MIT */
/* The code cache against a real interpreter running more code objects
 * than the cache's first slots hold (10,000 functions: more than half of
 * 8,192): each is loaded once, by its name, a hundred a round as a
 * sampler meets them; a second pass over all of them finds every one
 * still cached (no load), with the same name and first line. A cache that
 * does not grow reloads a few thousand of them in the second pass.
 * Exit 77 (skip) when the interpreter has no layout table. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codecache.h"
#include "error.h"
#include "pychild.h"
#include "pytarget.h"

#define DEADLINE_MS 30000
#define FUNCS 10000
#define PER_ROUND 100

/* FUNCS functions f00000.. defined at lines 1.., their code objects'
 * addresses printed one a line, then "done"; it waits for its stdin to
 * close. */
static const char script[] =
    "import sys\n"
    "print('version', sys.version_info[0], sys.version_info[1], flush=True)\n"
    "src = ''.join('def f%05d():\\n    return %d\\n' % (i, i) for i in range(10000))\n"
    "ns = {}\n"
    "exec(compile(src, 'many.py', 'exec'), ns)\n"
    "out = [hex(id(ns['f%05d' % i].__code__)) for i in range(10000)]\n"
    "print('\\n'.join(out), flush=True)\n"
    "print('done', flush=True)\n"
    "sys.stdin.readline()\n";

/* One pass over every code object, PER_ROUND a round: the entries'
 * names and first lines checked; the loads it took. */
static uint64_t pass(struct codecache *cache, struct pytarget *t, const uint64_t *addr, size_t *bad)
{
    uint64_t hits0, loads0, hits, loads;
    codecache_stats(cache, &hits0, &loads0);
    for (size_t i = 0; i < FUNCS; i++) {
        if (i % PER_ROUND == 0)
            codecache_new_round(cache);
        struct code_entry *e = NULL;
        char want[16];
        snprintf(want, sizeof want, "f%05zu", i);
        int rc = codecache_get(cache, t, addr[i], NULL, 0, &e);
        if (rc < 0 || !e->name || strcmp(e->name, want) != 0 || e->firstlineno != (int32_t)(2 * i + 1)) {
            if (*bad < 5)
                fprintf(stderr, "%s: %s, name %s, first line %d\n", want, err_str(rc),
                        rc == 0 && e->name ? e->name : "-", rc == 0 ? e->firstlineno : -1);
            ++*bad;
        }
    }
    codecache_stats(cache, &hits, &loads);
    return loads - loads0;
}

static int run(struct pychild *c, int minor, void *arg)
{
    (void)minor;
    (void)arg;
    static uint64_t addr[FUNCS];
    char line[64];
    size_t n = 0;
    int64_t deadline = pychild_now_ms() + DEADLINE_MS;
    while (pychild_read_line(c, line, sizeof line, deadline) == 0 && strcmp(line, "done") != 0)
        if (n < FUNCS && sscanf(line, "%" SCNx64, &addr[n]) == 1)
            n++;
    CHECKF(n == FUNCS, "the child named %zu code objects, not %d", n, FUNCS);
    struct pytarget *t = NULL;
    int rc = pychild_target(c, &t);
    if (rc)
        return rc;
    struct codecache *cache = codecache_new();
    CHECKF(cache != NULL, "codecache_new");
    if (n == FUNCS && cache) {
        size_t bad = 0;
        uint64_t first = pass(cache, t, addr, &bad), second = pass(cache, t, addr, &bad);
        CHECKF(bad == 0, "%zu code objects read wrong", bad);
        CHECKF(first == FUNCS, "the first pass loaded %" PRIu64 " code objects, not %d", first, FUNCS);
        CHECKF(second == 0, "the second pass loaded %" PRIu64 " code objects again, not 0", second);
    }
    codecache_free(cache);
    pytarget_free(t);
    return 0;
}

int main(int argc, char **argv)
{
    return pychild_versioned_main(argc, argv, script, "codecache_live", run, NULL);
}
