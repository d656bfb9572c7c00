/* SPDX-License-Identifier: MIT */
/* The end of a run: stopping the launched program and all it started,
 * reporting its output, and writing the profile. */
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "exitcode.h"
#include "export.h"
#include "launch.h"
#include "lens.h"
#include "modeset.h"
#include "open.h"
#include "profile.h"
#include "pytarget.h"
#include "sampler.h"
#include "table.h"

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
    w->sent = 1;
    if (w->quiet && sig == SIGINT)
        return;
    const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGKILL";
    char title[256], more[64] = "";
    if (grace_s > 0)
        snprintf(more, sizeof more, "; %s in %g s if still running", sig == SIGINT ? "SIGTERM" : "SIGKILL",
                 grace_s);
    fprintf(stderr, "proftui: %s %s (%u process%s): %s%s\n", sig == SIGINT ? "stopping" : "still running:",
            one_line(w->r->title, title, sizeof title), procs, procs == 1 ? "" : "es", name, more);
}

void run_end_child(struct run *r, int *status, int quiet)
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
void run_report_child_output(struct run *r, int status)
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

int run_write_profile(struct run *r)
{
    struct sampler_stats st;
    sampler_get_stats(r->sampler, &st);
    struct export_meta meta = {
        .pid = r->pid,
        .version = PROFTUI_VERSION,
        .python_version = r->target->version,
        .mode = r->cli.mode,
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
    if (replica) {
        table_untrack_flat(replica);           /* the export reads stacks, not flat views */
        table_set_mode(replica, (enum table_mode)r->cli.mode);
        table_set_tasks(replica, r->cli.async_tasks);   /* --async: the task stacks */
        table_set_native(replica, r->cli.native != 0);  /* --native: the mixed stacks */
    }
    struct lens *lens = r->cli.nonly ? lens_new(&r->code) : NULL;
    int rc = replica && (lens || !r->cli.nonly) ? profile_sync(r->profile, replica, NULL) : ERR_NOMEM;
    if (rc == 0 && lens) {
        meta.only = r->only;
        rc = lens_update(lens, replica);
    }
    int all = rc == 0 && !r->baseline &&           /* pstats files carry a pprof too */
              (outputs_has(&r->out, EXPORT_PPROF) || outputs_has(&r->out, EXPORT_PSTATS));
    struct modeset *modes = all ? modeset_new() : NULL;
    if (modes && modeset_sync(modes, r->profile, replica, r->cli.nonly ? &r->code : NULL) == 0)
        for (int m = 0; m < TABLE_MODES; m++)     /* pprof: every mode as a sample type */
            meta.by_mode[m] = modeset_table(modes, (enum table_mode)m);
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
    modeset_free(modes);
    lens_free(lens);
    table_free(replica);
    if (code)
        return code;
    if (rc < 0)
        return run_fail(EXIT_OUTPUT, "cannot write %s: %s", bad, strerror(errno ? errno : EIO));
    return 0;
}
