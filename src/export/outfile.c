/* SPDX-License-Identifier: MIT */
/* Atomic profile output: temporary file + rename for regular files. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

static void release(struct outfile *o)
{
    free(o->path);
    free(o->tmp);
    o->path = o->tmp = NULL;
    o->f = NULL;
}

static int open_direct(struct outfile *o, const char *path)
{
    o->f = fopen(path, "w");
    if (!o->f)
        return ERR_IO;
    o->path = NULL;
    return 0;
}

int outfile_open(struct outfile *o, const char *path)
{
    *o = (struct outfile){0};
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return open_direct(o, path);   /* a pipe or device: never replace it */
    size_t n = strlen(path) + 32;
    o->path = strdup(path);
    o->tmp = malloc(n);
    if (!o->path || !o->tmp) {
        release(o);
        errno = ENOMEM;
        return ERR_IO;
    }
    snprintf(o->tmp, n, "%s.proftui-XXXXXX", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        release(o);
        errno = e;
        return ERR_IO;
    }
    fchmod(fd, 0644);
    o->f = fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        release(o);
        errno = e;
        return ERR_IO;
    }
    return 0;
}

int outfile_commit(struct outfile *o)
{
    int rc = 0;
    if (o->f == stdout) {
        rc = fflush(stdout) == 0 ? 0 : ERR_IO;
        release(o);
        return rc;
    }
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f) || (o->tmp && fsync(fileno(o->f)) != 0))
        e = errno ? errno : EIO;
    if (fclose(o->f) != 0 && !e)
        e = errno;
    if (o->tmp) {
        if (!e && rename(o->tmp, o->path) != 0)
            e = errno;
        if (e)
            unlink(o->tmp);
    }
    release(o);
    errno = e;
    return e ? ERR_IO : rc;
}

void outfile_abort(struct outfile *o)
{
    if (o->f && o->f != stdout)
        fclose(o->f);
    if (o->tmp)
        unlink(o->tmp);
    release(o);
}
