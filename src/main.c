/* SPDX-License-Identifier: MIT */
/* proftui: wires the command line, target discovery, the sampler and the
 * live view or the headless exporter together. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "dump.h"
#include "error.h"
#include "exitcode.h"
#include "export.h"
#include "launch.h"
#include "open.h"
#include "lens.h"
#include "outputs.h"
#include "procstat.h"
#include "push.h"
#include "profile.h"
#include "pytarget.h"
#include "sampler.h"
#include "table.h"
#include "taskstat.h"
#include "ui.h"
#include "usercode.h"

#define PYTHON_WAIT_NS 5000000000ULL    /* a command must become Python within this */
#define READY_WAIT_NS 10000000000ULL    /* and run its first frame within this */
#define POLL_NS 200000ULL

static volatile sig_atomic_t quit_flag;

static void on_signal(int sig)
{
    quit_flag = sig;
}

struct run {
    struct cli cli;
    pid_t pid;
    int launched;
    struct pytarget *target;
    struct profile *profile;       /* what the sampler writes and the readers read */
    struct sampler *sampler;
    struct outputs out;            /* the -o files */
    uint64_t start_unix_ns;        /* when sampling started */
    char title[1024];
    char why[200];                 /* pytarget_open's reason for ERR_VERSION */
    char **argv;                   /* the launched command */
    char cwd[4096];                /* the target's working directory at start */
    struct usercode code;          /* the user's code, for the lens (--only, key u) */
    char only[1024];               /* the --only roots, for the output's metadata */
    char child_log[4096];          /* live view: the file the program's output goes to */
    int stopped;                   /* we ended the launched program (it did not exit) */
    struct push *push;             /* --push */
    struct profile *baseline;      /* --diff BASELINE, loaded before the run */
};

static int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("proftui: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

static void install_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int attach_error(const struct run *r, int rc)
{
    int code = exitcode_for_err(rc);
    switch (rc) {
    case ERR_NO_PROCESS:
        return fail(code, "no process with PID %d", (int)r->pid);
    case ERR_PERM:
        return fail(code, "permission denied reading PID %d: run as its user or as root, "
                    "or grant CAP_SYS_PTRACE (and kernel.yama.ptrace_scope <= 1)", (int)r->pid);
    case ERR_NOT_PYTHON:
        return fail(code, "PID %d is not a Python process (no CPython interpreter found)", (int)r->pid);
    case ERR_VERSION: {
        if (r->why[0])
            return fail(code, "PID %d runs %s", (int)r->pid, r->why);
        char v[24] = "unknown";
        pytarget_guess_version(r->pid, v, sizeof v);
        return fail(code, "PID %d runs Python %s, which proftui does not support", (int)r->pid, v);
    }
    default:
        return fail(code, "cannot attach to PID %d: %s", (int)r->pid, err_str(rc));
    }
}

/* Poll until the target has a Python frame to sample. */
static int wait_ready(struct run *r, uint64_t limit_ns)
{
    uint64_t end = clock_now_ns() + limit_ns;
    for (;;) {
        int rc = pytarget_ready(r->target);
        if (rc == 0 || quit_flag)
            return rc;
        char st = taskstat_process_state(r->pid);
        if (st == 0 || st == 'Z' || clock_now_ns() > end)
            return ERR_EXITED;
        clock_sleep_ns(POLL_NS);
    }
}

static int attach(struct run *r)
{
    r->pid = r->cli.pid;
    int rc = pytarget_open(r->pid, &r->target, r->why, sizeof r->why);
    if (rc < 0)
        return attach_error(r, rc);
    snprintf(r->title, sizeof r->title, "PID %d", (int)r->pid);
    if (wait_ready(r, READY_WAIT_NS) < 0 && !quit_flag)
        return fail(EXIT_NOT_PYTHON, "PID %d has a Python interpreter but no running Python thread", (int)r->pid);
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
    uint64_t end = clock_now_ns() + PYTHON_WAIT_NS;
    int rc;
    while ((rc = pytarget_open(r->pid, &r->target, r->why, sizeof r->why)) < 0 && !quit_flag) {
        char st = taskstat_process_state(r->pid);
        if (st != 0 && st != 'Z' && (rc == ERR_VERSION || rc == ERR_PERM))
            return attach_error(r, rc);
        if (st == 0 || st == 'Z')
            return fail(EXIT_NOT_PYTHON, "'%s' exited before a Python interpreter started", r->cli.argv[0]);
        if (clock_now_ns() > end)
            return fail(EXIT_NOT_PYTHON, "'%s' is not a Python program (no CPython interpreter "
                        "after %llu s)", r->cli.argv[0], PYTHON_WAIT_NS / 1000000000ULL);
        clock_sleep_ns(POLL_NS);
    }
    return rc < 0 && !quit_flag ? EXIT_INTERNAL : 0;
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
            return fail(EXIT_NOTFOUND, "command not found: %s", argv[0]);
        return fail(e ? EXIT_NOEXEC : EXIT_INTERNAL, "cannot run %s: %s", argv[0], strerror(e ? e : errno));
    }
    r->launched = 1;
    r->argv = argv;
    join_args(r->title, sizeof r->title, argv);
    int code = wait_python(r);
    if (code || quit_flag)
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
        return fail(EXIT_INTERNAL, "the bundled demo (%s) is missing; give a command or -p PID",
                    PROFTUI_DEMO_INSTALLED);
    demo_argv[1] = path;
    return launch(r, demo_argv);
}

/* Tell the user how the launched program is being stopped. With quiet,
 * only an escalation past SIGINT is worth a line (an ordinary end of a
 * headless run at --duration says nothing). */
struct stop_words {
    const struct run *r;
    int quiet;
    int sent;                      /* a signal was sent */
};

/* The command line as one line of at most 240 bytes (a -c script has
 * newlines), for messages. */
static const char *one_line(const char *s, char *buf, size_t cap)
{
    size_t n = strcspn(s, "\n\r");
    int cut = s[n] != '\0' || n > 240;
    snprintf(buf, cap, "%.*s%s", (int)(n > 240 ? 240 : n), s, cut ? " ..." : "");
    return buf;
}

static void say_stop(void *arg, int sig, unsigned procs, double grace_s)
{
    struct stop_words *w = arg;
    char title[256];
    w->sent = 1;
    if (w->quiet && sig == SIGINT)
        return;
    char more[64] = "";
    if (grace_s > 0)
        snprintf(more, sizeof more, "; %s in %g s if still running", sig == SIGINT ? "SIGTERM" : "SIGKILL",
                 grace_s);
    fprintf(stderr, "proftui: %s %s (%u process%s): %s%s\n", sig == SIGINT ? "stopping" : "still running:",
            one_line(w->r->title, title, sizeof title), procs, procs == 1 ? "" : "es", sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM"
            : "SIGKILL", more);
}

static void end_child(struct run *r, int *status, int quiet)
{
    struct sampler_stats st;
    sampler_get_stats(r->sampler, &st);
    struct stop_words w = {r, quiet, 0};
    int scratch;
    /* Exited by itself: what it left running is still ended. */
    launch_terminate(r->pid, 1, st.exit_status != -1 ? &scratch : status, say_stop, &w);
    if (st.exit_status != -1)
        *status = st.exit_status;
    else
        r->stopped = w.sent;
}

/* After the live view: where the program's output went, and the end of
 * it when the program failed by itself (a traceback, most likely). */
static void report_child_output(struct run *r, int status)
{
    const char *path = r->cli.child_output ? r->cli.child_output : r->child_log;
    struct stat st;
    if (!path[0] || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    if (st.st_size == 0 && !r->cli.child_output) {
        unlink(path);               /* nothing was written: leave nothing behind */
        return;
    }
    if (!r->stopped && status != -1 && launch_exit_code(status) != 0) {
        char how[48];
        int code = launch_exit_code(status);
        if (WIFSIGNALED(status))
            snprintf(how, sizeof how, "was killed by %s", strsignal(WTERMSIG(status)));
        else
            snprintf(how, sizeof how, "exited with status %d", code);
        char title[256];
        fprintf(stderr, "proftui: %s %s; the end of its output:\n", one_line(r->title, title, sizeof title),
                how);
        launch_print_tail(stderr, path, 20, "  | ");
    }
    fprintf(stderr, "proftui: the program's output is in %s\n", path);
}

static int write_profile(struct run *r)
{
    struct sampler_stats st;
    sampler_get_stats(r->sampler, &st);
    struct export_meta meta = {
        .pid = r->pid,
        .version = PROFTUI_VERSION,
        .python_version = r->target->version,
        .cpu_mode = r->cli.cpu,
        .interval_ns = r->cli.interval_ns,
        .start_unix_ns = r->start_unix_ns,
        .duration_ns = st.elapsed_ns,
        .taken = st.taken,
        .missed = st.missed,
        .lost = st.lost,
        .command = r->launched ? r->title : NULL,
        .warning = r->target->warning[0] ? r->target->warning : NULL,
    };
    struct table *replica = table_new();
    if (replica)
        table_untrack_flat(replica);           /* the export reads stacks, not flat views */
    struct lens *lens = r->cli.nonly ? lens_new(&r->code) : NULL;
    int rc = replica && (lens || !r->cli.nonly) ? profile_sync(r->profile, replica, NULL) : ERR_NOMEM;
    if (rc == 0 && lens) {
        meta.only = r->only;
        rc = lens_update(lens, replica);
    }
    const char *bad = r->cli.output;
    int code = 0;
    if (rc == 0 && r->baseline) {              /* --diff: the comparison instead of the profile */
        outputs_abort(&r->out);
        code = open_compare(&r->cli, r->baseline, lens ? lens_table(lens) : replica, r->title);
    } else if (rc == 0) {
        rc = outputs_write(&r->out, lens ? lens_table(lens) : replica, &meta, &bad);
    } else {
        outputs_abort(&r->out);
    }
    lens_free(lens);
    table_free(replica);
    if (code)
        return code;
    if (rc < 0)
        return fail(EXIT_OUTPUT, "cannot write %s: %s", bad, strerror(errno ? errno : EIO));
    return 0;
}

/* --push: start sending windows of the profile. */
static int start_push(struct run *r)
{
    char name[256];
    push_app_name(r->launched ? r->argv : NULL, r->pid, r->cli.cpu, name, sizeof name);
    struct push_config pc = {
        .url = r->cli.push,
        .interval_ns = r->cli.push_interval_ns ? r->cli.push_interval_ns : 10000000000ULL,
        .name = name,
        .meta = {.pid = r->pid, .version = PROFTUI_VERSION, .python_version = r->target->version,
                 .cpu_mode = r->cli.cpu, .interval_ns = r->cli.interval_ns,
                 .command = r->launched ? r->title : NULL,
                 .warning = r->target->warning[0] ? r->target->warning : NULL},
    };
    int rc = push_start(r->profile, &pc, &r->push);
    return rc < 0 ? fail(exitcode_for_err(rc), "cannot push to %s: %s", r->cli.push, err_str(rc)) : 0;
}

/* --push: the last window, then what was sent. */
static void stop_push(struct run *r)
{
    struct push_stats st;
    if (!r->push)
        return;
    push_stop(r->push, &st);
    r->push = NULL;
    fprintf(stderr, "proftui: pushed %" PRIu64 " profiles to %s (%" PRIu64 " failed, %" PRIu64
            " dropped, %" PRIu64 " retries; last HTTP status %d)\n", st.sent, r->cli.push,
            st.failed, st.dropped, st.retries, st.last_status);
}

static int run_headless(struct run *r)
{
    sampler_wait(r->sampler, (volatile int *)&quit_flag);
    sampler_stop(r->sampler);
    stop_push(r);
    int status = -1;
    if (r->launched)
        end_child(r, &status, 1);
    int code = write_profile(r);
    if (code)
        return code;
    return r->launched ? launch_exit_code(status) : EXIT_OK;
}

/* The script (or else the command) the target runs, for the save key's
 * default file name: from our argv, or the attached process's cmdline. */
static void program_of(const struct run *r, char *out, size_t cap)
{
    char buf[4096], *args[64];
    char *const *argv = r->argv;
    if (!r->launched && procstat_cmdline(r->pid, buf, sizeof buf, args, 64) > 0)
        argv = args;
    const char *script = argv ? usercode_script(argv) : NULL;
    snprintf(out, cap, "%s", script ? script : argv && argv[0] ? argv[0] : "");
}

static int run_ui(struct run *r)
{
    char program[1024];
    program_of(r, program, sizeof program);
    FILE *log = r->cli.log_path ? fopen(r->cli.log_path, "a") : NULL;
    if (log && r->target->warning[0])
        fprintf(log, "proftui: warning: %s\n", r->target->warning);
    struct ui_options o = {
        .title = r->title,
        .program = program,
        .start_unix_ns = r->start_unix_ns,
        .warning = r->target->warning,
        .python_version = r->target->version,
        .pid = r->pid,
        .cwd = r->cwd,
        .code = &r->code,
        .lens = r->cli.nonly > 0,
        .launched = r->launched,
        .cpu_mode = r->cli.cpu,
        .interval_ns = r->cli.interval_ns,
        .refresh_s = r->cli.refresh_s,
        .threshold_pct = r->cli.threshold_pct,
        .log = log,
        .quit = &quit_flag,
        .child_output = r->launched ? (r->cli.child_output ? r->cli.child_output : r->child_log) : NULL,
    };
    int rc = ui_run(&o, r->profile, r->sampler);
    sampler_stop(r->sampler);
    stop_push(r);
    if (log)
        fclose(log);
    int status = -1;
    if (r->launched) {
        end_child(r, &status, 0);
        report_child_output(r, status);
    }
    if (rc < 0) {
        outputs_abort(&r->out);
        return fail(exitcode_for_err(rc), "%s", err_str(rc));
    }
    int code = r->cli.output ? write_profile(r) : 0;
    if (code)
        return code;
    return r->launched ? launch_exit_code(status) : EXIT_OK;
}

static void set_meta(struct run *r)
{
    struct profile_meta m = {.pid = r->pid, .launched = r->launched, .cpu_mode = r->cli.cpu,
                             .interval_ns = r->cli.interval_ns};
    snprintf(m.python_version, sizeof m.python_version, "%s", r->target->version);
    snprintf(m.command, sizeof m.command, "%s", r->title);
    profile_set_meta(r->profile, &m);
}

/* Add one --only path (relative to our directory, which is also a
 * launched command's) as a directory or a file root; its real path too
 * when a symbolic link leads there. */
static int add_only(struct run *r, const char *path, const char *cwd)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return fail(EXIT_USAGE, "--only %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return fail(EXIT_USAGE, "--only %s: not a directory or a regular file", path);
    int dir = S_ISDIR(st.st_mode);
    char *real = realpath(path, NULL);
    int rc = usercode_add_root(&r->code, path, cwd, dir);
    if (rc == 0 && real)
        rc = usercode_add_alias(&r->code, real, dir);
    free(real);
    if (rc < 0)
        return fail(EXIT_USAGE, "--only %s: %s", path, rc == ERR_USAGE ? "too many paths or too long"
                    : err_str(rc));
    size_t len = strlen(r->only), n = strlen(path);
    if (len + 1 + n < sizeof r->only) {      /* the metadata line: what fits */
        if (len)
            r->only[len++] = ',';
        memcpy(r->only + len, path, n + 1);
    }
    return 0;
}

/* The --only lists, checked before anything starts. */
static int resolve_only(struct run *r)
{
    char cwd[USERCODE_PATH_MAX], item[USERCODE_PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    for (size_t i = 0; i < r->cli.nonly; i++) {
        for (const char *p = r->cli.only[i]; *p;) {
            size_t n = strcspn(p, ",");
            if (n > 0 && n < sizeof item) {
                memcpy(item, p, n);
                item[n] = '\0';
                int code = add_only(r, item, cwd[0] ? cwd : NULL);
                if (code)
                    return code;
            } else if (n > 0) {
                return fail(EXIT_USAGE, "--only: a path is too long");
            }
            p += n + (p[n] == ',');
        }
    }
    return 0;
}

/* What the lens needs from the running target: its working directory
 * (relative file names), the interpreter's prefix, and, without --only,
 * the default roots: the script's directory, else the working directory. */
static void target_usercode(struct run *r, const char *target_cwd)
{
    char path[USERCODE_PATH_MAX], exe[64], prefix[USERCODE_PATH_MAX];
    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)r->pid);
    ssize_t n = readlink(exe, path, sizeof path - 1);
    if (n > 0) {
        path[n] = '\0';
        if (usercode_prefix_of(path, prefix, sizeof prefix) == 0)
            usercode_set_prefix(&r->code, prefix);
    }
    usercode_set_cwd(&r->code, target_cwd);
    if (r->code.nroots)
        return;
    const char *script = r->launched ? usercode_script(r->argv) : NULL;
    /* A bare NAME.py was found on PATH, not in the directory. */
    if (script && strchr(script, '/') == NULL && script == r->argv[0])
        script = NULL;
    if (script && usercode_normalize(script, target_cwd, path, sizeof path) == 0) {
        *strrchr(path, '/') = '\0';
        usercode_add_root(&r->code, path[0] ? path : "/", NULL, 1);
    } else if (target_cwd[0]) {
        usercode_add_root(&r->code, target_cwd, NULL, 1);
    }
}

static int start_target(struct run *r)
{
    if (r->cli.pid)
        return attach(r);
    if (r->cli.demo)
        return start_demo(r);
    return launch(r, r->cli.argv);
}

/* The outputs' formats: -f, else each file name's ending. */
static int choose_formats(struct run *r)
{
    const char *bad = NULL;
    int fmt = r->cli.diff ? EXPORT_COLLAPSED : r->cli.format;    /* --diff: its own table */
    if (outputs_init(&r->out, r->cli.outputs, r->cli.noutputs, fmt, &bad) == 0)
        return 0;
    enum export_format f = r->cli.format >= 0 ? (enum export_format)r->cli.format
                                              : export_format_for_path(bad);
    return fail(EXIT_USAGE, "-o %s: the %s format is not in this build yet (available: %s)",
                bad, export_format_name(f), export_format_list());
}

/* --dump: attach, print every thread's stack once, detach. */
static int run_dump(struct run *r)
{
    int code = attach(r);
    if (code || quit_flag)
        return code ? code : 128 + quit_flag;
    int rc = dump_print(r->target, r->cli.json, stdout);
    if (rc == ERR_IO)
        return fail(EXIT_OUTPUT, "cannot write the dump: %s", strerror(errno ? errno : EIO));
    return rc < 0 ? fail(exitcode_for_err(rc), "cannot read PID %d's stacks: %s", (int)r->pid,
                         err_str(rc)) : EXIT_OK;
}

static int run(struct run *r)
{
    if (r->cli.open)
        return open_run(&r->cli, &quit_flag);
    if (r->cli.dump)
        return run_dump(r);
    int code = resolve_only(r);
    if (!code && r->cli.diff)
        code = open_baseline(&r->cli, &r->baseline);
    if (!code)
        code = choose_formats(r);
    if (code)
        return code;
    int live = (!r->cli.output && !r->cli.push) || r->cli.tui;
    if (live && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
        return fail(EXIT_TERMINAL, "the live view needs a terminal; use -o FILE for a headless profile");
    const char *bad = NULL;
    if (outputs_open(&r->out, &bad) < 0)
        return fail(EXIT_OUTPUT, "cannot write %s: %s", bad, strerror(errno));
    code = start_target(r);
    if (code || quit_flag) {
        outputs_abort(&r->out);
        if (r->launched)
            launch_terminate(r->pid, !code, &(int){0}, NULL, NULL);
        if (!code)      /* a signal came before the first sample: nothing to write */
            code = fail(128 + quit_flag, "interrupted (%s) before sampling started; no profile "
                        "written", strsignal(quit_flag));
        return code;
    }
    /* Before the live view takes the terminal (and into -v's log and the
     * profile's metadata). */
    if (r->target->warning[0])
        fprintf(stderr, "proftui: warning: %s\n", r->target->warning);
    procstat_cwd(r->pid, r->cwd, sizeof r->cwd);
    target_usercode(r, r->cwd);
    struct sampler_config sc = {
        .interval_ns = r->cli.interval_ns,
        .cpu_only = r->cli.cpu,
        .duration_ns = r->cli.duration_ns,
        .child = r->launched ? r->pid : 0,
    };
    r->profile = profile_new();
    if (!r->profile)
        return fail(EXIT_INTERNAL, "cannot start sampling: %s", err_str(ERR_NOMEM));
    set_meta(r);
    r->start_unix_ns = clock_realtime_ns();
    int rc = sampler_start(r->target, r->profile, &sc, &r->sampler);
    if (rc < 0)
        return fail(exitcode_for_err(rc), "cannot start sampling: %s", err_str(rc));
    if (r->cli.push && (rc = start_push(r)) != 0) {
        sampler_stop(r->sampler);
        outputs_abort(&r->out);
        if (r->launched)
            launch_terminate(r->pid, 1, &(int){0}, NULL, NULL);
        return rc;
    }
    return live ? run_ui(r) : run_headless(r);
}

int main(int argc, char **argv)
{
    struct run r = {0};
    switch (cli_parse(argc, argv, &r.cli)) {
    case CLI_EXIT_OK:
        return EXIT_OK;
    case CLI_EXIT_USAGE:
        return EXIT_USAGE;
    case CLI_RUN:
        break;
    }
    install_signals();
    int code = run(&r);
    sampler_free(r.sampler);
    profile_free(r.profile);
    profile_free(r.baseline);
    pytarget_free(r.target);
    usercode_free(&r.code);
    return code;
}
