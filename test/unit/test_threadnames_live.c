/* SPDX-License-Identifier: MIT */
/* threadnames_read() against a real interpreter: starts the python given on
 * the command line with named threads (non-ASCII names, a rename after
 * start, a Thread subclass, a dummy thread, every instance-dict storage
 * shape) and checks that every ident and name we read from its memory is
 * the one the target itself reports. Exit 77 (skip) when the interpreter
 * has no layout table or no ctypes. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "procmem.h"
#include "pychild.h"
#include "pylayout.h"
#include "reader.h"
#include "threadnames.h"

#define SKIP 77
#define DEADLINE_MS 30000
#define MAX_THREADS 128
#define LINE_MAX_ 4096

/* Phase 1 reports the interpreter state before threading is imported;
 * phase 2 (after a line on stdin) starts the threads, waits until all of
 * them are registered in threading._active, and lists them. End of input
 * ends either phase; the threads are daemons and stopped in a finally, so
 * no failure can leave the interpreter waiting for them. */
static const char script[] =
    "import sys\n"
    "try:\n"
    "    import ctypes\n"
    "except ImportError:\n"
    "    print('noctypes', flush=True); sys.exit(0)\n"
    "f = ctypes.pythonapi.PyInterpreterState_Main\n"
    "f.restype = ctypes.c_void_p\n"
    "print('interp', f(), sys.version_info[0], sys.version_info[1],\n"
    "      int('threading' in sys.modules), flush=True)\n"
    "if not sys.stdin.readline():\n"
    "    sys.exit(0)\n"
    "import threading, _thread\n"
    "names = ['cruncher', '\\u0432\\u043e\\u0440\\u043a\\u0435\\u0440-1', '\\u7dda\\u7a0b',\n"
    "         'caf\\xe9', '\\U0001f9f5 spool', 'x' * 100, 'dict-materialised',\n"
    "         'dict-combined', 'many-attrs', 'bad-name']\n"
    "names += ['pool-%d' % i for i in range(40)]\n"
    "stop = threading.Event()\n"
    "ready = threading.Barrier(len(names) + 2)\n"
    "def body():\n"
    "    ready.wait(); stop.wait()\n"
    "class Sub(threading.Thread): pass\n"
    "threads = [(Sub if i % 2 else threading.Thread)(name=n, target=body, daemon=True)\n"
    "           for i, n in enumerate(names)]\n"
    "try:\n"
    "  for t in threads: t.start()\n"
    "  _thread.start_new_thread(lambda: (threading.current_thread(), body()), ())\n"
    "  ready.wait(timeout=20)\n"
    "  by = {t.name: t for t in threads}\n"
    "  by['cruncher'].name = 'renamed after start'\n"
    "  vars(by['dict-materialised'])['extra'] = 1\n"
    "  by['dict-combined'].__dict__[42] = 'a non-str key'\n"
    "  for i in range(40): setattr(by['many-attrs'], 'attr%d' % i, i)\n"
    "  by['dict-combined'].name = 'renamed when combined'\n"
    "  by['many-attrs'].name = 'renamed with many attrs'\n"
    "  by['bad-name']._name = 12345\n"
    "  for t in threading.enumerate():\n"
    "      if isinstance(t._name, str):\n"
    "          print('thread', t.ident, t._name.encode('utf-8', 'surrogatepass').hex())\n"
    "      else:\n"
    "          print('noname', t.ident)\n"
    "  print('ready', flush=True)\n"
    "  sys.stdin.readline()\n"
    "finally:\n"
    "  stop.set()\n";

struct expect {
    uint64_t ident;
    char name[256];           /* empty: the thread has no str name */
};

static int failures;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);            \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
            failures++;                                                     \
        }                                                                   \
    } while (0)

static int hex_decode(const char *hex, char *out, size_t cap)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 >= cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (char)v;
    }
    out[n / 2] = '\0';
    return 0;
}

/* Read the "thread"/"noname" lines up to "ready". Returns the count or -1. */
static int read_expected(struct pychild *c, struct expect *e, int max)
{
    char line[LINE_MAX_], hex[LINE_MAX_];
    int64_t deadline = pychild_now_ms() + DEADLINE_MS;
    int n = 0;
    while (pychild_read_line(c, line, sizeof line, deadline) == 0) {
        unsigned long long ident;
        if (strcmp(line, "ready") == 0)
            return n;
        if (n == max)
            return -1;
        if (sscanf(line, "thread %llu %4095s", &ident, hex) == 2) {
            if (hex_decode(hex, e[n].name, sizeof e[n].name) < 0)
                return -1;
        } else if (sscanf(line, "noname %llu", &ident) == 1) {
            e[n].name[0] = '\0';
        } else {
            return -1;
        }
        e[n++].ident = ident;
    }
    return -1;
}

/* Our name for a thread matches the target's own, or is its prefix cut at
 * a character boundary and marked with "..." (struct thread_name holds 63
 * bytes). */
static int name_matches(const char *want, const char *got)
{
    size_t wl = strlen(want), gl = strlen(got);
    if (wl < sizeof ((struct thread_name *)0)->name)
        return strcmp(want, got) == 0;
    return gl > 3 && strcmp(got + gl - 3, "...") == 0 && strncmp(want, got, gl - 3) == 0 &&
           (want[gl - 3] & 0xc0) != 0x80;
}

static const struct expect *find(const struct expect *e, int n, uint64_t ident)
{
    for (int i = 0; i < n; i++)
        if (e[i].ident == ident)
            return &e[i];
    return NULL;
}

/* Every name read must be the target's, each ident once. */
static void check_names(const struct thread_name *got, int n, const struct expect *e, int ne)
{
    for (int i = 0; i < n; i++) {
        const struct expect *x = find(e, ne, got[i].ident);
        CHECK(x != NULL, "ident %llu is not a thread of the target",
              (unsigned long long)got[i].ident);
        if (!x)
            continue;
        CHECK(x->name[0] != '\0', "ident %llu has no str name but we read \"%s\"",
              (unsigned long long)x->ident, got[i].name);
        CHECK(x->name[0] == '\0' || name_matches(x->name, got[i].name),
              "ident %llu: read \"%s\", the target says \"%s\"",
              (unsigned long long)x->ident, got[i].name, x->name);
        for (int j = 0; j < i; j++)
            CHECK(got[j].ident != got[i].ident, "ident %llu twice",
                  (unsigned long long)got[i].ident);
    }
}

static void check_all_found(const struct thread_name *got, int n, const struct expect *e, int ne)
{
    int named = 0;
    for (int i = 0; i < ne; i++) {
        if (!e[i].name[0])
            continue;
        named++;
        int seen = 0;
        for (int j = 0; j < n; j++)
            seen |= got[j].ident == e[i].ident;
        CHECK(seen, "thread %llu \"%s\" was not read", (unsigned long long)e[i].ident,
              e[i].name);
    }
    CHECK(n == named, "read %d names, the target has %d named threads", n, named);
}

static int run(struct pychild *c, struct reader *r, const struct py_layout *l, uint64_t interp)
{
    static struct expect e[MAX_THREADS];
    static struct thread_name got[MAX_THREADS];
    int n = -1;
    CHECK(write(c->in, "\n", 1) == 1, "cannot resume the target");
    int ne = read_expected(c, e, MAX_THREADS);
    CHECK(ne > 50, "the target listed %d threads", ne);
    if (ne <= 50)
        return 1;
    int rc = threadnames_read(r, l, interp, got, MAX_THREADS, &n);
    CHECK(rc == 0, "threadnames_read: %s", err_str(rc));
    if (rc == 0) {
        check_names(got, n, e, ne);
        check_all_found(got, n, e, ne);
    }
    /* max bounds what is written. */
    memset(got, 0x55, sizeof got);
    rc = threadnames_read(r, l, interp, got, 3, &n);
    CHECK(rc == 0 && n == 3, "max 3: rc %d, n %d", rc, n);
    if (rc == 0 && n == 3)
        check_names(got, n, e, ne);
    CHECK(got[3].ident == 0x5555555555555555ull, "wrote past max");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PYTHON\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct pychild c;
    struct procmem *pm = NULL;
    char line[LINE_MAX_];
    unsigned long long interp;
    int major, minor, imported, status = SKIP;
    if (pychild_spawn(argv[1], script, &c) < 0) {
        perror("spawn");
        return 1;
    }
    if (pychild_read_line(&c, line, sizeof line, pychild_now_ms() + DEADLINE_MS) < 0 ||
        sscanf(line, "interp %llu %d %d %d", &interp, &major, &minor, &imported) != 4) {
        fprintf(stderr, "SKIP: %s gave no interpreter address\n", argv[1]);
        goto out;
    }
    const struct py_layout *l = pylayout_for_version(major, minor);
    if (!l) {
        fprintf(stderr, "SKIP: no layout for %d.%d\n", major, minor);
        goto out;
    }
    status = 1;
    int rc = procmem_open(c.pid, &pm);
    CHECK(rc == 0, "procmem_open: %s", err_str(rc));
    if (rc < 0)
        goto out;
    struct thread_name tn[4];
    int n = -1;
    rc = threadnames_read(procmem_reader(pm), l, interp, tn, 4, &n);
    if (!imported)
        CHECK(rc == ERR_NOT_READY && n == 0, "before import threading: rc %d, n %d", rc, n);
    if (run(&c, procmem_reader(pm), l, interp) == 0 && failures == 0)
        status = 0;
    printf("%s: Python %d.%d, %s\n", status ? "FAIL" : "ok", major, minor, argv[1]);
out:
    procmem_close(pm);
    pychild_finish(&c, DEADLINE_MS);
    return failures ? 1 : status;
}
