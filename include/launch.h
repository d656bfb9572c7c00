/* SPDX-License-Identifier: MIT */
/* Starting the command to profile, and ending it. */
#ifndef PROFTUI_LAUNCH_H
#define PROFTUI_LAUNCH_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct launch_options {
    const char *output;   /* redirect the child's stdout/stderr here (NULL: inherit) */
    int output_fd;        /* or to this open file when > 0 (taken before output) */
    int null_stdin;       /* give the child /dev/null as stdin */
    int drop_sudo;        /* run as SUDO_UID/SUDO_GID when started through sudo as root */
};

/* Fork and exec argv (PATH searched). Exec failures are reported back
 * through a close-on-exec pipe: ERR_EXEC with *exec_errno set (ENOENT →
 * "not found", EACCES → "not executable"). Returns 0 and *child. */
int launch_start(char *const argv[], const struct launch_options *o, pid_t *child, int *exec_errno);

/* What launch_terminate is doing, for the user: signal sig sent to procs
 * processes (the child and its descendants); the next signal follows in
 * grace_s seconds if any of them is still running (0: it was the last). */
typedef void (*launch_say_fn)(void *arg, int sig, unsigned procs, double grace_s);

/* End a child we started and every process it started (its descendants,
 * gathered from /proc before each signal, since an orphan leaves the
 * tree): SIGINT (when gently: the program may clean up, Python raises
 * KeyboardInterrupt), then SIGTERM, then SIGKILL, each after a grace
 * period of LAUNCH_GRACE_S while any of them still runs; reaps the child.
 * Error paths pass gently = 0 and start at SIGTERM, so the child prints no
 * traceback under our error message. *status gets the child's wait
 * status (-1 when it was reaped elsewhere: pass a scratch int then). say
 * (may be NULL) hears of each signal sent. With launch_become_subreaper,
 * orphans the command left behind are ended the same way, and every
 * ended child of ours is reaped. */
#define LAUNCH_GRACE_S 2.0

/* Make the processes the command leaves behind (orphans) ours instead of
 * init's (PR_SET_CHILD_SUBREAPER), so launch_terminate finds and ends them
 * too, even after the command itself has exited. 0 or -1. */
int launch_become_subreaper(void);
void launch_terminate(pid_t child, int gently, int *status, launch_say_fn say, void *arg);

/* Create a new file for a launched program's output, mode 0600, never
 * following or reusing an existing name: ${TMPDIR:-/tmp}/proftui-PID-output.log
 * (PID ours; -2, -3 ... when taken). Writes its path to path[0..cap).
 * Returns the open descriptor or a negative enum err. */
int launch_output_log(char *path, size_t cap);

/* Print to f the last lines of the file at path (at most max_lines lines,
 * and at most 4 KiB), each prefixed by indent. Returns lines printed. */
int launch_print_tail(FILE *f, const char *path, int max_lines, const char *indent);

/* The exit status a shell would report for a wait status (128+N for signal N). */
int launch_exit_code(int wait_status);

#endif
