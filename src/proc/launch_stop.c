/* SPDX-License-Identifier: MIT */
/* Ending a launched command and every process it started. */
#include "launch.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "proctree.h"
#include "taskstat.h"

#define TREE_MAX 1024
#define POLL_NS 5000000ULL

struct tree {
    pid_t child;
    int reaped;            /* the child's status is in *status */
    int *status;
    pid_t desc[TREE_MAX];  /* descendants seen so far */
    size_t n;
};

static int reap(struct tree *t)
{
    if (!t->reaped) {
        pid_t r = waitpid(t->child, t->status, WNOHANG);
        t->reaped = r == t->child || (r < 0 && errno == ECHILD);
    }
    return t->reaped;
}

static int running(pid_t pid)
{
    char st = taskstat_process_state(pid);
    return st != 0 && st != 'Z' && st != 'X';
}

static void add(struct tree *t, const pid_t *now, size_t k)
{
    for (size_t i = 0; i < k && t->n < TREE_MAX; i++) {
        if (now[i] == t->child)
            continue;
        size_t j = 0;
        while (j < t->n && t->desc[j] != now[i])
            j++;
        if (j == t->n)
            t->desc[t->n++] = now[i];
    }
}

/* Add every process under us now: the child's descendants and, as we
 * are the program's subreaper, the orphans that came to us with theirs
 * (proftui starts no other process). An orphan leaves the child's tree
 * when its parent dies, so the list is kept from one signal to the next. */
static void gather(struct tree *t)
{
    static pid_t kids[TREE_MAX], under[TREE_MAX];
    long k = proctree_children(getpid(), kids, TREE_MAX);
    for (long i = 0, n = k < TREE_MAX ? k : TREE_MAX; i < n; i++) {
        add(t, &kids[i], 1);                 /* the child itself is skipped by add() */
        add(t, under, proctree_descendants(kids[i], under, TREE_MAX));
    }
}
/* Processes of the tree still running (the child counts until reaped). */
static unsigned alive(struct tree *t)
{
    unsigned n = !reap(t);
    for (size_t i = 0; i < t->n; i++)
        n += running(t->desc[i]);
    return n;
}

static void send(struct tree *t, int sig)
{
    if (!t->reaped)
        kill(t->child, sig);
    for (size_t i = 0; i < t->n; i++)
        if (running(t->desc[i]))
            kill(t->desc[i], sig);
}

/* Wait up to the grace period for the whole tree to end; 1 when it did. */
static int wait_grace(struct tree *t)
{
    uint64_t end = clock_now_ns() + (uint64_t)(LAUNCH_GRACE_S * 1e9);
    do {
        if (alive(t) == 0)
            return 1;
        clock_sleep_ns(POLL_NS);
    } while (clock_now_ns() < end);
    return alive(t) == 0;
}

void launch_terminate(pid_t child, int gently, int *status, launch_say_fn say, void *arg)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGKILL};
    static struct tree t;          /* 4 KiB: not on the stack of a signal-time path */
    t = (struct tree){.child = child, .status = status};
    *status = -1;
    for (size_t i = gently ? 0 : 1; i < sizeof sigs / sizeof sigs[0]; i++) {
        gather(&t);
        unsigned n = alive(&t);
        if (n == 0)
            break;
        if (say)
            say(arg, sigs[i], n, sigs[i] == SIGKILL ? 0 : LAUNCH_GRACE_S);
        send(&t, sigs[i]);
        if (wait_grace(&t))
            break;
    }
    if (!t.reaped)
        waitpid(child, status, 0);
    while (waitpid(-1, NULL, WNOHANG) > 0)      /* the orphans that ended with us */
        ;
}

int launch_become_subreaper(void)
{
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -1;
}
