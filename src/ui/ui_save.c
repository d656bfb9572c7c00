/* SPDX-License-Identifier: MIT */
/* The save key: default file name, prompt, atomic write of the view's
 * profile in the format of the name's ending, the result on the footer. */
#include "ui_save.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "export.h"
#include "modeset.h"
#include "outfile.h"
#include "sampler.h"
#include "table.h"
#include "ui.h"
#include "ui_data.h"
#include "ui_keys.h"
#include "ui_state.h"
#include "usercode.h"

#define PROGRAM_MAX 64           /* characters of the program in a default name */
#define SAVE_LABEL "Save as: "

void ui_save_default_name(char *out, size_t cap, const char *program, int64_t pid, time_t when,
                          const char *ending)
{
    const char *base = program ? strrchr(program, '/') : NULL;
    base = base ? base + 1 : program ? program : "";
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".py") == 0)
        n -= 3;
    char name[PROGRAM_MAX + 1];
    if (n > PROGRAM_MAX)
        n = PROGRAM_MAX;
    for (size_t i = 0; i < n; i++) {
        char c = base[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        name[i] = ok ? c : '_';
    }
    name[n] = '\0';
    if (n == 0 || strspn(name, ".") == n)     /* nothing left, or only dots */
        snprintf(name, sizeof name, "python");
    struct tm tm;
    char stamp[32] = "00000000-000000";
    if (localtime_r(&when, &tm))
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    if (pid > 0)
        snprintf(out, cap, "proftui-%s-%lld-%s%s", name, (long long)pid, stamp, ending ? ending : "");
    else            /* a saved profile that names no process: no "-0" */
        snprintf(out, cap, "proftui-%s-%s%s", name, stamp, ending ? ending : "");
}

static void set_status(struct ui_state *st, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_status(struct ui_state *st, int error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->status, sizeof st->status, fmt, ap);
    va_end(ap);
    st->status_error = error;
}

/* The lens's roots as a comma-separated list, for the metadata. */
static void roots_list(const struct usercode *code, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; code && i < code->nroots && len + 1 < cap; i++)
        if (!code->roots[i].alias)
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "," : "", code->roots[i].path);
}

/* When sampling started: now minus the time sampled, while the sampler
 * runs (a reset restarts its clock); the run's start once it stopped. */
static uint64_t start_time(const struct ui_options *o, struct sampler *s)
{
    if (!s)
        return o->start_unix_ns;
    struct sampler_stats now;
    sampler_get_stats(s, &now);
    uint64_t real = clock_realtime_ns();
    return now.running && now.elapsed_ns < real ? real - now.elapsed_ns : o->start_unix_ns;
}

/* The mode d's counts are in: a saved profile of one mode keeps its
 * replica in wall mode, counting what the file counted. */
static int data_mode(const struct ui_data *d, const struct ui_options *o)
{
    return o->saved && !o->saved_states ? o->saved->mode : d->mode;
}

/* Write d's table to path in fmt, *n its samples. pprof and pstats get
 * every thread state of p as sample types, as -o writes them: all of
 * them copied from p now, under one hold of its lock (modeset.h), so such
 * a file is the profile as of the save, which may hold more samples than
 * a paused view. 0, or ERR_IO / ERR_NOMEM with errno set. */
static int write_file(const char *path, enum export_format fmt, const struct ui_data *d,
                      const struct ui_options *o, struct profile *p, struct sampler *s,
                      uint64_t *n)
{
    char only[2048];
    roots_list(o->code, only, sizeof only);
    struct export_meta meta = {
        .pid = o->pid,
        .version = PROFTUI_VERSION,
        .python_version = o->python_version && o->python_version[0] ? o->python_version : NULL,
        .mode = data_mode(d, o),
        .interval_ns = o->interval_ns,
        .start_unix_ns = start_time(o, s),
        .duration_ns = d->stats.elapsed_ns,
        .taken = d->stats.taken,
        .missed = d->stats.missed,
        .lost = d->stats.lost,
        .command = o->launched ? o->title : NULL,
        .warning = o->warning && o->warning[0] ? o->warning : NULL,
        .only = d->lens_on ? only : NULL,
    };
    struct modeset *modes = NULL;
    if (p && (fmt == EXPORT_PPROF || fmt == EXPORT_PSTATS)) {
        modes = modeset_new();
        if (!modes || modeset_sync(modes, p, d->replica, d->lens_on ? d->code : NULL) < 0) {
            modeset_free(modes);
            errno = ENOMEM;
            return ERR_NOMEM;
        }
        for (int m = 0; m < TABLE_MODES; m++)
            meta.by_mode[m] = modeset_table(modes, (enum table_mode)m);
    }
    const struct table *t = d->table;
    if (modes && (!o->saved || o->saved_states))       /* the modes' copy of the data's mode */
        t = modeset_table(modes, (enum table_mode)d->mode);
    else if (modes)                                     /* a file of one mode: its counts as read */
        t = modeset_table(modes, TABLE_MODE_WALL);
    *n = table_samples(t);
    struct outfile out;
    errno = 0;
    if (outfile_open(&out, path) < 0) {
        modeset_free(modes);
        return ERR_IO;
    }
    int rc = export_write(out.f, fmt, t, &meta);
    modeset_free(modes);
    if (rc < 0) {
        int e = errno;
        outfile_abort(&out);
        errno = rc == ERR_NOMEM ? ENOMEM : e ? e : EIO;
        return rc;
    }
    return outfile_commit(&out);
}

/* The absolute form of the name typed (relative to proftui's current
 * directory, "~/" to $HOME) into out; 0, or -1 when it is too long. */
static int absolute(const char *name, char *out, size_t cap)
{
    const char *home = getenv("HOME");
    char cwd[4096];
    int n;
    if (name[0] == '/')
        n = snprintf(out, cap, "%s", name);
    else if (name[0] == '~' && name[1] == '/' && home && home[0])
        n = snprintf(out, cap, "%s/%s", home, name + 2);
    else if (getcwd(cwd, sizeof cwd))
        n = snprintf(out, cap, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", name);
    else
        return -1;
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* Enter in the prompt: write the file it names. */
static void save(struct ui_state *st, const struct ui_data *d, const struct ui_options *o, struct profile *p,
                 struct sampler *s)
{
    const char *name = st->prompt.text;
    char path[4096];
    if (!name[0] || strcmp(name, "-") == 0) {
        set_status(st, 1, "give a file name (its ending chooses the format)");
        return;
    }
    enum export_format fmt = export_format_for_path(name);
    if (!export_format_available(fmt)) {
        set_status(st, 1, "the %s format is not in this build (available: %s)",
                   export_format_name(fmt), export_format_list());
        return;
    }
    if (absolute(name, path, sizeof path) < 0) {
        set_status(st, 1, "the path is too long");
        return;
    }
    if (fmt == EXPORT_PSTATS && table_mode_counts_bytes((enum table_mode)data_mode(d, o))) {
        set_status(st, 1, "pstats files hold times, not the bytes of memory modes: "
                   "choose another ending (.json, .txt, .pb.gz, .svg)");
        return;
    }
    uint64_t n = 0;
    if (write_file(path, fmt, d, o, p, s, &n) < 0) {
        set_status(st, 1, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
        return;
    }
    char *real = realpath(path, NULL);
    int mode = data_mode(d, o);
    if (table_mode_counts_bytes((enum table_mode)mode))
        set_status(st, 0, "saved %llu bytes of memory %s to %s", (unsigned long long)n,
                   mode == TABLE_MODE_MEMORY ? "growth" : "released", real ? real : path);
    else
        set_status(st, 0, "saved %llu sample%s to %s", (unsigned long long)n, n == 1 ? "" : "s",
                   real ? real : path);
    free(real);
    ui_prompt_close(&st->prompt);
}

void ui_save_react(struct ui_state *st, unsigned react, const struct ui_data *d,
                   const struct ui_options *o, struct profile *p, struct sampler *s)
{
    if (react & UI_REACT_SAVE_ASK) {
        char name[UI_PROMPT_MAX];
        ui_save_default_name(name, sizeof name, o->program, o->pid, time(NULL),
                             ".json");
        ui_prompt_open(&st->prompt, SAVE_LABEL, name);
        st->status[0] = '\0';
    }
    if ((react & UI_REACT_SAVE) && st->prompt.active)
        save(st, d, o, p, s);
}
