/* SPDX-License-Identifier: MIT */
/* fork/exec of the profiled command, with exec errors reported back. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"

static int env_id(const char *name, unsigned long *out)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return -1;
    *out = strtoul(v, &end, 10);
    return *end ? -1 : 0;
}

/* Under sudo, give the command back to the user who asked for it. */
static int drop_to_sudo_user(void)
{
    unsigned long uid, gid;
    if (geteuid() != 0 || env_id("SUDO_UID", &uid) < 0 || env_id("SUDO_GID", &gid) < 0)
        return 0;
    if (setgroups(0, NULL) < 0 || setgid((gid_t)gid) < 0 || setuid((uid_t)uid) < 0)
        return -1;
    return 0;
}

static void redirect(const struct launch_options *o)
{
    if (o->null_stdin) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd >= 0 && fd != 0) {
            dup2(fd, 0);
            close(fd);
        }
    }
    if (o->output_fd > 0 || o->output) {
        int fd = o->output_fd > 0 ? o->output_fd : open(o->output, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
    }
}

static void child_exec(char *const argv[], const struct launch_options *o, int report_fd)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    redirect(o);
    if (o->drop_sudo && drop_to_sudo_user() < 0) {
        int e = EPERM;
        (void)!write(report_fd, &e, sizeof e);
        _exit(126);
    }
    execvp(argv[0], argv);
    int e = errno;
    (void)!write(report_fd, &e, sizeof e);
    _exit(e == ENOENT ? 127 : 126);
}

int launch_start(char *const argv[], const struct launch_options *o, pid_t *child, int *exec_errno)
{
    int fds[2];
    *exec_errno = 0;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return ERR_IO;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return ERR_EXEC;
    }
    if (pid == 0) {
        close(fds[0]);
        child_exec(argv, o, fds[1]);
    }
    close(fds[1]);
    int e = 0;
    ssize_t n;
    while ((n = read(fds[0], &e, sizeof e)) < 0 && errno == EINTR)
        ;
    close(fds[0]);
    if (n == (ssize_t)sizeof e) {
        waitpid(pid, NULL, 0);
        *exec_errno = e;
        return ERR_EXEC;
    }
    *child = pid;
    return 0;
}

int launch_exit_code(int wait_status)
{
    if (wait_status < 0)
        return 1;
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return 1;
}
