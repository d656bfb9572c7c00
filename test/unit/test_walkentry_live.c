/* SPDX-License-Identifier: MIT */
/* The walker's entry markers (walk_frame.entry) against a real interpreter:
 * starts the python given on the command line, stops it in three stacks
 * (a key function called by sorted(), a generator run by list(), a plain
 * Python call) and checks that exactly the frames the interpreter entered
 * from C are marked: every frame on <= 3.10, else the root and the frames
 * a C function called (the key function, the generator); on 3.12+ each
 * marked frame carries its evaluation call's C-stack entry frame, on the
 * thread's stack, outer calls higher up. When gdb is there, the mixed
 * stack is merged (nmerge_stack) with gdb's native stack of the same
 * moment: by address every Python frame is placed, by name too where the
 * evaluation loop has its name. Exit 77 (skip)
 * when the interpreter has no layout table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "codecache.h"
#include "error.h"
#include "nmerge.h"
#include "pychild.h"
#include "pytarget.h"
#include "walker.h"

#define DEADLINE_MS 30000
#define ROUNDS 50
#define GDB_FRAMES 96

/* Each phase prints its name, then waits for a line inside g(). */
static const char script[] =
    "import sys\n"
    "print('version', sys.version_info[0], sys.version_info[1], flush=True)\n"
    "def g(name):\n"
    "    print(name, flush=True)\n"
    "    sys.stdin.readline()\n"
    "def key(x):\n"
    "    g('sorted')\n"
    "    return x\n"
    "def gen():\n"
    "    g('generator')\n"
    "    yield 1\n"
    "def plain():\n"
    "    g('plain')\n"
    "import functools\n"
    "class C:\n"
    "    deep = False\n"
    "    def __init__(self):\n"
    "        if C.deep: g('mixed')\n"
    "    def m(self, x):\n"
    "        C.deep = True\n"
    "        C()\n"
    "    @property\n"
    "    def p(self): return self.m(1)\n"
    "    def __call__(self, y): return self.p\n"
    "def key2(x):\n"
    "    return C()(x)\n"
    "def red(a, b):\n"
    "    return sorted([1], key=key2)\n"
    "sorted([1], key=key)\n"
    "list(gen())\n"
    "plain()\n"
    "functools.reduce(red, [1, 2])\n";

#define MAXF 9

/* A phase: the stack, leaf first, and which frames are entries on 3.11+.
 * Each line of the script runs once, so no call is specialized (3.12+
 * would run a property's getter or an __init__ in the caller's loop). */
struct phase {
    const char *name;
    int depth;
    const char *frames[MAXF];
    int entry[MAXF];
};

static const struct phase phases[] = {
    {"sorted", 3, {"g", "key", "<module>"}, {0, 1, 1}},
    {"generator", 3, {"g", "gen", "<module>"}, {0, 1, 1}},
    {"plain", 3, {"g", "plain", "<module>"}, {0, 0, 1}},
    /* __init__ by type_call, the getter by property_descr_get, __call__ by
     * slot_tp_call, key2 by list.sort, red by functools.reduce: six calls
     * of the evaluation loop (gdb counts six _PyEval_EvalFrameDefault
     * frames on 3.11-3.15, eight on 3.8-3.10) */
    {"mixed", 8, {"g", "__init__", "m", "p", "__call__", "key2", "red", "<module>"},
     {0, 1, 0, 1, 1, 1, 1, 1}},
};

/* The main thread's stack, read without failure within ROUNDS rounds. */
static const struct walk_stack *main_stack(struct walker *w, pid_t pid)
{
    for (int round = 0; round < ROUNDS; round++) {
        int n = walker_round(w);
        for (int i = 0; i < n; i++) {
            const struct walk_stack *ws = walker_stack(w, i);
            if ((ws->tid == (uint64_t)pid || n == 1) && !ws->failed && ws->depth > 0)
                return ws;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* The main thread's stack mapping of process pid ([stack] in its maps). */
static int stack_range(pid_t pid, uint64_t *lo, uint64_t *hi)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f)) {
        unsigned long long a, b;
        found = strstr(line, "[stack]") && sscanf(line, "%llx-%llx", &a, &b) == 2;
        if (found) {
            *lo = a;
            *hi = b;
        }
    }
    if (f)
        fclose(f);
    return found;
}

/* 3.12+: each entry frame knows its evaluation call's C-stack entry frame,
 * on the thread's stack, outer calls higher up; no other frame does. */
static void check_cstack(const struct walk_stack *ws, int minor, pid_t pid)
{
    uint64_t lo = 0, hi = 0, last = 0;
    CHECKF(stack_range(pid, &lo, &hi), "no [stack] mapping");
    for (int d = 0; d < ws->depth; d++) {
        const struct walk_frame *f = &ws->frames[d];
        if (minor < 12 || !f->entry) {
            CHECKF(f->cstack == 0, "frame %d: C-stack address %llx", d,
                   (unsigned long long)f->cstack);
            continue;
        }
        CHECKF(f->cstack >= lo && f->cstack < hi && f->cstack > last,
               "frame %d: C-stack address %llx, stack %llx-%llx, the callee's %llx", d,
               (unsigned long long)f->cstack, (unsigned long long)lo, (unsigned long long)hi,
               (unsigned long long)last);
        last = f->cstack;
    }
}

static void check_phase(const struct phase *ph, const struct walk_stack *ws, int minor, pid_t pid)
{
    check_context("3.%d %s", minor, ph->name);
    CHECKF(ws != NULL, "no stack of the main thread");
    if (!ws)
        return;
    CHECK_EQ(ws->depth, ph->depth);
    for (int d = 0; d < ws->depth && d < ph->depth; d++) {
        const char *name = ws->frames[d].code->name;
        const char *dot = strrchr(name, '.');
        CHECKF(strcmp(dot ? dot + 1 : name, ph->frames[d]) == 0, "frame %d is %s, not %s", d,
               name, ph->frames[d]);
        int want = minor <= 10 ? 1 : ph->entry[d];
        CHECKF(ws->frames[d].entry == want, "frame %d (%s): entry %d, want %d", d, name,
               ws->frames[d].entry, want);
    }
    check_cstack(ws, minor, pid);
}

/* The native stack of process pid's main thread as gdb sees it (names
 * from its symbol tables, "??" none; each frame's stack pointer), for the
 * merge. Returns the frame count, 0 when there is no gdb or it gave none. */
static int gdb_stack(pid_t pid, struct nsym *nat, uint64_t *sps, char names[][96])
{
    static char cmd[GDB_FRAMES * 40 + 256], line[1024];
    int len = snprintf(cmd, sizeof cmd, "gdb -q -batch -nx -p %d -ex 'set width 0' "
                       "-ex 'set pagination off'", (int)pid);
    for (int i = 0; i < GDB_FRAMES; i++)
        len += snprintf(cmd + len, sizeof cmd - (size_t)len, " -ex 'frame %d' -ex 'p/x $sp'", i);
    snprintf(cmd + len, sizeof cmd - (size_t)len, " </dev/null 2>/dev/null");
    FILE *f = popen(cmd, "r");
    int n = 0, cur = -1;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long sp;
        if (line[0] == '#' && n < GDB_FRAMES) {
            char *p = line + 1 + strspn(line + 1, "0123456789");
            p += strspn(p, " ");
            char *in = strncmp(p, "0x", 2) == 0 ? strstr(p, " in ") : NULL;
            p = in ? in + 4 : p;
            size_t k = strcspn(p, " (\n");
            k = k < 95 ? k : 95;
            memcpy(names[n], p, k);
            names[n][k] = 0;
            const char *from = strstr(p, ") from ");
            nat[n] = (struct nsym){.name = strcmp(names[n], "??") ? names[n] : NULL,
                                   .module = "", .interp = !from || strstr(from, "libpython")};
            cur = n++;
        } else if (line[0] == '$' && cur >= 0 && sscanf(line, "$%*d = 0x%llx", &sp) == 1) {
            sps[cur] = sp;
            cur = -1;
        }
    }
    if (f)
        pclose(f);
    return n;
}

/* The merge on the real stacks: the walker's Python stack and gdb's native
 * one. By address (3.12+) every Python frame must be placed, in order,
 * whatever the evaluation loop's name; by name too where the loop is named
 * (not Debian's static 3.14/3.15), with the same result. */
static void check_merge(const struct walk_stack *ws, pid_t pid, int minor)
{
    static struct nsym nat[GDB_FRAMES];
    static uint64_t sps[GDB_FRAMES];
    static char names[GDB_FRAMES][96];
    static struct nmerge_item by_addr[GDB_FRAMES + WALK_MAX_DEPTH], by_name[GDB_FRAMES + WALK_MAX_DEPTH];
    int nn = ws ? gdb_stack(pid, nat, sps, names) : 0;
    if (nn < 8) {
        fprintf(stderr, "no native stack from gdb (%d frames): merge not checked\n", nn);
        return;
    }
    int max = GDB_FRAMES + WALK_MAX_DEPTH;
    int na = nmerge_stack(nat, sps, nn, 1, ws, by_addr, max);
    int nb = nmerge_stack(nat, NULL, nn, 1, ws, by_name, max);
    CHECKF(na > 0, "3.%d: the merge by address refused the real stack (%d)", minor, na);
    int d = 0;
    for (int i = 0; i < na; i++) {
        if (!by_addr[i].py)
            continue;
        CHECKF(by_addr[i].py == &ws->frames[d], "3.%d: item %d is not Python frame %d", minor,
               i, d);
        d++;
    }
    CHECKF(na <= 0 || (d == ws->depth && by_addr[na - 1].py == &ws->frames[d - 1]),
           "3.%d: %d of %d Python frames placed, or not the root last", minor, d, ws->depth);
    CHECKF(nb == ERR_CORRUPT || (nb == na && memcmp(by_name, by_addr, (size_t)na * sizeof *by_name) == 0),
           "3.%d: by name (%d items) and by address (%d) differ", minor, nb, na);
    printf("3.%d: merged %d items (by name: %d)\n", minor, na, nb);
    for (int i = 0; getenv("PROFTUI_TEST_VERBOSE") && i < na; i++)
        printf("  %s\n", by_addr[i].py ? by_addr[i].py->code->name
                        : by_addr[i].native.name ? by_addr[i].native.name : "??");
}

static int run(struct pychild *c, int minor, struct walker *w)
{
    char line[256];
    for (size_t p = 0; p < sizeof phases / sizeof phases[0]; p++) {
        if (p && write(c->in, "\n", 1) != 1)
            break;
        if (pychild_read_line(c, line, sizeof line, pychild_now_ms() + DEADLINE_MS) < 0 || strcmp(line, phases[p].name) != 0) {
            CHECKF(0, "the target did not reach phase %s", phases[p].name);
            break;
        }
        const struct walk_stack *ws = main_stack(w, c->pid);
        check_phase(&phases[p], ws, minor, c->pid);
        if (strcmp(phases[p].name, "mixed") == 0)
            check_merge(ws, c->pid, minor);
    }
    return 0;
}

int main(int argc, char **argv)
{
    return pychild_walker_main(argc, argv, script, "walkentry_live", run);
}
