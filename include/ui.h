/* SPDX-License-Identifier: MIT */
/* The live ncurses view. It reads the profile through a replica it syncs
 * at each refresh (profile.h) and the sampler's published counters; it
 * never talks to the target and never reads /proc. */
#ifndef PROFTUI_UI_H
#define PROFTUI_UI_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct profile;
struct profile_meta;
struct sampler;
struct table;
struct usercode;

struct ui_options {
    const char *title;            /* the profiled command line, or "PID 1234" */
    const char *program;          /* the script or command (a path), for the save key's
                                   * default file name, or NULL */
    uint64_t start_unix_ns;       /* wall-clock time sampling started */
    const char *warning;          /* a caveat about the profile for saved files, or NULL */
    const char *python_version;   /* e.g. "3.11.7" */
    pid_t pid;                    /* the target */
    const char *cwd;              /* its current directory (short paths), or NULL */
    const struct usercode *code;  /* the user's code for the lens (key u), or NULL */
    int lens;                     /* the lens is on at start (--only) */
    int launched;                 /* we started the target (quitting ends it) */
    int mode;                     /* enum table_mode at start (--mode) */
    int tasks;                    /* --async: tasks are sampled; the views start on their stacks */
    int native;                   /* --native: 0 no, SAMPLER_NATIVE_PERF or SAMPLER_NATIVE_PTRACE
                                   * (the header shows what came of the native samples) */
    uint64_t interval_ns;         /* requested sampling interval */
    double refresh_s;             /* --refresh */
    double threshold_pct;         /* --threshold */
    FILE *log;                    /* -v log file, or NULL */
    volatile sig_atomic_t *quit;  /* set by SIGINT/SIGTERM/SIGHUP handlers */
    const char *child_output;     /* where a launched program's output goes, or NULL / "" */
    const struct profile_meta *saved; /* a saved profile (--open): its metadata; NULL live */
    int saved_states;             /* the saved profile holds every thread state (a pprof or pstats
                                   * file proftui wrote: import_file_states), so m switches
                                   * its mode as in a live run; 0: it holds one mode */
    const struct table *baseline; /* --diff BASELINE: its table (read only), or NULL: then the
                                   * diff view (key d) says there is none and the flame graph
                                   * colours by code */
    const char *baseline_label;   /* what it is: path, command and time, or NULL */
};

/* Run the live view of profile p (borrowed) until the user quits or
 * *o->quit is set; s (borrowed, may be NULL) supplies the counters and
 * the reset. Restores the terminal on every path. Returns 0, ERR_NOMEM,
 * or ERR_TERMINAL when stdin/stdout is not a terminal or the terminal
 * cannot be initialised. */
int ui_run(const struct ui_options *o, struct profile *p, struct sampler *s);

#endif
