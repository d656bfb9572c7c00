/* SPDX-License-Identifier: MIT */
/* Finding the target: attach to a PID, or start the command (or the
 * bundled demo) and wait until it runs Python. */
#include "run.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "exitcode.h"
#include "launch.h"
#include "proctree.h"
#include "pytarget.h"
#include "taskstat.h"

#define PYTHON_WAIT_NS 5000000000ULL    /* a command must become Python within this */
#define READY_WAIT_NS 10000000000ULL    /* and run its first frame within this */
#define POLL_NS 200000ULL
#define DESCENDANTS_EVERY_NS 10000000ULL /* a command that is not Python: its children looked at */
#define DESCENDANTS_MAX 256

/* Following children, a root that is not CPython (a shell, a wrapper)
 * may start one: the first descendant that runs CPython becomes the
 * target (r->pid stays the root). 0 when found, else ERR_NOT_PYTHON. */
static int open_descendant(struct run *r)
{
    pid_t pids[DESCENDANTS_MAX];
    if (r->cli.no_subprocesses)
        return ERR_NOT_PYTHON;
    size_t n = proctree_descendants(r->pid, pids, DESCENDANTS_MAX);
    for (size_t i = 0; i < n; i++)
        if (pytarget_open(pids[i], &r->target, NULL, 0) == 0)
            return 0;
    return ERR_NOT_PYTHON;
}

static int attach_error(const struct run *r, int rc)
{
    int code = exitcode_for_err(rc);
    switch (rc) {
    case ERR_NO_PROCESS:
        return run_fail(code, "no process with PID %d", (int)r->pid);
    case ERR_PERM:
        return run_fail(code, "permission denied reading PID %d: run as its user or as root, "
                    "or grant CAP_SYS_PTRACE (and kernel.yama.ptrace_scope <= 1)", (int)r->pid);
    case ERR_NOT_PYTHON:
        return run_fail(code, "PID %d is not a Python process (no CPython interpreter found)", (int)r->pid);
    case ERR_VERSION: {
        if (r->why[0])
            return run_fail(code, "PID %d runs %s", (int)r->pid, r->why);
        char v[24] = "unknown";
        pytarget_guess_version(r->pid, v, sizeof v);
        return run_fail(code, "PID %d runs Python %s, which proftui does not support", (int)r->pid, v);
    }
    default:
        return run_fail(code, "cannot attach to PID %d: %s", (int)r->pid, err_str(rc));
    }
}

/* Poll until the target has a Python frame to sample. */
static int wait_ready(struct run *r, uint64_t limit_ns)
{
    uint64_t end = clock_now_ns() + limit_ns;
    for (;;) {
        int rc = pytarget_ready(r->target);
        if (rc == 0 || run_quit)
            return rc;
        char st = taskstat_process_state(r->target->pid);
        if (st == 0 || st == 'Z' || clock_now_ns() > end)
            return ERR_EXITED;
        clock_sleep_ns(POLL_NS);
    }
}

int run_attach(struct run *r)
{
    r->pid = r->cli.pid;
    int rc = pytarget_open(r->pid, &r->target, r->why, sizeof r->why);
    if (rc == ERR_NOT_PYTHON && open_descendant(r) == 0)
        rc = 0;
    if (rc < 0)
        return attach_error(r, rc);
    snprintf(r->title, sizeof r->title, "PID %d", (int)r->pid);
    if (wait_ready(r, READY_WAIT_NS) < 0 && !run_quit)
        return run_fail(EXIT_NOT_PYTHON, "PID %d has a Python interpreter but no running Python thread", (int)r->pid);
    pytarget_refine_version(r->target);
    return 0;
}

static void join_args(char *dst, size_t cap, char *const argv[])
{
    size_t len = 0;
    dst[0] = '\0';
    for (int i = 0; argv[i] && len + 1 < cap; i++)
        len += (size_t)snprintf(dst + len, cap - len, "%s%s", i ? " " : "", argv[i]);
}

/* Wait until the launched command has exec'd into CPython. */
static int wait_python(struct run *r)
{
    uint64_t end = clock_now_ns() + PYTHON_WAIT_NS, children_at = 0;
    int rc;
    while ((rc = pytarget_open(r->pid, &r->target, r->why, sizeof r->why)) < 0 && !run_quit) {
        if (clock_now_ns() - children_at >= DESCENDANTS_EVERY_NS) {
            children_at = clock_now_ns();
            if (open_descendant(r) == 0)
                return 0;
        }
        char st = taskstat_process_state(r->pid);
        if (st != 0 && st != 'Z' && (rc == ERR_VERSION || rc == ERR_PERM))
            return attach_error(r, rc);
        if (st == 0 || st == 'Z')
            return run_fail(EXIT_NOT_PYTHON, "'%s' exited before a Python interpreter started", r->cli.argv[0]);
        if (clock_now_ns() > end)
            return run_fail(EXIT_NOT_PYTHON, "'%s' is not a Python program (no CPython interpreter "
                        "after %llu s)", r->cli.argv[0], PYTHON_WAIT_NS / 1000000000ULL);
        clock_sleep_ns(POLL_NS);
    }
    return rc < 0 && !run_quit ? EXIT_INTERNAL : 0;
}

static int launch(struct run *r, char **argv)
{
    struct launch_options lo = {.drop_sudo = !r->cli.run_as_root};
    launch_become_subreaper();     /* what the command leaves running is ended with it */
    if (!r->cli.output || r->cli.tui) {
        /* The view owns the terminal: the program's output goes to a file. */
        lo.output = r->cli.child_output;
        if (!lo.output && (lo.output_fd = launch_output_log(r->child_log, sizeof r->child_log)) < 0) {
            r->child_log[0] = '\0';
            lo.output = "/dev/null";
        }
        lo.null_stdin = 1;
    }
    int e = 0, rc = launch_start(argv, &lo, &r->pid, &e);
    if (lo.output_fd > 0)
        close(lo.output_fd);
    if (rc < 0) {
        if (e == ENOENT)
            return run_fail(EXIT_NOTFOUND, "command not found: %s", argv[0]);
        return run_fail(e ? EXIT_NOEXEC : EXIT_INTERNAL, "cannot run %s: %s", argv[0], strerror(e ? e : errno));
    }
    r->launched = 1;
    r->argv = argv;
    join_args(r->title, sizeof r->title, argv);
    int code = wait_python(r);
    if (code || run_quit)
        return code;
    /* A target that ends first still yields a (short) profile. */
    if (wait_ready(r, READY_WAIT_NS) == 0)
        pytarget_refine_version(r->target);
    return 0;
}

/* The bundled demo: next to an installed binary (<exe dir>/../share/...),
 * else in the source tree of a binary run from its build directory, else
 * at the installed path. 0 with path filled, or -1. */
static int find_demo(char *path, size_t cap)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
    if (slash && PROFTUI_DEMO_FROM_EXE[0]) {
        *slash = '\0';
        int len = snprintf(path, cap, "%s/%s", exe, PROFTUI_DEMO_FROM_EXE);
        char *real = len > 0 && (size_t)len < cap ? realpath(path, NULL) : NULL;
        int found = real && strlen(real) < cap && access(real, R_OK) == 0;
        if (found)
            memcpy(path, real, strlen(real) + 1);
        free(real);
        if (found)
            return 0;
    }
    const char *fixed[] = {PROFTUI_DEMO_SOURCE, PROFTUI_DEMO_INSTALLED};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, cap, "%s", fixed[i]);
        if (access(path, R_OK) == 0)
            return 0;
    }
    return -1;
}

static int start_demo(struct run *r)
{
    static char *demo_argv[] = {"python3", NULL, NULL};
    static char path[4096];
    if (find_demo(path, sizeof path) < 0)
        return run_fail(EXIT_INTERNAL, "the bundled demo (%s) is missing; give a command or -p PID",
                    PROFTUI_DEMO_INSTALLED);
    demo_argv[1] = path;
    return launch(r, demo_argv);
}

int run_start_target(struct run *r)
{
    if (r->cli.pid)
        return run_attach(r);
    if (r->cli.demo)
        return start_demo(r);
    return launch(r, r->cli.argv);
}
