/* SPDX-License-Identifier: MIT */
/* Messages for enum err, kept in one table. */
#include "error.h"

static const char *const messages[ERR_COUNT_] = {
    [-ERR_OK] = "success",
    [-ERR_NOMEM] = "out of memory",
    [-ERR_READ] = "cannot read target memory",
    [-ERR_NO_PROCESS] = "no such process",
    [-ERR_PERM] = "permission denied",
    [-ERR_NOT_PYTHON] = "not a Python process",
    [-ERR_VERSION] = "unsupported Python version",
    [-ERR_NOT_READY] = "Python interpreter not initialised yet",
    [-ERR_CORRUPT] = "inconsistent data in target memory",
    [-ERR_ELF] = "cannot parse binary",
    [-ERR_USAGE] = "invalid usage",
    [-ERR_IO] = "input/output error",
    [-ERR_EXITED] = "target process exited",
    [-ERR_TOO_DEEP] = "stack too deep",
    [-ERR_EXEC] = "cannot start command",
    [-ERR_TERMINAL] = "no usable terminal",
    [-ERR_INPUT] = "malformed profile file",
    [-ERR_UNSUPPORTED] = "not available in this build or on this system",
};

const char *err_str(int code)
{
    if (code > 0 || code <= -ERR_COUNT_ || !messages[-code])
        return "unknown error";
    return messages[-code];
}
