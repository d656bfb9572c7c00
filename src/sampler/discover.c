/* SPDX-License-Identifier: MIT */
/* Noticing the root's descendants that run CPython (discover.h). */
#include "discover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "procstat.h"
#include "proctree.h"
#include "pytarget.h"

#define DESC_MAX 1024        /* descendants looked at per poll */
#define SEEN_MAX 2048        /* processes remembered */
#define REOPENS_MAX 3        /* a followed process whose reads failed: re-opened this often */

enum seen_state { SEEN_PENDING, SEEN_PYTHON, SEEN_OTHER };

struct seen {
    pid_t pid;
    uint8_t state;           /* enum seen_state */
    uint8_t tries;           /* opens that found no interpreter */
    uint8_t reopens;         /* times the follower gave it back (discover_forget) */
    uint8_t mark;            /* among the descendants at this poll */
    uint8_t waited;          /* left unopened once: the caller had no room */
    uint64_t starttime;      /* with pid, names the process */
    uint64_t exe;            /* hash of /proc/PID/exe when it became pending: an OTHER
                              * whose exe differs has exec'd */
};

struct discover {
    pid_t root;
    int with_root;           /* the root is not followed: it is a candidate too (it may exec) */
    uint64_t at;             /* last poll, 0 before the first */
    struct proctree *tree;   /* the children files, kept open */
    struct seen *seen;       /* SEEN_MAX */
    size_t nseen;
    pid_t pids[DESC_MAX + 1];    /* the last poll's descendants, and the root */
    size_t nfamily;              /* pids[0..nfamily) after a poll, 0 once taken */
    int truncated;               /* the last poll found more descendants than it keeps */
    int use_events;              /* discover_use_events: poll on events, not on a clock */
    uint64_t events, events_at;  /* the count now, and when the last poll was made */
    uint64_t polls, poll_ns;
    unsigned waited;         /* processes left unopened for want of room, each counted once */
};

struct discover *discover_new(pid_t root)
{
    struct discover *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->seen = calloc(SEEN_MAX, sizeof *d->seen);
    d->tree = proctree_new();
    if (!d->seen || !d->tree) {
        discover_free(d);
        return NULL;
    }
    d->root = root;
    return d;
}

void discover_free(struct discover *d)
{
    if (!d)
        return;
    proctree_free(d->tree);
    free(d->seen);
    free(d);
}

/* FNV-1a of the target of /proc/PID/exe, 0 when it cannot be read. */
static uint64_t exe_hash(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, buf, sizeof buf);
    if (n <= 0)
        return 0;
    uint64_t h = 1469598103934665603ULL;
    for (ssize_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)buf[i]) * 1099511628211ULL;
    return h ? h : 1;
}

static struct seen *find(struct discover *d, pid_t pid)
{
    for (size_t i = 0; i < d->nseen; i++)
        if (d->seen[i].pid == pid)
            return &d->seen[i];
    return NULL;
}

/* Try to open e's process: 1 with *out set when it runs CPython. One
 * that is given up on keeps the exe it had when it became pending: if it
 * exec'd since (into Python, maybe not mapped yet when it was tried), the
 * next poll sees the change and tries it again. */
static int try_open(struct seen *e, struct pytarget **out)
{
    int rc = pytarget_open(e->pid, out, NULL, 0);
    if (rc == 0) {
        e->state = SEEN_PYTHON;
        return 1;
    }
    /* Not mapped yet (exec'd a moment ago, or a loader in between): again
     * at the next polls, a few times. Refused versions and permissions do
     * not change without an exec. */
    int again = rc == ERR_NOT_PYTHON || rc == ERR_NOT_READY || rc == ERR_CORRUPT || rc == ERR_READ;
    if (!again || ++e->tries >= DISCOVER_TRIES)
        e->state = SEEN_OTHER;
    return 0;
}

/* The record of descendant pid (started at starttime), new or renewed
 * when the pid now names another process; NULL when none is left. */
static struct seen *record_of(struct discover *d, pid_t pid, uint64_t starttime)
{
    struct seen *e = find(d, pid);
    if (e && e->starttime != starttime && e->state != SEEN_PYTHON)
        *e = (struct seen){.pid = pid, .starttime = starttime, .state = SEEN_PENDING,
                           .exe = exe_hash(pid)};
    if (!e && d->nseen < SEEN_MAX) {
        e = &d->seen[d->nseen++];
        *e = (struct seen){.pid = pid, .starttime = starttime, .state = SEEN_PENDING,
                           .exe = exe_hash(pid)};
    }
    return e;
}

/* Forget what is no longer a descendant, except the processes followed
 * (the follower retires them and says so). */
static void sweep(struct discover *d)
{
    size_t k = 0;
    for (size_t i = 0; i < d->nseen; i++)
        if (d->seen[i].mark || d->seen[i].state == SEEN_PYTHON)
            d->seen[k++] = d->seen[i];
    d->nseen = k;
}

/* No descendant waits to be tried again (each one seen at the last poll
 * is followed, or not Python) and the last poll saw them all. */
static int settled(const struct discover *d)
{
    for (size_t i = 0; i < d->nseen; i++)
        if (d->seen[i].state == SEEN_PENDING)
            return 0;
    return !d->truncated;
}

int discover_poll(struct discover *d, uint64_t now_ns, struct pytarget **out, int max)
{
    if (d->at && now_ns - d->at < DISCOVER_EVERY_NS)
        return 0;
    if (d->at && d->use_events && d->events == d->events_at && now_ns - d->at < DISCOVER_QUIET_NS &&
        settled(d))
        return 0;
    d->events_at = d->events;   /* later ones make the next poll due */
    d->at = now_ns;
    uint64_t t0 = clock_thread_cpu_ns();
    size_t n = proctree_descendants_cached(d->tree, d->root, d->pids + d->with_root, DESC_MAX - 1);
    d->truncated = n >= DESC_MAX - 1;
    n += (size_t)d->with_root;
    if (d->with_root)
        d->pids[0] = d->root;
    int k = 0, opens = 0;
    for (size_t i = 0; i < d->nseen; i++)
        d->seen[i].mark = 0;
    for (size_t i = 0; i < n; i++) {
        struct seen *known = find(d, d->pids[i]);
        if (known && known->state == SEEN_PYTHON) {      /* followed: nothing to read */
            known->mark = 1;
            continue;
        }
        struct procstat_stat st;
        if (procstat_read_stat(d->pids[i], 0, &st) < 0 || st.state == 'Z' || st.state == 'X')
            continue;
        struct seen *e = record_of(d, d->pids[i], st.starttime);
        if (!e)
            continue;
        e->mark = 1;
        uint64_t exe = e->state == SEEN_OTHER ? exe_hash(e->pid) : 0;
        if (e->state == SEEN_OTHER && exe != e->exe)
            *e = (struct seen){.pid = e->pid, .starttime = e->starttime, .mark = 1,
                               .reopens = e->reopens, .state = SEEN_PENDING, .exe = exe};
        if (e->state == SEEN_PENDING && k >= max && !e->waited) {
            e->waited = 1;
            d->waited++;
        }
        if (e->state == SEEN_PENDING && k < max && opens < DISCOVER_OPENS_MAX) {
            opens++;
            k += try_open(e, &out[k]);
        }
    }
    sweep(d);
    if (!d->with_root && n < DESC_MAX + 1)      /* the root, for discover_take_family */
        d->pids[n++] = d->root;
    d->nfamily = n;
    d->polls++;
    d->poll_ns += clock_thread_cpu_ns() - t0;
    return k;
}

void discover_with_root(struct discover *d)
{
    d->with_root = 1;
}

void discover_follow(struct discover *d, pid_t pid)
{
    struct procstat_stat st;
    if (procstat_read_stat(pid, 0, &st) < 0)
        return;
    struct seen *e = record_of(d, pid, st.starttime);
    if (e)
        e->state = SEEN_PYTHON;
}

void discover_forget(struct discover *d, pid_t pid)
{
    struct seen *e = find(d, pid);
    if (!e || e->state != SEEN_PYTHON)
        return;
    e->tries = 0;
    e->state = ++e->reopens > REOPENS_MAX ? SEEN_OTHER : SEEN_PENDING;
    e->exe = exe_hash(pid);
    e->mark = 0;
}

void discover_use_events(struct discover *d, uint64_t events)
{
    d->use_events = 1;
    d->events = events;
}

size_t discover_take_family(struct discover *d, const pid_t **pids)
{
    size_t n = d->nfamily;
    *pids = d->pids;
    d->nfamily = 0;
    return n;
}

unsigned discover_waited(const struct discover *d)
{
    return d->waited;
}

void discover_cost(const struct discover *d, uint64_t *polls, uint64_t *ns)
{
    *polls = d->polls;
    *ns = d->poll_ns;
}
