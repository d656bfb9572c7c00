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
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "dump.h"
#include "error.h"
#include "exitcode.h"
#include "export.h"
#include "launch.h"
#include "open.h"
#include "outputs.h"
#include "procstat.h"
#include "push.h"
#include "profile.h"
#include "pytarget.h"
#include "run.h"
#include "sampler.h"
#include "table.h"
#include "ui.h"

volatile sig_atomic_t run_quit;

static void on_signal(int sig)
{
    run_quit = sig;
}

int run_fail(int code, const char *fmt, ...)
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

/* --push: start sending windows of the profile. */
static int start_push(struct run *r)
{
    char name[256];
    push_app_name(r->launched ? r->argv : NULL, r->pid, r->cli.mode, name, sizeof name);
    struct push_config pc = {
        .url = r->cli.push,
        .interval_ns = r->cli.push_interval_ns ? r->cli.push_interval_ns : 10000000000ULL,
        .name = name,
        .meta = {.pid = r->pid, .version = PROFTUI_VERSION, .python_version = r->target->version,
                 .mode = r->cli.mode, .interval_ns = r->cli.interval_ns,
                 .command = r->launched ? r->title : NULL,
                 .warning = r->target->warning[0] ? r->target->warning : NULL},
    };
    int rc = push_start(r->profile, &pc, &r->push);
    return rc < 0 ? run_fail(exitcode_for_err(rc), "cannot push to %s: %s", r->cli.push, err_str(rc)) : 0;
}

/* --push: the last window, then what was sent. EXIT_OUTPUT when there
 * were profiles to push and none was delivered, else 0. */
static int stop_push(struct run *r)
{
    struct push_stats st;
    if (!r->push)
        return 0;
    push_stop(r->push, &st);
    r->push = NULL;
    char last[64] = "no HTTP response: the server could not be reached";
    if (st.last_status)
        snprintf(last, sizeof last, "last HTTP status %d", st.last_status);
    fprintf(stderr, "proftui: pushed %" PRIu64 " profiles to %s (%" PRIu64 " failed, %" PRIu64
            " dropped, %" PRIu64 " retries; %s)\n", st.sent, r->cli.push,
            st.failed, st.dropped, st.retries, last);
    return !st.sent && st.failed + st.dropped ? EXIT_OUTPUT : 0;
}

/* Descendants left out because SAMPLER_PROCS_MAX were followed: said on
 * stderr at the end (after the live view) and in the -v log. */
static void say_waited(FILE *f, struct sampler *s)
{
    struct sampler_stats st;
    sampler_get_stats(s, &st);
    if (st.procs_waited)
        fprintf(f, "proftui: warning: %u descendant process%s not sampled while %d others were "
                "(at most %d are followed at once; one is taken up when another ends)\n",
                st.procs_waited, st.procs_waited == 1 ? " was" : "es were", SAMPLER_PROCS_MAX,
                SAMPLER_PROCS_MAX);
}

/* -v: the processes followed and what finding them cost. */
static void log_procs(FILE *log, struct sampler *s)
{
    struct sampler_stats st;
    sampler_get_stats(s, &st);
    say_waited(log, s);
    fprintf(log, "proftui: processes: %u followed (%u at the end); %" PRIu64 " polls for "
            "descendants, %.1f us of CPU each on average; %" PRIu64 " of %" PRIu64 " rounds of a "
            "process reused its last walk (no thread of it had run); %" PRIu64 " of %" PRIu64
            " thread stacks walked were copied from the walk before (their thread had not run), %"
            PRIu64 " of the thread states too (nor had the next one)\n",
            st.procs_followed, st.procs,
            st.discover_polls, st.discover_polls ? (double)st.discover_ns / 1e3 / (double)st.discover_polls : 0.0,
            st.quiet_rounds, st.proc_rounds, st.copied_stacks, st.walked_stacks, st.kept_states);
    fprintf(log, "proftui: code objects: %" PRIu64 " read (name, file and line table), %" PRIu64
            " cached at the end\n", st.code_loads, st.code_cached);
    if (st.threadless)
        fprintf(log, "proftui: %" PRIu64 " thread stack%s left out: the thread state named no "
                "thread of its process (a thread ending, or a forked child before it renewed "
                "its copies of its parent's thread states)\n",
                st.threadless, st.threadless == 1 ? " was" : "s were");
    if (st.switches == 1)
        fprintf(log, "proftui: thread states: from the kernel's context-switch records (%" PRIu64
                " read, %" PRIu64 " lost, %" PRIu64 " times read from /proc again)\n",
                st.switch_records, st.switch_lost, st.switch_resets);
    else
        fprintf(log, "proftui: thread states: from /proc (context-switch records: %s)\n",
                st.switches ? err_str(st.switches) : "not asked for");
}

/* -v: how the sampling thread was scheduled (sampler.c, set_realtime). */
static void log_sched(FILE *log, struct sampler *s)
{
    struct sampler_stats st;
    sampler_get_stats(s, &st);
    if (st.rt_ns == 0 && !st.realtime) {
        fprintf(log, "proftui: scheduling: real-time priority not permitted (needs root, CAP_SYS_NICE "
                "or an RLIMIT_RTPRIO): a normal thread asking for a short time slice\n");
        return;
    }
    double share = st.elapsed_ns ? 100.0 * (double)st.rt_ns / (double)st.elapsed_ns : 0.0;
    fprintf(log, "proftui: scheduling: real-time priority %.0f %% of the time, given up %u time%s "
            "(rounds took over a quarter of a core) for a normal thread with a short time slice\n",
            share > 100 ? 100 : share, st.rt_drops, st.rt_drops == 1 ? "" : "s");
}

/* PROFTUI_SWITCHES=0: thread states from /proc only (cpuswitch.h). */
static int switches_off(void)
{
    const char *v = getenv("PROFTUI_SWITCHES");
    return v && strcmp(v, "0") == 0;
}

/* --native: what came of the native samples (stderr at the end, -v log). */
static void say_native(FILE *f, struct sampler *s, const struct cli *c)
{
    struct sampler_stats st;
    if (!c->native)
        return;
    sampler_get_stats(s, &st);
    fprintf(f, "proftui: native: %" PRIu64 " of %" PRIu64 " thread samples had a native sample, "
            "%" PRIu64 " recorded mixed; %" PRIu64 " refused (C and Python stacks disagreed), "
            "%" PRIu64 " unwinds incomplete, %" PRIu64 " not unwound; ", st.native_samples,
            st.stacks, st.native_mixed, st.native_mismatch, st.native_incomplete,
            st.native_unwind_failed);
    if (c->native == CLI_NATIVE_PTRACE)
        fprintf(f, "%" PRIu64 " ptrace stops", st.native_stops);
    else
        fprintf(f, "perf: %" PRIu64 " samples superseded, %" PRIu64 " lost, %" PRIu64 " malformed",
                st.native_superseded, st.native_lost, st.native_malformed);
    if (st.native_threads_failed || st.native_procs_failed)
        fprintf(f, "; without native frames: %u threads, %u processes", st.native_threads_failed,
                st.native_procs_failed);
    fputc('\n', f);
}

static int run_headless(struct run *r)
{
    sampler_wait(r->sampler, (volatile int *)&run_quit);
    sampler_stop(r->sampler);
    FILE *log = r->cli.log_path ? fopen(r->cli.log_path, "a") : NULL;
    if (log) {
        log_procs(log, r->sampler);
        log_sched(log, r->sampler);
        say_native(log, r->sampler, &r->cli);
        fclose(log);
    }
    say_waited(stderr, r->sampler);
    say_native(stderr, r->sampler, &r->cli);
    int unpushed = stop_push(r);
    int status = -1;
    if (r->launched)
        run_end_child(r, &status, 1);
    int code = run_write_profile(r);
    if (code || unpushed)
        return code ? code : unpushed;
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
    size_t len;
    const char *prog = usercode_program(argv, &len);
    snprintf(out, cap, "%.*s", (int)len, prog);
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
        .mode = r->cli.mode,
        .tasks = r->cli.async_tasks,
        .native = r->cli.native,
        .interval_ns = r->cli.interval_ns,
        .refresh_s = r->cli.refresh_s,
        .threshold_pct = r->cli.threshold_pct,
        .log = log,
        .quit = &run_quit,
        .child_output = r->launched ? (r->cli.child_output ? r->cli.child_output : r->child_log) : NULL,
    };
    static char base_label[2048];              /* --diff: the comparison in the live view */
    struct table *then = r->baseline ? open_baseline_table(r->baseline, r->cli.diff, base_label, sizeof base_label) : NULL;
    o.baseline = then;
    o.baseline_label = then ? base_label : NULL;
    int rc = ui_run(&o, r->profile, r->sampler);
    table_free(then);
    sampler_stop(r->sampler);
    int unpushed = stop_push(r);
    if (log) {
        log_procs(log, r->sampler);
        log_sched(log, r->sampler);
        say_native(log, r->sampler, &r->cli);
        fclose(log);
    }
    say_waited(stderr, r->sampler);
    say_native(stderr, r->sampler, &r->cli);
    int status = -1;
    if (r->launched) {
        run_end_child(r, &status, 0);
        run_report_child_output(r, status);
    }
    if (rc < 0) {
        outputs_abort(&r->out);
        return run_fail(exitcode_for_err(rc), "%s", err_str(rc));
    }
    int code = r->cli.output ? run_write_profile(r) : 0;
    if (code || unpushed)
        return code ? code : unpushed;
    return r->launched ? launch_exit_code(status) : EXIT_OK;
}

static void set_meta(struct run *r)
{
    struct profile_meta m = {.pid = r->pid, .launched = r->launched, .mode = r->cli.mode,
                             .interval_ns = r->cli.interval_ns};
    snprintf(m.python_version, sizeof m.python_version, "%s", r->target->version);
    snprintf(m.command, sizeof m.command, "%s", r->title);
    profile_set_meta(r->profile, &m);
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
    return run_fail(EXIT_USAGE, "-o %s: the %s format is not in this build yet (available: %s)",
                bad, export_format_name(f), export_format_list());
}

/* --dump: attach, print every thread's stack once, detach. */
static int run_dump(struct run *r)
{
    int code = run_attach(r);
    if (code || run_quit)
        return code ? code : 128 + run_quit;
    int rc = dump_print_tree(r->target, r->cli.json, r->cli.async_tasks, !r->cli.no_subprocesses, stdout);
    if (rc == ERR_VERSION)
        return run_fail(EXIT_VERSION, "--async needs CPython 3.11 or newer (PID %d runs Python %s)",
                        (int)r->pid, r->target->version);
    if (rc == ERR_IO)
        return run_fail(EXIT_OUTPUT, "cannot write the dump: %s", strerror(errno ? errno : EIO));
    return rc < 0 ? run_fail(exitcode_for_err(rc), "cannot read PID %d's stacks: %s", (int)r->pid,
                         err_str(rc)) : EXIT_OK;
}

/* --native could not be had for the target: why, in one line. */
static int native_error(const struct run *r, int rc)
{
    const char *opt = r->cli.native == CLI_NATIVE_PTRACE ? "--native-ptrace" : "--native";
    if (rc == ERR_PERM && r->cli.native == CLI_NATIVE_PERF) {
        char level[16] = "unknown";
        FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
        if (f && !fgets(level, sizeof level, f))
            snprintf(level, sizeof level, "unknown");
        if (f)
            fclose(f);
        level[strcspn(level, "\n")] = '\0';
        return run_fail(EXIT_PERM, "--native: perf events not permitted (kernel.perf_event_paranoid "
                        "is %s; 2 or less lets a user sample its own processes): lower it, grant "
                        "CAP_PERFMON, or use --native-ptrace", level);
    }
    if (rc == ERR_PERM)
        return run_fail(EXIT_PERM, "--native-ptrace: not permitted to trace PID %d (is a debugger "
                        "attached to it?)", (int)r->target->pid);
    if (rc == ERR_UNSUPPORTED && r->cli.native == CLI_NATIVE_PERF)
        return run_fail(EXIT_UNSUPPORTED, "--native: this system gives no perf events (a kernel "
                        "without them, or a container that hides them): use --native-ptrace");
    return run_fail(exitcode_for_err(rc), "%s: cannot sample native frames of PID %d: %s", opt,
                    (int)r->target->pid, err_str(rc));
}

static int run(struct run *r)
{
    if (r->cli.native && !PROFTUI_HAVE_NATIVE)
        return run_fail(EXIT_UNSUPPORTED, "--native: this proftui was built without libunwind "
                        "(meson -Dnative=disabled)");
    if (r->cli.open)
        return open_run(&r->cli, &run_quit);
    if (r->cli.dump)
        return run_dump(r);
    int code = run_resolve_only(r);
    if (!code && r->cli.diff)
        code = open_baseline(&r->cli, &r->baseline);
    if (!code)
        code = choose_formats(r);
    if (code)
        return code;
    int live = (!r->cli.output && !r->cli.push) || r->cli.tui;
    if (live && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
        return run_fail(EXIT_TERMINAL, "the live view needs a terminal; use -o FILE for a headless profile");
    const char *bad = NULL;
    if (outputs_open(&r->out, &bad) < 0)
        return run_fail(EXIT_OUTPUT, "cannot write %s: %s", bad, strerror(errno));
    code = run_start_target(r);
    if (!code && !run_quit && r->cli.async_tasks && r->target->layout.major == 3 &&
        r->target->layout.minor < 11)
        code = run_fail(EXIT_VERSION, "--async needs CPython 3.11 or newer: PID %d runs Python %s",
                        (int)r->pid, r->target->version);
    if (code || run_quit) {
        outputs_abort(&r->out);
        if (r->launched)
            launch_terminate(r->pid, !code, &(int){0}, NULL, NULL);
        if (!code)      /* a signal came before the first sample: nothing to write */
            code = run_fail(128 + run_quit, "interrupted (%s) before sampling started; no profile "
                        "written", strsignal(run_quit));
        return code;
    }
    /* Before the live view takes the terminal (and into -v's log and the
     * profile's metadata). */
    if (r->target->warning[0])
        fprintf(stderr, "proftui: warning: %s\n", r->target->warning);
    procstat_cwd(r->pid, r->cwd, sizeof r->cwd);
    run_target_usercode(r, r->cwd);
    struct sampler_config sc = {
        .interval_ns = r->cli.interval_ns,
        .duration_ns = r->cli.duration_ns,
        .child = r->launched ? r->pid : 0,
        .follow = !r->cli.no_subprocesses,
        .tasks = r->cli.async_tasks,
        .root = r->pid,
        .native = r->cli.native,
        .no_switches = switches_off(),
    };
    r->profile = profile_new();
    if (!r->profile)
        return run_fail(EXIT_INTERNAL, "cannot start sampling: %s", err_str(ERR_NOMEM));
    set_meta(r);
    r->start_unix_ns = clock_realtime_ns();
    int rc = sampler_start(r->target, r->profile, &sc, &r->sampler);
    if (rc < 0) {
        outputs_abort(&r->out);
        if (r->launched)        /* not gently: no traceback of a SIGINT under the message */
            launch_terminate(r->pid, 0, &(int){0}, NULL, NULL);
        if (r->cli.native && rc != ERR_NOMEM)
            return native_error(r, rc);
        return run_fail(exitcode_for_err(rc), "cannot start sampling: %s", err_str(rc));
    }
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
