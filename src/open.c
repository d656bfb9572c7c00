/* SPDX-License-Identifier: MIT */
/* --open FILE: load a saved profile, then show it or convert it. */
#include "open.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "diff.h"
#include "error.h"
#include "exitcode.h"
#include "export.h"
#include "modeset.h"
#include "outfile.h"
#include "import.h"
#include "outputs.h"
#include "profile.h"
#include "table.h"
#include "ui.h"

static int fail(int code, const char *what, const char *detail)
{
    fprintf(stderr, "proftui: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return code;
}

static void export_meta_of(const struct profile_meta *m, struct export_meta *e)
{
    *e = (struct export_meta){
        .pid = m->pid,
        .version = m->writer[0] ? m->writer : PROFTUI_VERSION,
        .python_version = m->python_version[0] ? m->python_version : NULL,
        .mode = m->mode,
        .interval_ns = m->interval_ns,
        .start_unix_ns = m->start_unix_ns,
        .duration_ns = m->duration_ns,
        .taken = m->taken,
        .missed = m->missed,
        .lost = m->lost,
        .command = m->launched && m->command[0] ? m->command : NULL,
        .warning = m->warning[0] ? m->warning : NULL,
        .only = m->only[0] ? m->only : NULL,
    };
}

/* -o with --open: every -o file from the loaded table (its file's mode;
 * with states, every mode too for pprof: import_file_states). */
static int convert(const struct cli *c, struct profile *p, int states)
{
    struct outputs out;
    const char *bad = NULL;
    if (outputs_init(&out, c->outputs, c->noutputs, c->format, &bad) < 0) {
        fprintf(stderr, "proftui: -o %s: that format is not in this build yet (available: %s)\n", bad,
                export_format_list());
        return EXIT_USAGE;
    }
    if (outputs_open(&out, &bad) < 0)
        return fail(EXIT_OUTPUT, bad, strerror(errno));
    struct profile_meta m;
    profile_get_meta(p, &m);
    if (!m.rounds_known)
        m.taken = 0;
    struct export_meta em;
    export_meta_of(&m, &em);
    struct table *replica = table_new();
    if (replica && states)                     /* counts by state: the file's mode */
        table_set_mode(replica, (enum table_mode)m.mode);
    int rc = replica ? profile_sync(p, replica, NULL) : ERR_NOMEM;
    if (rc == 0 && !m.rounds_known)
        em.taken = table_samples(replica);     /* one sample per round, as far as is known */
    int all = rc == 0 && states && (outputs_has(&out, EXPORT_PPROF) || outputs_has(&out, EXPORT_PSTATS));
    struct modeset *modes = all ? modeset_new() : NULL;
    if (modes && modeset_sync(modes, p, replica, NULL) == 0)
        for (int k = 0; k < TABLE_MODES; k++)
            em.by_mode[k] = modeset_table(modes, (enum table_mode)k);
    if (rc == 0)
        rc = outputs_write(&out, replica, &em, &bad);
    else
        outputs_abort(&out);
    modeset_free(modes);
    table_free(replica);
    if (rc == ERR_NOMEM)
        return fail(EXIT_INTERNAL, "cannot convert", err_str(rc));
    if (rc < 0)
        return fail(EXIT_OUTPUT, bad, strerror(errno ? errno : EIO));
    return EXIT_OK;
}

/* A replica of p, for reading (caller frees). NULL on ENOMEM. */
static struct table *snapshot_of(struct profile *p)
{
    struct table *t = table_new();
    if (t && profile_sync(p, t, NULL) < 0) {
        table_free(t);
        return NULL;
    }
    return t;
}

int open_baseline(const struct cli *c, struct profile **out)
{
    struct profile *base = profile_new();
    char err[IMPORT_ERR_MAX];
    int rc = base ? import_file(c->diff, base, err, sizeof err) : ERR_NOMEM;
    if (rc < 0) {
        profile_free(base);
        return rc == ERR_NOMEM ? fail(EXIT_INTERNAL, "cannot compare", err_str(rc))
                               : fail(rc == ERR_USAGE ? EXIT_USAGE : EXIT_INPUT, err, NULL);
    }
    *out = base;
    return EXIT_OK;
}

struct table *open_baseline_table(struct profile *base, const char *path, char *label, size_t cap)
{
    struct profile_meta m;
    profile_get_meta(base, &m);
    char when[64] = "";
    time_t t = (time_t)(m.start_unix_ns / 1000000000ULL);
    struct tm tm;
    if (m.start_unix_ns && localtime_r(&t, &tm))
        strftime(when, sizeof when, "started %Y-%m-%d %H:%M:%S", &tm);
    snprintf(label, cap, "%s%s%s%s%s", path, m.command[0] || when[0] ? ": " : "", m.command,
             m.command[0] && when[0] ? ", " : "", when);
    struct table *tb = snapshot_of(base);
    if (!tb)
        fail(EXIT_INTERNAL, "cannot compare", err_str(ERR_NOMEM));
    return tb;
}

int open_compare(const struct cli *c, struct profile *base, const struct table *now, const char *now_label)
{
    struct table *then = snapshot_of(base);
    struct diff d = {0};
    struct outfile out = {0};
    int code = EXIT_OK;
    if (!then || diff_build(&d, now, then) < 0)
        code = fail(EXIT_INTERNAL, "cannot compare", err_str(ERR_NOMEM));
    else if (outfile_open(&out, c->output) < 0)
        code = fail(EXIT_OUTPUT, c->output, strerror(errno));
    else if (diff_write(out.f, &d, now_label, c->diff) < 0) {
        outfile_abort(&out);
        code = fail(EXIT_OUTPUT, c->output, strerror(errno ? errno : EIO));
    } else if (outfile_commit(&out) < 0)
        code = fail(EXIT_OUTPUT, c->output, strerror(errno ? errno : EIO));
    diff_free(&d);
    table_free(then);
    return code;
}

/* --open FILE --diff BASELINE -o OUT. */
static int compare(const struct cli *c, struct profile *p)
{
    struct profile *base = NULL;
    int code = open_baseline(c, &base);
    if (code)
        return code;
    struct table *now = snapshot_of(p);
    code = now ? open_compare(c, base, now, c->open) : fail(EXIT_INTERNAL, "cannot compare", err_str(ERR_NOMEM));
    table_free(now);
    profile_free(base);
    return code;
}

static int view(const struct cli *c, struct profile *p, int states, volatile sig_atomic_t *quit)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return fail(EXIT_TERMINAL, "the live view needs a terminal; use -o FILE to convert the profile", NULL);
    static struct profile_meta m;
    profile_get_meta(p, &m);
    struct profile *base = NULL;
    struct table *then = NULL;
    static char label[2 * PROFILE_TEXT_MAX];
    int code = c->diff ? open_baseline(c, &base) : EXIT_OK;
    if (!code && base && !(then = open_baseline_table(base, c->diff, label, sizeof label)))
        code = EXIT_INTERNAL;
    if (code) {
        profile_free(base);
        return code;
    }
    FILE *log = c->log_path ? fopen(c->log_path, "a") : NULL;
    struct ui_options o = {
        .title = m.command[0] ? m.command : m.source,
        .python_version = m.python_version[0] ? m.python_version : NULL,
        .pid = (pid_t)m.pid,
        .mode = m.mode,
        .interval_ns = m.interval_ns,
        .refresh_s = c->refresh_s,
        .threshold_pct = c->threshold_pct,
        .log = log,
        .quit = quit,
        .saved = &m,
        .saved_states = states,
        .baseline = then,
        .baseline_label = then ? label : NULL,
    };
    int rc = ui_run(&o, p, NULL);
    if (log)
        fclose(log);
    table_free(then);
    profile_free(base);
    return rc < 0 ? fail(exitcode_for_err(rc), err_str(rc), NULL) : EXIT_OK;
}

int open_run(const struct cli *c, volatile sig_atomic_t *quit)
{
    struct profile *p = profile_new();
    if (!p)
        return fail(EXIT_INTERNAL, "cannot open", err_str(ERR_NOMEM));
    char err[IMPORT_ERR_MAX];
    /* A conversion and the view read every state a file has (pprof and
     * pstats files proftui wrote): pprof outputs write them all and m
     * switches the view's mode; a comparison, the file's mode. */
    int conv = c->output && !c->diff, states = 0;
    int rc = !(c->diff && c->output) ? import_file_states(c->open, p, err, sizeof err, &states)
                                     : import_file(c->open, p, err, sizeof err);
    int code;
    if (rc < 0)
        code = fail(rc == ERR_USAGE ? EXIT_USAGE : rc == ERR_NOMEM ? EXIT_INTERNAL : EXIT_INPUT, err, NULL);
    else
        code = c->diff && c->output ? compare(c, p) : conv ? convert(c, p, states) : view(c, p, states, quit);
    profile_free(p);
    return code;
}
