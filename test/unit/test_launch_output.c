/* SPDX-License-Identifier: MIT */
/* The launched program's output log: a fresh private file, and its tail;
 * the process tree read from /proc on the test's own children. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "launch.h"
#include "proctree.h"

static char *tail_of(const char *content, int lines)
{
    char path[4096];
    int fd = launch_output_log(path, sizeof path);
    CHECK(fd >= 0);
    if (fd < 0)
        return strdup("");
    CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
    close(fd);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    launch_print_tail(f, path, lines, "| ");
    fclose(f);
    unlink(path);
    return out;
}

static void test_log_file(void)
{
    char a[4096], b[4096];
    int fa = launch_output_log(a, sizeof a), fb = launch_output_log(b, sizeof b);
    CHECK(fa >= 0 && fb >= 0);
    CHECK(strcmp(a, b) != 0);                      /* never the same file twice */
    struct stat st;
    CHECK(stat(a, &st) == 0 && (st.st_mode & 0777) == 0600);
    close(fa);
    close(fb);
    unlink(a);
    unlink(b);
    char tiny[8];
    CHECK(launch_output_log(tiny, sizeof tiny) < 0);
}

static void test_tail(void)
{
    char *t = tail_of("one\ntwo\nthree\nfour\n", 2);
    check(strcmp(t, "| three\n| four\n") == 0, "last two lines: [%s]", t);
    free(t);
    t = tail_of("only", 5);
    check(strcmp(t, "| only\n") == 0, "a file of one unterminated line: [%s]", t);
    free(t);
    t = tail_of("", 5);
    CHECK(t[0] == '\0');
    free(t);
    /* longer than the 4 KiB read: the line cut by the read is dropped */
    static char big[10000];
    memset(big, 'x', sizeof big - 20);
    memcpy(big + 5000, "\nmiddle", 7);
    strcpy(big + sizeof big - 20, "\nlast line\n");
    t = tail_of(big, 50);
    check(strcmp(t, "| last line\n") == 0, "tail of a long file: [%.20s] %zu bytes", t, strlen(t));
    free(t);
    memcpy(big + 9000, "\nnear end", 9);
    t = tail_of(big, 50);
    check(strncmp(t, "| near endxxx", 13) == 0 && strstr(t, "\n| last line\n") != NULL,
          "tail keeps whole lines: [%.20s]", t);
    free(t);
}

static void test_tree(void)
{
    pid_t kid = fork();
    if (kid == 0) {
        pid_t grandkid = fork();
        if (grandkid == 0) {
            pause();
            _exit(0);
        }
        pause();
        _exit(0);
    }
    pid_t found[8];
    size_t n = 0;
    for (int i = 0; i < 2000 && n < 2; i++) {       /* until the grandchild exists */
        n = proctree_descendants(getpid(), found, 8);
        if (n < 2)
            usleep(1000);
    }
    CHECK_EQ(n, 2);
    CHECK(found[0] == kid);
    long k = proctree_children(getpid(), found, 8);
    CHECK_EQ(k, 1);
    CHECK(proctree_children(999999999, found, 8) < 0);
    CHECK_EQ(proctree_descendants(999999999, found, 8), 0);
    int status;
    launch_terminate(kid, 0, &status, NULL, NULL);   /* the child and the grandchild */
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK_EQ(proctree_descendants(getpid(), found, 8), 0);
}

int main(void)
{
    test_log_file();
    test_tail();
    test_tree();
    return check_report("launch_output");
}
