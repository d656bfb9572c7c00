/* SPDX-License-Identifier: MIT */
/* The user's own code, by file name: roots, library markers, the
 * interpreter's prefix; paths compared as normalised text. */
#include "usercode.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

void usercode_init(struct usercode *u)
{
    memset(u, 0, sizeof *u);
}

void usercode_free(struct usercode *u)
{
    for (size_t i = 0; i < u->nroots; i++)
        free(u->roots[i].path);
    free(u->cwd);
    free(u->prefix);
    usercode_init(u);
}

/* Append component c[0..n) to out[0..*len) (which is "/" or has no
 * trailing "/"), handling "." and "..". 0 or ERR_USAGE when full. */
static int push_component(char *out, size_t *len, size_t cap, const char *c, size_t n)
{
    if (n == 0 || (n == 1 && c[0] == '.'))
        return 0;
    if (n == 2 && c[0] == '.' && c[1] == '.') {
        while (*len > 1 && out[*len - 1] != '/')
            (*len)--;
        if (*len > 1)
            (*len)--;                        /* the '/' before the dropped component */
        out[*len] = '\0';
        return 0;
    }
    size_t sep = *len > 1;
    if (*len + sep + n + 1 > cap)
        return ERR_USAGE;
    if (sep)
        out[(*len)++] = '/';
    memcpy(out + *len, c, n);
    *len += n;
    out[*len] = '\0';
    return 0;
}

static int push_path(char *out, size_t *len, size_t cap, const char *p)
{
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (push_component(out, len, cap, p, n) < 0)
            return ERR_USAGE;
        p += n;
    }
    return 0;
}

int usercode_normalize(const char *path, const char *base, char *out, size_t cap)
{
    if (cap < 2)
        return ERR_USAGE;
    size_t len = 1;
    out[0] = '/';
    out[1] = '\0';
    if (path[0] != '/' && base && push_path(out, &len, cap, base) < 0)
        return ERR_USAGE;
    return push_path(out, &len, cap, path);
}

static int set_path(char **dst, const char *path)
{
    char buf[USERCODE_PATH_MAX];
    if (!path) {
        free(*dst);
        *dst = NULL;
        return 0;
    }
    if (usercode_normalize(path, NULL, buf, sizeof buf) < 0)
        return ERR_USAGE;
    char *copy = strdup(buf);
    if (!copy)
        return ERR_NOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

int usercode_set_cwd(struct usercode *u, const char *cwd)
{
    return set_path(&u->cwd, cwd && cwd[0] ? cwd : NULL);
}

int usercode_set_prefix(struct usercode *u, const char *prefix)
{
    return set_path(&u->prefix, prefix && prefix[0] ? prefix : NULL);
}

static int add(struct usercode *u, const char *path, const char *base, int is_dir, int alias)
{
    char buf[USERCODE_PATH_MAX];
    if (usercode_normalize(path, base, buf, sizeof buf) < 0)
        return ERR_USAGE;
    for (size_t i = 0; i < u->nroots; i++)
        if (u->roots[i].is_dir == is_dir && strcmp(u->roots[i].path, buf) == 0)
            return 0;
    if (u->nroots == USERCODE_ROOTS_MAX)
        return ERR_USAGE;
    char *copy = strdup(buf);
    if (!copy)
        return ERR_NOMEM;
    u->roots[u->nroots++] = (struct usercode_root){.path = copy, .is_dir = is_dir, .alias = alias};
    return 0;
}

int usercode_add_root(struct usercode *u, const char *path, const char *base, int is_dir)
{
    return add(u, path, base, is_dir, 0);
}

int usercode_add_alias(struct usercode *u, const char *path, int is_dir)
{
    return add(u, path, NULL, is_dir, 1);
}

size_t usercode_count(const struct usercode *u, int dirs)
{
    size_t n = 0;
    for (size_t i = 0; i < u->nroots; i++)
        n += !u->roots[i].alias && !u->roots[i].is_dir == !dirs;
    return n;
}

/* The part of path below dir ("" when equal), or NULL when path is not
 * dir or under it. Both are normalised. */
static const char *below(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1)                              /* "/" */
        return path + 1;
    if (strncmp(path, dir, n) != 0 || (path[n] != '/' && path[n] != '\0'))
        return NULL;
    return path + n + (path[n] == '/');
}

static int component_is(const char *c, size_t n, const char *word)
{
    return n == strlen(word) && memcmp(c, word, n) == 0;
}

/* Does the relative path rel go through library code: a site-packages or
 * dist-packages directory, or lib/pythonX... (lib64 too)? */
static int library_below(const char *rel)
{
    int after_lib = 0;
    while (*rel) {
        size_t n = strcspn(rel, "/");
        if (!rel[n])
            break;                           /* the file name itself */
        if (component_is(rel, n, "site-packages") || component_is(rel, n, "dist-packages") ||
            (after_lib && n > 6 && memcmp(rel, "python", 6) == 0))
            return 1;
        after_lib = component_is(rel, n, "lib") || component_is(rel, n, "lib64");
        rel += n + 1;
    }
    return 0;
}

static int root_matches(const struct usercode *u, const struct usercode_root *r, const char *abs)
{
    if (!r->is_dir)
        return strcmp(abs, r->path) == 0;
    const char *rel = below(abs, r->path);
    if (!rel || !rel[0] || library_below(rel))
        return 0;
    /* The interpreter's own files, unless the root is among them. */
    return !u->prefix || below(r->path, u->prefix) || !below(abs, u->prefix);
}

int usercode_is_user(const struct usercode *u, const char *file)
{
    char abs[USERCODE_PATH_MAX];
    if (!file || !file[0] || file[0] == '<' || u->nroots == 0)
        return 0;
    if (usercode_normalize(file, u->cwd, abs, sizeof abs) < 0)
        return 0;
    for (size_t i = 0; i < u->nroots; i++)
        if (root_matches(u, &u->roots[i], abs))
            return 1;
    return 0;
}

/* Does this interpreter option take the next argument as its value? */
static int option_takes_value(const char *arg)
{
    return strcmp(arg, "--check-hash-based-pycs") == 0;
}

/* The script after an interpreter's options, or NULL (-c, -m, -, none). */
static const char *script_after_options(char *const argv[])
{
    for (size_t i = 1; argv[i]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return argv[i + 1] && strcmp(argv[i + 1], "-") != 0 ? argv[i + 1] : NULL;
        if (a[0] != '-')
            return a;
        if (strcmp(a, "-") == 0)
            return NULL;
        if (a[1] == '-') {
            if (option_takes_value(a) && argv[i + 1])
                i++;
            continue;
        }
        for (const char *c = a + 1; *c; c++) {
            if (*c == 'c' || *c == 'm')
                return NULL;
            if (*c == 'W' || *c == 'X') {      /* -Wvalue, or -W value */
                if (!c[1] && argv[i + 1])
                    i++;
                break;
            }
        }
    }
    return NULL;
}

const char *usercode_script(char *const argv[])
{
    if (!argv || !argv[0])
        return NULL;
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".py") == 0)
        return argv[0];
    if (strncmp(base, "python", 6) != 0)
        return NULL;
    return script_after_options(argv);
}

int usercode_prefix_of(const char *exe, char *out, size_t cap)
{
    char buf[USERCODE_PATH_MAX];
    if (usercode_normalize(exe, NULL, buf, sizeof buf) < 0)
        return ERR_USAGE;
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return ERR_USAGE;
    *slash = '\0';                           /* the directory holding exe */
    slash = strrchr(buf, '/');
    if (!slash || strcmp(slash + 1, "bin") != 0)
        return ERR_USAGE;
    if (slash == buf)
        slash++;                             /* /bin/python3: prefix "/" */
    *slash = '\0';
    if (strlen(buf) + 1 > cap)
        return ERR_USAGE;
    memcpy(out, buf, strlen(buf) + 1);
    return 0;
}

const char *usercode_program(char *const argv[], size_t *len)
{
    const char *prog = argv && argv[0] ? argv[0] : "python";
    const char *script = argv ? usercode_script(argv) : NULL;
    if (script) {
        prog = script;
    } else {
        for (size_t i = 1; argv && argv[i]; i++) {
            if (strcmp(argv[i], "-m") == 0 && argv[i + 1]) {
                prog = argv[i + 1];
                break;
            }
        }
    }
    const char *slash = strrchr(prog, '/');
    prog = slash && slash[1] ? slash + 1 : prog;
    *len = strlen(prog);
    if (*len > 3 && strcmp(prog + *len - 3, ".py") == 0)
        *len -= 3;
    return prog;
}
