/* SPDX-License-Identifier: MIT */
/* Runs a command and prints its peak resident memory (ru_maxrss, KiB).
 * The benchmark needs this small go-between: a process's ru_maxrss also
 * counts the memory it had before exec, so a command started straight
 * from the (much larger) Python benchmark would report Python's size.
 *
 * usage: maxrss COMMAND [ARG...]   prints "maxrss_kb N" on stderr and
 * exits with the command's status (128+N when signal N ended it). */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: maxrss COMMAND [ARG...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("maxrss: fork");
        return 1;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror("maxrss: exec");
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("maxrss: wait4");
        return 1;
    }
    fprintf(stderr, "maxrss_kb %ld\n", ru.ru_maxrss);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
