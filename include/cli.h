/* SPDX-License-Identifier: MIT */
/* Command-line options. */
#ifndef PROFTUI_CLI_H
#define PROFTUI_CLI_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <sys/types.h>

#define CLI_ONLY_MAX 64             /* --only options */
#define CLI_OUTPUT_MAX 8            /* -o options */

struct cli {
    pid_t pid;                  /* -p, 0 when launching */
    char **argv;                /* command to launch (borrowed from main's argv), NULL with -p */
    uint64_t interval_ns;       /* -i / -r */
    int interval_given;         /* -i or -r was on the command line */
    uint64_t duration_ns;       /* -d, 0 = unlimited */
    const char *output;         /* the first -o, NULL = live view */
    const char *outputs[CLI_OUTPUT_MAX]; /* every -o (borrowed from argv) */
    size_t noutputs;
    int format;                 /* -f (enum export_format), or -1: from -o's name */
    int tui;                    /* --tui: the live view while -o records */
    const char *push;           /* --push URL: send a pprof window every push_interval_ns */
    uint64_t push_interval_ns;  /* --push-interval (default 10 s) */
    const char *open;           /* --open FILE: show a saved profile */
    const char *diff;           /* --diff BASELINE: compare with a saved profile */
    int dump;                   /* --dump: print each thread's stack once (-p) */
    int json;                   /* --json: --dump as JSON */
    int cpu;                    /* --cpu (the same as --mode cpu) */
    int mode;                   /* --mode (enum table_mode; wall when not given) */
    int mode_given;
    int async_tasks;            /* --async: sample asyncio tasks too (3.11+) */
    int native;                 /* -n/--native: CLI_NATIVE_PERF; --native-ptrace: CLI_NATIVE_PTRACE */
    double refresh_s;           /* --refresh */
    double threshold_pct;       /* --threshold */
    const char *log_path;       /* -v FILE */
    int run_as_root;            /* --run-as-root */
    int no_subprocesses;        /* --no-subprocesses: do not follow descendants */
    const char *child_output;   /* --child-output FILE (live view) */
    int demo;                   /* no command given: profile the bundled demo */
    const char *only[CLI_ONLY_MAX]; /* --only values, each a comma-separated list of
                                 * paths (borrowed from argv) */
    size_t nonly;
};

/* cli.native: native frames from perf events, or by ptrace (the values
 * of sampler_config.native). */
#define CLI_NATIVE_PERF 1
#define CLI_NATIVE_PTRACE 2

enum cli_result { CLI_RUN, CLI_EXIT_OK, CLI_EXIT_USAGE };

/* Parse argv into *c. Prints --help / --version on stdout (CLI_EXIT_OK) and
 * one-line errors on stderr (CLI_EXIT_USAGE). */
enum cli_result cli_parse(int argc, char **argv, struct cli *c);

/* Parse a duration such as "100us", "1ms", "0.5ms", "2s", "250ns" into
 * nanoseconds; a bare number is taken in default_unit_ns. 0 or ERR_USAGE. */
int cli_parse_duration(const char *s, uint64_t default_unit_ns, uint64_t *out);

#endif
