/* SPDX-License-Identifier: MIT */
/* The family of a frame's code, from its file name. */
#include "family.h"

#include <ctype.h>
#include <string.h>

/* .../lib/pythonX.Y/ or .../lib64/pythonX.Y/ */
static int in_stdlib(const char *file)
{
    for (const char *p = strstr(file, "/lib"); p; p = strstr(p + 1, "/lib")) {
        const char *q = p + 4;
        if (strncmp(q, "64", 2) == 0)
            q += 2;
        if (strncmp(q, "/python", 7) == 0 && isdigit((unsigned char)q[7]))
            return 1;
    }
    return 0;
}

enum code_family code_family_of(const char *file, const char *cwd)
{
    if (!file || !*file)
        return CODE_FAM_OTHER;
    if (file[0] == '<')
        return CODE_FAM_BUILTIN;
    if (strstr(file, "/site-packages/") || strstr(file, "/dist-packages/"))
        return CODE_FAM_SITE;
    if (in_stdlib(file))
        return CODE_FAM_STDLIB;
    if (file[0] != '/')
        return CODE_FAM_USER;
    size_t n = cwd ? strlen(cwd) : 0;
    while (n > 1 && cwd[n - 1] == '/')
        n--;
    if (n > 1 && strncmp(file, cwd, n) == 0 && file[n] == '/')
        return CODE_FAM_USER;
    return CODE_FAM_OTHER;
}
