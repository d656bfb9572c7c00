/* SPDX-License-Identifier: MIT */
/* proftui's documented exit statuses (also in --help and the README). When
 * proftui launched the command and profiling worked, it exits with the
 * command's own status instead (128+N when a signal N ended it). */
#ifndef PROFTUI_EXITCODE_H
#define PROFTUI_EXITCODE_H

enum exit_code {
    EXIT_OK = 0,
    EXIT_INTERNAL = 1,      /* unexpected internal failure */
    EXIT_USAGE = 2,         /* unknown option or bad value */
    EXIT_NO_PROCESS = 3,    /* -p PID: no such process */
    EXIT_PERM = 4,          /* not allowed to read the target */
    EXIT_NOT_PYTHON = 5,    /* not a Python process / Python never started */
    EXIT_VERSION = 6,       /* unsupported Python version */
    EXIT_TARGET_GONE = 7,   /* the target exited before sampling started */
    EXIT_OUTPUT = 8,        /* cannot write the profile */
    EXIT_TERMINAL = 9,      /* no usable terminal for the live view */
    EXIT_INPUT = 10,        /* --open: the file is not a profile proftui can read */
    EXIT_UNSUPPORTED = 11,  /* a mode this build or system cannot do (--native without libunwind) */
    EXIT_NOEXEC = 126,      /* command found but not executable */
    EXIT_NOTFOUND = 127,    /* command not found */
};

/* The exit status that reports error code err (a negative enum err). */
int exitcode_for_err(int err);

#endif
