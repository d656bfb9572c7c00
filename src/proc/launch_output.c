/* SPDX-License-Identifier: MIT */
/* Where a launched program's output goes in the live view, and its tail. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

#define TAIL_BYTES 4096

int launch_output_log(char *path, size_t cap)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || dir[0] != '/')
        dir = "/tmp";
    for (int i = 1; i <= 100; i++) {
        char suffix[16] = "";
        if (i > 1)
            snprintf(suffix, sizeof suffix, "-%d", i);
        if ((size_t)snprintf(path, cap, "%s/proftui-%d-output%s.log", dir, (int)getpid(), suffix) >= cap)
            return ERR_USAGE;
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            return ERR_IO;
    }
    return ERR_IO;
}

int launch_print_tail(FILE *f, const char *path, int max_lines, const char *indent)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[TAIL_BYTES + 1];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > TAIL_BYTES ? size - TAIL_BYTES : 0;
    ssize_t n = size > 0 ? pread(fd, buf, (size_t)(size - from), from) : 0;
    close(fd);
    if (n <= 0)
        return 0;
    while (n > 0 && buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
    /* Start max_lines lines from the end (or after the first, partial, line of a cut read). */
    char *start = buf;
    int lines = 0;
    for (char *p = buf + n; p > buf; p--) {
        if (p[-1] == '\n' && ++lines == max_lines) {
            start = p;
            break;
        }
    }
    if (start == buf && from > 0) {
        char *nl = strchr(buf, '\n');
        start = nl ? nl + 1 : buf + n;
    }
    int printed = 0;
    for (char *line = start; *line;) {
        size_t len = strcspn(line, "\n");
        fprintf(f, "%s%.*s\n", indent, (int)len, line);
        printed++;
        line += len + (line[len] == '\n');
    }
    return printed;
}
