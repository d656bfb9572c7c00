/* SPDX-License-Identifier: MIT */
/* Kept thread states (walker_list_still) against a real interpreter:
 * starts the python given on the command line with four threads blocked
 * in known stacks (the list, newest first: te, tc, tb, ta, main), and
 * checks that
 * - a round with every thread marked still keeps no thread state unless
 *   the list is marked still too; then it keeps every one, finds the same
 *   stacks, and reads fewer bytes; a state read longer ago than the
 *   walker keeps them (walker_keep_for) is read again;
 * - after tb ended (it unlinked itself: the state before it in the list,
 *   tc's, now links past it), a round that marks every other thread still
 *   and the list still keeps te's state (the next one, tc, is still) but
 *   not tc's (its next one ran), and finds the four stacks left;
 * - a thread started since (at the head of the list) is found even when
 *   the caller wrongly says the list is still.
 * Exit 77 (skip) when the interpreter has no layout table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "pychild.h"
#include "walker.h"
#include "walkshape.h"

#define DEADLINE_MS 30000
#define ROUNDS 100
#define MAXS 8
#define KEEP_LONG_NS 60000000000ULL     /* longer than any phase, however slow */

/* Each phase prints its name once every thread is about to block. */
static const char script[] =
    "import sys, threading\n"
    "print('version', sys.version_info[0], sys.version_info[1], flush=True)\n"
    "ready = threading.Semaphore(0)\n"
    "evs = {n: threading.Event() for n in ('a', 'b', 'c', 'd', 'e')}\n"
    "def park(ev):\n"
    "    ready.release()\n"
    "    ev.wait()\n"
    "def ta():\n"
    "    park(evs['a'])\n"
    "def tb():\n"
    "    park(evs['b'])\n"
    "def tc():\n"
    "    park(evs['c'])\n"
    "def td():\n"
    "    park(evs['d'])\n"
    "def te():\n"
    "    park(evs['e'])\n"
    "def start(fn):\n"
    "    t = threading.Thread(target=fn, daemon=True)\n"
    "    t.start()\n"
    "    ready.acquire()\n"
    "    return t\n"
    "def main_wait(name):\n"
    "    print(name, flush=True)\n"
    "    sys.stdin.readline()\n"
    "start(ta)\n"
    "b = start(tb)\n"
    "start(tc)\n"
    "start(te)\n"
    "main_wait('one')\n"
    "evs['b'].set()\n"
    "b.join()\n"
    "main_wait('two')\n"
    "start(td)\n"
    "main_wait('three')\n";

/* Rounds until the stacks hold main_wait and every function of names, and
 * a second round reads them alike. Returns the count, 0 when not reached. */
static int steady(struct walker *w, const char *const *names, int nnames, struct walkshape *s)
{
    struct walkshape prev[MAXS];
    int nprev = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int n = walker_round(w);
        int k = n > 0 ? walkshape_of(w, n, s, MAXS) : 0;
        int ok = k == nnames + 1 && walkshape_find(s, k, "main_wait") >= 0;
        for (int i = 0; ok && i < nnames; i++)
            ok = walkshape_find(s, k, names[i]) >= 0;
        for (int i = 0; ok && i < k; i++)
            ok = s[i].depth > 0;
        int same = ok && nprev == k;
        for (int i = 0; same && i < k; i++)
            same = walkshape_same(&prev[i], &s[i]);
        if (same)
            return k;
        memcpy(prev, s, sizeof prev[0] * (size_t)k);
        nprev = ok ? k : 0;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* One round with the marks given (still[i] for the last round's stack i)
 * and the list mark: its shapes into s, its count; its bytes read. */
static int marked_round(struct walker *w, const int *still, int n, int list, struct walkshape *s,
                        unsigned long *bytes)
{
    unsigned sys;
    for (int i = 0; i < n; i++)
        walker_still(w, i, still[i]);
    walker_list_still(w, list);
    int m = walker_round(w);
    walker_round_cost(w, &sys, bytes);
    return m > 0 ? walkshape_of(w, m, s, MAXS) : 0;
}

static void phase_one(struct walker *w, int minor, struct walkshape *fresh)
{
    static const char *const names[] = {"ta", "tb", "tc", "te"};
    const int all[MAXS] = {1, 1, 1, 1, 1, 1, 1, 1};
    struct walkshape s[MAXS];
    unsigned long copy_bytes = 0, keep_bytes = 0;
    check_context("3.%d phase one", minor);
    int n = steady(w, names, 4, fresh);
    CHECKF(n == 5, "the five threads' stacks were not read alike twice in %d rounds", ROUNDS);
    if (n != 5)
        return;
    int m = marked_round(w, all, n, 0, s, &copy_bytes);
    CHECKF(m == n, "the round with still threads found %d stacks", m);
    for (int i = 0; i < m; i++)
        CHECKF(!s[i].kept && walkshape_same(&s[i], &fresh[i]),
               "stack %d: kept %d without the list's mark, or not the same", i, s[i].kept);
    for (int pass = 0; pass < 2; pass++) {      /* kept, then kept from kept */
        m = marked_round(w, all, n, 1, s, &keep_bytes);
        CHECKF(m == n, "pass %d: the round with the list still found %d stacks", pass, m);
        for (int i = 0; i < m; i++)
            CHECKF(s[i].kept && walkshape_same(&s[i], &fresh[i]),
                   "pass %d: stack %d kept %d, or not the same", pass, i, s[i].kept);
        CHECKF(keep_bytes < copy_bytes, "pass %d: %lu bytes read with the states kept, %lu without",
               pass, keep_bytes, copy_bytes);
    }
    printf("3.%d: a round that copied the stacks read %lu bytes, one that kept the states too %lu\n",
           minor, copy_bytes, keep_bytes);
    /* older than the walker keeps a state (its first read was three
     * rounds ago): read again */
    walker_keep_for(w, 1000000);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    m = marked_round(w, all, n, 1, s, &keep_bytes);
    walker_keep_for(w, KEEP_LONG_NS);
    CHECKF(m == n, "the late round found %d stacks", m);
    for (int i = 0; i < m; i++)
        CHECKF(!s[i].kept && walkshape_same(&s[i], &fresh[i]),
               "stack %d kept %d 20 ms after its read, with 1 ms allowed, or not the same", i,
               s[i].kept);
}

/* tb ended: the last round (before) had it; main ran too. */
static void phase_two(struct walker *w, int minor, const struct walkshape *before, int n)
{
    static const char *const names[] = {"ta", "tc", "te"};
    struct walkshape s[MAXS];
    unsigned long bytes;
    int still[MAXS];
    check_context("3.%d phase two", minor);
    int b = walkshape_find(before, n, "tb"), c = walkshape_find(before, n, "tc"), e = walkshape_find(before, n, "te");
    int mw = walkshape_find(before, n, "main_wait");
    CHECKF(b >= 0 && c >= 0 && e >= 0 && mw >= 0, "the last round lacked a thread");
    /* the list is newest first: te, tc, tb, ta, main */
    CHECKF(e + 1 == c && c + 1 == b, "the list's order: te %d, tc %d, tb %d", e, c, b);
    if (b < 0 || c < 0 || e < 0 || mw < 0 || e + 1 != c || c + 1 != b)
        return;
    for (int i = 0; i < n; i++)
        still[i] = i != b && i != mw;
    int m = marked_round(w, still, n, 1, s, &bytes);
    CHECKF(m == 4, "the round after tb ended found %d stacks", m);
    CHECKF(walkshape_find(s, m, "tb") < 0, "tb's stack is still there");
    for (int i = 0; i < 3; i++)
        CHECKF(walkshape_find(s, m, names[i]) >= 0, "%s's stack is gone", names[i]);
    int nc = walkshape_find(s, m, "tc"), ne = walkshape_find(s, m, "te");
    if (nc >= 0)
        CHECKF(!s[nc].kept && walkshape_same(&s[nc], &before[c]),
               "tc's state kept (%d) though the next one ran, or its stack changed", s[nc].kept);
    if (ne >= 0)
        CHECKF(s[ne].kept && walkshape_same(&s[ne], &before[e]),
               "te's state not kept (%d) though it and the next one were still, or its stack changed",
               s[ne].kept);
    (void)steady(w, names, 3, s);
}

/* td started (at the head of the list): found though the caller says the
 * list is still. */
static void phase_three(struct walker *w, int minor, int n)
{
    static const char *const names[] = {"ta", "tc", "td", "te"};
    struct walkshape s[MAXS];
    unsigned long bytes;
    const int all[MAXS] = {1, 1, 1, 1, 1, 1, 1, 1};
    check_context("3.%d phase three", minor);
    int m = marked_round(w, all, n, 1, s, &bytes);
    CHECKF(m == 5 && walkshape_find(s, m, "td") >= 0, "the round after td started found %d stacks, td's %s",
           m, walkshape_find(s, m, "td") >= 0 ? "among them" : "not");
    CHECKF(steady(w, names, 4, s) == 5, "the five stacks were not read alike twice");
}

static int run(struct pychild *c, int minor, struct walker *w)
{
    char line[256];
    struct walkshape before[MAXS];
    if (pychild_read_line(c, line, sizeof line, pychild_now_ms() + DEADLINE_MS) != 0 ||
        strcmp(line, "one") != 0) {
        CHECKF(0, "the target did not reach phase one");
        return 0;
    }
    walker_keep_for(w, KEEP_LONG_NS);        /* phases as slow as a busy machine makes them */
    phase_one(w, minor, before);
    int n = walkshape_of(w, walker_round(w), before, MAXS);
    if (write(c->in, "\n", 1) != 1 ||
        pychild_read_line(c, line, sizeof line, pychild_now_ms() + DEADLINE_MS) != 0 ||
        strcmp(line, "two") != 0) {
        CHECKF(0, "the target did not reach phase two");
        return 0;
    }
    phase_two(w, minor, before, n);
    n = walker_round(w);
    if (write(c->in, "\n", 1) != 1 ||
        pychild_read_line(c, line, sizeof line, pychild_now_ms() + DEADLINE_MS) != 0 ||
        strcmp(line, "three") != 0) {
        CHECKF(0, "the target did not reach phase three");
        return 0;
    }
    phase_three(w, minor, n);
    return 0;
}

int main(int argc, char **argv)
{
    return pychild_walker_main(argc, argv, script, "walkkeep_live", run);
}
