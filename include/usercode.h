/* SPDX-License-Identifier: MIT */
/* Which source files are the user's own code, for the "your code first"
 * lens (lens.h). A file is the user's when it is under one of the roots
 * (directories, or single files) and is not library code: below a
 * directory root, no path component may be site-packages or dist-packages
 * and none may be a pythonX.Y directory under lib/lib64 (a standard
 * library, a virtual environment's packages), and nothing under the
 * interpreter's prefix counts unless the root itself is there. Names in
 * angle brackets (<frozen runpy>, <string>) and empty names are never the
 * user's. File names are taken as the interpreter has them (co_filename):
 * a relative one is relative to the target's working directory. Paths are
 * compared as text once made absolute, without "." and ".." components:
 * no file system access here (main.c decides what a --only PATH is). */
#ifndef PROFTUI_USERCODE_H
#define PROFTUI_USERCODE_H

#include <stddef.h>

#define USERCODE_ROOTS_MAX 64
#define USERCODE_PATH_MAX 4096

struct usercode_root {
    char *path;            /* owned; absolute, normalised */
    int is_dir;
    int alias;             /* another name of a root before it (not counted) */
};

struct usercode {
    struct usercode_root roots[USERCODE_ROOTS_MAX];
    size_t nroots;
    char *cwd;             /* owned: the target's working directory; NULL: "/" */
    char *prefix;          /* owned: the interpreter's prefix; NULL: unknown */
};

/* No roots (nothing is the user's), no cwd, no prefix. */
void usercode_init(struct usercode *u);
void usercode_free(struct usercode *u);

/* Add a root: path (relative paths are taken from base, NULL: "/"), a
 * directory (is_dir) or a single file. An already known root is not added
 * twice. 0, ERR_USAGE (too many roots, or a path over USERCODE_PATH_MAX)
 * or ERR_NOMEM. */
int usercode_add_root(struct usercode *u, const char *path, const char *base, int is_dir);

/* The same, for another name of the root added last (its real path
 * when a symbolic link leads there): matched, not counted. */
int usercode_add_alias(struct usercode *u, const char *path, int is_dir);

/* Set the target's working directory (relative file names are taken from
 * it) and the interpreter's prefix (NULL: unknown). 0, ERR_USAGE or
 * ERR_NOMEM. */
int usercode_set_cwd(struct usercode *u, const char *cwd);
int usercode_set_prefix(struct usercode *u, const char *prefix);

/* Is `file` (a co_filename) the user's code? */
int usercode_is_user(const struct usercode *u, const char *file);

/* How many roots (aliases aside) are directories (dirs != 0) or files. */
size_t usercode_count(const struct usercode *u, int dirs);

/* path made absolute from base (NULL: "/") into out: no "//", no "." or
 * ".." components (".." at the top stays at "/"), no trailing "/" but for
 * "/" itself. 0, or ERR_USAGE when it does not fit in cap. */
int usercode_normalize(const char *path, const char *base, char *out, size_t cap);

/* The script a command line runs, or NULL: argv[0] itself when it ends in
 * ".py"; for an interpreter (a name starting with "python"), the first
 * argument after its options; NULL for -m MODULE, -c CODE, "-" (stdin), an
 * interactive interpreter, or any other program. */
const char *usercode_script(char *const argv[]);

/* A short name for what a command line runs, for file and application
 * names: the script's base name without ".py", the module after -m, else
 * the program's base name ("python" for NULL). Returns a pointer into
 * argv (or a constant) and its length in *len (not NUL-terminated). */
const char *usercode_program(char *const argv[], size_t *len);

/* The prefix of an interpreter executable: the directory above the "bin"
 * directory holding it (/usr for /usr/bin/python3.12), into out. 0, or
 * ERR_USAGE when exe is not in a bin directory or does not fit. */
int usercode_prefix_of(const char *exe, char *out, size_t cap);

#endif
