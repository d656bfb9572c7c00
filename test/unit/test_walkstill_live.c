/* SPDX-License-Identifier: MIT */
/* Copied stacks (walker_still) against a real interpreter: starts the
 * python given on the command line with two threads blocked in known
 * stacks, and checks that
 * - a round with every stack marked still copies them (3.11+; never on
 *   <= 3.10): the same frames and lines as a fresh read, the read time of
 *   the stack copied, and fewer bytes read than a round that reads them,
 *   and fewer again in a second such round (the code objects only copied
 *   stacks have are not read either);
 * - the round after, unmarked, reads them again (and finds them the same);
 * - after both threads moved to other stacks (one deeper), a false mark
 *   copies nothing on 3.13+, where the thread state's current frame moved,
 *   and an honest round reads the new stacks.
 * Exit 77 (skip) when the interpreter has no layout table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "codecache.h"
#include "error.h"
#include "pychild.h"
#include "pytarget.h"
#include "walker.h"
#include "walkshape.h"

#define DEADLINE_MS 30000
#define ROUNDS 100

/* Each phase prints its name once both threads are about to block. */
static const char script[] =
    "import sys, threading\n"
    "print('version', sys.version_info[0], sys.version_info[1], flush=True)\n"
    "ev1, ev2, ready = threading.Event(), threading.Event(), threading.Semaphore(0)\n"
    "def park(ev):\n"
    "    ready.release()\n"
    "    ev.wait()\n"
    "def first():\n"
    "    park(ev1)\n"
    "def deeper():\n"
    "    park(ev2)\n"
    "def second():\n"
    "    deeper()\n"
    "def sleeper():\n"
    "    first()\n"
    "    second()\n"
    "def main_wait(name):\n"
    "    ready.acquire()\n"
    "    print(name, flush=True)\n"
    "    sys.stdin.readline()\n"
    "def main_deeper(name):\n"
    "    main_wait(name)\n"
    "t = threading.Thread(target=sleeper, daemon=True)\n"
    "t.start()\n"
    "main_wait('one')\n"
    "ev1.set()\n"
    "main_deeper('two')\n"
    "ev2.set()\n";

/* Rounds until two stacks hold readline's and Event.wait's callers, as
 * the phase's functions say, and a second round reads them alike (the
 * plan is then steady: the next round's batch holds them). Returns the
 * count, 0 when not reached. */
static int steady(struct walker *w, const char *main_fn, const char *thread_fn, struct walkshape *s,
                  int max, unsigned long *bytes)
{
    struct walkshape prev[4];
    int nprev = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int n = walker_round(w);
        unsigned sys;
        walker_round_cost(w, &sys, bytes);
        int k = n > 0 ? walkshape_of(w, n, s, max) : 0;
        int ok = k == 2 && walkshape_find(s, k, main_fn) >= 0 && walkshape_find(s, k, thread_fn) >= 0 && s[0].depth > 0 &&
                 s[1].depth > 0;
        if (ok && nprev == k && walkshape_same(&prev[0], &s[0]) && walkshape_same(&prev[1], &s[1]))
            return k;
        memcpy(prev, s, sizeof prev[0] * (size_t)k);
        nprev = ok ? k : 0;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void phase(struct walker *w, int minor, const char *name, const char *main_fn,
                  const char *thread_fn)
{
    struct walkshape fresh[4], copy[4], again[4];
    unsigned long read_bytes = 0, copy_bytes = 0;
    unsigned sys;
    check_context("3.%d phase %s", minor, name);
    int n = steady(w, main_fn, thread_fn, fresh, 4, &read_bytes);
    CHECKF(n == 2, "the two threads' stacks were not read alike twice in %d rounds", ROUNDS);
    if (n != 2)
        return;
    for (int i = 0; i < n; i++)
        CHECKF(!fresh[i].copied, "stack %d copied without a mark", i);
    for (int i = 0; i < n; i++)
        walker_still(w, i, 1);
    int m = walker_round(w);
    walker_round_cost(w, &sys, &copy_bytes);
    CHECKF(m == n && walkshape_of(w, m, copy, 4) == n, "the marked round found %d stacks", m);
    for (int i = 0; i < n && m == n; i++) {
        CHECKF(walkshape_same(&copy[i], &fresh[i]), "stack %d differs from the fresh read", i);
        if (minor <= 10) {
            CHECKF(!copy[i].copied, "stack %d copied on 3.%d", i, minor);
            continue;
        }
        CHECKF(copy[i].copied, "stack %d not copied", i);
        CHECKF(copy[i].read_ns == fresh[i].read_ns, "stack %d: read at %llu, copied from %llu", i,
               (unsigned long long)copy[i].read_ns, (unsigned long long)fresh[i].read_ns);
    }
    if (minor > 10)
        CHECKF(copy_bytes < read_bytes, "the marked round read %lu bytes, a reading one %lu",
               copy_bytes, read_bytes);
    /* marked again: the code objects only copied stacks have are not read
     * again either (their frames hold them) */
    unsigned long copy2_bytes = 0;
    for (int i = 0; i < n; i++)
        walker_still(w, i, 1);
    m = walker_round(w);
    walker_round_cost(w, &sys, &copy2_bytes);
    CHECKF(m == n && walkshape_of(w, m, copy, 4) == n, "the second marked round found %d stacks", m);
    for (int i = 0; i < n && m == n; i++) {
        CHECKF(walkshape_same(&copy[i], &fresh[i]), "stack %d differs from the fresh read", i);
        CHECKF(copy[i].copied == (minor > 10), "stack %d copied: %d", i, copy[i].copied);
    }
    if (minor > 10)
        CHECKF(copy2_bytes < copy_bytes, "the second marked round read %lu bytes, the first %lu",
               copy2_bytes, copy_bytes);
    printf("3.%d %s: a round read %lu bytes, one that copied both stacks %lu, the next %lu\n",
           minor, name, read_bytes, copy_bytes, copy2_bytes);
    m = walker_round(w);
    CHECKF(m == n && walkshape_of(w, m, again, 4) == n, "the round after found %d stacks", m);
    for (int i = 0; i < n && m == n; i++) {
        CHECKF(!again[i].copied, "stack %d copied again without a mark", i);
        CHECKF(walkshape_same(&again[i], &fresh[i]), "stack %d differs when read again", i);
        CHECKF(again[i].read_ns > fresh[i].read_ns, "stack %d: not read again", i);
    }
}

/* Both threads moved since the last round: a false mark must not copy on
 * 3.13+ (the thread state's current frame is another). */
static void false_marks(struct walker *w, int minor, const struct walkshape *before, int n)
{
    check_context("3.%d false marks", minor);
    for (int i = 0; i < n; i++)
        walker_still(w, i, 1);
    struct walkshape s[4];
    int m = walker_round(w);
    CHECKF(m == n && walkshape_of(w, m, s, 4) == n, "the round found %d stacks", m);
    for (int i = 0; i < n && m == n; i++) {
        if (minor >= 13)
            CHECKF(!s[i].copied && !walkshape_same(&s[i], &before[i]),
                   "stack %d copied (%d) or unchanged after its thread moved", i, s[i].copied);
    }
}

static int run(struct pychild *c, int minor, struct walker *w)
{
    char line[256];
    if (pychild_read_line(c, line, sizeof line, pychild_now_ms() + DEADLINE_MS) == 0 &&
        strcmp(line, "one") == 0) {
        phase(w, minor, "one", "main_wait", "first");
        struct walkshape before[4];
        int n = walkshape_of(w, walker_round(w), before, 4);
        /* both move: the thread one call deeper, main one call deeper */
        if (write(c->in, "\n", 1) == 1 &&
            pychild_read_line(c, line, sizeof line, pychild_now_ms() + DEADLINE_MS) == 0 &&
            strcmp(line, "two") == 0) {
            struct timespec ts = {0, 50 * 1000 * 1000};     /* both blocked again */
            nanosleep(&ts, NULL);
            false_marks(w, minor, before, n);
            phase(w, minor, "two", "main_deeper", "deeper");
        } else {
            CHECKF(0, "the target did not reach phase two");
        }
    } else {
        CHECKF(0, "the target did not reach phase one");
    }
    return 0;
}

int main(int argc, char **argv)
{
    return pychild_walker_main(argc, argv, script, "walkstill_live", run);
}
