/* SPDX-License-Identifier: MIT */
/* The user's code for the "your code first" lens: --only's roots, and the
 * running target's script directory, working directory and prefix. */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "exitcode.h"

/* Add one --only path (relative to our directory, which is also a
 * launched command's) as a directory or a file root; its real path too
 * when a symbolic link leads there. */
static int add_only(struct run *r, const char *path, const char *cwd)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return run_fail(EXIT_USAGE, "--only %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return run_fail(EXIT_USAGE, "--only %s: not a directory or a regular file", path);
    int dir = S_ISDIR(st.st_mode);
    char *real = realpath(path, NULL);
    int rc = usercode_add_root(&r->code, path, cwd, dir);
    if (rc == 0 && real)
        rc = usercode_add_alias(&r->code, real, dir);
    free(real);
    if (rc < 0)
        return run_fail(EXIT_USAGE, "--only %s: %s", path, rc == ERR_USAGE ? "too many paths or too long"
                    : err_str(rc));
    size_t len = strlen(r->only), n = strlen(path);
    if (len + 1 + n < sizeof r->only) {      /* the metadata line: what fits */
        if (len)
            r->only[len++] = ',';
        memcpy(r->only + len, path, n + 1);
    }
    return 0;
}

/* The --only lists, checked before anything starts. */
int run_resolve_only(struct run *r)
{
    char cwd[USERCODE_PATH_MAX], item[USERCODE_PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    for (size_t i = 0; i < r->cli.nonly; i++) {
        for (const char *p = r->cli.only[i]; *p;) {
            size_t n = strcspn(p, ",");
            if (n > 0 && n < sizeof item) {
                memcpy(item, p, n);
                item[n] = '\0';
                int code = add_only(r, item, cwd[0] ? cwd : NULL);
                if (code)
                    return code;
            } else if (n > 0) {
                return run_fail(EXIT_USAGE, "--only: a path is too long");
            }
            p += n + (p[n] == ',');
        }
    }
    return 0;
}

/* What the lens needs from the running target: its working directory
 * (relative file names), the interpreter's prefix, and, without --only,
 * the default roots: the script's directory, else the working directory. */
void run_target_usercode(struct run *r, const char *target_cwd)
{
    char path[USERCODE_PATH_MAX], exe[64], prefix[USERCODE_PATH_MAX];
    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)r->pid);
    ssize_t n = readlink(exe, path, sizeof path - 1);
    if (n > 0) {
        path[n] = '\0';
        if (usercode_prefix_of(path, prefix, sizeof prefix) == 0)
            usercode_set_prefix(&r->code, prefix);
    }
    usercode_set_cwd(&r->code, target_cwd);
    if (r->code.nroots)
        return;
    const char *script = r->launched ? usercode_script(r->argv) : NULL;
    /* A bare NAME.py was found on PATH, not in the directory. */
    if (script && strchr(script, '/') == NULL && script == r->argv[0])
        script = NULL;
    if (script && usercode_normalize(script, target_cwd, path, sizeof path) == 0) {
        *strrchr(path, '/') = '\0';
        usercode_add_root(&r->code, path[0] ? path : "/", NULL, 1);
    } else if (target_cwd[0]) {
        usercode_add_root(&r->code, target_cwd, NULL, 1);
    }
}
