/* SPDX-License-Identifier: MIT */
/* A Python child for the live unit tests (pychild.h). */
#include "pychild.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "codecache.h"
#include "error.h"
#include "pytarget.h"
#include "walker.h"

#define DEADLINE_MS 30000

int64_t pychild_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pychild_spawn(const char *python, const char *script, struct pychild *c)
{
    int in[2], out[2];
    if (pipe(in) < 0 || pipe(out) < 0)
        return -1;
    c->pid = fork();
    if (c->pid < 0)
        return -1;
    if (c->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        execl(python, python, "-I", "-S", "-c", script, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    c->in = in[1];
    c->out = out[0];
    c->len = 0;
    return 0;
}

int pychild_read_line(struct pychild *c, char *line, size_t cap, int64_t deadline)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            size_t n = (size_t)(nl - c->buf), k = n < cap - 1 ? n : cap - 1;
            memcpy(line, c->buf, k);
            line[k] = '\0';
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            return 0;
        }
        int64_t left = deadline - pychild_now_ms();
        struct pollfd p = {.fd = c->out, .events = POLLIN};
        if (left <= 0 || c->len == sizeof c->buf || poll(&p, 1, (int)left) <= 0)
            return -1;
        ssize_t got = read(c->out, c->buf + c->len, sizeof c->buf - c->len);
        if (got <= 0)
            return -1;
        c->len += (size_t)got;
    }
}

void pychild_finish(struct pychild *c, int64_t timeout_ms)
{
    close(c->in);
    int64_t deadline = pychild_now_ms() + timeout_ms;
    int status;
    while (waitpid(c->pid, &status, WNOHANG) == 0) {
        if (pychild_now_ms() > deadline) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &status, 0);
            break;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    close(c->out);
}

int pychild_versioned_main(int argc, char **argv, const char *script, const char *name,
                           int (*run)(struct pychild *c, int minor, void *arg), void *arg)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PYTHON\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct pychild c;
    char line[256];
    int major, minor, status;
    if (pychild_spawn(argv[1], script, &c) < 0) {
        perror("spawn");
        return 1;
    }
    if (pychild_read_line(&c, line, sizeof line, pychild_now_ms() + DEADLINE_MS) < 0 ||
        sscanf(line, "version %d %d", &major, &minor) != 2) {
        fprintf(stderr, "SKIP: %s gave no version\n", argv[1]);
        status = PYCHILD_SKIP;
    } else if ((status = run(&c, minor, arg)) == 0) {
        status = check_report(name);
    }
    pychild_finish(&c, DEADLINE_MS);
    return status;
}

struct walker_run {
    int (*run)(struct pychild *c, int minor, struct walker *w);
};

int pychild_target(struct pychild *c, struct pytarget **t)
{
    char why[200];
    *t = NULL;
    int rc = pytarget_open(c->pid, t, why, sizeof why);
    if (rc == ERR_VERSION) {
        fprintf(stderr, "SKIP: %s\n", why);
        return PYCHILD_SKIP;
    }
    CHECKF(rc == 0, "pytarget_open: %s", err_str(rc));
    return rc < 0 ? 1 : 0;
}

static int with_walker(struct pychild *c, int minor, void *arg)
{
    const struct walker_run *wr = arg;
    struct pytarget *t = NULL;
    struct codecache *cache = NULL;
    struct walker *w = NULL;
    int rc = pychild_target(c, &t);
    if (rc)
        return rc;
    cache = codecache_new();
    rc = cache ? walker_new(t, cache, &w) : ERR_NOMEM;
    CHECKF(rc == 0, "walker_new: %s", err_str(rc));
    int status = rc < 0 ? 1 : wr->run(c, minor, w);
    walker_free(w);
    codecache_free(cache);
    pytarget_free(t);
    return status;
}

int pychild_walker_main(int argc, char **argv, const char *script, const char *name,
                        int (*run)(struct pychild *c, int minor, struct walker *w))
{
    struct walker_run wr = {run};
    return pychild_versioned_main(argc, argv, script, name, with_walker, &wr);
}
