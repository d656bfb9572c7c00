/* SPDX-License-Identifier: MIT */
/* Maps internal error codes to the documented exit statuses. */
#include "exitcode.h"

#include "error.h"

int exitcode_for_err(int err)
{
    switch (err) {
    case ERR_USAGE: return EXIT_USAGE;
    case ERR_NO_PROCESS: return EXIT_NO_PROCESS;
    case ERR_PERM: return EXIT_PERM;
    case ERR_NOT_PYTHON: return EXIT_NOT_PYTHON;
    case ERR_VERSION: return EXIT_VERSION;
    case ERR_EXITED: return EXIT_TARGET_GONE;
    case ERR_IO: return EXIT_OUTPUT;
    case ERR_TERMINAL: return EXIT_TERMINAL;
    case ERR_INPUT: return EXIT_INPUT;
    case ERR_UNSUPPORTED: return EXIT_UNSUPPORTED;
    default: return EXIT_INTERNAL;
    }
}
