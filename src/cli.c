/* SPDX-License-Identifier: MIT */
/* Command-line parsing, --help and --version. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "export.h"
#include "push.h"
#include "table.h"

static const char usage_text[] =
    "usage: proftui [OPTIONS] [--] COMMAND [ARG...]   start COMMAND and profile it\n"
    "       proftui [OPTIONS] -p PID                  attach to a running Python process\n"
    "       proftui [OPTIONS]                         profile the bundled demo workload\n"
    "       proftui --open FILE [-o OUT]              show a saved profile, or convert it\n"
    "       proftui --dump [--json] -p PID            print each thread's stack once\n"
    "\n"
    "  -p, --pid PID            attach; on exit, detach and leave the process running\n"
    "  -i, --interval DURATION  time between samples: 100us, 1ms, 0.5ms ... (default 1ms;\n"
    "                           a bare number is in microseconds)\n"
    "  -r, --rate HZ            the same as a rate (default 1000)\n"
    "  -d, --duration SECONDS   stop after this long (units accepted: 500ms, 2s)\n"
    "  -o, --output FILE        write the profile to FILE ('-' = stdout) when sampling\n"
    "                           ends; headless (no live view) unless --tui;\n"
    "                           repeatable: one run, several files and formats\n"
    "  -f, --format FORMAT      collapsed, speedscope, pprof, pstats or svg, for every\n"
    "                           -o (default: each FILE's ending chooses: .txt,\n"
    "                           .collapsed collapsed, .json speedscope, .pb.gz,\n"
    "                           .pprof pprof, .prof, .pstats pstats, .svg svg;\n"
    "                           anything else collapsed)\n"
    "      --tui                with -o or --push: show the live view too; FILE is\n"
    "                           written on quit\n"
    "      --push URL           every --push-interval, send the samples since the last\n"
    "                           push as pprof to a Pyroscope-compatible server: POST\n"
    "                           URL/ingest?name=...&format=pprof (http:// only);\n"
    "                           headless unless --tui\n"
    "      --push-interval SECONDS  between pushes (default 10s; units accepted)\n"
    "      --open FILE          a saved profile in the live view (collapsed stacks of\n"
    "                           proftui, py-spy, Austin, CPython, flamegraph.pl;\n"
    "                           speedscope; pprof; proftui's pstats and svg; format\n"
    "                           read from the content);\n"
    "                           with -o, converted to the -o files (no view)\n"
    "      --diff BASELINE      compare with a saved profile: the live view opens on the\n"
    "                           comparison (key d); with one -o OUT, OUT gets each\n"
    "                           function's share of the samples now (--open FILE, or\n"
    "                           this run) and in BASELINE, and the change\n"
    "      --dump               with -p PID: print every thread's current stack once,\n"
    "                           innermost frame first, and exit (no sampling)\n"
    "      --json               with --dump: one JSON object instead of text\n";

/* In parts: C11 compilers need only take 4095-byte literals. */
static const char usage_more[] =
    "      --mode MODE          what the counts count: wall (every sample, the\n"
    "                           default), cpu (the thread on a CPU), gil (holding\n"
    "                           the GIL), idle (neither), memory (bytes the resident\n"
    "                           memory grew by, on the GIL holder's stack), released\n"
    "                           (bytes it shrank by, the same way); every\n"
    "                           state is recorded: the live view switches with m\n"
    "      --cpu                the same as --mode cpu\n"
    "      --async              asyncio: also sample every task of every event loop\n"
    "                           (CPython 3.11+): each task by name with the await it\n"
    "                           is parked on or, running, its stack; the live view\n"
    "                           switches between thread and task stacks with a\n"
    "                           (with --dump: list the tasks)\n"
    "  -n, --native             native (C) frames too: each thread's C stack, from perf\n"
    "                           events, merged with its Python frames into one stack\n"
    "                           (the target is never stopped; needs kernel.perf_event_\n"
    "                           paranoid <= 2, or CAP_PERFMON). Shown for the samples in\n"
    "                           which the thread ran on a CPU; task stacks (--async)\n"
    "                           stay Python-only\n"
    "      --native-ptrace      --native without perf events: each sample stops its\n"
    "                           thread for a moment with ptrace (slower; the target\n"
    "                           shows proftui as its tracer meanwhile)\n"
    "      --only PATH[,PATH]   your code first: charge the time spent in library and\n"
    "                           interpreter frames (standard library, site-packages,\n"
    "                           <frozen ...>, under the interpreter's prefix) to the\n"
    "                           innermost frame of your code: the files under PATH\n"
    "                           (directories or files; repeatable). Stacks with none\n"
    "                           of it count as [outside your code]. Applies to -o; in\n"
    "                           the live view it turns the lens (key u) on at start.\n"
    "                           Without it, u takes the script's directory (or the\n"
    "                           target's working directory with -m, -c, -p)\n"
    "      --threshold PCT      live view: hide rows under PCT % (default 0)\n"
    "      --refresh SECONDS    live view: redraw interval (default 0.5)\n"
    "      --child-output FILE  live view: where the launched command's output goes\n"
    "                           (default: a new ${TMPDIR:-/tmp}/proftui-PID-output.log,\n"
    "                           named on the state line; its stdin is /dev/null)\n"
    "      --run-as-root        under sudo, run COMMAND as root instead of SUDO_USER\n"
    "      --no-subprocesses    sample (or --dump) only the given process, not its\n"
    "                           descendants that run Python (followed by default)\n"
    "  -v, --log FILE           write diagnostics to FILE\n"
    "  -V, --version            version of proftui\n"
    "  -h, --help               this help\n"
    "\n";

/* The exit statuses, the last part of --help. */
static const char usage_exit[] =
    "exit status: the profiled command's own status when proftui started it\n"
    "(128+N if signal N ended it); otherwise 0 on success, or\n"
    "  1 internal error            2 usage error (unknown option, bad value)\n"
    "  3 no such process           4 permission denied (needs CAP_SYS_PTRACE or\n"
    "  5 not a Python process        kernel.yama.ptrace_scope=0 or same user)\n"
    "  6 unsupported Python        7 the target exited before sampling started\n"
    "  8 cannot write the output   9 no usable terminal for the live view\n"
    "  10 --open: malformed or unreadable profile file\n"
    "  11 --native: not in this build (no libunwind) or no perf events here\n"
    "  126 command not executable  127 command not found\n";

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !isfinite(v))
        return -1;
    *out = v;
    return (int)(end - s);
}

int cli_parse_duration(const char *s, uint64_t default_unit_ns, uint64_t *out)
{
    static const struct { const char *suffix; double ns; } units[] = {
        {"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"", 0},
    };
    double v = 0;
    int n = parse_double(s, &v);
    if (n <= 0 || v <= 0)
        return ERR_USAGE;
    const char *unit = s + n;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(unit, units[i].suffix) != 0)
            continue;
        double ns = v * (units[i].ns ? units[i].ns : (double)default_unit_ns);
        if (ns < 1 || ns > 1e18)
            return ERR_USAGE;
        *out = (uint64_t)ns;
        return 0;
    }
    return ERR_USAGE;
}

static int bad(const char *opt, const char *val)
{
    fprintf(stderr, "proftui: invalid value for %s: '%s' (see --help)\n", opt, val);
    return -1;
}

/* The options whose value names a file: never empty, and given once (the
 * repeatable -o aside). */
static int file_arg(const struct cli *c, int opt, const char *arg)
{
    static const struct { int opt; const char *name; } files[] = {
        {'o', "-o"}, {'P', "--open"}, {'B', "--diff"}, {'C', "--child-output"}, {'v', "--log"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (files[i].opt != opt)
            continue;
        if (!arg[0]) {
            fprintf(stderr, "proftui: %s needs a file name, not an empty one (see --help)\n",
                    files[i].name);
            return -1;
        }
        if ((opt == 'P' && c->open) || (opt == 'B' && c->diff)) {
            fprintf(stderr, "proftui: %s given twice (see --help)\n", files[i].name);
            return -1;
        }
    }
    return 0;
}

static int apply(struct cli *c, int opt, const char *arg)
{
    double v = 0;
    if (arg && file_arg(c, opt, arg) < 0)
        return -1;
    switch (opt) {
    case 'p': {
        char *end;
        long pid = strtol(arg, &end, 10);
        if (*end || pid <= 0 || pid > 0x3fffffff)
            return bad("--pid", arg);
        c->pid = (pid_t)pid;
        return 0;
    }
    case 'i':
        return cli_parse_duration(arg, 1000, &c->interval_ns) < 0 ? bad("--interval", arg) : 0;
    case 'r':
        if (parse_double(arg, &v) != (int)strlen(arg) || v <= 0 || v > 1e6)
            return bad("--rate", arg);
        c->interval_ns = (uint64_t)(1e9 / v);
        return 0;
    case 'd':
        return cli_parse_duration(arg, 1000000000, &c->duration_ns) < 0 ? bad("--duration", arg) : 0;
    case 'o':
        if (c->noutputs == CLI_OUTPUT_MAX) {
            fprintf(stderr, "proftui: too many -o options (at most %d)\n", CLI_OUTPUT_MAX);
            return -1;
        }
        if (!c->output)
            c->output = arg;
        c->outputs[c->noutputs++] = arg;
        return 0;
    case 'f': {
        enum export_format fmt;
        if (export_format_parse(arg, &fmt) < 0)
            return bad("--format", arg);
        c->format = (int)fmt;
        return 0;
    }
    case 'P':
        c->open = arg;
        return 0;
    case 'H': {
        char why[128];
        if (push_check_url(arg, why, sizeof why) < 0) {
            fprintf(stderr, "proftui: invalid value for --push: '%s': %s (see --help)\n", arg, why);
            return -1;
        }
        c->push = arg;
        return 0;
    }
    case 'I':
        if (cli_parse_duration(arg, 1000000000, &c->push_interval_ns) < 0 ||
            c->push_interval_ns < 100000000 || c->push_interval_ns > 3600000000000ULL)
            return bad("--push-interval", arg);
        return 0;
    case 'B':
        c->diff = arg;
        return 0;
    case 'v':
        c->log_path = arg;
        return 0;
    case 'm': {
        int m = table_mode_parse(arg);
        if (m < 0)
            return bad("--mode (wall, cpu, gil, idle, memory or released)", arg);
        c->mode = m;
        c->mode_given = 1;
        return 0;
    }
    case 'T':
        if (parse_double(arg, &v) != (int)strlen(arg) || v < 0 || v > 100)
            return bad("--threshold", arg);
        c->threshold_pct = v;
        return 0;
    case 'R':
        if (parse_double(arg, &v) != (int)strlen(arg) || v < 0.05 || v > 60)
            return bad("--refresh", arg);
        c->refresh_s = v;
        return 0;
    case 'C':
        c->child_output = arg;
        return 0;
    case 'O':
        if (!arg[0] || strspn(arg, ",") == strlen(arg))
            return bad("--only", arg);
        if (c->nonly == CLI_ONLY_MAX) {
            fprintf(stderr, "proftui: too many --only options (at most %d)\n", CLI_ONLY_MAX);
            return -1;
        }
        c->only[c->nonly++] = arg;
        return 0;
    }
    return -1;
}

static int conflict(const char *what)
{
    fprintf(stderr, "proftui: %s (see --help)\n", what);
    return -1;
}

/* Options that only make sense together, or not at all together. */
static int check_combination(const struct cli *c)
{
    if (c->format >= 0 && !c->output)
        return conflict("--format needs -o FILE");
    if (c->tui && !c->output && !c->push)
        return conflict("--tui needs -o FILE or --push URL (the live view is the default "
                        "without them)");
    for (size_t i = 0; c->tui && i < c->noutputs; i++)
        if (strcmp(c->outputs[i], "-") == 0)
            return conflict("--tui draws the live view on standard output: -o - cannot go "
                            "there too; give -o a file name");
    if (c->push_interval_ns && !c->push)
        return conflict("--push-interval goes with --push URL");
    if (c->push && (c->open || c->dump))
        return conflict("--push sends a running profile: not with --open or --dump");
    if (c->open && (c->pid || c->argv))
        return conflict("--open shows a saved profile: give no command and no -p PID");
    if (c->open && (c->nonly || c->mode_given || c->duration_ns || c->interval_given ||
                    c->child_output || c->run_as_root || c->push || c->no_subprocesses ||
                    c->async_tasks))
        return conflict("--only, --cpu, --mode, --async, -d, -i, -r, --push, --child-output, "
                        "--run-as-root and --no-subprocesses apply to sampling, not to --open");
    if (c->open && c->tui)
        return conflict("--open shows the saved profile without -o and converts it with -o: "
                        "no --tui");
    if (c->diff && (c->noutputs > 1 || c->format >= 0 || c->tui || (c->push && !c->output)))
        return conflict("--diff BASELINE shows the comparison in the live view, or writes it as a table "
                        "to one -o OUT (no -f or --tui)");
    if (c->diff && c->output && export_format_for_path(c->output) != EXPORT_COLLAPSED)
        return conflict("--diff writes its comparison as a text table: name the -o file .txt "
                        "(or any name without a format's ending, or -)");
    if (c->open && c->diff && strcmp(c->open, "-") == 0 && strcmp(c->diff, "-") == 0)
        return conflict("--open - and --diff - cannot both read standard input");
    for (size_t i = 0; table_mode_counts_bytes((enum table_mode)c->mode) && i < c->noutputs; i++)
        if ((c->format >= 0 ? c->format : (int)export_format_for_path(c->outputs[i])) == EXPORT_PSTATS)
            return conflict("pstats files hold times: --mode memory or released (bytes) cannot be written "
                            "as pstats; use collapsed, speedscope, pprof or svg");
    if (c->dump && !c->pid)
        return conflict("--dump needs -p PID");
    if (c->dump && (c->output || c->open))
        return conflict("--dump prints to stdout: no -o or --open with it");
    if (c->dump && (c->nonly || c->mode_given || c->duration_ns || c->interval_given ||
                    c->child_output || c->run_as_root || c->tui))
        return conflict("--dump reads each stack once: no -d, -i, -r, --cpu, --mode, --only, --tui, "
                        "--child-output or --run-as-root");
    if (c->json && !c->dump)
        return conflict("--json goes with --dump");
    if (c->native && (c->open || c->diff || c->dump))
        return conflict("--native samples the C stacks of a running target: not with --open, "
                        "--diff or --dump");
    return 0;
}

static const struct option long_opts[] = {
    {"pid", required_argument, NULL, 'p'},
    {"interval", required_argument, NULL, 'i'},
    {"rate", required_argument, NULL, 'r'},
    {"duration", required_argument, NULL, 'd'},
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, 'f'},
    {"tui", no_argument, NULL, 'U'},
    {"push", required_argument, NULL, 'H'},
    {"push-interval", required_argument, NULL, 'I'},
    {"open", required_argument, NULL, 'P'},
    {"diff", required_argument, NULL, 'B'},
    {"dump", no_argument, NULL, 'D'},
    {"json", no_argument, NULL, 'J'},
    {"cpu", no_argument, NULL, 'c'},
    {"async", no_argument, NULL, 'A'},
    {"native", no_argument, NULL, 'n'},
    {"native-ptrace", no_argument, NULL, 'K'},
    {"mode", required_argument, NULL, 'm'},
    {"threshold", required_argument, NULL, 'T'},
    {"refresh", required_argument, NULL, 'R'},
    {"child-output", required_argument, NULL, 'C'},
    {"only", required_argument, NULL, 'O'},
    {"run-as-root", no_argument, NULL, 'X'},
    {"no-subprocesses", no_argument, NULL, 'N'},
    {"log", required_argument, NULL, 'v'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

enum cli_result cli_parse(int argc, char **argv, struct cli *c)
{
    *c = (struct cli){.interval_ns = 1000000, .refresh_s = 0.5, .format = -1};
    opterr = 0;
    int opt;
    /* '+': stop at the first non-option, so COMMAND keeps its own options. */
    while ((opt = getopt_long(argc, argv, "+:p:i:r:d:o:f:v:nVh", long_opts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            fputs(usage_more, stdout);
            fputs(usage_exit, stdout);
            return CLI_EXIT_OK;
        }
        if (opt == 'V') {
            printf("proftui %s\n", PROFTUI_VERSION);
            return CLI_EXIT_OK;
        }
        if (opt == 'c' || opt == 'X' || opt == 'U' || opt == 'D' || opt == 'J' || opt == 'N' ||
            opt == 'A') {
            *(opt == 'c' ? &c->cpu : opt == 'X' ? &c->run_as_root : opt == 'U' ? &c->tui
              : opt == 'D' ? &c->dump : opt == 'N' ? &c->no_subprocesses
              : opt == 'A' ? &c->async_tasks : &c->json) = 1;
            continue;
        }
        if (opt == 'n' || opt == 'K') {       /* --native-ptrace implies --native */
            c->native = opt == 'K' || c->native == CLI_NATIVE_PTRACE ? CLI_NATIVE_PTRACE
                                                                   : CLI_NATIVE_PERF;
            continue;
        }
        if (opt == '?' || opt == ':') {
            const char *what = optopt ? NULL : argv[optind - 1];
            if (opt == ':')
                fprintf(stderr, "proftui: option %s needs a value (see --help)\n", argv[optind - 1]);
            else if (what)
                fprintf(stderr, "proftui: unknown option '%s' (see --help)\n", what);
            else
                fprintf(stderr, "proftui: unknown option '-%c' (see --help)\n", optopt);
            return CLI_EXIT_USAGE;
        }
        if (apply(c, opt, optarg) < 0)
            return CLI_EXIT_USAGE;
        c->interval_given |= opt == 'i' || opt == 'r';
    }
    if (optind < argc)
        c->argv = argv + optind;
    if (c->pid && c->argv) {
        fprintf(stderr, "proftui: give either -p PID or a command, not both\n");
        return CLI_EXIT_USAGE;
    }
    if (c->cpu && c->mode_given && c->mode != TABLE_MODE_CPU) {
        fprintf(stderr, "proftui: --cpu is --mode cpu: not with --mode %s\n",
                table_mode_name((enum table_mode)c->mode));
        return CLI_EXIT_USAGE;
    }
    if (c->cpu)
        c->mode = TABLE_MODE_CPU;
    c->mode_given |= c->cpu;
    if (check_combination(c) < 0)
        return CLI_EXIT_USAGE;
    c->demo = !c->pid && !c->argv && !c->open;
    return CLI_RUN;
}
