/* SPDX-License-Identifier: MIT */
/* Starting the command to profile, and ending it. */
#ifndef PROFTUI_LAUNCH_H
#define PROFTUI_LAUNCH_H

#include <sys/types.h>

struct launch_options {
    const char *output;   /* redirect the child's stdout/stderr here (NULL: inherit) */
    int null_stdin;       /* give the child /dev/null as stdin */
    int drop_sudo;        /* run as SUDO_UID/SUDO_GID when started through sudo as root */
};

/* Fork and exec argv (PATH searched). Exec failures are reported back
 * through a close-on-exec pipe: ERR_EXEC with *exec_errno set (ENOENT →
 * "not found", EACCES → "not executable"). Returns 0 and *child. */
int launch_start(char *const argv[], const struct launch_options *o, pid_t *child, int *exec_errno);

/* End a child we started: SIGINT (when gently: the program may clean up,
 * Python raises KeyboardInterrupt), then SIGTERM, then SIGKILL, each after
 * a grace period; reaps it. Error paths pass gently = 0 and start at
 * SIGTERM, so the child prints no traceback under our error message.
 * *status gets the wait status. */
void launch_terminate(pid_t child, int gently, int *status);

/* The exit status a shell would report for a wait status (128+N for signal N). */
int launch_exit_code(int wait_status);

#endif
