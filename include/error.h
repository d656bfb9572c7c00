/* SPDX-License-Identifier: MIT */
/* One error idiom for the whole program: functions return 0 or a negative
 * enum err; err_str() gives the one-line message. errno values never leak
 * through these codes. */
#ifndef PROFTUI_ERROR_H
#define PROFTUI_ERROR_H

enum err {
    ERR_OK = 0,
    ERR_NOMEM = -1,        /* allocation failed */
    ERR_READ = -2,         /* a read of target memory failed (target raced or is gone) */
    ERR_NO_PROCESS = -3,   /* no such process */
    ERR_PERM = -4,         /* not allowed to read the target */
    ERR_NOT_PYTHON = -5,   /* no CPython interpreter found in the target */
    ERR_VERSION = -6,      /* CPython version not supported */
    ERR_NOT_READY = -7,    /* interpreter found but not initialised yet */
    ERR_CORRUPT = -8,      /* data read from the target failed validation */
    ERR_ELF = -9,          /* a binary could not be parsed */
    ERR_USAGE = -10,       /* bad command line */
    ERR_IO = -11,          /* local file or system call failed */
    ERR_EXITED = -12,      /* the target exited */
    ERR_TOO_DEEP = -13,    /* stack deeper than the bound; truncated */
    ERR_EXEC = -14,        /* the command could not be started */
    ERR_TERMINAL = -15,    /* no usable terminal */
    ERR_INPUT = -16,       /* a profile file is malformed (import.h) */
    ERR_UNSUPPORTED = -17, /* not available in this build or on this system */
    ERR_COUNT_ = 18
};

/* Message for a code returned by any proftui function. Never NULL. */
const char *err_str(int code);

#endif
